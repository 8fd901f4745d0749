//! `docs/config-reference.md` is rendered from the config-key table
//! (`datalake_core::config::KEYS`); this test fails when the committed page
//! is stale. Refresh it with
//!   UPDATE_DOCS=1 cargo test -p datalake-core config_reference
//! and commit the page.

use std::path::PathBuf;

use datalake_core::config::{reference_markdown, REFRESH_COMMAND};

fn page() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/config-reference.md")
}

#[test]
fn config_reference_page_is_current() {
    let want = reference_markdown();
    let path = page();
    if std::env::var_os("UPDATE_DOCS").is_some_and(|v| v == "1") {
        std::fs::write(&path, &want).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        return;
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    if have != want {
        let line = have
            .lines()
            .zip(want.lines())
            .position(|(a, b)| a != b)
            .map_or_else(|| have.lines().count().min(want.lines().count()) + 1, |i| i + 1);
        panic!(
            "{} is stale (first difference at line {line}): the config-key table changed. \
             Run `{REFRESH_COMMAND}` and commit the page.",
            path.display()
        );
    }
}
