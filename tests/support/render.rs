//! Renders the hand-written fixtures of tests/fixtures/render through the library, with
//! file locations made up from the lock itself so no index is needed.

use std::collections::BTreeMap;
use std::path::Path;

use lock2nix::PackageName;
use lock2nix::testing::generate::plan_offline;
use lock2nix::testing::plan::{Locations, Plan};
use lock2nix::testing::render::{Header, render};
use lock2nix::testing::resolve::ResolveOptions;
use lock2nix::testing::{lockfile, project};

/// Every locked file at a URL of the caller's choosing, with the lock's own sha256.
pub struct FromLock(BTreeMap<(PackageName, String), (String, String)>);

impl FromLock {
    pub fn new(files: BTreeMap<(PackageName, String), (String, String)>) -> Self {
        Self(files)
    }
}

impl Locations for FromLock {
    fn find(&self, package: &PackageName, filename: &str) -> Option<(&str, &str)> {
        self.0.get(&(package.clone(), filename.to_string())).map(|(u, h)| (u.as_str(), h.as_str()))
    }
}

/// `https://files.example.org/packages/<file>`.
pub fn example_url(file: &str) -> String {
    format!("https://files.example.org/packages/{file}")
}

/// The plan and the rendered Nix of fixture `name` (in tests/fixtures/render).
pub fn render_fixture(name: &str, options: &ResolveOptions, url_for: impl Fn(&str) -> String) -> (Plan, String) {
    render_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/render").join(name), options, url_for)
}

/// The plan and the rendered Nix of the project (its lock and pyproject.toml) in `dir`, with
/// the built-in override database.
pub fn render_dir(dir: &Path, options: &ResolveOptions, url_for: impl Fn(&str) -> String) -> (Plan, String) {
    render_dir_with(dir, options, url_for, &lock2nix::testing::overrides::Database::builtin().unwrap())
}

/// [`render_dir`] with a given override database.
pub fn render_dir_with(
    dir: &Path,
    options: &ResolveOptions,
    url_for: impl Fn(&str) -> String,
    db: &lock2nix::testing::overrides::Database,
) -> (Plan, String) {
    let lock_file =
        ["poetry.lock", "uv.lock", "pylock.toml"].into_iter().find(|name| dir.join(name).is_file()).unwrap();
    let lock = lockfile::read(&dir.join(lock_file)).unwrap();
    let project = project::for_lock(&lock, &dir.join("pyproject.toml"), &[]).unwrap();
    let mut files = BTreeMap::new();
    for package in &lock.packages {
        for file in &package.files {
            let hex = file.hash.as_ref().unwrap().hex.clone();
            files.insert((package.name.clone(), file.filename.clone()), (url_for(&file.filename), hex));
        }
    }
    let (_, plan) = plan_offline(&lock, &project, options, &FromLock(files), db).unwrap();
    let header = Header { tool: "lock2nix (test)".into(), command: format!("lock2nix {lock_file}"), notes: vec![] };
    let nix = render(&plan, &header);
    (plan, nix)
}
