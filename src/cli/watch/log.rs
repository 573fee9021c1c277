//! The watch's log: one line per thing that happened, on stderr, as text
//! (`TIME  [CLUSTER] MESSAGE`) or, with `--log-format json`, one JSON object per line with
//! sorted keys (`cluster`, `level`, `message`, `time`) for log shippers.

use std::io::Write;

use clap::ValueEnum;

use crate::time::Timestamp;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Info,
    Warn,
}

#[derive(Clone, Copy, Debug)]
pub struct Log {
    pub format: LogFormat,
}

impl Log {
    pub fn info(&self, cluster: Option<&str>, message: &str) {
        self.line(Level::Info, cluster, message);
    }

    pub fn warn(&self, cluster: Option<&str>, message: &str) {
        self.line(Level::Warn, cluster, message);
    }

    pub fn line(&self, level: Level, cluster: Option<&str>, message: &str) {
        let text = render(self.format, Timestamp::now(), level, cluster, message);
        let _ = writeln!(std::io::stderr().lock(), "{text}");
    }
}

/// One line, without its newline.
pub fn render(
    format: LogFormat,
    now: Timestamp,
    level: Level,
    cluster: Option<&str>,
    message: &str,
) -> String {
    match format {
        LogFormat::Text => match cluster {
            Some(cluster) => format!("{now}  [{cluster}] {message}"),
            None => format!("{now}  {message}"),
        },
        LogFormat::Json => {
            let mut object = serde_json::Map::new();
            if let Some(cluster) = cluster {
                object.insert("cluster".into(), cluster.into());
            }
            let level = match level {
                Level::Info => "info",
                Level::Warn => "warn",
            };
            object.insert("level".into(), level.into());
            object.insert("message".into(), message.into());
            object.insert("time".into(), now.to_string().into());
            serde_json::Value::Object(object).to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_json_lines() {
        let at = Timestamp::from_unix_millis(0);
        assert_eq!(
            render(LogFormat::Text, at, Level::Info, Some("prod"), "hello"),
            format!("{at}  [prod] hello")
        );
        assert_eq!(
            render(LogFormat::Text, at, Level::Info, None, "hello"),
            format!("{at}  hello")
        );
        let json = render(LogFormat::Json, at, Level::Warn, Some("prod"), "a \"b\"\nc");
        assert_eq!(
            json,
            format!(r#"{{"cluster":"prod","level":"warn","message":"a \"b\"\nc","time":"{at}"}}"#)
        );
        assert!(!json.contains('\n'), "one line per entry");
    }
}
