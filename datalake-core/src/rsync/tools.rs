//! Finding the local `rsync` and `ssh` programs and their versions.

use std::path::PathBuf;
use std::process::{Command, Stdio};

use crate::config::{Profile, Source};
use crate::vocab::error::{Error, Result};

/// The programs a profile needs, found on `PATH` with the `which` crate.
#[derive(Debug, Clone)]
pub struct Tools {
    /// The rsync binary.
    pub rsync: PathBuf,
    /// The ssh binary (SSH sources only).
    pub ssh: Option<PathBuf>,
}

fn find(tool: &str, package: &str) -> Result<PathBuf> {
    which::which(tool).map_err(|_| Error::ToolNotFound { tool: tool.into(), package: package.into() })
}

impl Tools {
    /// Locate what `profile` needs; a missing program is an error saying how to install it.
    pub fn locate(profile: &Profile) -> Result<Tools> {
        let rsync = find("rsync", "rsync")?;
        let ssh = match profile.source {
            Source::Ssh(_) => Some(find("ssh", "openssh-client")?),
            Source::Local { .. } => None,
        };
        Ok(Tools { rsync, ssh })
    }
}

/// First line of `rsync --version`, e.g. `rsync  version 3.2.7  protocol version 31`.
pub fn version_line(rsync: &PathBuf) -> Option<String> {
    let out = Command::new(rsync).arg("--version").stdin(Stdio::null()).stderr(Stdio::null()).output().ok()?;
    String::from_utf8_lossy(&out.stdout).lines().next().map(|l| l.trim().to_string())
}

/// `(major, minor, patch)` from a `rsync --version` first line.
pub fn parse_version(line: &str) -> Option<(u32, u32, u32)> {
    let v = line.split_whitespace().skip_while(|w| *w != "version").nth(1)?;
    let mut parts = v.split(|c: char| !c.is_ascii_digit()).filter(|p| !p.is_empty()).map(|p| p.parse::<u32>());
    let major = parts.next()?.ok()?;
    let minor = parts.next().and_then(|p| p.ok()).unwrap_or(0);
    let patch = parts.next().and_then(|p| p.ok()).unwrap_or(0);
    Some((major, minor, patch))
}

/// A warning when `line` names an rsync older than 3.4.0 (CVE-2024-12084..12088).
pub fn version_warning(which_side: &str, line: &str) -> Option<String> {
    let v = parse_version(line)?;
    (v < (3, 4, 0)).then(|| {
        format!(
            "{which_side} rsync is {}.{}.{}, older than 3.4.0 and affected by CVE-2024-12084..12088: upgrade it",
            v.0, v.1, v.2
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert_eq!(parse_version("rsync  version 3.2.7  protocol version 31"), Some((3, 2, 7)));
        assert_eq!(parse_version("rsync  version v3.4.1  protocol version 32"), Some((3, 4, 1)));
        assert!(version_warning("local", "rsync  version 3.2.7  protocol version 31").is_some());
        assert!(version_warning("local", "rsync  version 3.4.0  protocol version 32").is_none());
        assert_eq!(parse_version("garbage"), None);
    }
}
