//! `ise-doctor store [DIR]`: audit a cert store folder offline.
//!
//! Every bundle, client certificate and key pair, and pinned certificate under the folder
//! gets the same findings `check` would give it, and each enabled service is told what
//! it is missing (`store.missing-file`). Nothing is connected to; nothing is written.

use std::path::{Path, PathBuf};

use super::Failure;
use super::check::secrets;
use crate::analysis::checks::mtls::ClientFacts;
use crate::analysis::{self, Policy};
use crate::cli::Plan;
use crate::findings::{CertRef, Code, Finding, worst_status};
use crate::model::{BundleSource, Certificate, Service};
use crate::report::{Report, StoreFile, StoreReport};

/// Deepest folder level walked below the store root.
const MAX_DEPTH: usize = 4;
/// Most files looked at; a store is a handful of files, not a file system.
const MAX_FILES: usize = 500;

pub fn run(plan: &Plan, root: &Path, services: &[Service]) -> Result<Report, Failure> {
    let meta = std::fs::metadata(root).map_err(|e| {
        Failure::new(
            format!("cannot read cert store `{}`: {e}", root.display()),
            Some(root.display().to_string()),
        )
    })?;
    if !meta.is_dir() {
        return Err(Failure::new(
            format!("cert store `{}` is not a folder", root.display()),
            Some(root.display().to_string()),
        ));
    }

    let mut paths = Vec::new();
    walk(root, 0, &mut paths);
    paths.sort();

    let mut files = Vec::new();
    let mut handled: Vec<PathBuf> = Vec::new();
    for path in &paths {
        if handled.contains(path) {
            continue;
        }
        if is_key_name(path) {
            let cert = partner_cert(path, &paths);
            if let Some(cert) = &cert {
                handled.push(cert.clone());
            }
            files.push(audit_key(plan, path, cert.as_deref()));
            continue;
        }
        if paths
            .iter()
            .any(|k| is_key_name(k) && partner_cert(k, &paths).as_ref() == Some(path))
        {
            continue; // audited with its key
        }
        files.push(audit_cert_file(plan, path));
    }

    let missing = missing_for(services, &files, root);
    Ok(Report {
        store: Some(StoreReport {
            root: root.display().to_string(),
            // A file that cannot be read has no findings, only its status.
            status: files
                .iter()
                .map(|f| f.status)
                .chain(std::iter::once(worst_status(&missing)))
                .max()
                .unwrap_or(crate::findings::Status::Ok),
            files,
            findings: missing,
        }),
        ..Report::new("store", plan.policy.now, plan.policy.warn_days)
    })
}

fn walk(folder: &Path, depth: usize, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return;
    };
    for entry in entries.flatten() {
        if out.len() >= MAX_FILES {
            return;
        }
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() && depth < MAX_DEPTH {
            walk(&path, depth + 1, out);
        } else if kind.is_file() && is_candidate(&path) {
            out.push(path);
        }
    }
}

/// The name without a trailing `.age`.
fn plain_name(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    name.strip_suffix(".age").unwrap_or(&name).to_string()
}

fn is_candidate(path: &Path) -> bool {
    let name = plain_name(path).to_ascii_lowercase();
    [".crt", ".pem", ".cer", ".der", ".p7b", ".p7c", ".key"]
        .iter()
        .any(|ext| name.ends_with(ext))
}

fn is_key_name(path: &Path) -> bool {
    plain_name(path).to_ascii_lowercase().ends_with(".key")
}

/// `pxgrid-client.key` pairs with `pxgrid-client.crt` (or `.pem`, `.cer`, `.age` twins).
fn partner_cert(key: &Path, paths: &[PathBuf]) -> Option<PathBuf> {
    let name = plain_name(key);
    let stem = name
        .strip_suffix(".key")
        .or_else(|| name.strip_suffix(".KEY"))?;
    let folder = key.parent()?;
    paths
        .iter()
        .find(|p| {
            p.parent() == Some(folder)
                && !is_key_name(p)
                && ["crt", "pem", "cer"]
                    .iter()
                    .any(|ext| plain_name(p) == format!("{stem}.{ext}"))
        })
        .cloned()
}

fn audit_key(plan: &Plan, key: &Path, cert: Option<&Path>) -> StoreFile {
    let key_path = key.display().to_string();
    let Some(cert) = cert else {
        let mut findings = Vec::new();
        findings.extend(permissions(key));
        return StoreFile::new(
            &key_path,
            "private key",
            "no certificate of the same name",
            findings,
        );
    };

    let identity = match crate::input::load_client_identity(cert, key, &secrets(plan)) {
        Ok(identity) => identity,
        Err(e) => return StoreFile::unreadable(&key_path, &e.to_string()),
    };
    let cert_path = cert.display().to_string();
    let facts = ClientFacts {
        chain: &identity.chain,
        cert_path: &cert_path,
        key_path: &key_path,
        key_matches: crate::input::key_matches(&identity),
        key_mode: identity.key_mode,
    };
    let findings = analysis::diagnose_client(&facts, &plan.policy);
    let summary = identity
        .chain
        .first()
        .map(|leaf| describe(leaf, &plan.policy))
        .unwrap_or_default();
    let mut file = StoreFile::new(&cert_path, "client certificate and key", &summary, findings);
    file.partner = Some(key_path);
    file
}

fn permissions(key: &Path) -> Option<Finding> {
    use std::os::unix::fs::PermissionsExt as _;

    let mode = std::fs::metadata(key).ok()?.permissions().mode();
    (mode & 0o077 != 0).then(|| {
        Finding::new(
            Code::StoreKeyPermissions,
            format!(
                "The private key {} has mode {:04o}: readable by others.",
                key.display(),
                mode & 0o7777
            ),
        )
        .fix(format!(
            "Restrict it: `chmod 600 {}`.",
            analysis::advice::quote(&key.display().to_string())
        ))
    })
}

fn audit_cert_file(plan: &Plan, path: &Path) -> StoreFile {
    let shown = path.display().to_string();
    let bytes = match crate::input::read_file(path, "certificate file", &secrets(plan)) {
        Ok(bytes) => bytes,
        Err(e) => return StoreFile::unreadable(&shown, &e.to_string()),
    };
    let bundle = crate::input::parse_bundle(&bytes, BundleSource::File(shown.clone()));

    let all_ca = !bundle.certs.is_empty() && bundle.certs.iter().all(Certificate::is_ca);
    let single_leaf = bundle.certs.len() == 1 && !bundle.certs[0].is_ca();
    if single_leaf {
        let leaf = &bundle.certs[0];
        let self_signed = analysis::signature::is_self_signed(leaf);
        let kind = if self_signed {
            "pinned certificate"
        } else {
            "certificate"
        };
        return StoreFile::new(
            &shown,
            kind,
            &describe(leaf, &plan.policy),
            expiry(leaf, &plan.policy),
        );
    }

    let findings = analysis::diagnose_bundle(&bundle, &plan.policy);
    let kind = if all_ca { "CA bundle" } else { "certificates" };
    let names: Vec<&str> = bundle.certs.iter().map(Certificate::short_name).collect();
    let summary = format!(
        "{} certificate(s): {}",
        bundle.certs.len(),
        names.join(", ")
    );
    StoreFile::new(&shown, kind, &summary, findings)
}

fn describe(cert: &Certificate, policy: &Policy) -> String {
    format!(
        "`{}`, expires {} ({} days)",
        cert.subject,
        cert.not_after.date(),
        policy.now.days_until(cert.not_after)
    )
}

/// A pinned or single certificate: expired, or expiring within the window.
fn expiry(cert: &Certificate, policy: &Policy) -> Vec<Finding> {
    let days = policy.now.days_until(cert.not_after);
    let code = if policy.now > cert.not_after {
        Code::CertExpired
    } else if days < policy.warn_days {
        Code::CertExpiringSoon
    } else {
        return Vec::new();
    };
    vec![
        Finding::new(
            code,
            format!(
                "`{}` expires on {} ({days} days).",
                cert.subject,
                cert.not_after.date()
            ),
        )
        .cert(CertRef::of("certificate", cert))
        .fix("Export the current certificate from ISE and replace this file."),
    ]
}

/// `store.missing-file` for each enabled service without what it needs.
fn missing_for(services: &[Service], files: &[StoreFile], root: &Path) -> Vec<Finding> {
    let has = |kind: &str| files.iter().any(|f| f.kind == kind);
    let mut findings = Vec::new();
    let mut need = |service: Service, what: &str, file: &str| {
        findings.push(
            Finding::new(
                Code::StoreMissingFile,
                format!(
                    "{} is enabled, but {} holds no {what}.",
                    service.title(),
                    root.display()
                ),
            )
            .fix(format!(
                "Add it as {}/{file} (or name it in ise-doctor.toml).",
                root.display()
            )),
        );
    };

    let web = services
        .iter()
        .find(|s| matches!(s, Service::Ers | Service::Api));
    if let Some(&service) = web
        && !has("CA bundle")
    {
        need(service, "CA bundle", "<domain>/ise/ROOT-CA.crt");
    }
    if services.contains(&Service::Pxgrid) && !has("client certificate and key") {
        need(
            Service::Pxgrid,
            "client certificate and key",
            "<domain>/ise/pxgrid-client.crt and .key",
        );
    }
    if services.contains(&Service::Dataconnect) && !has("pinned certificate") {
        need(
            Service::Dataconnect,
            "pinned certificate",
            "<domain>/ise/dataconnect.crt",
        );
    }
    findings
}
