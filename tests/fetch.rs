//! The fetch stage against a loopback index (`tests/support/index_server.rs`); no real network.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lock2nix::PackageName;
use lock2nix::testing::fetch::{
    FetchError, FetchOptions, FileLocation, Located, ProjectQuery, locate, locate_for_lock,
};
use lock2nix::testing::model::{FileHash, LockedFile, Sha256};
use lock2nix::{Reporter, SharedReporter, Task, with_causes};
use serde_json::{Value, json};
use support::{IndexServer, Reply, fixture};

const PROJECTS: [&str; 4] = ["six", "idna", "certifi", "packaging"];
const ZEROS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
const A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

fn name(text: &str) -> PackageName {
    PackageName::from_owned(text.to_string()).unwrap()
}

/// A locked file that lives as long as the test process, as queries borrow the lock's files.
fn locked(filename: &str, hash: Option<&str>) -> &'static LockedFile {
    Box::leak(Box::new(LockedFile::named(filename.to_string(), hash.map(|h| FileHash::parse(h).unwrap()))))
}

fn query(index: &str, project: &str, files: &[(&str, Option<&str>)]) -> ProjectQuery<'static> {
    ProjectQuery {
        index_url: index.into(),
        project: name(project),
        files: files.iter().map(|(f, h)| locked(f, *h)).collect(),
        chosen: Vec::new(),
        versions: BTreeSet::default(),
        may_be_unreachable: false,
    }
}

fn options(cache_dir: Option<&Path>) -> FetchOptions {
    FetchOptions {
        cache_dir: cache_dir.map(Path::to_path_buf),
        timeout: Duration::from_secs(5),
        retries: 2,
        ..FetchOptions::default()
    }
}

/// A PEP 691 page; `None` as hash gives the file no sha256.
fn json_page(files: &[(&str, &str, Option<&str>)]) -> String {
    let files: Vec<Value> = files
        .iter()
        .map(|(filename, url, sha256)| {
            let hashes = sha256.map_or(json!({"md5": "0123456789abcdef0123456789abcdef"}), |h| json!({ "sha256": h }));
            json!({"filename": filename, "url": url, "hashes": hashes, "yanked": false})
        })
        .collect();
    json!({"meta": {"api-version": "1.1"}, "name": "demo", "files": files}).to_string()
}

/// Every file of the recorded JSON fixtures: the queries (locked with their sha256) and
/// what `locate` must answer.
/// What the fixture's projects locate, by project and file name.
type Expected = BTreeMap<(PackageName, String), FileLocation>;

/// The located files as [`Expected`] holds them.
fn by_file(located: &Located) -> Expected {
    located
        .iter_files()
        .map(|(project, file, location)| ((project.clone(), file.to_string()), location.to_location()))
        .collect()
}

fn fixture_expectations(index: &str) -> (Vec<ProjectQuery<'static>>, Expected) {
    let mut queries = Vec::new();
    let mut expected = Expected::new();
    for project in PROJECTS {
        let page: Value = serde_json::from_str(&fixture(&format!("index/{project}.json"))).unwrap();
        let mut files = Vec::new();
        for file in page["files"].as_array().unwrap() {
            let filename = file["filename"].as_str().unwrap();
            let sha256 = file["hashes"]["sha256"].as_str().unwrap();
            files.push(locked(filename, Some(&format!("sha256:{sha256}"))));
            let location =
                FileLocation { url: file["url"].as_str().unwrap().to_string(), sha256: Sha256::from_hex(sha256) };
            expected.insert((name(project), filename.to_string()), location);
        }
        queries.push(ProjectQuery {
            index_url: index.into(),
            project: name(project),
            files,
            chosen: Vec::new(),
            versions: BTreeSet::default(),
            may_be_unreachable: false,
        });
    }
    (queries, expected)
}

fn fixture_server(html: bool) -> IndexServer {
    IndexServer::with_routes(PROJECTS.map(|p| {
        let reply = if html {
            Reply::html(fixture(&format!("index/{p}.html")))
        } else {
            Reply::json(fixture(&format!("index/{p}.json")))
        };
        (format!("/simple/{p}/"), vec![reply])
    }))
}

#[test]
fn json_pages_resolve_urls_and_hashes() {
    let server = fixture_server(false);
    let (queries, expected) = fixture_expectations(&server.index_url());
    let located = locate(&queries, &options(None)).unwrap();
    assert_eq!(by_file(&located), expected);
    assert_eq!((located.requests, located.cache_hits), (4, 0));
    let six = located.file(&name("six"), "six-1.16.0.tar.gz").unwrap();
    assert_eq!(six.sha256.unwrap().hex(), "1e61c37477a1626458e36f7b1d82aa5c9b094fa4802892072e49de9c60c4c926");
    assert_eq!(
        six.url(),
        "https://files.pythonhosted.org/packages/71/39/171f1c67cd00715f190ba0b100d606d440a28c93c7714febeca8b79af85e/six-1.16.0.tar.gz"
    );
    for request in server.requests() {
        let accept = request.header("accept").unwrap();
        assert_eq!(
            accept,
            "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01"
        );
        let agent = request.header("user-agent").unwrap();
        let version = env!("CARGO_PKG_VERSION");
        assert_eq!(agent, format!("lock2nix/{version} (Nix expression generator for Python lock files)"));
    }
}

#[test]
fn html_pages_resolve_the_same_locations() {
    let server = fixture_server(true);
    let (queries, expected) = fixture_expectations(&server.index_url());
    let located = locate(&queries, &options(None)).unwrap();
    assert_eq!(by_file(&located), expected, "yanked files are still located");
}

#[test]
fn relative_hrefs_resolve_against_the_page_url() {
    let html = format!(
        r#"<html><body>
        <a href="../../files/demo-1.0.tar.gz#sha256={A}">demo-1.0.tar.gz</a>
        <a href="/abs/demo-1.0-py3-none-any.whl#sha256={B}">demo-1.0-py3-none-any.whl</a>
        <a href="demo-1.0.zip#sha256={A}">demo-1.0.zip</a>
        </body></html>"#
    );
    let server = IndexServer::with_routes([
        ("/simple/demo/", vec![Reply::html(html)]),
        (
            "/simple/other/",
            vec![Reply::json(json_page(&[("other-1.0.tar.gz", "../../files/other-1.0.tar.gz", Some(B))]))],
        ),
    ]);
    let index = server.index_url();
    let queries = [
        query(
            &index,
            "demo",
            &[("demo-1.0.tar.gz", None), ("demo-1.0-py3-none-any.whl", None), ("demo-1.0.zip", None)],
        ),
        query(&index, "other", &[("other-1.0.tar.gz", None)]),
    ];
    let located = locate(&queries, &options(None)).unwrap();
    let url = |project: &str, file: &str| located.file(&name(project), file).unwrap().url().into_owned();
    assert_eq!(url("demo", "demo-1.0.tar.gz"), server.url("/files/demo-1.0.tar.gz"));
    assert_eq!(url("demo", "demo-1.0-py3-none-any.whl"), server.url("/abs/demo-1.0-py3-none-any.whl"));
    assert_eq!(url("demo", "demo-1.0.zip"), server.url("/simple/demo/demo-1.0.zip"));
    assert_eq!(url("other", "other-1.0.tar.gz"), server.url("/files/other-1.0.tar.gz"));
}

#[test]
fn hash_mismatch_names_file_and_both_hashes() {
    let server = fixture_server(false);
    let wrong = format!("sha256:{ZEROS}");
    let queries = [query(&server.index_url(), "six", &[("six-1.16.0.tar.gz", Some(&wrong))])];
    let error = locate(&queries, &options(None)).unwrap_err();
    assert!(matches!(error, FetchError::HashMismatch { .. }), "{error:?}");
    insta::assert_snapshot!(error.to_string().replace(&server.url(""), "[INDEX]"), @"six: hash mismatch for six-1.16.0.tar.gz: the lock records sha256:0000000000000000000000000000000000000000000000000000000000000000 but index [INDEX]/simple/ lists sha256:1e61c37477a1626458e36f7b1d82aa5c9b094fa4802892072e49de9c60c4c926");
}

#[test]
fn hashes_compare_case_insensitively_and_only_in_shared_algorithms() {
    let server = fixture_server(false);
    let upper = "sha256:1E61C37477A1626458E36F7B1D82AA5C9B094FA4802892072E49DE9C60C4C926";
    let md5 = "md5:0123456789abcdef0123456789abcdef";
    let queries =
        [query(&server.index_url(), "six", &[("six-1.16.0.tar.gz", Some(upper)), ("six-1.17.0.tar.gz", Some(md5))])];
    assert_eq!(locate(&queries, &options(None)).unwrap().iter_files().count(), 2);
}

#[test]
fn unlisted_files_and_files_without_sha256_are_absent() {
    let page = json_page(&[
        ("demo-1.0.tar.gz", "/f/demo-1.0.tar.gz", Some(A)),
        ("demo-0.9.tar.gz", "/f/demo-0.9.tar.gz", None),
    ]);
    let server = IndexServer::with_routes([("/simple/demo/", vec![Reply::json(page)])]);
    let index = server.index_url();
    // The same project twice (two locked versions) still costs one request.
    let queries = [
        query(&index, "demo", &[("demo-1.0.tar.gz", None), ("demo-0.9.tar.gz", None)]),
        query(&index, "Demo", &[("demo-0.1.tar.gz", None)]),
    ];
    let located = locate(&queries, &options(None)).unwrap();
    assert_eq!(located.iter_files().map(|(_, f, _)| f).collect::<Vec<_>>(), ["demo-1.0.tar.gz"]);
    assert_eq!((located.requests, server.total_hits()), (1, 1));
}

#[test]
fn server_error_then_success_is_retried() {
    let server =
        IndexServer::with_routes([("/simple/six/", vec![Reply::status(503), Reply::json(fixture("index/six.json"))])]);
    let queries = [query(&server.index_url(), "six", &[("six-1.17.0.tar.gz", None)])];
    let located = locate(&queries, &options(None)).unwrap();
    assert_eq!(located.iter_files().count(), 1);
    assert_eq!((located.requests, server.hits("/simple/six/")), (2, 2));
}

#[test]
fn stalled_request_times_out_and_is_retried() {
    let body = fixture("index/six.json");
    let server = IndexServer::with_routes([(
        "/simple/six/",
        vec![Reply::json(body.clone()).delay(Duration::from_secs(5)), Reply::json(body)],
    )]);
    let queries = [query(&server.index_url(), "six", &[("six-1.17.0.tar.gz", None)])];
    let started = Instant::now();
    let located = locate(&queries, &FetchOptions { timeout: Duration::from_millis(300), ..options(None) }).unwrap();
    assert_eq!(located.iter_files().count(), 1);
    assert_eq!(server.hits("/simple/six/"), 2);
    assert!(started.elapsed() < Duration::from_secs(3), "took {:?}", started.elapsed());
}

#[test]
fn small_retry_after_is_honoured() {
    let server = IndexServer::with_routes([(
        "/simple/six/",
        vec![Reply::status(429).header("Retry-After", "1"), Reply::json(fixture("index/six.json"))],
    )]);
    let queries = [query(&server.index_url(), "six", &[("six-1.17.0.tar.gz", None)])];
    let started = Instant::now();
    assert_eq!(locate(&queries, &options(None)).unwrap().iter_files().count(), 1);
    assert!(started.elapsed() >= Duration::from_secs(1));
}

#[test]
fn retries_give_up_with_the_last_status() {
    let server = IndexServer::with_routes([("/simple/six/", vec![Reply::status(503)])]);
    let queries = [query(&server.index_url(), "six", &[("six-1.17.0.tar.gz", None)])];
    let error = locate(&queries, &options(None)).unwrap_err();
    assert!(matches!(error, FetchError::Http { status: 503, .. }), "{error:?}");
    assert_eq!(server.hits("/simple/six/"), 3, "one attempt plus two retries");
}

#[test]
fn a_project_the_index_does_not_have_is_gone_without_retry() {
    let server = IndexServer::start();
    let queries = [query(&server.index_url(), "no-such-project", &[("no_such_project-1.0.tar.gz", None)])];
    let located = locate(&queries, &options(None)).unwrap();
    assert!(located.is_empty());
    assert_eq!(located.gone.iter().map(ToString::to_string).collect::<Vec<_>>(), ["no-such-project"]);
    assert_eq!(server.hits("/simple/no-such-project/"), 1);
}

#[test]
fn other_client_errors_are_not_retried() {
    let server = IndexServer::with_routes([("/simple/six/", vec![Reply::status(403)])]);
    let queries = [query(&server.index_url(), "six", &[("six-1.17.0.tar.gz", None)])];
    let error = locate(&queries, &options(None)).unwrap_err();
    assert!(matches!(error, FetchError::Http { status: 403, .. }), "{error:?}");
    assert_eq!(server.total_hits(), 1);
}

#[test]
fn unreachable_index_is_a_network_error() {
    // A bound but not listening socket: connections are refused and the port stays ours.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let index = format!("http://{}/simple/", socket.local_addr().unwrap());
    let queries = [query(&index, "six", &[("six-1.17.0.tar.gz", None)])];
    let error = locate(&queries, &FetchOptions { retries: 1, ..options(None) }).unwrap_err();
    assert!(matches!(error, FetchError::Network { .. }), "{error:?}");
    insta::assert_snapshot!(error.to_string().replace(&index, "[INDEX]/simple/"), @"six: cannot reach index [INDEX]/simple/");
    // What the client said is the error's cause, not part of its message.
    let cause = std::error::Error::source(&error).expect("the client's error is the cause").to_string();
    assert!(!cause.is_empty() && !error.to_string().contains(&cause), "{error} / {cause}");
    assert_eq!(with_causes(&error), format!("{error}: {cause}"));
}

#[test]
fn warm_cache_sends_zero_requests() {
    let cache = tempfile::tempdir().unwrap();
    let server = fixture_server(false);
    let index = server.index_url();
    let queries = vec![
        query(&index, "six", &[("six-1.17.0.tar.gz", None), ("six-9.9.tar.gz", None)]),
        query(&index, "idna", &[("idna-3.10.tar.gz", None)]),
    ];
    let first = locate(&queries, &options(Some(cache.path()))).unwrap();
    assert_eq!((first.requests, first.cache_hits, first.iter_files().count()), (2, 0, 2));

    let second = locate(&queries, &options(Some(cache.path()))).unwrap();
    let mut expected = first.clone();
    (expected.requests, expected.cache_hits) = (0, 2);
    assert_eq!(second, expected);
    assert_eq!(server.total_hits(), 2, "the warm run sent nothing");

    // A new file for one project: one request for that project, merged into its cache.
    let mut more = queries.clone();
    more[0].files.push(locked("six-1.16.0.tar.gz", None));
    let third = locate(&more, &options(Some(cache.path()))).unwrap();
    assert_eq!((third.requests, third.cache_hits, third.iter_files().count()), (1, 1, 3));
    assert_eq!((server.hits("/simple/six/"), server.hits("/simple/idna/")), (2, 1));
    assert_eq!(locate(&more, &options(Some(cache.path()))).unwrap().requests, 0);
}

/// Page-cache files (`<cache>/simple-v1/<index>/<project>.json`) under `cache`.
fn cached_pages(cache: &Path) -> Vec<std::path::PathBuf> {
    let root = cache.join("simple-v1");
    let indexes = std::fs::read_dir(&root).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_dir());
    indexes
        .filter(|dir| dir.file_name().unwrap() != "located")
        .flat_map(|dir| std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()))
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .collect()
}

#[test]
fn a_lock_run_again_is_located_from_its_memory_alone_while_it_agrees_with_the_lock() {
    let cache = tempfile::tempdir().unwrap();
    let server = fixture_server(false);
    let (queries, expected) = fixture_expectations(&server.index_url());
    let lock = cache.path().join("poetry.lock");
    let first = locate_for_lock(&queries, &options(Some(cache.path())), &lock).unwrap();
    assert_eq!((by_file(&first), first.requests), (expected.clone(), 4));

    // Without the page caches and offline: the memory of this lock answers every project.
    let pages = cached_pages(cache.path());
    assert_eq!(pages.len(), 4, "{pages:?}");
    for page in &pages {
        std::fs::remove_file(page).unwrap();
    }
    let offline = FetchOptions { offline: true, ..options(Some(cache.path())) };
    let again = locate_for_lock(&queries, &offline, &lock).unwrap();
    assert_eq!((by_file(&again), again.requests, again.cache_hits), (expected, 0, 4));
    // Another lock has no memory yet; plain `locate` uses none.
    assert!(matches!(
        locate_for_lock(&queries, &offline, &cache.path().join("other.lock")),
        Err(FetchError::Offline { .. })
    ));
    assert!(matches!(locate(&queries, &offline), Err(FetchError::Offline { .. })));

    // A lock hash that differs from the remembered one is not answered from memory: the index
    // is asked, and says the lock is wrong.
    let mut changed = queries.clone();
    let six = changed.iter_mut().find(|q| q.project.as_str() == "six").unwrap();
    six.files[0] = locked(&six.files[0].filename, Some(&format!("sha256:{ZEROS}")));
    let error = locate_for_lock(&changed, &options(Some(cache.path())), &lock).unwrap_err();
    assert!(matches!(error, FetchError::HashMismatch { .. }), "{error:?}");
    assert_eq!(server.hits("/simple/six/"), 2);
    assert_eq!(server.total_hits(), 5, "only the project that disagrees was asked again");

    // `--refresh` asks the index for every page, whatever the memory holds.
    let refresh = FetchOptions { refresh: true, ..options(Some(cache.path())) };
    assert_eq!(locate_for_lock(&queries, &refresh, &lock).unwrap().requests, 4);
}

#[test]
fn offline_with_cold_cache_names_what_is_missing() {
    let cache = tempfile::tempdir().unwrap();
    let server = fixture_server(false);
    let queries = [query(&server.index_url(), "six", &[("six-1.17.0.tar.gz", None), ("six-1.16.0.tar.gz", None)])];
    let offline = FetchOptions { offline: true, ..options(Some(cache.path())) };
    let error = locate(&queries, &offline).unwrap_err();
    let FetchError::Offline { pages, missing } = &error else { panic!("{error:?}") };
    let index = server.index_url();
    assert_eq!(pages, &BTreeMap::from([(index.clone(), vec!["six".to_string()])]));
    assert!(missing.is_empty(), "{missing:?}");
    assert_eq!(error.to_string(), format!("offline: the cache holds no page of index {index} for 1 project(s): six"));
    assert_eq!(
        error.hint(),
        Some("run once without --offline (with the same --index-url and --cache-dir) to fill the cache")
    );
    assert_eq!(server.total_hits(), 0);

    let warm = locate(&queries, &options(Some(cache.path()))).unwrap();
    let mut expected = warm;
    (expected.requests, expected.cache_hits) = (0, 1);
    assert_eq!(locate(&queries, &offline).unwrap(), expected);
    assert_eq!(server.total_hits(), 1);

    // A cached page without a file the lock names: the file is named.
    let more = [query(&index, "six", &[("six-1.17.0.tar.gz", None), ("six-0.9.tar.gz", None)])];
    let error = locate(&more, &offline).unwrap_err();
    let FetchError::Offline { pages, missing } = &error else { panic!("{error:?}") };
    assert!(pages.is_empty(), "{pages:?}");
    assert_eq!(missing, &["six: six-0.9.tar.gz"]);
    assert_eq!(error.to_string(), "offline: 1 file(s) are not in the cache: six: six-0.9.tar.gz");
}

#[test]
fn credentials_are_sent_but_never_stored_or_returned() {
    use base64::Engine;
    let html = format!(r#"<a href="../../files/demo-1.0.tar.gz#sha256={A}">demo-1.0.tar.gz</a>"#);
    let server = IndexServer::with_routes([("/simple/demo/", vec![Reply::html(html)])]);
    let index = server.index_url().replace("http://", "http://alice:s3cr3t@");
    let cache = tempfile::tempdir().unwrap();

    let located = locate(&[query(&index, "demo", &[("demo-1.0.tar.gz", None)])], &options(Some(cache.path()))).unwrap();
    let location = located.file(&name("demo"), "demo-1.0.tar.gz").unwrap();
    assert_eq!(location.url(), server.url("/files/demo-1.0.tar.gz"));
    let expected = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode("alice:s3cr3t"));
    assert_eq!(server.requests()[0].header("authorization"), Some(expected.as_str()));

    let mut texts = vec![format!("{located:?}")];
    for entry in walk(cache.path()) {
        texts.push(entry.display().to_string());
        texts.push(std::fs::read_to_string(&entry).unwrap());
    }
    let gone = locate(&[query(&index, "missing", &[("missing-1.0.tar.gz", None)])], &options(None)).unwrap();
    texts.push(format!("{gone:?}"));
    server.route("/simple/forbidden/", vec![Reply::status(403)]);
    let errors = [
        locate(&[query(&index, "forbidden", &[("forbidden-1.0.tar.gz", None)])], &options(None)).unwrap_err(),
        locate(&[query(&index, "demo", &[("demo-1.0.tar.gz", Some(&format!("sha256:{B}")))])], &options(None))
            .unwrap_err(),
        locate(
            &[query(&index, "demo", &[("demo-2.0.tar.gz", None)])],
            &FetchOptions { offline: true, ..options(None) },
        )
        .unwrap_err(),
    ];
    for error in &errors {
        texts.push(format!("{error} / {error:?}"));
    }
    assert!(texts.iter().any(|t| t.contains("demo-1.0.tar.gz")), "the cache was written");
    for text in texts {
        assert!(!text.contains("s3cr3t") && !text.contains("alice"), "credential leaked: {text}");
    }
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() { files.extend(walk(&path)) } else { files.push(path) }
    }
    files
}

#[test]
fn concurrency_is_limited_to_jobs() {
    let projects: Vec<String> = (0..8).map(|i| format!("demo{i}")).collect();
    let server = IndexServer::start();
    for project in &projects {
        let page = json_page(&[(&format!("{project}-1.0.tar.gz"), "/f/x.tar.gz", Some(A))]);
        server.route(format!("/simple/{project}/"), vec![Reply::json(page).delay(Duration::from_millis(150))]);
    }
    let queries: Vec<_> =
        projects.iter().map(|p| query(&server.index_url(), p, &[(&format!("{p}-1.0.tar.gz"), None)])).collect();
    let recorder = Recorder::default();
    let reporter = SharedReporter::new(recorder.clone());
    let located = locate(&queries, &FetchOptions { jobs: 3, reporter, ..options(None) }).unwrap();
    assert_eq!(located.iter_files().count(), 8);
    let max = server.max_in_flight();
    assert!((2..=3).contains(&max), "max in flight {max}");

    // Progress is reported, not drawn: one task of 8 steps, one per project, then its end.
    let events = recorder.0.lock().unwrap().clone();
    assert_eq!(events.first().map(String::as_str), Some("start IndexPages Some(8)"), "{events:?}");
    assert_eq!(events.last().map(String::as_str), Some("finish IndexPages"), "{events:?}");
    let mut steps: Vec<&str> = events[1..events.len() - 1].iter().map(String::as_str).collect();
    steps.sort_unstable();
    let expected: Vec<String> = projects.iter().map(|p| format!("step IndexPages {p}")).collect();
    assert_eq!(steps, expected);
}

/// Records the fetch stage's progress events as text.
#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<String>>>);

impl Reporter for Recorder {
    fn on_start(&self, task: Task, steps: Option<u64>) {
        self.0.lock().unwrap().push(format!("start {task:?} {steps:?}"));
    }

    fn on_step(&self, task: Task, label: &str) {
        self.0.lock().unwrap().push(format!("step {task:?} {label}"));
    }

    fn on_finish(&self, task: Task) {
        self.0.lock().unwrap().push(format!("finish {task:?}"));
    }
}

#[test]
fn every_file_of_a_version_is_listed_when_asked_and_cached() {
    let cache = tempfile::tempdir().unwrap();
    let server = fixture_server(false);
    let mut query = query(&server.index_url(), "six", &[]);
    query.versions.insert("1.16.0".to_string());
    let located = locate(std::slice::from_ref(&query), &options(Some(cache.path()))).unwrap();
    let names = &located.listed[&(name("six"), "1.16.0".to_string())];
    assert_eq!(names, &["six-1.16.0-py2.py3-none-any.whl", "six-1.16.0.tar.gz"]);
    for file in names {
        assert!(located.file(&name("six"), file).is_some(), "{file} has a location");
    }
    // From the cache, offline too.
    let offline = FetchOptions { offline: true, ..options(Some(cache.path())) };
    let again = locate(std::slice::from_ref(&query), &offline).unwrap();
    assert_eq!((again.listed, again.requests), (located.listed.clone(), 0));
    assert_eq!(server.hits("/simple/six/"), 1);
}

/// A compression bomb (32 MiB of zeros in a few dozen KB of gzip) and an oversized plain page stop at
/// the page limit as they stream in: one clear error, no memory filled (issue 11).
#[test]
fn pages_larger_than_the_limit_stop_as_they_stream_in() {
    use std::io::Write as _;
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..32 {
        gzip.write_all(&zeros).unwrap();
    }
    let bomb = gzip.finish().unwrap();
    assert!(bomb.len() < 64 << 10, "{} bytes", bomb.len());
    let server = IndexServer::with_routes([
        ("/simple/six/", vec![Reply::json(bomb).header("Content-Encoding", "gzip")]),
        ("/simple/idna/", vec![Reply::json(vec![b' '; 3 << 20])]),
    ]);
    let limit = FetchOptions { max_page_size: 1 << 20, ..options(None) };
    let mut errors = Vec::new();
    for (project, file) in [("six", "six-1.17.0.tar.gz"), ("idna", "idna-3.10.tar.gz")] {
        let queries = [query(&server.index_url(), project, &[(file, None)])];
        let started = Instant::now();
        let error = with_causes(&locate(&queries, &limit).unwrap_err());
        // How far past the limit the read went depends on how the bytes arrived.
        let (before, after) = error.split_once(" (").expect("the limit in parentheses");
        let read = after.split_once(" bytes or more").map_or(after, |(read, _)| read);
        errors.push(format!("{before} ({}", after.replacen(read, "[N]", 1)));
        assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
        assert_eq!(server.hits(&format!("/simple/{project}/")), 1, "not retried");
    }
    insta::assert_snapshot!(errors.join("\n").replace(&server.url(""), "[INDEX]"), @"
    six: cannot reach index [INDEX]/simple/: larger than the limit ([N] bytes or more; see --max-page-size)
    idna: cannot reach index [INDEX]/simple/: larger than the limit ([N] bytes or more; see --max-page-size)
    ");
    // The default limit reads ordinary pages.
    let server = IndexServer::with_routes([("/simple/six/", vec![Reply::json(fixture("index/six.json"))])]);
    let queries = [query(&server.index_url(), "six", &[("six-1.17.0.tar.gz", None)])];
    assert_eq!(locate(&queries, &options(None)).unwrap().iter_files().count(), 1);
}
