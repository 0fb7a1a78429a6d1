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
use crate::findings::{Finding, Status};
use crate::model::{Bundle, Moment, ProbeOutcome, TargetSpec};

/// What a command produced.
#[derive(Clone, Debug)]
pub struct Report {
    pub command: &'static str,
    pub checked_at: Moment,
    pub warn_days: i64,
    pub bundle: Option<BundleReport>,
    pub targets: Vec<TargetReport>,
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
    /// The worst status across the bundle and every target.
    pub fn status(&self) -> Status {
        let bundle = self.bundle.as_ref().map(|b| b.status);
        self.targets
            .iter()
            .map(|t| t.diagnosis.status)
            .chain(bundle)
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
