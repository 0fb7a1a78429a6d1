//! Probe checks: turn a failed connection or handshake into a finding with advice.
//!
//! `net.dns`, `net.refused`, `net.timeout`, `tls.not-tls`, `tls.handshake-failed`,
//! `tls.client-cert-required`. The chain a server presented before failing is analysed
//! separately; these findings only say why the connection did not complete.
//!
//! [`unparsable`] adds `tls.handshake-failed` for each presented certificate that does
//! not parse: our probe captures past it, real clients abort the handshake on it.

use crate::findings::{Code, Finding};
use crate::model::{ProbeFailure, ProbeOutcome, TargetSpec};

/// The finding for the probe's failure, if any.
pub fn check(target: &TargetSpec, outcome: &ProbeOutcome) -> Vec<Finding> {
    let Some(failure) = &outcome.failure else {
        return Vec::new();
    };
    let where_ = format!("{}:{}", target.host, target.port);
    let service = target
        .service
        .as_deref()
        .map(|s| format!(" ({s})"))
        .unwrap_or_default();

    let finding = match failure {
        ProbeFailure::Dns { detail } => Finding::new(
            Code::NetDns,
            format!("`{}` does not resolve: {detail}.", target.host),
        )
        .fix(format!("Check the name: `getent hosts {}`.", target.host))
        .fix(format!(
            "If the name is right but not in DNS, test by address and keep the name checks: \
             `--resolve {}:{}:ADDR`.",
            target.host, target.port
        )),
        ProbeFailure::Refused { address, detail } => Finding::new(
            Code::NetRefused,
            format!("Nothing accepts connections on {address}{service}: {detail}."),
        )
        .fix(service_hint(target.port))
        .fix(format!(
            "Test reachability: `nc -vz {} {}`.",
            target
                .connect_to
                .map(|a| a.to_string())
                .unwrap_or_else(|| target.host.clone()),
            target.port
        )),
        ProbeFailure::Timeout { phase, millis } => Finding::new(
            Code::NetTimeout,
            format!(
                "{where_}{service} did not complete the {phase} within {:.1} s.",
                *millis as f64 / 1000.0
            ),
        )
        .fix(if phase == "connect" {
            "A firewall probably drops the packets: check the path to this port, or raise \
             --timeout on a slow link."
                .to_string()
        } else {
            "The port accepts connections but does not answer a TLS ClientHello: check that this \
             is the TLS port of the service."
                .to_string()
        })
        .fix(service_hint(target.port)),
        ProbeFailure::NotTls {
            detail,
            first_bytes,
        } => {
            let seen = first_bytes
                .as_deref()
                .map(|b| format!(" It answered `{b}`."))
                .unwrap_or_default();
            Finding::new(
                Code::TlsNotTls,
                format!("{where_}{service} does not speak TLS ({detail}).{seen}"),
            )
            .fix(service_hint(target.port))
        }
        ProbeFailure::HandshakeFailed { detail, alert } => {
            let alert_text = alert
                .as_deref()
                .filter(|a| !detail.contains(a))
                .map(|a| format!(" (alert: {a})"))
                .unwrap_or_default();
            Finding::new(
                Code::TlsHandshakeFailed,
                format!("The TLS handshake with {where_}{service} failed: {detail}{alert_text}."),
            )
            .fix(handshake_hint(detail, alert.as_deref()))
        }
        ProbeFailure::ClientCertRequired { alert } => {
            let accepted = accepted_cas_sentence(outcome);
            let alert_text = alert
                .as_deref()
                .map(|a| format!(" (alert: {a})"))
                .unwrap_or_default();
            Finding::new(
                Code::TlsClientCertRequired,
                format!(
                    "{where_}{service} requires a client certificate and none was \
                     presented{alert_text}.{accepted} \
                     The chain it presented is still analysed."
                ),
            )
            .fix(
                "Present a client certificate with Extended Key Usage clientAuth, issued by one \
                  of the accepted CAs.",
            )
            .fix(
                "For pxGrid (8910): the CA that issued the client certificate must be in ISE's \
                 Trusted Certificates with \"Trust for client authentication\" ticked.",
            )
            .fix(
                "Point ise-doctor at the client certificate your clients use: \
                 `--client-cert FILE --client-key FILE`, or pxgrid-client.crt/.key in the \
                 cert store.",
            )
        }
        ProbeFailure::ClientCertRejected { alert } => {
            let alert_text = alert
                .as_deref()
                .map(|a| format!(" with the alert `{a}`"))
                .unwrap_or_else(|| " by closing the connection".to_string());
            let accepted = accepted_cas_sentence(outcome);
            Finding::new(
                Code::MtlsClientCertRejected,
                format!(
                    "{where_}{service} rejected the client certificate ise-doctor \
                     presented{alert_text}.{accepted}"
                ),
            )
            .fix(
                "In ISE, Administration > System > Certificates > Trusted Certificates: the CA \
                 that issued the client certificate must be there with \"Trust for client \
                 authentication and Syslog\" ticked.",
            )
            .fix(
                "Check the client certificate itself: `ise-doctor store` reports its expiry, \
                 its Extended Key Usage (clientAuth) and whether the key matches.",
            )
        }
    };
    vec![finding]
}

/// One `tls.handshake-failed` per presented certificate that does not parse. The probe
/// accepts any bytes to capture the chain; TLS clients reject the whole Certificate
/// message (OpenSSL: "decode error", rustls: "BadEncoding").
pub fn unparsable(target: &TargetSpec, outcome: &ProbeOutcome) -> Vec<Finding> {
    let where_ = format!("{}:{}", target.host, target.port);
    outcome
        .unparsable
        .iter()
        .map(|(position, reason)| {
            let what = if *position == 0 {
                "its own certificate (position 0), so there is no leaf to judge"
            } else {
                "the certificate at this position; it is left out of the chain analysis"
            };
            Finding::new(
                Code::TlsHandshakeFailed,
                format!(
                    "{where_} sends a certificate at position {position} that cannot be parsed \
                     ({reason}). TLS clients abort the handshake on it. This report omits {what}."
                ),
            )
            .fix(format!(
                "Look at what is sent: `openssl s_client -connect {where_} -showcerts`; then \
                 re-import a clean copy of that certificate in {} and re-bind the system \
                 certificate in {}.",
                crate::analysis::advice::ISE_TRUSTED,
                crate::analysis::advice::ISE_SYSTEM
            ))
        })
        .collect()
}

/// " It accepts client certificates issued by: …." when the server listed CA names.
fn accepted_cas_sentence(outcome: &ProbeOutcome) -> String {
    outcome
        .client_auth
        .as_ref()
        .filter(|req| !req.acceptable_cas.is_empty())
        .map(|req| {
            format!(
                " It accepts client certificates issued by: {}.",
                req.acceptable_cas.join("; ")
            )
        })
        .unwrap_or_default()
}

/// Which service usually listens on this port, and how to check it is enabled.
fn service_hint(port: u16) -> String {
    match port {
        9060 => "ERS listens on 9060 only when enabled: Administration > System > Settings > API \
                 Settings > ERS (Read/Write) on the node."
            .to_string(),
        443 => "The Admin/API listener is on 443 of every ISE node with the Admin persona; check \
                the node address."
            .to_string(),
        8910 => "pxGrid listens on 8910 only on nodes with the pxGrid persona: Administration > \
                 System > Deployment."
            .to_string(),
        2484 => "DataConnect listens on 2484 only when enabled: Administration > System > \
                 Settings > DataConnect."
            .to_string(),
        _ => format!("Check that the service really listens on port {port} of this host."),
    }
}

fn handshake_hint(detail: &str, alert: Option<&str>) -> String {
    let lower = detail.to_ascii_lowercase();
    if alert.is_some_and(|a| a.contains("ProtocolVersion")) || lower.contains("version") {
        "No common TLS version: enable TLS 1.2 on ISE (Administration > System > Settings > \
         Security Settings)."
            .to_string()
    } else if lower.contains("signature") || lower.contains("key") {
        "The server's key or signature is refused (often an RSA key below 2048 bits): re-issue \
         the server certificate with a stronger key."
            .to_string()
    } else if alert.is_some_and(|a| a.contains("HandshakeFailure")) {
        "No common cipher suite or the server refused the handshake: check ISE's Security \
         Settings and allowed ciphers."
            .to_string()
    } else {
        "Retry with `-v` for details, and compare with `openssl s_client -connect HOST:PORT`."
            .to_string()
    }
}
