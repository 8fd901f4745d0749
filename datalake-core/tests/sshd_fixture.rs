//! Smoke tests of the test fixtures themselves (tests/support): the loopback sshd accepts
//! its key and nothing else, and real rsync over it copies a generated tree byte-exact.

mod support;

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use chrono::{Days, Utc};
use support::SshServer;

fn ssh(args: &[String], remote_cmd: &str) -> Output {
    Command::new("ssh").args(args).arg(remote_cmd).output().unwrap_or_else(|e| panic!("cannot run ssh: {e}"))
}

#[test]
fn ssh_and_rsync_through_the_fixture() {
    let server = SshServer::start();
    let out = ssh(&server.ssh_args(), "id -u; command -v rsync");
    assert!(out.status.success(), "ssh failed: {}\n{}", String::from_utf8_lossy(&out.stderr), server.log_text());
    let stdout = String::from_utf8_lossy(&out.stdout);
    let mut lines = stdout.lines();
    assert_ne!(lines.next(), Some("0"), "sshd must not run as root");
    assert!(lines.next().is_some_and(|l| l.ends_with("/rsync")), "rsync on the session PATH: {stdout}");

    let area = support::world_readable_tempdir();
    let collector = area.path().join("collector");
    let today = Utc::now().date_naive();
    let days: Vec<_> = (0..3).filter_map(|n| today.checked_sub_days(Days::new(n))).collect();
    let files = support::collector_tree(&collector, &days, &["BTC-USDT", "ETH-USDT"], 3, 10_000);
    assert_eq!(files.len(), 18);
    support::write_file(&collector, "odd $name;'\"/part 1.parquet", 100, 1);
    // rsync's resume state is not data: digests ignore it.
    support::write_file(&collector, ".rsync-partial/ignored", 10, 1);

    let lake = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let dest = lake.path().join("lake");
    let status = Command::new("rsync")
        .args(["-rt", "--exclude=.rsync-partial", "-s", "-e", &server.rsh(), "--"])
        .arg(format!("{}/", server.remote(&collector)))
        .arg(format!("{}/", dest.display()))
        .status()
        .unwrap_or_else(|e| panic!("cannot run rsync: {e}"));
    assert!(status.success(), "rsync failed ({status}):\n{}", server.log_text());

    let want = support::tree_digest(&collector);
    assert_eq!(want.len(), 19, "{want:?}");
    assert_eq!(support::tree_digest(&dest), want);
    assert!(fs::read(&files[0]).is_ok_and(|b| b.starts_with(b"PAR1") && b.ends_with(b"PAR1")));
}

#[test]
fn wrong_key_changed_host_key_and_missing_rsync_fail() {
    let server = SshServer::start_with_session_path_without_rsync();

    let mut args = server.ssh_args();
    let key = server.key.display().to_string();
    let wrong = server.wrong_key.display().to_string();
    args.iter_mut().filter(|a| **a == key).for_each(|a| a.clone_from(&wrong));
    let out = ssh(&args, "true");
    assert_eq!(out.status.code(), Some(255));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Permission denied"));

    let kh = format!("UserKnownHostsFile={}", server.known_hosts.display());
    let changed = format!("UserKnownHostsFile={}", server.known_hosts_changed.display());
    let args: Vec<String> = server.ssh_args().into_iter().map(|a| if a == kh { changed.clone() } else { a }).collect();
    let out = ssh(&args, "true");
    assert_eq!(out.status.code(), Some(255));
    assert!(String::from_utf8_lossy(&out.stderr).contains("REMOTE HOST IDENTIFICATION HAS CHANGED"));

    let out = ssh(&server.ssh_args(), "rsync --version");
    assert_eq!(out.status.code(), Some(127), "rsync must be missing: {}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn config_yaml_quotes_paths() {
    let server = SshServer::start();
    let odd = Path::new("/tmp/a b/$x:#y'\"");
    let p = support::ssh_profile(&server, "cex", odd).set("bwlimit", 100).set("exclude", vec!["*.tmp"]);
    let text = support::config_yaml(Path::new("/data/lake"), &[p, support::local_profile("loc", odd)]);
    let doc: serde_yaml::Value = serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let cex = &doc["data_lake"]["profiles"]["cex"];
    assert_eq!(cex["source"]["remote_root"].as_str(), Some(odd.to_str().unwrap_or_default()));
    assert_eq!(cex["source"]["port"].as_u64(), Some(u64::from(server.port)));
    assert_eq!(cex["bwlimit"].as_u64(), Some(100));
    assert_eq!(doc["data_lake"]["profiles"]["loc"]["source"]["type"].as_str(), Some("local"));
}
