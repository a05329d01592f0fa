//! Helpers shared by the integration tests. Each test binary uses a different subset.
// A test binary has no API: `pub` here only shares helpers between test binaries.
#![allow(dead_code, unused_imports, unreachable_pub)]

pub mod artifacts;
pub mod corpus;
pub mod evaluate;
pub mod git;
pub mod index_server;
pub mod nix;
pub mod project;
pub mod render;
pub mod shop;
pub mod synthetic;

pub use index_server::{Fault, IndexServer, Reply, Request};

use std::fmt::Write as _;
use std::path::PathBuf;

/// Bytes (a digest) as lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

/// `tests/fixtures/<relative>`, read as text.
pub fn fixture(relative: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read fixture {}: {e}", path.display()))
}

/// How deep a generated file's package attributes are indented (`overlay = final: prev: let … in {`).
pub const ATTRIBUTE_INDENT: &str = "      ";

/// The text of the overlay's attribute `name` in a generated file, from its line to the next
/// line at the attribute level (the next attribute, a comment before one, or the closing brace),
/// shifted left so that the attribute starts two spaces in, as a top-level overlay would write it.
pub fn attribute(nix: &str, name: &str) -> String {
    let start = [" ", "\n"]
        .iter()
        .find_map(|after| nix.find(&format!("\n{ATTRIBUTE_INDENT}{name} ={after}")))
        .unwrap_or_else(|| panic!("no attribute `{name}` in:\n{nix}"))
        + 1;
    let deeper = format!("{ATTRIBUTE_INDENT} ");
    let mut lines = Vec::new();
    for (k, line) in nix[start..].split_inclusive('\n').enumerate() {
        let closing = line.strip_prefix(ATTRIBUTE_INDENT).is_some_and(|r| r.starts_with(['}', ')', ']']));
        if k > 0 && !line.starts_with(&deeper) && !closing {
            break;
        }
        lines.push(line.strip_prefix("    ").unwrap_or(line));
    }
    lines.concat()
}

/// Whether the overlay has an attribute `name`.
pub fn has_attribute(nix: &str, name: &str) -> bool {
    [" ", "\n"].iter().any(|after| nix.contains(&format!("\n{ATTRIBUTE_INDENT}{name} ={after}")))
}

/// The comment lines a generated file starts with (what generated it, the command, the lock,
/// the systems and the artifact policy), each ending in a newline.
pub fn header(nix: &str) -> String {
    nix.split_inclusive('\n').take_while(|line| line.starts_with('#')).collect()
}

/// [`header`] for an inline snapshot: through `filters` (see [`project::filtered`]), and with
/// the version of lock2nix on its first line as `[VERSION]`.
pub fn header_text(nix: &str, filters: &[(&str, &str)]) -> String {
    let version = format!("by lock2nix {} with", env!("CARGO_PKG_VERSION"));
    let mut all = vec![(version.as_str(), "by lock2nix [VERSION] with")];
    all.extend_from_slice(filters);
    project::filtered(&header(nix), &all)
}

/// [`project::run_text_generated`] of a run against `server`, which shows as `[INDEX]`.
pub fn generated_run(output: &std::process::Output, server: &IndexServer) -> String {
    project::run_text_generated(output, &[(&server.url(""), "[INDEX]")])
}

/// [`header_text`] of a file generated against `server`, which shows as `[INDEX]`.
pub fn index_header(nix: &str, server: &IndexServer) -> String {
    header_text(nix, &[(&server.url(""), "[INDEX]")])
}

/// The values of the `key = "…";` lines of `text` (a generated attribute), in order.
pub fn quoted_values(text: &str, key: &str) -> Vec<String> {
    let start = format!("{key} = \"");
    text.lines().filter_map(|l| l.trim().strip_prefix(&start)?.strip_suffix("\";").map(str::to_string)).collect()
}

/// The block of `text` that opens with the line `opening` (whole, with its indentation), through
/// the line that closes it at the same indentation; for parts of a generated file that are not
/// overlay attributes (the helpers' metadata).
pub fn block(text: &str, opening: &str) -> String {
    let indent = &opening[..opening.len() - opening.trim_start().len()];
    let mut lines = text.split_inclusive('\n').skip_while(|line| line.trim_end_matches('\n') != opening);
    let first = lines.next().unwrap_or_else(|| panic!("no line `{opening}` in:\n{text}"));
    let mut block = first.to_string();
    for line in lines {
        block.push_str(line);
        if line.strip_prefix(indent).is_some_and(|rest| rest.starts_with(['}', ')', ']'])) {
            break;
        }
    }
    block
}
