//! `ecsctl completion bash|zsh|fish` and the (hidden) man pages, all from the clap tree.

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

/// The man page (roff) of ecsctl (`None`), as shipped in `completions/ecsctl.1`, or of one
/// subcommand, as shipped in `completions/ecsctl-NAME.1` (the main page refers to them).
pub fn man_page(subcommand: Option<&str>) -> anyhow::Result<String> {
    let command = Cli::command();
    let page = match subcommand {
        None => command,
        Some(name) => {
            let Some(sub) = command.find_subcommand(name) else {
                anyhow::bail!("no command `{name}`");
            };
            // The page's name, as the main page's SUBCOMMANDS section spells it.
            sub.clone().name(format!("ecsctl-{}", sub.get_name()))
        }
    };
    let mut buffer = Vec::new();
    clap_mangen::Man::new(page).render(&mut buffer)?;
    Ok(String::from_utf8_lossy(&buffer).into_owned())
}

/// The subcommands that have a man page of their own (every one that is not hidden).
pub fn man_subcommands() -> Vec<String> {
    Cli::command()
        .get_subcommands()
        .filter(|c| !c.is_hide_set())
        .map(|c| c.get_name().to_string())
        .collect()
}

pub fn run(cx: &Context, args: CompletionArgs) -> Outcome {
    cx.out.print(&script(args.shell));
    Ok(exit::OK)
}

pub fn man(cx: &Context, subcommand: Option<&str>) -> Outcome {
    cx.out.print(&man_page(subcommand)?);
    Ok(exit::OK)
}
