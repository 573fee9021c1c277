//! Terraform's AWS provider (`hashicorp/aws`, from a filesystem mirror) driving `ecsctl
//! serve`: a cluster, a task definition and a service are created, show no drift on a
//! second plan, are updated (a new revision, rolled out, and a new desired count) and
//! destroyed, with serve's reconciler running real containers on the local Docker daemon.
//! Only loopback traffic: the provider's ECS endpoint is serve, and it is told to ask AWS
//! nothing else. Without terraform or the mirror the test says so and returns.

mod common;

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::docker::{IMAGE, TestCluster, docker_ok, wait_for};
use common::{Background, Env};

const TERRAFORM: &str = "/usr/local/bin/terraform";
const MIRROR: &str = "/opt/tf-plugins";
const PROVIDER: &str = "registry.terraform.io/hashicorp/aws/5.100.0/linux_amd64";

fn terraform() -> Option<PathBuf> {
    let terraform = std::env::var("ECSCTL_TERRAFORM").unwrap_or_else(|_| TERRAFORM.to_string());
    let terraform = PathBuf::from(terraform);
    if !terraform.exists() {
        eprintln!(
            "skipped: no terraform at {} (set ECSCTL_TERRAFORM)",
            terraform.display()
        );
        return None;
    }
    if !Path::new(MIRROR).join(PROVIDER).is_dir() {
        eprintln!("skipped: no hashicorp/aws 5.100.0 provider mirror at {MIRROR}/{PROVIDER}");
        return None;
    }
    Some(terraform)
}

const CLI_CONFIG: &str = r#"provider_installation {
  filesystem_mirror {
    path    = "/opt/tf-plugins"
    include = ["registry.terraform.io/hashicorp/aws"]
  }
  direct {
    exclude = ["registry.terraform.io/hashicorp/aws"]
  }
}
"#;

fn configuration(port: u16, cluster: &str) -> String {
    format!(
        r#"terraform {{
  required_providers {{
    aws = {{ source = "hashicorp/aws", version = "5.100.0" }}
  }}
}}

provider "aws" {{
  region                      = "us-east-1"
  access_key                  = "AKIDTEST"
  secret_key                  = "test-secret"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
  endpoints {{
    ecs = "http://127.0.0.1:{port}"
  }}
}}

variable "desired" {{ default = 2 }}
variable "app_version" {{ default = "1" }}
variable "team" {{ default = "a" }}

resource "aws_ecs_cluster" "main" {{
  name = "{cluster}"
}}

resource "aws_ecs_task_definition" "web" {{
  family = "{cluster}-web"
  container_definitions = jsonencode([{{
    name        = "web"
    image       = "{IMAGE}"
    command     = ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]
    memory      = 32
    essential   = true
    environment = [{{ name = "VERSION", value = var.app_version }}]
    stopTimeout = 2
  }}])
  tags = {{ team = var.team }}
}}

resource "aws_ecs_service" "web" {{
  name                  = "web"
  cluster               = aws_ecs_cluster.main.arn
  task_definition       = aws_ecs_task_definition.web.arn
  desired_count         = var.desired
  wait_for_steady_state = true
  tags                  = {{ team = var.team }}
}}
"#
    )
}

struct Terraform<'a> {
    binary: PathBuf,
    env: &'a Env,
    serve: &'a Background,
}

impl Terraform<'_> {
    /// `terraform ARGS`: (exit code, stdout + stderr). A failure that `expected` does not
    /// allow prints serve's log and the end of terraform's debug log (each request and
    /// response), then fails the test.
    fn run(&self, step: &str, args: &[&str], expected: &[i32]) -> (i32, String) {
        let log = self.env.path(&format!("terraform-{step}.log"));
        let out = Command::new(&self.binary)
            .args(args)
            .arg("-no-color")
            .current_dir(self.env.path("tf"))
            .env("TF_CLI_CONFIG_FILE", self.env.path("terraform.rc"))
            .env("TF_IN_AUTOMATION", "1")
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_LOG", "DEBUG")
            .env("TF_LOG_PATH", &log)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_CONFIG_FILE", self.env.path("no-aws-config"))
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                self.env.path("no-aws-credentials"),
            )
            .env_remove("AWS_PROFILE")
            .output()
            .expect("run terraform");
        let code = out.status.code().unwrap_or(-1);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        if !expected.contains(&code) {
            let debug = std::fs::read_to_string(&log).unwrap_or_default();
            let lines: Vec<&str> = debug.lines().collect();
            let tail = lines[lines.len().saturating_sub(150)..].join("\n");
            panic!(
                "terraform {args:?} exited {code} (expected {expected:?}):\n{text}\n--- serve:\n{}\n--- the end of {}:\n{tail}",
                self.serve.log(),
                log.display()
            );
        }
        (code, text)
    }
}

fn revisions_running(cluster: &TestCluster) -> Vec<String> {
    cluster
        .running("web")
        .iter()
        .map(|id| {
            docker_ok(&[
                "inspect",
                "--format",
                "{{index .Config.Labels \"ecsctl.family\"}}:{{index .Config.Labels \"ecsctl.revision\"}}",
                id,
            ])
            .trim()
            .to_string()
        })
        .collect()
}

#[test]
fn terraform_creates_plans_no_drift_updates_and_destroys() {
    let Some(binary) = terraform() else { return };
    let env = Env::new();
    let cluster = TestCluster::new("tf");
    let c = cluster.name.as_str();
    let path = env.write("cluster.yaml", &cluster.manifest());
    let run = env.run(&[
        "apply",
        "-f",
        &path.display().to_string(),
        "--auto-approve",
        "--no-wait",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);

    let port = common::free_port();
    let listen = format!("127.0.0.1:{port}");
    let serve = env.spawn(&["serve", "--listen", &listen, "--resync", "2s"], &[]);
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "serve did not listen: {}",
            serve.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    env.write("terraform.rc", CLI_CONFIG);
    env.write("tf/main.tf", &configuration(port, c));
    let tf = Terraform {
        binary,
        env: &env,
        serve: &serve,
    };

    tf.run("init", &["init", "-input=false"], &[0]);
    tf.run("apply", &["apply", "-auto-approve", "-input=false"], &[0]);
    let family = format!("{c}-web");
    assert_eq!(
        revisions_running(&cluster),
        vec![format!("{family}:1"); 2],
        "two tasks of revision 1 run after apply"
    );

    // Everything the provider reads back is what it wrote: no drift.
    let (code, text) = tf.run(
        "plan",
        &["plan", "-detailed-exitcode", "-input=false"],
        &[0, 2],
    );
    assert_eq!(code, 0, "a second plan shows changes:\n{text}");

    // A new revision (rolled out), one more task and new tags.
    let vars = [
        "-var",
        "desired=3",
        "-var",
        "app_version=2",
        "-var",
        "team=b",
    ];
    let mut args = vec!["apply", "-auto-approve", "-input=false"];
    args.extend(vars);
    tf.run("update", &args, &[0]);
    wait_for("three tasks of revision 2", Duration::from_secs(60), || {
        revisions_running(&cluster) == vec![format!("{family}:2"); 3]
    });
    let mut args = vec!["plan", "-detailed-exitcode", "-input=false"];
    args.extend(vars);
    let (code, text) = tf.run("plan-after-update", &args, &[0, 2]);
    assert_eq!(code, 0, "a plan after the update shows changes:\n{text}");

    let mut args = vec!["destroy", "-auto-approve", "-input=false"];
    args.extend(vars);
    tf.run("destroy", &args, &[0]);
    assert!(
        cluster.running("web").is_empty(),
        "containers left after destroy"
    );
    let listed = env.run(&["get", "services", "-o", "json"]);
    assert_eq!(listed.code, 0, "{}", listed.stderr);
    assert!(
        !listed.stdout.contains("\"web\""),
        "a service is left after destroy: {}",
        listed.stdout
    );
}
