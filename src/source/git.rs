//! A Git repository as the source of manifests, through the system `git`.
//!
//! Fetches go into a private bare repository under the caller's cache directory (one per
//! URL); manifests are read from the fetched commit's objects (`git ls-tree`, `git cat-file`)
//! and named by their path in the repository, so diagnostics say `manifests/web.yaml:3:5`
//! and no working tree is ever checked out or left half-written. Every `git` runs without a
//! terminal prompt and is killed when it outlives its timeout.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use sha2::{Digest, Sha256};

use crate::diagnostics::SourceFile;

/// How long one fetch may take before it is killed (a hung remote must not stop a watch).
const FETCH_TIMEOUT: Duration = Duration::from_secs(120);
/// How long a local command (ls-tree, cat-file, log) may take.
const LOCAL_TIMEOUT: Duration = Duration::from_secs(30);
const EXTENSIONS: [&str; 3] = ["yaml", "yml", "json"];

/// What to follow: a repository, a ref in it, a directory of manifests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GitSource {
    /// A URL `git` understands, or a local path.
    pub url: String,
    /// A branch, tag or commit (default `main`).
    pub reference: String,
    /// The directory of manifests in the repository (`.`: all of it).
    pub path: String,
}

/// A commit as `git log` tells it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Commit {
    /// The full object id.
    pub id: String,
    pub subject: String,
    pub author: String,
}

impl GitSource {
    /// The URL without credentials (`https://user:token@host/x` → `https://host/x`): what
    /// is recorded and printed.
    pub fn display_url(&self) -> String {
        redact_url(&self.url)
    }

    /// The path in the repository without `./` or trailing slashes (`""` for the root).
    fn prefix(&self) -> String {
        normalize_prefix(&self.path)
    }
}

/// A local bare repository that fetches `source` for reading.
pub struct Mirror {
    dir: PathBuf,
    source: GitSource,
}

impl Mirror {
    /// The mirror of `source` under `cache` (created when missing). Local paths are made
    /// absolute, so the mirror's fetch does not depend on the current directory.
    pub fn open(cache: &Path, mut source: GitSource) -> Result<Self> {
        let local = Path::new(&source.url);
        if !source.url.contains("://")
            && local.exists()
            && let Ok(absolute) = local.canonicalize()
        {
            source.url = absolute.display().to_string();
        }
        let digest = Sha256::digest(source.url.as_bytes());
        let name: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
        let dir = cache.join(format!("{name}.git"));
        if !dir.join("HEAD").exists() {
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("creating the Git cache `{}`", dir.display()))?;
            git(&dir, &["init", "--quiet", "--bare"], LOCAL_TIMEOUT)?;
        }
        Ok(Mirror { dir, source })
    }

    pub fn source(&self) -> &GitSource {
        &self.source
    }

    /// Fetches the ref and returns the commit it names now.
    pub fn fetch(&self) -> Result<Commit> {
        let refspec = format!("+{}:refs/ecsctl/head", self.source.reference);
        let fetched = git(
            &self.dir,
            &[
                "fetch",
                "--quiet",
                "--no-tags",
                "--force",
                "--",
                &self.source.url,
                &refspec,
            ],
            FETCH_TIMEOUT,
        );
        if let Err(e) = fetched {
            bail!(
                "fetching `{}` from `{}`: {e:#}",
                self.source.reference,
                self.source.display_url()
            );
        }
        self.commit("refs/ecsctl/head")
    }

    /// The commit `rev` names, with its subject and author.
    pub fn commit(&self, rev: &str) -> Result<Commit> {
        let spec = format!("{rev}^{{commit}}");
        let out = git(
            &self.dir,
            &["log", "-1", "--format=%H%x00%s%x00%an", &spec, "--"],
            LOCAL_TIMEOUT,
        )?;
        let text = String::from_utf8_lossy(&out);
        let mut parts = text.trim_end_matches('\n').splitn(3, '\0');
        let id = parts.next().unwrap_or_default().to_string();
        if id.len() < 40 {
            bail!("`{rev}` does not name a commit");
        }
        Ok(Commit {
            id,
            subject: parts.next().unwrap_or_default().to_string(),
            author: parts.next().unwrap_or_default().to_string(),
        })
    }

    /// The manifests under the source's path at `commit`, in path order, each named by its
    /// path in the repository. A path that holds no manifests is an error.
    pub fn manifests(&self, commit: &str) -> Result<Vec<Arc<SourceFile>>> {
        let prefix = self.source.prefix();
        let mut args = vec!["ls-tree", "-r", "-z", "--full-tree", "--name-only", commit];
        if !prefix.is_empty() {
            args.extend(["--", prefix.as_str()]);
        }
        let listing = git(&self.dir, &args, LOCAL_TIMEOUT)?;
        let paths: Vec<String> = listing
            .split(|b| *b == 0)
            .filter(|p| !p.is_empty())
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .filter(|p| is_manifest(p, &prefix))
            .collect();
        if paths.is_empty() {
            let place = if prefix.is_empty() {
                "the repository".to_string()
            } else {
                format!("`{prefix}`")
            };
            bail!(
                "no manifests (*.yaml, *.yml, *.json) in {place} at commit {}",
                short(commit)
            );
        }
        let blobs = self.read_blobs(commit, &paths)?;
        Ok(paths
            .into_iter()
            .zip(blobs)
            .map(|(path, text)| SourceFile::new(path, text))
            .collect())
    }

    /// The contents of `paths` at `commit`, through one `git cat-file --batch`.
    fn read_blobs(&self, commit: &str, paths: &[String]) -> Result<Vec<String>> {
        let mut request = String::new();
        for path in paths {
            request.push_str(&format!("{commit}:{path}\n"));
        }
        let out = run(
            Command::new("git")
                .arg("-C")
                .arg(&self.dir)
                .args(["cat-file", "--batch"]),
            Some(request.as_bytes()),
            LOCAL_TIMEOUT,
        )?;
        let mut rest = out.as_slice();
        let mut texts = Vec::with_capacity(paths.len());
        for path in paths {
            let Some(end) = rest.iter().position(|b| *b == b'\n') else {
                bail!("`git cat-file` ended early, before `{path}`");
            };
            let header = String::from_utf8_lossy(&rest[..end]).into_owned();
            let size: usize = header
                .rsplit(' ')
                .next()
                .and_then(|s| s.parse().ok())
                .with_context(|| format!("`git cat-file` said `{header}` for `{path}`"))?;
            let body = rest
                .get(end + 1..end + 1 + size)
                .with_context(|| format!("`git cat-file` cut `{path}` short"))?;
            let text = String::from_utf8(body.to_vec())
                .map_err(|_| anyhow::anyhow!("`{path}` is not UTF-8 text"))?;
            texts.push(text.trim_start_matches('\u{feff}').to_string());
            rest = rest.get(end + 2 + size..).unwrap_or_default();
        }
        Ok(texts)
    }
}

/// The first 7 characters of a commit id, as `git log --oneline` shows it.
pub fn short(commit: &str) -> &str {
    commit.get(..7).unwrap_or(commit)
}

/// `https://user:secret@host/x` → `https://host/x`; anything else unchanged.
pub fn redact_url(url: &str) -> String {
    crate::redact::without_userinfo(url)
}

fn normalize_prefix(path: &str) -> String {
    let trimmed = path.trim_matches('/');
    let trimmed = trimmed.strip_prefix("./").unwrap_or(trimmed);
    if trimmed == "." {
        String::new()
    } else {
        trimmed.to_string()
    }
}

/// A manifest: under the prefix, with a manifest extension, no hidden directory or file on
/// the way (as `-f DIR` reads a directory).
fn is_manifest(path: &str, prefix: &str) -> bool {
    let inside = if prefix.is_empty() {
        Some(path)
    } else {
        path.strip_prefix(prefix)
            .and_then(|rest| rest.strip_prefix('/').or((rest.is_empty()).then_some(rest)))
    };
    let Some(inside) = inside else {
        return false;
    };
    let hidden = inside.split('/').any(|part| part.starts_with('.'));
    let extension = Path::new(path)
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    !hidden && extension.is_some_and(|e| EXTENSIONS.contains(&e.as_str()))
}

/// `git -C DIR ARGS...`, its stdout.
fn git(dir: &Path, args: &[&str], timeout: Duration) -> Result<Vec<u8>> {
    run(
        Command::new("git").arg("-C").arg(dir).args(args),
        None,
        timeout,
    )
}

/// Runs a command without a terminal prompt, feeding `input`, killing it after `timeout`.
fn run(command: &mut Command, input: Option<&[u8]>, timeout: Duration) -> Result<Vec<u8>> {
    command
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_ASKPASS", "true")
        .env("LC_ALL", "C")
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command
        .spawn()
        .context("running `git` (is Git installed?)")?;
    // Feed and drain on their own threads: a large batch must not deadlock on full pipes.
    let feeder = match (input, child.stdin.take()) {
        (Some(bytes), Some(mut stdin)) => {
            let bytes = bytes.to_vec();
            Some(std::thread::spawn(move || stdin.write_all(&bytes)))
        }
        _ => None,
    };
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut buf);
            }
            buf
        })
    };
    let stdout = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let stderr = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(status) = child.try_wait().context("waiting for `git`")? {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            bail!("`git` did not finish within {}s", timeout.as_secs());
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    if let Some(feeder) = feeder {
        let _ = feeder.join();
    }
    let out = stdout.join().unwrap_or_default();
    let err = stderr.join().unwrap_or_default();
    if !status.success() {
        let message = String::from_utf8_lossy(&err);
        let message = message.trim();
        bail!(
            "{}",
            if message.is_empty() {
                format!("`git` exited with {status}")
            } else {
                redact_url_words(message)
            }
        );
    }
    Ok(out)
}

/// Git's own messages may quote the URL with its credentials: redact every word that is one.
fn redact_url_words(message: &str) -> String {
    message
        .split(' ')
        .map(|word| {
            let bare = word.trim_matches(|c| c == '\'' || c == '"');
            if bare.contains("://") {
                word.replace(bare, &redact_url(bare))
            } else {
                word.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_never_leave_git_messages() {
        assert_eq!(
            redact_url_words("fatal: unable to access 'https://u:p@h/x/': refused"),
            "fatal: unable to access 'https://h/x/': refused"
        );
    }

    #[test]
    fn manifests_are_the_yaml_and_json_under_the_path_and_nothing_hidden() {
        assert!(is_manifest("web.yaml", ""));
        assert!(is_manifest("manifests/web.yml", "manifests"));
        assert!(is_manifest("manifests/prod/db.JSON", "manifests"));
        assert!(!is_manifest("manifestsx/web.yaml", "manifests"));
        assert!(!is_manifest("other/web.yaml", "manifests"));
        assert!(!is_manifest(".github/workflows/ci.yml", ""));
        assert!(!is_manifest("manifests/.draft.yaml", "manifests"));
        assert!(!is_manifest("README.md", ""));
        assert_eq!(normalize_prefix("./manifests/"), "manifests");
        assert_eq!(normalize_prefix("."), "");
        assert_eq!(normalize_prefix("/"), "");
    }

    #[test]
    fn short_ids_are_seven_characters() {
        assert_eq!(short("0123456789abcdef"), "0123456");
        assert_eq!(short("abc"), "abc");
    }
}
