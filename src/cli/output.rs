//! The only place that writes to the terminal: stdout carries data, stderr carries progress
//! and diagnostics. Decides colour once (`--color`, `NO_COLOR`, a terminal).

use std::io::{IsTerminal, Write};

use clap::ValueEnum;
use comfy_table::presets::NOTHING;
use comfy_table::{ContentArrangement, Table};
use serde::Serialize;

use crate::diagnostics::{DiagnosticJson, Diagnostics, Paint, render, summary};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

pub struct Output {
    /// Colour for stdout.
    pub paint: Paint,
    /// Colour for stderr.
    pub paint_err: Paint,
}

impl Output {
    pub fn new(choice: ColorChoice) -> Self {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let decide = |terminal: bool| match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => terminal && !no_color,
        };
        Output {
            paint: Paint(decide(std::io::stdout().is_terminal())),
            paint_err: Paint(decide(std::io::stderr().is_terminal())),
        }
    }

    /// Data on stdout.
    pub fn print(&self, text: &str) {
        let mut stdout = std::io::stdout().lock();
        let _ = stdout.write_all(text.as_bytes());
        let _ = stdout.flush();
    }

    pub fn println(&self, text: &str) {
        self.print(&format!("{text}\n"));
    }

    /// Progress and notes on stderr.
    pub fn note(&self, text: &str) {
        let mut stderr = std::io::stderr().lock();
        let _ = writeln!(stderr, "{text}");
    }

    pub fn error(&self, error: &anyhow::Error) {
        let chain: Vec<String> = error.chain().map(ToString::to_string).collect();
        let mut text = format!("{}: {}", self.paint_err.red("error"), chain[0]);
        for cause in &chain[1..] {
            text.push_str(&format!("\n  caused by: {cause}"));
        }
        self.note(&text);
    }

    /// Every diagnostic, sorted, then the summary line; all on stderr.
    pub fn diagnostics(&self, diagnostics: &Diagnostics) {
        let mut text = String::new();
        for d in diagnostics.sorted() {
            text.push_str(&render(d, self.paint_err));
            text.push('\n');
        }
        if let Some(line) = summary(diagnostics, self.paint_err) {
            text.push_str(&line);
            text.push('\n');
        }
        if !text.is_empty() {
            let mut stderr = std::io::stderr().lock();
            let _ = stderr.write_all(text.as_bytes());
        }
    }

    pub fn diagnostics_json(diagnostics: &Diagnostics) -> Vec<DiagnosticJson<'_>> {
        diagnostics
            .sorted()
            .into_iter()
            .map(DiagnosticJson::from)
            .collect()
    }

    pub fn json<T: Serialize>(&self, value: &T) -> anyhow::Result<()> {
        self.print(&to_json(value)?);
        Ok(())
    }

    pub fn yaml<T: Serialize>(&self, value: &T) -> anyhow::Result<()> {
        self.print(&to_yaml(value)?);
        Ok(())
    }
}

/// Stable JSON: sorted keys, pretty, newline-terminated.
pub fn to_json<T: Serialize>(value: &T) -> anyhow::Result<String> {
    crate::state::store::to_json(value)
}

/// YAML with sorted keys (through a JSON value, whose maps are sorted), by `yaml_serde`, the
/// YAML organization's maintained continuation of the deprecated `serde_yaml` (same output).
pub fn to_yaml<T: Serialize>(value: &T) -> anyhow::Result<String> {
    let value = serde_json::to_value(value)?;
    Ok(yaml_serde::to_string(&value)?)
}

/// Bytes as kubectl-style binary units with one decimal: `512.0Ki`, `12.3Mi`, `1.5Gi`.
pub fn bytes(n: u64) -> String {
    const KI: f64 = 1024.0;
    let n = n as f64;
    if n < KI * KI {
        format!("{:.1}Ki", n / KI)
    } else if n < KI * KI * KI {
        format!("{:.1}Mi", n / (KI * KI))
    } else {
        format!("{:.1}Gi", n / (KI * KI * KI))
    }
}

/// Warns about every host that did not answer (naming it and what is left out) and returns
/// the exit code: 1 when any host did not answer, as what was printed is incomplete.
pub fn unanswered(
    cx: &super::Context,
    hosts: &[crate::ops::tasks::Unanswered],
    left_out: &str,
) -> u8 {
    for u in hosts {
        cx.out.note(&format!(
            "{}: host `{}` of cluster `{}` does not answer; {left_out}: {}",
            cx.out.paint_err.yellow("warning"),
            u.host,
            u.cluster,
            u.error
        ));
    }
    if hosts.is_empty() {
        super::exit::OK
    } else {
        super::exit::ERROR
    }
}

/// A borderless table like kubectl's: upper-case headers, columns padded, no wrapping.
pub fn table(headers: &[&str], rows: Vec<Vec<String>>) -> String {
    let mut table = Table::new();
    table
        .load_style(NOTHING)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(headers.iter().map(|h| h.to_uppercase()));
    for row in rows {
        table.add_row(row);
    }
    let text = table.to_string();
    let mut out: String = text
        .lines()
        .map(|line| line.trim_end().strip_prefix(' ').unwrap_or(line.trim_end()))
        .collect::<Vec<_>>()
        .join("\n");
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_and_large_sizes_keep_their_digits() {
        assert_eq!(bytes(0), "0.0Ki");
        assert_eq!(bytes(300 * 1024), "300.0Ki");
        assert_eq!(bytes(3 * 1024 * 1024 / 2), "1.5Mi");
        assert_eq!(bytes(2 * 1024 * 1024 * 1024), "2.0Gi");
    }

    #[test]
    fn yaml_output_is_sorted_plain_and_round_trips() {
        let value = serde_json::json!({
            "b": [1, 2.5, "x: y", true, null],
            "a": {"nested": "multi\nline", "empty": [], "none": {}},
            "c": "0123",
        });
        let text = to_yaml(&value).expect("yaml");
        assert!(text.starts_with("a:"), "{text}");
        assert!(text.ends_with('\n') && !text.ends_with("\n\n"), "{text:?}");
        let back = yaml_rust2::YamlLoader::load_from_str(&text).expect("parses");
        assert_eq!(back.len(), 1);
        let doc = &back[0];
        assert_eq!(
            doc["c"].as_str(),
            Some("0123"),
            "a numeric-looking string stays a string"
        );
        assert_eq!(doc["b"][2].as_str(), Some("x: y"));
        assert_eq!(doc["a"]["nested"].as_str(), Some("multi\nline"));
        assert_eq!(doc["b"][1].as_f64(), Some(2.5));
        assert!(doc["b"][4].is_null());
    }

    #[test]
    fn tables_are_plain_and_aligned() {
        let text = table(
            &["name", "desired"],
            vec![
                vec!["web".into(), "3".into()],
                vec!["worker-long".into(), "10".into()],
            ],
        );
        assert_eq!(
            text,
            "NAME         DESIRED\nweb          3\nworker-long  10\n"
        );
    }
}
