//! `ise-doctor fix`: plan the repair of the bundle, and with `--write` apply it safely.
//!
//! The steps: read the bundle (keeping a snapshot to detect later changes), probe the
//! targets, gather candidate issuers (presented chains, cert store, `--from`, system
//! store, then AIA URLs), plan with [`crate::analysis::repair`], and print the plan with
//! the current diagnosis. `--write` then checks the repaired bundle against every target
//! before touching the file, replaces it (backup, temp file, fsync, rename) and re-checks
//! for real: the printed report and the exit code are those of the re-check.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::check::{assemble, block_on, secrets};
use super::{Failure, Outcome};
use crate::analysis::repair::{self, RepairInput, RepairPlan};
use crate::analysis::{self, PathEnd};
use crate::cli::{FixPlan, Plan};
use crate::config::resolve::SYSTEM_STORES;
use crate::debug;
use crate::fix::sources::{self, SourceOptions};
use crate::fix::write;
use crate::input::{self, Seal};
use crate::model::{Bundle, BundleSource, Candidate, Certificate, ProbeOutcome};
use crate::probe;
use crate::report::{RepairReport, Report};

/// Time allowed for all AIA downloads of one run.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);

pub fn run(plan: &Plan, fix: &FixPlan) -> Result<Outcome, Failure> {
    let failure = |e: &dyn std::fmt::Display| {
        Failure::new(e.to_string(), Some(fix.bundle.display().to_string()))
    };
    let secrets = secrets(plan);

    let original = write::snapshot(&fix.bundle).map_err(|e| failure(&e))?;
    let plaintext = input::unseal(&fix.bundle, "CA bundle", &original.bytes, &secrets)
        .map_err(|e| failure(&e))?;
    let source = BundleSource::File(fix.bundle.display().to_string());
    let bundle = input::parse_bundle(&plaintext, source);

    let outcomes = block_on(probe::probe_all(&fix.targets, &fix.probe))?;
    let chains: Vec<(String, Vec<Certificate>)> = fix
        .targets
        .iter()
        .zip(&outcomes)
        .filter(|(_, o)| !o.presented.is_empty())
        .map(|(t, o)| (t.label.clone(), o.presented.clone()))
        .collect();

    let (repair_plan, notes) = plan_with_sources(plan, fix, &bundle, &chains);
    let mut report = assemble(
        "fix",
        &plan.policy,
        bundle.clone(),
        &fix.targets,
        outcomes.clone(),
    );
    let current_code = report.status().exit_code();
    let mut repair = RepairReport {
        bundle_path: fix.bundle.display().to_string(),
        plan: repair_plan,
        dry_run: !fix.write,
        written: None,
        key_saved_to: None,
        not_written: None,
        notes,
    };

    if !fix.write {
        let code = if repair.plan.unresolved.is_empty() {
            current_code
        } else {
            2
        };
        report.repair = Some(repair);
        return Ok(emit_with(plan, report, code));
    }
    if let Some(missing) = repair.plan.unresolved.first() {
        repair.not_written = Some(format!(
            "no acceptable repair: `{}` is still missing for {} (see above), so nothing was \
             written",
            missing.missing, missing.target
        ));
        report.repair = Some(repair);
        return Ok(emit_with(plan, report, 2));
    }
    if !repair.plan.changes_anything() {
        repair.not_written = Some("nothing to change: the bundle already fits".to_string());
        report.repair = Some(repair);
        return Ok(emit_with(plan, report, current_code));
    }
    if let Some(reason) = still_failing(plan, fix, &repair.plan, &outcomes) {
        repair.not_written = Some(reason);
        report.repair = Some(repair);
        return Ok(emit_with(plan, report, 2));
    }

    // Safe to write: save any private key first, then replace the bundle.
    repair.key_saved_to = save_private_keys(&fix.bundle, &plaintext, plan)?;
    let seal = seal_for(fix, &original.bytes, &secrets)?;
    let written = write::replace(
        &original,
        repair.plan.pem().as_bytes(),
        &seal,
        plan.policy.now,
    )
    .map_err(|e| failure(&e))?;
    debug!(
        1,
        "wrote {} (backup {})",
        written.path.display(),
        written.backup.display()
    );
    if !written.ownership_kept {
        repair.notes.push(format!(
            "{} now belongs to the user who ran fix (changing the owner needs root); its \
             mode is kept: check that its readers can still read it",
            written.path.display()
        ));
    }
    // The backup holds the private key the new bundle no longer has: protect it like
    // the key file itself.
    if repair.key_saved_to.is_some() {
        use std::os::unix::fs::PermissionsExt as _;

        let private = std::fs::Permissions::from_mode(0o600);
        if let Err(e) = std::fs::set_permissions(&written.backup, private) {
            repair.notes.push(format!(
                "the backup {} holds the private key and could not be made private ({e}): \
                 `chmod 600` it",
                written.backup.display()
            ));
        }
    }
    repair.written = Some((
        written.path.display().to_string(),
        written.backup.display().to_string(),
    ));

    // The re-check: read the file back from disk and probe again.
    let reread = match input::load_bundle_with(&fix.bundle, &secrets) {
        Ok(reread) => reread,
        Err(e) => {
            // Re-encrypted to `--recipient`s whose identities this run does not hold: the
            // re-check reads the plaintext just written, once the file is shown to hold
            // exactly the bytes written.
            let unchanged = write::snapshot(&fix.bundle)
                .is_ok_and(|now| now.sha256 == written.sha256 && !fix.recipients.is_empty());
            if !unchanged {
                return Err(failure(&e));
            }
            repair.notes.push(format!(
                "{} is now encrypted to --recipient, which the given identities do not \
                 open: the re-check used the content just written",
                fix.bundle.display()
            ));
            let source = BundleSource::File(fix.bundle.display().to_string());
            input::parse_bundle(repair.plan.pem().as_bytes(), source)
        }
    };
    let outcomes = block_on(probe::probe_all(&fix.targets, &fix.probe))?;
    let mut after = assemble("fix", &plan.policy, reread, &fix.targets, outcomes);
    let code = after.status().exit_code();
    after.repair = Some(repair);
    Ok(emit_with(plan, after, code))
}

/// Plans with the local candidates, then again with AIA downloads when issuers are still
/// missing and fetching is allowed.
fn plan_with_sources(
    plan: &Plan,
    fix: &FixPlan,
    bundle: &Bundle,
    chains: &[(String, Vec<Certificate>)],
) -> (RepairPlan, Vec<String>) {
    let options = SourceOptions {
        bundle_path: fix.bundle.clone(),
        store_root: fix.store_root.clone(),
        from: fix.from.clone(),
        system_store: SYSTEM_STORES.iter().map(PathBuf::from).find(|p| p.exists()),
        secrets: secrets(plan),
    };
    let mut candidates = sources::presented(chains);
    let (found, mut notes) = sources::files(&options);
    candidates.extend(found);

    let mut repair_plan = plan_once(plan, fix, bundle, chains, &candidates);
    let urls: Vec<String> = repair_plan
        .unresolved
        .iter()
        .flat_map(|u| u.ca_issuers.iter().cloned())
        .collect();
    if fix.fetch && !urls.is_empty() {
        debug!(1, "fetching missing issuers from {}", urls.join(", "));
        match block_on(sources::fetch_aia(&urls, FETCH_TIMEOUT)) {
            Ok((fetched, fetch_notes)) => {
                candidates.extend(fetched);
                notes.extend(fetch_notes);
                repair_plan = plan_once(plan, fix, bundle, chains, &candidates);
            }
            Err(e) => notes.push(e.message),
        }
    }
    (repair_plan, notes)
}

fn plan_once(
    plan: &Plan,
    fix: &FixPlan,
    bundle: &Bundle,
    chains: &[(String, Vec<Certificate>)],
    candidates: &[Candidate],
) -> RepairPlan {
    repair::plan(&RepairInput {
        bundle,
        targets: chains,
        candidates,
        trust_roots: &fix.trust_roots,
        drop_expired: fix.drop_expired,
        keep_order: fix.keep_order,
        policy: plan.policy,
    })
}

/// The reason not to write: a target the repaired bundle still does not anchor, or
/// one it anchored before and no longer does. `None` when every chain reaches it.
fn still_failing(
    plan: &Plan,
    fix: &FixPlan,
    repair_plan: &RepairPlan,
    outcomes: &[ProbeOutcome],
) -> Option<String> {
    let repaired = Bundle {
        certs: repair_plan.result.clone(),
        ..Bundle::none()
    };
    let repaired = Bundle {
        source: BundleSource::File(fix.bundle.display().to_string()),
        ..repaired
    };
    for (target, outcome) in fix.targets.iter().zip(outcomes) {
        if outcome.presented.is_empty() {
            continue;
        }
        let diagnosis = analysis::diagnose_target(target, outcome, &repaired, &plan.policy);
        let anchored = diagnosis
            .chain
            .as_ref()
            .and_then(|c| c.path.as_ref())
            .is_some_and(|p| matches!(p.end, PathEnd::Anchored { .. }));
        if !anchored {
            return Some(format!(
                "the repaired bundle still does not validate {}'s chain, so nothing was \
                 written; see the unresolved issuers above",
                target.label
            ));
        }
    }
    None
}

/// How to lock the new file: like the old one, or to `--recipient`s.
fn seal_for(
    fix: &FixPlan,
    on_disk: &[u8],
    secrets: &input::SecretSources,
) -> Result<Seal, Failure> {
    let bundle = fix.bundle.display().to_string();
    let seal = input::seal_like(&fix.bundle, "CA bundle", on_disk, secrets)
        .map_err(|e| Failure::new(e.to_string(), Some(bundle.clone())))?;
    if fix.recipients.is_empty() || matches!(seal, Seal::Plain) {
        return Ok(seal);
    }
    let recipients = fix
        .recipients
        .iter()
        .map(|r| input::parse_recipient(r))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Failure::new(e, Some("--recipient".to_string())))?;
    Ok(Seal::AgeRecipients(recipients))
}

/// Saves private-key blocks found in the bundle to `<bundle>.key-<time>` (mode 0600)
/// before the bundle is rewritten without them. Returns where, when there were any.
fn save_private_keys(
    bundle: &Path,
    plaintext: &[u8],
    plan: &Plan,
) -> Result<Option<String>, Failure> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;

    let text = String::from_utf8_lossy(plaintext);
    let mut keys = zeroize::Zeroizing::new(String::new());
    let mut inside = false;
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with("-----BEGIN") && trimmed.contains("PRIVATE KEY") {
            inside = true;
        }
        if inside {
            keys.push_str(trimmed);
            keys.push('\n');
        }
        if trimmed.starts_with("-----END") && trimmed.contains("PRIVATE KEY") {
            inside = false;
        }
    }
    if keys.is_empty() {
        return Ok(None);
    }

    let stamp = plan.policy.now.rfc3339().replace(['-', ':'], "");
    let path = PathBuf::from(format!("{}.key-{stamp}", bundle.display()));
    let cannot = |e: std::io::Error| {
        Failure::new(
            format!(
                "cannot save the private key found in the bundle to {}: {e}",
                path.display()
            ),
            Some(path.display().to_string()),
        )
    };
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .map_err(cannot)?;
    file.write_all(keys.as_bytes()).map_err(cannot)?;
    file.sync_all().map_err(cannot)?;
    Ok(Some(path.display().to_string()))
}

/// Renders the report and returns `code` (the fix's own exit code rule).
fn emit_with(plan: &Plan, report: Report, code: i32) -> Outcome {
    let rendered = super::emit(plan, &report);
    // A failure to write the report (exit 3) wins over the fix's code.
    Outcome::Done(if rendered == super::EXIT_UNABLE {
        rendered
    } else {
        code
    })
}
