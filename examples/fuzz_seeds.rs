//! Writes the seed corpus and the dictionary of every fuzz target for cargo fuzz (FUZZING.md):
//!
//!     cargo run --example fuzz_seeds -- fuzz [FOLDER...]
//!
//! The seeds come from `tests/fixtures` and from each FOLDER of real inputs (lock files,
//! pyproject.toml files, simple-API pages), as `lock2nix::fuzzing::seeds` picks them; they go to
//! `fuzz/corpus/TARGET/`, named by content like libFuzzer's own, and the tokens to
//! `fuzz/dict/TARGET.dict`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use lock2nix::fuzzing::{Target, seeds};
use sha2::Digest;

#[allow(clippy::print_stdout, reason = "an example command reports what it wrote")]
fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let out = PathBuf::from(args.next().unwrap_or_else(|| "fuzz".into()));
    let extra: Vec<PathBuf> = args.map(PathBuf::from).collect();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut folders = vec![fixtures.as_path()];
    folders.extend(extra.iter().map(PathBuf::as_path));
    let seeds = seeds(&folders);
    std::fs::create_dir_all(out.join("dict"))?;
    for target in Target::ALL {
        let corpus = out.join("corpus").join(target.name());
        std::fs::create_dir_all(&corpus)?;
        let inputs = &seeds[&target];
        for input in inputs {
            let name = sha2::Sha256::digest(input)[..20].iter().fold(String::new(), |mut name, b| {
                let _ = write!(name, "{b:02x}");
                name
            });
            std::fs::write(corpus.join(name), input)?;
        }
        std::fs::write(out.join("dict").join(format!("{}.dict", target.name())), dictionary(&target.tokens()))?;
        println!("{}: {} seeds in {}", target.name(), inputs.len(), corpus.display());
    }
    Ok(())
}

/// libFuzzer's dictionary format: one quoted token a line, `\\`, `\"` and `\xNN` escaped.
fn dictionary(tokens: &[&str]) -> String {
    let mut text = String::new();
    for token in tokens {
        text.push('"');
        for byte in token.bytes() {
            match byte {
                b'\\' | b'"' => write!(text, "\\{}", byte as char).unwrap(),
                b' '..=b'~' => text.push(byte as char),
                _ => write!(text, "\\x{byte:02X}").unwrap(),
            }
        }
        text.push_str("\"\n");
    }
    text
}
