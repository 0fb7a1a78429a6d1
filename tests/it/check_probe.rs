//! Probe failures: mutual TLS, closed ports, stalls, non-TLS peers, DNS; and several
//! targets in one run.

use std::time::Duration;

use ise_doctor::sim::{Behavior, ClientAuth, TlsSpec, Versions};

use crate::support::{HOST, Lab, Output, Run, closed_port, serve, serve_behavior, serve_spec};

fn mutual_tls(lab: &Lab, versions: Versions, client_auth: ClientAuth) -> Output {
    let spec = TlsSpec::new(lab.pki.served_chain(), lab.pki.leaf.key_der())
        .versions(versions)
        .client_auth(client_auth);
    let server = serve_spec(spec);
    Run::check(server.port(), &lab.root_bundle())
        .json()
        .output()
}

fn assert_client_cert_required(out: &Output, version: &str) {
    assert_eq!(out.code, 2, "{}", out.transcript());
    out.status("error").only(&["tls.client-cert-required"]);
    out.finding("tls.client-cert-required")
        .says("requires a client certificate")
        .says("CN=LAB-ROOT-CA");

    let target = out.target(0);
    assert_eq!(target.value["tls_version"], version);
    assert_eq!(
        target.chain_subjects(),
        ["CN=ise-01.example.net", "CN=LAB-ISSUING-CA"]
    );
    assert_eq!(
        target.value["client_auth"]["acceptable_cas"][0],
        "CN=LAB-ROOT-CA"
    );
    assert_eq!(target.value["trusted"], true, "the chain is still judged");
    assert_eq!(out.json()["summary"]["exit_code"], 2);
}

#[test]
fn required_client_certificate_tls12() {
    let lab = Lab::new();
    let roots = vec![lab.pki.root.der().clone()];
    let out = mutual_tls(&lab, Versions::Tls12Only, ClientAuth::Required(roots));
    assert_client_cert_required(&out, "TLSv1.2");
}

#[test]
fn required_client_certificate_tls13() {
    let lab = Lab::new();
    let roots = vec![lab.pki.root.der().clone()];
    let out = mutual_tls(&lab, Versions::Tls13Only, ClientAuth::Required(roots));
    assert_client_cert_required(&out, "TLSv1.3");
}

#[test]
fn optional_client_certificate_is_no_failure() {
    let lab = Lab::new();
    for versions in [Versions::Tls12Only, Versions::Tls13Only] {
        let roots = vec![lab.pki.root.der().clone()];
        let out = mutual_tls(&lab, versions, ClientAuth::Optional(roots));
        assert_eq!(out.code, 0, "{versions:?}\n{}", out.transcript());
        out.status("ok").no_findings();
        let target = out.target(0);
        assert_eq!(
            target.value["client_auth"]["acceptable_cas"][0],
            "CN=LAB-ROOT-CA"
        );
        assert_eq!(target.chain().len(), 2);
    }
}

#[test]
fn closed_port_is_refused() {
    let lab = Lab::new();
    let port = closed_port();

    let out = Run::check(port, &lab.root_bundle()).json().code(2);
    out.status("error").only(&["net.refused"]);
    out.finding("net.refused")
        .says(&format!("127.0.0.1:{port}"));
    let target = out.target(0);
    assert!(target.chain().is_empty());
    assert!(target.value["path"].is_null());
}

#[test]
fn stalling_server_times_out_quickly() {
    let lab = Lab::new();
    let server = serve_behavior(Behavior::Stall);

    let out = Run::check(server.port(), &lab.root_bundle())
        .args(["--timeout", "1"])
        .json();
    let out = out.code(2);
    out.within(Duration::from_secs(10))
        .status("error")
        .only(&["net.timeout"]);
    out.finding("net.timeout").says("handshake").says("1.0 s");
}

#[test]
fn plain_http_is_not_tls() {
    let lab = Lab::new();
    let server = serve_behavior(Behavior::PlainHttp);

    let out = Run::check(server.port(), &lab.root_bundle()).json().code(2);
    out.status("error").only(&["tls.not-tls"]);
    out.finding("tls.not-tls").says("HTTP/1.1 400 Bad Request");
}

#[test]
fn close_on_accept_is_a_failed_handshake() {
    let lab = Lab::new();
    let server = serve_behavior(Behavior::CloseOnAccept);

    let out = Run::check(server.port(), &lab.root_bundle()).json().code(2);
    out.status("error").only(&["tls.handshake-failed"]);
    let message = out.finding("tls.handshake-failed").message();
    assert!(
        message.contains("closed") || message.contains("reset"),
        "{message}"
    );
}

#[test]
fn server_without_the_leaf_key_fails_the_handshake_but_the_chain_is_reported() {
    let lab = Lab::new();
    let pki = &lab.pki;
    // Presents the lab chain but signs with another key: the handshake signature fails.
    let server = serve(&[&pki.leaf, &pki.intermediate], &pki.intermediate);

    let out = Run::check(server.port(), &lab.root_bundle()).json().code(2);
    out.status("error").only(&["tls.handshake-failed"]);
    out.finding("tls.handshake-failed")
        .says("handshake signature");
    assert_eq!(
        out.target(0).chain().len(),
        2,
        "the chain is captured before the failure"
    );
    assert_eq!(out.target(0).value["trusted"], true);
}

#[test]
fn random_bytes_are_not_tls() {
    let lab = Lab::new();
    let server = serve_behavior(Behavior::Garbage { len: 300, seed: 7 });

    let out = Run::check(server.port(), &lab.root_bundle()).json().code(2);
    out.status("error").only(&["tls.not-tls"]);
}

#[test]
fn unknown_name_is_a_dns_failure() {
    let lab = Lab::new();
    let bundle = lab.root_bundle();

    // The reserved `.invalid` TLD never resolves (RFC 6761).
    let out = Run::new(["check", "nonexistent.invalid:9060", "--ca", &bundle])
        .json()
        .code(2);
    out.within(Duration::from_secs(10))
        .status("error")
        .only(&["net.dns"]);
    out.finding("net.dns")
        .says("`nonexistent.invalid` does not resolve");
}

#[test]
fn several_targets_report_each_status_and_exit_with_the_worst() {
    let lab = Lab::new();
    let pki = &lab.pki;
    let healthy = serve(&[&pki.leaf, &pki.intermediate], &pki.leaf);
    let leaf_only = serve(&[&pki.leaf], &pki.leaf);
    let root_sent = serve(&[&pki.leaf, &pki.intermediate, &pki.root], &pki.leaf);
    let refused = closed_port();
    let bundle = lab.bundle(&[&pki.root, &pki.intermediate]);

    let ports = [healthy.port(), leaf_only.port(), root_sent.port()];
    let run = |extra: &[&str]| {
        let mut run = Run::new(["check"]);
        for port in ports {
            run = run.arg(format!("{HOST}:{port}")).resolve(HOST, port);
        }
        run.args(["--ca", &bundle]).args(extra).json()
    };

    for extra in [&[][..], &["--concurrency", "1"][..]] {
        let out = run(extra).code(1);
        out.target(0).status("ok").only(&[]);
        out.target(1)
            .status("warning")
            .only(&["chain.server-omits-intermediate"]);
        out.target(2).status("ok").only(&["chain.root-sent"]);
        let summary = &out.json()["summary"];
        assert_eq!(summary["targets"], 3);
        assert_eq!(
            (summary["ok"].as_u64(), summary["warnings"].as_u64()),
            (Some(2), Some(1))
        );
        assert_eq!(summary["errors"], 0);
        assert_eq!(summary["status"], "warning");
        for (i, port) in ports.iter().enumerate() {
            assert_eq!(
                out.target(i).value["port"],
                *port,
                "targets keep their order"
            );
        }
    }

    // One failing target makes the whole run an error.
    let out = run(&[])
        .arg(format!("{HOST}:{refused}"))
        .resolve(HOST, refused)
        .args(["--concurrency", "1"])
        .code(2);
    out.target(3).status("error").only(&["net.refused"]);
    assert_eq!(out.json()["summary"]["errors"], 1);
}

#[test]
fn client_certificate_request_does_not_hide_chain_findings() {
    let lab = Lab::new();
    let roots = vec![lab.pki.root.der().clone()];
    let spec = TlsSpec::new(vec![lab.pki.leaf.der().clone()], lab.pki.leaf.key_der())
        .client_auth(ClientAuth::Required(roots));
    let server = serve_spec(spec);

    let out = Run::check(server.port(), &lab.root_bundle()).json().code(2);
    out.only(&["tls.client-cert-required", "chain.missing-intermediate"]);
}

#[test]
fn tls12_only_server_is_fine() {
    let lab = Lab::new();
    let spec =
        TlsSpec::new(lab.pki.served_chain(), lab.pki.leaf.key_der()).versions(Versions::Tls12Only);
    let server = serve_spec(spec);

    let out = Run::check(server.port(), &lab.root_bundle()).json().code(0);
    out.no_findings();
    assert_eq!(out.target(0).value["tls_version"], "TLSv1.2");
}
