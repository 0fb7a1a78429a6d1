//! `ise-doctor check`: load the bundle (and the client certificate and pin when targets
//! need them), probe every target, diagnose each chain.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::Failure;
use crate::analysis::checks::mtls::ClientFacts;
use crate::analysis::{self, Policy, TargetExtras};
use crate::cli::Plan;
use crate::config::BundleChoice;
use crate::debug;
use crate::findings::worst_status;
use crate::model::{Bundle, BundleSource, Certificate, ProbeOutcome, Service, TargetSpec};
use crate::probe::{self, ClientCredentials, ProbeOptions};
use crate::report::{BundleReport, ClientReport, Report, TargetReport};

/// What `check` needs besides the targets.
pub struct CheckInputs<'a> {
    pub bundle: &'a BundleChoice,
    pub client: Option<&'a (PathBuf, PathBuf)>,
    pub pin: Option<&'a Path>,
    /// Apply the pin to every target, not only DataConnect ones (`--pin` was given).
    pub pin_everywhere: bool,
}

pub fn run(
    plan: &Plan,
    targets: &[TargetSpec],
    inputs: &CheckInputs<'_>,
    options: &ProbeOptions,
) -> Result<Report, Failure> {
    let bundle = choose_bundle(plan, inputs.bundle)?;

    let wants_client = targets.iter().any(|t| t.present_client_cert);
    let client = match inputs.client {
        Some((cert, key)) if wants_client => Some(load_client(plan, cert, key)?),
        _ => None,
    };
    let wants_pin =
        inputs.pin_everywhere || targets.iter().any(|t| t.kind == Some(Service::Dataconnect));
    let pin = match inputs.pin {
        Some(path) if wants_pin => Some(load_pin(plan, path)?),
        _ => None,
    };

    let mut options = options.clone();
    if let Some((_, credentials)) = &client {
        credentials
            .certified_key()
            .map_err(|e| Failure::new(format!("cannot use the client key: {e}"), None))?;
        options.client_identity = Some(Arc::clone(credentials));
    }
    let outcomes = block_on(probe::probe_all(targets, &options))?;

    let client_chain = client.as_ref().map(|(report, _)| report.chain.as_slice());
    let client_findings = client
        .as_ref()
        .map(|(report, _)| report.findings.as_slice());
    let mut report = assemble_with(
        "check",
        &plan.policy,
        bundle.clone(),
        targets,
        outcomes,
        RunExtras {
            pin: pin.as_ref(),
            pin_everywhere: inputs.pin_everywhere,
            client_chain,
            client_findings,
        },
    );
    report.client = client.map(|(report, _)| report);
    report.pin = pin;
    report.setup = analysis::diagnose_token(plan.env.get("ISE_API_TOKEN"));
    report.setup.extend(identity_permissions(plan));
    Ok(report)
}

/// The bundle a plan chose, loaded; the system store is marked as such.
fn choose_bundle(plan: &Plan, choice: &BundleChoice) -> Result<Bundle, Failure> {
    match choice {
        BundleChoice::File { path, .. } => load_bundle(plan, path),
        BundleChoice::SystemStore(path) => {
            debug!(
                1,
                "no bundle named: using the system trust store {}",
                path.display()
            );
            let mut bundle = load_bundle(plan, path)?;
            bundle.source = BundleSource::SystemStore(path.display().to_string());
            Ok(bundle)
        }
        BundleChoice::Missing(message) => Err(Failure::new(
            message.clone(),
            Some("CA_CERT_PATH".to_string()),
        )),
        BundleChoice::Nothing => Err(Failure::new(
            "no CA bundle: pass --ca FILE, set ISE_CA_CERT or CA_CERT_PATH",
            Some("--ca".to_string()),
        )),
    }
}

/// Reads the bundle (decrypting `.age`), or says which file could not be read and why.
pub fn load_bundle(plan: &Plan, path: &Path) -> Result<Bundle, Failure> {
    let bundle = crate::input::load_bundle_with(path, &secrets(plan))
        .map_err(|e| Failure::new(e.to_string(), Some(path.display().to_string())))?;
    debug!(
        1,
        "bundle {}: {} certificate(s)",
        path.display(),
        bundle.certs.len()
    );
    Ok(bundle)
}

/// The age identities and passphrase the plan and environment provide.
pub(crate) fn secrets(plan: &Plan) -> crate::input::SecretSources {
    crate::input::SecretSources {
        identity_files: plan.identity.iter().cloned().collect(),
        passphrase: plan
            .env
            .get("AGE_PASSPHRASE")
            .map(|p| zeroize::Zeroizing::new(p.to_string())),
    }
}

fn load_client(
    plan: &Plan,
    cert: &Path,
    key: &Path,
) -> Result<(ClientReport, Arc<ClientCredentials>), Failure> {
    let identity = crate::input::load_client_identity(cert, key, &secrets(plan))
        .map_err(|e| Failure::new(e.to_string(), Some(cert.display().to_string())))?;
    debug!(
        1,
        "client certificate {} with key {}",
        cert.display(),
        key.display()
    );

    let cert_path = cert.display().to_string();
    let key_path = key.display().to_string();
    let findings = client_findings(&identity, &cert_path, &key_path, &plan.policy);
    let credentials = ClientCredentials {
        chain: identity
            .chain
            .iter()
            .map(|c| rustls_pki_types::CertificateDer::from(c.der().to_vec()))
            .collect(),
        key: identity.key.clone_key(),
    };
    let report = ClientReport {
        cert_path,
        key_path,
        status: worst_status(&findings),
        chain: identity.chain.clone(),
        findings,
    };
    Ok((report, Arc::new(credentials)))
}

/// The local checks of a client certificate and key (shared by `check` and `store`).
pub(crate) fn client_findings(
    identity: &crate::input::ClientIdentity,
    cert_path: &str,
    key_path: &str,
    policy: &Policy,
) -> Vec<crate::findings::Finding> {
    let facts = ClientFacts {
        chain: &identity.chain,
        cert_path,
        key_path,
        key_matches: crate::input::key_matches(identity),
        key_mode: identity.key_mode,
    };
    analysis::diagnose_client(&facts, policy)
}

fn load_pin(plan: &Plan, path: &Path) -> Result<Certificate, Failure> {
    let pin = crate::input::load_certificate(path, &secrets(plan))
        .map_err(|e| Failure::new(e.to_string(), Some(path.display().to_string())))?;
    debug!(
        1,
        "DataConnect pin {} (sha256 {})",
        path.display(),
        pin.sha256
    );
    Ok(pin)
}

/// `store.key-permissions` for an age identity file readable by others: it unlocks
/// every `.age` secret, so it deserves the care of a private key.
fn identity_permissions(plan: &Plan) -> Option<crate::findings::Finding> {
    use std::os::unix::fs::PermissionsExt as _;

    let path = plan.identity.as_ref()?;
    let mode = std::fs::metadata(path).ok()?.permissions().mode();
    analysis::checks::mtls::key_permissions(&path.display().to_string(), mode, "age identity")
}

/// The report of a bundle on its own.
pub fn bundle_report(bundle: Bundle, policy: &Policy) -> BundleReport {
    let findings = analysis::diagnose_bundle(&bundle, policy);
    let issuers = analysis::bundle_issuers(&bundle);
    let status = policy.status(&findings);
    BundleReport {
        bundle,
        issuers,
        findings,
        status,
    }
}

/// What applies to some targets of a run: the pin and the client chain.
#[derive(Clone, Copy, Default)]
pub struct RunExtras<'a> {
    pub pin: Option<&'a Certificate>,
    /// The pin applies to every target, not only DataConnect ones.
    pub pin_everywhere: bool,
    pub client_chain: Option<&'a [Certificate]>,
    /// The local findings about the client certificate (key, validity, EKU).
    pub client_findings: Option<&'a [crate::findings::Finding]>,
}

/// Diagnoses probe outcomes against the bundle and builds the report.
pub fn assemble(
    command: &'static str,
    policy: &Policy,
    bundle: Bundle,
    targets: &[TargetSpec],
    outcomes: Vec<ProbeOutcome>,
) -> Report {
    assemble_with(
        command,
        policy,
        bundle,
        targets,
        outcomes,
        RunExtras::default(),
    )
}

/// [`assemble`] with a pin for DataConnect targets and a client chain for mTLS targets.
pub fn assemble_with(
    command: &'static str,
    policy: &Policy,
    bundle: Bundle,
    targets: &[TargetSpec],
    outcomes: Vec<ProbeOutcome>,
    extras: RunExtras<'_>,
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
                    .map(|f| format!(", failure {}", serde_json::to_string(f).unwrap_or_default()))
                    .unwrap_or_default()
            );
            let target_extras = TargetExtras {
                pin: extras
                    .pin
                    .filter(|_| extras.pin_everywhere || spec.kind == Some(Service::Dataconnect)),
                client_chain: extras.client_chain.filter(|_| spec.present_client_cert),
                client_findings: extras.client_findings.filter(|_| spec.present_client_cert),
            };
            let diagnosis =
                analysis::diagnose_target_with(spec, &outcome, &bundle, target_extras, policy);
            TargetReport {
                spec: spec.clone(),
                outcome,
                diagnosis,
            }
        })
        .collect();

    Report {
        bundle: Some(bundle_report(bundle, policy)),
        targets,
        ..Report::new(command, policy.now, policy.warn_days)
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
