//! `-f PATH...` → checked objects. Reads files, directories (recursively: `*.yaml`, `*.yml`,
//! `*.json`) and stdin (`-`), parses every document, decodes and validates, collecting every
//! diagnostic of the run.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::ignored::Ignored;
use super::manifest::{Object, decode_document};
use super::validate::{self, Known, ManifestSet};
use super::{json, yaml};
use crate::diagnostics::{Diagnostic, Diagnostics, Location, SourceFile, Span};

const EXTENSIONS: [&str; 3] = ["yaml", "yml", "json"];

/// The result of loading manifests: the checked set, the ignored-field uses, and every file read.
pub struct Loaded {
    pub set: ManifestSet,
    pub ignored: Ignored,
    pub files: Vec<Arc<SourceFile>>,
}

/// Reads, parses and checks the inputs. I/O errors become diagnostics too.
pub fn load(inputs: &[String], known: &Known, out: &mut Diagnostics) -> Loaded {
    let files = read_inputs(inputs, out);
    let (set, ignored) = analyze(&files, known, out);
    Loaded {
        set,
        ignored,
        files,
    }
}

/// Parses and checks files already in memory (no I/O), and reports the ignored fields.
pub fn analyze(
    files: &[Arc<SourceFile>],
    known: &Known,
    out: &mut Diagnostics,
) -> (ManifestSet, Ignored) {
    let set = check_files(files, known, out);
    let mut ignored = Ignored::default();
    for m in set.task_definitions.values() {
        ignored.task_definition(m);
    }
    for s in set.services.values() {
        ignored.service(&s.manifest);
    }
    ignored.report(out);
    (set, ignored)
}

/// Parses and checks files already in memory (no I/O).
pub fn check_files(files: &[Arc<SourceFile>], known: &Known, out: &mut Diagnostics) -> ManifestSet {
    let mut objects = Vec::new();
    for file in files {
        objects.extend(parse_file(file, out));
    }
    // Where decoding already failed, the decoder left neutral values; semantic findings about
    // those values (or the objects around them) would only repeat the error, so they are
    // dropped. Findings about the object as a whole are kept.
    let damaged: Vec<(String, String)> = out
        .iter()
        .filter(|d| d.is_error())
        .filter_map(|d| d.location.as_ref())
        .filter_map(|l| l.path.clone().map(|p| (l.file.name.clone(), p)))
        .collect();
    let before = out.len();
    let set = validate::check(objects, known, out);
    if !damaged.is_empty() {
        out.retain_from(before, |d| {
            let Some(loc) = &d.location else { return true };
            let Some(path) = &loc.path else { return true };
            let object_level = !path.contains('.') && !path.contains('[');
            object_level
                || !damaged
                    .iter()
                    .any(|(file, bad)| *file == loc.file.name && related(bad, path))
        });
    }
    set
}

/// True when one path is the other or lies inside it (`a.b` and `a.b[0].c`, not `a.bc`).
fn related(a: &str, b: &str) -> bool {
    let inside = |outer: &str, inner: &str| {
        inner == outer
            || inner
                .strip_prefix(outer)
                .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
    };
    inside(a, b) || inside(b, a)
}

/// Every object of one file, in order.
pub fn parse_file(file: &Arc<SourceFile>, out: &mut Diagnostics) -> Vec<Object> {
    let parsed = if is_json(file) {
        json::parse(&file.text)
    } else {
        yaml::parse(&file.text)
    };
    for error in parsed.errors {
        out.push(
            Diagnostic::error(error.message)
                .at(Location {
                    file: file.clone(),
                    span: error.span,
                    path: None,
                })
                .with_help_opt(error.help),
        );
    }
    parsed
        .documents
        .into_iter()
        .filter_map(|document| decode_document(file, document, out))
        .collect()
}

fn is_json(file: &SourceFile) -> bool {
    let extension = Path::new(&file.name)
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    match extension.as_deref() {
        Some("json") => true,
        Some("yaml" | "yml") => false,
        // stdin and other names: JSON when it looks like a JSON object, YAML otherwise
        // (YAML would reject the tab indentation common in JSON files).
        _ => {
            file.text.trim_start().starts_with('{') && !json::parse(&file.text).documents.is_empty()
        }
    }
}

fn io_error(name: &str, message: String) -> Diagnostic {
    Diagnostic::error(message).at(Location {
        file: SourceFile::new(name, ""),
        span: Span::new(1, 1, 1),
        path: None,
    })
}

/// Reads every input into memory, in a stable order (directories sorted by path).
pub fn read_inputs(inputs: &[String], out: &mut Diagnostics) -> Vec<Arc<SourceFile>> {
    let mut files = Vec::new();
    let mut seen = BTreeSet::new();
    for input in inputs {
        if input == "-" {
            let mut text = String::new();
            match std::io::stdin().read_to_string(&mut text) {
                Ok(_) => files.push(SourceFile::new("<stdin>", text)),
                Err(e) => out.push(Diagnostic::error(format!("cannot read stdin: {e}"))),
            }
            continue;
        }
        let path = PathBuf::from(input);
        match std::fs::metadata(&path) {
            Ok(meta) if meta.is_dir() => {
                let mut found = Vec::new();
                let mut visited = BTreeSet::new();
                walk(&path, &mut found, &mut visited, out);
                found.sort();
                if found.is_empty() {
                    out.push(io_error(
                        input,
                        format!("no manifests (*.yaml, *.yml, *.json) in directory `{input}`"),
                    ));
                }
                for file in found {
                    if seen.insert(file.clone()) {
                        files.extend(read_file(&file, out));
                    }
                }
            }
            Ok(_) => {
                if seen.insert(path.clone()) {
                    files.extend(read_file(&path, out));
                }
            }
            Err(e) => out.push(io_error(input, format!("cannot read `{input}`: {e}"))),
        }
    }
    files
}

fn walk(
    dir: &Path,
    found: &mut Vec<PathBuf>,
    visited: &mut BTreeSet<PathBuf>,
    out: &mut Diagnostics,
) {
    // Symlinked directories can form cycles: visit each real directory once.
    if let Ok(real) = dir.canonicalize()
        && !visited.insert(real)
    {
        return;
    }
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            let name = dir.display().to_string();
            out.push(io_error(
                &name,
                format!("cannot read directory `{name}`: {e}"),
            ));
            return;
        }
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let hidden = entry.file_name().to_string_lossy().starts_with('.');
        if hidden {
            continue;
        }
        if path.is_dir() {
            walk(&path, found, visited, out);
        } else if path.extension().is_some_and(|e| {
            EXTENSIONS.contains(&e.to_string_lossy().to_ascii_lowercase().as_str())
        }) {
            found.push(path);
        }
    }
}

fn read_file(path: &Path, out: &mut Diagnostics) -> Option<Arc<SourceFile>> {
    let name = path.display().to_string();
    match std::fs::read(path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => Some(SourceFile::new(
                name,
                text.trim_start_matches('\u{feff}').to_string(),
            )),
            Err(_) => {
                out.push(io_error(&name, format!("`{name}` is not UTF-8 text")));
                None
            }
        },
        Err(e) => {
            out.push(io_error(&name, format!("cannot read `{name}`: {e}")));
            None
        }
    }
}

/// Convenience for tests and the fuzz harness: checks one in-memory file.
pub fn check_text(name: &str, text: &str) -> (ManifestSet, Diagnostics) {
    let mut out = Diagnostics::new();
    let files = vec![SourceFile::new(name, text)];
    let (set, _) = analyze(&files, &Known::default(), &mut out);
    (set, out)
}

/// Re-exported for callers that only want to know whether a set of objects is present.
pub fn objects_of(file: &Arc<SourceFile>) -> (Vec<Object>, Diagnostics) {
    let mut out = Diagnostics::new();
    let objects = parse_file(file, &mut out);
    (objects, out)
}
