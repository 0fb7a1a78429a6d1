//! The pure analysis core: certificates, a bundle and a clock in; findings out.
//!
//! No I/O happens here: no network, files, environment or system clock. The probe and
//! the input readers produce the model; [`diagnose_target`], [`diagnose_chain`] and
//! [`diagnose_bundle`] turn it into findings; renderers word the result.
//!
//! - [`path`] builds the issuing path (our own, to explain);
//! - [`verdict`] asks rustls-webpki (authoritative, to decide);
//! - [`checks`] holds one file per family of checks, each with its wording and fixes.

pub mod advice;
pub mod checks;
pub mod clients;
pub mod names;
pub mod path;
pub mod repair;
pub mod signature;
pub mod verdict;

#[cfg(test)]
mod tests;

use crate::findings::{Code, Finding, Status};
use crate::model::{Bundle, Certificate, Moment, ProbeOutcome, TargetSpec};

pub use path::{ChainPath, PathCert, PathEnd};
pub use verdict::Verdict;

/// The knobs of a diagnosis. The clock is a parameter: never the system time.
#[derive(Clone, Copy, Debug)]
pub struct Policy {
    pub now: Moment,
    /// `cert.expiring-soon` fires when fewer than this many days remain.
    pub warn_days: i64,
    /// The client profiles that decide the status (`--client`); all by default.
    pub clients: clients::ProfileSet,
}

impl Policy {
    /// A policy judging at `now` for every client profile.
    pub fn at(now: Moment, warn_days: i64) -> Policy {
        Policy {
            now,
            warn_days,
            clients: clients::ProfileSet::ALL,
        }
    }

    /// The status these findings amount to for the selected client profiles.
    pub fn status(&self, findings: &[Finding]) -> Status {
        crate::findings::worst_status_for(findings, |p| self.clients.contains_name(p))
    }
}

/// What the analysis needs to know about one chain.
#[derive(Clone, Copy, Debug)]
pub struct ChainInput<'a> {
    /// The name the client uses: SNI and the name check.
    pub host: &'a str,
    /// The target as a user would type it in a re-check command (`host:port`, plus
    /// `--resolve` when the address was overridden).
    pub host_port: &'a str,
    pub port: u16,
    pub presented: &'a [Certificate],
    pub bundle: &'a Bundle,
    /// A pinned certificate that replaces trust in the bundle (DataConnect).
    pub pin: Option<&'a Certificate>,
    /// The ISE service on this port, when known (its advice differs).
    pub service: Option<crate::model::Service>,
}

/// What a target's diagnosis may use beyond the bundle: a pin for DataConnect targets,
/// the client chain for targets that present one.
#[derive(Clone, Copy, Debug, Default)]
pub struct TargetExtras<'a> {
    pub pin: Option<&'a Certificate>,
    pub client_chain: Option<&'a [Certificate]>,
    /// The local findings about that client certificate, to explain a rejection.
    pub client_findings: Option<&'a [Finding]>,
}

/// The diagnosis of one presented chain.
#[derive(Clone, Debug)]
pub struct ChainDiagnosis {
    pub path: Option<ChainPath>,
    /// webpki's verdict; `None` when there is no bundle to judge trust with, or when a
    /// pin decides instead.
    pub verdict: Option<Verdict>,
    /// `Some(true)` when the leaf is the pinned certificate, `Some(false)` when a pin
    /// applies and the leaf is another certificate.
    pub pinned: Option<bool>,
    /// Each client profile's verdict; empty when no bundle was judged or a pin decides.
    pub clients: clients::ClientVerdicts,
    pub findings: Vec<Finding>,
}

/// The diagnosis of one target: probe failures and the chain's findings, ranked.
#[derive(Clone, Debug)]
pub struct TargetDiagnosis {
    pub chain: Option<ChainDiagnosis>,
    pub findings: Vec<Finding>,
    pub status: Status,
}

/// Diagnoses a presented chain against a bundle.
pub fn diagnose_chain(input: &ChainInput<'_>, policy: &Policy) -> ChainDiagnosis {
    if let Some(pin) = input.pin
        && input.presented.first() == Some(pin)
    {
        return checks::pin::matched(input, policy);
    }

    let judge_trust = input.bundle.source.path().is_some();
    let path = path::build(input.presented, &input.bundle.certs);

    let mut findings = Vec::new();
    if let Some(path) = &path {
        findings.extend(checks::chain::check(input, path, judge_trust, policy.now));
        findings.extend(checks::certs::check(input, path, policy));
    }

    let verdict = judge_trust
        .then(|| verdict::webpki(input.presented, &input.bundle.certs, input.host, policy.now));
    if let Some(verdict) = &verdict {
        let sent = input.presented.len();
        findings.extend(checks::chain::unexplained_rejection(
            input, verdict, &findings, sent,
        ));
    }

    let mut verdicts = clients::ClientVerdicts::new();
    if judge_trust && input.pin.is_none() {
        let judged = clients::Judged {
            presented: input.presented,
            bundle: &input.bundle.certs,
            host: input.host,
            now: policy.now,
        };
        if let Some(strict_chain) = path.as_ref().and_then(clients::python::chain) {
            findings.extend(clients::lints::findings(&strict_chain));
        }
        verdicts = clients::judge(&judged);
        clients::attribute(&mut findings, &verdicts, &judged);
    }

    let pinned = input.pin.map(|pin| {
        findings.retain(|f| f.code != crate::findings::Code::ChainSelfSignedLeaf);
        findings.push(checks::pin::mismatch(input, pin, verdict.as_ref()));
        false
    });

    rank(&mut findings);
    ChainDiagnosis {
        path,
        verdict,
        pinned,
        clients: verdicts,
        findings,
    }
}

/// Diagnoses everything one probe observed.
pub fn diagnose_target(
    target: &TargetSpec,
    outcome: &ProbeOutcome,
    bundle: &Bundle,
    policy: &Policy,
) -> TargetDiagnosis {
    diagnose_target_with(target, outcome, bundle, TargetExtras::default(), policy)
}

/// [`diagnose_target`] with a pin and a client chain.
pub fn diagnose_target_with(
    target: &TargetSpec,
    outcome: &ProbeOutcome,
    bundle: &Bundle,
    extras: TargetExtras<'_>,
    policy: &Policy,
) -> TargetDiagnosis {
    let mut findings = checks::probe::check(target, outcome);
    if let Some(chain) = extras.client_chain {
        findings.extend(checks::mtls::accepted_cas(target, outcome, chain));
    }
    findings.extend(checks::probe::unparsable(target, outcome));

    // Without its leaf, the next certificate would be judged as the server's own.
    let leaf_parsed = !outcome
        .unparsable
        .iter()
        .any(|(position, _)| *position == 0);
    let chain = (leaf_parsed && !outcome.presented.is_empty()).then(|| {
        let host_port = target.command_args();
        let input = ChainInput {
            host: &target.host,
            host_port: &host_port,
            port: target.port,
            presented: &outcome.presented,
            bundle,
            pin: extras.pin,
            service: target.kind,
        };
        diagnose_chain(&input, policy)
    });
    if let Some(chain) = &chain {
        findings.extend(chain.findings.iter().cloned());
    }
    if let Some(client) = extras.client_findings {
        checks::mtls::explain_rejection(&mut findings, client);
    }

    rank(&mut findings);
    let mut status = policy.status(&findings);
    // With `--client`, the selected clients are the gate: one of them rejecting the chain
    // makes the target an error, whatever the severity of the finding that explains it.
    let selected_rejects = policy.clients != clients::ProfileSet::ALL
        && chain.as_ref().is_some_and(|c| {
            c.clients
                .iter()
                .any(|(profile, verdict)| policy.clients.contains(*profile) && !verdict.ok)
        });
    if selected_rejects {
        status = Status::Error;
    }
    TargetDiagnosis {
        chain,
        findings,
        status,
    }
}

/// Diagnoses a bundle on its own (file defects and its certificates).
pub fn diagnose_bundle(bundle: &Bundle, policy: &Policy) -> Vec<Finding> {
    // The system store is the distribution's to maintain: its expired or odd entries
    // are not the user's to fix; say only that it was used.
    if let Some(finding) = checks::bundle::system_store(bundle) {
        return vec![finding];
    }
    let mut findings = checks::bundle::check(bundle, policy);
    for finding in &mut findings {
        if matches!(finding.code, Code::BundleNoRoot | Code::BundleIncomplete) {
            finding.affects = vec![clients::Profile::Openssl.to_string()];
        }
    }
    rank(&mut findings);
    findings
}

/// Most severe first; within a severity, in registry order (most specific codes first).
fn rank(findings: &mut [Finding]) {
    findings.sort_by_key(|f| (std::cmp::Reverse(f.severity), f.code));
}

/// For each bundle certificate, the index of the bundle certificate that issued it (its
/// own index for a self-signed root), so reports can show how the bundle chains.
pub fn bundle_issuers(bundle: &Bundle) -> Vec<Option<usize>> {
    bundle
        .certs
        .iter()
        .enumerate()
        .map(|(i, cert)| {
            if signature::is_self_signed(cert) {
                return Some(i);
            }
            // Only the first few same-name candidates get a signature check, so a bundle
            // of look-alike CAs cannot cost one check per pair.
            bundle
                .certs
                .iter()
                .enumerate()
                .filter(|(_, issuer)| *issuer != cert && cert.issuer_name_is(issuer))
                .take(8)
                .find(|(_, issuer)| signature::issued(issuer, cert))
                .map(|(j, _)| j)
        })
        .collect()
}

/// Local checks of a client certificate and key, before any connection.
pub fn diagnose_client(client: &checks::mtls::ClientFacts<'_>, policy: &Policy) -> Vec<Finding> {
    let mut findings = checks::mtls::local(client, policy);
    rank(&mut findings);
    findings
}

/// Checks `ISE_API_TOKEN` without ever repeating it.
pub fn diagnose_token(token: Option<&str>) -> Vec<Finding> {
    checks::token::check(token).into_iter().collect()
}
