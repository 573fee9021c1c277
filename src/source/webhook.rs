//! Push webhooks of Git hosts: is this request from the host that knows our secret? Pure:
//! headers and body in, a verdict out.
//!
//! | host | header | scheme |
//! |---|---|---|
//! | GitHub | `X-Hub-Signature-256: sha256=HEX` | HMAC-SHA256 of the body |
//! | Gitea, Forgejo | `X-Gitea-Signature: HEX` (`X-Forgejo-Signature`) | HMAC-SHA256 of the body |
//! | GitLab | `X-Gitlab-Token: SECRET` | the secret itself, compared in constant time |
//!
//! GitHub's older `X-Hub-Signature` (SHA-1) is not accepted.

use crate::digest::{constant_time_eq, hex, hmac_sha256};

/// What a verified request asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// A push (or any event we fetch on): fetch now.
    Fetch { host: GitHost },
    /// A verified ping (GitHub's `ping`, a test delivery): nothing to do.
    Ping { host: GitHost },
    /// No signature header of any known host.
    Unsigned,
    /// A signature that does not match the secret.
    BadSignature { host: GitHost },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GitHost {
    GitHub,
    Gitea,
    GitLab,
}

impl GitHost {
    pub fn name(self) -> &'static str {
        match self {
            GitHost::GitHub => "GitHub",
            GitHost::Gitea => "Gitea",
            GitHost::GitLab => "GitLab",
        }
    }
}

/// Checks a delivery. `header` looks a header up by its lowercase name.
pub fn verify(secret: &[u8], header: &dyn Fn(&str) -> Option<String>, body: &[u8]) -> Verdict {
    let expected = hex(&hmac_sha256(secret, body));
    // Gitea sends both its own header and GitHub's; its own says who it is.
    let signed =
        if let Some(sig) = header("x-gitea-signature").or_else(|| header("x-forgejo-signature")) {
            Some((
                GitHost::Gitea,
                constant_time_eq(sig.trim().as_bytes(), expected.as_bytes()),
            ))
        } else if let Some(sig) = header("x-hub-signature-256") {
            let sig = sig.trim();
            let matches = sig
                .strip_prefix("sha256=")
                .is_some_and(|hex| constant_time_eq(hex.as_bytes(), expected.as_bytes()));
            Some((GitHost::GitHub, matches))
        } else {
            header("x-gitlab-token").map(|token| {
                (
                    GitHost::GitLab,
                    !secret.is_empty() && constant_time_eq(token.as_bytes(), secret),
                )
            })
        };
    match signed {
        None => Verdict::Unsigned,
        Some((host, false)) => Verdict::BadSignature { host },
        Some((host, true)) => {
            let event = header("x-github-event")
                .or_else(|| header("x-gitea-event"))
                .or_else(|| header("x-gitlab-event"))
                .unwrap_or_default()
                .to_ascii_lowercase();
            if event == "ping" {
                Verdict::Ping { host }
            } else {
                Verdict::Fetch { host }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"It's a Secret to Everybody";
    const BODY: &[u8] = b"Hello, World!";
    // GitHub's documented example of this secret and body.
    const GITHUB_SIG: &str =
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

    fn headers(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        }
    }

    #[test]
    fn github_signature_of_its_documented_example() {
        let h = headers(&[
            ("x-hub-signature-256", GITHUB_SIG),
            ("x-github-event", "push"),
        ]);
        assert_eq!(
            verify(SECRET, &h, BODY),
            Verdict::Fetch {
                host: GitHost::GitHub
            }
        );
        let ping = headers(&[
            ("x-hub-signature-256", GITHUB_SIG),
            ("x-github-event", "ping"),
        ]);
        assert_eq!(
            verify(SECRET, &ping, BODY),
            Verdict::Ping {
                host: GitHost::GitHub
            }
        );
    }

    #[test]
    fn a_changed_body_or_another_secret_is_refused() {
        let h = headers(&[("x-hub-signature-256", GITHUB_SIG)]);
        let bad = Verdict::BadSignature {
            host: GitHost::GitHub,
        };
        assert_eq!(verify(SECRET, &h, b"Hello, World?"), bad);
        assert_eq!(verify(b"another", &h, BODY), bad);
        let no_prefix = headers(&[("x-hub-signature-256", &GITHUB_SIG[7..])]);
        assert_eq!(verify(SECRET, &no_prefix, BODY), bad);
    }

    #[test]
    fn gitea_signs_without_a_prefix() {
        let sig = &GITHUB_SIG[7..];
        let h = headers(&[
            ("x-gitea-signature", sig),
            ("x-hub-signature-256", "sha256=00"),
        ]);
        assert_eq!(
            verify(SECRET, &h, BODY),
            Verdict::Fetch {
                host: GitHost::Gitea
            }
        );
        let wrong = headers(&[("x-gitea-signature", "00")]);
        assert_eq!(
            verify(SECRET, &wrong, BODY),
            Verdict::BadSignature {
                host: GitHost::Gitea
            }
        );
    }

    #[test]
    fn gitlab_sends_the_token_itself() {
        let secret = "It's a Secret to Everybody";
        let h = headers(&[("x-gitlab-token", secret), ("x-gitlab-event", "Push Hook")]);
        assert_eq!(
            verify(SECRET, &h, BODY),
            Verdict::Fetch {
                host: GitHost::GitLab
            }
        );
        let wrong = headers(&[("x-gitlab-token", "guess")]);
        assert_eq!(
            verify(SECRET, &wrong, BODY),
            Verdict::BadSignature {
                host: GitHost::GitLab
            }
        );
    }

    #[test]
    fn no_signature_is_unsigned() {
        assert_eq!(verify(SECRET, &headers(&[]), BODY), Verdict::Unsigned);
        let sha1_only = headers(&[("x-hub-signature", "sha1=abc")]);
        assert_eq!(verify(SECRET, &sha1_only, BODY), Verdict::Unsigned);
    }
}
