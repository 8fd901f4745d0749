//! The Prometheus text exposition format (version 0.0.4), which node_exporter's
//! textfile collector, the Pushgateway and Prometheus itself read.
//!
//! A family is a name, a type, a help text and a function from a
//! [`Snapshot`] to its samples; [`render`] writes `# HELP` and `# TYPE` once
//! per family, then the samples of every snapshot, each labelled with its
//! profile. Families without any sample are left out.

use std::fmt::Write;

use super::snapshot::Snapshot;

/// Metric types used here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Only grows (cumulative across runs).
    Counter,
    /// Goes up and down; also used for timestamps and state sets.
    Gauge,
    /// `_sum` and `_count` samples, no quantiles.
    Summary,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
            Kind::Summary => "summary",
        }
    }
}

/// One sample: `<family><suffix>{profile="...",<labels>} <value>`.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// Appended to the family name (`_sum`, `_count` for summaries).
    pub suffix: &'static str,
    /// Labels besides `profile` (low cardinality only: a status, a version).
    pub labels: Vec<(&'static str, String)>,
    /// The value.
    pub value: f64,
}

impl Sample {
    /// A sample without extra labels.
    pub fn plain(value: f64) -> Sample {
        Sample { suffix: "", labels: Vec::new(), value }
    }
}

/// A metric family and how to read its samples from a snapshot.
#[derive(Debug, Clone, Copy)]
pub struct Family {
    /// Metric name (base units, `_total` for counters, `_timestamp_seconds` for times).
    pub name: &'static str,
    /// Type.
    pub kind: Kind,
    /// One line of help: what it counts and in which unit.
    pub help: &'static str,
    /// The samples of one profile (empty: nothing to say for it).
    pub samples: fn(&Snapshot) -> Vec<Sample>,
}

impl Family {
    /// A gauge with one value, or none.
    pub const fn gauge(name: &'static str, help: &'static str, samples: fn(&Snapshot) -> Vec<Sample>) -> Family {
        Family { name, kind: Kind::Gauge, help, samples }
    }

    /// A counter.
    pub const fn counter(name: &'static str, help: &'static str, samples: fn(&Snapshot) -> Vec<Sample>) -> Family {
        Family { name, kind: Kind::Counter, help, samples }
    }

    /// A summary (`_sum` and `_count` samples).
    pub const fn summary(name: &'static str, help: &'static str, samples: fn(&Snapshot) -> Vec<Sample>) -> Family {
        Family { name, kind: Kind::Summary, help, samples }
    }
}

/// The exposition text of `families` for every snapshot.
pub fn render(families: &[Family], snapshots: &[Snapshot]) -> String {
    let mut out = String::new();
    for family in families {
        let per_profile: Vec<(&str, Vec<Sample>)> =
            snapshots.iter().map(|s| (s.profile.as_str(), (family.samples)(s))).collect();
        if per_profile.iter().all(|(_, samples)| samples.is_empty()) {
            continue;
        }
        // Writing to a String cannot fail.
        let _ = writeln!(out, "# HELP {} {}", family.name, escape_help(family.help));
        let _ = writeln!(out, "# TYPE {} {}", family.name, family.kind.as_str());
        for (profile, samples) in per_profile {
            for sample in samples {
                let _ = write!(out, "{}{}{{profile=\"{}\"", family.name, sample.suffix, escape_label(profile));
                for (name, value) in &sample.labels {
                    let _ = write!(out, ",{name}=\"{}\"", escape_label(value));
                }
                let _ = writeln!(out, "}} {}", format_value(sample.value));
            }
        }
    }
    out
}

/// A value as Go's `strconv.ParseFloat` reads it: `+Inf`, `-Inf`, `NaN`, or
/// Rust's shortest round-trip decimal.
pub fn format_value(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "+Inf" } else { "-Inf" }.into()
    } else {
        format!("{v}")
    }
}

fn escape_help(text: &str) -> String {
    text.replace('\\', "\\\\").replace('\n', "\\n")
}

fn escape_label(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_and_escapes() {
        assert_eq!(format_value(1764480000.0), "1764480000");
        assert_eq!(format_value(0.25), "0.25");
        assert_eq!(format_value(f64::INFINITY), "+Inf");
        assert_eq!(format_value(f64::NEG_INFINITY), "-Inf");
        assert_eq!(format_value(f64::NAN), "NaN");
        assert_eq!(format_value(1e21), "1000000000000000000000");
        assert_eq!(escape_label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
        assert_eq!(escape_help("x\\y\nz \"q\""), "x\\\\y\\nz \"q\"");
    }
}
