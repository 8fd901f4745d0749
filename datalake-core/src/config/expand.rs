//! `~` and `${VAR}` expansion in configured paths.
//!
//! `~` uses the `shellexpand` crate. Variables are expanded only in the braced
//! form `${VAR}`: a bare `$` is an ordinary character, because collector and
//! lake paths may contain one (`/data/$archive`) and shellexpand's `$VAR` form
//! would silently rewrite it. An unset variable is an error naming it, never
//! an empty string that would turn `${DATA}/lake` into `/lake` under cron.

use std::borrow::Cow;
use std::env::VarError;

/// Expand `~` and environment variables in a path on this machine.
pub(crate) fn expand_local(text: &str) -> Result<String, String> {
    let vars = expand_vars(text)?;
    let expanded = shellexpand::tilde(&vars);
    check_tilde(text, expanded)
}

/// Expand environment variables only (for paths on the collector, where `~`
/// would mean the collector's home, not ours).
pub(crate) fn expand_vars(text: &str) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find('}').ok_or_else(|| {
            format!("unterminated ${{ in {text:?}: write ${{VAR}} with a closing brace, or avoid \"${{\" in the path")
        })?;
        let name = &after[..end];
        let valid = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return Err(format!("${{{name}}} is not a valid variable reference: names are letters, digits and _"));
        }
        match std::env::var(name) {
            Ok(value) => out.push_str(&value),
            Err(cause) => return Err(lookup_message(name, cause)),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
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

fn lookup_message(name: &str, cause: VarError) -> String {
    match cause {
        VarError::NotPresent => format!(
            "environment variable {name} is not set; set it (cron starts jobs with a minimal environment: define it in the crontab) or write the path out"
        ),
        VarError::NotUnicode(_) => {
            format!("environment variable {name} is not valid UTF-8; write the path out instead")
        }
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
    fn a_bare_dollar_is_literal() {
        assert_eq!(expand_vars("/data/$HOME/x").unwrap(), "/data/$HOME/x");
        assert_eq!(expand_local("/data/a$b").unwrap(), "/data/a$b");
        assert!(expand_vars("/data/${HOME").unwrap_err().contains("unterminated"));
        assert!(expand_vars("/data/${1x}").unwrap_err().contains("not a valid variable"));
    }

    #[test]
    fn tilde_user_is_refused() {
        assert!(expand_local("~nobody_here/x").unwrap_err().contains("~user"));
    }
}
