//! parse → run → exit code; nothing else (see `ecsctl::cli`).

fn main() -> std::process::ExitCode {
    ecsctl::alloc::limit_arenas();
    ecsctl::cli::main()
}
