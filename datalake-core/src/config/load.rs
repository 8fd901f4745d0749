//! Reading a config: the file (size-capped, UTF-8), then the YAML text into
//! a [`Config`] with every diagnostic, sorted by position. The schema walk
//! itself is [`super::build`]; diagnostics are collected in [`Ctx`].

use std::io::Read;
use std::path::{Path, PathBuf};

use super::build::walk;
use super::yaml::Pos;
use super::{Config, Diagnostic, Severity};

/// Biggest config file read; a real one is a few KiB.
const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// What loading produced: a config when there are no errors, and every diagnostic.
pub(crate) struct Outcome {
    pub config: Option<Config>,
    pub errors: Vec<Diagnostic>,
    pub warnings: Vec<Diagnostic>,
}

/// Read and load a file.
pub(crate) fn load_file(path: &Path) -> Outcome {
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
pub(crate) fn load_text(text: &str, origin: Option<&Path>) -> Outcome {
    let mut ctx = Ctx { file: origin, errors: Vec::new(), warnings: Vec::new(), cwd: None };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let config = walk(&mut ctx, text);
    let Ctx { mut errors, mut warnings, .. } = ctx;
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

pub(super) struct Ctx<'a> {
    pub(super) file: Option<&'a Path>,
    errors: Vec<Diagnostic>,
    warnings: Vec<Diagnostic>,
    /// Looked up once, only when a relative path needs it.
    cwd: Option<Result<PathBuf, String>>,
}

impl Ctx<'_> {
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

pub(super) fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}
