//! The kinds of store a table can live on.

use serde::Serialize;

/// The kind of store a table lives on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scheme {
    /// A directory on this machine (`file://` or a plain path).
    File,
    /// Amazon S3 or an S3-compatible server (`s3://`). Tested against SeaweedFS.
    S3,
    /// Google Cloud Storage (`gs://`): what delta-rs supports, untested here.
    Gcs,
    /// Azure Blob Storage (`az://`): what delta-rs supports, untested here.
    Azure,
}

impl Scheme {
    /// `file`, `s3`, `gs` or `az`, as in a URI.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::File => "file",
            Scheme::S3 => "s3",
            Scheme::Gcs => "gs",
            Scheme::Azure => "az",
        }
    }

    /// True for object stores (anything but a local directory).
    pub fn is_remote(self) -> bool {
        self != Scheme::File
    }

    /// Where this store's credentials come from, for messages.
    pub fn credential_hint(self) -> &'static str {
        match self {
            Scheme::S3 => "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
            Scheme::Gcs => "GOOGLE_SERVICE_ACCOUNT or GOOGLE_APPLICATION_CREDENTIALS",
            Scheme::Azure => "AZURE_STORAGE_ACCOUNT_NAME and AZURE_STORAGE_ACCOUNT_KEY",
            Scheme::File => "none needed",
        }
    }
}
