//! Typed decoding of a [`Node`] that reports every problem, not only the first.
//!
//! A serde `Deserializer` over the node tree. Where a derived `Deserialize` asks for something
//! the document does not hold (a number where a string was written, an unknown field, a value
//! outside an enum), this deserializer records an [`Issue`] with the exact path and span, hands
//! the visitor a neutral value, and carries on. One pass therefore finds every type error of a
//! document. The decoded value is only meaningful when no issue was recorded.
//!
//! Conventions it applies, the same for YAML and JSON:
//! - `null` and `""` in an optional position mean "absent" (ECS treats them so too);
//! - `null` in a list or mapping position is an empty list or mapping;
//! - a number or boolean where a string is expected is taken as its text (`value: 8080`);
//! - an integer written as a string where an integer is expected (`"memory": "128"`, as the
//!   Go and Python ECS tools send it) is read as the integer, surrounding whitespace allowed,
//!   and recorded as an [`IssueKind::QuotedNumber`] so the caller can say so once per
//!   document; a string that is not an integer stays an error. Fractional numbers (`f64`
//!   fields) likewise;
//! - a key that matches a field only when case is ignored (`Tags` for `tags`, as Go's
//!   `encoding/json` reads it) is read as that field, with an [`IssueKind::Warning`] at the
//!   key naming the right spelling; the same field written twice that way is an error;
//! - unknown fields are errors with a did-you-mean; template markers in enum positions are
//!   errors that say what they are.

use std::cell::RefCell;
use std::fmt;
use std::num::IntErrorKind;

use serde::de::value::BorrowedStrDeserializer;
use serde::de::{
    self, DeserializeOwned, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor,
};

use super::node::{DocPath, Entry, Node, NodeKind};
use super::template;
use crate::diagnostics::Span;
use crate::suggest::did_you_mean;

/// One problem found while decoding.
#[derive(Clone, Debug, PartialEq)]
pub struct Issue {
    pub kind: IssueKind,
    pub path: DocPath,
    pub span: Span,
    pub message: String,
    pub help: Option<String>,
}

/// How serious an [`Issue`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IssueKind {
    /// The document is wrong here; the decoded value holds a neutral value in its place.
    Error,
    /// Read, but not as written (a key in another case): worth its own warning.
    Warning,
    /// A number written as a string, read as the number. One of many, typically: the caller
    /// reports them together.
    QuotedNumber,
}

impl Issue {
    pub fn is_error(&self) -> bool {
        self.kind == IssueKind::Error
    }
}

/// Decodes `node` as a `T`. `base` is the path of `node` inside its document (`spec`), so
/// issues carry full paths. Returns `None` only when decoding had to stop (which the derived
/// types of this crate never cause); check `issues` before trusting the value.
pub fn decode<T: DeserializeOwned>(node: &Node, base: &DocPath) -> (Option<T>, Vec<Issue>) {
    let cx = Cx {
        base,
        path: RefCell::new(Vec::new()),
        issues: RefCell::new(Vec::new()),
    };
    let result = T::deserialize(De { node, cx: &cx });
    let mut issues = cx.issues.into_inner();
    match result {
        Ok(value) => (Some(value), issues),
        Err(e) => {
            if !e.reported {
                issues.push(Issue {
                    kind: IssueKind::Error,
                    path: base.clone(),
                    span: node.span,
                    message: e.message,
                    help: None,
                });
            }
            (None, issues)
        }
    }
}

#[derive(Clone, Copy)]
enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

struct Cx<'a, 'b> {
    base: &'b DocPath,
    path: RefCell<Vec<Seg<'a>>>,
    issues: RefCell<Vec<Issue>>,
}

impl<'a> Cx<'a, '_> {
    fn current_path(&self) -> DocPath {
        let mut path = self.base.clone();
        for seg in self.path.borrow().iter() {
            path = match seg {
                Seg::Key(k) => path.key(*k),
                Seg::Index(i) => path.index(*i),
            };
        }
        path
    }

    fn issue(&self, span: Span, message: String, help: Option<String>) {
        self.record(IssueKind::Error, span, message, help);
    }

    fn record(&self, kind: IssueKind, span: Span, message: String, help: Option<String>) {
        let path = self.current_path();
        self.issues.borrow_mut().push(Issue {
            kind,
            path,
            span,
            message,
            help,
        });
    }

    /// Runs `f` one level deeper in the path; an unreported error from below is reported
    /// here, at the deepest place that knows where it happened.
    fn descend<T>(
        &self,
        seg: Seg<'a>,
        span: Span,
        f: impl FnOnce() -> Result<T, DeError>,
    ) -> Result<T, DeError> {
        self.path.borrow_mut().push(seg);
        let result = f();
        let result = result.map_err(|mut e| {
            if !e.reported {
                self.issue(span, e.message.clone(), None);
                e.reported = true;
            }
            e
        });
        self.path.borrow_mut().pop();
        result
    }
}

#[derive(Debug)]
pub struct DeError {
    message: String,
    reported: bool,
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DeError {
            message: msg.to_string(),
            reported: false,
        }
    }
}

struct De<'a, 'c> {
    node: &'a Node,
    cx: &'c Cx<'a, 'c>,
}

fn quoted_number_help(text: &str) -> Option<String> {
    if template::has_marker(text) {
        Some("ecsctl does not render templates: render the file before passing it".into())
    } else if text.trim().parse::<f64>().is_ok_and(f64::is_finite) {
        Some(format!("write the number without quotes: {}", text.trim()))
    } else {
        None
    }
}

/// What a string holds when an integer is expected.
#[derive(Debug, PartialEq)]
enum QuotedInteger {
    Value(i128),
    /// Digits, but too many for any integer field.
    Overflow,
    NotAnInteger,
}

/// Reads `"128"`, `" 128 "`, `"-1"`, `"+3"` as integers; `"12.5"`, `"1 28"`, `""`, `"0x10"`
/// are not integers.
fn quoted_integer(text: &str) -> QuotedInteger {
    match text.trim().parse::<i128>() {
        Ok(value) => QuotedInteger::Value(value),
        Err(e)
            if matches!(
                e.kind(),
                IntErrorKind::PosOverflow | IntErrorKind::NegOverflow
            ) =>
        {
            QuotedInteger::Overflow
        }
        Err(_) => QuotedInteger::NotAnInteger,
    }
}

impl<'a, 'c> De<'a, 'c> {
    fn mismatch(&self, expected: &str, help: Option<String>) {
        let found = match &self.node.kind {
            NodeKind::Str(s) if template::has_marker(s) => {
                format!("the template marker `{s}`")
            }
            NodeKind::Str(s) => format!("the string `\"{s}\"`"),
            NodeKind::Int(i) => format!("the integer `{i}`"),
            NodeKind::Float(_, text) => format!("the number `{text}`"),
            NodeKind::Bool(b) => format!("`{b}`"),
            other => other.describe().to_string(),
        };
        self.cx.issue(
            self.node.span,
            format!("expected {expected}, found {found}"),
            help,
        );
    }

    fn out_of_range(&self, min: i128, max: i128) -> i64 {
        self.cx.issue(
            self.node.span,
            format!("number out of range: it must be between {min} and {max}"),
            None,
        );
        0
    }

    /// Records that the string at this node was read as a number.
    fn quoted_number(&self, text: &str) {
        self.cx.record(
            IssueKind::QuotedNumber,
            self.node.span,
            format!("the number `{}` is written as a string", text.trim()),
            Some(format!("write the number without quotes: {}", text.trim())),
        );
    }

    fn integer(&self, min: i128, max: i128) -> i64 {
        match &self.node.kind {
            NodeKind::Int(i) if (min..=max).contains(&i128::from(*i)) => *i,
            NodeKind::Int(_) => self.out_of_range(min, max),
            NodeKind::Null => 0,
            NodeKind::Str(s) => match quoted_integer(s) {
                QuotedInteger::Value(value) if (min..=max).contains(&value) => {
                    self.quoted_number(s);
                    // `min..=max` lies within i64 for every integer type decoded here.
                    i64::try_from(value).unwrap_or_default()
                }
                QuotedInteger::Value(_) | QuotedInteger::Overflow => self.out_of_range(min, max),
                QuotedInteger::NotAnInteger => {
                    let help = match s.trim().parse::<f64>() {
                        Ok(f) if f.is_finite() => Some("write a whole number".to_string()),
                        _ => quoted_number_help(s),
                    };
                    self.mismatch("an integer", help);
                    0
                }
            },
            _ => {
                self.mismatch("an integer", None);
                0
            }
        }
    }

    fn text(&self) -> Option<String> {
        match &self.node.kind {
            NodeKind::Str(s) => Some(s.clone()),
            NodeKind::Int(i) => Some(i.to_string()),
            NodeKind::Float(_, text) => Some(text.clone()),
            NodeKind::Bool(b) => Some(b.to_string()),
            NodeKind::Null => Some(String::new()),
            NodeKind::Seq(_) | NodeKind::Map(_) => None,
        }
    }

    fn seq<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        match &self.node.kind {
            NodeKind::Seq(items) => visitor.visit_seq(Items {
                items: items.iter().enumerate(),
                cx: self.cx,
            }),
            NodeKind::Null => visitor.visit_seq(Items {
                items: [].iter().enumerate(),
                cx: self.cx,
            }),
            kind => {
                let help = match kind {
                    NodeKind::Map(_) => None,
                    _ => Some(format!(
                        "write it as a list: [{}]",
                        self.text().unwrap_or_default()
                    )),
                };
                self.mismatch("a list", help);
                visitor.visit_seq(Items {
                    items: [].iter().enumerate(),
                    cx: self.cx,
                })
            }
        }
    }
}

macro_rules! integer_methods {
    ($($method:ident $visit:ident $ty:ty;)*) => {
        $(
            fn $method<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
                let value = self.integer(i128::from(<$ty>::MIN), i128::from(<$ty>::MAX));
                visitor.$visit(<$ty>::try_from(value).unwrap_or_default())
            }
        )*
    };
}

impl<'a, 'c> de::Deserializer<'a> for De<'a, 'c> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        match &self.node.kind {
            NodeKind::Null => visitor.visit_unit(),
            NodeKind::Bool(b) => visitor.visit_bool(*b),
            NodeKind::Int(i) => visitor.visit_i64(*i),
            NodeKind::Float(f, _) => visitor.visit_f64(*f),
            NodeKind::Str(s) => visitor.visit_borrowed_str(s),
            NodeKind::Seq(_) => self.seq(visitor),
            NodeKind::Map(entries) => visitor.visit_map(Entries::new(entries, None, self.cx)),
        }
    }

    fn deserialize_bool<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        match &self.node.kind {
            NodeKind::Bool(b) => visitor.visit_bool(*b),
            NodeKind::Null => visitor.visit_bool(false),
            NodeKind::Str(s) if s == "true" || s == "false" => {
                self.mismatch("a boolean", Some(format!("write it without quotes: {s}")));
                visitor.visit_bool(false)
            }
            _ => {
                self.mismatch("a boolean (true or false)", None);
                visitor.visit_bool(false)
            }
        }
    }

    integer_methods! {
        deserialize_i8 visit_i8 i8;
        deserialize_i16 visit_i16 i16;
        deserialize_i32 visit_i32 i32;
        deserialize_i64 visit_i64 i64;
        deserialize_u8 visit_u8 u8;
        deserialize_u16 visit_u16 u16;
        deserialize_u32 visit_u32 u32;
    }

    fn deserialize_u64<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        let value = self.integer(0, i128::from(i64::MAX));
        visitor.visit_u64(u64::try_from(value).unwrap_or_default())
    }

    fn deserialize_f32<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_f64(visitor)
    }

    fn deserialize_f64<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        match &self.node.kind {
            NodeKind::Float(f, _) => visitor.visit_f64(*f),
            // An integer is exact as a float up to 2^53, far beyond any field here.
            #[allow(clippy::cast_precision_loss)]
            NodeKind::Int(i) => visitor.visit_f64(*i as f64),
            NodeKind::Null => visitor.visit_f64(0.0),
            NodeKind::Str(s) => match s.trim().parse::<f64>() {
                // `parse` also reads `inf` and `NaN`: not numbers a manifest means.
                Ok(value) if value.is_finite() => {
                    self.quoted_number(s);
                    visitor.visit_f64(value)
                }
                _ => {
                    self.mismatch("a number", quoted_number_help(s));
                    visitor.visit_f64(0.0)
                }
            },
            _ => {
                self.mismatch("a number", None);
                visitor.visit_f64(0.0)
            }
        }
    }

    fn deserialize_char<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_str<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        match &self.node.kind {
            NodeKind::Str(s) => visitor.visit_borrowed_str(s),
            _ => match self.text() {
                Some(text) => visitor.visit_string(text),
                None => {
                    self.mismatch("a string", None);
                    visitor.visit_str("")
                }
            },
        }
    }

    fn deserialize_string<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_byte_buf<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_option<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        match &self.node.kind {
            NodeKind::Null => visitor.visit_none(),
            NodeKind::Str(s) if s.is_empty() => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_unit<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }

    fn deserialize_unit_struct<V: Visitor<'a>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }

    fn deserialize_newtype_struct<V: Visitor<'a>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.seq(visitor)
    }

    fn deserialize_tuple<V: Visitor<'a>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'a>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.seq(visitor)
    }

    fn deserialize_map<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_struct("", &[], visitor)
    }

    fn deserialize_struct<V: Visitor<'a>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        // An empty field list means a free-form map: every key is accepted.
        let fields = (!fields.is_empty()).then_some(Fields { name, fields });
        let entries: &'a [Entry] = match &self.node.kind {
            NodeKind::Map(entries) => entries,
            NodeKind::Null => &[],
            _ => {
                self.mismatch("a mapping", None);
                &[]
            }
        };
        visitor.visit_map(Entries::new(entries, fields, self.cx))
    }

    fn deserialize_enum<V: Visitor<'a>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        let fallback = variants.first().copied().unwrap_or("");
        let chosen = match &self.node.kind {
            NodeKind::Str(s) if variants.contains(&s.as_str()) => s.as_str(),
            NodeKind::Str(s) => {
                let listed = variants
                    .iter()
                    .map(|v| format!("`{v}`"))
                    .collect::<Vec<_>>()
                    .join(", ");
                if let Some(marker) = template::find_marker(s) {
                    self.cx.issue(
                        self.node.span,
                        format!("template marker `{marker}` where {name} must be one of {listed}"),
                        Some("ecsctl does not render templates: render the file before passing it, or write the value".into()),
                    );
                } else {
                    let help = did_you_mean(s, variants.iter().copied())
                        .map(|v| format!("did you mean `{v}`?"));
                    self.cx.issue(
                        self.node.span,
                        format!("unknown {name} `{s}`: expected one of {listed}"),
                        help,
                    );
                }
                fallback
            }
            _ => {
                self.mismatch(&format!("a {name} name"), None);
                fallback
            }
        };
        visitor.visit_enum(chosen.into_deserializer())
    }

    fn deserialize_identifier<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }
}

struct Items<'a, 'c, I> {
    items: I,
    cx: &'c Cx<'a, 'c>,
}

impl<'a, 'c, I> SeqAccess<'a> for Items<'a, 'c, I>
where
    I: Iterator<Item = (usize, &'a Node)>,
{
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'a>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        let Some((index, node)) = self.items.next() else {
            return Ok(None);
        };
        let cx = self.cx;
        cx.descend(Seg::Index(index), node.span, || {
            seed.deserialize(De { node, cx }).map(Some)
        })
    }
}

#[derive(Clone, Copy)]
struct Fields {
    name: &'static str,
    fields: &'static [&'static str],
}

struct Entries<'a, 'c> {
    /// Every entry of the mapping, and the ones not read yet.
    all: &'a [Entry],
    entries: std::slice::Iter<'a, Entry>,
    /// The entry whose key was handed out, and the field name it was read as.
    pending: Option<(&'a Entry, &'a str)>,
    fields: Option<Fields>,
    /// The fields read so far through a key in another case, with the key as written.
    folded: Vec<(&'static str, &'a str)>,
    cx: &'c Cx<'a, 'c>,
}

/// The field `key` means: itself when it is one, else the only field equal to it when case is
/// ignored.
fn field_for(key: &str, known: Fields) -> Option<&'static str> {
    if let Some(field) = known.fields.iter().find(|f| **f == key) {
        return Some(field);
    }
    let mut folded = known.fields.iter().filter(|f| f.eq_ignore_ascii_case(key));
    match (folded.next(), folded.next()) {
        (Some(field), None) => Some(field),
        _ => None,
    }
}

impl<'a, 'c> Entries<'a, 'c> {
    fn new(all: &'a [Entry], fields: Option<Fields>, cx: &'c Cx<'a, 'c>) -> Self {
        Entries {
            all,
            entries: all.iter(),
            pending: None,
            fields,
            folded: Vec::new(),
            cx,
        }
    }

    /// The field the key of `entry` is read as; `None` skips the entry (it was reported).
    fn read_key(&mut self, entry: &'a Entry) -> Option<&'a str> {
        let Some(known) = self.fields else {
            return Some(&entry.key);
        };
        let Some(field) = field_for(&entry.key, known) else {
            self.unknown(entry, known);
            return None;
        };
        if field == entry.key {
            return Some(field);
        }
        // The same field written twice in different cases (`tags` and `Tags`): the exact
        // spelling wins, else the first one. Identical keys are refused by the parsers.
        let twin = if self.all.iter().any(|e| e.key == field) {
            Some(field)
        } else {
            self.folded
                .iter()
                .find(|(f, _)| *f == field)
                .map(|(_, written)| *written)
        };
        let cx = self.cx;
        cx.path.borrow_mut().push(Seg::Key(field));
        match twin {
            Some(twin) => cx.issue(
                entry.key_span,
                format!(
                    "`{}` and `{twin}` are both the field `{field}` of {}",
                    entry.key, known.name
                ),
                Some(format!("keep one of them, written `{field}`")),
            ),
            None => cx.record(
                IssueKind::Warning,
                entry.key_span,
                format!("`{}` read as `{field}`", entry.key),
                Some(format!(
                    "field names are case-sensitive in {}: write `{field}`",
                    known.name
                )),
            ),
        }
        cx.path.borrow_mut().pop();
        if twin.is_some() {
            return None;
        }
        self.folded.push((field, &entry.key));
        Some(field)
    }

    fn unknown(&self, entry: &'a Entry, known: Fields) {
        let help = match did_you_mean(&entry.key, known.fields.iter().copied()) {
            Some(s) => Some(format!("did you mean `{s}`?")),
            None if known.fields.len() <= 12 => Some(format!(
                "expected one of {}",
                known
                    .fields
                    .iter()
                    .map(|f| format!("`{f}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            None => None,
        };
        self.cx.path.borrow_mut().push(Seg::Key(&entry.key));
        self.cx.issue(
            entry.key_span,
            format!("unknown field `{}` in {}", entry.key, known.name),
            help,
        );
        self.cx.path.borrow_mut().pop();
    }
}

impl<'a, 'c> MapAccess<'a> for Entries<'a, 'c> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'a>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        while let Some(entry) = self.entries.next() {
            let Some(field) = self.read_key(entry) else {
                continue;
            };
            self.pending = Some((entry, field));
            let key: BorrowedStrDeserializer<'a, DeError> = BorrowedStrDeserializer::new(field);
            return seed.deserialize(key).map(Some);
        }
        Ok(None)
    }

    fn next_value_seed<V: DeserializeSeed<'a>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let (entry, field) = self
            .pending
            .take()
            .ok_or_else(|| <DeError as de::Error>::custom("value requested before its key"))?;
        let cx = self.cx;
        cx.descend(Seg::Key(field), entry.value.span, || {
            seed.deserialize(De {
                node: &entry.value,
                cx,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Deserialize;

    use super::*;
    use crate::model::yaml;

    #[derive(Debug, Default, Deserialize, PartialEq)]
    #[serde(rename_all = "camelCase")]
    struct Port {
        container_port: Option<u16>,
        host_port: Option<u16>,
        protocol: Option<Proto>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "lowercase")]
    enum Proto {
        Tcp,
        Udp,
    }

    #[derive(Debug, Default, Deserialize, PartialEq)]
    #[serde(rename_all = "camelCase")]
    struct Container {
        #[serde(default)]
        name: String,
        essential: Option<bool>,
        #[serde(default)]
        port_mappings: Vec<Port>,
        #[serde(default)]
        command: Vec<String>,
        #[serde(default)]
        labels: BTreeMap<String, String>,
        memory: Option<i32>,
    }

    fn decode_yaml(text: &str) -> (Option<Container>, Vec<Issue>) {
        let parsed = yaml::parse(text);
        assert!(parsed.errors.is_empty());
        decode(&parsed.documents[0], &DocPath::root().key("spec"))
    }

    #[test]
    fn decodes_a_clean_document() {
        let (value, issues) = decode_yaml(
            "name: web\nessential: true\nportMappings:\n  - containerPort: 80\n    protocol: tcp\nlabels: {a: 1}\n",
        );
        assert!(issues.is_empty(), "{issues:?}");
        let value = value.expect("decoded");
        assert_eq!(value.port_mappings[0].container_port, Some(80));
        assert_eq!(value.labels.get("a").map(String::as_str), Some("1"));
    }

    #[test]
    fn reports_every_problem_with_its_path() {
        let (_, issues) = decode_yaml(
            "name: web\nesential: true\nportMappings:\n  - containerPort: 70000\n  - hostPort: \"80\"\n    protocol: tpc\nmemory: lots\ncommand: run\n",
        );
        let got: Vec<(String, u32, &str)> = issues
            .iter()
            .map(|i| (i.path.to_string(), i.span.line, i.message.as_str()))
            .collect();
        assert_eq!(got.len(), 6, "{got:#?}");
        assert_eq!(got[0].0, "spec.esential");
        assert!(got[0].2.starts_with("unknown field `esential`"));
        assert_eq!(issues[0].help.as_deref(), Some("did you mean `essential`?"));
        assert_eq!(got[1].0, "spec.portMappings[0].containerPort");
        assert!(got[1].2.contains("between 0 and 65535"));
        assert_eq!(got[2].0, "spec.portMappings[1].hostPort");
        assert_eq!(
            issues[2].help.as_deref(),
            Some("write the number without quotes: 80")
        );
        assert_eq!(got[3].0, "spec.portMappings[1].protocol");
        assert_eq!(issues[3].help.as_deref(), Some("did you mean `tcp`?"));
        assert_eq!((got[4].0.as_str(), got[4].1), ("spec.memory", 7));
        assert_eq!(got[5].0, "spec.command");
        assert_eq!(issues[5].help.as_deref(), Some("write it as a list: [run]"));
    }

    #[test]
    fn nulls_and_empty_strings_are_absent() {
        let (value, issues) =
            decode_yaml("name: web\nessential: null\nportMappings: null\nmemory: ''\n");
        assert!(issues.is_empty(), "{issues:?}");
        let value = value.expect("decoded");
        assert_eq!(value.essential, None);
        assert_eq!(value.memory, None);
        assert!(value.port_mappings.is_empty());
    }

    #[test]
    fn template_marker_in_an_enum_is_named_as_such() {
        let (_, issues) = decode_yaml("portMappings: [{protocol: '{{proto}}'}]\n");
        assert_eq!(issues.len(), 1);
        assert!(issues[0].message.starts_with("template marker `{{proto}}`"));
    }

    // Numbers written as strings (`"memory": "128"`), as the Go and Python ECS tools send them.

    #[derive(Debug, Default, Deserialize, PartialEq)]
    #[serde(rename_all = "camelCase", default)]
    struct Numbers {
        small: Option<u8>,
        port: Option<u16>,
        count: Option<u32>,
        memory: Option<i32>,
        big: Option<i64>,
        unsigned: Option<u64>,
        codes: Vec<i32>,
        ratio: Option<f64>,
        text: Option<String>,
        ports: Vec<Port>,
    }

    fn decode_numbers(text: &str) -> (Numbers, Vec<Issue>) {
        let parsed = yaml::parse(text);
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        let (value, issues) = decode(&parsed.documents[0], &DocPath::root().key("spec"));
        (value.expect("decoded"), issues)
    }

    /// `(kind, path, line)` of every issue.
    fn kinds(issues: &[Issue]) -> Vec<(IssueKind, String, u32)> {
        issues
            .iter()
            .map(|i| (i.kind, i.path.to_string(), i.span.line))
            .collect()
    }

    fn only_error(issues: &[Issue]) -> &Issue {
        let errors: Vec<&Issue> = issues.iter().filter(|i| i.is_error()).collect();
        assert_eq!(errors.len(), 1, "{issues:#?}");
        errors[0]
    }

    #[test]
    fn string_integers_are_read_in_every_integer_position() {
        let (value, issues) = decode_numbers(
            "small: '7'\nport: \"80\"\ncount: '3'\nmemory: '128'\nbig: '-9000000000'\nunsigned: '9223372036854775807'\ncodes: ['1', 2, '3']\nports: [{containerPort: '8080', hostPort: '0'}]\n",
        );
        assert_eq!(
            value,
            Numbers {
                small: Some(7),
                port: Some(80),
                count: Some(3),
                memory: Some(128),
                big: Some(-9_000_000_000),
                unsigned: Some(i64::MAX as u64),
                codes: vec![1, 2, 3],
                ports: vec![Port {
                    container_port: Some(8080),
                    host_port: Some(0),
                    protocol: None,
                }],
                ..Numbers::default()
            }
        );
        let q = IssueKind::QuotedNumber;
        assert_eq!(
            kinds(&issues),
            vec![
                (q, "spec.small".into(), 1),
                (q, "spec.port".into(), 2),
                (q, "spec.count".into(), 3),
                (q, "spec.memory".into(), 4),
                (q, "spec.big".into(), 5),
                (q, "spec.unsigned".into(), 6),
                (q, "spec.codes[0]".into(), 7),
                (q, "spec.codes[2]".into(), 7),
                (q, "spec.ports[0].containerPort".into(), 8),
                (q, "spec.ports[0].hostPort".into(), 8),
            ]
        );
        assert_eq!(issues[3].message, "the number `128` is written as a string");
        assert_eq!(
            issues[3].help.as_deref(),
            Some("write the number without quotes: 128")
        );
        // The span is the string itself, quotes included.
        assert_eq!((issues[3].span.col, issues[3].span.len), (9, 5));
    }

    #[test]
    fn string_integers_may_be_signed_and_padded_with_whitespace() {
        let (value, issues) = decode_numbers(
            "memory: ' 128 '\nbig: \"\\t-5\\n\"\ncount: '+3'\nport: '0080'\nsmall: '-0'\n",
        );
        assert_eq!(value.memory, Some(128));
        assert_eq!(value.big, Some(-5));
        assert_eq!(value.count, Some(3));
        assert_eq!(value.port, Some(80));
        assert_eq!(value.small, Some(0));
        assert!(
            issues.iter().all(|i| i.kind == IssueKind::QuotedNumber),
            "{issues:#?}"
        );
        assert_eq!(issues.len(), 5);
        assert_eq!(issues[0].message, "the number `128` is written as a string");
    }

    #[test]
    fn negative_string_integers_in_unsigned_fields_are_out_of_range() {
        for field in ["small", "port", "count", "unsigned"] {
            let (_, issues) = decode_numbers(&format!("{field}: '-1'\n"));
            let error = only_error(&issues);
            assert_eq!(error.path.to_string(), format!("spec.{field}"));
            assert!(
                error
                    .message
                    .starts_with("number out of range: it must be between 0 and"),
                "{field}: {}",
                error.message
            );
            assert!(!issues.iter().any(|i| i.kind == IssueKind::QuotedNumber));
        }
        let (value, issues) = decode_numbers("memory: '-1'\n");
        assert_eq!(value.memory, Some(-1));
        assert_eq!(
            kinds(&issues),
            vec![(IssueKind::QuotedNumber, "spec.memory".into(), 1)]
        );
    }

    #[test]
    fn string_integers_too_large_for_their_field_are_out_of_range() {
        let cases = [
            ("small", "'256'", "between 0 and 255"),
            ("port", "'70000'", "between 0 and 65535"),
            (
                "memory",
                "'2147483648'",
                "between -2147483648 and 2147483647",
            ),
            (
                "memory",
                "'-2147483649'",
                "between -2147483648 and 2147483647",
            ),
            (
                "unsigned",
                "'9223372036854775808'",
                "between 0 and 9223372036854775807",
            ),
            (
                "big",
                "'99999999999999999999999999999999999999999999999999'",
                "between -9223372036854775808 and 9223372036854775807",
            ),
            (
                "big",
                "'-99999999999999999999999999999999999999999999999999'",
                "between -9223372036854775808 and 9223372036854775807",
            ),
        ];
        for (field, text, range) in cases {
            let (_, issues) = decode_numbers(&format!("{field}: {text}\n"));
            let error = only_error(&issues);
            assert_eq!(error.path.to_string(), format!("spec.{field}"), "{text}");
            assert_eq!(
                error.message,
                format!("number out of range: it must be {range}"),
                "{text}"
            );
            assert_eq!(issues.len(), 1, "{text}: {issues:#?}");
        }
    }

    #[test]
    fn strings_that_are_not_integers_stay_errors_where_an_integer_is_expected() {
        let cases: [(&str, Option<&str>); 9] = [
            ("lots", None),
            ("12.5", Some("write a whole number")),
            ("1e3", Some("write a whole number")),
            ("1 28", None),
            ("0x10", None),
            ("1_000", None),
            ("  ", None),
            ("128MiB", None),
            (
                "{{memory}}",
                Some("ecsctl does not render templates: render the file before passing it"),
            ),
        ];
        for (text, help) in cases {
            let (value, issues) = decode_numbers(&format!("memory: '{text}'\n"));
            assert_eq!(value.memory, Some(0), "{text}: a neutral value");
            let error = only_error(&issues);
            assert_eq!(error.path.to_string(), "spec.memory", "{text}");
            assert!(
                error.message.starts_with("expected an integer, found "),
                "{text}: {}",
                error.message
            );
            assert_eq!(error.help.as_deref(), help, "{text}");
            assert_eq!(issues.len(), 1, "{text}: {issues:#?}");
        }
    }

    #[test]
    fn an_empty_string_integer_is_absent_as_before() {
        let (value, issues) = decode_numbers("memory: ''\nport: \"\"\n");
        assert_eq!((value.memory, value.port), (None, None));
        assert!(issues.is_empty(), "{issues:#?}");
    }

    #[test]
    fn string_numbers_are_read_where_a_number_is_expected() {
        let (value, issues) = decode_numbers("ratio: ' 0.5'\n");
        assert_eq!(value.ratio, Some(0.5));
        assert_eq!(
            kinds(&issues),
            vec![(IssueKind::QuotedNumber, "spec.ratio".into(), 1)]
        );
        for text in ["half", "inf", "NaN"] {
            let (_, issues) = decode_numbers(&format!("ratio: '{text}'\n"));
            let error = only_error(&issues);
            assert!(error.message.starts_with("expected a number"), "{text}");
        }
    }

    #[test]
    fn a_number_where_a_string_is_expected_is_still_its_text() {
        let (value, issues) = decode_numbers("text: 8080\n");
        assert_eq!(value.text.as_deref(), Some("8080"));
        assert!(issues.is_empty(), "{issues:#?}");
        let (value, issues) = decode_numbers("text: '8080'\n");
        assert_eq!(value.text.as_deref(), Some("8080"));
        assert!(
            issues.is_empty(),
            "a string where a string is expected: {issues:#?}"
        );
    }

    // Keys that match a field only when case is ignored (`Tags` for `tags`), as Go's
    // `encoding/json` reads them.

    #[derive(Debug, Default, Deserialize, PartialEq)]
    #[serde(rename_all = "camelCase", default)]
    struct Service {
        desired_count: Option<u32>,
        #[serde(rename = "enableECSManagedTags")]
        enable_ecs_managed_tags: Option<bool>,
        r#type: Option<String>,
        tags: Vec<Tag>,
        containers: Vec<Container>,
        labels: BTreeMap<String, String>,
    }

    #[derive(Debug, Default, Deserialize, PartialEq)]
    #[serde(rename_all = "camelCase", default)]
    struct Tag {
        key: Option<String>,
        value: Option<String>,
    }

    fn decode_service(text: &str) -> (Service, Vec<Issue>) {
        let parsed = yaml::parse(text);
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        let (value, issues) = decode(&parsed.documents[0], &DocPath::root().key("spec"));
        (value.expect("decoded"), issues)
    }

    /// `(kind, path, line, column, message)` of every issue.
    fn located(issues: &[Issue]) -> Vec<(IssueKind, String, u32, u32, String)> {
        issues
            .iter()
            .map(|i| {
                (
                    i.kind,
                    i.path.to_string(),
                    i.span.line,
                    i.span.col,
                    i.message.clone(),
                )
            })
            .collect()
    }

    #[test]
    fn keys_in_another_case_are_read_as_the_field_with_a_warning_at_the_key() {
        let (value, issues) =
            decode_service("DesiredCount: 2\nTags: [{Key: team, VALUE: web}]\nType: x\n");
        assert_eq!(value.desired_count, Some(2));
        assert_eq!(value.r#type.as_deref(), Some("x"));
        assert_eq!(
            value.tags,
            vec![Tag {
                key: Some("team".into()),
                value: Some("web".into())
            }]
        );
        let w = IssueKind::Warning;
        assert_eq!(
            located(&issues),
            vec![
                (
                    w,
                    "spec.desiredCount".into(),
                    1,
                    1,
                    "`DesiredCount` read as `desiredCount`".into()
                ),
                (w, "spec.tags".into(), 2, 1, "`Tags` read as `tags`".into()),
                (
                    w,
                    "spec.tags[0].key".into(),
                    2,
                    9,
                    "`Key` read as `key`".into()
                ),
                (
                    w,
                    "spec.tags[0].value".into(),
                    2,
                    20,
                    "`VALUE` read as `value`".into()
                ),
                (w, "spec.type".into(), 3, 1, "`Type` read as `type`".into()),
            ]
        );
        assert_eq!(
            issues[1].help.as_deref(),
            Some("field names are case-sensitive in Service: write `tags`")
        );
        assert_eq!(issues[1].span.len, 4, "the caret covers the key");
    }

    #[test]
    fn keys_in_another_case_are_read_in_nested_structs_and_lists() {
        let (value, issues) = decode_service(
            "containers:\n  - Name: web\n    PortMappings:\n      - ContainerPort: 80\n        HostPort: '8080'\n        Protocol: udp\n",
        );
        let container = &value.containers[0];
        assert_eq!(container.name, "web");
        assert_eq!(
            container.port_mappings,
            vec![Port {
                container_port: Some(80),
                host_port: Some(8080),
                protocol: Some(Proto::Udp),
            }]
        );
        let w = IssueKind::Warning;
        assert_eq!(
            kinds(&issues),
            vec![
                (w, "spec.containers[0].name".into(), 2),
                (w, "spec.containers[0].portMappings".into(), 3),
                (
                    w,
                    "spec.containers[0].portMappings[0].containerPort".into(),
                    4
                ),
                (w, "spec.containers[0].portMappings[0].hostPort".into(), 5),
                (
                    IssueKind::QuotedNumber,
                    "spec.containers[0].portMappings[0].hostPort".into(),
                    5
                ),
                (w, "spec.containers[0].portMappings[0].protocol".into(), 6),
            ]
        );
        assert_eq!(issues[0].message, "`Name` read as `name`");
        assert_eq!(
            issues[0].help.as_deref(),
            Some("field names are case-sensitive in Container: write `name`")
        );
    }

    #[test]
    fn keys_in_another_case_find_fields_renamed_with_serde_attributes() {
        for key in [
            "enableEcsManagedTags",
            "EnableECSManagedTags",
            "enableecsmanagedtags",
        ] {
            let (value, issues) = decode_service(&format!("{key}: true\n"));
            assert_eq!(value.enable_ecs_managed_tags, Some(true), "{key}");
            assert_eq!(
                located(&issues),
                vec![(
                    IssueKind::Warning,
                    "spec.enableECSManagedTags".into(),
                    1,
                    1,
                    format!("`{key}` read as `enableECSManagedTags`")
                )]
            );
        }
        // The renamed spelling is the field; the Rust name is not.
        let (_, issues) = decode_service("enableEcsManagedTags_: true\n");
        assert!(
            issues[0].message.starts_with("unknown field"),
            "{issues:#?}"
        );
    }

    #[test]
    fn keys_wrong_in_case_and_spelling_stay_unknown_with_a_suggestion() {
        let (value, issues) =
            decode_service("DesiredCont: 2\ncontainers: [{Esential: true, PortMapings: []}]\n");
        assert_eq!(value.desired_count, None);
        assert_eq!(
            located(&issues),
            vec![
                (
                    IssueKind::Error,
                    "spec.DesiredCont".into(),
                    1,
                    1,
                    "unknown field `DesiredCont` in Service".into()
                ),
                (
                    IssueKind::Error,
                    "spec.containers[0].Esential".into(),
                    2,
                    15,
                    "unknown field `Esential` in Container".into()
                ),
                (
                    IssueKind::Error,
                    "spec.containers[0].PortMapings".into(),
                    2,
                    31,
                    "unknown field `PortMapings` in Container".into()
                ),
            ]
        );
        let helps: Vec<Option<&str>> = issues.iter().map(|i| i.help.as_deref()).collect();
        assert_eq!(
            helps,
            vec![
                Some("did you mean `desiredCount`?"),
                Some("did you mean `essential`?"),
                Some("did you mean `portMappings`?"),
            ]
        );
    }

    #[test]
    fn a_field_written_twice_in_different_cases_is_an_error_on_the_second_spelling() {
        // The exact spelling wins wherever it stands.
        for text in [
            "desiredCount: 1\nDesiredCount: 2\n",
            "DesiredCount: 2\ndesiredCount: 1\n",
        ] {
            let (value, issues) = decode_service(text);
            assert_eq!(value.desired_count, Some(1), "{text}");
            let error = only_error(&issues);
            assert_eq!(
                error.message,
                "`DesiredCount` and `desiredCount` are both the field `desiredCount` of Service"
            );
            assert_eq!(error.path.to_string(), "spec.desiredCount");
            assert_eq!(
                error.help.as_deref(),
                Some("keep one of them, written `desiredCount`")
            );
            assert_eq!(
                issues.len(),
                1,
                "{text}: no warning for a key that was dropped"
            );
        }
        // Neither exact: the first is read (with its warning), the second is the error.
        let (value, issues) = decode_service("DesiredCount: 2\nDESIREDCOUNT: 3\n");
        assert_eq!(value.desired_count, Some(2));
        assert_eq!(
            located(&issues),
            vec![
                (
                    IssueKind::Warning,
                    "spec.desiredCount".into(),
                    1,
                    1,
                    "`DesiredCount` read as `desiredCount`".into()
                ),
                (
                    IssueKind::Error,
                    "spec.desiredCount".into(),
                    2,
                    1,
                    "`DESIREDCOUNT` and `DesiredCount` are both the field `desiredCount` of Service"
                        .into()
                ),
            ]
        );
    }

    #[test]
    fn keys_of_free_form_maps_keep_their_case() {
        let (value, issues) = decode_service("labels: {Tags: a, tags: b}\n");
        assert_eq!(value.labels.get("Tags").map(String::as_str), Some("a"));
        assert_eq!(value.labels.get("tags").map(String::as_str), Some("b"));
        assert!(issues.is_empty(), "{issues:#?}");
    }

    #[test]
    fn enum_values_stay_case_sensitive() {
        let (_, issues) = decode_yaml("portMappings: [{protocol: TCP}]\n");
        let error = only_error(&issues);
        assert_eq!(error.help.as_deref(), Some("did you mean `tcp`?"));
    }

    #[test]
    fn a_key_equal_to_two_fields_when_case_is_ignored_is_unknown() {
        #[derive(Debug, Default, Deserialize)]
        #[serde(default)]
        #[allow(dead_code)]
        struct Twins {
            ab: Option<i32>,
            #[serde(rename = "AB")]
            upper: Option<i32>,
        }
        let parsed = yaml::parse("Ab: 1\nab: 2\nAB: 3\n");
        let (value, issues) = decode::<Twins>(&parsed.documents[0], &DocPath::root());
        let value = value.expect("decoded");
        assert_eq!((value.ab, value.upper), (Some(2), Some(3)));
        assert_eq!(
            located(&issues),
            vec![(
                IssueKind::Error,
                "Ab".into(),
                1,
                1,
                "unknown field `Ab` in Twins".into()
            )]
        );
    }
}
