//! Retention against real trees: layouts, dry runs, symlinks, mounts, permissions.

use super::*;
use crate::config::test_support::test_profile;
use crate::local::partition::partition_date;
use crate::rsync::process::{RunObserver, Unobserved};
use crate::vocab::progress::Progress;
use std::collections::BTreeMap;
use std::os::unix::fs::symlink;
use std::time::Duration;
use walkdir::WalkDir;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn write(path: &Path, len: usize) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, vec![b'x'; len]).unwrap();
}

fn set_mtime(path: &Path, t: SystemTime) {
    fs::File::options().write(true).open(path).unwrap().set_modified(t).unwrap();
}

/// Every entry below `root`: relative path -> (kind, size, symlink target).
fn snapshot(root: &Path) -> BTreeMap<PathBuf, String> {
    WalkDir::new(root)
        .follow_links(false)
        .into_iter()
        .map(|e| e.unwrap())
        .map(|e| {
            let m = e.metadata().unwrap();
            let desc = if e.file_type().is_symlink() {
                format!("link->{}", fs::read_link(e.path()).unwrap().display())
            } else if m.is_dir() {
                "dir".to_string()
            } else {
                format!("file {} {:?}", m.len(), m.modified().unwrap())
            };
            (e.path().strip_prefix(root).unwrap().to_path_buf(), desc)
        })
        .collect()
}

fn rels(root: &Path, paths: &[PathBuf]) -> Vec<String> {
    paths.iter().map(|p| p.strip_prefix(root).unwrap().to_string_lossy().into_owned()).collect()
}

const TODAY: &str = "2024-03-10";

/// A lake in every layout: days 2024-03-01 ..= 2024-03-10 (10 days).
fn every_layout(root: &Path) {
    for day in 1..=10u32 {
        let date = NaiveDate::from_ymd_opt(2024, 3, day).unwrap();
        for rel in [
            date.format("gate_io_BTC-USDT_%Y%m%d").to_string(),
            date.format("binance/%Y%m%d").to_string(),
            date.format("dash/%Y-%m-%d").to_string(),
            date.format("under/%Y_%m_%d").to_string(),
            date.format("hive/date=%Y-%m-%d").to_string(),
            date.format("hive2/dt=%Y-%m-%d").to_string(),
            date.format("nested/%Y/%m/%d").to_string(),
            date.format("%Y/%m/%d").to_string(),
            date.format("kv/year=%Y/month=%m/day=%d").to_string(),
        ] {
            write(&root.join(&rel).join("part_00001.parquet"), 100);
            write(&root.join(&rel).join("sub/part_00002.parquet"), 10);
        }
    }
}

#[test]
fn cutoff() {
    assert_eq!(cutoff_date(d("2024-03-10"), 1), d("2024-03-10"));
    assert_eq!(cutoff_date(d("2024-03-10"), 3), d("2024-03-08"));
    assert_eq!(cutoff_date(d("2024-03-01"), 30), d("2024-02-01"));
    assert_eq!(cutoff_date(d("2024-03-10"), 0), d("2024-03-10"));
    assert_eq!(cutoff_date(NaiveDate::MIN, 5), NaiveDate::MIN);
    assert_eq!(cutoff_date(d("2024-03-10"), u32::MAX), NaiveDate::MIN);
}

#[test]
fn missing_dir_is_an_empty_report() {
    let tmp = tempfile::tempdir().unwrap();
    let r = clean(&test_profile(&tmp.path().join("nope"), 3), d(TODAY), false, &mut Unobserved).unwrap();
    assert_eq!((r.deleted_dirs, r.deleted_files, r.freed_bytes), (0, 0, 0));
    assert_eq!(r.cutoff_date, d("2024-03-08"));
    assert!(r.skipped.is_empty() && r.warnings.is_empty() && r.deleted.is_empty());
}

#[test]
fn file_instead_of_dir_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("f");
    write(&file, 1);
    let err = clean(&test_profile(&file, 3), d(TODAY), false, &mut Unobserved).unwrap_err();
    assert_eq!(err.kind(), crate::vocab::error::ErrorKind::Io);
    assert!(err.to_string().contains("local_subdir"), "{err}");
}

#[test]
fn every_layout_and_dry_run() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("lake");
    every_layout(&root);
    let profile = test_profile(&root, 3);
    let before = snapshot(&root);

    let dry = clean(&profile, d(TODAY), true, &mut Unobserved).unwrap();
    assert_eq!(snapshot(&root), before, "a dry run changes nothing");
    assert!(dry.dry_run);

    let real = clean(&profile, d(TODAY), false, &mut Unobserved).unwrap();
    assert!(!real.dry_run);
    // Same report apart from timing and the flag.
    let strip = |r: &CleanupReport| CleanupReport { duration_seconds: 0.0, dry_run: false, ..r.clone() };
    assert_eq!(strip(&dry), strip(&real));

    // 7 expired days (03-01..03-07) x 9 layouts, 2 files each.
    assert_eq!(real.cutoff_date, d("2024-03-08"));
    assert_eq!(real.deleted_dirs, 63);
    assert_eq!(real.deleted_files, 126);
    assert_eq!(real.freed_bytes, 63 * 110);
    assert_eq!(real.deleted_paths.len(), 63);
    assert_eq!(real.deleted.len(), 63);
    assert!(real.deleted.iter().all(|x| x.files == 2 && x.bytes == 110 && x.date.unwrap() < d("2024-03-08")));
    assert!(real.skipped.is_empty(), "{:?}", real.skipped);
    assert!(real.warnings.is_empty(), "{:?}", real.warnings);
    let mut sorted = real.deleted_paths.clone();
    sorted.sort();
    assert_eq!(sorted, real.deleted_paths);
    assert!(rels(&root, &real.deleted_paths).contains(&"kv/year=2024/month=03/day=01".to_string()));

    let after = snapshot(&root);
    for rel in before.keys() {
        let date = partition_date(rel)
            .or_else(|| rel.ancestors().find_map(|a| partition_date(a).filter(|_| !a.as_os_str().is_empty())));
        let gone = date.is_some_and(|x| x < d("2024-03-08"));
        assert_eq!(!after.contains_key(rel), gone, "{}", rel.display());
    }
    // Nested parents are still there (they hold the kept days).
    assert!(root.join("2024/03").is_dir() && root.join("kv/year=2024/month=03").is_dir());

    // Idempotent.
    let again = clean(&profile, d(TODAY), false, &mut Unobserved).unwrap();
    assert_eq!((again.deleted_dirs, again.deleted_files), (0, 0));
}

#[test]
fn nested_empty_parents_are_removed() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("lake");
    for rel in ["2023/12/30", "2023/12/31", "2024/01/01", "2024/03/09", "ex/2023/11/05", "ex/year=2023/month=10/day=01"]
    {
        write(&root.join(rel).join("f"), 1);
    }
    write(&root.join("2024/01/notes.txt"), 1);
    let r = clean(&test_profile(&root, 3), d(TODAY), false, &mut Unobserved).unwrap();
    assert_eq!(r.deleted_dirs, 5);
    assert!(!root.join("2023").exists(), "empty year and month go");
    assert!(root.join("2024/01/notes.txt").exists(), "a month with other content stays");
    assert!(!root.join("2024/01/01").exists());
    assert!(root.join("2024/03/09/f").exists());
    assert!(root.join("ex").is_dir(), "the undated directory above the year stays");
    assert_eq!(fs::read_dir(root.join("ex")).unwrap().count(), 0);
}

#[test]
fn undated_dirs_and_top_level_files_are_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("lake");
    write(&root.join("x_20240101/f"), 5);
    write(&root.join("x_20240309/f"), 5);
    write(&root.join("README_20200101"), 5); // a file, not a directory
    write(&root.join("20200101.parquet"), 5);
    write(&root.join("meta/schema.json"), 5);
    write(&root.join("old_stuff/2019/f"), 5);
    write(&root.join("x_20241341/f"), 5); // impossible date
    fs::create_dir_all(root.join("empty_undated")).unwrap();
    let r = clean(&test_profile(&root, 3), d(TODAY), false, &mut Unobserved).unwrap();
    assert_eq!(rels(&root, &r.deleted_paths), ["x_20240101"]);
    for kept in ["README_20200101", "20200101.parquet", "meta/schema.json", "old_stuff/2019/f", "x_20241341/f"] {
        assert!(root.join(kept).exists(), "{kept}");
    }
    assert!(root.join("empty_undated").is_dir());
}

#[test]
fn newest_day_is_kept_even_if_expired() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("lake");
    for rel in ["a_20240101", "a_20240102", "a_20240103", "b_20240103", "2024/01/03", "a_20240103/.rsync-partial/p"] {
        write(&root.join(rel).join("f"), 7);
    }
    let old = start_of_day(d("2024-01-04"), Timezone::Utc);
    set_mtime(&root.join("a_20240103/.rsync-partial/p/f"), old);
    write(&root.join("a_20240103/.rsync-partial/stale"), 9);
    set_mtime(&root.join("a_20240103/.rsync-partial/stale"), old);

    let r = clean(&test_profile(&root, 3), d(TODAY), false, &mut Unobserved).unwrap();
    assert_eq!(rels(&root, &r.deleted_paths), ["a_20240101", "a_20240102"]);
    assert_eq!(r.warnings, ["newest partition 2024-01-03 is past retention but kept: the collector may have stopped"]);
    let skipped = rels(&root, &r.skipped.iter().map(|s| s.path.clone()).collect::<Vec<_>>());
    assert_eq!(skipped, ["2024/01/03", "a_20240103", "b_20240103"]);
    for kept in ["a_20240103/f", "b_20240103/f", "2024/01/03/f"] {
        assert!(root.join(kept).exists(), "{kept}");
    }
    // Old partial leftovers in the kept day still go; subdirectories of a
    // partial dir are not rsync's and stay.
    assert!(!root.join("a_20240103/.rsync-partial/stale").exists());
    assert!(root.join("a_20240103/.rsync-partial/p/f").exists());
    assert_eq!(r.deleted_files, 2 + 1);
    assert_eq!(r.freed_bytes, 14 + 9);
}

#[test]
fn partial_leftovers() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("lake");
    let cutoff = start_of_day(d("2024-03-08"), Timezone::Utc);
    let kept = root.join("x_20240309/.rsync-partial");
    let deep = root.join("x_20240309/sub/.rsync-partial/old");
    write(&deep, 4);
    set_mtime(&deep, cutoff - Duration::from_secs(1));
    write(&kept.join("old.parquet"), 1000);
    set_mtime(&kept.join("old.parquet"), cutoff - Duration::from_secs(1));
    write(&kept.join("fresh.parquet"), 500);
    set_mtime(&kept.join("fresh.parquet"), cutoff);
    let top = root.join(".rsync-partial");
    write(&top.join("a"), 10);
    write(&top.join("b"), 20);
    set_mtime(&top.join("a"), cutoff - Duration::from_secs(86400));
    set_mtime(&top.join("b"), cutoff - Duration::from_secs(86400));
    // Inside an expired partition: goes with it.
    write(&root.join("x_20240101/.rsync-partial/z"), 3);

    let before = snapshot(&root);
    let dry = clean(&test_profile(&root, 3), d(TODAY), true, &mut Unobserved).unwrap();
    assert_eq!(snapshot(&root), before);

    let r = clean(&test_profile(&root, 3), d(TODAY), false, &mut Unobserved).unwrap();
    assert_eq!((dry.deleted_files, dry.freed_bytes), (r.deleted_files, r.freed_bytes));
    assert_eq!(r.deleted_files, 1 + 1 + 2 + 1);
    assert_eq!(r.freed_bytes, 1000 + 4 + 30 + 3);
    assert!(!deep.parent().unwrap().exists());
    assert_eq!(r.deleted_dirs, 1);
    assert!(!kept.join("old.parquet").exists());
    assert!(kept.join("fresh.parquet").exists());
    assert!(!top.exists(), "an emptied partial dir is removed");
    let partial: Vec<_> = r.deleted.iter().filter(|x| x.date.is_none()).map(|x| (x.path.clone(), x.bytes)).collect();
    assert_eq!(partial, [(top.clone(), 30), (kept.clone(), 1000), (deep.parent().unwrap().to_path_buf(), 4)]);
}

#[test]
fn symlinked_partitions_are_not_followed() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("lake");
    let outside = tmp.path().join("elsewhere");
    write(&outside.join("x_20240101/f"), 5);
    write(&outside.join("plain/f"), 5);
    write(&root.join("x_20240309/f"), 5);
    fs::create_dir_all(&root).unwrap();
    // A link named like an expired partition, and one pointing at one.
    symlink(outside.join("plain"), root.join("y_20240101")).unwrap();
    symlink(outside.join("x_20240101"), root.join("latest")).unwrap();
    symlink(outside.join("plain"), root.join("plain_link")).unwrap();
    let before = snapshot(&outside);

    for dry_run in [true, false] {
        let r = clean(&test_profile(&root, 3), d(TODAY), dry_run, &mut Unobserved).unwrap();
        assert_eq!(r.deleted_dirs, 0);
        let mut skipped: Vec<_> =
            r.skipped.iter().map(|s| (s.path.file_name().unwrap().to_str().unwrap(), s.reason.clone())).collect();
        skipped.sort();
        assert_eq!(skipped.len(), 2, "{skipped:?}");
        assert_eq!(skipped[0].0, "latest");
        assert!(skipped[0].1.starts_with("symbolic link to partition "), "{}", skipped[0].1);
        assert_eq!(skipped[1].0, "y_20240101");
        assert!(skipped[1].1.contains("not followed"));
    }
    assert_eq!(snapshot(&outside), before);
    assert!(fs::symlink_metadata(root.join("y_20240101")).unwrap().file_type().is_symlink());
}

#[test]
fn symlinks_inside_expired_partitions_are_removed_not_followed() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("lake");
    let outside = tmp.path().join("precious");
    write(&outside.join("data/f"), 1000);
    write(&outside.join("file"), 1000);
    write(&root.join("x_20240101/f"), 5);
    write(&root.join("x_20240309/f"), 5);
    symlink(outside.join("data"), root.join("x_20240101/dirlink")).unwrap();
    symlink(outside.join("file"), root.join("x_20240101/filelink")).unwrap();
    symlink("/nonexistent/dangling", root.join("x_20240101/dangling")).unwrap();
    let before = snapshot(&outside);

    let r = clean(&test_profile(&root, 3), d(TODAY), false, &mut Unobserved).unwrap();
    assert_eq!(rels(&root, &r.deleted_paths), ["x_20240101"]);
    assert_eq!(r.deleted_files, 4, "1 file and 3 links");
    assert_eq!(r.freed_bytes, 5, "link targets are not counted");
    assert!(!root.join("x_20240101").exists());
    assert_eq!(snapshot(&outside), before, "link targets are untouched");
}

#[test]
fn symlinked_profile_dir_is_cleaned() {
    let tmp = tempfile::tempdir().unwrap();
    let real = tmp.path().join("big_disk/lake");
    write(&real.join("x_20240101/f"), 5);
    write(&real.join("x_20240309/f"), 5);
    let link = tmp.path().join("lake");
    symlink(&real, &link).unwrap();
    let r = clean(&test_profile(&link, 3), d(TODAY), false, &mut Unobserved).unwrap();
    assert_eq!(rels(&link, &r.deleted_paths), ["x_20240101"]);
    assert!(!real.join("x_20240101").exists());
}

#[test]
fn unreadable_dirs_are_reported_and_kept() {
    // Root reads everything; capabilities are per thread on Linux, so drop
    // the read overrides for this test's thread only and root sees what a user sees.
    if nix::unistd::geteuid().is_root() {
        for cap in [caps::Capability::CAP_DAC_OVERRIDE, caps::Capability::CAP_DAC_READ_SEARCH] {
            caps::drop(None, caps::CapSet::Effective, cap).expect("drop capability in this thread");
        }
    }
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("lake");
    write(&root.join("locked/x_20240101/f"), 5);
    fs::set_permissions(root.join("locked"), fs::Permissions::from_mode(0o000)).unwrap();
    let r = clean(&test_profile(&root, 3), d(TODAY), false, &mut Unobserved).unwrap();
    fs::set_permissions(root.join("locked"), fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(r.deleted_dirs, 0);
    assert_eq!(r.skipped.len(), 1);
    assert!(root.join("locked/x_20240101/f").exists());
}

/// Unmounts on drop, so a failing assertion does not leak a mount.
struct Mount(PathBuf);
impl Drop for Mount {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
    }
}

fn mount_tmpfs(at: &Path) -> Option<Mount> {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("not root: cannot mount a tmpfs to test filesystem boundaries");
        return None;
    }
    fs::create_dir_all(at).unwrap();
    let status =
        std::process::Command::new("mount").args(["-t", "tmpfs", "-o", "size=1m", "tmpfs"]).arg(at).status().unwrap();
    assert!(status.success(), "mount tmpfs at {} failed", at.display());
    Some(Mount(at.to_path_buf()))
}

#[test]
fn other_filesystems_are_not_entered() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("lake");
    write(&root.join("x_20240309/f"), 5);
    // A mount point that is an expired partition, one below an undated
    // dir, and one inside an expired partition.
    let Some(m1) = mount_tmpfs(&root.join("x_20240101")) else { return };
    write(&m1.0.join("f"), 5);
    let Some(m2) = mount_tmpfs(&root.join("mnt")) else { return };
    write(&m2.0.join("y_20240101/f"), 5);
    write(&root.join("z_20240101/keep/f"), 5);
    write(&root.join("z_20240101/other/f"), 5);
    let Some(m3) = mount_tmpfs(&root.join("z_20240101/keep/m")) else { return };
    write(&m3.0.join("g"), 5);

    let r = clean(&test_profile(&root, 3), d(TODAY), false, &mut Unobserved).unwrap();
    assert_eq!(r.deleted_dirs, 0);
    let mut skipped = rels(&root, &r.skipped.iter().map(|s| s.path.clone()).collect::<Vec<_>>());
    skipped.sort();
    assert_eq!(skipped, ["mnt", "x_20240101", "z_20240101/keep/m"]);
    assert!(r.skipped.iter().all(|s| s.reason.contains("mount point")));
    assert!(m1.0.join("f").exists() && m2.0.join("y_20240101/f").exists() && m3.0.join("g").exists());
    // Around the inner mount, the expired partition's other content went.
    assert!(!root.join("z_20240101/other").exists() && !root.join("z_20240101/keep/f").exists());
    assert_eq!(r.deleted_files, 2);
}

/// Cancels at the first progress report, and counts the reports.
#[derive(Default)]
struct CancelAtFirstProgress {
    reports: Vec<Progress>,
    polls: usize,
}

impl RunObserver for CancelAtFirstProgress {
    fn progress(&mut self, progress: &Progress) {
        self.reports.push(progress.clone());
    }
    fn should_cancel(&mut self) -> bool {
        self.polls += 1;
        !self.reports.is_empty()
    }
}

#[test]
fn progress_per_partition_and_a_stop_between_two() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("lake");
    for day in 1..=9 {
        write(&root.join(format!("x_2024010{day}/f")), 10);
    }
    write(&root.join("x_20240309/f"), 5);

    let mut watch = CancelAtFirstProgress::default();
    let err = clean(&test_profile(&root, 3), d(TODAY), false, &mut watch).unwrap_err();
    assert_eq!(err.kind(), crate::vocab::error::ErrorKind::Interrupted);
    assert_eq!(
        err.to_string(),
        format!(
            "cleanup of profile {} was interrupted; partial data is kept and the next run resumes it",
            test_profile(&root, 3).name
        )
    );
    // The first partition went and was reported; the stop came before the second.
    let [first] = watch.reports.as_slice() else { panic!("{:?}", watch.reports) };
    assert_eq!((first.files_done, first.bytes_done), (1, 10));
    assert_eq!(first.current_file.as_deref(), Some("x_20240101"));
    assert!(!root.join("x_20240101").exists() && root.join("x_20240102").exists());

    // Unobserved, the next cleanup finishes the job.
    let r = clean(&test_profile(&root, 3), d(TODAY), false, &mut Unobserved).unwrap();
    assert_eq!(r.deleted_dirs, 8);
}
