//! `~` and `${VAR}` expansion in configured paths.
//!
//! Uses the `shellexpand` crate (the shell's own rules for `~`, `$VAR` and
//! `${VAR}`), with one difference that matters under cron: an unset variable is
//! an error naming the variable, never an empty string that would silently
//! turn `${DATA}/lake` into `/lake`.

use std::borrow::Cow;
use std::env::VarError;

/// Expand `~` and environment variables in a path on this machine.
pub(crate) fn expand_local(text: &str) -> Result<String, String> {
    let expanded = shellexpand::full(text).map_err(lookup_message)?;
    check_tilde(text, expanded)
}

/// Expand environment variables only (for paths on the collector, where `~`
/// would mean the collector's home, not ours).
pub(crate) fn expand_vars(text: &str) -> Result<String, String> {
    shellexpand::env(text).map(Cow::into_owned).map_err(lookup_message)
}

fn check_tilde(original: &str, expanded: Cow<'_, str>) -> Result<String, String> {
    if expanded.starts_with('~') {
        // shellexpand leaves `~` alone when there is no home directory, and it
        // never expands `~user`.
        if original.starts_with("~/") || original == "~" {
            return Err("cannot expand ~: the home directory is unknown (HOME is not set); write the full path".into());
        }
        return Err("~user paths are not supported; write the full path".into());
    }
    Ok(expanded.into_owned())
}

fn lookup_message(e: shellexpand::LookupError<VarError>) -> String {
    match e.cause {
        VarError::NotPresent => format!(
            "environment variable {} is not set; set it (cron starts jobs with a minimal environment: define it in the crontab) or write the path out",
            e.var_name
        ),
        VarError::NotUnicode(_) => format!(
            "environment variable {} is not valid UTF-8; write the path out instead",
            e.var_name
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_home_and_vars() {
        let home = std::env::var("HOME").unwrap_or_default();
        if !home.is_empty() {
            assert_eq!(expand_local("~/x").unwrap(), format!("{home}/x"));
            assert_eq!(expand_local("${HOME}/y").unwrap(), format!("{home}/y"));
            assert_eq!(expand_vars("${HOME}/y").unwrap(), format!("{home}/y"));
        }
        assert_eq!(expand_vars("~/x").unwrap(), "~/x");
        assert_eq!(expand_local("/plain/path").unwrap(), "/plain/path");
    }

    #[test]
    fn unset_variable_is_an_error_naming_it() {
        let e = expand_local("/a/${DATALAKE_TEST_SURELY_UNSET_7Q2}/b").unwrap_err();
        assert!(e.contains("DATALAKE_TEST_SURELY_UNSET_7Q2"), "{e}");
        assert!(e.contains("not set"), "{e}");
        let e = expand_vars("${DATALAKE_TEST_SURELY_UNSET_7Q2}").unwrap_err();
        assert!(e.contains("DATALAKE_TEST_SURELY_UNSET_7Q2"), "{e}");
    }

    #[test]
    fn tilde_user_is_refused() {
        assert!(expand_local("~nobody_here/x").unwrap_err().contains("~user"));
    }
}
