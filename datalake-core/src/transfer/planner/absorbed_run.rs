//! The exclude patterns of a run over compacted partitions (see
//! [`super::absorbed`]): a full run's check of them, and the fallback by name.

use super::absorbed::{self, Absorbed};
use super::quick_check;
use super::window::{self, Plan};
use crate::config::Profile;
use crate::rsync::process::RunObserver;
use crate::transfer::syncer::Syncer;

const BY_NAME: &str = "the collector's files could not be compared with the table's absorbed parts (the quick check needs GNU find there): absorbed parts were excluded by name, so a part rewritten under an absorbed name is not fetched; `datalake verify --remote` finds such parts";

/// Without a per-file comparison: exclude every part the table absorbed in
/// `units` by name (never fetched again; a part the collector rewrote under an
/// absorbed name waits for `verify --remote`).
pub fn by_name<'u>(absorbed: &Absorbed, units: impl Iterator<Item = &'u [u8]>) -> (Vec<Vec<u8>>, Option<String>) {
    if absorbed.is_empty() {
        return (Vec::new(), None);
    }
    match absorbed.files_in(units) {
        Ok(files) if files.is_empty() => (Vec::new(), None),
        Ok(files) => (
            files.paths().map(|p| absorbed::file_pattern(p)).collect(),
            Some(BY_NAME.to_string()),
        ),
        Err(e) => (Vec::new(), Some(format!("the table's absorbed parts could not be read ({e}); they may be fetched again (the next compaction removes them)"))),
    }
}

/// A full run over compacted partitions: one `find` over them; a partition
/// whose every file is in the lake or absorbed unchanged is excluded whole,
/// in the others the absorbed-unchanged parts are excluded one by one.
pub fn full_run_excludes(
    syncer: &Syncer<'_>,
    profile: &Profile,
    plan: &Plan,
    absorbed: &Absorbed,
    ssh_options: &[String],
    observer: &mut dyn RunObserver,
) -> (Vec<Vec<u8>>, Option<String>) {
    if absorbed.is_empty() {
        return (Vec::new(), None);
    }
    let units: Vec<window::Unit> = match &plan.all_units {
        Some(all) => all.iter().filter(|u| absorbed.holds(&u.path)).cloned().collect(),
        None => absorbed.partitions().map(|p| window::Unit { path: p.clone(), dated: true }).collect(),
    };
    if units.is_empty() {
        return (Vec::new(), None);
    }
    let files = match absorbed.files_in(units.iter().map(|u| u.path.as_slice())) {
        Ok(f) => f,
        Err(e) => return (Vec::new(), Some(format!("the table's absorbed parts could not be read ({e}); they may be fetched again (the next compaction removes them)"))),
    };
    let by_name_patterns: Vec<Vec<u8>> = files.paths().map(|p| absorbed::file_pattern(p)).collect();
    match quick_check::measure(profile, syncer.tools(), ssh_options, &units, files, observer) {
        Ok(m) => {
            let mut out = Vec::new();
            for (slot, unit) in units.iter().enumerate() {
                if m.moving[slot].0 == 0 {
                    out.push(absorbed::dir_pattern(&unit.path));
                } else {
                    out.extend(m.absorbed.iter().filter(|(s, _)| *s == slot).map(|(_, p)| absorbed::file_pattern(p)));
                }
            }
            log::info!(
                "profile {}: {} compacted partition(s) checked against the table's record; {} left out whole",
                profile.name,
                units.len(),
                m.moving.iter().filter(|(f, _)| *f == 0).count()
            );
            (out, None)
        }
        Err(why) => {
            log::info!(
                "profile {}: compacted partitions not compared ({why}); absorbed parts excluded by name",
                profile.name
            );
            (by_name_patterns, Some(BY_NAME.to_string()))
        }
    }
}
