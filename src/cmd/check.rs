//! `ise-doctor check`: load the bundle, probe every target, diagnose each chain.

use std::path::Path;

use super::Failure;
use crate::analysis::{self, Policy};
use crate::cli::Plan;
use crate::debug;
use crate::findings::worst_status;
use crate::model::{Bundle, TargetSpec};
use crate::probe::{self, ProbeOptions};
use crate::report::{BundleReport, Report, TargetReport};

pub fn run(
    plan: &Plan,
    targets: &[TargetSpec],
    ca: &Path,
    options: &ProbeOptions,
) -> Result<Report, Failure> {
    let bundle = load_bundle(ca)?;
    let outcomes = block_on(probe::probe_all(targets, options))?;
    Ok(assemble("check", &plan.policy, bundle, targets, outcomes))
}

/// Reads the bundle, or says which file could not be read and why.
pub fn load_bundle(path: &Path) -> Result<Bundle, Failure> {
    let bundle = crate::input::load_bundle(path)
        .map_err(|e| Failure::new(e.to_string(), Some(path.display().to_string())))?;
    debug!(
        1,
        "bundle {}: {} certificate(s)",
        path.display(),
        bundle.certs.len()
    );
    Ok(bundle)
}

/// The report of a bundle on its own.
pub fn bundle_report(bundle: Bundle, policy: &Policy) -> BundleReport {
    let findings = analysis::diagnose_bundle(&bundle, policy);
    let issuers = analysis::bundle_issuers(&bundle);
    let status = worst_status(&findings);
    BundleReport {
        bundle,
        issuers,
        findings,
        status,
    }
}

/// Diagnoses probe outcomes against the bundle and builds the report.
pub fn assemble(
    command: &'static str,
    policy: &Policy,
    bundle: Bundle,
    targets: &[TargetSpec],
    outcomes: Vec<crate::model::ProbeOutcome>,
) -> Report {
    let targets = targets
        .iter()
        .zip(outcomes)
        .map(|(spec, outcome)| {
            debug!(
                1,
                "{}: {} certificate(s) presented in {} ms{}",
                spec.label,
                outcome.presented.len(),
                outcome.elapsed_ms,
                outcome
                    .failure
                    .as_ref()
                    .map(|f| format!(", failure {f:?}"))
                    .unwrap_or_default()
            );
            let diagnosis = analysis::diagnose_target(spec, &outcome, &bundle, policy);
            TargetReport {
                spec: spec.clone(),
                outcome,
                diagnosis,
            }
        })
        .collect();

    Report {
        command,
        checked_at: policy.now,
        warn_days: policy.warn_days,
        bundle: Some(bundle_report(bundle, policy)),
        targets,
    }
}

/// Runs a future on a single-threaded runtime (probes are I/O-bound and few). A DNS
/// lookup abandoned at its timeout keeps a blocking thread busy; shutting down with a
/// short grace period keeps it from holding the program at exit.
pub fn block_on<F: std::future::Future>(future: F) -> Result<F::Output, Failure> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::new(format!("cannot start the async runtime: {e}"), None))?;
    let output = runtime.block_on(future);
    runtime.shutdown_timeout(std::time::Duration::from_millis(100));
    Ok(output)
}
