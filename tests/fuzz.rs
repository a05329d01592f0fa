//! Fuzzing on stable Rust, bounded for CI and unbounded for release checks (FUZZING.md).
//!
//! Each target of `lock2nix::fuzzing` runs on its seeds (the repository's fixtures), then on
//! inputs made by stacking a few edits on a seed: bit flips, byte changes, deletions,
//! duplications, splices from another seed, and dictionary tokens inserted once or repeated
//! thousands of times (deep nesting, long strings, inputs past the size limits). proptest
//! draws the edits from a fixed seed, so a run is reproducible, and shrinks a failing input to
//! few and small edits. A watchdog thread fails the run on an input that takes longer than
//! [`HANG`] or a heap that grows past [`MEMORY`], after saving the inputs under way.
//!
//! Environment: `LOCK2NIX_FUZZ_SECONDS` (per target, default 8), `LOCK2NIX_FUZZ_RUNS` (stop
//! after this many executions instead; with both, whichever comes first), `LOCK2NIX_FUZZ_SEED`
//! (another sequence of inputs, default 0). Findings are written to
//! `target/tmp/fuzz-findings/`.
// Tests print their measurements.
#![allow(clippy::print_stdout)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use lock2nix::fuzzing::{Target, seeds};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, RngAlgorithm, TestError, TestRng, TestRunner};
use sha2::Digest;

/// An input that runs longer than this is a hang (libFuzzer's `-timeout` in FUZZING.md).
const HANG: Duration = Duration::from_secs(10);
/// A heap larger than this is a memory blow-up (libFuzzer's `-rss_limit_mb` in FUZZING.md).
const MEMORY: usize = 2048 << 20;
/// Repeated tokens stop growing an input past this (libFuzzer's `-max_len` in FUZZING.md).
const MAX_LEN: usize = 1 << 20;
/// Inputs per proptest runner; each chunk of the run has its own RNG seed.
const CHUNK: u32 = 64;

/// The system allocator, counting the live heap for the watchdog. A single request past
/// [`MEMORY`] waits here for the watchdog, which saves the input and ends the process.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static HUGE_REQUEST: AtomicBool = AtomicBool::new(false);

#[allow(unsafe_code, reason = "counting the heap takes a global allocator, which is an unsafe trait")]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.size() > MEMORY {
            HUGE_REQUEST.store(true, Ordering::SeqCst);
            loop {
                std::thread::sleep(Duration::from_secs(1));
            }
        }
        LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        // SAFETY: the caller's layout, passed through.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: allocated by `alloc` above with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The input each target is running, and since when.
static RUNNING: Mutex<BTreeMap<Target, (Instant, Vec<u8>)>> = Mutex::new(BTreeMap::new());

fn findings_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("fuzz-findings")
}

/// Writes a finding's input and returns its path.
fn save(target: Target, kind: &str, input: &[u8]) -> PathBuf {
    let digest = sha2::Sha256::digest(input);
    let hex = digest[..6].iter().fold(String::new(), |mut hex, b| {
        let _ = write!(hex, "{b:02x}");
        hex
    });
    let path = findings_dir().join(format!("{}-{kind}-{hex}", target.name()));
    let _ = std::fs::create_dir_all(findings_dir());
    let _ = std::fs::write(&path, input);
    path
}

/// Starts the watchdog once: it ends the process on a hang or a memory blow-up.
fn watchdog() {
    static STARTED: OnceLock<()> = OnceLock::new();
    STARTED.get_or_init(|| {
        std::thread::spawn(|| {
            loop {
                std::thread::sleep(Duration::from_millis(50));
                let memory = HUGE_REQUEST.load(Ordering::SeqCst) || LIVE.load(Ordering::Relaxed) > MEMORY;
                let running = RUNNING.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                for (target, (since, input)) in running.iter() {
                    let kind = if memory {
                        "memory"
                    } else if since.elapsed() > HANG {
                        "hang"
                    } else {
                        continue;
                    };
                    let path = save(*target, kind, input);
                    // Past the test harness's capture, which the process exit would lose.
                    let _ = writeln!(
                        std::io::stderr(),
                        "fuzz {}: {kind} finding (or one running beside it), input saved to {}",
                        target.name(),
                        path.display()
                    );
                    #[allow(
                        clippy::exit,
                        reason = "a hung or runaway input cannot be unwound: the watchdog ends the process"
                    )]
                    std::process::exit(101);
                }
            }
        });
    });
}

/// One edit of an input; positions are fractions of the input's length, so they shrink
/// towards its start and stay valid whatever the earlier edits did.
#[derive(Debug, Clone)]
enum Edit {
    Flip {
        at: Index,
        bit: u8,
    },
    Byte {
        at: Index,
        byte: u8,
    },
    /// A dictionary token, repeated.
    Insert {
        at: Index,
        token: Index,
        repeat: usize,
    },
    /// A dictionary token over the bytes there.
    Overwrite {
        at: Index,
        token: Index,
    },
    Delete {
        at: Index,
        len: usize,
    },
    /// A piece of the input copied elsewhere in it.
    Duplicate {
        from: Index,
        len: usize,
        to: Index,
    },
    /// A piece of another seed inserted.
    Splice {
        seed: Index,
        from: Index,
        len: usize,
        to: Index,
    },
}

fn edit() -> impl Strategy<Value = Edit> {
    let len = prop_oneof![4 => 1..16usize, 2 => 16..512usize, 1 => 512..8192usize];
    // Mostly once; sometimes past the nesting limit (32); rarely past the PEP 508 length limit
    // (16 KiB) and into the tens of thousands (stack depth, quadratic work).
    let repeat = prop_oneof![12 => Just(1usize), 3 => 2..100usize, 1 => 100..40_000usize];
    prop_oneof![
        3 => (any::<Index>(), 0..8u8).prop_map(|(at, bit)| Edit::Flip { at, bit }),
        2 => (any::<Index>(), any::<u8>()).prop_map(|(at, byte)| Edit::Byte { at, byte }),
        6 => (any::<Index>(), any::<Index>(), repeat).prop_map(|(at, token, repeat)| Edit::Insert { at, token, repeat }),
        2 => (any::<Index>(), any::<Index>()).prop_map(|(at, token)| Edit::Overwrite { at, token }),
        3 => (any::<Index>(), len.clone()).prop_map(|(at, len)| Edit::Delete { at, len }),
        2 => (any::<Index>(), len.clone(), any::<Index>()).prop_map(|(from, len, to)| Edit::Duplicate { from, len, to }),
        2 => (any::<Index>(), any::<Index>(), len, any::<Index>())
            .prop_map(|(seed, from, len, to)| Edit::Splice { seed, from, len, to }),
    ]
}

/// `at` as a position in `0..=len` (an insertion point).
fn point(at: Index, len: usize) -> usize {
    at.index(len + 1)
}

/// The bytes `len` long at `from` (clipped to the end).
fn piece(input: &[u8], from: Index, len: usize) -> &[u8] {
    let start = point(from, input.len());
    &input[start..(start + len).min(input.len())]
}

fn apply(seed: &[u8], edits: &[Edit], seeds: &[Vec<u8>], tokens: &[&str]) -> Vec<u8> {
    let mut input = seed.to_vec();
    for edit in edits {
        match edit {
            Edit::Flip { at, bit } if !input.is_empty() => {
                let i = at.index(input.len());
                input[i] ^= 1 << bit;
            }
            Edit::Byte { at, byte } if !input.is_empty() => {
                let i = at.index(input.len());
                input[i] = *byte;
            }
            Edit::Insert { at, token, repeat } => {
                let i = point(*at, input.len());
                let token = token.get(tokens).as_bytes();
                let bytes = token.repeat((*repeat).min(MAX_LEN.saturating_sub(input.len()) / token.len()).max(1));
                input.splice(i..i, bytes);
            }
            Edit::Overwrite { at, token } => {
                let token = token.get(tokens).as_bytes();
                let i = point(*at, input.len());
                let end = (i + token.len()).min(input.len());
                input.splice(i..end, token.iter().copied());
            }
            Edit::Delete { at, len } => {
                let i = point(*at, input.len());
                input.drain(i..(i + len).min(input.len()));
            }
            Edit::Duplicate { from, len, to } => {
                let bytes = piece(&input, *from, *len).to_vec();
                let i = point(*to, input.len());
                input.splice(i..i, bytes);
            }
            Edit::Splice { seed, from, len, to } => {
                let bytes = piece(seed.get::<Vec<u8>>(seeds), *from, *len).to_vec();
                let i = point(*to, input.len());
                input.splice(i..i, bytes);
            }
            Edit::Flip { .. } | Edit::Byte { .. } => {}
        }
    }
    input
}

fn env_number(name: &str) -> Option<u64> {
    let text = std::env::var(name).ok()?;
    Some(text.trim().parse().unwrap_or_else(|_| panic!("{name}={text}: not a whole number")))
}

/// Runs `target` once, known to the watchdog while it runs (and no longer once it panicked).
fn execute(target: Target, input: &[u8]) {
    struct Running(Target);
    impl Drop for Running {
        fn drop(&mut self) {
            RUNNING.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(&self.0);
        }
    }
    RUNNING.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(target, (Instant::now(), input.to_vec()));
    let _running = Running(target);
    target.run(input);
}

/// Fails with the saved input and an excerpt of it.
fn finding(target: Target, message: &str, input: &[u8]) -> ! {
    let path = save(target, "panic", input);
    let shown: String = String::from_utf8_lossy(input).chars().take(400).collect();
    panic!(
        "fuzz {}: {message}\ninput ({} bytes) saved to {}\nit begins: {shown:?}",
        target.name(),
        input.len(),
        path.display()
    );
}

fn fuzz(target: Target) {
    watchdog();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let seeds: Vec<Vec<u8>> = seeds(&[&fixtures]).remove(&target).unwrap_or_default().into_iter().collect();
    assert!(!seeds.is_empty(), "no seeds for {} in {}", target.name(), fixtures.display());
    let tokens = target.tokens();
    let started = Instant::now();
    let runs = env_number("LOCK2NIX_FUZZ_RUNS");
    let seconds = env_number("LOCK2NIX_FUZZ_SECONDS").or(if runs.is_some() { None } else { Some(8) });
    let deadline = seconds.map(|s| started + Duration::from_secs(s));
    let base = env_number("LOCK2NIX_FUZZ_SEED").unwrap_or(0);

    for seed in &seeds {
        if std::panic::catch_unwind(|| execute(target, seed)).is_err() {
            finding(target, "a seed fails", seed);
        }
    }
    let executions = AtomicU64::new(seeds.len() as u64);
    let strategy = (any::<Index>(), prop::collection::vec(edit(), 1..=8));
    let done = || {
        deadline.is_some_and(|d| Instant::now() >= d) || runs.is_some_and(|r| executions.load(Ordering::Relaxed) >= r)
    };
    let mut chunk = 0u64;
    while !done() {
        let rng_seed = sha2::Sha256::digest(format!("{} {base} {chunk}", target.name()));
        let config = Config { cases: CHUNK, failure_persistence: None, max_shrink_time: 60_000, ..Config::default() };
        let mut runner = TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &rng_seed));
        let result = runner.run(&strategy, |(seed, edits)| {
            if done() {
                return Ok(());
            }
            let input = apply(seed.get::<Vec<u8>>(&seeds), &edits, &seeds, &tokens);
            execute(target, &input);
            executions.fetch_add(1, Ordering::Relaxed);
            Ok(())
        });
        match result {
            Ok(()) => {}
            Err(TestError::Fail(reason, (seed, edits))) => {
                let input = apply(seed.get::<Vec<u8>>(&seeds), &edits, &seeds, &tokens);
                finding(target, &format!("{reason} (chunk {chunk} of seed {base}; edits {edits:?})"), &input);
            }
            Err(TestError::Abort(reason)) => panic!("fuzz {}: proptest aborted: {reason}", target.name()),
        }
        chunk += 1;
    }
    let elapsed = started.elapsed();
    let executions = executions.load(Ordering::Relaxed);
    #[allow(clippy::cast_precision_loss, reason = "a rate shown to whole units")]
    let rate = executions as f64 / elapsed.as_secs_f64();
    println!(
        "fuzz {}: {executions} executions in {:.1} s ({rate:.0}/s), {} seeds, no finding",
        target.name(),
        elapsed.as_secs_f64(),
        seeds.len()
    );
}

#[test]
fn poetry_lock() {
    fuzz(Target::PoetryLock);
}

#[test]
fn pyproject() {
    fuzz(Target::Pyproject);
}

#[test]
fn uv_lock() {
    fuzz(Target::UvLock);
}

#[test]
fn pylock() {
    fuzz(Target::Pylock);
}

#[test]
fn marker() {
    fuzz(Target::Marker);
}

#[test]
fn constraint() {
    fuzz(Target::Constraint);
}

#[test]
fn filename() {
    fuzz(Target::Filename);
}

#[test]
fn simple_json() {
    fuzz(Target::SimpleJson);
}

#[test]
fn simple_html() {
    fuzz(Target::SimpleHtml);
}

#[test]
fn every_target_has_a_test_here_and_in_the_cargo_fuzz_crate() {
    let here = include_str!("fuzz.rs");
    let fuzz_manifest = include_str!("../fuzz/Cargo.toml");
    for target in Target::ALL {
        assert!(here.contains(&format!("fn {}() {{", target.name())), "tests/fuzz.rs lacks {}", target.name());
        assert!(
            fuzz_manifest.contains(&format!("name = \"{}\"", target.name())),
            "fuzz/Cargo.toml lacks {}",
            target.name()
        );
    }
}
