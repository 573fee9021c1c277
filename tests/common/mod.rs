//! Shared helpers of the end-to-end tests: run the real binary against a private state
//! directory and manifests written to a temporary directory.
#![allow(dead_code)]

pub mod docker;
pub mod postgres;
pub mod rig;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// A port nothing listens on now (the OS picks it).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

pub struct Env {
    pub dir: tempfile::TempDir,
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Env {
    pub fn new() -> Self {
        Env {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    pub fn state_dir(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes a manifest file (creating folders) and returns its path.
    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(&path, text).expect("write manifest");
        path
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_ecsctl"));
        command
            .args(args)
            .env("ECSCTL_STATE_DIR", self.state_dir())
            .env("NO_COLOR", "1")
            .current_dir(self.dir.path())
            .stdin(Stdio::null());
        command
    }

    pub fn run(&self, args: &[&str]) -> Run {
        let output: Output = self.command(args).output().expect("run ecsctl");
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    pub fn read_state(&self) -> Option<ecsctl::state::State> {
        ecsctl::state::store::StateDir::at(self.state_dir())
            .read_state()
            .expect("state readable")
    }
}

pub fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A background `ecsctl` (watch): stopped with SIGTERM, by its pid, when dropped.
pub struct Background {
    pub child: std::process::Child,
    pub log: PathBuf,
}

impl Background {
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Sends SIGTERM and waits; returns the exit code.
    pub fn stop(&mut self) -> Option<i32> {
        // SAFETY: signalling our own child process by its pid.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while std::time::Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code();
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let _ = self.child.kill();
        self.child.wait().ok().and_then(|s| s.code())
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.stop();
        }
    }
}

impl Env {
    /// Starts `ecsctl ARGS` in the background, its output in a log file.
    pub fn spawn(&self, args: &[&str], envs: &[(&str, &str)]) -> Background {
        let unique: u32 = rand::random();
        let log = self.dir.path().join(format!("background-{unique:08x}.log"));
        let file = std::fs::File::create(&log).expect("log file");
        let mut command = self.command(args);
        command
            .stdout(file.try_clone().expect("clone"))
            .stderr(file);
        for (k, v) in envs {
            command.env(k, v);
        }
        Background {
            child: command.spawn().expect("spawn ecsctl"),
            log,
        }
    }

    pub fn run_with(&self, args: &[&str], envs: &[(&str, &str)]) -> Run {
        let mut command = self.command(args);
        for (k, v) in envs {
            command.env(k, v);
        }
        let output: Output = command.output().expect("run ecsctl");
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}
