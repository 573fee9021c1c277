//! A parsed document as a tree of values that remember where they were written.
//!
//! YAML and JSON both read into [`Node`]s, so everything after parsing (typed decoding,
//! semantic checks, error locations) is the same for both. A [`DocPath`] names a place in the
//! tree (`spec.containerDefinitions[0].image`) and [`Node::locate`] turns it back into a span,
//! which is how checks that run on typed values still point at a line and column.

use std::fmt;

use crate::diagnostics::Span;

#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub span: Span,
    pub kind: NodeKind,
}

#[derive(Clone, Debug, PartialEq)]
pub enum NodeKind {
    Null,
    Bool(bool),
    Int(i64),
    /// The source text is kept so that `1.10` read where a string is expected stays `1.10`.
    Float(f64, String),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub key: String,
    pub key_span: Span,
    pub value: Node,
}

impl NodeKind {
    /// What the user wrote, in words, for "expected X, found Y" messages.
    pub fn describe(&self) -> &'static str {
        match self {
            NodeKind::Null => "null",
            NodeKind::Bool(_) => "a boolean",
            NodeKind::Int(_) => "an integer",
            NodeKind::Float(..) => "a number",
            NodeKind::Str(_) => "a string",
            NodeKind::Seq(_) => "a list",
            NodeKind::Map(_) => "a mapping",
        }
    }
}

impl Node {
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.value)
    }

    pub fn entry(&self, key: &str) -> Option<&Entry> {
        match &self.kind {
            NodeKind::Map(entries) => entries.iter().find(|e| e.key == key),
            _ => None,
        }
    }

    /// Like [`Node::get`], but a key that differs only in case matches when no key matches
    /// exactly (the decoder reads such keys as the field, with a warning).
    pub fn get_any_case(&self, key: &str) -> Option<&Node> {
        match &self.kind {
            NodeKind::Map(entries) => find_any_case(entries, key).map(|e| &e.value),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn is_map(&self) -> bool {
        matches!(self.kind, NodeKind::Map(_))
    }

    /// The span of the value at `path`, or of the deepest ancestor that exists (a missing field
    /// is reported at the mapping that should hold it). With `key = true` and a path that ends
    /// in a field, the span of the key itself. A field written in another case (`Tags` for
    /// `tags`) is found too, as the decoder read it.
    pub fn locate(&self, path: &DocPath, key: bool) -> Span {
        let mut node = self;
        let last = path.segments.len().saturating_sub(1);
        for (i, segment) in path.segments.iter().enumerate() {
            let next = match (segment, &node.kind) {
                (Segment::Key(k), NodeKind::Map(entries)) => match find_any_case(entries, k) {
                    Some(entry) if key && i == last => return entry.key_span,
                    Some(entry) => &entry.value,
                    None => return node.span,
                },
                (Segment::Index(i), NodeKind::Seq(items)) => match items.get(*i) {
                    Some(item) => item,
                    None => return node.span,
                },
                _ => return node.span,
            };
            node = next;
        }
        node.span
    }
}

/// The entry whose key is `key`, else the first whose key equals it when case is ignored.
fn find_any_case<'n>(entries: &'n [Entry], key: &str) -> Option<&'n Entry> {
    entries
        .iter()
        .find(|e| e.key == key)
        .or_else(|| entries.iter().find(|e| e.key.eq_ignore_ascii_case(key)))
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Segment {
    Key(String),
    Index(usize),
}

/// A path inside a document. Displays as `spec.containerDefinitions[0].portMappings[1]`.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DocPath {
    pub segments: Vec<Segment>,
}

impl DocPath {
    pub fn root() -> Self {
        DocPath::default()
    }

    pub fn key(&self, key: impl Into<String>) -> Self {
        let mut next = self.clone();
        next.segments.push(Segment::Key(key.into()));
        next
    }

    pub fn index(&self, index: usize) -> Self {
        let mut next = self.clone();
        next.segments.push(Segment::Index(index));
        next
    }

    /// Builds a path from dotted text with `[n]` indexes, for tests and fixed paths.
    pub fn parse(text: &str) -> Self {
        let mut path = DocPath::root();
        for part in text.split('.').filter(|p| !p.is_empty()) {
            let (name, rest) = part.split_once('[').unwrap_or((part, ""));
            if !name.is_empty() {
                path = path.key(name);
            }
            for index in rest.split('[') {
                if let Ok(i) = index.trim_end_matches(']').parse() {
                    path = path.index(i);
                }
            }
        }
        path
    }

    pub fn is_root(&self) -> bool {
        self.segments.is_empty()
    }
}

impl fmt::Display for DocPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, segment) in self.segments.iter().enumerate() {
            match segment {
                Segment::Key(k) if i == 0 => write!(f, "{k}")?,
                Segment::Key(k) => write!(f, ".{k}")?,
                Segment::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scalar(line: u32, kind: NodeKind) -> Node {
        Node {
            span: Span::new(line, 5, 1),
            kind,
        }
    }

    #[test]
    fn path_round_trips_through_text() {
        let text = "spec.containerDefinitions[0].portMappings[12].hostPort";
        assert_eq!(DocPath::parse(text).to_string(), text);
    }

    #[test]
    fn locate_falls_back_to_the_nearest_ancestor() {
        let doc = Node {
            span: Span::new(1, 1, 1),
            kind: NodeKind::Map(vec![Entry {
                key: "spec".into(),
                key_span: Span::new(2, 1, 4),
                value: Node {
                    span: Span::new(3, 3, 1),
                    kind: NodeKind::Seq(vec![scalar(4, NodeKind::Int(1))]),
                },
            }]),
        };
        assert_eq!(doc.locate(&DocPath::parse("spec[0]"), false).line, 4);
        assert_eq!(doc.locate(&DocPath::parse("spec[7]"), false).line, 3);
        assert_eq!(doc.locate(&DocPath::parse("spec"), true).line, 2);
        assert_eq!(doc.locate(&DocPath::parse("nope.deeper"), false).line, 1);
    }

    #[test]
    fn locate_and_get_any_case_find_a_key_written_in_another_case() {
        let entry = |key: &str, line: u32| Entry {
            key: key.into(),
            key_span: Span::new(line, 1, 4),
            value: scalar(line, NodeKind::Int(1)),
        };
        let doc = Node {
            span: Span::new(1, 1, 1),
            kind: NodeKind::Map(vec![
                entry("Tags", 2),
                entry("memory", 3),
                entry("MEMORY", 4),
            ]),
        };
        assert_eq!(doc.locate(&DocPath::parse("tags"), true).line, 2);
        assert_eq!(doc.locate(&DocPath::parse("tags"), false).line, 2);
        // The exact spelling wins over an earlier one in another case.
        assert_eq!(doc.locate(&DocPath::parse("memory"), true).line, 3);
        assert!(doc.get("tags").is_none());
        assert_eq!(doc.get_any_case("tags").map(|n| n.span.line), Some(2));
        assert_eq!(doc.get_any_case("Memory").map(|n| n.span.line), Some(3));
    }
}
