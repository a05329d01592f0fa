//! A new user's first minutes, typed into a terminal (tmux): `lock2nix init` in a copy of a
//! project, `git add`, `nix develop`, then the project imported from the working tree and its
//! console script run inside the shell, an edit seen at once.
//!
//! The starter flake is used as written; only its inputs are swapped for what this machine
//! has: `nixpkgs` is a flake around the stub (its Rust builder replaced by a copy of the
//! lock2nix binary cargo built for this test), and `lock2nix` is this repository.

mod support;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use support::nix::{NIX_SETTINGS, host_python, repo_root, require_nix, stub_dir};
use support::shop;

/// A flake that gives the stub as `legacyPackages` for every system.
fn stub_flake(dir: &Path) {
    let text = format!(
        r#"{{
  outputs = _: let
    stubLib = import {stub}/lib.nix;
    systems = [ "x86_64-linux" "aarch64-linux" "x86_64-darwin" "aarch64-darwin" ];
    # lock2nix's package: the binary cargo built, instead of a Rust build the stub cannot do.
    prebuilt = final: prev: {{
      rustPlatform = prev.rustPlatform // {{
        buildRustPackage = args: final.runCommand "${{args.pname}}-${{args.version}}" {{ }} ''
          mkdir -p "$out/bin"
          cp {binary} "$out/bin/lock2nix"
        '';
      }};
    }};
  in {{
    lib = stubLib;
    legacyPackages = stubLib.genAttrs systems (system: import {stub} {{ inherit system; hostPython = "{python}"; overlays = [ prebuilt ]; }});
  }};
}}
"#,
        stub = stub_dir().display(),
        binary = env!("CARGO_BIN_EXE_lock2nix"),
        python = host_python().display(),
    );
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("flake.nix"), text).unwrap();
}

/// A tmux server of its own (its socket named after this process), so that the shell gets
/// this test's environment, not that of a server already running.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn start(dir: &Path, path: &str) -> Self {
        let socket = format!("lock2nix-test-{}", std::process::id());
        let status = Command::new("tmux")
            .args(["-L", &socket, "new-session", "-d", "-x", "200", "-y", "50", "-c"])
            .arg(dir)
            .args(["bash", "--noprofile", "--norc"])
            .env("PATH", path)
            .env("NIX_CONFIG", NIX_SETTINGS)
            .env_remove("REPO_ROOT")
            .env_remove("TMUX")
            .status()
            .expect("tmux is installed");
        assert!(status.success());
        Self { socket }
    }

    fn tmux(&self) -> Command {
        let mut command = Command::new("tmux");
        command.args(["-L", &self.socket]);
        command
    }

    fn type_line(&self, line: &str) {
        assert!(self.tmux().args(["send-keys", "-l", line]).status().unwrap().success());
        assert!(self.tmux().args(["send-keys", "Enter"]).status().unwrap().success());
    }

    fn screen(&self) -> String {
        let out = self.tmux().args(["capture-pane", "-p", "-J", "-S", "-2000"]).output().unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Waits until the screen shows `text` (printed by a command, not the typed line).
    fn wait_for(&self, text: &str, limit: Duration) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if screen.lines().any(|l| l.trim_end() == text) {
                return screen;
            }
            let failed = screen.lines().any(|l| l.starts_with("error:") || l.starts_with("Traceback"));
            assert!(!failed && start.elapsed() < limit, "`{text}` did not appear within {limit:?}:\n{screen}");
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.tmux().arg("kill-server").status();
    }
}

#[test]
fn a_new_user_gets_a_working_shell_from_lock2nix_init() {
    if !require_nix("a_new_user_gets_a_working_shell_from_lock2nix_init") {
        return;
    }
    let (project, server) = shop::project();
    let inputs = tempfile::tempdir().unwrap();
    stub_flake(&inputs.path().join("nixpkgs"));
    let bin = Path::new(env!("CARGO_BIN_EXE_lock2nix")).parent().unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let tmux = Tmux::start(project.path(), &path);

    // The stub builds only the host's CPython: the file serves that one, so the flake uses it.
    let python = support::nix::python_version(&host_python());
    tmux.type_line(&format!(
        "lock2nix init --python {python} --cache-dir cache --index-url {} && echo INIT-DONE",
        server.index_url()
    ));
    let screen = tmux.wait_for("INIT-DONE", Duration::from_mins(1));
    let flake = project.read("flake.nix").unwrap();
    let chosen: Vec<&str> = flake.lines().map(str::trim).filter(|line| line.starts_with("python = ")).collect();
    assert_eq!(chosen, [format!("python = pkgs.python{};", python.replace('.', ""))], "{flake}");
    let wrote = "lock2nix: init: wrote python-packages.nix, flake.nix, .envrc, .vscode/settings.json";
    assert_eq!(screen.lines().filter(|line| line.trim_end() == wrote).count(), 1, "{screen}");
    tmux.type_line("git init -q && git add -A && echo GIT-DONE");
    tmux.wait_for("GIT-DONE", Duration::from_secs(30));
    // The stub needs --impure (it reads the machine's system); a user's nixpkgs does not.
    tmux.type_line(&format!(
        "nix develop --impure --no-write-lock-file --override-input nixpkgs path:{} --override-input lock2nix git+file://{}",
        inputs.path().join("nixpkgs").display(),
        repo_root().display()
    ));
    tmux.type_line("python -c 'import shop; print(\"VALUE\", shop.VALUE, shop.__file__)'");
    let screen =
        tmux.wait_for(&format!("VALUE one {}", project.join("src/shop/__init__.py").display()), Duration::from_mins(5));
    assert!(!screen.contains("Traceback"), "{screen}");
    tmux.type_line("shop");
    tmux.wait_for("one h1", Duration::from_secs(30));
    // An edit in the working tree shows without leaving the shell or rebuilding.
    project.write("src/shop/__init__.py", "import dep_a, helper\nVALUE = 'two'\n");
    tmux.type_line("shop");
    tmux.wait_for("two h1", Duration::from_secs(30));
    // The editor's interpreter path follows the shell.
    tmux.type_line("readlink .lock2nix/python | grep -q -- '-env$' && echo LINK-OK");
    tmux.wait_for("LINK-OK", Duration::from_secs(30));
}
