//! Mutual TLS (pxGrid): the client certificate and key, checked locally and against what
//! the server says it accepts.
//!
//! - `mtls.key-mismatch`: the private key does not belong to the certificate;
//! - `mtls.client-cert-expired`: expired or not yet valid;
//! - `mtls.missing-client-auth`: an EKU without clientAuth;
//! - `store.key-permissions`: the key file is readable by group or others;
//! - `mtls.client-ca-not-accepted`: none of our issuers is among the CA names the server
//!   listed in its CertificateRequest.
//!
//! When a server rejects the certificate (`mtls.client-cert-rejected`), [`explain_rejection`]
//! says which of these explains it, or that none does.

use crate::analysis::Policy;
use crate::analysis::advice::{self, ISE_TRUSTED};
use crate::findings::{CertRef, Code, Finding};
use crate::model::{Certificate, ProbeOutcome, TargetSpec};

/// What is known about the client certificate and key, as loaded.
#[derive(Clone, Debug)]
pub struct ClientFacts<'a> {
    /// Leaf first, then any chain that came with it.
    pub chain: &'a [Certificate],
    pub cert_path: &'a str,
    pub key_path: &'a str,
    /// `Ok(true)` when the key belongs to the leaf; `Err` when it could not be told.
    pub key_matches: Result<bool, String>,
    /// Unix permission bits of the key file, when known.
    pub key_mode: Option<u32>,
}

/// Checks the client certificate and key on their own.
pub fn local(client: &ClientFacts<'_>, policy: &Policy) -> Vec<Finding> {
    let mut findings = Vec::new();
    let Some(leaf) = client.chain.first() else {
        return findings;
    };

    if client.key_matches == Ok(false) {
        findings.push(
            Finding::new(
                Code::MtlsKeyMismatch,
                format!(
                    "The private key {} does not belong to the client certificate `{}` ({}): \
                     every mutual-TLS handshake will fail.",
                    client.key_path, leaf.subject, client.cert_path
                ),
            )
            .cert(CertRef::of("client certificate", leaf))
            .fix(format!(
                "Find the key generated with this certificate's request; compare with \
                 `openssl x509 -in {} -noout -pubkey` and `openssl pkey -in {} -pubout`: both \
                 must print the same key.",
                advice::quote(client.cert_path),
                advice::quote(client.key_path)
            ))
            .fix("If it is lost, generate a new key and CSR and have the certificate re-issued."),
        );
    }

    if policy.now > leaf.not_after || policy.now < leaf.not_before {
        let when = if policy.now > leaf.not_after {
            format!("expired on {}", leaf.not_after.date())
        } else {
            format!("is not valid before {}", leaf.not_before.rfc3339())
        };
        findings.push(
            Finding::new(
                Code::MtlsClientCertExpired,
                format!(
                    "The client certificate `{}` ({}) {when}.",
                    leaf.subject, client.cert_path
                ),
            )
            .cert(CertRef::of("client certificate", leaf))
            .fix(format!(
                "Renew it from `{}` and replace {}; for a pxGrid client issued by ISE's \
                 internal CA: Administration > pxGrid Services > Client Management > \
                 Certificates.",
                leaf.issuer,
                advice::quote(client.cert_path)
            )),
        );
    }

    if let Some(purposes) = &leaf.extended_key_usage
        && !purposes.iter().any(|p| p == "clientAuth")
    {
        findings.push(
            Finding::new(
                Code::MtlsMissingClientAuth,
                format!(
                    "The client certificate `{}` allows only {} (Extended Key Usage), not \
                     clientAuth: ISE refuses it for mutual TLS.",
                    leaf.subject,
                    purposes.join(", ")
                ),
            )
            .cert(CertRef::of("client certificate", leaf))
            .fix(
                "Re-issue it with Extended Key Usage clientAuth (OpenSSL: `extendedKeyUsage = \
                 clientAuth`; Vault: `client_flag=true` on the role).",
            ),
        );
    }

    // An age-encrypted key may be readable: only its plaintext is secret.
    if let Some(mode) = client.key_mode
        && !client.key_path.ends_with(".age")
    {
        findings.extend(key_permissions(client.key_path, mode, "private key"));
    }

    findings
}

/// `store.key-permissions` when a secret file (`what`: "private key", "age identity")
/// is readable by group or others.
pub fn key_permissions(path: &str, mode: u32, what: &str) -> Option<Finding> {
    if mode & 0o077 == 0 {
        return None;
    }
    let who = if mode & 0o007 != 0 {
        "every user"
    } else {
        "its group"
    };
    Some(
        Finding::new(
            Code::StoreKeyPermissions,
            format!(
                "The {what} {path} has mode {:04o}: readable by {who}.",
                mode & 0o7777
            ),
        )
        .fix(format!("Restrict it: `chmod 600 {}`.", advice::quote(path))),
    )
}

/// `mtls.client-ca-not-accepted` for a target that asked for a client certificate.
pub fn accepted_cas(
    target: &TargetSpec,
    outcome: &ProbeOutcome,
    chain: &[Certificate],
) -> Option<Finding> {
    let request = outcome.client_auth.as_ref()?;
    let leaf = chain.first()?;
    if !target.present_client_cert || request.acceptable_cas.is_empty() {
        return None;
    }

    // Any CA on our side of the chain counts: servers list roots or intermediates.
    let ours: Vec<String> = chain
        .iter()
        .map(|c| canonical(&c.issuer))
        .chain(chain.iter().skip(1).map(|c| canonical(&c.subject)))
        .collect();
    let accepted = request
        .acceptable_cas
        .iter()
        .any(|name| ours.contains(&canonical(name)));
    if accepted {
        return None;
    }

    // A leaf alone cannot show that its issuer chains to an accepted root: the server
    // needs the intermediates too, and so does this check.
    let leaf_alone = chain.len() == 1 && leaf.issuer != leaf.subject;
    let mut message = format!(
        "{}:{} accepts client certificates issued by {}, but the client certificate `{}` is \
         issued by `{}`.",
        target.host,
        target.port,
        request.acceptable_cas.join("; "),
        leaf.subject,
        leaf.issuer
    );
    if leaf_alone {
        message.push_str(&format!(
            " The client certificate file holds only the leaf: if `{}` is issued by an \
             accepted CA, the server cannot know it unless the client sends it.",
            leaf.issuer
        ));
    }

    let mut finding = Finding::new(Code::MtlsClientCaNotAccepted, message)
        .cert(CertRef::of("client certificate", leaf));
    if leaf_alone {
        finding = finding.fix(format!(
            "Append the issuing CA `{}` (and any CA above it but the root) to the client \
             certificate file, after the leaf, so the client presents the whole chain.",
            leaf.issuer
        ));
    }
    Some(
        finding
            .fix(format!(
                "Or, in ISE, {ISE_TRUSTED} > Import the CA `{}` with \"Trust for client \
                 authentication and Syslog\" ticked (pxGrid also needs it trusted for pxGrid).",
                leaf.issuer
            ))
            .fix("Or use a client certificate issued by one of the accepted CAs."),
    )
}

/// Completes each `mtls.client-cert-rejected` with the findings that explain it: the
/// local checks of the client certificate (`client`) and `mtls.client-ca-not-accepted`
/// among the target's own findings.
pub fn explain_rejection(findings: &mut [Finding], client: &[Finding]) {
    let causes: Vec<&'static str> = client
        .iter()
        .chain(findings.iter())
        .filter_map(|f| cause(f.code))
        .collect();
    let sentence = if causes.is_empty() {
        " None of the checks of the client certificate explains it: its key matches, it is \
         valid, it allows clientAuth and its issuer is not refused by name; look at how ISE \
         trusts its CA (\"Trust for client authentication\") and at its revocation status."
            .to_string()
    } else {
        format!(" This explains it: {}.", causes.join("; "))
    };
    for finding in findings
        .iter_mut()
        .filter(|f| f.code == Code::MtlsClientCertRejected)
    {
        finding.message.push_str(&sentence);
    }
}

/// The reason a finding gives a server to reject our client certificate.
fn cause(code: Code) -> Option<&'static str> {
    Some(match code {
        Code::MtlsKeyMismatch => {
            "the private key does not belong to the certificate, so the handshake signature \
             fails (mtls.key-mismatch)"
        }
        Code::MtlsClientCertExpired => {
            "the certificate is expired or not yet valid (mtls.client-cert-expired)"
        }
        Code::MtlsMissingClientAuth => {
            "its Extended Key Usage does not allow clientAuth (mtls.missing-client-auth)"
        }
        Code::MtlsClientCaNotAccepted => {
            "it is not issued by a CA the server accepts (mtls.client-ca-not-accepted)"
        }
        _ => return None,
    })
}

fn canonical(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rejected() -> Finding {
        Finding::new(Code::MtlsClientCertRejected, "ise-01:8910 rejected it.")
    }

    #[test]
    fn a_rejection_names_the_local_findings_that_explain_it() {
        let mut findings = vec![rejected()];
        let client = [
            Finding::new(Code::MtlsKeyMismatch, "key"),
            Finding::new(Code::StoreKeyPermissions, "mode"),
        ];
        explain_rejection(&mut findings, &client);
        let message = &findings[0].message;
        assert!(message.contains("(mtls.key-mismatch)"), "{message}");
        assert!(!message.contains("store.key-permissions"), "{message}");
    }

    #[test]
    fn a_rejection_nothing_explains_says_so() {
        let mut findings = vec![rejected(), Finding::new(Code::NameMismatch, "name")];
        explain_rejection(&mut findings, &[]);
        assert!(findings[0].message.contains("None of the checks"));
        assert_eq!(findings[1].message, "name", "other findings are left alone");
    }
}
