//! `go`: Go's crypto/x509 on Linux (Go ≥ 1.18).
//!
//! - Anchor: any certificate in the pool (the CA file).
//! - Validity of every certificate from the leaf to the anchor.
//! - Issuers must be CAs (basicConstraints CA:TRUE; a self-signed v1 root is tolerated).
//!   keyUsage on CAs is not checked.
//! - MD5 and SHA-1 signatures are refused below a self-signed anchor; RSA below 1024 bits
//!   is refused (Go ≥ 1.24).
//! - EKU: serverAuth or anyExtendedKeyUsage on the leaf and, nested, on every CA that
//!   carries an EKU.
//! - Host name: subjectAltNames only; the CN is ignored since Go 1.15.

use super::{
    ClientVerdict, CnRule, Judged, anchored_chain, eku_refuses_server, host_mismatch,
    non_ca_issuer, validity, weak_for_all, weak_signature,
};
use crate::analysis::path::ChainPath;

/// Judges the chain as Go's `x509.Certificate.Verify` would.
pub fn judge(judged: &Judged<'_>, any_anchor: Option<&ChainPath>) -> ClientVerdict {
    let Some(path) = any_anchor else {
        return ClientVerdict::rejected("the server presented no certificate");
    };
    match rules(judged, path) {
        Some(reason) => ClientVerdict::rejected(reason),
        None => ClientVerdict::accepted(),
    }
}

/// Go's rules, also the browser's once its path is complete.
pub(super) fn rules(judged: &Judged<'_>, path: &ChainPath) -> Option<String> {
    let Some(chain) = anchored_chain(path) else {
        return Some(super::unanchored_reason(
            path,
            "x509: certificate signed by unknown authority",
        ));
    };
    if let Some(reason) = validity(&chain, judged.now, ("expired", "not yet valid")) {
        return Some(format!(
            "{reason}: x509: certificate has expired or is not yet valid"
        ));
    }
    if let Some(cert) = non_ca_issuer(&chain) {
        return Some(format!(
            "`{}` is not a CA: x509: certificate is not authorized to sign other certificates",
            cert.subject
        ));
    }
    if let Some(cert) = weak_signature(&chain, false) {
        return Some(format!(
            "`{}` is signed with {}: x509: insecure algorithm",
            cert.subject, cert.signature_algorithm
        ));
    }
    if let Some(phrase) = chain.iter().find_map(|l| weak_for_all(&l.cert)) {
        return Some(format!(
            "{phrase}: x509: RSA keys below 1024 bits are refused"
        ));
    }
    if let Some(cert) = eku_refuses_server(&chain, true, true) {
        return Some(format!(
            "`{}` has an EKU without serverAuth: x509: certificate specifies an incompatible \
             key usage",
            cert.subject
        ));
    }
    let leaf = &chain.first()?.cert;
    host_mismatch(leaf, judged.host, CnRule::Ignored)
        .map(|reason| format!("{reason}: x509: certificate is not valid for this name"))
}
