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
