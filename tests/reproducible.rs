//! One file for every machine: the same lock gives the same bytes whatever the output path,
//! the working directory, the cache (its folder and state), concurrency, network settings and
//! verbosity; and the file names no path of the machine that made it.

mod support;

use support::project::{Project, hermetic, stderr, stdout};
use support::{IndexServer, Reply, fixture};

const RECORDED: [&str; 4] = ["six", "idna", "certifi", "packaging"];

fn recorded_index() -> IndexServer {
    IndexServer::with_routes(
        RECORDED.map(|p| (format!("/simple/{p}/"), vec![Reply::json(fixture(&format!("index/{p}.json")))])),
    )
}

fn ok(output: &std::process::Output) -> String {
    assert!(output.status.success(), "{}", stderr(output));
    stdout(output)
}

#[test]
fn the_same_lock_gives_the_same_bytes_from_any_folder_cache_and_flags() {
    let server = recorded_index();
    let index = server.index_url();
    let project = Project::fixture("poetry-2.0");

    // Cold cache, in the project folder, to a file.
    ok(&project.run_bare(&["--index-url", &index, "--cache-dir", "cache", "-o", "out.nix"]));
    let reference = project.read("out.nix").unwrap();

    // Warm cache, standard output, quiet.
    let warm = ok(&project.run_bare(&["--index-url", &index, "--cache-dir", "cache", "-q"]));
    assert_eq!(warm, reference, "standard output, warm cache, -q");

    // Another working directory, absolute paths, another (cold) cache folder, one job, other
    // network settings, verbose.
    let elsewhere = Project::empty();
    let lock = project.join("poetry.lock");
    let out = project.join("again.nix");
    let other_cache = elsewhere.join("another-cache");
    ok(&elsewhere.run_bare(&[
        &format!("--index-url={index}"),
        "--cache-dir",
        other_cache.to_str().unwrap(),
        "--jobs",
        "1",
        "--timeout",
        "7",
        "--retries",
        "0",
        "-v",
        "-o",
        out.to_str().unwrap(),
        lock.to_str().unwrap(),
    ]));
    assert_eq!(project.read("again.nix").unwrap(), reference, "another folder, cache, jobs, timeout, retries, -v");

    // Offline from the warm cache, and with the default (XDG) cache folder.
    drop(server);
    let offline = ok(&project.run_bare(&["--index-url", &index, "--cache-dir", "cache", "--offline"]));
    assert_eq!(offline, reference, "--offline");

    // No path of this machine in the file: not the project's, not the caches', not home.
    for path in [project.path(), elsewhere.path()] {
        let text = path.to_str().unwrap();
        assert!(!reference.contains(text), "the file names {text}:\n{reference}");
    }
    assert!(!reference.contains("/tmp"), "{reference}");
    assert!(reference.lines().nth(1).unwrap().ends_with(" poetry.lock"), "{reference}");
}

#[test]
fn paths_in_the_header_are_relative_to_the_output_file() {
    let server = recorded_index();
    let index = server.index_url();
    let project = Project::fixture("poetry-2.0");
    project.write("nix/.keep", "");
    project.write(
        "overrides.toml",
        "[[override]]\npackage = \"six\"\nreason = \"r\"\nlink = \"https://example.org/six\"\nenv = { A = \"1\" }\n",
    );
    ok(&project.run_bare(&["--index-url", &index, "--overrides", "overrides.toml", "-o", "nix/python-packages.nix"]));
    let nix = project.read("nix/python-packages.nix").unwrap();
    let command = nix.lines().nth(1).unwrap();
    assert_eq!(command, format!("#   lock2nix --index-url {index} --overrides ../overrides.toml ../poetry.lock"));
    // The override's provenance names the file the same way.
    assert!(nix.contains("# lock2nix: override: six (../overrides.toml): r\n"), "{nix}");

    // The same command from the `nix` folder writes the same file.
    let from_nix = project.path().join("nix");
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_lock2nix"));
    command
        .args([
            "--index-url",
            &index,
            "--overrides",
            "../overrides.toml",
            "-o",
            "python-packages.nix",
            "../poetry.lock",
        ])
        .current_dir(&from_nix);
    hermetic(&mut command, project.path());
    ok(&command.output().unwrap());
    assert_eq!(project.read("nix/python-packages.nix").unwrap(), nix);
}
