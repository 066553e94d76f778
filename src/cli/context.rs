//! Per-invocation context: global flags and the rayon pool size.

/// Global options shared by every command.
#[derive(Debug, Clone)]
pub struct Context {
    /// `-q`.
    pub quiet: bool,
    /// `-v` count.
    pub verbose: u8,
    /// `-j`, or the core count.
    pub jobs: usize,
}

impl Context {
    /// Build the context and size the global rayon pool.
    pub fn new(quiet: bool, verbose: u8, jobs: Option<usize>) -> Self {
        let jobs = jobs.filter(|j| *j > 0).unwrap_or_else(|| {
            std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2)
        });
        let _ = rayon::ThreadPoolBuilder::new().num_threads(jobs).build_global();
        Context { quiet, verbose, jobs }
    }
}
