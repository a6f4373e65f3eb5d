//! The `querymore` command; everything lives in [`querymore::cli`].

fn main() -> std::process::ExitCode {
    querymore::cli::main()
}
