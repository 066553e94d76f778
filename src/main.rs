fn main() -> std::process::ExitCode {
    git_dvc::cli::main()
}
