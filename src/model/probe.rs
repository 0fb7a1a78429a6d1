//! What one probe of one target observed: the presented chain and handshake facts, or
//! how the attempt failed. The probe engine fills these in; the analysis reads them.

use serde::Serialize;

use super::{Certificate, Service};

/// One TLS endpoint to probe.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TargetSpec {
    /// As the user wrote it, e.g. `ise-01.example.net:9060`.
    pub label: String,
    /// Host name (or IP literal) used for SNI and for the name checks.
    pub host: String,
    pub port: u16,
    /// Address to connect to instead of resolving `host` (from `--resolve`).
    pub connect_to: Option<std::net::IpAddr>,
    /// The ISE service usually found on this port, e.g. "ERS API".
    pub service: Option<String>,
    /// The service whose rules apply (pxGrid: client certificate; DataConnect: pin).
    pub kind: Option<Service>,
    /// Present the configured client certificate when the server asks for one.
    pub present_client_cert: bool,
}

impl TargetSpec {
    /// A target for `host:port`, named after the service usually on that port.
    pub fn new(host: &str, port: u16) -> TargetSpec {
        let kind = Service::from_port(port);
        TargetSpec {
            label: format!(
                "{}:{port}",
                if host.contains(':') {
                    format!("[{host}]")
                } else {
                    host.to_string()
                }
            ),
            host: host.to_string(),
            port,
            connect_to: None,
            service: kind.map(|k| k.title().to_string()),
            kind,
            present_client_cert: kind == Some(Service::Pxgrid),
        }
    }

    /// The arguments that address this target again on a command line, e.g.
    /// `ise-01.example.net:9060 --resolve ise-01.example.net:9060:10.0.0.5`.
    pub fn command_args(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        // A service moved to another port (config `[ports]`) is named, not numbered, so
        // the command keeps the service's rules and finds the port the same way.
        if let Some(kind) = self.kind
            && kind.port() != self.port
            && self.connect_to.is_none()
        {
            return format!("{host}:{}", kind.name());
        }
        match self.connect_to {
            Some(addr) if addr.is_ipv6() => {
                format!("{host}:{p} --resolve {host}:{p}:[{addr}]", p = self.port)
            }
            Some(addr) => format!("{host}:{p} --resolve {host}:{p}:{addr}", p = self.port),
            None => format!("{host}:{}", self.port),
        }
    }
}

/// The CA names a server listed in its CertificateRequest.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ClientAuthRequest {
    /// Distinguished names as text; empty when the server listed none.
    pub acceptable_cas: Vec<String>,
}

/// Why a probe could not obtain (or complete) a TLS handshake.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ProbeFailure {
    /// The host name did not resolve.
    Dns { detail: String },
    /// Nothing listens, or the connection was refused or unreachable.
    Refused { address: String, detail: String },
    /// No answer within the timeout; `phase` is `connect` or `handshake`.
    Timeout { phase: String, millis: u64 },
    /// The peer answered with something that is not TLS (`first_bytes` is a printable
    /// excerpt of what it sent, e.g. `HTTP/1.1 400`).
    NotTls {
        detail: String,
        first_bytes: Option<String>,
    },
    /// The TLS handshake failed; `alert` is the TLS alert when one was received.
    HandshakeFailed {
        detail: String,
        alert: Option<String>,
    },
    /// The server requires a client certificate and we had none to present.
    ClientCertRequired { alert: Option<String> },
    /// We presented a client certificate and the server rejected it.
    ClientCertRejected { alert: Option<String> },
}

/// Everything one probe observed.
#[derive(Clone, Debug, Default)]
pub struct ProbeOutcome {
    /// The address actually connected to, e.g. `127.0.0.1:9060`.
    pub address: Option<String>,
    /// Negotiated protocol, e.g. `TLSv1.3`.
    pub tls_version: Option<String>,
    /// Negotiated cipher suite, e.g. `TLS13_AES_256_GCM_SHA384`.
    pub cipher: Option<String>,
    /// The certificates the server presented, in the order it sent them.
    /// Captured before any trust decision; possibly non-empty even when `failure` is set.
    pub presented: Vec<Certificate>,
    /// Certificates the server sent that could not be parsed (index and reason).
    pub unparsable: Vec<(usize, String)>,
    /// Present when the server asked for a client certificate.
    pub client_auth: Option<ClientAuthRequest>,
    /// True when we presented a client certificate in the handshake.
    pub client_cert_sent: bool,
    pub failure: Option<ProbeFailure>,
    /// Wall time of the probe in milliseconds.
    pub elapsed_ms: u64,
}
