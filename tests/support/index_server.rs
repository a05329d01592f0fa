//! A scripted package index on 127.0.0.1 for integration tests: no real network.
//!
//! Each path has a list of [`Reply`]s served in order (the last one repeats); unknown paths
//! get 404. The server counts requests per path, records every request's headers and the
//! largest number of requests it was answering at once, and shuts down when dropped.
//!
//! ```ignore
//! let server = IndexServer::with_routes([("/simple/six/", vec![Reply::status(503), Reply::json(body)])]);
//! let index = server.index_url(); // "http://127.0.0.1:PORT/simple/"
//! assert_eq!(server.hits("/simple/six/"), 2);
//! ```

use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

/// One scripted response.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub body: Vec<u8>,
    /// Waited before the response is written (to provoke client timeouts).
    pub delay: Duration,
    pub headers: Vec<(String, String)>,
    /// How the connection misbehaves instead of (or while) answering.
    pub fault: Option<Fault>,
}

/// A broken answer, for the fault-injecting tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The connection is closed (with a TCP reset) before any byte of a response.
    Reset,
    /// The head announces the whole body, but only this many bytes of it are sent before the
    /// connection closes.
    Truncate(usize),
}

impl Reply {
    pub fn new(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        Self {
            status,
            content_type: content_type.to_string(),
            body: body.into(),
            delay: Duration::ZERO,
            headers: Vec::new(),
            fault: None,
        }
    }

    /// 200 with the PEP 691 JSON content type.
    pub fn json(body: impl Into<Vec<u8>>) -> Self {
        Self::new(200, "application/vnd.pypi.simple.v1+json", body)
    }

    /// 200 with `text/html` (PEP 503).
    pub fn html(body: impl Into<Vec<u8>>) -> Self {
        Self::new(200, "text/html", body)
    }

    /// An empty-ish `text/plain` response with this status.
    pub fn status(status: u16) -> Self {
        Self::new(status, "text/plain", format!("status {status}\n"))
    }

    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    pub fn fault(mut self, fault: Fault) -> Self {
        self.fault = Some(fault);
        self
    }

    /// A connection reset before any response.
    pub fn reset() -> Self {
        Self::status(500).fault(Fault::Reset)
    }

    /// A redirect to `location`.
    pub fn redirect(location: &str) -> Self {
        Self::status(302).header("Location", location)
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }
}

/// A request as the server saw it.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// The path without the query string (what routes match on).
    pub path: String,
    /// The request target as sent, query included.
    pub target: String,
    /// Header names are lower-cased.
    pub headers: Vec<(String, String)>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

#[derive(Default)]
struct State {
    routes: HashMap<String, (Vec<Reply>, usize)>,
    requests: Vec<Request>,
    in_flight: usize,
    max_in_flight: usize,
    /// `Authorization` header value every request must carry, else 401.
    required_auth: Option<String>,
}

pub struct IndexServer {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl IndexServer {
    /// A server with no routes (every path answers 404).
    pub fn start() -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        listener.set_nonblocking(true).expect("non-blocking listener");
        let addr = listener.local_addr().expect("listener address");
        let state = Arc::new(Mutex::new(State::default()));
        let (shutdown, stop) = oneshot::channel::<()>();
        let shared = Arc::clone(&state);
        // Its own thread and runtime, so tests may call blocking code (like `locate`).
        let thread = std::thread::Builder::new()
            .name("index-server".into())
            .spawn(move || {
                let runtime =
                    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("server runtime");
                runtime.block_on(accept_loop(listener, shared, stop));
                // Dropping the runtime cancels connections still waiting on a delay.
            })
            .expect("spawn the index server thread");
        Self { addr, state, shutdown: Some(shutdown), thread: Some(thread) }
    }

    pub fn with_routes<P: Into<String>>(routes: impl IntoIterator<Item = (P, Vec<Reply>)>) -> Self {
        let server = Self::start();
        for (path, replies) in routes {
            server.route(path, replies);
        }
        server
    }

    /// From now on, every request without these basic-auth credentials gets 401.
    pub fn require_basic_auth(&self, user: &str, password: &str) -> &Self {
        use base64::Engine as _;
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        self.lock().required_auth = Some(format!("Basic {token}"));
        self
    }

    /// Sets (or replaces) the replies for `path`, e.g. `/simple/six/`.
    pub fn route(&self, path: impl Into<String>, replies: Vec<Reply>) -> &Self {
        assert!(!replies.is_empty(), "a route needs at least one reply");
        self.lock().routes.insert(path.into(), (replies, 0));
        self
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT` followed by `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// `http://127.0.0.1:PORT/simple/`.
    pub fn index_url(&self) -> String {
        self.url("/simple/")
    }

    /// Requests received for `path` so far.
    pub fn hits(&self, path: &str) -> usize {
        self.lock().requests.iter().filter(|r| r.path == path).count()
    }

    pub fn total_hits(&self) -> usize {
        self.lock().requests.len()
    }

    /// The most requests that were being answered at the same time.
    pub fn max_in_flight(&self) -> usize {
        self.lock().max_in_flight
    }

    pub fn requests(&self) -> Vec<Request> {
        self.lock().requests.clone()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Drop for IndexServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn accept_loop(listener: std::net::TcpListener, state: Arc<Mutex<State>>, mut stop: oneshot::Receiver<()>) {
    let listener = TcpListener::from_std(listener).expect("tokio listener");
    loop {
        tokio::select! {
            _ = &mut stop => return,
            accepted = listener.accept() => {
                if let Ok((stream, _)) = accepted {
                    tokio::spawn(serve(stream, Arc::clone(&state)));
                }
            }
        }
    }
}

/// Decrements the in-flight count however the response ends (written, failed, cancelled).
struct InFlight(Arc<Mutex<State>>);

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut state = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        state.in_flight -= 1;
    }
}

/// HTTP/1.1 with keep-alive: requests on one connection are answered in turn.
async fn serve(stream: TcpStream, state: Arc<Mutex<State>>) -> std::io::Result<()> {
    // The head and the body are two writes: without this, Nagle's algorithm holds the body
    // back until the client's delayed acknowledgement (40 ms), which timings would measure.
    stream.set_nodelay(true)?;
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    while let Some(request) = read_request(&mut reader).await? {
        let close = request.header("connection").is_some_and(|v| v.eq_ignore_ascii_case("close"));
        let head = request.method == "HEAD";
        let reply = {
            let mut s = state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            s.in_flight += 1;
            s.max_in_flight = s.max_in_flight.max(s.in_flight);
            let authorized = match &s.required_auth {
                Some(expected) => request.header("authorization") == Some(expected.as_str()),
                None => true,
            };
            let reply = match s.routes.get_mut(&request.path) {
                _ if !authorized => Reply::status(401),
                Some((replies, served)) => {
                    let reply = replies[(*served).min(replies.len() - 1)].clone();
                    *served += 1;
                    reply
                }
                None => Reply::status(404),
            };
            s.requests.push(request);
            reply
        };
        let guard = InFlight(Arc::clone(&state));
        tokio::time::sleep(reply.delay).await;
        if reply.fault == Some(Fault::Reset) {
            // A zero linger makes the close a TCP reset rather than an orderly end.
            let stream = reader.into_inner().reunite(write).expect("the halves of one stream");
            // Deprecated because a positive linger blocks on drop; a zero one does not.
            #[allow(deprecated)]
            let _ = stream.set_linger(Some(Duration::ZERO));
            return Ok(());
        }
        let mut head_text = format!(
            "HTTP/1.1 {} {}\r\ncontent-type: {}\r\ncontent-length: {}\r\n",
            reply.status,
            reason(reply.status),
            reply.content_type,
            reply.body.len()
        );
        for (name, value) in &reply.headers {
            let _ = write!(head_text, "{name}: {value}\r\n");
        }
        head_text.push_str("\r\n");
        write.write_all(head_text.as_bytes()).await?;
        if let Some(Fault::Truncate(sent)) = reply.fault {
            write.write_all(&reply.body[..sent.min(reply.body.len())]).await?;
            write.flush().await?;
            return Ok(());
        }
        if !head {
            write.write_all(&reply.body).await?;
        }
        write.flush().await?;
        drop(guard);
        if close {
            break;
        }
    }
    Ok(())
}

/// Reads one request head (and skips any body); `None` when the client closed the connection.
async fn read_request<R: tokio::io::AsyncRead + Unpin>(reader: &mut BufReader<R>) -> std::io::Result<Option<Request>> {
    let mut line = String::new();
    if reader.read_line(&mut line).await? == 0 {
        return Ok(None);
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_string();
    let target = parts.next().unwrap_or_default().to_string();
    let mut headers = Vec::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).await? == 0 {
            return Ok(None);
        }
        let text = line.trim_end();
        if text.is_empty() {
            break;
        }
        if let Some((name, value)) = text.split_once(':') {
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
    }
    let path = target.split('?').next().unwrap_or_default().to_string();
    let request = Request { method, path, target, headers };
    let length: u64 = request.header("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
    if length > 0 {
        tokio::io::copy(&mut (&mut *reader).take(length), &mut tokio::io::sink()).await?;
    }
    Ok(Some(request))
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        301 => "Moved Permanently",
        302 => "Found",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    }
}
