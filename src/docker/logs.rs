//! Container logs as lines with their time, for merging the logs of many tasks in time order.
//! Docker is always asked for timestamps (`docker logs -t`); the prefix is parsed off here.

use bollard::Docker;
use bollard::container::LogOutput;
use bollard::query_parameters::LogsOptionsBuilder;
use futures_util::{Stream, StreamExt};

use crate::time::Timestamp;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogLine {
    pub time: Option<Timestamp>,
    pub stderr: bool,
    pub text: String,
}

/// `2026-11-21T09:21:49.123456789Z the message` → time and text.
pub fn parse_line(raw: &str, stderr: bool) -> LogLine {
    let (time, text) = match raw.split_once(' ') {
        Some((stamp, rest)) if stamp.len() >= 20 && stamp.ends_with('Z') => {
            match Timestamp::parse(stamp) {
                Ok(t) => (Some(t), rest),
                Err(_) => (None, raw),
            }
        }
        _ => (None, raw),
    };
    LogLine {
        time,
        stderr,
        text: text.trim_end_matches(['\r', '\n']).to_string(),
    }
}

/// Log drivers whose logs Docker can read back.
pub fn readable(driver: Option<&str>) -> bool {
    matches!(driver, None | Some("json-file" | "local" | "journald"))
}

/// The lines of a container's logs (stdout and stderr), optionally following new ones.
pub fn lines(
    docker: &Docker,
    container: &str,
    follow: bool,
    since: Option<Timestamp>,
    tail: Option<u64>,
) -> impl Stream<Item = anyhow::Result<LogLine>> + use<> {
    let mut options = LogsOptionsBuilder::default()
        .follow(follow)
        .stdout(true)
        .stderr(true)
        .timestamps(true)
        .tail(&tail.map_or_else(|| "all".to_string(), |t| t.to_string()));
    if let Some(since) = since {
        options = options.since(i32::try_from(since.unix_millis() / 1000).unwrap_or(0));
    }
    let docker = docker
        .clone()
        .with_timeout(std::time::Duration::from_secs(365 * 24 * 3600));
    docker
        .logs(container, Some(options.build()))
        .map(|chunk| -> anyhow::Result<Vec<LogLine>> {
            let chunk = chunk.map_err(|e| {
                anyhow::anyhow!("reading logs: {}", super::error::docker_message(&e))
            })?;
            let (bytes, stderr) = match chunk {
                LogOutput::StdErr { message } => (message, true),
                LogOutput::StdOut { message } | LogOutput::Console { message } => (message, false),
                LogOutput::StdIn { .. } => return Ok(Vec::new()),
            };
            let text = String::from_utf8_lossy(&bytes);
            Ok(text
                .lines()
                .filter(|l| !l.is_empty())
                .map(|l| parse_line(l, stderr))
                .collect())
        })
        .flat_map(|lines| {
            let items: Vec<anyhow::Result<LogLine>> = match lines {
                Ok(lines) => lines.into_iter().map(Ok).collect(),
                Err(e) => vec![Err(e)],
            };
            futures_util::stream::iter(items)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_parsed_off() {
        let line = parse_line("2026-11-21T09:21:49.123456789Z hello world\n", false);
        assert_eq!(line.text, "hello world");
        assert_eq!(
            line.time.map(|t| t.to_string()),
            Some("2026-11-21T09:21:49.123Z".to_string())
        );
        let plain = parse_line("no stamp here", true);
        assert_eq!(
            (plain.time, plain.text.as_str(), plain.stderr),
            (None, "no stamp here", true)
        );
    }

    #[test]
    fn readable_drivers() {
        assert!(readable(Some("json-file")) && readable(Some("local")) && readable(None));
        assert!(!readable(Some("syslog")) && !readable(Some("fluentd")));
    }
}
