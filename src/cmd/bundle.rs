//! `ise-doctor bundle FILE [--leaf CHAIN_FILE]`: list and judge a CA bundle offline, and
//! optionally a server chain from a file against it (the same diagnosis and client
//! verdicts as `check`, without a connection).

use std::path::Path;

use super::Failure;
use super::check::{assemble, bundle_report, load_bundle, secrets};
use crate::cli::Plan;
use crate::model::{ProbeOutcome, SanEntry, TargetSpec};
use crate::report::Report;

pub fn run(
    plan: &Plan,
    file: &Path,
    leaf: Option<&Path>,
    host: Option<&str>,
) -> Result<Report, Failure> {
    let bundle = load_bundle(plan, file)?;
    let Some(leaf) = leaf else {
        return Ok(Report {
            bundle: Some(bundle_report(bundle, &plan.policy)),
            ..Report::new("bundle", plan.policy.now, plan.policy.warn_days)
        });
    };

    // The chain file stands in for what a server would present, in the same order.
    let chain = crate::input::load_bundle_with(leaf, &secrets(plan))
        .map_err(|e| Failure::new(e.to_string(), Some(leaf.display().to_string())))?
        .certs;
    let Some(first) = chain.first() else {
        return Err(Failure::new(
            format!("`{}` holds no certificate to judge", leaf.display()),
            Some(leaf.display().to_string()),
        ));
    };
    let name = match host {
        Some(name) => name.to_string(),
        None => first
            .san
            .iter()
            .find_map(|s| match s {
                SanEntry::Dns(name) => Some(name.clone()),
                _ => None,
            })
            .or_else(|| first.common_name.clone())
            .unwrap_or_else(|| "localhost".to_string()),
    };

    let target = TargetSpec {
        label: leaf.display().to_string(),
        service: None,
        kind: None,
        present_client_cert: false,
        ..TargetSpec::new(&name, 443)
    };
    let outcome = ProbeOutcome {
        presented: chain,
        ..ProbeOutcome::default()
    };
    Ok(assemble(
        "bundle",
        &plan.policy,
        bundle,
        std::slice::from_ref(&target),
        vec![outcome],
    ))
}
