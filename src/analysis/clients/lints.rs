//! RFC 5280 strict-mode lints (`strict.*`) on the chain a strict verifier builds.
//!
//! They follow OpenSSL 3.0's `X509_V_FLAG_X509_STRICT` checks, which Python 3.13 turns on
//! by default: they run only on chains of two or more certificates, and the AKI rule
//! spares the last certificate (the anchor). Each lint names the profiles it breaks and
//! a fix in the CA's issuing configuration, because re-issuing is the cure.
//!
//! - `strict.missing-aki`: no AKI keyIdentifier below the anchor (error 85);
//! - `strict.missing-ski`: a CA without SKI (86);
//! - `strict.bc-not-critical`: a CA whose basicConstraints is not critical (89);
//! - `strict.ca-missing-key-usage`: a CA without keyUsage (92);
//! - `strict.ca-without-keycertsign`: an issuer whose keyUsage lacks keyCertSign (79);
//! - `strict.leaf-is-ca`: a CA:TRUE server certificate (webpki's CaUsedAsEndEntity);
//! - `strict.serial-not-positive`: a zero or negative serial (Go ≥ 1.23);
//! - `strict.version-one-ca`: a v1 certificate issuing below the root;
//! - `strict.empty-subject`: an empty subject on a CA or without a critical SAN;
//! - `strict.key-id-critical`: a critical AKI or SKI;
//! - `strict.empty-san`: a subjectAltName extension without names.

use super::{PathCert, Profile};
use crate::findings::{CertRef, Code, Finding};
use crate::model::Certificate;

/// One strict rule a certificate breaks.
#[derive(Clone, Debug)]
pub struct Violation<'c> {
    pub code: Code,
    pub cert: &'c Certificate,
    /// `leaf`, `intermediate` or `root`.
    pub role: &'static str,
    /// The rule as a verdict reason, with OpenSSL's error number.
    pub rule: String,
    pub affects: &'static [Profile],
}

const PYTHON: &[Profile] = &[Profile::Python313];
const CA_SIGNING: &[Profile] = &[Profile::Openssl, Profile::Python313, Profile::Java];
const ALL: &[Profile] = &Profile::ALL;

/// The strict rules broken along `chain` (leaf first), in depth order.
pub fn violations<'c>(chain: &[&'c PathCert]) -> Vec<Violation<'c>> {
    let mut found = Vec::new();
    let last = chain.len().saturating_sub(1);
    for (depth, link) in chain.iter().enumerate() {
        let cert = &link.cert;
        let role = super::super::checks::role(depth, link);
        let mut add = |code: Code, rule: String, affects: &'static [Profile]| {
            found.push(Violation {
                code,
                cert,
                role,
                rule,
                affects,
            })
        };
        let name = &cert.subject;
        let ca = cert.is_ca();
        let strict = chain.len() > 1;

        if strict && depth < last && cert.version >= 3 && cert.authority_key_id.is_none() {
            add(
                Code::StrictMissingAki,
                format!("AKI missing on `{name}` (X509_V_FLAG_X509_STRICT, error 85)"),
                PYTHON,
            );
        }
        if strict && ca && cert.subject_key_id.is_none() {
            add(
                Code::StrictMissingSki,
                format!("SKI missing on CA `{name}` (X509_V_FLAG_X509_STRICT, error 86)"),
                PYTHON,
            );
        }
        if strict
            && cert
                .basic_constraints
                .is_some_and(|bc| bc.ca && !bc.critical)
        {
            add(
                Code::StrictBcNotCritical,
                format!(
                    "basicConstraints of CA `{name}` not critical (X509_V_FLAG_X509_STRICT, \
                     error 89)"
                ),
                PYTHON,
            );
        }
        if strict && ca && cert.key_usage.is_none() {
            add(
                Code::StrictCaMissingKeyUsage,
                format!("CA `{name}` has no keyUsage (X509_V_FLAG_X509_STRICT, error 92)"),
                PYTHON,
            );
        }
        if depth > 0 && ca && cert.key_usage.is_some_and(|ku| !ku.key_cert_sign) {
            add(
                Code::StrictCaWithoutKeycertsign,
                format!("keyUsage of issuer `{name}` lacks keyCertSign (error 79)"),
                CA_SIGNING,
            );
        }
        if depth == 0 && ca {
            add(
                Code::StrictLeafIsCa,
                format!("the server certificate `{name}` is CA:TRUE (CaUsedAsEndEntity)"),
                &[Profile::Webpki],
            );
        }
        if !cert.strict.serial_positive {
            add(
                Code::StrictSerialNotPositive,
                format!("serial of `{name}` is not positive (Go: negative serial)"),
                &[Profile::Go],
            );
        }
        if depth > 0 && cert.version == 1 && !link.self_signed {
            add(
                Code::StrictV1Ca,
                format!("v1 certificate `{name}` used as an intermediate CA"),
                ALL,
            );
        }
        let san_critical = cert.strict.san_present && cert.strict.san_critical;
        if strict && cert.subject_is_empty() && (ca || !san_critical) {
            add(
                Code::StrictEmptySubject,
                format!(
                    "empty subject on a certificate issued by `{}` (X509_V_FLAG_X509_STRICT, \
                     error 88/91)",
                    cert.issuer
                ),
                PYTHON,
            );
        }
        if strict && (cert.strict.aki_critical || cert.strict.ski_critical) {
            add(
                Code::StrictKeyIdCritical,
                format!("key identifier marked critical on `{name}` (error 93/94)"),
                PYTHON,
            );
        }
        if strict && cert.strict.san_present && cert.san.is_empty() {
            add(
                Code::StrictEmptySan,
                format!("empty subjectAltName on `{name}` (error 90)"),
                PYTHON,
            );
        }
    }
    found
}

/// The violations as findings, each with its issuing-configuration fix.
pub fn findings(chain: &[&PathCert]) -> Vec<Finding> {
    violations(chain).into_iter().map(finding).collect()
}

fn finding(v: Violation<'_>) -> Finding {
    let names: Vec<&str> = v.affects.iter().map(|p| p.as_str()).collect();
    let (what, openssl, vault) = advice(v.code);
    let message = format!(
        "The {} `{}` {what}: {} reject{} the chain ({}).",
        v.role,
        v.cert.subject,
        names.join(", "),
        if names.len() == 1 { "s" } else { "" },
        v.rule
    );
    let mut finding = Finding::new(v.code, message)
        .cert(CertRef::of(v.role, v.cert))
        .fix(format!(
            "Re-issue `{}` from `{}` with {}, then replace it where it is served and \
             bundled (and re-issue what it signed if its key changes).",
            v.cert.subject, v.cert.issuer, openssl.0
        ));
    if !openssl.1.is_empty() {
        finding = finding.fix(format!("OpenSSL CA: {}", openssl.1));
    }
    if !vault.is_empty() {
        finding = finding.fix(format!("Vault PKI: {vault}"));
    }
    finding.affects(v.affects.iter().copied())
}

/// Per code: what is wrong (after the subject), the generic and OpenSSL fixes, and the
/// Vault hint ("" when it does not apply).
fn advice(code: Code) -> (&'static str, (&'static str, &'static str), &'static str) {
    match code {
        Code::StrictMissingAki => (
            "has no Authority Key Identifier",
            (
                "an Authority Key Identifier (keyIdentifier) naming its issuer's SKI",
                "`authorityKeyIdentifier = keyid:always` in the extension section used to sign \
                 (`openssl ca -extensions`, `x509 -req -extfile`); the issuer needs an SKI.",
            ),
            "Vault copies the issuer's SKI into the AKI, so an issuer imported without SKI \
             yields certificates without AKI: import or generate an issuer that has one \
             (`vault write pki/issuers/import/bundle`), then `vault write pki/issue/ROLE` again.",
        ),
        Code::StrictMissingSki => (
            "is a CA without Subject Key Identifier",
            (
                "a Subject Key Identifier",
                "`subjectKeyIdentifier = hash` in the CA's extension section.",
            ),
            "Vault adds an SKI to the CAs it generates; an imported CA without one must be \
             re-issued where it was made.",
        ),
        Code::StrictBcNotCritical => (
            "has basicConstraints CA:TRUE that is not critical",
            (
                "basicConstraints marked critical",
                "`basicConstraints = critical, CA:true` (add `critical,`).",
            ),
            "Vault marks basicConstraints critical; a non-critical one comes from a CA made \
             elsewhere (for example a Windows or hand-made OpenSSL CA) and imported.",
        ),
        Code::StrictCaMissingKeyUsage => (
            "is a CA without keyUsage",
            (
                "keyUsage keyCertSign and cRLSign",
                "`keyUsage = critical, keyCertSign, cRLSign`.",
            ),
            "the CAs Vault generates carry CertSign and CRLSign; a CA imported without keyUsage \
             must be re-issued where it was made.",
        ),
        Code::StrictCaWithoutKeycertsign => (
            "issues certificates but its keyUsage lacks keyCertSign",
            (
                "keyUsage keyCertSign and cRLSign",
                "`keyUsage = critical, keyCertSign, cRLSign`.",
            ),
            "",
        ),
        Code::StrictLeafIsCa => (
            "is a server certificate marked CA:TRUE",
            (
                "basicConstraints CA:FALSE in the server profile",
                "`basicConstraints = critical, CA:false` in the server extension section.",
            ),
            "issue server certificates with `vault write pki/issue/ROLE`, never with \
             `pki/root/sign-intermediate` or `sign-self-issued`.",
        ),
        Code::StrictSerialNotPositive => (
            "has a serial number that is zero or negative",
            (
                "a positive random serial number",
                "let `openssl ca` draw serials (`-create_serial`) or pass a positive \
                 `-set_serial`.",
            ),
            "",
        ),
        Code::StrictV1Ca => (
            "is a version 1 certificate used as a CA",
            (
                "version 3 CA extensions (basicConstraints CA:TRUE, keyUsage, SKI, AKI)",
                "sign with `-extfile`/`-extensions` naming a v3 CA section; without extensions \
                 OpenSSL writes a v1 certificate.",
            ),
            "",
        ),
        Code::StrictEmptySubject => (
            "has an empty subject",
            (
                "a subject (at least a CN)",
                "give `-subj \"/CN=...\"` when making the request.",
            ),
            "",
        ),
        Code::StrictKeyIdCritical => (
            "has a key identifier marked critical",
            (
                "non-critical key identifiers",
                "remove `critical` from `authorityKeyIdentifier` and `subjectKeyIdentifier`.",
            ),
            "",
        ),
        _ => (
            "has a subjectAltName extension without any name",
            (
                "either real subjectAltNames or no SAN extension",
                "drop the empty `subjectAltName =` line or fill it.",
            ),
            "",
        ),
    }
}
