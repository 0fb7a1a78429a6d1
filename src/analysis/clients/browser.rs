//! `browser`: Chrome, Firefox, Edge and Windows CryptoAPI.
//!
//! Go's rules ([`super::go`]): the CA file stands for the platform store, the CN is
//! ignored, MD5/SHA-1 are refused. One difference: a missing intermediate is downloaded
//! from the AIA caIssuers URL of the certificate that needs it, and cached. ise-doctor
//! does not fetch it offline, so such a chain passes "if the URL serves the issuer";
//! that is why "it works in my browser" proves little about other clients.

use super::{ClientVerdict, Judged};
use crate::analysis::path::{ChainPath, PathEnd};

/// Judges the chain as a browser would.
pub fn judge(judged: &Judged<'_>, any_anchor: Option<&ChainPath>) -> ClientVerdict {
    let Some(path) = any_anchor else {
        return ClientVerdict::rejected("the server presented no certificate");
    };
    if let PathEnd::MissingIssuer {
        subject,
        ca_issuers,
        ..
    } = &path.end
        && let Some(url) = ca_issuers.first()
    {
        return ClientVerdict {
            ok: true,
            reason: format!(
                "the issuer `{subject}` is missing, but AIA points to {url}: passes only if \
                 the AIA URL serves the intermediate (not checked offline)"
            ),
        };
    }
    match super::go::rules(judged, path) {
        Some(reason) => ClientVerdict::rejected(reason.replace("x509: ", "")),
        None => ClientVerdict::accepted(),
    }
}
