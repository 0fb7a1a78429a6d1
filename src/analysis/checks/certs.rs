//! Per-certificate checks on the path: validity dates, algorithms, usage, names.
//!
//! - `cert.expired`, `cert.not-yet-valid`, `cert.expiring-soon` on every link, the
//!   anchor's own chain included (OpenSSL-based clients check the root's dates too);
//! - `cert.weak-signature`: MD5 or SHA-1 on any link that is not a self-signed root;
//! - `cert.weak-key`: RSA below 2048 bits or EC below 224 bits, on any link;
//! - `cert.missing-server-auth`: a leaf EKU without serverAuth;
//! - `ca.not-a-ca`: a link that signs the one below it without CA:TRUE;
//! - `name.mismatch`: the host is not among the leaf's DNS/IP subjectAltNames.

use super::role;
use crate::analysis::advice::{self, ISE_CSR, ISE_SYSTEM, ISE_TRUSTED};
use crate::analysis::names::{NameMatch, match_host};
use crate::analysis::path::{ChainPath, PathCert};
use crate::analysis::{ChainInput, Policy};
use crate::findings::{CertRef, Code, Finding};
use crate::model::{KeyKind, SanEntry};

/// Runs the certificate checks on every link of the path.
pub fn check(input: &ChainInput<'_>, path: &ChainPath, policy: &Policy) -> Vec<Finding> {
    let mut findings = Vec::new();

    for (position, link) in path.links.iter().enumerate() {
        let role = role(position, link);
        findings.extend(validity(input, link, role, policy));
        findings.extend(weak_key(link, role));
        if !link.self_signed {
            findings.extend(weak_signature(link, role));
        }
        if position > 0 && !(link.self_signed && link.cert.version == 1) && !link.cert.is_ca() {
            findings.push(not_a_ca(link, &path.links[position - 1]));
        }
    }

    let leaf = &path.links[0].cert;
    if let Some(purposes) = &leaf.extended_key_usage
        && !purposes.iter().any(|p| p == "serverAuth")
    {
        findings.push(missing_server_auth(input, leaf, purposes));
    }
    if let NameMatch::Mismatch { cn_only } = match_host(input.host, leaf) {
        findings.push(name_mismatch(input, leaf, cn_only));
    }

    findings
}

/// The checks that still apply to a pinned leaf: its dates, its key and its names.
pub fn leaf_only(input: &ChainInput<'_>, path: &ChainPath, policy: &Policy) -> Vec<Finding> {
    let link = &path.links[0];
    let mut findings: Vec<Finding> = validity(input, link, "leaf", policy).into_iter().collect();
    findings.extend(weak_key(link, "leaf"));
    if let NameMatch::Mismatch { cn_only } = match_host(input.host, &link.cert) {
        findings.push(name_mismatch(input, &link.cert, cn_only));
    }
    findings
}

fn validity(
    input: &ChainInput<'_>,
    link: &PathCert,
    role: &str,
    policy: &Policy,
) -> Option<Finding> {
    let cert = &link.cert;
    let left = policy.now.days_until(cert.not_after);
    let renew = renewal_step(input, link, role);

    if policy.now > cert.not_after {
        let message = format!(
            "The {role} `{}` expired on {} ({}).",
            cert.subject,
            cert.not_after.date(),
            advice::days_phrase(left)
        );
        return Some(
            Finding::new(Code::CertExpired, message)
                .cert(CertRef::of(role, cert))
                .fix(renew),
        );
    }
    if policy.now < cert.not_before {
        let message = format!(
            "The {role} `{}` is not valid before {}. Check the clocks of ISE and of this \
             machine (`date -u`); otherwise the certificate was issued with a future start date.",
            cert.subject,
            cert.not_before.rfc3339()
        );
        return Some(
            Finding::new(Code::CertNotYetValid, message)
                .cert(CertRef::of(role, cert))
                .fix(renew),
        );
    }
    if left < policy.warn_days {
        let message = format!(
            "The {role} `{}` expires on {} ({}), within the {}-day warning window.",
            cert.subject,
            cert.not_after.date(),
            advice::days_phrase(left),
            policy.warn_days
        );
        return Some(
            Finding::new(Code::CertExpiringSoon, message)
                .cert(CertRef::of(role, cert))
                .fix(renew),
        );
    }
    None
}

/// The step that replaces this certificate, depending on where it lives.
fn renewal_step(input: &ChainInput<'_>, link: &PathCert, role: &str) -> String {
    let bundle = advice::quote(input.bundle.display_path());
    match (role, link.presented_at.is_some()) {
        ("leaf", _) => format!(
            "Renew the certificate of {}: in ISE, {ISE_CSR} > Generate for this node and usage, \
             have your CA sign it, then bind it in {ISE_SYSTEM}.",
            input.host
        ),
        (_, true) => format!(
            "Get the renewed `{}` from your PKI, import it in {ISE_TRUSTED}, delete the old one, \
             and re-bind the system certificate in {ISE_SYSTEM}; update {bundle} too.",
            link.cert.subject
        ),
        (_, false) => format!(
            "Replace `{}` in {bundle} with the current certificate from your PKI.",
            link.cert.subject
        ),
    }
}

fn weak_key(link: &PathCert, role: &str) -> Option<Finding> {
    let cert = &link.cert;
    let weak = match cert.key.kind {
        KeyKind::Rsa | KeyKind::Dsa => cert.key.bits < 2048,
        KeyKind::Ec => cert.key.bits < 224,
        _ => false,
    };
    if !weak {
        return None;
    }

    let message = format!(
        "The {role} `{}` has a weak key ({}). rustls and OpenSSL at Debian's default security \
         level (SECLEVEL=2) refuse keys below 2048 bits (RSA) or 224 bits (EC).",
        cert.subject, cert.key
    );
    Some(
        Finding::new(Code::CertWeakKey, message)
            .cert(CertRef::of(role, cert))
            .fix(format!(
                "Re-issue `{}` with an RSA key of at least 2048 bits (3072 recommended) or an EC \
                 P-256/P-384 key: for ISE, {ISE_CSR} > Generate with key length 2048 or more.",
                cert.subject
            )),
    )
}

fn weak_signature(link: &PathCert, role: &str) -> Option<Finding> {
    let cert = &link.cert;
    if !cert.has_weak_signature_hash() {
        return None;
    }

    let message = format!(
        "The {role} `{}` is signed with {} by `{}`. rustls, Go, browsers and OpenSSL at \
         Debian's default security level refuse MD5 and SHA-1 signatures below the root.",
        cert.subject, cert.signature_algorithm, cert.issuer
    );
    Some(
        Finding::new(Code::CertWeakSignature, message)
            .cert(CertRef::of(role, cert))
            .fix(format!(
                "Have `{}` re-issue `{}` with SHA-256 or better (OpenSSL: `-sha256`; Vault: \
                 `signature_bits=256`), then replace it where it is served and bundled.",
                cert.issuer, cert.subject
            )),
    )
}

fn not_a_ca(issuer: &PathCert, child: &PathCert) -> Finding {
    let cert = &issuer.cert;
    let state = match cert.basic_constraints {
        Some(_) => "its basicConstraints say CA:FALSE",
        None => "it has no basicConstraints extension",
    };
    Finding::new(
        Code::CaNotACa,
        format!(
            "`{}` signs `{}`, but {state}: clients refuse a signature from a certificate that \
             is not a CA.",
            cert.subject, child.cert.subject
        ),
    )
    .cert(CertRef::of("issuer without CA:TRUE", cert))
    .fix(format!(
        "Re-issue `{}` as a CA: basicConstraints critical CA:TRUE and keyUsage keyCertSign, \
         cRLSign (OpenSSL: `basicConstraints = critical, CA:true`); then re-issue the \
         certificates it signed.",
        cert.subject
    ))
}

fn missing_server_auth(
    input: &ChainInput<'_>,
    leaf: &crate::model::Certificate,
    purposes: &[String],
) -> Finding {
    Finding::new(
        Code::CertMissingServerAuth,
        format!(
            "The server certificate `{}` allows only {} (Extended Key Usage), not serverAuth: \
             TLS clients refuse it as a server certificate.",
            leaf.subject,
            purposes.join(", ")
        ),
    )
    .cert(CertRef::of("leaf", leaf))
    .fix(format!(
        "Re-issue the certificate of {} with Extended Key Usage serverAuth (ISE's CSR form \
         adds it for the Admin usage; Vault: `server_flag=true` on the role), then bind it in \
         {ISE_SYSTEM}.",
        input.host
    ))
}

fn name_mismatch(
    input: &ChainInput<'_>,
    leaf: &crate::model::Certificate,
    cn_only: bool,
) -> Finding {
    let names: Vec<String> = leaf
        .san
        .iter()
        .filter(|s| matches!(s, SanEntry::Dns(_) | SanEntry::Ip(_)))
        .map(ToString::to_string)
        .collect();
    let listed = if names.is_empty() {
        "no DNS or IP subjectAltName".to_string()
    } else {
        format!("only {}", names.join(", "))
    };
    let mut message = format!(
        "`{}` is not a name of the server certificate `{}`: it has {listed}.",
        input.host, leaf.subject
    );
    if cn_only {
        message.push_str(
            " The host appears only in the CN, which modern clients (Python, Go, browsers, \
             rustls) ignore.",
        );
    }
    let ip_host = input.host.parse::<std::net::IpAddr>().is_ok();

    let mut finding = Finding::new(Code::NameMismatch, message).cert(CertRef::of("leaf", leaf));
    if let Some(name) = names.iter().find_map(|n| n.strip_prefix("DNS:"))
        && (ip_host || !name.starts_with('*'))
    {
        finding = finding.fix(format!(
            "Connect by a name the certificate carries, e.g. `{name}` (use `--resolve \
             {name}:PORT:ADDR` to test an address under that name)."
        ));
    }
    finding.fix(format!(
        "Or re-issue the certificate with `{}` as a subjectAltName ({}: {ISE_CSR} > Generate, \
         Subject Alternative Name), then bind it in {ISE_SYSTEM}.",
        input.host,
        if ip_host { "IP Address" } else { "DNS Name" }
    ))
}
