//! Tests of `fetch/git.rs`: repositories made with git in temporary folders, checked against
//! `nix-hash` of independent clones.

use super::messages::*;
use super::*;
use std::os::unix::fs::{PermissionsExt, symlink};

const NIX_SETTINGS: &str =
    "sandbox = false\nbuild-users-group =\nexperimental-features = nix-command flakes\nsubstituters =";

/// git for building the fixtures, independent of the machine's configuration.
fn git(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=lock2nix test", "-c", "user.email=test@lock2nix.invalid"])
        .args(["-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false", "-c", "init.defaultBranch=main"])
        .args(["-c", "protocol.file.allow=always", "-c", "core.autocrlf=false"])
        .args(args)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .output()
        .expect("run git (the tests need git on PATH)");
    assert!(output.status.success(), "git {args:?} failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

fn write(path: &Path, text: &str) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

fn new_repo(path: &Path) {
    fs::create_dir_all(path).unwrap();
    git(path, &["init", "-q"]);
}

fn commit_all(repo: &Path, message: &str) -> String {
    git(repo, &["add", "-A"]);
    git(repo, &["commit", "-q", "-m", message]);
    git(repo, &["rev-parse", "HEAD"])
}

fn file_url(path: &Path) -> String {
    format!("file://{}", path.display())
}

/// `inner` ← submodule of `lib` ← submodule of `super` (at `vendor/lib`); `super` has a
/// package in `pkg/`, an executable, a symlink and a file with CRLF line endings.
struct Fixture {
    _dir: tempfile::TempDir,
    root: PathBuf,
    superproject: PathBuf,
    plain: PathBuf,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    let inner = root.join("inner");
    new_repo(&inner);
    write(&inner.join("inner.txt"), "innermost\n");
    commit_all(&inner, "inner");

    let lib = root.join("lib");
    new_repo(&lib);
    write(&lib.join("lib.py"), "VALUE = 1\n");
    git(&lib, &["submodule", "add", "-q", &file_url(&inner), "deps/inner"]);
    commit_all(&lib, "lib");

    let superproject = root.join("super");
    new_repo(&superproject);
    write(&superproject.join("pkg/pyproject.toml"), "[project]\nname = \"pkg\"\nversion = \"1.0\"\n");
    write(&superproject.join("pkg/src/pkg/__init__.py"), "");
    write(&superproject.join("README"), "top\r\nwith CRLF\r\n");
    write(&superproject.join(".gitattributes"), "*.txt text=auto\n");
    write(&superproject.join("notes.txt"), "lf only\n");
    write(&superproject.join("tool.sh"), "#!/bin/sh\necho tool\n");
    fs::set_permissions(superproject.join("tool.sh"), fs::Permissions::from_mode(0o755)).unwrap();
    symlink("pkg/pyproject.toml", superproject.join("link")).unwrap();
    git(&superproject, &["submodule", "add", "-q", &file_url(&lib), "vendor/lib"]);
    commit_all(&superproject, "super");

    let plain = root.join("plain");
    new_repo(&plain);
    write(&plain.join("pyproject.toml"), "[build-system]\nrequires = [\"setuptools\"]\n");
    write(&plain.join("setup.py"), "from setuptools import setup\nsetup()\n");
    commit_all(&plain, "plain");
    Fixture { _dir: dir, root, superproject, plain }
}

/// The reference: nix-hash of `git clone --recursive` at `rev` with every `.git` removed.
fn reference_hash(url: &str, rev: &str, scratch: &Path) -> String {
    let target = scratch.join(format!("clone-{rev}"));
    git(scratch, &["clone", "-q", "--recursive", url, target.to_str().unwrap()]);
    git(&target, &["checkout", "-q", rev]);
    git(&target, &["submodule", "update", "-q", "--init", "--recursive"]);
    remove_dot_git(&target);
    let output = Command::new("nix-hash")
        .args(["--type", "sha256"])
        .arg(&target)
        .env("NIX_CONFIG", NIX_SETTINGS)
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run `nix-hash` ({e}): these tests need Nix (Debian/Ubuntu: `apt-get install -y nix-bin`)")
        });
    assert!(output.status.success(), "nix-hash: {}", String::from_utf8_lossy(&output.stderr));
    let hex = String::from_utf8(output.stdout).unwrap();
    let hex = hex.trim();
    let mut digest = [0u8; 32];
    for (k, byte) in digest.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * k..2 * k + 2], 16).expect("hex digest");
    }
    nar::sri(&digest)
}

fn remove_dot_git(dir: &Path) {
    for entry in fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let kind = entry.file_type().unwrap();
        if entry.file_name() == ".git" {
            if kind.is_dir() {
                fs::remove_dir_all(entry.path()).unwrap();
            } else {
                fs::remove_file(entry.path()).unwrap();
            }
        } else if kind.is_dir() {
            remove_dot_git(&entry.path());
        }
    }
}

#[test]
fn prefetch_with_submodules_matches_a_recursive_clone() {
    let f = fixture();
    let rev = git(&f.superproject, &["rev-parse", "HEAD"]);
    let url = file_url(&f.superproject);
    let work = f.root.join("work");
    let tree = prefetch(&url, &rev, Some("pkg"), &work).unwrap();
    assert_eq!(tree.hash, reference_hash(&url, &rev, &f.root));
    assert!(tree.submodules);
    assert_eq!(tree.pyproject.as_deref(), Some("[project]\nname = \"pkg\"\nversion = \"1.0\"\n"));
    assert!(!tree.setup_py);
    // The temporary checkout is gone.
    assert_eq!(fs::read_dir(&work).unwrap().count(), 0);
    // Upper-case rev and "./pkg/" are the same thing.
    let again = prefetch(&url, &rev.to_ascii_uppercase(), Some("./pkg/"), &work).unwrap();
    assert_eq!(again, tree);
    // At the top: the top has neither file.
    let top = prefetch(&url, &rev, None, &work).unwrap();
    assert_eq!((top.hash.as_str(), top.pyproject, top.setup_py), (tree.hash.as_str(), None, false));
}

#[test]
fn prefetch_plain_repository() {
    let f = fixture();
    let rev = git(&f.plain, &["rev-parse", "HEAD"]);
    let url = file_url(&f.plain);
    let tree = prefetch(&url, &rev, None, &f.root.join("work")).unwrap();
    assert_eq!(tree.hash, reference_hash(&url, &rev, &f.root));
    assert!(!tree.submodules);
    assert!(tree.setup_py);
    assert!(tree.pyproject.unwrap().contains("setuptools"));
}

#[test]
fn prefetch_of_an_older_commit_falls_back_to_a_full_fetch() {
    let f = fixture();
    let old = git(&f.plain, &["rev-parse", "HEAD"]);
    write(&f.plain.join("later.txt"), "later\n");
    commit_all(&f.plain, "later");
    let url = file_url(&f.plain);
    let expected = reference_hash(&url, &old, &f.root);
    // Protocol v0 refuses an unadvertised commit by id: the depth-1 fetch fails.
    let v0 = Git { program: "git".into(), extra_config: vec!["protocol.version=0".into()] };
    let subject = Subject::new(&url, Some(&old));
    let scratch = f.root.join("probe");
    new_repo(&scratch);
    let refused = v0.run(
        &subject,
        Some(&scratch),
        true,
        &[OsStr::new("fetch"), OsStr::new("--depth"), OsStr::new("1"), OsStr::new(&url), OsStr::new(&old)],
        "fetch",
    );
    assert!(refused.is_err(), "the server was expected to refuse the unadvertised commit");
    let tree = v0.prefetch(&url, &old, None, &f.root.join("work")).unwrap();
    assert_eq!(tree.hash, expected);
    // A commit that is on no branch or tag cannot be fetched that way.
    let dangling = git(&f.plain, &["commit-tree", "-m", "dangling", &format!("{old}^{{tree}}")]);
    let err = v0.prefetch(&url, &dangling, None, &f.root.join("work")).unwrap_err();
    assert!(matches!(err, GitError::Command { .. }), "{err}");
}

#[test]
fn pyproject_and_subdirectory_problems() {
    let f = fixture();
    let repo = f.root.join("odd");
    new_repo(&repo);
    write(&repo.join("big/pyproject.toml"), &"#".repeat(usize::try_from(PYPROJECT_LIMIT).unwrap() + 1));
    symlink("/etc/hostname", repo.join("escape")).unwrap();
    fs::create_dir_all(repo.join("out")).unwrap();
    symlink("/etc/passwd", repo.join("out/pyproject.toml")).unwrap();
    write(&repo.join("file"), "x");
    let rev = commit_all(&repo, "odd");
    let url = file_url(&repo);
    let work = f.root.join("work");
    let check = |sub: &str, needle: &str| {
        let err = prefetch(&url, &rev, Some(sub), &work).unwrap_err();
        assert!(matches!(err, GitError::Subdirectory { .. }), "{sub}: {err}");
        assert!(err.to_string().contains(needle), "{sub}: {err}");
    };
    check("big", "more than the 1 MiB");
    check("out", "not a file of the repository");
    check("missing", "does not exist");
    check("file", "is not a directory");
    check("../x", "relative path inside the repository");
    check("/etc", "relative path inside the repository");
    check("escape", "leads out of the repository");
    assert_eq!(fs::read_dir(&work).unwrap().count(), 0, "temporary checkouts are removed after errors too");
}

#[test]
fn resolve_branches_and_tags() {
    let f = fixture();
    let repo = &f.plain;
    let first = git(repo, &["rev-parse", "HEAD"]);
    git(repo, &["tag", "-a", "v1.0", "-m", "release"]);
    git(repo, &["tag", "light"]);
    git(repo, &["branch", "stable"]);
    write(&repo.join("more.txt"), "more\n");
    let second = commit_all(repo, "more");
    // A branch and a tag with one name: the tag wins, as in `git rev-parse`.
    git(repo, &["tag", "stable", &first]);
    git(repo, &["branch", "dev", &first]);
    let url = file_url(repo);
    assert_eq!(resolve_reference(&url, "main").unwrap(), second);
    assert_eq!(resolve_reference(&url, "HEAD").unwrap(), second);
    assert_eq!(resolve_reference(&url, "v1.0").unwrap(), first, "annotated tag → its commit");
    assert_eq!(resolve_reference(&url, "refs/tags/v1.0").unwrap(), first);
    assert_eq!(resolve_reference(&url, "light").unwrap(), first);
    assert_eq!(resolve_reference(&url, "dev").unwrap(), first);
    assert_eq!(resolve_reference(&url, "refs/heads/main").unwrap(), second);
    assert_eq!(resolve_reference(&url, "stable").unwrap(), first);
    assert_eq!(resolve_reference(&url, &first.to_ascii_uppercase()).unwrap(), first);
    let err = resolve_reference(&url, "no-such-branch").unwrap_err();
    assert!(matches!(err, GitError::UnknownReference { .. }), "{err}");
    // A name that is only the tail of a ref does not match it.
    assert!(resolve_reference(&url, "ain").is_err());
    assert!(matches!(resolve_reference(&url, &first[..10]), Err(GitError::UnknownReference { .. })));
}

#[test]
fn credentials_never_reach_messages() {
    let dir = tempfile::tempdir().unwrap();
    let url = "http://user:secret@127.0.0.1:1/x.git";
    let rev = "0123456789abcdef0123456789abcdef01234567";
    let errors = [
        resolve_reference(url, "main").unwrap_err(),
        prefetch(url, rev, None, dir.path()).unwrap_err(),
        prefetch(url, "main", None, dir.path()).unwrap_err(),
        prefetch(url, rev, Some("../up"), dir.path()).unwrap_err(),
        resolve_reference("-http://user:secret@x/", "main").unwrap_err(),
    ];
    for err in &errors {
        let text = format!("{err} {err:?}");
        assert!(!text.contains("secret"), "credentials in {text}");
        assert!(text.contains("127.0.0.1") || text.contains("x/"), "the URL is named: {text}");
    }
    assert!(matches!(errors[0], GitError::Command { .. }), "{}", errors[0]);
    assert!(matches!(errors[1], GitError::Command { .. }), "{}", errors[1]);
    assert!(matches!(errors[2], GitError::InvalidRev { .. }), "{}", errors[2]);
    assert!(matches!(errors[4], GitError::InvalidUrl { .. }), "{}", errors[4]);
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn missing_git_program_is_its_own_error() {
    let git = Git { program: "/nonexistent/lock2nix-no-git".into(), extra_config: Vec::new() };
    let err = git.resolve_reference("https://u:secret@example.invalid/r.git", "main").unwrap_err();
    assert!(matches!(err, GitError::GitNotFound { .. }), "{err}");
    assert_eq!(
        crate::report::with_causes(&err),
        "cannot fetch https://example.invalid/r.git: lock2nix runs git for git dependencies, and the `git` program \
         (\"/nonexistent/lock2nix-no-git\") was not found (install git and put it on PATH): No such file or directory \
         (os error 2)"
    );
}

#[test]
fn redaction_and_bounds() {
    let secrets = url_secrets("https://me:p%40ss@host/x");
    assert_eq!(secrets, ["p%40ss", "p@ss"]);
    let text = "fatal: unable to access 'https://me:p%40ss@host/x/': no\nretry https://tok@h.example/y and p@ss";
    assert_eq!(
        redact_text(text, &secrets),
        "fatal: unable to access 'https://host/x/': no\nretry https://h.example/y and ***"
    );
    let long = "line\n".repeat(1000);
    let tail = stderr_tail(long.as_bytes(), &[]);
    assert!(tail.len() <= STDERR_LIMIT + 4 && tail.starts_with('…'), "{tail}");
    assert_eq!(tail.lines().count(), 1, "one line");
    assert_eq!(tail.split(" | ").filter(|l| *l == "line").count(), STDERR_LINES);
    let wide = "é".repeat(3000);
    assert!(bounded(&wide).len() <= STDERR_LIMIT + "…".len());
    assert_eq!(url_secrets("https://ghp_abcdefgh12345@github.com/o/r"), ["ghp_abcdefgh12345"]);
    assert!(url_secrets("https://git@github.com/o/r").is_empty());
}
