//! `watch --git`: a local bare repository as the source. A pushed commit converges within the
//! interval, or at once on a signed push webhook (an unsigned or wrongly signed one changes
//! nothing); a commit with invalid manifests is refused with its diagnostics and the last
//! good commit keeps running; `status` and `get sync` name the commit.

mod common;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::Env;
use common::docker::{IMAGE, TestCluster, ensure_image, wait_for};

/// A bare repository and a clone to commit manifests from.
struct Repo {
    bare: PathBuf,
    work: PathBuf,
}

impl Repo {
    fn new(env: &Env) -> Self {
        let bare = env.path("origin.git");
        let work = env.path("work");
        git(
            env.dir.path(),
            &["init", "--quiet", "--bare", "-b", "main", "origin.git"],
        );
        git(env.dir.path(), &["init", "--quiet", "-b", "main", "work"]);
        git(
            &work,
            &["remote", "add", "origin", &bare.display().to_string()],
        );
        Repo { bare, work }
    }

    /// Writes `manifests/app.yaml`, commits it with `subject`, pushes; returns the commit id.
    fn commit(&self, text: &str, subject: &str) -> String {
        let dir = self.work.join("manifests");
        std::fs::create_dir_all(&dir).expect("manifests dir");
        std::fs::write(dir.join("app.yaml"), text).expect("write manifest");
        git(&self.work, &["add", "-A"]);
        git(&self.work, &["commit", "--quiet", "-m", subject]);
        git(&self.work, &["push", "--quiet", "origin", "main"]);
        git(&self.work, &["rev-parse", "HEAD"]).trim().to_string()
    }

    fn url(&self) -> String {
        self.bare.display().to_string()
    }
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=Dev", "-c", "user.email=dev@example.com"])
        .args(args)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn manifests(cluster: &TestCluster, count: u32) -> String {
    format!(
        "{}apiVersion: ecsctl/v1
kind: TaskDefinition
metadata: {{ name: app }}
spec:
  containerDefinitions:
    - name: app
      image: {IMAGE}
      command: [sh, -c, \"trap 'exit 0' TERM; sleep 600 & wait\"]
      stopTimeout: 2
---
apiVersion: ecsctl/v1
kind: Service
metadata: {{ name: app, cluster: {} }}
spec: {{ desiredCount: {count} }}
",
        cluster.manifest(),
        cluster.name
    )
}

/// Sends one HTTP/1.1 request; returns the whole response.
fn exchange(port: u16, request: &str) -> String {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream.write_all(request.as_bytes()).expect("send");
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    response
}

/// POSTs a push delivery to the webhook; returns the HTTP status.
fn deliver(port: u16, headers: &[(&str, String)], body: &str) -> u16 {
    let mut request = format!(
        "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    exchange(port, &request)
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0)
}

fn github_signature(secret: &str, body: &str) -> String {
    let mac = ecsctl::digest::hmac_sha256(secret.as_bytes(), body.as_bytes());
    format!("sha256={}", ecsctl::digest::hex(&mac))
}

fn get(port: u16, path: &str) -> String {
    exchange(
        port,
        &format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"),
    )
}

/// Also: the watch's metrics and its JSON log.
#[test]
fn a_pushed_commit_converges_within_the_interval() {
    ensure_image();
    let cluster = TestCluster::new("gitpoll");
    let env = Env::new();
    let repo = Repo::new(&env);
    let first = repo.commit(&manifests(&cluster, 1), "one app task");
    let metrics_port = common::free_port();
    let metrics = format!("127.0.0.1:{metrics_port}");
    let mut watch = env.spawn(
        &[
            "watch",
            "--git",
            &repo.url(),
            "--path",
            "manifests",
            "--interval",
            "1s",
            "--cluster",
            &cluster.name,
            "--metrics",
            &metrics,
            "--log-format",
            "json",
        ],
        &[],
    );
    wait_for("the first commit to run", Duration::from_secs(60), || {
        cluster.running("app").len() == 1
    });
    assert!(
        watch
            .log()
            .contains(&format!("synced commit {}", &first[..7])),
        "{}",
        watch.log()
    );
    let second = repo.commit(&manifests(&cluster, 2), "two app tasks");
    wait_for(
        "the pushed commit to converge",
        Duration::from_secs(60),
        || cluster.running("app").len() == 2,
    );
    let status = env.run(&["status"]);
    assert_eq!(status.code, 0, "{}", status.stderr);
    assert!(
        status
            .stdout
            .contains(&format!("Synced at {}", &second[..7])),
        "status names the applied commit:\n{}",
        status.stdout
    );
    assert!(
        status.stdout.contains("two app tasks") && status.stdout.contains("~ service"),
        "the history says what each commit changed:\n{}",
        status.stdout
    );

    let c = &cluster.name;
    let running = format!("ecsctl_service_running_tasks{{cluster=\"{c}\",service=\"app\"}} 2");
    // The reconciler records its counts after the containers start.
    wait_for("the metrics to count 2", Duration::from_secs(20), || {
        get(metrics_port, "/metrics").contains(&running)
    });
    let scrape = get(metrics_port, "/metrics");
    assert!(scrape.starts_with("HTTP/1.1 200"), "{scrape}");
    for expected in [
        format!("ecsctl_service_desired_tasks{{cluster=\"{c}\",service=\"app\"}} 2"),
        format!("ecsctl_sync_applied_commit_info{{commit=\"{second}\"}} 1"),
        "ecsctl_sync_status{status=\"Synced\"} 1".to_string(),
        format!("ecsctl_host_up{{cluster=\"{c}\",host=\"local\"}} 1"),
        format!(
            "ecsctl_lease_held{{cluster=\"{c}\",holder=\"pid {}",
            watch.child.id()
        ),
        "# TYPE ecsctl_reconcile_passes_total counter".to_string(),
    ] {
        assert!(scrape.contains(&expected), "`{expected}` in:\n{scrape}");
    }
    assert!(get(metrics_port, "/other").starts_with("HTTP/1.1 404"));

    assert_eq!(watch.stop(), Some(0), "{}", watch.log());
    for line in watch.log().lines() {
        let entry: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("a JSON log line ({e}): {line}"));
        assert!(
            entry["time"].is_string() && entry["message"].is_string(),
            "{line}"
        );
    }
}

#[test]
fn webhooks_fetch_at_once_when_signed_and_bad_commits_are_refused() {
    ensure_image();
    let cluster = TestCluster::new("githook");
    let env = Env::new();
    let repo = Repo::new(&env);
    let first = repo.commit(&manifests(&cluster, 1), "one app task");
    let secret = "s3cret-of-the-hook";
    let secret_file = env.write("hook-secret", &format!("{secret}\n"));
    let port = common::free_port();
    let listen = format!("127.0.0.1:{port}");
    let mut watch = env.spawn(
        &[
            "watch",
            "--git",
            &repo.url(),
            "--path",
            "manifests",
            // Long: only the webhook makes it fetch during the test.
            "--interval",
            "1h",
            "--cluster",
            &cluster.name,
            "--webhook-listen",
            &listen,
            "--webhook-secret-file",
            &secret_file.display().to_string(),
        ],
        &[],
    );
    wait_for("the first commit to run", Duration::from_secs(60), || {
        cluster.running("app").len() == 1 && watch.log().contains("webhook listening")
    });

    let second = repo.commit(&manifests(&cluster, 2), "two app tasks");
    let body = r#"{"ref":"refs/heads/main"}"#;
    let push = ("X-GitHub-Event", "push".to_string());
    assert_eq!(
        deliver(port, std::slice::from_ref(&push), body),
        401,
        "unsigned"
    );
    let forged = (
        "X-Hub-Signature-256",
        github_signature("not-the-secret", body),
    );
    assert_eq!(deliver(port, &[push.clone(), forged], body), 401, "forged");
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(
        cluster.running("app").len(),
        1,
        "refused deliveries fetch nothing"
    );
    let sync = env.run(&["get", "sync", "-o", "json"]);
    let record: serde_json::Value = serde_json::from_str(&sync.stdout).expect("json");
    assert_eq!(record["applied"]["commit"]["id"], first.as_str());

    let signed = ("X-Hub-Signature-256", github_signature(secret, body));
    assert_eq!(deliver(port, &[push.clone(), signed], body), 202);
    wait_for(
        "the signed push to converge",
        Duration::from_secs(30),
        || cluster.running("app").len() == 2,
    );

    // A bad commit: refused with its diagnostics; the last good one keeps running.
    let bad = repo.commit(
        &manifests(&cluster, 3).replace("desiredCount: 3", "desiredCuont: 3"),
        "typo",
    );
    let gitlab = [
        ("X-Gitlab-Event", "Push Hook".to_string()),
        ("X-Gitlab-Token", secret.to_string()),
    ];
    assert_eq!(deliver(port, &gitlab, body), 202);
    wait_for("the refusal", Duration::from_secs(30), || {
        watch
            .log()
            .contains(&format!("refused commit {}", &bad[..7]))
    });
    let log = watch.log();
    assert!(
        log.contains("manifests/app.yaml:") && log.contains("desiredCuont"),
        "the refusal says where and what:\n{log}"
    );
    let status = env.run(&["status"]);
    assert!(
        status.stdout.contains("OutOfSync at ") && status.stdout.contains(&second[..7]),
        "status: out of sync, the good commit applied:\n{}",
        status.stdout
    );
    assert!(
        status.stdout.contains(&format!("refused {}", &bad[..7])),
        "{}",
        status.stdout
    );
    assert_eq!(cluster.running("app").len(), 2, "the last good commit runs");
    assert_eq!(watch.stop(), Some(0), "{}", watch.log());
}
