//! `ecsctl completion bash|zsh|fish` and the (hidden) man page, both from the clap tree.

use clap::{Args, CommandFactory, ValueEnum};

use super::{Cli, Context, Outcome, exit};

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
}

#[derive(Debug, Args)]
pub struct CompletionArgs {
    /// The shell to complete for
    #[arg(value_enum)]
    pub shell: Shell,
}

/// The completion script for `shell`, as shipped in `completions/`.
pub fn script(shell: Shell) -> String {
    let mut command = Cli::command();
    let mut buffer = Vec::new();
    let generator = match shell {
        Shell::Bash => clap_complete::Shell::Bash,
        Shell::Zsh => clap_complete::Shell::Zsh,
        Shell::Fish => clap_complete::Shell::Fish,
    };
    clap_complete::generate(generator, &mut command, "ecsctl", &mut buffer);
    String::from_utf8_lossy(&buffer).into_owned()
}

/// The man page (roff), as shipped in `completions/ecsctl.1`.
pub fn man_page() -> anyhow::Result<String> {
    let mut buffer = Vec::new();
    clap_mangen::Man::new(Cli::command()).render(&mut buffer)?;
    Ok(String::from_utf8_lossy(&buffer).into_owned())
}

pub fn run(cx: &Context, args: CompletionArgs) -> Outcome {
    cx.out.print(&script(args.shell));
    Ok(exit::OK)
}

pub fn man(cx: &Context) -> Outcome {
    cx.out.print(&man_page()?);
    Ok(exit::OK)
}
