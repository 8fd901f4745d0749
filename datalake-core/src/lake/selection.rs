//! Which profiles a command covers: the one table behind every `--all`.
//!
//! | command                                 | `--all` covers                 |
//! |-----------------------------------------|--------------------------------|
//! | `sync`, `cleanup`                       | enabled profiles               |
//! | `stats`, `verify`, `coverage`, `metrics`| every profile, disabled too    |
//! | the health check (`status --max-age`)   | every profile (disabled ones are listed, never a problem) |
//!
//! Syncing and retention act on what the config switches on; looking at the
//! lake (what is there, is it intact, which days are missing) and the health
//! verdicts are about every directory the config names. A profile named
//! explicitly is always selected, enabled or not; whether the command accepts
//! a disabled one is the command's business (`sync` refuses it).

use crate::config::{Config, Profile};
use crate::vocab::error::{Error, Result};

/// The commands that can run over several profiles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Command {
    /// `sync`
    Sync,
    /// `cleanup`
    Cleanup,
    /// `stats`
    Stats,
    /// `verify`
    Verify,
    /// `coverage`
    Coverage,
    /// `metrics`
    Metrics,
    /// the health check behind `status --max-age`
    Health,
}

/// Which profiles to run a command on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selection<'n> {
    /// Every configured profile, enabled or not.
    All,
    /// The enabled profiles.
    EnabledOnly,
    /// This one profile (an unknown name is an error with a suggestion).
    One(&'n str),
}

impl Command {
    /// Every command, in declaration order.
    pub const ALL: [Command; 7] = [
        Command::Sync,
        Command::Cleanup,
        Command::Stats,
        Command::Verify,
        Command::Coverage,
        Command::Metrics,
        Command::Health,
    ];

    /// The command's name on the command line (`health` for the health check).
    pub fn as_str(self) -> &'static str {
        match self {
            Command::Sync => "sync",
            Command::Cleanup => "cleanup",
            Command::Stats => "stats",
            Command::Verify => "verify",
            Command::Coverage => "coverage",
            Command::Metrics => "metrics",
            Command::Health => "health",
        }
    }

    /// The command of that name; an `InvalidArgument` error naming the known ones otherwise.
    pub fn from_name(name: &str) -> Result<Command> {
        Command::ALL.into_iter().find(|c| c.as_str() == name).ok_or_else(|| {
            let known: Vec<&str> = Command::ALL.iter().map(|c| c.as_str()).collect();
            Error::InvalidArgument(format!("unknown command {name:?}; one of: {}", known.join(", ")))
        })
    }

    /// What `--all` means for this command: the table of the module documentation.
    pub fn all_profiles(self) -> Selection<'static> {
        match self {
            Command::Sync | Command::Cleanup => Selection::EnabledOnly,
            Command::Stats | Command::Verify | Command::Coverage | Command::Metrics | Command::Health => Selection::All,
        }
    }
}

/// The profiles of `config` that `selection` names, in name order.
pub fn select<'c>(config: &'c Config, selection: Selection<'_>) -> Result<Vec<&'c Profile>> {
    Ok(match selection {
        Selection::All => config.profiles.values().collect(),
        Selection::EnabledOnly => config.enabled_profiles().collect(),
        Selection::One(name) => vec![config.profile(name)?],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::error::ErrorKind;

    fn config() -> Config {
        let yaml = "data_lake:\n  root_dir: /tmp/lake\n  profiles:\n".to_string()
            + &["b", "a", "off"]
                .iter()
                .map(|n| {
                    format!(
                        "    {n}:\n      enabled: {}\n      source: {{type: local, remote_root: /tmp/c}}\n",
                        *n != "off"
                    )
                })
                .collect::<String>();
        Config::from_yaml_str(&yaml, None).expect("config")
    }

    fn names(profiles: Vec<&Profile>) -> Vec<&str> {
        profiles.into_iter().map(|p| p.name.as_str()).collect()
    }

    #[test]
    fn the_table() {
        let enabled = [Command::Sync, Command::Cleanup];
        for c in Command::ALL {
            let want = if enabled.contains(&c) { Selection::EnabledOnly } else { Selection::All };
            assert_eq!(c.all_profiles(), want, "{c:?}");
            assert_eq!(Command::from_name(c.as_str()).ok(), Some(c));
        }
        let e = Command::from_name("purge").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        assert!(e.to_string().contains("sync, cleanup, stats"), "{e}");
    }

    #[test]
    fn selections() {
        let config = config();
        assert_eq!(names(select(&config, Selection::All).unwrap()), ["a", "b", "off"]);
        assert_eq!(names(select(&config, Command::Sync.all_profiles()).unwrap()), ["a", "b"]);
        assert_eq!(names(select(&config, Command::Verify.all_profiles()).unwrap()), ["a", "b", "off"]);
        assert_eq!(names(select(&config, Selection::One("off")).unwrap()), ["off"]);
        let e = select(&config, Selection::One("of")).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::ProfileNotFound);
    }
}
