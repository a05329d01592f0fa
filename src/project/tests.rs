//! pyproject.toml: both flavours, groups, extras, PEP 735.

use super::*;
use std::fmt::Write as _;

fn names(deps: &[Dependency]) -> Vec<String> {
    deps.iter().map(|d| d.name.to_string()).collect()
}

fn group<'a>(p: &'a Project, name: &str) -> &'a Group {
    &p.groups[&GroupName::new(name).unwrap()]
}

#[test]
fn tool_poetry_dependencies_groups_dev_and_extras() {
    let p = parse(
        r#"
[tool.poetry]
name = "My_App"
version = "1.2.0"

[tool.poetry.dependencies]
python = "^3.10"
Requests = { version = "^2.31", extras = ["socks"] }
numpy = [
  { version = "<2", python = "<3.12" },
  { version = ">=2", python = ">=3.12" },
]
psycopg2 = { version = "^2.9", optional = true }

[tool.poetry.extras]
postgres = ["psycopg2"]

[tool.poetry.dev-dependencies]
pytest = "*"

[tool.poetry.group.docs]
optional = true
[tool.poetry.group.docs.dependencies]
sphinx = { version = "^7", markers = "python_version >= '3.11'" }

[tool.poetry.group.ci]
include-groups = ["docs"]
[tool.poetry.group.ci.dependencies]
tox = "*"
"#,
        "pyproject.toml",
    )
    .unwrap();
    assert_eq!(p.name.as_ref().unwrap().to_string(), "my-app");
    assert_eq!(p.version.as_deref(), Some("1.2.0"));
    assert!(!p.python.allows_python(crate::resolve::target::PythonMinor(9)));
    let mut main = names(&p.main);
    main.sort();
    assert_eq!(main, ["numpy", "numpy", "requests"], "optional psycopg2 is not main");
    let requests = p.main.iter().find(|d| d.name.to_string() == "requests").unwrap();
    assert_eq!(requests.extras[0].to_string(), "socks");
    assert_eq!(names(&p.extras[&ExtraName::from_owned("postgres".into()).unwrap()]), ["psycopg2"]);
    assert_eq!(names(&group(&p, "dev").dependencies), ["pytest"]);
    assert!(group(&p, "docs").optional);
    assert_eq!(names(&group(&p, "ci").dependencies), ["tox", "sphinx"], "include-groups pulls docs in");
}

#[test]
fn pep_621_with_dependency_groups() {
    let p = parse(
        r#"
[project]
name = "svc"
version = "0.1.0"
requires-python = ">=3.11,<3.14"
dependencies = ["fastapi>=0.110", "uvloop; sys_platform != 'win32'", "svc[fast]"]
[project.optional-dependencies]
fast = ["orjson>=3"]
Gpu = ["torch==2.4.*"]

[tool.poetry.dependencies]
fastapi = { source = "pypi" }

[dependency-groups]
Test = ["pytest>=8", { include-group = "lint" }]
lint = ["ruff"]
"#,
        "pyproject.toml",
    )
    .unwrap();
    assert_eq!(names(&p.main), ["fastapi", "uvloop", "svc"], "[project] wins over [tool.poetry.dependencies]");
    assert!(p.python.allows_python(crate::resolve::target::PythonMinor(13)));
    assert!(!p.python.allows_python(crate::resolve::target::PythonMinor(14)));
    assert!(p.extras.contains_key(&ExtraName::from_owned("gpu".into()).unwrap()), "extras are normalized");
    assert_eq!(names(&group(&p, "test").dependencies), ["pytest", "ruff"]);
}

#[test]
fn errors_name_file_and_entry() {
    let err = parse("[project]\ndependencies = [\"requests >>= 2\"]\n", "app/pyproject.toml").unwrap_err().to_string();
    assert_eq!(
        err,
        "app/pyproject.toml: line 2, column 16: [project] dependencies: invalid requirement `requests >>= 2`: no such comparison operator \">>=\", must be one of ~= == != <= >= < > ==="
    );
    let err =
        parse("[dependency-groups]\na = [{ include-group = \"b\" }]\nb = [{ include-group = \"a\" }]\n", "p.toml")
            .unwrap_err()
            .to_string();
    assert!(err.contains("cycle"), "{err}");
    let err = crate::report::with_causes(&parse("[tool.poetry\n", "p.toml").unwrap_err());
    assert!(err.starts_with("p.toml is not a valid pyproject.toml: line 1, column "), "{err}");
    let missing = read(std::path::Path::new("does/not/exist/pyproject.toml")).unwrap_err().to_string();
    assert!(missing.contains("does/not/exist/pyproject.toml not found"), "{missing}");
}

#[test]
fn tool_poetry_enriches_pep_621_dependencies_as_poetry_2_does() {
    use crate::resolve::environment::marker_environment;
    use crate::resolve::target::{PythonMinor, System, Target};
    let p = parse(
        r#"
[project]
name = "enriched"
requires-python = ">=3.10"
dependencies = ["requests>=2", "numpy ; python_version >= '3.10'", "six"]

[tool.poetry.dependencies]
requests = { version = "<3", source = "private", platform = "linux || darwin", markers = "platform_machine == 'x86_64'" }
numpy = { version = "<2", python = "<3.10" }
only-here = "^1.0"

[tool.poetry.extras]
ignored = ["six"]
"#,
        "pyproject.toml",
    )
    .unwrap();
    assert_eq!(names(&p.main), ["requests", "numpy", "six"], "names only in [tool.poetry] are dropped");
    let requests = &p.main[0];
    assert_eq!(requests.constraint.to_string(), ">=2,<3");
    assert_eq!(requests.source.as_deref(), Some("private"));
    let holds = |system: System| {
        requests.marker.evaluate(&marker_environment(&Target { system, python: PythonMinor(12) }), &[])
    };
    assert!(holds(System::X86_64Linux) && holds(System::X86_64Darwin));
    assert!(!holds(System::Aarch64Linux), "the entry's markers hold too");
    // An entry that cannot hold together with the dependency leaves it as it is.
    let numpy = &p.main[1];
    assert!(numpy.constraint.is_any() && numpy.python.is_any(), "{numpy:?}");
    assert!(p.extras.is_empty(), "[tool.poetry.extras] is ignored beside [project] dependencies");
    assert_eq!(p.warnings.len(), 1);
    assert!(
        p.warnings[0].message.contains("[tool.poetry.extras] is ignored because [project] declares the dependencies")
    );
}

#[test]
fn extras_select_main_dependencies_by_name_and_warn_about_the_rest() {
    let p = parse(
        r#"
[tool.poetry.dependencies]
python = "^3.10"
requests = "^2"
psycopg = [{ version = "^3", optional = true, python = "<3.13" }, { version = "^3.2", optional = true, python = ">=3.13" }]

[tool.poetry.extras]
db = ["psycopg[binary]", "requests (>=2)", "ansible"]
"#,
        "pyproject.toml",
    )
    .unwrap();
    let db = &p.extras[&ExtraName::from_owned("db".into()).unwrap()];
    assert_eq!(names(db), ["psycopg", "psycopg", "requests"], "every constraint table of a name, optional or not");
    assert_eq!(names(&p.main), ["requests"]);
    let [warning] = p.warnings.as_slice() else { panic!("{:?}", p.warnings) };
    assert_eq!(warning.subject, "db: ansible");
}

#[test]
fn dependency_entry_errors_say_where_and_why() {
    let text = "[tool.poetry.dependencies]\npython = \"^3.10\"\npywin32 = { version = \"*\", platform = \"linux,darwin\" }\nsix = { version = \"*\", optional = \"yes\" }\n";
    let err = parse(text, "pyproject.toml").unwrap_err().to_string();
    assert_eq!(
        err,
        "pyproject.toml: line 3, column 11: [tool.poetry.dependencies] pywin32: platform `linux,darwin`: no platform satisfies it (did you mean `||` instead of `,`?)"
    );
    let err = parse(&text.replace("linux,darwin", "linux || darwin"), "pyproject.toml").unwrap_err().to_string();
    assert!(err.starts_with("pyproject.toml: line 4, column 7: [tool.poetry.dependencies] six: not a dependency table: invalid type: string \"yes\", expected a boolean"), "{err}");
}

#[test]
fn poetry_sources_with_priorities_old_and_new() {
    let text = r#"
[tool.poetry]
name = "p"

[[tool.poetry.source]]
name = "private"
url = "https://index.example/simple/"
priority = "explicit"

[[tool.poetry.source]]
name = "old-default"
url = "https://old.example/simple/"
default = true

[[tool.poetry.source]]
name = "old-secondary"
url = "https://old2.example/simple/"
secondary = true

[[tool.poetry.source]]
name = "PyPI"
priority = "supplemental"
"#;
    let project = parse(text, "pyproject.toml").unwrap();
    let got: Vec<(&str, Option<&str>, SourcePriority)> =
        project.sources.iter().map(|s| (s.name.as_str(), s.url.as_deref(), s.priority)).collect();
    assert_eq!(
        got,
        [
            ("private", Some("https://index.example/simple/"), SourcePriority::Explicit),
            ("old-default", Some("https://old.example/simple/"), SourcePriority::Default),
            ("old-secondary", Some("https://old2.example/simple/"), SourcePriority::Secondary),
            ("PyPI", None, SourcePriority::Supplemental),
        ]
    );
    assert!(project.package_mode);
    let err = parse("[tool.poetry]\n[[tool.poetry.source]]\nname = \"x\"\npriority = \"first\"\n", "pyproject.toml")
        .unwrap_err()
        .to_string();
    assert!(err.contains("`first` is not one of primary"), "{err}");
    let off = parse("[tool.poetry]\nname = \"p\"\npackage-mode = false\n", "pyproject.toml").unwrap();
    assert!(!off.package_mode);
}

#[test]
fn a_variant_is_refused_for_a_lock_without_conflicts_to_choose_from() {
    let lock = crate::lockfile::poetry::parse("[metadata]\nlock-version = \"2.1\"\n", "poetry.lock").unwrap();
    let error = for_lock(&lock, std::path::Path::new("missing/pyproject.toml"), &["gpu".into()]).unwrap_err();
    assert!(error.to_string().starts_with("--variant gpu: poetry.lock is not a uv.lock"), "{error}");
}

/// Issue 11's finding: 18 nested double-includes took 1 s and 230 MB, 20+ several GB. Every
/// group is now expanded once per group that includes it, whatever the number of paths.
#[test]
fn nested_double_includes_expand_in_linear_time() {
    let depth = 64;
    let mut pep735 = String::from("[dependency-groups]\ng0 = [\"six\"]\n");
    let mut poetry = String::from("[tool.poetry.group.g0.dependencies]\nsix = \"*\"\n");
    for k in 1..=depth {
        let below = k - 1;
        let _ = writeln!(
            pep735,
            "g{k} = [{{ include-group = \"g{below}\" }}, {{ include-group = \"G{below}\" }}, \"pkg{k}\"]"
        );
        let _ = write!(
            poetry,
            "[tool.poetry.group.g{k}]\ninclude-groups = [\"g{below}\", \"g{below}\"]\n[tool.poetry.group.g{k}.dependencies]\npkg{k} = \"*\"\n"
        );
    }
    let started = std::time::Instant::now();
    for text in [pep735, poetry] {
        let p = parse(&text, "pyproject.toml").unwrap();
        let top = names(&group(&p, &format!("g{depth}")).dependencies);
        assert_eq!(top.len(), depth + 1, "each included group's dependencies once");
        assert!(top.contains(&"six".to_string()) && top.contains(&format!("pkg{depth}")));
    }
    assert!(started.elapsed() < std::time::Duration::from_secs(2), "{:?}", started.elapsed());
}

#[test]
fn pep735_group_names_that_normalize_alike_are_an_error() {
    let err = parse("[dependency-groups]\nTest = [\"a\"]\ntest = [\"b\"]\n", "p.toml").unwrap_err().to_string();
    assert!(err.contains("another group's name normalizes to `test` too"), "{err}");
    let err = parse("[dependency-groups]\na = [{ include-group = \"nope\" }]\n", "p.toml").unwrap_err().to_string();
    assert!(err.contains("[dependency-groups] a: include-group names no such group"), "{err}");
}
