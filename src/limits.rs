//! Limits on untrusted text.
//!
//! PEP 508 text (markers, and requirements that carry one) is bounded before it reaches
//! uv-pep508, whose parser recurses once per parenthesis (5,000 nested parentheses overflowed
//! the stack) and whose marker algebra can grow much faster than its input (a 131 KB marker
//! took 4.45 GB). Real markers stay far below both limits: the longest in the corpus's locks is
//! 2.2 KB, and none nests parentheses more than 2 deep.
//!
//! Messages quote lock and index data: [`excerpt`] bounds a quoted value, and [`printable`]
//! makes a whole message safe for a terminal.
use std::fmt::Write as _;

/// The longest marker or requirement lock2nix reads (7 times the longest seen in real locks).
pub(crate) const MAX_PEP508_BYTES: usize = 16 * 1024;
/// The deepest parenthesis nesting lock2nix reads.
pub(crate) const MAX_PEP508_NESTING: usize = 32;

/// At most 200 characters of `text`, for a message that quotes it.
pub(crate) fn excerpt(text: &str) -> String {
    const SHOWN: usize = 200;
    match text.char_indices().nth(SHOWN) {
        Some((cut, _)) => format!("{}… ({} bytes in all)", &text[..cut], text.len()),
        None => text.to_string(),
    }
}

/// The longest message printed whole (a long list of packages fits); a longer one keeps its
/// start and its end, where the subject and the fix are.
pub(crate) const MAX_MESSAGE_CHARS: usize = 4000;

/// `text` as a terminal can show it, on one line: control characters (C0, DEL and C1, which
/// start ANSI escape sequences) and the invisible characters that reorder or hide text
/// (bidirectional controls) become `\u{…}` escapes (`\n`, `\r`, `\t` as such), and a text
/// longer than [`MAX_MESSAGE_CHARS`] loses its middle.
pub fn printable(text: &str) -> String {
    let hidden = |c: char| {
        c.is_control()
            || matches!(c, '\u{200e}' | '\u{200f}' | '\u{061c}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    let count = text.chars().count();
    let (head, tail) = (MAX_MESSAGE_CHARS * 3 / 4, MAX_MESSAGE_CHARS / 4);
    let mut out = String::with_capacity(text.len().min(MAX_MESSAGE_CHARS * 4));
    for (i, c) in text.chars().enumerate() {
        if count > MAX_MESSAGE_CHARS && i == head {
            let _ = write!(out, " […{} characters left out…] ", count - head - tail);
        }
        if count > MAX_MESSAGE_CHARS && (head..count - tail).contains(&i) {
            continue;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if hidden(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// Why `text` is not read, or `Ok` when it is within the limits.
pub(crate) fn check_pep508(text: &str) -> Result<(), String> {
    if text.len() > MAX_PEP508_BYTES {
        return Err(format!(
            "{} bytes long, more than the {MAX_PEP508_BYTES} lock2nix reads (real markers are a few hundred)",
            text.len()
        ));
    }
    let (mut depth, mut deepest, mut quote) = (0usize, 0usize, None);
    for byte in text.bytes() {
        match (quote, byte) {
            (Some(open), _) if byte == open => quote = None,
            (Some(_), _) => {}
            (None, b'\'' | b'"') => quote = Some(byte),
            (None, b'(') => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            (None, b')') => depth = depth.saturating_sub(1),
            (None, _) => {}
        }
    }
    if deepest > MAX_PEP508_NESTING {
        return Err(format!("parentheses nested {deepest} deep, more than the {MAX_PEP508_NESTING} lock2nix reads"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_markers_pass_and_hostile_ones_are_refused_before_parsing() {
        assert_eq!(check_pep508("(python_version < '3.11' and (sys_platform == 'linux'))"), Ok(()));
        // Parentheses inside quoted values do not count.
        assert_eq!(check_pep508(&format!("platform_release == '{}'", "(".repeat(100))), Ok(()));
        let deep = format!("{}python_version > '3'{}", "(".repeat(5000), ")".repeat(5000));
        assert_eq!(check_pep508(&deep), Err("parentheses nested 5000 deep, more than the 32 lock2nix reads".into()));
        let long = vec!["python_version == '3.1'"; 2000].join(" or ");
        let expected = format!("{} bytes long, more than the 16384 lock2nix reads", long.len());
        assert!(check_pep508(&long).unwrap_err().starts_with(&expected));
    }

    #[test]
    fn messages_are_printable_on_one_line() {
        assert_eq!(printable("plain `six` 1.0 é"), "plain `six` 1.0 é");
        assert_eq!(printable("a\nb\tc\r"), "a\\nb\\tc\\r");
        assert_eq!(printable("name \u{1b}[31mred\u{1b}[0m"), "name \\u{1b}[31mred\\u{1b}[0m");
        assert_eq!(printable("\u{0}\u{7f}\u{9b}2J"), "\\u{0}\\u{7f}\\u{9b}2J");
        assert_eq!(printable("abc\u{202e}fed"), "abc\\u{202e}fed");
        let long = format!("start {} end", "x".repeat(10_000));
        let shown = printable(&long);
        assert!(shown.starts_with("start ") && shown.ends_with(" end"), "{shown}");
        assert!(shown.contains("[…6010 characters left out…]") && shown.chars().count() < MAX_MESSAGE_CHARS + 50);
    }

    #[test]
    fn excerpts_are_bounded() {
        assert_eq!(excerpt("short"), "short");
        let long = "é".repeat(5000);
        let shown = excerpt(&long);
        assert!(shown.starts_with(&"é".repeat(200)) && shown.ends_with("… (10000 bytes in all)"), "{shown}");
    }

    #[test]
    fn markers_at_the_limits_parse_quickly() {
        use std::str::FromStr;
        let nested = format!("{}python_version > '3'{}", "(".repeat(32), ")".repeat(32));
        assert_eq!(check_pep508(&nested), Ok(()));
        assert!(uv_pep508::MarkerTree::from_str(&nested).is_ok());
        // As long as allowed, alternating two variables (the algebra's worst simple shape).
        let mut terms = Vec::new();
        let mut k = 0;
        while terms.iter().map(|t: &String| t.len() + 4).sum::<usize>() < MAX_PEP508_BYTES - 64 {
            terms.push(format!("(python_full_version == '3.{k}.1' and platform_release == 'r{k}')"));
            k += 1;
        }
        let long = terms.join(" or ");
        assert_eq!(check_pep508(&long), Ok(()));
        let started = std::time::Instant::now();
        assert!(uv_pep508::MarkerTree::from_str(&long).is_ok());
        assert!(started.elapsed() < std::time::Duration::from_secs(5), "{:?}", started.elapsed());
    }
}
