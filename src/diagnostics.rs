//! Diagnostics: what went wrong in the user's input, where, and how to fix it.
//!
//! Every check of a run pushes into one [`Diagnostics`] collection; nothing is printed until the
//! run is over, then everything is sorted by file, line and column and printed once (the way
//! rustc and Terraform report). This module owns the data and its rendering; it never decides
//! what is an error.

use std::fmt::Write as _;
use std::sync::{Arc, OnceLock};

use serde::Serialize;

/// A position in a source file: 1-based line and column (in characters), and how many
/// characters the caret under it should cover.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    pub line: u32,
    pub col: u32,
    pub len: u32,
}

impl Span {
    pub fn new(line: u32, col: u32, len: u32) -> Self {
        Span {
            line,
            col,
            len: len.max(1),
        }
    }
}

/// One input file (or stdin), kept so diagnostics can quote the offending line.
#[derive(Debug)]
pub struct SourceFile {
    /// The name shown to the user: the path as given, or `<stdin>`.
    pub name: String,
    pub text: String,
    /// Where each line starts, found on the first quote: a run that reports thousands of
    /// findings in one file would otherwise scan the file from its top for each.
    line_starts: OnceLock<Vec<usize>>,
}

impl SourceFile {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Arc<Self> {
        Arc::new(SourceFile {
            name: name.into(),
            text: text.into(),
            line_starts: OnceLock::new(),
        })
    }

    /// The 1-based line, as `str::lines` gives it (no `\n`, no trailing `\r`).
    fn line(&self, line: u32) -> Option<&str> {
        let index = usize::try_from(line).ok()?.checked_sub(1)?;
        let starts = self.line_starts.get_or_init(|| {
            std::iter::once(0)
                .chain(self.text.match_indices('\n').map(|(i, _)| i + 1))
                .collect()
        });
        let start = *starts.get(index)?;
        // A text ending in a newline has no empty line after it (as with `lines`).
        if start >= self.text.len() {
            return None;
        }
        let end = starts
            .get(index + 1)
            .map_or(self.text.len(), |next| next - 1);
        let text = &self.text[start..end];
        Some(text.strip_suffix('\r').unwrap_or(text))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// Where a diagnostic points: a file, a span in it, and the path inside the document
/// (`spec.containerDefinitions[0].portMappings[1].hostPort`).
#[derive(Clone, Debug)]
pub struct Location {
    pub file: Arc<SourceFile>,
    pub span: Span,
    pub path: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Diagnostic {
    pub severity: Severity,
    pub message: String,
    pub location: Option<Location>,
    pub help: Option<String>,
    pub notes: Vec<String>,
}

impl Diagnostic {
    pub fn error(message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            message: message.into(),
            location: None,
            help: None,
            notes: Vec::new(),
        }
    }

    pub fn warning(message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(message)
        }
    }

    pub fn at(mut self, location: Location) -> Self {
        self.location = Some(location);
        self
    }

    pub fn at_opt(mut self, location: Option<Location>) -> Self {
        self.location = location;
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn with_help_opt(mut self, help: Option<String>) -> Self {
        self.help = help;
        self
    }

    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    fn sort_key(&self) -> (Severity, String, Span, String) {
        match &self.location {
            Some(loc) => (
                self.severity,
                loc.file.name.clone(),
                loc.span,
                self.message.clone(),
            ),
            None => (
                self.severity,
                String::new(),
                Span::default(),
                self.message.clone(),
            ),
        }
    }
}

/// All diagnostics of one run.
#[derive(Debug, Default)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn new() -> Self {
        Self::default()
    }

    /// One error without a location.
    pub fn from_error(message: impl Into<String>) -> Self {
        let mut out = Self::new();
        out.push(Diagnostic::error(message));
        out
    }

    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.items.push(diagnostic);
    }

    /// Pushes and returns the new diagnostic, for builders that add help afterwards.
    pub fn push_mut(&mut self, diagnostic: Diagnostic) -> &mut Diagnostic {
        self.items.push(diagnostic);
        let last = self.items.len() - 1;
        &mut self.items[last]
    }

    pub fn extend(&mut self, other: Diagnostics) {
        self.items.extend(other.items);
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Keeps the diagnostics from index `start` on only where `keep` says so.
    pub fn retain_from(&mut self, start: usize, mut keep: impl FnMut(&Diagnostic) -> bool) {
        let mut index = 0;
        self.items.retain(|d| {
            let result = index < start || keep(d);
            index += 1;
            result
        });
    }

    pub fn has_errors(&self) -> bool {
        self.items.iter().any(Diagnostic::is_error)
    }

    pub fn error_count(&self) -> usize {
        self.items.iter().filter(|d| d.is_error()).count()
    }

    pub fn warning_count(&self) -> usize {
        self.items.len() - self.error_count()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Errors first, then warnings; each group by file, line, column.
    pub fn sorted(&self) -> Vec<&Diagnostic> {
        let mut items: Vec<&Diagnostic> = self.items.iter().collect();
        items.sort_by_cached_key(|d| d.sort_key());
        items.dedup_by(|a, b| a.sort_key() == b.sort_key());
        items
    }

    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter()
    }
}

/// ANSI styling, or none. Chosen by the output layer (`--color`, `NO_COLOR`, a terminal).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Paint(pub bool);

impl Paint {
    pub fn paint(self, code: &str, text: &str) -> String {
        if self.0 {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
    pub fn red(self, text: &str) -> String {
        self.paint("1;31", text)
    }
    pub fn yellow(self, text: &str) -> String {
        self.paint("1;33", text)
    }
    pub fn green(self, text: &str) -> String {
        self.paint("32", text)
    }
    pub fn blue(self, text: &str) -> String {
        self.paint("1;34", text)
    }
    pub fn bold(self, text: &str) -> String {
        self.paint("1", text)
    }
    pub fn dim(self, text: &str) -> String {
        self.paint("2", text)
    }
}

/// Renders one diagnostic the way rustc does: headline, `-->` location, the source line with a
/// caret, then help and notes.
pub fn render(diagnostic: &Diagnostic, paint: Paint) -> String {
    let mut out = String::new();
    let label = match diagnostic.severity {
        Severity::Error => paint.red("error"),
        Severity::Warning => paint.yellow("warning"),
    };
    let _ = writeln!(out, "{label}: {}", paint.bold(&diagnostic.message));
    let gutter_width = diagnostic
        .location
        .as_ref()
        .map_or(1, |loc| loc.span.line.to_string().len());
    let pad = " ".repeat(gutter_width);
    if let Some(loc) = &diagnostic.location {
        let arrow = paint.blue("-->");
        let _ = write!(
            out,
            "{pad}{arrow} {}:{}:{}",
            loc.file.name, loc.span.line, loc.span.col
        );
        if let Some(path) = &loc.path {
            let _ = write!(out, " {}", paint.dim(&format!("at {path}")));
        }
        out.push('\n');
        if let Some(text) = loc.file.line(loc.span.line) {
            let bar = paint.blue("|");
            let line_no = paint.blue(&loc.span.line.to_string());
            let _ = writeln!(out, "{pad} {bar}");
            let _ = writeln!(out, "{line_no} {bar} {}", text.trim_end());
            let caret_pad: String = text
                .chars()
                .take(loc.span.col.saturating_sub(1) as usize)
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            let caret = "^".repeat(loc.span.len.max(1) as usize);
            let caret = match diagnostic.severity {
                Severity::Error => paint.red(&caret),
                Severity::Warning => paint.yellow(&caret),
            };
            let _ = writeln!(out, "{pad} {bar} {caret_pad}{caret}");
        }
    }
    let eq = paint.blue("=");
    if let Some(help) = &diagnostic.help {
        let _ = writeln!(out, "{pad} {eq} help: {help}");
    }
    for note in &diagnostic.notes {
        let _ = writeln!(out, "{pad} {eq} note: {note}");
    }
    out
}

/// The summary line printed after the diagnostics of a run.
pub fn summary(diagnostics: &Diagnostics, paint: Paint) -> Option<String> {
    let errors = diagnostics.error_count();
    let warnings = diagnostics.warning_count();
    let plural = |n: usize, word: &str| {
        if n == 1 {
            format!("{n} {word}")
        } else {
            format!("{n} {word}s")
        }
    };
    match (errors, warnings) {
        (0, 0) => None,
        (0, w) => Some(format!(
            "{}: {} emitted",
            paint.yellow("warning"),
            plural(w, "warning")
        )),
        (e, 0) => Some(format!(
            "{}: {} found; nothing was changed",
            paint.red("error"),
            plural(e, "error")
        )),
        (e, w) => Some(format!(
            "{}: {} and {} found; nothing was changed",
            paint.red("error"),
            plural(e, "error"),
            plural(w, "warning")
        )),
    }
}

/// The machine-readable form of a diagnostic (`validate -o json`).
#[derive(Debug, Serialize)]
pub struct DiagnosticJson<'a> {
    pub severity: Severity,
    pub message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<&'a str>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    pub notes: &'a [String],
}

impl<'a> From<&'a Diagnostic> for DiagnosticJson<'a> {
    fn from(d: &'a Diagnostic) -> Self {
        DiagnosticJson {
            severity: d.severity,
            message: &d.message,
            file: d.location.as_ref().map(|l| l.file.name.as_str()),
            line: d.location.as_ref().map(|l| l.span.line),
            column: d.location.as_ref().map(|l| l.span.col),
            path: d.location.as_ref().and_then(|l| l.path.as_deref()),
            help: d.help.as_deref(),
            notes: &d.notes,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_lines_as_str_lines_splits_them() {
        for text in ["", "a", "a\n", "a\n\n", "a\r\nb\r\n", "\nx\ny", "é\n\r\nz"] {
            let file = SourceFile::new("f.yaml", text);
            for line in 0..6 {
                let expected = usize::try_from(line)
                    .ok()
                    .and_then(|l: usize| l.checked_sub(1))
                    .and_then(|i| text.lines().nth(i));
                assert_eq!(file.line(line), expected, "{text:?} line {line}");
            }
        }
    }

    #[test]
    fn renders_caret_under_the_span() {
        let file = SourceFile::new("web.yaml", "spec:\n  esential: true\n");
        let d = Diagnostic::error("unknown field `esential`")
            .at(Location {
                file,
                span: Span::new(2, 3, 8),
                path: Some("spec.esential".into()),
            })
            .with_help("did you mean `essential`?");
        let text = render(&d, Paint(false));
        assert_eq!(
            text,
            "error: unknown field `esential`\n \
             --> web.yaml:2:3 at spec.esential\n  \
             |\n\
             2 |   esential: true\n  \
             |   ^^^^^^^^\n  \
             = help: did you mean `essential`?\n"
        );
    }

    #[test]
    fn sorts_errors_first_then_by_position() {
        let file = SourceFile::new("a.yaml", "x\ny\n");
        let at = |line| Location {
            file: file.clone(),
            span: Span::new(line, 1, 1),
            path: None,
        };
        let mut all = Diagnostics::new();
        all.push(Diagnostic::warning("w").at(at(1)));
        all.push(Diagnostic::error("second").at(at(2)));
        all.push(Diagnostic::error("first").at(at(1)));
        let order: Vec<&str> = all.sorted().iter().map(|d| d.message.as_str()).collect();
        assert_eq!(order, ["first", "second", "w"]);
        assert_eq!(
            summary(&all, Paint(false)).as_deref(),
            Some("error: 2 errors and 1 warning found; nothing was changed")
        );
    }
}
