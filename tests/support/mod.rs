//! Helpers shared by the integration tests. Each test binary uses a different subset.
#![allow(dead_code, unused_imports)]

pub mod artifacts;
pub mod corpus;
pub mod evaluate;
pub mod git;
pub mod index_server;
pub mod nix;
pub mod project;
pub mod render;
pub mod synthetic;

pub use index_server::{IndexServer, Reply, Request};

use std::path::PathBuf;

/// `tests/fixtures/<relative>`, read as text.
pub fn fixture(relative: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read fixture {}: {e}", path.display()))
}
