//! Pinned certificates (DataConnect): the presented leaf must be exactly the pinned one.
//!
//! - a match replaces the trust judgement: only the leaf's dates and host name are
//!   checked, as DataConnect clients do;
//! - `pin.mismatch`: another certificate is presented (ISE regenerated its DataConnect
//!   certificate, or ISE 3.3+ now presents the Admin chain).

use super::certs;
use crate::analysis::advice;
use crate::analysis::path::{ChainPath, PathCert, PathEnd};
use crate::analysis::{ChainDiagnosis, ChainInput, Policy, Verdict};
use crate::findings::{CertRef, Code, Finding};
use crate::model::Certificate;

/// The diagnosis when the leaf is the pinned certificate.
pub fn matched(input: &ChainInput<'_>, policy: &Policy) -> ChainDiagnosis {
    let leaf = &input.presented[0];
    let path = ChainPath {
        links: vec![PathCert {
            cert: leaf.clone(),
            presented_at: Some(0),
            bundle_at: None,
            self_signed: crate::analysis::signature::is_self_signed(leaf),
            signature: None,
            above_anchor: false,
        }],
        end: PathEnd::Anchored { anchor: 0 },
        near_misses: Vec::new(),
        budget_exhausted: false,
    };
    let mut findings = certs::leaf_only(input, &path, policy);
    findings.sort_by_key(|f| (std::cmp::Reverse(f.severity), f.code));

    ChainDiagnosis {
        clients: Default::default(),
        path: Some(path),
        verdict: None,
        pinned: Some(true),
        findings,
    }
}

/// `pin.mismatch`: what is presented is not the pinned certificate.
pub fn mismatch(input: &ChainInput<'_>, pin: &Certificate, verdict: Option<&Verdict>) -> Finding {
    let leaf = &input.presented[0];
    let mut message = format!(
        "The server presents `{}` (sha256 {}, valid {} to {}), not the pinned certificate \
         `{}` (sha256 {}, valid {} to {}).",
        leaf.subject,
        leaf.sha256,
        leaf.not_before.date(),
        leaf.not_after.date(),
        pin.subject,
        pin.sha256,
        pin.not_before.date(),
        pin.not_after.date()
    );
    let ca_issued = verdict.is_some_and(|v| v.ok);
    if ca_issued {
        message.push_str(
            " The new chain validates against your bundle: ISE 3.3 and later present the \
             Admin certificate on DataConnect, so clients can trust the CA bundle instead of \
             a pin.",
        );
    } else {
        message.push_str(
            " ISE regenerates its DataConnect certificate on some upgrades and restores; \
             clients that pin the old one fail.",
        );
    }

    let finding = Finding::new(Code::PinMismatch, message)
        .cert(CertRef::of("presented", leaf))
        .cert(CertRef::of("pinned", pin));
    if ca_issued {
        return finding
            .fix(
                "Switch the DataConnect clients from the pin to the CA bundle (their Oracle \
                 wallet or JDBC truststore then holds your root and issuing CA), and retire \
                 the pin.",
            )
            .fix(format!(
                "Re-check without the pin: `ise-doctor check {} --ca {}` (remove `--pin`, the \
                 config's [dataconnect] pin, or dataconnect.crt next to the bundle).",
                input.host_port,
                advice::quote(input.bundle.display_path())
            ));
    }
    finding
        .fix(format!(
            "Confirm the change is ISE's own: in ISE, Administration > System > Settings > \
             DataConnect shows the current certificate; compare its fingerprint with sha256 {} \
             out of band, not over this connection.",
            leaf.sha256
        ))
        .fix(format!(
            "Then replace the pin with it: export it from ISE (DataConnect > Export), or save \
             the certificate the server sends once its fingerprint is confirmed: \
             `ise-doctor chain {} --pem | openssl x509 -out dataconnect.crt`.",
            input.host_port
        ))
        .fix(format!(
            "Keep the old pin until every DataConnect client has the new one, then re-check: \
             `ise-doctor check {} --ca {} --pin dataconnect.crt`.",
            input.host_port,
            advice::quote(input.bundle.display_path())
        ))
}
