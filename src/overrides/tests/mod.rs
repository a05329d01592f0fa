//! Unit tests of the override database, on small inline files; `builtin.rs` checks the real one.

mod builtin;
mod format;
mod matching;
mod parse;

use uv_pep440::Version;

use super::{Database, OverrideError};
use crate::name::PackageName;

/// The attribute list the inline "built-in" files are checked against.
const KNOWN: &str =
    "# test list\nautoPatchelfHook\nzlib\nstdenv.cc.cc.lib\ncudaPackages.cuda_cudart\nopenssl\npkg-config\n";

/// A database built as `Database::builtin` builds one, from inline files.
fn builtin(files: &[(&str, &str)]) -> Result<Database, OverrideError> {
    Database::from_builtin_texts(files, None, Some(KNOWN))
}

/// One inline built-in file, `overrides/packages/t.toml`.
fn one(text: &str) -> Result<Database, OverrideError> {
    builtin(&[("overrides/packages/t.toml", text)])
}

/// The error message, with its causes, of loading one inline built-in file.
fn error(text: &str) -> String {
    crate::report::with_causes(&one(text).expect_err("the file should be rejected"))
}

fn name(text: &str) -> PackageName {
    PackageName::from_owned(text.to_string()).unwrap()
}

fn version(text: &str) -> Version {
    text.parse().unwrap()
}
