//! Tests of config loading: the legacy example, every rule, positions, and garbage.

use std::path::{Path, PathBuf};

use super::*;
use crate::vocab::error::{Error, Result};

const ORIGIN: &str = "config/data_lake.yml";

/// The example from the issue, byte for byte: existing files must load unchanged.
const ISSUE_EXAMPLE: &str = r#"data_lake:
  root_dir: /data/lake
  checkpoint_dir: /data/lake/.checkpoints   # optional, default {root_dir}/.checkpoints
  profiles:
    cex_ticks:
      enabled: true                          # default true
      source:
        type: ssh                            # ssh | local
        host: 10.0.0.11
        port: 6677                           # default 6677
        user: ubuntu
        ssh_key: ~/.ssh/lightsail_key.pem    # default ~/.ssh/lightsail_key.pem
        remote_root: /var/data/cex_tickers
      local_subdir: cex_ticks
      retention_days: 30                     # default 30
      rsync_args: "-az --partial --inplace"  # optional
      checkpoint_file: /data/lake/.checkpoints/cex_ticks.json  # optional, default {checkpoint_dir}/{name}.json
"#;

fn load(text: &str) -> Result<Config> {
    Config::from_yaml_str(text, Some(Path::new(ORIGIN)))
}

/// Every error, in display form.
fn errors(text: &str) -> Vec<String> {
    match load(text) {
        Ok(c) => panic!("expected errors, loaded {c:#?}"),
        Err(Error::Config(e)) => {
            assert!(!e.errors.is_empty());
            assert_eq!(e.path.as_deref(), Some(Path::new(ORIGIN)));
            for d in &e.errors {
                assert_eq!(d.severity, Severity::Error);
                assert_eq!(d.file.as_deref(), Some(Path::new(ORIGIN)));
            }
            e.errors.iter().map(ToString::to_string).collect()
        }
        Err(other) => panic!("expected Error::Config, got {other:?}"),
    }
}

fn warnings(text: &str) -> Vec<String> {
    match load(text) {
        Ok(c) => c.warnings.iter().map(ToString::to_string).collect(),
        Err(e) => panic!("expected a config, got {e}"),
    }
}

fn has(list: &[String], needle: &str) -> bool {
    list.iter().any(|m| m.contains(needle))
}

#[track_caller]
fn assert_has(list: &[String], needle: &str) {
    assert!(has(list, needle), "no message containing {needle:?} in {list:#?}");
}

/// A valid config with `extra` appended to the single ssh profile `p`.
fn with_profile_keys(extra: &str) -> String {
    format!(
        "data_lake:\n  root_dir: /lake\n  profiles:\n    p:\n      source:\n        host: h\n        user: u\n        ssh_key: /dev/null\n        remote_root: /r\n{extra}"
    )
}

/// A valid config with `extra` appended to the `source:` of profile `p`.
fn with_source_keys(extra: &str) -> String {
    format!("data_lake:\n  root_dir: /lake\n  profiles:\n    p:\n      source:\n        remote_root: /r\n{extra}")
}

fn home() -> Option<PathBuf> {
    std::env::var_os("HOME").filter(|h| !h.is_empty()).map(PathBuf::from)
}

#[test]
fn issue_example_loads_unchanged_with_its_warnings() {
    let config = load(ISSUE_EXAMPLE).unwrap();
    assert_eq!(config.path.as_deref(), Some(Path::new(ORIGIN)));
    assert_eq!(config.root_dir, PathBuf::from("/data/lake"));
    assert_eq!(config.checkpoint_dir, PathBuf::from("/data/lake/.checkpoints"));
    let p = config.profile("cex_ticks").unwrap();
    assert!(p.enabled);
    let Source::Ssh(s) = &p.source else { panic!("expected ssh, got {:?}", p.source) };
    assert_eq!((s.host.as_str(), s.port, s.user.as_str()), ("10.0.0.11", 6677, "ubuntu"));
    assert_eq!(s.remote_root, "/var/data/cex_tickers");
    assert_eq!(s.target(), "ubuntu@10.0.0.11:6677");
    if let Some(home) = home() {
        assert_eq!(s.ssh_key, home.join(".ssh/lightsail_key.pem"));
    }
    assert_eq!(p.local_subdir, PathBuf::from("cex_ticks"));
    assert_eq!(p.local_dir, PathBuf::from("/data/lake/cex_ticks"));
    assert_eq!(p.retention_days, 30);
    assert_eq!(p.rsync_args.as_deref(), Some(&["-az".to_string(), "--partial".into(), "--inplace".into()][..]));
    assert_eq!(p.checkpoint_file, PathBuf::from("/data/lake/.checkpoints/cex_ticks.json"));
    assert_eq!(p.lock_file, PathBuf::from("/data/lake/.checkpoints/cex_ticks.lock"));
    assert_eq!((p.io_timeout, p.connect_timeout, p.retries, p.bwlimit), (300, 15, 3, None));
    assert_eq!(p.host_key_checking, HostKeyChecking::AcceptNew);
    assert_eq!(p.timezone, Timezone::Utc);
    assert!(p.exclude.is_empty() && p.known_hosts.is_none());

    let w: Vec<String> = config.warnings.iter().map(ToString::to_string).collect();
    assert!(config.warnings.iter().all(|d| d.severity == Severity::Warning));
    let prefix = "config/data_lake.yml:16:19: profiles.cex_ticks.rsync_args: ";
    assert_has(&w, &format!("{prefix}-z (in -az): Parquet is already compressed"));
    assert_has(&w, &format!("{prefix}--inplace: writes files under their real name"));
    assert_has(&w, &format!("{prefix}--partial without --partial-dir"));
    let key_exists = s.ssh_key.exists();
    assert_eq!(has(&w, "does not exist, so ssh cannot log in"), !key_exists, "{w:#?}");
    assert_eq!(w.len(), 3 + usize::from(!key_exists) + usize::from(has(&w, "readable by group")), "{w:#?}");
}

#[test]
fn example_yaml_loads_with_the_same_profile() {
    let config = load(example_yaml()).unwrap();
    let legacy = load(ISSUE_EXAMPLE).unwrap();
    assert_eq!(config.profiles, legacy.profiles);
    assert_eq!(config.warnings.len(), legacy.warnings.len());
    // Every optional key is shown, commented out, and each one loads when uncommented.
    let uncommented: String = example_yaml()
        .lines()
        .map(|l| {
            let t = l.trim_start();
            if [
                "# bwlimit",
                "# io_timeout",
                "# connect_timeout",
                "# retries",
                "# exclude",
                "#   - ",
                "# known_hosts",
                "# host_key_checking",
                "# timezone",
            ]
            .iter()
            .any(|k| t.starts_with(k))
            {
                l.replacen("# ", "", 1)
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    for key in [
        "bwlimit",
        "io_timeout",
        "connect_timeout",
        "retries",
        "exclude",
        "known_hosts",
        "host_key_checking",
        "timezone",
    ] {
        assert!(uncommented.contains(&format!("\n      {key}:")), "{key} missing from the example");
    }
    let full = load(&uncommented).unwrap();
    let p = full.profile("cex_ticks").unwrap();
    assert_eq!(p.bwlimit, Some(10_000));
    assert_eq!(p.exclude, vec!["*.tmp".to_string()]);
}

#[test]
fn defaults_fill_in() {
    let text = "other_tool: {x: 1}\ndata_lake:\n  root_dir: /lake\n  timezone: local\n  profiles:\n    ticks:\n      source:\n        host: collector-1\n        user: ubuntu\n        remote_root: /var/data\n    books:\n      timezone: utc\n      source: {type: local, remote_root: /mnt/books}\n";
    let c = load(text).unwrap();
    assert_eq!(c.checkpoint_dir, PathBuf::from("/lake/.checkpoints"));
    let t = c.profile("ticks").unwrap();
    assert_eq!(t.local_subdir, PathBuf::from("ticks"));
    assert_eq!(t.local_dir, PathBuf::from("/lake/ticks"));
    assert_eq!(t.checkpoint_file, PathBuf::from("/lake/.checkpoints/ticks.json"));
    assert_eq!(t.lock_file, PathBuf::from("/lake/.checkpoints/ticks.lock"));
    assert_eq!(t.timezone, Timezone::Local);
    assert_eq!(t.retention_days, DEFAULT_RETENTION_DAYS);
    assert!(t.rsync_args.is_none());
    let Source::Ssh(s) = &t.source else { panic!() };
    assert_eq!(s.port, DEFAULT_PORT);
    if let Some(home) = home() {
        assert_eq!(s.ssh_key, home.join(".ssh/lightsail_key.pem"));
    }
    let b = c.profile("books").unwrap();
    assert_eq!(b.source, Source::Local { remote_root: PathBuf::from("/mnt/books") });
    assert_eq!(b.source.display_remote(), "/mnt/books");
    assert_eq!(b.timezone, Timezone::Utc);
    assert_eq!(c.enabled_profiles().count(), 2);
}

#[test]
fn all_optional_keys_are_read() {
    let c = load(&with_profile_keys(
        "      enabled: no\n      bwlimit: 500\n      io_timeout: 60\n      connect_timeout: 5\n      retries: 0\n      exclude: ['*.tmp', '.~lock*']\n      known_hosts: /etc/ssh/kh\n      host_key_checking: yes\n      retention_days: 7\n      local_subdir: a/./b\n      checkpoint_file: /ck/p.json\n      rsync_args: \"-rt --exclude 'a b' --partial-dir=.rsync-partial\"\n",
    ))
    .unwrap();
    let p = c.profile("p").unwrap();
    assert!(!p.enabled);
    assert_eq!(c.enabled_profiles().count(), 0);
    assert_eq!((p.bwlimit, p.io_timeout, p.connect_timeout, p.retries), (Some(500), 60, 5, 0));
    assert_eq!(p.exclude, vec!["*.tmp".to_string(), ".~lock*".into()]);
    assert_eq!(p.known_hosts.as_deref(), Some(Path::new("/etc/ssh/kh")));
    assert_eq!(p.host_key_checking, HostKeyChecking::Yes);
    assert_eq!(p.retention_days, 7);
    assert_eq!(p.local_dir, PathBuf::from("/lake/a/b"));
    assert_eq!(p.checkpoint_file, PathBuf::from("/ck/p.json"));
    assert_eq!(
        p.rsync_args.as_deref().unwrap(),
        &["-rt", "--exclude", "a b", "--partial-dir=.rsync-partial"].map(String::from)[..]
    );
    assert!(c.warnings.is_empty(), "{:#?}", c.warnings);
}

#[test]
fn unknown_key_gets_position_and_suggestion() {
    let text = with_profile_keys("      retention_day: 30\n");
    assert_eq!(
        errors(&text),
        vec!["config/data_lake.yml:10:7: profiles.p.retention_day: unknown field; did you mean retention_days?"]
    );
    let e = errors("data_lake:\n  root_dir: /lake\n  profile: {}\n");
    assert_eq!(e, vec!["config/data_lake.yml:3:3: profile: unknown field; did you mean profiles?"]);
    let e = errors(&with_profile_keys("      zzzz: 1\n"));
    assert_has(&e, "profiles.p.zzzz: unknown field; known fields here: enabled, source,");
    let e = errors(&with_profile_keys("      port: 22\n"));
    assert_has(&e, "10:7: profiles.p.port: port belongs under source:");
    let e = errors(&with_source_keys("        host: h\n        user: u\n        retention_days: 3\n"));
    assert_has(&e, "profiles.p.source.retention_days: retention_days belongs in the profile");
    let e = errors(&with_source_keys("        hostname: h\n        user: u\n"));
    assert_has(&e, "profiles.p.source.hostname: unknown field; did you mean host?");
}

#[test]
fn collects_every_error_in_one_pass_with_positions() {
    let text = "\
data_lake:
  root_dir: /lake
  timezone: mars
  profiles:
    a:
      source:
        host: -evil
        port: abc
        user: ''
        remote_root: relative/path
      retention_days: 0
      retention_day: 3
    b c:
      source: {type: local, remote_root: /x, host: h}
";
    let e = errors(text);
    let expected = [
        "config/data_lake.yml:3:13: timezone: expected utc or local, got \"mars\"",
        "config/data_lake.yml:7:15: profiles.a.source.host: host \"-evil\" starts with '-'",
        "config/data_lake.yml:8:15: profiles.a.source.port: expected an integer from 1 to 65535, got \"abc\"",
        "config/data_lake.yml:9:15: profiles.a.source.user: user is empty",
        "config/data_lake.yml:10:22: profiles.a.source.remote_root: remote_root \"relative/path\" is not absolute",
        "config/data_lake.yml:11:23: profiles.a.retention_days: expected an integer from 1 to 36500 (days), got \"0\"",
        "config/data_lake.yml:12:7: profiles.a.retention_day: unknown field; did you mean retention_days?",
        "config/data_lake.yml:13:5: profiles.b c: profile name \"b c\" contains ' '",
        "config/data_lake.yml:14:46: profiles.b c.source.host: not used by type: local; remove it",
    ];
    assert_eq!(e.len(), expected.len(), "{e:#?}");
    for (got, want) in e.iter().zip(expected) {
        assert!(got.starts_with(want), "\n got: {got}\nwant: {want}...");
    }
    // The aggregated error lists them all.
    let Err(err) = load(text) else { panic!() };
    let shown = err.to_string();
    assert!(shown.starts_with("invalid configuration (9 problems):"), "{shown}");
    assert_eq!(err.kind(), crate::vocab::error::ErrorKind::Config);
}

#[test]
fn structure_errors() {
    assert_has(&errors(""), "the file is empty");
    assert_has(&errors("# nothing\n"), "the file is empty");
    assert_has(&errors("[]"), "the top level must be a mapping");
    assert_has(&errors("just text"), "the top level must be a mapping");
    assert_has(&errors("other: 1\n"), "no data_lake: section");
    assert_has(
        &errors("datalake:\n  root_dir: /x\n"),
        "1:1: no data_lake: section; found \"datalake\": did you mean data_lake?",
    );
    assert_has(&errors("data_lake:\n"), "data_lake: is empty");
    assert_has(&errors("data_lake: [1]\n"), "expected a mapping of keys");
    assert_has(&errors("data_lake:\n  profiles: {}\n"), "1:1: root_dir: root_dir is required");
    assert_has(&errors("data_lake:\n  root_dir:\n"), "2:3: root_dir: root_dir is required");
    assert_has(&errors("data_lake:\n  root_dir: /a\n  root_dir: /b\n"), "3:3: root_dir: duplicate key");
    assert_has(
        &errors("data_lake:\n  root_dir: /a\n  profiles: [a]\n"),
        "3:13: profiles: expected a mapping of profile names",
    );
    assert_has(&errors("data_lake:\n  root_dir: [/a]\n"), "root_dir: expected a string, got a list");
    assert_has(&errors("data_lake:\n  root_dir: /a\n  profiles:\n    p:\n"), "4:5: profiles.p: profile is empty");
    assert_has(
        &errors("data_lake:\n  root_dir: /a\n  profiles:\n    p: {enabled: true}\n"),
        "profiles.p.source: source is required",
    );
    assert_has(
        &errors("data_lake:\n  root_dir: /a\n  profiles:\n    ? [x]\n    : {}\n"),
        "profile names must be plain names",
    );
    assert_has(&errors("data_lake:\n  root_dir: /a\n  \"[k]\": 1\n"), "unknown field");
    // YAML syntax errors carry a position too.
    let e = errors("data_lake:\n  root_dir: [/a\n  profiles: {}\n");
    assert!(e[0].starts_with("config/data_lake.yml:") && e[0].contains("YAML syntax error"), "{e:?}");
    assert!(e[0].split(':').nth(1).is_some_and(|l| l.parse::<usize>().is_ok()), "{e:?}");
}

#[test]
fn empty_profiles_is_a_warning() {
    assert_has(&warnings("data_lake:\n  root_dir: /a\n"), "no profiles: nothing will be synced");
    assert_has(&warnings("data_lake:\n  root_dir: /a\n  profiles: {}\n"), "3:3: profiles: no profiles");
    assert_has(&warnings("data_lake:\n  root_dir: /a\n  profiles:\n"), "no profiles");
}

#[test]
fn type_errors_say_what_was_expected() {
    for (extra, needle) in [
        ("      enabled: maybe\n", "expected true or false, got \"maybe\""),
        ("      enabled: 'true'\n", "(quoted: remove the quotes)"),
        ("      retention_days: 1.5\n", "expected an integer from 1 to 36500 (days), got \"1.5\""),
        ("      retention_days: -3\n", "got \"-3\""),
        ("      bwlimit: 0\n", "expected an integer >= 1 (KiB/s; omit it for no limit), got \"0\""),
        ("      io_timeout: 0\n", "io_timeout: expected an integer from 1 to 86400 (seconds)"),
        ("      connect_timeout: x\n", "connect_timeout: expected an integer from 1 to 3600"),
        ("      retries: 21\n", "retries: expected an integer from 0 to 20, got \"21\""),
        ("      exclude: '*.tmp'\n", "expected a list of strings, e.g. [\"*.tmp\"], got \"*.tmp\""),
        ("      exclude: ['']\n", "exclude[0]: expected a non-empty string"),
        ("      exclude: [[a]]\n", "exclude[0]: expected a non-empty string, got a list"),
        ("      exclude: [\"a\\nb\"]\n", "exclude[0]: contains a control character"),
        ("      rsync_args: {a: 1}\n", "expected a string of rsync options"),
        ("      local_subdir: [a]\n", "local_subdir: expected a string, got a list"),
        ("      host_key_checking: maybe\n", "expected accept-new or yes, got \"maybe\""),
        ("      timezone: Europe/Paris\n", "named zones are not supported"),
    ] {
        assert_has(&errors(&with_profile_keys(extra)), needle);
    }
    for (extra, needle) in [
        ("        port: 0\n", "expected an integer from 1 to 65535, got \"0\""),
        ("        port: 65536\n", "expected an integer from 1 to 65535, got \"65536\""),
        ("        port: 99999999999999999999999999999999999999\n", "expected an integer from 1 to 65535"),
        ("        port: {a: 1}\n", "expected an integer from 1 to 65535, got a mapping"),
        ("        type: ftp\n", "type: expected ssh or local, got \"ftp\""),
    ] {
        assert_has(&errors(&with_source_keys(&format!("        host: h\n        user: u\n{extra}"))), needle);
    }
}

#[test]
fn lenient_spellings_of_the_old_tool_still_load() {
    let c = load(&with_source_keys(
        "        host: h\n        user: u\n        port: \"2222\"\n        ssh_key: /dev/null\n",
    ))
    .unwrap();
    let Source::Ssh(s) = &c.profile("p").unwrap().source else { panic!() };
    assert_eq!(s.port, 2222);
    let c = load(&with_source_keys(
        "        host: h\n        user: u\n        port: 0x16\n        ssh_key: /dev/null\n        type: SSH\n",
    ))
    .unwrap();
    let Source::Ssh(s) = &c.profile("p").unwrap().source else { panic!() };
    assert_eq!(s.port, 22);
    // Null means "use the default", as dict.get() with a default did.
    let c = load(&with_profile_keys("      retention_days:\n      rsync_args: ~\n      enabled: null\n")).unwrap();
    let p = c.profile("p").unwrap();
    assert_eq!((p.retention_days, p.rsync_args.is_none(), p.enabled), (30, true, true));
    // Merge keys, as PyYAML read them.
    let text = "defaults: &d\n  retention_days: 5\n  source: {host: h, user: u, ssh_key: /dev/null, remote_root: /r}\ndata_lake:\n  root_dir: /lake\n  profiles:\n    a:\n      <<: *d\n    b:\n      <<: *d\n      retention_days: 9\n";
    let c = load(text).unwrap();
    assert_eq!(c.profile("a").unwrap().retention_days, 5);
    assert_eq!(c.profile("b").unwrap().retention_days, 9);
    // A list of rsync args is taken word for word.
    let c = load(&with_profile_keys("      rsync_args: ['-rt', '--exclude=a b']\n")).unwrap();
    assert_eq!(
        c.profile("p").unwrap().rsync_args.as_deref().unwrap(),
        &["-rt".to_string(), "--exclude=a b".into()][..]
    );
}

#[test]
fn host_and_user_rules() {
    for bad in [
        "''",
        "-oProxyCommand=x",
        "'a b'",
        "'a;b'",
        "'a|b'",
        "'a&b'",
        "'$x'",
        "'`x`'",
        "\"a'b\"",
        "'a\"b'",
        "'<a>'",
        "'(a)'",
        "'a*'",
        "'a?'",
        "'[a]'",
        "'{a}'",
        "'a\\b'",
        "'a!'",
        "'a#b'",
        "'~a'",
        "\"a\\tb\"",
        "\"a\\x01\"",
    ] {
        let e = errors(&with_source_keys(&format!("        host: {bad}\n        user: {bad}\n")));
        assert!(has(&e, "source.host: host") && has(&e, "source.user: user"), "{bad}: {e:#?}");
    }
    let e = errors(&with_source_keys("        user: u\n"));
    assert_has(&e, "5:7: profiles.p.source.host: host is required for type: ssh");
    let e = errors(&with_source_keys("        host: h\n"));
    assert_has(&e, "profiles.p.source.user: user is required");
    let e =
        errors("data_lake:\n  root_dir: /lake\n  profiles:\n    p:\n      source:\n        host: h\n        user: u\n");
    assert_has(&e, "profiles.p.source.remote_root: remote_root is required");
}

#[test]
fn remote_root_rules() {
    let e = errors(
        &with_source_keys("        host: h\n        user: u\n        remote_root: ~/data\n")
            .replace("        remote_root: /r\n", ""),
    );
    assert_has(&e, "remote_root \"~/data\" is not absolute (~ is not expanded for the collector)");
    let e = errors(
        &with_source_keys("        host: h\n        user: u\n        remote_root: \"/a\\nb\"\n")
            .replace("        remote_root: /r\n", ""),
    );
    assert_has(&e, "control character");
    let e =
        errors("data_lake:\n  root_dir: /lake\n  profiles:\n    p:\n      source: {type: local, remote_root: rel}\n");
    assert_has(&e, "remote_root \"rel\" is not absolute");
    let e = errors("data_lake:\n  root_dir: /lake\n  profiles:\n    p:\n      source: {type: local, remote_root: /x, port: 1, user: u, ssh_key: /k}\n");
    assert_eq!(e.iter().filter(|m| m.contains("not used by type: local; remove it")).count(), 3, "{e:#?}");
    let w = warnings("data_lake:\n  root_dir: /lake\n  profiles:\n    p:\n      known_hosts: /kh\n      source: {type: local, remote_root: /x}\n");
    assert_has(&w, "profiles.p.known_hosts: only used by type: ssh sources");
}

#[test]
fn local_subdir_and_profile_name_rules() {
    for (subdir, needle) in [
        ("/abs", "is absolute"),
        ("../up", "contains '..'"),
        ("a/../../b", "contains '..'"),
        ("''", "local_subdir is empty"),
        ("'.'", "names root_dir itself"),
    ] {
        assert_has(&errors(&with_profile_keys(&format!("      local_subdir: {subdir}\n"))), needle);
    }
    for name in ["'a b'", "a/b", "'..'", "'-x'", "ü"] {
        let text = format!(
            "data_lake:\n  root_dir: /lake\n  profiles:\n    {name}:\n      source: {{type: local, remote_root: /x}}\n"
        );
        assert_has(&errors(&text), "4:5: profiles.");
    }
}

#[test]
fn profiles_never_share_or_nest_directories() {
    let two = |a: &str, b: &str| {
        format!("data_lake:\n  root_dir: /lake\n  profiles:\n    a:\n      source: {{type: local, remote_root: /x}}\n{a}    b:\n      source: {{type: local, remote_root: /y}}\n{b}")
    };
    let e = errors(&two("      local_subdir: same\n", "      local_subdir: same/\n"));
    assert_has(&e, "9:21: profiles.b.local_subdir: profiles a and b both write to /lake/same");
    let e = errors(&two("      local_subdir: data\n", "      local_subdir: data/b\n"));
    assert_has(&e, "profiles.b.local_subdir: the local directory /lake/data/b of profile b lies inside /lake/data");
    let e = errors(&two("      local_subdir: data/a\n", "      local_subdir: data\n"));
    assert_has(&e, "profiles.a.local_subdir: the local directory /lake/data/a of profile a lies inside /lake/data");
    // Siblings with a common prefix are fine.
    load(&two("      local_subdir: data\n", "      local_subdir: data2\n")).unwrap();
    // The default subdir (the name) collides with an explicit one.
    let e = errors(&two("", "      local_subdir: a\n"));
    assert_has(&e, "profiles a and b both write to /lake/a");
    // Shared checkpoint files.
    let e = errors(&two("      checkpoint_file: /ck/x.json\n", "      checkpoint_file: /ck/./x.json\n"));
    assert_has(&e, "profiles.b.checkpoint_file: profiles a and b share the checkpoint file /ck/x.json");
    let e = errors(&two("", "      checkpoint_file: /lake/.checkpoints/a.json\n"));
    assert_has(&e, "share the checkpoint file");
    // Checkpoints must stay out of synced directories.
    let e = errors(&two("      local_subdir: .checkpoints\n", ""));
    assert_has(&e, "is the checkpoint_dir /lake/.checkpoints");
    let e = errors(&two("", "").replace("  root_dir: /lake\n", "  root_dir: /lake\n  checkpoint_dir: /lake/a/ck\n"));
    assert_has(&e, "checkpoint_dir: checkpoint_dir /lake/a/ck lies inside /lake/a, the local directory of profile a");
    let e = errors(&two("", "      checkpoint_file: /lake/a/b.json\n"));
    assert_has(&e, "checkpoint file /lake/a/b.json of profile b lies inside /lake/a");
}

#[test]
fn host_key_checking_no_is_refused() {
    for v in ["no", "'no'", "false", "off", "NO"] {
        let e = errors(&with_profile_keys(&format!("      host_key_checking: {v}\n")));
        assert_has(&e, "impersonate the collector");
    }
}

#[test]
fn rsync_args_errors_and_warnings_reach_diagnostics() {
    let e = errors(&with_profile_keys("      rsync_args: \"-avze ssh /etc/ --remove-source-files\"\n"));
    assert_has(&e, "10:19: profiles.p.rsync_args: -e (in -avze): the tool sets the remote shell itself");
    assert_has(&e, "\"/etc/\" is a path or a stray value");
    assert_has(&e, "--remove-source-files: would delete the data on the collector");
    assert_has(&errors(&with_profile_keys("      rsync_args: \"-a --exclude '*.tmp\"\n")), "unbalanced quotes");
    let w = warnings(&with_profile_keys("      rsync_args: \"-rt --delete --append\"\n"));
    assert_has(&w, "--delete: the lake then loses whatever the collector's own cleanup drops");
    assert_has(&w, "--append: writes files under their real name");
    let w = warnings(&with_profile_keys("      rsync_args: '  '\n"));
    assert_has(&w, "rsync_args is empty");
    assert!(load(&with_profile_keys("      rsync_args: '  '\n")).unwrap().profile("p").unwrap().rsync_args.is_none());
}

#[test]
fn env_and_home_expansion() {
    let unset = "DATALAKE_CONFIG_TEST_UNSET_VAR_4F1C";
    assert!(std::env::var_os(unset).is_none());
    let e = errors(&format!("data_lake:\n  root_dir: ${{{unset}}}/lake\n"));
    assert_has(&e, &format!("2:13: root_dir: environment variable {unset} is not set"));
    let e = errors(&with_source_keys(&format!("        host: h\n        user: u\n        ssh_key: ${{{unset}}}/k\n")));
    assert_has(&e, &format!("source.ssh_key: environment variable {unset} is not set"));
    let e = errors(
        &with_source_keys(&format!("        host: h\n        user: u\n        remote_root: /data/${{{unset}}}\n"))
            .replace("        remote_root: /r\n", ""),
    );
    assert_has(&e, &format!("source.remote_root: environment variable {unset} is not set"));
    for key in ["known_hosts", "checkpoint_file"] {
        let e = errors(&with_profile_keys(&format!("      {key}: ${{{unset}}}/x\n")));
        assert_has(&e, &format!("profiles.p.{key}: environment variable {unset}"));
    }
    let e = errors(&format!("data_lake:\n  root_dir: /lake\n  checkpoint_dir: ~/${{{unset}}}\n"));
    assert_has(&e, "checkpoint_dir: environment variable");

    let Some(home) = home() else { return };
    let text = "data_lake:\n  root_dir: ${HOME}/lake\n  checkpoint_dir: ~/ck\n  profiles:\n    p:\n      known_hosts: ~/kh\n      checkpoint_file: ${HOME}/p.json\n      source:\n        host: h\n        user: u\n        ssh_key: ~/k\n        remote_root: ${HOME}/data\n";
    let c = load(text).unwrap();
    assert_eq!(c.root_dir, home.join("lake"));
    assert_eq!(c.checkpoint_dir, home.join("ck"));
    let p = c.profile("p").unwrap();
    assert_eq!(p.known_hosts.as_deref(), Some(home.join("kh").as_path()));
    assert_eq!(p.checkpoint_file, home.join("p.json"));
    assert_eq!(p.lock_file, home.join("ck/p.lock"));
    let Source::Ssh(s) = &p.source else { panic!() };
    assert_eq!(s.ssh_key, home.join("k"));
    assert_eq!(s.remote_root, format!("{}/data", home.display()));
}

#[test]
fn relative_paths_resolve_against_cwd_with_a_warning() {
    let cwd = std::env::current_dir().unwrap();
    let text = "data_lake:\n  root_dir: lake\n  checkpoint_dir: ./ck\n  profiles:\n    p:\n      source: {type: local, remote_root: /x}\n";
    let c = load(text).unwrap();
    assert_eq!(c.root_dir, cwd.join("lake"));
    assert_eq!(c.checkpoint_dir, cwd.join("ck"));
    assert_eq!(c.profile("p").unwrap().local_dir, cwd.join("lake/p"));
    let w: Vec<String> = c.warnings.iter().map(ToString::to_string).collect();
    assert_has(&w, "2:13: root_dir: relative path \"lake\" resolves against the current directory");
    assert_has(&w, "checkpoint_dir: relative path \"./ck\"");
    assert_has(&w, "an absolute path is safer");
}

#[test]
fn ssh_key_file_warnings() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("id");
    std::fs::write(&key, "k").unwrap();
    let text = with_source_keys(&format!("        host: h\n        user: u\n        ssh_key: {}\n", key.display()));
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert!(warnings(&text).is_empty());
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let w = warnings(&text);
    assert_has(&w, "profiles.p.source.ssh_key: ssh_key");
    assert_has(&w, "readable by group or others (mode 644)");
    assert_has(&w, "chmod 600");
    let missing = dir.path().join("nope");
    let text = with_source_keys(&format!("        host: h\n        user: u\n        ssh_key: {}\n", missing.display()));
    assert_has(&warnings(&text), "does not exist, so ssh cannot log in");
    // Disabled profiles and local sources are not checked.
    assert!(warnings(&format!("{text}      enabled: false\n")).is_empty());
}

#[test]
fn profile_lookup_suggests_names() {
    let c = load("data_lake:\n  root_dir: /lake\n  profiles:\n    cex_ticks: {source: {type: local, remote_root: /a}}\n    dex_pools: {source: {type: local, remote_root: /b}}\n").unwrap();
    assert_eq!(c.profile("cex_ticks").unwrap().name, "cex_ticks");
    match c.profile("cex_tick") {
        Err(Error::ProfileNotFound { name, suggestion, known }) => {
            assert_eq!(name, "cex_tick");
            assert_eq!(suggestion.as_deref(), Some("cex_ticks"));
            assert_eq!(known, vec!["cex_ticks".to_string(), "dex_pools".into()]);
        }
        other => panic!("{other:?}"),
    }
    let Err(e) = c.profile("zzz") else { panic!() };
    assert_eq!(e.to_string(), "profile \"zzz\" not found; known profiles: cex_ticks, dex_pools");
}

#[test]
fn files_missing_unreadable_and_validated() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("data_lake.yml");
    let Err(Error::Config(e)) = Config::load(&missing) else { panic!("expected a config error") };
    assert_eq!(e.errors.len(), 1);
    let shown = e.errors[0].to_string();
    assert!(shown.contains("does not exist") && shown.contains(&missing.display().to_string()), "{shown}");
    assert!(shown.contains("create it"), "{shown}");

    assert!(
        matches!(Config::load(dir.path()), Err(Error::Config(e)) if e.errors[0].message.contains("is a directory"))
    );

    let binary = dir.path().join("bin.yml");
    std::fs::write(&binary, b"data_lake:\n  root_dir: /a\xff\xfe\n").unwrap();
    let Err(Error::Config(e)) = Config::load(&binary) else { panic!() };
    assert!(e.errors[0].to_string().contains(":2:15: the file is not UTF-8"), "{}", e.errors[0]);

    let good = dir.path().join("good.yml");
    std::fs::write(&good, ISSUE_EXAMPLE).unwrap();
    let c = Config::load(&good).unwrap();
    assert_eq!(c.path.as_deref(), Some(good.as_path()));
    assert!(c.warnings.iter().all(|w| w.file.as_deref() == Some(good.as_path())));
    let r = Config::validate_file(&good);
    assert!(r.ok && r.errors.is_empty() && r.warnings.len() >= 3, "{r:#?}");

    let bad = dir.path().join("bad.yml");
    std::fs::write(
        &bad,
        ISSUE_EXAMPLE.replace("retention_days: 30", "retention_day: 30").replace("port: 6677", "port: x"),
    )
    .unwrap();
    let r = Config::validate_file(&bad);
    assert!(!r.ok);
    assert_eq!(r.path, bad);
    assert_eq!(r.errors.len(), 2, "{:#?}", r.errors);
    assert!(r.warnings.len() >= 3, "warnings are reported alongside errors: {:#?}", r.warnings);
    assert_eq!(r.errors[0].line, Some(10));

    let r = Config::validate_file(&missing);
    assert!(!r.ok && r.errors.len() == 1);
}

#[test]
fn garbage_never_panics() {
    let mut inputs: Vec<String> = vec![
        String::new(),
        "[]".into(),
        "{}".into(),
        "~".into(),
        "---\n...\n".into(),
        "data_lake: !!binary aGVsbG8=\n".into(),
        "data_lake: &a [*a]\n".into(),
        "data_lake:\n  profiles:\n    p: &p\n      <<: *p\n".into(),
        "data_lake:\n  <<: 5\n".into(),
        "data_lake:\n  <<: [1]\n".into(),
        "a: b: c".into(),
        "\t- x".into(),
        "'unterminated".into(),
        "data_lake:\n  root_dir: /a\n  profiles:\n    p:\n      source: [1, 2]\n".into(),
        "data_lake:\n  root_dir: /a\n  profiles:\n    p:\n      source:\n        remote_root: {a: b}\n".into(),
        "[".repeat(10_000),
        "{a: ".repeat(10_000),
        "- ".repeat(5_000),
        format!("data_lake:\n{}", "  x:\n".repeat(1000)),
    ];
    // Deterministic pseudo-random junk, including invalid UTF-8 replaced lossily.
    const PUNCT: &[u8] = b"-:[]{}&*!|>'\"#%@`, \n\tab01~?";
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    for len in [1usize, 7, 64, 512, 4096] {
        for _ in 0..20 {
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    // Bias towards YAML punctuation so the parser goes deep.
                    PUNCT[(seed % PUNCT.len() as u64) as usize].wrapping_add(if (seed >> 3) & 63 == 0 {
                        128
                    } else {
                        0
                    })
                })
                .collect();
            inputs.push(String::from_utf8_lossy(&bytes).into_owned());
        }
    }
    for input in &inputs {
        if let Err(e) = load(input) {
            assert_eq!(e.kind(), crate::vocab::error::ErrorKind::Config, "{input:?}");
            assert!(!e.to_string().is_empty());
        }
    }
}

#[test]
fn loading_is_fast() {
    // The target is under 1 ms in release builds; this debug-build check only
    // catches accidental blow-ups (a file stat per key, quadratic walks).
    let mut text = String::from("data_lake:\n  root_dir: /lake\n  profiles:\n");
    for i in 0..10 {
        text.push_str(&format!(
            "    p{i}:\n      source:\n        host: 10.0.0.{i}\n        user: ubuntu\n        ssh_key: /dev/null\n        remote_root: /var/data/{i}\n      retention_days: 30\n      rsync_args: \"-rt --partial-dir=.rsync-partial --exclude '*.tmp'\"\n      exclude: ['*.tmp']\n"
        ));
    }
    let start = std::time::Instant::now();
    for _ in 0..10 {
        let c = load(&text).unwrap();
        assert_eq!(c.profiles.len(), 10);
    }
    let each = start.elapsed() / 10;
    assert!(each < std::time::Duration::from_millis(50), "one load took {each:?}");
}

#[test]
fn crlf_and_bom_files_load() {
    let crlf = format!("\u{feff}{}", ISSUE_EXAMPLE.replace('\n', "\r\n"));
    let c = load(&crlf).unwrap();
    assert_eq!(c.profiles, load(ISSUE_EXAMPLE).unwrap().profiles);
    let e = errors(&crlf.replace("retention_days: 30", "retention_day: 30"));
    assert_has(&e, "config/data_lake.yml:15:7: profiles.cex_ticks.retention_day");
}
#[test]
fn min_age_and_check_parquet() {
    let c = load(&with_profile_keys("")).unwrap();
    let p = c.profiles.values().next().unwrap();
    assert_eq!((p.min_age, p.check_parquet), (DEFAULT_MIN_AGE, true));
    for (text, secs) in [("0", 0), ("1m", 60), ("90s", 90), ("\"1h 30m\"", 5400), ("7d", 7 * 86_400)] {
        let c = load(&with_profile_keys(&format!("      min_age: {text}\n      check_parquet: no\n"))).unwrap();
        let p = c.profiles.values().next().unwrap();
        assert_eq!(p.min_age.as_secs(), secs, "{text}");
        assert!(!p.check_parquet);
    }
    let e = errors(&with_profile_keys("      min_age: soon\n"));
    assert_has(&e, "min_age: expected a duration such as 1m, 90s or 2h (0 turns it off)");
    let e = errors(&with_profile_keys("      min_age: 8d\n"));
    assert_has(&e, "min_age: at most 7d");
    let e = errors(&with_profile_keys("      min_age: -1m\n"));
    assert_has(&e, "min_age: expected a duration");
}

/// The example file shows every key of the table, and where it shows a key
/// at its default (the first time the key appears), the value is the table's.
#[test]
fn example_yaml_agrees_with_the_key_table() {
    let lines: Vec<(String, String)> = example_yaml()
        .lines()
        .filter_map(|l| {
            let t = l.trim_start().trim_start_matches('#').trim_start();
            let (key, rest) = t.split_once(':')?;
            let value = rest.split(" #").next().unwrap_or("").trim().trim_matches('"');
            Some((key.to_string(), value.to_string()))
        })
        .collect();
    // A profile's `compact` key is the first of its name after the last `compact:` line
    // (the first is the top-level block of defaults).
    let compact_at = lines.iter().rposition(|(key, _)| key == "compact").unwrap_or(0);
    for k in KEYS {
        let from = if k.scope == Scope::Compact { compact_at } else { 0 };
        let Some((_, shown)) = lines[from..].iter().find(|(key, _)| key == k.name) else {
            panic!("{} missing from config/data_lake.yml.example", k.name);
        };
        if matches!(
            k.default,
            DefaultValue::Int(_) | DefaultValue::Bool(_) | DefaultValue::Duration(_) | DefaultValue::Text(_)
        ) {
            assert_eq!(*shown, k.default_text(), "{}: the example shows another default", k.name);
        }
    }
}

/// Every key the table lists is known to the validator, and only those: an
/// unknown key's message lists exactly the table's names of its scope.
#[test]
fn did_you_mean_lists_are_the_table() {
    let e = load("data_lake:\n  root_dir: /lake\n  zzz: 1\n").unwrap_err().to_string();
    assert!(e.contains(&format!("known fields here: {}", keys::names(Scope::DataLake).join(", "))), "{e}");
    let text = "data_lake:\n  root_dir: /lake\n  profiles:\n    p:\n      zzz: 1\n      source: {zzz: 1, host: h, user: u, remote_root: /r}\n";
    let e = load(text).unwrap_err().to_string();
    for scope in [Scope::Profile, Scope::Source] {
        assert!(e.contains(&format!("known fields here: {}", keys::names(scope).join(", "))), "{e}");
    }
}

#[test]
fn on_rewrite() {
    let c = load(&with_profile_keys("")).unwrap();
    assert_eq!(c.profiles.values().next().unwrap().on_rewrite, OnRewrite::Auto);
    for (text, want) in [("auto", OnRewrite::Auto), ("keep", OnRewrite::Keep), ("Replace", OnRewrite::Replace)] {
        let c = load(&with_profile_keys(&format!("      on_rewrite: {text}\n"))).unwrap();
        assert_eq!(c.profiles.values().next().unwrap().on_rewrite, want, "{text}");
        assert_eq!(want.as_str(), text.to_ascii_lowercase());
    }
    let e = errors(&with_profile_keys("      on_rewrite: always\n"));
    assert_has(&e, "on_rewrite: expected auto");
}
