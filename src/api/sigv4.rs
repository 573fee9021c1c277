//! AWS Signature Version 4, verified: the canonical request, the string to sign, the
//! signing key, and the checks around them (known access key, a timestamp within ±15
//! minutes, the credential scope's date matching it, the payload hash). Signatures are
//! compared in constant time. Pure: the caller passes the request's parts and the time.
//!
//! Credentials come from a file of `ACCESS_KEY_ID SECRET_ACCESS_KEY` lines (mode 0600).

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, bail};

/// How far a request's `X-Amz-Date` may be from the server's clock.
pub const MAX_SKEW: Duration = Duration::from_secs(15 * 60);

const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// Access key id → secret access key.
#[derive(Clone, Default)]
pub struct Credentials {
    keys: BTreeMap<String, String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the secrets.
        f.debug_list().entries(self.keys.keys()).finish()
    }
}

impl Credentials {
    pub fn from_pairs<I: IntoIterator<Item = (String, String)>>(pairs: I) -> Self {
        Credentials {
            keys: pairs.into_iter().collect(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Reads a credentials file; refuses one that others than its owner can read.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        use std::os::unix::fs::PermissionsExt as _;
        let shown = path.display();
        let meta = std::fs::metadata(path)
            .with_context(|| format!("reading the credentials file `{shown}`"))?;
        if meta.permissions().mode() & 0o077 != 0 {
            bail!(
                "the credentials file `{shown}` can be read by others (mode {:o}); run `chmod 600 {shown}`",
                meta.permissions().mode() & 0o777
            );
        }
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading the credentials file `{shown}`"))?;
        Self::parse(&text).with_context(|| format!("in the credentials file `{shown}`"))
    }

    /// `ACCESS_KEY_ID SECRET` (or `ACCESS_KEY_ID=SECRET`) per line; `#` starts a comment.
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let mut keys = BTreeMap::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut parts = line.splitn(2, |c: char| c.is_whitespace() || c == '=');
            let (Some(id), Some(secret)) = (parts.next(), parts.next()) else {
                bail!("line {}: expected `ACCESS_KEY_ID SECRET_ACCESS_KEY`", i + 1);
            };
            let secret = secret.trim();
            if id.is_empty() || secret.is_empty() {
                bail!("line {}: expected `ACCESS_KEY_ID SECRET_ACCESS_KEY`", i + 1);
            }
            keys.insert(id.to_string(), secret.to_string());
        }
        if keys.is_empty() {
            bail!("no credentials");
        }
        Ok(Credentials { keys })
    }
}

/// The parts of an HTTP request that are signed. Header names in any case.
pub struct SignedRequest<'a> {
    pub method: &'a str,
    /// The path as received (still percent-encoded).
    pub path: &'a str,
    /// The query string as received, without `?`.
    pub query: &'a str,
    pub headers: &'a [(String, String)],
    pub body: &'a [u8],
}

impl SignedRequest<'_> {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Who signed a request, and for where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    pub access_key: String,
    pub region: String,
    pub service: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AuthError {
    #[error("Missing Authentication Token")]
    Missing,
    #[error("{0}")]
    Malformed(String),
    #[error("The security token included in the request is invalid.")]
    UnknownKey,
    #[error("Signature expired: {date} is not within 15 minutes of the server's time.")]
    Stale { date: String },
    #[error(
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method."
    )]
    BadSignature,
}

impl AuthError {
    /// The ECS error code a client sees.
    pub fn code(&self) -> &'static str {
        match self {
            AuthError::Missing => "MissingAuthenticationTokenException",
            AuthError::Malformed(_) => "IncompleteSignatureException",
            AuthError::UnknownKey => "UnrecognizedClientException",
            AuthError::Stale { .. } | AuthError::BadSignature => "InvalidSignatureException",
        }
    }
}

/// The `Authorization` header's parts.
#[derive(Debug, PartialEq, Eq)]
pub struct Authorization {
    pub access_key: String,
    pub date: String,
    pub region: String,
    pub service: String,
    pub signed_headers: Vec<String>,
    pub signature: String,
}

impl Authorization {
    pub fn scope(&self) -> String {
        format!(
            "{}/{}/{}/aws4_request",
            self.date, self.region, self.service
        )
    }
}

/// `AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/ecs/aws4_request,
/// SignedHeaders=host;x-amz-date, Signature=hex`.
pub fn parse_authorization(value: &str) -> Result<Authorization, AuthError> {
    let malformed = |what: &str| AuthError::Malformed(format!("Authorization header: {what}"));
    let rest = value
        .trim()
        .strip_prefix(ALGORITHM)
        .ok_or_else(|| malformed("only AWS4-HMAC-SHA256 is supported"))?;
    let mut credential = None;
    let mut signed = None;
    let mut signature = None;
    for part in rest.split(',') {
        let part = part.trim();
        if let Some(v) = part.strip_prefix("Credential=") {
            credential = Some(v);
        } else if let Some(v) = part.strip_prefix("SignedHeaders=") {
            signed = Some(v);
        } else if let Some(v) = part.strip_prefix("Signature=") {
            signature = Some(v);
        }
    }
    let credential = credential.ok_or_else(|| malformed("no Credential"))?;
    let signed = signed.ok_or_else(|| malformed("no SignedHeaders"))?;
    let signature = signature.ok_or_else(|| malformed("no Signature"))?;
    let parts: Vec<&str> = credential.split('/').collect();
    let [access_key, date, region, service, "aws4_request"] = parts.as_slice() else {
        return Err(malformed(
            "Credential must be KEY/DATE/REGION/SERVICE/aws4_request",
        ));
    };
    let signed_headers: Vec<String> = signed.split(';').map(str::to_ascii_lowercase).collect();
    if !signed_headers.iter().any(|h| h == "host") {
        return Err(malformed("the host header must be signed"));
    }
    Ok(Authorization {
        access_key: access_key.to_string(),
        date: date.to_string(),
        region: region.to_string(),
        service: service.to_string(),
        signed_headers,
        signature: signature.to_ascii_lowercase(),
    })
}

/// RFC 3986 percent-encoding of everything but the unreserved characters (and `/` when
/// `keep_slash`), as SigV4 asks.
pub fn uri_encode(text: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(b as char)
            }
            b'/' if keep_slash => out.push('/'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(text.get(i + 1..i + 3).unwrap_or("zz"), 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn canonical_query(query: &str) -> String {
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (
                uri_encode(&percent_decode(k), false),
                uri_encode(&percent_decode(v), false),
            )
        })
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

fn collapse(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub use crate::digest::{constant_time_eq, hex, sha256_hex};

/// The canonical request of SigV4 (task 1).
pub fn canonical_request(request: &SignedRequest<'_>, signed_headers: &[String]) -> String {
    let path = if request.path.is_empty() {
        "/"
    } else {
        request.path
    };
    let mut headers = String::new();
    for name in signed_headers {
        let values: Vec<String> = request
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| collapse(v))
            .collect();
        headers.push_str(&format!("{name}:{}\n", values.join(",")));
    }
    format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        request.method,
        uri_encode(path, true),
        canonical_query(request.query),
        headers,
        signed_headers.join(";"),
        sha256_hex(request.body)
    )
}

/// The string to sign (task 2).
pub fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &str) -> String {
    format!(
        "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
        sha256_hex(canonical_request.as_bytes())
    )
}

use crate::digest::hmac_sha256 as hmac;

/// The signing key (task 3): HMAC chain over date, region, service and `aws4_request`.
pub fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> Vec<u8> {
    let k_date = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k_region = hmac(&k_date, region.as_bytes());
    let k_service = hmac(&k_region, service.as_bytes());
    hmac(&k_service, b"aws4_request")
}

/// The signature (task 4), lowercase hex.
pub fn signature(key: &[u8], string_to_sign: &str) -> String {
    hex(&hmac(key, string_to_sign.as_bytes()))
}

/// `20150830T123600Z` → seconds since the epoch.
pub fn parse_amz_date(text: &str) -> Option<u64> {
    let b = text.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> { text.get(r)?.parse().ok() };
    let (y, mo, d) = (num(0..4)?, num(4..6)?, num(6..8)?);
    let (h, mi, s) = (num(9..11)?, num(11..13)?, num(13..15)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    // Days from civil (Howard Hinnant's algorithm).
    let y = if mo <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    u64::try_from(days * 86_400 + h * 3600 + mi * 60 + s).ok()
}

/// The region a request was signed for, without verifying it (for unauthenticated access).
pub fn region_of(request: &SignedRequest<'_>) -> Option<String> {
    parse_authorization(request.header("authorization")?)
        .ok()
        .map(|a| a.region)
}

/// Verifies a request's signature against `credentials` at time `now`.
pub fn verify(
    request: &SignedRequest<'_>,
    credentials: &Credentials,
    now: SystemTime,
) -> Result<Verified, AuthError> {
    let header = request.header("authorization").ok_or(AuthError::Missing)?;
    let auth = parse_authorization(header)?;
    let amz_date = request
        .header("x-amz-date")
        .ok_or_else(|| AuthError::Malformed("the X-Amz-Date header is missing".into()))?
        .trim()
        .to_string();
    let at = parse_amz_date(&amz_date)
        .ok_or_else(|| AuthError::Malformed(format!("X-Amz-Date `{amz_date}` is not valid")))?;
    if !amz_date.starts_with(&auth.date) {
        return Err(AuthError::Malformed(format!(
            "the credential scope's date {} is not the date of X-Amz-Date {amz_date}",
            auth.date
        )));
    }
    let now = now
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    if now.abs_diff(at) > MAX_SKEW.as_secs() {
        return Err(AuthError::Stale { date: amz_date });
    }
    if let Some(claimed) = request.header("x-amz-content-sha256")
        && claimed != "UNSIGNED-PAYLOAD"
        && !constant_time_eq(claimed.as_bytes(), sha256_hex(request.body).as_bytes())
    {
        return Err(AuthError::BadSignature);
    }
    let Some(secret) = credentials.keys.get(&auth.access_key) else {
        return Err(AuthError::UnknownKey);
    };
    let canonical = canonical_request(request, &auth.signed_headers);
    let to_sign = string_to_sign(&amz_date, &auth.scope(), &canonical);
    let key = signing_key(secret, &auth.date, &auth.region, &auth.service);
    let expected = signature(&key, &to_sign);
    if !constant_time_eq(expected.as_bytes(), auth.signature.as_bytes()) {
        return Err(AuthError::BadSignature);
    }
    Ok(Verified {
        access_key: auth.access_key,
        region: auth.region,
        service: auth.service,
    })
}

#[cfg(test)]
mod tests;
