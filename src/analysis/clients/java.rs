//! `java`: Java JSSE with the default PKIX validator and HTTPS endpoint identification.
//!
//! - Anchor: any truststore certificate; no AIA fetching (`com.sun.security.enableAIAcaIssuers`
//!   is off by default).
//! - Validity of every certificate below the anchor: PKIX does not check the trust
//!   anchor's own dates (an expired root in the truststore still anchors).
//! - `jdk.certpath.disabledAlgorithms`: MD5 signatures and RSA keys below 1024 bits are
//!   refused; SHA-1 only on chains to the JDK's own `cacerts` roots (`jdkCA`), so it is
//!   allowed for private PKIs.
//! - Issuers must be CA:TRUE and, when they carry keyUsage, keyCertSign.
//! - Leaf EKU: serverAuth or anyExtendedKeyUsage when present (CA EKUs are not checked).
//! - Host name (RFC 2818): DNS subjectAltNames; the CN only when there is no DNS SAN; IP
//!   addresses only against IP SANs.

use super::{
    ClientVerdict, CnRule, Judged, anchored_chain, eku_refuses_server, host_mismatch,
    issuer_without_keycertsign, non_ca_issuer, validity, weak_for_all, weak_signature,
};
use crate::analysis::path::ChainPath;

/// Judges the chain as JSSE's default X509TrustManager would.
pub fn judge(judged: &Judged<'_>, any_anchor: Option<&ChainPath>) -> ClientVerdict {
    let Some(path) = any_anchor else {
        return ClientVerdict::rejected("the server presented no certificate");
    };
    match rules(judged, path) {
        Some(reason) => ClientVerdict::rejected(reason),
        None => ClientVerdict::accepted(),
    }
}

fn rules(judged: &Judged<'_>, path: &ChainPath) -> Option<String> {
    let Some(chain) = anchored_chain(path) else {
        return Some(super::unanchored_reason(
            path,
            "PKIX path building failed (no AIA fetching)",
        ));
    };
    let below_anchor = &chain[..chain.len().saturating_sub(1).max(1)];
    if let Some(reason) = validity(below_anchor, judged.now, ("expired", "not yet valid")) {
        return Some(format!("{reason}: PKIX path validation failed"));
    }
    if let Some(cert) = weak_signature(&chain, true) {
        return Some(format!(
            "`{}` is signed with {}: disabled by jdk.certpath.disabledAlgorithms",
            cert.subject, cert.signature_algorithm
        ));
    }
    if let Some(phrase) = chain.iter().find_map(|l| weak_for_all(&l.cert)) {
        return Some(format!(
            "{phrase}: disabled by jdk.certpath.disabledAlgorithms"
        ));
    }
    if let Some(cert) = non_ca_issuer(&chain) {
        return Some(format!(
            "`{}` is not a CA certificate (basicConstraints)",
            cert.subject
        ));
    }
    if let Some(cert) = issuer_without_keycertsign(&chain) {
        return Some(format!(
            "`{}` has keyUsage without keyCertSign (KeyChecker)",
            cert.subject
        ));
    }
    if let Some(cert) = eku_refuses_server(&chain, true, false) {
        return Some(format!(
            "`{}` has an Extended Key Usage without serverAuth (not usable for TLS server)",
            cert.subject
        ));
    }
    let leaf = &chain.first()?.cert;
    host_mismatch(leaf, judged.host, CnRule::WhenNoDnsSan)
        .map(|reason| format!("{reason}: No subject alternative names matching"))
}
