//! The shape of one row of the config-key table ([`super::keys::KEYS`]): a
//! key's scope, name, type, default, allowed range and one line of doc, and
//! how each is shown to people (the generated reference, `config_keys()` in
//! Python, `datalake_config_keys` in C).

use std::time::Duration;

use serde::{Serialize, Serializer};

/// Where a key is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Directly under `data_lake:`.
    DataLake,
    /// In a profile, under `data_lake.profiles.<name>:`.
    Profile,
    /// In a profile's `source:` block.
    Source,
}

impl Scope {
    /// Every scope, outermost first.
    pub const ALL: [Scope; 3] = [Scope::DataLake, Scope::Profile, Scope::Source];

    /// `"data_lake"`, `"profile"` or `"source"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::DataLake => "data_lake",
            Scope::Profile => "profile",
            Scope::Source => "source",
        }
    }

    /// Where keys of this scope sit in the file, e.g. `data_lake.profiles.<name>.source`.
    pub fn path(self) -> &'static str {
        match self {
            Scope::DataLake => "data_lake",
            Scope::Profile => "data_lake.profiles.<name>",
            Scope::Source => "data_lake.profiles.<name>.source",
        }
    }
}

/// An integer key and the range the validator accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IntKey {
    pub name: &'static str,
    pub min: u64,
    /// `u32::MAX` reads as "no upper bound" (shown as `>= min`).
    pub max: u64,
    /// Said after the range in messages and in the reference, e.g. `" (days)"`.
    pub unit: &'static str,
}

/// A duration key (humantime syntax, or `0`) and the range the validator accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DurationKey {
    pub name: &'static str,
    pub min: Duration,
    pub max: Duration,
    /// Examples, e.g. "1m, 90s or 2h (0 turns it off)".
    pub examples: &'static str,
    /// Why `max` is the limit, said when a value exceeds it.
    pub max_reason: &'static str,
}

/// What a key holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueType {
    /// A path on this machine (`~` and `${VAR}` expanded).
    Path,
    /// A string.
    Text,
    /// `true`/`false` (YAML 1.1 `yes`/`no`/`on`/`off` too).
    Bool,
    /// A list of strings.
    Strings,
    /// A mapping of its own keys.
    Mapping,
    /// A string split with POSIX shell quoting, or a list taken word for word.
    Words,
    /// An integer within bounds.
    Int(IntKey),
    /// A duration within bounds.
    Duration(DurationKey),
    /// One of a few words.
    Choice(&'static [&'static str]),
}

/// What a key is when it is absent (or null).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefaultValue {
    /// It must be given; the text says when, if not always (e.g. "for `type: ssh`").
    Required(&'static str),
    /// Unset; the text says what that means (e.g. "no limit").
    Unset(&'static str),
    /// Computed from other keys; the text says how.
    Derived(&'static str),
    /// A path below another key's value: (`root_dir`, `.checkpoints`).
    Below(&'static str, &'static str),
    Int(u64),
    Bool(bool),
    Duration(Duration),
    Text(&'static str),
    Words(&'static [&'static str]),
    EmptyList,
}

/// One config key: scope, name, type, default, allowed range, one line of doc.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeySpec {
    pub scope: Scope,
    pub name: &'static str,
    pub ty: ValueType,
    pub default: DefaultValue,
    /// What else the validator requires of a value (empty when the type says it all).
    pub rule: &'static str,
    /// One line for people.
    pub doc: &'static str,
}

impl KeySpec {
    /// A row for an integer key, named by it.
    pub const fn int(scope: Scope, key: IntKey, default: DefaultValue, doc: &'static str) -> KeySpec {
        KeySpec { scope, name: key.name, ty: ValueType::Int(key), default, rule: "", doc }
    }

    /// A row for a duration key, named by it.
    pub const fn duration(scope: Scope, key: DurationKey, default: Duration, doc: &'static str) -> KeySpec {
        KeySpec {
            scope,
            name: key.name,
            ty: ValueType::Duration(key),
            default: DefaultValue::Duration(default),
            rule: "",
            doc,
        }
    }

    /// The type in words: `integer`, `duration`, `path`...
    pub fn type_name(&self) -> &'static str {
        match self.ty {
            ValueType::Path => "path",
            ValueType::Text => "string",
            ValueType::Bool => "boolean",
            ValueType::Strings => "list of strings",
            ValueType::Mapping => "mapping",
            ValueType::Words => "string or list",
            ValueType::Int(_) => "integer",
            ValueType::Duration(_) => "duration",
            ValueType::Choice(_) => "choice",
        }
    }

    /// True when the key must be given (always, or in some cases).
    pub fn required(&self) -> bool {
        matches!(self.default, DefaultValue::Required(_))
    }

    /// The default as people read it: `30`, `1m`, `required`, `the profile name`...
    pub fn default_text(&self) -> String {
        match self.default {
            DefaultValue::Required("") => "required".to_string(),
            DefaultValue::Required(when) => format!("required {when}"),
            DefaultValue::Unset(text) | DefaultValue::Derived(text) => text.to_string(),
            DefaultValue::Below(key, dir) => format!("{{{key}}}/{dir}"),
            DefaultValue::Int(n) => n.to_string(),
            DefaultValue::Bool(b) => b.to_string(),
            DefaultValue::Duration(d) => short_duration(d),
            DefaultValue::Text(text) => text.to_string(),
            DefaultValue::Words(words) => words.join(" "),
            DefaultValue::EmptyList => "[]".to_string(),
        }
    }

    /// The accepted values in words (Markdown, like the doc line): `1 to 36500 (days)`,
    /// `` `utc` or `local` ``...
    pub fn allowed_text(&self) -> String {
        let range = match self.ty {
            ValueType::Int(k) if k.max == u64::from(u32::MAX) => format!(">= {}{}", k.min, k.unit),
            ValueType::Int(k) => format!("{} to {}{}", k.min, k.max, k.unit),
            ValueType::Duration(k) => {
                format!("{} to {}, e.g. {}", short_duration(k.min), short_duration(k.max), k.examples)
            }
            ValueType::Choice(words) => {
                let quoted: Vec<String> = words.iter().map(|w| format!("`{w}`")).collect();
                match quoted.split_last() {
                    Some((last, [])) => last.clone(),
                    Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
                    None => String::new(),
                }
            }
            _ => String::new(),
        };
        match (range.is_empty(), self.rule.is_empty()) {
            (_, true) => range,
            (true, false) => self.rule.to_string(),
            (false, false) => format!("{range}; {}", self.rule),
        }
    }

    /// Lower and upper bound of a number or duration (durations in whole seconds).
    fn bounds(&self) -> (Option<u64>, Option<u64>) {
        match self.ty {
            ValueType::Int(k) => (Some(k.min), Some(k.max)),
            ValueType::Duration(k) => (Some(k.min.as_secs()), Some(k.max.as_secs())),
            _ => (None, None),
        }
    }

    /// The default as a JSON value: numbers, booleans, strings, lists; durations
    /// in whole seconds; `null` when required, unset or derived.
    fn default_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match self.default {
            DefaultValue::Required(_) | DefaultValue::Unset(_) | DefaultValue::Derived(_) | DefaultValue::Below(..) => {
                Value::Null
            }
            DefaultValue::Int(n) => Value::from(n),
            DefaultValue::Bool(b) => Value::from(b),
            DefaultValue::Duration(d) => Value::from(d.as_secs()),
            DefaultValue::Text(text) => Value::from(text),
            DefaultValue::Words(words) => Value::from(words.to_vec()),
            DefaultValue::EmptyList => Value::Array(Vec::new()),
        }
    }
}

/// The JSON (and Python dict) of a key: `scope`, `name`, `type`, `required`,
/// `default` (typed; durations in seconds), `default_text`, `min`, `max`,
/// `choices`, `allowed`, `doc`.
impl Serialize for KeySpec {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct View<'a> {
            scope: Scope,
            name: &'a str,
            r#type: &'a str,
            required: bool,
            default: serde_json::Value,
            default_text: String,
            min: Option<u64>,
            max: Option<u64>,
            choices: Option<&'a [&'a str]>,
            allowed: String,
            doc: &'a str,
        }
        let (min, max) = self.bounds();
        View {
            scope: self.scope,
            name: self.name,
            r#type: self.type_name(),
            required: self.required(),
            default: self.default_json(),
            default_text: self.default_text(),
            min,
            max,
            choices: match self.ty {
                ValueType::Choice(words) => Some(words),
                _ => None,
            },
            allowed: self.allowed_text(),
            doc: self.doc,
        }
        .serialize(s)
    }
}

/// A duration as people write it in the config: `0`, `90s`, `1m`, `24h`, `7d`
/// (whole days only from a week up, so a day reads `24h`).
pub fn short_duration(d: Duration) -> String {
    let secs = d.as_secs();
    let (n, unit) = match secs {
        0 => return "0".to_string(),
        s if s % 86_400 == 0 && s >= 7 * 86_400 => (s / 86_400, "d"),
        s if s % 3_600 == 0 => (s / 3_600, "h"),
        s if s % 60 == 0 => (s / 60, "m"),
        s => (s, "s"),
    };
    format!("{n}{unit}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_written() {
        for (secs, text) in
            [(0, "0"), (90, "90s"), (60, "1m"), (86_400, "24h"), (7 * 86_400, "7d"), (366 * 86_400, "366d")]
        {
            assert_eq!(short_duration(Duration::from_secs(secs)), text);
        }
    }
}
