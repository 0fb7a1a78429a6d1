//! Flags that name certificates apply wherever the user points them, and flags that
//! match nothing are said to match nothing (a `--resolve` that matches no target would
//! otherwise send its host to DNS).

use std::os::unix::fs::PermissionsExt as _;

use ise_doctor::sim::{ClientAuth, LeafSpec, TlsSpec};

use crate::support::{HOST, Lab, Run, serve, serve_spec};

#[test]
fn an_explicit_pin_applies_on_any_port() {
    let lab = Lab::new();
    let own = lab
        .pki
        .issue_leaf(&LeafSpec::dns(&[HOST]).self_signed())
        .expect("a self-signed leaf issues");
    let server = serve(&[&own], &own);
    let pin = lab.write("dataconnect.crt", own.pem());

    // An ephemeral port is no DataConnect port, but --pin says what to expect.
    let out = Run::check(server.port(), &lab.root_bundle())
        .args(["--pin", &pin])
        .json()
        .code(0);
    assert_eq!(out.target(0).value["pinned"], true, "{}", out.transcript());
    out.status("ok").no_findings();
}

#[test]
fn an_explicit_client_certificate_is_presented_on_any_port() {
    let lab = Lab::new();
    let client = lab.pki.issue_client().expect("a client certificate issues");
    let spec = TlsSpec::new(lab.pki.served_chain(), lab.pki.leaf.key_der())
        .client_auth(ClientAuth::Required(vec![lab.pki.root.der().clone()]));
    let server = serve_spec(spec);
    // The client sends its chain (leaf + issuing CA): the server trusts only the root.
    let cert = lab.write(
        "client.crt",
        format!("{}{}", client.pem(), lab.pki.intermediate.pem()),
    );
    let key = lab.write("client.key", client.key_pem());
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).expect("chmod");

    let out = Run::check(server.port(), &lab.root_bundle())
        .args(["--client-cert", &cert, "--client-key", &key])
        .json()
        .code(0);
    assert_eq!(
        out.target(0).value["client_cert_sent"],
        true,
        "{}",
        out.transcript()
    );
}

#[test]
fn a_resolve_rule_that_matches_no_target_is_a_warning() {
    let lab = Lab::new();
    let server = serve(&[&lab.pki.leaf, &lab.pki.intermediate], &lab.pki.leaf);

    // The target is an IP literal: nothing goes to DNS whatever the rule says.
    let out = Run::new(["check", &format!("127.0.0.1:{}", server.port())])
        .args(["--ca", &lab.root_bundle()])
        .args([
            "--resolve",
            &format!("{HOST}:{}:127.0.0.1", server.port() ^ 1),
        ])
        .json()
        .output();
    out.stderr_has("warning: --resolve");
    out.stderr_has("matches no target");
}

#[test]
fn a_readable_age_identity_is_a_setup_error() {
    let lab = Lab::new();
    let server = serve(&[&lab.pki.leaf, &lab.pki.intermediate], &lab.pki.leaf);
    let identity = lab.write(
        "identity.txt",
        "# an identity file; nothing needs it here\n",
    );
    std::fs::set_permissions(&identity, std::fs::Permissions::from_mode(0o644)).expect("chmod");

    let out = Run::check(server.port(), &lab.root_bundle())
        .args(["--identity", &identity])
        .json()
        .code(2);
    let setup = &out.json()["setup"]["findings"];
    assert_eq!(
        setup[0]["code"],
        "store.key-permissions",
        "{}",
        out.transcript()
    );
    assert!(
        setup[0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("age identity")),
        "{setup}"
    );
}

#[test]
fn chain_takes_a_service_name_for_its_port() {
    let lab = Lab::new();
    let server = serve(&[&lab.pki.leaf, &lab.pki.intermediate], &lab.pki.leaf);
    let config = lab.write("ports.toml", format!("[ports]\ners = {}\n", server.port()));

    let out = Run::new(["chain", &format!("{HOST}:ers"), "--config", &config])
        .resolve(HOST, server.port())
        .json()
        .code(0);
    assert_eq!(
        out.target(0).value["port"],
        server.port(),
        "{}",
        out.transcript()
    );
    assert_eq!(out.target(0).value["kind"], "ers");
}

#[test]
fn the_system_store_is_not_audited_as_the_users_bundle() {
    let lab = Lab::new();
    let server = serve(&[&lab.pki.leaf, &lab.pki.intermediate], &lab.pki.leaf);
    // A "system store" with an expired CA in it: the distribution's business, not a finding.
    let expired = lab
        .pki
        .issue_leaf(
            &ise_doctor::sim::LeafSpec::dns(&["old.example.net"])
                .with_validity(ise_doctor::sim::Validity::Expired { days_ago: 3 }),
        )
        .expect("issues");
    let store = lab.bundle(&[&lab.pki.root, &expired]);

    let out = Run::new(["check", &format!("{HOST}:{}", server.port())])
        .resolve(HOST, server.port())
        .env("SSL_CERT_FILE", &store)
        .json()
        .code(0);
    let codes: Vec<&str> = out.json()["bundle"]["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["code"].as_str())
        .collect();
    assert_eq!(codes, ["bundle.system-store"], "{}", out.transcript());
}
