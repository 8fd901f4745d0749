//! Smoke test of the S3 fixture (tests/support/s3.rs): a real SeaweedFS on 127.0.0.1 that
//! refuses unsigned requests, and nothing left running once it is dropped.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;

use support::s3::S3Server;

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

    let mut stream = TcpStream::connect(("127.0.0.1", server.port)).unwrap_or_else(|e| panic!("connect: {e}"));
    stream
        .write_all(b"GET /lake?list-type=2 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .unwrap_or_else(|e| panic!("write: {e}"));
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap_or_else(|e| panic!("read: {e}"));
    assert!(
        answer.starts_with("HTTP/1.1 403"),
        "an unsigned request must be refused:\n{answer}\n{}",
        server.log_text()
    );

    let (pid, dir) = (server.pid, server.dir.clone());
    assert!(alive(pid));
    server.stop();
    assert!(!alive(pid), "weed (pid {pid}) outlived stop()");
    assert!(!dir.exists(), "{} left behind", dir.display());
}
