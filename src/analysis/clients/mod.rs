//! Client profiles: would curl, Python 3.13, rustls, Go, Java or a browser accept this
//! chain, and which rule decides?
//!
//! Each profile lives in its own file and encodes one client's verification rules as
//! documented in `DOMAIN.md` ("How clients judge the same chain") and measured against
//! OpenSSL 3.0 and Python 3.11 on the build machine. Profiles reuse the path builder
//! ([`crate::analysis::path`]) with their own anchor rule; [`lints`] holds the RFC 5280
//! strict-mode checks that break `python3.13`. [`judge`] runs every profile; [`attribute`]
//! fills `Finding::affects` so `--client` can decide the exit code.

pub mod browser;
pub mod go;
pub mod java;
pub mod lints;
pub mod openssl;
pub mod python;
pub mod webpki;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::{Serialize, Serializer};

use super::names::{NameMatch, dns_matches, match_host};
use super::path::{ChainPath, PathCert};
use crate::findings::{Code, Finding, Severity};
use crate::model::{Certificate, KeyKind, Moment, SanEntry};

/// A client whose verification rules ise-doctor models.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Profile {
    /// OpenSSL 3 default verification (curl, Python ≤ 3.12, Ruby, PHP) at Debian's
    /// SECLEVEL=2, purpose sslserver, host name checked.
    Openssl,
    /// Python ≥ 3.13 `ssl.create_default_context()`: partial chain and X509_STRICT.
    Python313,
    /// rustls with rustls-webpki (reqwest-rustls).
    Webpki,
    /// Go crypto/x509 on Linux.
    Go,
    /// Java JSSE with PKIX defaults.
    Java,
    /// Browsers: AIA fetching, CN ignored.
    Browser,
}

impl Profile {
    pub const ALL: [Profile; 6] = [
        Profile::Openssl,
        Profile::Python313,
        Profile::Webpki,
        Profile::Go,
        Profile::Java,
        Profile::Browser,
    ];

    /// The name used in JSON, flags and the config file.
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Openssl => "openssl",
            Profile::Python313 => "python3.13",
            Profile::Webpki => "webpki",
            Profile::Go => "go",
            Profile::Java => "java",
            Profile::Browser => "browser",
        }
    }

    pub fn parse(text: &str) -> Option<Profile> {
        Profile::ALL.into_iter().find(|p| p.as_str() == text)
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

impl std::fmt::Display for Profile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Profile {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// The profiles that decide the exit code (`--client`, config `clients`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProfileSet(u8);

impl ProfileSet {
    pub const ALL: ProfileSet = ProfileSet(0b11_1111);

    pub fn of(profiles: &[Profile]) -> ProfileSet {
        ProfileSet(profiles.iter().fold(0, |bits, p| bits | p.bit()))
    }

    pub fn contains(self, profile: Profile) -> bool {
        self.0 & profile.bit() != 0
    }

    /// True for a profile name in the set; unknown names are never selected.
    pub fn contains_name(self, name: &str) -> bool {
        Profile::parse(name).is_some_and(|p| self.contains(p))
    }
}

impl Default for ProfileSet {
    fn default() -> ProfileSet {
        ProfileSet::ALL
    }
}

/// One client's decision and the rule that made it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClientVerdict {
    pub ok: bool,
    /// The deciding rule, e.g. `AKI missing on CN=X (X509_V_FLAG_X509_STRICT, error 85)`.
    pub reason: String,
}

impl ClientVerdict {
    pub fn accepted() -> ClientVerdict {
        ClientVerdict {
            ok: true,
            reason: "accepted".to_string(),
        }
    }

    pub fn rejected(reason: impl Into<String>) -> ClientVerdict {
        ClientVerdict {
            ok: false,
            reason: reason.into(),
        }
    }
}

/// Every profile's verdict, in [`Profile::ALL`] order.
pub type ClientVerdicts = BTreeMap<Profile, ClientVerdict>;

/// What a profile judges: the presented chain, the CA file, the clock and the host.
#[derive(Clone, Copy, Debug)]
pub struct Judged<'a> {
    pub presented: &'a [Certificate],
    pub bundle: &'a [Certificate],
    pub host: &'a str,
    pub now: Moment,
}

/// Judges the chain with every profile.
pub fn judge(judged: &Judged<'_>) -> ClientVerdicts {
    let any_anchor = super::path::build(judged.presented, judged.bundle);
    Profile::ALL
        .into_iter()
        .map(|profile| {
            let verdict = match profile {
                Profile::Openssl => openssl::judge(judged, any_anchor.as_ref()),
                Profile::Python313 => python::judge(judged, any_anchor.as_ref()),
                Profile::Webpki => webpki::judge(judged),
                Profile::Go => go::judge(judged, any_anchor.as_ref()),
                Profile::Java => java::judge(judged, any_anchor.as_ref()),
                Profile::Browser => browser::judge(judged, any_anchor.as_ref()),
            };
            (profile, verdict)
        })
        .collect()
}

/// Fills `affects` on the findings whose breakage can be attributed to some profiles,
/// then adds `client.rejected` for failing profiles that no finding explains.
pub fn attribute(findings: &mut Vec<Finding>, verdicts: &ClientVerdicts, judged: &Judged<'_>) {
    let failing: Vec<Profile> = verdicts
        .iter()
        .filter(|(_, v)| !v.ok)
        .map(|(p, _)| *p)
        .collect();
    for finding in findings.iter_mut() {
        if !finding.affects.is_empty() {
            continue;
        }
        let profiles = affected_by(finding, judged, &failing);
        finding.affects = profiles.iter().map(ToString::to_string).collect();
    }

    let unexplained: Vec<Profile> = failing
        .into_iter()
        .filter(|p| !verdicts[p].reason.starts_with(openssl::BUNDLE_END))
        .filter(|p| {
            !findings.iter().any(|f| {
                f.severity >= Severity::Warning
                    && (f.affects.is_empty() || f.affects.iter().any(|a| a == p.as_str()))
            })
        })
        .collect();
    if unexplained.is_empty() {
        return;
    }
    let reasons: Vec<String> = unexplained
        .iter()
        .map(|p| format!("{p}: {}", verdicts[p].reason))
        .collect();
    let message = format!(
        "{} reject{} this chain although no other finding says why: {}.",
        list(&unexplained),
        if unexplained.len() == 1 { "s" } else { "" },
        reasons.join("; ")
    );
    findings.push(
        Finding::new(Code::ClientRejected, message)
            .fix(
                "Make the chain acceptable to every client: serve leaf and intermediates, keep \
                 the self-signed root in the CA bundle, and issue CA certificates that pass \
                 RFC 5280 strict checks (see the client matrix above).",
            )
            .affects(unexplained),
    );
}

/// The profiles an existing finding breaks, when that can be told; empty means all.
fn affected_by(finding: &Finding, judged: &Judged<'_>, failing: &[Profile]) -> Vec<Profile> {
    use Profile::*;

    let cert = finding.certificates.first().and_then(|r| {
        let sha = r.sha256.as_deref()?;
        judged
            .presented
            .iter()
            .chain(judged.bundle)
            .find(|c| c.sha256 == sha)
    });
    match finding.code {
        Code::BundleNoRoot | Code::BundleIncomplete => vec![Openssl],
        Code::CertWeakSignature if cert.is_some_and(|c| !is_md5(c)) => {
            // Java's jdkCA SHA-1 restriction covers only its own cacerts roots.
            vec![Openssl, Python313, Webpki, Go, Browser]
        }
        Code::CertWeakKey if cert.is_some_and(|c| weak_for_all(c).is_none()) => {
            vec![Openssl, Python313, Webpki]
        }
        Code::NameMismatch => {
            let leaf = judged.presented.first();
            let cn_only = leaf.is_some_and(|l| {
                matches!(
                    match_host(judged.host, l),
                    NameMatch::Mismatch { cn_only: true }
                )
            });
            if cn_only {
                vec![Webpki, Go, Browser]
            } else {
                Vec::new()
            }
        }
        Code::ChainMissingIntermediate if failing.len() < Profile::ALL.len() => failing.to_vec(),
        _ => Vec::new(),
    }
}

/// `a`, `a and b`, `a, b and c`.
fn list(profiles: &[Profile]) -> String {
    let names: Vec<&str> = profiles.iter().map(|p| p.as_str()).collect();
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => names.join(""),
    }
}

// --- rules shared by several profiles -------------------------------------------------

/// The links a PKIX client (Go, Java, browsers, rustls) judges: leaf to anchor.
fn anchored_chain(path: &ChainPath) -> Option<Vec<&PathCert>> {
    path.is_anchored()
        .then(|| path.through_anchor().iter().collect())
}

/// Why a path that is not anchored fails, in a client's words.
fn unanchored_reason(path: &ChainPath, unknown_issuer: &str) -> String {
    let last = path.links.last().map(|l| &l.cert);
    match (&path.end, last) {
        (super::PathEnd::UntrustedRoot, Some(root)) if path.links.len() == 1 => {
            format!("self-signed `{}` is not in the CA file", root.subject)
        }
        (super::PathEnd::UntrustedRoot, Some(root)) => format!(
            "the chain ends at self-signed `{}`, which is not in the CA file",
            root.subject
        ),
        (_, Some(cert)) => format!(
            "no issuer of `{}` (`{}`) in the chain or the CA file: {unknown_issuer}",
            cert.subject, cert.issuer
        ),
        (_, None) => unknown_issuer.to_string(),
    }
}

/// The first certificate outside its validity window, as a reason.
fn validity(chain: &[&PathCert], now: Moment, codes: (&str, &str)) -> Option<String> {
    chain.iter().map(|l| &l.cert).find_map(|cert| {
        if now > cert.not_after {
            Some(format!(
                "`{}` expired on {} ({})",
                cert.subject,
                cert.not_after.date(),
                codes.0
            ))
        } else if now < cert.not_before {
            Some(format!(
                "`{}` is not valid before {} ({})",
                cert.subject,
                cert.not_before.date(),
                codes.1
            ))
        } else {
            None
        }
    })
}

/// The first issuer on the chain that is not a CA (a self-signed v1 root counts as one).
fn non_ca_issuer<'c>(chain: &[&'c PathCert]) -> Option<&'c Certificate> {
    chain
        .iter()
        .skip(1)
        .map(|l| (&l.cert, l.self_signed))
        .find(|(cert, self_signed)| !(cert.is_ca() || (*self_signed && cert.version == 1)))
        .map(|(cert, _)| cert)
}

/// The first issuer whose keyUsage is present without keyCertSign.
fn issuer_without_keycertsign<'c>(chain: &[&'c PathCert]) -> Option<&'c Certificate> {
    chain
        .iter()
        .skip(1)
        .map(|l| &l.cert)
        .find(|c| c.key_usage.is_some_and(|ku| !ku.key_cert_sign))
}

/// True when an EKU list allows TLS server authentication.
fn eku_allows_server(purposes: &[String], any_counts: bool) -> bool {
    purposes
        .iter()
        .any(|p| p == "serverAuth" || (any_counts && p == "any"))
}

/// The first certificate on the chain whose EKU (when present) rules out serverAuth;
/// `cas_too` extends the check from the leaf to the issuers.
fn eku_refuses_server<'c>(
    chain: &[&'c PathCert],
    any_counts: bool,
    cas_too: bool,
) -> Option<&'c Certificate> {
    let take = if cas_too { chain.len() } else { 1 };
    chain.iter().take(take).map(|l| &l.cert).find(|c| {
        c.extended_key_usage
            .as_ref()
            .is_some_and(|eku| !eku_allows_server(eku, any_counts))
    })
}

/// True when the signature uses MD5 (or MD2/MD4).
fn is_md5(cert: &Certificate) -> bool {
    matches!(
        cert.signature_oid.as_str(),
        "1.2.840.113549.1.1.4" | "1.2.840.113549.1.1.3" | "1.2.840.113549.1.1.2"
    )
}

/// A key every client refuses (RSA or DSA below 1024 bits), as a phrase.
fn weak_for_all(cert: &Certificate) -> Option<String> {
    let short = matches!(cert.key.kind, KeyKind::Rsa | KeyKind::Dsa) && cert.key.bits < 1024;
    short.then(|| format!("`{}` has a {} key", cert.subject, cert.key))
}

/// The first non-self-signed link signed with MD5 or SHA-1 (`md5_only` for Java).
fn weak_signature<'c>(chain: &[&'c PathCert], md5_only: bool) -> Option<&'c Certificate> {
    chain
        .iter()
        .filter(|l| !l.self_signed)
        .map(|l| &l.cert)
        .find(|c| {
            if md5_only {
                is_md5(c)
            } else {
                c.has_weak_signature_hash()
            }
        })
}

/// How a client reads the host name from the leaf.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CnRule {
    /// The CN counts when the leaf has no DNS subjectAltName (OpenSSL, Python, Java).
    WhenNoDnsSan,
    /// Only subjectAltNames count (Go ≥ 1.15, rustls, browsers).
    Ignored,
}

/// Why the leaf does not name `host` for a client with this CN rule, if it does not.
fn host_mismatch(leaf: &Certificate, host: &str, rule: CnRule) -> Option<String> {
    match match_host(host, leaf) {
        NameMatch::Matched(_) => return None,
        NameMatch::Mismatch { .. } => {}
    }
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let is_ip = bare.parse::<IpAddr>().is_ok();
    let has_dns_san = leaf.san.iter().any(|s| matches!(s, SanEntry::Dns(_)));
    let host_lc = bare.trim_end_matches('.').to_ascii_lowercase();
    let cn_names_host = leaf
        .common_name
        .as_deref()
        .is_some_and(|cn| dns_matches(cn, &host_lc));

    match rule {
        CnRule::WhenNoDnsSan if !is_ip && !has_dns_san && cn_names_host => None,
        CnRule::Ignored if cn_names_host && !leaf.has_name_sans() => Some(format!(
            "`{host}` is only in the CN of `{}`, and the CN is ignored (no subjectAltName)",
            leaf.subject
        )),
        _ => Some(format!(
            "`{host}` is not among the names of `{}`",
            leaf.subject
        )),
    }
}
