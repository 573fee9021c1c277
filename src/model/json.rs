//! JSON text → one [`Node`] document, with positions.
//!
//! ECS users keep task definitions as JSON (`register-task-definition --cli-input-json`), often
//! indented with tabs, which YAML forbids; so JSON gets its own small parser rather than going
//! through the YAML one. Strict RFC 8259, no comments, duplicate keys refused, depth bounded.

use super::node::{Entry, Node, NodeKind};
use super::yaml::{MAX_DEPTH, Parsed, SyntaxError};
use crate::diagnostics::Span;

pub fn parse(text: &str) -> Parsed {
    let mut reader = Reader {
        bytes: text.as_bytes(),
        text,
        pos: 0,
        line: 1,
        line_start: 0,
        depth: 0,
    };
    let mut parsed = Parsed::default();
    reader.skip_ws();
    if reader.pos >= reader.bytes.len() {
        return parsed;
    }
    match reader.value() {
        Ok(node) => {
            reader.skip_ws();
            if reader.pos < reader.bytes.len() {
                parsed
                    .errors
                    .push(reader.error("unexpected text after the end of the JSON document"));
            } else {
                parsed.documents.push(node);
            }
        }
        Err(e) => parsed.errors.push(e),
    }
    parsed
}

struct Reader<'a> {
    bytes: &'a [u8],
    text: &'a str,
    pos: usize,
    line: u32,
    line_start: usize,
    depth: usize,
}

impl Reader<'_> {
    fn span(&self, len: usize) -> Span {
        let col = self.text[self.line_start..self.pos.min(self.text.len())]
            .chars()
            .count();
        Span::new(
            self.line,
            u32::try_from(col + 1).unwrap_or(u32::MAX),
            u32::try_from(len).unwrap_or(1),
        )
    }

    fn error(&self, message: &str) -> SyntaxError {
        let found = match self.bytes.get(self.pos) {
            None => "the end of the file".to_string(),
            Some(_) => {
                let c = self.text[self.pos..].chars().next().unwrap_or(' ');
                format!("`{c}`")
            }
        };
        SyntaxError {
            span: self.span(1),
            message: format!("invalid JSON: {message}, found {found}"),
            help: None,
        }
    }

    fn skip_ws(&mut self) {
        while let Some(&b) = self.bytes.get(self.pos) {
            match b {
                b'\n' => {
                    self.pos += 1;
                    self.line += 1;
                    self.line_start = self.pos;
                }
                b' ' | b'\t' | b'\r' => self.pos += 1,
                _ => break,
            }
        }
    }

    fn eat(&mut self, byte: u8) -> bool {
        if self.bytes.get(self.pos) == Some(&byte) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn value(&mut self) -> Result<Node, SyntaxError> {
        match self.bytes.get(self.pos) {
            Some(b'{') => self.object(),
            Some(b'[') => self.array(),
            Some(b'"') => {
                let span_start = self.span(1);
                let start = self.pos;
                let s = self.string()?;
                let width = self.text[start..self.pos].chars().count();
                Ok(Node {
                    span: Span::new(
                        span_start.line,
                        span_start.col,
                        u32::try_from(width).unwrap_or(1),
                    ),
                    kind: NodeKind::Str(s),
                })
            }
            Some(b't') => self.literal("true", NodeKind::Bool(true)),
            Some(b'f') => self.literal("false", NodeKind::Bool(false)),
            Some(b'n') => self.literal("null", NodeKind::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(self.error("expected a value")),
        }
    }

    fn literal(&mut self, word: &str, kind: NodeKind) -> Result<Node, SyntaxError> {
        if self.bytes[self.pos..].starts_with(word.as_bytes()) {
            let span = self.span(word.len());
            self.pos += word.len();
            Ok(Node { span, kind })
        } else {
            Err(self.error("expected a value"))
        }
    }

    fn number(&mut self) -> Result<Node, SyntaxError> {
        let start = self.pos;
        let span = self.span(1);
        self.eat(b'-');
        let digits = |r: &mut Self| {
            let from = r.pos;
            while r.bytes.get(r.pos).is_some_and(u8::is_ascii_digit) {
                r.pos += 1;
            }
            r.pos - from
        };
        if digits(self) == 0 {
            return Err(self.error("expected digits"));
        }
        let mut integral = true;
        if self.eat(b'.') {
            integral = false;
            if digits(self) == 0 {
                return Err(self.error("expected digits after `.`"));
            }
        }
        if self.eat(b'e') || self.eat(b'E') {
            integral = false;
            if !self.eat(b'+') {
                self.eat(b'-');
            }
            if digits(self) == 0 {
                return Err(self.error("expected digits in the exponent"));
            }
        }
        let text = &self.text[start..self.pos];
        let span = Span::new(span.line, span.col, u32::try_from(text.len()).unwrap_or(1));
        let kind = match (integral, text.parse::<i64>()) {
            (true, Ok(i)) => NodeKind::Int(i),
            _ => NodeKind::Float(text.parse().unwrap_or(f64::NAN), text.to_string()),
        };
        Ok(Node { span, kind })
    }

    fn string(&mut self) -> Result<String, SyntaxError> {
        self.pos += 1; // the opening quote
        let mut out = String::new();
        loop {
            let start = self.pos;
            while let Some(&b) = self.bytes.get(self.pos) {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            out.push_str(&self.text[start..self.pos]);
            match self.bytes.get(self.pos) {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let escaped = match self.bytes.get(self.pos) {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => {
                            self.pos += 1;
                            let c = self.unicode_escape()?;
                            out.push(c);
                            continue;
                        }
                        _ => return Err(self.error("invalid escape in string")),
                    };
                    self.pos += 1;
                    out.push(escaped);
                }
                Some(_) => return Err(self.error("control character in string (escape it)")),
                None => return Err(self.error("unterminated string")),
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, SyntaxError> {
        let digits = self
            .text
            .get(self.pos..self.pos + 4)
            .ok_or_else(|| self.error("expected four hex digits after `\\u`"))?;
        let value = u32::from_str_radix(digits, 16)
            .map_err(|_| self.error("expected four hex digits after `\\u`"))?;
        self.pos += 4;
        Ok(value)
    }

    fn unicode_escape(&mut self) -> Result<char, SyntaxError> {
        let first = self.hex4()?;
        if (0xD800..0xDC00).contains(&first) {
            if self.bytes[self.pos..].starts_with(b"\\u") {
                self.pos += 2;
                let second = self.hex4()?;
                if (0xDC00..0xE000).contains(&second) {
                    let code = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
                    return char::from_u32(code).ok_or_else(|| self.error("invalid \\u escape"));
                }
            }
            return Err(self.error("unpaired surrogate in \\u escape"));
        }
        char::from_u32(first).ok_or_else(|| self.error("invalid \\u escape"))
    }

    fn enter(&mut self) -> Result<(), SyntaxError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            let mut e = self.error("too deeply nested");
            e.message = format!("the document is nested deeper than {MAX_DEPTH} levels");
            return Err(e);
        }
        Ok(())
    }

    fn array(&mut self) -> Result<Node, SyntaxError> {
        let span = self.span(1);
        self.enter()?;
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_ws();
        if !self.eat(b']') {
            loop {
                self.skip_ws();
                items.push(self.value()?);
                self.skip_ws();
                if self.eat(b']') {
                    break;
                }
                if !self.eat(b',') {
                    return Err(self.error("expected `,` or `]`"));
                }
                self.skip_ws();
                if self.bytes.get(self.pos) == Some(&b']') {
                    return Err(self.error("trailing comma before `]`"));
                }
            }
        }
        self.depth -= 1;
        Ok(Node {
            span,
            kind: NodeKind::Seq(items),
        })
    }

    fn object(&mut self) -> Result<Node, SyntaxError> {
        let span = self.span(1);
        self.enter()?;
        self.pos += 1;
        let mut entries: Vec<Entry> = Vec::new();
        self.skip_ws();
        if !self.eat(b'}') {
            loop {
                self.skip_ws();
                if self.bytes.get(self.pos) != Some(&b'"') {
                    return Err(self.error("expected a quoted key"));
                }
                let key_start = self.span(1);
                let start = self.pos;
                let key = self.string()?;
                let width = self.text[start..self.pos].chars().count();
                let key_span = Span::new(
                    key_start.line,
                    key_start.col,
                    u32::try_from(width).unwrap_or(1),
                );
                self.skip_ws();
                if !self.eat(b':') {
                    return Err(self.error("expected `:` after the key"));
                }
                self.skip_ws();
                let value = self.value()?;
                if let Some(first) = entries.iter().find(|e| e.key == key) {
                    return Err(SyntaxError {
                        span: key_span,
                        message: format!("duplicate key `{key}`"),
                        help: Some(format!(
                            "`{key}` is already set on line {}",
                            first.key_span.line
                        )),
                    });
                }
                entries.push(Entry {
                    key,
                    key_span,
                    value,
                });
                self.skip_ws();
                if self.eat(b'}') {
                    break;
                }
                if !self.eat(b',') {
                    return Err(self.error("expected `,` or `}`"));
                }
                self.skip_ws();
                if self.bytes.get(self.pos) == Some(&b'}') {
                    return Err(self.error("trailing comma before `}`"));
                }
            }
        }
        self.depth -= 1;
        Ok(Node {
            span,
            kind: NodeKind::Map(entries),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_with_positions_and_tabs() {
        let parsed =
            parse("{\n\t\"family\": \"web\",\n\t\"cpu\": 256, \"x\": [1.5, null, true]\n}");
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        let doc = &parsed.documents[0];
        let family = doc.entry("family").expect("family");
        assert_eq!((family.key_span.line, family.key_span.col), (2, 2));
        assert_eq!(family.value.as_str(), Some("web"));
        assert_eq!(doc.get("cpu").map(|n| &n.kind), Some(&NodeKind::Int(256)));
    }

    #[test]
    fn reports_where_the_syntax_breaks() {
        let parsed = parse("{\n  \"a\": 1,\n  \"b\" 2\n}");
        assert_eq!(parsed.errors.len(), 1);
        assert_eq!(parsed.errors[0].span.line, 3);
        assert!(parsed.errors[0].message.contains("expected `:`"));
    }

    #[test]
    fn trailing_commas_and_duplicates_are_refused() {
        assert!(!parse("[1,]").errors.is_empty());
        assert!(!parse("{\"a\":1,\"a\":2}").errors.is_empty());
    }

    #[test]
    fn escapes_decode() {
        let parsed = parse(r#""a\n\u00e9\ud83d\ude00""#);
        assert_eq!(parsed.documents[0].as_str(), Some("a\né😀"));
    }

    #[test]
    fn depth_is_bounded() {
        let parsed = parse(&"[".repeat(100_000));
        assert_eq!(parsed.errors.len(), 1);
    }
}
