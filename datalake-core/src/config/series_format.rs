//! The profile key `series_format`: how a series name splits into fields.
//!
//! `"{exchange}_{symbol}"` names the parts of the series `gate_io_VIRTUAL-USDT`
//! (the partition path without its date, see [`crate::inspect::coverage`]).
//! Fields are matched from the right: each field after the first takes the
//! text after the *last* occurrence of the literal before it, the first field
//! takes what is left, so `gate_io_VIRTUAL-USDT` is exchange `gate_io`, symbol
//! `VIRTUAL-USDT` (an underscore inside the exchange is fine, one inside the
//! symbol is not). Literal text before the first field and after the last one
//! must match exactly (`"trades/{exchange}_{symbol}"`).
//!
//! Rules checked when the config loads: at least one field; names are
//! identifiers (`[A-Za-z_][A-Za-z0-9_]*`), each used once, not `series` or
//! `date` (the reader's own columns); two fields need literal text between
//! them; `{` and `}` appear only around field names.

use std::fmt;

use serde::{Serialize, Serializer};

/// Names a series' fields cannot take: the columns every read adds.
pub const RESERVED_FIELDS: [&str; 2] = ["series", "date"];

/// A parsed `series_format`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesFormat {
    /// As written in the config.
    text: String,
    /// Literal text before the first field.
    prefix: String,
    /// Each field and the literal text that follows it (empty for the last
    /// field when nothing follows it).
    fields: Vec<(String, String)>,
}

impl SeriesFormat {
    /// Parse a format; the error says what is wrong and how to write it.
    pub fn parse(text: &str) -> Result<SeriesFormat, String> {
        let example = "write it like \"{exchange}_{symbol}\"";
        let mut prefix = String::new();
        let mut fields: Vec<(String, String)> = Vec::new();
        let mut rest = text;
        while let Some(open) = rest.find(['{', '}']) {
            let literal = &rest[..open];
            if rest.as_bytes()[open] == b'}' {
                return Err(format!("unmatched }} in {text:?}; {example}"));
            }
            let Some(close) = rest[open..].find('}') else {
                return Err(format!("unclosed {{ in {text:?}; {example}"));
            };
            let name = &rest[open + 1..open + close];
            match fields.last_mut() {
                Some((prev, sep)) => {
                    if literal.is_empty() {
                        return Err(format!(
                            "fields {{{prev}}} and {{{name}}} need text between them (such as _) in {text:?}, or the series name cannot be split"
                        ));
                    }
                    sep.push_str(literal);
                }
                None => prefix.push_str(literal),
            }
            check_name(name, text)?;
            if fields.iter().any(|(n, _)| n == name) {
                return Err(format!("field {{{name}}} appears twice in {text:?}; name each field once"));
            }
            fields.push((name.to_string(), String::new()));
            rest = &rest[open + close + 1..];
        }
        match fields.last_mut() {
            Some((_, suffix)) => suffix.push_str(rest),
            None => return Err(format!("no field in {text:?}; {example}")),
        }
        Ok(SeriesFormat { text: text.to_string(), prefix, fields })
    }

    /// The format as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The field names, in order.
    pub fn field_names(&self) -> impl Iterator<Item = &str> {
        self.fields.iter().map(|(n, _)| n.as_str())
    }

    /// The values of the fields of `series`, in order; `None` when the
    /// series does not fit the format (a missing literal, an empty field).
    pub fn split<'s>(&self, series: &'s str) -> Option<Vec<&'s str>> {
        let (last_sep, rest) = (&self.fields.last()?.1, series.strip_prefix(self.prefix.as_str())?);
        let mut rest = rest.strip_suffix(last_sep.as_str())?;
        let mut values = vec![""; self.fields.len()];
        for i in (1..self.fields.len()).rev() {
            let sep = &self.fields[i - 1].1;
            let at = rest.rfind(sep.as_str())?;
            values[i] = &rest[at + sep.len()..];
            rest = &rest[..at];
        }
        values[0] = rest;
        values.iter().all(|v| !v.is_empty()).then_some(values)
    }
}

fn check_name(name: &str, text: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let ident = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !ident {
        return Err(format!(
            "{{{name}}} in {text:?} is not a field name: use letters, digits and _ (such as {{exchange}})"
        ));
    }
    if RESERVED_FIELDS.contains(&name) {
        return Err(format!(
            "{{{name}}} in {text:?} is a column every read adds already; name the field differently (such as {{{name}_name}})"
        ));
    }
    Ok(())
}

impl fmt::Display for SeriesFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Serialize for SeriesFormat {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(format: &str, series: &str) -> Option<Vec<String>> {
        let f = SeriesFormat::parse(format).unwrap();
        f.split(series).map(|v| v.into_iter().map(str::to_string).collect())
    }

    #[test]
    fn last_field_takes_the_text_after_the_last_separator() {
        let f = SeriesFormat::parse("{exchange}_{symbol}").unwrap();
        assert_eq!(f.field_names().collect::<Vec<_>>(), ["exchange", "symbol"]);
        assert_eq!(split("{exchange}_{symbol}", "gate_io_VIRTUAL-USDT").unwrap(), ["gate_io", "VIRTUAL-USDT"]);
        assert_eq!(split("{exchange}_{symbol}", "mexc_BTC-USDT").unwrap(), ["mexc", "BTC-USDT"]);
        assert_eq!(split("{exchange}_{symbol}", "binance"), None);
        assert_eq!(split("{exchange}_{symbol}", "binance_"), None);
        assert_eq!(split("{exchange}_{symbol}", "_BTC"), None);
        assert_eq!(split("{a}-{b}_{c}", "x-y-z_w").unwrap(), ["x-y", "z", "w"]);
        assert_eq!(split("trades/{exchange}/{symbol}", "trades/binance/BTC").unwrap(), ["binance", "BTC"]);
        assert_eq!(split("trades/{exchange}/{symbol}", "quotes/binance/BTC"), None);
        assert_eq!(split("{symbol}", "BTC").unwrap(), ["BTC"]);
        assert_eq!(split("{symbol}.v2", "BTC.v2").unwrap(), ["BTC"]);
        assert_eq!(split("{symbol}.v2", "BTC"), None);
    }

    #[test]
    fn bad_formats_say_why() {
        let err = |t: &str| SeriesFormat::parse(t).unwrap_err();
        assert!(err("exchange_symbol").contains("no field"), "{}", err("exchange_symbol"));
        assert!(err("{exchange}{symbol}").contains("need text between them"));
        assert!(err("{a}_{a}").contains("appears twice"));
        assert!(err("{date}_{x}").contains("column every read adds"));
        assert!(err("{series}").contains("column every read adds"));
        assert!(err("{ex-change}").contains("not a field name"));
        assert!(err("{}").contains("not a field name"));
        assert!(err("{a").contains("unclosed"));
        assert!(err("a}").contains("unmatched"));
    }
}
