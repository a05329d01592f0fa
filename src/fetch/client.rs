//! The HTTP side of the fetch stage: one shared reqwest client, credentials taken out of
//! URLs, retries with exponential backoff. A `file://` URL (a local mirror) is read from disk
//! under the same limits.

use std::io::{Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, RETRY_AFTER};
use sha2::{Digest, Sha256};
use url::Url;

use super::FetchOptions;
use super::credentials::Credentials;
use super::reporter::Running;
use super::simple::strip_userinfo;
use crate::report::with_causes;

/// PEP 691 content negotiation: JSON preferred, HTML accepted (uv sends the same).
const ACCEPT_SIMPLE: &str =
    "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01";
const USER_AGENT: &str =
    concat!("lock2nix/", env!("CARGO_PKG_VERSION"), " (Nix expression generator for Python lock files)");
/// First backoff step; doubles per retry up to [`MAX_BACKOFF`].
const BASE_BACKOFF: Duration = Duration::from_millis(250);
const MAX_BACKOFF: Duration = Duration::from_secs(8);
/// The longest `Retry-After` waited for; a longer one ends the retries at once rather than
/// stalling a CLI run for minutes.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(10);

/// A fetched page. `url` is the final URL after redirects, without credentials.
pub(crate) struct Page {
    pub url: Url,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

/// Why a page could not be had; messages never contain URLs or credentials.
#[derive(thiserror::Error, Debug)]
pub enum GetError {
    #[error("HTTP 404")]
    NotFound,
    #[error("HTTP {0}")]
    Status(u16),
    /// A retryable status whose `Retry-After` is longer than [`MAX_RETRY_AFTER`].
    #[error(
        "HTTP {status}; it asks to wait {} s before the next request, more than the {} s lock2nix waits: try again later",
        .wait.as_secs(),
        MAX_RETRY_AFTER.as_secs()
    )]
    WaitTooLong { status: u16, wait: Duration },
    /// reqwest's error and its causes, worded without the URL, which may hold credentials
    /// (`transport`): a string, not the error, for that reason.
    #[error("{0}")]
    Network(String),
    /// The file is larger than the caller's limit (bytes known so far).
    #[error("larger than the limit ({0} bytes or more; see --max-page-size)")]
    TooLarge(u64),
    /// Writing the download to a local temporary file failed.
    #[error("cannot write a temporary file")]
    Local(#[source] std::io::Error),
    /// A local mirror's file could not be read.
    #[error("cannot read it")]
    Read(#[source] std::io::Error),
    /// A `file:` URL that names no local path (another host).
    #[error("not a local path")]
    NotLocalPath,
}

/// Outcome of one attempt: retryable failures carry the server's `Retry-After`, if any.
enum Attempt {
    Retry(GetError, Option<Duration>),
    Fatal(GetError),
}

pub(crate) struct Client {
    http: reqwest::Client,
    retries: u32,
    /// Of a page or small file, decompressed.
    max_page_size: u64,
    requests: AtomicUsize,
    /// For URLs without their own `user:password@`, by host.
    credentials: Credentials,
}

impl Client {
    pub(super) fn new(options: &FetchOptions) -> Result<Self, reqwest::Error> {
        let (timeout, retries) = (options.timeout, options.retries);
        let http =
            reqwest::Client::builder().user_agent(USER_AGENT).timeout(timeout).connect_timeout(timeout).build()?;
        Ok(Self {
            http,
            retries,
            max_page_size: options.max_page_size,
            requests: AtomicUsize::new(0),
            credentials: options.credentials.clone(),
        })
    }

    /// Extra attempts after a retryable failure (`--retries`).
    pub(super) fn retries(&self) -> u32 {
        self.retries
    }

    /// HTTP requests sent so far, retries included.
    pub(super) fn requests(&self) -> usize {
        self.requests.load(Ordering::Relaxed)
    }

    /// GETs a simple-API page, retrying timeouts, connection errors, 429 and 5xx. A local
    /// mirror's page is the folder's `index.html`, as a static mirror (PEP 503) has it.
    pub(super) async fn get_page(&self, url: &Url) -> Result<Page, GetError> {
        if url.scheme() == "file" {
            return self.read_local(url, true);
        }
        self.get(url, ACCEPT_SIMPLE, None).await
    }

    /// GETs a small file whole into memory (a wheel's PEP 658 `.metadata`), retrying like a page.
    pub(super) async fn get_file_small(&self, url: &Url) -> Result<Page, GetError> {
        if url.scheme() == "file" {
            return self.read_local(url, false);
        }
        self.get(url, "*/*", None).await
    }

    /// A page or small file of a local mirror, up to the page limit.
    fn read_local(&self, url: &Url, page: bool) -> Result<Page, GetError> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let mut path = url.to_file_path().map_err(|()| GetError::NotLocalPath)?;
        if page && url.path().ends_with('/') {
            path.push("index.html");
        }
        let file = std::fs::File::open(&path).map_err(local_read_error)?;
        let mut body = Vec::new();
        std::io::Read::read_to_end(&mut std::io::Read::take(file, self.max_page_size + 1), &mut body)
            .map_err(GetError::Read)?;
        if body.len() as u64 > self.max_page_size {
            return Err(GetError::TooLarge(body.len() as u64));
        }
        Ok(Page { url: url.clone(), content_type: None, body })
    }

    /// GETs a distribution file (sdist or wheel) into an anonymous temporary file in
    /// `temp_dir` (the system's by default), hashing it on the way, so that a multi-gigabyte
    /// wheel never sits in memory. `timeout` replaces the page timeout, since artifacts can be
    /// gigabytes. A file larger than `max_size` (by its `Content-Length`, or by what arrives)
    /// is abandoned with [`GetError::TooLarge`].
    pub(super) async fn get_file(
        &self,
        url: &Url,
        timeout: Duration,
        max_size: Option<u64>,
        temp_dir: Option<&Path>,
        progress: &Running<'_>,
    ) -> Result<Download, GetError> {
        if url.scheme() == "file" {
            return self.hash_local(url, max_size);
        }
        let (url, credentials) = self.credentials_for(url);
        self.retrying(|| self.file_attempt(&url, credentials.as_ref(), timeout, max_size, temp_dir, progress)).await
    }

    async fn get(&self, url: &Url, accept: &str, timeout: Option<Duration>) -> Result<Page, GetError> {
        let (url, credentials) = self.credentials_for(url);
        self.retrying(|| self.attempt(&url, credentials.as_ref(), accept, timeout)).await
    }

    /// `url` without credentials, and the credentials to send: its own, else its host's.
    fn credentials_for(&self, url: &Url) -> (Url, Option<(String, Option<String>)>) {
        let (url, own) = split_credentials(url);
        let credentials = own.or_else(|| self.credentials.for_url(&url));
        (url, credentials)
    }

    /// Runs `attempt` until it succeeds, fails for good, or the retries are used up.
    async fn retrying<T, F, Fut>(&self, mut attempt: F) -> Result<T, GetError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, Attempt>>,
    {
        let mut retry = 0;
        loop {
            self.requests.fetch_add(1, Ordering::Relaxed);
            match attempt().await {
                Ok(value) => return Ok(value),
                Err(Attempt::Retry(GetError::Status(status), Some(wait))) if wait > MAX_RETRY_AFTER => {
                    return Err(GetError::WaitTooLong { status, wait });
                }
                Err(Attempt::Retry(_, retry_after)) if retry < self.retries => {
                    tokio::time::sleep(backoff(retry, retry_after)).await;
                    retry += 1;
                }
                Err(Attempt::Retry(error, _)) => return Err(with_attempts(error, retry + 1)),
                Err(Attempt::Fatal(error)) => return Err(error),
            }
        }
    }

    /// Sends the request and sorts the status: a success is returned for its body to be read.
    async fn send(
        &self,
        url: &Url,
        credentials: Option<&(String, Option<String>)>,
        accept: &str,
        timeout: Option<Duration>,
    ) -> Result<reqwest::Response, Attempt> {
        let mut request = self.http.get(url.clone()).header(ACCEPT, accept);
        if let Some(timeout) = timeout {
            request = request.timeout(timeout);
        }
        if let Some((user, password)) = credentials {
            request = request.basic_auth(user, password.as_ref());
        }
        let response = request.send().await.map_err(transport)?;
        let status = response.status();
        if status == StatusCode::NOT_FOUND {
            return Err(Attempt::Fatal(GetError::NotFound));
        }
        if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
            return Err(Attempt::Retry(GetError::Status(status.as_u16()), retry_after(response.headers())));
        }
        if !status.is_success() {
            return Err(Attempt::Fatal(GetError::Status(status.as_u16())));
        }
        Ok(response)
    }

    async fn attempt(
        &self,
        url: &Url,
        credentials: Option<&(String, Option<String>)>,
        accept: &str,
        timeout: Option<Duration>,
    ) -> Result<Page, Attempt> {
        let mut response = self.send(url, credentials, accept, timeout).await?;
        let mut final_url = response.url().clone();
        strip_userinfo(&mut final_url);
        let content_type = response.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_string);
        // Read as it streams in (decompressed), so that an endless body or a compression bomb
        // stops at the limit instead of filling memory.
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(transport)? {
            if (body.len() + chunk.len()) as u64 > self.max_page_size {
                return Err(Attempt::Fatal(GetError::TooLarge((body.len() + chunk.len()) as u64)));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Page { url: final_url, content_type, body })
    }

    async fn file_attempt(
        &self,
        url: &Url,
        credentials: Option<&(String, Option<String>)>,
        timeout: Duration,
        max_size: Option<u64>,
        temp_dir: Option<&Path>,
        progress: &Running<'_>,
    ) -> Result<Download, Attempt> {
        let too_large = |size: u64| max_size.is_some_and(|max| size > max);
        let mut response = self.send(url, credentials, "*/*", Some(timeout)).await?;
        if let Some(size) = response.content_length().filter(|&size| too_large(size)) {
            return Err(Attempt::Fatal(GetError::TooLarge(size)));
        }
        progress.bytes_expected(response.content_length().unwrap_or_default());
        let local = |e: std::io::Error| Attempt::Fatal(GetError::Local(e));
        let mut file = match temp_dir {
            Some(dir) => tempfile::tempfile_in(dir),
            None => tempfile::tempfile(),
        }
        .map_err(local)?;
        let mut hasher = Sha256::new();
        let mut size: u64 = 0;
        while let Some(chunk) = response.chunk().await.map_err(transport)? {
            size += chunk.len() as u64;
            if too_large(size) {
                return Err(Attempt::Fatal(GetError::TooLarge(size)));
            }
            hasher.update(&chunk);
            file.write_all(&chunk).map_err(local)?;
            progress.bytes(chunk.len() as u64);
        }
        file.flush().map_err(local)?;
        file.seek(SeekFrom::Start(0)).map_err(local)?;
        Ok(Download { file, sha256: hasher.finalize().into() })
    }
}

impl Client {
    /// A local mirror's distribution file, hashed and rewound (no copy is needed).
    fn hash_local(&self, url: &Url, max_size: Option<u64>) -> Result<Download, GetError> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let path = url.to_file_path().map_err(|()| GetError::NotLocalPath)?;
        let mut file = std::fs::File::open(path).map_err(local_read_error)?;
        let size = file.metadata().map_err(local_read_error)?.len();
        if max_size.is_some_and(|max| size > max) {
            return Err(GetError::TooLarge(size));
        }
        let mut hasher = Sha256::new();
        std::io::copy(&mut file, &mut hasher).map_err(local_read_error)?;
        file.seek(SeekFrom::Start(0)).map_err(local_read_error)?;
        Ok(Download { file, sha256: hasher.finalize().into() })
    }
}

/// A local mirror's missing file is the index's 404; any other error is a failed read.
fn local_read_error(error: std::io::Error) -> GetError {
    match error.kind() {
        std::io::ErrorKind::NotFound => GetError::NotFound,
        _ => GetError::Read(error),
    }
}

/// A downloaded file, rewound, with the sha256 of what arrived.
pub(crate) struct Download {
    pub file: std::fs::File,
    pub sha256: [u8; 32],
}

/// `%XX` escapes decoded (lossily, as text).
pub(crate) fn decoded(text: &str) -> String {
    percent_encoding::percent_decode_str(text).decode_utf8_lossy().into_owned()
}

/// Takes `user:pass@` out of `url`; the pair is sent as basic auth, never in the URL.
pub(crate) fn split_credentials(url: &Url) -> (Url, Option<(String, Option<String>)>) {
    let mut clean = url.clone();
    strip_userinfo(&mut clean);
    if url.username().is_empty() && url.password().is_none() {
        return (clean, None);
    }
    let user = decoded(url.username());
    (clean, Some((user, url.password().map(decoded))))
}

fn transport(error: reqwest::Error) -> Attempt {
    let fatal = error.is_builder() || error.is_redirect();
    let message = with_causes(&error.without_url());
    if fatal {
        Attempt::Fatal(GetError::Network(message))
    } else {
        // Timeouts, refused/reset connections, bodies cut short: all worth another try.
        Attempt::Retry(GetError::Network(message), None)
    }
}

fn with_attempts(error: GetError, attempts: u32) -> GetError {
    match error {
        GetError::Network(message) if attempts > 1 => {
            GetError::Network(format!("{message} (after {attempts} attempts)"))
        }
        other => other,
    }
}

/// Only the delta-seconds form; HTTP dates are rare on package indexes.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let seconds: u64 = headers.get(RETRY_AFTER)?.to_str().ok()?.trim().parse().ok()?;
    Some(Duration::from_secs(seconds))
}

fn backoff(attempt: u32, retry_after: Option<Duration>) -> Duration {
    let exponential = BASE_BACKOFF.saturating_mul(1 << attempt.min(16)).min(MAX_BACKOFF);
    retry_after.map_or(exponential, |wait| wait.min(MAX_RETRY_AFTER).max(exponential))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_leave_the_url_decoded() {
        let url = Url::parse("https://al%40ice:p%3Ass@index.example/simple/").unwrap();
        let (clean, credentials) = split_credentials(&url);
        assert_eq!(clean.as_str(), "https://index.example/simple/");
        assert_eq!(credentials, Some(("al@ice".to_string(), Some("p:ss".to_string()))));
        let (_, none) = split_credentials(&Url::parse("https://index.example/simple/").unwrap());
        assert_eq!(none, None);
    }

    #[test]
    fn backoff_doubles_caps_and_honours_small_retry_after() {
        assert_eq!(backoff(0, None), BASE_BACKOFF);
        assert_eq!(backoff(2, None), BASE_BACKOFF * 4);
        assert_eq!(backoff(30, None), MAX_BACKOFF);
        assert_eq!(backoff(0, Some(Duration::from_secs(2))), Duration::from_secs(2));
        assert_eq!(backoff(0, Some(Duration::from_hours(1))), MAX_RETRY_AFTER);
    }

    #[test]
    fn user_agent_names_the_tool() {
        assert!(USER_AGENT.starts_with("lock2nix/"));
        assert!(USER_AGENT.ends_with("(Nix expression generator for Python lock files)"));
    }
}
