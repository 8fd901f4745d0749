//! `compact.table_uri` on an object store and `compact.storage_options`, top-level and per profile.

use std::path::Path;

use crate::config::storage::{OptionSource, Scheme, REDACTED};
use crate::config::{Config, TablePlace};
use crate::vocab::error::Error;

fn config(top: &str, profiles: &[(&str, &str)]) -> String {
    let mut text = format!("data_lake:\n  root_dir: /lake\n{top}  profiles:\n");
    for (name, compact) in profiles {
        text.push_str(&format!(
            "    {name}:\n      source: {{type: local, remote_root: /r}}\n      compact:\n        enabled: true\n{compact}"
        ));
    }
    text
}

fn load(text: &str) -> Result<Config, Vec<String>> {
    match Config::from_yaml_str(text, Some(Path::new("c.yml"))) {
        Ok(c) => Ok(c),
        Err(Error::Config(e)) => Err(e.errors.iter().map(ToString::to_string).collect()),
        Err(e) => panic!("unexpected error {e}"),
    }
}

fn place<'c>(c: &'c Config, profile: &str) -> &'c TablePlace {
    &c.profiles[profile].compact.table
}

#[test]
fn a_top_level_default_serves_every_profile_and_a_profile_overrides_options_key_by_key() {
    let top = "  compact:\n    table_uri: s3://market-data/tables/{profile}\n    storage_options:\n      aws_endpoint: http://127.0.0.1:8333\n      aws_region: us-east-1\n      AWS_ALLOW_HTTP: yes\n";
    let text = config(top, &[("cex", "        storage_options: {aws_region: eu-west-1}\n"), ("dex", "")]);
    let c = load(&text).unwrap_or_else(|e| panic!("{e:?}"));
    let TablePlace::Remote { storage, local } = place(&c, "cex") else { panic!("{:?}", place(&c, "cex")) };
    assert_eq!(storage.table_uri.to_string(), "s3://market-data/tables/cex");
    assert_eq!(storage.table_uri.scheme(), Scheme::S3);
    assert_eq!(local, Path::new("/lake/cex/_table"));
    assert_eq!(storage.get("aws_region").map(|v| v.expose()), Some("eu-west-1"));
    assert_eq!(storage.get("aws_allow_http").map(|v| v.expose()), Some("true"));
    let region = storage.options.iter().find(|o| o.key == "aws_region").map(|o| o.source.clone());
    assert_eq!(region, Some(OptionSource::Profile));
    let dex = place(&c, "dex");
    assert_eq!(dex.display(), "s3://market-data/tables/dex");
    assert_eq!(dex.remote().and_then(|r| r.get("aws_region")).map(|v| v.expose()), Some("us-east-1"));
}

#[test]
fn a_local_table_stays_the_default_and_a_profile_uri_beats_the_default() {
    let top = "  compact:\n    table_uri: /tables/{profile}\n";
    let own = "        table_uri: s3://b-1/x\n        storage_options: {aws_region: r}\n";
    let c = load(&config(top, &[("a", ""), ("b", own)])).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(place(&c, "a"), &TablePlace::Local { path: "/tables/a".into() });
    assert_eq!(place(&c, "b").display(), "s3://b-1/x");
    let c = load(&config("", &[("a", "")])).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(place(&c, "a"), &TablePlace::Local { path: "/lake/a/_table".into() });
}

#[test]
fn problems_are_placed_at_their_key_and_never_quote_a_credential() {
    let secret = "wJalrXUtnFEMI-K7MDENG-bPxRfiCY";
    let own = format!(
        "        table_uri: s3://lake/t\n        storage_options:\n          aws_endpoint: http://127.0.0.1:1\n          aws_secret_access_key: {secret}\n          aws_regoin: x\n"
    );
    let errors = load(&config("", &[("p", &own)])).unwrap_err();
    let all = errors.join("\n");
    assert!(all.contains("aws_regoin") && all.contains("did you mean aws_region"), "{all}");
    assert!(all.contains("aws_allow_http: true"), "{all}");
    assert!(!all.contains(secret), "{all}");
    // A local table takes no options; the top-level block takes only the two defaults.
    let errors = load(&config("", &[("p", "        storage_options: {aws_region: r}\n")])).unwrap_err();
    assert!(errors.join("\n").contains("the table is local"), "{errors:?}");
    let errors = load(&config("  compact:\n    sort_by: [timestamp]\n", &[("p", "")])).unwrap_err();
    assert!(errors.join("\n").contains("holds the defaults table_uri and storage_options"), "{errors:?}");
    let errors = load(&config("", &[("p", "        table_uri: https://s3.example.com/b\n")])).unwrap_err();
    assert!(errors.join("\n").contains("put the server in storage_options"), "{errors:?}");
    let errors = load(&config(
        "",
        &[("p", "        table_uri: s3://lake/t\n        storage_options: {aws_conditional_put: disabled}\n")],
    ))
    .unwrap_err();
    assert!(errors.join("\n").contains("aws_s3_allow_unsafe_rename"), "{errors:?}");
}

#[test]
fn a_remote_place_prints_and_serializes_without_its_credentials() {
    let own = "        table_uri: s3://lake/t\n        storage_options: {aws_secret_access_key: s3cr3t-value, aws_access_key_id: AKIDEXAMPLE}\n";
    let c = load(&config("", &[("p", own)])).unwrap_or_else(|e| panic!("{e:?}"));
    let p = place(&c, "p");
    let json = serde_json::to_string(p).unwrap_or_default();
    let debug = format!("{p:?} {}", p.display());
    for shown in [&json, &debug] {
        assert!(!shown.contains("s3cr3t-value") && !shown.contains("AKIDEXAMPLE"), "{shown}");
        assert!(shown.contains(REDACTED) || shown == &debug, "{shown}");
    }
    let exposed = p.remote().map(|r| r.client_options()).unwrap_or_default();
    assert!(exposed.contains(&("aws_secret_access_key".into(), "s3cr3t-value".into())), "{exposed:?}");
}
