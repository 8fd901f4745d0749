//! What an error of an object store means, from its message: the cause
//! a failed run names, beside the endpoint and bucket, and what to do.

/// A recognised cause of a failure of the object store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cause {
    /// What went wrong, in a few words.
    pub what: &'static str,
    /// What to do.
    pub hint: &'static str,
}

/// The cause `detail` (delta-rs' or object_store's message) shows, if any.
pub fn cause(detail: &str) -> Option<Cause> {
    let d = detail.to_ascii_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| d.contains(w));
    if has(&["nosuchbucket", "bucket does not exist", "specified bucket does not exist"]) {
        return Some(Cause {
            what: "the bucket does not exist",
            hint: "create the bucket (or fix the bucket name in compact.table_uri); datalake never creates buckets",
        });
    }
    if has(&["invalidaccesskeyid", "signaturedoesnotmatch", "accessdenied", "403 forbidden", "status 403"]) {
        return Some(Cause {
            what: "the server refused the credentials",
            hint: "check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or compact.storage_options) and the bucket's permissions",
        });
    }
    if has(&[
        "connection refused",
        "error sending request",
        "tcp connect error",
        "dns error",
        "timed out",
        "connection reset",
    ]) {
        return Some(Cause {
            what: "the server could not be reached",
            hint: "check that the object store is up and that compact.storage_options.aws_endpoint names it; the next run retries",
        });
    }
    if has(&["precondition failed", "status 412"]) {
        return Some(Cause {
            what: "another writer committed the same version",
            hint: "run again: the next run reads what the other writer committed",
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn causes_are_recognised_from_the_messages_of_the_store() {
        let c = |s: &str| cause(s).map(|c| c.what);
        assert_eq!(c("Generic S3 error: ... <Code>NoSuchBucket</Code>"), Some("the bucket does not exist"));
        assert_eq!(
            c("Client error with status 403 Forbidden: InvalidAccessKeyId"),
            Some("the server refused the credentials")
        );
        assert_eq!(
            c("error sending request for url (http://127.0.0.1:1/b): tcp connect error: Connection refused"),
            Some("the server could not be reached")
        );
        assert_eq!(c("the disk is full"), None);
    }
}
