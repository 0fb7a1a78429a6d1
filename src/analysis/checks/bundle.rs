//! Bundle checks: the CA file on its own, before any server is involved.
//!
//! - file defects found while reading: `bundle.empty`, `bundle.malformed-block`,
//!   `bundle.not-pem`, `bundle.private-key`;
//! - its certificates: `bundle.duplicate-cert`, `bundle.expired-cert`, `bundle.not-ca`,
//!   `bundle.no-root`, `bundle.incomplete`.

use crate::analysis::Policy;
use crate::analysis::advice::{self, quote};
use crate::analysis::signature;
use crate::findings::{CertRef, Code, Finding};
use crate::model::{Bundle, BundleDefect, Certificate};

/// Runs the bundle checks.
pub fn check(bundle: &Bundle, policy: &Policy) -> Vec<Finding> {
    let raw_path = bundle.display_path();
    let path = quote(raw_path);
    let mut findings: Vec<Finding> = bundle
        .defects
        .iter()
        .filter_map(|d| defect(d, &path))
        .collect();

    if bundle.certs.is_empty() {
        if !findings.iter().any(|f| f.code == Code::BundleEmpty) {
            findings.push(empty(&path, "no block in it is a certificate"));
        }
        return findings;
    }

    // Each distinct certificate once, with every position it holds (1-based).
    let mut distinct: Vec<(&Certificate, Vec<usize>)> = Vec::new();
    for (i, cert) in bundle.certs.iter().enumerate() {
        match distinct.iter_mut().find(|(c, _)| *c == cert) {
            Some((_, positions)) => positions.push(i + 1),
            None => distinct.push((cert, vec![i + 1])),
        }
    }
    let roots: Vec<bool> = distinct
        .iter()
        .map(|(c, _)| signature::is_self_signed(c))
        .collect();

    for (k, (cert, positions)) in distinct.iter().enumerate() {
        if positions.len() > 1 {
            findings.push(duplicate(cert, positions, &path));
        }
        if policy.now > cert.not_after {
            findings.push(expired(cert, &path));
        }
        let v1_root = cert.version == 1 && roots[k];
        if !cert.is_ca() && !v1_root {
            findings.push(not_ca(cert, &path));
        }
    }

    let cas: Vec<&Certificate> = distinct
        .iter()
        .map(|(c, _)| *c)
        .filter(|c| c.is_ca())
        .collect();
    let has_root = roots.iter().any(|&r| r);
    if !has_root && !cas.is_empty() {
        findings.push(no_root(&cas, raw_path));
    } else if has_root {
        let orphans: Vec<&Certificate> = distinct
            .iter()
            .zip(&roots)
            .filter(|((c, _), root)| c.is_ca() && !**root)
            .map(|((c, _), _)| *c)
            .filter(|c| !has_issuer(c, &distinct))
            .collect();
        findings.extend(incomplete(&orphans, raw_path));
    }

    findings
}

/// `bundle.system-store`: no bundle was named, the operating system's store was used.
pub fn system_store(bundle: &Bundle) -> Option<Finding> {
    let crate::model::BundleSource::SystemStore(path) = &bundle.source else {
        return None;
    };
    Some(
        Finding::new(
            Code::BundleSystemStore,
            format!(
                "No CA bundle was named, so the system trust store {path} was used. ISE's \
                 certificates usually come from an internal CA that it does not hold."
            ),
        )
        .fix(
            "Name the bundle your clients use: --ca FILE, ISE_CA_CERT, CA_CERT_PATH (with \
             ise/ROOT-CA.crt below it) or `ca` in ise-doctor.toml.",
        ),
    )
}

/// Most same-name candidates whose signature is checked for one certificate: a hostile
/// bundle with thousands of look-alike CAs must not cost a signature check per pair.
const MAX_ISSUER_CANDIDATES: usize = 8;

/// True when one of the bundle's certificates issued `cert`.
fn has_issuer(cert: &Certificate, distinct: &[(&Certificate, Vec<usize>)]) -> bool {
    distinct
        .iter()
        .map(|(c, _)| *c)
        .filter(|issuer| *issuer != cert && cert.issuer_name_is(issuer))
        .take(MAX_ISSUER_CANDIDATES)
        .any(|issuer| signature::issued(issuer, cert))
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
        BundleDefect::MalformedBlock {
            index,
            line,
            reason,
        } => Some(
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
                    "{path} contains a private key (`{label}` at line {line}). A CA bundle is \
                     copied to every client; the key travels with it."
                ),
            )
            .fix(format!(
                "Move the key out of the bundle into its own file with mode 0600, and \
                          remove the block from {path}."
            ))
            .fix(
                "If the bundle was shared, treat the key as compromised: re-issue the \
                  certificate that goes with it.",
            ),
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
            let (encoding, inform) = if *pem {
                ("PEM", "")
            } else {
                ("DER", " -inform DER")
            };
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

fn duplicate(cert: &Certificate, positions: &[usize], path: &str) -> Finding {
    let shown: Vec<String> = positions.iter().map(ToString::to_string).collect();
    Finding::new(
        Code::BundleDuplicateCert,
        format!(
            "{path} holds `{}` {} (certificates {}).",
            cert.subject,
            advice::times(positions.len()),
            advice::and_list(&shown, 6)
        ),
    )
    .cert(CertRef::of("duplicate", cert))
    .fix("Harmless; keep one copy to keep the bundle tidy.")
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

fn no_root(cas: &[&Certificate], raw_path: &str) -> Finding {
    let path = quote(raw_path);
    let names: Vec<String> = cas
        .iter()
        .take(5)
        .map(|c| format!("`{}`", c.subject))
        .collect();
    let more = if cas.len() > 5 {
        format!(" and {} more", cas.len() - 5)
    } else {
        String::new()
    };
    let mut finding = Finding::new(
        Code::BundleNoRoot,
        format!(
            "{path} holds {}{more} but no self-signed root. rustls, Go, Java and Python 3.13 \
             accept a bundle intermediate as an anchor; OpenSSL-based clients (curl, Python \
             3.12 and older, Ruby, PHP) fail unless they enable partial-chain verification.",
            names.join(", ")
        ),
    );
    for ca in cas {
        finding = finding.cert(CertRef::of("intermediate", ca));
    }
    let issuer = &cas[0].issuer;
    finding.fix(format!(
        "Append the root `{issuer}` from your PKI (not from a server): `{}`.",
        advice::append_command(&advice::file_name_for(issuer), raw_path)
    ))
}

/// One finding per missing issuer name, listing the CAs that need it.
fn incomplete(orphans: &[&Certificate], raw_path: &str) -> Vec<Finding> {
    let path = quote(raw_path);
    let mut issuers: Vec<&str> = Vec::new();
    for cert in orphans {
        if !issuers.contains(&cert.issuer.as_str()) {
            issuers.push(&cert.issuer);
        }
    }

    issuers
        .into_iter()
        .map(|issuer| {
            let needing: Vec<&&Certificate> =
                orphans.iter().filter(|c| c.issuer == issuer).collect();
            let what = match needing.as_slice() {
                [one] => format!("the CA `{}`", one.subject),
                many => format!("{} CAs (`{}`, …)", many.len(), many[0].subject),
            };
            let mut finding = Finding::new(
                Code::BundleIncomplete,
                format!("{path} holds {what}, but not their issuer `{issuer}`."),
            );
            for cert in &needing {
                finding = finding.cert(CertRef::of("CA without its issuer", cert));
            }
            finding.fix(format!(
                "Append `{issuer}` from your PKI (not from a server): `{}`.",
                advice::append_command(&advice::file_name_for(issuer), raw_path)
            ))
        })
        .collect()
}
