//! `ise-doctor bundle FILE`: list and judge a CA bundle offline.

use std::path::Path;

use super::Failure;
use super::check::{bundle_report, load_bundle};
use crate::cli::Plan;
use crate::report::Report;

pub fn run(plan: &Plan, file: &Path) -> Result<Report, Failure> {
    let bundle = load_bundle(file)?;
    Ok(Report {
        command: "bundle",
        checked_at: plan.policy.now,
        warn_days: plan.policy.warn_days,
        bundle: Some(bundle_report(bundle, &plan.policy)),
        targets: Vec::new(),
    })
}
