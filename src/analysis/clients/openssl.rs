//! `openssl`: OpenSSL 3 as curl, Python ≤ 3.12, Ruby and PHP use it by default.
//!
//! - Anchor: the chain must end at a **self-signed** certificate that is in the CA file;
//!   a non-self-signed CA-file certificate is only an intermediate (no
//!   `X509_V_FLAG_PARTIAL_CHAIN`). CA-file certificates may fill gaps; alternative paths
//!   are tried, so an expired cross-certificate with a valid way round passes (≥ 1.1).
//! - Issuers must be CA:TRUE (a self-signed v1 root counts) and, when they carry
//!   keyUsage, keyCertSign (error 79).
//! - Purpose sslserver: the leaf's EKU and every CA's EKU, when present, must list
//!   serverAuth (error 26).
//! - Debian's SECLEVEL=2, as TLS clients apply it: RSA/DSA keys below 2048 bits or EC below
//!   224 anywhere (errors 66/67); MD5 or SHA-1 signatures below a self-signed anchor (68).
//!   `openssl verify` applies it only with `-auth_level 2`.
//! - Host name: DNS/IP subjectAltNames; the CN only when there is no DNS SAN (error 62).
//! - Validity: every certificate of the chain, the root included (errors 9/10).

use super::{ClientVerdict, PathCert};
use super::{
    CnRule, Judged, eku_refuses_server, host_mismatch, issuer_without_keycertsign, non_ca_issuer,
    validity,
};
use crate::analysis::path::{self, ChainPath};
use crate::analysis::signature;
use crate::model::KeyKind;

/// How the reason begins when the path ends at a non-root bundle certificate: the
/// bundle's own findings (`bundle.no-root`, `bundle.incomplete`) explain that case.
pub(super) const BUNDLE_END: &str = "chain ends at a bundle";

/// Judges the chain as OpenSSL 3 would without partial-chain trust.
pub fn judge(judged: &Judged<'_>, any_anchor: Option<&ChainPath>) -> ClientVerdict {
    let (roots, others): (Vec<_>, Vec<_>) = judged
        .bundle
        .iter()
        .cloned()
        .partition(signature::is_self_signed);
    let mut untrusted = judged.presented.to_vec();
    untrusted.extend(others);

    let Some(path) = path::build(&untrusted, &roots) else {
        return ClientVerdict::rejected("the server presented no certificate");
    };
    if !path.is_anchored() {
        return ClientVerdict::rejected(unanchored(&path, any_anchor));
    }

    let chain: Vec<&PathCert> = path.through_anchor().iter().collect();
    match rules(&chain, judged) {
        Some(reason) => ClientVerdict::rejected(reason),
        None => ClientVerdict::accepted(),
    }
}

/// The rules OpenSSL applies once a chain is built, in its order: extensions and
/// purpose, security level, host name, validity. Shared with `python3.13`.
pub(super) fn rules(chain: &[&PathCert], judged: &Judged<'_>) -> Option<String> {
    if let Some(cert) = non_ca_issuer(chain) {
        return Some(format!(
            "`{}` issues a certificate but is not a CA (error 79, invalid CA certificate)",
            cert.subject
        ));
    }
    if let Some(cert) = issuer_without_keycertsign(chain) {
        return Some(format!(
            "`{}` has keyUsage without keyCertSign (error 79, invalid CA certificate)",
            cert.subject
        ));
    }
    if let Some(cert) = eku_refuses_server(chain, false, true) {
        return Some(format!(
            "`{}` has an Extended Key Usage without serverAuth (purpose sslserver, error 26)",
            cert.subject
        ));
    }
    if let Some(reason) = security_level(chain) {
        return Some(reason);
    }
    let leaf = &chain.first()?.cert;
    if let Some(reason) = host_mismatch(leaf, judged.host, CnRule::WhenNoDnsSan) {
        return Some(format!("{reason} (error 62, hostname mismatch)"));
    }
    validity(chain, judged.now, ("error 10", "error 9"))
}

/// Debian's SECLEVEL=2 (112-bit security): key sizes everywhere, signature hashes below
/// a self-signed anchor.
fn security_level(chain: &[&PathCert]) -> Option<String> {
    for (depth, link) in chain.iter().enumerate() {
        let cert = &link.cert;
        let short = match cert.key.kind {
            KeyKind::Rsa | KeyKind::Dsa => cert.key.bits < 2048,
            KeyKind::Ec => cert.key.bits < 224,
            _ => false,
        };
        if short {
            let error = if depth == 0 { 66 } else { 67 };
            return Some(format!(
                "`{}` has a {} key, below SECLEVEL=2 (error {error}, key too weak)",
                cert.subject, cert.key
            ));
        }
    }
    chain
        .iter()
        .filter(|l| !l.self_signed)
        .map(|l| &l.cert)
        .find(|c| c.has_weak_signature_hash())
        .map(|cert| {
            format!(
                "`{}` is signed with {}, refused at SECLEVEL=2 (error 68, digest too weak)",
                cert.subject, cert.signature_algorithm
            )
        })
}

/// Why no chain reaches a self-signed root in the CA file.
fn unanchored(path: &ChainPath, any_anchor: Option<&ChainPath>) -> String {
    if let Some(partial) = any_anchor.filter(|p| p.is_anchored()) {
        let links = partial.through_anchor();
        let end = &links[links.len() - 1].cert;
        let what = if end.is_ca() {
            "intermediate"
        } else {
            "certificate"
        };
        return format!(
            "{BUNDLE_END} {what} (`{}`), not a self-signed root \
             (no partial-chain; error {}, unable to get issuer certificate)",
            end.subject,
            if links.len() == 1 { 20 } else { 2 }
        );
    }
    super::unanchored_reason(path, "error 20, unable to get local issuer certificate")
}
