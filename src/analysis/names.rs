//! Host name checks: does the server certificate name the host the client connects to?
//!
//! Follows what modern clients do (RFC 6125 as applied by OpenSSL, rustls, Go and
//! browsers): only DNS and IP subjectAltNames count, the CN is ignored, and a wildcard
//! stands for exactly one whole left-most label.

use std::net::IpAddr;

use crate::model::{Certificate, SanEntry};

/// The outcome of matching a host against a leaf certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NameMatch {
    /// The SAN entry that matched.
    Matched(String),
    /// No SAN matches; `cn_only` is true when the certificate has no DNS/IP SAN and its
    /// CN equals the host (works only for clients that still read the CN).
    Mismatch { cn_only: bool },
}

/// Matches `host` (a DNS name or an IP literal) against `leaf`'s SANs.
pub fn match_host(host: &str, leaf: &Certificate) -> NameMatch {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let host_ip = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
        .ok();

    for entry in &leaf.san {
        let matched = match (entry, host_ip) {
            (SanEntry::Ip(ip), Some(host_ip)) => *ip == host_ip,
            (SanEntry::Dns(pattern), None) => dns_matches(pattern, &host),
            _ => false,
        };
        if matched {
            return NameMatch::Matched(entry.to_string());
        }
    }

    let cn_only = !leaf.has_name_sans()
        && leaf
            .common_name
            .as_deref()
            .is_some_and(|cn| dns_matches(cn, &host) || cn == host);
    NameMatch::Mismatch { cn_only }
}

/// True when a DNS SAN pattern (possibly `*.example.net`) covers `host`.
pub(crate) fn dns_matches(pattern: &str, host: &str) -> bool {
    let pattern = pattern.trim_end_matches('.').to_ascii_lowercase();
    if pattern == host {
        return true;
    }

    let Some(suffix) = pattern.strip_prefix("*.") else {
        return false;
    };
    let Some((label, rest)) = host.split_once('.') else {
        return false;
    };
    !label.is_empty() && rest == suffix && suffix.contains('.')
}

#[cfg(test)]
mod tests {
    use super::dns_matches;

    #[test]
    fn wildcards_cover_one_label() {
        assert!(dns_matches("*.example.net", "ise-01.example.net"));
        assert!(dns_matches("ISE-01.Example.NET", "ise-01.example.net"));
        assert!(!dns_matches("*.example.net", "a.b.example.net"));
        assert!(!dns_matches("*.example.net", "example.net"));
        assert!(!dns_matches("*.net", "example.net"));
        assert!(!dns_matches("ise-*.example.net", "ise-01.example.net"));
    }
}
