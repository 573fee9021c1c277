//! The watch's HTTP endpoints: the push webhook (`--webhook-listen`) and Prometheus metrics
//! (`--metrics`). Each binds its address before the watch starts, so a taken port fails at
//! once; the serving is [`crate::controller::webhook`]'s and [`crate::controller::http`]'s.

use std::sync::Arc;

use anyhow::Result;
use hyper::StatusCode;
use tokio::net::TcpListener;
use tokio::sync::mpsc;

use super::log::Log;
use crate::controller::http::{self, Answer};
use crate::controller::metrics::Live;
use crate::ops::Session;
use crate::ops::metrics::{CONTENT_TYPE, scrape};
use crate::state::lock::Holder;

async fn bind(addr: &str, what: &str) -> Result<TcpListener> {
    TcpListener::bind(addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen for {what} on `{addr}`: {e}"))
}

/// Starts the push webhook on `addr`; its pokes make the watch fetch at once.
pub async fn webhook(addr: &str, secret: Vec<u8>, log: Log) -> Result<mpsc::Receiver<()>> {
    let listener = bind(addr, "webhooks").await?;
    let bound = listener.local_addr()?;
    let (pokes, poked) = mpsc::channel(1);
    let line = Arc::new(move |line: String| log.info(None, &line));
    tokio::spawn(crate::controller::webhook::serve(
        listener, secret, pokes, line,
    ));
    log.info(
        None,
        &format!("webhook listening on http://{bound}/ (signed deliveries only)"),
    );
    Ok(poked)
}

/// Serves `GET /metrics` on `addr` from the state and the watch's own counts.
pub async fn metrics(addr: &str, session: Session, live: Arc<Live>, log: Log) -> Result<()> {
    let listener = bind(addr, "metrics").await?;
    let bound = listener.local_addr()?;
    let holder = {
        let h = Holder::this_process();
        format!("pid {} on {}", h.pid, h.host)
    };
    let handler: http::Handler = Arc::new(move |request| {
        if request.method != "GET" || request.path != "/metrics" {
            return Answer::text(StatusCode::NOT_FOUND, "metrics are at GET /metrics\n");
        }
        match scrape(&session, &live.counts(), &holder) {
            Ok(body) => Answer {
                status: StatusCode::OK,
                content_type: CONTENT_TYPE,
                body,
            },
            Err(e) => Answer::text(StatusCode::INTERNAL_SERVER_ERROR, format!("{e:#}\n")),
        }
    });
    tokio::spawn(http::serve(listener, 64 * 1024, handler));
    log.info(None, &format!("metrics on http://{bound}/metrics"));
    Ok(())
}
