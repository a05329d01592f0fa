//! The hot path: parsing, the per-target resolver loop, and rendering, on a generated
//! 1,000-package lock and on the largest lock of the shared corpus when it is present
//! (`LOCK2NIX_CORPUS`, default `../shared/corpus`).

#[path = "support/synthetic.rs"]
mod synthetic;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use lock2nix::lockfile::poetry;
use lock2nix::model::Lock;
use lock2nix::name::PackageName;
use lock2nix::plan::{self, Locations};
use lock2nix::project::{self, Project};
use lock2nix::render::{self, Header};
use lock2nix::resolve::{self, ResolveOptions};

struct FromLock(BTreeMap<(PackageName, String), (String, String)>);

impl Locations for FromLock {
    fn find(&self, package: &PackageName, filename: &str) -> Option<(&str, &str)> {
        self.0.get(&(package.clone(), filename.to_string())).map(|(u, h)| (u.as_str(), h.as_str()))
    }
}

fn locations(lock: &Lock) -> FromLock {
    let mut map = BTreeMap::new();
    for p in &lock.packages {
        for f in &p.files {
            let hex = f.hash.as_ref().map(|h| h.hex.clone()).unwrap_or_else(|| "0".repeat(64));
            map.insert(
                (p.name.clone(), f.filename.clone()),
                (format!("https://files.example.org/{}", f.filename), hex),
            );
        }
    }
    FromLock(map)
}

/// The corpus lock with the most packages whose pyproject parses.
fn largest_corpus_lock() -> Option<(String, String, String)> {
    let root =
        std::env::var_os("LOCK2NIX_CORPUS").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("../shared/corpus"));
    let mut best: Option<(usize, String, String, String)> = None;
    for group in std::fs::read_dir(&root).ok()?.flatten() {
        for case in std::fs::read_dir(group.path()).into_iter().flatten().flatten() {
            let (lock, pyproject) = (case.path().join("poetry.lock"), case.path().join("pyproject.toml"));
            let (Ok(lock_text), Ok(py_text)) = (std::fs::read_to_string(&lock), std::fs::read_to_string(&pyproject))
            else {
                continue;
            };
            let count = lock_text.matches("[[package]]").count();
            if best.as_ref().is_none_or(|b| count > b.0) {
                let label = case.path().strip_prefix(&root).unwrap_or(Path::new("?")).display().to_string();
                best = Some((count, label, lock_text, py_text));
            }
        }
    }
    best.map(|(_, label, lock, py)| (label, lock, py))
}

fn bench_input(c: &mut Criterion, label: &str, lock_text: &str, pyproject: &str) {
    let lock = poetry::parse(lock_text, "poetry.lock").expect("lock parses");
    let project: Project = project::parse(pyproject, "pyproject.toml").expect("pyproject parses");
    let options = ResolveOptions::default();
    let resolution = resolve::resolve(&lock, &project, &options).expect("resolves");
    let package_targets = (lock.packages.len() * resolution.targets.len()) as u64;
    let where_ = locations(&lock);
    let planned = plan::plan(&lock, &project, &resolution, &where_, &plan::Plain).expect("plans");
    let header = Header { tool: "lock2nix".into(), command: "lock2nix".into(), notes: vec![] };

    let mut group = c.benchmark_group(label);
    group.throughput(Throughput::Elements(lock.packages.len() as u64));
    group.bench_function("parse", |b| b.iter(|| poetry::parse(lock_text, "poetry.lock").unwrap()));
    group.throughput(Throughput::Elements(package_targets));
    group.bench_function("resolve (all targets)", |b| b.iter(|| resolve::resolve(&lock, &project, &options).unwrap()));
    group.bench_function("plan + render", |b| {
        b.iter(|| render::render(&plan::plan(&lock, &project, &resolution, &where_, &plan::Plain).unwrap(), &header))
    });
    group.bench_function("render", |b| b.iter(|| render::render(&planned, &header)));
    group.finish();
}

fn benches(c: &mut Criterion) {
    let generated = synthetic::project(1000);
    bench_input(c, "generated-1000", &generated.lock, &generated.pyproject);
    if let Some((label, lock, pyproject)) = largest_corpus_lock() {
        bench_input(c, &format!("corpus {label}"), &lock, &pyproject);
    } else {
        eprintln!("corpus not found: set LOCK2NIX_CORPUS to bench the largest corpus lock too");
    }
}

criterion_group! {
    name = pipeline;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(4));
    targets = benches
}
criterion_main!(pipeline);
