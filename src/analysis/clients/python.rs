//! `python3.13`: Python ≥ 3.13's `ssl.create_default_context()`.
//!
//! OpenSSL underneath, with two flags added: `VERIFY_X509_PARTIAL_CHAIN` (any CA-file
//! certificate is an anchor, so an intermediate-only bundle works) and
//! `VERIFY_X509_STRICT` (the [`super::lints`] that name `python3.13`). Everything else is
//! the [`super::openssl`] rule set: purpose, SECLEVEL=2, validity, and the host name with
//! the CN read when there is no DNS SAN (`hostname_checks_common_name` is true in the
//! default context, measured with Python 3.11 here; 3.13 does not change it).

use super::{ClientVerdict, Judged, PathCert, Profile, lints, openssl};
use crate::analysis::path::ChainPath;

/// Judges the chain as Python 3.13's default context would.
pub fn judge(judged: &Judged<'_>, any_anchor: Option<&ChainPath>) -> ClientVerdict {
    let Some(path) = any_anchor else {
        return ClientVerdict::rejected("the server presented no certificate");
    };
    let Some(chain) = chain(path) else {
        return ClientVerdict::rejected(super::unanchored_reason(
            path,
            "error 20, unable to get local issuer certificate",
        ));
    };

    let strict = lints::violations(&chain)
        .into_iter()
        .find(|v| v.affects.contains(&Profile::Python313));
    if let Some(violation) = strict {
        return ClientVerdict::rejected(violation.rule);
    }
    match openssl::rules(&chain, judged) {
        Some(reason) => ClientVerdict::rejected(reason),
        None => ClientVerdict::accepted(),
    }
}

/// The chain OpenSSL builds with trusted-first and partial-chain: up to the first CA-file
/// certificate, then on through CA-file certificates only.
pub fn chain(path: &ChainPath) -> Option<Vec<&PathCert>> {
    let through = path.is_anchored().then(|| path.through_anchor())?;
    let mut chain: Vec<&PathCert> = through.iter().collect();
    chain.extend(
        path.links[through.len()..]
            .iter()
            .take_while(|l| l.bundle_at.is_some()),
    );
    Some(chain)
}
