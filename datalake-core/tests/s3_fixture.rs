//! Smoke test of the S3 fixture (tests/support/s3.rs): a real SeaweedFS on 127.0.0.1 that
//! refuses unsigned requests, and nothing left running once it is dropped.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;

use support::s3::{S3Proxy, S3Server};

fn get(port: u16, target: &str) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap_or_else(|e| panic!("connect: {e}"));
    let request = format!("GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).unwrap_or_else(|e| panic!("write: {e}"));
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap_or_else(|e| panic!("read: {e}"));
    answer
}

fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .is_ok_and(|s| s.rsplit(')').next().and_then(|rest| rest.split_whitespace().next()) != Some("Z"))
}

#[test]
fn the_s3_server_answers_on_loopback_and_goes_away() {
    let mut server = S3Server::start(&["lake"]);
    assert!(server.endpoint.starts_with("http://127.0.0.1:"), "{}", server.endpoint);
    assert_eq!(server.endpoint, format!("http://127.0.0.1:{}", server.port));
    let options = server.storage_options();
    assert!(options.contains(&("aws_allow_http".to_string(), "true".to_string())));

    let answer = get(server.port, "/lake?list-type=2");
    assert!(
        answer.starts_with("HTTP/1.1 403"),
        "an unsigned request must be refused:\n{answer}\n{}",
        server.log_text()
    );

    // The counting proxy, driven from Rust through its control endpoints.
    let proxy = S3Proxy::start(&server);
    assert!(get(proxy.port, "/lake?list-type=2").starts_with("HTTP/1.1 403"));
    assert!(get(proxy.port, "/lake/2024/part.parquet").starts_with("HTTP/1.1 403"));
    let counts = proxy.counts();
    assert_eq!(counts.get("list_objects_v2"), Some(&1), "{counts:?}");
    assert_eq!(counts.get("get_object"), Some(&1), "{counts:?}");
    assert_eq!(proxy.requests().len(), 2);
    proxy.inject("get_object", 503, 1, "status");
    assert!(get(proxy.port, "/lake/k").starts_with("HTTP/1.1 503"));
    proxy.ignore_conditional(true);
    proxy.reset();
    assert!(proxy.counts().is_empty());
    drop(proxy);

    let (pid, dir) = (server.pid, server.dir.clone());
    assert!(alive(pid));
    server.stop();
    assert!(!alive(pid), "weed (pid {pid}) outlived stop()");
    assert!(!dir.exists(), "{} left behind", dir.display());
}
