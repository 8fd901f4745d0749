//! Shell-style patterns for series names and field values: `*` (any text,
//! `/` included), `?` (one character), `[abc]`, `[a-z]`, `[!abc]`; anything
//! else matches itself. A pattern without those characters is an exact name.

/// Whether `text` contains a pattern character.
pub fn is_glob(text: &str) -> bool {
    text.contains(['*', '?', '['])
}

/// The text before the first pattern character (all of it for an exact name).
pub fn literal_prefix(pattern: &str) -> &str {
    match pattern.find(['*', '?', '[']) {
        Some(at) => &pattern[..at],
        None => pattern,
    }
}

/// Whether `text` matches `pattern` as a whole.
pub fn matches(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti) = (0usize, 0usize);
    // Where the last `*` was, and the text position it currently covers up to.
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        let step = match p.get(pi) {
            Some('*') => {
                star = Some((pi, ti));
                pi += 1;
                continue;
            }
            Some('?') => Some(pi + 1),
            Some('[') => class(&p, pi, t[ti]),
            Some(&c) if c == t[ti] => Some(pi + 1),
            _ => None,
        };
        match (step, star) {
            (Some(next), _) => {
                pi = next;
                ti += 1;
            }
            (None, Some((sp, st))) => {
                // Let the last `*` take one more character and try again.
                pi = sp + 1;
                ti = st + 1;
                star = Some((sp, st + 1));
            }
            (None, None) => return false,
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// Match `c` against the class starting at `p[at] == '['`: the index after
/// the class when it matches, `None` when it does not. An unclosed `[`
/// matches itself.
fn class(p: &[char], at: usize, c: char) -> Option<usize> {
    let mut i = at + 1;
    let negated = matches!(p.get(i), Some('!' | '^'));
    if negated {
        i += 1;
    }
    let mut found = false;
    let mut first = true;
    while i < p.len() && (p[i] != ']' || first) {
        first = false;
        if i + 2 < p.len() && p[i + 1] == '-' && p[i + 2] != ']' {
            found |= p[i] <= c && c <= p[i + 2];
            i += 3;
        } else {
            found |= p[i] == c;
            i += 1;
        }
    }
    if i >= p.len() {
        return (c == '[').then_some(at + 1);
    }
    (found != negated).then_some(i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        assert!(matches("gate_io_*", "gate_io_VIRTUAL-USDT"));
        assert!(matches("*-USDT", "gate_io_VIRTUAL-USDT"));
        assert!(!matches("*-USDT", "gate_io_VIRTUAL-USDTX"));
        assert!(matches("gate_io_VIRTUAL-USDT", "gate_io_VIRTUAL-USDT"));
        assert!(!matches("gate_io_VIRTUAL-USDT", "gate_io_VIRTUAL-USDTX"));
        assert!(matches("*_?TC-*", "mexc_BTC-USDT"));
        assert!(matches("[gm]*", "mexc_BTC"));
        assert!(!matches("[!gm]*", "mexc_BTC"));
        assert!(matches("[a-c]x", "bx"));
        assert!(matches("a*b*c", "aXXbYYc"));
        assert!(!matches("a*b*c", "aXXbYY"));
        assert!(matches("trades/*", "trades/binance/BTC"));
        assert!(matches("*", ""));
        assert!(matches("a[", "a["));
        assert!(matches("[]]", "]"));
    }

    #[test]
    fn prefixes() {
        assert_eq!(literal_prefix("gate_io_*"), "gate_io_");
        assert_eq!(literal_prefix("abc"), "abc");
        assert!(is_glob("a?") && !is_glob("a-b_c"));
    }
}
