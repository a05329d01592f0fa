//! What git says, made safe to show: the secrets of a URL found, redacted from free text, and
//! stderr cut to a bounded single line.

use crate::fetch::client::decoded;

/// At most this much of git's stderr reaches a message.
pub(super) const STDERR_LIMIT: usize = 2048;
/// The last lines of git's stderr that reach a message.
pub(super) const STDERR_LINES: usize = 20;

/// The password of a URL (raw and percent-decoded), or a long user name standing for a token.
pub(super) fn url_secrets(url: &str) -> Vec<String> {
    let Ok(parsed) = url::Url::parse(url) else { return Vec::new() };
    let mut secrets = Vec::new();
    let mut push = |raw: &str| {
        if raw.is_empty() {
            return;
        }
        secrets.push(raw.to_owned());
        let decoded = decoded(raw);
        if decoded != raw && !decoded.is_empty() {
            secrets.push(decoded);
        }
    };
    match parsed.password() {
        Some(password) => push(password),
        None if parsed.username().len() >= 8 => push(parsed.username()),
        None => {}
    }
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    secrets
}

/// Removes `user:pass@` after every `scheme://` in free text, then every known secret.
pub(super) fn redact_text(text: &str, secrets: &[String]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        out.push_str(&rest[..i + 3]);
        rest = &rest[i + 3..];
        let end = rest
            .find(|c: char| c == '/' || c.is_whitespace() || matches!(c, '\'' | '"' | '`' | '?' | '#' | '<' | '>'))
            .unwrap_or(rest.len());
        if let Some(at) = rest[..end].rfind('@') {
            rest = &rest[at + 1..];
        }
    }
    out.push_str(rest);
    for secret in secrets {
        out = out.replace(secret.as_str(), "***");
    }
    out
}

/// The end of git's stderr on one line (so that the error stays one line): the last lines
/// joined by ` | `, at most [`STDERR_LIMIT`] bytes, redacted.
pub(super) fn stderr_tail(stderr: &[u8], secrets: &[String]) -> String {
    let text = redact_text(&String::from_utf8_lossy(stderr), secrets);
    let lines: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let start = lines.len().saturating_sub(STDERR_LINES);
    let mut tail = lines[start..].join(" | ");
    if start > 0 {
        tail.insert_str(0, "… | ");
    }
    bounded(&tail)
}

/// The last [`STDERR_LIMIT`] bytes of `text` (on a character boundary).
pub(super) fn bounded(text: &str) -> String {
    if text.len() <= STDERR_LIMIT {
        return text.to_owned();
    }
    let mut cut = text.len() - STDERR_LIMIT;
    while !text.is_char_boundary(cut) {
        cut += 1;
    }
    format!("…{}", &text[cut..])
}
