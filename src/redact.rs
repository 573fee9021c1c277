//! Credentials out of URLs before they are recorded or shown. Pure.
//!
//! A Git URL may carry a token as its user (`https://ghp_…@github.com/…`): all of its
//! userinfo goes. A PostgreSQL URL names a role worth showing: only its password goes.

/// `https://user:secret@host/x` → `https://host/x`; anything else unchanged.
pub fn without_userinfo(url: &str) -> String {
    rewrite(url, |_| None)
}

/// `postgres://user:secret@host/db` → `postgres://user@host/db`.
pub fn without_password(url: &str) -> String {
    rewrite(url, |userinfo| {
        Some(userinfo.split(':').next().unwrap_or_default().to_string())
    })
}

/// Splits `scheme://userinfo@host/path` and keeps what `keep` returns of the userinfo.
fn rewrite(url: &str, keep: impl Fn(&str) -> Option<String>) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match keep(userinfo) {
            Some(user) => format!("{scheme}://{user}@{host}{path}"),
            None => format!("{scheme}://{host}{path}"),
        },
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_urls_lose_their_userinfo_and_database_urls_their_password() {
        assert_eq!(
            without_userinfo("https://bot:ghp_secret@github.com/acme/deploy.git"),
            "https://github.com/acme/deploy.git"
        );
        assert_eq!(
            without_userinfo("ssh://git@example.com:22/x.git"),
            "ssh://example.com:22/x.git"
        );
        assert_eq!(
            without_userinfo("/srv/repos/deploy.git"),
            "/srv/repos/deploy.git"
        );
        assert_eq!(
            without_password("postgres://ecsctl:s3cret@127.0.0.1:5433/state"),
            "postgres://ecsctl@127.0.0.1:5433/state"
        );
        assert_eq!(
            without_password("postgres://127.0.0.1/state"),
            "postgres://127.0.0.1/state"
        );
    }
}
