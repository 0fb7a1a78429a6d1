//! Each profile's decisive rules and each strict lint, on the committed fixtures (clock
//! 2030-06-01) and on small rcgen PKIs for what the fixtures lack (a CA without AKI or
//! keyUsage, a CA:TRUE leaf, an AIA URL). The expectations for `openssl` and
//! `python3.13` were measured with `openssl verify` (OpenSSL 3.0.19) on the same files.

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, SanType};

use super::{ClientVerdicts, Judged, Profile, ProfileSet, judge};
use crate::analysis::{ChainInput, Policy, diagnose_chain, diagnose_target};
use crate::findings::{Code, Status};
use crate::input::parse_bundle;
use crate::model::{Bundle, BundleSource, Certificate, Moment, ProbeOutcome, TargetSpec};

use Profile::{Browser, Go, Java, Openssl, Python313, Webpki};

macro_rules! fixture {
    ($name:literal) => {
        include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/pki/", $name)).as_slice()
    };
}

const HOST: &str = "ise-01.example.net";

fn now() -> Moment {
    Moment::parse_rfc3339("2030-06-01T00:00:00Z").expect("invariant: the test clock is RFC 3339")
}

fn certs(pem: &[u8]) -> Vec<Certificate> {
    parse_bundle(pem, BundleSource::None).certs
}

fn cert(pem: &[u8]) -> Certificate {
    certs(pem).remove(0)
}

fn verdicts(presented: &[Certificate], bundle: &[Certificate]) -> ClientVerdicts {
    judge(&Judged {
        presented,
        bundle,
        host: HOST,
        now: now(),
    })
}

/// Asserts which profiles accept; returns the verdicts for reason checks.
fn accepted_by(
    presented: &[Certificate],
    bundle: &[Certificate],
    ok: &[Profile],
) -> ClientVerdicts {
    let v = verdicts(presented, bundle);
    let accepting: Vec<Profile> = v.iter().filter(|(_, v)| v.ok).map(|(p, _)| *p).collect();
    assert_eq!(accepting, ok, "{v:#?}");
    v
}

fn reason(v: &ClientVerdicts, profile: Profile) -> &str {
    &v[&profile].reason
}

fn good() -> Vec<Certificate> {
    vec![cert(fixture!("leaf.pem")), cert(fixture!("issuing.pem"))]
}

fn root() -> Vec<Certificate> {
    certs(fixture!("root.pem"))
}

fn file_bundle(certs: Vec<Certificate>) -> Bundle {
    let pem: String = certs.iter().map(Certificate::to_pem).collect();
    parse_bundle(pem.as_bytes(), BundleSource::File("ca.pem".to_string()))
}

fn diagnose(presented: &[Certificate], bundle: &Bundle) -> crate::analysis::ChainDiagnosis {
    let input = ChainInput {
        host: HOST,
        host_port: "ise-01.example.net:443",
        port: 443,
        presented,
        bundle,
        pin: None,
        service: None,
    };
    diagnose_chain(&input, &Policy::at(now(), 30))
}

#[test]
fn a_sound_chain_passes_every_profile() {
    let v = accepted_by(&good(), &root(), &Profile::ALL);
    assert!(v.values().all(|v| v.reason == "accepted"));
}

#[test]
fn an_intermediate_only_bundle_fails_openssl_alone() {
    let bundle = certs(fixture!("bundle-intermediate-only.pem"));
    let v = accepted_by(&good(), &bundle, &[Python313, Webpki, Go, Java, Browser]);
    assert!(reason(&v, Openssl).contains("bundle intermediate (`CN=LAB-ISSUING-CA`)"));
    assert!(reason(&v, Openssl).contains("no partial-chain; error 2"));

    // bundle.no-root explains it at the bundle level: no client.rejected on the target.
    let d = diagnose(&good(), &file_bundle(bundle));
    assert!(d.findings.iter().all(|f| f.code != Code::ClientRejected));
}

#[test]
fn the_leaf_alone_in_the_bundle_is_error_20_for_openssl() {
    let leaf = vec![cert(fixture!("leaf.pem"))];
    // webpki wants the leaf's issuer among the anchors, not the leaf itself.
    let v = accepted_by(&leaf, &leaf, &[Python313, Go, Java, Browser]);
    assert!(reason(&v, Openssl).contains("error 20"), "{v:#?}");
}

#[test]
fn a_non_critical_ca_basic_constraints_fails_python_3_13_only() {
    let chain = [
        cert(fixture!("noncritical-bc-leaf.pem")),
        cert(fixture!("noncritical-bc-issuing.pem")),
    ];
    let v = accepted_by(&chain, &root(), &[Openssl, Webpki, Go, Java, Browser]);
    assert!(reason(&v, Python313).contains("error 89"));

    let d = diagnose(&chain, &file_bundle(root()));
    let lint = d
        .findings
        .iter()
        .find(|f| f.code == Code::StrictBcNotCritical);
    let lint = lint.expect("strict.bc-not-critical fires");
    assert_eq!(lint.affects, ["python3.13"]);
    assert!(
        lint.fix
            .iter()
            .any(|f| f.contains("basicConstraints = critical, CA:true"))
    );
    assert!(lint.fix.iter().any(|f| f.starts_with("Vault PKI:")));
}

#[test]
fn sha1_fails_everyone_but_java() {
    let chain = [
        cert(fixture!("sha1-leaf.pem")),
        cert(fixture!("sha1-issuing.pem")),
    ];
    let v = accepted_by(&chain, &root(), &[Java]);
    assert!(reason(&v, Openssl).contains("error 68"), "{v:#?}");

    let d = diagnose(&chain, &file_bundle(root()));
    let weak = d
        .findings
        .iter()
        .find(|f| f.code == Code::CertWeakSignature);
    let weak = weak.expect("cert.weak-signature fires");
    assert!(!weak.affects.contains(&"java".to_string()));
    assert!(weak.affects.contains(&"openssl".to_string()));
}

#[test]
fn md5_fails_java_too() {
    let chain = [
        cert(fixture!("md5-leaf.pem")),
        cert(fixture!("issuing.pem")),
    ];
    let v = accepted_by(&chain, &root(), &[]);
    assert!(reason(&v, Java).contains("disabledAlgorithms"));
}

#[test]
fn rsa_1024_fails_seclevel_2_not_go_or_java() {
    let chain = [
        cert(fixture!("rsa1024-leaf.pem")),
        cert(fixture!("issuing.pem")),
    ];
    // webpki judges the chain only: the leaf's own key signs nothing in it (rustls refuses
    // it later, in the handshake signature).
    let v = accepted_by(&chain, &root(), &[Webpki, Go, Java, Browser]);
    assert!(reason(&v, Openssl).contains("error 66"));
}

#[test]
fn a_cn_only_leaf_passes_the_clients_that_still_read_the_cn() {
    let chain = [
        cert(fixture!("cn-only-leaf.pem")),
        cert(fixture!("issuing.pem")),
    ];
    let v = accepted_by(&chain, &root(), &[Openssl, Python313, Java]);
    assert!(reason(&v, Go).contains("CN is ignored"));

    let d = diagnose(&chain, &file_bundle(root()));
    let mismatch = d.findings.iter().find(|f| f.code == Code::NameMismatch);
    let names = &mismatch.expect("name.mismatch fires").affects;
    assert_eq!(names, &["webpki", "go", "browser"]);
}

#[test]
fn a_clientauth_only_leaf_fails_purpose_sslserver_everywhere() {
    let chain = [
        cert(fixture!("clientauth-only-leaf.pem")),
        cert(fixture!("issuing.pem")),
    ];
    let v = accepted_by(&chain, &root(), &[]);
    assert!(reason(&v, Openssl).contains("error 26"));
}

#[test]
fn an_issuer_that_is_not_a_ca_is_error_79() {
    let chain = [
        cert(fixture!("noca-leaf.pem")),
        cert(fixture!("noca-issuing.pem")),
    ];
    let v = accepted_by(&chain, &root(), &[]);
    assert!(reason(&v, Openssl).contains("error 79"));
}

#[test]
fn an_expired_cross_sign_with_a_valid_way_round_passes_openssl() {
    let mut chain = good();
    chain.push(cert(fixture!("expired-cross.pem")));
    accepted_by(&chain, &root(), &Profile::ALL);

    // Anchored at the other root, the only path runs through the expired cross-sign.
    let v = verdicts(&chain, &certs(fixture!("other-root.pem")));
    assert!(!v[&Openssl].ok);
    assert!(reason(&v, Openssl).contains("expired on 2021-01-01 (error 10)"));
}

#[test]
fn an_expired_leaf_fails_everyone() {
    let chain = [
        cert(fixture!("expired-leaf.pem")),
        cert(fixture!("issuing.pem")),
    ];
    accepted_by(&chain, &root(), &[]);
}

#[test]
fn a_missing_intermediate_without_aia_fails_the_browser_too() {
    let leaf = [cert(fixture!("leaf.pem"))];
    let v = accepted_by(&leaf, &root(), &[]);
    assert!(reason(&v, Openssl).contains("error 20"));
}

// --- rcgen PKIs -------------------------------------------------------------------------

struct Ca {
    params: CertificateParams,
    key: KeyPair,
    cert: Certificate,
}

impl Ca {
    fn issuer(&self) -> Issuer<'_, &KeyPair> {
        Issuer::from_params(&self.params, &self.key)
    }
}

fn ca_params(cn: &str) -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name.push(DnType::CommonName, cn);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::CrlSign,
    ];
    params
}

fn make(params: CertificateParams, issuer: Option<&Ca>) -> Ca {
    let key = KeyPair::generate().expect("invariant: P-256 key generation works");
    let der = match issuer {
        Some(ca) => params.signed_by(&key, &ca.issuer()),
        None => params.self_signed(&key),
    }
    .expect("invariant: test parameters are valid");
    let cert = Certificate::from_der(der.der()).expect("invariant: rcgen output parses");
    Ca { params, key, cert }
}

fn leaf_params(aki: bool) -> CertificateParams {
    let mut params = CertificateParams::new(vec![HOST.to_string()])
        .expect("invariant: the host is a valid DNS name");
    params.distinguished_name.push(DnType::CommonName, HOST);
    params.use_authority_key_identifier_extension = aki;
    params
}

/// Root → `intermediate` (from `tweak`) → leaf; returns (presented, root).
fn chain_with(tweak: impl FnOnce(&mut CertificateParams)) -> (Vec<Certificate>, Certificate) {
    let root = make(ca_params("RCGEN-ROOT"), None);
    let mut params = ca_params("RCGEN-ISSUING");
    params.use_authority_key_identifier_extension = true;
    tweak(&mut params);
    let issuing = make(params, Some(&root));
    let leaf = make(leaf_params(true), Some(&issuing));
    (vec![leaf.cert, issuing.cert], root.cert)
}

#[test]
fn a_ca_without_aki_fails_python_3_13_unless_it_is_the_anchor() {
    let (chain, root) = chain_with(|p| p.use_authority_key_identifier_extension = false);
    let v = accepted_by(
        &chain,
        std::slice::from_ref(&root),
        &[Openssl, Webpki, Go, Java, Browser],
    );
    assert!(reason(&v, Python313).contains("AKI missing on `CN=RCGEN-ISSUING`"));
    assert!(reason(&v, Python313).contains("error 85"));

    // Partial chain ending at it: OpenSSL spares the last certificate (measured).
    let v = verdicts(&chain[..1], &chain[1..]);
    assert!(v[&Python313].ok, "{v:#?}");

    let d = diagnose(&chain, &file_bundle(vec![root]));
    let lint = d.findings.iter().find(|f| f.code == Code::StrictMissingAki);
    let lint = lint.expect("strict.missing-aki fires");
    assert!(
        lint.fix
            .iter()
            .any(|f| f.contains("authorityKeyIdentifier = keyid:always"))
    );
}

#[test]
fn a_ca_without_key_usage_fails_python_3_13() {
    let (chain, root) = chain_with(|p| p.key_usages.clear());
    let v = verdicts(&chain, &[root]);
    assert!(!v[&Python313].ok);
    assert!(reason(&v, Python313).contains("error 92"), "{v:#?}");
    assert!(v[&Openssl].ok, "{v:#?}");
}

#[test]
fn a_ca_key_usage_without_keycertsign_fails_openssl_and_java() {
    let (chain, root) = chain_with(|p| {
        p.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
    });
    let v = verdicts(&chain, std::slice::from_ref(&root));
    assert!(!v[&Openssl].ok && !v[&Java].ok && v[&Go].ok, "{v:#?}");

    let d = diagnose(&chain, &file_bundle(vec![root]));
    let lint = d
        .findings
        .iter()
        .find(|f| f.code == Code::StrictCaWithoutKeycertsign);
    assert_eq!(
        lint.expect("strict.ca-without-keycertsign fires").affects,
        ["openssl", "python3.13", "java"]
    );
}

#[test]
fn a_ca_true_leaf_is_a_strict_lint_and_fails_webpki() {
    let root = make(ca_params("RCGEN-ROOT"), None);
    let mut params = leaf_params(true);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.subject_alt_names = vec![SanType::DnsName(
        HOST.try_into()
            .expect("invariant: the host is a valid DNS name"),
    )];
    let leaf = make(params, Some(&root));
    let chain = [leaf.cert];
    let v = verdicts(&chain, std::slice::from_ref(&root.cert));
    assert!(!v[&Webpki].ok, "{v:#?}");

    let d = diagnose(&chain, &file_bundle(vec![root.cert]));
    let codes: Vec<Code> = d.findings.iter().map(|f| f.code).collect();
    assert!(codes.contains(&Code::StrictLeafIsCa), "{codes:?}");
}

#[test]
fn the_browser_passes_a_missing_intermediate_that_aia_may_serve() {
    let pki = crate::sim::pki::Pki::lab();
    let spec = crate::sim::pki::LeafSpec::default().with_ca_issuers("http://pki.example/i.crt");
    let leaf = pki
        .issue_leaf(&spec)
        .expect("invariant: the lab PKI issues leaves");
    let judged = Judged {
        presented: &[leaf.certificate()],
        bundle: &[pki.root.certificate()],
        host: HOST,
        now: Moment::now(),
    };
    let v = judge(&judged);
    assert!(v[&Browser].ok, "{v:#?}");
    assert!(reason(&v, Browser).contains("not checked offline"));
    assert!(!v[&Go].ok && !v[&Openssl].ok);
}

#[test]
fn client_selection_decides_the_status() {
    let target = TargetSpec::new(HOST, 443);
    let chain = vec![
        cert(fixture!("noncritical-bc-leaf.pem")),
        cert(fixture!("noncritical-bc-issuing.pem")),
    ];
    let outcome = ProbeOutcome {
        presented: chain,
        ..ProbeOutcome::default()
    };
    let bundle = file_bundle(root());

    let all = Policy::at(now(), 30);
    assert_eq!(
        diagnose_target(&target, &outcome, &bundle, &all).status,
        Status::Warning
    );

    let go_only = Policy {
        clients: ProfileSet::of(&[Go]),
        ..all
    };
    let d = diagnose_target(&target, &outcome, &bundle, &go_only);
    assert_eq!(d.status, Status::Ok);
    assert!(
        d.findings
            .iter()
            .any(|f| f.code == Code::StrictBcNotCritical)
    );
}

#[test]
fn profiles_serialize_in_a_fixed_order_by_name() {
    let v = verdicts(&good(), &root());
    let json = serde_json::to_string(&v).expect("invariant: verdicts serialize");
    assert!(json.starts_with(r#"{"openssl":{"ok":true,"reason":"accepted"},"python3.13""#));
    for p in Profile::ALL {
        assert_eq!(Profile::parse(p.as_str()), Some(p));
    }
}
