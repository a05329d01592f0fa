//! Named index sources, end to end against indexes on 127.0.0.1: one that requires basic auth
//! (an HTML page with relative links, an md5-only link, a link without any hash, and a JSON
//! page), credentials from Poetry's variables, a netrc file or the source URL, and never in
//! the output, the cache, stdout or stderr; `--source NAME=URL` pointing a source at a mirror.

mod support;

use std::fmt::Write as _;
use support::artifacts::{Artifact, hash_filters, hex_sha256};
use support::evaluate::{assert_environment_evaluates, package_set_eval};
use support::nix::require_nix;
use support::project::{Project, borrowed, filtered, run_text, stderr, stdout};
use support::{IndexServer, Reply, header_text};

const SECRET: &str = "pa55-Wörd_x9";

fn md5_of(bytes: &[u8]) -> String {
    // md5 is only what the index lists; lock2nix never checks it. Any 32 hex digits do.
    hex_sha256(bytes)[..32].to_string()
}

fn file(name: &str) -> Artifact {
    Artifact { filename: name.to_string(), bytes: format!("contents of {name}").into_bytes() }
}

/// The private index: `/private/simple/<project>/` pages, files under `/private/files/`.
fn private_index(files: &[(&str, &Artifact)]) -> IndexServer {
    let server = IndexServer::start();
    let [(_, md5_only), (_, hashless), (_, json)] = files else { panic!("three files") };
    // HTML with links relative to the page: one md5-only, one with no hash at all.
    let html = |artifact: &Artifact, fragment: String| {
        format!(
            "<!DOCTYPE html><html><body><a href=\"../../files/{0}{fragment}\">{0}</a></body></html>",
            artifact.filename
        )
    };
    server.route(
        "/private/simple/md5only/",
        vec![Reply::html(html(md5_only, format!("#md5={}", md5_of(&md5_only.bytes))))],
    );
    server.route("/private/simple/hashless/", vec![Reply::html(html(hashless, String::new()))]);
    let page = format!(
        r#"{{"meta":{{"api-version":"1.0"}},"name":"jsonpkg","files":[{{"filename":"{}","url":"../../files/{}","hashes":{{"sha256":"{}"}}}}]}}"#,
        json.filename,
        json.filename,
        hex_sha256(&json.bytes)
    );
    server.route("/private/simple/jsonpkg/", vec![Reply::json(page)]);
    for (_, artifact) in files {
        server.route(
            format!("/private/files/{}", artifact.filename),
            vec![Reply::new(200, "application/octet-stream", artifact.bytes.clone())],
        );
    }
    server.require_basic_auth("alice", SECRET);
    server
}

fn lock(files: &[(&str, &Artifact)], hashless_hash: bool, index: &str) -> String {
    let mut text = String::new();
    for (name, artifact) in files {
        let hash = if *name == "hashless" && !hashless_hash {
            String::new()
        } else {
            format!(", hash = \"sha256:{}\"", hex_sha256(&artifact.bytes))
        };
        let _ = write!(
            text,
            "[[package]]\nname = \"{name}\"\nversion = \"1.0\"\ndescription = \"\"\noptional = false\npython-versions = \"*\"\nfiles = [\n    {{file = \"{}\"{hash}}},\n]\n\n[package.source]\ntype = \"legacy\"\nurl = \"{index}\"\nreference = \"private\"\n\n",
            artifact.filename
        );
    }
    text + "[metadata]\nlock-version = \"2.0\"\npython-versions = \"^3.11\"\ncontent-hash = \"0\"\n"
}

const PYPROJECT: &str = "[tool.poetry]\nname = \"consumer\"\nversion = \"1.0\"\npackage-mode = false\n\n[tool.poetry.dependencies]\npython = \"^3.11\"\nmd5only = { version = \"*\", source = \"private\" }\nhashless = { version = \"*\", source = \"private\" }\njsonpkg = { version = \"*\", source = \"private\" }\n\n[[tool.poetry.source]]\nname = \"private\"\nurl = \"INDEX\"\npriority = \"explicit\"\n";

struct Fixture {
    project: Project,
    server: IndexServer,
    files: Vec<(&'static str, Artifact)>,
}

fn fixture() -> Fixture {
    let files = vec![
        ("md5only", file("md5only-1.0-py3-none-any.whl")),
        ("hashless", file("hashless-1.0.tar.gz")),
        ("jsonpkg", file("jsonpkg-1.0-py3-none-any.whl")),
    ];
    let refs: Vec<(&str, &Artifact)> = files.iter().map(|(n, a)| (*n, a)).collect();
    let server = private_index(&refs);
    let index = server.url("/private/simple/");
    let project = Project::inline(&lock(&refs, false, &index), &PYPROJECT.replace("INDEX", &index));
    Fixture { project, server, files }
}

/// No file of the project (cache included) and no output holds the secret.
fn assert_secret_kept(project: &Project, outputs: &[&std::process::Output]) {
    for output in outputs {
        assert!(!stdout(output).contains(SECRET) && !stderr(output).contains(SECRET), "{}", stderr(output));
    }
    for (path, bytes) in project.files_under(".") {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if name == ".netrc" || name == "netrc" {
            continue;
        }
        assert!(!String::from_utf8_lossy(&bytes).contains(SECRET), "{} holds the secret", path.display());
        assert!(!path.to_string_lossy().contains(SECRET));
    }
}

const ARGS: [&str; 7] = ["--no-infer", "--system", "x86_64-linux", "--python", "3.11", "-o", "out.nix"];

/// `--cache-dir CACHE EXTRA… --no-infer` for one target, written to `output`.
fn args<'a>(cache: &'a str, extra: &[&'a str], output: &'a str) -> Vec<&'a str> {
    let mut all = vec!["--cache-dir", cache];
    all.extend_from_slice(extra);
    all.extend_from_slice(&ARGS[..5]);
    all.extend(["-o", output]);
    all
}

#[test]
fn credentials_from_poetry_variables_netrc_or_the_url_reach_only_the_index() {
    let Fixture { project, server, files } = fixture();

    // Without credentials: one clear error, naming the index and the status.
    let denied = project.run(&ARGS);
    // Every project of the index is refused; the first of them in order is the one named.
    let denied_text = run_text(&denied, &[(&server.url(""), "[INDEX]")]);
    insta::assert_snapshot!(denied_text, @r"
    exit code: 1
    ----- stderr -----
    lock2nix: error: hashless: index [INDEX]/private/simple/ answered HTTP 401
    ");

    // Poetry's variables for the source name.
    let vars = [("POETRY_HTTP_BASIC_PRIVATE_USERNAME", "alice"), ("POETRY_HTTP_BASIC_PRIVATE_PASSWORD", SECRET)];
    let mut cache_args = vec!["--cache-dir", "cache-env"];
    cache_args.extend(ARGS);
    let by_env = project.run_with_env(&cache_args, &vars);
    assert!(by_env.status.success(), "{}", stderr(&by_env));
    let nix = project.read("out.nix").unwrap();
    let index = server.url("");
    let mut owned = vec![(index.clone(), "[INDEX]".to_string())];
    owned.extend(hash_filters(&files.iter().map(|(_, artifact)| artifact).collect::<Vec<_>>()));
    let filters = borrowed(&owned);
    let pinned = |name: &str| filtered(&support::attribute(&nix, name), &filters);
    // The md5-only file keeps the lock's sha256; the hash-less one was downloaded and hashed;
    // relative links are resolved. The build authenticates with the same variables, through
    // nixpkgs' netrc support.
    insta::assert_snapshot!(pinned("md5only"), @r#"
    md5only = final.buildPythonPackage {
      pname = "md5only";
      version = "1.0";
      format = "wheel";
      src = fetchurl {
        name = "md5only-1.0-py3-none-any.whl";
        url = "[INDEX]/private/files/md5only-1.0-py3-none-any.whl";
        hash = "[sri of md5only-1.0-py3-none-any.whl]";
        netrcPhase = netrcPhase "127.0.0.1" "POETRY_HTTP_BASIC_PRIVATE";
        netrcImpureEnvVars = [
          "POETRY_HTTP_BASIC_PRIVATE_USERNAME"
          "POETRY_HTTP_BASIC_PRIVATE_PASSWORD"
        ];
      };
      dependencies = [ ];
      doCheck = false;
    };
    "#);
    insta::assert_snapshot!(pinned("hashless"), @r#"
    hashless = final.buildPythonPackage {
      pname = "hashless";
      version = "1.0";
      pyproject = true;
      src = fetchurl {
        name = "hashless-1.0.tar.gz";
        url = "[INDEX]/private/files/hashless-1.0.tar.gz";
        hash = "[sri of hashless-1.0.tar.gz]";
        netrcPhase = netrcPhase "127.0.0.1" "POETRY_HTTP_BASIC_PRIVATE";
        netrcImpureEnvVars = [
          "POETRY_HTTP_BASIC_PRIVATE_USERNAME"
          "POETRY_HTTP_BASIC_PRIVATE_PASSWORD"
        ];
      };
      # lock2nix: build system not inferred; nixpkgs' setuptools and wheel
      build-system = [
        prev.setuptools
        prev.wheel
      ];
      dependencies = [ ];
      doCheck = false;
    };
    "#);
    insta::assert_snapshot!(pinned("jsonpkg"), @r#"
    jsonpkg = final.buildPythonPackage {
      pname = "jsonpkg";
      version = "1.0";
      format = "wheel";
      src = fetchurl {
        name = "jsonpkg-1.0-py3-none-any.whl";
        url = "[INDEX]/private/files/jsonpkg-1.0-py3-none-any.whl";
        hash = "[sri of jsonpkg-1.0-py3-none-any.whl]";
        netrcPhase = netrcPhase "127.0.0.1" "POETRY_HTTP_BASIC_PRIVATE";
        netrcImpureEnvVars = [
          "POETRY_HTTP_BASIC_PRIVATE_USERNAME"
          "POETRY_HTTP_BASIC_PRIVATE_PASSWORD"
        ];
      };
      dependencies = [ ];
      doCheck = false;
    };
    "#);

    // A netrc file.
    project.write(".netrc", &format!("machine 127.0.0.1\nlogin alice\npassword {SECRET}\n"));
    let netrc = project.join(".netrc");
    let by_netrc = project.run_with_env(&args("cache-netrc", &[], "netrc.nix"), &[("NETRC", netrc.to_str().unwrap())]);
    assert!(by_netrc.status.success(), "{}", stderr(&by_netrc));
    assert_eq!(
        support::project::without_command(&project.read("netrc.nix").unwrap()),
        support::project::without_command(&nix)
    );

    // The URL's own credentials (here through --source).
    let with_userinfo = server.url("/private/simple/").replace("http://", &format!("http://alice:{SECRET}@"));
    let source = format!("private={with_userinfo}");
    let by_url = project.run_bare(&args("cache-url", &["--source", &source], "url.nix"));
    assert!(by_url.status.success(), "{}", stderr(&by_url));
    // Redacted in the header.
    let url_nix = project.read("url.nix").unwrap();
    insta::assert_snapshot!(url_nix.lines().nth(1).unwrap().replace(&index, "[INDEX]"), @"#   lock2nix --system x86_64-linux --python 3.11 --source private=[INDEX]/private/simple/ --no-infer poetry.lock");

    // Credentials were only ever sent to the index, and nothing kept them.
    let paths: std::collections::BTreeSet<String> = server.requests().into_iter().map(|r| r.path).collect();
    insta::assert_snapshot!(paths.into_iter().collect::<Vec<_>>().join("\n"), @"
    /private/files/hashless-1.0.tar.gz
    /private/simple/hashless/
    /private/simple/jsonpkg/
    /private/simple/md5only/
    ");
    assert_secret_kept(&project, &[&denied, &by_env, &by_netrc, &by_url]);

    if require_nix("credentials_from_poetry_variables_netrc_or_the_url_reach_only_the_index") {
        assert_environment_evaluates(&project.join("out.nix"), "consumer", "x86_64-linux", "3.11");
    }
}

#[test]
fn a_source_pointed_at_a_mirror_is_still_checked_against_the_lock() {
    let Fixture { project, server, files } = fixture();
    let vars = [("POETRY_HTTP_BASIC_MIRROR_USERNAME", "alice"), ("POETRY_HTTP_BASIC_MIRROR_PASSWORD", SECRET)];
    // The lock was made against a source named `mirror` that this machine cannot reach.
    let refs: Vec<(&str, &Artifact)> = files.iter().map(|(n, a)| (*n, a)).collect();
    let text =
        lock(&refs, true, "http://127.0.0.1:9/simple/").replace("reference = \"private\"", "reference = \"mirror\"");
    project.write("poetry.lock", &text);
    project.write("pyproject.toml", "[tool.poetry]\nname = \"consumer\"\nversion = \"1.0\"\npackage-mode = false\n\n[tool.poetry.dependencies]\npython = \"^3.11\"\nmd5only = \"*\"\nhashless = \"*\"\njsonpkg = \"*\"\n");
    let mirror = server.url("/private/simple/");
    let mut args = vec!["--source".to_string(), format!("mirror={mirror}"), "--retries".into(), "0".into()];
    args.extend(ARGS.iter().map(std::string::ToString::to_string));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = project.run_with_env(&[&["--cache-dir", "cache"][..], &args].concat(), &vars);
    assert!(out.status.success(), "{}", stderr(&out));
    let jsonpkg = support::attribute(&project.read("out.nix").unwrap(), "jsonpkg");
    insta::assert_snapshot!(jsonpkg.replace(&server.url(""), "[INDEX]"), @r#"
    jsonpkg = final.buildPythonPackage {
      pname = "jsonpkg";
      version = "1.0";
      format = "wheel";
      src = fetchurl {
        name = "jsonpkg-1.0-py3-none-any.whl";
        url = "[INDEX]/private/files/jsonpkg-1.0-py3-none-any.whl";
        hash = "sha256-CTL7B4fF2TE5VXny2YmWeNVx/hVWn8jpD/mYdtn1yCw=";
        netrcPhase = netrcPhase "127.0.0.1" "POETRY_HTTP_BASIC_MIRROR";
        netrcImpureEnvVars = [
          "POETRY_HTTP_BASIC_MIRROR_USERNAME"
          "POETRY_HTTP_BASIC_MIRROR_PASSWORD"
        ];
      };
      dependencies = [ ];
      doCheck = false;
    };
    "#);

    // The mirror serves other bytes for a file than the lock recorded: a hard error.
    let (index, served, zeros) = (server.url(""), hex_sha256(&files[2].1.bytes), "0".repeat(64));
    project.write("poetry.lock", &text.replace(&served, &zeros));
    let bad = project.run_with_env(&[&["--cache-dir", "cache-2"][..], &args].concat(), &vars);
    let filters = [(index.as_str(), "[INDEX]"), (served.as_str(), "[SHA256]"), (zeros.as_str(), "[ZEROS]")];
    insta::assert_snapshot!(run_text(&bad, &filters), @r"
    exit code: 1
    ----- stderr -----
    lock2nix: error: jsonpkg: hash mismatch for jsonpkg-1.0-py3-none-any.whl: the lock records sha256:[ZEROS] but index [INDEX]/private/simple/ lists sha256:[SHA256]
    ");

    // An unknown name is refused, naming the known ones.
    let unknown = project.run(&["--source", "nosuch=http://127.0.0.1:9/", "-o", "x.nix"]);
    insta::assert_snapshot!(run_text(&unknown, &[]), @r"
    exit code: 1
    ----- stderr -----
    lock2nix: error: --source nosuch=…: no index source of that name in the lock or pyproject.toml (known: mirror, pypi)
    ");
    assert_secret_kept(&project, &[&out, &bad, &unknown]);
}

#[test]
fn credentials_do_not_follow_a_redirect_to_another_origin() {
    let Fixture { project, server, files } = fixture();
    // The index sends the JSON page's request to another server (another origin).
    let elsewhere = IndexServer::start();
    let page = format!(
        r#"{{"meta":{{"api-version":"1.0"}},"name":"jsonpkg","files":[{{"filename":"{}","url":"{}","hashes":{{"sha256":"{}"}}}}]}}"#,
        files[2].1.filename,
        server.url(&format!("/private/files/{}", files[2].1.filename)),
        hex_sha256(&files[2].1.bytes)
    );
    elsewhere.route("/simple/jsonpkg/", vec![Reply::json(page)]);
    server.route(
        "/private/simple/jsonpkg/",
        vec![Reply::status(302).header("location", &elsewhere.url("/simple/jsonpkg/"))],
    );
    let vars = [("POETRY_HTTP_BASIC_PRIVATE_USERNAME", "alice"), ("POETRY_HTTP_BASIC_PRIVATE_PASSWORD", SECRET)];
    let out = project.run_with_env(&[&["--cache-dir", "cache"][..], &ARGS].concat(), &vars);
    assert!(out.status.success(), "{}", stderr(&out));
    let requests = elsewhere.requests();
    assert_eq!(requests.len(), 1, "the redirect was followed");
    assert_eq!(requests[0].header("authorization"), None, "no credentials for another origin");
    assert!(server.requests().iter().any(|r| r.header("authorization").is_some()), "the index got them");
}

#[test]
fn an_unreachable_named_index_stops_the_run_or_throws_with_allow_missing() {
    let Fixture { project, files, .. } = fixture();
    let refs: Vec<(&str, &Artifact)> = files.iter().map(|(n, a)| (*n, a)).collect();
    // Plus a package the lock names no files for, which lock2nix would list from the index.
    let nofiles = "[[package]]\nname = \"nofiles\"\nversion = \"1.0\"\ndescription = \"\"\noptional = false\npython-versions = \"*\"\nfiles = []\n\n[package.source]\ntype = \"legacy\"\nurl = \"http://127.0.0.1:9/simple/\"\nreference = \"private\"\n\n";
    project.write("poetry.lock", &format!("{nofiles}{}", lock(&refs, true, "http://127.0.0.1:9/simple/")));
    project.write("pyproject.toml", "[tool.poetry]\nname = \"consumer\"\nversion = \"1.0\"\npackage-mode = false\n\n[tool.poetry.dependencies]\npython = \"^3.11\"\nmd5only = \"*\"\nnofiles = \"*\"\n");
    let args = ["--retries", "0", "--no-infer", "--system", "x86_64-linux", "--python", "3.11", "-o", "out.nix"];
    let stopped = project.run(&args);
    insta::assert_snapshot!(run_text(&stopped, &[]), @r"
    exit code: 1
    ----- stderr -----
    lock2nix: error: nofiles: cannot reach index http://127.0.0.1:9/simple/: error sending request: client error (Connect): tcp connect error: Connection refused (os error 111)
    lock2nix: hint: point the source at a reachable mirror with --source NAME=URL, or pass --allow-missing to make the packages of a named source throw when used
    ");
    let allowed = project.run(&[&["--allow-missing"][..], &args].concat());
    insta::assert_snapshot!(run_text(&allowed, &[]), @"
    exit code: 0
    ----- stderr -----
    lock2nix: warning: index http://127.0.0.1:9/simple/ could not be reached (error sending request: client error (Connect): tcp connect error: Connection refused (os error 111)); the packages the lock names no files for on it throw when used (--allow-missing)
    lock2nix: warning: md5only 1.0: index http://127.0.0.1:9/simple/ could not be reached (error sending request: client error (Connect): tcp connect error: Connection refused (os error 111)); its attribute throws when used on 1 of 1 targets (--allow-missing)
    lock2nix: warning: empty project: of the packages poetry.lock locks, those the project installs (md5only 1.0, nofiles 1.0) have no file that fits any of the 1 targets; the environment would hold only the project's attribute; its packages throw when built
    lock2nix: 2 packages for 1 targets; 2 index requests, 0 from cache; 0 artifacts downloaded for inference
    ");
    let nix = project.read("out.nix").unwrap();
    insta::assert_snapshot!(header_text(&nix, &[]), @"
    # This file was generated by lock2nix [VERSION] with the command:
    #   lock2nix --system x86_64-linux --python 3.11 --no-infer --allow-missing poetry.lock
    # Regenerate it instead of editing it; put fixes in an overlay composed after this one.
    # Lock: Poetry lock 2.0, 4 packages
    # Systems: x86_64-linux; CPython 3.11
    # Artifacts: prefer wheels; manylinux up to glibc 2.40; macOS 14.0 or newer
    # The project is attribute `consumer`; paths above are relative to this file's folder.
    # Missing from the index or unreachable, throwing when used (--allow-missing): md5only 1.0, nofiles 1.0
    ");
    insta::assert_snapshot!(support::attribute(&nix, "nofiles"), @r#"
    nofiles = final.buildPythonPackage {
      pname = "nofiles";
      version = "1.0";
      pyproject = false;
      src = (throw "lock2nix: nofiles 1.0 cannot be installed on ${system} with CPython ${python}: index http://127.0.0.1:9/simple/ could not be reached when this file was generated (--allow-missing); make it reachable, or point its source at a mirror with --source NAME=URL, and regenerate");
      dependencies = [ ];
      doCheck = false;
    };
    "#);
}

#[test]
fn the_build_writes_a_netrc_from_poetrys_variables_or_downloads_anonymously() {
    if !require_nix("the_build_writes_a_netrc_from_poetrys_variables_or_downloads_anonymously") {
        return;
    }
    let Fixture { project, server: _server, .. } = fixture();
    let vars = [("POETRY_HTTP_BASIC_PRIVATE_USERNAME", "alice"), ("POETRY_HTTP_BASIC_PRIVATE_PASSWORD", SECRET)];
    let out = project.run_with_env(&[&["--cache-dir", "cache"][..], &ARGS].concat(), &vars);
    assert!(out.status.success(), "{}", stderr(&out));
    // The fetcher's netrcPhase, as nixpkgs' fetchurl runs it before curl.
    let json = package_set_eval(&project.join("out.nix"), "x86_64-linux", "3.11", "ps.jsonpkg.src.netrcPhase")
        .unwrap_or_else(|e| panic!("{e}"));
    let script: String = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"));
    let run = |env: &[(&str, &str)]| {
        let dir = tempfile::tempdir().unwrap();
        let status = std::process::Command::new("sh")
            .arg("-c")
            .arg(&script)
            .current_dir(dir.path())
            .env_clear()
            .envs(env.iter().copied())
            .status()
            .unwrap();
        assert!(status.success(), "{script}");
        std::fs::read_to_string(dir.path().join("netrc")).unwrap()
    };
    assert_eq!(run(&vars), format!("machine 127.0.0.1 login alice password {SECRET}\n"));
    assert_eq!(run(&[]), "", "without the variables: anonymous");
}
