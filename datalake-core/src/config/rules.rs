//! Value rules shared by the schema walk: names, hosts, users, directories,
//! and "did you mean" suggestions (edit distance from the `strsim` crate).

use std::path::{Component, Path, PathBuf};

/// Characters a shell, ssh or rsync would read as syntax.
const SHELL_META: &str = ";|&$`'\"<>()*?[]{}\\!#~";

/// Why `value` cannot be a host name or user name (`what`), if it cannot.
pub(crate) fn check_login_word(value: &str, what: &str) -> Option<String> {
    if value.is_empty() {
        return Some(format!("{what} is empty; set it"));
    }
    if value.starts_with('-') {
        return Some(format!("{what} {value:?} starts with '-', which ssh would read as an option; fix the {what}"));
    }
    if let Some(c) = value.chars().find(|c| c.is_whitespace() || c.is_control()) {
        return Some(format!("{what} {value:?} contains whitespace or a control character ({c:?}); remove it"));
    }
    if let Some(c) = value.chars().find(|c| SHELL_META.contains(*c)) {
        return Some(format!(
            "{what} {value:?} contains the shell metacharacter {c:?}; write the plain {what} (IPv6 addresses without brackets)"
        ));
    }
    if value.contains('@') {
        return Some(format!("{what} {value:?} contains '@'; put the user in user: and the host in host:"));
    }
    if what == "user" && value.contains(':') {
        return Some(format!("user {value:?} contains ':'; write the plain login name"));
    }
    None
}

/// Why `name` cannot be a profile name, if it cannot.
pub(crate) fn check_profile_name(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("profile name is empty; give it a name made of letters, digits, '_', '.' and '-'".into());
    }
    if let Some(c) = name.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))) {
        return Some(format!(
            "profile name {name:?} contains {c:?}; use only letters, digits, '_', '.' and '-' (it names files and directories)"
        ));
    }
    if name == "." || name == ".." {
        return Some(format!("profile name {name:?} is a directory reference; choose a real name"));
    }
    if name.starts_with('-') {
        return Some(format!(
            "profile name {name:?} starts with '-', which command lines would read as an option; rename it"
        ));
    }
    None
}

/// Why `subdir` cannot be a `local_subdir`, if it cannot.
pub(crate) fn check_local_subdir(subdir: &str) -> Option<String> {
    let path = Path::new(subdir);
    if subdir.is_empty() {
        return Some("local_subdir is empty; name a directory below root_dir".into());
    }
    if path.is_absolute() {
        return Some(format!("local_subdir {subdir:?} is absolute; it must be relative to root_dir (e.g. cex_ticks)"));
    }
    if path.components().any(|c| c == Component::ParentDir) {
        return Some(format!("local_subdir {subdir:?} contains '..'; it must stay below root_dir"));
    }
    if !path.components().any(|c| matches!(c, Component::Normal(_))) {
        return Some(format!("local_subdir {subdir:?} names root_dir itself; name a directory below it"));
    }
    if subdir.chars().any(char::is_control) {
        return Some(format!("local_subdir {subdir:?} contains a control character; remove it"));
    }
    None
}

/// Lexical normalization: drops `.` and resolves `..` without touching the
/// disk (the lake may not exist yet, and a config load must stay fast).
pub(crate) fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// The closest candidate to `word`, when one is close enough to be a typo.
pub(crate) fn did_you_mean<'a, I>(word: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let lower = word.to_ascii_lowercase().replace('-', "_");
    let mut best: Option<(f64, &'a str)> = None;
    for cand in candidates {
        let score = if lower == cand {
            1.0
        } else {
            let distance = strsim::damerau_levenshtein(&lower, cand);
            let jw = strsim::jaro_winkler(&lower, cand);
            let close = distance <= (cand.len() / 4).max(1) || jw >= 0.88;
            if !close {
                continue;
            }
            jw.max(1.0 - distance as f64 / cand.len().max(1) as f64)
        };
        let better = match best {
            Some((s, _)) => score > s,
            None => true,
        };
        if better {
            best = Some((score, cand));
        }
    }
    best.map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_words() {
        assert!(check_login_word("10.0.0.11", "host").is_none());
        assert!(check_login_word("::1", "host").is_none());
        assert!(check_login_word("collector-1.example.com", "host").is_none());
        assert!(check_login_word("ubuntu", "user").is_none());
        for bad in
            ["", "-oProxyCommand=x", "a b", "a;b", "a|b", "$(x)", "`x`", "a\tb", "a\nb", "[::1]", "a@b", "~x", "a\u{7}"]
        {
            assert!(check_login_word(bad, "host").is_some(), "{bad:?}");
        }
        assert!(check_login_word("a:b", "user").is_some());
    }

    #[test]
    fn profile_names() {
        for ok in ["cex_ticks", "a.b-c", "X9"] {
            assert!(check_profile_name(ok).is_none(), "{ok}");
        }
        for bad in ["", "a b", "a/b", "ü", ".", "..", "-x"] {
            assert!(check_profile_name(bad).is_some(), "{bad:?}");
        }
    }

    #[test]
    fn local_subdirs() {
        for ok in ["cex_ticks", "a/b", "./a"] {
            assert!(check_local_subdir(ok).is_none(), "{ok}");
        }
        for bad in ["", "/abs", "../x", "a/../../b", "a/..", ".", "./"] {
            assert!(check_local_subdir(bad).is_some(), "{bad:?}");
        }
    }

    #[test]
    fn suggestions() {
        let keys = ["retention_days", "rsync_args", "local_subdir", "source", "host"];
        assert_eq!(did_you_mean("retention_day", keys), Some("retention_days"));
        assert_eq!(did_you_mean("retention-days", keys), Some("retention_days"));
        assert_eq!(did_you_mean("rsync_arg", keys), Some("rsync_args"));
        assert_eq!(did_you_mean("hostname", keys), Some("host"));
        assert_eq!(did_you_mean("zzz", keys), None);
    }

    #[test]
    fn normalizes() {
        assert_eq!(normalize(Path::new("/a/./b/../c/")), PathBuf::from("/a/c"));
    }
}
