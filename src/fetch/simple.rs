//! Parsing of simple-repository-API project pages: PEP 691 JSON and PEP 503 HTML.
//!
//! Both forms reduce to [`IndexFile`]: a file name, an absolute URL (no fragment, no
//! credentials) and the digests the index lists for it.

use std::cell::RefCell;
use std::collections::BTreeMap;

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::{BufferQueue, Tag, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts};
use serde::Deserialize;
use url::Url;

use crate::model::HashAlgorithm;

/// One file listed on a project page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IndexFile {
    pub filename: String,
    pub url: String,
    /// Lower-case hex digests; malformed ones and unknown algorithms are dropped.
    pub hashes: BTreeMap<HashAlgorithm, String>,
}

/// Why a project page could not be read. HTML is read as browsers do and always gives a list.
#[derive(thiserror::Error, Debug)]
pub enum PageError {
    #[error("invalid PEP 691 JSON")]
    Json(#[source] serde_json::Error),
    /// PEP 691: a client must refuse an API version of another major.
    #[error("unsupported simple API version {0} (lock2nix reads 1.x)")]
    ApiVersion(String),
}

/// Parses a page by its content (a JSON object or markup), else by its `Content-Type`: a
/// server or proxy may label either form with the other's type.
pub(crate) fn parse_page(content_type: Option<&str>, body: &[u8], page_url: &Url) -> Result<Vec<IndexFile>, PageError> {
    let body = body.strip_prefix("\u{feff}".as_bytes()).unwrap_or(body);
    if is_json(content_type, body) {
        parse_json(body, page_url)
    } else {
        // Simple pages are ASCII in practice; a stray non-UTF-8 byte must not lose the page.
        Ok(parse_html(&String::from_utf8_lossy(body), page_url))
    }
}

fn is_json(content_type: Option<&str>, body: &[u8]) -> bool {
    match body.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') => return true,
        Some(b'<') => return false,
        _ => {}
    }
    let mime = content_type.and_then(|ct| ct.split(';').next()).map(|m| m.trim().to_ascii_lowercase());
    mime.is_some_and(|m| m.ends_with("+json") || m == "application/json")
}

/// A listed file, unless its name cannot be a file name: one with a control character (a NUL
/// cannot be written to a Nix file) or a path separator is not a distribution, and is left out.
fn push_file(files: &mut Vec<IndexFile>, file: IndexFile) {
    if !file.filename.chars().any(|c| c.is_control() || c == '/' || c == '\\') {
        files.push(file);
    }
}

#[derive(Deserialize)]
struct JsonPage {
    #[serde(default)]
    meta: Option<JsonMeta>,
    files: Vec<JsonFile>,
}

#[derive(Deserialize)]
struct JsonMeta {
    #[serde(rename = "api-version")]
    api_version: Option<String>,
}

// `yanked`, `core-metadata` and friends come in several shapes (bool, string, table);
// they are not needed, so they are not declared and cannot fail the parse.
#[derive(Deserialize)]
struct JsonFile {
    filename: String,
    url: String,
    #[serde(default)]
    hashes: BTreeMap<String, serde_json::Value>,
}

/// PEP 691 JSON. Clients must refuse an unknown major API version.
pub(crate) fn parse_json(body: &[u8], page_url: &Url) -> Result<Vec<IndexFile>, PageError> {
    let page: JsonPage = serde_json::from_slice(body).map_err(PageError::Json)?;
    if let Some(version) = page.meta.and_then(|m| m.api_version) {
        let major = version.split('.').next().unwrap_or_default();
        if major != "1" {
            return Err(PageError::ApiVersion(version));
        }
    }
    let mut files = Vec::with_capacity(page.files.len());
    for file in page.files {
        let Some((url, fragment_hash)) = resolve(page_url, &file.url) else { continue };
        let mut hashes: BTreeMap<_, _> = fragment_hash.into_iter().collect();
        for (name, value) in &file.hashes {
            if let Some((algorithm, hex)) = value.as_str().and_then(|hex| digest(name, hex)) {
                hashes.insert(algorithm, hex);
            }
        }
        push_file(&mut files, IndexFile { filename: file.filename, url, hashes });
    }
    Ok(files)
}

/// PEP 503 HTML: every `<a href="url#algo=hex">filename</a>`, honouring `<base href>`.
///
/// A PEP 503 page is a flat list of anchors, so it is read with html5ever's tokenizer alone,
/// as pip reads it with a tokenizer: building the document tree costs time that grows with
/// open elements × end tags (a crafted 140 KB page took 100 s), and the tree is not needed.
pub(crate) fn parse_html(body: &str, page_url: &Url) -> Vec<IndexFile> {
    let queue = BufferQueue::default();
    queue.push_back(StrTendril::from(body));
    let tokenizer = Tokenizer::new(Anchors::default(), TokenizerOpts::default());
    let _ = tokenizer.feed(&queue);
    tokenizer.end();
    let Anchors { base, links, open } = tokenizer.sink;
    let base = base.into_inner().and_then(|href| page_url.join(&href).ok()).unwrap_or_else(|| page_url.clone());
    let mut files = Vec::new();
    for (href, text) in links.into_inner().into_iter().chain(open.into_inner()) {
        let Some((url, fragment_hash)) = resolve(&base, &href) else { continue };
        let mut filename = text.trim().to_string();
        if filename.is_empty() {
            // PEP 503 says the text is the file name; fall back to the URL's last segment.
            filename = crate::filename::file_name_of(&url).unwrap_or_default();
        }
        if filename.is_empty() {
            continue;
        }
        push_file(&mut files, IndexFile { filename, url, hashes: fragment_hash.into_iter().collect() });
    }
    files
}

/// What a page's tokens give: the first `<base href>`, and each `<a href>` with its text.
#[derive(Default)]
struct Anchors {
    base: RefCell<Option<String>>,
    links: RefCell<Vec<(String, String)>>,
    /// The anchor whose end tag has not come yet.
    open: RefCell<Option<(String, String)>>,
}

impl TokenSink for Anchors {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        let href = |tag: &Tag| tag.attrs.iter().find(|a| &*a.name.local == "href").map(|a| a.value.to_string());
        match token {
            Token::TagToken(tag) if &*tag.name == "a" => {
                // An anchor ends at its end tag, or at the next anchor (anchors do not nest).
                self.links.borrow_mut().extend(self.open.take());
                if tag.kind == TagKind::StartTag {
                    *self.open.borrow_mut() = href(&tag).map(|href| (href, String::new()));
                }
            }
            Token::TagToken(tag) if &*tag.name == "base" && tag.kind == TagKind::StartTag => {
                let mut base = self.base.borrow_mut();
                if base.is_none() {
                    *base = href(&tag);
                }
            }
            Token::CharacterTokens(text) => {
                if let Some((_, open)) = self.open.borrow_mut().as_mut() {
                    open.push_str(&text);
                }
            }
            _ => {}
        }
        TokenSinkResult::Continue
    }
}

/// Resolves `href` against `base`; returns the URL without fragment or userinfo, and the
/// digest the fragment carried (`#sha256=…`), if any.
fn resolve(base: &Url, href: &str) -> Option<(String, Option<(HashAlgorithm, String)>)> {
    let mut url = base.join(href.trim()).ok()?;
    let hash = url.fragment().and_then(|f| f.split_once('=')).and_then(|(name, hex)| digest(name, hex));
    url.set_fragment(None);
    strip_userinfo(&mut url);
    Some((url.to_string(), hash))
}

/// Removes `user:pass@` from a URL (a no-op for URLs that cannot carry it).
pub(crate) fn strip_userinfo(url: &mut Url) {
    // Both setters fail only for URLs without a host, which have no userinfo anyway.
    let _ = url.set_username("");
    let _ = url.set_password(None);
}

/// A validated digest: known algorithm, hex of the right length, lower-cased.
fn digest(name: &str, hex: &str) -> Option<(HashAlgorithm, String)> {
    let algorithm = HashAlgorithm::parse(name.trim())?;
    let hex = hex.trim();
    let bits = match algorithm {
        HashAlgorithm::Md5 => 128,
        HashAlgorithm::Sha1 => 160,
        HashAlgorithm::Sha224 => 224,
        HashAlgorithm::Sha256 => 256,
        HashAlgorithm::Sha384 => 384,
        HashAlgorithm::Sha512 => 512,
    };
    (hex.len() * 4 == bits && crate::digest::is_hex(hex)).then(|| (algorithm, hex.to_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const B_UPPER: &str = "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB";

    fn page() -> Url {
        Url::parse("https://index.example/simple/demo/").unwrap()
    }

    fn sha256(files: &[IndexFile], name: &str) -> Option<String> {
        files.iter().find(|f| f.filename == name)?.hashes.get(&HashAlgorithm::Sha256).cloned()
    }

    #[test]
    fn a_page_is_read_by_its_content_whatever_its_label() {
        let json = format!(r#"{{"files": [{{"filename": "demo-1.0.tar.gz", "url": "demo-1.0.tar.gz#sha256={A}"}}]}}"#);
        let html = format!(r#"<html><a href="demo-1.0.tar.gz#sha256={A}">demo-1.0.tar.gz</a></html>"#);
        for body in [json, html] {
            for label in [Some("text/html"), Some("application/vnd.pypi.simple.v1+json"), Some("text/plain"), None] {
                let body = format!("\u{feff}\n {body}");
                let files = parse_page(label, body.as_bytes(), &page()).unwrap();
                assert_eq!(sha256(&files, "demo-1.0.tar.gz").as_deref(), Some(A), "{label:?}: {body}");
            }
        }
    }

    /// Found by fuzzing: 20,000 open `<math>` elements and 5,000 `</a>` took a tree builder
    /// 100 s; the tokenizer reads it in linear time.
    #[test]
    fn nested_elements_and_stray_end_tags_are_read_in_linear_time() {
        let body = format!(
            "<html><body>{}{}<a href=\"demo-1.0.tar.gz#sha256={A}\">demo-1.0.tar.gz</a></body></html>",
            "<math>".repeat(20_000),
            "</a>".repeat(5_000)
        );
        let started = std::time::Instant::now();
        let files = parse_html(&body, &page());
        assert_eq!(sha256(&files, "demo-1.0.tar.gz").as_deref(), Some(A));
        assert!(started.elapsed() < std::time::Duration::from_secs(2), "{:?}", started.elapsed());
    }

    #[test]
    fn anchors_keep_their_text_and_the_first_base_counts() {
        let html = format!(
            "<base href=\"https://cdn.example/pkgs/\"><base href=\"https://other.example/\">\
             <a href=\"demo-1.0.tar.gz#sha256={A}\"> demo-<b>1.0</b>.tar.gz </a>\
             <a name=\"no-href\">ignored</a><a href=\"demo-0.9.zip\">demo-0.9.zip<a href=\"demo-0.8.zip\">"
        );
        let files = parse_html(&html, &page());
        let names: Vec<(&str, &str)> = files.iter().map(|f| (f.filename.as_str(), f.url.as_str())).collect();
        assert_eq!(
            names,
            [
                ("demo-1.0.tar.gz", "https://cdn.example/pkgs/demo-1.0.tar.gz"),
                ("demo-0.9.zip", "https://cdn.example/pkgs/demo-0.9.zip"),
                ("demo-0.8.zip", "https://cdn.example/pkgs/demo-0.8.zip"),
            ]
        );
    }

    #[test]
    fn control_characters_never_reach_a_listed_file() {
        let body = format!(
            r#"{{"files": [{{"filename": "demo-1.0.tar.gz\u0000", "url": "a.tar.gz#sha256={A}"}},
                {{"filename": "../demo-1.0.tar.gz", "url": "b.tar.gz"}},
                {{"filename": "demo-1.0.zip", "url": "demo\u0000-1.0\u001b[2J.zip"}}]}}"#
        );
        let files = parse_json(body.as_bytes(), &page()).unwrap();
        assert_eq!(files.len(), 1, "{files:?}");
        assert_eq!(files[0].url, "https://index.example/simple/demo/demo%00-1.0%1B[2J.zip");
    }

    #[test]
    fn json_tolerates_yanked_and_metadata_shapes() {
        let body = format!(
            r#"{{"meta": {{"api-version": "1.1"}}, "name": "demo", "files": [
              {{"filename": "demo-1.0.tar.gz", "url": "https://files.example/demo-1.0.tar.gz",
                "hashes": {{"sha256": "{A}"}}, "yanked": "broken release", "core-metadata": false}},
              {{"filename": "demo-1.0-py3-none-any.whl", "url": "../../files/demo-1.0-py3-none-any.whl",
                "hashes": {{"sha256": "{B_UPPER}", "blake2b_256": "ff"}}, "yanked": true,
                "data-dist-info-metadata": {{"sha256": "{A}"}}, "dist-info-metadata": true}},
              {{"filename": "demo-0.9.tar.gz", "url": "https://files.example/demo-0.9.tar.gz", "hashes": {{}}}},
              {{"filename": "demo-0.8.tar.gz", "url": "https://files.example/demo-0.8.tar.gz"}}
            ]}}"#
        );
        let files = parse_json(body.as_bytes(), &page()).unwrap();
        assert_eq!(files.len(), 4);
        assert_eq!(sha256(&files, "demo-1.0.tar.gz").as_deref(), Some(A));
        let wheel = &files[1];
        assert_eq!(wheel.url, "https://index.example/files/demo-1.0-py3-none-any.whl");
        assert_eq!(wheel.hashes.len(), 1, "unknown algorithms are dropped");
        assert_eq!(sha256(&files, "demo-1.0-py3-none-any.whl"), Some(B_UPPER.to_ascii_lowercase()));
        assert_eq!(sha256(&files, "demo-0.9.tar.gz"), None);
        assert_eq!(sha256(&files, "demo-0.8.tar.gz"), None);
    }

    #[test]
    fn json_rejects_unknown_major_version_and_garbage() {
        let body = br#"{"meta": {"api-version": "2.0"}, "files": []}"#;
        let error = parse_json(body, &page()).unwrap_err();
        assert!(matches!(&error, PageError::ApiVersion(version) if version == "2.0"), "{error:?}");
        assert_eq!(error.to_string(), "unsupported simple API version 2.0 (lock2nix reads 1.x)");
        let error = parse_json(b"<html>", &page()).unwrap_err();
        assert_eq!(
            crate::report::with_causes(&error),
            "invalid PEP 691 JSON: expected value at line 1 column 1",
            "the JSON error is the cause"
        );
    }

    #[test]
    fn html_reads_fragments_relative_hrefs_and_attributes() {
        let body = format!(
            r#"<!DOCTYPE html><html><body>
            <a href="../../packages/demo-1.0.tar.gz#sha256={B_UPPER}" data-yanked="">demo-1.0.tar.gz</a><br/>
            <a href="/files/demo-1.0-py3-none-any.whl#sha256={A}" data-requires-python="&gt;=3.8"
               data-dist-info-metadata="sha256={A}" data-core-metadata="true">
               demo-1.0-py3-none-any.whl </a>
            <a href="https://u:p@mirror.example/demo-0.9.tar.gz?x=1&amp;y=2">demo-0.9.tar.gz</a>
            <a href="demo-0.8.zip#md5=0123456789abcdef0123456789abcdef"></a>
            <a href="demo-0.7.zip#sha256=nothex">demo-0.7.zip</a>
            </body></html>"#
        );
        let files = parse_html(&body, &page());
        let names: Vec<_> = files.iter().map(|f| f.filename.as_str()).collect();
        assert_eq!(
            names,
            ["demo-1.0.tar.gz", "demo-1.0-py3-none-any.whl", "demo-0.9.tar.gz", "demo-0.8.zip", "demo-0.7.zip"]
        );
        assert_eq!(files[0].url, "https://index.example/packages/demo-1.0.tar.gz");
        assert_eq!(sha256(&files, "demo-1.0.tar.gz"), Some(B_UPPER.to_ascii_lowercase()));
        assert_eq!(files[1].url, "https://index.example/files/demo-1.0-py3-none-any.whl");
        assert_eq!(sha256(&files, "demo-1.0-py3-none-any.whl").as_deref(), Some(A));
        assert_eq!(files[2].url, "https://mirror.example/demo-0.9.tar.gz?x=1&y=2", "credentials stripped");
        assert!(files[2].hashes.is_empty());
        assert_eq!(files[3].url, "https://index.example/simple/demo/demo-0.8.zip");
        assert_eq!(files[3].hashes.get(&HashAlgorithm::Md5).map(String::len), Some(32));
        assert!(files[4].hashes.is_empty(), "malformed digests are dropped");
    }

    #[test]
    fn html_honours_base_href() {
        let body = format!(
            r#"<html><head><base href="https://cdn.example/pkgs/"></head>
            <body><a href="demo-1.0.tar.gz#sha256={A}">demo-1.0.tar.gz</a></body></html>"#
        );
        let files = parse_html(&body, &page());
        assert_eq!(files[0].url, "https://cdn.example/pkgs/demo-1.0.tar.gz");
    }

    #[test]
    fn content_type_decides_the_parser() {
        let json =
            format!(r#"{{"files": [{{"filename": "a.tar.gz", "url": "a.tar.gz", "hashes": {{"sha256": "{A}"}}}}]}}"#);
        let html = format!(r#"<a href="a.tar.gz#sha256={A}">a.tar.gz</a>"#);
        for ct in [Some("application/vnd.pypi.simple.v1+json"), Some("application/json; charset=utf-8"), None] {
            assert_eq!(parse_page(ct, json.as_bytes(), &page()).unwrap().len(), 1, "{ct:?}");
        }
        for ct in [Some("text/html; charset=utf-8"), Some("application/vnd.pypi.simple.v1+html"), None] {
            assert_eq!(parse_page(ct, html.as_bytes(), &page()).unwrap().len(), 1, "{ct:?}");
        }
    }
}
