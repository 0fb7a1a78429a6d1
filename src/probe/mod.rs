//! The probe engine: connect to a TLS endpoint, capture the certificates it presents
//! (without trusting them), and report the handshake facts or how the attempt failed.
//!
//! This is the only module that opens network connections. It meets its neighbours
//! through [`crate::model`]: a [`TargetSpec`] in, a [`ProbeOutcome`] out. Whether the
//! captured chain is any good is for the analysis to say; the probe only observes.
//!
//! - [`target`]: parsing `host[:port]` and `--resolve` rules, ISE service names;
//! - `capture`: the rustls hooks that record the chain and the CertificateRequest, and
//!   present our client certificate;
//! - `credentials`: the client certificate and key ([`ClientCredentials`]);
//! - `handshake`: driving the handshake by hand and naming failures.
//!
//! Every await is bounded by the per-target deadline, and no application data is ever
//! sent: the only bytes written are TLS handshake records and alerts.

mod capture;
mod credentials;
mod handshake;
pub mod target;

#[cfg(test)]
mod mtls_tests;
#[cfg(test)]
mod tests;

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use rustls::client::Resumption;
use rustls::pki_types::ServerName;
use rustls::sign::CertifiedKey;
use rustls::{ClientConfig, ClientConnection, InvalidMessage, ProtocolVersion};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio::time::{Instant, timeout_at};

use crate::model::{Certificate, ClientAuthRequest, ProbeFailure, ProbeOutcome, TargetSpec};

use capture::{CaptureVerifier, RecordingResolver, Shared};
use handshake::{Stop, Verdict, Wire};

pub use credentials::ClientCredentials;
pub use target::{DEFAULT_PORTS, ResolveRule, parse_resolve, parse_target, service_name};

/// How to probe: the per-target budget and how many targets at once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProbeOptions {
    /// Covers name resolution, connect, handshake and the client-auth wait.
    pub timeout: Duration,
    /// Targets probed at the same time by [`probe_all`] (at least one).
    pub concurrency: usize,
    /// After a TLS 1.3 handshake with a CertificateRequest, how long to listen for the
    /// server rejecting our certificate (or its absence). Capped by what is left of
    /// `timeout`.
    pub client_auth_wait: Duration,
    /// Presented to servers that ask for a client certificate, on targets with
    /// `present_client_cert`. Check it with [`ClientCredentials::certified_key`] first.
    pub client_identity: Option<Arc<ClientCredentials>>,
}

impl Default for ProbeOptions {
    fn default() -> ProbeOptions {
        ProbeOptions {
            timeout: Duration::from_secs(5),
            concurrency: 8,
            client_auth_wait: Duration::from_secs(1),
            client_identity: None,
        }
    }
}

/// Probes one target. Never fails: what went wrong is in [`ProbeOutcome::failure`].
pub async fn probe(target: &TargetSpec, opts: &ProbeOptions) -> ProbeOutcome {
    let key = client_key(std::slice::from_ref(target), opts);
    probe_with(target, opts, &key).await
}

/// Probes every target, at most `opts.concurrency` at once; outcomes in target order.
/// Must be called from within a tokio runtime (probes run as tasks on it).
pub async fn probe_all(targets: &[TargetSpec], opts: &ProbeOptions) -> Vec<ProbeOutcome> {
    let limit = Arc::new(Semaphore::new(opts.concurrency.max(1)));
    let key = Arc::new(client_key(targets, opts));
    let mut tasks = JoinSet::new();
    let mut index_of = std::collections::HashMap::new();

    for (index, target) in targets.iter().cloned().enumerate() {
        let (limit, opts, key) = (limit.clone(), opts.clone(), key.clone());
        let task = tasks.spawn(async move {
            let _permit = limit.acquire_owned().await;
            probe_with(&target, &opts, &key).await
        });
        index_of.insert(task.id(), index);
    }

    let mut outcomes = vec![ProbeOutcome::default(); targets.len()];
    while let Some(joined) = tasks.join_next_with_id().await {
        let (id, outcome) = match joined {
            Ok((id, outcome)) => (id, outcome),
            Err(error) => (error.id(), crashed(&error)),
        };
        if let Some(&index) = index_of.get(&id) {
            outcomes[index] = outcome;
        }
    }
    outcomes
}

/// Our client certificate, ready to sign; `None` when there is none or no target
/// presents it, an error when the key cannot be loaded.
type ClientKey = Result<Option<Arc<CertifiedKey>>, String>;

/// Builds the client key once for a set of targets.
fn client_key(targets: &[TargetSpec], opts: &ProbeOptions) -> ClientKey {
    if !targets.iter().any(|t| t.present_client_cert) {
        return Ok(None);
    }
    opts.client_identity
        .as_deref()
        .map(ClientCredentials::certified_key)
        .transpose()
}

async fn probe_with(target: &TargetSpec, opts: &ProbeOptions, key: &ClientKey) -> ProbeOutcome {
    let started = Instant::now();
    let deadline = started + opts.timeout;
    let mut outcome = ProbeOutcome::default();

    let key = match (target.present_client_cert, key) {
        (false, _) => Ok(None),
        (true, Ok(key)) => Ok(key.clone()),
        (true, Err(e)) => Err(ProbeFailure::HandshakeFailed {
            detail: format!("the client certificate cannot be presented: {e}"),
            alert: None,
        }),
    };
    let result = match key {
        Ok(key) => run(target, opts, key, deadline, &mut outcome).await,
        Err(failure) => Err(failure),
    };
    if let Err(failure) = result {
        outcome.failure = Some(failure);
    }

    outcome.elapsed_ms = millis(started.elapsed());
    outcome
}

/// Resolve, connect, handshake, and (TLS 1.3 with a CertificateRequest) wait.
async fn run(
    target: &TargetSpec,
    opts: &ProbeOptions,
    key: Option<Arc<CertifiedKey>>,
    deadline: Instant,
    outcome: &mut ProbeOutcome,
) -> Result<(), ProbeFailure> {
    let addresses = resolve(target, deadline, opts.timeout).await?;
    let (mut socket, address) = connect(&addresses, deadline, opts.timeout).await?;
    outcome.address = Some(address.to_string());

    let server_name =
        ServerName::try_from(target.host.clone()).map_err(|e| ProbeFailure::HandshakeFailed {
            detail: format!("`{}` cannot be sent as a TLS server name: {e}", target.host),
            alert: None,
        })?;
    let shared = Shared::default();
    let config = connection_config(&shared, key);
    let mut conn =
        ClientConnection::new(config, server_name).map_err(|e| ProbeFailure::HandshakeFailed {
            detail: format!("TLS client setup: {e}"),
            alert: None,
        })?;

    let mut wire = Wire::default();
    let result = handshake::handshake(&mut conn, &mut socket, deadline, &mut wire).await;
    record(outcome, &conn, &shared);
    if let Err(stop) = result {
        return Err(classify(stop, &wire, &shared, opts.timeout));
    }

    // TLS 1.3: the server judges our certificate (or its absence) after our Finished,
    // so a rejection can only arrive now. TLS 1.2 servers decide before the handshake
    // ends. Only reading here: a server that accepted us waits for a request in vain.
    let tls13 = conn.protocol_version() == Some(ProtocolVersion::TLSv1_3);
    if !(tls13 && outcome.client_auth.is_some()) {
        return Ok(());
    }
    let until = deadline.min(Instant::now() + opts.client_auth_wait);
    let sent = outcome.client_cert_sent;
    match handshake::await_client_auth_verdict(&mut conn, &mut socket, until).await {
        Verdict::Quiet => Ok(()),
        // Without a certificate, a clean close is no refusal (existing behaviour); after
        // presenting one, a server that hangs up at once did not accept it.
        Verdict::Closed if !sent => Ok(()),
        Verdict::Closed => Err(ProbeFailure::ClientCertRejected {
            alert: Some("close_notify".to_string()),
        }),
        Verdict::Rejected(stop) => Err(client_auth_failure(stop, sent)),
    }
}

/// The addresses to try: the `--resolve` address, the IP literal, or DNS.
async fn resolve(
    target: &TargetSpec,
    deadline: Instant,
    budget: Duration,
) -> Result<Vec<SocketAddr>, ProbeFailure> {
    if let Some(ip) = target.connect_to {
        return Ok(vec![SocketAddr::new(ip, target.port)]);
    }
    if let Ok(ip) = target.host.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, target.port)]);
    }

    let lookup = tokio::net::lookup_host((target.host.as_str(), target.port));
    let addresses: Vec<SocketAddr> = match timeout_at(deadline, lookup).await {
        Ok(Ok(addresses)) => addresses.collect(),
        Ok(Err(e)) => {
            let detail = e.to_string();
            return Err(ProbeFailure::Dns { detail });
        }
        Err(_) => return Err(timeout("connect", budget)),
    };

    if addresses.is_empty() {
        let detail = format!("`{}` resolved to no addresses", target.host);
        return Err(ProbeFailure::Dns { detail });
    }
    Ok(addresses)
}

/// Connects to the first address that accepts, in resolver order.
async fn connect(
    addresses: &[SocketAddr],
    deadline: Instant,
    budget: Duration,
) -> Result<(TcpStream, SocketAddr), ProbeFailure> {
    let mut last_error = None;
    for &address in addresses {
        match timeout_at(deadline, TcpStream::connect(address)).await {
            Ok(Ok(socket)) => {
                // Fewer round trips for small handshake flights; harmless if refused.
                let _ = socket.set_nodelay(true);
                return Ok((socket, address));
            }
            Ok(Err(e)) => last_error = Some((address, e)),
            Err(_) => return Err(timeout("connect", budget)),
        }
    }

    let (address, error) = last_error.expect("invariant: resolve returns at least one address");
    Err(ProbeFailure::Refused {
        address: address.to_string(),
        detail: error.to_string(),
    })
}

/// Copies what the handshake revealed into the outcome, whether it succeeded or not.
fn record(outcome: &mut ProbeOutcome, conn: &ClientConnection, shared: &Shared) {
    outcome.tls_version = conn.protocol_version().map(version_name);
    outcome.cipher = conn
        .negotiated_cipher_suite()
        .map(|suite| format!("{:?}", suite.suite()));

    let captured = shared.lock();
    for (index, der) in captured.chain.iter().enumerate() {
        match Certificate::from_der(der) {
            Ok(cert) => outcome.presented.push(cert),
            Err(e) => outcome.unparsable.push((index, e.to_string())),
        }
    }
    outcome.client_auth = captured
        .client_auth
        .as_ref()
        .map(|names| ClientAuthRequest {
            acceptable_cas: names.clone(),
        });
    outcome.client_cert_sent = captured.client_cert_sent;
}

/// rustls refuses any handshake message over 64 KiB; in practice the Certificate message.
const TOO_LARGE: &str = "the server's Certificate message is larger than the 64 KiB rustls \
                         accepts (a chain of hundreds of certificates?)";

/// Names a failed handshake.
fn classify(stop: Stop, wire: &Wire, shared: &Shared, budget: Duration) -> ProbeFailure {
    if let Stop::Timeout = stop {
        return timeout("handshake", budget);
    }
    if !wire.looks_like_tls() {
        let first_bytes = handshake::excerpt(&wire.first);
        let detail = if wire.first.starts_with(b"HTTP/") {
            "the server answered in plain HTTP, not TLS".to_string()
        } else {
            "the server's answer is not TLS".to_string()
        };
        return ProbeFailure::NotTls {
            detail,
            first_bytes: Some(first_bytes),
        };
    }

    // After a CertificateRequest, an alert about certificates or a hang-up is the
    // server's answer to our certificate (TLS 1.2) or to its absence.
    let captured = shared.lock();
    let sent = captured.client_cert_sent;
    let refuses_client_auth = match handshake::alert_of(&stop) {
        Some(alert) => is_client_auth_alert(&handshake::alert_name(alert), sent),
        None => matches!(stop, Stop::Eof | Stop::Io(_)),
    };
    if captured.client_auth.is_some() && refuses_client_auth {
        return client_auth_failure(stop, sent);
    }

    let alert = handshake::alert_of(&stop).map(handshake::alert_name);
    let detail = match (&stop, &captured.signature_error) {
        (_, Some(signature_error)) => signature_error.clone(),
        (Stop::Tls(rustls::Error::AlertReceived(_)), None) => {
            format!(
                "the server ended the handshake with the alert `{}`",
                alert_name_or(&alert)
            )
        }
        (
            Stop::Tls(rustls::Error::InvalidMessage(InvalidMessage::HandshakePayloadTooLarge)),
            None,
        ) => TOO_LARGE.to_string(),
        (Stop::Tls(e), None) => format!("TLS error: {e}"),
        (Stop::Eof, None) if wire.first.is_empty() => {
            "the server closed the connection without answering the ClientHello".to_string()
        }
        (Stop::Eof, None) => "the server closed the connection during the handshake".to_string(),
        (Stop::Io(e), None) => format!("connection error during the handshake: {e}"),
        (Stop::Timeout, None) => "no answer before the deadline".to_string(),
    };
    ProbeFailure::HandshakeFailed { detail, alert }
}

/// The server refused our client certificate, or to go on without one.
fn client_auth_failure(stop: Stop, sent: bool) -> ProbeFailure {
    let alert = handshake::alert_of(&stop).map(handshake::alert_name);
    if sent {
        ProbeFailure::ClientCertRejected { alert }
    } else {
        ProbeFailure::ClientCertRequired { alert }
    }
}

/// Alerts servers send when a client certificate is missing or unacceptable; once we
/// sent one, also a failed CertificateVerify (`decrypt_error`: the key does not match)
/// and a certificate the server finds expired or revoked.
fn is_client_auth_alert(name: &str, sent: bool) -> bool {
    let any = matches!(
        name,
        "certificate_required"
            | "handshake_failure"
            | "bad_certificate"
            | "certificate_unknown"
            | "unsupported_certificate"
            | "unknown_ca"
            | "access_denied"
    );
    let ours = matches!(
        name,
        "decrypt_error" | "certificate_expired" | "certificate_revoked"
    );
    any || (sent && ours)
}

fn alert_name_or(alert: &Option<String>) -> &str {
    alert.as_deref().unwrap_or("unknown")
}

fn timeout(phase: &str, budget: Duration) -> ProbeFailure {
    ProbeFailure::Timeout {
        phase: phase.to_string(),
        millis: millis(budget),
    }
}

fn crashed(error: &tokio::task::JoinError) -> ProbeOutcome {
    let detail = format!("internal error: the probe task failed: {error}");
    let failure = ProbeFailure::HandshakeFailed {
        detail,
        alert: None,
    };
    ProbeOutcome {
        failure: Some(failure),
        ..ProbeOutcome::default()
    }
}

fn version_name(version: ProtocolVersion) -> String {
    match version {
        ProtocolVersion::TLSv1_2 => "TLSv1.2".to_string(),
        ProtocolVersion::TLSv1_3 => "TLSv1.3".to_string(),
        other => format!("{other:?}"),
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// The client configuration for one connection: a shallow copy of the shared one, with
/// hooks that write into this connection's [`Shared`] record and present `key`.
fn connection_config(shared: &Shared, key: Option<Arc<CertifiedKey>>) -> Arc<ClientConfig> {
    let mut config = ClientConfig::clone(base_config());
    let algorithms = config.crypto_provider().signature_verification_algorithms;
    config
        .dangerous()
        .set_certificate_verifier(Arc::new(CaptureVerifier::new(shared.clone(), algorithms)));
    config.client_auth_cert_resolver = Arc::new(RecordingResolver::new(shared.clone(), key));
    Arc::new(config)
}

/// Built once per process: ring provider, TLS 1.2 and 1.3, no session resumption (a
/// resumed session would skip the certificates we came for).
fn base_config() -> &'static ClientConfig {
    static BASE: OnceLock<ClientConfig> = OnceLock::new();
    BASE.get_or_init(|| {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let algorithms = provider.signature_verification_algorithms;
        let shared = Shared::default();

        let mut config = ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .expect("invariant: the ring provider supports TLS 1.2 and 1.3")
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(CaptureVerifier::new(
                shared.clone(),
                algorithms,
            )))
            .with_client_cert_resolver(Arc::new(RecordingResolver::new(shared, None)));
        config.resumption = Resumption::disabled();
        config
    })
}
