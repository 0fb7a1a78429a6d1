//! Reports: the results of a run, and the renderers that print them.
//!
//! A command assembles a [`Report`] (facts only) and hands it to a [`Renderer`]: one file
//! per format ([`human`], [`json`]), JSON wire types in [`wire`]. Renderers word and
//! colour; they never decide a verdict.

pub mod human;
pub mod json;
pub mod paint;
pub mod wire;

use std::io::{self, Write};

use crate::analysis::TargetDiagnosis;
use crate::findings::worst_status;
use crate::findings::{Finding, Status};
use crate::model::{Bundle, Certificate, Moment, ProbeOutcome, TargetSpec};

/// What a command produced.
#[derive(Clone, Debug)]
pub struct Report {
    pub command: &'static str,
    pub checked_at: Moment,
    pub warn_days: i64,
    pub bundle: Option<BundleReport>,
    pub targets: Vec<TargetReport>,
    /// The client certificate presented to mutual-TLS targets, when one was loaded.
    pub client: Option<ClientReport>,
    /// The pinned certificate applied to DataConnect targets, when one was loaded.
    pub pin: Option<Certificate>,
    /// Findings about the set-up itself (environment, token).
    pub setup: Vec<Finding>,
    /// The audit of a cert store folder (`store`).
    pub store: Option<StoreReport>,
    /// The repair plan and what became of it (`fix`).
    pub repair: Option<RepairReport>,
}

/// What `fix` planned and did.
#[derive(Clone, Debug)]
pub struct RepairReport {
    pub bundle_path: String,
    pub plan: crate::analysis::repair::RepairPlan,
    /// True for a dry run (no `--write`).
    pub dry_run: bool,
    /// The replaced file and its backup, after `--write`.
    pub written: Option<(String, String)>,
    /// Where a private key found in the bundle was saved (mode 0600).
    pub key_saved_to: Option<String>,
    /// Why nothing was written although `--write` was given.
    pub not_written: Option<String>,
    /// Notes from gathering candidates (unreadable files, failed downloads).
    pub notes: Vec<String>,
}

/// A cert store folder and what each file in it amounts to.
#[derive(Clone, Debug)]
pub struct StoreReport {
    pub root: String,
    pub files: Vec<StoreFile>,
    /// Findings about the store as a whole: what enabled services miss, where the audit
    /// stopped.
    pub findings: Vec<Finding>,
    pub status: Status,
}

/// One file of a cert store (a client certificate with its key counts as one).
#[derive(Clone, Debug)]
pub struct StoreFile {
    pub path: String,
    /// The key file of a client certificate.
    pub partner: Option<String>,
    /// `CA bundle`, `client certificate and key`, `pinned certificate`, `certificate`,
    /// `certificates` (several, not all CAs, or none), `private key`, `unreadable`
    /// (with the reason as its summary).
    pub kind: String,
    pub summary: String,
    pub findings: Vec<Finding>,
    pub status: Status,
}

impl StoreFile {
    pub fn new(path: &str, kind: &str, summary: &str, findings: Vec<Finding>) -> StoreFile {
        StoreFile {
            path: path.to_string(),
            partner: None,
            kind: kind.to_string(),
            summary: summary.to_string(),
            status: worst_status(&findings),
            findings,
        }
    }

    /// A file that could not be read: an error status with the reason as its summary.
    pub fn unreadable(path: &str, reason: &str) -> StoreFile {
        StoreFile {
            path: path.to_string(),
            partner: None,
            kind: "unreadable".to_string(),
            summary: reason.to_string(),
            findings: Vec::new(),
            status: Status::Error,
        }
    }
}

/// The client certificate and key, and what the local checks found.
#[derive(Clone, Debug)]
pub struct ClientReport {
    pub cert_path: String,
    pub key_path: String,
    pub chain: Vec<Certificate>,
    pub findings: Vec<Finding>,
    pub status: Status,
}

/// A bundle and what the analysis found in it.
#[derive(Clone, Debug)]
pub struct BundleReport {
    pub bundle: Bundle,
    /// For each bundle certificate, the index of its issuer within the bundle.
    pub issuers: Vec<Option<usize>>,
    pub findings: Vec<Finding>,
    pub status: Status,
}

/// One probed target and its diagnosis.
#[derive(Clone, Debug)]
pub struct TargetReport {
    pub spec: TargetSpec,
    pub outcome: ProbeOutcome,
    pub diagnosis: TargetDiagnosis,
}

/// Counts across the whole run, and the exit code they amount to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Summary {
    pub targets: usize,
    pub ok: usize,
    pub warnings: usize,
    pub errors: usize,
    pub exit_code: i32,
}

impl Report {
    /// An empty report of `command` at `checked_at`.
    pub fn new(command: &'static str, checked_at: Moment, warn_days: i64) -> Report {
        Report {
            command,
            checked_at,
            warn_days,
            bundle: None,
            targets: Vec::new(),
            client: None,
            pin: None,
            setup: Vec::new(),
            store: None,
            repair: None,
        }
    }

    /// The worst status across the bundle and every target.
    pub fn status(&self) -> Status {
        let bundle = self.bundle.as_ref().map(|b| b.status);
        let client = self.client.as_ref().map(|c| c.status);
        self.targets
            .iter()
            .map(|t| t.diagnosis.status)
            .chain(bundle)
            .chain(client)
            .chain(self.store.as_ref().map(|s| s.status))
            .chain(std::iter::once(worst_status(&self.setup)))
            .max()
            .unwrap_or(Status::Ok)
    }

    pub fn summary(&self) -> Summary {
        let count = |s: Status| {
            self.targets
                .iter()
                .filter(|t| t.diagnosis.status == s)
                .count()
        };
        Summary {
            targets: self.targets.len(),
            ok: count(Status::Ok),
            warnings: count(Status::Warning),
            errors: count(Status::Error),
            exit_code: self.status().exit_code(),
        }
    }
}

/// A report format.
pub trait Renderer {
    fn render(&self, report: &Report, out: &mut dyn Write) -> io::Result<()>;
}
