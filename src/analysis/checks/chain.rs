//! Chain checks: is the presented chain complete, trusted, and served well?
//!
//! - `chain.missing-intermediate`: the path stops at a certificate whose issuer is in
//!   neither the presented chain nor the bundle.
//! - `chain.server-omits-intermediate`: the path reaches the bundle only through an
//!   intermediate the server did not send.
//! - `chain.untrusted-root`: the path ends in a self-signed root the bundle lacks.
//! - `chain.self-signed-leaf`: the leaf signed itself (and the bundle does not pin it).
//! - `chain.wrong-order`, `chain.root-sent`, `chain.duplicate-cert`,
//!   `chain.unrelated-cert`: how the server serves its chain.
//! - `chain.not-verified`: webpki rejects the chain and nothing else says why.

use super::role;
use crate::analysis::advice::{self, ISE_SYSTEM, ISE_TRUSTED, quote};
use crate::analysis::path::{ChainPath, MAX_SIGNATURE_CHECKS, NearMiss, PathEnd};
use crate::analysis::{ChainInput, Verdict};
use crate::findings::{CertRef, Code, Finding, Severity};
use crate::model::{Certificate, Moment};

/// Runs the chain checks on a built path.
pub fn check(
    input: &ChainInput<'_>,
    path: &ChainPath,
    judge_trust: bool,
    now: Moment,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    let leaf = &path.links[0];
    let self_signed_leaf = leaf.self_signed && leaf.bundle_at.is_none();

    if self_signed_leaf {
        findings.push(self_signed_leaf_finding(input, &leaf.cert));
    } else if judge_trust {
        findings.extend(trust(input, path));
    } else if path.links.len() == 1 && !path.is_anchored() {
        findings.push(leaf_only(input, &leaf.cert));
    }

    findings.extend(served(input, path, now));
    findings
}

/// Adds `chain.not-verified` when webpki rejects and no error finding explains it.
/// `sent` is how many certificates the server presented.
pub fn unexplained_rejection(
    input: &ChainInput<'_>,
    verdict: &Verdict,
    findings: &[Finding],
    sent: usize,
) -> Option<Finding> {
    if verdict.ok || findings.iter().any(|f| f.severity == Severity::Error) {
        return None;
    }

    let reason = verdict.error.as_deref().unwrap_or("no reason given");
    // webpki tries every same-name candidate by signature and gives up after 100 checks,
    // so a valid path hidden behind many stale CAs is rejected although it exists.
    if matches!(
        verdict.reason.as_deref(),
        Some("MaximumSignatureChecksExceeded" | "MaximumPathBuildCallsExceeded")
    ) {
        return Some(budget_exhausted(reason, sent));
    }
    Some(
        Finding::new(
            Code::ChainNotVerified,
            format!("rustls/webpki rejects this chain ({reason}), although each part looks sound."),
        )
        .fix(format!(
            "Compare with OpenSSL: `openssl s_client -connect {}:{} -servername {} -showcerts \
             -verify_return_error -CAfile {}`.",
            input.host,
            input.port,
            input.host,
            advice::quote(input.bundle.display_path())
        ))
        .fix(format!(
            "Save the chain for a report: `ise-doctor chain {} --pem > chain.pem`.",
            input.host_port
        )),
    )
}

fn budget_exhausted(reason: &str, sent: usize) -> Finding {
    Finding::new(
        Code::ChainNotVerified,
        format!(
            "rustls/webpki gives up on this chain ({reason}): the server sends {sent} \
             certificates and webpki stops searching after a fixed number of signature checks, \
             before it reaches the real issuer. rustls-based clients fail although a valid path \
             exists."
        ),
    )
    .fix(format!(
        "Remove the stale and unrelated CAs (see the chain.unrelated-cert findings) from \
         {ISE_TRUSTED}, then re-bind the system certificate in {ISE_SYSTEM} so ISE sends only \
         leaf + intermediate."
    ))
}

fn trust(input: &ChainInput<'_>, path: &ChainPath) -> Vec<Finding> {
    let bundle_path = input.bundle.display_path();
    match &path.end {
        PathEnd::Anchored { anchor } => path.links[1..=*anchor]
            .iter()
            .filter(|link| !link.self_signed && link.presented_at.is_none())
            .map(|link| omitted_intermediate(input, &link.cert, bundle_path))
            .collect(),
        PathEnd::UntrustedRoot => {
            let root = &path.links[path.links.len() - 1].cert;
            vec![untrusted_root(input, root, bundle_path)]
        }
        PathEnd::MissingIssuer {
            subject,
            key_id,
            ca_issuers,
        } => {
            let stuck = &path.links[path.links.len() - 1];
            let stuck_role = role(path.links.len() - 1, stuck);
            vec![missing_issuer(
                input,
                (&stuck.cert, stuck_role),
                subject,
                key_id.clone(),
                ca_issuers,
                &path.near_misses,
                path.budget_exhausted,
            )]
        }
    }
}

fn missing_issuer(
    input: &ChainInput<'_>,
    (stuck, stuck_role): (&Certificate, &str),
    subject: &str,
    key_id: Option<String>,
    ca_issuers: &[String],
    near_misses: &[NearMiss],
    path_exhausted: bool,
) -> Finding {
    let bundle_path = input.bundle.display_path();
    let file = advice::file_name_for(subject);
    let key_text = key_id
        .as_deref()
        .map(|k| format!(" (key id {k})"))
        .unwrap_or_default();
    let sent = input.presented.len();

    let mut message = format!(
        "The issuer of the {stuck_role} `{}`, `{subject}`{key_text}, is in neither the {} \
         certificate{} the server sent nor your bundle {bundle_path}. Clients fail with \
         \"unable to get local issuer certificate\".",
        stuck.subject,
        sent,
        if sent == 1 { "" } else { "s" },
    );
    if sent == 1
        && input
            .bundle
            .certs
            .iter()
            .any(|c| c.names_itself_as_issuer())
    {
        message.push_str(" The server sends only its leaf and the bundle lacks the issuing CA.");
    }
    if stuck_role != "leaf" && near_misses.is_empty() {
        message.push_str(&format!(
            " The server sends its chain up to `{}`; `{subject}` is usually your root CA: if \
             so, your bundle is for another PKI or holds an outdated root.",
            stuck.subject
        ));
    }
    for miss in near_misses {
        let place = if miss.presented_at.is_some() {
            "The server sends"
        } else {
            "Your bundle holds"
        };
        message.push_str(&format!(
            " {place} a certificate named `{}` (sha256 {}), but {}: a stale or foreign CA.",
            miss.cert.subject, miss.cert.sha256, miss.reason
        ));
    }

    let mut finding = Finding::new(Code::ChainMissingIntermediate, message)
        .cert(CertRef::of(stuck_role, stuck))
        .cert(CertRef::missing("missing issuer", subject, key_id.clone()));
    for miss in near_misses {
        finding = finding.cert(CertRef::of(
            "same-name certificate that did not sign it",
            &miss.cert,
        ));
    }

    if path_exhausted {
        finding.message.push_str(&format!(
            " (The search stopped after {MAX_SIGNATURE_CHECKS} signature checks: the chain and \
             bundle hold many certificates with this name.)"
        ));
    }

    let top_is_ca = stuck_role != "leaf";
    let vault = if top_is_ca {
        "pki/cert/ca"
    } else {
        "pki_int/cert/ca"
    };
    let get = match ca_issuers.first() {
        Some(url) => format!(
            "Get `{subject}`: the certificate says where to download it: `curl -fsS -o \
             issuer.der {}` then `openssl x509 -inform DER -in issuer.der -out {file}` (or \
             export it from your PKI: for Vault, `vault read -field=certificate {vault} > \
             {file}`).",
            quote(url)
        ),
        None => format!(
            "Get `{subject}` from your PKI, not from this server: for Vault, `vault read \
             -field=certificate {vault} > {file}`; or from ISE: {ISE_TRUSTED} > select it > \
             Export, saved as {file}."
        ),
    };
    let check_id = match &key_id {
        Some(k) => format!("and subjectKeyIdentifier {k}"),
        None => "matching the issuer above".to_string(),
    };
    let finding = finding
        .fix(get)
        .fix(format!(
            "Confirm it: `openssl x509 -in {file} -noout -subject -fingerprint -sha256 -ext \
             subjectKeyIdentifier` must show subject `{subject}` {check_id}{}.",
            if top_is_ca {
                ", and the fingerprint your PKI team publishes (compare out of band)"
            } else {
                ""
            }
        ))
        .fix(client_side_step(input, &file));
    let finding = if top_is_ca {
        finding.fix(format!(
            "If `{subject}` is an intermediate rather than your root, also import {file} in \
             ISE ({ISE_TRUSTED}) and re-bind the certificate of this service in {ISE_SYSTEM}, \
             so ISE sends it too."
        ))
    } else {
        finding.fix(format!(
            "Server side, so every client works with a root-only bundle: in ISE, {ISE_TRUSTED} \
             > Import {file} (and the root), then re-bind the certificate of this service in \
             {ISE_SYSTEM}; ISE then sends leaf + intermediate."
        ))
    };
    finding.fix(advice::recheck(input.host_port, bundle_path))
}

/// Without a bundle: the server sends its leaf alone, so its issuing CA is not sent.
fn leaf_only(input: &ChainInput<'_>, leaf: &Certificate) -> Finding {
    let key = leaf
        .authority_key_id_hex()
        .map(|k| format!(" (key id {k})"))
        .unwrap_or_default();
    let file = advice::file_name_for(&leaf.issuer);
    Finding::new(
        Code::ChainServerOmitsIntermediate,
        format!(
            "The server sends only its leaf `{}`; its issuer `{}`{key} is not sent. Clients \
             whose bundle holds only the root fail with \"unable to get local issuer \
             certificate\".",
            leaf.subject, leaf.issuer
        ),
    )
    .cert(CertRef::of("leaf", leaf))
    .cert(CertRef::missing(
        "issuer not sent",
        &leaf.issuer,
        leaf.authority_key_id_hex(),
    ))
    .fix(format!(
        "In ISE, {ISE_TRUSTED} > Import the issuing CA `{}` ({file}) and re-bind the \
         certificate of this service in {ISE_SYSTEM}, so ISE sends leaf + intermediate.",
        leaf.issuer
    ))
    .fix(format!(
        "See whether your clients' bundle covers it meanwhile: `ise-doctor check {} --ca \
         ROOT-CA.crt` (your clients' CA file).",
        input.host_port
    ))
}

/// The client-side step: append to the user's bundle; never to the system store, which
/// the distribution regenerates.
fn client_side_step(input: &ChainInput<'_>, file: &str) -> String {
    match &input.bundle.source {
        crate::model::BundleSource::SystemStore(_) => format!(
            "Client side: put your CA chain in a bundle of your own, e.g. `cat {file} \
             LAB-ROOT-CA.pem > ROOT-CA.crt`, and give it with --ca ROOT-CA.crt (or \
             ISE_CA_CERT); the system trust store is regenerated by the distribution."
        ),
        _ => format!(
            "Client side: `{}` appends it to your bundle.",
            advice::append_command(file, input.bundle.display_path())
        ),
    }
}

fn omitted_intermediate(input: &ChainInput<'_>, cert: &Certificate, bundle_path: &str) -> Finding {
    let sent = input.presented.len();
    let message = format!(
        "The server omits the intermediate `{}`: it sends {sent} certificate{} and the chain \
         validates only because your bundle {bundle_path} holds that intermediate. Clients \
         whose bundle holds only the root fail with \"unable to get local issuer certificate\".",
        cert.subject,
        if sent == 1 { "" } else { "s" },
    );
    let file = advice::file_name_for(&cert.subject);

    Finding::new(Code::ChainServerOmitsIntermediate, message)
        .cert(CertRef::of("intermediate not sent", cert))
        .fix(format!(
            "In ISE, {ISE_TRUSTED} > Import the intermediate `{}` ({file}, sha256 {}) with \
             \"Trust for authentication within ISE\", then re-bind the certificate of this \
             service in {ISE_SYSTEM} so ISE sends leaf + intermediate.",
            cert.subject, cert.sha256
        ))
        .fix(format!(
            "Until then, keep the intermediate in every client's bundle, as {} does.",
            quote(bundle_path)
        ))
        .fix(format!(
            "Verify what the server sends: `ise-doctor chain {}`.",
            input.host_port
        ))
}

fn untrusted_root(input: &ChainInput<'_>, root: &Certificate, bundle_path: &str) -> Finding {
    let bundle_roots: Vec<&Certificate> = input
        .bundle
        .certs
        .iter()
        .filter(|c| c.names_itself_as_issuer())
        .collect();
    let same_name = bundle_roots
        .iter()
        .find(|c| c.subject_raw == root.subject_raw);

    let mut message = format!(
        "The chain ends in the root `{}` (sha256 {}), which is not in your bundle {bundle_path}.",
        root.subject, root.sha256
    );
    match (same_name, bundle_roots.is_empty()) {
        (Some(other), _) => message.push_str(&format!(
            " Your bundle holds a different root with the same name (sha256 {}): the root was \
             renewed or re-keyed, or something on the path re-signs the traffic.",
            other.sha256
        )),
        (None, false) => message.push_str(&format!(
            " Your bundle's root{}: {}. Wrong bundle, or a TLS-inspecting proxy.",
            if bundle_roots.len() == 1 {
                " is"
            } else {
                "s are"
            },
            bundle_roots
                .iter()
                .map(|c| format!("`{}` (sha256 {})", c.subject, c.sha256))
                .collect::<Vec<_>>()
                .join(", ")
        )),
        (None, true) => message.push_str(" Your bundle holds no root at all."),
    }

    let mut finding =
        Finding::new(Code::ChainUntrustedRoot, message).cert(CertRef::of("untrusted root", root));
    for other in &bundle_roots {
        finding = finding.cert(CertRef::of("bundle root", other));
    }
    finding
        .fix(format!(
            "Compare sha256 {} with the fingerprint your PKI team publishes, out of band (not \
             over this connection). Never add a root just because a server sent it.",
            root.sha256
        ))
        .fix(format!(
            "If it is your organisation's root and the bundle is stale: take the root from your \
             PKI (for Vault, `vault read -field=certificate pki/cert/ca > {}`) and append it: \
             `{}`.",
            advice::file_name_for(&root.subject),
            advice::append_command(&advice::file_name_for(&root.subject), bundle_path)
        ))
        .fix(
            "If it is not (a TLS-inspecting proxy between you and ISE): exempt the ISE nodes from \
             inspection; do not trust the proxy's CA for ISE.",
        )
        .fix(advice::recheck(input.host_port, bundle_path))
}

fn self_signed_leaf_finding(input: &ChainInput<'_>, leaf: &Certificate) -> Finding {
    let message = format!(
        "The server presents a self-signed certificate `{}` (sha256 {}), not one issued by your \
         CA. No CA bundle validates it.",
        leaf.subject, leaf.sha256
    );
    let dataconnect = input.service == Some(crate::model::Service::Dataconnect)
        || (input.service.is_none() && input.port == 2484);

    let finding = Finding::new(Code::ChainSelfSignedLeaf, message)
        .cert(CertRef::of("self-signed leaf", leaf));
    if dataconnect {
        // ISE 3.2 and older: DataConnect's own self-signed certificate is expected; the
        // cure is a pin, not a CA-issued certificate.
        let bundle_dir = std::path::Path::new(input.bundle.display_path())
            .parent()
            .map(|p| p.join("dataconnect.crt").display().to_string())
            .unwrap_or_else(|| "dataconnect.crt".to_string());
        return finding
            .fix(format!(
                "DataConnect on ISE 3.2 and older uses its own self-signed certificate: export \
                 it from ISE (Administration > System > Settings > DataConnect > Export), check \
                 that its fingerprint is sha256 {}, and save it as {}.",
                leaf.sha256,
                advice::quote(&bundle_dir)
            ))
            .fix(format!(
                "ise-doctor (and your DataConnect clients) then pin it: re-check with \
                 `ise-doctor check {} --pin {}`.",
                input.host_port,
                advice::quote(&bundle_dir)
            ));
    }
    finding
        .fix(format!(
            "Issue a certificate for {} from your CA: in ISE, {} > Generate (usage Admin for \
             9060/443), sign it with your issuing CA, then bind it in {ISE_SYSTEM}.",
            input.host,
            advice::ISE_CSR
        ))
        .fix(format!("Re-check: `ise-doctor check {}`.", input.host_port))
}

/// Checks on how the server serves its chain: order, duplicates, roots, strangers.
fn served(input: &ChainInput<'_>, path: &ChainPath, now: Moment) -> Vec<Finding> {
    let mut findings = Vec::new();
    let presented = input.presented;
    let on_path = |i: usize| path.links.iter().any(|l| l.presented_at == Some(i));

    let order: Vec<usize> = path.links.iter().filter_map(|l| l.presented_at).collect();
    if order.windows(2).any(|w| w[0] > w[1]) {
        findings.push(wrong_order(input, &order));
    }

    let mut strangers = Vec::new();
    for (i, cert) in presented.iter().enumerate() {
        if presented[..i].contains(cert) {
            continue;
        }
        let positions: Vec<usize> = (i..presented.len())
            .filter(|&k| &presented[k] == cert)
            .collect();
        if positions.len() > 1 {
            findings.push(duplicate_sent(cert, &positions));
        }
        if i == 0 {
            continue;
        }

        let untrusted_end = matches!(path.end, PathEnd::UntrustedRoot)
            && path.links.last().is_some_and(|l| l.presented_at == Some(i));
        if on_path(i) {
            let link = path.links.iter().find(|l| l.presented_at == Some(i));
            if link.is_some_and(|l| l.self_signed) && !untrusted_end {
                findings.push(root_sent(cert, i));
            }
            continue;
        }
        strangers.extend(off_path(input, path, (cert, i), now));
    }

    // A handful are worth one finding each; a flood is one finding listing them all.
    if strangers.len() > 3 {
        findings.push(many_unrelated(input, strangers));
    } else {
        findings.extend(strangers);
    }
    findings
}

fn duplicate_sent(cert: &Certificate, positions: &[usize]) -> Finding {
    let shown: Vec<String> = positions.iter().map(ToString::to_string).collect();
    Finding::new(
        Code::ChainDuplicateCert,
        format!(
            "The server sends `{}` {} (positions {}).",
            cert.subject,
            advice::times(positions.len()),
            advice::and_list(&shown, 6)
        ),
    )
    .cert(CertRef::of("duplicate", cert))
    .fix(format!(
        "Nothing breaks; to tidy up, remove the duplicate CA from {ISE_TRUSTED} (or from the \
         server's chain file) and re-bind the certificate."
    ))
}

fn many_unrelated(input: &ChainInput<'_>, strangers: Vec<Finding>) -> Finding {
    let certs: Vec<CertRef> = strangers.into_iter().flat_map(|f| f.certificates).collect();
    let names: Vec<String> = certs
        .iter()
        .take(5)
        .map(|c| format!("`{}`", c.subject))
        .collect();
    let mut finding = Finding::new(
        Code::ChainUnrelatedCert,
        format!(
            "The server sends {} certificates that are not part of the leaf's chain: {}{}. \
             Strict or old clients may pick a wrong one, and every handshake carries them.",
            certs.len(),
            names.join(", "),
            if certs.len() > 5 { ", …" } else { "" }
        ),
    );
    finding.certificates = certs;
    finding
        .fix(format!(
            "In ISE, delete the stale CA certificates from {ISE_TRUSTED} if nothing else uses \
             them, then re-bind the system certificate in {ISE_SYSTEM}."
        ))
        .fix(format!(
            "Verify what the server sends: `ise-doctor chain {}`.",
            input.host_port
        ))
}

fn wrong_order(input: &ChainInput<'_>, order: &[usize]) -> Finding {
    let names: Vec<String> = order
        .iter()
        .map(|&i| format!("[{i}] `{}`", input.presented[i].short_name()))
        .collect();
    Finding::new(
        Code::ChainWrongOrder,
        format!(
            "The server sends its chain out of issuing order; the issuing order is {}.",
            names.join(" → ")
        ),
    )
    .fix(format!(
        "ISE builds the chain it sends from {ISE_TRUSTED}: remove stale copies of these CAs and \
         re-import them, then re-bind the system certificate in {ISE_SYSTEM}."
    ))
    .fix(
        "For a server fed a chain file: `cat leaf.pem issuing-ca.pem > fullchain.pem` (leaf \
          first, each certificate followed by its issuer).",
    )
}

fn root_sent(cert: &Certificate, position: usize) -> Finding {
    Finding::new(
        Code::ChainRootSent,
        format!(
            "The server sends the root `{}` at position {position}. Clients never trust a root \
             because a server sent it; it only adds bytes.",
            cert.subject
        ),
    )
    .cert(CertRef::of("root", cert))
    .fix("No action needed. Clients still need this root in their own bundle.")
}

fn off_path(
    input: &ChainInput<'_>,
    path: &ChainPath,
    (cert, position): (&Certificate, usize),
    now: Moment,
) -> Option<Finding> {
    let twin = path
        .links
        .iter()
        .find(|l| l.cert.subject_raw == cert.subject_raw && l.cert.public_key == cert.public_key);
    // Another certificate for the same CA key (a cross-certificate or a re-issue) is
    // harmless while valid, and a trap for old clients once expired.
    if twin.is_some() && cert.not_after >= now {
        return None;
    }

    let stale = path.near_misses.iter().any(|m| &m.cert == cert)
        || path.links.iter().any(|l| l.cert.issuer_name_is(cert));
    let why = if let Some(twin) = twin {
        format!(
            "another certificate for the CA `{}` that expired on {} while the path uses the copy \
             valid until {}; old clients (OpenSSL 1.0.2) may pick the expired one",
            twin.cert.subject,
            cert.not_after.date(),
            twin.cert.not_after.date()
        )
    } else if stale {
        "it carries the name of an issuer on the path but a different key: a stale CA from \
         before a renewal, or a foreign one"
            .to_string()
    } else {
        "it is not part of the leaf's chain".to_string()
    };

    Some(
        Finding::new(
            Code::ChainUnrelatedCert,
            format!(
                "The server sends `{}` (sha256 {}) at position {position}, but {why}.",
                cert.subject, cert.sha256
            ),
        )
        .cert(CertRef::of("unrelated", cert))
        .fix(format!(
            "In ISE, delete this certificate (sha256 {}) from {ISE_TRUSTED} if nothing else uses \
             it, then re-bind the system certificate in {ISE_SYSTEM}.",
            cert.sha256
        ))
        .fix(format!(
            "Verify what the server sends: `ise-doctor chain {}`.",
            input.host_port
        )),
    )
}
