//! The option names `compact.storage_options` accepts: object_store's configuration keys
//! (the names delta-rs and Polars take too), plus the few delta-rs adds.
//!
//! Copied from object_store 0.13 (`AmazonS3ConfigKey`, `GoogleConfigKey`, `AzureConfigKey`,
//! `ClientConfigKey`: their `FromStr` spellings are the aliases, their `AsRef` names the
//! canonical ones) and delta-rs 1.x (`deltalake_aws::constants`, `RetryConfig`). A key is
//! matched case-insensitively, so the upper-case spellings delta-rs documents
//! (`AWS_S3_ALLOW_UNSAFE_RENAME`) work too.

use super::scheme::Scheme;

/// What a value must look like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Any text.
    Text,
    /// `true`/`false` (also `yes`/`no`, `on`/`off`, `1`/`0`); passed on as `true`/`false`.
    Bool,
    /// An `http://` or `https://` address, without credentials in it.
    Url,
    /// A duration in humantime's syntax (`30s`, `5m`).
    Duration,
    /// A whole number.
    Int,
    /// A number.
    Float,
    /// One of a few words.
    Choice(&'static [&'static str]),
}

/// Which table locations a key applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Applies {
    /// One scheme's store.
    Only(Scheme),
    /// Every remote store: object_store's HTTP client options and delta-rs' retry options.
    Remote,
}

/// One accepted key.
#[derive(Debug, Clone, Copy)]
pub(crate) struct KeyInfo {
    /// object_store's own name for it (`AsRef<str>`), the one datalake prints and passes on.
    pub(crate) name: &'static str,
    /// Every other spelling object_store accepts for it.
    pub(crate) aliases: &'static [&'static str],
    pub(crate) applies: Applies,
    pub(crate) kind: Kind,
    /// A credential: never printed, logged or written anywhere.
    pub(crate) secret: bool,
}

const fn key(name: &'static str, aliases: &'static [&'static str], scheme: Scheme, kind: Kind) -> KeyInfo {
    KeyInfo { name, aliases, applies: Applies::Only(scheme), kind, secret: false }
}

const fn secret(name: &'static str, aliases: &'static [&'static str], scheme: Scheme) -> KeyInfo {
    KeyInfo { name, aliases, applies: Applies::Only(scheme), kind: Kind::Text, secret: true }
}

const fn remote(name: &'static str, kind: Kind) -> KeyInfo {
    KeyInfo { name, aliases: &[], applies: Applies::Remote, kind, secret: false }
}

use Kind::{Bool, Duration, Float, Int, Text, Url};
use Scheme::{Azure, Gcs, S3};

/// `aws_conditional_put` values object_store knows.
pub(crate) const CONDITIONAL_PUT: &[&str] = &["etag", "disabled"];

/// Every key, S3 first.
pub(crate) const KEYS: &[KeyInfo] = &[
    // Amazon S3 and S3-compatible servers.
    secret("aws_access_key_id", &["access_key_id"], S3),
    secret("aws_secret_access_key", &["secret_access_key"], S3),
    secret("aws_session_token", &["aws_token", "session_token", "token"], S3),
    key("aws_region", &["region"], S3, Text),
    key("aws_default_region", &["default_region"], S3, Text),
    key("aws_endpoint", &["aws_endpoint_url", "endpoint_url", "endpoint"], S3, Url),
    key("aws_endpoint_url_s3", &[], S3, Url),
    key("aws_virtual_hosted_style_request", &["virtual_hosted_style_request"], S3, Bool),
    key("aws_conditional_put", &["conditional_put"], S3, Kind::Choice(CONDITIONAL_PUT)),
    key("aws_copy_if_not_exists", &["copy_if_not_exists"], S3, Text),
    key("aws_s3_express", &["s3_express"], S3, Bool),
    key("aws_imdsv1_fallback", &["imdsv1_fallback"], S3, Bool),
    key("aws_metadata_endpoint", &["metadata_endpoint"], S3, Url),
    key("aws_unsigned_payload", &["unsigned_payload"], S3, Bool),
    key("aws_checksum_algorithm", &["checksum_algorithm"], S3, Text),
    key("aws_container_credentials_relative_uri", &["container_credentials_relative_uri"], S3, Text),
    key("aws_container_credentials_full_uri", &["container_credentials_full_uri"], S3, Text),
    key("aws_container_authorization_token_file", &["container_authorization_token_file"], S3, Text),
    key("aws_web_identity_token_file", &["web_identity_token_file"], S3, Text),
    key("aws_role_arn", &["role_arn"], S3, Text),
    key("aws_role_session_name", &["role_session_name"], S3, Text),
    key("aws_endpoint_url_sts", &["endpoint_url_sts"], S3, Url),
    key("aws_skip_signature", &["skip_signature"], S3, Bool),
    key("aws_disable_tagging", &["disable_tagging"], S3, Bool),
    key("aws_request_payer", &["request_payer"], S3, Bool),
    key("aws_server_side_encryption", &["server_side_encryption"], S3, Text),
    key("aws_sse_kms_key_id", &["sse_kms_key_id"], S3, Text),
    key("aws_sse_bucket_key_enabled", &["sse_bucket_key_enabled"], S3, Bool),
    secret("aws_sse_customer_key_base64", &["sse_customer_key_base64"], S3),
    // delta-rs' own S3 keys.
    key("aws_s3_allow_unsafe_rename", &[], S3, Bool),
    key("aws_profile", &[], S3, Text),
    // Google Cloud Storage.
    key(
        "google_service_account",
        &["service_account", "google_service_account_path", "service_account_path"],
        Gcs,
        Text,
    ),
    secret("google_service_account_key", &["service_account_key"], Gcs),
    key("google_application_credentials", &["application_credentials"], Gcs, Text),
    key("google_base_url", &["base_url"], Gcs, Url),
    key("google_skip_signature", &["skip_signature"], Gcs, Bool),
    // Azure Blob Storage.
    key("azure_storage_account_name", &["account_name"], Azure, Text),
    secret(
        "azure_storage_account_key",
        &["azure_storage_access_key", "azure_storage_master_key", "master_key", "account_key", "access_key"],
        Azure,
    ),
    key("azure_storage_client_id", &["azure_client_id", "client_id"], Azure, Text),
    secret("azure_storage_client_secret", &["azure_client_secret", "client_secret"], Azure),
    key(
        "azure_storage_tenant_id",
        &["azure_storage_authority_id", "azure_tenant_id", "azure_authority_id", "tenant_id", "authority_id"],
        Azure,
        Text,
    ),
    key("azure_storage_authority_host", &["azure_authority_host", "authority_host"], Azure, Url),
    secret("azure_storage_sas_key", &["azure_storage_sas_token", "sas_key", "sas_token"], Azure),
    secret("azure_storage_token", &["bearer_token", "token"], Azure),
    key("azure_storage_use_emulator", &["use_emulator"], Azure, Bool),
    key("azure_storage_endpoint", &["azure_endpoint", "endpoint"], Azure, Url),
    key("azure_msi_endpoint", &["azure_identity_endpoint", "identity_endpoint", "msi_endpoint"], Azure, Url),
    key("azure_object_id", &["object_id"], Azure, Text),
    key("azure_msi_resource_id", &["msi_resource_id"], Azure, Text),
    key("azure_federated_token_file", &["federated_token_file"], Azure, Text),
    key("azure_use_fabric_endpoint", &["use_fabric_endpoint"], Azure, Bool),
    key("azure_use_azure_cli", &["use_azure_cli"], Azure, Bool),
    key("azure_skip_signature", &["skip_signature"], Azure, Bool),
    key("azure_container_name", &["container_name"], Azure, Text),
    key("azure_disable_tagging", &["disable_tagging"], Azure, Bool),
    // object_store's HTTP client (every remote store; `aws_`/`google_`/`azure_` prefixes accepted).
    remote("allow_http", Bool),
    remote("allow_invalid_certificates", Bool),
    remote("connect_timeout", Duration),
    remote("default_content_type", Text),
    remote("http1_only", Bool),
    remote("http2_only", Bool),
    remote("http2_keep_alive_interval", Duration),
    remote("http2_keep_alive_timeout", Duration),
    remote("http2_keep_alive_while_idle", Bool),
    remote("http2_max_frame_size", Int),
    remote("pool_idle_timeout", Duration),
    remote("pool_max_idle_per_host", Int),
    remote("proxy_url", Url),
    remote("proxy_ca_certificate", Text),
    remote("proxy_excludes", Text),
    remote("randomize_addresses", Bool),
    remote("timeout", Duration),
    remote("user_agent", Text),
    // delta-rs' retry settings (object_store's RetryConfig).
    remote("max_retries", Int),
    remote("retry_timeout", Duration),
    remote("backoff_config.init_backoff", Duration),
    remote("backoff_config.max_backoff", Duration),
    remote("backoff_config.base", Float),
];

impl KeyInfo {
    /// The name to pass to object_store/delta-rs and to show, for a table on `scheme`:
    /// object_store's own name, except the client key `allow_http`, which S3 users know
    /// as `aws_allow_http` (object_store accepts both).
    pub(crate) fn name_for(&self, scheme: Scheme) -> &'static str {
        match (self.name, scheme) {
            ("allow_http", Scheme::S3) => "aws_allow_http",
            (name, _) => name,
        }
    }

    /// True when the key means something for a table on `scheme`.
    pub(crate) fn applies_to(&self, scheme: Scheme) -> bool {
        match self.applies {
            Applies::Only(s) => s == scheme,
            Applies::Remote => scheme.is_remote(),
        }
    }
}

/// The keys `written` (any case) may name, for any scheme: several when an alias is shared
/// (`skip_signature`, `token`, `endpoint`), in table order.
pub(crate) fn lookup(written: &str) -> Vec<&'static KeyInfo> {
    let lower = written.to_ascii_lowercase();
    let mut found: Vec<&'static KeyInfo> =
        KEYS.iter().filter(|k| k.name == lower || k.aliases.contains(&lower.as_str())).collect();
    if found.is_empty() {
        // object_store takes client options with the store's prefix (`aws_timeout`).
        for prefix in ["aws_", "google_", "azure_"] {
            if let Some(rest) = lower.strip_prefix(prefix) {
                let scheme = match prefix {
                    "aws_" => Scheme::S3,
                    "google_" => Scheme::Gcs,
                    _ => Scheme::Azure,
                };
                found.extend(KEYS.iter().filter(|k| {
                    k.applies == Applies::Remote && k.name == rest && !k.name.contains('.') && k.applies_to(scheme)
                }));
            }
        }
    }
    found
}

/// The scheme a prefixed spelling pins a key to (`aws_timeout` is S3's), if any.
pub(crate) fn prefix_scheme(written: &str) -> Option<Scheme> {
    let lower = written.to_ascii_lowercase();
    [("aws_", Scheme::S3), ("google_", Scheme::Gcs), ("azure_", Scheme::Azure)]
        .into_iter()
        .find(|(p, _)| lower.starts_with(p))
        .map(|(_, s)| s)
}

/// Every spelling, for "did you mean".
pub(crate) fn all_spellings() -> impl Iterator<Item = &'static str> {
    KEYS.iter().flat_map(|k| std::iter::once(k.name).chain(k.aliases.iter().copied())).chain(["aws_allow_http"])
}

/// The environment variables that set `key` for a table on `scheme`, in the order looked
/// at: object_store reads every `AWS_*`/`GOOGLE_*`/`AZURE_*` variable whose lower-cased
/// name is one of its keys; `AWS_ENDPOINT_URL` is the AWS SDKs' standard name.
pub(crate) fn env_names(key: &KeyInfo, scheme: Scheme) -> Vec<String> {
    let prefix = match scheme {
        Scheme::S3 => "aws_",
        Scheme::Gcs => "google_",
        Scheme::Azure => "azure_",
        Scheme::File => return Vec::new(),
    };
    let mut names: Vec<String> = std::iter::once(key.name)
        .chain(key.aliases.iter().copied())
        .filter(|n| n.starts_with(prefix))
        .map(str::to_ascii_uppercase)
        .collect();
    if key.applies == Applies::Remote && !key.name.contains('.') {
        let prefixed = format!("{prefix}{}", key.name).to_ascii_uppercase();
        if !names.contains(&prefixed) {
            names.push(prefixed);
        }
    }
    names
}
