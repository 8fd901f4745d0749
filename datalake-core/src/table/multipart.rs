//! Multipart uploads a killed run left under a remote table (delta-rs uploads
//! a table file above 5 MiB in parts; a writer killed meanwhile leaves an
//! upload nobody completes, billed until aborted). object_store has no
//! `ListMultipartUploads`, so this file sends it itself: one signed
//! `GET /bucket?uploads&prefix=<table>/` (SigV4 by object_store's
//! `AwsAuthorizer`), then a signed `DELETE ?uploadId=` per upload older than
//! [`ORPHAN_AFTER`], whose writer is surely gone (a fresh one may be another
//! writer's, still uploading). Runs at the start of each run that writes; an
//! hour with nothing new skips it.
//!
//! Only with credentials datalake knows (the config or the `AWS_*`
//! variables); with the AWS SDK's chain (profiles, roles) the leftovers stay
//! for a lifecycle rule (`AbortIncompleteMultipartUpload`).

use std::time::Duration;

use chrono::{DateTime, Utc};
use deltalake_core::logstore::object_store::aws::{AwsAuthorizer, AwsCredential};
use deltalake_core::logstore::object_store::client::{
    ClientOptions, HttpClient, HttpConnector, HttpRequestBody, ReqwestConnector,
};

use super::store::Store;
use crate::config::storage::{ResolvedStorage, Scheme};
use crate::vocab::error::Result;

/// An upload initiated longer ago than this is taken as abandoned.
pub const ORPHAN_AFTER: Duration = Duration::from_secs(3600);

/// One upload in progress under the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    pub key: String,
    pub id: String,
    pub initiated: Option<DateTime<Utc>>,
}

/// What the cleanup found.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Leftovers {
    /// Uploads aborted.
    pub aborted: Vec<Upload>,
    /// Uploads younger than the threshold, left alone.
    pub kept: Vec<Upload>,
}

/// Abort the multipart uploads under the table at `store` initiated more than
/// `older_than` ago. `None` when not applicable (not S3, or no static credentials).
pub fn abort_leftovers(store: &Store, older_than: Duration) -> Result<Option<Leftovers>> {
    let Some(r) = store.remote().filter(|r| r.table_uri.scheme() == Scheme::S3) else { return Ok(None) };
    let Some(target) = Target::of(r) else { return Ok(None) };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| store.error("start the I/O runtime for", e, "the system is out of threads or memory"))?;
    let fail = |e: String| {
        store.error(
            "clean up multipart uploads of",
            e,
            "check compact.storage_options; uploads left behind are aborted by the next run",
        )
    };
    rt.block_on(async {
        let uploads = target.list().await.map_err(fail)?;
        let cutoff = Utc::now() - chrono::TimeDelta::from_std(older_than).unwrap_or(chrono::TimeDelta::MAX);
        let mut out = Leftovers::default();
        for upload in uploads {
            if upload.initiated.is_some_and(|t| t > cutoff) {
                out.kept.push(upload);
                continue;
            }
            target.abort(&upload).await.map_err(fail)?;
            out.aborted.push(upload);
        }
        Ok(Some(out))
    })
}

/// Where and how to send the requests.
struct Target {
    client: HttpClient,
    credential: AwsCredential,
    region: String,
    /// `http://host:port/bucket`, path style.
    bucket_url: String,
    /// The table's key prefix, with a trailing `/`.
    prefix: String,
}

impl Target {
    fn of(r: &ResolvedStorage) -> Option<Target> {
        let get = |k: &str| r.get(k).map(|v| v.expose().to_string());
        let credential = AwsCredential {
            key_id: get("aws_access_key_id")?,
            secret_key: get("aws_secret_access_key")?,
            token: get("aws_session_token"),
        };
        let region = get("aws_region").or_else(|| get("aws_default_region")).unwrap_or_else(|| "us-east-1".into());
        let endpoint = r.endpoint().map(str::to_string).unwrap_or_else(|| format!("https://s3.{region}.amazonaws.com"));
        let allow_http = get("aws_allow_http").as_deref() == Some("true");
        let client = ReqwestConnector::default().connect(&ClientOptions::new().with_allow_http(allow_http)).ok()?;
        let prefix = match r.table_uri.path() {
            "" => String::new(),
            p => format!("{p}/"),
        };
        let bucket_url = format!("{}/{}", endpoint.trim_end_matches('/'), r.table_uri.bucket());
        Some(Target { client, credential, region, bucket_url, prefix })
    }

    async fn send(&self, method: &str, url: String) -> std::result::Result<String, String> {
        let mut request = http::Request::builder()
            .method(method)
            .uri(&url)
            .body(HttpRequestBody::empty())
            .map_err(|e| e.to_string())?;
        AwsAuthorizer::new(&self.credential, "s3", &self.region).authorize(&mut request, None);
        let response = self.client.execute(request).await.map_err(|e| e.to_string())?;
        let status = response.status();
        let body = response.into_body().bytes().await.map_err(|e| e.to_string())?;
        let text = String::from_utf8_lossy(&body).into_owned();
        if !status.is_success() {
            return Err(format!("{method} {url}: {status}: {text}"));
        }
        Ok(text)
    }

    async fn list(&self) -> std::result::Result<Vec<Upload>, String> {
        let url = format!("{}?uploads&prefix={}", self.bucket_url, encode(&self.prefix));
        Ok(parse_uploads(&self.send("GET", url).await?))
    }

    async fn abort(&self, upload: &Upload) -> std::result::Result<(), String> {
        let key: Vec<String> = upload.key.split('/').map(encode).collect();
        let url = format!("{}/{}?uploadId={}", self.bucket_url, key.join("/"), encode(&upload.id));
        self.send("DELETE", url).await.map(|_| ())
    }
}

/// RFC 3986 percent-encoding of everything but unreserved characters.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The uploads of a `ListMultipartUploadsResult`.
fn parse_uploads(xml: &str) -> Vec<Upload> {
    let field = |block: &str, tag: &str| {
        let open = format!("<{tag}>");
        let start = block.find(&open)? + open.len();
        let end = block[start..].find(&format!("</{tag}>"))? + start;
        Some(unescape(&block[start..end]))
    };
    xml.split("<Upload>")
        .skip(1)
        .filter_map(|block| {
            Some(Upload {
                key: field(block, "Key")?,
                id: field(block, "UploadId")?,
                initiated: field(block, "Initiated").and_then(|t| t.parse().ok()),
            })
        })
        .collect()
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&apos;", "'").replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uploads_parse_from_the_listing() {
        let xml = "<ListMultipartUploadsResult><Bucket>b</Bucket><Upload><Key>t/a&amp;b.parquet</Key><UploadId>u1</UploadId><Initiated>2026-12-05T03:00:00.000Z</Initiated></Upload><Upload><Key>t/c</Key><UploadId>u2</UploadId></Upload></ListMultipartUploadsResult>";
        let got = parse_uploads(xml);
        assert_eq!(got.len(), 2);
        assert_eq!((got[0].key.as_str(), got[0].id.as_str()), ("t/a&b.parquet", "u1"));
        assert_eq!(got[0].initiated.map(|t| t.to_rfc3339()), Some("2026-12-05T03:00:00+00:00".into()));
        assert_eq!(got[1].initiated, None);
        assert_eq!(encode("t/x=1 y"), "t%2Fx%3D1%20y");
    }
}
