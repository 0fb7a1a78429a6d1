//! JSON wire types: the public, versioned shape of `--format json`.
//!
//! Bump [`SCHEMA_VERSION`] and add a CHANGELOG entry for any change that removes or
//! renames a field or changes its meaning; adding fields is compatible.

use serde::Serialize;

use super::{BundleReport, Report, Summary, TargetReport};
use crate::analysis::clients::ClientVerdicts;
use crate::analysis::{PathCert, Verdict};
use crate::findings::{Finding, Status};
use crate::model::{BundleFormat, Certificate, ClientAuthRequest, KeyInfo, Moment, SanEntry};

pub const SCHEMA_VERSION: u32 = 1;

static EMPTY_CLIENTS: ClientVerdicts = ClientVerdicts::new();

#[derive(Serialize)]
pub struct Document<'a> {
    pub schema_version: u32,
    pub tool: Tool,
    pub command: &'a str,
    pub checked_at: Moment,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bundle: Option<BundleWire<'a>>,
    pub targets: Vec<TargetWire<'a>>,
    /// The client certificate presented to mutual-TLS targets, when one was loaded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client: Option<ClientWire<'a>>,
    /// The pinned DataConnect certificate, when one was loaded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pin: Option<CertWire<'a>>,
    /// Findings about the set-up (environment, API token).
    pub setup: SetupWire<'a>,
    /// The cert store audit (`store` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub store: Option<StoreWire<'a>>,
    /// The repair plan and its outcome (`fix` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repair: Option<RepairWire<'a>>,
    pub summary: SummaryWire,
}

#[derive(Serialize)]
pub struct RepairWire<'a> {
    pub bundle: &'a str,
    pub dry_run: bool,
    /// True when writing the plan changes the file.
    pub changes: bool,
    #[serde(flatten)]
    pub plan: &'a crate::analysis::repair::RepairPlan,
    /// The resulting bundle, in file order.
    pub result: Vec<CertWire<'a>>,
    /// `{ path, backup }` after `--write`.
    pub written: Option<WrittenWire<'a>>,
    pub key_saved_to: Option<&'a str>,
    pub not_written: Option<&'a str>,
    pub notes: &'a [String],
}

#[derive(Serialize)]
pub struct WrittenWire<'a> {
    pub path: &'a str,
    pub backup: &'a str,
}

#[derive(Serialize)]
pub struct StoreWire<'a> {
    pub root: &'a str,
    pub status: Status,
    pub files: Vec<StoreFileWire<'a>>,
    /// What the enabled services miss (`store.missing-file`), where the audit stopped
    /// (`store.incomplete-audit`).
    pub findings: &'a [Finding],
}

#[derive(Serialize)]
pub struct StoreFileWire<'a> {
    pub path: &'a str,
    /// The key file of a client certificate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<&'a str>,
    pub kind: &'a str,
    pub summary: &'a str,
    pub status: Status,
    pub findings: &'a [Finding],
}

#[derive(Serialize)]
pub struct ClientWire<'a> {
    pub cert_path: &'a str,
    pub key_path: &'a str,
    pub chain: Vec<CertWire<'a>>,
    pub status: Status,
    pub findings: &'a [Finding],
}

#[derive(Serialize)]
pub struct SetupWire<'a> {
    pub status: Status,
    pub findings: &'a [Finding],
}

#[derive(Serialize)]
pub struct Tool {
    pub name: &'static str,
    pub version: &'static str,
}

impl Tool {
    pub fn this() -> Tool {
        Tool {
            name: "ise-doctor",
            version: env!("CARGO_PKG_VERSION"),
        }
    }
}

#[derive(Serialize)]
pub struct BundleWire<'a> {
    pub path: Option<&'a str>,
    pub source: &'static str,
    pub format: BundleFormat,
    pub count: usize,
    pub certificates: Vec<CertWire<'a>>,
    pub status: Status,
    pub findings: &'a [Finding],
}

#[derive(Serialize)]
pub struct CertWire<'a> {
    pub subject: &'a str,
    pub issuer: &'a str,
    pub serial: &'a str,
    pub not_before: Moment,
    pub not_after: Moment,
    pub days_left: i64,
    pub sha256: &'a str,
    pub is_ca: bool,
    pub self_signed: bool,
    pub san: &'a [SanEntry],
    pub key: &'a KeyInfo,
    pub signature_algorithm: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject_key_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authority_key_id: Option<String>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    pub ca_issuers: &'a [String],
    /// Index of the issuer in the same list, when it is there (bundle listings only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issued_by: Option<usize>,
}

#[derive(Serialize)]
pub struct TargetWire<'a> {
    pub target: &'a str,
    pub host: &'a str,
    pub port: u16,
    pub service: Option<&'a str>,
    /// The service whose rules applied: `ers`, `api`, `pxgrid`, `dataconnect`, or null.
    pub kind: Option<crate::model::Service>,
    pub address: Option<&'a str>,
    pub status: Status,
    pub tls_version: Option<&'a str>,
    pub cipher: Option<&'a str>,
    pub elapsed_ms: u64,
    pub client_auth: Option<&'a ClientAuthRequest>,
    /// True when a client certificate was presented in the handshake.
    pub client_cert_sent: bool,
    /// True when the leaf is the pinned certificate, false when a pin applied and the
    /// leaf is another one; null when no pin applied.
    pub pinned: Option<bool>,
    pub presented_chain: Vec<CertWire<'a>>,
    /// The issuing path found, leaf first: `null` when nothing was presented.
    pub path: Option<Vec<PathLinkWire<'a>>>,
    /// True when the path reaches the bundle; `null` when trust was not judged.
    pub trusted: Option<bool>,
    pub verdict: Option<VerdictWire<'a>>,
    /// Each client profile's verdict, `{profile: {ok, reason}}` in a fixed order
    /// (openssl, python3.13, webpki, go, java, browser); `{}` when trust was not judged.
    pub clients: Option<&'a ClientVerdicts>,
    pub findings: &'a [Finding],
}

#[derive(Serialize)]
pub struct PathLinkWire<'a> {
    pub subject: &'a str,
    pub sha256: &'a str,
    /// `presented`, `bundle` or `both`.
    pub source: &'static str,
    pub anchor: bool,
}

#[derive(Serialize)]
pub struct VerdictWire<'a> {
    pub webpki: &'a Verdict,
}

#[derive(Serialize)]
pub struct SummaryWire {
    pub targets: usize,
    pub ok: usize,
    pub warnings: usize,
    pub errors: usize,
    pub bundle_status: Option<Status>,
    pub status: Status,
    pub exit_code: i32,
}

/// The JSON document printed when a run cannot be performed (exit 3).
#[derive(Serialize)]
pub struct ErrorDocument<'a> {
    pub schema_version: u32,
    pub tool: Tool,
    pub error: ErrorWire<'a>,
    pub summary: ErrorSummary,
}

#[derive(Serialize)]
pub struct ErrorWire<'a> {
    pub message: &'a str,
    /// The file or flag concerned, when there is one.
    pub subject: Option<&'a str>,
}

#[derive(Serialize)]
pub struct ErrorSummary {
    pub exit_code: i32,
}

impl<'a> Document<'a> {
    pub fn from_report(report: &'a Report) -> Document<'a> {
        let summary: Summary = report.summary();
        Document {
            schema_version: SCHEMA_VERSION,
            tool: Tool::this(),
            command: report.command,
            checked_at: report.checked_at,
            bundle: report
                .bundle
                .as_ref()
                .map(|b| bundle_wire(b, report.checked_at)),
            client: report.client.as_ref().map(|c| ClientWire {
                cert_path: &c.cert_path,
                key_path: &c.key_path,
                chain: c
                    .chain
                    .iter()
                    .map(|cert| cert_wire(cert, report.checked_at, None))
                    .collect(),
                status: c.status,
                findings: &c.findings,
            }),
            pin: report
                .pin
                .as_ref()
                .map(|p| cert_wire(p, report.checked_at, None)),
            repair: report.repair.as_ref().map(|r| RepairWire {
                bundle: &r.bundle_path,
                dry_run: r.dry_run,
                changes: r.plan.changes_anything(),
                plan: &r.plan,
                result: r
                    .plan
                    .result
                    .iter()
                    .map(|c| cert_wire(c, report.checked_at, None))
                    .collect(),
                written: r
                    .written
                    .as_ref()
                    .map(|(path, backup)| WrittenWire { path, backup }),
                key_saved_to: r.key_saved_to.as_deref(),
                not_written: r.not_written.as_deref(),
                notes: &r.notes,
            }),
            store: report.store.as_ref().map(|s| StoreWire {
                root: &s.root,
                status: s.status,
                files: s
                    .files
                    .iter()
                    .map(|f| StoreFileWire {
                        path: &f.path,
                        key: f.partner.as_deref(),
                        kind: &f.kind,
                        summary: &f.summary,
                        status: f.status,
                        findings: &f.findings,
                    })
                    .collect(),
                findings: &s.findings,
            }),
            setup: SetupWire {
                status: crate::findings::worst_status(&report.setup),
                findings: &report.setup,
            },
            targets: report
                .targets
                .iter()
                .map(|t| target_wire(t, report.checked_at))
                .collect(),
            summary: SummaryWire {
                targets: summary.targets,
                ok: summary.ok,
                warnings: summary.warnings,
                errors: summary.errors,
                bundle_status: report
                    .bundle
                    .as_ref()
                    .filter(|b| b.bundle.source.path().is_some())
                    .map(|b| b.status),
                status: report.status(),
                exit_code: summary.exit_code,
            },
        }
    }
}

pub fn cert_wire(cert: &Certificate, now: Moment, issued_by: Option<usize>) -> CertWire<'_> {
    CertWire {
        subject: &cert.subject,
        issuer: &cert.issuer,
        serial: &cert.serial,
        not_before: cert.not_before,
        not_after: cert.not_after,
        days_left: now.days_until(cert.not_after),
        sha256: &cert.sha256,
        is_ca: cert.is_ca(),
        self_signed: crate::analysis::signature::is_self_signed(cert),
        san: &cert.san,
        key: &cert.key,
        signature_algorithm: &cert.signature_algorithm,
        subject_key_id: cert.subject_key_id_hex(),
        authority_key_id: cert.authority_key_id_hex(),
        ca_issuers: &cert.ca_issuers,
        issued_by,
    }
}

fn bundle_wire(report: &BundleReport, now: Moment) -> BundleWire<'_> {
    let bundle = &report.bundle;
    BundleWire {
        path: bundle.source.path(),
        source: match bundle.source {
            crate::model::BundleSource::File(_) => "file",
            crate::model::BundleSource::SystemStore(_) => "system-store",
            crate::model::BundleSource::None => "none",
        },
        format: bundle.format,
        count: bundle.certs.len(),
        certificates: bundle
            .certs
            .iter()
            .enumerate()
            .map(|(i, c)| cert_wire(c, now, report.issuers.get(i).copied().flatten()))
            .collect(),
        status: report.status,
        findings: &report.findings,
    }
}

fn target_wire(report: &TargetReport, now: Moment) -> TargetWire<'_> {
    let outcome = &report.outcome;
    let chain = report.diagnosis.chain.as_ref();
    let path = chain.and_then(|c| c.path.as_ref());

    TargetWire {
        target: &report.spec.label,
        host: &report.spec.host,
        port: report.spec.port,
        service: report.spec.service.as_deref(),
        kind: report.spec.kind,
        address: outcome.address.as_deref(),
        status: report.diagnosis.status,
        tls_version: outcome.tls_version.as_deref(),
        cipher: outcome.cipher.as_deref(),
        elapsed_ms: outcome.elapsed_ms,
        client_auth: outcome.client_auth.as_ref(),
        client_cert_sent: outcome.client_cert_sent,
        pinned: chain.and_then(|c| c.pinned),
        presented_chain: outcome
            .presented
            .iter()
            .map(|c| cert_wire(c, now, None))
            .collect(),
        path: path.map(|p| {
            let anchor = match p.end {
                crate::analysis::PathEnd::Anchored { anchor } => Some(anchor),
                _ => None,
            };
            p.links
                .iter()
                .enumerate()
                .map(|(i, l)| link_wire(l, anchor == Some(i)))
                .collect()
        }),
        trusted: chain
            .and_then(|c| c.verdict.as_ref())
            .map(|_| path.is_some_and(|p| p.is_anchored())),
        verdict: chain
            .and_then(|c| c.verdict.as_ref())
            .map(|v| VerdictWire { webpki: v }),
        clients: Some(chain.map_or(&EMPTY_CLIENTS, |c| &c.clients)),
        findings: &report.diagnosis.findings,
    }
}

fn link_wire(link: &PathCert, anchor: bool) -> PathLinkWire<'_> {
    PathLinkWire {
        subject: &link.cert.subject,
        sha256: &link.cert.sha256,
        source: match (link.presented_at.is_some(), link.bundle_at.is_some()) {
            (true, true) => "both",
            (true, false) => "presented",
            _ => "bundle",
        },
        anchor,
    }
}
