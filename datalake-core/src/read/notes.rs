//! The warnings of a catalog: series that do not fit `series_format`,
//! selected partitions past retention, `rsync_args` that let a reader see a
//! half-written file.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use chrono::NaiveDate;

use crate::config::Profile;
use crate::local::partition::cutoff_date;

/// Every warning, in that order. `unfit`: the series read without fields,
/// and those a field filter left out; `partitions`: (date, path) of each selected one.
pub fn warnings<'a>(
    profile: &Profile,
    filters: &BTreeMap<String, Vec<String>>,
    (unfit_read, unfit_left_out): (&BTreeSet<String>, &BTreeSet<String>),
    partitions: impl Iterator<Item = (NaiveDate, &'a Path)>,
    today: NaiveDate,
) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(format) = &profile.series_format {
        let names: Vec<&str> = format.field_names().collect();
        for series in unfit_read {
            out.push(format!(
                "series {series} of profile {} does not fit series_format {:?}: its rows have no {} (null); rename the series or change series_format",
                profile.name,
                format.as_str(),
                names.join(" and ")
            ));
        }
        let filters: Vec<&str> = filters.keys().map(String::as_str).collect();
        for series in unfit_left_out {
            out.push(format!(
                "series {series} of profile {} does not fit series_format {:?}, so the {} filter cannot judge it and it is left out; select it with series= instead",
                profile.name,
                format.as_str(),
                filters.join("/")
            ));
        }
    }
    let cutoff = cutoff_date(today, profile.retention_days);
    let expired: Vec<(NaiveDate, &Path)> = partitions.filter(|(date, _)| *date < cutoff).collect();
    if let Some((_, first)) = expired.iter().min() {
        let n = expired.len();
        out.push(format!(
            "{n} selected partition{} of profile {} {} past retention (before {cutoff}, first {}): cleanup removes them, and a read that meets a removed partition fails and says so",
            if n == 1 { "" } else { "s" },
            profile.name,
            if n == 1 { "is" } else { "are" },
            first.display()
        ));
    }
    if let Some(option) = profile.rsync_args.as_deref().and_then(writes_under_real_names) {
        out.push(format!(
            "profile {} passes rsync {option}, which lets a file appear under its real name before it is complete: a read may meet a half-written file; remove it from rsync_args",
            profile.name
        ));
    }
    out
}

/// The `rsync_args` option that writes incomplete files under their real
/// names, if any (`--inplace`, `--append`, `--partial` without `--partial-dir`).
fn writes_under_real_names(args: &[String]) -> Option<&'static str> {
    let mut partial = false;
    let mut partial_dir = false;
    for word in args {
        match word.as_str() {
            "--inplace" => return Some("--inplace"),
            "--append" | "--append-verify" => return Some("--append"),
            "--partial" => partial = true,
            w if w.starts_with("--partial-dir") => partial_dir = true,
            w if w.starts_with('-') && !w.starts_with("--") && w.contains('P') => partial = true,
            _ => {}
        }
    }
    (partial && !partial_dir).then_some("--partial without --partial-dir")
}
