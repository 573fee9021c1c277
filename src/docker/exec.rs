//! `docker exec` and `docker stats` for one container: a command with its streams attached
//! (and a real TTY when asked, resized with the terminal), its exit code; a stats sample.

use anyhow::{Context as _, Result, anyhow};
use bollard::Docker;
use bollard::container::LogOutput;
use bollard::exec::{CreateExecOptions, ResizeExecOptions, StartExecOptions, StartExecResults};
use bollard::query_parameters::StatsOptionsBuilder;
use futures_util::StreamExt;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};

/// Runs `command` in `container`; copies `input` to it (when interactive) and its output to
/// `stdout`/`stderr`; returns its exit code. `resize` receives terminal sizes to pass on.
#[allow(clippy::too_many_arguments)]
pub async fn exec(
    docker: &Docker,
    container: &str,
    command: Vec<String>,
    tty: bool,
    interactive: bool,
    mut input: impl AsyncRead + Unpin + Send + 'static,
    stdout: &mut (impl AsyncWrite + Unpin),
    stderr: &mut (impl AsyncWrite + Unpin),
    mut resize: tokio::sync::mpsc::Receiver<(u16, u16)>,
) -> Result<i64> {
    let docker = docker
        .clone()
        .with_timeout(std::time::Duration::from_secs(365 * 24 * 3600));
    let created = docker
        .create_exec(
            container,
            CreateExecOptions {
                attach_stdin: Some(interactive),
                attach_stdout: Some(true),
                attach_stderr: Some(true),
                tty: Some(tty),
                cmd: Some(command),
                ..Default::default()
            },
        )
        .await
        .map_err(|e| {
            anyhow!(
                "cannot run the command: {}",
                super::error::docker_message(&e)
            )
        })?;
    let started = docker
        .start_exec(
            &created.id,
            Some(StartExecOptions {
                detach: false,
                tty,
                output_capacity: None,
            }),
        )
        .await
        .context("starting the command")?;
    let StartExecResults::Attached {
        mut output,
        input: mut remote_input,
    } = started
    else {
        return Err(anyhow!("the command did not attach"));
    };
    let copier = interactive.then(|| {
        tokio::spawn(async move {
            let _ = tokio::io::copy(&mut input, &mut remote_input).await;
            let _ = remote_input.shutdown().await;
        })
    });
    let resizer = {
        let docker = docker.clone();
        let id = created.id.clone();
        tokio::spawn(async move {
            while let Some((width, height)) = resize.recv().await {
                let _ = docker
                    .resize_exec(&id, ResizeExecOptions { height, width })
                    .await;
            }
        })
    };
    while let Some(chunk) = output.next().await {
        match chunk.context("reading the command's output")? {
            LogOutput::StdErr { message } => {
                stderr.write_all(&message).await?;
                stderr.flush().await?;
            }
            LogOutput::StdOut { message } | LogOutput::Console { message } => {
                stdout.write_all(&message).await?;
                stdout.flush().await?;
            }
            LogOutput::StdIn { .. } => {}
        }
    }
    if let Some(copier) = copier {
        copier.abort();
    }
    resizer.abort();
    let inspected = docker
        .inspect_exec(&created.id)
        .await
        .context("reading the command's exit code")?;
    Ok(inspected.exit_code.unwrap_or(0))
}

/// A container's cumulative CPU time and its memory now, in one quick read (Docker's
/// one-shot stats: no wait for a second sample).
pub async fn counters(
    docker: &Docker,
    container: &str,
) -> Result<crate::reconcile::usage::Counters> {
    let sample = one_sample(docker, container, true).await?;
    let cpu_ns = sample
        .cpu_stats
        .as_ref()
        .and_then(|s| s.cpu_usage.as_ref())
        .and_then(|u| u.total_usage)
        .unwrap_or(0);
    Ok(crate::reconcile::usage::Counters {
        cpu_ns,
        memory_bytes: memory_in_use(sample.memory_stats.as_ref()),
    })
}

/// One stats sample; `one_shot`: at once, without the previous CPU sample Docker otherwise
/// waits a second for.
async fn one_sample(
    docker: &Docker,
    container: &str,
    one_shot: bool,
) -> Result<bollard::models::ContainerStatsResponse> {
    let options = StatsOptionsBuilder::default()
        .stream(false)
        .one_shot(one_shot)
        .build();
    let mut stream = docker.stats(container, Some(options));
    stream
        .next()
        .await
        .ok_or_else(|| anyhow!("no stats for {container}"))?
        .map_err(|e| anyhow!("stats of {container}: {}", super::error::docker_message(&e)))
}

/// Memory used less the page cache, as `docker stats` shows it.
fn memory_in_use(memory: Option<&bollard::models::ContainerMemoryStats>) -> u64 {
    let cache = memory
        .and_then(|m| m.stats.as_ref())
        .and_then(|s| s.get("inactive_file").or_else(|| s.get("cache")).copied())
        .unwrap_or(0);
    memory
        .and_then(|m| m.usage)
        .unwrap_or(0)
        .saturating_sub(cache)
}

/// One stats sample of a container: cpu percent of one core, memory used and limit (bytes).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Usage {
    pub cpu_percent: f64,
    pub memory: u64,
    pub memory_limit: u64,
}

pub async fn stats(docker: &Docker, container: &str) -> Result<Usage> {
    let sample = one_sample(docker, container, false).await?;
    let cpu = sample.cpu_stats.as_ref();
    let pre = sample.precpu_stats.as_ref();
    let total = |s: Option<&bollard::models::ContainerCpuStats>| {
        s.and_then(|s| s.cpu_usage.as_ref())
            .and_then(|u| u.total_usage)
            .unwrap_or(0)
    };
    let system = |s: Option<&bollard::models::ContainerCpuStats>| {
        s.and_then(|s| s.system_cpu_usage).unwrap_or(0)
    };
    let cpus = cpu.and_then(|c| c.online_cpus).unwrap_or(1).max(1);
    let cpu_delta = total(cpu).saturating_sub(total(pre)) as f64;
    let system_delta = system(cpu).saturating_sub(system(pre)) as f64;
    let cpu_percent = if system_delta > 0.0 {
        cpu_delta / system_delta * f64::from(cpus) * 100.0
    } else {
        0.0
    };
    let memory = sample.memory_stats.as_ref();
    Ok(Usage {
        cpu_percent,
        memory: memory_in_use(memory),
        memory_limit: memory.and_then(|m| m.limit).unwrap_or(0),
    })
}
