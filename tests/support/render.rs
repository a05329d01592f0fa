//! Renders the hand-written fixtures of tests/fixtures/render through the library, with
//! file locations made up from the lock itself so no index is needed.

use std::path::Path;

use lock2nix::testing::generate::plan_offline;
use lock2nix::testing::plan::Plan;
use lock2nix::testing::render::{Header, render};
use lock2nix::testing::resolve::ResolveOptions;
use lock2nix::testing::{OfflineLocations, lockfile, project};

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
    let (_, plan) = plan_offline(&lock, &project, options, &OfflineLocations::new(&lock, url_for), db).unwrap();
    let header = Header { tool: "lock2nix (test)".into(), command: format!("lock2nix {lock_file}"), notes: vec![] };
    let nix = render(&plan, &header).into_string();
    (plan, nix)
}
