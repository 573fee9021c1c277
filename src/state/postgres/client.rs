//! Connections to PostgreSQL, driven on a runtime of their own.
//!
//! `tokio-postgres` is asynchronous; the store's verbs are not, and they are called both from
//! plain code and from inside the command's tokio runtime (`watch`, `serve`). Blocking on a
//! runtime from inside another one panics, so every future runs on one process-wide runtime
//! with its own worker thread, and the caller waits for the answer on a channel: the caller
//! blocks as it would on a file read, from sync or async code alike.

use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use anyhow::{Context as _, Result, anyhow};
use tokio_postgres::config::Host;
use tokio_postgres::{Client, Config, NoTls};

/// How long a connection attempt may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

static RUNTIME: OnceLock<Result<tokio::runtime::Runtime, String>> = OnceLock::new();

fn runtime() -> Result<&'static tokio::runtime::Runtime> {
    let runtime = RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("ecsctl-postgres")
            .enable_all()
            .build()
            .map_err(|e| e.to_string())
    });
    runtime
        .as_ref()
        .map_err(|e| anyhow!("cannot start the postgres client: {e}"))
}

/// Runs `future` on the client's runtime and waits for its output.
pub fn block<T: Send + 'static>(future: impl Future<Output = T> + Send + 'static) -> Result<T> {
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    runtime()?.spawn(async move {
        let _ = tx.send(future.await);
    });
    rx.recv()
        .map_err(|_| anyhow!("the postgres client stopped before answering"))
}

/// Starts `future` on the client's runtime without waiting for it.
pub fn spawn(future: impl Future<Output = ()> + Send + 'static) -> Result<()> {
    runtime()?.spawn(future);
    Ok(())
}

/// Where the state lives: a parsed `postgres://` URL, and how to name it without its password.
#[derive(Clone)]
pub struct Target {
    config: Arc<Config>,
    shown: String,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.shown)
    }
}

impl Target {
    pub fn parse(url: &str) -> Result<Self> {
        let mut config: Config = url
            .parse()
            .map_err(|e| anyhow!("invalid state URL `{}`: {e}", redact_url(url)))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        if config.get_application_name().is_none() {
            config.application_name("ecsctl");
        }
        let shown = shown(&config);
        Ok(Target {
            config: Arc::new(config),
            shown,
        })
    }

    /// `postgres://user@host:port/db`: never the password.
    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// A new connection, its I/O driven on the client's runtime. Call from that runtime.
    pub async fn connect(&self) -> Result<Client> {
        let (client, connection) = self
            .config
            .connect(NoTls)
            .await
            .with_context(|| format!("cannot connect to {}", self.shown))?;
        tokio::spawn(async move {
            // The connection ends when its client is dropped, or with an error that the
            // client's next request reports.
            let _ = connection.await;
        });
        Ok(client)
    }
}

fn shown(config: &Config) -> String {
    let user = config
        .get_user()
        .map(|u| format!("{u}@"))
        .unwrap_or_default();
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(host)) => host.clone(),
        Some(Host::Unix(path)) => path.display().to_string(),
        None => "localhost".to_string(),
    };
    let port = config
        .get_ports()
        .first()
        .map(|p| format!(":{p}"))
        .unwrap_or_default();
    let db = config.get_dbname().unwrap_or_default();
    format!("postgres://{user}{host}{port}/{db}")
}

/// A URL for an error message about the URL itself: whatever sits between `:` and `@` of
/// its authority goes.
pub fn redact_url(url: &str) -> String {
    crate::redact::without_password(url)
}

/// Is `url` a PostgreSQL state (rather than a directory)?
pub fn is_postgres_url(text: &str) -> bool {
    text.starts_with("postgres://") || text.starts_with("postgresql://")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_shown_without_their_password() {
        let target = Target::parse("postgres://ecsctl:s3cret@127.0.0.1:5433/state").expect("url");
        assert_eq!(target.shown(), "postgres://ecsctl@127.0.0.1:5433/state");
        assert_eq!(
            redact_url("postgres://u:pw@h/db?x=1"),
            "postgres://u@h/db?x=1"
        );
        assert_eq!(redact_url("postgres://h/db"), "postgres://h/db");
        assert!(is_postgres_url("postgresql://h/db"));
        assert!(!is_postgres_url("/var/lib/ecsctl"));
    }
}
