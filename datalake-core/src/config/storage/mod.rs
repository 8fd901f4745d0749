//! Where a profile's table lives and how to reach it: `compact.table_uri` and
//! `compact.storage_options`, each with a top-level default.
//!
//! ```yaml
//! data_lake:
//!   compact:
//!     table_uri: s3://market-data/tables/{profile}   # default for every profile
//!     storage_options:                                # object_store's names, as delta-rs and Polars take them
//!       aws_endpoint: http://127.0.0.1:8333
//!       aws_region: us-east-1
//!       aws_allow_http: true
//!   profiles:
//!     cex_ticks:
//!       compact:
//!         storage_options:
//!           aws_region: eu-west-1                     # overrides the default, key by key
//! ```
//!
//! Two steps, as everywhere in the config: [`StorageOptions::parse`] reads what the file
//! says (keys recognized, values checked, `${VAR}` expanded) without knowing the table yet;
//! [`resolve`] takes a profile's [`TableUri`], its options and the top-level defaults, and
//! fills in the environment, giving the [`ResolvedStorage`] a client is built from.
//!
//! # Option names
//! object_store's configuration keys (see `keys`), matched case-insensitively, with its
//! aliases; each is shown and passed on under object_store's own name, so a block copies
//! between datalake, delta-rs (`storage_options=`) and Polars (`storage_options=`) as is.
//! A key of another store is an error in a profile (`aws_region` on a `gs://` table) and
//! skipped in the top-level defaults, which may serve profiles on different stores.
//!
//! # Credentials
//! Taken, for a key the config does not set, from the environment variables object_store
//! reads: every `AWS_*` (S3), `GOOGLE_*` (GCS) or `AZURE_*` (Azure) variable named after an
//! option (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_REGION`,
//! `AWS_DEFAULT_REGION`, `AWS_ENDPOINT_URL`, `AWS_ALLOW_HTTP`, ...). The config may name
//! them as `${VAR}` too; a credential written literally in the file works, with a warning.
//! What the config says wins over the environment, as in object_store. Credentials are
//! [`Secret`]s: `Debug`, `Display` and `serde` print `<redacted>`, and no error message
//! quotes a credential or a URI that could hold one.
//!
//! # Refused
//! - `aws_conditional_put: disabled`: delta-rs 1.x then refuses every commit (it always
//!   commits with a conditional put). A server that ignores `If-None-Match` is detected
//!   and refused at run time; `aws_s3_allow_unsafe_rename: true` (delta-rs' name for "one
//!   writer only") is the opt-out.
//! - an `http://` endpoint without `aws_allow_http: true` (object_store would refuse it
//!   with a less helpful message); credentials inside an endpoint URL.

use std::collections::BTreeMap;
use std::fmt;

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use super::expand::expand_vars;
use super::rules::did_you_mean;

mod keys;
mod scheme;
mod secret;
#[cfg(test)]
mod tests;
mod uri;

pub use scheme::Scheme;
pub use secret::{Secret, REDACTED};
pub use uri::{TableUri, PROFILE_PLACEHOLDER};

use keys::{KeyInfo, Kind};

/// An option's value: plain, or a credential that never prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OptionValue {
    Plain(String),
    Secret(Secret),
}

impl OptionValue {
    /// The value to hand the storage client.
    pub fn expose(&self) -> &str {
        match self {
            OptionValue::Plain(v) => v,
            OptionValue::Secret(s) => s.expose(),
        }
    }
}

impl fmt::Display for OptionValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OptionValue::Plain(v) => f.write_str(v),
            OptionValue::Secret(s) => s.fmt(f),
        }
    }
}

impl Serialize for OptionValue {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            OptionValue::Plain(v) => s.serialize_str(v),
            OptionValue::Secret(secret) => secret.serialize(s),
        }
    }
}

/// A problem with one option, for the config walk to place at its line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionProblem {
    /// The key as written.
    pub key: String,
    /// What is wrong and what to do; never quotes a credential.
    pub message: String,
    /// A warning (the option still applies) rather than an error.
    pub warning: bool,
}

/// One option as the config file wrote it (key recognized, value checked).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    /// The key as written, lower-cased.
    written: String,
    value: OptionValue,
}

/// The `storage_options` mapping of one level (top-level defaults or a profile), parsed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StorageOptions {
    entries: Vec<Entry>,
}

impl StorageOptions {
    /// Read `pairs` (key, value as written). Unknown keys ("did you mean"), bad values and
    /// unset `${VAR}`s are problems; the other options are kept. Keys are matched
    /// case-insensitively; a key given twice (also under two aliases) is an error.
    pub fn parse<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> (StorageOptions, Vec<OptionProblem>) {
        let mut out = StorageOptions::default();
        let mut problems = Vec::new();
        let mut seen: BTreeMap<String, String> = BTreeMap::new();
        for (written, raw) in pairs {
            let error = |message: String| OptionProblem { key: written.to_string(), message, warning: false };
            let candidates = keys::lookup(written);
            let Some(info) = candidates.first() else {
                let message = match did_you_mean(written, keys::all_spellings()) {
                    Some(s) => format!("unknown storage option; did you mean {s}?"),
                    None => "unknown storage option; storage_options takes object_store's keys (aws_endpoint, aws_region, aws_allow_http, aws_conditional_put, ...)".into(),
                };
                problems.push(error(message));
                continue;
            };
            let lower = written.to_ascii_lowercase();
            // `aws_timeout` and `google_timeout` are one client key for two stores.
            let identity = match (info.applies, keys::prefix_scheme(written)) {
                (keys::Applies::Remote, Some(scheme)) => format!("{}:{}", scheme.as_str(), info.name),
                _ => info.name.to_string(),
            };
            if let Some(first) = seen.insert(identity, lower.clone()) {
                problems.push(error(if first == lower {
                    "given twice; keep one".into()
                } else {
                    format!("the same option as {first}, given twice; keep one")
                }));
                continue;
            }
            let literal = !raw.contains("${");
            let value = match expand_vars(raw) {
                Ok(v) => v,
                Err(e) => {
                    problems.push(error(e));
                    continue;
                }
            };
            match check_value(info, &lower, &value) {
                Ok(value) => {
                    if info.secret && literal && !value.is_empty() {
                        problems.push(OptionProblem {
                            key: written.to_string(),
                            message: "a credential written in the config file: leave it out and set the environment variable (AWS_SECRET_ACCESS_KEY...), or write ${VAR}".into(),
                            warning: true,
                        });
                    }
                    let value =
                        if info.secret { OptionValue::Secret(Secret::new(value)) } else { OptionValue::Plain(value) };
                    out.entries.push(Entry { written: lower, value });
                }
                Err(message) => problems.push(error(message)),
            }
        }
        (out, problems)
    }

    /// True when no option is set.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl Serialize for StorageOptions {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.entries.len()))?;
        for e in &self.entries {
            map.serialize_entry(&e.written, &e.value)?;
        }
        map.end()
    }
}

/// Where an effective option came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "from", content = "name")]
pub enum OptionSource {
    /// The profile's `compact.storage_options`.
    Profile,
    /// The top-level `compact.storage_options`.
    Default,
    /// This environment variable.
    Environment(String),
}

/// One effective option.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResolvedOption {
    /// object_store's name for it.
    pub key: &'static str,
    pub value: OptionValue,
    pub source: OptionSource,
}

/// A table's location and every option its client is built with. Prints and serializes
/// with credentials redacted; [`ResolvedStorage::client_options`] is the one way out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResolvedStorage {
    pub table_uri: TableUri,
    pub options: Vec<ResolvedOption>,
}

impl ResolvedStorage {
    /// The option's value, if set.
    pub fn get(&self, key: &str) -> Option<&OptionValue> {
        self.options.iter().find(|o| o.key == key).map(|o| &o.value)
    }

    /// `(key, value)` pairs with the credentials in clear, for the storage client
    /// (delta-rs' `storage_options`). Never log them.
    pub fn client_options(&self) -> Vec<(String, String)> {
        self.options.iter().map(|o| (o.key.to_string(), o.value.expose().to_string())).collect()
    }

    /// The S3 endpoint, when one is set (`None`: AWS itself).
    pub fn endpoint(&self) -> Option<&str> {
        self.get("aws_endpoint").map(OptionValue::expose)
    }
}

impl fmt::Display for ResolvedStorage {
    /// `s3://bucket/prefix (aws_endpoint=http://..., aws_secret_access_key=<redacted> from AWS_SECRET_ACCESS_KEY)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.table_uri)?;
        if self.options.is_empty() {
            return Ok(());
        }
        let parts: Vec<String> = self
            .options
            .iter()
            .map(|o| match &o.source {
                OptionSource::Environment(var) => format!("{}={} from {var}", o.key, o.value),
                _ => format!("{}={}", o.key, o.value),
            })
            .collect();
        write!(f, " ({})", parts.join(", "))
    }
}

/// The effective storage of a table at `table_uri`: the profile's options over the
/// top-level defaults over the environment (`env` looks a variable up; the real one is
/// `|name| std::env::var(name).ok()`). Errors say which key and what to do.
pub fn resolve(
    table_uri: &TableUri,
    profile: &StorageOptions,
    defaults: &StorageOptions,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<ResolvedStorage, Vec<OptionProblem>> {
    let scheme = table_uri.scheme();
    let mut problems = Vec::new();
    let mut chosen: BTreeMap<&'static str, ResolvedOption> = BTreeMap::new();
    for (level, source) in [(defaults, OptionSource::Default), (profile, OptionSource::Profile)] {
        for entry in &level.entries {
            match pick(&entry.written, scheme) {
                Some(info) => {
                    let key = info.name_for(scheme);
                    chosen.insert(key, ResolvedOption { key, value: entry.value.clone(), source: source.clone() });
                }
                None if source == OptionSource::Profile => problems.push(OptionProblem {
                    key: entry.written.clone(),
                    message: not_for_scheme(&entry.written, table_uri),
                    warning: false,
                }),
                None => {} // a default for tables on another store
            }
        }
    }
    if scheme.is_remote() {
        for info in keys::KEYS.iter().filter(|k| k.applies_to(scheme)) {
            let key = info.name_for(scheme);
            if chosen.contains_key(key) {
                continue;
            }
            for var in keys::env_names(info, scheme) {
                let Some(raw) = env(&var).filter(|v| !v.is_empty()) else { continue };
                match check_value(info, key, &raw) {
                    Ok(v) => {
                        let value =
                            if info.secret { OptionValue::Secret(Secret::new(v)) } else { OptionValue::Plain(v) };
                        chosen.insert(key, ResolvedOption { key, value, source: OptionSource::Environment(var) });
                    }
                    Err(message) => problems.push(OptionProblem {
                        key: var.clone(),
                        message: format!("environment variable {var}: {message}"),
                        warning: false,
                    }),
                }
                break;
            }
        }
    }
    let resolved = ResolvedStorage { table_uri: table_uri.clone(), options: chosen.into_values().collect() };
    problems.extend(cross_checks(&resolved));
    if problems.iter().any(|p| !p.warning) {
        return Err(problems);
    }
    Ok(resolved)
}

/// The key `written` names for a table on `scheme`, if it means something there.
fn pick(written: &str, scheme: Scheme) -> Option<&'static KeyInfo> {
    let pinned = keys::prefix_scheme(written);
    keys::lookup(written)
        .into_iter()
        .find(|k| k.applies_to(scheme) && (k.applies != keys::Applies::Remote || pinned.is_none_or(|s| s == scheme)))
}

fn not_for_scheme(written: &str, uri: &TableUri) -> String {
    let stores: Vec<&str> = keys::lookup(written)
        .iter()
        .flat_map(|k| match k.applies {
            keys::Applies::Only(s) => vec![s.as_str()],
            keys::Applies::Remote => vec!["s3", "gs", "az"],
        })
        .collect();
    let scheme = uri.scheme();
    if scheme == Scheme::File {
        return format!(
            "a local table ({uri}) takes no storage options; remove it, or put the table on an object store"
        );
    }
    format!(
        "an option of {} tables, but this table is {}://; remove it or use the {} option",
        stores.iter().map(|s| format!("{s}://")).collect::<Vec<_>>().join(", "),
        scheme.as_str(),
        scheme.as_str()
    )
}

/// Check and normalize `value` for `info` (written `name`). Never quotes a credential's value.
fn check_value(info: &KeyInfo, name: &str, value: &str) -> Result<String, String> {
    let value = value.trim();
    let shown = |v: &str| if info.secret { REDACTED.to_string() } else { format!("{v:?}") };
    if value.is_empty() {
        return Err(format!("{} is empty; set a value or leave the key out", name));
    }
    match info.kind {
        Kind::Text => Ok(value.to_string()),
        Kind::Bool => match value.to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" | "1" => Ok("true".into()),
            "false" | "no" | "off" | "0" => Ok("false".into()),
            _ => Err(format!("{} takes true or false, got {}", name, shown(value))),
        },
        Kind::Int => value
            .parse::<u64>()
            .map(|n| n.to_string())
            .map_err(|_| format!("{} takes a whole number, got {}", name, shown(value))),
        Kind::Float => match value.parse::<f64>() {
            Ok(n) if n.is_finite() && n > 0.0 => Ok(value.to_string()),
            _ => Err(format!("{} takes a positive number, got {}", name, shown(value))),
        },
        Kind::Duration => humantime::parse_duration(value)
            .map(|_| value.to_string())
            .map_err(|e| format!("{} takes a duration such as 30s or 5m, got {} ({e})", name, shown(value))),
        Kind::Choice(words) => {
            let lower = value.to_ascii_lowercase();
            if words.contains(&lower.as_str()) {
                Ok(lower)
            } else {
                Err(format!("{} takes {}, got {}", name, words.join(" or "), shown(value)))
            }
        }
        Kind::Url => check_url(name, value),
    }
}

fn check_url(name: &str, value: &str) -> Result<String, String> {
    let Some((scheme, rest)) = value.split_once("://") else {
        return Err(format!(
            "{name} takes an address such as http://127.0.0.1:8333 or https://s3.example.com, got {value:?}"
        ));
    };
    let authority = rest.split('/').next().unwrap_or_default();
    if authority.contains('@') {
        // Never echo it: the part before '@' is a user name and password.
        return Err(format!(
            "{name} has a user name or password in it; write the plain address and put the credentials in the environment"
        ));
    }
    if !matches!(scheme.to_ascii_lowercase().as_str(), "http" | "https") || authority.is_empty() {
        return Err(format!("{name} takes an http:// or https:// address, got {value:?}"));
    }
    Ok(value.trim_end_matches('/').to_string())
}

fn cross_checks(resolved: &ResolvedStorage) -> Vec<OptionProblem> {
    let mut problems = Vec::new();
    let flag = |key: &str| resolved.get(key).map(OptionValue::expose) == Some("true");
    if resolved.table_uri.scheme() == Scheme::S3 {
        for key in ["aws_endpoint", "aws_endpoint_url_s3"] {
            if let Some(endpoint) = resolved.get(key) {
                if endpoint.expose().to_ascii_lowercase().starts_with("http://") && !flag("aws_allow_http") {
                    problems.push(OptionProblem {
                        key: key.into(),
                        message: format!(
                            "{key} {} is plain http://; set aws_allow_http: true to allow it (or AWS_ALLOW_HTTP=true), or use https://",
                            endpoint.expose()
                        ),
                        warning: false,
                    });
                }
            }
        }
        if resolved.get("aws_conditional_put").map(OptionValue::expose) == Some("disabled") {
            problems.push(OptionProblem {
                key: "aws_conditional_put".into(),
                message: "disabled makes delta-rs refuse every commit (it commits with If-None-Match); remove the key. For a server without conditional writes set aws_s3_allow_unsafe_rename: true, and let only one machine write the table".into(),
                warning: false,
            });
        }
    }
    problems
}
