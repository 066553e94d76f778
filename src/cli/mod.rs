//! The command line: clap definitions, the one dispatch `match`, error rendering and exit codes.
//!
//! Each subcommand lives in its own file with an `XxxArgs` struct and `run(ctx, args)`.

pub mod add;
pub mod cache;
pub mod cat;
pub mod check_ignore;
pub mod checkout;
pub mod commit;
pub mod completion;
pub mod config;
pub mod context;
pub mod data;
pub mod destroy;
pub mod diff;
pub mod doctor;
pub mod du;
pub mod error;
pub mod freeze;
pub mod fs_cache;
pub mod gc;
pub mod get;
pub mod git_entry;
pub mod import;
pub mod import_url;
pub mod init;
pub mod install;
pub mod logging;
pub mod ls;
pub mod ls_url;
pub mod mv;
pub mod remote;
pub mod remove;
pub mod root;
pub mod scm;
pub mod source;
pub mod status;
pub mod transfer;
pub mod ui;
pub mod unprotect;
pub mod update;
pub mod verify;
pub mod version;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

pub use context::Context;
pub use error::{CommandError, CommandResult};

/// git-dvc: DVC's data layer, fast, and inside git.
#[derive(Debug, Parser)]
#[command(name = "git-dvc", bin_name = "git dvc", version, about)]
pub struct Cli {
    /// Be quiet: only errors.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Be verbose (repeat for more).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Number of parallel jobs (default: number of cores).
    #[arg(short = 'j', long = "jobs", global = true)]
    pub jobs: Option<usize>,
    /// Ignore the state DB and hash every file again.
    #[arg(long, global = true)]
    pub rehash: bool,
    /// Change to directory before executing.
    #[arg(long = "cd", value_name = "PATH")]
    pub cd: Option<std::path::PathBuf>,
    /// Wait for the lock if another process holds it, instead of failing.
    #[arg(long = "wait-for-lock")]
    pub wait_for_lock: bool,
    #[command(subcommand)]
    pub command: Command,
}

/// All subcommands, with DVC's names.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Initialize DVC in the current directory.
    Init(init::InitArgs),
    /// Track data files or directories.
    Add(add::AddArgs),
    /// Show changed data.
    Status(status::StatusArgs),
    /// Record changes to tracked data in the .dvc files.
    Commit(commit::CommitArgs),
    /// Restore the workspace from the cache.
    Checkout(checkout::CheckoutArgs),
    /// Stop tracking data (keeps the data unless --outs).
    #[command(visible_alias = "rm")]
    Remove(remove::RemoveArgs),
    /// Rename or move tracked data.
    #[command(visible_alias = "mv")]
    Move(mv::MoveArgs),
    /// Get or set DVC config options.
    Config(config::ConfigArgs),
    /// Print the content of a tracked file.
    Cat(cat::CatArgs),
    /// Cache helpers: `cache path <p>`, `cache md5 <p>`.
    Cache(cache::CacheArgs),
    /// Manage DVC remotes.
    Remote(remote::RemoteArgs),
    /// Upload tracked data to a remote.
    Push(transfer::PushArgs),
    /// Download tracked data and check it out.
    Pull(transfer::PullArgs),
    /// Download tracked data into the cache.
    Fetch(transfer::FetchArgs),
    /// Remove unused objects from the cache (and remote).
    Gc(gc::GcArgs),
    /// Show changes between commits, or the workspace and HEAD.
    Diff(diff::DiffArgs),
    /// Re-hash cache (and remote) objects and report corruption.
    Verify(verify::VerifyArgs),
    /// Check the repository setup and explain how to fix problems.
    Doctor(doctor::DoctorArgs),
    /// Print the relative path to the root of the DVC repository.
    Root(root::RootArgs),
    /// Show git-dvc's version and system/environment information.
    Version(version::VersionArgs),
    /// Print a shell completion script (bash also completes `git dvc` in git's completion).
    Completion(completion::CompletionArgs),
    /// Write the man pages into a directory (used by install.sh).
    #[command(hide = true, name = "generate-man")]
    GenerateMan(completion::ManArgs),
    /// Install git hooks, the filter, merge driver and textconv.
    Install(install::InstallArgs),
    /// Remove what `install` set up.
    Uninstall(install::UninstallArgs),
    /// Commands related to data management (`data status`).
    Data(data::DataArgs),
    /// Unprotect tracked files or directories (make linked files writable copies).
    Unprotect(unprotect::UnprotectArgs),
    /// Freeze stages or .dvc files.
    Freeze(freeze::FreezeArgs),
    /// Unfreeze stages or .dvc files.
    Unfreeze(freeze::FreezeArgs),
    /// Check whether files or directories are excluded due to `.dvcignore`.
    #[command(name = "check-ignore")]
    CheckIgnore(check_ignore::CheckIgnoreArgs),
    /// Remove DVC files, local DVC config and data cache.
    Destroy(destroy::DestroyArgs),
    /// Show disk usage.
    Du(du::DuArgs),
    /// List repository contents, including files and directories tracked by DVC and by Git.
    #[command(visible_alias = "list")]
    Ls(ls::LsArgs),
    /// Download file or directory tracked by DVC or by Git.
    Get(get::GetArgs),
    /// List directory contents from URL.
    #[command(name = "ls-url", visible_alias = "list-url")]
    LsUrl(ls_url::LsUrlArgs),
    /// Download file or directory tracked by DVC or by Git into the workspace, and track it.
    Import(import::ImportArgs),
    /// Download or copy file from URL and take it under DVC control.
    #[command(name = "import-url")]
    ImportUrl(import_url::ImportUrlArgs),
    /// Download or copy files from URL.
    #[command(name = "get-url")]
    GetUrl(import_url::GetUrlArgs),
    /// Update data artifact imported (via dvc import or dvc import-url) from an external DVC repository or URL.
    Update(update::UpdateArgs),
    /// Called by git hooks.
    #[command(hide = true)]
    Hook(git_entry::HookArgs),
    /// Called by git as the merge driver.
    #[command(hide = true, name = "merge-driver")]
    MergeDriver(git_entry::MergeDriverArgs),
    /// Called by git as diff textconv.
    #[command(hide = true)]
    Textconv(git_entry::TextconvArgs),
}

/// Entry point of the `git-dvc` binary.
pub fn main() -> ExitCode {
    // Die quietly on a closed pipe (`git dvc status | head`), like dvc (exit 141).
    // SAFETY: resetting a signal disposition to its default at start-up, before threads.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(usage_exit_code(e.kind()));
        }
    };
    if cli.quiet && cli.verbose > 0 {
        // dvc's parser keeps the two in one exclusive group and exits 2 on both.
        eprintln!("usage: git dvc [-q | -v]");
        eprintln!("git dvc: error: argument -v/--verbose: not allowed with argument -q/--quiet");
        return ExitCode::from(2);
    }
    let mut env = crate::env::ProcessEnv::capture();
    env.rehash |= cli.rehash;
    logging::init(cli.verbose, cli.quiet, &env);
    crate::progress::install(
        !cli.quiet && std::io::IsTerminal::is_terminal(&std::io::stderr()),
        env.progress_delay(),
    );
    if let Some(dir) = &cli.cd
        && let Err(e) = env.change_dir(dir)
    {
        let e = CommandError::context(
            error::ErrorKind::Unhandled,
            format!("cannot change to directory '{}'", dir.display()),
            e,
        );
        e.render();
        return ExitCode::from(e.exit_code());
    }
    // `gitdvc.fsync`, asked of git only when something is about to be written.
    let here = env.cwd.clone().unwrap_or_else(|| ".".into());
    crate::data::durability::set_reader(move || crate::git::Git::new(&here).fsync_setting());
    let mut ctx = Context::new(cli.quiet, cli.verbose, cli.jobs, env);
    ctx.wait_for_lock = cli.wait_for_lock;
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(&ctx, cli.command)));
    // `gitdvc.fsync`: the object directories written into reach the disk before success.
    let result = result.map(|r| {
        r.and_then(|()| {
            crate::data::durability::flush().map_err(|e| {
                CommandError::context(error::ErrorKind::Unhandled, "cannot fsync the cache", e)
            })
        })
    });
    match result {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(e)) => {
            e.render();
            ExitCode::from(e.exit_code())
        }
        Err(_) => {
            eprintln!("error: git-dvc hit a bug (panic). Please report it.");
            ExitCode::from(101)
        }
    }
}

/// dvc's exit codes for what the parser rejects: 0 for help and version, 254 for a usage
/// error (dvc's own argparse subclass), as scripts written against dvc expect.
pub fn usage_exit_code(kind: clap::error::ErrorKind) -> u8 {
    match kind {
        clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => 0,
        _ => 254,
    }
}

/// Dispatch one command.
pub fn run(ctx: &Context, command: Command) -> CommandResult {
    if handles_lock_errors(&command) {
        busy_lock_fails(dispatch(ctx, command))
    } else {
        dispatch(ctx, command)
    }
}

/// A busy lock as a handled failure (exit 1), see [`handles_lock_errors`].
fn busy_lock_fails(result: CommandResult) -> CommandResult {
    result.map_err(|mut e| {
        if e.is_lock_busy() {
            e.kind = error::ErrorKind::Failed;
        }
        e
    })
}

/// Whether dvc's command catches its `DvcException`s itself (`logger.exception`, exit 1),
/// so that a busy repo lock exits 1 rather than the 255 of dvc's top level: observed on
/// dvc 3.67.1 with `.dvc/tmp/lock` held, `add`, `commit`, `remove`, `move`, `push`,
/// `pull`, `fetch`, `diff`, `freeze`, `unfreeze`, `destroy`, `update`, `import` and
/// `import-url` exit 1; `status` (also `-c`), `checkout` and `gc` exit 255.
fn handles_lock_errors(command: &Command) -> bool {
    matches!(
        command,
        Command::Add(_)
            | Command::Commit(_)
            | Command::Remove(_)
            | Command::Move(_)
            | Command::Push(_)
            | Command::Pull(_)
            | Command::Fetch(_)
            | Command::Diff(_)
            | Command::Freeze(_)
            | Command::Unfreeze(_)
            | Command::Destroy(_)
            | Command::Update(_)
            | Command::Import(_)
            | Command::ImportUrl(_)
    )
}

fn dispatch(ctx: &Context, command: Command) -> CommandResult {
    match command {
        Command::Init(a) => init::run(ctx, a),
        Command::Add(a) => add::run(ctx, a),
        Command::Status(a) => status::run(ctx, a),
        Command::Commit(a) => commit::run(ctx, a),
        Command::Checkout(a) => checkout::run(ctx, a),
        Command::Remove(a) => remove::run(ctx, a),
        Command::Move(a) => mv::run(ctx, a),
        Command::Config(a) => config::run(ctx, a),
        Command::Cat(a) => cat::run(ctx, a),
        Command::Cache(a) => cache::run(ctx, a),
        Command::Remote(a) => remote::run(ctx, a),
        Command::Push(a) => {
            let (common, extra) = a.split();
            transfer::run(ctx, transfer::Direction::Push, common, extra)
        }
        Command::Pull(a) => {
            let (common, extra) = a.split();
            transfer::run(ctx, transfer::Direction::Pull, common, extra)
        }
        Command::Fetch(a) => {
            let (common, extra) = a.split();
            transfer::run(ctx, transfer::Direction::Fetch, common, extra)
        }
        Command::Gc(a) => gc::run(ctx, a),
        Command::Diff(a) => diff::run(ctx, a),
        Command::Verify(a) => verify::run(ctx, a),
        Command::Doctor(a) => doctor::run(ctx, a),
        Command::Root(a) => root::run(ctx, a),
        Command::Version(a) => version::run(ctx, a),
        Command::Completion(a) => completion::run(ctx, a),
        Command::GenerateMan(a) => completion::generate_man(ctx, a),
        Command::Install(a) => install::run_install(ctx, a),
        Command::Uninstall(a) => install::run_uninstall(ctx, a),
        Command::Data(a) => ui::quiet_errors(ctx, data::run(ctx, a)),
        Command::Unprotect(a) => ui::quiet_errors(ctx, unprotect::run(ctx, a)),
        Command::Freeze(a) => ui::quiet_errors(ctx, busy_lock_fails(freeze::run(ctx, a, true))),
        Command::Unfreeze(a) => ui::quiet_errors(ctx, busy_lock_fails(freeze::run(ctx, a, false))),
        Command::CheckIgnore(a) => ui::quiet_errors(ctx, check_ignore::run(ctx, a)),
        Command::Destroy(a) => ui::quiet_errors(ctx, busy_lock_fails(destroy::run(ctx, a))),
        Command::Du(a) => ui::quiet_errors(ctx, du::run(ctx, a)),
        Command::Ls(a) => ls::run(ctx, a),
        Command::Get(a) => get::run(ctx, a),
        Command::LsUrl(a) => ls_url::run(ctx, a),
        Command::Import(a) => import::run(ctx, a),
        Command::Update(a) => update::run(ctx, a),
        Command::ImportUrl(a) => import_url::run_import(ctx, a),
        Command::GetUrl(a) => import_url::run_get(ctx, a),
        Command::Hook(a) => git_entry::hook(ctx, a),
        Command::MergeDriver(a) => git_entry::merge_driver(ctx, a),
        Command::Textconv(a) => git_entry::textconv(ctx, a),
    }
}
