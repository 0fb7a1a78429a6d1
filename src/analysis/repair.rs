//! Planning the repair of a CA bundle (`fix`): pure, like the rest of the analysis.
//!
//! The planner takes the bundle, the chains the targets presented and the candidate
//! certificates found elsewhere, and decides what to add, remove and reorder. The trust
//! rule is never broken: an intermediate is added only when its signature chains to an
//! anchor the bundle already holds, and a root only when the user named its SHA-256
//! fingerprint (`--trust-root`), obtained out of band. Every candidate considered is
//! accounted for: added, or refused with the reason.

use serde::Serialize;

use super::Policy;
use super::path::{self, PathEnd};
use super::signature::{self, SignatureCheck};
use crate::model::{Bundle, BundleDefect, BundleFormat, Candidate, CandidateSource, Certificate};

/// How deep the planner follows a chain of candidates to reach an anchor.
const MAX_CHAIN: usize = 6;

/// What the planner needs.
pub struct RepairInput<'a> {
    pub bundle: &'a Bundle,
    /// Each checked target's label and the chain it presented.
    pub targets: &'a [(String, Vec<Certificate>)],
    pub candidates: &'a [Candidate],
    /// SHA-256 fingerprints of roots the user trusts (`--trust-root`), any spelling.
    pub trust_roots: &'a [String],
    pub drop_expired: bool,
    /// Keep the bundle's order instead of putting each certificate before its issuer.
    pub keep_order: bool,
    pub policy: Policy,
}

/// A certificate to add, where it came from and why.
#[derive(Clone, Debug, Serialize)]
pub struct Addition {
    pub subject: String,
    pub sha256: String,
    pub source: CandidateSource,
    pub reason: String,
    #[serde(skip)]
    pub cert: Certificate,
}

/// A certificate or block to remove, and why.
#[derive(Clone, Debug, Serialize)]
pub struct Removal {
    pub subject: String,
    pub sha256: Option<String>,
    pub reason: String,
}

/// A candidate that was considered and refused.
#[derive(Clone, Debug, Serialize)]
pub struct Refusal {
    pub subject: String,
    pub sha256: String,
    pub source: CandidateSource,
    pub reason: String,
}

/// A target whose chain the plan cannot complete.
#[derive(Clone, Debug, Serialize)]
pub struct Unresolved {
    pub target: String,
    /// The issuer still missing (or the untrusted root's subject).
    pub missing: String,
    pub key_id: Option<String>,
    /// Where the certificate says its issuer can be downloaded.
    pub ca_issuers: Vec<String>,
    pub reason: String,
}

/// The plan: what changes, and the bundle that results.
#[derive(Clone, Debug, Serialize)]
pub struct RepairPlan {
    pub additions: Vec<Addition>,
    pub removals: Vec<Removal>,
    pub refused: Vec<Refusal>,
    pub unresolved: Vec<Unresolved>,
    /// True when the file is DER and will be written as PEM.
    pub convert_to_pem: bool,
    /// True when the order of the certificates changes (each before its issuer).
    pub reordered: bool,
    /// The resulting bundle, in file order.
    #[serde(skip)]
    pub result: Vec<Certificate>,
}

impl RepairPlan {
    /// True when writing the plan would change the file.
    pub fn changes_anything(&self) -> bool {
        !self.additions.is_empty()
            || !self.removals.is_empty()
            || self.convert_to_pem
            || self.reordered
    }

    /// The resulting bundle as PEM text.
    pub fn pem(&self) -> String {
        self.result.iter().map(Certificate::to_pem).collect()
    }
}

/// Plans the repair.
pub fn plan(input: &RepairInput<'_>) -> RepairPlan {
    let mut plan = RepairPlan {
        additions: Vec::new(),
        removals: Vec::new(),
        refused: Vec::new(),
        unresolved: Vec::new(),
        convert_to_pem: matches!(input.bundle.format, BundleFormat::Der)
            || input
                .bundle
                .defects
                .iter()
                .any(|d| matches!(d, BundleDefect::Pkcs7 { .. })),
        reordered: false,
        result: Vec::new(),
    };

    let mut working = tidy(input, &mut plan);
    for (label, presented) in input.targets {
        complete_target(input, label, presented, &mut working, &mut plan);
    }

    // `working` is the bundle's own order with the additions appended.
    let ordered = if input.keep_order {
        working.clone()
    } else {
        issuing_order(&working)
    };
    plan.reordered = ordered != working;
    plan.result = ordered;
    plan
}

/// Drops duplicates, private keys, and (only when asked) expired CAs.
fn tidy(input: &RepairInput<'_>, plan: &mut RepairPlan) -> Vec<Certificate> {
    for defect in &input.bundle.defects {
        if let BundleDefect::PrivateKey { line, label } = defect {
            plan.removals.push(Removal {
                subject: format!("{label} block at line {line}"),
                sha256: None,
                reason: "a private key does not belong in a CA bundle; it is saved to a \
                         separate file with mode 0600"
                    .to_string(),
            });
        }
    }

    let mut working: Vec<Certificate> = Vec::new();
    for cert in &input.bundle.certs {
        if working.contains(cert) {
            plan.removals.push(removal(
                cert,
                "an exact duplicate of an earlier certificate",
            ));
            continue;
        }
        if input.drop_expired && input.policy.now > cert.not_after {
            let reason = format!("expired on {} (--drop-expired)", cert.not_after.date());
            plan.removals.push(removal(cert, &reason));
            continue;
        }
        working.push(cert.clone());
    }
    working
}

fn removal(cert: &Certificate, reason: &str) -> Removal {
    Removal {
        subject: cert.subject.clone(),
        sha256: Some(cert.sha256.clone()),
        reason: reason.to_string(),
    }
}

/// Adds what `label`'s chain needs to reach the working bundle, if anything can.
fn complete_target(
    input: &RepairInput<'_>,
    label: &str,
    presented: &[Certificate],
    working: &mut Vec<Certificate>,
    plan: &mut RepairPlan,
) {
    for _ in 0..MAX_CHAIN {
        let Some(built) = path::build(presented, working) else {
            return;
        };
        let stuck = built.links[built.links.len() - 1].cert.clone();
        match &built.end {
            PathEnd::Anchored { .. } => return,
            PathEnd::UntrustedRoot => {
                if trusted_root(input, &stuck) {
                    add(
                        plan,
                        working,
                        &stuck,
                        presented_source(label, presented, &stuck),
                        "a root you named with --trust-root",
                    );
                    continue;
                }
                plan.unresolved.push(Unresolved {
                    target: label.to_string(),
                    missing: stuck.subject.clone(),
                    key_id: stuck.subject_key_id_hex(),
                    ca_issuers: Vec::new(),
                    reason: format!(
                        "the chain ends in the root `{}` (sha256 {}), which is not in the \
                         bundle; add it only after checking its fingerprint out of band: \
                         --trust-root {}",
                        stuck.subject, stuck.sha256, stuck.sha256
                    ),
                });
                return;
            }
            PathEnd::MissingIssuer {
                subject,
                key_id,
                ca_issuers,
            } => match find_issuer(input, &stuck, working, plan) {
                Some(chain) => {
                    for (cert, source) in chain {
                        let reason = format!("issues `{}`, needed by {label}", stuck.subject);
                        add(plan, working, &cert, source, &reason);
                    }
                }
                None => {
                    plan.unresolved.push(Unresolved {
                        target: label.to_string(),
                        missing: subject.clone(),
                        key_id: key_id.clone(),
                        ca_issuers: ca_issuers.clone(),
                        reason: format!(
                            "no acceptable certificate for `{subject}` was found in the \
                                 presented chain, the cert store, --from files, the system \
                                 store or at its AIA URL"
                        ),
                    });
                    return;
                }
            },
        }
    }
}

fn presented_source(label: &str, presented: &[Certificate], cert: &Certificate) -> CandidateSource {
    CandidateSource::Presented {
        target: label.to_string(),
        position: presented.iter().position(|c| c == cert).unwrap_or(0),
    }
}

fn add(
    plan: &mut RepairPlan,
    working: &mut Vec<Certificate>,
    cert: &Certificate,
    source: CandidateSource,
    reason: &str,
) {
    if working.contains(cert) {
        return;
    }
    working.push(cert.clone());
    plan.additions.push(Addition {
        subject: cert.subject.clone(),
        sha256: cert.sha256.clone(),
        source,
        reason: reason.to_string(),
        cert: cert.clone(),
    });
}

fn trusted_root(input: &RepairInput<'_>, cert: &Certificate) -> bool {
    let wanted = normalize(&cert.sha256);
    input.trust_roots.iter().any(|t| normalize(t) == wanted)
}

/// Hex digits only, lower case: `AB:CD` and `abcd` name the same fingerprint.
fn normalize(fingerprint: &str) -> String {
    fingerprint
        .chars()
        .filter(char::is_ascii_hexdigit)
        .collect::<String>()
        .to_ascii_lowercase()
}

/// The candidates that issue `child` and reach the working bundle, issuer first.
/// Refusals are recorded once per candidate.
fn find_issuer(
    input: &RepairInput<'_>,
    child: &Certificate,
    working: &[Certificate],
    plan: &mut RepairPlan,
) -> Option<Vec<(Certificate, CandidateSource)>> {
    find_chain(input, child, working, plan, 0)
}

fn find_chain(
    input: &RepairInput<'_>,
    child: &Certificate,
    working: &[Certificate],
    plan: &mut RepairPlan,
    depth: usize,
) -> Option<Vec<(Certificate, CandidateSource)>> {
    if depth >= MAX_CHAIN {
        return None;
    }

    for candidate in input
        .candidates
        .iter()
        .filter(|c| child.issuer_name_is(&c.cert))
    {
        let cert = &candidate.cert;
        if cert == child || working.contains(cert) {
            continue;
        }
        if !child.key_ids_allow_issuer(cert) {
            refuse(
                plan,
                candidate,
                &format!(
                    "same name as the issuer of `{}`, but another key identifier (a forged or \
                     stale CA)",
                    child.subject
                ),
            );
            continue;
        }
        if signature::check(child, cert) != SignatureCheck::Valid {
            refuse(
                plan,
                candidate,
                &format!(
                    "same name as the issuer of `{}`, but its key did not sign it (a forged or \
                 stale CA)",
                    child.subject
                ),
            );
            continue;
        }
        if input.policy.now > cert.not_after {
            refuse(
                plan,
                candidate,
                &format!("expired on {}", cert.not_after.date()),
            );
            continue;
        }

        if signature::is_self_signed(cert) {
            if trusted_root(input, cert) {
                return Some(vec![(cert.clone(), candidate.source.clone())]);
            }
            refuse(
                plan,
                candidate,
                &format!(
                    "a root that is not in your bundle: add it only after checking its \
                 fingerprint out of band, with --trust-root {}",
                    cert.sha256
                ),
            );
            continue;
        }

        // Does it reach an anchor the bundle already holds?
        let anchored_now = working.iter().any(|anchor| signature::issued(anchor, cert));
        if anchored_now {
            return Some(vec![(cert.clone(), candidate.source.clone())]);
        }
        if let Some(mut above) = find_chain(input, cert, working, plan, depth + 1) {
            let mut chain = vec![(cert.clone(), candidate.source.clone())];
            chain.append(&mut above);
            return Some(chain);
        }
        refuse(
            plan,
            candidate,
            &format!(
                "it issues `{}`, but does not chain to any certificate in your bundle (its issuer \
             `{}` is not there)",
                child.subject, cert.issuer
            ),
        );
    }
    None
}

fn refuse(plan: &mut RepairPlan, candidate: &Candidate, reason: &str) {
    let seen = plan
        .refused
        .iter()
        .any(|r| r.sha256 == candidate.cert.sha256 && r.reason == reason);
    if !seen {
        plan.refused.push(Refusal {
            subject: candidate.cert.subject.clone(),
            sha256: candidate.cert.sha256.clone(),
            source: candidate.source.clone(),
            reason: reason.to_string(),
        });
    }
}

/// Each certificate before its issuer, roots last; otherwise the original order.
fn issuing_order(certs: &[Certificate]) -> Vec<Certificate> {
    let height = |cert: &Certificate| -> usize {
        // Links from this certificate up to a root within the set (bounded).
        let mut current = cert;
        let mut steps = 0;
        while steps < MAX_CHAIN && !signature::is_self_signed(current) {
            match certs.iter().find(|c| signature::issued(c, current)) {
                Some(up) => {
                    current = up;
                    steps += 1;
                }
                None => break,
            }
        }
        steps
    };

    let mut keyed: Vec<(usize, usize, &Certificate)> = certs
        .iter()
        .enumerate()
        .map(|(i, c)| (height(c), i, c))
        .collect();
    keyed.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    keyed.into_iter().map(|(_, _, c)| c.clone()).collect()
}

#[cfg(test)]
#[path = "repair_tests.rs"]
mod tests;
