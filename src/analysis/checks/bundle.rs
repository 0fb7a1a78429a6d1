//! Bundle checks: the CA file on its own, before any server is involved.
//!
//! - file defects found while reading: `bundle.empty`, `bundle.malformed-block`,
//!   `bundle.not-pem`, `bundle.private-key`;
//! - its certificates: `bundle.duplicate-cert`, `bundle.expired-cert`, `bundle.not-ca`,
//!   `bundle.no-root`, `bundle.incomplete`.

use crate::analysis::Policy;
use crate::analysis::advice::quote;
use crate::analysis::signature;
use crate::findings::{CertRef, Code, Finding};
use crate::model::{Bundle, BundleDefect, Certificate};

/// Runs the bundle checks.
pub fn check(bundle: &Bundle, policy: &Policy) -> Vec<Finding> {
    let path = quote(bundle.display_path());
    let mut findings: Vec<Finding> = bundle
        .defects
        .iter()
        .filter_map(|d| defect(d, &path))
        .collect();

    if bundle.certs.is_empty() {
        if !findings.iter().any(|f| f.code == Code::BundleEmpty) {
            findings.push(empty(&path, "it holds no certificate"));
        }
        return findings;
    }

    for (i, cert) in bundle.certs.iter().enumerate() {
        if let Some(first) = bundle.certs[..i].iter().position(|c| c == cert) {
            findings.push(duplicate(cert, first, i, &path));
            continue;
        }
        if policy.now > cert.not_after {
            findings.push(expired(cert, &path));
        }
        let v1_root = cert.version == 1 && signature::is_self_signed(cert);
        if !cert.is_ca() && !v1_root {
            findings.push(not_ca(cert, &path));
        }
    }

    let cas: Vec<&Certificate> = bundle.certs.iter().filter(|c| c.is_ca()).collect();
    let has_root = bundle.certs.iter().any(signature::is_self_signed);
    if !has_root && !cas.is_empty() {
        findings.push(no_root(&cas, &path));
    } else if has_root {
        findings.extend(
            cas.iter()
                .filter(|c| {
                    !signature::is_self_signed(c)
                        && !bundle.certs.iter().any(|i| signature::issued(i, c))
                })
                .map(|c| incomplete(c, &path)),
        );
    }

    findings
}

fn defect(defect: &BundleDefect, path: &str) -> Option<Finding> {
    match defect {
        BundleDefect::Empty { bytes } => Some(empty(
            path,
            &if *bytes == 0 {
                "the file is empty".to_string()
            } else {
                format!("none of its {bytes} bytes is a certificate")
            },
        )),
        BundleDefect::MalformedBlock { index, line, reason } => Some(
            Finding::new(
                Code::BundleMalformedBlock,
                format!("Block {index} (line {line}) of {path}: {reason}"),
            )
            .fix(format!(
                "Repair {path} at line {line} as described; where a certificate itself is \
                 damaged, replace the block with a clean copy from your PKI."
            ))
            .fix(format!(
                "Check the result: `ise-doctor bundle {path}` and `openssl storeutl -noout \
                 -certs {path}` must list every certificate."
            )),
        ),
        BundleDefect::PrivateKey { line, label } => Some(
            Finding::new(
                Code::BundlePrivateKey,
                format!(
                    "{path} contains a private key (`{label}` at line {line}). A CA bundle is copied \
                     to every client; the key travels with it."
                ),
            )
            .fix(format!("Move the key out of the bundle into its own file with mode 0600, and remove the block from {path}."))
            .fix("If the bundle was shared, treat the key as compromised: re-issue the certificate that goes with it."),
        ),
        BundleDefect::Der => Some(
            Finding::new(
                Code::BundleNotPem,
                format!(
                    "{path} is DER (binary). Python requests, curl --cacert and most HTTP \
                     clients expect PEM and find no certificate in it."
                ),
            )
            .fix(format!(
                "Convert it to PEM: for one certificate `openssl x509 -inform DER -in {path} \
                 -out {path}.pem`; for a PKCS#7 file (.p7b) `openssl pkcs7 -inform DER -in \
                 {path} -print_certs -out {path}.pem`. Then point clients at {path}.pem."
            )),
        ),
        BundleDefect::Pkcs7 { pem } => {
            let (encoding, inform) = if *pem { ("PEM", "") } else { ("DER", " -inform DER") };
            Some(
                Finding::new(
                    Code::BundleNotPem,
                    format!(
                        "{path} is a PKCS#7 bundle ({encoding}): OpenSSL-based clients \
                         (Python requests, curl --cacert) read no certificate from it"
                    ),
                )
                .fix(format!(
                    "Convert it to PEM certificates: `openssl pkcs7{inform} -in {path} \
                     -print_certs -out {path}.pem`. Then point clients at {path}.pem."
                )),
            )
        }
        BundleDefect::Cosmetic { .. } => None,
    }
}

fn empty(path: &str, why: &str) -> Finding {
    Finding::new(
        Code::BundleEmpty,
        format!(
            "The CA bundle {path} holds no certificate ({why}); clients given it trust nothing."
        ),
    )
    .fix(format!(
        "Put your CA chain in it: root and issuing CA as PEM, e.g. `cat LAB-ROOT-CA.pem \
         LAB-ISSUING-CA.pem > {path}`."
    ))
}

fn duplicate(cert: &Certificate, first: usize, again: usize, path: &str) -> Finding {
    Finding::new(
        Code::BundleDuplicateCert,
        format!(
            "{path} holds `{}` twice (certificates {} and {}).",
            cert.subject,
            first + 1,
            again + 1
        ),
    )
    .cert(CertRef::of("duplicate", cert))
    .fix("Harmless; remove the second copy to keep the bundle tidy.")
}

fn expired(cert: &Certificate, path: &str) -> Finding {
    Finding::new(
        Code::BundleExpiredCert,
        format!(
            "{path} holds `{}`, which expired on {}.",
            cert.subject,
            cert.not_after.date()
        ),
    )
    .cert(CertRef::of("expired", cert))
    .fix(format!(
        "Replace it in {path} with the current certificate of that CA from your PKI, or remove \
         it if nothing depends on it any more."
    ))
}

fn not_ca(cert: &Certificate, path: &str) -> Finding {
    Finding::new(
        Code::BundleNotCa,
        format!(
            "{path} holds `{}`, which is not a CA certificate (no CA:TRUE). Pinning a server \
             certificate in a CA bundle works for some clients only and breaks at every renewal.",
            cert.subject
        ),
    )
    .cert(CertRef::of("not a CA", cert))
    .fix(format!(
        "Replace it in {path} with the CA chain that issued it (root and issuing CA)."
    ))
}

fn no_root(cas: &[&Certificate], path: &str) -> Finding {
    let names: Vec<String> = cas.iter().map(|c| format!("`{}`", c.subject)).collect();
    let mut finding = Finding::new(
        Code::BundleNoRoot,
        format!(
            "{path} holds {} but no self-signed root. rustls, Go, Java and Python 3.13 accept a \
             bundle intermediate as an anchor; OpenSSL-based clients (curl, Python 3.12 and \
             older, Ruby, PHP) fail unless they enable partial-chain verification.",
            names.join(", ")
        ),
    );
    for ca in cas {
        finding = finding.cert(CertRef::of("intermediate", ca));
    }
    let issuer = &cas[0].issuer;
    finding.fix(format!(
        "Append the root `{issuer}` from your PKI (not from a server): `cat {} >> {path}`.",
        crate::analysis::advice::file_name_for(issuer)
    ))
}

fn incomplete(cert: &Certificate, path: &str) -> Finding {
    Finding::new(
        Code::BundleIncomplete,
        format!(
            "{path} holds the CA `{}`, but not its issuer `{}`.",
            cert.subject, cert.issuer
        ),
    )
    .cert(CertRef::of("CA without its issuer", cert))
    .fix(format!(
        "Append `{}` from your PKI: `cat {} >> {path}`.",
        cert.issuer,
        crate::analysis::advice::file_name_for(&cert.issuer)
    ))
}
