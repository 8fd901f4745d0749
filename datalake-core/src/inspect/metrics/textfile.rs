//! Atomic `.prom` files for node_exporter's textfile collector.
//!
//! node_exporter reads every `*.prom` file of its directory on each scrape;
//! a file being written must never be visible under that name, so the text
//! goes to a hidden `.tmp` file in the same directory first and is renamed
//! over the old one.

use std::io::{self, Write};
use std::path::Path;

/// `datalake_<profile>.prom`.
pub fn file_name(profile: &str) -> String {
    format!("datalake_{profile}.prom")
}

/// Replace `dir/name` with `text` atomically. The directory is not created:
/// it belongs to node_exporter's setup, and a missing one usually means a
/// typo. The error is a sentence naming the directory and what to do.
pub fn write_atomically(dir: &Path, name: &str, text: &str) -> Result<(), String> {
    let target = dir.join(name);
    let fail = |what: &str, e: io::Error| {
        let hint = match e.kind() {
            io::ErrorKind::NotFound => format!(
                "metrics_dir {} does not exist: create it (writable by the user running datalake) or fix metrics_dir in the config",
                dir.display()
            ),
            io::ErrorKind::PermissionDenied => format!(
                "metrics_dir {} is not writable by this user: give it write access (e.g. group-writable) or change metrics_dir",
                dir.display()
            ),
            _ => format!("check metrics_dir {}", dir.display()),
        };
        format!("metrics not written: cannot {what} {}: {e}; {hint}", target.display())
    };
    match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => {
            return Err(fail("write", io::Error::new(io::ErrorKind::NotADirectory, "metrics_dir is not a directory")))
        }
        Err(e) => return Err(fail("write", e)),
    }
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| fail("create a temporary file for", e))?;
    tmp.write_all(text.as_bytes()).map_err(|e| fail("write", e))?;
    // node_exporter usually runs as another user: the file must be readable by it.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file().set_permissions(std::fs::Permissions::from_mode(0o644)).map_err(|e| fail("write", e))?;
    }
    tmp.as_file().sync_all().map_err(|e| fail("write", e))?;
    tmp.persist(&target).map_err(|e| fail("replace", e.error))?;
    Ok(())
}
