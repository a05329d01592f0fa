//! lock2nix: turn a Python lock file into one pure, multi-platform Nix overlay.
//!
//! The pipeline, one private module per stage, run in order by [`generate()`]:
//! lock formats (`lockfile`, `project`) → the format-neutral `model` → `resolve` (markers,
//! wheel tags, selection per target) → `fetch` (index client, cache; the only I/O) → `infer`
//! (build systems and native libraries read from artifacts, driven by `inference`) → `plan`
//! (fixups from inference and `overrides`, cycles, per-target grouping) → `render` (Nix).
//! [`Warning`]s are data the binary prints.
//!
//! The API is what the binary needs: [`generate()`] with its options and result, the
//! [`check`] and [`init`] subcommands, and the few helpers below. Tests and benches reach the
//! stages through the hidden `testing` module, which is not part of the API.

mod additions;
pub mod check;
mod constraint;
mod digest;
mod fetch;
mod filename;
/// Fuzz targets for the fuzz harnesses (`tests/fuzz.rs`, `fuzz/`) only: not part of the API.
#[doc(hidden)]
pub mod fuzzing;
mod generate;
mod infer;
mod inference;
pub mod init;
mod limits;
mod lockfile;
mod model;
mod name;
mod overrides;
mod plan;
mod project;
mod render;
mod report;
mod resolve;
mod safe_url;
mod text;
mod toml_error;
mod toml_light;
mod warning;

pub use fetch::credentials::Credentials;
pub use fetch::pending::{PUBLIC as PUBLIC_FILE_MODE, remove_all as remove_pending_files, write_atomically_with};
pub use fetch::reporter::{Reporter, SharedReporter, Task};
pub use fetch::{DEFAULT_INDEX_URL, FetchOptions};
pub use generate::{
    GenerateError, GenerateOptions, Generated, Intermediates, OverrideOptions, Stats, generate, generate_then,
    recorded_command,
};
pub use inference::InferOptions;
pub use limits::printable;
pub use lockfile::{LockError, find_in as find_lock_in};
pub use name::PackageName;
pub use overrides::{format_list as format_override_list, format_show as format_override_show};
pub use render::NixText;
pub use report::with_causes;
pub use resolve::target::{PlatformPolicy, PythonMinor, System};
pub use resolve::{ArtifactPolicy, Prefer, ResolveOptions};
pub use safe_url::{DisplaySafeUrl, redact};
pub use warning::{Warning, WarningKind, summarize as summarize_warnings};

/// The stages' own types and functions, for the tests and benches: not part of the API.
#[doc(hidden)]
pub mod testing;
