//! `ise-doctor chain HOST[:PORT]`: show the presented chain; with `--ca`, judge trust.

use std::io::Write;
use std::path::Path;

use super::check::{assemble, block_on, load_bundle};
use super::{EXIT_UNABLE, Failure, Outcome};
use crate::cli::Plan;
use crate::model::{Bundle, TargetSpec};
use crate::probe::{self, ProbeOptions};

pub fn run(
    plan: &Plan,
    target: &TargetSpec,
    ca: Option<&Path>,
    pem: bool,
    options: &ProbeOptions,
) -> Result<Outcome, Failure> {
    let bundle = match ca {
        Some(path) => load_bundle(plan, path)?,
        None => Bundle::none(),
    };
    let outcome = block_on(probe::probe(target, options))?;

    if pem {
        return Ok(Outcome::Done(write_pem(target, &outcome)));
    }
    let mut report = assemble(
        "chain",
        &plan.policy,
        bundle,
        std::slice::from_ref(target),
        vec![outcome],
    );
    if ca.is_none() {
        // Without a bundle there is nothing to judge the bundle on.
        if let Some(b) = report.bundle.as_mut() {
            b.findings.clear();
            b.status = crate::findings::Status::Ok;
        }
    }
    Ok(Outcome::Report(Box::new(report)))
}

/// Prints the presented certificates as PEM; exit 0 when there were any, 2 otherwise.
fn write_pem(target: &TargetSpec, outcome: &crate::model::ProbeOutcome) -> i32 {
    if outcome.presented.is_empty() {
        // The same sentence as the report's finding, not the failure's debug form.
        let why = crate::analysis::checks::probe::check(target, outcome)
            .first()
            .map(|f| format!(" ({}): {}", f.code, f.message))
            .unwrap_or_default();
        eprintln!(
            "ise-doctor: error: {} presented no certificate{why}",
            target.label
        );
        return 2;
    }

    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for cert in &outcome.presented {
        if let Err(e) = out.write_all(cert.to_pem().as_bytes()) {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                return 0;
            }
            eprintln!("ise-doctor: error: cannot write PEM: {e}");
            return EXIT_UNABLE;
        }
    }
    0
}
