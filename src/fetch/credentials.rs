//! Basic-auth credentials for indexes that ask for them, from where Poetry users keep them:
//! the source URL's `user:password@`, Poetry's `POETRY_HTTP_BASIC_<SOURCE>_USERNAME` /
//! `_PASSWORD` environment variables, and the netrc file (`NETRC`, else `~/.netrc`). They are
//! sent to the host they belong to and nowhere else, and never printed: this type's `Debug`
//! shows hosts only.

use std::collections::BTreeMap;
use std::path::PathBuf;

use url::Url;

use super::client::split_credentials;
use crate::safe_url::DisplaySafeUrl;
use crate::warning::{Warning, WarningKind};

/// A user and password for one host.
#[derive(Clone, PartialEq, Eq)]
struct Secret {
    user: String,
    password: Option<String>,
}

/// Credentials by host (with `:port` when the URL has one).
#[derive(Clone, Default)]
pub struct Credentials {
    by_host: BTreeMap<String, Secret>,
    /// The netrc file's `default` entry, for hosts without their own.
    default: Option<Secret>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("hosts", &self.by_host.keys().collect::<Vec<_>>())
            .field("default", &self.default.is_some())
            .finish()
    }
}

/// A named index source, for the environment variables that may hold its credentials.
#[derive(Clone, Debug)]
pub struct NamedSource {
    pub name: String,
    /// May carry `user:password@`.
    pub url: DisplaySafeUrl,
}

/// The prefix of Poetry's variables for source `name`: `POETRY_HTTP_BASIC_<NAME>`, the name
/// upper-cased with every character that is not a letter or digit turned into `_`.
pub(crate) fn poetry_variables(name: &str) -> String {
    let upper: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' }).collect();
    format!("POETRY_HTTP_BASIC_{upper}")
}

/// `host[:port]` of a URL, the key credentials are stored under.
fn host_key(url: &Url) -> Option<String> {
    let host = url.host_str()?.to_ascii_lowercase();
    Some(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host,
    })
}

impl Credentials {
    /// Reads the environment and the netrc file for `sources` (and the default index, whose
    /// URL may carry credentials too). A netrc file that cannot be parsed is a warning (without
    /// its contents) and is ignored.
    pub fn discover(sources: &[NamedSource], default_index: &str) -> (Self, Vec<Warning>) {
        let mut warnings = Vec::new();
        let netrc = netrc_file().and_then(|path| {
            if let Ok(netrc) = netrc::Netrc::from_file(&path) {
                Some(netrc)
            } else {
                // The parser's message may quote a token of the file, which may be a secret.
                warnings.push(Warning::new(
                    WarningKind::UnreadableNetrc,
                    path.display().to_string(),
                    format!("{}: not a readable netrc file; it is ignored", path.display()),
                ));
                None
            }
        });
        let env = |name: String| std::env::var(name).ok().filter(|v| !v.is_empty());
        let mut credentials = Self::default();
        if let Some(netrc) = &netrc {
            for (machine, auth) in &netrc.hosts {
                let secret = Secret { user: auth.login.clone(), password: Some(auth.password.clone()) };
                if machine == "default" {
                    credentials.default = Some(secret);
                } else {
                    credentials.by_host.insert(machine.to_ascii_lowercase(), secret);
                }
            }
        }
        // Poetry's variables win over netrc, and the URL's own credentials over both.
        for source in sources {
            let Ok(url) = Url::parse(source.url.expose()) else { continue };
            let Some(host) = host_key(&url) else { continue };
            let prefix = poetry_variables(&source.name);
            if let Some(user) = env(format!("{prefix}_USERNAME")) {
                credentials.by_host.insert(host, Secret { user, password: env(format!("{prefix}_PASSWORD")) });
            }
        }
        let urls = sources.iter().map(|s| s.url.expose()).chain(std::iter::once(default_index));
        for url in urls.filter_map(|u| Url::parse(u).ok()) {
            if let (Some(host), (_, Some((user, password)))) = (host_key(&url), split_credentials(&url)) {
                credentials.by_host.insert(host, Secret { user, password });
            }
        }
        (credentials, warnings)
    }

    /// The user and password for `url`'s host: its own entry (with the port when the URL has
    /// one, else the bare host), else netrc's `default`.
    pub fn for_url(&self, url: &Url) -> Option<(String, Option<String>)> {
        let host = url.host_str()?.to_ascii_lowercase();
        let exact = host_key(url).and_then(|key| self.by_host.get(&key));
        exact
            .or_else(|| self.by_host.get(&host))
            .or(self.default.as_ref())
            .map(|s| (s.user.clone(), s.password.clone()))
    }

    /// Whether requests to `url`'s host carry credentials.
    pub fn covers(&self, url: &Url) -> bool {
        self.for_url(url).is_some()
    }

    #[cfg(test)]
    fn with(host: &str, user: &str, password: &str) -> Self {
        let mut credentials = Self::default();
        credentials.by_host.insert(host.into(), Secret { user: user.into(), password: Some(password.into()) });
        credentials
    }
}

/// `NETRC`, else `~/.netrc`, when it exists.
fn netrc_file() -> Option<PathBuf> {
    let path = std::env::var_os("NETRC")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".netrc")))?;
    path.is_file().then_some(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poetry_variable_names() {
        assert_eq!(poetry_variables("my-repo.internal"), "POETRY_HTTP_BASIC_MY_REPO_INTERNAL");
        assert_eq!(poetry_variables("pypi"), "POETRY_HTTP_BASIC_PYPI");
    }

    #[test]
    fn hosts_with_ports_fall_back_to_the_bare_host_and_debug_hides_secrets() {
        let credentials = Credentials::with("index.example", "alice", "s3cret");
        let url = Url::parse("https://index.example:8443/simple/").unwrap();
        assert_eq!(credentials.for_url(&url), Some(("alice".into(), Some("s3cret".into()))));
        assert!(!credentials.covers(&Url::parse("https://other.example/").unwrap()));
        let shown = format!("{credentials:?}");
        assert!(shown.contains("index.example") && !shown.contains("s3cret") && !shown.contains("alice"), "{shown}");
    }
}
