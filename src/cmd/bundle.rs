//! `ise-doctor bundle FILE`: list and judge a CA bundle offline.

use std::path::Path;

use super::Failure;
use super::check::{bundle_report, load_bundle};
use crate::cli::Plan;
use crate::report::Report;

pub fn run(plan: &Plan, file: &Path) -> Result<Report, Failure> {
    let bundle = load_bundle(plan, file)?;
    Ok(Report {
        bundle: Some(bundle_report(bundle, &plan.policy)),
        ..Report::new("bundle", plan.policy.now, plan.policy.warn_days)
    })
}
