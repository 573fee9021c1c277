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
//! - unknown fields are errors with a did-you-mean; template markers in enum positions are
//!   errors that say what they are.

use std::cell::RefCell;
use std::fmt;

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
    pub path: DocPath,
    pub span: Span,
    pub message: String,
    pub help: Option<String>,
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
        let path = self.current_path();
        self.issues.borrow_mut().push(Issue {
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
    } else if text.trim().parse::<f64>().is_ok() {
        Some(format!("write the number without quotes: {}", text.trim()))
    } else {
        None
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

    fn integer(&self, min: i128, max: i128) -> i64 {
        match &self.node.kind {
            NodeKind::Int(i) if (min..=max).contains(&i128::from(*i)) => *i,
            NodeKind::Int(_) => {
                self.cx.issue(
                    self.node.span,
                    format!("number out of range: it must be between {min} and {max}"),
                    None,
                );
                0
            }
            NodeKind::Null => 0,
            NodeKind::Str(s) => {
                self.mismatch("an integer", quoted_number_help(s));
                0
            }
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
            NodeKind::Map(entries) => visitor.visit_map(Entries {
                entries: entries.iter(),
                pending: None,
                fields: None,
                cx: self.cx,
            }),
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
            NodeKind::Str(s) => {
                self.mismatch("a number", quoted_number_help(s));
                visitor.visit_f64(0.0)
            }
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
        visitor.visit_map(Entries {
            entries: entries.iter(),
            pending: None,
            fields,
            cx: self.cx,
        })
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
    entries: std::slice::Iter<'a, Entry>,
    pending: Option<&'a Entry>,
    fields: Option<Fields>,
    cx: &'c Cx<'a, 'c>,
}

impl<'a, 'c> Entries<'a, 'c> {
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
            if let Some(known) = self.fields
                && !known.fields.contains(&entry.key.as_str())
            {
                self.unknown(entry, known);
                continue;
            }
            self.pending = Some(entry);
            let key: BorrowedStrDeserializer<'a, DeError> =
                BorrowedStrDeserializer::new(&entry.key);
            return seed.deserialize(key).map(Some);
        }
        Ok(None)
    }

    fn next_value_seed<V: DeserializeSeed<'a>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let entry = self
            .pending
            .take()
            .ok_or_else(|| <DeError as de::Error>::custom("value requested before its key"))?;
        let cx = self.cx;
        cx.descend(Seg::Key(&entry.key), entry.value.span, || {
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
}
