//! Git repositories for tests: a git independent of the machine's configuration, and
//! `git daemon` serving a folder of repositories on 127.0.0.1.
// A test binary has no API: `pub` here only shares helpers between test binaries.
#![allow(unreachable_pub)]
// Tests print what they leave out or fall back to.
#![allow(clippy::print_stderr)]

use std::fs;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// git for building the fixtures, independent of the machine's configuration.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let output = fixture_git()
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run git (the test needs git on PATH): {e}"));
    assert!(output.status.success(), "git {args:?} in {}: {}", dir.display(), String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

pub fn fixture_git() -> Command {
    let mut cmd = Command::new("git");
    cmd.args(["-c", "user.name=lock2nix test", "-c", "user.email=test@lock2nix.invalid"])
        .args(["-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false", "-c", "init.defaultBranch=main"])
        .args(["-c", "protocol.file.allow=always", "-c", "core.autocrlf=false"])
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE");
    cmd
}

pub fn write(path: &Path, text: &str) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

pub fn commit_all(repo: &Path, message: &str) -> String {
    git(repo, &["add", "-A"]);
    git(repo, &["commit", "-q", "-m", message]);
    git(repo, &["rev-parse", "HEAD"])
}

/// `git daemon` on 127.0.0.1, killed when dropped.
pub struct Daemon {
    child: Child,
    pub port: u16,
}

impl Daemon {
    pub fn start(base: &Path, log: &Path) -> Result<Self, String> {
        let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map_err(|e| e.to_string())?.port();
        let base_arg = format!("--base-path={}", base.display());
        // `git daemon` would run `git-daemon` as a child that outlives a killed `git`: run the
        // daemon itself, so that killing it ends it.
        let exec_path = PathBuf::from(git(base, &["--exec-path"]));
        let child = Command::new(exec_path.join("git-daemon"))
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .args(["--reuseaddr", "--export-all", "--informative-errors", "--listen=127.0.0.1"])
            .arg(format!("--port={port}"))
            .arg(&base_arg)
            .arg(base)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(fs::File::create(log).map_err(|e| e.to_string())?)
            .spawn()
            .map_err(|e| format!("cannot start git daemon: {e}"))?;
        let mut daemon = Self { child, port };
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Ok(daemon);
            }
            if let Ok(Some(status)) = daemon.child.try_wait() {
                return Err(format!("git daemon exited ({status}): {}", fs::read_to_string(log).unwrap_or_default()));
            }
            if Instant::now() > deadline {
                return Err("git daemon did not listen within 15 s".to_owned());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The served repositories: `git://127.0.0.1:PORT/` (or `file://BASE/` when git daemon
/// cannot run here, said loudly), and the daemon to keep alive.
pub fn serve(base: &Path, log: &Path) -> (String, Option<Daemon>) {
    match Daemon::start(base, log) {
        Ok(daemon) => (format!("git://127.0.0.1:{}/", daemon.port), Some(daemon)),
        Err(e) => {
            eprintln!("WARNING: git daemon failed ({e}); serving the repositories over file:// instead");
            (format!("file://{}/", base.display()), None)
        }
    }
}
