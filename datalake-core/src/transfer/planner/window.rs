//! Window computation: from the collector's listing, which entries a run
//! transfers, and whether the run is windowed or full.

use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Days, Local, NaiveDate, Utc};

use crate::config::{Profile, Timezone};
use crate::local::partition::cutoff_date;
use crate::local::partition::{partition_layout, Layout};
use crate::vocab::names::PARTIAL_DIR;

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
pub fn decide(profile: &Profile, listing: Result<&Listing, &str>, req: Request) -> Plan {
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
            let (all, selection, outside) = select(profile, listing, remote_today, req.lake_today);
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
) -> (Vec<Unit>, Vec<Unit>, Vec<Vec<u8>>) {
    let cutoff = cutoff_date(lake_today, profile.retention_days);
    let window_start = remote_today.checked_sub_days(Days::new(u64::from(profile.window_days.max(1) - 1)));
    let window_start = window_start.unwrap_or(NaiveDate::MIN);
    let (mut all, mut selection, mut outside) = (Vec::new(), Vec::new(), Vec::new());
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
                if recent || !profile.local_dir.join(rel).is_dir() {
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
        let plan = decide(&p, Ok(&l), req);
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
        let full = |req: Request, p: &Profile, l: Result<&Listing, &str>| decide(p, l, req).full_reason.unwrap();
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
