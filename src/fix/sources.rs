//! Where `fix` looks for a missing issuer, in the order the plan names them: the
//! certificates the servers presented ([`presented`]), the files of the cert store, the
//! `--from` files and the system trust store ([`files`]), and AIA caIssuers URLs
//! ([`fetch_aia`]).
//!
//! Every certificate found becomes a [`Candidate`] carrying its source; nothing here
//! decides whether a candidate is acceptable (that is the trust rule of the planner).
//! Candidates are deduplicated by DER, the first source winning. What could not be read
//! or fetched becomes a note, never an error: a missing issuer may still be found
//! elsewhere.
//!
//! Files are read with [`input::read_file`] (size cap, age decryption) and parsed with
//! [`input::parse_bundle`] (PEM, DER, PKCS#7), which reports private keys without
//! decoding them: a file holding a key gives its certificates only. The store walk is
//! bounded ([`STORE_DEPTH`], [`STORE_FILES`]).
//!
//! AIA fetches speak HTTP/1.1 by hand over tokio (one `GET`, `Connection: close`,
//! `Content-Length` or chunked bodies) with a total time limit per URL, a body cap
//! ([`AIA_MAX_BYTES`]), at most [`AIA_MAX_REDIRECTS`] redirects and [`AIA_MAX_URLS`] URLs
//! per run. `https://` URLs are fetched only when the server verifies against the system
//! trust store.

use std::collections::HashSet;
use std::fs;
use std::io;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rustls::{ClientConfig, RootCertStore};
use rustls_pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::config::resolve::SYSTEM_STORES;
use crate::input::{self, SecretSources};
use crate::model::{BundleDefect, BundleSource, Candidate, CandidateSource, Certificate};

/// Deepest folder level walked below the store root (the root's own files are level 0):
/// `<root>/<domain>/ise/` is level 2, with room for one backup folder below it.
pub const STORE_DEPTH: usize = 3;
/// Most files read from the store root.
pub const STORE_FILES: usize = 500;
/// Most AIA URLs fetched per run.
pub const AIA_MAX_URLS: usize = 8;
/// Largest AIA body read: a certificate is a few KiB, a PKCS#7 of a chain a few more.
pub const AIA_MAX_BYTES: usize = 1024 * 1024;
/// Most redirects followed for one AIA URL.
pub const AIA_MAX_REDIRECTS: usize = 3;
/// The default total time for one AIA URL: connect, redirects and body.
pub const AIA_TIMEOUT: Duration = Duration::from_secs(5);

/// File names read as certificate files (with an optional `.age` suffix, and the
/// `.bak-<time>` backups `fix --write` leaves).
const CERT_EXTENSIONS: [&str; 5] = ["crt", "pem", "cer", "der", "p7b"];
/// What candidate files are called in notes.
const CANDIDATE_FILE: &str = "certificate file";
/// Largest HTTP response head read.
const MAX_HEAD: usize = 16 * 1024;
/// Room for chunk-size lines on top of [`AIA_MAX_BYTES`].
const CHUNK_OVERHEAD: usize = 64 * 1024;

/// Where [`files`] looks.
#[derive(Clone, Debug)]
pub struct SourceOptions {
    /// The bundle being repaired: its folder is searched, the bundle itself is not.
    pub bundle_path: PathBuf,
    /// The store root: `CA_CERT_PATH`'s parent. `None` takes the `certs` folder above
    /// `<domain>/ise/` when the bundle sits in that layout ([`store_root_of`]).
    pub store_root: Option<PathBuf>,
    /// Files given with `--from`, in order.
    pub from: Vec<PathBuf>,
    /// The system trust store file, when it is not the bundle itself ([`system_store`]).
    pub system_store: Option<PathBuf>,
    /// Opens age-encrypted files.
    pub secrets: SecretSources,
}

/// How [`fetch_aia_with`] fetches.
#[derive(Clone, Debug)]
pub struct AiaOptions {
    /// Total time for one URL, redirects included; URLs are fetched concurrently.
    pub timeout: Duration,
    /// The trust store `https://` servers must verify against; `None` refuses https.
    pub https_roots: Option<PathBuf>,
}

/// The presented certificates of every probed target, at every position (the leaf
/// too), as `(target label, chain)` pairs in probe order; duplicates dropped.
pub fn presented(targets: &[(String, Vec<Certificate>)]) -> Vec<Candidate> {
    let all = targets.iter().flat_map(|(target, chain)| {
        chain.iter().enumerate().map(|(position, cert)| Candidate {
            cert: cert.clone(),
            source: CandidateSource::Presented {
                target: target.clone(),
                position,
            },
        })
    });
    dedupe(all)
}

/// The certificates of the files around the bundle, in order: the bundle's own folder,
/// the store root, the `--from` files, the system store. Returns the candidates
/// (deduplicated) and notes about what could not be read.
pub fn files(opts: &SourceOptions) -> (Vec<Candidate>, Vec<String>) {
    let mut reader = Reader {
        secrets: &opts.secrets,
        seen_files: HashSet::new(),
        candidates: Vec::new(),
        notes: Vec::new(),
    };
    // The bundle and its `.age` twin are what is being repaired, not candidates.
    reader.skip(&opts.bundle_path);
    reader.skip(&age_twin(&opts.bundle_path));

    let store = |path: &Path| CandidateSource::StoreFile {
        path: path.display().to_string(),
    };
    if let Some(folder) = opts.bundle_path.parent() {
        let folder = if folder.as_os_str().is_empty() {
            Path::new(".")
        } else {
            folder
        };
        for path in folder_files(folder, &mut reader.notes) {
            reader.read(&path, store(&path));
        }
    }

    let root = opts
        .store_root
        .clone()
        .or_else(|| store_root_of(&opts.bundle_path));
    if let Some(root) = root {
        for path in store_files(&root, &mut reader.notes) {
            reader.read(&path, store(&path));
        }
    }

    for path in &opts.from {
        let source = CandidateSource::FromFile {
            path: path.display().to_string(),
        };
        reader.read_named(path, source);
    }

    if let Some(path) = &opts.system_store {
        let source = CandidateSource::SystemStore {
            path: path.display().to_string(),
        };
        reader.read(path, source);
    }

    (dedupe(reader.candidates), reader.notes)
}

/// Fetches AIA caIssuers URLs, verifying `https://` servers against the system trust
/// store ([`system_store`]). See [`fetch_aia_with`].
pub async fn fetch_aia(urls: &[String], timeout: Duration) -> (Vec<Candidate>, Vec<String>) {
    let opts = AiaOptions {
        timeout,
        https_roots: system_store(),
    };
    fetch_aia_with(urls, &opts).await
}

/// Fetches AIA caIssuers URLs: the first [`AIA_MAX_URLS`] distinct ones, concurrently,
/// each within `opts.timeout`. A body may be DER, PEM or PKCS#7 certs-only. Returns the
/// certificates (in URL order, deduplicated) and a note for each URL that gave none.
pub async fn fetch_aia_with(urls: &[String], opts: &AiaOptions) -> (Vec<Candidate>, Vec<String>) {
    let mut notes = Vec::new();
    let mut distinct: Vec<&String> = Vec::new();
    for url in urls {
        if !distinct.contains(&url) {
            distinct.push(url);
        }
    }
    if distinct.len() > AIA_MAX_URLS {
        notes.push(format!(
            "{} more AIA URLs were not fetched: at most {AIA_MAX_URLS} are fetched per run",
            distinct.len() - AIA_MAX_URLS
        ));
        distinct.truncate(AIA_MAX_URLS);
    }

    let needs_tls = distinct.iter().any(|u| scheme_is(u, "https"));
    let tls = match (&opts.https_roots, needs_tls) {
        (Some(path), true) => https_config(path).map_err(|e| notes.push(e)).ok(),
        _ => None,
    };
    let tls = tls.map(Arc::new);

    let fetches: Vec<_> = distinct
        .iter()
        .map(|url| {
            let (url, tls, limit) = (url.to_string(), tls.clone(), opts.timeout);
            crate::debug!(1, "fetching AIA caIssuers {url}");
            tokio::spawn(async move {
                let outcome = tokio::time::timeout(limit, fetch(&url, tls)).await;
                let outcome = outcome.unwrap_or_else(|_| {
                    Err(format!("no complete answer within {}", seconds(limit)))
                });
                (url, outcome)
            })
        })
        .collect();

    let mut candidates = Vec::new();
    for fetch in fetches {
        match fetch.await {
            Ok((url, Ok(certs))) => {
                crate::debug!(1, "AIA {url}: {} certificate(s)", certs.len());
                candidates.extend(certs.into_iter().map(|cert| Candidate {
                    cert,
                    source: CandidateSource::Aia { url: url.clone() },
                }));
            }
            Ok((url, Err(reason))) => notes.push(format!("AIA {url}: {reason}")),
            Err(e) => notes.push(format!("an AIA fetch failed: {e}")),
        }
    }
    (dedupe(candidates), notes)
}

/// Keeps the first candidate of each certificate (same DER), in order.
pub fn dedupe(candidates: impl IntoIterator<Item = Candidate>) -> Vec<Candidate> {
    let mut seen = HashSet::new();
    candidates
        .into_iter()
        .filter(|c| seen.insert(c.cert.sha256.clone()))
        .collect()
}

/// The `certs` folder of the documented layout, `<certs>/<domain>/ise/<bundle>`: the
/// folder three levels above the bundle, when the bundle's folder is called `ise`.
pub fn store_root_of(bundle_path: &Path) -> Option<PathBuf> {
    let ise = bundle_path.parent()?;
    if ise.file_name()? != "ise" {
        return None;
    }
    let root = ise.parent()?.parent()?;
    (!root.as_os_str().is_empty()).then(|| root.to_path_buf())
}

/// The first of the usual system trust store files that exists.
pub fn system_store() -> Option<PathBuf> {
    SYSTEM_STORES
        .iter()
        .map(PathBuf::from)
        .find(|path| path.is_file())
}

/// Reads candidate files once each, collecting certificates and notes.
struct Reader<'a> {
    secrets: &'a SecretSources,
    /// Canonical paths of the files already read or excluded.
    seen_files: HashSet<PathBuf>,
    candidates: Vec<Candidate>,
    notes: Vec<String>,
}

impl Reader<'_> {
    /// Marks a file as never to be read (the bundle itself).
    fn skip(&mut self, path: &Path) {
        self.seen_files.insert(canonical(path));
    }

    /// Reads a file found by a walk, unless it was read already.
    fn read(&mut self, path: &Path, source: CandidateSource) {
        if self.seen_files.insert(canonical(path)) {
            self.read_named(path, source);
        }
    }

    /// Reads a file the user named (read even when a walk met it first).
    fn read_named(&mut self, path: &Path, source: CandidateSource) {
        let bytes = match input::read_file(path, CANDIDATE_FILE, self.secrets) {
            Ok(bytes) => bytes,
            Err(e) => {
                self.notes.push(e.to_string());
                return;
            }
        };
        let bundle = input::parse_bundle(&bytes, BundleSource::File(path.display().to_string()));
        crate::debug!(
            2,
            "{}: {} certificate(s) from {source}",
            path.display(),
            bundle.certs.len()
        );

        let shown = path.display();
        if bundle.certs.is_empty() {
            // A `.pem` holding only a key is no candidate, and no news: `store` flags it.
            let key_only = bundle
                .defects
                .iter()
                .any(|d| matches!(d, BundleDefect::PrivateKey { .. }));
            if !key_only {
                self.notes
                    .push(format!("`{shown}` holds no certificate; skipped"));
            }
            return;
        }
        for defect in &bundle.defects {
            if let BundleDefect::MalformedBlock {
                index,
                line,
                reason,
            } = defect
            {
                self.notes.push(format!(
                    "`{shown}`: block {index} (line {line}) was not read: {reason}"
                ));
            }
        }
        self.candidates
            .extend(bundle.certs.into_iter().map(|cert| Candidate {
                cert,
                source: source.clone(),
            }));
    }
}

/// The certificate files of one folder (not below it), sorted by name.
fn folder_files(folder: &Path, notes: &mut Vec<String>) -> Vec<PathBuf> {
    let entries = match fs::read_dir(folder) {
        Ok(entries) => entries,
        Err(e) => {
            notes.push(format!("cannot list `{}`: {e}", folder.display()));
            return Vec::new();
        }
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| has_cert_name(path) && !path.is_dir())
        .collect();
    files.sort();
    files
}

/// The certificate files under the store root, at most [`STORE_DEPTH`] levels down and
/// [`STORE_FILES`] in all: `*-CA-CHAIN.pem` backups first, then the rest by path.
/// Hidden folders are skipped; links are followed, each folder walked once.
fn store_files(root: &Path, notes: &mut Vec<String>) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut visited = HashSet::new();
    let mut level = vec![root.to_path_buf()];

    for depth in 0..=STORE_DEPTH {
        let mut below = Vec::new();
        for folder in level {
            if !visited.insert(canonical(&folder)) {
                continue;
            }
            let entries = match fs::read_dir(&folder) {
                Ok(entries) => entries,
                Err(e) => {
                    notes.push(format!("cannot list `{}`: {e}", folder.display()));
                    continue;
                }
            };
            let mut paths: Vec<PathBuf> =
                entries.filter_map(Result::ok).map(|e| e.path()).collect();
            paths.sort();
            for path in paths {
                if path.is_dir() {
                    if !is_hidden(&path) && depth < STORE_DEPTH {
                        below.push(path);
                    }
                } else if has_cert_name(&path) {
                    if files.len() == STORE_FILES {
                        notes.push(format!(
                            "the store `{}` holds more than {STORE_FILES} certificate files; \
                             the rest were not read",
                            root.display()
                        ));
                        return ordered(files);
                    }
                    files.push(path);
                }
            }
        }
        level = below;
    }
    ordered(files)
}

/// `*-CA-CHAIN.pem` backups first, then the rest by path.
fn ordered(mut files: Vec<PathBuf>) -> Vec<PathBuf> {
    files.sort_by_key(|path| (!is_chain_backup(path), path.clone()));
    files
}

fn is_chain_backup(path: &Path) -> bool {
    path.file_name()
        .and_then(|name| name.to_str())
        .is_some_and(|name| name.to_ascii_uppercase().ends_with("-CA-CHAIN.PEM"))
}

fn is_hidden(path: &Path) -> bool {
    path.file_name()
        .and_then(|name| name.to_str())
        .is_some_and(|name| name.starts_with('.'))
}

/// True for `*.crt`, `*.pem`, `*.cer`, `*.der`, `*.p7b`, their `.age` twins and their
/// `.bak-<time>` backups.
fn has_cert_name(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    let name = name.to_ascii_lowercase();
    let name = name.strip_suffix(".age").unwrap_or(&name);
    let name = match name.rfind(".bak-") {
        Some(at) => &name[..at],
        None => name,
    };
    name.rsplit_once('.')
        .is_some_and(|(stem, ext)| !stem.is_empty() && CERT_EXTENSIONS.contains(&ext))
}

/// `x.pem` ↔ `x.pem.age`.
fn age_twin(path: &Path) -> PathBuf {
    let text = path.as_os_str().to_string_lossy();
    match text.strip_suffix(".age") {
        Some(plain) => PathBuf::from(plain),
        None => PathBuf::from(format!("{text}.age")),
    }
}

/// The canonical path, or the path itself when it cannot be resolved.
fn canonical(path: &Path) -> PathBuf {
    fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

fn seconds(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

fn scheme_is(url: &str, scheme: &str) -> bool {
    url.split_once("://")
        .is_some_and(|(s, _)| s.eq_ignore_ascii_case(scheme))
}

/// A client configuration verifying servers against the certificates of `roots`.
fn https_config(roots: &Path) -> Result<ClientConfig, String> {
    let bundle = input::load_bundle(roots).map_err(|e| {
        format!("https AIA URLs are not fetched: no trust store to verify them ({e})")
    })?;
    let mut store = RootCertStore::empty();
    store.add_parsable_certificates(bundle.certs.iter().map(|c| c.der().to_vec().into()));
    if store.is_empty() {
        return Err(format!(
            "https AIA URLs are not fetched: `{}` holds no usable trust anchor",
            roots.display()
        ));
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("https AIA URLs are not fetched: {e}"))?
        .with_root_certificates(store)
        .with_no_client_auth();
    Ok(config)
}

/// An `http://` or `https://` URL, split for one request.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Url {
    tls: bool,
    /// Host name or IP address, without brackets.
    host: String,
    port: u16,
    /// Path and query, starting with `/`.
    path: String,
}

impl Url {
    fn parse(text: &str) -> Result<Url, String> {
        if text
            .bytes()
            .any(|b| b <= b' ' || b == 0x7f || !b.is_ascii())
        {
            return Err("the URL holds spaces, control or non-ASCII characters".into());
        }
        let (scheme, rest) = text.split_once("://").ok_or("not an absolute URL")?;
        let tls = match scheme.to_ascii_lowercase().as_str() {
            "http" => false,
            "https" => true,
            _ => {
                return Err(format!(
                    "`{scheme}` URLs are not fetched, only http and https"
                ));
            }
        };
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, path) = rest.split_at(end);
        let path = path.split('#').next().unwrap_or_default();
        let path = match path {
            "" => "/".to_string(),
            p if p.starts_with('?') => format!("/{p}"),
            p => p.to_string(),
        };
        if authority.contains('@') {
            return Err("URLs with credentials are not fetched".into());
        }

        let default_port = if tls { 443 } else { 80 };
        let (host, port) = match authority.strip_prefix('[') {
            Some(v6) => {
                let (host, after) = v6.split_once(']').ok_or("unclosed `[` in the host")?;
                (host, after.strip_prefix(':'))
            }
            None => match authority.rsplit_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (authority, None),
            },
        };
        let port = match port {
            Some(port) => port
                .parse::<u16>()
                .map_err(|_| format!("bad port `{port}`"))?,
            None => default_port,
        };
        if host.is_empty() {
            return Err("the URL names no host".into());
        }
        Ok(Url {
            tls,
            host: host.to_string(),
            port,
            path,
        })
    }

    /// The target of a `Location` header, relative to this URL.
    fn join(&self, location: &str) -> Result<Url, String> {
        if location.contains("://") {
            return Url::parse(location);
        }
        let scheme = if self.tls { "https" } else { "http" };
        if let Some(rest) = location.strip_prefix("//") {
            return Url::parse(&format!("{scheme}://{rest}"));
        }
        let path = if location.starts_with('/') {
            location.to_string()
        } else {
            let base = self.path.split('?').next().unwrap_or_default();
            let dir = base.rfind('/').map_or("/", |at| &base[..=at]);
            format!("{dir}{location}")
        };
        Url::parse(&format!("{scheme}://{}{path}", self.authority()))
    }

    /// `host[:port]` as the Host header wants it (the port only when not the default).
    fn authority(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        let default_port = if self.tls { 443 } else { 80 };
        if self.port == default_port {
            host
        } else {
            format!("{host}:{}", self.port)
        }
    }

    fn request(&self) -> String {
        format!(
            "GET {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: ise-doctor/{}\r\nAccept: \
             application/pkix-cert, application/pkcs7-mime, */*\r\nConnection: close\r\n\r\n",
            self.path,
            self.authority(),
            env!("CARGO_PKG_VERSION")
        )
    }
}

/// One HTTP answer: the status, the redirect target, the body (2xx only).
#[derive(Debug)]
struct Response {
    status: u16,
    reason: String,
    location: Option<String>,
    body: Vec<u8>,
}

/// Fetches one URL, following redirects, and reads the certificates of the body.
async fn fetch(text: &str, tls: Option<Arc<ClientConfig>>) -> Result<Vec<Certificate>, String> {
    let mut url = Url::parse(text)?;
    for _ in 0..=AIA_MAX_REDIRECTS {
        let response = get(&url, tls.clone()).await?;
        match response.status {
            200..=299 => return certificates(&response.body),
            301 | 302 | 303 | 307 | 308 => {
                let location = response
                    .location
                    .ok_or_else(|| format!("HTTP {} without a Location header", response.status))?;
                let next = url
                    .join(&location)
                    .map_err(|e| format!("redirect to `{location}`: {e}"))?;
                crate::debug!(1, "AIA {text}: HTTP {} to {location}", response.status);
                url = next;
            }
            status => return Err(format!("HTTP {status} {}", response.reason)),
        }
    }
    Err(format!("more than {AIA_MAX_REDIRECTS} redirects"))
}

/// The certificates of an AIA body: DER, PEM or PKCS#7.
fn certificates(body: &[u8]) -> Result<Vec<Certificate>, String> {
    let bundle = input::parse_bundle(body, BundleSource::None);
    if !bundle.certs.is_empty() {
        return Ok(bundle.certs);
    }
    let reason = bundle.defects.iter().find_map(|defect| match defect {
        BundleDefect::MalformedBlock { reason, .. } => Some(reason.clone()),
        _ => None,
    });
    Err(match reason {
        Some(reason) => format!("the answer holds no certificate: {reason}"),
        None => format!("the answer ({} bytes) holds no certificate", body.len()),
    })
}

/// One `GET` over a new connection.
async fn get(url: &Url, tls: Option<Arc<ClientConfig>>) -> Result<Response, String> {
    let tcp = TcpStream::connect((url.host.as_str(), url.port))
        .await
        .map_err(|e| format!("cannot connect to {}: {e}", url.authority()))?;
    if !url.tls {
        return exchange(tcp, &url.request()).await;
    }

    let config = tls.ok_or(
        "https is fetched only from a server verified against the system trust store, \
         and there is none",
    )?;
    let name = ServerName::try_from(url.host.clone())
        .map_err(|e| format!("`{}` is not a valid server name: {e}", url.host))?;
    let stream = tokio_rustls::TlsConnector::from(config)
        .connect(name, tcp)
        .await
        .map_err(|e| format!("TLS with {} failed: {e}", url.authority()))?;
    exchange(stream, &url.request()).await
}

/// Sends the request and reads one response, within the size caps.
async fn exchange<S>(mut stream: S, request: &str) -> Result<Response, String>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let io_error = |e: io::Error| format!("the connection failed: {e}");
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(io_error)?;

    let mut raw = Vec::new();
    let mut head: Option<Head> = None;
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match stream.read(&mut buf).await {
            Ok(n) => n,
            // A TLS peer that closes without close_notify: the framing says if it is
            // complete.
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => 0,
            Err(e) => return Err(io_error(e)),
        };
        raw.extend_from_slice(&buf[..n]);
        let eof = n == 0;

        if head.is_none() {
            head = parse_head(&raw)?;
        }
        let Some(parsed) = &head else {
            if eof {
                return Err("the connection closed before the headers ended".into());
            }
            continue;
        };
        if !(200..300).contains(&parsed.status) {
            return Ok(parsed.response(Vec::new()));
        }
        let body = &raw[parsed.len..];
        match parsed.framing {
            Framing::Length(len) if len > AIA_MAX_BYTES as u64 => {
                return Err(too_large(Some(len)));
            }
            Framing::Length(len) => {
                if body.len() as u64 >= len {
                    let end = usize::try_from(len).map_err(|_| too_large(Some(len)))?;
                    return Ok(parsed.response(body[..end].to_vec()));
                }
                if eof {
                    return Err(format!(
                        "the body ended after {} of {len} bytes",
                        body.len()
                    ));
                }
            }
            Framing::Chunked => match dechunk(body)? {
                Some(ranges) => {
                    let data = ranges.into_iter().flat_map(|r| &body[r]).copied().collect();
                    return Ok(parsed.response(data));
                }
                None if eof => return Err("the chunked body ended early".into()),
                None if body.len() > AIA_MAX_BYTES + CHUNK_OVERHEAD => {
                    return Err(too_large(None));
                }
                None => {}
            },
            Framing::Close => {
                if body.len() > AIA_MAX_BYTES {
                    return Err(too_large(None));
                }
                if eof {
                    return Ok(parsed.response(body.to_vec()));
                }
            }
        }
    }
}

/// Why a body was refused: `size` is the declared length when there is one.
fn too_large(size: Option<u64>) -> String {
    let limit = AIA_MAX_BYTES / 1024;
    match size {
        Some(size) => format!("the body is {size} bytes, over the {limit} KiB limit; not read"),
        None => format!("the body is over the {limit} KiB limit; not read"),
    }
}

/// How the body of a response ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Framing {
    Length(u64),
    Chunked,
    /// When the server closes the connection.
    Close,
}

/// The status line and the headers that matter.
#[derive(Debug)]
struct Head {
    /// Bytes of the head, the blank line included.
    len: usize,
    status: u16,
    reason: String,
    location: Option<String>,
    framing: Framing,
}

impl Head {
    fn response(&self, body: Vec<u8>) -> Response {
        Response {
            status: self.status,
            reason: self.reason.clone(),
            location: self.location.clone(),
            body,
        }
    }
}

/// Parses the response head once it is complete; `None` while more bytes are needed.
fn parse_head(raw: &[u8]) -> Result<Option<Head>, String> {
    let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") else {
        if raw.len() > MAX_HEAD {
            return Err(format!(
                "the response headers exceed {} KiB",
                MAX_HEAD / 1024
            ));
        }
        return Ok(None);
    };
    let text = String::from_utf8_lossy(&raw[..end]);
    let mut lines = text.split("\r\n");
    let status_line = lines.next().unwrap_or_default();

    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    let status = parts.next().and_then(|s| s.parse::<u16>().ok());
    let (true, Some(status)) = (version.starts_with("HTTP/1."), status) else {
        let shown: String = status_line.chars().take(60).collect();
        return Err(format!("not an HTTP/1 answer: `{shown}`"));
    };
    let reason = parts.next().unwrap_or_default().trim().to_string();

    let (mut location, mut length, mut chunked) = (None, None, false);
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match name.trim().to_ascii_lowercase().as_str() {
            "location" => location = Some(value.to_string()),
            "content-length" => {
                let len = value
                    .parse::<u64>()
                    .map_err(|_| format!("bad Content-Length `{value}`"))?;
                if length.is_some_and(|l| l != len) {
                    return Err("conflicting Content-Length headers".into());
                }
                length = Some(len);
            }
            "transfer-encoding" => {
                let last = value.rsplit(',').next().unwrap_or_default().trim();
                if !last.eq_ignore_ascii_case("chunked") || value.contains(',') {
                    return Err(format!("unsupported Transfer-Encoding `{value}`"));
                }
                chunked = true;
            }
            _ => {}
        }
    }
    let framing = match (chunked, length) {
        (true, _) => Framing::Chunked,
        (false, Some(len)) => Framing::Length(len),
        (false, None) => Framing::Close,
    };
    Ok(Some(Head {
        len: end + 4,
        status,
        reason,
        location,
        framing,
    }))
}

/// The data ranges of a complete chunked body; `None` while more bytes are needed.
/// Chunk extensions and trailers are ignored; data beyond [`AIA_MAX_BYTES`] is refused.
fn dechunk(body: &[u8]) -> Result<Option<Vec<Range<usize>>>, String> {
    let mut ranges = Vec::new();
    let (mut at, mut total) = (0usize, 0usize);
    loop {
        let Some(line_len) = find_crlf(&body[at..]) else {
            return if body.len() - at > 1024 {
                Err("a chunk-size line is over 1 KiB".into())
            } else {
                Ok(None)
            };
        };
        let line = String::from_utf8_lossy(&body[at..at + line_len]);
        let size_text = line.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16)
            .map_err(|_| format!("bad chunk size `{size_text}`"))?;
        at += line_len + 2;

        if size == 0 {
            // Trailer lines, then an empty line.
            loop {
                let Some(trailer) = find_crlf(&body[at..]) else {
                    return Ok(None);
                };
                at += trailer + 2;
                if trailer == 0 {
                    return Ok(Some(ranges));
                }
            }
        }
        total = total.saturating_add(size);
        if total > AIA_MAX_BYTES {
            return Err(too_large(None));
        }
        let end = at + size;
        if body.len() < end + 2 {
            return Ok(None);
        }
        if &body[end..end + 2] != b"\r\n" {
            return Err("a chunk does not end with CRLF".into());
        }
        ranges.push(at..end);
        at = end + 2;
    }
}

fn find_crlf(bytes: &[u8]) -> Option<usize> {
    bytes.windows(2).position(|w| w == b"\r\n")
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;
    use crate::sim::http::{self, Reply, Routes};
    use crate::sim::{Issued, LeafSpec, Pki, pki};

    const P7B: &[u8] = include_bytes!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/pki/bundle-p7b.p7b"
    ));

    fn subjects(candidates: &[Candidate]) -> Vec<(String, String)> {
        candidates
            .iter()
            .map(|c| (c.cert.short_name().to_string(), c.source.to_string()))
            .collect()
    }

    fn write(path: &Path, text: &str) {
        fs::create_dir_all(path.parent().expect("has a parent")).expect("creates folders");
        fs::write(path, text).expect("writes");
    }

    fn aia(timeout: Duration) -> AiaOptions {
        AiaOptions {
            timeout,
            https_roots: None,
        }
    }

    #[test]
    fn files_come_in_source_order_first_source_winning() {
        let (lab, other) = (Pki::lab(), Pki::unrelated());
        let tmp = tempfile::tempdir().expect("temp dir");
        let certs = tmp.path().join("certs");
        let ise = certs.join("lab/ise");
        let bundle = ise.join("ROOT-CA.crt");
        let client = lab.issue_client().expect("issues");

        write(&bundle, &lab.root.pem());
        // The bundle's own folder: a backup of an older bundle, a client certificate with
        // its key in the same file, a key file, garbage and a dangling link.
        write(
            &ise.join("ROOT-CA.crt.bak-20261204T101500Z"),
            &pki::pem_bundle(&[&lab.intermediate, &lab.root]),
        );
        write(
            &ise.join("client.pem"),
            &format!("{}{}", client.pem(), client.key_pem()),
        );
        write(&ise.join("client.key"), &client.key_pem());
        write(&ise.join("client-key.pem"), &client.key_pem());
        write(&ise.join("junk.pem"), "not a certificate\n");
        std::os::unix::fs::symlink(ise.join("gone.crt"), ise.join("dangling.crt")).expect("links");
        // The store root: the chain backup and a sibling bundle.
        write(
            &certs.join("ca/LAB-CA-CHAIN.pem"),
            &pki::pem_bundle(&[&lab.root, &lab.intermediate]),
        );
        write(
            &certs.join("other/ise/ROOT-CA.crt"),
            &pki::pem_bundle(&[&other.root, &lab.intermediate]),
        );
        let from = tmp.path().join("from.pem");
        write(&from, &pki::pem_bundle(&[&other.root, &other.intermediate]));
        let system = tmp.path().join("system.pem");
        write(&system, &pki::pem_bundle(&[&lab.root, &other.leaf]));

        let opts = SourceOptions {
            bundle_path: bundle.clone(),
            store_root: None,
            from: vec![from.clone(), tmp.path().join("missing.pem")],
            system_store: Some(system.clone()),
            secrets: SecretSources::default(),
        };
        let (candidates, notes) = files(&opts);

        let at = |p: &Path| p.display().to_string();
        let store = |p: &Path| format!("store file {}", at(p));
        let expected = vec![
            (
                "LAB-ISSUING-CA",
                store(&ise.join("ROOT-CA.crt.bak-20261204T101500Z")),
            ),
            (
                "LAB-ROOT-CA",
                store(&ise.join("ROOT-CA.crt.bak-20261204T101500Z")),
            ),
            ("pxgrid-client", store(&ise.join("client.pem"))),
            ("OTHER-ROOT-CA", store(&certs.join("other/ise/ROOT-CA.crt"))),
            ("OTHER-ISSUING-CA", format!("--from {}", at(&from))),
            (
                "ise-01.example.net",
                format!("system trust store {}", at(&system)),
            ),
        ];
        let expected: Vec<(String, String)> = expected
            .into_iter()
            .map(|(s, w)| (s.to_string(), w))
            .collect();
        assert_eq!(subjects(&candidates), expected);

        assert_eq!(notes.len(), 3, "{notes:#?}");
        assert!(notes[0].contains("dangling.crt"), "{}", notes[0]);
        assert!(
            notes[1].contains("junk.pem") && notes[1].ends_with("holds no certificate; skipped")
        );
        assert!(notes[2].contains("missing.pem"), "{}", notes[2]);
        assert!(!notes.iter().any(|n| n.contains("client")));
    }

    #[test]
    fn the_chain_backup_comes_first_in_the_store_root() {
        let lab = Pki::lab();
        let tmp = tempfile::tempdir().expect("temp dir");
        let certs = tmp.path().join("certs");
        let bundle = certs.join("lab/ise/ROOT-CA.crt");
        write(&bundle, &lab.root.pem());
        write(
            &certs.join("a-site/ise/ROOT-CA.crt"),
            &lab.intermediate.pem(),
        );
        write(&certs.join("ca/LAB-CA-CHAIN.pem"), &lab.intermediate.pem());
        // Too deep (level 4) and hidden folders are not walked.
        write(&certs.join("x/y/z/w/deep.pem"), &lab.leaf.pem());
        write(&certs.join(".git/objects.pem"), &lab.leaf.pem());

        let opts = SourceOptions {
            bundle_path: bundle,
            store_root: None,
            from: Vec::new(),
            system_store: None,
            secrets: SecretSources::default(),
        };
        let (candidates, notes) = files(&opts);
        let sources: Vec<String> = candidates.iter().map(|c| c.source.to_string()).collect();
        let chain = certs.join("ca/LAB-CA-CHAIN.pem");
        assert_eq!(sources, vec![format!("store file {}", chain.display())]);
        assert!(notes.is_empty(), "{notes:?}");
    }

    #[test]
    fn store_root_of_the_documented_layout() {
        let root = store_root_of(Path::new("/srv/certs/lab/ise/ROOT-CA.crt"));
        assert_eq!(root, Some(PathBuf::from("/srv/certs")));
        assert_eq!(store_root_of(Path::new("/srv/bundle.pem")), None);
        assert_eq!(store_root_of(Path::new("ise/ROOT-CA.crt")), None);
    }

    #[test]
    fn certificate_file_names() {
        for name in [
            "a.pem",
            "A.CRT",
            "x.cer.age",
            "b.der",
            "c.p7b",
            "d.crt.bak-2026",
        ] {
            assert!(has_cert_name(Path::new(name)), "{name}");
        }
        for name in [
            "a.key",
            "pem",
            ".pem",
            "a.pem.orig",
            "notes.txt",
            "a.key.age",
        ] {
            assert!(!has_cert_name(Path::new(name)), "{name}");
        }
        assert_eq!(
            age_twin(Path::new("/a/b.crt")),
            PathBuf::from("/a/b.crt.age")
        );
        assert_eq!(
            age_twin(Path::new("/a/b.crt.age")),
            PathBuf::from("/a/b.crt")
        );
    }

    #[test]
    fn presented_names_target_and_position() {
        let lab = Pki::lab();
        let chain = vec![lab.leaf.certificate(), lab.intermediate.certificate()];
        let targets = vec![
            ("ise-01.example.net:9060".to_string(), chain.clone()),
            ("ise-02.example.net:443".to_string(), chain),
        ];
        let candidates = presented(&targets);
        assert_eq!(
            subjects(&candidates),
            vec![
                (
                    "ise-01.example.net".to_string(),
                    "sent by ise-01.example.net:9060 at position 0".to_string()
                ),
                (
                    "LAB-ISSUING-CA".to_string(),
                    "sent by ise-01.example.net:9060 at position 1".to_string()
                ),
            ]
        );
    }

    #[test]
    fn urls_parse_and_join() {
        let url = Url::parse("HTTP://pki.example.net/ca/issuing.crt#x").expect("parses");
        assert_eq!(
            (url.tls, url.port, url.path.as_str()),
            (false, 80, "/ca/issuing.crt")
        );
        assert_eq!(url.authority(), "pki.example.net");
        let v6 = Url::parse("https://[::1]:8443?q").expect("parses");
        assert_eq!(
            (v6.host.as_str(), v6.port, v6.path.as_str()),
            ("::1", 8443, "/?q")
        );
        assert_eq!(v6.authority(), "[::1]:8443");

        for bad in [
            "ldap://x/cn",
            "http://u:p@x/",
            "http:///a",
            "http://x:99999/",
            "http://x/a b",
        ] {
            assert!(Url::parse(bad).is_err(), "{bad}");
        }
        let joined = |loc: &str| {
            url.join(loc)
                .map(|u| format!("{}{}", u.authority(), u.path))
        };
        assert_eq!(joined("next.crt"), Ok("pki.example.net/ca/next.crt".into()));
        assert_eq!(joined("/root.crt"), Ok("pki.example.net/root.crt".into()));
        assert_eq!(
            joined("//cdn.example.net/a"),
            Ok("cdn.example.net/a".into())
        );
        assert_eq!(joined("http://127.0.0.1:81/b"), Ok("127.0.0.1:81/b".into()));
    }

    #[test]
    fn chunked_bodies_decode() {
        let body = b"4;name=v\r\nWiki\r\n5\r\npedia\r\n0\r\nX-Trailer: 1\r\n\r\n";
        let ranges = dechunk(body).expect("well formed").expect("complete");
        let data: Vec<u8> = ranges.into_iter().flat_map(|r| &body[r]).copied().collect();
        assert_eq!(data, b"Wikipedia");
        assert_eq!(dechunk(&body[..20]), Ok(None));
        assert!(dechunk(b"zz\r\n").is_err());
        assert!(dechunk(b"4\r\nWikiXX").is_err());
        assert!(
            dechunk(b"200000\r\n").is_err(),
            "2 MiB chunk refused up front"
        );
    }

    async fn served(routes: Routes) -> http::HttpHandle {
        http::start(routes).await.expect("serves")
    }

    #[tokio::test]
    async fn aia_bodies_in_der_pem_pkcs7_and_chunks() {
        let lab = Pki::lab();
        let der = lab.intermediate.der().to_vec();
        let chunked = Reply::Chunked {
            content_type: "application/pkix-cert".into(),
            body: der.clone(),
            chunk: 100,
        };
        let server = served(
            Routes::new()
                .file("/issuing.der", "application/pkix-cert", &der)
                .file(
                    "/issuing.pem",
                    "text/plain",
                    lab.intermediate.pem().as_bytes(),
                )
                .file("/chain.p7b", "application/pkcs7-mime", P7B)
                .reply("/chunked.crt", chunked),
        )
        .await;
        let urls: Vec<String> = ["/issuing.der", "/issuing.pem", "/chain.p7b", "/chunked.crt"]
            .iter()
            .map(|p| server.url(p))
            .collect();

        let (candidates, notes) = fetch_aia_with(&urls, &aia(AIA_TIMEOUT)).await;
        assert!(notes.is_empty(), "{notes:?}");
        // The generated intermediate three times over (the DER URL wins), and the two
        // certificates of the fixture's PKCS#7 (another lab PKI).
        let fixture = input::parse_bundle(P7B, BundleSource::None).certs;
        let fingerprints: Vec<&str> = candidates.iter().map(|c| c.cert.sha256.as_str()).collect();
        let expected = [
            &lab.intermediate.sha256(),
            &fixture[0].sha256,
            &fixture[1].sha256,
        ];
        assert_eq!(fingerprints, expected);
        let sources: Vec<String> = candidates.iter().map(|c| c.source.to_string()).collect();
        let expected = [&urls[0], &urls[2], &urls[2]].map(|u| format!("AIA {u}"));
        assert_eq!(sources, expected);
        assert_eq!(server.requests(), 4);
    }

    #[tokio::test]
    async fn aia_refusals_become_notes() {
        let huge = |declared| Reply::Huge {
            len: AIA_MAX_BYTES + 1,
            declared,
        };
        let big_chunks = Reply::Chunked {
            content_type: "application/pkix-cert".into(),
            body: vec![b'A'; AIA_MAX_BYTES + 1],
            chunk: 64 * 1024,
        };
        let server = served(
            Routes::new()
                .reply("/declared", huge(true))
                .reply("/undeclared", huge(false))
                .reply("/chunks", big_chunks)
                .reply("/denied", Reply::Status(403))
                .file("/page", "text/html", b"<html>maintenance</html>"),
        )
        .await;
        let paths = [
            "/declared",
            "/undeclared",
            "/chunks",
            "/denied",
            "/page",
            "/none",
        ];
        let mut urls: Vec<String> = paths.iter().map(|p| server.url(p)).collect();
        urls.push("ldap://ldap.example.net/cn=LAB-ISSUING-CA".into());

        let (candidates, notes) = fetch_aia_with(&urls, &aia(AIA_TIMEOUT)).await;
        assert!(candidates.is_empty());
        let expect = [
            "is 1048577 bytes, over the 1024 KiB limit",
            "over the 1024 KiB limit",
            "over the 1024 KiB limit",
            "HTTP 403 Forbidden",
            "holds no certificate",
            "HTTP 404 Not Found",
            "`ldap` URLs are not fetched",
        ];
        assert_eq!(notes.len(), expect.len(), "{notes:#?}");
        for ((note, url), want) in notes.iter().zip(&urls).zip(expect) {
            assert!(note.starts_with(&format!("AIA {url}: ")), "{note}");
            assert!(note.contains(want), "{note} lacks {want}");
        }
    }

    #[tokio::test]
    async fn a_stalled_server_costs_the_timeout_only() {
        let server = served(Routes::new().reply("/stall", Reply::Stall)).await;
        let urls = vec![server.url("/stall"), server.url("/stall?again")];

        let started = Instant::now();
        let (candidates, notes) = fetch_aia_with(&urls, &aia(Duration::from_millis(300))).await;
        let elapsed = started.elapsed();
        assert!(candidates.is_empty());
        assert!(elapsed < Duration::from_secs(2), "took {elapsed:?}");
        assert_eq!(notes.len(), 2);
        assert!(
            notes[0].ends_with("no complete answer within 0.3 s"),
            "{}",
            notes[0]
        );
    }

    #[tokio::test]
    async fn redirects_are_followed_three_times_at_most() {
        let lab = Pki::lab();
        let to = |location: &str| Reply::Redirect {
            status: 302,
            location: location.to_string(),
        };
        let routes = Routes::new()
            .file(
                "/ca/issuing.der",
                "application/pkix-cert",
                lab.intermediate.der(),
            )
            .reply("/moved", to("ca/issuing.der"))
            .reply("/r1", to("/r2"))
            .reply("/r2", to("/r3"))
            .reply("/r3", to("/moved"))
            .reply("/loop", to("/loop"))
            .reply("/nowhere", Reply::Status(301));
        let server = served(routes).await;
        let urls: Vec<String> = ["/moved", "/r2", "/loop", "/r1", "/nowhere"]
            .iter()
            .map(|p| server.url(p))
            .collect();

        let (candidates, notes) = fetch_aia_with(&urls, &aia(AIA_TIMEOUT)).await;
        assert_eq!(
            subjects(&candidates),
            vec![("LAB-ISSUING-CA".to_string(), format!("AIA {}", urls[0]))]
        );
        assert_eq!(notes.len(), 3, "{notes:#?}");
        assert!(notes[0].starts_with(&format!("AIA {}", urls[2])));
        assert!(notes[0].ends_with("more than 3 redirects"));
        assert!(notes[1].starts_with(&format!("AIA {}", urls[3])));
        assert!(notes[1].ends_with("more than 3 redirects"));
        assert!(notes[2].contains("HTTP 301 without a Location header"));
    }

    #[tokio::test]
    async fn eight_urls_per_run_at_most() {
        let server = served(Routes::new()).await;
        let mut urls: Vec<String> = (0..10).map(|n| server.url(&format!("/{n}"))).collect();
        urls.push(urls[0].clone());

        let (_, notes) = fetch_aia_with(&urls, &aia(AIA_TIMEOUT)).await;
        assert_eq!(server.requests(), AIA_MAX_URLS);
        assert_eq!(notes.len(), AIA_MAX_URLS + 1);
        assert!(
            notes[0].starts_with("2 more AIA URLs were not fetched"),
            "{}",
            notes[0]
        );
    }

    #[tokio::test]
    async fn https_is_fetched_only_from_a_verified_server() {
        let (lab, other) = (Pki::lab(), Pki::unrelated());
        let tls_leaf = lab
            .issue_leaf(&LeafSpec::dns(&["pki.example.net"]).with_ip([127, 0, 0, 1].into()))
            .expect("issues");
        let routes = Routes::new().file(
            "/issuing.der",
            "application/pkix-cert",
            lab.intermediate.der(),
        );
        let server = http::start_tls(routes, lab.chain_of(&tls_leaf), tls_leaf.key_der())
            .await
            .expect("serves");
        let urls = vec![server.url("/issuing.der")];
        assert!(urls[0].starts_with("https://127.0.0.1:"));

        let tmp = tempfile::tempdir().expect("temp dir");
        let store = |name: &str, root: &Issued| {
            let path = tmp.path().join(name);
            fs::write(&path, root.pem()).expect("writes");
            Some(path)
        };
        let urls = &urls;
        let fetch = |https_roots| {
            let opts = AiaOptions {
                timeout: AIA_TIMEOUT,
                https_roots,
            };
            async move { fetch_aia_with(urls, &opts).await }
        };

        let (candidates, notes) = fetch(store("lab.pem", &lab.root)).await;
        assert!(notes.is_empty(), "{notes:?}");
        assert_eq!(candidates.len(), 1);

        let (candidates, notes) = fetch(store("other.pem", &other.root)).await;
        assert!(candidates.is_empty());
        assert!(notes[0].contains("TLS with 127.0.0.1:"), "{notes:?}");

        let (candidates, notes) = fetch(None).await;
        assert!(candidates.is_empty());
        assert!(notes[0].contains("no system trust store") || notes[0].contains("there is none"));
    }
}
