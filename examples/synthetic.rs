//! Writes a synthetic project and a static PEP 503 index for measuring whole runs:
//!
//!     cargo run --release --example synthetic -- 500 target/synthetic
//!     (cd target/synthetic/index && python3 -m http.server 8765 --bind 127.0.0.1) &
//!     lock2nix target/synthetic/project/poetry.lock --index-url http://127.0.0.1:8765/simple/ ...

#[path = "../benches/support/synthetic.rs"]
mod synthetic;

use std::fmt::Write as _;
use std::path::PathBuf;

#[allow(clippy::print_stderr, reason = "an example command reports what it wrote")]
fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let count: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(500);
    let out = PathBuf::from(args.next().unwrap_or_else(|| "synthetic".into()));
    let project = synthetic::project(count);
    std::fs::create_dir_all(out.join("project"))?;
    std::fs::write(out.join("project/poetry.lock"), &project.lock)?;
    std::fs::write(out.join("project/pyproject.toml"), &project.pyproject)?;
    for (name, files) in &project.files {
        let dir = out.join("index/simple").join(name);
        std::fs::create_dir_all(&dir)?;
        let mut html = String::from("<!DOCTYPE html>\n<html><body>\n");
        for (file, sha256) in files {
            let _ = writeln!(html, "<a href=\"../../files/{file}#sha256={sha256}\">{file}</a><br/>");
        }
        html.push_str("</body></html>\n");
        std::fs::write(dir.join("index.html"), html)?;
    }
    eprintln!("wrote {count} packages to {}", out.display());
    Ok(())
}
