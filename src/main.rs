//! parse → run → exit code; nothing else (see `ecsctl::cli`).

fn main() -> std::process::ExitCode {
    ecsctl::cli::main()
}
