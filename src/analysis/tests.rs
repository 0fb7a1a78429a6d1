//! The pure analysis on the committed fixtures (`fixtures/pki/`, RSA, made by the
//! `openssl` CLI) with a fixed clock: one test per finding code that a chain or a bundle
//! can produce, plus the healthy cases that must produce nothing.
//!
//! The clock is 2030-06-01: every "valid" fixture runs 2020..2120, the expired ones end
//! in 2021 and the future one starts in 2100. Fingerprints change when the fixtures are
//! regenerated, so they are read from the certificates, never written here.

use super::{ChainDiagnosis, ChainInput, Policy, diagnose_bundle, diagnose_chain};
use crate::findings::{Code, Finding, Severity};
use crate::input::parse_bundle;
use crate::model::{Bundle, BundleSource, Certificate, Moment};

/// The bytes of a fixture, embedded at compile time.
macro_rules! fixture {
    ($name:literal) => {
        include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/pki/", $name)).as_slice()
    };
}

const HOST: &str = "ise-01.example.net";

fn policy() -> Policy {
    policy_at("2030-06-01T00:00:00Z", 30)
}

fn policy_at(now: &str, warn_days: i64) -> Policy {
    let now = Moment::parse_rfc3339(now).expect("invariant: the test clock is RFC 3339");
    Policy::at(now, warn_days)
}

/// The one certificate of a PEM fixture, read through `Certificate::from_der`.
fn cert(pem: &[u8]) -> Certificate {
    let bundle = parse_bundle(pem, BundleSource::None);
    assert_eq!(
        bundle.certs.len(),
        1,
        "a certificate fixture holds one certificate"
    );
    let der = bundle.certs[0].der().to_vec();
    Certificate::from_der(&der).expect("fixture certificates parse")
}

fn bundle(pem_files: &[&[u8]]) -> Bundle {
    parse_bundle(
        &pem_files.concat(),
        BundleSource::File("ca.pem".to_string()),
    )
}

fn root() -> Certificate {
    cert(fixture!("root.pem"))
}
fn issuing() -> Certificate {
    cert(fixture!("issuing.pem"))
}
fn leaf() -> Certificate {
    cert(fixture!("leaf.pem"))
}

fn root_bundle() -> Bundle {
    bundle(&[fixture!("root.pem")])
}

fn diagnose_as(host: &str, presented: &[Certificate], bundle: &Bundle, p: &Policy) -> Diagnosis {
    let host_port = format!("{host}:443");
    let input = ChainInput {
        host,
        host_port: &host_port,
        port: 443,
        presented,
        bundle,
        pin: None,
        service: None,
    };
    Diagnosis(diagnose_chain(&input, p))
}

fn diagnose(presented: &[Certificate], bundle: &Bundle) -> Diagnosis {
    diagnose_as(HOST, presented, bundle, &policy())
}

/// A chain diagnosis with assertion helpers.
struct Diagnosis(ChainDiagnosis);

impl Diagnosis {
    fn codes(&self) -> Vec<Code> {
        self.0.findings.iter().map(|f| f.code).collect()
    }

    /// Asserts exactly these codes, in ranked order.
    fn only(&self, expected: &[Code]) -> &Diagnosis {
        assert_eq!(self.codes(), expected, "{:#?}", self.0.findings);
        self
    }

    fn finding(&self, code: Code) -> &Finding {
        let found = self.0.findings.iter().find(|f| f.code == code);
        found.unwrap_or_else(|| panic!("no {code} in {:?}", self.codes()))
    }

    fn says(&self, code: Code, needle: &str) -> &Diagnosis {
        let message = &self.finding(code).message;
        assert!(
            message.contains(needle),
            "{code} lacks {needle:?}: {message}"
        );
        self
    }

    /// Asserts webpki's verdict and whether our path reaches the bundle agree on `expected`.
    fn trusted(&self, expected: bool) -> &Diagnosis {
        self.webpki(expected);
        let path = self.0.path.as_ref().expect("a path was built");
        assert_eq!(path.is_anchored(), expected);
        self
    }

    fn webpki(&self, expected: bool) -> &Diagnosis {
        let verdict = self.0.verdict.as_ref().expect("a bundle was given");
        assert_eq!(verdict.ok, expected, "webpki: {:?}", verdict.error);
        self
    }
}

#[test]
fn good_chain_has_no_findings() {
    diagnose(&[leaf(), issuing()], &root_bundle())
        .only(&[])
        .trusted(true);
}

#[test]
fn good_chain_against_the_full_bundle_has_no_findings() {
    let full = bundle(&[fixture!("bundle-full.pem")]);
    diagnose(&[leaf(), issuing()], &full)
        .only(&[])
        .trusted(true);
}

#[test]
fn leaf_only_with_root_bundle_misses_the_intermediate() {
    let d = diagnose(&[leaf()], &root_bundle());
    d.only(&[Code::ChainMissingIntermediate]).trusted(false);

    let key_id = issuing()
        .subject_key_id_hex()
        .expect("issuing.pem carries an SKI");
    d.says(Code::ChainMissingIntermediate, "CN=LAB-ISSUING-CA")
        .says(Code::ChainMissingIntermediate, &key_id)
        .says(
            Code::ChainMissingIntermediate,
            "The server sends only its leaf",
        );
    let finding = d.finding(Code::ChainMissingIntermediate);
    let missing = finding
        .certificates
        .iter()
        .find(|c| c.role == "missing issuer");
    assert_eq!(
        missing.and_then(|c| c.key_id.as_deref()),
        Some(key_id.as_str())
    );
    assert!(
        finding.fix.iter().any(|step| step.contains("ca.pem")),
        "{:?}",
        finding.fix
    );
}

#[test]
fn leaf_only_with_full_bundle_warns_that_the_server_omits_it() {
    let full = bundle(&[fixture!("bundle-full.pem")]);
    diagnose(&[leaf()], &full)
        .only(&[Code::ChainServerOmitsIntermediate])
        .trusted(true)
        .says(Code::ChainServerOmitsIntermediate, "CN=LAB-ISSUING-CA");
}

#[test]
fn other_pki_with_the_same_names_ends_in_an_untrusted_root() {
    let other = [
        cert(fixture!("other-leaf.pem")),
        cert(fixture!("other-issuing.pem")),
        cert(fixture!("other-root.pem")),
    ];
    let d = diagnose(&other, &root_bundle());
    d.only(&[Code::ChainUntrustedRoot]).trusted(false);
    d.says(Code::ChainUntrustedRoot, &other[2].sha256)
        .says(
            Code::ChainUntrustedRoot,
            "different root with the same name",
        )
        .says(Code::ChainUntrustedRoot, &root().sha256);
}

#[test]
fn other_issuing_ca_beside_our_leaf_is_a_near_miss() {
    let foreign = cert(fixture!("other-issuing.pem"));
    let d = diagnose(&[leaf(), foreign.clone()], &root_bundle());
    d.only(&[Code::ChainMissingIntermediate, Code::ChainUnrelatedCert])
        .trusted(false);
    d.says(Code::ChainMissingIntermediate, "stale or foreign CA")
        .says(Code::ChainMissingIntermediate, &foreign.sha256)
        .says(Code::ChainUnrelatedCert, &foreign.sha256);
}

#[test]
fn self_signed_leaf() {
    diagnose(&[cert(fixture!("self-signed-leaf.pem"))], &root_bundle())
        .only(&[Code::ChainSelfSignedLeaf])
        .trusted(false);
}

#[test]
fn self_signed_leaf_pinned_in_the_bundle_is_trusted() {
    let pinned = bundle(&[fixture!("self-signed-leaf.pem")]);
    let d = diagnose(&[cert(fixture!("self-signed-leaf.pem"))], &pinned);
    assert!(
        !d.codes().contains(&Code::ChainSelfSignedLeaf),
        "{:?}",
        d.codes()
    );
}

#[test]
fn root_before_intermediate_is_the_wrong_order() {
    diagnose(&[leaf(), root(), issuing()], &root_bundle())
        .only(&[Code::ChainWrongOrder, Code::ChainRootSent])
        .trusted(true);
}

#[test]
fn sent_root_is_info() {
    let d = diagnose(&[leaf(), issuing(), root()], &root_bundle());
    d.only(&[Code::ChainRootSent]).trusted(true);
    assert_eq!(d.finding(Code::ChainRootSent).severity, Severity::Info);
}

#[test]
fn duplicate_is_info() {
    diagnose(&[leaf(), issuing(), issuing()], &root_bundle())
        .only(&[Code::ChainDuplicateCert])
        .trusted(true);
}

#[test]
fn foreign_intermediate_beside_the_real_one_is_unrelated() {
    let foreign = cert(fixture!("other-issuing.pem"));
    diagnose(&[leaf(), foreign.clone(), issuing()], &root_bundle())
        .only(&[Code::ChainUnrelatedCert])
        .trusted(true)
        .says(Code::ChainUnrelatedCert, &foreign.sha256)
        .says(Code::ChainUnrelatedCert, "different key");
}

#[test]
fn unrelated_ca_of_our_own_pki_is_unrelated() {
    let old = cert(fixture!("old-issuing.pem"));
    diagnose(&[leaf(), issuing(), old], &root_bundle())
        .only(&[Code::ChainUnrelatedCert])
        .says(Code::ChainUnrelatedCert, "not part of the leaf's chain");
}

#[test]
fn expired_cross_certificate_of_the_root_is_a_trap_for_old_clients() {
    let cross = cert(fixture!("expired-cross.pem"));
    diagnose(&[leaf(), issuing(), cross], &root_bundle())
        .only(&[Code::ChainUnrelatedCert])
        .trusted(true)
        .says(Code::ChainUnrelatedCert, "expired on 2021-01-01");
}

#[test]
fn expired_leaf() {
    diagnose(
        &[cert(fixture!("expired-leaf.pem")), issuing()],
        &root_bundle(),
    )
    .only(&[Code::CertExpired])
    .says(Code::CertExpired, "expired on 2021-01-01");
}

#[test]
fn future_leaf_is_not_yet_valid() {
    diagnose(
        &[cert(fixture!("future-leaf.pem")), issuing()],
        &root_bundle(),
    )
    .only(&[Code::CertNotYetValid])
    .says(Code::CertNotYetValid, "2100-01-01");
}

#[test]
fn expiring_soon_depends_on_the_warning_window() {
    // Everything in the good chain ends on 2120-01-01: 12 days after this clock.
    let chain = [leaf(), issuing()];
    let d = diagnose_as(
        HOST,
        &chain,
        &root_bundle(),
        &policy_at("2119-12-20T00:00:00Z", 30),
    );
    d.only(&[
        Code::CertExpiringSoon,
        Code::CertExpiringSoon,
        Code::CertExpiringSoon,
    ]);
    d.says(Code::CertExpiringSoon, "within the 30-day warning window");

    let d = diagnose_as(
        HOST,
        &chain,
        &root_bundle(),
        &policy_at("2119-12-20T00:00:00Z", 5),
    );
    d.only(&[]);
}

#[test]
fn rsa_1024_leaf_is_a_weak_key() {
    diagnose(
        &[cert(fixture!("rsa1024-leaf.pem")), issuing()],
        &root_bundle(),
    )
    .only(&[Code::CertWeakKey])
    .says(Code::CertWeakKey, "RSA 1024");
}

#[test]
fn sha1_chain_is_a_weak_signature_on_leaf_and_intermediate() {
    let chain = [
        cert(fixture!("sha1-leaf.pem")),
        cert(fixture!("sha1-issuing.pem")),
    ];
    let d = diagnose(&chain, &root_bundle());
    d.only(&[Code::CertWeakSignature, Code::CertWeakSignature]);
    let subjects: Vec<&str> =
        d.0.findings
            .iter()
            .flat_map(|f| f.certificates.iter().map(|c| c.subject.as_str()))
            .collect();
    assert_eq!(
        subjects,
        ["CN=ise-01.example.net", "CN=LAB-SHA1-ISSUING-CA"]
    );
}

#[test]
fn md5_leaf_is_a_weak_signature() {
    diagnose(&[cert(fixture!("md5-leaf.pem")), issuing()], &root_bundle())
        .only(&[Code::CertWeakSignature])
        .says(Code::CertWeakSignature, "MD5");
}

#[test]
fn client_auth_only_leaf_lacks_server_auth() {
    diagnose(
        &[cert(fixture!("clientauth-only-leaf.pem")), issuing()],
        &root_bundle(),
    )
    .only(&[Code::CertMissingServerAuth]);
}

#[test]
fn issuer_with_ca_false_is_not_a_ca() {
    let chain = [
        cert(fixture!("noca-leaf.pem")),
        cert(fixture!("noca-issuing.pem")),
    ];
    // The path reaches the root by signatures; webpki refuses the non-CA issuer.
    diagnose(&chain, &root_bundle())
        .only(&[Code::CaNotACa])
        .webpki(false)
        .says(Code::CaNotACa, "CA:FALSE");
}

#[test]
fn host_outside_the_sans_is_a_mismatch() {
    let d = diagnose_as(
        "ise-02.example.net",
        &[leaf(), issuing()],
        &root_bundle(),
        &policy(),
    );
    d.only(&[Code::NameMismatch])
        .says(Code::NameMismatch, "only DNS:ise-01.example.net");
}

#[test]
fn cn_only_leaf_says_the_cn_is_ignored() {
    diagnose(
        &[cert(fixture!("cn-only-leaf.pem")), issuing()],
        &root_bundle(),
    )
    .only(&[Code::NameMismatch])
    .says(Code::NameMismatch, "no DNS or IP subjectAltName")
    .says(Code::NameMismatch, "only in the CN");
}

#[test]
fn ip_and_wildcard_sans_match() {
    let ip_leaf = cert(fixture!("ip-leaf.pem"));
    diagnose_as(
        "127.0.0.1",
        &[ip_leaf.clone(), issuing()],
        &root_bundle(),
        &policy(),
    )
    .only(&[]);
    diagnose(&[ip_leaf, issuing()], &root_bundle()).only(&[]);

    let wildcard = cert(fixture!("wildcard-leaf.pem"));
    diagnose(&[wildcard.clone(), issuing()], &root_bundle()).only(&[]);
    let deep = diagnose_as(
        "a.b.example.net",
        &[wildcard, issuing()],
        &root_bundle(),
        &policy(),
    );
    deep.only(&[Code::NameMismatch]);
}

#[test]
fn chains_through_unusual_but_valid_issuers_are_healthy() {
    let no_aki = [
        cert(fixture!("no-aki-leaf.pem")),
        cert(fixture!("no-aki-issuing.pem")),
    ];
    diagnose(&no_aki, &root_bundle()).only(&[]).trusted(true);

    // Trusted by lenient clients; only the strict lint (Python 3.13) speaks up.
    let nc = [
        cert(fixture!("noncritical-bc-leaf.pem")),
        cert(fixture!("noncritical-bc-issuing.pem")),
    ];
    diagnose(&nc, &root_bundle())
        .only(&[Code::StrictBcNotCritical])
        .trusted(true);
}

#[test]
fn without_a_bundle_trust_is_not_judged() {
    let d = diagnose(&[leaf(), issuing()], &Bundle::none());
    d.only(&[]);
    assert!(d.0.verdict.is_none());
}

#[test]
fn without_a_bundle_a_leaf_alone_is_still_an_incomplete_chain() {
    let d = diagnose(&[leaf()], &Bundle::none());
    d.only(&[Code::ChainServerOmitsIntermediate]);
    d.says(Code::ChainServerOmitsIntermediate, "CN=LAB-ISSUING-CA");
    assert!(d.0.verdict.is_none());
}

#[test]
fn the_clock_is_a_parameter() {
    let chain = [leaf(), issuing()];
    let after = diagnose_as(
        HOST,
        &chain,
        &root_bundle(),
        &policy_at("2121-01-01T00:00:00Z", 30),
    );
    after.only(&[Code::CertExpired, Code::CertExpired, Code::CertExpired]);
    let before = diagnose_as(
        HOST,
        &chain,
        &root_bundle(),
        &policy_at("2019-06-01T00:00:00Z", 30),
    );
    before.only(&[
        Code::CertNotYetValid,
        Code::CertNotYetValid,
        Code::CertNotYetValid,
    ]);
}

#[test]
fn same_input_same_findings() {
    let chain = [
        leaf(),
        root(),
        issuing(),
        issuing(),
        cert(fixture!("other-issuing.pem")),
    ];
    let first = diagnose(&chain, &root_bundle());
    let second = diagnose(&chain, &root_bundle());
    assert_eq!(first.0.findings, second.0.findings);
    let severities: Vec<Severity> = first.0.findings.iter().map(|f| f.severity).collect();
    let mut ranked = severities.clone();
    ranked.sort_by(|a, b| b.cmp(a));
    assert_eq!(severities, ranked, "most severe first");
}

// --- bundles -------------------------------------------------------------------------

fn bundle_codes(files: &[&[u8]], policy: &Policy) -> Vec<Code> {
    diagnose_bundle(&bundle(files), policy)
        .iter()
        .map(|f| f.code)
        .collect()
}

#[test]
fn bundle_checks_on_fixtures() {
    let p = policy();
    assert_eq!(bundle_codes(&[fixture!("bundle-full.pem")], &p), []);
    assert_eq!(
        bundle_codes(&[fixture!("bundle-empty.pem")], &p),
        [Code::BundleEmpty]
    );
    assert_eq!(
        bundle_codes(&[fixture!("bundle-truncated.pem")], &p),
        [Code::BundleMalformedBlock]
    );
    assert_eq!(
        bundle_codes(&[fixture!("bundle-with-key.pem")], &p),
        [Code::BundlePrivateKey]
    );
    assert_eq!(
        bundle_codes(&[fixture!("bundle-der.der")], &p),
        [Code::BundleNotPem]
    );
    assert_eq!(
        bundle_codes(&[fixture!("bundle-duplicate.pem")], &p),
        [Code::BundleDuplicateCert]
    );
    assert_eq!(
        bundle_codes(&[fixture!("bundle-expired-ca.pem")], &p),
        [Code::BundleExpiredCert]
    );
    assert_eq!(
        bundle_codes(&[fixture!("root.pem"), fixture!("leaf.pem")], &p),
        [Code::BundleNotCa]
    );
    assert_eq!(
        bundle_codes(&[fixture!("bundle-intermediate-only.pem")], &p),
        [Code::BundleNoRoot]
    );
    assert_eq!(
        bundle_codes(&[fixture!("root.pem"), fixture!("other-issuing.pem")], &p),
        [Code::BundleIncomplete]
    );
}

#[test]
fn bundle_expiry_follows_the_clock() {
    let later = policy_at("2121-01-01T00:00:00Z", 30);
    let codes = bundle_codes(&[fixture!("bundle-full.pem")], &later);
    assert_eq!(codes, [Code::BundleExpiredCert, Code::BundleExpiredCert]);
}

// --- targets -------------------------------------------------------------------------

fn target() -> crate::model::TargetSpec {
    crate::model::TargetSpec {
        label: format!("{HOST}:443"),
        host: HOST.to_string(),
        port: 443,
        connect_to: None,
        service: None,
        kind: None,
        present_client_cert: false,
    }
}

#[test]
fn unparsable_certificates_are_findings_and_a_lost_leaf_is_not_replaced() {
    use crate::model::ProbeOutcome;

    let middle = ProbeOutcome {
        presented: vec![leaf(), issuing()],
        unparsable: vec![(1, "not DER".to_string())],
        ..ProbeOutcome::default()
    };
    let d = super::diagnose_target(&target(), &middle, &root_bundle(), &policy());
    let codes: Vec<Code> = d.findings.iter().map(|f| f.code).collect();
    assert_eq!(codes, [Code::TlsHandshakeFailed]);
    assert!(
        d.findings[0].message.contains("position 1"),
        "{}",
        d.findings[0].message
    );
    assert!(d.chain.is_some());

    let no_leaf = ProbeOutcome {
        presented: vec![issuing()],
        unparsable: vec![(0, "not DER".to_string())],
        ..ProbeOutcome::default()
    };
    let d = super::diagnose_target(&target(), &no_leaf, &root_bundle(), &policy());
    let codes: Vec<Code> = d.findings.iter().map(|f| f.code).collect();
    assert_eq!(
        codes,
        [Code::TlsHandshakeFailed],
        "the intermediate is not judged as a leaf"
    );
    assert!(d.chain.is_none());
}

#[test]
fn an_issuer_with_the_wrong_key_type_is_no_candidate() {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyIdMethod, KeyPair};

    // A look-alike of the issuing CA: same name, same subject key id, an EC key. The real
    // one has an RSA key, and the leaf's RSA signature cannot come from an EC key.
    let real = issuing();
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("empty SANs are valid");
    params
        .distinguished_name
        .push(DnType::CommonName, "LAB-ISSUING-CA");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_identifier_method =
        KeyIdMethod::PreSpecified(real.subject_key_id.clone().expect("fixture has an SKI"));
    let key = KeyPair::generate().expect("EC key generation");
    let fake_der = params.self_signed(&key).expect("signs").der().to_vec();
    let fake = Certificate::from_der(&fake_der).expect("parses");

    let mut with_fake = Bundle::none();
    with_fake.source = BundleSource::File("ca.pem".to_string());
    with_fake.certs = vec![fake.clone(), real.clone(), root()];

    let d = diagnose(&[leaf()], &with_fake);
    d.only(&[Code::ChainServerOmitsIntermediate]).trusted(true);
    let named = &d.finding(Code::ChainServerOmitsIntermediate).certificates[0];
    assert_eq!(named.sha256.as_deref(), Some(real.sha256.as_str()));
    assert!(!d.finding(Code::ChainServerOmitsIntermediate).fix[0].contains(&fake.sha256));
}

#[test]
fn a_wrong_bundle_under_a_sent_intermediate_asks_for_the_root_out_of_band() {
    let d = diagnose(&[leaf(), issuing()], &bundle(&[fixture!("other-root.pem")]));
    d.only(&[Code::ChainMissingIntermediate]).trusted(false);
    let finding = d.finding(Code::ChainMissingIntermediate);
    let fix = finding.fix.join("\n");
    assert!(fix.contains("pki/cert/ca"), "{fix}");
    assert!(fix.contains("out of band"), "{fix}");
    assert!(!fix.contains("ISE then sends leaf + intermediate"), "{fix}");
    assert!(
        fix.contains("{ echo; cat LAB-ROOT-CA.pem; } >> ca.pem"),
        "{fix}"
    );
}

#[test]
fn repeated_bundle_certificates_are_one_finding_each() {
    let repeated = bundle(&[
        fixture!("root.pem"),
        fixture!("root.pem"),
        fixture!("root.pem"),
    ]);
    let findings = diagnose_bundle(&repeated, &policy());
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(findings[0].code, Code::BundleDuplicateCert);
    assert!(
        findings[0]
            .message
            .contains("3 times (certificates 1, 2 and 3)")
    );

    // Two CAs missing the same issuer: one finding naming both.
    let orphans = bundle(&[
        fixture!("other-root.pem"),
        fixture!("issuing.pem"),
        fixture!("noncritical-bc-issuing.pem"),
    ]);
    let findings = diagnose_bundle(&orphans, &policy());
    let incomplete: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.code == Code::BundleIncomplete)
        .collect();
    assert_eq!(incomplete.len(), 1, "{findings:#?}");
    assert_eq!(incomplete[0].certificates.len(), 2);
    assert!(incomplete[0].message.contains("2 CAs"));
}

#[test]
fn the_webpki_verdict_is_a_sentence_with_a_stable_reason() {
    let d = diagnose(&[leaf()], &root_bundle());
    let verdict = d.0.verdict.clone().expect("a bundle was given");
    assert!(!verdict.ok);
    assert_eq!(verdict.reason.as_deref(), Some("UnknownIssuer"));
    assert!(
        verdict
            .error
            .as_deref()
            .is_some_and(|e| e.contains("unknown issuer"))
    );
}

#[test]
fn a_self_signed_dataconnect_certificate_is_cured_by_a_pin_not_a_csr() {
    let leaf = cert(fixture!("self-signed-leaf.pem"));
    let bundle = root_bundle();
    let host_port = format!("{HOST}:dataconnect");
    let input = ChainInput {
        host: HOST,
        host_port: &host_port,
        port: 12484,
        presented: std::slice::from_ref(&leaf),
        bundle: &bundle,
        pin: None,
        service: Some(crate::model::Service::Dataconnect),
    };
    let d = Diagnosis(diagnose_chain(&input, &policy()));
    let fix = d.finding(Code::ChainSelfSignedLeaf).fix.join("\n");
    assert!(fix.contains("dataconnect.crt"), "{fix}");
    assert!(fix.contains("--pin"), "{fix}");
    assert!(!fix.contains("Generate"), "{fix}");
}

#[test]
fn a_ca_issued_chain_against_an_old_pin_retires_the_pin() {
    let old_pin = cert(fixture!("self-signed-leaf.pem"));
    let bundle = bundle(&[fixture!("root.pem")]);
    let chain = [leaf(), issuing()];
    let host_port = format!("{HOST}:2484");
    let input = ChainInput {
        host: HOST,
        host_port: &host_port,
        port: 2484,
        presented: &chain,
        bundle: &bundle,
        pin: Some(&old_pin),
        service: Some(crate::model::Service::Dataconnect),
    };
    let d = Diagnosis(diagnose_chain(&input, &policy()));
    let fix = d.finding(Code::PinMismatch).fix.join("\n");
    assert!(fix.contains("retire the pin"), "{fix}");
    assert!(!fix.contains("replace the pin"), "{fix}");
}
