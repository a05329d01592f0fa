//! How an error becomes one line of text: its message, then each `#[source]` cause in turn,
//! joined by `: ` (a message never repeats its cause; this puts it back). The hint, what to do
//! about it, is apart: each error type's `hint()`.

use std::error::Error;

/// `message: cause: cause's cause`. A cause the text already holds is not repeated (some
/// libraries' messages, reqwest's among them, include part of their chain).
pub fn with_causes(error: &dyn Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(error) = cause {
        let more = error.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        cause = error.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lockfile::LockError;

    #[test]
    fn an_io_cause_follows_the_message_once() {
        let error = LockError::Io {
            path: "poetry.lock".into(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "No such file or directory"),
        };
        assert_eq!(error.to_string(), "cannot read poetry.lock");
        assert_eq!(with_causes(&error), "cannot read poetry.lock: No such file or directory");
    }
}
