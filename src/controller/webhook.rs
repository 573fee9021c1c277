//! The push webhook of `watch --git --webhook-listen ADDR`: a delivery whose signature
//! matches the secret pokes the watch to fetch at once; anything else is refused and changes
//! nothing. The checks are [`crate::source::webhook`]'s; this is the HTTP side.

use std::sync::Arc;

use hyper::StatusCode;
use tokio::net::TcpListener;
use tokio::sync::mpsc;

use super::http::{self, Answer, Received};
use crate::source::webhook::{Verdict, verify};

/// Largest delivery accepted (GitHub caps payloads at 25 MB, but pushes of manifests are
/// small and the body is only hashed).
const MAX_BODY: usize = 5 * 1024 * 1024;

/// Serves the webhook until the task is aborted. `pokes` gets one message per accepted
/// delivery; `log` gets one line per delivery.
pub async fn serve(
    listener: TcpListener,
    secret: Vec<u8>,
    pokes: mpsc::Sender<()>,
    log: Arc<dyn Fn(String) + Send + Sync>,
) {
    let handler: http::Handler = Arc::new(move |request| {
        let (answer, line) = answer(&secret, &request);
        if matches!(answer.status, StatusCode::ACCEPTED) {
            // A full queue already holds a poke: one fetch covers both.
            let _ = pokes.try_send(());
        }
        log(line);
        answer
    });
    http::serve(listener, MAX_BODY, handler).await;
}

/// The answer to one delivery and the line that says what happened.
fn answer(secret: &[u8], request: &Received) -> (Answer, String) {
    let from = request.peer;
    if request.method != "POST" {
        return (
            Answer::text(StatusCode::METHOD_NOT_ALLOWED, "POST a push event\n"),
            format!("webhook: refused {} from {from}: not POST", request.method),
        );
    }
    let header = |name: &str| request.header(name);
    match verify(secret, &header, &request.body) {
        Verdict::Fetch { host } => (
            Answer::text(StatusCode::ACCEPTED, "fetching\n"),
            format!("webhook: {} push from {from}; fetching", host.name()),
        ),
        Verdict::Ping { host } => (
            Answer::text(StatusCode::OK, "pong\n"),
            format!("webhook: {} ping from {from}", host.name()),
        ),
        Verdict::Unsigned => (
            Answer::text(
                StatusCode::UNAUTHORIZED,
                "no signature (X-Hub-Signature-256, X-Gitea-Signature or X-Gitlab-Token)\n",
            ),
            format!("webhook: refused a delivery from {from}: no signature"),
        ),
        Verdict::BadSignature { host } => (
            Answer::text(StatusCode::UNAUTHORIZED, "signature does not match\n"),
            format!(
                "webhook: refused a {} delivery from {from}: the signature does not match the secret",
                host.name()
            ),
        ),
    }
}
