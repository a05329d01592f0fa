//! The one way Nix text is produced: an indenting line writer plus escaping helpers. Every
//! string that came from an input goes through [`string`], [`interpolated`], [`attr`] or
//! [`NixWriter::comment`], which escape `"`, `\` and `${` (and newlines in comments).

use std::borrow::Cow;
use std::fmt::{self, Write as _};

/// Writes Nix code line by line with nixfmt's two-space indentation.
#[derive(Debug, Default)]
pub(crate) struct NixWriter {
    out: String,
    depth: usize,
}

impl NixWriter {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// A writer whose lines start `depth` levels deep, for pieces rendered separately.
    pub(crate) fn at_depth(depth: usize) -> Self {
        Self { out: String::new(), depth }
    }

    /// A line of code at the current depth. `code` must be built from this module's helpers;
    /// `format_args!` writes it straight into the output, with no string of its own.
    pub(crate) fn line(&mut self, code: impl fmt::Display) {
        let start = self.out.len();
        for _ in 0..self.depth {
            self.out.push_str("  ");
        }
        let indented = self.out.len();
        let _ = write!(self.out, "{code}");
        // An empty line is not indented.
        if self.out.len() == indented {
            self.out.truncate(start);
        }
        self.out.push('\n');
    }

    /// A line that opens a block: following lines are indented one level deeper.
    pub(crate) fn open(&mut self, code: impl fmt::Display) {
        self.line(code);
        self.depth += 1;
    }

    /// Closes a block opened with [`Self::open`] with `code` (e.g. `};`).
    pub(crate) fn close(&mut self, code: impl fmt::Display) {
        self.depth = self.depth.saturating_sub(1);
        self.line(code);
    }

    /// A `#` comment; any text is safe here (control characters become spaces).
    pub(crate) fn comment(&mut self, text: &str) {
        let clean: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
        self.line(format!("# {clean}").trim_end());
    }

    /// `name = "text";` with `text` escaped, written straight into the output (the hot path
    /// of rendering: every URL, hash and file name goes through here).
    pub(crate) fn assign_string(&mut self, name: &str, text: &str) {
        self.assign_joined(name, &[text]);
    }

    /// [`Self::assign_string`] of `parts` one after the other, without joining them first.
    pub(crate) fn assign_joined(&mut self, name: &str, parts: &[&str]) {
        for _ in 0..self.depth {
            self.out.push_str("  ");
        }
        self.out.push_str(&attr(name));
        self.out.push_str(" = \"");
        for (at, part) in parts.iter().enumerate() {
            let next = parts[at + 1..].iter().find_map(|part| part.chars().next());
            escape_into(&mut self.out, part, next);
        }
        self.out.push_str("\";\n");
    }

    /// Indents following lines one level deeper without writing a line.
    pub(crate) fn indent(&mut self) {
        self.depth += 1;
    }

    pub(crate) fn dedent(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    /// `name = value;` where `value` is code from this module's helpers.
    pub(crate) fn assign(&mut self, name: &str, value: &str) {
        self.line(format_args!("{} = {value};", attr(name)));
    }

    /// A list: `[ x ]` on one line for one element, one element per line otherwise.
    pub(crate) fn list(&mut self, prefix: &str, items: &[String], suffix: &str) {
        match items {
            [] => self.line(format_args!("{prefix}[ ]{suffix}")),
            [one] => self.line(format_args!("{prefix}[ {one} ]{suffix}")),
            _ => {
                self.open(format_args!("{prefix}["));
                for item in items {
                    self.line(item);
                }
                self.close(format_args!("]{suffix}"));
            }
        }
    }

    pub(crate) fn finish(self) -> String {
        self.out
    }
}

/// A Nix string literal with `"`, `\`, `${` and control characters escaped.
pub(crate) fn string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    escape_into(&mut out, text, None);
    out.push('"');
    out
}

/// A piece of an interpolated string: literal text (escaped) or a Nix expression.
pub(crate) enum Part<'a> {
    Text(&'a str),
    Code(&'a str),
}

/// A string literal mixing escaped text and `${…}` interpolations of code.
pub(crate) fn interpolated(parts: &[Part<'_>]) -> String {
    let mut out = String::from("\"");
    for part in parts {
        match part {
            Part::Text(text) => escape_into(&mut out, text, None),
            Part::Code(code) => {
                let _ = write!(out, "${{{code}}}");
            }
        }
    }
    out.push('"');
    out
}

/// Writes `text` escaped; `next` is the character the string goes on with, if any (a `$` before
/// a `{` is escaped).
fn escape_into(out: &mut String, text: &str, next: Option<char>) {
    // Most strings (URLs, file names, hashes) need no escaping at all. Folded rather than
    // searched, so that the loop runs on vectors: every string of the file passes here.
    let special = |b: u8| matches!(b, b'"' | b'\\' | b'$' | b'\n' | b'\r' | b'\t');
    if text.bytes().fold(0, |found, b| found | u8::from(special(b))) == 0 {
        out.push_str(text);
        return;
    }
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' if chars.peek().or(next.as_ref()) == Some(&'{') => out.push_str("\\$"),
            c => out.push(c),
        }
    }
}

/// An attribute name: bare when it is a plain identifier, else a string literal.
/// Borrowed when bare: every attribute the file assigns goes through here.
pub(crate) fn attr(name: &str) -> Cow<'_, str> {
    let mut chars = name.chars();
    let plain = matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || "_-'".contains(c))
        && !KEYWORDS.contains(&name);
    if plain { Cow::Borrowed(name) } else { Cow::Owned(string(name)) }
}

/// A Nix path for `relative` (with `/` separators, relative to the generated file's folder):
/// a path literal when Nix's grammar allows one, else `./.` plus an escaped string. Nix
/// resolves both against the file's folder and normalises `..`.
pub(crate) fn path(relative: &str) -> String {
    let relative = relative.trim_end_matches('/');
    match relative {
        "" | "." => return "./.".to_string(),
        ".." => return "../.".to_string(),
        _ => {}
    }
    let segments_ok = relative.split('/').all(|segment| {
        !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-+".contains(&b))
    });
    if segments_ok {
        if relative.starts_with("../") {
            return relative.to_string();
        }
        return format!("./{}", relative.strip_prefix("./").unwrap_or(relative));
    }
    format!("(./. + {})", string(&format!("/{}", relative.strip_prefix("./").unwrap_or(relative))))
}

/// `base.name`, quoting the name when needed.
pub(crate) fn select(base: &str, name: &str) -> String {
    format!("{base}.{}", attr(name))
}

const KEYWORDS: [&str; 12] =
    ["if", "then", "else", "assert", "with", "let", "in", "rec", "inherit", "or", "true", "false"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_escape_quote_backslash_and_interpolation() {
        assert_eq!(string(r#"a"b"#), r#""a\"b""#);
        assert_eq!(string(r"C:\dir"), r#""C:\\dir""#);
        assert_eq!(string("${builtins.abort 1}"), r#""\${builtins.abort 1}""#);
        assert_eq!(string("$HOME and $${x}"), r#""$HOME and $\${x}""#);
        assert_eq!(string("line\nnext\ttab"), r#""line\nnext\ttab""#);
    }

    #[test]
    fn a_string_written_in_parts_is_escaped_as_one() {
        for parts in [&["https://host/a$", "{b}.whl"][..], &["a$", "", "{b"], &["\"q\" ", "$", "x"], &["plain"]] {
            let mut joined = NixWriter::new();
            joined.assign_joined("url", parts);
            let mut whole = NixWriter::new();
            whole.assign_string("url", &parts.concat());
            assert_eq!(joined.finish(), whole.finish(), "{parts:?}");
        }
        let mut w = NixWriter::new();
        w.assign_joined("url", &["https://host/a$", "{b}.whl"]);
        assert_eq!(w.finish(), "url = \"https://host/a\\${b}.whl\";\n");
    }

    #[test]
    fn interpolation_keeps_code_and_escapes_text() {
        let s = interpolated(&[Part::Text("pkg \"${x}\" on "), Part::Code("system")]);
        let mut w = NixWriter::new();
        w.indent();
        w.assign_string("url", "a\"${b}");
        assert_eq!(w.finish(), "  url = \"a\\\"\\${b}\";\n");
        assert_eq!(s, r#""pkg \"\${x}\" on ${system}""#);
    }

    #[test]
    fn attribute_names_are_quoted_when_needed() {
        assert_eq!(attr("requests"), "requests");
        assert_eq!(attr("typing-extensions"), "typing-extensions");
        assert_eq!(attr("2captcha"), r#""2captcha""#);
        assert_eq!(attr("zope.interface"), r#""zope.interface""#);
        assert_eq!(attr("x86_64-linux/3.11"), r#""x86_64-linux/3.11""#);
        assert_eq!(attr("assert"), r#""assert""#);
        assert_eq!(select("final", "2captcha"), r#"final."2captcha""#);
    }

    #[test]
    fn paths_are_literals_when_nix_allows_and_strings_otherwise() {
        assert_eq!(path("."), "./.");
        assert_eq!(path(""), "./.");
        assert_eq!(path("libs/a"), "./libs/a");
        assert_eq!(path("./libs/a/"), "./libs/a");
        assert_eq!(path("../dist/a-1.0-py3-none-any.whl"), "../dist/a-1.0-py3-none-any.whl");
        assert_eq!(path(".."), "../.");
        assert_eq!(path("my lib"), r#"(./. + "/my lib")"#);
        assert_eq!(path("x/${y}"), r#"(./. + "/x/\${y}")"#);
    }

    #[test]
    fn comments_cannot_break_out_of_their_line() {
        let mut w = NixWriter::new();
        w.comment("evil\n}; x = builtins.abort 1; {");
        assert_eq!(w.finish(), "# evil }; x = builtins.abort 1; {\n");
    }

    #[test]
    fn lists_follow_nixfmt_layout() {
        let mut w = NixWriter::new();
        w.list("a = ", &[], ";");
        w.list("b = ", &["x".into()], ";");
        w.list("c = ", &["x".into(), "y".into()], ";");
        assert_eq!(w.finish(), "a = [ ];\nb = [ x ];\nc = [\n  x\n  y\n];\n");
    }
}
