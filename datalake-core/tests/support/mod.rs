//! Fixtures shared by datalake-core's integration tests: a real OpenSSH server on
//! 127.0.0.1, generated collector trees, tree digests and config files.
//!
//! The server is `tests/support/sshd.sh` at the repository root, the same script the
//! Python and C tests use. It runs sshd as a non-root user (`datalake-test` when the tests
//! run as root, else the caller), and that user is also the login user: everything the
//! remote side reads must be readable by it. [`world_readable_tempdir`] and
//! [`collector_tree`] take care of that (directories 755, files 644, below the temp dir).
//!
//! Each `tests/*.rs` file includes this module with `mod support;` and uses a different
//! part of it, hence the module-wide `dead_code` allowance below.
#![allow(dead_code)]

pub mod s3;

use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::NaiveDate;
use serde_yaml::{Mapping, Value};
use sha2::{Digest, Sha256};
use tempfile::TempDir;

/// `tests/support/sshd.sh` in the repository.
pub const SSHD_SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/support/sshd.sh");

/// rsync's resume directory; not data, so digests skip it.
pub const PARTIAL_DIR: &str = ".rsync-partial";
/// Where a sync with the Parquet check lands its files (and keeps its partial files) before they get their real names.
pub const LANDING_DIR: &str = ".datalake-landing";

/// A running test sshd. Dropping it stops the server and deletes its directory.
///
/// Servers kept in a `static` (never dropped) are stopped and cleaned up by the script's
/// watchdog once the test process exits.
#[derive(Debug)]
pub struct SshServer {
    /// Always `127.0.0.1`.
    pub host: String,
    /// Listening port.
    pub port: u16,
    /// Login user (the user sshd runs as; never root).
    pub user: String,
    /// Client private key, authorized on the server, owned by us, mode 600.
    pub key: PathBuf,
    /// known_hosts holding the server's real host key for `[127.0.0.1]:port`.
    pub known_hosts: PathBuf,
    /// A key the server does not accept (authentication failures).
    pub wrong_key: PathBuf,
    /// known_hosts naming a different host key (changed host key).
    pub known_hosts_changed: PathBuf,
    /// First on the login sessions' PATH; tests may put programs there.
    pub bin_dir: PathBuf,
    /// The server's directory (keys, config, log).
    pub dir: PathBuf,
    /// sshd's log (LogLevel VERBOSE); read it when a login fails.
    pub log: PathBuf,
    /// sshd's pid.
    pub pid: u32,
    tmp: Option<TempDir>,
}

impl SshServer {
    /// Start a server in a new temp dir; panics with sshd's log if it does not come up.
    pub fn start() -> SshServer {
        Self::try_start(None).unwrap_or_else(|e| panic!("{e}"))
    }

    /// A server whose login sessions have only its (empty) `bin_dir` on PATH: a collector
    /// without rsync, for "rsync missing on the remote" tests.
    pub fn start_with_session_path_without_rsync() -> SshServer {
        Self::try_start(Some(SessionPath::BinDirOnly)).unwrap_or_else(|e| panic!("{e}"))
    }

    /// A server whose login sessions use `path` as PATH.
    pub fn start_with_session_path(path: &str) -> SshServer {
        Self::try_start(Some(SessionPath::Custom(path.to_owned()))).unwrap_or_else(|e| panic!("{e}"))
    }

    fn try_start(session_path: Option<SessionPath>) -> Result<SshServer, String> {
        let tmp = tempfile::Builder::new()
            .prefix("datalake-sshd-")
            .tempdir_in(std::env::temp_dir())
            .map_err(|e| format!("cannot create a temp dir for the test sshd: {e}"))?;
        let dir = tmp.path().to_path_buf();
        let mut cmd = Command::new("bash");
        cmd.arg(SSHD_SCRIPT).arg("start").arg(&dir);
        cmd.env("SSHD_WATCH_PID", std::process::id().to_string()).env("SSHD_WATCH_CLEANUP", "1");
        match session_path {
            Some(SessionPath::BinDirOnly) => {
                cmd.env("SSHD_SESSION_PATH", dir.join("bin"));
            }
            Some(SessionPath::Custom(p)) => {
                cmd.env("SSHD_SESSION_PATH", p);
            }
            None => {}
        }
        let out = cmd.output().map_err(|e| format!("cannot run {SSHD_SCRIPT}: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "could not start the test sshd ({}):\n{}{}",
                out.status,
                String::from_utf8_lossy(&out.stderr),
                String::from_utf8_lossy(&out.stdout)
            ));
        }
        let stdout = String::from_utf8_lossy(&out.stdout);
        let values: BTreeMap<&str, &str> = stdout.lines().filter_map(|l| l.split_once('=')).collect();
        let get = |k: &str| {
            values.get(k).map(|v| v.to_string()).ok_or_else(|| format!("sshd.sh did not print {k}:\n{stdout}"))
        };
        let server = SshServer {
            host: get("SSH_HOST")?,
            port: get("SSH_PORT")?.parse().map_err(|e| format!("bad SSH_PORT from sshd.sh: {e}"))?,
            user: get("SSH_USER")?,
            key: get("SSH_KEY")?.into(),
            known_hosts: get("SSH_KNOWN_HOSTS")?.into(),
            wrong_key: get("SSH_WRONG_KEY")?.into(),
            known_hosts_changed: get("SSH_KNOWN_HOSTS_CHANGED")?.into(),
            bin_dir: get("SSHD_BIN")?.into(),
            dir: get("SSHD_DIR")?.into(),
            log: get("SSHD_LOG")?.into(),
            pid: get("SSHD_PID")?.parse().map_err(|e| format!("bad SSHD_PID from sshd.sh: {e}"))?,
            tmp: Some(tmp),
        };
        Ok(server)
    }

    /// ssh client arguments (without the program name) that log into this server with
    /// strict host key checking; append the remote command.
    pub fn ssh_args(&self) -> Vec<String> {
        vec![
            "-F".into(),
            "none".into(),
            "-p".into(),
            self.port.to_string(),
            "-i".into(),
            self.key.display().to_string(),
            "-o".into(),
            "BatchMode=yes".into(),
            "-o".into(),
            "IdentitiesOnly=yes".into(),
            "-o".into(),
            format!("UserKnownHostsFile={}", self.known_hosts.display()),
            "-o".into(),
            "StrictHostKeyChecking=yes".into(),
            format!("{}@{}", self.user, self.host),
        ]
    }

    /// The `-e` value for rsync (no paths with spaces in it: temp dirs have none).
    pub fn rsh(&self) -> String {
        let args = self.ssh_args();
        format!("ssh {}", args[..args.len() - 1].join(" "))
    }

    /// `user@127.0.0.1:path`, an rsync source on this server.
    pub fn remote(&self, path: &Path) -> String {
        format!("{}@{}:{}", self.user, self.host, path.display())
    }

    /// sshd's log so far (for assertion messages).
    pub fn log_text(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_else(|e| format!("(cannot read {}: {e})", self.log.display()))
    }

    /// Stop the server now (also done on drop). Idempotent.
    pub fn stop(&mut self) {
        if let Some(tmp) = self.tmp.take() {
            let status = Command::new("bash").arg(SSHD_SCRIPT).arg("stop").arg(tmp.path()).status();
            if !matches!(status, Ok(s) if s.success()) {
                eprintln!("warning: stopping the test sshd in {} failed: {status:?}", tmp.path().display());
            }
            // The TempDir removes the directory (root can, and non-root owns everything).
            drop(tmp);
        }
    }
}

impl Drop for SshServer {
    fn drop(&mut self) {
        self.stop();
    }
}

enum SessionPath {
    BinDirOnly,
    Custom(String),
}

/// A loopback port nothing listens on right now (for "connection refused" tests).
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("bind 127.0.0.1:0: {e}"));
    listener.local_addr().unwrap_or_else(|e| panic!("local_addr: {e}")).port()
}

/// A temp dir (mode 755, below the system temp dir) the sshd user can traverse and read.
pub fn world_readable_tempdir() -> TempDir {
    let tmp = tempfile::Builder::new()
        .prefix("datalake-test-")
        .tempdir_in(std::env::temp_dir())
        .unwrap_or_else(|e| panic!("cannot create a temp dir: {e}"));
    set_mode(tmp.path(), 0o755);
    tmp
}

fn set_mode(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
        .unwrap_or_else(|e| panic!("chmod {mode:o} {}: {e}", path.display()));
}

/// `gate_io_<SYM>_<YYYYMMDD>`.
pub fn partition_name(symbol: &str, day: NaiveDate) -> String {
    format!("gate_io_{symbol}_{}", day.format("%Y%m%d"))
}

/// Write `gate_io_<SYM>_<YYYYMMDD>/part_0000N.parquet` (N = 1..=parts) of `size` bytes
/// each under `root`, readable by the sshd user. Returns the files, sorted.
pub fn collector_tree(root: &Path, days: &[NaiveDate], symbols: &[&str], parts: usize, size: usize) -> Vec<PathBuf> {
    collector_tree_seeded(root, days, symbols, parts, size, 0)
}

/// [`collector_tree`] with another seed (different contents, same names).
pub fn collector_tree_seeded(
    root: &Path,
    days: &[NaiveDate],
    symbols: &[&str],
    parts: usize,
    size: usize,
    seed: u64,
) -> Vec<PathBuf> {
    fs::create_dir_all(root).unwrap_or_else(|e| panic!("mkdir {}: {e}", root.display()));
    set_mode(root, 0o755);
    let mut out = Vec::new();
    for day in days {
        for symbol in symbols {
            let dir = partition_name(symbol, *day);
            for n in 1..=parts {
                out.push(write_file(root, &format!("{dir}/part_{n:05}.parquet"), size, seed));
            }
        }
    }
    out.sort();
    out
}

/// Write one generated file below `root` (directories 755 up to `root`, file 644).
///
/// Contents are deterministic for (`seed`, `rel`) and incompressible, framed by the
/// Parquet magic `PAR1` when `size >= 8`. Not byte-identical with the Python generator.
pub fn write_file(root: &Path, rel: &str, size: usize, seed: u64) -> PathBuf {
    let path = root.join(rel);
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).unwrap_or_else(|e| panic!("mkdir {}: {e}", parent.display()));
        let mut p = parent.to_path_buf();
        while p.starts_with(root) && p != root {
            set_mode(&p, 0o755);
            p.pop();
        }
    }
    fs::write(&path, file_content(seed, rel, size)).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    set_mode(&path, 0o644);
    path
}

/// The bytes [`write_file`] writes.
pub fn file_content(seed: u64, rel: &str, size: usize) -> Vec<u8> {
    // SplitMix64 seeded from SHA-256 of seed and path: fast, and independent of the
    // order files are generated in.
    let h = Sha256::digest(format!("{seed}:{rel}").as_bytes());
    let mut state = u64::from_le_bytes([h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7]]);
    let mut out = Vec::with_capacity(size + 8);
    while out.len() < size {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        out.extend_from_slice(&(z ^ (z >> 31)).to_le_bytes());
    }
    out.truncate(size);
    if size >= 8 {
        out[..4].copy_from_slice(b"PAR1");
        out[size - 4..].copy_from_slice(b"PAR1");
    }
    out
}

/// `{relative path: sha256 hex}` of every regular file below `root`.
///
/// Paths use `/`. Symlinks are not followed and appear as `symlink:<target>`, so a copy
/// that resolved or dropped a link compares unequal. Directories are not listed (empty
/// ones are invisible); `.rsync-partial` directories are skipped (resume state, not data).
pub fn tree_digest(root: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let walker = walkdir::WalkDir::new(root)
        .follow_links(false)
        .min_depth(1)
        .into_iter()
        .filter_entry(|e| !(e.file_type().is_dir() && e.file_name() == PARTIAL_DIR));
    for entry in walker {
        let entry = entry.unwrap_or_else(|e| panic!("walking {}: {e}", root.display()));
        let rel = entry
            .path()
            .strip_prefix(root)
            .unwrap_or_else(|e| panic!("{} outside {}: {e}", entry.path().display(), root.display()))
            .to_string_lossy()
            .into_owned();
        let ft = entry.file_type();
        if ft.is_symlink() {
            let target =
                fs::read_link(entry.path()).unwrap_or_else(|e| panic!("readlink {}: {e}", entry.path().display()));
            out.insert(rel, format!("symlink:{}", target.display()));
        } else if ft.is_file() {
            out.insert(rel, file_sha256(entry.path()));
        }
    }
    out
}

/// SHA-256 of a file, lowercase hex.
pub fn file_sha256(path: &Path) -> String {
    let mut f = fs::File::open(path).unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    hasher.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// One profile of a config written by [`config_yaml`]. Values are YAML values, so any
/// path (spaces, quotes, `$`, `:`) is quoted correctly by serde_yaml.
#[derive(Debug, Clone)]
pub struct ProfileSpec {
    /// Profile name.
    pub name: String,
    /// `source:` mapping.
    pub source: Mapping,
    /// Other profile keys, in insertion order.
    pub keys: Mapping,
}

impl ProfileSpec {
    /// Set (or replace) a profile key, e.g. `.set("bwlimit", 100)`.
    pub fn set(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.keys.insert(key.into(), value.into());
        self
    }

    /// Set a path-valued profile key.
    pub fn set_path(self, key: &str, path: &Path) -> Self {
        self.set(key, path_value(path))
    }

    /// Set (or replace) a `source:` key, e.g. `.set_source("port", 1)`.
    pub fn set_source(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.source.insert(key.into(), value.into());
        self
    }

    /// Remove a profile key (e.g. `known_hosts`).
    pub fn remove(mut self, key: &str) -> Self {
        self.keys.remove(key);
        self
    }

    fn to_value(&self) -> Value {
        let mut m = Mapping::new();
        m.insert("source".into(), Value::Mapping(self.source.clone()));
        for (k, v) in &self.keys {
            m.insert(k.clone(), v.clone());
        }
        Value::Mapping(m)
    }
}

fn path_value(path: &Path) -> Value {
    Value::String(path.to_string_lossy().into_owned())
}

/// An ssh profile reading `remote_root` from `server`: host, port, user, ssh_key and
/// known_hosts point at the server, `local_subdir` is the name; `min_age: 0` and
/// `check_parquet: false`, since generated trees are fresh and fake Parquet.
pub fn ssh_profile(server: &SshServer, name: &str, remote_root: &Path) -> ProfileSpec {
    let mut source = Mapping::new();
    source.insert("type".into(), "ssh".into());
    source.insert("host".into(), server.host.clone().into());
    source.insert("port".into(), u64::from(server.port).into());
    source.insert("user".into(), server.user.clone().into());
    source.insert("ssh_key".into(), path_value(&server.key));
    source.insert("remote_root".into(), path_value(remote_root));
    ProfileSpec { name: name.into(), source, keys: Mapping::new() }
        .set("local_subdir", name)
        .set_path("known_hosts", &server.known_hosts)
        .set("min_age", 0u64)
        .set("check_parquet", false)
}

/// A `type: local` profile reading `remote_root` on this machine.
pub fn local_profile(name: &str, remote_root: &Path) -> ProfileSpec {
    let mut source = Mapping::new();
    source.insert("type".into(), "local".into());
    source.insert("remote_root".into(), path_value(remote_root));
    ProfileSpec { name: name.into(), source, keys: Mapping::new() }
        .set("local_subdir", name)
        .set("min_age", 0u64)
        .set("check_parquet", false)
}

/// A `data_lake:` YAML document with `root_dir` and the given profiles.
pub fn config_yaml(root_dir: &Path, profiles: &[ProfileSpec]) -> String {
    let mut ps = Mapping::new();
    for p in profiles {
        ps.insert(p.name.clone().into(), p.to_value());
    }
    let mut dl = Mapping::new();
    dl.insert("root_dir".into(), path_value(root_dir));
    dl.insert("profiles".into(), Value::Mapping(ps));
    let mut doc = Mapping::new();
    doc.insert("data_lake".into(), Value::Mapping(dl));
    serde_yaml::to_string(&doc).unwrap_or_else(|e| panic!("serializing a test config: {e}"))
}

/// Write [`config_yaml`] to `path` and return `path`.
pub fn write_config(path: &Path, root_dir: &Path, profiles: &[ProfileSpec]) -> PathBuf {
    fs::write(path, config_yaml(root_dir, profiles)).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    path.to_path_buf()
}

/// A test's working area: a collector directory the sshd user can read, and a lake root.
pub struct Area {
    _tmp: TempDir,
    /// The temp dir holding everything (configs go here).
    pub root: PathBuf,
    /// The collector's tree (`remote_root`).
    pub collector: PathBuf,
    /// The lake's `root_dir`.
    pub lake: PathBuf,
}

impl Area {
    /// A fresh area with an empty collector.
    pub fn new() -> Area {
        let tmp = world_readable_tempdir();
        let root = tmp.path().to_path_buf();
        let collector = root.join("collector");
        fs::create_dir_all(&collector).expect("create collector");
        fs::set_permissions(&collector, fs::Permissions::from_mode(0o755)).expect("chmod");
        Area { lake: root.join("lake"), _tmp: tmp, root, collector }
    }

    /// Write a file of `size` deterministic bytes under the collector.
    pub fn put(&self, rel: &str, size: usize, seed: u64) {
        write_file(&self.collector, rel, size, seed);
    }

    /// Write `file` (in the area) with one ssh profile `name` over `remote_root`:
    /// retention 30 days, no retries; `extra` is YAML inside the profile (6-space indent).
    pub fn write_ssh_config(
        &self,
        server: &SshServer,
        name: &str,
        remote_root: &Path,
        extra: &str,
        file: &str,
    ) -> PathBuf {
        let yaml = format!(
            "data_lake:\n  root_dir: {lake:?}\n  profiles:\n    {name}:\n      source:\n        type: ssh\n        host: 127.0.0.1\n        port: {port}\n        user: {user}\n        ssh_key: {key:?}\n        remote_root: {remote:?}\n      local_subdir: {name}\n      retention_days: 30\n      known_hosts: {kh:?}\n      retries: 0\n{extra}",
            lake = self.lake,
            port = server.port,
            user = server.user,
            key = server.key,
            remote = remote_root,
            kh = server.known_hosts,
        );
        let path = self.root.join(file);
        fs::write(&path, yaml).expect("write config");
        path
    }
}

/// Profile keys for generated trees: fresh files of Parquet-framed random bytes, so
/// no `min_age` wait and no Parquet check (the tests of those set their own).
pub const FAKE_PARQUET_KEYS: &str = "      min_age: 0\n      check_parquet: false\n";

/// Live (not zombie) processes whose command line mentions `needle`, as `pid: cmdline`.
pub fn processes_mentioning(needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in fs::read_dir("/proc").expect("/proc").flatten() {
        let Ok(cmdline) = fs::read(entry.path().join("cmdline")) else { continue };
        let text = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        let zombie = fs::read_to_string(entry.path().join("stat")).is_ok_and(|s| s.contains(") Z "));
        if text.contains(needle) && !zombie {
            found.push(format!("{}: {text}", entry.file_name().to_string_lossy()));
        }
    }
    found
}
