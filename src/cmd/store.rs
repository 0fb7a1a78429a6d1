//! `ise-doctor store [DIR]`: audit a cert store folder offline.
//!
//! Every bundle, client certificate and key pair, and pinned certificate under the folder
//! gets the same findings `check` would give it, and each enabled service is told what
//! it is missing (`store.missing-file`). Nothing is connected to; nothing is written.
//!
//! Symbolic links are followed, as `check` follows them; a folder reached twice is walked
//! once. What has a certificate or key name but cannot be read (a dangling link, a link
//! loop, a FIFO, a socket, a device, an over-large file) is listed as `unreadable`, never
//! opened, and so is a folder that cannot be listed. The walk stops at [`MAX_FILES`]
//! files and [`MAX_DEPTH`] folder levels, and says so (`store.incomplete-audit`).

use std::collections::{HashMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};

use super::Failure;
use super::check::secrets;
use crate::analysis::{self, Policy};
use crate::cli::Plan;
use crate::findings::{CertRef, Code, Finding, Status, worst_status};
use crate::model::{BundleSource, Certificate, Service};
use crate::report::{Report, StoreFile, StoreReport};

/// Deepest folder level walked below the store root (the root's own files are level 0).
/// A store is `certs/<domain>/ise/…` with a few backup folders: 8 levels is ample.
const MAX_DEPTH: usize = 8;
/// Most files listed; a store is a handful of files, not a file system.
const MAX_FILES: usize = 5000;
/// Certificate names shown in a bundle's summary line; the rest are counted.
const MAX_NAMES: usize = 5;

pub fn run(plan: &Plan, root: &Path, services: &[Service]) -> Result<Report, Failure> {
    let cannot = |e: std::io::Error| {
        Failure::new(
            format!("cannot read cert store `{}`: {e}", root.display()),
            Some(root.display().to_string()),
        )
    };
    let meta = fs::metadata(root).map_err(cannot)?;
    if !meta.is_dir() {
        return Err(Failure::new(
            format!("cert store `{}` is not a folder", root.display()),
            Some(root.display().to_string()),
        ));
    }
    let entries = fs::read_dir(root).map_err(cannot)?;

    let mut walk = Walk::default();
    if let Ok(canonical) = fs::canonicalize(root) {
        walk.visited.insert(canonical);
    }
    walk.entries(entries, 0);
    let mut paths = std::mem::take(&mut walk.files);
    paths.sort();

    // Each key with the certificate of the same name, audited as one.
    let listed: HashSet<&Path> = paths.iter().map(PathBuf::as_path).collect();
    let pairs: HashMap<&Path, PathBuf> = paths
        .iter()
        .filter(|p| is_key_name(p))
        .filter_map(|key| Some((key.as_path(), partner_cert(key, &listed)?)))
        .collect();
    let partnered: HashSet<&Path> = pairs.values().map(PathBuf::as_path).collect();

    let mut files = Vec::new();
    for path in &paths {
        if is_key_name(path) {
            let cert = pairs.get(path.as_path());
            files.push(audit_key(plan, path, cert.map(PathBuf::as_path)));
        } else if !partnered.contains(path.as_path()) {
            files.push(audit_cert_file(plan, path));
        }
    }
    for (path, reason) in &walk.unreadable {
        files.push(StoreFile::unreadable(&path.display().to_string(), reason));
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));

    let mut findings = walk.limits(root);
    findings.extend(missing_for(services, &files, root));
    Ok(Report {
        store: Some(StoreReport {
            root: root.display().to_string(),
            // The worst of every file (an unreadable one has no findings, only its
            // status) and of the store's own findings.
            status: files
                .iter()
                .map(|f| f.status)
                .chain(std::iter::once(worst_status(&findings)))
                .max()
                .unwrap_or(Status::Ok),
            files,
            findings,
        }),
        ..Report::new("store", plan.policy.now, plan.policy.warn_days)
    })
}

/// What the walk of a store found: candidate files to audit, entries that cannot be,
/// and where it stopped.
#[derive(Default)]
struct Walk {
    files: Vec<PathBuf>,
    /// Entries with a candidate name that are not readable files (dangling links, link
    /// loops, FIFOs, sockets, devices), and folders that cannot be listed; with why.
    unreadable: Vec<(PathBuf, String)>,
    /// Canonical paths of the folders walked: a link back to one is not walked again.
    visited: HashSet<PathBuf>,
    /// The first candidate left out once [`MAX_FILES`] entries were listed.
    past_file_limit: Option<PathBuf>,
    /// Folders below [`MAX_DEPTH`], not walked.
    too_deep: Vec<PathBuf>,
}

impl Walk {
    fn listed(&self) -> usize {
        self.files.len() + self.unreadable.len()
    }

    /// Lists `folder` (at `depth`), then each of its entries in name order.
    fn folder(&mut self, folder: &Path, depth: usize) {
        match fs::read_dir(folder) {
            Ok(entries) => self.entries(entries, depth),
            Err(e) => self.unreadable(folder, format!("this folder cannot be listed: {e}")),
        }
    }

    /// Real entries first, then links, each in name order: a file reached both ways is
    /// listed under its real path.
    fn entries(&mut self, entries: fs::ReadDir, depth: usize) {
        let mut paths: Vec<(bool, PathBuf)> = entries
            .flatten()
            .map(|e| (e.file_type().is_ok_and(|t| t.is_symlink()), e.path()))
            .collect();
        paths.sort();
        for (_, path) in paths {
            if self.past_file_limit.is_some() {
                return;
            }
            self.entry(&path, depth);
        }
    }

    /// One folder entry. `fs::metadata` follows symbolic links, as `check` does; nothing
    /// but a regular file is ever opened (opening a FIFO blocks until a writer comes).
    fn entry(&mut self, path: &Path, depth: usize) {
        let meta = match fs::metadata(path) {
            Ok(meta) => meta,
            Err(e) => {
                if is_candidate(path) {
                    self.unreadable(path, cannot_follow(path, &e));
                }
                return;
            }
        };
        if meta.is_dir() {
            if depth >= MAX_DEPTH {
                self.too_deep.push(path.to_path_buf());
                return;
            }
            match fs::canonicalize(path) {
                // Already walked when not new: a link back to an enclosing folder, or a
                // second name for one. Its files are audited once, under their first path.
                Ok(canonical) => {
                    if self.visited.insert(canonical) {
                        self.folder(path, depth + 1);
                    }
                }
                Err(e) => self.unreadable(path, format!("this folder cannot be resolved: {e}")),
            }
        } else if !is_candidate(path) {
            // Not a certificate or key name: not audited, not counted.
        } else if meta.is_file() {
            if self.listed() >= MAX_FILES {
                self.past_file_limit = Some(path.to_path_buf());
            } else {
                self.files.push(path.to_path_buf());
            }
        } else {
            let reason = format!(
                "{}, not a file",
                crate::input::special_file_kind(&meta.file_type())
            );
            self.unreadable(path, reason);
        }
    }

    fn unreadable(&mut self, path: &Path, reason: String) {
        if self.listed() >= MAX_FILES {
            self.past_file_limit
                .get_or_insert_with(|| path.to_path_buf());
        } else {
            self.unreadable.push((path.to_path_buf(), reason));
        }
    }

    /// `store.incomplete-audit` for each limit the walk reached.
    fn limits(&self, root: &Path) -> Vec<Finding> {
        let narrower = format!(
            "Audit a narrower folder than {}: the domain folder CA_CERT_PATH names, or one \
             below it.",
            root.display()
        );
        let mut findings = Vec::new();
        if let Some(first) = &self.past_file_limit {
            findings.push(
                Finding::new(
                    Code::StoreIncompleteAudit,
                    format!(
                        "The audit stopped after {MAX_FILES} files: files beyond were not \
                         audited, from {} on.",
                        first.display()
                    ),
                )
                .fix(narrower.clone()),
            );
        }
        if let Some(first) = self.too_deep.first() {
            let others = match self.too_deep.len() {
                1 => String::new(),
                n => format!(
                    " and {} other folder{}",
                    n - 1,
                    if n == 2 { "" } else { "s" }
                ),
            };
            findings.push(
                Finding::new(
                    Code::StoreIncompleteAudit,
                    format!(
                        "The audit stopped at depth {MAX_DEPTH}: files beyond were not \
                         audited, in {}{others}.",
                        first.display()
                    ),
                )
                .fix(narrower),
            );
        }
        findings
    }
}

/// Why a path whose metadata cannot be read is not audited.
fn cannot_follow(path: &Path, error: &std::io::Error) -> String {
    let is_link = fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    if !is_link {
        return format!("it cannot be read: {error}");
    }
    let target = fs::read_link(path)
        .map(|t| format!(" to {}", t.display()))
        .unwrap_or_default();
    if error.kind() == std::io::ErrorKind::NotFound {
        format!("dangling symbolic link{target}: what it names does not exist")
    // `ErrorKind::FilesystemLoop` (ELOOP) is not stable yet; its name is.
    } else if format!("{:?}", error.kind()) == "FilesystemLoop" {
        format!("symbolic link loop{target}: it leads back to itself")
    } else {
        format!("symbolic link{target} that cannot be followed: {error}")
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

/// `pxgrid-client.key` pairs with `pxgrid-client.crt` (or `.pem`, `.cer`, `.age` twins)
/// in the same folder; the first in name order when there are several.
fn partner_cert(key: &Path, listed: &HashSet<&Path>) -> Option<PathBuf> {
    let name = plain_name(key);
    let stem = &name[..name.len().checked_sub(".key".len())?];
    let folder = key.parent()?;
    let mut found: Vec<PathBuf> = ["crt", "pem", "cer"]
        .iter()
        .flat_map(|ext| [format!("{stem}.{ext}"), format!("{stem}.{ext}.age")])
        .map(|name| folder.join(name))
        .filter(|path| listed.contains(path.as_path()))
        .collect();
    found.sort();
    found.into_iter().next()
}

fn audit_key(plan: &Plan, key: &Path, cert: Option<&Path>) -> StoreFile {
    let key_path = key.display().to_string();
    let Some(cert) = cert else {
        // Alone, it is still read: a `.key` file that holds no key is no key.
        let bytes = match crate::input::read_file(key, "private key", &secrets(plan)) {
            Ok(bytes) => bytes,
            Err(e) => return StoreFile::unreadable(&key_path, &e.to_string()),
        };
        if !holds_private_key(&bytes) {
            return StoreFile::unreadable(&key_path, "it holds no private key");
        }
        return StoreFile::new(
            &key_path,
            "private key",
            "no certificate of the same name",
            permissions(key).into_iter().collect(),
        );
    };

    let identity = match crate::input::load_client_identity(cert, key, &secrets(plan)) {
        Ok(identity) => identity,
        Err(e) => return StoreFile::unreadable(&key_path, &e.to_string()),
    };
    let cert_path = cert.display().to_string();
    let findings = super::check::client_findings(&identity, &cert_path, &key_path, &plan.policy);
    let summary = identity
        .chain
        .first()
        .map(|leaf| describe(leaf, &plan.policy))
        .unwrap_or_default();
    let mut file = StoreFile::new(&cert_path, "client certificate and key", &summary, findings);
    file.partner = Some(key_path);
    file
}

/// Whether a key file's bytes hold a private key: a PEM `… PRIVATE KEY` block (encrypted
/// ones included), or DER shaped like one (`SEQUENCE { INTEGER, … }`: PKCS#8, PKCS#1 and
/// SEC1 all start so; a certificate starts `SEQUENCE { SEQUENCE, … }`). Pairing a key
/// with its certificate decodes it for real.
fn holds_private_key(bytes: &[u8]) -> bool {
    if memchr::memmem::find(bytes, b"-----BEGIN").is_some() {
        return bytes.split(|&b| b == b'\n' || b == b'\r').any(|line| {
            line.trim_ascii()
                .strip_prefix(b"-----BEGIN ")
                .and_then(|rest| rest.strip_suffix(b"-----"))
                .is_some_and(|label| label.ends_with(b"PRIVATE KEY"))
        });
    }
    let header = match bytes {
        [0x30, len, ..] if *len < 0x80 => 2,
        [0x30, len, ..] => 2 + usize::from(len & 0x7f),
        _ => return false,
    };
    bytes.get(header) == Some(&0x02)
}

/// `store.key-permissions` for a key file readable by others (the same rule as `check`).
fn permissions(key: &Path) -> Option<Finding> {
    use std::os::unix::fs::PermissionsExt as _;

    let mode = std::fs::metadata(key).ok()?.permissions().mode();
    let shown = key.display().to_string();
    analysis::checks::mtls::key_permissions(&shown, mode, "private key")
}

fn audit_cert_file(plan: &Plan, path: &Path) -> StoreFile {
    let shown = path.display().to_string();
    let bytes = match crate::input::read_file(path, "certificate file", &secrets(plan)) {
        Ok(bytes) => bytes,
        Err(e) => return StoreFile::unreadable(&shown, &e.to_string()),
    };
    let bundle = crate::input::parse_bundle(&bytes, BundleSource::File(shown.clone()));

    let all_ca = !bundle.certs.is_empty() && bundle.certs.iter().all(Certificate::is_ca);
    // `openssl req -x509` marks a self-signed certificate CA:TRUE by default: by its
    // name, DataConnect's is a pin whatever its basicConstraints.
    let pin_name = plain_name(path)
        .to_ascii_lowercase()
        .starts_with("dataconnect");
    if let [cert] = bundle.certs.as_slice()
        && (pin_name || !cert.is_ca())
    {
        let kind = if pin_name || analysis::signature::is_self_signed(cert) {
            "pinned certificate"
        } else {
            "certificate"
        };
        return StoreFile::new(
            &shown,
            kind,
            &describe(cert, &plan.policy),
            expiry(cert, &plan.policy),
        );
    }

    let findings = analysis::diagnose_bundle(&bundle, &plan.policy);
    let kind = if all_ca { "CA bundle" } else { "certificates" };
    StoreFile::new(&shown, kind, &names(&bundle.certs), findings)
}

/// `N certificate(s): A, B, C, D, E and 5 more`.
fn names(certs: &[Certificate]) -> String {
    let mut names: Vec<&str> = certs
        .iter()
        .take(MAX_NAMES)
        .map(Certificate::short_name)
        .collect();
    let more = certs.len().saturating_sub(MAX_NAMES);
    let more = if more > 0 {
        format!(" and {more} more")
    } else {
        String::new()
    };
    if names.is_empty() {
        names.push("none");
    }
    format!("{} certificate(s): {}{more}", certs.len(), names.join(", "))
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

/// `store.missing-file` for each enabled service without what it needs. A file with the
/// expected name that could not be read is not missing: its own entry says what is wrong.
fn missing_for(services: &[Service], files: &[StoreFile], root: &Path) -> Vec<Finding> {
    let has = |kind: &str, names: &[&str]| {
        files.iter().any(|f| {
            f.kind == kind
                || (f.kind == "unreadable"
                    && names.contains(&plain_name(Path::new(&f.path)).as_str()))
        })
    };
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
        && !has("CA bundle", &["ROOT-CA.crt"])
    {
        need(service, "CA bundle", "ise/ROOT-CA.crt");
    }
    let client = "client certificate and key";
    if services.contains(&Service::Pxgrid)
        && !has(client, &["pxgrid-client.crt", "pxgrid-client.key"])
    {
        need(Service::Pxgrid, client, "ise/pxgrid-client.crt and .key");
    }
    if services.contains(&Service::Dataconnect) && !has("pinned certificate", &["dataconnect.crt"])
    {
        need(
            Service::Dataconnect,
            "pinned certificate",
            "ise/dataconnect.crt",
        );
    }
    findings
}
