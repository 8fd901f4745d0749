//! The catalog and the schema check on real trees.

use std::path::Path;
use std::sync::Arc;

use chrono::NaiveDate;
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;

use crate::config::test_support::test_profile;
use crate::config::{Profile, SeriesFormat};
use crate::read::catalog::{list, Catalog};
use crate::read::schema::groups;
use crate::read::selection::FileSelection;
use crate::vocab::error::Error;

const TICK: &str = "message t { required int64 timestamp; optional binary exchange (UTF8); optional double price; }";

/// A Parquet file with this schema and no rows.
fn parquet_with(schema: &str) -> Vec<u8> {
    let schema = Arc::new(parse_message_type(schema).unwrap());
    let mut out = Vec::new();
    let writer = SerializedFileWriter::new(&mut out, schema, Arc::new(WriterProperties::builder().build())).unwrap();
    writer.close().unwrap();
    out
}

fn put(root: &Path, rel: &str, bytes: &[u8]) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

fn d(s: &str) -> NaiveDate {
    FileSelection::parse_date(s).unwrap()
}

fn profile(root: &Path, format: Option<&str>) -> Profile {
    let mut p = test_profile(root, 36_500);
    p.series_format = format.map(|f| SeriesFormat::parse(f).unwrap());
    p
}

fn rels(c: &Catalog) -> Vec<String> {
    c.files.iter().map(|f| f.path.strip_prefix(&c.root).unwrap().display().to_string()).collect()
}

fn select(series: &[&str], start: Option<&str>, end: Option<&str>) -> FileSelection {
    FileSelection {
        series: series.iter().map(|s| s.to_string()).collect(),
        start: start.map(d),
        end: end.map(d),
        ..Default::default()
    }
}

/// The collectors' flat layout, with everything a read must never meet.
fn flat_lake(root: &Path) {
    let file = parquet_with(TICK);
    for day in ["20241118", "20241119", "20241120", "20241121"] {
        for pair in ["gate_io_VIRTUAL-USDT", "gate_io_VIRTUAL-USDTX", "gate_io_IRON-USDT", "mexc_BTC-USDT"] {
            for part in 1..=2 {
                put(root, &format!("{pair}_{day}/part_{part:05}.parquet"), &file);
            }
        }
    }
    put(root, "gate_io_VIRTUAL-USDT_20241119/.part_00003.parquet.Xy12Ab", b"half");
    put(root, "gate_io_VIRTUAL-USDT_20241119/.rsync-partial/part_00004.parquet", b"half");
    put(root, ".datalake-quarantine/gate_io_VIRTUAL-USDT_20241119/part_00009.parquet", &file);
    put(root, "gate_io_VIRTUAL-USDT_20241119/_SUCCESS", b"");
    put(root, "gate_io_VIRTUAL-USDT_20241119/notes.txt", b"x");
    put(root, "README.parquet", &file);
    std::os::unix::fs::symlink(root.join("mexc_BTC-USDT_20241118"), root.join("mexc_LINK-USDT_20241118")).unwrap();
}

#[test]
fn flat_selection_by_series_and_dates() {
    let tmp = tempfile::tempdir().unwrap();
    flat_lake(tmp.path());
    let p = profile(tmp.path(), None);
    let today = d("20241121");
    let c = list(&p, &select(&["gate_io_VIRTUAL-USDT"], Some("2024-11-19"), Some("20241120")), today).unwrap();
    assert_eq!(
        rels(&c),
        [
            "gate_io_VIRTUAL-USDT_20241119/part_00001.parquet",
            "gate_io_VIRTUAL-USDT_20241119/part_00002.parquet",
            "gate_io_VIRTUAL-USDT_20241120/part_00001.parquet",
            "gate_io_VIRTUAL-USDT_20241120/part_00002.parquet",
        ]
    );
    assert_eq!(c.partitions.len(), 2);
    assert!(c.files.iter().all(|f| f.series == "gate_io_VIRTUAL-USDT" && f.size > 0 && f.fields.is_empty()));
    assert_eq!(c.files[0].date, d("20241119"));
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);

    // Everything: 4 pairs x 4 days x 2 parts; nothing hidden, partial, quarantined, linked or undated.
    let all = list(&p, &FileSelection::default(), today).unwrap();
    assert_eq!(all.files.len(), 32);
    assert!(rels(&all).iter().all(|r| r.ends_with(".parquet") && !r.contains("/.") && !r.starts_with('.')));

    // A glob; an empty selection is an empty catalog.
    let g = list(&p, &select(&["gate_io_*-USDT"], None, Some("20241118")), today).unwrap();
    assert_eq!(g.files.len(), 4);
    let none = list(&p, &select(&["binance_*"], None, None), today).unwrap();
    assert!(none.files.is_empty() && none.partitions.is_empty());
}

#[test]
fn series_fields_filter_and_warn() {
    let tmp = tempfile::tempdir().unwrap();
    flat_lake(tmp.path());
    put(tmp.path(), "oddball_20241119/part_00001.parquet", &parquet_with(TICK));
    let p = profile(tmp.path(), Some("{exchange}_{symbol}"));
    let today = d("20241121");
    let mut s = select(&[], Some("20241119"), Some("20241119"));
    s.fields.insert("exchange".into(), vec!["gate_io".into()]);
    s.fields.insert("symbol".into(), vec!["VIRTUAL-USDT".into(), "IRON-USDT".into()]);
    let c = list(&p, &s, today).unwrap();
    let series: std::collections::BTreeSet<&str> = c.files.iter().map(|f| f.series.as_str()).collect();
    assert_eq!(series.into_iter().collect::<Vec<_>>(), ["gate_io_IRON-USDT", "gate_io_VIRTUAL-USDT"]);
    assert_eq!(c.files[0].fields["exchange"], "gate_io");
    assert_eq!(c.fields, ["exchange", "symbol"]);
    assert!(c.warnings.iter().any(|w| w.contains("oddball") && w.contains("left out")), "{:?}", c.warnings);

    // Unfiltered, the odd series is read (no fields) and named in a warning.
    let all = list(&p, &select(&[], Some("20241119"), Some("20241119")), today).unwrap();
    let odd: Vec<_> = all.files.iter().filter(|f| f.series == "oddball").collect();
    assert_eq!(odd.len(), 1);
    assert!(odd[0].fields.is_empty());
    assert!(all.warnings.iter().any(|w| w.contains("series oddball") && w.contains("(null)")), "{:?}", all.warnings);
}

#[test]
fn nested_and_hive_layouts() {
    let tmp = tempfile::tempdir().unwrap();
    let file = parquet_with(TICK);
    for (y, m, day) in [("2024", "10", "31"), ("2024", "11", "01"), ("2024", "11", "02")] {
        put(tmp.path(), &format!("gate_io_BTC/{y}/{m}/{day}/part_1.parquet"), &file);
        put(tmp.path(), &format!("exchange=mexc/symbol=ETH/year={y}/month={m}/day={day}/part_1.parquet"), &file);
        put(tmp.path(), &format!("binance_SOL/dt={y}-{m}-{day}/part_1.parquet"), &file);
    }
    let p = profile(tmp.path(), Some("{exchange}_{symbol}"));
    let today = d("20241102");
    let c = list(&p, &select(&[], Some("20241101"), None), today).unwrap();
    assert_eq!(c.files.len(), 6);
    let nested = list(&p, &select(&["gate_io_BTC"], Some("20241031"), Some("20241101")), today).unwrap();
    assert_eq!(rels(&nested), ["gate_io_BTC/2024/10/31/part_1.parquet", "gate_io_BTC/2024/11/01/part_1.parquet"]);
    assert_eq!(nested.files[1].fields["symbol"], "BTC");
    let hive_format = profile(tmp.path(), Some("exchange={exchange}/symbol={symbol}"));
    let mut s = select(&[], None, Some("20241031"));
    s.fields.insert("symbol".into(), vec!["ETH".into()]);
    let hive = list(&hive_format, &s, today).unwrap();
    assert_eq!(rels(&hive), ["exchange=mexc/symbol=ETH/year=2024/month=10/day=31/part_1.parquet"]);
    assert_eq!(hive.files[0].fields["exchange"], "mexc");
    assert_eq!(hive.files[0].series, "exchange=mexc/symbol=ETH");
}

#[test]
fn retention_removing_a_partition_is_reported() {
    let tmp = tempfile::tempdir().unwrap();
    flat_lake(tmp.path());
    let mut p = profile(tmp.path(), None);
    p.retention_days = 2;
    let c = list(&p, &select(&["mexc_BTC-USDT"], None, None), d("20241121")).unwrap();
    assert!(
        c.warnings.iter().any(|w| w.contains("2 selected partitions") && w.contains("past retention")),
        "{:?}",
        c.warnings
    );
    c.check_still_there().unwrap();
    std::fs::remove_dir_all(tmp.path().join("mexc_BTC-USDT_20241118")).unwrap();
    let err = c.check_still_there().unwrap_err();
    assert!(matches!(err, Error::PartitionRemoved { .. }), "{err}");
    assert!(err.to_string().contains("mexc_BTC-USDT_20241118") && err.to_string().contains("read again"), "{err}");
    assert!(err.is_transient());
}

#[test]
fn a_profile_directory_not_there_yet_is_empty() {
    let tmp = tempfile::tempdir().unwrap();
    let p = profile(&tmp.path().join("missing"), None);
    assert!(list(&p, &FileSelection::default(), d("20241121")).unwrap().files.is_empty());
}

#[test]
fn rsync_args_that_show_half_written_files_are_named() {
    let tmp = tempfile::tempdir().unwrap();
    let mut p = profile(tmp.path(), None);
    p.rsync_args = Some(vec!["-rtP".into()]);
    let c = list(&p, &FileSelection::default(), d("20241121")).unwrap();
    assert!(c.warnings.iter().any(|w| w.contains("--partial without --partial-dir")), "{:?}", c.warnings);
    p.rsync_args = Some(vec!["-rtP".into(), "--partial-dir=.rsync-partial".into()]);
    assert!(list(&p, &FileSelection::default(), d("20241121")).unwrap().warnings.is_empty());
}

#[test]
fn schemas_group_and_conflicts_name_two_files() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let wider = "message t { required int64 timestamp; optional binary exchange (UTF8); optional double price; optional double amount; }";
    put(root, "a_20241119/part_1.parquet", &parquet_with(TICK));
    put(root, "a_20241119/part_2.parquet", &parquet_with(TICK));
    put(root, "a_20241120/part_1.parquet", &parquet_with(wider));
    let p = profile(root, None);
    let c = list(&p, &FileSelection::default(), d("20241121")).unwrap();
    let g = groups(&c, 2).unwrap();
    assert_eq!(g.len(), 2);
    assert_eq!((g[0].files, g[1].files), (2, 1));
    assert_eq!(g[1].columns, ["amount", "exchange", "price", "timestamp"]);

    put(
        root,
        "a_20241121/part_1.parquet",
        &parquet_with("message t { required int64 timestamp; optional int64 price; }"),
    );
    let c = list(&p, &FileSelection::default(), d("20241121")).unwrap();
    let err = groups(&c, 0).unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, Error::SchemaMismatch { .. }));
    assert!(text.contains("column price is DOUBLE in the first file and INT64 in the second"), "{text}");
    assert!(text.contains("a_20241119/part_1.parquet") && text.contains("a_20241121/part_1.parquet"), "{text}");

    put(root, "a_20241122/part_1.parquet", b"PAR1 not really");
    let c = list(&p, &select(&[], Some("20241122"), None), d("20241122")).unwrap();
    let err = groups(&c, 1).unwrap_err().to_string();
    assert!(err.contains("datalake verify"), "{err}");
}

#[test]
fn series_format_is_a_profile_key() {
    let yaml = |extra: &str| {
        format!("data_lake:\n  root_dir: /lake\n  profiles:\n    p:\n      source:\n        host: h\n        user: u\n        ssh_key: /dev/null\n        remote_root: /r\n{extra}")
    };
    let c =
        crate::config::Config::from_yaml_str(&yaml("      series_format: \"{exchange}_{symbol}\"\n"), None).unwrap();
    let f = c.profile("p").unwrap().series_format.as_ref().unwrap();
    assert_eq!(f.as_str(), "{exchange}_{symbol}");
    let c = crate::config::Config::from_yaml_str(&yaml(""), None).unwrap();
    assert!(c.profile("p").unwrap().series_format.is_none());
    let e = crate::config::Config::from_yaml_str(&yaml("      series_format: \"{exchange}{symbol}\"\n"), None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("10:22: profiles.p.series_format: fields {exchange} and {symbol} need text"), "{e}");
}

/// Opening partitions by name (exact series, closed range) finds exactly what the
/// walk finds, in every layout, and follows no symlink either.
#[test]
fn probing_by_name_agrees_with_the_walk() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let file = parquet_with(TICK);
    for day in ["20241118", "20241119", "20241120"] {
        put(root, &format!("gate_io_BTC_{day}/part_1.parquet"), &file);
        put(root, &format!("gate_io_BTCX_{day}/part_1.parquet"), &file);
        let (y, m, dd) = (&day[..4], &day[4..6], &day[6..]);
        put(root, &format!("gate_io_BTC/{y}/{m}/{dd}/part_2.parquet"), &file);
        put(root, &format!("gate_io_BTC/dt={y}-{m}-{dd}/part_3.parquet"), &file);
        put(root, &format!("gate_io_BTC/sub_{day}/part_4.parquet"), &file);
    }
    std::os::unix::fs::symlink(root.join("gate_io_BTCX_20241119"), root.join("mexc_ETH_20241119")).unwrap();
    let p = profile(root, Some("{exchange}_{symbol}"));
    for (exact, pattern) in
        [("gate_io_BTC", "gate_io_BT[C]"), ("mexc_ETH", "mexc_ET[H]"), ("gate_io_BTCX", "gate_io_BTC[X]")]
    {
        let probed = list(&p, &select(&[exact], Some("20241119"), Some("20241120")), d("20241121")).unwrap();
        let walked = list(&p, &select(&[pattern], Some("20241119"), Some("20241120")), d("20241121")).unwrap();
        assert_eq!(rels(&probed), rels(&walked), "{exact}");
        assert_eq!(probed.partitions, walked.partitions, "{exact}");
    }
    let btc = list(&p, &select(&["gate_io_BTC"], Some("20241119"), Some("20241119")), d("20241121")).unwrap();
    assert_eq!(
        rels(&btc),
        [
            "gate_io_BTC/2024/11/19/part_2.parquet",
            "gate_io_BTC/dt=2024-11-19/part_3.parquet",
            "gate_io_BTC_20241119/part_1.parquet"
        ]
    );
}

#[test]
fn kept_versions_of_rewritten_parts_are_files_of_their_partition() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let file = parquet_with(TICK);
    put(root, "gate_io_A-USDT_20261201/part_00001.parquet", &file);
    put(root, "gate_io_B-USDT_20261201/part_00001.parquet", &file);
    put(root, ".datalake-replaced/gate_io_A-USDT_20261201/part_00001.parquet.20261201T101500Z", &file);
    put(root, ".datalake-replaced/gate_io_A-USDT_20261201/notes.txt.20261201T101500Z", b"x");
    put(root, ".datalake-replaced/.incoming/1/gate_io_A-USDT_20261201/part_00002.parquet", &file);
    let p = profile(root, Some("{exchange}_{symbol}"));
    let c = list(&p, &select(&["gate_io_A-USDT"], None, None), d("2026-12-02")).unwrap();
    assert_eq!(
        rels(&c),
        [
            ".datalake-replaced/gate_io_A-USDT_20261201/part_00001.parquet.20261201T101500Z",
            "gate_io_A-USDT_20261201/part_00001.parquet"
        ]
    );
    assert!(c.files.iter().all(|f| f.series == "gate_io_A-USDT" && f.date == d("2026-12-01")));
    assert_eq!(c.files[0].fields, c.files[1].fields);
    // A partition whose kept folder is empty, or missing, adds nothing.
    let c = list(&p, &select(&["gate_io_B-USDT"], None, None), d("2026-12-02")).unwrap();
    assert_eq!(rels(&c), ["gate_io_B-USDT_20261201/part_00001.parquet"]);
}
