//! Coverage: which days each series has, which are missing, which series stopped.
//!
//! A *series* is a partition's path without its date:
//!
//! - `<prefix>_YYYYMMDD` (the collectors' layout): the path with `_YYYYMMDD`
//!   cut off, `gate_io_VIRTUAL-USDT_20241128` -> `gate_io_VIRTUAL-USDT`,
//!   `binance/BTC_20241128` -> `binance/BTC`;
//! - a directory that is only a date (`YYYYMMDD`, `YYYY-MM-DD`, `YYYY_MM_DD`,
//!   `date=YYYY-MM-DD`, `dt=YYYY-MM-DD`): its parent path,
//!   `binance/BTC/dt=2024-11-28` -> `binance/BTC`;
//! - nested `YYYY/MM/DD` and hive `year=YYYY/month=MM/day=DD`: the path above
//!   the year directory, `trades/year=2024/month=11/day=28` -> `trades`.
//!
//! A date directory directly in the profile directory belongs to the series `.`.
//!
//! For each series: the days present, the days *missing* (no partition) from
//! its first day, or the retention cutoff if later, up to the profile's latest
//! day (the newest day any series has); days *expired* (present, past
//! retention, not cleaned yet); days *partial* (the partition holds no file,
//! holds an interrupted transfer in `.rsync-partial`, or a file of it is in
//! quarantine). A series *stopped* when it has no partition for the latest
//! day; it is *new* when its first day is after the retention cutoff and
//! after the profile's earliest first day.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use chrono::{Days, NaiveDate};
use serde::Serialize;

use crate::local::partition::{partition_layout, Layout};

/// A partition directory the stats walk met.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionSeen {
    /// Path relative to the profile directory.
    pub rel: PathBuf,
    /// Its date.
    pub date: NaiveDate,
    /// Regular files below it (outside `.rsync-partial`).
    pub files: u64,
    /// Whether it holds files in a `.rsync-partial` directory.
    pub partial: bool,
}

/// What one day of a series is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DayState {
    /// A partition with data.
    Present,
    /// No partition, between the series' first day and the latest day.
    Missing,
    /// Present but past retention: cleanup has not run yet.
    Expired,
    /// Empty, interrupted, or with a file in quarantine.
    Partial,
    /// Outside the series' span (before it started, after the latest day).
    None,
}

impl DayState {
    /// The grid character.
    pub fn symbol(self) -> char {
        match self {
            DayState::Present => '#',
            DayState::Missing => '.',
            DayState::Expired => 'x',
            DayState::Partial => '!',
            DayState::None => ' ',
        }
    }

    fn color(self) -> &'static str {
        match self {
            DayState::Present => "\x1b[32m",
            DayState::Missing => "\x1b[31m",
            DayState::Expired => "\x1b[2m",
            DayState::Partial => "\x1b[33m",
            DayState::None => "",
        }
    }
}

/// One series' coverage.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeriesCoverage {
    /// The partition path without its date.
    pub series: String,
    /// Its oldest day.
    pub first_day: NaiveDate,
    /// Its newest day.
    pub last_day: NaiveDate,
    /// Days with a partition, expired and partial ones included.
    pub days_present: u64,
    /// Days without a partition within retention, up to the latest day.
    pub missing_days: Vec<NaiveDate>,
    /// Days present but past retention.
    pub expired_days: Vec<NaiveDate>,
    /// Days empty, interrupted or with a quarantined file.
    pub partial_days: Vec<NaiveDate>,
    /// No partition for the profile's latest day.
    pub stopped: bool,
    /// Started within retention (after the cutoff day), later than the
    /// profile's earliest series: no gap is counted before its first day.
    pub new: bool,
    #[serde(skip)]
    present: BTreeSet<NaiveDate>,
}

impl SeriesCoverage {
    /// The state of `day`.
    pub fn state(&self, day: NaiveDate) -> DayState {
        if self.partial_days.binary_search(&day).is_ok() {
            DayState::Partial
        } else if self.expired_days.binary_search(&day).is_ok() {
            DayState::Expired
        } else if self.present.contains(&day) {
            DayState::Present
        } else if self.missing_days.binary_search(&day).is_ok() {
            DayState::Missing
        } else {
            DayState::None
        }
    }
}

/// Coverage of one profile.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Coverage {
    /// Profile name.
    pub profile: String,
    /// Today in the profile's calendar.
    pub today: NaiveDate,
    /// First day retention keeps.
    pub cutoff_date: NaiveDate,
    /// The newest day any series has.
    pub latest_day: Option<NaiveDate>,
    /// Every series, by name.
    pub series: Vec<SeriesCoverage>,
    /// Missing days summed over the series.
    pub missing_days: u64,
    /// Series with missing days.
    pub series_with_gaps: u64,
    /// Series without a partition for the latest day.
    pub stopped_series: u64,
    /// Series that started after the earliest one.
    pub new_series: u64,
    /// Partial days summed over the series.
    pub partial_days: u64,
    /// Files in quarantine.
    pub quarantined_files: u64,
    /// Whether a missing day makes this coverage a failure (the caller's
    /// [`CoverageOptions::fail_on_gaps`]); not part of the JSON.
    #[serde(skip)]
    pub fail_on_gaps: bool,
}

/// Options for [`crate::DataLake::coverage`] and [`crate::DataLake::coverage_all`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CoverageOptions {
    /// A series missing a day is a failure (exit code 1, the CLI's
    /// `--fail-on-gaps`); by default gaps are facts and the result is ok.
    pub fail_on_gaps: bool,
}

/// The series and date of a partition path, if it names one.
pub fn series_of(rel: &Path) -> Option<(String, NaiveDate)> {
    let (date, layout) = partition_layout(rel)?;
    let mut base = rel.to_path_buf();
    let name = match layout {
        Layout::Nested => {
            base.pop();
            base.pop();
            base.pop();
            base
        }
        Layout::Flat => {
            let last = base.file_name()?.as_bytes().to_vec();
            base.pop();
            // `<prefix>_YYYYMMDD`: keep the prefix, unless the name is only a date.
            // The whole-name layouts: `YYYYMMDD`, `YYYY-MM-DD`, `YYYY_MM_DD`, `date=`, `dt=`.
            let separated = last.len() == 10 && matches!(last[4], b'-' | b'_') && last[7] == last[4];
            let whole_date = last.len() == 8 || separated || last.starts_with(b"date=") || last.starts_with(b"dt=");
            if !whole_date && last.len() > 9 {
                base.push(OsStr::from_bytes(&last[..last.len() - 9]));
            }
            base
        }
    };
    let s = name.to_string_lossy().into_owned();
    Some((if s.is_empty() { ".".to_string() } else { s }, date))
}

/// Work out the coverage of the partitions seen by a stats walk.
pub fn analyze(
    profile: &str,
    today: NaiveDate,
    cutoff: NaiveDate,
    partitions: &[PartitionSeen],
    quarantined: &[PathBuf],
) -> Coverage {
    #[derive(Default)]
    struct Acc {
        present: BTreeSet<NaiveDate>,
        partial: BTreeSet<NaiveDate>,
    }
    let mut by_series: BTreeMap<String, Acc> = BTreeMap::new();
    for p in partitions {
        let Some((series, date)) = series_of(&p.rel) else { continue };
        let acc = by_series.entry(series).or_default();
        acc.present.insert(date);
        if p.files == 0 || p.partial {
            acc.partial.insert(date);
        }
    }
    for q in quarantined {
        // The quarantined file's partition: its nearest dated ancestor.
        let found = q.ancestors().skip(1).find_map(series_of);
        if let Some((series, date)) = found {
            by_series.entry(series).or_default().partial.insert(date);
        }
    }
    let latest = by_series.values().filter_map(|a| a.present.iter().next_back()).max().copied();
    let earliest_first = by_series.values().filter_map(|a| a.present.iter().next()).min().copied();
    let mut series = Vec::new();
    for (name, acc) in by_series {
        // A series known only from quarantine: its days are partial, none present.
        let all: BTreeSet<NaiveDate> = acc.present.union(&acc.partial).copied().collect();
        let (Some(&first), Some(&last)) = (all.iter().next(), all.iter().next_back()) else { continue };
        let mut missing = Vec::new();
        if let Some(latest) = latest {
            let mut day = first.max(cutoff);
            while day <= latest {
                if !all.contains(&day) {
                    missing.push(day);
                }
                match day.checked_add_days(Days::new(1)) {
                    Some(next) => day = next,
                    None => break,
                }
            }
        }
        series.push(SeriesCoverage {
            series: name,
            first_day: first,
            last_day: last,
            days_present: all.len() as u64,
            missing_days: missing,
            expired_days: all.iter().filter(|d| **d < cutoff).copied().collect(),
            partial_days: acc.partial.iter().copied().collect(),
            stopped: latest.is_some_and(|l| last < l),
            new: first > cutoff && earliest_first.is_some_and(|e| first > e),
            present: all,
        });
    }
    Coverage {
        profile: profile.to_string(),
        today,
        cutoff_date: cutoff,
        latest_day: latest,
        missing_days: series.iter().map(|s| s.missing_days.len() as u64).sum(),
        series_with_gaps: series.iter().filter(|s| !s.missing_days.is_empty()).count() as u64,
        stopped_series: series.iter().filter(|s| s.stopped).count() as u64,
        new_series: series.iter().filter(|s| s.new).count() as u64,
        partial_days: series.iter().map(|s| s.partial_days.len() as u64).sum(),
        quarantined_files: quarantined.len() as u64,
        series,
        fail_on_gaps: false,
    }
}

impl Coverage {
    /// The coverage as a JSON value: exactly the CLI's `--format json`.
    pub fn to_json_value(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }

    /// The grid: one row per series, one character per day for the last
    /// `days` days up to the latest day (`#` present, `.` missing, `x`
    /// expired not cleaned, `!` partial or quarantined), ANSI colours when
    /// `color`, then the summary line.
    pub fn grid(&self, days: u32, color: bool) -> String {
        let mut out = String::new();
        let Some(latest) = self.latest_day else {
            out.push_str(&self.summary());
            out.push('\n');
            return out;
        };
        let days = days.max(1);
        let start = latest.checked_sub_days(Days::new(u64::from(days - 1))).unwrap_or(NaiveDate::MIN);
        let dates: Vec<NaiveDate> = start.iter_days().take_while(|d| *d <= latest).collect();
        let width = self.series.iter().map(|s| s.series.chars().count()).max().unwrap_or(6).max(6);
        let header = |f: &dyn Fn(NaiveDate) -> char| dates.iter().map(|d| f(*d)).collect::<String>();
        out.push_str(&format!("{:width$}  {} .. {}\n", "series", start.format("%Y-%m-%d"), latest.format("%Y-%m-%d")));
        let tens = header(&|d| char::from(b'0' + (chrono::Datelike::day(&d) / 10) as u8));
        let units = header(&|d| char::from(b'0' + (chrono::Datelike::day(&d) % 10) as u8));
        out.push_str(&format!("{:width$}  {tens}\n{:width$}  {units}\n", "", ""));
        for s in &self.series {
            out.push_str(&format!("{:width$}  ", s.series));
            let mut last_color = "";
            for d in &dates {
                let state = s.state(*d);
                if color && state.color() != last_color {
                    out.push_str(if state.color().is_empty() { "\x1b[0m" } else { state.color() });
                    last_color = state.color();
                }
                out.push(state.symbol());
            }
            if color && !last_color.is_empty() {
                out.push_str("\x1b[0m");
            }
            let mut notes = Vec::new();
            if s.stopped {
                notes.push(format!("stopped after {}", s.last_day));
            }
            if s.new {
                notes.push(format!("new since {}", s.first_day));
            }
            if !s.missing_days.is_empty() {
                notes.push(format!("{} missing", s.missing_days.len()));
            }
            if !notes.is_empty() {
                out.push_str("  ");
                out.push_str(&notes.join(", "));
            }
            out.push('\n');
        }
        out.push_str(&self.summary());
        out.push('\n');
        out
    }

    /// One line: series, missing days, stopped, quarantined, latest day.
    pub fn summary(&self) -> String {
        match self.latest_day {
            None => format!("{}: no dated partitions", self.profile),
            Some(latest) => format!(
                "{}: {} series, {} missing days in {} series, {} stopped, {} new, {} partial days, {} quarantined files; latest day {latest}",
                self.profile,
                self.series.len(),
                self.missing_days,
                self.series_with_gaps,
                self.stopped_series,
                self.new_series,
                self.partial_days,
                self.quarantined_files
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn seen(rel: &str, files: u64) -> PartitionSeen {
        PartitionSeen { rel: rel.into(), date: series_of(Path::new(rel)).unwrap().1, files, partial: false }
    }

    #[test]
    fn series_names() {
        let s = |p: &str| series_of(Path::new(p)).map(|(s, _)| s);
        assert_eq!(s("gate_io_VIRTUAL-USDT_20241128").as_deref(), Some("gate_io_VIRTUAL-USDT"));
        assert_eq!(s("binance/BTC_20241128").as_deref(), Some("binance/BTC"));
        assert_eq!(s("x__20241128").as_deref(), Some("x_"));
        assert_eq!(s("_20241128").as_deref(), Some("."));
        assert_eq!(s("20241128").as_deref(), Some("."));
        assert_eq!(s("bin/2024-11-28").as_deref(), Some("bin"));
        assert_eq!(s("bin/2024_11_28").as_deref(), Some("bin"));
        assert_eq!(s("ex=b/sym=BTC/dt=2024-11-28").as_deref(), Some("ex=b/sym=BTC"));
        assert_eq!(s("trades/2024/11/28").as_deref(), Some("trades"));
        assert_eq!(s("2024/11/28").as_deref(), Some("."));
        assert_eq!(s("trades/year=2024/month=11/day=28").as_deref(), Some("trades"));
        assert_eq!(s("trades/notes"), None);
    }

    #[test]
    fn gaps_stops_new_expired_partial() {
        let parts = vec![
            // a: every day but the 3rd.
            seen("a_20261101", 1),
            seen("a_20261102", 1),
            seen("a_20261104", 1),
            seen("a_20261105", 1),
            // b: stopped after the 3rd; the 2nd is empty.
            seen("b_20261101", 1),
            seen("b_20261102", 0),
            seen("b_20261103", 1),
            // c: back on the 4th after a month; its old day is expired.
            seen("c_20261004", 1),
            seen("c_20261104", 1),
            seen("c_20261105", 1),
            // d: new on the 4th.
            seen("d_20261104", 1),
            seen("d_20261105", 1),
        ];
        let quarantined = vec![PathBuf::from("a_20261105/part_1.parquet")];
        let cov = analyze("p", d("2026-11-05"), d("2026-11-01"), &parts, &quarantined);
        assert_eq!(cov.latest_day, Some(d("2026-11-05")));
        let by: BTreeMap<&str, &SeriesCoverage> = cov.series.iter().map(|s| (s.series.as_str(), s)).collect();
        assert_eq!(by["a"].missing_days, vec![d("2026-11-03")]);
        assert_eq!(by["a"].partial_days, vec![d("2026-11-05")]);
        assert!(!by["a"].stopped);
        assert!(by["b"].stopped);
        assert_eq!(by["b"].missing_days, vec![d("2026-11-04"), d("2026-11-05")]);
        assert_eq!(by["b"].partial_days, vec![d("2026-11-02")]);
        // c's first day is expired: its gap is counted from the cutoff on.
        assert_eq!(by["c"].expired_days, vec![d("2026-10-04")]);
        assert_eq!(by["c"].missing_days, (0..3).map(|i| d("2026-11-01") + Days::new(i)).collect::<Vec<_>>());
        assert!(by["d"].new && by["d"].missing_days.is_empty());
        assert!(!by["a"].new && !by["c"].new);
        assert_eq!(cov.missing_days, 1 + 2 + 3);
        assert_eq!((cov.stopped_series, cov.new_series, cov.series_with_gaps), (1, 1, 3));
        assert_eq!(cov.quarantined_files, 1);
        let grid = cov.grid(5, false);
        assert!(grid.contains("a       ##.#!  1 missing\n"), "{grid}");
        assert!(grid.contains("c       ...##  3 missing\n"), "{grid}");
        assert!(grid.contains("d          ##  new since 2026-11-04\n"), "{grid}");
        assert!(grid.contains("b       #!#..  stopped after 2026-11-03, 2 missing\n"), "{grid}");
        assert!(!grid.contains('\x1b'));
        assert!(cov.grid(5, true).contains("\x1b[31m"));
        assert!(grid.ends_with("latest day 2026-11-05\n"), "{grid}");
    }

    #[test]
    fn new_series_and_layouts() {
        let parts = vec![
            seen("x/2026/11/01", 1),
            seen("x/2026/11/03", 1),
            seen("h/year=2026/month=11/day=02", 1),
            seen("h/year=2026/month=11/day=03", 1),
        ];
        let cov = analyze("p", d("2026-11-03"), d("2026-11-01"), &parts, &[]);
        let by: BTreeMap<&str, &SeriesCoverage> = cov.series.iter().map(|s| (s.series.as_str(), s)).collect();
        assert_eq!(by["x"].missing_days, vec![d("2026-11-02")]);
        assert!(by["h"].new && !by["x"].new);
        assert!(by["h"].missing_days.is_empty());
        assert_eq!(cov.new_series, 1);
    }
}
