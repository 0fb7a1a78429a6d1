//! `ise-doctor chain HOST:PORT`: the presented chain as PEM or as a report; trust only
//! with `--ca`.

use ise_doctor::model::BundleSource;
use ise_doctor::sim::{LeafSpec, Validity};

use crate::support::{Lab, Run, closed_port, serve};

#[test]
fn pem_output_parses_back_into_the_presented_certificates() {
    let lab = Lab::new();
    let pki = &lab.pki;
    let server = serve(&[&pki.leaf, &pki.intermediate, &pki.root], &pki.leaf);

    let out = Run::chain(server.port()).arg("--pem").code(0);
    let parsed = ise_doctor::input::parse_bundle(out.stdout.as_bytes(), BundleSource::None);
    assert!(
        parsed.defects.is_empty(),
        "{:?}\n{}",
        parsed.defects,
        out.transcript()
    );
    let got: Vec<&str> = parsed.certs.iter().map(|c| c.sha256.as_str()).collect();
    let want = [
        pki.leaf.sha256(),
        pki.intermediate.sha256(),
        pki.root.sha256(),
    ];
    assert_eq!(got, want);
    assert!(
        out.stdout.starts_with("-----BEGIN CERTIFICATE-----"),
        "nothing but PEM"
    );
}

#[test]
fn pem_output_keeps_the_order_and_duplicates_as_sent() {
    let lab = Lab::new();
    let pki = &lab.pki;
    let server = serve(
        &[&pki.leaf, &pki.root, &pki.intermediate, &pki.root],
        &pki.leaf,
    );

    let out = Run::chain(server.port()).arg("--pem").code(0);
    let parsed = ise_doctor::input::parse_bundle(out.stdout.as_bytes(), BundleSource::None);
    let got: Vec<&str> = parsed.certs.iter().map(|c| c.sha256.as_str()).collect();
    let (leaf, int, root) = (
        pki.leaf.sha256(),
        pki.intermediate.sha256(),
        pki.root.sha256(),
    );
    assert_eq!(got, [&leaf, &root, &int, &root]);
}

#[test]
fn pem_without_a_chain_exits_2_and_says_why() {
    let out = Run::chain(closed_port()).arg("--pem").code(2);
    assert!(out.stdout.is_empty(), "{}", out.transcript());
    out.stderr_has("presented no certificate (net.refused): Nothing accepts connections");
    assert!(
        !out.stderr.contains("Refused {"),
        "no debug output: {}",
        out.stderr
    );
}

#[test]
fn without_ca_no_trust_is_judged() {
    let lab = Lab::new();
    let server = serve(&[&lab.pki.leaf, &lab.pki.intermediate], &lab.pki.leaf);

    let out = Run::chain(server.port()).json().code(0);
    out.status("ok").no_findings();
    let target = out.target(0);
    assert!(target.value["trusted"].is_null(), "{}", out.transcript());
    assert!(target.value["verdict"].is_null());
    assert_eq!(target.chain().len(), 2);
    assert_eq!(out.json()["command"], "chain");
    assert_eq!(out.json()["bundle"]["source"], "none");
    assert_eq!(out.json()["bundle"]["status"], "ok");
}

#[test]
fn without_ca_a_leaf_alone_is_reported_as_an_incomplete_chain() {
    let lab = Lab::new();
    let server = serve(&[&lab.pki.leaf], &lab.pki.leaf);

    let out = Run::chain(server.port()).json().code(1);
    out.status("warning");
    assert_eq!(out.codes(), vec!["chain.server-omits-intermediate"]);
    out.finding("chain.server-omits-intermediate")
        .says("CN=LAB-ISSUING-CA");
    assert!(out.target(0).value["trusted"].is_null());
}

#[test]
fn without_ca_certificate_checks_still_apply() {
    let lab = Lab::new();
    let spec = LeafSpec::default().with_validity(Validity::Expired { days_ago: 1 });
    let leaf = lab.pki.issue_leaf(&spec).expect("issues");
    let server = serve(&[&leaf, &lab.pki.intermediate], &leaf);

    Run::chain(server.port())
        .json()
        .code(2)
        .only(&["cert.expired"]);
}

#[test]
fn with_ca_trust_is_judged() {
    let lab = Lab::new();
    let server = serve(&[&lab.pki.leaf], &lab.pki.leaf);

    let out = Run::chain(server.port())
        .args(["--ca", &lab.root_bundle()])
        .json()
        .code(2);
    out.only(&["chain.missing-intermediate"]);
    assert_eq!(out.target(0).value["trusted"], false);
    assert_eq!(out.json()["bundle"]["source"], "file");
}

#[test]
fn human_chain_shows_fingerprints() {
    let lab = Lab::new();
    let server = serve(&[&lab.pki.leaf, &lab.pki.intermediate], &lab.pki.leaf);

    Run::chain(server.port())
        .code(0)
        .stdout_has(&lab.pki.leaf.sha256())
        .stdout_has(&lab.pki.intermediate.sha256());
}
