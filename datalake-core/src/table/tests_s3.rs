//! The table on a real S3 server (SeaweedFS `weed mini` on 127.0.0.1, started by
//! `tests/support/s3.py`), every request counted by the proxy in front of it
//! (`tests/support/s3proxy.py`). No mock: the requests are the ones AWS would get.

use std::path::Path;

use super::*;
use crate::config::storage::{resolve, StorageOptions, TableUri};
use crate::config::TablePlace;
use crate::table::delta::Table;
use crate::table::store::Store;

#[path = "../../tests/support/s3.rs"]
#[allow(dead_code)]
mod server;

use server::{S3Proxy, S3Server};

/// The place of a table at `uri` reached through `endpoint` with these credentials.
fn remote_place(uri: &str, endpoint: &str, key: &str, secret: &str, local_dir: &Path) -> TablePlace {
    remote_place_with(uri, endpoint, key, secret, local_dir, &[])
}

fn remote_place_with(
    uri: &str,
    endpoint: &str,
    key: &str,
    secret: &str,
    local_dir: &Path,
    extra: &[(&str, &str)],
) -> TablePlace {
    let table_uri = TableUri::parse(uri, "p").unwrap_or_else(|e| panic!("{e}"));
    let mut pairs = vec![
        ("aws_endpoint", endpoint),
        ("aws_region", "us-east-1"),
        ("aws_allow_http", "true"),
        ("aws_access_key_id", key),
        ("aws_secret_access_key", secret),
        // Keep fault tests short: object_store retries for up to 3 minutes by default.
        ("max_retries", "2"),
        ("retry_timeout", "5s"),
        ("backoff_config.init_backoff", "50ms"),
    ];
    pairs.extend_from_slice(extra);
    let (own, problems) = StorageOptions::parse(pairs);
    assert!(problems.iter().all(|p| p.warning), "{problems:?}");
    let storage = resolve(&table_uri, &own, &StorageOptions::default(), &|_| None).unwrap_or_else(|e| panic!("{e:?}"));
    TablePlace::Remote { storage, local: local_dir.join("_table") }
}

fn s3_lake(server: &S3Server, endpoint: &str, uri: &str) -> Lake {
    Lake::new(|p| {
        p.compact.sort_by = vec!["update_id".into()];
        p.compact.table = remote_place(uri, endpoint, &server.access_key, &server.secret_key, &p.local_dir);
    })
}

fn total(counts: &std::collections::BTreeMap<String, u64>) -> u64 {
    counts.values().sum()
}

/// Rows of the remote table's current version, by update id.
fn remote_ids(lake: &Lake) -> Vec<i64> {
    let table = Table::open(Store::of(&lake.profile)).unwrap_or_else(|e| panic!("{e}"));
    let mut out = Vec::new();
    for f in table.live_files().unwrap_or_else(|e| panic!("{e}")) {
        let bytes = super::super::remote::read(&table, &f.path).unwrap_or_else(|e| panic!("{e}"));
        out.extend(ids(&super::super::load::parquet_from(bytes).ok().unwrap_or_else(|| panic!("bad file")).batches));
    }
    out.sort_unstable();
    out
}

#[test]
fn compaction_writes_the_table_to_s3_and_an_hour_with_nothing_new_costs_one_request() {
    let server = S3Server::start(&["lake"]);
    let proxy = S3Proxy::start(&server);
    let lake = s3_lake(&server, &proxy.endpoint, "s3://lake/tables/p");
    lake.parts("BTC-USDT", 2, 5, 100);
    lake.parts("ETH-USDT", 2, 3, 100);
    lake.parts("BTC-USDT", 1, 4, 100);
    let r = lake.compact();
    assert_eq!(r.status, SyncStatus::Success, "{:?}\n{}", r.errors, server.log_text());
    assert_eq!((r.days_compacted, r.parts_absorbed, r.commits), (3, 12, 2));
    assert_eq!(r.raw_parts_removed, 12);
    let counts = proxy.counts();
    eprintln!("closing 3 series-days on 2 dates: {counts:?}");
    // One PUT per data file and per manifest (3 + 3), one per commit (2), and the probe of
    // conditional writes, once per endpoint and bucket (2 PUTs, 1 DELETE); no multipart for small files.
    assert_eq!(counts.get("put_object"), Some(&10), "{counts:?}");
    let deletes: u64 = counts.iter().filter(|(k, _)| k.starts_with("delete")).map(|(_, n)| n).sum();
    assert_eq!(deletes, 1, "{counts:?}");
    assert!(!counts.contains_key("create_multipart_upload"), "{counts:?}");
    // The record is local; the manifests are in the bucket too.
    let record = lake.record();
    assert_eq!(record.days.len(), 3);
    assert!(lake.profile.local_dir.join("_table/_datalake/record.json").exists());
    assert!(!lake.profile.local_dir.join("_table/_delta_log").exists(), "the table itself is remote");
    assert_eq!(remote_ids(&lake).len(), 1200);

    // An hour with nothing new: the local record and one HEAD of the next log version.
    proxy.reset();
    let quiet = lake.compact();
    assert_eq!((quiet.status, quiet.days_compacted, quiet.commits), (SyncStatus::Success, 0, 0));
    let counts = proxy.counts();
    assert_eq!(counts.get("head_object"), Some(&1), "{counts:?}");
    assert!(total(&counts) <= 5, "{counts:?}");

    // A late part merges into its day: its file is read back from the bucket.
    let schema = tick_schema(false);
    write_part(
        &lake.partition("BTC-USDT", 2).join("part_00009.parquet"),
        &ticks(&schema, 1_700_000_000_000_000, 900, 10),
        SystemTime::now() - Duration::from_secs(60),
    );
    let r = lake.compact();
    assert_eq!((r.status, r.days_merged, r.rows_out), (SyncStatus::Success, 1, 510), "{:?}", r.errors);
    assert_eq!(remote_ids(&lake).len(), 1210);

    // Retention removes expired days from the remote table and vacuums there.
    let mut short = lake.profile.clone();
    short.retention_days = 2;
    short.compact.vacuum_after = Duration::ZERO;
    let kept = retention::apply(&short, lake.today, false).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(kept.deleted.len(), 2, "{kept:?}");
    assert!(kept.deleted[0].path.to_string_lossy().starts_with("s3://lake/tables/p/date="), "{kept:?}");
    assert!(kept.vacuumed_files >= 2, "{kept:?}");
    assert_eq!(Record::load(&short).ok().flatten().map(|r| r.days.len()), Some(1));
}

/// Copy one partition's parts from `from` to `to`, keeping their mtimes.
fn copy_parts(from: &Lake, to: &Lake, pair: &str, back: u64) {
    let (src, dst) = (from.partition(pair, back), to.partition(pair, back));
    std::fs::create_dir_all(&dst).unwrap_or_else(|e| panic!("{e}"));
    for entry in std::fs::read_dir(&src).unwrap_or_else(|e| panic!("{e}")).flatten() {
        let target = dst.join(entry.file_name());
        std::fs::copy(entry.path(), &target).unwrap_or_else(|e| panic!("{e}"));
        let mtime = entry.metadata().and_then(|m| m.modified()).unwrap_or_else(|e| panic!("{e}"));
        File::options().write(true).open(&target).and_then(|f| f.set_modified(mtime)).unwrap_or_else(|e| panic!("{e}"));
    }
}

#[test]
fn two_lakes_of_the_same_collector_store_each_row_once() {
    let server = S3Server::start(&["lake"]);
    let a = s3_lake(&server, &server.endpoint, "s3://lake/shared");
    let b = s3_lake(&server, &server.endpoint, "s3://lake/shared");
    // The redundant pair of sync machines: the same parts, the same mtimes (rsync -t).
    a.parts("BTC-USDT", 2, 4, 100);
    copy_parts(&a, &b, "BTC-USDT", 2);
    assert_eq!(a.compact().days_compacted, 1);
    let r = b.compact();
    assert_eq!(r.status, SyncStatus::Success, "{:?}", r.errors);
    assert_eq!((r.days_compacted, r.commits, r.raw_parts_removed), (0, 0, 4), "b learns a absorbed them");
    assert_eq!(remote_ids(&a), (0..400).collect::<Vec<i64>>());
    // b's record names a's manifest, fetched from the bucket.
    assert_eq!(b.record().days, a.record().days);
    // A day only b has is b's to add; a learns it in turn.
    b.parts("BTC-USDT", 1, 2, 100);
    copy_parts(&b, &a, "BTC-USDT", 1);
    assert_eq!(b.compact().days_compacted, 1);
    assert_eq!(a.compact().commits, 0);
    assert_eq!(a.record().days.len(), 2);
    assert_eq!(remote_ids(&a).len(), 600);
}

#[test]
fn faults_name_endpoint_bucket_and_cause_and_never_a_secret() {
    let server = S3Server::start(&["lake"]);
    let secret = "not-the-right-secret-0123456789";
    let message = |lake: &Lake| {
        lake.parts("BTC-USDT", 2, 1, 10);
        let r = lake.compact();
        assert_eq!(r.status, SyncStatus::Failed);
        let text = r.error.map(|e| e.to_string()).unwrap_or_default();
        assert!(!text.contains(secret) && !text.contains(&server.secret_key), "{text}");
        assert!(text.contains("bucket "), "{text}");
        text
    };
    let wrong = Lake::new(|p| {
        p.compact.table = remote_place("s3://lake/t", &server.endpoint, &server.access_key, secret, &p.local_dir)
    });
    let text = message(&wrong);
    assert!(text.contains(&server.endpoint) && text.contains("refused the credentials"), "{text}");
    let missing = s3_lake(&server, &server.endpoint, "s3://no-such-bucket/t");
    let text = message(&missing);
    assert!(text.contains("bucket no-such-bucket") && text.contains("does not exist"), "{text}");
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).unwrap_or(1);
    let down = s3_lake(&server, &format!("http://127.0.0.1:{port}"), "s3://lake/t");
    let text = message(&down);
    assert!(text.contains(&format!("127.0.0.1:{port}")) && text.contains("could not be reached"), "{text}");
}

#[test]
fn transient_503s_are_retried() {
    let server = S3Server::start(&["lake"]);
    let proxy = S3Proxy::start(&server);
    let lake = s3_lake(&server, &proxy.endpoint, "s3://lake/t");
    lake.parts("BTC-USDT", 2, 2, 10);
    proxy.inject("put_object", 503, 2, "status");
    let r = lake.compact();
    assert_eq!((r.status, r.days_compacted), (SyncStatus::Success, 1), "{:?}", r.errors);
    let failed = proxy.requests().iter().filter(|q| q["status"] == 503).count();
    assert_eq!(failed, 2);
}

#[test]
fn a_server_that_ignores_conditional_writes_is_refused_unless_one_writer_opts_out() {
    let server = S3Server::start(&["lake"]);
    let proxy = S3Proxy::start(&server);
    proxy.ignore_conditional(true);
    let lake = s3_lake(&server, &proxy.endpoint, "s3://lake/t");
    lake.parts("BTC-USDT", 2, 2, 10);
    let r = lake.compact();
    assert_eq!(r.status, SyncStatus::Failed);
    let text = r.error.map(|e| e.to_string()).unwrap_or_default();
    assert!(text.contains("aws_s3_allow_unsafe_rename: true") && text.contains("ignores conditional writes"), "{text}");
    assert_eq!(proxy.counts().get("put_object"), Some(&2), "the probe, and nothing written");
    // The verdict is kept: the next run asks nothing before refusing again.
    proxy.reset();
    assert_eq!(lake.compact().status, SyncStatus::Failed);
    assert!(!proxy.counts().contains_key("put_object"), "{:?}", proxy.counts());
    // One writer only, said explicitly: it goes ahead.
    let mut single = lake.profile.clone();
    let unsafe_rename = [("aws_s3_allow_unsafe_rename", "true")];
    single.compact.table = remote_place_with(
        "s3://lake/t",
        &proxy.endpoint,
        &server.access_key,
        &server.secret_key,
        &single.local_dir,
        &unsafe_rename,
    );
    let when = RunTime { now: Utc::now(), today: lake.today, dry_run: false };
    let r = run(&single, when, &mut Quiet);
    assert_eq!((r.status, r.days_compacted), (SyncStatus::Success, 1), "{:?}", r.errors);
}

#[test]
fn two_writers_committing_the_same_day_at_once_store_it_once() {
    let server = S3Server::start(&["lake"]);
    let proxy = S3Proxy::start(&server);
    let a = s3_lake(&server, &proxy.endpoint, "s3://lake/race");
    let b = s3_lake(&server, &server.endpoint, "s3://lake/race");
    a.parts("BTC-USDT", 2, 4, 100);
    copy_parts(&a, &b, "BTC-USDT", 2);
    // a's commit waits in the proxy while b writes and commits the same day.
    proxy.inject_matching("put_object", 0, 1, "hold", "_delta_log");
    std::thread::scope(|s| {
        let first = s.spawn(|| a.compact());
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        // a has written its data file, its manifest and the probe: its commit comes next.
        while proxy.counts().get("put_object").copied().unwrap_or(0) < 4 && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        let r = b.compact();
        assert_eq!((r.status, r.commits), (SyncStatus::Success, 1), "{:?}", r.errors);
        proxy.release();
        let r = first.join().unwrap_or_else(|_| panic!("a panicked"));
        assert_eq!((r.status, r.commits, r.days_compacted), (SyncStatus::Success, 0, 0), "{:?}", r.errors);
        assert!(r.warnings.iter().any(|w| w.contains("another writer committed")), "{:?}", r.warnings);
    });
    assert_eq!(remote_ids(&a), (0..400).collect::<Vec<i64>>());
    assert_eq!(a.record().days, b.record().days);
}

#[test]
fn multipart_uploads_a_killed_run_left_are_aborted_once_old_enough() {
    use crate::table::multipart::{abort_leftovers, ORPHAN_AFTER};
    use deltalake_core::logstore::object_store::path::Path as ObjectPath;
    use deltalake_core::logstore::object_store::{ObjectStoreExt, PutPayload};

    let server = S3Server::start(&["lake"]);
    let lake = s3_lake(&server, &server.endpoint, "s3://lake/mp");
    let store = Store::of(&lake.profile);
    // What a writer killed mid-upload leaves: an upload with a part, never completed.
    let os = crate::table::remote::object_store(&store).unwrap_or_else(|e| panic!("{e}"));
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap_or_else(|e| panic!("{e}"));
    rt.block_on(async {
        let mut upload =
            os.put_multipart(&ObjectPath::from("date=2024-11-01/x.parquet")).await.unwrap_or_else(|e| panic!("{e}"));
        upload.put_part(PutPayload::from(vec![7u8; 5 << 20])).await.unwrap_or_else(|e| panic!("{e}"));
        std::mem::forget(upload);
    });
    let fresh = abort_leftovers(&store, ORPHAN_AFTER).unwrap_or_else(|e| panic!("{e}")).unwrap_or_default();
    assert_eq!((fresh.aborted.len(), fresh.kept.len()), (0, 1), "a fresh upload may be another writer's: {fresh:?}");
    assert_eq!(fresh.kept[0].key, "mp/date=2024-11-01/x.parquet");
    let old = abort_leftovers(&store, Duration::ZERO).unwrap_or_else(|e| panic!("{e}")).unwrap_or_default();
    assert_eq!(old.aborted.len(), 1, "{old:?}");
    let after = abort_leftovers(&store, Duration::ZERO).unwrap_or_else(|e| panic!("{e}")).unwrap_or_default();
    assert_eq!(after, Default::default(), "nothing left");
}
