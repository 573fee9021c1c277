//! The real Docker side of the end-to-end tests: the test image (built once per run, from the
//! static busybox, without any registry), a private cluster name per test, and cleanup of
//! every container and volume that test created.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The image every test task runs: `sh`, `httpd`, `nc`, `sleep`, `wget` in about 2 MB.
pub const IMAGE: &str = "ecsctl-test/busybox:1";

/// Running containers of `cluster` on the local daemon, or on the daemon at `socket`.
pub fn running_containers(socket: Option<&str>, cluster: &str) -> usize {
    let host = socket.map(|s| format!("unix://{s}"));
    let filter = format!("label=ecsctl.cluster={cluster}");
    let mut args = Vec::new();
    if let Some(host) = &host {
        args.extend(["-H", host.as_str()]);
    }
    args.extend([
        "ps",
        "-q",
        "--filter",
        &filter,
        "--filter",
        "status=running",
    ]);
    let (ok, out, _) = docker(&args);
    if ok { out.lines().count() } else { 0 }
}

pub fn docker(args: &[&str]) -> (bool, String, String) {
    let output = Command::new("docker")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("the docker CLI runs (tests/run.sh installs it)");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

pub fn docker_ok(args: &[&str]) -> String {
    let (ok, out, err) = docker(args);
    assert!(ok, "docker {args:?} failed: {err}");
    out
}

/// Makes sure a Docker daemon answers and the test image exists (built at most once per
/// test run: a lock file serialises the test binaries).
pub fn ensure_image() {
    let (ok, _, err) = docker(&["version", "--format", "{{.Server.Version}}"]);
    assert!(
        ok,
        "no Docker daemon answers ({err}); run the tests with tests/run.sh, which installs and starts one"
    );
    let lock_path = std::env::temp_dir().join("ecsctl-test-image.lock");
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .expect("lock file");
    use std::os::fd::AsRawFd;
    // SAFETY: an exclusive flock on a file we own, released when `lock` is dropped.
    unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX) };
    if docker(&["image", "inspect", IMAGE]).0 {
        return;
    }
    let busybox = ["/bin/busybox", "/usr/bin/busybox"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .expect("a static busybox (Debian: busybox-static; tests/run.sh installs it)");
    let root = tempfile::tempdir().expect("tempdir");
    let bin = root.path().join("bin");
    std::fs::create_dir_all(&bin).expect("mkdir");
    std::fs::create_dir_all(root.path().join("tmp")).expect("mkdir");
    std::fs::create_dir_all(root.path().join("etc")).expect("mkdir");
    std::fs::copy(busybox, bin.join("busybox")).expect("copy busybox");
    let list = Command::new(busybox)
        .arg("--list")
        .output()
        .expect("busybox --list");
    for applet in String::from_utf8_lossy(&list.stdout).lines() {
        if applet != "busybox" {
            let _ = std::os::unix::fs::symlink("busybox", bin.join(applet));
        }
    }
    std::fs::write(
        root.path().join("etc/passwd"),
        "root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n",
    )
    .expect("passwd");
    let tar = root.path().join("rootfs.tar");
    let status = Command::new("tar")
        .args([
            "-C",
            &root.path().display().to_string(),
            "-cf",
            &tar.display().to_string(),
            "bin",
            "tmp",
            "etc",
        ])
        .status()
        .expect("tar");
    assert!(status.success());
    docker_ok(&[
        "import",
        "-c",
        "CMD [\"/bin/sh\"]",
        "-c",
        "ENV PATH=/bin",
        &tar.display().to_string(),
        IMAGE,
    ]);
}

/// A private cluster for one test: its containers are removed when it is dropped.
pub struct TestCluster {
    pub name: String,
}

impl TestCluster {
    pub fn new(prefix: &str) -> Self {
        ensure_image();
        let unique: u32 = rand::random();
        TestCluster {
            name: format!("t-{prefix}-{unique:08x}"),
        }
    }

    /// A Cluster manifest with the local daemon as its only host.
    pub fn manifest(&self) -> String {
        format!(
            "apiVersion: ecsctl/v1\nkind: Cluster\nmetadata: {{ name: {} }}\nspec:\n  hosts:\n    - {{ name: local, endpoint: local, attributes: {{ zone: a }} }}\n---\n",
            self.name
        )
    }

    /// `docker ps` of this cluster's containers (running only unless `all`).
    pub fn containers(&self, filters: &[&str], all: bool) -> Vec<String> {
        let label = format!("label=ecsctl.cluster={}", self.name);
        let mut args = vec!["ps", "-q", "--no-trunc", "--filter", &label];
        for f in filters {
            args.push("--filter");
            args.push(f);
        }
        if all {
            args.push("-a");
        }
        docker_ok(&args).lines().map(str::to_string).collect()
    }

    pub fn running(&self, service: &str) -> Vec<String> {
        let label = format!("label=ecsctl.service={service}");
        self.containers(&[&label, "status=running"], false)
    }
}

impl Drop for TestCluster {
    fn drop(&mut self) {
        let ids = self.containers(&[], true);
        if !ids.is_empty() {
            let mut args = vec!["rm", "-f", "-v"];
            args.extend(ids.iter().map(String::as_str));
            let _ = docker(&args);
        }
        let label = format!("label=ecsctl.cluster={}", self.name);
        let (_, volumes, _) = docker(&["volume", "ls", "-q", "--filter", &label]);
        for volume in volumes.lines() {
            let _ = docker(&["volume", "rm", "-f", volume]);
        }
    }
}

pub fn inspect(id: &str) -> Value {
    let out = docker_ok(&["inspect", id]);
    let value: Value = serde_json::from_str(&out).expect("inspect json");
    value[0].clone()
}

pub fn label(inspect: &Value, key: &str) -> String {
    inspect["Config"]["Labels"][key]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// Polls `check` until it returns true or `timeout` passes.
pub fn wait_for(what: &str, timeout: Duration, mut check: impl FnMut() -> bool) {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if check() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("timed out after {timeout:?} waiting for {what}");
}

/// The proxy image of the traffic tests, built from Debian's haproxy package (no registry).
pub const HAPROXY_IMAGE: &str = "ecsctl-test/haproxy:2.6";

/// Builds [`HAPROXY_IMAGE`] on the main daemon unless it is there.
pub fn ensure_haproxy_image() {
    if docker(&["image", "inspect", HAPROXY_IMAGE]).0 {
        return;
    }
    let status = std::process::Command::new("bash")
        .args([
            "-c",
            &format!(". .ci/lib.sh; ensure_haproxy_image {HAPROXY_IMAGE}"),
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .expect("bash");
    assert!(status.success(), "building {HAPROXY_IMAGE} failed");
}

/// A Fargate task definition of 0.25 vCPU and 512 MiB, `oom`: a container fills 300 MiB of a
/// tmpfs and holds it, then another allocates 300 MiB; alone each fits, together they pass
/// the task size, so the second is OOM-killed only if the task is bounded as a whole.
pub fn fargate_oom_task_definition() -> String {
    format!(
        "apiVersion: ecsctl/v1
kind: TaskDefinition
metadata: {{ name: oom }}
spec:
  requiresCompatibilities: [FARGATE]
  networkMode: awsvpc
  cpu: 0.25 vCPU
  memory: '512'
  volumes: [{{ name: shared }}]
  containerDefinitions:
    - name: holder
      image: {IMAGE}
      essential: false
      stopTimeout: 2
      linuxParameters: {{ tmpfs: [{{ containerPath: /fill, size: 400 }}] }}
      mountPoints: [{{ sourceVolume: shared, containerPath: /shared }}]
      command: [sh, -c, \"head -c 300m /dev/zero > /fill/x && touch /shared/ready; trap 'exit 0' TERM; sleep 3600 & wait\"]
    - name: hog
      image: {IMAGE}
      mountPoints: [{{ sourceVolume: shared, containerPath: /shared }}]
      command: [sh, -c, \"while [ ! -e /shared/ready ]; do sleep 0.1; done; exec dd if=/dev/zero of=/dev/null bs=300M count=1\"]
"
    )
}

/// Removes a test cluster's proxy on the local daemon (the test cluster removes its tasks).
pub struct ProxyCleanup(pub String);

impl Drop for ProxyCleanup {
    fn drop(&mut self) {
        let _ = docker(&["rm", "-f", &format!("ecsctl-haproxy-{}-local", self.0)]);
    }
}
