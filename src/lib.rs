//! lock2nix: turn a Python lock file into one pure, multi-platform Nix overlay.
//!
//! The pipeline, one module per stage, run in order by [`generate`]:
//! lock formats ([`lockfile`], [`project`]) → the format-neutral [`model`] →
//! [`resolve`] (markers, wheel tags, selection per target) → [`fetch`] (index client, cache;
//! the only I/O) → [`infer`] (build systems and native libraries read from artifacts, driven
//! by [`inference`]) → [`plan`] (fixups from inference and [`overrides`], cycles, per-target
//! grouping) → [`render`] (Nix). [`warning`]s are data the binary prints.

pub mod check;
pub mod constraint;
pub mod fetch;
pub mod filename;
/// Fuzz targets for the fuzz harnesses (`tests/fuzz.rs`, `fuzz/`) only: not part of the API.
#[doc(hidden)]
pub mod fuzzing;
pub mod generate;
pub mod infer;
pub mod inference;
pub mod init;
pub mod limits;
pub mod lockfile;
pub mod model;
pub mod name;
pub mod overrides;
pub mod plan;
pub mod project;
pub mod render;
pub mod resolve;
pub mod safe_url;
pub mod toml_error;
pub mod warning;
