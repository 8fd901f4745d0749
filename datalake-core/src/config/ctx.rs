//! Where the schema walk puts what it finds: every error and warning, with
//! file, position and key path, collected instead of stopping at the first.

use std::path::{Path, PathBuf};

use super::yaml::Pos;
use crate::vocab::diagnostic::{Diagnostic, Severity};

/// The diagnostics of one load, and what they need to know (the file, the current directory).
pub(super) struct Ctx<'a> {
    pub(super) file: Option<&'a Path>,
    errors: Vec<Diagnostic>,
    warnings: Vec<Diagnostic>,
    /// Looked up once, only when a relative path needs it.
    cwd: Option<Result<PathBuf, String>>,
}

impl<'a> Ctx<'a> {
    pub(super) fn new(file: Option<&'a Path>) -> Self {
        Ctx { file, errors: Vec::new(), warnings: Vec::new(), cwd: None }
    }

    /// The errors and the warnings, each in the order found.
    pub(super) fn into_diagnostics(self) -> (Vec<Diagnostic>, Vec<Diagnostic>) {
        (self.errors, self.warnings)
    }

    pub(super) fn push(&mut self, severity: Severity, pos: Option<Pos>, key: &str, message: String) {
        let d = Diagnostic {
            severity,
            file: self.file.map(Path::to_path_buf),
            line: pos.map(|p| p.line),
            column: pos.map(|p| p.column),
            key: key.to_string(),
            message,
        };
        match severity {
            Severity::Error => self.errors.push(d),
            Severity::Warning => self.warnings.push(d),
        }
    }

    pub(super) fn error(&mut self, pos: Pos, key: &str, message: impl Into<String>) {
        self.push(Severity::Error, Some(pos), key, message.into());
    }

    pub(super) fn warn(&mut self, pos: Pos, key: &str, message: impl Into<String>) {
        self.push(Severity::Warning, Some(pos), key, message.into());
    }

    pub(super) fn cwd(&mut self) -> Result<PathBuf, String> {
        self.cwd
            .get_or_insert_with(|| {
                std::env::current_dir().map_err(|e| {
                    format!("cannot resolve a relative path: the current directory is unreadable ({e}); use an absolute path")
                })
            })
            .clone()
    }
}

/// `prefix.key`, or `key` at the top.
pub(super) fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}
