//! Evaluating a generated file the way the corpus tests do: parse it, find its root and its
//! targets, and evaluate `nix/tests/eval-overlay.nix` for the oldest and the newest CPython of
//! each system in one `nix-instantiate` call.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;

use super::nix::{
    NIX_SETTINGS, instantiate_eval, instantiate_eval_expr, instantiate_eval_json, nix_tests_dir, stub_dir,
};

/// The systems every output is evaluated for, in the order the reports list them.
pub const SYSTEMS: [&str; 4] = ["x86_64-linux", "aarch64-linux", "x86_64-darwin", "aarch64-darwin"];

/// `nix-instantiate --parse FILE`, with the same settings as every other Nix call.
pub fn nix_parse(file: &Path) -> Result<(), String> {
    let settings = match std::env::var("NIX_CONFIG") {
        Ok(existing) if !existing.trim().is_empty() => format!("{existing}\n{NIX_SETTINGS}"),
        _ => NIX_SETTINGS.to_owned(),
    };
    let output = Command::new("nix-instantiate")
        .arg("--parse")
        .arg(file)
        .env("NIX_CONFIG", settings)
        .stdout(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run nix-instantiate --parse: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "nix-instantiate --parse failed ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim_end()
        ))
    }
}

/// The project's attribute, as the file's metadata for the Nix helpers names it.
pub fn root_attribute(text: &str) -> Option<String> {
    // The helpers' metadata names it: `lock2nix = { … project = "name"; … }`.
    let mut lines = text.lines();
    lines.find(|l| *l == "  lock2nix = {")?;
    let line = lines.find(|l| l.starts_with("    project = "))?;
    let name = line.strip_prefix("    project = \"")?.strip_suffix("\";")?;
    (!name.is_empty() && !name.contains(char::is_whitespace)).then(|| name.to_owned())
}

/// `(3, 10)` for `"3.10"`.
pub fn minor_key(python: &str) -> Option<(u32, u32)> {
    let (major, minor) = python.split_once('.')?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}

/// Per system, the oldest and the newest CPython the file was generated for: from a
/// `# Systems: …; CPython 3.9, 3.10, …` header line, else from the `generated = [ "system/3.X" … ]`
/// list of the file.
pub fn evaluation_pairs(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut targets: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let header = text
        .lines()
        .take_while(|l| l.starts_with('#') || l.trim().is_empty())
        .find_map(|l| l.strip_prefix("# Systems:"));
    if let Some(rest) = header {
        let (systems, pythons) =
            rest.split_once("; CPython ").ok_or_else(|| format!("cannot read the header line `# Systems:{rest}`"))?;
        let pythons: Vec<String> = pythons.split(',').map(|p| p.trim().to_owned()).filter(|p| !p.is_empty()).collect();
        for system in systems.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            targets.insert(system.to_owned(), pythons.clone());
        }
    } else {
        let list = text
            .lines()
            .find_map(|l| l.trim().strip_prefix("generated = ["))
            .ok_or("the output has neither a `# Systems: …; CPython …` header line nor a `generated = [ … ]` list")?;
        for item in list.split('"').skip(1).step_by(2) {
            let (system, python) =
                item.split_once('/').ok_or_else(|| format!("`{item}` in `generated` is not system/3.X"))?;
            targets.entry(system.to_owned()).or_default().push(python.to_owned());
        }
    }
    let mut pairs = Vec::new();
    for system in SYSTEMS {
        let mut pythons = targets.remove(system).unwrap_or_default();
        if pythons.iter().any(|p| minor_key(p).is_none()) {
            return Err(format!("unexpected CPython versions for {system}: {pythons:?}"));
        }
        pythons.sort_by_key(|p| minor_key(p));
        pythons.dedup();
        match (pythons.first(), pythons.last()) {
            (Some(oldest), Some(newest)) => {
                pairs.push((system.to_owned(), oldest.clone()));
                if newest != oldest {
                    pairs.push((system.to_owned(), newest.clone()));
                }
            }
            _ => return Err(format!("the output was generated for no CPython on {system}")),
        }
    }
    if let Some(extra) = targets.keys().next() {
        return Err(format!("the output was generated for an unknown system `{extra}`"));
    }
    Ok(pairs)
}

pub enum PairResult {
    Ok { throws: Vec<String>, count: u64 },
    Failed(String),
}

/// A Nix string literal.
pub fn nix_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' | '\\' | '$' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push_str("\\n"),
            _ => out.push(c),
        }
    }
    out.push('"');
    out
}

/// An absolute Nix path value for `path`.
pub fn nix_path(path: &Path) -> String {
    let abs = std::path::absolute(path).expect("an absolute path");
    format!("(/. + {})", nix_string(abs.to_str().expect("a UTF-8 path")))
}

/// Evaluates every pair in one `nix-instantiate` call. A pair whose `env` throws is
/// evaluated again alone for its message; when the call fails outright (an abort, an
/// evaluation error), every pair is evaluated alone so that each failure is named.
pub fn evaluate_pairs(output: &Path, root: &str, pairs: &[(String, String)]) -> Result<Vec<PairResult>, String> {
    let harness = nix_tests_dir().join("eval-overlay.nix");
    let calls = pairs
        .iter()
        .map(|(system, python)| format!("    (one {} {})\n", nix_string(system), nix_string(python)))
        .collect::<Vec<_>>()
        .concat();
    let expr = format!(
        "let\n  evalOverlay = import {harness};\n  one = system: python:\n    let\n      r = evalOverlay {{ overlay = {overlay}; root = {root}; inherit system python; }};\n      env = builtins.tryEval r.env;\n    in {{ env = if env.success then env.value else null; inherit (r) throws count; }};\nin [\n{calls}]\n",
        harness = nix_path(&harness),
        overlay = nix_path(output),
        root = nix_string(root),
    );
    match instantiate_eval_expr(&expr) {
        Ok(json_text) => {
            let value: Value = serde_json::from_str(&json_text)
                .map_err(|e| format!("the evaluation printed no JSON ({e}): {json_text}"))?;
            let list = value
                .as_array()
                .filter(|l| l.len() == pairs.len())
                .ok_or_else(|| format!("the evaluation returned {json_text}, not a list of {} results", pairs.len()))?;
            Ok(pairs
                .iter()
                .zip(list)
                .map(|((system, python), r)| {
                    if r["env"].as_str().is_some_and(|p| p.ends_with(".drv")) {
                        pair_result(r)
                    } else {
                        PairResult::Failed(evaluate_alone(output, root, system, python))
                    }
                })
                .collect())
        }
        Err(_) => Ok(pairs
            .iter()
            .map(|(system, python)| match instantiate_eval(&harness, &pair_args(output, root, system, python)) {
                Ok(json_text) => match serde_json::from_str::<Value>(&json_text) {
                    Ok(r) => pair_result(&r),
                    Err(e) => PairResult::Failed(format!("no JSON ({e}): {json_text}")),
                },
                Err(e) => PairResult::Failed(e.stderr),
            })
            .collect()),
    }
}

pub fn pair_result(r: &Value) -> PairResult {
    let throws = r["throws"].as_array().map(|l| l.iter().filter_map(|n| n.as_str().map(str::to_owned)).collect());
    match (throws, r["count"].as_u64()) {
        (Some(throws), Some(count)) => PairResult::Ok { throws, count },
        _ => PairResult::Failed(format!("unexpected result {r}")),
    }
}

pub fn pair_args(output: &Path, root: &str, system: &str, python: &str) -> Vec<super::nix::NixArg> {
    vec![
        super::nix::arg_path("overlay", output),
        super::nix::argstr("root", root),
        super::nix::argstr("system", system),
        super::nix::argstr("python", python),
    ]
}

/// The error of evaluating one pair alone (whose `env` did not evaluate together with the others).
pub fn evaluate_alone(output: &Path, root: &str, system: &str, python: &str) -> String {
    let harness = nix_tests_dir().join("eval-overlay.nix");
    match instantiate_eval(&harness, &pair_args(output, root, system, python)) {
        Ok(json_text) => format!("`env` did not evaluate together with the other targets, but alone gives {json_text}"),
        Err(e) => e.stderr,
    }
}

/// The lines of a Nix error that say what went wrong (the trace is long and repetitive).
pub fn short_error(stderr: &str) -> String {
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    let start = lines.iter().position(|l| l.starts_with("error:")).unwrap_or(0);
    let interesting: Vec<&str> = lines[start..]
        .iter()
        .copied()
        .filter(|l| l.starts_with("error:") || l.contains("throw") || l.contains("lock2nix") || l.contains("assert"))
        .take(6)
        .collect();
    if interesting.is_empty() {
        lines.iter().rev().take(10).rev().copied().collect::<Vec<_>>().join("\n")
    } else {
        interesting.join("\n")
    }
}

/// `{ "<system>/<python>" = { env; throws; }; … }` for all `targets` of the generated `file`, in
/// one evaluation (`nix/tests/eval-overlay.nix`); `env` is null where building the project's
/// environment (every group and extra) throws.
pub fn evaluate_targets(file: &Path, root: &str, targets: &[(String, String)]) -> Value {
    let pairs: Vec<String> = targets
        .iter()
        .map(|(system, python)| {
            format!(
                "\"{system}/{python}\" = let r = import {harness} {{ overlay = {overlay}; root = {root}; system = \"{system}\"; python = \"{python}\"; }}; e = builtins.tryEval r.env; in {{ env = if e.success then e.value else null; inherit (r) throws; }};",
                harness = nix_path(&nix_tests_dir().join("eval-overlay.nix")),
                overlay = nix_path(file),
                root = nix_string(root),
            )
        })
        .collect();
    let text = instantiate_eval_expr(&format!("{{ {} }}", pairs.join(" "))).unwrap_or_else(|e| panic!("{e}"));
    serde_json::from_str(&text).unwrap()
}

/// The attributes whose derivation throws on target `key` (`system/python`) of [`evaluate_targets`].
pub fn throws(results: &Value, key: &str) -> Vec<String> {
    results[key]["throws"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect()
}

/// Evaluates `attr` of the package set built with the generated `file` for one system and
/// CPython; the error text on failure.
pub fn package_set_attr(file: &Path, system: &str, python: &str, attr: &str) -> Result<String, String> {
    package_set_eval(file, system, python, &format!("ps.{attr}"))
}

/// Evaluates `body`, a Nix expression of `ps` (the package set built with the generated `file`
/// for one system and CPython), to JSON text; the error text on failure.
pub fn package_set_eval(file: &Path, system: &str, python: &str, body: &str) -> Result<String, String> {
    let py = format!("python{}", python.replace('.', ""));
    let expr = format!(
        "let pkgs = import {stub} {{ system = \"{system}\"; }}; py = pkgs.{py}.override {{ packageOverrides = import {file} {{ inherit pkgs; }}; self = py; }}; ps = py.pkgs; in {body}",
        stub = nix_path(&stub_dir()),
        file = nix_path(file),
    );
    instantiate_eval_expr(&expr).map_err(|e| e.stderr)
}

/// The names of the project's main dependencies on one target (the root's `dependencies`).
pub fn root_dependencies(file: &Path, system: &str, python: &str, root: &str) -> Vec<String> {
    let text = package_set_eval(file, system, python, &format!("map (d: d.pname) (ps.{root}.dependencies or [ ])"))
        .unwrap_or_else(|e| panic!("{e}"));
    serde_json::from_str(&text).unwrap()
}

/// Every `(system, python)` target the generated text was made for (its `generated` list).
pub fn generated_targets(text: &str) -> Vec<(String, String)> {
    let list = text.lines().find_map(|l| l.trim().strip_prefix("generated = [")).expect("a `generated` list");
    list.split('"')
        .skip(1)
        .step_by(2)
        .map(|item| {
            let (system, python) = item.split_once('/').expect("system/3.X");
            (system.to_string(), python.to_string())
        })
        .collect()
}

/// The message a failed Nix evaluation threw: the last `error: ` line of its standard error
/// (older Nix prints that line alone, newer ones after a trace).
pub fn thrown(stderr: &str) -> &str {
    stderr
        .lines()
        .rev()
        .find_map(|l| l.trim().strip_prefix("error: "))
        .unwrap_or_else(|| panic!("no error in:\n{stderr}"))
}

/// Asserts that the project's environment (`env` of `nix/tests/eval-overlay.nix`) evaluates to a
/// derivation on one target of the generated `output`.
#[track_caller]
pub fn assert_environment_evaluates(output: &Path, root: &str, system: &str, python: &str) {
    let harness = nix_tests_dir().join("eval-overlay.nix");
    let result =
        instantiate_eval_json(&harness, &pair_args(output, root, system, python)).unwrap_or_else(|e| panic!("{e}"));
    assert!(result["env"].as_str().is_some_and(|env| env.ends_with(".drv")), "{result}");
}

/// [`thrown`] with the lines that continue it (a message Nix prints over several lines), up to
/// the position Nix quotes the source at (`at FILE:LINE:COLUMN:`) or its `--show-trace` hint;
/// each store path's hash shows as `[HASH]` and this repository as `[REPO]`.
pub fn thrown_whole(stderr: &str) -> String {
    let first = thrown(stderr);
    let start = stderr.rfind(first).expect("the thrown line is in the output");
    let lines: Vec<&str> = stderr[start..]
        .lines()
        .take_while(|line| !line.starts_with("(use '--show-trace'") && !is_position(line))
        .map(str::trim_end)
        .collect();
    let repo = super::nix::repo_root();
    let text = lines.join("\n");
    super::project::filtered(&hidden_store_hashes(text.trim_end()), &[(repo.to_str().unwrap(), "[REPO]")])
}

/// `text` with the hash of each store path (`/nix/store/<hash>-name`) as `[HASH]`: it changes
/// with the stub and the machine.
pub fn hidden_store_hashes(text: &str) -> String {
    const STORE: &str = "/nix/store/";
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find(STORE) {
        let after = at + STORE.len();
        out.push_str(&rest[..after]);
        let hash_end = rest[after..].find('-').map_or(after, |k| after + k);
        let hash = &rest[after..hash_end];
        if hash.len() == 32 && hash.bytes().all(|b| b.is_ascii_alphanumeric()) {
            out.push_str("[HASH]");
            rest = &rest[hash_end..];
        } else {
            rest = &rest[after..];
        }
    }
    out.push_str(rest);
    out
}

/// Whether `line` is where Nix quotes a position (`       at /path/file.nix:12:5:`).
fn is_position(line: &str) -> bool {
    let Some(place) = line.trim().strip_prefix("at ").and_then(|rest| rest.strip_suffix(':')) else {
        return false;
    };
    let mut numbers = place.rsplit(':');
    [numbers.next(), numbers.next()].iter().all(|n| n.is_some_and(|n| n.parse::<u32>().is_ok()))
}
