//! Window computation: from the collector's listing, which entries a run
//! transfers, and whether the run is windowed or full.

use std::collections::HashMap;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Days, Local, NaiveDate, Utc};

use crate::config::{Profile, Timezone};
use crate::local::partition::cutoff_date;
use crate::local::partition::{partition_layout, Layout};
use crate::vocab::names::PARTIAL_DIR;

use super::absorbed::Absorbed;
use crate::collector::listing::{is_year, EntryKind, Listing};
use crate::vocab::status::SyncMode;

/// One unit of transfer: a partition, an undated directory or a top-level file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    /// Path relative to remote_root.
    pub path: Vec<u8>,
    /// True for dated partitions.
    pub dated: bool,
}

/// What a run transfers.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Window or full.
    pub mode: SyncMode,
    /// Why the run is full (first sync, asked for, period elapsed, window not computable).
    pub full_reason: Option<String>,
    /// The entries a windowed run transfers (`None`: the whole tree).
    pub selection: Option<Vec<Unit>>,
    /// Every non-expired unit of the tree, when the listing worked (parallel full runs split it).
    pub all_units: Option<Vec<Unit>>,
    /// Dated partitions the run covers.
    pub partitions_covered: u64,
    /// Partitions a window run skips (sorted): files landing there on a full run were missed by the window.
    pub outside_window: Vec<Vec<u8>>,
    /// The collector's today, when read.
    pub remote_today: Option<NaiveDate>,
    /// Notes for the report's warnings (clock skew...).
    pub warnings: Vec<String>,
}

/// Inputs of [`decide`] besides the listing.
#[derive(Debug, Clone, Copy)]
pub struct Request {
    /// `--full` / `full=True` / the C option.
    pub full_requested: bool,
    /// The previous run was a failure ([`crate::vocab::status::SyncStatus::is_failure`]: partial too) or crashed.
    pub previous_incomplete: bool,
    /// From the checkpoint.
    pub last_full_sync: Option<DateTime<Utc>>,
    /// Now, on this machine.
    pub now: DateTime<Utc>,
    /// This machine's today in the profile's calendar (retention counts from it).
    pub lake_today: NaiveDate,
}

/// A collector clock further off than this from ours makes the window unsafe.
const MAX_CLOCK_SKEW_DAYS: i64 = 7;

fn day_in(tz: Timezone, t: DateTime<Utc>) -> NaiveDate {
    match tz {
        Timezone::Utc => t.date_naive(),
        Timezone::Local => t.with_timezone(&Local).date_naive(),
    }
}

fn full_period_elapsed(last: Option<DateTime<Utc>>, now: DateTime<Utc>, every: Duration) -> Option<String> {
    let Some(last) = last else {
        return Some("first sync (no full sync recorded in the checkpoint)".into());
    };
    let age = now.signed_duration_since(last);
    match age.to_std() {
        Ok(age) if age < every => None,
        Ok(_) => Some(format!(
            "the last full sync ({}) is older than full_sync_every ({})",
            last.format("%Y-%m-%d %H:%M:%SZ"),
            humantime::format_duration(every)
        )),
        Err(_) => Some(format!("the last full sync ({}) is in the future: this machine's clock moved back", last)),
    }
}

/// Decide window or full and what to transfer.
/// A partition the table absorbed counts as present in the lake (`absorbed`).
pub fn decide(profile: &Profile, listing: Result<&Listing, &str>, req: Request, absorbed: &Absorbed) -> Plan {
    let mut plan = Plan {
        mode: SyncMode::Full,
        full_reason: None,
        selection: None,
        all_units: None,
        partitions_covered: 0,
        outside_window: Vec::new(),
        remote_today: None,
        warnings: Vec::new(),
    };
    let mut reason = if req.full_requested {
        Some("a full sync was asked for (--full)".to_string())
    } else if profile.window_days == 0 {
        Some("window_days is 0".to_string())
    } else if req.previous_incomplete {
        Some("the previous run did not complete (a new partition may be half-copied)".to_string())
    } else {
        full_period_elapsed(req.last_full_sync, req.now, profile.full_sync_every)
    };
    match listing {
        Err(why) => {
            reason.get_or_insert_with(|| format!("the window could not be computed: {why}"));
        }
        Ok(listing) => {
            let remote_today = day_in(profile.timezone, listing.remote_now);
            plan.remote_today = Some(remote_today);
            let skew = (remote_today - req.lake_today).num_days();
            if skew.abs() > MAX_CLOCK_SKEW_DAYS {
                reason.get_or_insert_with(|| {
                    format!(
                        "the window could not be computed safely: the collector's date ({remote_today}) is {skew} days off this machine's ({}); fix the collector's clock (NTP)",
                        req.lake_today
                    )
                });
            } else if skew != 0 {
                plan.warnings.push(format!(
                    "the collector's date ({remote_today}) differs from this machine's ({}); the window follows the collector's",
                    req.lake_today
                ));
            }
            let (all, selection, outside) = select(profile, listing, remote_today, req.lake_today, absorbed);
            if !all.iter().any(|u| u.dated) {
                reason.get_or_insert_with(|| {
                    "the window could not be computed: no dated partitions at the top of remote_root (or in its YYYY/MM/DD levels)"
                        .into()
                });
            }
            match reason {
                None => {
                    plan.partitions_covered = selection.iter().filter(|u| u.dated).count() as u64;
                    plan.selection = Some(selection);
                }
                Some(_) => plan.partitions_covered = all.iter().filter(|u| u.dated).count() as u64,
            }
            plan.outside_window = outside;
            plan.all_units = Some(all);
        }
    }
    if let Some(reason) = reason {
        plan.full_reason = Some(reason);
    } else {
        plan.mode = SyncMode::Window;
    }
    plan
}

/// (all non-expired units, the window's selection, partitions outside the window).
fn select(
    profile: &Profile,
    listing: &Listing,
    remote_today: NaiveDate,
    lake_today: NaiveDate,
    absorbed: &Absorbed,
) -> (Vec<Unit>, Vec<Unit>, Vec<Vec<u8>>) {
    let cutoff = cutoff_date(lake_today, profile.retention_days);
    let window_start = remote_today.checked_sub_days(Days::new(u64::from(profile.window_days.max(1) - 1)));
    let window_start = window_start.unwrap_or(NaiveDate::MIN);
    let (mut all, mut selection, mut outside) = (Vec::new(), Vec::new(), Vec::new());
    let lake = LakeTop::read(&profile.local_dir);
    for entry in &listing.entries {
        let depth = entry.path.iter().filter(|b| **b == b'/').count() + 1;
        let rel = Path::new(std::ffi::OsStr::from_bytes(&entry.path));
        let layout = partition_layout(rel);
        let dated = match (depth, layout, entry.kind) {
            (1, Some((date, Layout::Flat)), EntryKind::Dir) => Some(date),
            (3, Some((date, Layout::Nested)), EntryKind::Dir) => Some(date),
            _ => None,
        };
        let unit = Unit { path: entry.path.clone(), dated: dated.is_some() };
        match dated {
            Some(date) if date < cutoff => {}
            Some(date) => {
                all.push(unit.clone());
                let recent = date >= window_start;
                let present = lake.holds_dir(&profile.local_dir, &entry.path) || absorbed.holds(&entry.path);
                if recent || !present {
                    selection.push(unit);
                } else {
                    outside.push(entry.path.clone());
                }
            }
            None => {
                let first = entry.path.split(|b| *b == b'/').next().unwrap_or_default();
                let container =
                    entry.kind == EntryKind::Dir && is_year(first) && (depth < 3 || depth == 3 && layout.is_none());
                // Nested year and month directories are containers: their day
                // partitions are units. Anything else undated goes every run.
                if (depth == 1 && entry.path == PARTIAL_DIR.as_bytes()) || (depth < 3 && container) {
                    continue;
                }
                all.push(unit.clone());
                selection.push(unit);
            }
        }
    }
    outside.sort();
    (all, selection, outside)
}

/// The lake's top-level directories, read once: whether a flat partition is
/// in the lake is then a lookup, not one `stat` per listed partition (3,000
/// on every hourly run of a big lake). Values: whether the entry is a symlink.
struct LakeTop(HashMap<Vec<u8>, bool>);

impl LakeTop {
    /// The directories and symlinks at the top of `local_dir`; none when it
    /// cannot be read (nothing is then present).
    fn read(local_dir: &Path) -> LakeTop {
        let entries = std::fs::read_dir(local_dir).into_iter().flatten().flatten();
        let kinds = entries.filter_map(|e| {
            let kind = e.file_type().ok().filter(|t| t.is_dir() || t.is_symlink())?;
            Some((e.file_name().into_vec(), kind.is_symlink()))
        });
        LakeTop(kinds.collect())
    }

    /// Whether `rel` is a directory of the lake, following a symlink as
    /// `Path::is_dir` does. Nested partitions are looked up on disk.
    fn holds_dir(&self, local_dir: &Path, rel: &[u8]) -> bool {
        let on_disk = || local_dir.join(std::ffi::OsStr::from_bytes(rel)).is_dir();
        match (rel.contains(&b'/'), self.0.get(rel)) {
            (true, _) => on_disk(),
            (false, Some(true)) => on_disk(),
            (false, Some(false)) => true,
            (false, None) => false,
        }
    }
}

/// The partition a transferred file (path relative to remote_root) belongs to,
/// if it is one the window skipped.
pub fn missed_by_window(outside: &[Vec<u8>], name: &[u8]) -> bool {
    let mut parts = name.split(|b| *b == b'/');
    let one = parts.next().unwrap_or_default();
    if outside.binary_search_by(|p| p.as_slice().cmp(one)).is_ok() {
        return true;
    }
    // Nested: the first three components.
    let three: usize = name.iter().enumerate().filter(|(_, b)| **b == b'/').nth(2).map_or(0, |(i, _)| i);
    three > 0 && outside.binary_search_by(|p| p.as_slice().cmp(&name[..three])).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collector::listing::Entry;
    use crate::config::test_support::test_profile;

    fn listing(now: &str, entries: &[(&str, EntryKind)]) -> Listing {
        Listing {
            remote_now: DateTime::parse_from_rfc3339(now).unwrap().with_timezone(&Utc),
            entries: entries.iter().map(|(p, k)| Entry { path: p.as_bytes().to_vec(), kind: *k }).collect(),
        }
    }

    fn paths(units: &[Unit]) -> Vec<String> {
        units.iter().map(|u| String::from_utf8_lossy(&u.path).into_owned()).collect()
    }

    #[test]
    fn the_lake_holds_directories_and_symlinks_to_them_not_files() {
        let dir = tempfile::tempdir().unwrap();
        let lake = dir.path();
        std::fs::create_dir_all(lake.join("x_20261120")).unwrap();
        std::fs::create_dir_all(lake.join("2026/11/20")).unwrap();
        std::fs::create_dir_all(dir.path().join("elsewhere")).unwrap();
        std::os::unix::fs::symlink(dir.path().join("elsewhere"), lake.join("x_20261121")).unwrap();
        std::os::unix::fs::symlink(dir.path().join("nowhere"), lake.join("x_20261122")).unwrap();
        std::fs::write(lake.join("x_20261123"), b"a file").unwrap();
        let top = LakeTop::read(lake);
        for (rel, held) in [
            ("x_20261120", true),
            ("x_20261121", true),
            ("x_20261122", false),
            ("x_20261123", false),
            ("x_20261124", false),
            ("2026/11/20", true),
            ("2026/11/21", false),
        ] {
            assert_eq!(top.holds_dir(lake, rel.as_bytes()), held, "{rel}");
            assert_eq!(lake.join(rel).is_dir(), held, "{rel}: as Path::is_dir says");
        }
        assert!(!LakeTop::read(&lake.join("missing")).holds_dir(&lake.join("missing"), b"x_20261120"));
    }

    #[test]
    fn window_selects_recent_new_and_undated() {
        let dir = tempfile::tempdir().unwrap();
        let mut p = test_profile(dir.path(), 30);
        p.window_days = 2;
        for existing in ["x_20261120", "x_20261129", "2026/11/20"] {
            std::fs::create_dir_all(dir.path().join(existing)).unwrap();
        }
        let d = EntryKind::Dir;
        let l = listing(
            "2026-11-30T01:00:00Z",
            &[
                ("x_20261001", d), // expired
                ("x_20261120", d), // old, present locally: outside
                ("x_20261121", d), // old, missing locally: new partition
                ("x_20261129", d), // yesterday
                ("x_20261130", d), // today
                ("meta", d),       // undated
                ("README", EntryKind::File),
                ("2026", d),
                ("2026/11", d),
                ("2026/11/20", d),
                ("2026/11/30", d),
                (".rsync-partial", d),
            ],
        );
        let now = l.remote_now;
        let req = Request {
            full_requested: false,
            previous_incomplete: false,
            last_full_sync: Some(now),
            now,
            lake_today: now.date_naive(),
        };
        let plan = decide(&p, Ok(&l), req, &Absorbed::default());
        assert_eq!(plan.mode, SyncMode::Window, "{:?}", plan.full_reason);
        assert_eq!(
            paths(plan.selection.as_ref().unwrap()),
            ["x_20261121", "x_20261129", "x_20261130", "meta", "README", "2026/11/30"]
        );
        assert_eq!(plan.partitions_covered, 4);
        assert_eq!(plan.outside_window, [b"2026/11/20".to_vec(), b"x_20261120".to_vec()]);
        assert!(missed_by_window(&plan.outside_window, b"x_20261120/part_9.parquet"));
        assert!(missed_by_window(&plan.outside_window, b"2026/11/20/a.parquet"));
        assert!(!missed_by_window(&plan.outside_window, b"x_20261130/part_9.parquet"));
        assert_eq!(plan.all_units.as_ref().unwrap().len(), 8);

        // Full runs: asked for, first sync, period elapsed, no listing, window 0.
        let full = |req: Request, p: &Profile, l: Result<&Listing, &str>| {
            decide(p, l, req, &Absorbed::default()).full_reason.unwrap()
        };
        assert!(full(Request { full_requested: true, ..req }, &p, Ok(&l)).contains("asked"));
        assert!(full(Request { last_full_sync: None, ..req }, &p, Ok(&l)).contains("first sync"));
        assert!(full(Request { previous_incomplete: true, ..req }, &p, Ok(&l)).contains("did not complete"));
        let old = now - chrono::Duration::hours(25);
        assert!(full(Request { last_full_sync: Some(old), ..req }, &p, Ok(&l)).contains("full_sync_every (1day)"));
        assert!(full(req, &p, Err("ssh: connection refused")).contains("connection refused"));
        let mut zero = p.clone();
        zero.window_days = 0;
        assert!(full(req, &zero, Ok(&l)).contains("window_days is 0"));
        let far = Request { lake_today: now.date_naive() + Days::new(30), ..req };
        assert!(full(far, &p, Ok(&l)).contains("NTP"));
    }
}
