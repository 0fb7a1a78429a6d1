//! A tiny plain-HTTP server on loopback, for the AIA caIssuers tests: it answers `GET`
//! for the paths it was given and `404 Not Found` for the rest.
//!
//! [`Routes`] maps a path to a [`Reply`]: a file (with `Content-Length`, or chunked), a
//! redirect, or misbehaviour for the bounds tests (a stall, a body larger than any
//! certificate). [`start`] serves inside the current tokio runtime; [`spawn_background`]
//! and [`serve_files`] give the server its own thread, like [`super::spawn_background`];
//! [`start_tls`] serves the same routes over HTTPS with a given certificate chain.
//! The server binds `127.0.0.1:0` only, speaks HTTP/1.1, closes every connection after
//! one response, and stops (stalled connections included) when its handle is dropped.

use std::collections::BTreeMap;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use rustls::ServerConfig;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::time::timeout;

/// How long the server waits for a request's headers.
const REQUEST_LIMIT: Duration = Duration::from_secs(5);
/// Largest request head the server reads.
const MAX_REQUEST: usize = 16 * 1024;
/// Bytes written at a time for large bodies.
const PIECE: usize = 64 * 1024;

/// What the server answers on one path.
#[derive(Clone, Debug)]
pub enum Reply {
    /// `200 OK` with `Content-Length`.
    File { content_type: String, body: Vec<u8> },
    /// `200 OK` with `Transfer-Encoding: chunked`, in chunks of `chunk` bytes.
    Chunked {
        content_type: String,
        body: Vec<u8>,
        chunk: usize,
    },
    /// A redirect (`status` 301, 302, 303, 307 or 308) to `location`.
    Redirect { status: u16, location: String },
    /// Any other status, with an empty body.
    Status(u16),
    /// Reads the request, then sends nothing until the server stops.
    Stall,
    /// `200 OK` with `len` bytes of body; `Content-Length` is declared when `declared`,
    /// else the body runs until the connection closes.
    Huge { len: usize, declared: bool },
}

/// The paths the server knows (`/issuing.crt`, …) and their replies.
#[derive(Clone, Debug, Default)]
pub struct Routes(BTreeMap<String, Reply>);

impl Routes {
    pub fn new() -> Routes {
        Routes::default()
    }

    pub fn reply(mut self, path: &str, reply: Reply) -> Routes {
        self.0.insert(path.to_string(), reply);
        self
    }

    /// `path` serves `body` with this content type and a `Content-Length`.
    pub fn file(self, path: &str, content_type: &str, body: &[u8]) -> Routes {
        let reply = Reply::File {
            content_type: content_type.to_string(),
            body: body.to_vec(),
        };
        self.reply(path, reply)
    }
}

/// Counters shared between a server and its handle.
#[derive(Debug, Default)]
struct Stats {
    requests: AtomicUsize,
}

/// A server running in the current runtime; dropping it shuts the server down.
#[derive(Debug)]
pub struct HttpHandle {
    addr: SocketAddr,
    /// `http` or `https`.
    scheme: &'static str,
    stats: Arc<Stats>,
    /// Dropping the sender is the shutdown signal every task waits for.
    _shutdown: watch::Sender<()>,
}

impl HttpHandle {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `http://127.0.0.1:<port><path>` (`https://` for [`start_tls`]).
    pub fn url(&self, path: &str) -> String {
        format!("{}://{}{path}", self.scheme, self.addr)
    }

    /// Requests read so far (any method, any path).
    pub fn requests(&self) -> usize {
        self.stats.requests.load(Ordering::Relaxed)
    }
}

/// Starts a server on `127.0.0.1:0` inside the current tokio runtime.
pub async fn start(routes: Routes) -> io::Result<HttpHandle> {
    listen(routes, None).await
}

/// Starts an HTTPS server on `127.0.0.1:0` presenting `chain`, signed with `key` (the
/// key of `chain[0]`), inside the current tokio runtime.
pub async fn start_tls(
    routes: Routes,
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> io::Result<HttpHandle> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let invalid = |e: rustls::Error| io::Error::new(io::ErrorKind::InvalidInput, e.to_string());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(invalid)?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(invalid)?;
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    listen(routes, Some(acceptor)).await
}

async fn listen(routes: Routes, tls: Option<tokio_rustls::TlsAcceptor>) -> io::Result<HttpHandle> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
    let addr = listener.local_addr()?;
    let (shutdown, stop) = watch::channel(());
    let stats = Arc::new(Stats::default());

    let scheme = if tls.is_some() { "https" } else { "http" };
    let server = Arc::new(Server { routes, tls });
    tokio::spawn(accept_loop(listener, server, stats.clone(), stop));
    Ok(HttpHandle {
        addr,
        scheme,
        stats,
        _shutdown: shutdown,
    })
}

/// An HTTP server running on its own thread; dropping it stops the server.
#[derive(Debug)]
pub struct BackgroundHttp(super::background::Background<Stats>);

impl BackgroundHttp {
    pub fn addr(&self) -> SocketAddr {
        self.0.addr
    }

    pub fn port(&self) -> u16 {
        self.0.addr.port()
    }

    /// `http://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.0.addr)
    }

    /// Requests read so far (any method, any path).
    pub fn requests(&self) -> usize {
        self.0.stats.requests.load(Ordering::Relaxed)
    }
}

/// Serves `path → (content type, body)` on its own thread, for synchronous tests.
pub fn serve_files<I, P, C>(files: I) -> io::Result<BackgroundHttp>
where
    I: IntoIterator<Item = (P, (C, Vec<u8>))>,
    P: AsRef<str>,
    C: AsRef<str>,
{
    let routes = files
        .into_iter()
        .fold(Routes::new(), |routes, (path, (content_type, body))| {
            routes.file(path.as_ref(), content_type.as_ref(), &body)
        });
    spawn_background(routes)
}

/// Starts a server on its own thread with a current-thread runtime.
pub fn spawn_background(routes: Routes) -> io::Result<BackgroundHttp> {
    super::background::run("sim-http", move || async move {
        let handle = start(routes).await?;
        let (addr, stats) = (handle.addr, handle.stats.clone());
        Ok((handle, addr, stats))
    })
    .map(BackgroundHttp)
}

struct Server {
    routes: Routes,
    tls: Option<tokio_rustls::TlsAcceptor>,
}

async fn accept_loop(
    listener: TcpListener,
    server: Arc<Server>,
    stats: Arc<Stats>,
    stop: watch::Receiver<()>,
) {
    super::background::accept_each(listener, stop, move |socket| {
        let (server, stats) = (server.clone(), stats.clone());
        async move { connection(socket, &server, &stats).await }
    })
    .await;
}

/// Runs the TLS handshake when there is one, then answers one request.
async fn connection(socket: TcpStream, server: &Server, stats: &Stats) {
    match &server.tls {
        None => serve(socket, &server.routes, stats).await,
        Some(acceptor) => {
            if let Ok(Ok(tls)) = timeout(REQUEST_LIMIT, acceptor.accept(socket)).await {
                serve(tls, &server.routes, stats).await;
            }
        }
    }
}

/// Answers one request; errors (the client went away) end this connection only.
async fn serve<S: AsyncRead + AsyncWrite + Unpin>(mut socket: S, routes: &Routes, stats: &Stats) {
    let Ok(Some(head)) = timeout(REQUEST_LIMIT, read_head(&mut socket)).await else {
        return;
    };
    stats.requests.fetch_add(1, Ordering::Relaxed);

    let mut parts = head.split(' ');
    let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let reply = match (method, routes.0.get(path)) {
        ("GET", Some(reply)) => reply.clone(),
        ("GET", None) => Reply::Status(404),
        _ => Reply::Status(405),
    };
    let _ = respond(&mut socket, reply).await;
    let _ = socket.shutdown().await;
}

/// Reads the request head; returns its first line, or `None` when the client closed or
/// sent more than [`MAX_REQUEST`] bytes without ending the head.
async fn read_head<S: AsyncRead + Unpin>(socket: &mut S) -> Option<String> {
    let mut head = Vec::new();
    let mut buf = [0u8; 2048];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = socket.read(&mut buf).await.ok()?;
        if n == 0 || head.len() + n > MAX_REQUEST {
            return None;
        }
        head.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&head);
    text.lines().next().map(str::to_string)
}

async fn respond<S: AsyncWrite + Unpin>(socket: &mut S, reply: Reply) -> io::Result<()> {
    match reply {
        Reply::File { content_type, body } => {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
                 Connection: close\r\n\r\n",
                body.len()
            );
            socket.write_all(head.as_bytes()).await?;
            socket.write_all(&body).await
        }
        Reply::Chunked {
            content_type,
            body,
            chunk,
        } => {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\n\
                 Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
            );
            socket.write_all(head.as_bytes()).await?;
            for piece in body.chunks(chunk.max(1)) {
                // A chunk extension, which a reader must ignore.
                let size = format!("{:x};ext=1\r\n", piece.len());
                socket.write_all(size.as_bytes()).await?;
                socket.write_all(piece).await?;
                socket.write_all(b"\r\n").await?;
            }
            socket.write_all(b"0\r\n\r\n").await
        }
        Reply::Redirect { status, location } => {
            let head = format!(
                "HTTP/1.1 {status} {}\r\nLocation: {location}\r\nContent-Length: 0\r\n\
                 Connection: close\r\n\r\n",
                reason(status)
            );
            socket.write_all(head.as_bytes()).await
        }
        Reply::Status(status) => {
            let head = format!(
                "HTTP/1.1 {status} {}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                reason(status)
            );
            socket.write_all(head.as_bytes()).await
        }
        Reply::Stall => std::future::pending().await,
        Reply::Huge { len, declared } => {
            let length = if declared {
                format!("Content-Length: {len}\r\n")
            } else {
                String::new()
            };
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/pkix-cert\r\n{length}\
                 Connection: close\r\n\r\n"
            );
            socket.write_all(head.as_bytes()).await?;
            let piece = vec![b'A'; PIECE];
            let mut left = len;
            while left > 0 {
                let n = left.min(PIECE);
                socket.write_all(&piece[..n]).await?;
                left -= n;
            }
            Ok(())
        }
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        500 => "Internal Server Error",
        _ => "Whatever",
    }
}
