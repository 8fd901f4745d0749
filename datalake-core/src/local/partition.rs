//! Recognising date partitions in directory names, the retention cutoff,
//! the partial-transfer directory, and the rsync exclude patterns that keep
//! expired partitions from being downloaded.
//!
//! Every layout is fixed-width (`month=1` is not accepted, `month=01` is), so
//! that the date digits sort lexicographically in calendar order: this is what
//! lets [`expired_exclude_patterns`] express "before the cutoff" as a handful of
//! rsync character-class patterns.

use std::path::{Component, Path};

use chrono::{Datelike, Days, Local, NaiveDate, Utc};

use crate::config::Timezone;

/// The first day kept: `today - (retention_days - 1)`. The syncer excludes
/// partitions before it, stats counts them as expired, the cleaner deletes them.
///
/// `retention_days` below 1 is treated as 1 (the config rejects it anyway).
pub fn cutoff_date(today: NaiveDate, retention_days: u32) -> NaiveDate {
    let back = u64::from(retention_days.max(1) - 1);
    today.checked_sub_days(Days::new(back)).unwrap_or(NaiveDate::MIN)
}

/// How a partition directory spells its date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Layout {
    /// The date is in the last path component (`x_20241128`, `2024-11-28`, ...).
    Flat,
    /// The date spans the last three components (`2024/11/28`,
    /// `year=2024/month=11/day=28`); the year and month directories are
    /// undated parents that the cleaner prunes once empty.
    Nested,
}

/// The date a partition directory stands for, if `rel_path` (relative to the
/// profile directory, `/`-separated components) names one.
///
/// Recognised: `<anything>_YYYYMMDD`, `YYYYMMDD`, `YYYY-MM-DD`, `YYYY_MM_DD`,
/// `date=YYYY-MM-DD`, `dt=YYYY-MM-DD` (last component), and nested
/// `YYYY/MM/DD`, `year=YYYY/month=MM/day=DD` (last three components).
/// Impossible dates (`20241341`) are not partitions.
pub fn partition_date(rel_path: &Path) -> Option<NaiveDate> {
    partition_layout(rel_path).map(|(date, _)| date)
}

/// [`partition_date`] plus which kind of layout matched.
pub(crate) fn partition_layout(rel_path: &Path) -> Option<(NaiveDate, Layout)> {
    // Components are compared as bytes: a non-UTF-8 prefix (`\xff_20241128`)
    // still names a partition, exactly as rsync's byte-wise patterns see it.
    let mut last = [&[] as &[u8]; 3];
    let mut n = 0usize;
    for component in rel_path.components().rev().take(3) {
        match component {
            Component::Normal(name) => {
                last[n] = name.as_encoded_bytes();
                n += 1;
            }
            _ => break,
        }
    }
    if n == 0 {
        return None;
    }
    if let Some(date) = flat_date(last[0]) {
        return Some((date, Layout::Flat));
    }
    if n == 3 {
        // last = [day, month, year]
        if let Some(date) = nested_date(last[2], last[1], last[0]) {
            return Some((date, Layout::Nested));
        }
    }
    None
}

/// The value of `n` ASCII digits, or `None` if `s` is not exactly that.
fn digits(s: &[u8], n: usize) -> Option<u32> {
    if s.len() != n || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(s.iter().fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0')))
}

fn ymd(y: &[u8], m: &[u8], d: &[u8]) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(digits(y, 4)? as i32, digits(m, 2)?, digits(d, 2)?)
}

/// `YYYYMMDD`.
fn compact_date(s: &[u8]) -> Option<NaiveDate> {
    if s.len() != 8 {
        return None;
    }
    ymd(&s[..4], &s[4..6], &s[6..])
}

/// `YYYY<sep>MM<sep>DD`.
fn separated_date(s: &[u8], sep: u8) -> Option<NaiveDate> {
    if s.len() != 10 || s[4] != sep || s[7] != sep {
        return None;
    }
    ymd(&s[..4], &s[5..7], &s[8..])
}

/// The single-component layouts.
fn flat_date(name: &[u8]) -> Option<NaiveDate> {
    if let Some(date) = compact_date(name) {
        return Some(date);
    }
    if let Some(date) = separated_date(name, b'-').or_else(|| separated_date(name, b'_')) {
        return Some(date);
    }
    for prefix in [&b"date="[..], b"dt="] {
        if let Some(rest) = name.strip_prefix(prefix) {
            return separated_date(rest, b'-');
        }
    }
    // `<anything>_YYYYMMDD`: the prefix may itself contain `_` (and may be
    // empty, as rsync's `*` matches the empty string).
    if name.len() >= 9 && name[name.len() - 9] == b'_' {
        return compact_date(&name[name.len() - 8..]);
    }
    None
}

/// `YYYY/MM/DD` or `year=YYYY/month=MM/day=DD`.
fn nested_date(year: &[u8], month: &[u8], day: &[u8]) -> Option<NaiveDate> {
    if let (Some(y), Some(m), Some(d)) =
        (year.strip_prefix(b"year="), month.strip_prefix(b"month="), day.strip_prefix(b"day="))
    {
        return ymd(y, m, d);
    }
    ymd(year, month, day)
}

/// One digit position of a "less than" pattern.
#[derive(Clone, Copy)]
enum DigitClass {
    /// Exactly this digit.
    Is(u8),
    /// Any digit below this one.
    Below(u8),
    /// Any digit.
    Any,
}

impl DigitClass {
    fn push_to(self, out: &mut String) {
        match self {
            DigitClass::Is(d) => out.push(char::from(b'0' + d)),
            DigitClass::Below(1) => out.push('0'),
            DigitClass::Below(d) => {
                out.push_str("[0-");
                out.push(char::from(b'0' + d - 1));
                out.push(']');
            }
            DigitClass::Any => out.push_str("[0-9]"),
        }
    }
}

/// Every 8-digit string strictly below `digits`, as at most 8 prefix patterns:
/// for each non-zero position i, "same digits before i, a smaller digit at i,
/// anything after".
fn below(digits: [u8; 8]) -> Vec<[DigitClass; 8]> {
    let mut out = Vec::new();
    for i in 0..8 {
        if digits[i] == 0 {
            continue;
        }
        let mut pattern = [DigitClass::Any; 8];
        for (slot, &d) in pattern.iter_mut().zip(&digits[..i]) {
            *slot = DigitClass::Is(d);
        }
        pattern[i] = DigitClass::Below(digits[i]);
        out.push(pattern);
    }
    out
}

/// The layouts as rsync patterns: literal text around the year (4 digits),
/// month (2) and day (2) digit groups.
const LAYOUTS: [[&str; 4]; 8] = [
    ["*_", "", "", "/"],
    ["", "", "", "/"],
    ["", "-", "-", "/"],
    ["", "_", "_", "/"],
    ["date=", "-", "-", "/"],
    ["dt=", "-", "-", "/"],
    // A pattern with an inner `/` is matched by rsync against the trailing
    // components of the path, so these hit the day directory wherever the
    // year directory sits.
    ["", "/", "/", "/"],
    ["year=", "/month=", "/day=", "/"],
];

/// rsync filter patterns (for `--exclude`) matching every partition directory
/// dated strictly before `cutoff`, in all recognised layouts.
///
/// The date digits are fixed-width, so "before the cutoff" is "lexicographically
/// below the cutoff's digits", which decomposes into at most 8 prefix patterns
/// per layout: for 2026-10-27 in the `*_YYYYMMDD` layout,
/// `*_[0-1][0-9][0-9][0-9][0-9][0-9][0-9][0-9]/`, `*_20[0-1][0-9][0-9][0-9][0-9][0-9]/`,
/// ..., `*_2026102[0-6]/`. Every pattern ends in `/`, so only directories match;
/// nested layouts match the day directory, leaving its (empty) year and month
/// parents to be created.
///
/// Character classes cannot check the calendar: a directory whose name has
/// the shape of a layout but an impossible date lexicographically before the
/// cutoff (`x_20231341`, `2023/02/30`) is excluded as well. Such a directory is
/// not a partition for [`partition_date`], so it would never be cleaned up
/// either; not downloading it keeps the two rules from fighting.
pub fn expired_exclude_patterns(cutoff: NaiveDate) -> Vec<String> {
    let year = cutoff.year();
    let patterns: Vec<[DigitClass; 8]> = if year <= 0 {
        // No 4-digit date is earlier.
        return Vec::new();
    } else if year > 9999 {
        // Every 4-digit date is earlier.
        vec![[DigitClass::Any; 8]]
    } else {
        let text = format!("{:04}{:02}{:02}", year, cutoff.month(), cutoff.day());
        let mut digits = [0u8; 8];
        for (slot, b) in digits.iter_mut().zip(text.bytes()) {
            *slot = b - b'0';
        }
        below(digits)
    };
    let mut out = Vec::with_capacity(patterns.len() * LAYOUTS.len());
    for [prefix, sep1, sep2, suffix] in LAYOUTS {
        for pattern in &patterns {
            let mut s = String::with_capacity(64);
            s.push_str(prefix);
            for (i, class) in pattern.iter().enumerate() {
                match i {
                    4 => s.push_str(sep1),
                    6 => s.push_str(sep2),
                    _ => {}
                }
                class.push_to(&mut s);
            }
            s.push_str(suffix);
            out.push(s);
        }
    }
    out
}

/// "Today" in the profile's calendar.
pub fn today(tz: Timezone) -> NaiveDate {
    match tz {
        Timezone::Utc => Utc::now().date_naive(),
        Timezone::Local => Local::now().date_naive(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;
    use std::process::Command;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn pd(p: &str) -> Option<NaiveDate> {
        partition_date(Path::new(p))
    }

    #[test]
    fn flat_layouts() {
        let day = Some(d(2024, 11, 28));
        assert_eq!(pd("gate_io_VIRTUAL-USDT_20241128"), day);
        assert_eq!(pd("a/b/gate_io_VIRTUAL-USDT_20241128"), day);
        assert_eq!(pd("_20241128"), day);
        assert_eq!(pd("x__20241128"), day);
        assert_eq!(pd("20241128"), day);
        assert_eq!(pd("2024-11-28"), day);
        assert_eq!(pd("2024_11_28"), day);
        assert_eq!(pd("date=2024-11-28"), day);
        assert_eq!(pd("dt=2024-11-28"), day);
        assert_eq!(pd("ex/sym/dt=2024-11-28"), day);
        assert_eq!(pd("./20241128"), day);
        assert_eq!(pd("20241128/"), day);
    }

    #[test]
    fn nested_layouts() {
        let day = Some(d(2024, 11, 28));
        assert_eq!(pd("2024/11/28"), day);
        assert_eq!(pd("binance/2024/11/28"), day);
        assert_eq!(pd("year=2024/month=11/day=28"), day);
        assert_eq!(pd("x/year=2024/month=11/day=28"), day);
        // The parents are not partitions.
        assert_eq!(pd("2024"), None);
        assert_eq!(pd("2024/11"), None);
        assert_eq!(pd("year=2024/month=11"), None);
        // Mixed or unpadded spellings are not recognised.
        assert_eq!(pd("year=2024/11/28"), None);
        assert_eq!(pd("2024/month=11/day=28"), None);
        assert_eq!(pd("year=2024/month=1/day=28"), None);
        assert_eq!(pd("2024/1/28"), None);
        assert_eq!(pd("24/11/28"), None);
        // A nested day cannot climb out of the relative path.
        assert_eq!(pd("/11/28"), None);
        assert_eq!(pd("../11/28"), None);
    }

    #[test]
    fn impossible_dates_are_not_partitions() {
        for p in [
            "20241341",
            "x_20241341",
            "20230229",
            "2023-02-29",
            "2023_02_29",
            "dt=2023-02-29",
            "2023/02/29",
            "year=2023/month=02/day=29",
            "20240100",
            "2024/00/10",
            "2024-04-31",
        ] {
            assert_eq!(pd(p), None, "{p}");
        }
        assert_eq!(pd("20240229"), Some(d(2024, 2, 29)));
        assert_eq!(pd("2000/02/29"), Some(d(2000, 2, 29)));
    }

    #[test]
    fn lookalikes_are_not_partitions() {
        for p in [
            "",
            "data",
            "2024112",
            "202411280",
            "x_202411280",
            "x-20241128",
            "x20241128",
            "2024-11-28x",
            "x_2024-11-28",
            "2024-11_28",
            "20241128.parquet",
            "date=20241128",
            "DT=2024-11-28",
            "date_2024-11-28",
            "day=2024-11-28",
            "2024-1-28",
            "２０２４１１２８",
            "/",
        ] {
            assert_eq!(pd(p), None, "{p:?}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn non_utf8_prefix() {
        use std::ffi::OsStr;
        use std::os::unix::ffi::OsStrExt;
        let p = Path::new(OsStr::from_bytes(b"\xff\xfe_20241128"));
        assert_eq!(partition_date(p), Some(d(2024, 11, 28)));
    }

    #[test]
    fn layout_kind() {
        assert_eq!(partition_layout(Path::new("a_20241128")).map(|x| x.1), Some(Layout::Flat));
        assert_eq!(partition_layout(Path::new("2024/11/28")).map(|x| x.1), Some(Layout::Nested));
        // A flat name wins over a nested reading.
        assert_eq!(partition_layout(Path::new("2024/11/20241128")).map(|x| x.1), Some(Layout::Flat));
    }

    #[test]
    fn pattern_decomposition() {
        let p = expired_exclude_patterns(d(2026, 10, 27));
        let flat: Vec<&str> = p.iter().filter(|s| s.starts_with("*_")).map(String::as_str).collect();
        assert_eq!(
            flat,
            [
                "*_[0-1][0-9][0-9][0-9][0-9][0-9][0-9][0-9]/",
                "*_20[0-1][0-9][0-9][0-9][0-9][0-9]/",
                "*_202[0-5][0-9][0-9][0-9][0-9]/",
                "*_20260[0-9][0-9][0-9]/",
                "*_202610[0-1][0-9]/",
                "*_2026102[0-6]/",
            ]
        );
        assert!(p.contains(&"year=2026/month=10/day=2[0-6]/".to_string()));
        assert!(p.contains(&"[0-1][0-9][0-9][0-9]/[0-9][0-9]/[0-9][0-9]/".to_string()));
        assert!(p.contains(&"dt=2026-0[0-9]-[0-9][0-9]/".to_string()));
        assert_eq!(p.len(), 6 * 8);
        assert!(p.iter().all(|s| s.ends_with('/')));
    }

    #[test]
    fn pattern_extremes() {
        assert_eq!(expired_exclude_patterns(d(0, 1, 1)), Vec::<String>::new());
        let far = expired_exclude_patterns(d(10000, 1, 1));
        assert_eq!(far.len(), 8);
        assert!(far.contains(&"[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]/".to_string()));
        // A digit 1 gives a plain 0, not a one-digit class.
        let low = expired_exclude_patterns(d(1, 1, 1));
        assert_eq!(low.len(), 3 * 8);
        assert_eq!(low[3..6], ["0000[0-9][0-9][0-9][0-9]/", "000100[0-9][0-9]/", "00010100/"]);
    }

    /// Every layout's spelling of `date`, as a relative directory path.
    fn spellings(date: NaiveDate) -> Vec<String> {
        let c = date.format("%Y%m%d").to_string();
        let dash = date.format("%Y-%m-%d").to_string();
        vec![
            format!("gate_io_BTC-USDT_{c}"),
            format!("x/_{c}"),
            format!("bin/{c}"),
            format!("a/{dash}"),
            date.format("b/%Y_%m_%d").to_string(),
            format!("c/date={dash}"),
            format!("d/dt={dash}"),
            date.format("e/%Y/%m/%d").to_string(),
            date.format("%Y/%m/%d").to_string(),
            date.format("f/year=%Y/month=%m/day=%d").to_string(),
        ]
    }

    fn files_under(root: &Path) -> Vec<PathBuf> {
        let mut out: Vec<PathBuf> = walkdir::WalkDir::new(root)
            .into_iter()
            .map(|e| e.unwrap())
            .filter(|e| e.file_type().is_file())
            .map(|e| e.path().strip_prefix(root).unwrap().to_path_buf())
            .collect();
        out.sort();
        out
    }

    /// The patterns, run through the real rsync, drop exactly the partitions
    /// before the cutoff, in every layout, and nothing else.
    #[test]
    fn patterns_against_real_rsync() {
        let rsync = match which::which("rsync") {
            Ok(p) => p,
            Err(_) => panic!("rsync is not installed: apt-get install rsync"),
        };
        for cutoff in [d(2026, 10, 27), d(2024, 3, 1), d(2000, 1, 1), d(2019, 12, 31), d(2030, 10, 10)] {
            let tmp = tempfile::tempdir().unwrap();
            let src = tmp.path().join("src");
            let dst = tmp.path().join("dst");
            let mut expected = Vec::new();
            let mut dates = Vec::new();
            // Days around the cutoff, and around every digit boundary of it.
            for delta in
                [-800i64, -400, -366, -365, -40, -31, -30, -11, -10, -9, -2, -1, 0, 1, 2, 9, 10, 30, 31, 365, 400]
            {
                if let Some(day) = cutoff.checked_add_signed(chrono::TimeDelta::days(delta)) {
                    dates.push(day);
                }
            }
            for day in dates {
                for rel in spellings(day) {
                    let dir = src.join(&rel);
                    std::fs::create_dir_all(&dir).unwrap();
                    let file = PathBuf::from(&rel).join("part_00001.parquet");
                    std::fs::write(src.join(&file), b"x").unwrap();
                    assert_eq!(partition_date(Path::new(&rel)), Some(day), "{rel}");
                    if day >= cutoff {
                        expected.push(file);
                    }
                }
            }
            // Undated neighbours and plain files that look like dates stay.
            for rel in ["undated/file", "2024/readme", "x_20100101.parquet", "20100101", "notes_20100101.txt"] {
                let path = src.join(rel);
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(&path, b"y").unwrap();
                expected.push(PathBuf::from(rel));
            }
            expected.sort();
            expected.dedup();

            let mut cmd = Command::new(&rsync);
            cmd.arg("-r");
            for p in expired_exclude_patterns(cutoff) {
                cmd.arg(format!("--exclude={p}"));
            }
            cmd.arg("--").arg(format!("{}/", src.display())).arg(format!("{}/", dst.display()));
            let out = cmd.output().unwrap();
            assert!(out.status.success(), "rsync failed: {}", String::from_utf8_lossy(&out.stderr));
            assert_eq!(files_under(&dst), expected, "cutoff {cutoff}");
        }
    }
}
