//! `webpki`: rustls with rustls-webpki, as ise-doctor's own authoritative verdict
//! ([`crate::analysis::verdict::webpki`]): any CA-file certificate is an anchor, no CN
//! fallback, SHA-1 and RSA below 2048 refused, serverAuth required when an EKU is present.

use super::{ClientVerdict, Judged};
use crate::analysis::verdict;

pub fn judge(judged: &Judged<'_>) -> ClientVerdict {
    let v = verdict::webpki(judged.presented, judged.bundle, judged.host, judged.now);
    if v.ok {
        return ClientVerdict::accepted();
    }
    let reason = v
        .error
        .or(v.reason)
        .unwrap_or_else(|| "rejected".to_string());
    ClientVerdict::rejected(reason)
}
