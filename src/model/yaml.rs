//! YAML text → [`Node`] documents, with the line and column of every value and key.
//!
//! The event parser of `yaml-rust2` reports a position for each event; this module assembles
//! the events into trees and resolves plain scalars with the YAML 1.2 core schema (so `yes` is
//! a string, `0x1F` an integer). Anchors, aliases and `<<` merge keys are resolved here, so the
//! rest of the program never sees them. It never panics on bad input: every problem becomes a
//! [`SyntaxError`] with a position, and the documents before a syntax error are still returned.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use super::node::{Entry, Node, NodeKind};
use crate::diagnostics::Span;

/// Deeper nesting than this is refused: no manifest needs it, and it bounds recursion later.
pub const MAX_DEPTH: usize = 64;

#[derive(Clone, Debug, PartialEq)]
pub struct SyntaxError {
    pub span: Span,
    pub message: String,
    pub help: Option<String>,
}

/// What a file parsed into: its documents (in order) and the syntax errors found.
#[derive(Debug, Default)]
pub struct Parsed {
    pub documents: Vec<Node>,
    pub errors: Vec<SyntaxError>,
}

pub fn parse(text: &str) -> Parsed {
    let mut builder = Builder::default();
    let mut parser = Parser::new_from_str(text);
    if let Err(e) = parser.load(&mut builder, true) {
        let mark = e.marker();
        builder.errors.push(SyntaxError {
            span: span_at(mark, 1),
            message: format!("invalid YAML: {}", e.info()),
            help: yaml_help(e.info()),
        });
    }
    Parsed {
        documents: builder.documents,
        errors: builder.errors,
    }
}

fn yaml_help(info: &str) -> Option<String> {
    if info.contains("tab") {
        Some("YAML indentation must use spaces, not tabs".into())
    } else if info.contains("mapping values are not allowed") {
        Some("a value containing `: ` must be quoted, or a key is indented wrongly".into())
    } else {
        None
    }
}

fn span_at(mark: &Marker, len: usize) -> Span {
    let line = u32::try_from(mark.line()).unwrap_or(u32::MAX);
    // yaml-rust2 counts columns from 0.
    let col = u32::try_from(mark.col() + 1).unwrap_or(u32::MAX);
    Span::new(line.max(1), col, u32::try_from(len).unwrap_or(1))
}

enum Frame {
    Seq {
        span: Span,
        anchor: usize,
        items: Vec<Node>,
    },
    Map {
        span: Span,
        anchor: usize,
        entries: Vec<Entry>,
        key: Option<(String, Span)>,
        merges: Vec<Node>,
    },
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    anchors: HashMap<usize, Node>,
    documents: Vec<Node>,
    errors: Vec<SyntaxError>,
    /// Set after a structural error inside the current document; its events are skipped until
    /// the document ends, so one mistake gives one message.
    poisoned: bool,
}

impl Builder {
    fn error(&mut self, span: Span, message: impl Into<String>) {
        self.errors.push(SyntaxError {
            span,
            message: message.into(),
            help: None,
        });
    }

    fn begin(&mut self, frame: Frame, span: Span) {
        if self.stack.len() >= MAX_DEPTH {
            self.error(
                span,
                format!("the document is nested deeper than {MAX_DEPTH} levels"),
            );
            self.poisoned = true;
            return;
        }
        self.stack.push(frame);
    }

    /// A finished value goes to its parent: an item of a list, or the key or value of a mapping.
    fn finish(&mut self, node: Node, anchor: usize) {
        if anchor > 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => {
                if node.kind != NodeKind::Null {
                    self.documents.push(node);
                }
            }
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map {
                entries,
                key,
                merges,
                ..
            }) => match key.take() {
                None => {
                    let text = match node.kind {
                        NodeKind::Str(s) => s,
                        NodeKind::Int(i) => i.to_string(),
                        NodeKind::Bool(b) => b.to_string(),
                        NodeKind::Float(_, text) => text,
                        NodeKind::Null => "null".to_string(),
                        NodeKind::Seq(_) | NodeKind::Map(_) => {
                            let span = node.span;
                            self.error(
                                span,
                                "a mapping key must be a plain value, not a list or mapping",
                            );
                            self.poisoned = true;
                            return;
                        }
                    };
                    *key = Some((text, node.span));
                }
                Some((name, key_span)) if name == "<<" => {
                    let _ = key_span;
                    merges.push(node);
                }
                Some((name, key_span)) => {
                    if let Some(first) = entries.iter().find(|e| e.key == name) {
                        let first_line = first.key_span.line;
                        self.errors.push(SyntaxError {
                            span: key_span,
                            message: format!("duplicate key `{name}`"),
                            help: Some(format!("`{name}` is already set on line {first_line}")),
                        });
                        return;
                    }
                    entries.push(Entry {
                        key: name,
                        key_span,
                        value: node,
                    });
                }
            },
        }
    }

    fn end_map(&mut self) {
        let Some(Frame::Map {
            span,
            anchor,
            mut entries,
            merges,
            ..
        }) = self.stack.pop()
        else {
            return;
        };
        // `<<: *base` (or a list of them): keys written here win over merged ones.
        for merge in merges {
            let sources = match merge.kind {
                NodeKind::Seq(items) => items,
                other => vec![Node {
                    span: merge.span,
                    kind: other,
                }],
            };
            for source in sources {
                match source.kind {
                    NodeKind::Map(merged) => {
                        for entry in merged {
                            if !entries.iter().any(|e| e.key == entry.key) {
                                entries.push(entry);
                            }
                        }
                    }
                    _ => self.error(
                        source.span,
                        "`<<` must merge a mapping or a list of mappings",
                    ),
                }
            }
        }
        self.finish(
            Node {
                span,
                kind: NodeKind::Map(entries),
            },
            anchor,
        );
    }

    fn end_seq(&mut self) {
        if let Some(Frame::Seq {
            span,
            anchor,
            items,
        }) = self.stack.pop()
        {
            self.finish(
                Node {
                    span,
                    kind: NodeKind::Seq(items),
                },
                anchor,
            );
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, event: Event, mark: Marker) {
        if self.poisoned {
            if matches!(event, Event::DocumentEnd | Event::StreamEnd) {
                self.poisoned = false;
                self.stack.clear();
            }
            return;
        }
        match event {
            Event::Nothing | Event::StreamStart | Event::StreamEnd | Event::DocumentStart => {}
            Event::DocumentEnd => self.stack.clear(),
            Event::Alias(id) => match self.anchors.get(&id) {
                Some(node) => {
                    let mut node = node.clone();
                    node.span = span_at(&mark, 1);
                    self.finish(node, 0);
                }
                None => self.error(span_at(&mark, 1), "alias of an unknown anchor"),
            },
            Event::Scalar(value, style, anchor, tag) => {
                let span = span_at(&mark, scalar_width(&value, style));
                let kind = match (style, tag) {
                    (TScalarStyle::Plain, None) => resolve_plain(value),
                    (TScalarStyle::Plain, Some(tag)) if tag.suffix != "str" => resolve_plain(value),
                    _ => NodeKind::Str(value),
                };
                self.finish(Node { span, kind }, anchor);
            }
            Event::SequenceStart(anchor, _) => {
                let span = span_at(&mark, 1);
                self.begin(
                    Frame::Seq {
                        span,
                        anchor,
                        items: Vec::new(),
                    },
                    span,
                );
            }
            Event::SequenceEnd => self.end_seq(),
            Event::MappingStart(anchor, _) => {
                let span = span_at(&mark, 1);
                self.begin(
                    Frame::Map {
                        span,
                        anchor,
                        entries: Vec::new(),
                        key: None,
                        merges: Vec::new(),
                    },
                    span,
                );
            }
            Event::MappingEnd => self.end_map(),
        }
    }
}

fn scalar_width(value: &str, style: TScalarStyle) -> usize {
    if value.contains('\n') {
        return 1;
    }
    let chars = value.chars().count();
    match style {
        TScalarStyle::SingleQuoted | TScalarStyle::DoubleQuoted => chars + 2,
        TScalarStyle::Plain => chars,
        _ => 1,
    }
}

/// The YAML 1.2 core schema for plain (unquoted) scalars.
fn resolve_plain(value: String) -> NodeKind {
    match value.as_str() {
        "" | "~" | "null" | "Null" | "NULL" => return NodeKind::Null,
        "true" | "True" | "TRUE" => return NodeKind::Bool(true),
        "false" | "False" | "FALSE" => return NodeKind::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return NodeKind::Float(f64::INFINITY, value);
        }
        "-.inf" | "-.Inf" | "-.INF" => return NodeKind::Float(f64::NEG_INFINITY, value),
        ".nan" | ".NaN" | ".NAN" => return NodeKind::Float(f64::NAN, value),
        _ => {}
    }
    if let Some(int) = parse_int(&value) {
        return NodeKind::Int(int);
    }
    if looks_like_float(&value)
        && let Ok(f) = value.parse::<f64>()
    {
        return NodeKind::Float(f, value);
    }
    NodeKind::Str(value)
}

fn parse_int(text: &str) -> Option<i64> {
    if let Some(hex) = text.strip_prefix("0x") {
        return i64::from_str_radix(hex, 16).ok();
    }
    if let Some(oct) = text.strip_prefix("0o") {
        return i64::from_str_radix(oct, 8).ok();
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

fn looks_like_float(text: &str) -> bool {
    let body = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = digits(int_part)
        && digits(frac_part)
        && (!int_part.is_empty() || !frac_part.is_empty())
        && (mantissa.contains('.') || exponent.is_some());
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    mantissa_ok && exponent_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Node {
        let parsed = parse(text);
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        assert_eq!(parsed.documents.len(), 1);
        parsed.documents.into_iter().next().expect("one document")
    }

    #[test]
    fn resolves_core_schema_scalars() {
        let doc = one("a: 1\nb: 1.50\nc: yes\nd: ~\ne: '2'\nf: 0x10\ng: true\nh: 1e3\ni: 1.2.3\n");
        assert_eq!(doc.get("a").map(|n| &n.kind), Some(&NodeKind::Int(1)));
        assert_eq!(
            doc.get("b").map(|n| &n.kind),
            Some(&NodeKind::Float(1.5, "1.50".into()))
        );
        assert_eq!(doc.get("c").and_then(Node::as_str), Some("yes"));
        assert_eq!(doc.get("d").map(|n| &n.kind), Some(&NodeKind::Null));
        assert_eq!(doc.get("e").and_then(Node::as_str), Some("2"));
        assert_eq!(doc.get("f").map(|n| &n.kind), Some(&NodeKind::Int(16)));
        assert_eq!(doc.get("g").map(|n| &n.kind), Some(&NodeKind::Bool(true)));
        assert!(matches!(
            doc.get("h").map(|n| &n.kind),
            Some(NodeKind::Float(..))
        ));
        assert_eq!(doc.get("i").and_then(Node::as_str), Some("1.2.3"));
    }

    #[test]
    fn records_one_based_positions_of_keys_and_values() {
        let doc = one("spec:\n  name: web\n");
        let entry = doc.get("spec").and_then(|s| s.entry("name")).expect("name");
        assert_eq!((entry.key_span.line, entry.key_span.col), (2, 3));
        assert_eq!((entry.value.span.line, entry.value.span.col), (2, 9));
        assert_eq!(entry.value.span.len, 3);
    }

    #[test]
    fn splits_documents_and_skips_empty_ones() {
        let parsed = parse("a: 1\n---\n---\nb: 2\n");
        assert_eq!(parsed.documents.len(), 2);
        assert_eq!(parsed.documents[1].span.line, 4);
    }

    #[test]
    fn duplicate_keys_are_errors_with_both_lines() {
        let parsed = parse("a: 1\nb: 2\na: 3\n");
        assert_eq!(parsed.errors.len(), 1);
        assert_eq!(parsed.errors[0].span.line, 3);
        assert!(
            parsed.errors[0]
                .help
                .as_deref()
                .unwrap_or("")
                .contains("line 1")
        );
    }

    #[test]
    fn syntax_error_keeps_earlier_documents() {
        let parsed = parse("a: 1\n---\nb: [1, 2\n");
        assert_eq!(parsed.documents.len(), 1);
        assert_eq!(parsed.errors.len(), 1);
        assert!(parsed.errors[0].span.line >= 3);
    }

    #[test]
    fn aliases_and_merge_keys_resolve() {
        let doc = one("base: &b {x: 1, y: 2}\nuse:\n  <<: *b\n  y: 3\n");
        let used = doc.get("use").expect("use");
        assert_eq!(used.get("x").map(|n| &n.kind), Some(&NodeKind::Int(1)));
        assert_eq!(used.get("y").map(|n| &n.kind), Some(&NodeKind::Int(3)));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let text = "[".repeat(10_000);
        let parsed = parse(&text);
        assert!(!parsed.errors.is_empty());
    }
}
