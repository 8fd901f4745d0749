//! Reading a config, the top of the module: the file (size-capped, UTF-8),
//! then the YAML text into a [`Config`] with every diagnostic, sorted by
//! position, and the public entry points ([`Config::load`],
//! [`Config::from_yaml_str`], [`Config::validate_file`]). The schema walk
//! itself is [`super::build`]; diagnostics are collected in [`super::ctx::Ctx`].

use std::io::Read;
use std::path::Path;

use super::build::walk;
use super::ctx::Ctx;
use super::types::{Config, ValidationReport};
use super::yaml::Pos;
use crate::vocab::diagnostic::{Diagnostic, Severity};
use crate::vocab::error::{ConfigErrors, Error, Result};

/// Biggest config file read; a real one is a few KiB.
const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// What loading produced: a config when there are no errors, and every diagnostic.
pub(super) struct Outcome {
    pub config: Option<Config>,
    pub errors: Vec<Diagnostic>,
    pub warnings: Vec<Diagnostic>,
}

/// Read and load a file.
pub(super) fn load_file(path: &Path) -> Outcome {
    match read_text(path) {
        Ok(text) => load_text(&text, Some(path)),
        Err(message) => Outcome {
            config: None,
            errors: vec![Diagnostic {
                severity: Severity::Error,
                file: Some(path.to_path_buf()),
                line: message.1.map(|p| p.line),
                column: message.1.map(|p| p.column),
                key: String::new(),
                message: message.0,
            }],
            warnings: Vec::new(),
        },
    }
}

fn read_text(path: &Path) -> Result<String, (String, Option<Pos>)> {
    let file = std::fs::File::open(path).map_err(|e| {
        let message = match e.kind() {
            std::io::ErrorKind::NotFound => format!(
                "config file {} does not exist; check the path (--config or DATALAKE_CONFIG), or create it by copying config/data_lake.yml.example from the datalake repository and editing it",
                path.display()
            ),
            std::io::ErrorKind::PermissionDenied => format!(
                "cannot read config file {}: permission denied; check its permissions and those of its directories",
                path.display()
            ),
            _ => format!("cannot open config file {}: {e}; check the path", path.display()),
        };
        (message, None)
    })?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes).map_err(|e| {
        let message = if e.raw_os_error() == Some(21) {
            format!("{} is a directory; pass the YAML file inside it", path.display())
        } else {
            format!("cannot read config file {}: {e}; check the file and the disk", path.display())
        };
        (message, None)
    })?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err((
            format!(
                "{} is larger than {} MiB; this is not a data lake config: check the path",
                path.display(),
                MAX_FILE_BYTES / (1024 * 1024)
            ),
            None,
        ));
    }
    String::from_utf8(bytes).map_err(|e| {
        let good = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        // Valid prefix: from_utf8 only fails at valid_up_to, so this cannot fail.
        let prefix = std::str::from_utf8(good).unwrap_or("");
        let line = prefix.matches('\n').count() + 1;
        let column = prefix.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        (
            "the file is not UTF-8 text (binary data or another encoding); save it as UTF-8".to_string(),
            Some(Pos { line, column }),
        )
    })
}

/// Load YAML text.
pub(super) fn load_text(text: &str, origin: Option<&Path>) -> Outcome {
    let mut ctx = Ctx::new(origin);
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let config = walk(&mut ctx, text);
    let (mut errors, mut warnings) = ctx.into_diagnostics();
    let order = |d: &Diagnostic| (d.line.unwrap_or(0), d.column.unwrap_or(0));
    errors.sort_by_key(order);
    warnings.sort_by_key(order);
    let config = if errors.is_empty() {
        config.map(|mut c| {
            c.warnings = warnings.clone();
            c
        })
    } else {
        None
    };
    Outcome { config, errors, warnings }
}

impl Config {
    /// Load and validate a YAML file. On failure the error carries every problem found.
    ///
    /// A missing or unreadable file is an [`Error::Config`] too, with one
    /// diagnostic naming the path.
    pub fn load(path: impl AsRef<Path>) -> Result<Config> {
        let path = path.as_ref();
        into_result(load_file(path), Some(path))
    }

    /// Load from YAML text; `origin` names the file in diagnostics.
    pub fn from_yaml_str(text: &str, origin: Option<&Path>) -> Result<Config> {
        into_result(load_text(text, origin), origin)
    }

    /// Validate a file and report errors and warnings, never failing.
    pub fn validate_file(path: impl AsRef<Path>) -> ValidationReport {
        let path = path.as_ref();
        let outcome = load_file(path);
        ValidationReport {
            path: path.to_path_buf(),
            ok: outcome.errors.is_empty(),
            errors: outcome.errors,
            warnings: outcome.warnings,
        }
    }
}

fn into_result(outcome: Outcome, origin: Option<&Path>) -> Result<Config> {
    match outcome.config {
        Some(config) if outcome.errors.is_empty() => Ok(config),
        _ => {
            let mut errors = outcome.errors;
            if errors.is_empty() {
                // Cannot happen (no config means an error was recorded), but an
                // empty error list must never reach a user.
                errors.push(Diagnostic {
                    severity: Severity::Error,
                    file: origin.map(Path::to_path_buf),
                    line: None,
                    column: None,
                    key: String::new(),
                    message: "the configuration could not be loaded; run validation for details".into(),
                });
            }
            Err(Error::Config(ConfigErrors { path: origin.map(Path::to_path_buf), errors }))
        }
    }
}

/// A commented example config: the quants-infra format, with every optional
/// key shown (commented out) at its default or a typical value.
///
/// It loads as is (with warnings for its `rsync_args`, kept as in existing
/// quants-infra files, and for the key file when it is missing).
pub fn example_yaml() -> &'static str {
    EXAMPLE_YAML
}

/// The repository's `config/data_lake.yml.example`, compiled in: one file, no copy to keep equal.
const EXAMPLE_YAML: &str = include_str!("../../data_lake.yml.example");
