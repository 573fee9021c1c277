//! The Docker client's `config.json`: which source holds the credentials of a registry.
//! Read in the order the Docker CLI reads it: a per-registry `credHelpers` entry, else the
//! `credsStore` for every registry, else the file's own `auths`.

use std::collections::BTreeMap;

use base64::Engine as _;
use serde::Deserialize;

use super::reference::normalize_registry;

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DockerConfig {
    #[serde(default)]
    auths: BTreeMap<String, AuthEntry>,
    #[serde(default)]
    creds_store: Option<String>,
    #[serde(default)]
    cred_helpers: BTreeMap<String, String>,
}

/// One `auths` entry: `auth` is base64 of `user:password`; `identitytoken` an OAuth token.
#[derive(Clone, Default, Deserialize)]
pub struct AuthEntry {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    identitytoken: Option<String>,
}

impl std::fmt::Debug for AuthEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuthEntry(redacted)")
    }
}

/// Where a registry's credentials are, per the config.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigSource<'a> {
    /// `credHelpers`: `docker-credential-NAME` for this registry.
    Helper(&'a str),
    /// `credsStore`: `docker-credential-NAME` for every registry.
    Store(&'a str),
    /// An entry of `auths`, by its key.
    Auths(&'a str),
}

/// Credentials read from an `auths` entry.
#[derive(Clone, PartialEq, Eq)]
pub struct Login {
    pub username: String,
    pub password: String,
    pub identity_token: Option<String>,
}

impl std::fmt::Debug for Login {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Login({}, redacted)", self.username)
    }
}

pub fn parse(text: &str) -> Result<DockerConfig, String> {
    serde_json::from_str(text).map_err(|e| {
        format!(
            "not a Docker client config (line {}, column {}): {}",
            e.line(),
            e.column(),
            e.classify_kind()
        )
    })
}

/// serde_json's error category, without its message (which may quote the file's text).
trait Classify {
    fn classify_kind(&self) -> &'static str;
}

impl Classify for serde_json::Error {
    fn classify_kind(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Io => "cannot be read",
            serde_json::error::Category::Syntax => "invalid JSON",
            serde_json::error::Category::Data => "a field has the wrong type",
            serde_json::error::Category::Eof => "the file ends early",
        }
    }
}

impl DockerConfig {
    pub fn source_for(&self, registry: &str) -> Option<ConfigSource<'_>> {
        if let Some(helper) = self
            .cred_helpers
            .iter()
            .find(|(key, _)| normalize_registry(key) == registry)
            .map(|(_, helper)| helper.as_str())
            .filter(|h| !h.is_empty())
        {
            return Some(ConfigSource::Helper(helper));
        }
        if let Some(store) = self.creds_store.as_deref().filter(|s| !s.is_empty()) {
            return Some(ConfigSource::Store(store));
        }
        self.auths
            .iter()
            .find(|(key, entry)| normalize_registry(key) == registry && entry.has_credentials())
            .map(|(key, _)| ConfigSource::Auths(key.as_str()))
    }

    /// The credentials of the `auths` entry `key`.
    pub fn login(&self, key: &str) -> Result<Login, String> {
        let entry = self
            .auths
            .get(key)
            .ok_or_else(|| format!("no `auths` entry for `{key}`"))?;
        entry.login(key)
    }
}

impl AuthEntry {
    fn has_credentials(&self) -> bool {
        self.auth.as_deref().is_some_and(|a| !a.is_empty())
            || self.username.is_some()
            || self.identitytoken.is_some()
    }

    fn login(&self, key: &str) -> Result<Login, String> {
        let identity_token = self.identitytoken.clone().filter(|t| !t.is_empty());
        if let Some(auth) = self.auth.as_deref().filter(|a| !a.is_empty()) {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(auth.trim())
                .map_err(|_| format!("the `auth` of `auths.{key}` is not base64"))?;
            let text = String::from_utf8(bytes)
                .map_err(|_| format!("the `auth` of `auths.{key}` is not UTF-8"))?;
            let (username, password) = text.split_once(':').ok_or_else(|| {
                format!("the `auth` of `auths.{key}` is not base64 of `user:password`")
            })?;
            return Ok(Login {
                username: username.to_string(),
                password: password.to_string(),
                identity_token,
            });
        }
        Ok(Login {
            username: self.username.clone().unwrap_or_default(),
            password: self.password.clone().unwrap_or_default(),
            identity_token,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = r#"{
        "auths": {
            "https://index.docker.io/v1/": {"auth": "aHViOmh1Yi1zZWNyZXQ="},
            "registry.example.com:5000": {"auth": "YWxpY2U6czNjcjN0OndpdGgtY29sb24="},
            "ghcr.io": {},
            "token.example.com": {"identitytoken": "tok"}
        },
        "credHelpers": {
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com": "ecr-login",
            "https://gitlab.example.com": "gitlab"
        }
    }"#;

    #[test]
    fn finds_each_registrys_source_in_the_clis_order() {
        let config = parse(CONFIG).expect("parses");
        assert_eq!(
            config.source_for("123456789012.dkr.ecr.eu-west-1.amazonaws.com"),
            Some(ConfigSource::Helper("ecr-login"))
        );
        assert_eq!(
            config.source_for("gitlab.example.com"),
            Some(ConfigSource::Helper("gitlab"))
        );
        assert_eq!(
            config.source_for("docker.io"),
            Some(ConfigSource::Auths("https://index.docker.io/v1/"))
        );
        assert_eq!(
            config.source_for("registry.example.com:5000"),
            Some(ConfigSource::Auths("registry.example.com:5000"))
        );
        // An empty entry is what `docker login` leaves when a store holds the secret.
        assert_eq!(config.source_for("ghcr.io"), None);
        assert_eq!(config.source_for("quay.io"), None);

        let store = parse(r#"{"credsStore": "desktop", "credHelpers": {"ghcr.io": "gh"}}"#)
            .expect("parses");
        assert_eq!(
            store.source_for("ghcr.io"),
            Some(ConfigSource::Helper("gh"))
        );
        assert_eq!(
            store.source_for("quay.io"),
            Some(ConfigSource::Store("desktop"))
        );
    }

    #[test]
    fn decodes_auths_entries() {
        let config = parse(CONFIG).expect("parses");
        let login = config.login("registry.example.com:5000").expect("login");
        assert_eq!(login.username, "alice");
        // Only the first colon separates: passwords may contain colons.
        assert_eq!(login.password, "s3cr3t:with-colon");
        let token = config.login("token.example.com").expect("login");
        assert_eq!(token.identity_token.as_deref(), Some("tok"));
        assert!(!format!("{login:?}").contains("s3cr3t"));

        let bad = parse(r#"{"auths": {"r.example.com": {"auth": "!!!"}}}"#).expect("parses");
        assert_eq!(
            bad.login("r.example.com").expect_err("not base64"),
            "the `auth` of `auths.r.example.com` is not base64"
        );
    }

    #[test]
    fn a_broken_config_names_the_place_not_the_content() {
        let error = parse("{\"auths\": {\"x\": {\"auth\": \"c2VjcmV0\"}").expect_err("broken");
        assert!(
            error.starts_with("not a Docker client config (line 1"),
            "{error}"
        );
        assert!(!error.contains("c2VjcmV0"));
        let error = parse(r#"{"auths": []}"#).expect_err("wrong type");
        assert!(error.contains("a field has the wrong type"), "{error}");
    }
}
