//! The finding record and its severity scale.

use serde::Serialize;

use super::Code;
use crate::model::Certificate;

/// How bad a finding is. Ordered: `Info < Warning < Error`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// The verdict for a target or a bundle: the worst severity among its findings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Warning,
    Error,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Warning => "warning",
            Status::Error => "error",
        }
    }

    /// The monitoring-plugin exit code of this status: 0, 1 or 2.
    pub fn exit_code(self) -> i32 {
        match self {
            Status::Ok => 0,
            Status::Warning => 1,
            Status::Error => 2,
        }
    }
}

/// The status that a set of findings amounts to.
pub fn worst_status<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> Status {
    worst_status_for(findings, |_| true)
}

/// The status for the clients `selected` says matter: a finding that affects only
/// clients outside the selection counts as info (it is still reported).
pub fn worst_status_for<'a>(
    findings: impl IntoIterator<Item = &'a Finding>,
    selected: impl Fn(&str) -> bool,
) -> Status {
    findings
        .into_iter()
        .filter(|f| f.affects.is_empty() || f.affects.iter().any(|p| selected(p)))
        .map(|f| match f.severity {
            Severity::Info => Status::Ok,
            Severity::Warning => Status::Warning,
            Severity::Error => Status::Error,
        })
        .max()
        .unwrap_or(Status::Ok)
}

/// A certificate a finding is about, named so that a reader can find it: by subject and
/// fingerprint when we hold it, by subject and key identifier when it is missing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CertRef {
    /// What the certificate is in this finding: `leaf`, `intermediate`, `root`,
    /// `missing issuer`, `bundle`, …
    pub role: String,
    pub subject: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_after: Option<String>,
}

impl CertRef {
    /// A reference to a certificate we hold.
    pub fn of(role: &str, cert: &Certificate) -> CertRef {
        CertRef {
            role: role.to_string(),
            subject: cert.subject.clone(),
            sha256: Some(cert.sha256.clone()),
            key_id: cert.subject_key_id_hex(),
            not_after: Some(cert.not_after.rfc3339()),
        }
    }

    /// A reference to a certificate we do not hold (a missing issuer).
    pub fn missing(role: &str, subject: &str, key_id: Option<String>) -> CertRef {
        CertRef {
            role: role.to_string(),
            subject: subject.to_string(),
            sha256: None,
            key_id,
            not_after: None,
        }
    }
}

/// One observation with its fix.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub code: Code,
    pub severity: Severity,
    /// One or two sentences: what is wrong, in the operator's terms.
    pub message: String,
    pub certificates: Vec<CertRef>,
    /// Concrete steps, in order: commands with real paths, ISE menu paths.
    pub fix: Vec<String>,
    /// The client profiles this finding breaks (`openssl`, `python3.13`, …); empty when
    /// it breaks every client or cannot be attributed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub affects: Vec<String>,
}

impl Finding {
    /// A finding with the code's registered severity.
    pub fn new(code: Code, message: impl Into<String>) -> Finding {
        Finding {
            code,
            severity: code.severity(),
            message: message.into(),
            certificates: Vec::new(),
            fix: Vec::new(),
            affects: Vec::new(),
        }
    }

    pub fn cert(mut self, cert: CertRef) -> Finding {
        self.certificates.push(cert);
        self
    }

    pub fn fix(mut self, step: impl Into<String>) -> Finding {
        self.fix.push(step.into());
        self
    }

    /// Names the client profiles this finding breaks.
    pub fn affects<S: ToString>(mut self, profiles: impl IntoIterator<Item = S>) -> Finding {
        self.affects = profiles.into_iter().map(|p| p.to_string()).collect();
        self
    }
}
