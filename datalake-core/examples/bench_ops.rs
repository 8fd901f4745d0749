//! One datalake operation per process, for `bench/run.py`, which times it
//! against the plain tools on the same data.
//!
//! ```sh
//! bench_ops sync CONFIG PROFILE        # full sync (no cleanup), prints files and bytes
//! bench_ops stats CONFIG PROFILE       # prints file count and bytes
//! bench_ops cleanup CONFIG PROFILE     # prints deleted dirs and bytes
//! bench_ops verify CONFIG PROFILE      # footer check of every Parquet file: prints files and broken
//! bench_ops config-load CONFIG N       # prints the mean load+validate time in microseconds
//! bench_ops plan CONFIG PROFILE        # planner only: prints mode, units, partitions, peak RSS (KiB)
//! ```

use std::process::ExitCode;
use std::time::Instant;

use datalake_core::collector::listing;
use datalake_core::rsync::process::RunObserver;
use datalake_core::rsync::tools::Tools;
use datalake_core::transfer::planner::window::{self, Request};
use datalake_core::{Config, DataLake, SyncOptions};

fn run(args: &[String]) -> Result<String, String> {
    let [op, config, arg] = args else {
        return Err("usage: bench_ops sync|stats|cleanup|verify|config-load CONFIG PROFILE|N".into());
    };
    if op == "config-load" {
        let n: u32 = arg.parse().map_err(|_| format!("N must be a number, got {arg}"))?;
        let start = Instant::now();
        for _ in 0..n {
            Config::load(config).map_err(|e| e.to_string())?;
        }
        return Ok(format!("{:.1}", start.elapsed().as_secs_f64() * 1e6 / f64::from(n.max(1))));
    }
    let lake = DataLake::open(config).map_err(|e| e.to_string())?;
    match op.as_str() {
        "sync" => {
            let r = lake
                .sync(arg, &mut SyncOptions { cleanup: false, ..SyncOptions::default() })
                .map_err(|e| e.to_string())?;
            match r.failure() {
                Some(e) => Err(e.to_string()),
                None => Ok(format!("{} {}", r.files_transferred, r.bytes_transferred)),
            }
        }
        "plan" => {
            let profile = lake.profile(arg).map_err(|e| e.to_string())?;
            let tools = Tools::locate(profile).map_err(|e| e.to_string())?;
            let listing = listing::list(profile, &tools, &mut NoObserver, &[])?;
            let checkpoint = lake.checkpoint(arg).map_err(|e| e.to_string())?;
            let req = Request {
                full_requested: false,
                previous_incomplete: false,
                last_full_sync: checkpoint.and_then(|c| c.last_full_sync_time),
                now: chrono::Utc::now(),
                lake_today: chrono::Utc::now().date_naive(),
            };
            let plan = window::decide(profile, Ok(&listing), req);
            let units = plan.selection.as_ref().map_or(0, Vec::len);
            Ok(format!(
                "{} {} {} {} {}",
                plan.mode.as_str(),
                listing.entries.len(),
                units,
                plan.partitions_covered,
                peak_rss_kib()
            ))
        }
        "stats" => {
            let s = lake.stats(arg).map_err(|e| e.to_string())?;
            Ok(format!("{} {}", s.file_count, s.total_size))
        }
        "verify" => {
            let v = lake.verify(arg, &mut datalake_core::VerifyOptions::default()).map_err(|e| e.to_string())?;
            Ok(format!("{} {}", v.files_checked, v.broken.len()))
        }
        "cleanup" => {
            let c = lake.cleanup(arg, &mut datalake_core::CleanupOptions::default()).map_err(|e| e.to_string())?;
            Ok(format!("{} {}", c.deleted_dirs, c.freed_bytes))
        }
        _ => Err(format!("unknown operation {op}")),
    }
}

/// No progress, never cancelled.
struct NoObserver;

impl RunObserver for NoObserver {
    fn progress(&mut self, _: &datalake_core::Progress) {}
    fn should_cancel(&mut self) -> bool {
        false
    }
}

/// This process's peak resident set (VmHWM), in KiB.
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(out) => {
            println!("{out}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("bench_ops: {e}");
            ExitCode::FAILURE
        }
    }
}
