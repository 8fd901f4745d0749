//! The files that get their final name below a directory while another
//! process fills it: how the landing area learns which files rsync finished
//! without asking rsync to name them. A line per file (`--out-format`) costs
//! rsync itself about an eighth of a first sync of small files: its receiver
//! hands each name to its generator, which prints it.
//!
//! rsync writes a file under a temporary name and renames it to its real
//! name once its data and modification time are in place, so a rename into a
//! watched directory (inotify's `IN_MOVED_TO`) is the moment a file is
//! finished. Directories are watched as they appear (`IN_CREATE`) and listed
//! once watched, for what arrived before the watch. When the kernel's queue
//! overflowed, every watched directory is listed again. A directory that
//! could not be watched (the user's inotify limit) is only reported by
//! [`TreeWatch::incomplete`]: its files are found by whoever walks the tree
//! at the end, as the landing area's last sweep does.

use std::collections::HashMap;
use std::ffi::{OsStr, OsString};
use std::io;
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify, WatchDescriptor};

/// What a name below the root is to the watcher.
pub trait Names {
    /// A directory not to watch (rsync's partial folder).
    fn skip_dir(&self, name: &OsStr) -> bool;
    /// For a file still being written (rsync's temporary name), the name it
    /// will have once finished.
    fn in_progress(&self, name: &OsStr) -> Option<OsString>;
}

/// A directory tree under watch.
pub struct TreeWatch<N> {
    inotify: Inotify,
    root: PathBuf,
    names: N,
    /// Each watched directory, relative to the root.
    dirs: HashMap<WatchDescriptor, PathBuf>,
    incomplete: bool,
    /// The file whose writing started last, under the name it will have.
    receiving: Option<PathBuf>,
}

impl<N: Names> TreeWatch<N> {
    /// Watch `root` (which must exist) and every directory below it; the
    /// files already there are added to `found` (relative to `root`).
    pub fn new(root: &Path, names: N, found: &mut Vec<PathBuf>) -> io::Result<TreeWatch<N>> {
        let inotify = Inotify::init(InitFlags::IN_NONBLOCK | InitFlags::IN_CLOEXEC)?;
        let mut watch = TreeWatch {
            inotify,
            root: root.to_path_buf(),
            names,
            dirs: HashMap::new(),
            incomplete: false,
            receiving: None,
        };
        let top = watch.inotify.add_watch(root, mask())?;
        watch.dirs.insert(top, PathBuf::new());
        watch.list(Path::new(""), found);
        Ok(watch)
    }

    /// The file being written that started last (relative to the root, under
    /// the name it will have), as of the last [`TreeWatch::take`].
    pub fn receiving(&self) -> Option<&Path> {
        self.receiving.as_deref()
    }

    /// Whether a directory went unwatched: some finished files were not reported.
    pub fn incomplete(&self) -> bool {
        self.incomplete
    }

    /// Add the files finished since the last call to `found` (relative to
    /// the root; a file may come twice when it was renamed while its
    /// directory was being listed). Never waits: the caller looks again when
    /// it likes, and a watch nobody waits on costs rsync no wake-ups.
    /// `Ok(false)`: nothing happened.
    pub fn take(&mut self, found: &mut Vec<PathBuf>) -> io::Result<bool> {
        let mut any = false;
        loop {
            let events = match self.inotify.read_events() {
                Ok(events) => events,
                Err(Errno::EAGAIN) => return Ok(any),
                Err(e) => return Err(e.into()),
            };
            for event in events {
                any = true;
                self.event(event, found);
            }
        }
    }

    fn event(&mut self, event: nix::sys::inotify::InotifyEvent, found: &mut Vec<PathBuf>) {
        let mask = event.mask;
        if mask.contains(AddWatchFlags::IN_Q_OVERFLOW) {
            // Events were dropped: look at everything again.
            let dirs: Vec<PathBuf> = self.dirs.values().cloned().collect();
            for dir in dirs {
                self.list_files(&dir, found);
            }
            return;
        }
        if mask.contains(AddWatchFlags::IN_IGNORED) {
            self.dirs.remove(&event.wd);
            return;
        }
        let (Some(dir), Some(name)) = (self.dirs.get(&event.wd), event.name) else { return };
        let rel = dir.join(&name);
        if mask.contains(AddWatchFlags::IN_ISDIR) {
            if !self.names.skip_dir(&name) {
                self.watch_dir(&rel, found);
            }
        } else if mask.contains(AddWatchFlags::IN_MOVED_TO) {
            found.push(rel);
        } else if let Some(finished) = self.names.in_progress(&name) {
            self.receiving = Some(dir.join(finished));
        }
    }

    /// Watch the directory `rel` (new, or moved in) and list it.
    fn watch_dir(&mut self, rel: &Path, found: &mut Vec<PathBuf>) {
        match self.inotify.add_watch(&self.root.join(rel), mask()) {
            Ok(wd) => {
                self.dirs.insert(wd, rel.to_path_buf());
            }
            // Gone already: nothing to report.
            Err(Errno::ENOENT | Errno::ENOTDIR) => return,
            Err(e) => {
                if !self.incomplete {
                    log::debug!("cannot watch {} ({e}): its files are found at the end", self.root.join(rel).display());
                }
                self.incomplete = true;
            }
        }
        self.list(rel, found);
    }

    /// Report the finished files in `rel` and watch the directories below it.
    fn list(&mut self, rel: &Path, found: &mut Vec<PathBuf>) {
        for (name, is_dir) in self.entries(rel) {
            match is_dir {
                true if !self.names.skip_dir(&name) => self.watch_dir(&rel.join(&name), found),
                true => {}
                false => match self.names.in_progress(&name) {
                    Some(finished) => self.receiving = Some(rel.join(finished)),
                    None => found.push(rel.join(&name)),
                },
            }
        }
    }

    fn list_files(&self, rel: &Path, found: &mut Vec<PathBuf>) {
        let finished = |name: &OsStr| self.names.in_progress(name).is_none();
        let files = self.entries(rel).into_iter().filter(|(name, is_dir)| !is_dir && finished(name));
        found.extend(files.map(|(name, _)| rel.join(name)));
    }

    /// The names in `rel` and whether each is a directory (not following links).
    fn entries(&self, rel: &Path) -> Vec<(std::ffi::OsString, bool)> {
        let Ok(read) = std::fs::read_dir(self.root.join(rel)) else { return Vec::new() };
        read.flatten().map(|e| (e.file_name(), e.file_type().is_ok_and(|t| t.is_dir()))).collect()
    }
}

fn mask() -> AddWatchFlags {
    AddWatchFlags::IN_MOVED_TO | AddWatchFlags::IN_CREATE | AddWatchFlags::IN_ONLYDIR | AddWatchFlags::IN_DONT_FOLLOW
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::ffi::OsStrExt;

    struct Rsync;
    impl Names for Rsync {
        fn skip_dir(&self, name: &OsStr) -> bool {
            name == "skipped"
        }
        fn in_progress(&self, name: &OsStr) -> Option<OsString> {
            crate::vocab::names::rsync_final_name(name.as_bytes()).map(|n| OsStr::from_bytes(n).to_os_string())
        }
    }

    /// Write `rel` the way rsync does: under a temporary name, then renamed.
    fn land(root: &Path, rel: &str) {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let temp = path.with_file_name(format!(".{}.AbC123", path.file_name().unwrap().to_str().unwrap()));
        std::fs::write(&temp, b"data").unwrap();
        std::fs::rename(&temp, &path).unwrap();
    }

    fn drain(watch: &mut TreeWatch<Rsync>) -> Vec<String> {
        let mut found = Vec::new();
        while watch.take(&mut found).unwrap() {}
        let mut names: Vec<String> = found.iter().map(|p| p.display().to_string()).collect();
        names.sort();
        names.dedup();
        names
    }

    #[test]
    fn files_renamed_into_place_are_reported_at_any_depth_and_temp_files_are_not() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        land(root, "before_20261101/a.parquet");
        std::fs::write(root.join("before_20261101/.b.parquet.XyZ789"), b"half").unwrap();
        let mut found = Vec::new();
        let mut watch = TreeWatch::new(root, Rsync, &mut found).unwrap();
        assert_eq!(found, vec![PathBuf::from("before_20261101/a.parquet")], "what was there already");
        land(root, "x_20261101/c.parquet");
        land(root, "year=2026/month=11/day=01/d.parquet");
        land(root, "before_20261101/e.parquet");
        land(root, "skipped/f.parquet");
        std::fs::write(root.join("x_20261101/.g.parquet.QwE456"), b"being written").unwrap();
        std::fs::write(root.join("before_20261101/.h.parquet.RtY321"), b"arriving").unwrap();
        let names = drain(&mut watch);
        assert_eq!(watch.receiving(), Some(Path::new("before_20261101/h.parquet")), "the file being received");
        assert_eq!(
            names,
            ["before_20261101/e.parquet", "x_20261101/c.parquet", "year=2026/month=11/day=01/d.parquet"],
            "renamed files only; the skipped folder is not watched"
        );
        assert!(!watch.incomplete());
    }

    #[test]
    fn an_overflowed_queue_lists_every_watched_directory_again() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let mut watch = TreeWatch::new(root, Rsync, &mut Vec::new()).unwrap();
        let limit: usize = std::fs::read_to_string("/proc/sys/fs/inotify/max_queued_events")
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(16_384);
        std::fs::create_dir(root.join("p")).unwrap();
        watch.take(&mut Vec::new()).unwrap();
        // More renames than the queue holds, before anything is read.
        for i in 0..limit + 10 {
            std::fs::write(root.join(format!("p/.f{i}.AbC123")), b"x").unwrap();
            std::fs::rename(root.join(format!("p/.f{i}.AbC123")), root.join(format!("p/f{i}"))).unwrap();
        }
        let names = drain(&mut watch);
        assert_eq!(names.len(), limit + 10, "every file, though the queue held fewer events");
    }
}
