//! A selection: which series, which days, which field values. The same
//! words on every face: `series`, `start`, `end` and one filter per field of
//! the profile's `series_format`.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;
use serde_json::Value;

use crate::config::Profile;
use crate::read::glob;
use crate::vocab::error::{Error, Result};

/// What to read of a profile. The default selects everything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FileSelection {
    /// Series names or patterns (`*`, `?`, `[...]`); empty: every series.
    pub series: Vec<String>,
    /// First day, inclusive.
    pub start: Option<NaiveDate>,
    /// Last day, inclusive.
    pub end: Option<NaiveDate>,
    /// Field name to accepted values or patterns (fields of `series_format`).
    pub fields: BTreeMap<String, Vec<String>>,
}

impl FileSelection {
    /// A day as the faces take it: `2024-11-19` or `20241119`.
    pub fn parse_date(text: &str) -> Result<NaiveDate> {
        let t = text.trim();
        let compact = t.len() == 8 && t.bytes().all(|b| b.is_ascii_digit());
        let parsed = if compact {
            NaiveDate::parse_from_str(t, "%Y%m%d").ok()
        } else {
            NaiveDate::parse_from_str(t, "%Y-%m-%d").ok()
        };
        parsed.ok_or_else(|| {
            Error::InvalidArgument(format!(
                "{text:?} is not a date: write it as 2024-11-19 or 20241119 (a real calendar day)"
            ))
        })
    }

    /// The selection of the C ABI's JSON: `{"series": "x" | [...], "start":
    /// "2024-11-19", "end": "20241121", "fields": {"exchange": "gate_io" | [...]}}`,
    /// every key optional; `null` or `""` is the empty selection.
    pub fn from_json(text: &str) -> Result<FileSelection> {
        let bad = |what: String| Error::InvalidArgument(format!("selection JSON: {what}"));
        if text.trim().is_empty() {
            return Ok(FileSelection::default());
        }
        let value: Value = serde_json::from_str(text).map_err(|e| {
            bad(format!("{e}; expected an object such as {{\"series\": [\"gate_io_*\"], \"start\": \"2024-11-19\"}}"))
        })?;
        let object = match value {
            Value::Null => return Ok(FileSelection::default()),
            Value::Object(o) => o,
            other => return Err(bad(format!("expected an object, got {other}"))),
        };
        let mut selection = FileSelection::default();
        for (key, value) in object {
            match key.as_str() {
                "series" => selection.series = strings(&value, "series").map_err(bad)?,
                "start" | "end" => {
                    let day = match &value {
                        Value::Null => None,
                        Value::String(s) => Some(FileSelection::parse_date(s)?),
                        other => return Err(bad(format!("{key} must be a date string, got {other}"))),
                    };
                    if key == "start" {
                        selection.start = day;
                    } else {
                        selection.end = day;
                    }
                }
                "fields" => match value {
                    Value::Null => {}
                    Value::Object(fields) => {
                        for (name, v) in fields {
                            let values = strings(&v, &name).map_err(bad)?;
                            selection.fields.insert(name, values);
                        }
                    }
                    other => {
                        return Err(bad(format!("fields must be an object of field names to values, got {other}")))
                    }
                },
                other => return Err(bad(format!("unknown key {other:?}; the keys are series, start, end and fields"))),
            }
        }
        Ok(selection)
    }

    /// Check the selection against `profile`: dates in order, patterns not
    /// empty, fields that the profile's `series_format` names.
    pub fn check(&self, profile: &Profile) -> Result<()> {
        if let (Some(start), Some(end)) = (self.start, self.end) {
            if start > end {
                return Err(Error::InvalidArgument(format!(
                    "start {start} is after end {end}: the range is inclusive, so start must be on or before end"
                )));
            }
        }
        if self.series.iter().any(String::is_empty) {
            return Err(Error::InvalidArgument(
                "an empty series name selects nothing: leave series out to read every series".into(),
            ));
        }
        let Some(name) = self.fields.keys().next() else { return Ok(()) };
        let Some(format) = &profile.series_format else {
            return Err(Error::InvalidArgument(format!(
                "profile {} has no series_format, so {name}= cannot select anything; add series_format: \"{{exchange}}_{{symbol}}\" (your fields) to the profile in the config",
                profile.name
            )));
        };
        for (name, values) in &self.fields {
            if !format.field_names().any(|f| f == name) {
                let known: Vec<&str> = format.field_names().collect();
                return Err(Error::InvalidArgument(format!(
                    "{name} is not a field of profile {}'s series_format {:?}; its fields are {}",
                    profile.name,
                    format.as_str(),
                    known.join(", ")
                )));
            }
            if values.is_empty() {
                return Err(Error::InvalidArgument(format!(
                    "{name}= got an empty list, which selects nothing; leave {name} out to read every value"
                )));
            }
        }
        Ok(())
    }

    /// Whether `date` is in the range.
    pub fn has_date(&self, date: NaiveDate) -> bool {
        self.start.is_none_or(|s| date >= s) && self.end.is_none_or(|e| date <= e)
    }

    /// Whether the series patterns accept `series` (no pattern: all do).
    pub fn has_series(&self, series: &str) -> bool {
        self.series.is_empty() || self.series.iter().any(|p| glob::matches(p, series))
    }

    /// Whether the field filters accept these values (`names[i]` = `values[i]`).
    pub fn has_fields<'a>(&self, names: impl Iterator<Item = &'a str>, values: &[&str]) -> bool {
        names.zip(values).all(|(name, value)| {
            self.fields.get(name).is_none_or(|accepted| accepted.iter().any(|p| glob::matches(p, value)))
        })
    }

    /// Whether a directory at `rel` (not a partition) may hold a selected
    /// series, judged by the patterns' literal prefixes; always true without
    /// series patterns.
    pub fn may_hold(&self, rel: &str) -> bool {
        if self.series.is_empty() {
            return true;
        }
        self.series.iter().any(|pattern| {
            let prefix = glob::literal_prefix(pattern);
            let exact = prefix.len() == pattern.len();
            // A date directory in the profile directory belongs to the series ".".
            pattern == "."
                || prefix.strip_prefix(rel).is_some_and(|rest| rest.starts_with('/') || (exact && rest.is_empty()))
                || if exact {
                    rel.strip_prefix(prefix).is_some_and(|r| r.starts_with('/'))
                } else {
                    rel.starts_with(prefix)
                }
        })
    }
}

fn strings(value: &Value, what: &str) -> std::result::Result<Vec<String>, String> {
    match value {
        Value::Null => Ok(Vec::new()),
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(items) => items
            .iter()
            .map(|v| match v {
                Value::String(s) => Ok(s.clone()),
                other => Err(format!("{what} must hold strings, got {other}")),
            })
            .collect(),
        other => Err(format!("{what} must be a string or a list of strings, got {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::test_support::test_profile;
    use crate::config::SeriesFormat;

    fn d(s: &str) -> NaiveDate {
        FileSelection::parse_date(s).unwrap()
    }

    #[test]
    fn dates_in_both_spellings() {
        assert_eq!(d("2024-11-19"), d("20241119"));
        for bad in ["2024-11-31", "241119", "2024/11/19", "", "20241341"] {
            let e = FileSelection::parse_date(bad).unwrap_err().to_string();
            assert!(e.contains("2024-11-19 or 20241119"), "{e}");
        }
    }

    #[test]
    fn json_selection() {
        let s = FileSelection::from_json(
            r#"{"series": "gate_io_*", "start": "20241119", "end": "2024-11-21", "fields": {"symbol": ["A", "B"]}}"#,
        )
        .unwrap();
        assert_eq!(s.series, ["gate_io_*"]);
        assert_eq!((s.start, s.end), (Some(d("2024-11-19")), Some(d("2024-11-21"))));
        assert_eq!(s.fields["symbol"], ["A", "B"]);
        assert_eq!(FileSelection::from_json("null").unwrap(), FileSelection::default());
        assert_eq!(FileSelection::from_json("").unwrap(), FileSelection::default());
        for (bad, needle) in [
            (r#"{"serie": "x"}"#, "unknown key \"serie\""),
            (r#"{"series": 3}"#, "string or a list"),
            (r#"{"start": 20241119}"#, "date string"),
            (r#"{"start": "2024-13-01"}"#, "not a date"),
            ("[1]", "expected an object"),
            ("{", "selection JSON"),
        ] {
            let e = FileSelection::from_json(bad).unwrap_err().to_string();
            assert!(e.contains(needle), "{bad}: {e}");
        }
    }

    #[test]
    fn checks_against_the_profile() {
        let mut p = test_profile(std::path::Path::new("/tmp/x"), 30);
        let mut s = FileSelection { start: Some(d("20241120")), end: Some(d("20241119")), ..Default::default() };
        assert!(s.check(&p).unwrap_err().to_string().contains("after end"));
        s = FileSelection::default();
        s.fields.insert("exchange".into(), vec!["gate_io".into()]);
        assert!(s.check(&p).unwrap_err().to_string().contains("has no series_format"));
        p.series_format = Some(SeriesFormat::parse("{exchange}_{symbol}").unwrap());
        s.check(&p).unwrap();
        s.fields.insert("venue".into(), vec!["x".into()]);
        let e = s.check(&p).unwrap_err().to_string();
        assert!(e.contains("venue is not a field") && e.contains("exchange, symbol"), "{e}");
    }

    #[test]
    fn pruning_by_prefix() {
        let s = FileSelection { series: vec!["binance/BTC".into()], ..Default::default() };
        assert!(s.may_hold("binance"));
        assert!(s.may_hold("binance/BTC"));
        assert!(s.may_hold("binance/BTC/2024"));
        assert!(!s.may_hold("binance/ETH"));
        assert!(!s.may_hold("bin"));
        assert!(!s.may_hold("binance/BTCX"));
        let g = FileSelection { series: vec!["trades/gate*".into()], ..Default::default() };
        assert!(g.may_hold("trades"));
        assert!(g.may_hold("trades/gate_io"));
        assert!(g.may_hold("trades/gate_io/2024"));
        assert!(!g.may_hold("quotes"));
        assert!(FileSelection::default().may_hold("anything"));
    }
}
