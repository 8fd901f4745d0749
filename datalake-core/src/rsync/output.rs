//! Parsing what rsync prints on stdout: `--info=progress2` updates, the
//! itemized file lines of our `--out-format`, and the `--stats` block.

use serde::Serialize;

/// Numbers parsed from rsync's `--stats` block.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TransferStats {
    /// "Number of files" (all entries).
    pub total_files: u64,
    /// "Number of regular files transferred".
    pub files_transferred: u64,
    /// "Total file size".
    pub total_size: u64,
    /// "Total transferred file size".
    pub bytes_transferred: u64,
    /// "Literal data".
    pub literal_bytes: u64,
    /// "Matched data" (reused from existing/partial files).
    pub matched_bytes: u64,
    /// "Total bytes sent".
    pub bytes_sent: u64,
    /// "Total bytes received".
    pub bytes_received: u64,
}

/// Prefix of the per-file lines requested with `--out-format`, so they cannot
/// be confused with anything `-v` in user rsync_args prints.
pub const ITEM_PREFIX: &str = "dl-item ";

/// rsync's progress over the whole run, a line per file and about one a
/// second during a large one (`--info=progress2`).
pub const PROGRESS_ARG: &str = "--info=progress2";

/// The `--out-format` argument that produces the lines [`parse_line`] expects.
pub fn out_format_arg() -> String {
    format!("--out-format={ITEM_PREFIX}%i %n")
}

/// One meaningful line of rsync output.
#[derive(Debug, Clone, PartialEq)]
pub enum Line {
    /// A `--info=progress2` update.
    Progress {
        /// Bytes done in this run.
        bytes: u64,
        /// Percent of the (known so far) total.
        percent: u32,
        /// Files transferred so far (`xfr#N`).
        files_done: Option<u64>,
        /// True once the file list is complete (`to-chk`, not `ir-chk`).
        list_complete: bool,
    },
    /// An itemized entry: change flags and the path.
    Item {
        /// `%i`, e.g. `>f+++++++++`.
        flags: String,
        /// `%n`, the path relative to the transfer root.
        name: String,
    },
    /// A line of the `--stats` block (already applied to the stats).
    Stat,
    /// Anything else.
    Other,
}

/// Parse a number as rsync prints it: `60,000`, `60.000` (some locales) or `1234`.
/// Returns `None` for anything else.
pub fn parse_number(s: &str) -> Option<u64> {
    let digits: String = s.chars().filter(|c| *c != ',' && *c != '.' && *c != '\'').collect();
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// The first number after `label:` on a stats line, e.g.
/// `Number of regular files transferred: 60,000` or
/// `Number of files: 1,234 (reg: 1,000, dir: 234)`.
fn stat_value(line: &str, label: &str) -> Option<u64> {
    let rest = line.strip_prefix(label)?.strip_prefix(':')?;
    let token = rest.split_whitespace().next()?;
    parse_number(token)
}

/// Apply a `--stats` line to `stats`; returns whether it was one.
pub fn apply_stat_line(line: &str, stats: &mut TransferStats) -> bool {
    let line = line.trim();
    let fields: [(&str, &mut u64); 8] = [
        ("Number of files", &mut stats.total_files),
        ("Number of regular files transferred", &mut stats.files_transferred),
        ("Total file size", &mut stats.total_size),
        ("Total transferred file size", &mut stats.bytes_transferred),
        ("Literal data", &mut stats.literal_bytes),
        ("Matched data", &mut stats.matched_bytes),
        ("Total bytes sent", &mut stats.bytes_sent),
        ("Total bytes received", &mut stats.bytes_received),
    ];
    for (label, slot) in fields {
        if let Some(v) = stat_value(line, label) {
            *slot = v;
            return true;
        }
    }
    false
}

/// The `--stats` numbers found in `text` (rsync's output, lines split on `\r`
/// or `\n`, anything else ignored); zeros for what is absent.
pub fn parse_stats(text: &str) -> TransferStats {
    let mut stats = TransferStats::default();
    for line in text.split(['\r', '\n']) {
        apply_stat_line(line, &mut stats);
    }
    stats
}

/// Parse a progress2 line: `  1,234,567  45%   10.50MB/s    0:00:01 (xfr#3, to-chk=10/20)`.
fn parse_progress(line: &str) -> Option<Line> {
    let mut tokens = line.split_whitespace();
    let bytes = parse_number(tokens.next()?)?;
    let percent = tokens.next()?.strip_suffix('%')?.parse().ok()?;
    let tail = line.split_once('(').map(|(_, t)| t).unwrap_or("");
    let files_done = tail
        .split_once("xfr#")
        .and_then(|(_, t)| t.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse().ok());
    Some(Line::Progress { bytes, percent, files_done, list_complete: tail.contains("to-chk=") })
}

/// Classify one line (split on `\r` or `\n`), updating `stats` for stats lines.
pub fn parse_line(line: &str, stats: &mut TransferStats) -> Line {
    if let Some(rest) = line.strip_prefix(ITEM_PREFIX) {
        if let Some((flags, name)) = rest.split_once(' ') {
            return Line::Item { flags: flags.to_string(), name: name.to_string() };
        }
        return Line::Other;
    }
    if apply_stat_line(line, stats) {
        return Line::Stat;
    }
    parse_progress(line).unwrap_or(Line::Other)
}

/// Whether an itemized entry is a regular file being transferred (`>f...`).
pub fn is_file_transfer(flags: &str) -> bool {
    flags.starts_with(">f")
}

/// The name of a `*deleting` item: `%i` pads `*deleting` to its 11-character
/// width, so the name arrives after two extra spaces.
pub fn deleted_name(flags: &str, name: &str) -> Option<String> {
    (flags == "*deleting").then(|| name.strip_prefix("  ").unwrap_or(name).to_string())
}

/// A name as rsync printed it, back to its bytes: rsync writes bytes it
/// considers unprintable as `\#ooo` (three octal digits).
pub fn unescape_name(name: &str) -> Vec<u8> {
    let b = name.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 4 < b.len() && b[i + 1] == b'#' {
            let oct = &b[i + 2..i + 5];
            if oct.iter().all(|d| (b'0'..=b'7').contains(d)) {
                let v = oct.iter().fold(0u32, |acc, d| acc * 8 + u32::from(d - b'0'));
                if let Ok(byte) = u8::try_from(v) {
                    out.push(byte);
                    i += 5;
                    continue;
                }
            }
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATS: &str = "
Number of files: 61,234 (reg: 60,000, dir: 1,234)
Number of created files: 60,001 (reg: 60,000, dir: 1)
Number of deleted files: 0
Number of regular files transferred: 60,000
Total file size: 1,234,567,890 bytes
Total transferred file size: 1,234,567,000 bytes
Literal data: 1,000,000,000 bytes
Matched data: 234,567,000 bytes
File list size: 1,048,576
File list generation time: 0.001 seconds
File list transfer time: 0.000 seconds
Total bytes sent: 1,151,234
Total bytes received: 1,001,234,567

sent 1,151,234 bytes  received 1,001,234,567 bytes  12,345.67 bytes/sec
total size is 1,234,567,890  speedup is 1.23
";

    #[test]
    fn stats_block_with_thousands_separators() {
        let mut s = TransferStats::default();
        for line in STATS.lines() {
            parse_line(line, &mut s);
        }
        assert_eq!(
            s,
            TransferStats {
                total_files: 61_234,
                files_transferred: 60_000,
                total_size: 1_234_567_890,
                bytes_transferred: 1_234_567_000,
                literal_bytes: 1_000_000_000,
                matched_bytes: 234_567_000,
                bytes_sent: 1_151_234,
                bytes_received: 1_001_234_567,
            }
        );
    }

    #[test]
    fn whole_output_parsed_at_once() {
        let text = format!("dl-item >f+++++++++ a\r  1,024  50%  1.00MB/s  0:00:01 (xfr#1, to-chk=1/2)\r{STATS}");
        let s = parse_stats(&text);
        assert_eq!((s.files_transferred, s.bytes_transferred, s.total_files), (60_000, 1_234_567_000, 61_234));
        assert_eq!(parse_stats("sent 12 bytes  received 34 bytes"), TransferStats::default());
    }

    #[test]
    fn progress_and_items() {
        let mut s = TransferStats::default();
        assert_eq!(
            parse_line("     32,768 100%   31.25MB/s    0:00:00 (xfr#1, to-chk=0/3)", &mut s),
            Line::Progress { bytes: 32_768, percent: 100, files_done: Some(1), list_complete: true }
        );
        assert_eq!(
            parse_line("  1,000  5%  1.00kB/s  0:00:09 (xfr#12, ir-chk=1000/2000)", &mut s),
            Line::Progress { bytes: 1_000, percent: 5, files_done: Some(12), list_complete: false }
        );
        assert_eq!(
            parse_line("dl-item >f+++++++++ dir with space/part 1.parquet", &mut s),
            Line::Item { flags: ">f+++++++++".into(), name: "dir with space/part 1.parquet".into() }
        );
        assert_eq!(parse_line("receiving incremental file list", &mut s), Line::Other);
        assert_eq!(parse_line("", &mut s), Line::Other);
        assert_eq!(s, TransferStats::default());
    }

    #[test]
    fn escaped_names() {
        assert_eq!(unescape_name("a\\#012b.parquet"), b"a\nb.parquet");
        assert_eq!(unescape_name("plain"), b"plain");
        assert_eq!(unescape_name("x\\#9"), b"x\\#9");
        assert_eq!(deleted_name("*deleting", "  a/b"), Some("a/b".into()));
        assert_eq!(deleted_name(">f+++++++++", "a/b"), None);
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_number("60,000"), Some(60_000));
        assert_eq!(parse_number("60.000"), Some(60_000));
        assert_eq!(parse_number("7"), Some(7));
        assert_eq!(parse_number("abc"), None);
        assert_eq!(parse_number(""), None);
        assert_eq!(parse_number("1.5kB"), None);
    }
}
