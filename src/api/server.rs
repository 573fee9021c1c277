//! The HTTP side: hyper (HTTP/1.1) on a TCP listener. Each request: `POST /`, a body of at
//! most [`MAX_BODY`] bytes, a SigV4 signature checked when credentials are configured, the
//! operation from `X-Amz-Target`, and a JSON answer (`application/x-amz-json-1.1`), errors
//! as ECS sends them (`X-Amzn-Errortype` and `{"__type", "message"}`).

use std::convert::Infallible;
use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use super::arn::Arns;
use super::error::ApiError;
use super::operations::{Api, dispatch};
use super::reply::Reply;
use super::sigv4::{self, Credentials, SignedRequest};
use crate::ids::{IdSource, RandomIds};

/// Largest request body accepted (ECS's own limit for most operations is 1 MB).
pub const MAX_BODY: usize = 1024 * 1024;

/// The prefix of `X-Amz-Target` for ECS.
pub const TARGET_PREFIX: &str = "AmazonEC2ContainerServiceV20141113.";

const CONTENT_TYPE: &str = "application/x-amz-json-1.1";

/// The region when a request does not say (unsigned requests).
pub const DEFAULT_REGION: &str = "us-east-1";

pub struct Server {
    pub api: Arc<Api>,
    /// `None`: requests are not authenticated (loopback listeners only).
    pub credentials: Option<Arc<Credentials>>,
}

impl Server {
    /// Serves connections until `shutdown` completes.
    pub async fn run(
        self: Arc<Self>,
        listener: TcpListener,
        shutdown: impl std::future::Future<Output = ()>,
    ) {
        tokio::pin!(shutdown);
        let revisions = tokio::spawn(super::operations::remove_unused_revisions(self.api.clone()));
        loop {
            let accepted = tokio::select! {
                _ = &mut shutdown => break,
                accepted = listener.accept() => accepted,
            };
            let (stream, _) = match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    tracing::warn!("accepting a connection: {e}");
                    continue;
                }
            };
            let server = self.clone();
            tokio::spawn(async move {
                let service = service_fn(move |request| {
                    let server = server.clone();
                    async move { Ok::<_, Infallible>(server.handle(request).await) }
                });
                if let Err(e) = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await
                {
                    tracing::debug!("connection: {e}");
                }
            });
        }
        revisions.abort();
    }

    async fn handle(&self, request: Request<Incoming>) -> Response<Full<Bytes>> {
        let id = RandomIds.event_id();
        let result = self.answer(request).await;
        respond(&id, result)
    }

    async fn answer(&self, request: Request<Incoming>) -> Result<Reply, ApiError> {
        let (parts, body) = request.into_parts();
        if parts.method != hyper::Method::POST || parts.uri.path() != "/" {
            return Err(ApiError::client(
                "UnknownOperationException",
                "ECS takes `POST /` with an X-Amz-Target header",
            ));
        }
        let too_large = || {
            ApiError::client(
                "SerializationException",
                format!("the request body exceeds {MAX_BODY} bytes"),
            )
        };
        let length = parts
            .headers
            .get(hyper::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        if length.is_some_and(|l| l > MAX_BODY) {
            return Err(too_large());
        }
        let body = Limited::new(body, MAX_BODY)
            .collect()
            .await
            .map_err(|_| too_large())?
            .to_bytes();
        let headers: Vec<(String, String)> = parts
            .headers
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let signed = SignedRequest {
            method: parts.method.as_str(),
            path: parts.uri.path(),
            query: parts.uri.query().unwrap_or(""),
            headers: &headers,
            body: &body,
        };
        let region = match &self.credentials {
            Some(credentials) => {
                sigv4::verify(&signed, credentials, SystemTime::now())
                    .map_err(|e| ApiError::client(e.code(), e.to_string()))?
                    .region
            }
            None => sigv4::region_of(&signed).unwrap_or_else(|| DEFAULT_REGION.to_string()),
        };
        let target = parts
            .headers
            .get("x-amz-target")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let Some(operation) = target.strip_prefix(TARGET_PREFIX) else {
            return Err(ApiError::unknown_operation(target));
        };
        let text = String::from_utf8(body.to_vec())
            .map_err(|_| ApiError::serialization("the request body is not UTF-8"))?;
        let arns = Arns {
            region,
            account: self.api.account.clone(),
        };
        dispatch(self.api.clone(), arns, operation, text).await
    }
}

fn respond(id: &str, result: Result<Reply, ApiError>) -> Response<Full<Bytes>> {
    let (status, error, body) = match result {
        Ok(Reply::Json(bytes)) => (200, None, bytes),
        Ok(Reply::Value(value)) => (200, None, text(&super::shapes::prune(value))),
        Err(e) => (e.status, Some(e.code), text(&e.body())),
    };
    let mut builder = Response::builder()
        .status(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .header("content-type", CONTENT_TYPE)
        .header("x-amzn-requestid", id);
    if let Some(code) = error {
        builder = builder.header("x-amzn-errortype", code);
    }
    builder
        .body(Full::new(Bytes::from(body)))
        .unwrap_or_else(|_| Response::new(Full::new(Bytes::new())))
}

fn text(value: &serde_json::Value) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_else(|_| b"{}".to_vec())
}
