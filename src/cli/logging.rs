//! tracing set-up: diagnostics go to stderr, controlled by `-v`, `-q` and `GIT_DVC_LOG`.

/// Initialise the global subscriber once.
pub fn init(verbose: u8, quiet: bool, env: &crate::env::ProcessEnv) {
    use tracing_subscriber::EnvFilter;
    let default = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, 2) => "debug",
        _ => "trace",
    };
    let filter = env.log.as_deref().map(EnvFilter::try_new);
    let filter = filter.and_then(Result::ok).unwrap_or_else(|| {
        EnvFilter::new(format!(
            "{default},aws_config=error,aws_smithy_runtime=error"
        ))
    });
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()) && !env.no_color)
        .without_time()
        .with_target(false)
        .try_init();
}
