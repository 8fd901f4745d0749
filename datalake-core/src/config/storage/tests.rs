use std::collections::HashMap;

use super::*;

const SECRET: &str = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY";

fn uri(text: &str) -> TableUri {
    TableUri::parse(text, "cex_ticks").unwrap()
}

fn parse(pairs: &[(&str, &str)]) -> StorageOptions {
    let (options, problems) = StorageOptions::parse(pairs.iter().copied());
    assert!(problems.iter().all(|p| p.warning), "{problems:?}");
    options
}

fn problems(pairs: &[(&str, &str)]) -> Vec<OptionProblem> {
    StorageOptions::parse(pairs.iter().copied()).1
}

fn no_env(_: &str) -> Option<String> {
    None
}

fn env_of(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    move |name| map.get(name).cloned()
}

fn local_s3() -> StorageOptions {
    parse(&[("aws_endpoint", "http://127.0.0.1:8333"), ("aws_allow_http", "true"), ("aws_region", "us-east-1")])
}

#[test]
fn table_uris_of_every_store() {
    let s3 = uri("s3://market-data/tables/{profile}");
    assert_eq!((s3.scheme(), s3.bucket(), s3.path()), (Scheme::S3, "market-data", "tables/cex_ticks"));
    assert_eq!(s3.url(), "s3://market-data/tables/cex_ticks");
    assert_eq!(uri("s3a://lake/t/").url(), "s3://lake/t");
    assert_eq!(uri("s3://lake").url(), "s3://lake");
    assert_eq!(uri("gs://my_bucket/x").scheme(), Scheme::Gcs);
    assert_eq!(uri("az://container/x/y").url(), "az://container/x/y");
    let local = uri("file:///srv/lake/tables/{profile}/");
    assert_eq!(local.local_path(), Some(std::path::Path::new("/srv/lake/tables/cex_ticks")));
    assert_eq!(uri("/srv/lake/t").url(), "file:///srv/lake/t");
    assert_eq!(serde_json::to_string(&s3).unwrap(), "\"s3://market-data/tables/cex_ticks\"");
    assert_eq!(s3.to_string(), "s3://market-data/tables/cex_ticks");
    assert!(!Scheme::File.is_remote() && Scheme::S3.is_remote());
}

#[test]
fn table_uri_expands_home_and_variables() {
    let home = std::env::var("HOME").unwrap_or_default();
    if home.starts_with('/') {
        assert_eq!(uri("~/tables/{profile}").url(), format!("file://{}/tables/cex_ticks", home.trim_end_matches('/')));
        assert_eq!(uri("${HOME}/t").local_path().unwrap(), std::path::Path::new(&home).join("t"));
    }
    let e = TableUri::parse("s3://${DATALAKE_TEST_UNSET_BUCKET_9Z}/t", "p").unwrap_err();
    assert!(e.contains("DATALAKE_TEST_UNSET_BUCKET_9Z") && e.contains("not set"), "{e}");
}

#[test]
fn bad_table_uris_say_what_to_write() {
    let cases: &[(&str, &str)] = &[
        ("", "empty"),
        ("tables/x", "relative path"),
        ("http://127.0.0.1:8333/lake/t", "aws_endpoint"),
        ("https://s3.amazonaws.com/lake", "aws_endpoint"),
        ("ftp://lake/t", "unsupported scheme ftp://"),
        ("file://host/srv/t", "take no host"),
        ("s3:///t", "names no S3 bucket"),
        ("s3://Lake/t", "not a valid S3 bucket name"),
        ("s3://la/t", "not a valid S3 bucket name"),
        ("s3://-lake/t", "not a valid S3 bucket name"),
        ("s3://lake_x/t", "not a valid S3 bucket name"),
        ("az://con.tainer/t", "not a valid Azure container name"),
        ("s3://lake//t", "empty segment"),
        ("s3://lake/a/../b", "\"..\""),
        ("s3://lake/t?versionId=1", "query"),
        ("s3://lake/{date}/t", "unknown placeholder {date}"),
        ("/srv/./t", "\".\""),
    ];
    for (text, want) in cases {
        let e = TableUri::parse(text, "p").unwrap_err();
        assert!(e.contains(want), "{text}: {e}");
    }
}

#[test]
fn credentials_in_a_table_uri_are_refused_without_being_quoted() {
    for text in [format!("s3://AKIAEXAMPLE:{SECRET}@lake/t"), format!("s3://{SECRET}@lake")] {
        let e = TableUri::parse(&text, "p").unwrap_err();
        assert!(e.contains("credentials") && e.contains("AWS_ACCESS_KEY_ID"), "{e}");
        assert!(!e.contains(SECRET), "{e}");
    }
    let e = TableUri::parse(&format!("az://c0n/t?sig={SECRET}"), "p").unwrap_err();
    assert!(!e.contains(SECRET), "{e}");
}

#[test]
fn options_take_object_store_names_any_case_and_aliases() {
    let options = parse(&[
        ("AWS_ENDPOINT_URL", "http://127.0.0.1:8333/"),
        ("Region", "eu-west-1"),
        ("aws_allow_http", "yes"),
        ("virtual_hosted_style_request", "off"),
        ("AWS_S3_ALLOW_UNSAFE_RENAME", "TRUE"),
        ("aws_timeout", "30s"),
        ("max_retries", "5"),
        ("backoff_config.base", "2.5"),
    ]);
    let resolved = resolve(&uri("s3://lake/t"), &options, &StorageOptions::default(), &no_env).unwrap();
    let got: Vec<(String, String)> = resolved.client_options();
    let want = [
        ("aws_allow_http", "true"),
        ("aws_endpoint", "http://127.0.0.1:8333"),
        ("aws_region", "eu-west-1"),
        ("aws_s3_allow_unsafe_rename", "true"),
        ("aws_virtual_hosted_style_request", "false"),
        ("backoff_config.base", "2.5"),
        ("max_retries", "5"),
        ("timeout", "30s"),
    ];
    assert_eq!(got, want.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<Vec<_>>());
    assert_eq!(resolved.endpoint(), Some("http://127.0.0.1:8333"));
}

#[test]
fn unknown_duplicate_and_bad_values_are_each_reported() {
    let found = problems(&[
        ("aws_endpont", "http://x:1"),
        ("aws_region", "a"),
        ("region", "b"),
        ("aws_allow_http", "maybe"),
        ("aws_conditional_put", "dynamo"),
        ("timeout", "soon"),
        ("max_retries", "-1"),
        ("aws_endpoint", "127.0.0.1:8333"),
        ("aws_access_key_id", ""),
        ("zzzz", "1"),
    ]);
    let messages: Vec<String> = found.iter().map(|p| format!("{}: {}", p.key, p.message)).collect();
    let want = [
        "aws_endpont: unknown storage option; did you mean aws_endpoint?",
        "region: the same option as aws_region, given twice; keep one",
        "aws_allow_http: aws_allow_http takes true or false, got \"maybe\"",
        "aws_conditional_put: aws_conditional_put takes etag or disabled, got \"dynamo\"",
        "timeout: timeout takes a duration such as 30s or 5m",
        "max_retries: max_retries takes a whole number",
        "aws_endpoint: aws_endpoint takes an address such as http://127.0.0.1:8333",
        "aws_access_key_id: aws_access_key_id is empty",
        "zzzz: unknown storage option; storage_options takes object_store's keys",
    ];
    assert_eq!(messages.len(), want.len(), "{messages:#?}");
    for (got, want) in messages.iter().zip(want) {
        assert!(got.starts_with(want), "{got}\n  wanted: {want}");
    }
}

#[test]
fn profile_options_override_defaults_which_override_the_environment() {
    let defaults =
        parse(&[("aws_region", "us-east-1"), ("aws_endpoint", "http://127.0.0.1:1"), ("aws_allow_http", "true")]);
    let profile = parse(&[("region", "eu-central-1")]);
    let env = env_of(&[
        ("AWS_REGION", "ap-south-1"),
        ("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE"),
        ("AWS_SECRET_ACCESS_KEY", SECRET),
        ("AWS_ENDPOINT_URL", "http://127.0.0.1:2"),
        ("GOOGLE_SERVICE_ACCOUNT", "/not/for/s3.json"),
    ]);
    let resolved = resolve(&uri("s3://lake/t"), &profile, &defaults, &env).unwrap();
    let source = |key: &str| resolved.options.iter().find(|o| o.key == key).map(|o| o.source.clone());
    assert_eq!(resolved.get("aws_region").unwrap().expose(), "eu-central-1");
    assert_eq!(source("aws_region"), Some(OptionSource::Profile));
    assert_eq!(resolved.endpoint(), Some("http://127.0.0.1:1"));
    assert_eq!(source("aws_endpoint"), Some(OptionSource::Default));
    assert_eq!(resolved.get("aws_secret_access_key").unwrap().expose(), SECRET);
    assert_eq!(source("aws_secret_access_key"), Some(OptionSource::Environment("AWS_SECRET_ACCESS_KEY".into())));
    assert_eq!(source("aws_access_key_id"), Some(OptionSource::Environment("AWS_ACCESS_KEY_ID".into())));
    assert!(resolved.get("google_service_account").is_none());
}

#[test]
fn the_environment_alone_can_configure_s3() {
    let env = env_of(&[
        ("AWS_ENDPOINT_URL", "http://127.0.0.1:8333"),
        ("AWS_ALLOW_HTTP", "true"),
        ("AWS_DEFAULT_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE"),
        ("AWS_SECRET_ACCESS_KEY", SECRET),
        ("AWS_SESSION_TOKEN", "tok-tok"),
    ]);
    let resolved = resolve(&uri("s3://lake/t"), &StorageOptions::default(), &StorageOptions::default(), &env).unwrap();
    let keys: Vec<&str> = resolved.options.iter().map(|o| o.key).collect();
    assert_eq!(
        keys,
        [
            "aws_access_key_id",
            "aws_allow_http",
            "aws_default_region",
            "aws_endpoint",
            "aws_secret_access_key",
            "aws_session_token"
        ]
    );
    let bad = env_of(&[("AWS_ALLOW_HTTP", "perhaps")]);
    let e = resolve(&uri("s3://lake/t"), &StorageOptions::default(), &StorageOptions::default(), &bad).unwrap_err();
    assert!(
        e[0].message.starts_with("environment variable AWS_ALLOW_HTTP: aws_allow_http takes true or false"),
        "{e:?}"
    );
}

#[test]
fn options_of_another_store_are_errors_in_a_profile_and_skipped_in_defaults() {
    let gcs = uri("gs://bucket/t");
    let profile = parse(&[("aws_region", "eu-west-1"), ("google_service_account", "/k.json"), ("timeout", "10s")]);
    let e = resolve(&gcs, &profile, &StorageOptions::default(), &no_env).unwrap_err();
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(e[0].key, "aws_region");
    assert!(e[0].message.contains("an option of s3:// tables, but this table is gs://"), "{}", e[0].message);
    let defaults = parse(&[("aws_region", "eu-west-1"), ("aws_timeout", "5s"), ("google_timeout", "9s")]);
    let resolved = resolve(&gcs, &StorageOptions::default(), &defaults, &no_env).unwrap();
    assert_eq!(resolved.client_options(), [("timeout".to_string(), "9s".to_string())]);
    // Shared aliases find the key of the table's store.
    let token = parse(&[("token", "t0k3n")]);
    let az = resolve(&uri("az://container/t"), &token, &StorageOptions::default(), &no_env).unwrap();
    assert_eq!(az.options[0].key, "azure_storage_token");
    let s3 = resolve(&uri("s3://lake/t"), &token, &StorageOptions::default(), &no_env).unwrap();
    assert_eq!(s3.options[0].key, "aws_session_token");
    // A local table takes none.
    let e = resolve(&uri("/srv/t"), &local_s3(), &StorageOptions::default(), &no_env).unwrap_err();
    assert!(e[0].message.contains("local table"), "{e:?}");
    assert!(resolve(&uri("/srv/t"), &StorageOptions::default(), &local_s3(), &no_env).unwrap().options.is_empty());
}

#[test]
fn plain_http_needs_allow_http_and_conditional_put_cannot_be_disabled() {
    let e = resolve(
        &uri("s3://lake/t"),
        &parse(&[("aws_endpoint", "http://127.0.0.1:8333")]),
        &StorageOptions::default(),
        &no_env,
    )
    .unwrap_err();
    assert_eq!(e[0].key, "aws_endpoint");
    assert!(e[0].message.contains("set aws_allow_http: true"), "{}", e[0].message);
    let ok = parse(&[("aws_endpoint", "https://s3.example.com")]);
    assert!(resolve(&uri("s3://lake/t"), &ok, &StorageOptions::default(), &no_env).is_ok());

    let disabled = parse(&[("aws_conditional_put", "disabled")]);
    let e = resolve(&uri("s3://lake/t"), &disabled, &local_s3(), &no_env).unwrap_err();
    assert_eq!(e[0].key, "aws_conditional_put");
    assert!(e[0].message.contains("aws_s3_allow_unsafe_rename: true"), "{}", e[0].message);
    let etag = parse(&[("aws_conditional_put", "ETag")]);
    let resolved = resolve(&uri("s3://lake/t"), &etag, &local_s3(), &no_env).unwrap();
    assert_eq!(resolved.get("aws_conditional_put").unwrap().expose(), "etag");
}

#[test]
fn variables_expand_in_values_and_literal_credentials_get_a_warning() {
    std::env::set_var("DATALAKE_TEST_S3_SECRET_4K", SECRET);
    let (options, found) = StorageOptions::parse([
        ("aws_secret_access_key", "${DATALAKE_TEST_S3_SECRET_4K}"),
        ("aws_session_token", "literal-token-in-file"),
        ("aws_region", "${DATALAKE_TEST_S3_UNSET_4K}"),
    ]);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(
        found[0].warning && found[0].key == "aws_session_token" && found[0].message.contains("environment variable")
    );
    assert!(!found[1].warning && found[1].message.contains("DATALAKE_TEST_S3_UNSET_4K"));
    let resolved = resolve(&uri("s3://lake/t"), &options, &StorageOptions::default(), &no_env).unwrap();
    assert_eq!(resolved.get("aws_secret_access_key").unwrap().expose(), SECRET);
}

/// Every way a value can leave the process (Debug, Display, serde, error messages) shows
/// `<redacted>` for a credential, whether it came from the file, `${VAR}` or the environment.
#[test]
fn credentials_never_print() {
    let session = "FwoGZXIvYXdzEJr-session-token-EXAMPLE";
    let (profile, warnings) = StorageOptions::parse([
        ("aws_secret_access_key", SECRET),
        ("aws_endpoint", "http://127.0.0.1:8333"),
        ("aws_allow_http", "true"),
    ]);
    let env = env_of(&[("AWS_SESSION_TOKEN", session), ("AWS_ACCESS_KEY_ID", "AKIAEXAMPLEKEYID")]);
    let resolved = resolve(&uri("s3://lake/t"), &profile, &StorageOptions::default(), &env).unwrap();
    let printed = [
        format!("{resolved}"),
        format!("{resolved:?}"),
        format!("{resolved:#?}"),
        format!("{profile:?}"),
        serde_json::to_string(&resolved).unwrap(),
        serde_json::to_string(&profile).unwrap(),
        serde_yaml::to_string(&resolved).unwrap(),
        format!("{warnings:?}"),
    ];
    for text in &printed {
        for secret in [SECRET, session, "AKIAEXAMPLEKEYID"] {
            assert!(!text.contains(secret), "a credential leaked into: {text}");
        }
        assert!(text.contains(REDACTED) || text.contains("credential"), "{text}");
    }
    assert!(printed[0].contains("aws_secret_access_key=<redacted>"), "{}", printed[0]);
    assert!(printed[0].contains("aws_session_token=<redacted> from AWS_SESSION_TOKEN"), "{}", printed[0]);
    assert!(printed[0].contains("aws_endpoint=http://127.0.0.1:8333"), "{}", printed[0]);
    // The client gets them in clear, and only through client_options().
    assert!(resolved.client_options().contains(&("aws_secret_access_key".into(), SECRET.into())));

    // Bad values of credential keys are not quoted either.
    let bad = problems(&[("aws_sse_customer_key_base64", "  ")]);
    assert!(!format!("{bad:?}").contains(SECRET));
    let e = problems(&[("aws_endpoint", &format!("http://AKIA:{SECRET}@127.0.0.1:8333"))]);
    assert!(e[0].message.contains("user name or password") && !e[0].message.contains(SECRET), "{e:?}");
}

#[test]
fn every_key_and_alias_is_unique_per_store_and_lower_case() {
    for scheme in [Scheme::S3, Scheme::Gcs, Scheme::Azure] {
        let mut seen = std::collections::BTreeSet::new();
        for k in keys::KEYS.iter().filter(|k| k.applies_to(scheme)) {
            for name in std::iter::once(k.name).chain(k.aliases.iter().copied()) {
                assert_eq!(name, name.to_ascii_lowercase());
                assert!(seen.insert(name), "{name} twice for {scheme:?}");
            }
        }
    }
    // Each scheme's env variables name one key each.
    let names: Vec<String> =
        keys::KEYS.iter().filter(|k| k.applies_to(Scheme::S3)).flat_map(|k| keys::env_names(k, Scheme::S3)).collect();
    for must in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT",
        "AWS_ALLOW_HTTP",
    ] {
        assert_eq!(names.iter().filter(|n| *n == must).count(), 1, "{must}");
    }
}
