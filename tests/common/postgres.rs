//! A private PostgreSQL database per test, on the server tests/run.sh starts on loopback
//! (`ECSCTL_TEST_POSTGRES_URL`: a role that may create databases). Dropped with the test.

use std::process::Command;

pub const URL_ENV: &str = "ECSCTL_TEST_POSTGRES_URL";
pub const RO_URL_ENV: &str = "ECSCTL_TEST_POSTGRES_RO_URL";

fn env_url(name: &str) -> String {
    match std::env::var(name) {
        Ok(url) if !url.is_empty() => url,
        _ => panic!(
            "no PostgreSQL server for the tests (${name} is not set); run the tests with tests/run.sh, which installs and starts one"
        ),
    }
}

/// Runs SQL through `psql` against `url`; returns its output (unaligned, tuples only).
pub fn psql(url: &str, sql: &str) -> String {
    let output = Command::new("psql")
        .args([url, "-v", "ON_ERROR_STOP=1", "-qAt", "-c", sql])
        .output()
        .expect("psql runs (Debian: postgresql-client; tests/run.sh installs it)");
    assert!(
        output.status.success(),
        "psql {sql:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

/// `url` with its database replaced by `db`.
fn with_db(url: &str, db: &str) -> String {
    let (base, _) = url.rsplit_once('/').expect("a URL with a database");
    format!("{base}/{db}")
}

pub struct TestDb {
    pub name: String,
    admin: String,
    /// The writer's URL (owns the database).
    pub url: String,
    /// A role that may only read.
    pub ro_url: String,
}

impl TestDb {
    pub fn new() -> Self {
        let admin = env_url(URL_ENV);
        let ro = env_url(RO_URL_ENV);
        let unique: u32 = rand::random();
        let name = format!("ecsctl_t_{unique:08x}");
        psql(&admin, &format!("CREATE DATABASE {name}"));
        let url = with_db(&admin, &name);
        let ro_user = ro
            .split_once("://")
            .and_then(|(_, rest)| rest.split([':', '@']).next())
            .expect("a user in the read-only URL")
            .to_string();
        psql(
            &url,
            &format!(
                "GRANT CONNECT ON DATABASE {name} TO {ro_user}; \
                 ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO {ro_user}"
            ),
        );
        TestDb {
            ro_url: with_db(&ro, &name),
            name,
            admin,
            url,
        }
    }

    /// The state as the library reads it.
    pub fn read_state(&self) -> Option<ecsctl::state::State> {
        store(&self.url).read_state().expect("state readable")
    }
}

pub fn store(url: &str) -> ecsctl::state::backend::Store {
    ecsctl::state::backend::Store::at(&ecsctl::state::backend::Location::parse(url)).expect("store")
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let _ = Command::new("psql")
            .args([
                self.admin.as_str(),
                "-qAt",
                "-c",
                &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
            ])
            .output();
    }
}
