//! Per-certificate checks on a live server: dates, usage, CA flag, names.
//!
//! `cert.weak-key` and `cert.weak-signature` need certificates rcgen cannot sign: they
//! are served by OpenSSL in `openssl_peer.rs` and checked on fixtures in
//! `src/analysis/tests.rs`.

use ise_doctor::sim::pki::Issued;
use ise_doctor::sim::{LeafEku, LeafSpec, PkiBuilder, Validity};

use crate::support::{HOST, Lab, Run, serve};

/// Serves `leaf` + the lab intermediate, checked against the lab root.
fn check_leaf(lab: &Lab, leaf: &Issued) -> (ise_doctor::sim::BackgroundServer, Run) {
    let server = serve(&[leaf, &lab.pki.intermediate], leaf);
    let run = Run::check(server.port(), &lab.root_bundle()).json();
    (server, run)
}

fn leaf(lab: &Lab, spec: LeafSpec) -> Issued {
    lab.pki.issue_leaf(&spec).expect("the lab issues the leaf")
}

#[test]
fn expired_leaf() {
    let lab = Lab::new();
    let leaf = leaf(
        &lab,
        LeafSpec::default().with_validity(Validity::Expired { days_ago: 3 }),
    );
    let (_server, run) = check_leaf(&lab, &leaf);

    let out = run.code(2);
    out.status("error").only(&["cert.expired"]);
    out.finding("cert.expired")
        .says("The leaf `CN=ise-01.example.net` expired on");
}

#[test]
fn leaf_not_valid_yet() {
    let lab = Lab::new();
    let spec = LeafSpec::default().with_validity(Validity::NotYetValid { in_days: 5 });
    let (_server, run) = check_leaf(&lab, &leaf(&lab, spec));

    run.code(2)
        .status("error")
        .only(&["cert.not-yet-valid"])
        .finding("cert.not-yet-valid")
        .says("is not valid before");
}

#[test]
fn expired_intermediate() {
    let pki = PkiBuilder::new()
        .issuing_validity(Validity::Expired { days_ago: 2 })
        .build()
        .expect("builds");
    let lab = Lab::with(pki);
    let server = serve(&[&lab.pki.leaf, &lab.pki.intermediate], &lab.pki.leaf);

    Run::check(server.port(), &lab.root_bundle())
        .json()
        .code(2)
        .finding("cert.expired")
        .says("The intermediate `CN=LAB-ISSUING-CA` expired");
}

#[test]
fn leaf_expiring_within_the_warning_window_warns() {
    let lab = Lab::new();
    let spec = LeafSpec::default().with_validity(Validity::ExpiresIn { days: 10 });
    let (_server, run) = check_leaf(&lab, &leaf(&lab, spec));

    run.args(["--warn-days", "30"])
        .code(1)
        .status("warning")
        .only(&["cert.expiring-soon"])
        .finding("cert.expiring-soon")
        .says("within the 30-day warning window");
}

#[test]
fn leaf_expiring_after_the_warning_window_is_fine() {
    let lab = Lab::new();
    let spec = LeafSpec::default().with_validity(Validity::ExpiresIn { days: 10 });
    let (_server, run) = check_leaf(&lab, &leaf(&lab, spec));

    run.args(["--warn-days", "5"])
        .code(0)
        .status("ok")
        .no_findings();
}

#[test]
fn client_auth_only_leaf_is_not_a_server_certificate() {
    let lab = Lab::new();
    let spec = LeafSpec::default().with_eku(LeafEku::ClientAuthOnly);
    let (_server, run) = check_leaf(&lab, &leaf(&lab, spec));

    run.code(2)
        .status("error")
        .only(&["cert.missing-server-auth"])
        .finding("cert.missing-server-auth")
        .says("allows only clientAuth");
}

#[test]
fn leaf_with_server_and_client_auth_is_fine() {
    let lab = Lab::new();
    let spec = LeafSpec::default().with_eku(LeafEku::ServerAndClient);
    let (_server, run) = check_leaf(&lab, &leaf(&lab, spec));

    run.code(0).no_findings();
}

#[test]
fn intermediate_without_ca_flag_is_not_a_ca() {
    let lab = Lab::with(
        PkiBuilder::new()
            .issuing_is_ca(false)
            .build()
            .expect("builds"),
    );
    let server = serve(&[&lab.pki.leaf, &lab.pki.intermediate], &lab.pki.leaf);

    let out = Run::check(server.port(), &lab.root_bundle()).json().code(2);
    out.status("error").only(&["ca.not-a-ca"]);
    out.finding("ca.not-a-ca")
        .says("`CN=LAB-ISSUING-CA` signs `CN=ise-01.example.net`")
        .says("no basicConstraints");
}

#[test]
fn host_not_among_the_sans_is_a_name_mismatch() {
    let lab = Lab::new();
    let server = serve(&[&lab.pki.leaf, &lab.pki.intermediate], &lab.pki.leaf);

    let out = Run::check_as("ise-02.example.net", server.port(), &lab.root_bundle())
        .json()
        .code(2);
    out.status("error").only(&["name.mismatch"]);
    out.finding("name.mismatch")
        .says("`ise-02.example.net` is not a name")
        .says("only DNS:ise-01.example.net")
        .fix_says(&format!("`{HOST}`"));
    assert_eq!(out.target(0).value["host"], "ise-02.example.net");
}

#[test]
fn cn_only_leaf_says_the_cn_is_ignored() {
    let lab = Lab::new();
    let (_server, run) = check_leaf(&lab, &leaf(&lab, LeafSpec::cn_only(HOST)));

    run.code(2)
        .only(&["name.mismatch"])
        .finding("name.mismatch")
        .says("no DNS or IP subjectAltName")
        .says("only in the CN")
        .says("ignore");
}

#[test]
fn wildcard_leaf_matches_one_label() {
    let lab = Lab::new();
    let (_server, run) = check_leaf(&lab, &leaf(&lab, LeafSpec::dns(&["*.example.net"])));
    run.code(0).no_findings();
}

#[test]
fn connecting_by_ip_needs_an_ip_san() {
    let lab = Lab::new();
    let loopback = std::net::IpAddr::from([127, 0, 0, 1]);
    let with_ip = leaf(&lab, LeafSpec::default().with_ip(loopback));
    let server = serve(&[&with_ip, &lab.pki.intermediate], &with_ip);
    let target = format!("127.0.0.1:{}", server.port());
    let bundle = lab.root_bundle();

    Run::new(["check", &target, "--ca", &bundle])
        .json()
        .code(0)
        .no_findings();

    let dns_only = serve(&[&lab.pki.leaf, &lab.pki.intermediate], &lab.pki.leaf);
    let target = format!("127.0.0.1:{}", dns_only.port());
    let out = Run::new(["check", &target, "--ca", &bundle]).json().code(2);
    out.only(&["name.mismatch"])
        .finding("name.mismatch")
        .says("`127.0.0.1` is not a name")
        .fix_says("--resolve")
        .fix_says("IP Address");
}
