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

    /// What `render` writes at `depth`, in a string of its exact size. Written first into this
    /// thread's scratch text, which keeps its room from piece to piece: a piece written in a
    /// string of its own grows it a dozen times (a fifth of rendering's time, with the copies).
    pub(crate) fn piece_at_depth(depth: usize, render: impl FnOnce(&mut Self)) -> String {
        thread_local! {
            static SCRATCH: std::cell::Cell<String> = const { std::cell::Cell::new(String::new()) };
        }
        let mut writer = Self { out: SCRATCH.take(), depth };
        writer.out.clear();
        render(&mut writer);
        let piece = writer.out.as_str().to_owned();
        SCRATCH.set(writer.out);
        piece
    }

    /// A line of code at the current depth. `code` must be built from this module's helpers;
    /// `format_args!` writes it straight into the output, with no string of its own.
    pub(crate) fn line(&mut self, code: impl Code) {
        let start = self.out.len();
        self.indentation();
        let indented = self.out.len();
        code.write_into(&mut self.out);
        // An empty line is not indented.
        if self.out.len() == indented {
            self.out.truncate(start);
        }
        self.out.push('\n');
    }

    /// A line that opens a block: following lines are indented one level deeper.
    pub(crate) fn open(&mut self, code: impl Code) {
        self.line(code);
        self.depth += 1;
    }

    /// Closes a block opened with [`Self::open`] with `code` (e.g. `};`).
    pub(crate) fn close(&mut self, code: impl Code) {
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
        self.indentation();
        self.out.push_str(&attr(name));
        self.out.push_str(" = \"");
        for (at, part) in parts.iter().enumerate() {
            let next = parts[at + 1..].iter().find_map(|part| part.chars().next());
            escape_into(&mut self.out, part, next);
        }
        self.out.push_str("\";\n");
    }

    /// `name = slot;`, a line of a package's selection of artifacts (24 for each package with
    /// an artifact per target).
    pub(crate) fn assign_number(&mut self, name: &str, number: usize) {
        self.indentation();
        self.out.push_str(&attr(name));
        self.out.push_str(" = ");
        self.out.push_str(itoa::Buffer::new().format(number));
        self.out.push_str(";\n");
    }

    fn indentation(&mut self) {
        const SPACES: &str = "                                ";
        let mut width = self.depth * 2;
        while width > 0 {
            let now = width.min(SPACES.len());
            self.out.push_str(&SPACES[..now]);
            width -= now;
        }
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

/// What a line is written from: text built by this module's helpers, or `format_args!` of
/// it, written straight into the output (a literal without going through `fmt`).
pub(crate) trait Code {
    fn write_into(self, out: &mut String);
}

impl Code for &str {
    fn write_into(self, out: &mut String) {
        out.push_str(self);
    }
}

impl Code for &String {
    fn write_into(self, out: &mut String) {
        out.push_str(self);
    }
}

impl Code for String {
    fn write_into(self, out: &mut String) {
        out.push_str(&self);
    }
}

impl Code for fmt::Arguments<'_> {
    fn write_into(self, out: &mut String) {
        match self.as_str() {
            Some(literal) => out.push_str(literal),
            None => {
                let _ = out.write_fmt(self);
            }
        }
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
    // Most strings (URLs, file names, hashes) need no escaping at all: every string of the
    // file passes here, and two vector searches took 75M instructions on a 10,000-package
    // lock where a look at every byte took 126M.
    let bytes = text.as_bytes();
    if memchr::memchr3(b'"', b'\\', b'$', bytes).is_none() && memchr::memchr3(b'\n', b'\r', b'\t', bytes).is_none() {
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
    let bytes = name.as_bytes();
    let plain = matches!(bytes.first(), Some(b) if b.is_ascii_alphabetic() || *b == b'_')
        && bytes.iter().all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'\''))
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
    fn pieces_are_written_at_their_depth_each_in_a_string_of_its_size() {
        let long = NixWriter::piece_at_depth(1, |w| w.assign_string("url", &"a".repeat(5000)));
        let short = NixWriter::piece_at_depth(2, |w| w.assign("x", "1"));
        assert_eq!(long, format!("  url = \"{}\";\n", "a".repeat(5000)));
        assert_eq!(short, "    x = 1;\n", "nothing of the piece before");
        assert_eq!((long.capacity(), short.capacity()), (long.len(), short.len()));
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
