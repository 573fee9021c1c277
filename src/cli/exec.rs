//! `ecsctl exec task/ID|service/NAME [-c CONTAINER] [-it] -- CMD...`: like `docker exec` (and
//! ECS Exec): a real TTY with `-it`, resized with the terminal; the command's exit code
//! becomes ecsctl's.

use std::io::IsTerminal;
use std::os::fd::AsRawFd;

use anyhow::{Result, bail};
use clap::Args;

use super::tasks::select;
use super::{Context, Outcome};
use crate::ops::target::Target;
use crate::reconcile::task::TaskStatus;
use crate::state::State;

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  ecsctl exec svc/web -it -- sh
  ecsctl exec task/1a2b -c web -- cat /etc/hosts")]
pub struct ExecArgs {
    /// task/ID (task ID), or service/NAME (its first running task; see --task-index)
    #[arg(value_name = "TARGET", num_args = 1..=2, required = true)]
    pub target: Vec<String>,
    /// The container (default: the task's first essential container)
    #[arg(short = 'c', long)]
    pub container: Option<String>,
    /// Keep stdin open
    #[arg(short = 'i', long)]
    pub interactive: bool,
    /// Allocate a terminal
    #[arg(short = 't', long)]
    pub tty: bool,
    /// With service/NAME: the N-th running task (oldest first, from 0)
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub task_index: usize,
    /// The cluster (needed when the name exists in several)
    #[arg(long)]
    pub cluster: Option<String>,
    /// The command and its arguments
    #[arg(last = true, required = true, value_name = "CMD")]
    pub command: Vec<String>,
}

/// The terminal in raw mode while a TTY session runs; restored when dropped.
struct RawMode {
    fd: i32,
    saved: libc::termios,
}

impl RawMode {
    fn enter() -> Option<RawMode> {
        let fd = std::io::stdin().as_raw_fd();
        // SAFETY: termios calls on stdin with a zeroed struct they fill in.
        unsafe {
            let mut saved: libc::termios = std::mem::zeroed();
            if libc::tcgetattr(fd, &mut saved) != 0 {
                return None;
            }
            let mut raw = saved;
            libc::cfmakeraw(&mut raw);
            if libc::tcsetattr(fd, libc::TCSANOW, &raw) != 0 {
                return None;
            }
            Some(RawMode { fd, saved })
        }
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        // SAFETY: restoring the attributes read in `enter`.
        unsafe {
            libc::tcsetattr(self.fd, libc::TCSANOW, &self.saved);
        }
    }
}

fn terminal_size() -> Option<(u16, u16)> {
    // SAFETY: TIOCGWINSZ fills a winsize struct.
    unsafe {
        let mut size: libc::winsize = std::mem::zeroed();
        (libc::ioctl(std::io::stdout().as_raw_fd(), libc::TIOCGWINSZ, &mut size) == 0
            && size.ws_col > 0)
            .then_some((size.ws_col, size.ws_row))
    }
}

pub fn run(cx: &Context, args: ExecArgs) -> Outcome {
    let target = Target::from_words(&args.target).map_err(anyhow::Error::msg)?;
    let state = cx.read_state_or_empty()?;
    let rt = super::reconcile::runtime()?;
    let code = rt.block_on(exec(cx, &state, target, args));
    // A read of stdin may still be blocked on the terminal: do not wait for it.
    rt.shutdown_background();
    let code = code?;
    // The remote command's exit code is ecsctl's (an exit code is a byte).
    Ok(u8::try_from(code.clamp(0, 255)).unwrap_or(1))
}

async fn exec(cx: &Context, state: &State, target: Target, args: ExecArgs) -> Result<i64> {
    let selection = select(cx, state, &target, args.cluster.as_deref()).await?;
    let mut running: Vec<_> = selection
        .tasks()
        .filter(|t| t.state.last_status == TaskStatus::Running && t.state.is_active())
        .collect();
    running.sort_by_key(|t| (t.task.created_at, t.task.id.clone()));
    let task = match (&target, running.get(args.task_index)) {
        (_, Some(task)) => *task,
        (Target::Service(name), None) if running.is_empty() => {
            bail!("service `{name}` has no running task")
        }
        (Target::Service(name), None) => bail!(
            "service `{name}` has {} running tasks; --task-index {} is out of range",
            running.len(),
            args.task_index
        ),
        (Target::Task(id), None) => bail!("task `{id}` is not running"),
    };
    let containers: Vec<_> = task
        .task
        .app_containers()
        .filter(|c| c.is_running())
        .collect();
    let container = match &args.container {
        Some(name) => containers
            .iter()
            .find(|c| &c.name == name)
            .copied()
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "no running container `{name}` in task {}; running: {}",
                    task.task.short_id(),
                    containers
                        .iter()
                        .map(|c| format!("`{}`", c.name))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })?,
        None => {
            let chosen = containers
                .iter()
                .find(|c| c.essential)
                .or_else(|| containers.first())
                .copied()
                .ok_or_else(|| {
                    anyhow::anyhow!("task {} has no running container", task.task.short_id())
                })?;
            if containers.len() > 1 {
                cx.out.note(&format!(
                    "Defaulted to container `{}` (choose with -c)",
                    chosen.name
                ));
            }
            chosen
        }
    };
    let Some(host) = selection.observation.host(&task.task.host) else {
        bail!("host `{}` does not answer", task.task.host);
    };
    let tty = args.tty && std::io::stdin().is_terminal();
    let (resize_tx, resize_rx) = tokio::sync::mpsc::channel(8);
    let _raw = if tty { RawMode::enter() } else { None };
    if tty {
        if let Some(size) = terminal_size() {
            let _ = resize_tx.send(size).await;
        }
        let tx = resize_tx.clone();
        tokio::spawn(async move {
            let Ok(mut winch) =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::window_change())
            else {
                return;
            };
            while winch.recv().await.is_some() {
                if let Some(size) = terminal_size()
                    && tx.send(size).await.is_err()
                {
                    break;
                }
            }
        });
    }
    drop(resize_tx);
    let mut stdout = tokio::io::stdout();
    let mut stderr = tokio::io::stderr();
    crate::docker::exec::exec(
        host.docker(),
        &container.docker_id,
        args.command,
        tty,
        args.interactive,
        tokio::io::stdin(),
        &mut stdout,
        &mut stderr,
        resize_rx,
    )
    .await
}
