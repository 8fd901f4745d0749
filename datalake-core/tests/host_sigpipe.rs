//! A host program that keeps SIGPIPE's default action (any C program) must
//! survive a collector command that exits without reading its input. Its own
//! test binary: it changes a process-wide signal disposition.

use std::process::Command;
use std::time::Duration;

use datalake_core::collector::remote;
use datalake_core::rsync::process::RunObserver;
use datalake_core::Progress;

struct Never;

impl RunObserver for Never {
    fn progress(&mut self, _: &Progress) {}
    fn should_cancel(&mut self) -> bool {
        false
    }
}

#[test]
fn a_command_that_ignores_its_input_does_not_kill_a_host_with_default_sigpipe() {
    // SAFETY: this test binary has no other threads that rely on SIGPIPE's disposition.
    unsafe { nix::sys::signal::signal(nix::sys::signal::Signal::SIGPIPE, nix::sys::signal::SigHandler::SigDfl) }
        .expect("set SIGPIPE to its default action");
    // Far more than a pipe buffer (64 KiB): a pipe writer would block, then get SIGPIPE.
    let input = vec![b'x'; 4 << 20];
    for script in ["exit 3", "head -c 10 >/dev/null"] {
        let mut cmd = Command::new("sh");
        cmd.arg("-c").arg(script);
        let done = remote::run(cmd, input.clone(), &mut Never, Duration::from_secs(60), remote::read_all)
            .unwrap_or_else(|e| panic!("{script}: {e}"));
        assert!(done.status.code().is_some(), "{script}: {:?}", done.status);
    }
}
