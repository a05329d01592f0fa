use super::from_str;

/// What the toml crate reads `text` as, and what this reader does (`None`: it gave up).
fn both(text: &str) -> (toml::Table, Option<toml::Table>) {
    (toml::from_str(text).unwrap(), from_str(text))
}

#[test]
fn reads_lock_shapes_as_the_toml_crate_does() {
    let text = r#"# comment
top = "level"

[[package]]
name = "a"   # trailing comment
version = '1.0'
optional = false
size = 0x1F
files = [
    {file = "a-1.0.tar.gz", hash = "sha256:ab"},
    {file = "a\u00e9\"b.whl", hash = "sha256:cd"}, # trailing comma, comment
]
nested = [[1, 2], [], [{x = [true]}]]

[package.dependencies]
"b" = ">=1"
c = {version = "^2", markers = "python_version < \"3.10\""}
d = [
    {version = "1", python = "<3.9"},
    {version = "2", python = ">=3.9"},
]

[package.extras]
dev = ["b (>=1)"]

[[package]]
name = "b"
version = """2.0"""

[package.source]
type = "git"

[package.source.sub]
deep = 'x\y'

[metadata]
lock-version = "2.1"

[metadata.files]
a = []
"#;
    let (expected, light) = both(text);
    assert_eq!(light, Some(expected));
}

#[test]
fn basic_strings_with_and_without_anything_to_decode() {
    let text = "plain = \"a b\tc \u{e9} ~!#$%&'()*+,-./:;<=>?@[]^_`{|}\"\nempty = \"\"\n\
                escaped = \"a\\\"b\\\\c\\u00e9\\t\"\n";
    let (expected, light) = both(text);
    assert_eq!(light, Some(expected));
    for (why, text) in [
        ("a control character", "a = \"x\u{1}y\"\n"),
        ("a DEL", "a = \"x\u{7f}y\"\n"),
        ("a raw newline", "a = \"x\ny\"\n"),
        ("an unclosed string", "a = \"xy\n"),
    ] {
        assert_eq!(from_str::<toml::Table>(text), None, "{why}");
        assert!(toml::from_str::<toml::Table>(text).is_err(), "{why}");
    }
}

#[test]
fn gives_up_where_it_cannot_vouch_for_the_meaning() {
    for (why, text) in [
        ("a dotted key", "a.b = 1\n"),
        ("a dotted key in an inline table", "a = {b.c = 1}\n"),
        ("a key twice", "a = 1\na = 2\n"),
        ("a key twice in an inline table", "a = {b = 1, b = 2}\n"),
        ("a table twice", "[a]\n[a]\n"),
        ("a table after a key of its name", "a = 1\n[a]\n"),
        ("extending an inline table", "a = {b = 1}\n[a.c]\n"),
        ("a parent defined later", "[a.b]\nx = 1\n[a]\n"),
        ("an array of tables over an array", "a = [1]\n[[a]]\n"),
        ("a table over an array of tables", "[[a]]\n[a]\n"),
        ("a syntax error", "a = \n"),
        ("an unclosed array", "a = [1, 2\n"),
        ("two values on a line", "a = 1 b = 2\n"),
        ("a bad escape", "a = \"\\q\"\n"),
        ("a control character in a comment", "a = 1 #\u{0}\n"),
    ] {
        assert_eq!(from_str::<toml::Table>(text), None, "{why}");
    }
}

#[test]
fn floats_and_dates_only_where_nothing_asks_for_them() {
    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Named {
        name: String,
    }
    let text = "name = \"x\"\nratio = 0.5\n";
    assert_eq!(from_str::<Named>(text), Some(Named { name: "x".into() }));
    assert_eq!(from_str::<toml::Table>(text), None, "a generic table asks for every value");
    // A date-time's text is checked only by the toml crate.
    assert_eq!(from_str::<Named>("name = \"x\"\nwhen = 1979-05-27\n"), None);
}

#[test]
fn nesting_is_bounded() {
    let deep = format!("a = {}{}\n", "[".repeat(40), "]".repeat(40));
    assert_eq!(from_str::<toml::Table>(&deep), None);
    let shallow = format!("a = {}{}\n", "[".repeat(20), "]".repeat(20));
    let (expected, light) = both(&shallow);
    assert_eq!(light, Some(expected));
}

/// Every lock (and pyproject.toml) of the shared corpus reads as the toml crate reads it, and
/// no lock is left to the toml crate: the fast path is the path taken.
#[test]
fn corpus_documents_read_alike() {
    let corpus = std::env::var_os("LOCK2NIX_CORPUS")
        .map_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"), Into::into);
    let Ok(walk) = walk(&corpus) else { return };
    let mut documents = 0;
    for path in walk {
        let Ok(text) = std::fs::read_to_string(&path) else { continue };
        let Ok(expected) = toml::from_str::<toml::Table>(&text) else { continue };
        match from_str::<toml::Table>(&text) {
            Some(light) => assert_eq!(light, expected, "{}", path.display()),
            // A pyproject.toml may hold a float or a date; a lock holds neither.
            None => assert!(path.extension().is_none_or(|e| e != "lock"), "{} left to the toml crate", path.display()),
        }
        documents += 1;
    }
    assert!(documents > 100, "the corpus holds over 100 TOML documents, read {documents}");
}

fn walk(dir: &std::path::Path) -> std::io::Result<Vec<std::path::PathBuf>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            found.extend(walk(&path)?);
        } else if path.extension().is_some_and(|e| e == "lock" || e == "toml") {
            found.push(path);
        }
    }
    Ok(found)
}
