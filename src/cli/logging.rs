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
    // reqsign warns of each credential source that failed (the Azure CLI missing, no
    // managed identity, …): that is detail for -v; the error that follows names the remote.
    let libraries = if verbose == 0 { "error" } else { default };
    let filter = filter.and_then(Result::ok).unwrap_or_else(|| {
        EnvFilter::new(format!(
            "{default},aws_config=error,aws_runtime=error,aws_smithy_runtime=error,reqsign_core={libraries}"
        ))
    });
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .event_format(DvcStyle)
        .try_init();
}

/// One style for every message, the hooks' and the filter's included: dvc's
/// `WARNING: …` / `ERROR: …`, plain text for info, `DEBUG: …` / `TRACE: …` below.
struct DvcStyle;

impl<S, N> tracing_subscriber::fmt::FormatEvent<S, N> for DvcStyle
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    N: for<'a> tracing_subscriber::fmt::FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &tracing_subscriber::fmt::FmtContext<'_, S, N>,
        mut writer: tracing_subscriber::fmt::format::Writer<'_>,
        event: &tracing::Event<'_>,
    ) -> std::fmt::Result {
        let prefix = match *event.metadata().level() {
            tracing::Level::ERROR => "ERROR: ",
            tracing::Level::WARN => "WARNING: ",
            tracing::Level::INFO => "",
            tracing::Level::DEBUG => "DEBUG: ",
            tracing::Level::TRACE => "TRACE: ",
        };
        write!(writer, "{prefix}")?;
        ctx.field_format().format_fields(writer.by_ref(), event)?;
        writeln!(writer)
    }
}
