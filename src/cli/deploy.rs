//! `ecsctl deploy service/NAME -f imagedefinitions.json|imageDetail.json`: an image-only
//! deploy from a pipeline (`ops::deploy`): shows the plan, asks (or `--auto-approve`), writes
//! the new revision, and waits for the deployment like `apply`.

use std::path::PathBuf;

use clap::Args;

use super::{Context, Outcome, WaitArgs, exit};
use crate::ops::target::{Kind, parse_one};
use crate::plan::render::render;

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  ecsctl deploy svc/web -f imagedefinitions.json --auto-approve   # CodePipeline's ECS action
  ecsctl deploy svc web -f imageDetail.json -c web                  # its blue/green action")]
pub struct DeployArgs {
    /// The service: service/NAME, svc NAME (or NAME)
    #[arg(value_name = "SERVICE", num_args = 1..=2, required = true)]
    pub service: Vec<String>,
    /// The pipeline's imagedefinitions.json or imageDetail.json
    #[arg(short = 'f', long = "filename", value_name = "FILE")]
    pub file: PathBuf,
    /// With imageDetail.json: the container that gets the image (default: the first essential)
    #[arg(short = 'c', long)]
    pub container: Option<String>,
    /// Deploy without asking for confirmation
    #[arg(long)]
    pub auto_approve: bool,
    #[command(flatten)]
    pub wait: WaitArgs,
}

pub fn run(cx: &Context, args: DeployArgs) -> Outcome {
    let service = parse_one(&args.service, &[Kind::Service], Some(Kind::Service))
        .map_err(anyhow::Error::msg)?;
    let images = crate::ops::deploy::read(&args.file)?;
    let session = cx.open_session()?;
    let pending = crate::ops::deploy::prepare(
        &session,
        &service.name,
        args.wait.cluster.as_deref(),
        &images,
        args.container.as_deref(),
        *args.wait.lock_timeout,
    )?;
    cx.out.print(&render(&pending.plan, cx.out.paint));
    if !pending.plan.has_changes() {
        cx.out.note("The service already runs these images.");
        return Ok(exit::OK);
    }
    if !args.auto_approve && !super::apply::confirm("deploy")? {
        cx.out.note("Deploy cancelled.");
        return Ok(exit::ERROR);
    }
    let applied = crate::ops::apply::commit(&session, pending)?;
    args.wait.converge(cx, &session.store, applied.expectations)
}
