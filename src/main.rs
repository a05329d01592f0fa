//! The `lock2nix` command: argument parsing, writing the output, and the one place errors
//! are reported to the user.

mod progress_bars;

use std::collections::BTreeSet;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use lock2nix::{
    ArtifactPolicy, Credentials, DEFAULT_INDEX_URL, DisplaySafeUrl, FetchOptions, GenerateOptions, InferOptions,
    OverrideOptions, PackageName, PlatformPolicy, Prefer, PythonMinor, ResolveOptions, SharedReporter, System,
    format_override_list, format_override_show, generate, generate_then, printable, summarize_warnings, with_causes,
};

// A short-lived process that allocates many small strings: mimalloc makes the whole run
// markedly faster than the system allocator (BENCHMARKS.md). It asks for transparent huge
// pages (2 MiB) where the system gives them on request; a run decides whether to keep them
// (`tune_allocator`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Sets mimalloc's options for the run of `cli`, before `main` starts any thread (the options
/// are plain integers that mimalloc reads without a lock).
///
/// Transparent huge pages are kept for the run of a large lock only. Such a run faults in
/// over a hundred megabytes: 2 MiB pages take a 512th of the page faults and spare the TLB
/// (a 10,000-package lock ran 9–14% faster). A small lock's run would only pay for partly used
/// 2 MiB pages (a 650-package lock's peak went from 24 to 48 MB), so it turns them off for
/// the whole process; the pages mimalloc touched before `main` stay (28 MB then). Freed
/// memory is handed back to the system after a delay: memory handed back is faulted in again
/// when it is reused (at 5 ms, a tenth of a large run's time), and memory kept raises the
/// peak (BENCHMARKS.md, ninth and tenth rounds).
fn tune_allocator(cli: &Cli) {
    /// About 3,500 packages of a poetry.lock.
    const LARGE_LOCK: u64 = 8 << 20;
    /// `mi_option_purge_delay` in mimalloc.h (the same in its v2 and v3), in milliseconds.
    const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
    let large = cli.command.is_none()
        && lock_path(&cli.generate)
            .is_ok_and(|lock| std::fs::metadata(lock).is_ok_and(|meta| meta.len() >= LARGE_LOCK));
    // With huge pages, a quarter of the delay kept the peak 8 MB lower at no cost in time.
    let purge_delay_ms = if large { 25 } else { 100 };
    // SAFETY: sets an integer option in mimalloc's table of options while no other thread
    // exists to read that table at the same time.
    #[expect(unsafe_code, reason = "mimalloc's options have no safe binding")]
    unsafe {
        libmimalloc_sys::mi_option_set(PURGE_DELAY, purge_delay_ms);
    }
    // Best effort: without the call (an old kernel), pages stay as the system gives them.
    #[cfg(target_os = "linux")]
    if !large {
        let _ = rustix::thread::disable_transparent_huge_pages(true);
    }
}

/// A failure already worded for the user (usually one message), and the exit code.
#[derive(Debug)]
struct Failure {
    messages: Vec<String>,
    /// What to do about it: printed after the messages, one line each.
    hints: Vec<String>,
    code: u8,
}

macro_rules! failure {
    ($($arg:tt)*) => { Failure { messages: vec![format!($($arg)*)], hints: Vec::new(), code: 1 } };
}

impl Failure {
    /// A library error: its message followed by its causes on one line, and its hint apart.
    fn of(error: &dyn std::error::Error, hint: Option<String>) -> Self {
        Self { messages: vec![with_causes(error)], hints: hint.into_iter().collect(), code: 1 }
    }
}

impl From<lock2nix::GenerateError> for Failure {
    fn from(error: lock2nix::GenerateError) -> Self {
        Self::of(&error, error.hint())
    }
}

/// `lock2nix check`'s exit code when it could not tell whether the file is up to date.
const UNDECIDED: u8 = 2;

/// Turn a poetry.lock, uv.lock or pylock.toml into one pure, multi-platform Nix overlay of buildPythonPackage derivations.
#[derive(Parser, Debug)]
#[command(version, about, long_about = None, args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    generate: GenerateArgs,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Regenerate a generated file in memory with the command its header records, and exit 1
    /// with a summary when it differs (for CI and pre-commit).
    Check {
        /// The generated file.
        #[arg(default_value = "python-packages.nix")]
        file: PathBuf,
        /// Cache directory [default: $XDG_CACHE_HOME/lock2nix]
        #[allow(clippy::doc_markdown, reason = "clap prints this doc comment as the flag's help")]
        #[arg(long, value_name = "DIR", env = "LOCK2NIX_CACHE_DIR")]
        cache_dir: Option<PathBuf>,
        /// Work from the cache alone; fail naming what is missing.
        #[arg(long)]
        offline: bool,
        /// Also print a unified diff.
        #[arg(short, long)]
        verbose: bool,
    },
    /// Generate python-packages.nix and write the starter files beside the lock: flake.nix using
    /// lock2nix's Nix helpers, .envrc (direnv) and .vscode/settings.json. Existing files are
    /// kept unless --force.
    Init {
        #[command(flatten)]
        generate: Box<GenerateArgs>,
        /// Replace files that exist.
        #[arg(long)]
        force: bool,
    },
    /// Print the override database (built-in entries, then those of --overrides).
    Overrides {
        #[command(subcommand)]
        action: OverridesAction,
        #[command(flatten)]
        source: OverrideArgs,
    },
}

#[derive(Subcommand, Debug)]
enum OverridesAction {
    /// One line per entry.
    List,
    /// Every entry that matches a package name, in full.
    Show { name: String },
}

#[derive(Args, Debug)]
struct OverrideArgs {
    /// Override entries (same schema as overrides/) that win over the built-in ones.
    #[arg(long = "overrides", value_name = "FILE")]
    file: Option<PathBuf>,
    /// Do not use the built-in override database.
    #[arg(long)]
    no_builtin_overrides: bool,
}

impl OverrideArgs {
    fn options(&self) -> OverrideOptions {
        OverrideOptions { builtin: !self.no_builtin_overrides, file: self.file.clone() }
    }
}

#[derive(Args, Debug)]
#[expect(clippy::struct_excessive_bools, reason = "command-line flags")]
struct GenerateArgs {
    /// The lock: poetry.lock, uv.lock or pylock.toml [default: the one lock in the current folder]
    lock: Option<PathBuf>,
    /// Write here (atomically) instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// The project's pyproject.toml [default: next to the lock]
    #[arg(long, value_name = "FILE")]
    pyproject: Option<PathBuf>,
    /// Serve only these Nix systems (repeat or comma-separate) [default: all four]
    #[arg(long = "system", value_name = "SYSTEM", value_delimiter = ',', value_parser = parse_system)]
    systems: Vec<System>,
    /// Serve only these CPython versions, e.g. 3.12 [default: 3.9–3.14 as the project allows]
    #[arg(long = "python", value_name = "3.X", value_delimiter = ',', value_parser = parse_python)]
    pythons: Vec<PythonMinor>,
    /// Which artifact to use when a package has both a fitting wheel and an sdist.
    #[arg(long, value_enum, default_value_t = PreferArg::Wheel)]
    prefer: PreferArg,
    /// Always build this package from its sdist (repeatable).
    #[arg(long = "no-binary", value_name = "PKG", value_delimiter = ',')]
    no_binary: Vec<String>,
    /// Never build this package from source (repeatable).
    #[arg(long = "only-binary", value_name = "PKG", value_delimiter = ',')]
    only_binary: Vec<String>,
    /// Newest glibc a manylinux wheel may need (nixpkgs' glibc).
    #[arg(long, value_name = "X.Y", default_value = "2.40", value_parser = parse_pair)]
    glibc: (u16, u16),
    /// Oldest macOS the environment must run on; newer-only wheels are not used.
    #[arg(long = "macos-version", value_name = "X.Y", default_value = "14.0", value_parser = parse_pair)]
    macos: (u16, u16),
    /// The package index for packages without a source of their own.
    #[arg(long, value_name = "URL", default_value = DEFAULT_INDEX_URL, env = "LOCK2NIX_INDEX_URL")]
    index_url: String,
    /// Index requests in flight at once.
    #[arg(short, long, default_value_t = 16)]
    jobs: usize,
    /// Cache directory [default: $XDG_CACHE_HOME/lock2nix]
    #[allow(clippy::doc_markdown, reason = "clap prints this doc comment as the flag's help")]
    #[arg(long, value_name = "DIR", env = "LOCK2NIX_CACHE_DIR")]
    cache_dir: Option<PathBuf>,
    /// Use no disk cache.
    #[arg(long, conflicts_with = "offline")]
    no_cache: bool,
    /// Work from the cache alone; fail naming what is missing.
    #[arg(long)]
    offline: bool,
    /// Ask the index again for every page, whatever the cache holds.
    #[arg(long, conflicts_with = "offline")]
    refresh: bool,
    /// Seconds before an index request times out.
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    timeout: u64,
    /// Retries after a timeout, 429 or 5xx.
    #[arg(long, default_value_t = 3)]
    retries: u32,
    /// The largest index page (or PEP 658 metadata file) read, decompressed, e.g. 64MiB.
    #[arg(long, value_name = "SIZE", default_value = "256MiB")]
    max_page_size: bytesize::ByteSize,
    /// Generate even when the index no longer offers files the lock needs, or a git or url
    /// remote cannot be reached: those packages become attributes that throw when used, and a
    /// warning lists them.
    #[arg(long)]
    allow_missing: bool,
    /// Point the named index source NAME (of the lock or pyproject.toml; `pypi` for the
    /// default index) at another index URL, such as a mirror; files are still checked
    /// against the lock's hashes (repeatable).
    #[arg(long = "source", value_name = "NAME=URL")]
    sources: Vec<String>,
    /// A file of hashes computed for git checkouts and url files the lock gives none for:
    /// read, then extended with what this run computed (commit it beside the lock).
    #[arg(long, value_name = "FILE")]
    hashes: Option<PathBuf>,
    /// Install what the dependency graph reaches, ignoring the per-package markers of a
    /// lock 2.1 (like Poetry's installer.re-resolve = true).
    #[arg(long)]
    re_resolve: bool,
    /// Of the extras and groups a uv.lock's [tool.uv] conflicts keeps apart, hold this one
    /// (and leave out those it conflicts with): one file per variant (repeatable, one per
    /// conflict set).
    #[arg(long = "variant", value_name = "EXTRA|GROUP")]
    variants: Vec<String>,
    /// Print nothing but errors on stderr (no warnings, no summary).
    #[arg(short, long, conflicts_with = "verbose")]
    quiet: bool,
    /// Also print every warning in full and how long each stage took.
    #[arg(short, long)]
    verbose: bool,
    #[command(flatten)]
    overrides: OverrideArgs,
    /// Do not download sdists and manylinux wheels to infer build systems and native
    /// libraries (sdists then get setuptools + wheel, wheels no autoPatchelf).
    #[arg(long)]
    no_infer: bool,
    /// Do not download artifacts larger than this for inference (e.g. 200MB, 1GiB); they
    /// keep what the override database says, and a warning names them.
    #[arg(long, value_name = "SIZE", conflicts_with = "no_infer")]
    infer_max_size: Option<bytesize::ByteSize>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum PreferArg {
    Wheel,
    Sdist,
}

fn parse_system(text: &str) -> Result<System, String> {
    System::parse(text).ok_or_else(|| {
        let all: Vec<&str> = System::ALL.iter().map(lock2nix::System::as_nix).collect();
        format!("unknown system `{text}`; choose from {}", all.join(", "))
    })
}

fn parse_python(text: &str) -> Result<PythonMinor, String> {
    PythonMinor::parse(text).ok_or_else(|| format!("`{text}` is not a CPython version from 3.9 to 3.14"))
}

fn parse_pair(text: &str) -> Result<(u16, u16), String> {
    let (major, minor) = text.split_once('.').unwrap_or((text, "0"));
    match (major.parse(), minor.parse()) {
        (Ok(major), Ok(minor)) => Ok((major, minor)),
        _ => Err(format!("`{text}` is not a version like 2.40")),
    }
}

fn names(list: &[String], flag: &str) -> Result<BTreeSet<PackageName>, Failure> {
    list.iter().map(|n| PackageName::from_owned(n.clone()).map_err(|e| failure!("{flag} {n}: {e}"))).collect()
}

/// The one reporting layer: every error reaches the user here, on one line per message so
/// file names and URLs stay whole for searching and copying.
#[allow(clippy::print_stderr, reason = "the binary is the one reporting layer: it prints")]
fn main() -> ExitCode {
    let cli = Cli::parse();
    tune_allocator(&cli);
    end_cleanly_on_signals();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure { messages, hints, code }) => {
            for message in messages {
                eprintln!("lock2nix: error: {}", printable(&message));
            }
            for hint in hints {
                eprintln!("lock2nix: hint: {}", printable(&hint));
            }
            ExitCode::from(code)
        }
    }
}

/// Ctrl-C, `kill` and a closed terminal end the run at once, removing the temporary files and
/// folders it was writing (`fetch::pending`), with the shell's exit code for the signal.
#[allow(clippy::print_stderr, reason = "the binary is the one reporting layer: it prints")]
fn end_cleanly_on_signals() {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else { return };
    std::thread::spawn(move || {
        if let Some(signal) = signals.forever().next() {
            lock2nix::remove_pending_files();
            eprintln!("lock2nix: interrupted");
            #[allow(clippy::exit, reason = "a signal ends the process at once, from this thread")]
            std::process::exit(128 + signal);
        }
    });
}

fn run(parsed: Cli) -> Result<(), Failure> {
    match parsed.command {
        Some(Command::Overrides { action, source }) => return print_overrides(&action, &source),
        Some(Command::Check { file, cache_dir, offline, verbose }) => {
            return check(&file, cache_dir, offline, verbose);
        }
        Some(Command::Init { generate, force }) => return init(*generate, force),
        None => {}
    }
    let cli = parsed.generate;
    let options = generate_options(&cli)?;
    // The run goes on a thread of the pool its parallel stages use. Beside a main thread that
    // waited for them, the pool's threads would spin between stages and take turns from the
    // serial ones: a thread too many for a machine of two cores (a changed 650-package lock
    // ran 10% faster this way). Started first, its threads are up before the first stage.
    let pool = rayon::ThreadPoolBuilder::new().build().map_err(|e| failure!("cannot start threads: {e}"))?;
    // Written while the run memo remembers the result.
    #[expect(clippy::result_large_err, reason = "the run's one error, returned once")]
    let (generated, written) = pool.install(|| {
        generate_then(&options, |generated| match &cli.output {
            Some(path) => write_atomically(path, |out| generated.nix.write_to(out)),
            None => generated
                .nix
                .write_to(&mut std::io::stdout().lock())
                .map_err(|e| failure!("cannot write to standard output: {e}")),
        })
    })?;
    written?;
    if !cli.quiet {
        report(&generated, cli.verbose);
    }
    // The process ends here: freeing the pipeline's data would only cost time.
    std::mem::forget(generated);
    Ok(())
}

/// The options a generated file's header records, as `lock2nix GenerateArgs` parses them.
#[derive(Parser, Debug)]
#[command(name = "lock2nix", no_binary_name = true)]
struct Recorded {
    #[command(flatten)]
    generate: GenerateArgs,
}

/// `lock2nix check FILE`: exit 0 when FILE is what its recorded command gives now and the
/// lock is not stale against pyproject.toml; 1 when either is stale, or FILE is missing or no
/// lock2nix file; 2 when it cannot tell (regenerating failed: an offline cache gap, an
/// unreachable index).
#[allow(clippy::print_stderr, clippy::print_stdout, reason = "the binary is the one reporting layer: it prints")]
fn check(file: &Path, cache_dir: Option<PathBuf>, offline: bool, verbose: bool) -> Result<(), Failure> {
    let shown = file.display().to_string();
    let text = std::fs::read_to_string(file).map_err(|e| failure!("cannot read {shown}: {e}"))?;
    let arguments = lock2nix::check::recorded_arguments(&text, &shown).map_err(|e| failure!("{e}"))?;
    let recorded = Recorded::try_parse_from(&arguments)
        .map_err(|e| failure!("{shown}: the recorded command is not one this lock2nix accepts: {}", e.kind()))?;
    let mut cli = recorded.generate;
    // Recorded paths are relative to the file's folder.
    let folder = file.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    cli.lock = cli.lock.map(|lock| folder.join(lock));
    cli.pyproject = cli.pyproject.map(|p| folder.join(p));
    cli.overrides.file = cli.overrides.file.map(|p| folder.join(p));
    cli.hashes = cli.hashes.map(|p| folder.join(p));
    cli.index_url = rebase_local_index(folder, &cli.index_url);
    cli.sources = cli
        .sources
        .iter()
        .map(|source| match source.split_once('=') {
            Some((name, url)) => format!("{name}={}", rebase_local_index(folder, url)),
            None => source.clone(),
        })
        .collect();
    cli.output = Some(file.to_path_buf());
    cli.cache_dir = cache_dir;
    cli.offline = offline;
    cli.quiet = true;
    let mut options = generate_options(&cli)?;
    // Checking never writes: not even the --hashes file.
    options.update_hashes = false;
    let generated = generate(&options).map_err(|e| Failure {
        messages: vec![format!(
            "cannot tell whether {shown} is up to date: regenerating it failed: {}",
            with_causes(&e)
        )],
        hints: e.hint().into_iter().collect(),
        code: UNDECIDED,
    })?;
    let generated_text = generated.nix.to_string();
    let comparison = lock2nix::check::compare(&text, &generated_text);
    let command = text.lines().nth(1).and_then(|l| l.strip_prefix("#   ")).unwrap_or_default();
    let regenerate = format!("`{command} -o {shown}` from its folder");
    let mut messages = Vec::new();
    if let Some(stale) = &generated.stale_lock {
        let file_state = if comparison.is_fresh() {
            format!(" ({shown} is up to date with the lock as it is)")
        } else {
            String::new()
        };
        messages.push(format!("{stale}: run `poetry lock`, then regenerate {shown} with {regenerate}{file_state}"));
    }
    if !comparison.is_fresh() {
        if verbose {
            print!("{}", lock2nix::check::unified_diff(&text, &generated_text, &shown));
        }
        let tool = format!("lock2nix {}", env!("CARGO_PKG_VERSION"));
        let version = match lock2nix::check::generated_by(&text) {
            Some(by) if by != tool => format!("; it was generated by {by}, this is {tool}"),
            _ => String::new(),
        };
        messages.push(format!(
            "{shown} is out of date: {}{version}; regenerate it with {regenerate} (-v shows the diff)",
            comparison.summary()
        ));
    }
    if messages.is_empty() {
        eprintln!("lock2nix: {} is up to date", printable(&shown));
        return Ok(());
    }
    Err(Failure { messages, hints: Vec::new(), code: 1 })
}

/// `lock2nix init`: python-packages.nix and the starter files beside the lock, each only when
/// it is not there yet (or with `--force`); a failed generation writes nothing.
#[allow(clippy::print_stderr, reason = "the binary is the one reporting layer: it prints")]
fn init(mut cli: GenerateArgs, force: bool) -> Result<(), Failure> {
    let lock = lock_path(&cli)?;
    let folder = lock.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new(".")).to_path_buf();
    let output = cli.output.clone().unwrap_or_else(|| folder.join("python-packages.nix"));
    cli.output = Some(output.clone());
    let starter_paths = ["flake.nix", ".envrc", ".vscode/settings.json"].map(|p| folder.join(p));
    let wanted = |path: &Path| force || !path.exists();
    let shown = |path: &Path| path.strip_prefix(".").unwrap_or(path).display().to_string();
    let kept: Vec<String> =
        std::iter::once(&output).chain(&starter_paths).filter(|p| !wanted(p)).map(|p| shown(p)).collect();
    if kept.len() == starter_paths.len() + 1 {
        eprintln!("lock2nix: init: {} exist; nothing written (--force replaces them)", kept.join(", "));
        return Ok(());
    }
    // Generated first: the flake is fitted to the project (its interpreter, whether it is a package).
    // Without the memo: the starter files need the run's plan, which the memo does not keep.
    let options = GenerateOptions { memo: false, ..generate_options(&cli)? };
    let generated = generate(&options)?;
    let intermediates = generated.intermediates.as_ref().expect("a run without the memo keeps its intermediates");
    let mut written = Vec::new();
    if wanted(&output) {
        write_atomically(&output, |out| generated.nix.write_to(out))?;
        written.push(shown(&output));
    }
    // Below the top of a git repository, the dev shell must know where (`workingTree`).
    let subfolder = std::process::Command::new("git")
        .arg("-C")
        .arg(&folder)
        .args(["rev-parse", "--show-prefix"])
        .output()
        .ok()
        .filter(|out| out.status.success())
        .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_string());
    let lock_name = lock.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
    let lock_file = lock2nix::init::LockFile { name: &lock_name, relock: intermediates.relock_command() };
    for file in lock2nix::init::starter_files(intermediates.plan(), subfolder.as_deref(), lock_file) {
        let path = folder.join(file.path);
        if wanted(&path) {
            write_atomically(&path, |out| out.write_all(file.text.as_bytes()))?;
            written.push(shown(&path));
        }
    }
    if !cli.quiet {
        report(&generated, cli.verbose);
    }
    let kept =
        if kept.is_empty() { String::new() } else { format!("; kept {} (--force replaces them)", kept.join(", ")) };
    eprintln!("lock2nix: init: wrote {}{kept}", written.join(", "));
    // A flake of the project's own (poetry2nix, say) was kept: it may not use the new file.
    let generated_name = output.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let flake = folder.join("flake.nix");
    if !wanted(&flake) && std::fs::read_to_string(&flake).is_ok_and(|text| !text.contains(&generated_name)) {
        eprintln!(
            "lock2nix: init: warning: the kept {} does not use {generated_name}; see the README's \"The Nix helpers\", or replace it with --force",
            shown(&flake)
        );
    }
    eprintln!(
        "lock2nix: init: next: `git add {}` (flakes only see tracked files), then `direnv allow` or `nix develop`",
        written.join(" ")
    );
    Ok(())
}

/// Warnings (summarised per kind unless `verbose`), then what the run did.
#[allow(clippy::print_stderr, reason = "the binary is the one reporting layer: it prints")]
fn report(generated: &lock2nix::Generated, verbose: bool) {
    for line in summarize_warnings(&generated.warnings, verbose) {
        eprintln!("lock2nix: warning: {}", printable(&line));
    }
    let s = &generated.stats;
    eprintln!(
        "lock2nix: {} packages for {} targets; {} index requests, {} from cache; {} artifacts downloaded for inference{}{}{}",
        s.packages,
        s.targets,
        s.requests,
        s.cache_hits,
        s.downloads,
        if s.metadata_files > 0 { format!(" and {} wheels' .metadata files", s.metadata_files) } else { String::new() },
        if s.too_large > 0 { format!(", {} over --infer-max-size", s.too_large) } else { String::new() },
        if s.remote_sources > 0 { format!("; {} git or url sources fetched", s.remote_sources) } else { String::new() }
    );
    if verbose && s.from_memo {
        eprintln!("lock2nix: answered from the run memo: nothing this run reads has changed (--refresh runs again)");
    } else if verbose {
        eprintln!(
            "lock2nix: parse {:?}, resolve {:?}, fetch {:?}, plan + render {:?}",
            s.parse, s.resolve, s.fetch, s.render
        );
    }
}

/// The lock the command line names, else the one lock in the current folder.
fn lock_path(cli: &GenerateArgs) -> Result<PathBuf, Failure> {
    match &cli.lock {
        Some(lock) => Ok(lock.clone()),
        None => lock2nix::find_lock_in(Path::new("")).map_err(|e| Failure::of(&e, e.hint().map(String::from))),
    }
}

/// The library's options for the command line's arguments.
fn generate_options(cli: &GenerateArgs) -> Result<GenerateOptions, Failure> {
    Ok(GenerateOptions {
        lock: lock_path(cli)?,
        pyproject: cli.pyproject.clone(),
        output: cli.output.clone(),
        resolve: ResolveOptions {
            systems: if cli.systems.is_empty() { System::ALL.to_vec() } else { dedup(cli.systems.clone()) },
            pythons: if cli.pythons.is_empty() { PythonMinor::all().collect() } else { dedup(cli.pythons.clone()) },
            platform: PlatformPolicy { glibc: cli.glibc, macos: cli.macos },
            artifacts: ArtifactPolicy {
                prefer: match cli.prefer {
                    PreferArg::Wheel => Prefer::Wheel,
                    PreferArg::Sdist => Prefer::Sdist,
                },
                no_binary: names(&cli.no_binary, "--no-binary")?,
                only_binary: names(&cli.only_binary, "--only-binary")?,
                unavailable: BTreeSet::new(),
                unreachable: BTreeSet::new(),
            },
            re_resolve: cli.re_resolve,
        },
        fetch: FetchOptions {
            index_url: index_url("--index-url", &cli.index_url)?,
            jobs: cli.jobs.max(1),
            cache_dir: if cli.no_cache { None } else { cli.cache_dir.clone().or_else(FetchOptions::default_cache_dir) },
            offline: cli.offline,
            refresh: cli.refresh,
            reporter: if !cli.quiet && std::io::stderr().is_terminal() {
                SharedReporter::new(progress_bars::ProgressBars::default())
            } else {
                SharedReporter::default()
            },
            timeout: Duration::from_secs(cli.timeout.max(1)),
            retries: cli.retries,
            max_page_size: cli.max_page_size.as_u64(),
            credentials: Credentials::default(),
        },
        overrides: cli.overrides.options(),
        infer: (!cli.no_infer).then(|| InferOptions { max_size: cli.infer_max_size.map(|size| size.as_u64()) }),
        allow_missing: cli.allow_missing,
        hashes: cli.hashes.clone(),
        update_hashes: true,
        sources: cli
            .sources
            .iter()
            .map(|text| parse_source(text).and_then(|(name, url)| Ok((name, index_url("--source", &url)?))))
            .collect::<Result<_, _>>()?,
        variants: {
            let mut variants = cli.variants.clone();
            variants.sort();
            variants.dedup();
            variants
        },
        memo: true,
    })
}

/// `lock2nix overrides list|show NAME`.
fn print_overrides(action: &OverridesAction, source: &OverrideArgs) -> Result<(), Failure> {
    let db = source.options().database().map_err(|e| Failure::of(&e, None))?;
    let text = match action {
        OverridesAction::List => format_override_list(&db),
        OverridesAction::Show { name } => {
            format_override_show(&db, name).ok_or_else(|| failure!("no override entry matches `{name}`"))?
        }
    };
    std::io::stdout().lock().write_all(text.as_bytes()).map_err(|e| failure!("cannot write to standard output: {e}"))
}

/// An index from the command line: an http or https URL, or a local mirror (a folder laid out
/// as a static simple index, by path or `file://` URL), made absolute here; the error shows the
/// URL without its credentials.
fn index_url(flag: &str, text: &str) -> Result<DisplaySafeUrl, Failure> {
    let local = |path: Option<PathBuf>| {
        let folder = path.and_then(|p| std::fs::canonicalize(p).ok()).filter(|p| p.is_dir());
        folder
            .and_then(|folder| url::Url::from_directory_path(folder).ok())
            .map(|url| DisplaySafeUrl::new(url.as_str()))
    };
    let index = match url::Url::parse(text) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.has_host() => Some(DisplaySafeUrl::new(text)),
        Ok(url) if url.scheme() == "file" => local(url.to_file_path().ok()),
        Err(url::ParseError::RelativeUrlWithoutBase) => local(Some(PathBuf::from(text))),
        _ => None,
    };
    index.ok_or_else(|| {
        failure!(
            "{flag} {}: an index must be an http:// or https:// URL, such as {DEFAULT_INDEX_URL}, or the folder of a local mirror (a path or a file:// URL)",
            lock2nix::redact(text)
        )
    })
}

/// A recorded index that is a local mirror's path, relative to the generated file's `folder`
/// (the header records it so); URLs stay as they are.
fn rebase_local_index(folder: &Path, text: &str) -> String {
    match url::Url::parse(text) {
        Err(url::ParseError::RelativeUrlWithoutBase) => folder.join(text).display().to_string(),
        _ => text.to_string(),
    }
}

/// `NAME=URL` of `--source`; checked here rather than by clap, whose error would print the
/// value, credentials included.
fn parse_source(text: &str) -> Result<(String, String), Failure> {
    match text.split_once('=') {
        Some((name, url)) if !name.trim().is_empty() && !url.trim().is_empty() => {
            Ok((name.trim().to_string(), url.trim().to_string()))
        }
        _ => Err(failure!(
            "--source {}: expected NAME=URL, such as `mirror=https://index.example/simple/`",
            lock2nix::redact(text)
        )),
    }
}

fn dedup<T: Ord>(mut list: Vec<T>) -> Vec<T> {
    list.sort();
    list.dedup();
    list
}

/// Writes through a temporary file in the same directory, so readers never see half a file
/// and a failed run leaves the old one in place.
/// Writes what `write` writes to `path`, whole or not at all.
fn write_atomically(path: &Path, write: impl FnOnce(&mut std::fs::File) -> std::io::Result<()>) -> Result<(), Failure> {
    // Also creates the folder: `-o nix/python-packages.nix` in a project without `nix/` yet.
    lock2nix::write_atomically_with(path, lock2nix::PUBLIC_FILE_MODE, write)
        .map_err(|e| failure!("cannot write {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The options the command line `args` gives, and the command the header records for them.
    fn recorded(args: &[&str]) -> String {
        let cli = Cli::try_parse_from(std::iter::once("lock2nix").chain(args.iter().copied())).unwrap();
        lock2nix::recorded_command(&generate_options(&cli.generate).unwrap())
    }

    #[test]
    fn the_recorded_command_reproduces_itself_and_omits_what_changes_no_byte() {
        let args = [
            "--system",
            "aarch64-darwin,x86_64-linux",
            "--python",
            "3.12",
            "--python",
            "3.11",
            "--prefer",
            "sdist",
            "--no-binary",
            "Numpy,scipy",
            "--only-binary",
            "torch",
            "--glibc",
            "2.28",
            "--macos-version",
            "12",
            "--re-resolve",
            "--index-url",
            "https://me:s3cret@mirror.example/simple/",
            "--infer-max-size",
            "200MB",
            "--allow-missing",
            "--jobs",
            "3",
            "--timeout",
            "9",
            "--retries",
            "0",
            "--offline",
            "-q",
            "--cache-dir",
            "/var/cache/x",
            "-o",
            "out.nix",
            "poetry.lock",
        ];
        let command = recorded(&args);
        assert_eq!(
            command,
            "lock2nix --system x86_64-linux,aarch64-darwin --python 3.11,3.12 --prefer sdist --no-binary numpy,scipy \
             --only-binary torch --glibc 2.28 --macos-version 12.0 --re-resolve --index-url https://mirror.example/simple/ \
             --infer-max-size 200000000 --allow-missing poetry.lock"
        );
        let again: Vec<&str> = command.split(' ').skip(1).collect();
        assert_eq!(recorded(&again), command, "the recorded command records itself");
        assert_eq!(recorded(&["poetry.lock"]), "lock2nix poetry.lock", "defaults are not recorded");
        assert_eq!(
            recorded(&["--no-infer", "--no-builtin-overrides", "poetry.lock"]),
            "lock2nix --no-builtin-overrides --no-infer poetry.lock"
        );
    }
}
