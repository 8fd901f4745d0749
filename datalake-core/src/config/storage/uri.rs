//! `compact.table_uri`: where a profile's table lives.
//!
//! Accepted: `s3://bucket/prefix` (`s3a://` too: Spark's spelling), `gs://bucket/prefix`,
//! `az://container/prefix`, `file:///absolute/path` and a plain absolute path (`~` and
//! `${VAR}` expanded, as every path of the config). `{profile}` is replaced by the profile's
//! name, so one top-level default serves every profile: `s3://lake/tables/{profile}`.
//! Refused with a message that says what to write instead: relative paths, `http(s)://`
//! (the server's address goes in `storage_options.aws_endpoint`), credentials or a query in
//! the URI (they would end up in logs; credentials come from the environment), empty path
//! segments, `.` and `..`, and bucket names S3/GCS/Azure would refuse.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Serialize, Serializer};

use super::super::expand::{expand_local, expand_vars};
use super::scheme::Scheme;

/// The placeholder a `table_uri` may use.
pub const PROFILE_PLACEHOLDER: &str = "{profile}";

/// A validated table location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableUri {
    scheme: Scheme,
    /// The bucket (S3, GCS) or container (Azure); empty for a local table.
    bucket: String,
    /// The key prefix below the bucket, without leading or trailing `/` (may be empty);
    /// for a local table, the absolute directory.
    path: String,
}

impl TableUri {
    /// Parse `text` for the profile `profile` (which replaces `{profile}`).
    pub fn parse(text: &str, profile: &str) -> Result<TableUri, String> {
        let text = text.trim();
        if text.is_empty() {
            return Err("table_uri is empty; write s3://bucket/prefix or an absolute path".into());
        }
        let expanded = substitute_profile(&expand_vars(text)?, profile)?;
        let Some((scheme_text, rest)) = expanded.split_once("://") else {
            return local(&expanded);
        };
        let scheme = match scheme_text.to_ascii_lowercase().as_str() {
            "s3" | "s3a" => Scheme::S3,
            "gs" => Scheme::Gcs,
            "az" => Scheme::Azure,
            "file" => {
                if !rest.starts_with('/') {
                    return Err(format!(
                        "file:// URIs name a path on this machine and take no host: write file:///{rest} or the plain path"
                    ));
                }
                return local(rest);
            }
            "http" | "https" => {
                return Err(format!(
                    "table_uri is the table's location, not the server's address: write s3://bucket/prefix and put the server in storage_options (aws_endpoint: {scheme_text}://host:port)"
                ))
            }
            other => {
                return Err(format!(
                    "unsupported scheme {other}:// in table_uri; use s3:// (also for S3-compatible servers), gs://, az://, file:// or a plain path"
                ))
            }
        };
        remote(scheme, rest)
    }

    /// A table on this machine's disk.
    pub fn local_dir(path: impl Into<PathBuf>) -> Result<TableUri, String> {
        let path = path.into();
        local(&path.to_string_lossy())
    }

    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The bucket or container (empty for a local table).
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// The key prefix below the bucket (no leading or trailing `/`), or the local directory.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The directory of a local table.
    pub fn local_path(&self) -> Option<&Path> {
        (self.scheme == Scheme::File).then(|| Path::new(&self.path))
    }

    /// The URL delta-rs, Polars and DuckDB take: `s3://bucket/prefix`, `file:///dir`.
    pub fn url(&self) -> String {
        match self.scheme {
            Scheme::File => format!("file://{}", self.path),
            _ if self.path.is_empty() => format!("{}://{}", self.scheme.as_str(), self.bucket),
            _ => format!("{}://{}/{}", self.scheme.as_str(), self.bucket, self.path),
        }
    }
}

impl fmt::Display for TableUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.url())
    }
}

impl Serialize for TableUri {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.url())
    }
}

fn substitute_profile(text: &str, profile: &str) -> Result<String, String> {
    let replaced = text.replace(PROFILE_PLACEHOLDER, profile);
    if let Some(start) = replaced.find('{') {
        let end = replaced[start..].find('}').map_or(replaced.len(), |e| start + e + 1);
        return Err(format!(
            "unknown placeholder {} in table_uri; the only one is {PROFILE_PLACEHOLDER} (environment variables are ${{VAR}})",
            &replaced[start..end]
        ));
    }
    Ok(replaced)
}

fn local(path: &str) -> Result<TableUri, String> {
    let expanded = expand_local(path)?;
    if !expanded.starts_with('/') {
        return Err(format!(
            "table_uri {expanded:?} is a relative path; write an absolute one (other engines read the table by it), or s3://bucket/prefix"
        ));
    }
    let trimmed = expanded.trim_end_matches('/');
    check_segments(trimmed.trim_start_matches('/'), "path")?;
    Ok(TableUri {
        scheme: Scheme::File,
        bucket: String::new(),
        path: if trimmed.is_empty() { "/".into() } else { trimmed.into() },
    })
}

fn remote(scheme: Scheme, rest: &str) -> Result<TableUri, String> {
    let s = scheme.as_str();
    if rest.contains('?') || rest.contains('#') {
        return Err(format!(
            "table_uri must not carry a query or fragment ('?', '#'): tokens belong in storage_options or the environment; write {s}://bucket/prefix"
        ));
    }
    let (bucket, path) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.contains('@') || bucket.contains(':') {
        // Never echo it: it may hold an access key and secret.
        return Err(format!(
            "table_uri has credentials or a port in its {s}:// bucket part; write {s}://bucket/prefix, with the credentials in the environment ({}) and the server in storage_options",
            scheme.credential_hint()
        ));
    }
    if let Some(problem) = bucket_problem(scheme, bucket) {
        return Err(problem);
    }
    let path = path.trim_end_matches('/');
    check_segments(path, "prefix")?;
    Ok(TableUri { scheme, bucket: bucket.into(), path: path.into() })
}

fn check_segments(path: &str, what: &str) -> Result<(), String> {
    if path.is_empty() {
        return Ok(());
    }
    for segment in path.split('/') {
        match segment {
            "" => return Err(format!("table_uri {what} {path:?} has an empty segment ('//'); remove the extra '/'")),
            "." | ".." => {
                return Err(format!("table_uri {what} {path:?} contains {segment:?}; write the location out"))
            }
            _ if segment.chars().any(char::is_control) => {
                return Err(format!("table_uri {what} {path:?} contains a control character; remove it"))
            }
            _ => {}
        }
    }
    Ok(())
}

fn bucket_problem(scheme: Scheme, bucket: &str) -> Option<String> {
    let (what, extra): (&str, &[char]) = match scheme {
        Scheme::S3 => ("S3 bucket", &['.', '-']),
        Scheme::Gcs => ("GCS bucket", &['.', '-', '_']),
        _ => ("Azure container", &['-']),
    };
    if bucket.is_empty() {
        return Some(format!("table_uri names no {what}; write {}://bucket/prefix", scheme.as_str()));
    }
    let ok_chars = bucket.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || extra.contains(&c));
    let ok_ends = bucket.starts_with(|c: char| c.is_ascii_alphanumeric())
        && bucket.ends_with(|c: char| c.is_ascii_alphanumeric());
    if !(3..=63).contains(&bucket.len()) || !ok_chars || !ok_ends || bucket.contains("..") {
        let allowed = extra.iter().map(|c| format!("'{c}'")).collect::<Vec<_>>().join(", ");
        return Some(format!(
            "{bucket:?} is not a valid {what} name: 3 to 63 lowercase letters, digits and {allowed}, starting and ending with a letter or digit"
        ));
    }
    None
}
