//! The hot path: parsing, the per-target resolver loop, and rendering, on a generated
//! 1,000-package lock and on the largest poetry.lock and uv.lock of the shared corpus when it
//! is present (`LOCK2NIX_CORPUS`, default `../shared/corpus`). For that uv.lock, also a whole
//! warm `lock2nix` run beside `uv export --frozen` on the same lock (uv from PATH or
//! `$LOCK2NIX_UV`).

#[path = "support/synthetic.rs"]
mod synthetic;

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use lock2nix::FetchOptions;
use lock2nix::testing::OfflineLocations;
use lock2nix::testing::fetch::{ProjectQuery, locate, locate_for_lock};
use lock2nix::testing::lockfile;
use lock2nix::testing::model::Lock;
use lock2nix::testing::plan;
use lock2nix::testing::project::{self, Project};
use lock2nix::testing::render::{self, Header};
use lock2nix::testing::resolve::{self, ResolveOptions};

/// The corpus case whose `lock_name` has the most packages: (label, folder, lock text).
fn largest_corpus_lock(lock_name: &str) -> Option<(String, PathBuf, String)> {
    let root =
        std::env::var_os("LOCK2NIX_CORPUS").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("../shared/corpus"));
    let mut best: Option<(usize, String, PathBuf, String)> = None;
    for group in std::fs::read_dir(&root).ok()?.flatten() {
        for case in std::fs::read_dir(group.path()).into_iter().flatten().flatten() {
            let Ok(lock_text) = std::fs::read_to_string(case.path().join(lock_name)) else { continue };
            let count = lock_text.matches("[[package]]").count();
            if best.as_ref().is_none_or(|b| count > b.0) {
                let label = case.path().strip_prefix(&root).unwrap_or(Path::new("?")).display().to_string();
                best = Some((count, label, case.path(), lock_text));
            }
        }
    }
    best.map(|(_, label, dir, lock)| (label, dir, lock))
}

/// Parse, resolve, plan and render of `lock_text` (a lock named `lock_name`), its project
/// read from `dir` (the pyproject.toml there, when the lock does not record its roots).
fn bench_input(c: &mut Criterion, label: &str, dir: &Path, lock_name: &str, lock_text: &str) {
    let parse = |text: &str| match lock_name {
        "uv.lock" => lockfile::uv::parse(text, lock_name),
        _ => lockfile::poetry::parse(text, lock_name),
    };
    let lock = parse(lock_text).expect("lock parses");
    let project: Project = project::for_lock(&lock, &dir.join("pyproject.toml"), &[]).expect("pyproject parses");
    let options = ResolveOptions::default();
    let resolution = resolve::resolve(&lock, &project, &options).expect("resolves");
    let package_targets = (lock.packages.len() * resolution.targets.len()) as u64;
    let where_ = OfflineLocations::new(&lock, |file| format!("https://files.example.org/{file}"));
    let planned = plan::plan(&lock, &project, &resolution, &where_, &plan::Plain).expect("plans");
    let header = Header { tool: "lock2nix".into(), command: "lock2nix".into(), notes: vec![] };

    let mut group = c.benchmark_group(label);
    group.throughput(Throughput::Elements(lock.packages.len() as u64));
    group.bench_function("parse", |b| b.iter(|| parse(lock_text).unwrap()));
    group.throughput(Throughput::Elements(package_targets));
    group.bench_function("resolve (all targets)", |b| b.iter(|| resolve::resolve(&lock, &project, &options).unwrap()));
    group.bench_function("plan + render", |b| {
        b.iter(|| render::render(&plan::plan(&lock, &project, &resolution, &where_, &plan::Plain).unwrap(), &header));
    });
    group.bench_function("render", |b| b.iter(|| render::render(&planned, &header)));
    group.finish();
}

/// A whole run of the binary on the uv.lock in `dir` (`--no-infer`: a uv.lock needs no index,
/// so no network), beside `uv export --frozen` of the same lock: warm (the run memo answers)
/// and without a cache (every stage runs). BENCHMARKS.md also gives the run with inference
/// facts from a warm cache.
#[allow(clippy::print_stderr, reason = "a bench reports what it leaves unmeasured")]
fn bench_against_uv_export(c: &mut Criterion, label: &str, dir: &Path) {
    let work = tempfile::tempdir().expect("a temporary folder");
    let cache = work.path().join("cache");
    // `flags` with `--no-cache` run without the cache folder.
    let run = |flags: &[&str]| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_lock2nix"));
        command.current_dir(dir).args(["uv.lock", "-q", "-o"]).arg(work.path().join("out.nix"));
        if !flags.contains(&"--no-cache") {
            command.arg("--cache-dir").arg(&cache);
        }
        command.args(flags).output().expect("lock2nix runs")
    };
    let flags = ["--offline", "--no-infer"];
    assert!(run(&flags).status.success(), "lock2nix {} fails on {label}", flags.join(" "));
    let uncached = ["--no-infer", "--no-cache"];
    let uv = std::env::var_os("LOCK2NIX_UV").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("uv"));
    let export = || {
        std::process::Command::new(&uv)
            .current_dir(dir)
            .args(["export", "--frozen", "--offline", "--all-groups", "--no-hashes", "--quiet", "-o"])
            .arg(work.path().join("requirements.txt"))
            .env("UV_CACHE_DIR", work.path().join("uv-cache"))
            .output()
    };
    let mut group = c.benchmark_group(format!("{label} whole run"));
    group.sample_size(10);
    group.bench_function(format!("lock2nix uv.lock {}", flags.join(" ")), |b| {
        b.iter(|| assert!(run(&flags).status.success()));
    });
    group.bench_function(format!("lock2nix uv.lock {}", uncached.join(" ")), |b| {
        b.iter(|| assert!(run(&uncached).status.success()));
    });
    match export() {
        Ok(out) if out.status.success() => {
            group.bench_function("uv export --frozen", |b| b.iter(|| assert!(export().unwrap().status.success())));
        }
        _ => eprintln!("no uv (PATH or $LOCK2NIX_UV): `uv export` is not measured beside lock2nix"),
    }
    group.finish();
}

/// The fetch stage's warm lookups on a lock of `packages` packages, against a local mirror
/// (`file://`, static pages) so that no network is involved: a changed lock's run, answered
/// by the located-files memory of the lock's last run (one small read), against the same
/// lookup answered from the cached index pages (one read and parse per project).
fn bench_warm_lookup(c: &mut Criterion, label: &str, lock: &Lock) {
    let work = tempfile::tempdir().expect("a temporary folder");
    let mirror = work.path().join("mirror");
    let mut queries = Vec::new();
    let index = format!("file://{}/", mirror.display());
    for package in &lock.packages {
        let mut links = String::new();
        for file in &package.files {
            let hex = file.hash.as_ref().map_or_else(String::new, |h| format!("#sha256={}", h.hex()));
            let _ = writeln!(links, "<a href=\"https://files.example.org/{0}{hex}\">{0}</a>", file.filename);
        }
        let folder = mirror.join(package.name.as_ref());
        std::fs::create_dir_all(&folder).expect("a mirror folder");
        std::fs::write(folder.join("index.html"), format!("<html><body>\n{links}</body></html>\n")).expect("written");
        queries.push(ProjectQuery {
            index_url: index.as_str().into(),
            project: package.name.clone(),
            files: package.files.iter().collect(),
            chosen: Vec::new(),
            versions: BTreeSet::new(),
            may_be_unreachable: false,
        });
    }
    let lock_path = work.path().join("poetry.lock");
    std::fs::write(&lock_path, "").expect("written");
    let options = FetchOptions {
        index_url: index.as_str().into(),
        cache_dir: Some(work.path().join("cache")),
        ..FetchOptions::default()
    };
    // The first run fills the page cache and the memory.
    locate_for_lock(&queries, &options, &lock_path).expect("the mirror answers");
    let mut group = c.benchmark_group(format!("{label} warm lookup"));
    group.throughput(Throughput::Elements(queries.len() as u64));
    group.bench_function("located-files memory (a changed lock)", |b| {
        b.iter(|| locate_for_lock(&queries, &options, &lock_path).expect("answered"));
    });
    group.bench_function("cached index pages", |b| b.iter(|| locate(&queries, &options).expect("answered")));
    group.finish();
}

#[allow(clippy::print_stderr, reason = "a bench reports what it leaves unmeasured")]
fn benches(c: &mut Criterion) {
    let generated = synthetic::project(1000);
    let dir = tempfile::tempdir().expect("a temporary folder");
    std::fs::write(dir.path().join("pyproject.toml"), &generated.pyproject).expect("written");
    bench_input(c, "generated-1000", dir.path(), "poetry.lock", &generated.lock);
    let lock = lockfile::poetry::parse(&generated.lock, "poetry.lock").expect("the generated lock parses");
    bench_warm_lookup(c, "generated-1000", &lock);
    for lock_name in ["poetry.lock", "uv.lock"] {
        let Some((label, dir, lock)) = largest_corpus_lock(lock_name) else {
            eprintln!("corpus not found: set LOCK2NIX_CORPUS to bench the largest corpus locks too");
            return;
        };
        bench_input(c, &format!("corpus {label}"), &dir, lock_name, &lock);
        if lock_name == "uv.lock" {
            bench_against_uv_export(c, &format!("corpus {label}"), &dir);
        }
    }
}

criterion_group! {
    name = pipeline;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(4));
    targets = benches
}
criterion_main!(pipeline);
