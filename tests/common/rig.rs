//! The multi-host rig (`tests/rig/rig.sh`): three real Docker hosts in network namespaces,
//! reached over real SSH. Brought up once per test binary; the tests that use it run one at
//! a time (they inject faults into shared hosts).
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::process::Command;
use std::sync::{Mutex, MutexGuard, OnceLock};

use super::docker::ensure_image;

pub struct Rig {
    pub vars: BTreeMap<String, String>,
}

static RIG: OnceLock<Rig> = OnceLock::new();
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// The rig, up with three hosts (their daemons keep containers across restarts, as a real
/// host with live-restore would), and a guard that keeps other rig tests out.
pub fn rig() -> (&'static Rig, MutexGuard<'static, ()>) {
    let guard = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let rig = RIG.get_or_init(|| {
        ensure_image();
        let script = super::repo_root().join("tests/rig/rig.sh");
        let status = Command::new("bash")
            .arg(&script)
            .args(["up", "3"])
            .env("ECSCTL_RIG_LIVE_RESTORE", "1")
            .status()
            .expect("tests/rig/rig.sh runs");
        assert!(
            status.success(),
            "the rig did not come up (tests/rig/rig.sh up 3)"
        );
        let dir = std::env::var("ECSCTL_RIG_DIR").unwrap_or_else(|_| "/tmp/ecsctl-rig".into());
        let text = std::fs::read_to_string(format!("{dir}/env")).expect("the rig's env file");
        let vars = text
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.trim_matches('"').to_string()))
            .collect();
        Rig { vars }
    });
    (rig, guard)
}

impl Rig {
    pub fn var(&self, key: &str) -> &str {
        self.vars
            .get(key)
            .map(String::as_str)
            .unwrap_or_else(|| panic!("{key} missing from the rig env"))
    }

    pub fn ssh(&self) -> &str {
        self.var("RIG_SSH")
    }

    pub fn socket(&self, host: u32) -> String {
        self.var(&format!("RIG_HOST_{host}_SOCKET")).to_string()
    }

    /// A Cluster manifest of the three hosts, `zone` z1..z3, plus `extra` per host (indented
    /// YAML appended to each host entry).
    pub fn cluster(&self, name: &str, extra: &str) -> String {
        let mut text = format!(
            "apiVersion: ecsctl/v1\nkind: Cluster\nmetadata: {{ name: {name} }}\nspec:\n  hosts:\n"
        );
        for i in 1..=3 {
            text.push_str(&format!(
                "    - name: h{i}\n      endpoint: {}\n      dockerSocket: {}\n      attributes: {{ zone: z{i} }}\n{extra}",
                self.var(&format!("RIG_HOST_{i}_ENDPOINT")),
                self.socket(i),
            ));
        }
        text.push_str("---\n");
        text
    }

    /// `docker -H <host i's socket> ARGS`.
    pub fn docker(&self, host: u32, args: &[&str]) -> (bool, String) {
        let socket = format!("unix://{}", self.socket(host));
        let mut full = vec!["-H", &socket];
        full.extend_from_slice(args);
        let (ok, out, err) = super::docker::docker(&full);
        (ok, if ok { out } else { err })
    }

    /// Running containers of `cluster` on host `i`.
    pub fn running(&self, host: u32, cluster: &str) -> usize {
        super::docker::running_containers(Some(&self.socket(host)), cluster)
    }

    pub fn fault(&self, what: &str, host: u32) {
        let script = super::repo_root().join("tests/rig/rig.sh");
        let status = Command::new("bash")
            .arg(&script)
            .args([what, &host.to_string()])
            .env("ECSCTL_RIG_LIVE_RESTORE", "1")
            .status()
            .expect("rig.sh runs");
        assert!(status.success(), "rig.sh {what} {host} failed");
    }

    /// Removes a cluster's containers from every host.
    pub fn clean(&self, cluster: &str) {
        let filter = format!("label=ecsctl.cluster={cluster}");
        for i in 1..=3 {
            let (ok, out) = self.docker(i, &["ps", "-aq", "--filter", &filter]);
            if ok && !out.trim().is_empty() {
                let mut args = vec!["rm", "-f"];
                args.extend(out.lines());
                let _ = self.docker(i, &args);
            }
        }
    }
}

/// Cleans a test cluster off the rig when dropped.
pub struct RigCluster {
    pub name: String,
    pub rig: &'static Rig,
    pub _guard: MutexGuard<'static, ()>,
}

impl RigCluster {
    pub fn new(prefix: &str) -> Self {
        let (rig, guard) = rig();
        let unique: u32 = rand::random();
        RigCluster {
            name: format!("r-{prefix}-{unique:08x}"),
            rig,
            _guard: guard,
        }
    }

    /// Running containers of this cluster per host: [h1, h2, h3].
    pub fn spread(&self) -> [usize; 3] {
        [1, 2, 3].map(|i| self.rig.running(i, &self.name))
    }
}

impl Drop for RigCluster {
    fn drop(&mut self) {
        self.rig.clean(&self.name);
    }
}
