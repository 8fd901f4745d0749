//! A small YAML tree that remembers where every node came from.
//!
//! Built from the event stream of `yaml-rust2` (a maintained, pure-Rust YAML 1.2
//! parser whose events carry line/column markers). `serde_yaml` cannot report
//! the position of each key while collecting all errors, and `yaml-rust2`'s own
//! `Yaml` tree drops the markers, so the tree is assembled here: a few dozen
//! lines over the event API, with no recursion (deeply nested junk cannot
//! overflow the stack), a depth limit, a node budget against alias bombs, and
//! YAML 1.1 merge keys (`<<: *defaults`), which PyYAML (the old tool) honoured.
//!
//! Scalars keep their text and whether they were plain (unquoted); the schema
//! walk decides what a scalar means for each key, so `port: "6677"` and
//! `host: 10.0.0.11` both read naturally.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// Deepest nesting accepted; real configs use about six levels.
const MAX_DEPTH: usize = 256;
/// Most nodes a document may expand to (aliases included).
const MAX_NODES: usize = 200_000;

/// A 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Pos {
    pub line: usize,
    pub column: usize,
}

impl Pos {
    fn from_marker(m: &Marker) -> Pos {
        // yaml-rust2 counts lines from 1 and columns from 0.
        Pos { line: m.line().max(1), column: m.col() + 1 }
    }
}

/// A YAML node and where it starts.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub pos: Pos,
    pub kind: Kind,
}

/// The shape of a node.
#[derive(Debug, Clone)]
pub(crate) enum Kind {
    /// Any scalar; `plain` is false when it was quoted or a block scalar.
    Scalar {
        text: String,
        plain: bool,
    },
    Seq(Vec<Node>),
    /// Entries in file order (duplicates kept, so the schema walk can report them).
    Map(Vec<(Node, Node)>),
}

impl Node {
    /// YAML null: an empty plain scalar, `~` or `null`.
    pub fn is_null(&self) -> bool {
        matches!(&self.kind, Kind::Scalar { text, plain: true } if matches!(text.as_str(), "" | "~" | "null" | "Null" | "NULL"))
    }

    /// The text of a scalar, `None` for collections.
    pub fn as_scalar(&self) -> Option<&str> {
        match &self.kind {
            Kind::Scalar { text, .. } => Some(text),
            _ => None,
        }
    }

    /// Short description for "got ..." messages.
    pub fn describe(&self) -> String {
        if self.is_null() {
            return "nothing (null)".to_string();
        }
        match &self.kind {
            Kind::Scalar { text, .. } => {
                let mut shown: String = text.chars().take(60).collect();
                if shown.len() < text.len() {
                    shown.push_str("...");
                }
                format!("{shown:?}")
            }
            Kind::Seq(_) => "a list".to_string(),
            Kind::Map(_) => "a mapping".to_string(),
        }
    }

    fn size(&self) -> usize {
        // Iterative so that size() of a deep tree is as safe as building it.
        let mut n = 0;
        let mut todo = vec![self];
        while let Some(node) = todo.pop() {
            n += 1;
            match &node.kind {
                Kind::Scalar { .. } => {}
                Kind::Seq(items) => todo.extend(items),
                Kind::Map(entries) => {
                    for (k, v) in entries {
                        todo.push(k);
                        todo.push(v);
                    }
                }
            }
        }
        n
    }
}

/// A fatal parse problem: the document cannot be read at all.
#[derive(Debug, Clone)]
pub(crate) struct ParseError {
    pub pos: Option<Pos>,
    pub message: String,
}

enum Frame {
    Seq { pos: Pos, anchor: usize, items: Vec<Node> },
    Map { pos: Pos, anchor: usize, entries: Vec<(Node, Node)>, key: Option<Node> },
}

struct Builder {
    stack: Vec<Frame>,
    anchors: HashMap<usize, (Node, usize)>,
    nodes: usize,
    root: Option<Node>,
}

impl Builder {
    fn complete(&mut self, node: Node, anchor: usize) -> Result<(), ParseError> {
        if anchor > 0 {
            let size = node.size();
            self.anchors.insert(anchor, (node.clone(), size));
        }
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { entries, key, .. }) => match key.take() {
                None => *key = Some(node),
                Some(k) => entries.push((k, node)),
            },
        }
        Ok(())
    }

    fn count(&mut self, n: usize, pos: Pos) -> Result<(), ParseError> {
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > MAX_NODES {
            return Err(ParseError {
                pos: Some(pos),
                message: format!(
                    "the document expands to more than {MAX_NODES} YAML nodes (too many aliases?); \
                     a data lake config is a few dozen lines: check that this is the right file"
                ),
            });
        }
        Ok(())
    }

    fn open(&mut self, frame: Frame, pos: Pos) -> Result<(), ParseError> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(ParseError {
                pos: Some(pos),
                message: format!("YAML nested deeper than {MAX_DEPTH} levels; check that this is the right file"),
            });
        }
        self.count(1, pos)?;
        self.stack.push(frame);
        Ok(())
    }
}

/// Apply YAML 1.1 merge keys (`<<`): explicit keys win over merged ones, and
/// earlier merged mappings win over later ones.
fn merge_keys(entries: Vec<(Node, Node)>) -> Result<Vec<(Node, Node)>, ParseError> {
    let is_merge = |k: &Node| matches!(&k.kind, Kind::Scalar { text, plain: true } if text == "<<");
    if !entries.iter().any(|(k, _)| is_merge(k)) {
        return Ok(entries);
    }
    let mut own = Vec::with_capacity(entries.len());
    let mut merged: Vec<(Node, Node)> = Vec::new();
    for (k, v) in entries {
        if !is_merge(&k) {
            own.push((k, v));
            continue;
        }
        let sources = match v.kind {
            Kind::Map(m) => vec![m],
            Kind::Seq(items) => {
                let mut maps = Vec::with_capacity(items.len());
                for item in items {
                    match item.kind {
                        Kind::Map(m) => maps.push(m),
                        _ => {
                            return Err(ParseError {
                                pos: Some(item.pos),
                                message: "a merge key (<<) list may only hold mappings (e.g. *defaults)".into(),
                            })
                        }
                    }
                }
                maps
            }
            _ => {
                return Err(ParseError {
                    pos: Some(v.pos),
                    message: "a merge key (<<) needs a mapping or a list of mappings (e.g. <<: *defaults)".into(),
                })
            }
        };
        for source in sources {
            for (mk, mv) in source {
                let seen = |list: &[(Node, Node)]| {
                    list.iter().any(|(k, _)| k.as_scalar().is_some() && k.as_scalar() == mk.as_scalar())
                };
                if !seen(&merged) {
                    merged.push((mk, mv));
                }
            }
        }
    }
    // Explicit keys override merged ones.
    merged.retain(|(mk, _)| !own.iter().any(|(k, _)| k.as_scalar().is_some() && k.as_scalar() == mk.as_scalar()));
    own.extend(merged);
    Ok(own)
}

/// Parse one YAML document. `Ok(None)` for an empty stream.
pub(crate) fn parse(text: &str) -> Result<Option<Node>, ParseError> {
    let mut parser = Parser::new_from_str(text);
    let mut b = Builder { stack: Vec::new(), anchors: HashMap::new(), nodes: 0, root: None };
    let mut documents = 0usize;
    loop {
        let (event, mark) = parser.next_token().map_err(|e| ParseError {
            pos: Some(Pos::from_marker(e.marker())),
            message: format!("YAML syntax error: {}; fix the YAML at this position", e.info()),
        })?;
        let pos = Pos::from_marker(&mark);
        match event {
            Event::Nothing | Event::StreamStart | Event::DocumentEnd => {}
            Event::StreamEnd => break,
            Event::DocumentStart => {
                documents += 1;
                if documents > 1 {
                    return Err(ParseError {
                        pos: Some(pos),
                        message:
                            "more than one YAML document (a second `---`); keep the data lake config in one document"
                                .into(),
                    });
                }
            }
            Event::Alias(id) => {
                let Some((node, size)) = b.anchors.get(&id).map(|(n, s)| (n.clone(), *s)) else {
                    return Err(ParseError {
                        pos: Some(pos),
                        message: "alias to an unknown anchor; define the anchor (&name) before using it (*name)".into(),
                    });
                };
                b.count(size, pos)?;
                let node = Node { pos, ..node };
                b.complete(node, 0)?;
            }
            Event::Scalar(text, style, anchor, _tag) => {
                b.count(1, pos)?;
                let plain = matches!(style, TScalarStyle::Plain);
                b.complete(Node { pos, kind: Kind::Scalar { text, plain } }, anchor)?;
            }
            Event::SequenceStart(anchor, _tag) => b.open(Frame::Seq { pos, anchor, items: Vec::new() }, pos)?,
            Event::MappingStart(anchor, _tag) => {
                b.open(Frame::Map { pos, anchor, entries: Vec::new(), key: None }, pos)?
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let (node, anchor) = match b.stack.pop() {
                    Some(Frame::Seq { pos, anchor, items }) => (Node { pos, kind: Kind::Seq(items) }, anchor),
                    Some(Frame::Map { pos, anchor, entries, .. }) => {
                        (Node { pos, kind: Kind::Map(merge_keys(entries)?) }, anchor)
                    }
                    None => {
                        return Err(ParseError {
                            pos: Some(pos),
                            message: "YAML structure error: unbalanced collection end".into(),
                        })
                    }
                };
                b.complete(node, anchor)?;
            }
        }
    }
    Ok(b.root)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(node: &Node) -> &Vec<(Node, Node)> {
        match &node.kind {
            Kind::Map(m) => m,
            other => panic!("expected a map, got {other:?}"),
        }
    }

    #[test]
    fn positions_are_one_based() {
        let root = parse("a:\n  bb: 'x'\n  c: [1, 2]\n").unwrap().unwrap();
        let top = map(&root);
        assert_eq!(top[0].0.pos, Pos { line: 1, column: 1 });
        let inner = map(&top[0].1);
        assert_eq!(inner[0].0.pos, Pos { line: 2, column: 3 });
        assert_eq!(inner[0].1.pos, Pos { line: 2, column: 7 });
        assert!(matches!(&inner[0].1.kind, Kind::Scalar { text, plain: false } if text == "x"));
        assert_eq!(inner[1].0.pos, Pos { line: 3, column: 3 });
    }

    #[test]
    fn empty_and_syntax_errors() {
        assert!(parse("").unwrap().is_none());
        assert!(parse("# only a comment\n").unwrap().is_none());
        let e = parse("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(e.pos.is_some(), "{e:?}");
        let e = parse("a: 1\n---\nb: 2\n").unwrap_err();
        assert!(e.message.contains("more than one"), "{e:?}");
    }

    #[test]
    fn merge_keys_and_aliases() {
        let root = parse("d: &d {x: 1, y: 2}\np:\n  <<: *d\n  y: 3\n").unwrap().unwrap();
        let p = map(&map(&root)[1].1);
        let pairs: Vec<_> = p.iter().map(|(k, v)| (k.as_scalar().unwrap(), v.as_scalar().unwrap())).collect();
        assert_eq!(pairs, vec![("y", "3"), ("x", "1")]);
    }

    #[test]
    fn limits_hold() {
        let deep = "[".repeat(100_000);
        // The scanner's own recursion limit or ours, whichever comes first.
        let e = parse(&deep).unwrap_err();
        assert!(e.message.contains("recursion limit") || e.message.contains("nested deeper"), "{e:?}");
        let e = parse(&"- ".repeat(100_000)).unwrap_err();
        assert!(e.message.contains("recursion limit") || e.message.contains("nested deeper"), "{e:?}");
        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 0..8 {
            let prev = if i == 0 { "a".to_string() } else { format!("l{}", i - 1) };
            bomb.push_str(&format!("l{i}: &l{i} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
        }
        assert!(parse(&bomb).unwrap_err().message.contains("expands to more than"));
    }
}
