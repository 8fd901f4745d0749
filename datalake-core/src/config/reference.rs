//! `docs/config-reference.md`, rendered from the key table.
//!
//! The page is committed; the test `config_reference_page_is_current`
//! (`datalake-core/tests/config_reference.rs`) fails when it differs from
//! what this renders, and rewrites it with `UPDATE_DOCS=1`.

use super::keys::KEYS;
use super::spec::{DefaultValue, KeySpec, Scope};

/// The command that rewrites the committed page.
pub const REFRESH_COMMAND: &str = "UPDATE_DOCS=1 cargo test -p datalake-core config_reference";

/// The reference page: one table per scope (key, type, default, allowed, doc).
pub fn reference_markdown() -> String {
    let mut out = String::new();
    out.push_str("# Configuration keys\n\n");
    out.push_str(&format!(
        "<!-- Generated from datalake-core/src/config/keys.rs; do not edit. Refresh with: {REFRESH_COMMAND} -->\n\n"
    ));
    out.push_str(
        "Every key of the `data_lake:` section, as the validator checks it. The same table is\n\
         `datalake._datalake.config_keys()` in Python and `datalake_config_keys()` in C. A null\n\
         value (`key:` or `key: ~`) means the default; durations are written `90s`, `1m`, `6h`,\n\
         `7d` (or `0` where allowed). The [user guide](user-guide.md#3-configuration-reference)\n\
         explains the rules and shows a complete file.\n",
    );
    for scope in Scope::ALL {
        out.push_str(&format!("\n## `{}`\n\n", scope.path()));
        out.push_str("| Key | Type | Default | Allowed | Meaning |\n| --- | --- | --- | --- | --- |\n");
        for key in KEYS.iter().filter(|k| k.scope == scope) {
            out.push_str(&row(key));
        }
    }
    out
}

fn row(key: &KeySpec) -> String {
    let default = match key.default {
        DefaultValue::Required(_) | DefaultValue::Unset(_) | DefaultValue::Derived(_) => key.default_text(),
        _ => format!("`{}`", key.default_text()),
    };
    let allowed = key.allowed_text();
    let allowed = if allowed.is_empty() { "any".to_string() } else { allowed };
    format!("| `{}` | {} | {} | {} | {} |\n", key.name, key.type_name(), default, allowed, key.doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_table_per_scope() {
        let page = reference_markdown();
        for scope in Scope::ALL {
            assert!(page.contains(&format!("## `{}`", scope.path())));
        }
        assert!(page.contains("| `retention_days` | integer | `30` | 1 to 36500 (days) |"), "{page}");
        assert!(page.contains("| `host` | string | required for `type: ssh` |"), "{page}");
        assert_eq!(page.matches("\n| `").count(), KEYS.len());
    }
}
