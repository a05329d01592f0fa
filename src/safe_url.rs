//! URLs that may carry credentials, and the one way they are shown.
//!
//! An index URL from the command line or a lock may hold `user:password@`, a token as the
//! user name, or a `?token=…` parameter. [`DisplaySafeUrl`] keeps the URL as written for the
//! requests and shows it only redacted ([`redact`]), in `Display` and `Debug` alike, so a
//! message, a header, a cache key or a `{:?}` cannot print a secret by accident.
//!
//! Users paste tokens unescaped, so the redaction does not trust a URL parser alone: a `/`,
//! `?`, `#` or `@` inside a password ends the authority for WHATWG's parser, which then shows
//! the rest of the password as a host, a path or a query. Such text is redacted by hand, up to
//! the last `@` that can end a user part, preferring to hide too much over too little.

use std::borrow::Cow;
use std::fmt;

use url::Url;

/// A URL as written, which may carry credentials. Only [`Self::expose`] gives the text itself
/// (for a request or a git remote); everything else sees [`redact`]'s form.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DisplaySafeUrl(String);

impl DisplaySafeUrl {
    pub fn new(url: impl Into<String>) -> Self {
        Self(url.into())
    }

    /// The URL with its credentials: for requests and remotes only, never for a message.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether a URL parser reads the URL as its writer meant it: absolute, with `//`, and no
    /// `@` after the host (which would end a user part holding `/`, `?` or `#`).
    pub fn is_unambiguous(&self) -> bool {
        redact_well_formed(&self.0).is_some()
    }

    /// The URL as written when it cannot hold a credential (no `@`, no query), else
    /// [`Self::redacted`]: for the hot path, where almost every URL is such, and which writes
    /// a locked URL as the lock has it.
    pub fn shown(&self) -> Cow<'_, str> {
        if self.0.contains(['@', '?']) { Cow::Owned(self.redacted()) } else { Cow::Borrowed(&self.0) }
    }

    /// The form shown everywhere else.
    pub fn redacted(&self) -> String {
        redact(&self.0)
    }
}

impl From<String> for DisplaySafeUrl {
    fn from(url: String) -> Self {
        Self(url)
    }
}

impl From<&str> for DisplaySafeUrl {
    fn from(url: &str) -> Self {
        Self(url.to_owned())
    }
}

impl fmt::Display for DisplaySafeUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl fmt::Debug for DisplaySafeUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.redacted(), f)
    }
}

/// `url` without its user part and without the values of credential query parameters
/// (`?token=…`), for messages, cache keys and output. A user name alone is kept for ssh
/// (`ssh://git@host/…`: it is who logs in, not a secret); for every other scheme it may be a
/// token and goes too.
pub fn redact(url: &str) -> String {
    if let Some(clean) = redact_well_formed(url) {
        return clean;
    }
    let start = authority_start(url);
    let rest = &url[start..];
    let keep_ssh_user = is_ssh(&url[..start]) && user_part_end(rest).is_some_and(|at| !rest[..at].contains(':'));
    let without_user = match user_part_end(rest).filter(|_| !keep_ssh_user) {
        Some(at) => format!("{}{}", &url[..start], &rest[at + 1..]),
        None => url.to_owned(),
    };
    match Url::parse(&without_user) {
        Ok(mut parsed) if without_user.contains("://") => {
            redact_query(&mut parsed);
            parsed.to_string()
        }
        _ => redact_query_text(&without_user),
    }
}

/// The redacted form when `url` parses without doubt: an absolute URL with `//`, no `@` after
/// its authority (one there may be the end of a password holding `/`, `?` or `#`).
fn redact_well_formed(url: &str) -> Option<String> {
    let mut parsed = Url::parse(url).ok()?;
    let has_authority = url.get(..parsed.scheme().len() + 3)?.eq_ignore_ascii_case(&format!("{}://", parsed.scheme()));
    let after_host = &parsed[url::Position::AfterPort..];
    if !has_authority || after_host.contains('@') || url.contains('\\') {
        return None;
    }
    if is_ssh(parsed.scheme()) && parsed.password().is_none() {
        return Some(parsed.to_string());
    }
    let _ = parsed.set_username("");
    let _ = parsed.set_password(None);
    redact_query(&mut parsed);
    Some(parsed.to_string())
}

fn is_ssh(scheme: &str) -> bool {
    let scheme = scheme.trim_end_matches("://").to_ascii_lowercase();
    scheme == "ssh" || scheme == "git+ssh"
}

/// Where the authority begins: after `scheme://`, after a leading `//`, else at the start
/// (`user:token@host/simple`, a URL without a scheme).
fn authority_start(url: &str) -> usize {
    if let Some(i) = url.find("://") {
        let scheme = &url[..i];
        let scheme_like = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c));
        if scheme_like {
            return i + 3;
        }
    }
    if url.starts_with("//") { 2 } else { 0 }
}

/// The `@` that ends the user part of `rest` (the text from the authority on): the last `@`
/// before which the text can be a user part, that is, it holds a `:` ahead of its first `/`
/// (`user:pa/ss@`) or no `/` at all (`token@`, `us?er:pw@`). A `@` after a path
/// (`github.com/o/r.git@v1`) is not one.
fn user_part_end(rest: &str) -> Option<usize> {
    rest.match_indices('@').map(|(i, _)| i).rev().find(|&at| {
        let before = &rest[..at];
        match before.find('/') {
            None => true,
            Some(slash) => before[..slash].contains(':'),
        }
    })
}

/// Query parameters that carry credentials (`?token=…`, signed-URL signatures), matched by
/// name without case.
const SECRET_PARAMETERS: [&str; 14] = [
    "token",
    "access_token",
    "auth",
    "key",
    "api_key",
    "apikey",
    "secret",
    "password",
    "passwd",
    "signature",
    "sig",
    "x-amz-signature",
    "x-amz-credential",
    "x-amz-security-token",
];

fn is_secret_parameter(name: &str) -> bool {
    SECRET_PARAMETERS.iter().any(|s| s.eq_ignore_ascii_case(name))
}

/// Replaces the value of every credential-carrying query parameter with `REDACTED`; other
/// parameters (`rev`, `subdirectory`, …) stay as written.
fn redact_query(url: &mut Url) {
    if !url.query_pairs().any(|(name, _)| is_secret_parameter(&name)) {
        return;
    }
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(name, value)| {
            let value = if is_secret_parameter(&name) { "REDACTED".to_string() } else { value.into_owned() };
            (name.into_owned(), value)
        })
        .collect();
    url.query_pairs_mut().clear().extend_pairs(pairs);
}

/// [`redact_query`] for text no parser accepts: `name=value` pairs after the first `?`, up to
/// a `#`.
fn redact_query_text(url: &str) -> String {
    let Some(q) = url.find('?') else { return url.to_owned() };
    let end = url[q..].find('#').map_or(url.len(), |i| q + i);
    let pairs: Vec<String> = url[q + 1..end]
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) if is_secret_parameter(name) => format!("{name}=REDACTED"),
            _ => pair.to_owned(),
        })
        .collect();
    format!("{}?{}{}", &url[..q], pairs.join("&"), &url[end..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_formed_urls_lose_their_user_part_and_query_secrets() {
        assert_eq!(redact("https://u:secret@index.example/simple/"), "https://index.example/simple/");
        assert_eq!(redact("https://index.example/simple/"), "https://index.example/simple/");
        assert_eq!(
            redact("https://index.example/simple/?Token=abc&region=eu&X-Amz-Signature=f00"),
            "https://index.example/simple/?Token=REDACTED&region=eu&X-Amz-Signature=REDACTED"
        );
        assert_eq!(redact("https://h/r.git?rev=v1&subdirectory=a%20b"), "https://h/r.git?rev=v1&subdirectory=a%20b");
        assert_eq!(redact("ssh://git@github.com/o/r.git"), "ssh://git@github.com/o/r.git");
        assert_eq!(redact("ssh://git:secret@github.com/o/r.git"), "ssh://github.com/o/r.git");
        assert_eq!(redact("https://ghp_token@github.com/o/r.git"), "https://github.com/o/r.git");
        assert_eq!(redact("HTTPS://USER:PASS@HOST/x"), "https://host/x");
        assert_eq!(redact("https://u:p%40ss@h/"), "https://h/");
        assert_eq!(redact("not a url"), "not a url");
    }

    /// Each form a user may paste, with `S3CRET` as the password or token: none shows it.
    #[test]
    fn odd_forms_never_show_the_secret() {
        let forms = [
            ("https://user:S3CRET@host/simple", "https://host/simple"),
            ("https://user:S3/CRET@host/simple", "https://host/simple"),
            ("https://user:S3?CRET@host/simple", "https://host/simple"),
            ("https://user:S3#CRET@host/simple", "https://host/simple"),
            ("https://user:S3@CRET@host/simple", "https://host/simple"),
            ("https://user:12?S3CRET@host/simple", "https://host/simple"),
            ("https://us?er:S3CRET@host/simple", "https://host/simple"),
            ("https://S3CRET@host/simple", "https://host/simple"),
            ("https://user:S3CRET@host:badport/simple", "https://host:badport/simple"),
            ("https://user:S3CRET@/simple", "https://simple/"),
            ("https://user:S3\\CRET@host/simple", "https://host/simple"),
            ("user:S3CRET@host/simple", "host/simple"),
            ("//user:S3CRET@host/simple", "//host/simple"),
            ("host/simple?token=S3CRET&x=1", "host/simple?token=REDACTED&x=1"),
            ("https://host/simple/?token=S3CRET", "https://host/simple/?token=REDACTED"),
            ("https://user:S3/CRET@host/simple?token=S3CRET", "https://host/simple?token=REDACTED"),
            ("git+https://user:S3CRET@github.com/o/r.git@v1", "git+https://v1"),
            ("https://user:S3CRET@host/simple\n", "https://host/simple"),
        ];
        for (url, shown) in forms {
            let redacted = redact(url);
            assert!(!redacted.contains("S3") && !redacted.contains("CRET"), "{url:?} shows {redacted:?}");
            assert_eq!(redacted, shown, "{url:?}");
            let safe = DisplaySafeUrl::new(url);
            assert_eq!(safe.to_string(), shown);
            assert!(!format!("{safe:?}").contains("CRET"));
            assert_eq!(safe.expose(), url);
        }
    }

    #[test]
    fn an_at_sign_after_the_path_is_not_a_user_part() {
        assert_eq!(redact("https://github.com/o/r.git@v1.0"), "https://github.com/o/r.git@v1.0");
        assert_eq!(redact("https://host/simple?email=a@b"), "https://host/simple?email=a@b");
        assert_eq!(redact("ssh://git@github.com/o/r@v1"), "ssh://git@github.com/o/r@v1");
    }
}
