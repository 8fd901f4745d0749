//! Problems found in a configuration file, in the form editors jump to.

use std::fmt;
use std::path::PathBuf;

use serde::Serialize;

/// Whether a [`Diagnostic`] stops the config from loading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The config cannot be used.
    Error,
    /// The config works but probably not as intended.
    Warning,
}

impl Severity {
    /// `"error"` or `"warning"`, as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// One problem in a configuration file.
///
/// Displays as `file:line:col: key.path: message`, the form editors jump to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// The config file, when loaded from disk.
    pub file: Option<PathBuf>,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column, when known.
    pub column: Option<usize>,
    /// Dotted key path below `data_lake`, e.g. `profiles.cex_ticks.retention_days`.
    pub key: String,
    /// What is wrong and what to do.
    pub message: String,
}

impl Diagnostic {
    /// The compiler-style line the `validate` command prints:
    /// `file:line:col: severity: key.path: message`.
    pub fn line(&self) -> String {
        let mut out = String::new();
        if let Some(file) = &self.file {
            out.push_str(&format!("{}:", file.display()));
            if let Some(line) = self.line {
                out.push_str(&format!("{line}:"));
                if let Some(col) = self.column {
                    out.push_str(&format!("{col}:"));
                }
            }
            out.push(' ');
        }
        out.push_str(self.severity.as_str());
        out.push_str(": ");
        if !self.key.is_empty() {
            out.push_str(&self.key);
            out.push_str(": ");
        }
        out.push_str(&self.message);
        out
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(file) = &self.file {
            write!(f, "{}:", file.display())?;
        }
        if let Some(line) = self.line {
            write!(f, "{line}:")?;
            if let Some(col) = self.column {
                write!(f, "{col}:")?;
            }
        }
        if self.file.is_some() || self.line.is_some() {
            f.write_str(" ")?;
        }
        if !self.key.is_empty() {
            write!(f, "{}: ", self.key)?;
        }
        f.write_str(&self.message)
    }
}
