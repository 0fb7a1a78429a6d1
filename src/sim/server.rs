//! Simulated servers on loopback: a real TLS server presenting any certificate list, and
//! hostile peers (plain HTTP, a stall, an immediate close, random bytes) for the tests.
//!
//! Every server binds `127.0.0.1:0` and nothing else. [`start`] runs one inside the
//! current tokio runtime (the `demo` command); [`spawn_background`] gives it a thread and
//! a current-thread runtime of its own, for synchronous tests that run the CLI binary.
//! Dropping the handle shuts the server down, including stalled connections.
//!
//! The TLS server sends the certificates exactly as given (order, duplicates, strangers)
//! and signs with the key given, without checking that the key matches the first
//! certificate, so tests can serve broken chains. Each connection is bounded in time; a
//! misbehaving client ends its own connection, never the server.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use rustls::crypto::CryptoProvider;
use rustls::server::WebPkiClientVerifier;
use rustls::sign::{CertifiedKey, SingleCertAndKey};
use rustls::{RootCertStore, ServerConfig, SupportedProtocolVersion};
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::time::timeout;

/// How long a TLS handshake may take before the server gives up on the client.
const HANDSHAKE_LIMIT: Duration = Duration::from_secs(10);
/// How long the server keeps a finished connection open, waiting for the client to close.
const LINGER: Duration = Duration::from_secs(10);
/// How long the server waits for the last bytes of a client it is closing on.
const DRAIN: Duration = Duration::from_millis(500);

/// Which TLS versions the server accepts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Versions {
    #[default]
    Both,
    Tls12Only,
    Tls13Only,
}

/// Whether the server asks for a client certificate, and which roots it names.
///
/// A certificate the client does send is verified for real by rustls's
/// `WebPkiClientVerifier`: a chain to one of the roots, valid now, an EKU allowing
/// clientAuth (when the certificate has an EKU), and a CertificateVerify made with its
/// key. A failure ends the handshake with rustls's alert (e.g. `unknown_ca`).
#[derive(Clone, Debug, Default)]
pub enum ClientAuth {
    #[default]
    Off,
    /// The handshake fails without a client certificate issued under these roots.
    Required(Vec<CertificateDer<'static>>),
    /// A CertificateRequest naming these roots; no certificate is needed, but one that
    /// is sent must verify.
    Optional(Vec<CertificateDer<'static>>),
}

/// A TLS server's certificates and options.
#[derive(Debug)]
pub struct TlsSpec {
    /// Sent as-is, first certificate as the end entity.
    pub chain: Vec<CertificateDer<'static>>,
    /// Signs the handshake; normally the key of `chain[0]`.
    pub key: PrivateKeyDer<'static>,
    pub versions: Versions,
    pub client_auth: ClientAuth,
}

impl TlsSpec {
    pub fn new(chain: Vec<CertificateDer<'static>>, key: PrivateKeyDer<'static>) -> TlsSpec {
        TlsSpec {
            chain,
            key,
            versions: Versions::Both,
            client_auth: ClientAuth::Off,
        }
    }

    pub fn versions(mut self, versions: Versions) -> TlsSpec {
        self.versions = versions;
        self
    }

    pub fn client_auth(mut self, client_auth: ClientAuth) -> TlsSpec {
        self.client_auth = client_auth;
        self
    }
}

/// What the server does with each connection.
#[derive(Debug)]
pub enum Behavior {
    /// A TLS server.
    Tls(Box<TlsSpec>),
    /// Reads the ClientHello and answers `HTTP/1.1 400 Bad Request`, as an HTTP port does.
    PlainHttp,
    /// Accepts and then neither reads nor writes until shutdown.
    Stall,
    /// Closes every connection as soon as it is accepted.
    CloseOnAccept,
    /// Sends `len` pseudo-random bytes (from `seed`), then closes.
    Garbage { len: usize, seed: u64 },
}

impl Behavior {
    pub fn tls(spec: TlsSpec) -> Behavior {
        Behavior::Tls(Box::new(spec))
    }
}

/// Counters shared between a server and its handle.
#[derive(Debug, Default)]
struct Stats {
    accepted: AtomicUsize,
    handshakes: AtomicUsize,
    app_bytes: AtomicUsize,
}

/// A running server; dropping it shuts the server down.
#[derive(Debug)]
pub struct ServerHandle {
    addr: SocketAddr,
    stats: Arc<Stats>,
    /// Dropping the sender is the shutdown signal every task waits for.
    _shutdown: watch::Sender<()>,
}

impl ServerHandle {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Connections accepted so far.
    pub fn accepted(&self) -> usize {
        self.stats.accepted.load(Ordering::Relaxed)
    }

    /// TLS handshakes completed so far.
    pub fn handshakes(&self) -> usize {
        self.stats.handshakes.load(Ordering::Relaxed)
    }

    /// Application-data bytes received from clients after their handshakes.
    pub fn app_bytes_received(&self) -> usize {
        self.stats.app_bytes.load(Ordering::Relaxed)
    }
}

/// Starts a server on `127.0.0.1:0` inside the current tokio runtime.
pub async fn start(behavior: Behavior) -> io::Result<ServerHandle> {
    let mode = match behavior {
        Behavior::Tls(spec) => Mode::Tls(tokio_rustls::TlsAcceptor::from(server_config(*spec)?)),
        Behavior::PlainHttp => Mode::PlainHttp,
        Behavior::Stall => Mode::Stall,
        Behavior::CloseOnAccept => Mode::CloseOnAccept,
        Behavior::Garbage { len, seed } => Mode::Garbage { len, seed },
    };

    let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
    let addr = listener.local_addr()?;
    let (shutdown, stop) = watch::channel(());
    let stats = Arc::new(Stats::default());

    tokio::spawn(accept_loop(listener, Arc::new(mode), stats.clone(), stop));
    Ok(ServerHandle {
        addr,
        stats,
        _shutdown: shutdown,
    })
}

/// A server running on its own thread; dropping it stops the server and joins the thread.
#[derive(Debug)]
pub struct BackgroundServer(super::background::Background<Stats>);

impl BackgroundServer {
    pub fn addr(&self) -> SocketAddr {
        self.0.addr
    }

    pub fn port(&self) -> u16 {
        self.0.addr.port()
    }

    pub fn accepted(&self) -> usize {
        self.0.stats.accepted.load(Ordering::Relaxed)
    }

    pub fn handshakes(&self) -> usize {
        self.0.stats.handshakes.load(Ordering::Relaxed)
    }

    pub fn app_bytes_received(&self) -> usize {
        self.0.stats.app_bytes.load(Ordering::Relaxed)
    }
}

/// Starts a server on its own thread with a current-thread runtime, for synchronous code.
pub fn spawn_background(behavior: Behavior) -> io::Result<BackgroundServer> {
    super::background::run("sim-server", move || async move {
        let handle = start(behavior).await?;
        let (addr, stats) = (handle.addr, handle.stats.clone());
        Ok((handle, addr, stats))
    })
    .map(BackgroundServer)
}

enum Mode {
    Tls(tokio_rustls::TlsAcceptor),
    PlainHttp,
    Stall,
    CloseOnAccept,
    Garbage { len: usize, seed: u64 },
}

async fn accept_loop(
    listener: TcpListener,
    mode: Arc<Mode>,
    stats: Arc<Stats>,
    stop: watch::Receiver<()>,
) {
    super::background::accept_each(listener, stop, move |socket| {
        stats.accepted.fetch_add(1, Ordering::Relaxed);
        let (mode, stats) = (mode.clone(), stats.clone());
        async move { serve(socket, &mode, &stats).await }
    })
    .await;
}

/// Serves one connection; errors end this connection only.
async fn serve(mut socket: TcpStream, mode: &Mode, stats: &Stats) {
    match mode {
        Mode::Tls(acceptor) => serve_tls(socket, acceptor, stats).await,
        Mode::PlainHttp => {
            let mut buf = [0u8; 4096];
            let _ = timeout(DRAIN, socket.read(&mut buf)).await;
            let response = "HTTP/1.1 400 Bad Request\r\nContent-Type: text/html\r\n\
                            Content-Length: 0\r\nConnection: close\r\n\r\n";
            let _ = socket.write_all(response.as_bytes()).await;
            close_gently(&mut socket).await;
        }
        Mode::Stall => std::future::pending().await,
        Mode::CloseOnAccept => drop(socket),
        Mode::Garbage { len, seed } => {
            let _ = socket.write_all(&garbage(*len, *seed)).await;
            close_gently(&mut socket).await;
        }
    }
}

async fn serve_tls(socket: TcpStream, acceptor: &tokio_rustls::TlsAcceptor, stats: &Stats) {
    let accept = acceptor.accept(socket).into_fallible();
    let mut tls = match timeout(HANDSHAKE_LIMIT, accept).await {
        Ok(Ok(tls)) => tls,
        Ok(Err((_error, mut socket))) => {
            // The alert is already sent; let it reach the client before the close.
            close_gently(&mut socket).await;
            return;
        }
        Err(_elapsed) => return,
    };
    stats.handshakes.fetch_add(1, Ordering::Relaxed);

    // Wait for the client to close (as a server waiting for a request would), counting
    // any application data it sends; then close with close_notify.
    let mut buf = [0u8; 4096];
    let _ = timeout(LINGER, async {
        while let Ok(n @ 1..) = tls.read(&mut buf).await {
            stats.app_bytes.fetch_add(n, Ordering::Relaxed);
        }
    })
    .await;
    let _ = timeout(DRAIN, tls.shutdown()).await;
}

/// Half-closes and reads what the client still sends, so the close is a FIN, not a reset.
async fn close_gently<S: AsyncRead + AsyncWrite + Unpin>(socket: &mut S) {
    let _ = timeout(DRAIN, socket.shutdown()).await;
    let mut buf = [0u8; 4096];
    let _ = timeout(DRAIN, async {
        while let Ok(1..) = socket.read(&mut buf).await {}
    })
    .await;
}

fn server_config(spec: TlsSpec) -> io::Result<Arc<ServerConfig>> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let key = provider
        .key_provider
        .load_private_key(spec.key)
        .map_err(invalid)?;
    let certified = CertifiedKey::new(spec.chain, key);

    let versions: &[&'static SupportedProtocolVersion] = match spec.versions {
        Versions::Both => &[&rustls::version::TLS13, &rustls::version::TLS12],
        Versions::Tls12Only => &[&rustls::version::TLS12],
        Versions::Tls13Only => &[&rustls::version::TLS13],
    };
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(versions)
        .map_err(invalid)?;

    let builder = match spec.client_auth {
        ClientAuth::Off => builder.with_no_client_auth(),
        ClientAuth::Required(roots) => {
            let verifier = client_verifier(roots, provider)?.build().map_err(invalid)?;
            builder.with_client_cert_verifier(verifier)
        }
        ClientAuth::Optional(roots) => {
            let verifier = client_verifier(roots, provider)?.allow_unauthenticated();
            builder.with_client_cert_verifier(verifier.build().map_err(invalid)?)
        }
    };
    let config = builder.with_cert_resolver(Arc::new(SingleCertAndKey::from(certified)));
    Ok(Arc::new(config))
}

fn client_verifier(
    roots: Vec<CertificateDer<'static>>,
    provider: Arc<CryptoProvider>,
) -> io::Result<rustls::server::ClientCertVerifierBuilder> {
    let mut store = RootCertStore::empty();
    for root in roots {
        store.add(root).map_err(invalid)?;
    }
    Ok(WebPkiClientVerifier::builder_with_provider(
        Arc::new(store),
        provider,
    ))
}

/// Deterministic noise (xorshift64*), so a failing test can be replayed.
fn garbage(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed | 1;
    (0..len)
        .map(|_| {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            (state.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 56) as u8
        })
        .collect()
}

fn invalid(e: impl std::fmt::Display) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, e.to_string())
}
