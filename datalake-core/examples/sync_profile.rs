//! Sync one profile and print the report, stats and retention result.
//!
//! ```sh
//! cargo run -p datalake-core --example sync_profile -- config/data_lake.yml cex_ticks
//! ```

use std::process::ExitCode;

use datalake_core::{DataLake, Progress, RunControl, SyncOptions, SyncStatus};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (Some(config), Some(profile)) = (args.next(), args.next()) else {
        eprintln!("usage: sync_profile CONFIG.yml PROFILE");
        return ExitCode::from(2);
    };
    let lake = match DataLake::open(&config) {
        Ok(lake) => lake,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let mut show = |p: &Progress| {
        eprint!("\r{}: {} bytes, {} files, {:.0} B/s   ", p.profile, p.bytes_done, p.files_done, p.rate);
    };
    let control = RunControl { progress: Some(&mut show), ..RunControl::default() };
    let mut options = SyncOptions { control, ..SyncOptions::default() };
    let report = match lake.sync(&profile, &mut options) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(1);
        }
    };
    eprintln!();
    println!("{}", serde_json::to_string_pretty(&report.to_json_value()).unwrap_or_default());
    match lake.stats(&profile) {
        Ok(stats) => println!(
            "{}: {} files, {} in {} partitions ({:?} .. {:?})",
            stats.profile_name,
            stats.file_count,
            stats.total_size_human,
            stats.partition_count,
            stats.earliest_date,
            stats.latest_date
        ),
        Err(e) => eprintln!("{e}"),
    }
    if report.status == SyncStatus::Success {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
