//! An ISE deployment as operators run it: environment variables from a secrets loader, a
//! cert store on disk (`<store>/ise/ROOT-CA.crt`, `pxgrid-client.crt`/`.key`,
//! `dataconnect.crt`), a config file naming the ports, and one real TLS server per
//! service on 127.0.0.1.
//!
//! The nodes are `localhost` (through /etc/hosts, no DNS) and `127.0.0.1`; their
//! certificates carry both names. Services listen on ephemeral ports, mapped by the
//! config file's `[ports]` table, which `ISE_DOCTOR_CONFIG` names so that `ise-doctor
//! check` runs with no arguments at all.

use std::io::Write as _;
use std::net::{IpAddr, Ipv4Addr};
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

use ::age::secrecy::ExposeSecret as _;
use ise_doctor::sim::pki::Issued;
use ise_doctor::sim::{BackgroundServer, ClientAuth, LeafEku, LeafSpec, Pki, TlsSpec, Validity};
use serde_json::Value;

use crate::support::{Lab, Output, Run, serve, serve_spec};

const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
const SERVICES: [&str; 4] = ["ers", "api", "pxgrid", "dataconnect"];

/// A leaf for both node names: DNS `localhost` and IP 127.0.0.1.
fn node_spec() -> LeafSpec {
    LeafSpec::dns(&["localhost"]).with_ip(LOOPBACK)
}

/// A self-signed DataConnect certificate for both node names.
fn dataconnect_cert(pki: &Pki) -> Issued {
    pki.issue_leaf(&node_spec().self_signed())
        .expect("a self-signed leaf issues")
}

/// A client certificate from `pki` with this spec.
fn client_cert(pki: &Pki, spec: &LeafSpec) -> Issued {
    pki.issue_leaf(spec).expect("a client certificate issues")
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .expect("the lab folder is ours");
}

/// The codes of a findings array anywhere in the document.
fn codes(findings: &Value) -> Vec<&str> {
    findings
        .as_array()
        .unwrap_or_else(|| panic!("not a findings array: {findings}"))
        .iter()
        .map(|f| f["code"].as_str().expect("code is a string"))
        .collect()
}

/// A finding with this code in a findings array.
fn finding<'a>(findings: &'a Value, code: &str) -> &'a Value {
    findings
        .as_array()
        .and_then(|list| list.iter().find(|f| f["code"] == code))
        .unwrap_or_else(|| panic!("no {code} in {findings}"))
}

/// Encrypts `plaintext` to `identity` (binary age format), in memory.
fn seal(plaintext: &[u8], identity: &::age::x25519::Identity) -> Vec<u8> {
    let recipient = identity.to_public();
    let recipients: [&dyn ::age::Recipient; 1] = [&recipient];
    let encryptor =
        ::age::Encryptor::with_recipients(recipients.into_iter()).expect("one recipient");
    let mut out = Vec::new();
    let mut writer = encryptor.wrap_output(&mut out).expect("writes to memory");
    writer.write_all(plaintext).expect("writes to memory");
    writer.finish().expect("writes to memory");
    out
}

/// A fresh age identity written to `path`, as `age-keygen` writes it.
fn identity_file(path: &Path) -> ::age::x25519::Identity {
    let identity = ::age::x25519::Identity::generate();
    let text = format!(
        "# created: today\n# public key: {}\n{}\n",
        identity.to_public(),
        identity.to_string().expose_secret()
    );
    std::fs::write(path, text).expect("the lab folder is writable");
    chmod(path, 0o600);
    identity
}

/// The lab PKI, the node certificate, a client certificate, the DataConnect certificate
/// and a cert store folder `<tmp>/lab/ise` (empty until [`Deployment::fill_store`]).
struct Deployment {
    lab: Lab,
    leaf: Issued,
    client: Issued,
    dataconnect: Issued,
}

impl Deployment {
    fn new() -> Deployment {
        let lab = Lab::new();
        let leaf = lab
            .pki
            .issue_leaf(&node_spec())
            .expect("the node leaf issues");
        let client = lab.pki.issue_client().expect("a client certificate issues");
        let dataconnect = dataconnect_cert(&lab.pki);
        let deployment = Deployment {
            lab,
            leaf,
            client,
            dataconnect,
        };
        std::fs::create_dir_all(deployment.ise()).expect("the lab folder is writable");
        deployment
    }

    /// `CA_CERT_PATH`: the store for this deployment's domain.
    fn store(&self) -> PathBuf {
        self.lab.path("lab")
    }

    /// `<store>/ise`, where the ISE files live.
    fn ise(&self) -> PathBuf {
        self.store().join("ise")
    }

    fn file(&self, name: &str) -> PathBuf {
        self.ise().join(name)
    }

    fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.file(name);
        std::fs::write(&path, contents).expect("the store is writable");
        path
    }

    /// The root and the issuing CA, as `ROOT-CA.crt` holds them.
    fn ca_pem(&self) -> String {
        self.lab.pki.root.pem() + &self.lab.pki.intermediate.pem()
    }

    /// Writes a client certificate (with its issuing CA) and its key, mode 0600.
    fn write_client(&self, cert: &Issued, issuing: &Issued, key: &Issued) {
        self.write("pxgrid-client.crt", cert.pem() + &issuing.pem());
        let key = self.write("pxgrid-client.key", key.key_pem());
        chmod(&key, 0o600);
    }

    /// The whole store: CA bundle, pxGrid client pair, DataConnect pin.
    fn fill_store(&self) {
        self.write("ROOT-CA.crt", self.ca_pem());
        self.write_client(&self.client, &self.lab.pki.intermediate, &self.client);
        self.write("dataconnect.crt", self.dataconnect.pem());
    }

    /// ERS: the full chain.
    fn ers(&self) -> BackgroundServer {
        serve(&[&self.leaf, &self.lab.pki.intermediate], &self.leaf)
    }

    /// The 443 APIs: the leaf only (the intermediate is left out).
    fn api(&self) -> BackgroundServer {
        serve(&[&self.leaf], &self.leaf)
    }

    /// pxGrid: the full chain, and a client certificate under `client_root` required.
    fn pxgrid_requiring(&self, client_root: &Issued) -> BackgroundServer {
        let chain = self.lab.pki.chain_of(&self.leaf);
        let roots = vec![client_root.der().clone()];
        serve_spec(
            TlsSpec::new(chain, self.leaf.key_der()).client_auth(ClientAuth::Required(roots)),
        )
    }

    fn pxgrid(&self) -> BackgroundServer {
        self.pxgrid_requiring(&self.lab.pki.root)
    }

    /// DataConnect: the self-signed certificate alone.
    fn dataconnect_server(&self) -> BackgroundServer {
        serve(&[&self.dataconnect], &self.dataconnect)
    }

    /// Writes a config file outside the store: `top` (top-level keys), then `[ports]`.
    fn config(&self, top: &str, ports: &[(&str, u16)]) -> String {
        let mut text = format!("{top}\n[ports]\n");
        for (service, port) in ports {
            text.push_str(&format!("{service} = {port}\n"));
        }
        let name = format!(
            "ise-doctor-{}.toml",
            self.lab.dir().read_dir().map_or(0, Iterator::count)
        );
        self.lab.write(&name, text)
    }
}

/// `ise-doctor ARGS` with the cert store and config in the environment.
fn run_with(deployment: &Deployment, config: &str, args: &[&str]) -> Run {
    Run::new(args)
        .env("CA_CERT_PATH", &deployment.store().to_string_lossy())
        .env("ISE_DOCTOR_CONFIG", config)
}

fn path_str(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

#[test]
fn no_arguments_checks_every_service_of_every_node() {
    let d = Deployment::new();
    d.fill_store();
    let (ers, api, pxgrid, dc) = (d.ers(), d.api(), d.pxgrid(), d.dataconnect_server());
    let config = d.config(
        r#"services = ["ers", "api", "pxgrid", "dataconnect"]"#,
        &[
            ("ers", ers.port()),
            ("api", api.port()),
            ("pxgrid", pxgrid.port()),
            ("dataconnect", dc.port()),
        ],
    );

    let out = Run::new(["check"])
        .env("ISE_PAN_FQDN", "localhost")
        .env("ISE_NODES", "127.0.0.1")
        .env("CA_CERT_PATH", &path_str(&d.store()))
        .env("ISE_DOCTOR_CONFIG", &config)
        .json()
        .code(1);
    let json = out.json();

    assert_eq!(json["summary"]["targets"], 8, "{}", out.transcript());
    assert_eq!(json["targets"].as_array().map(Vec::len), Some(8));
    assert_eq!(json["bundle"]["path"], path_str(&d.file("ROOT-CA.crt")));
    assert_eq!(json["bundle"]["source"], "file");
    assert_eq!(json["bundle"]["count"], 2);
    assert_eq!(codes(&json["setup"]["findings"]), Vec::<&str>::new());

    let client = &json["client"];
    assert_eq!(client["cert_path"], path_str(&d.file("pxgrid-client.crt")));
    assert_eq!(client["key_path"], path_str(&d.file("pxgrid-client.key")));
    assert_eq!(client["chain"][0]["subject"], "CN=pxgrid-client");
    assert_eq!(codes(&client["findings"]), Vec::<&str>::new());
    assert_eq!(json["pin"]["sha256"], d.dataconnect.sha256());

    let ports = [ers.port(), api.port(), pxgrid.port(), dc.port()];
    for (index, host) in ["localhost", "localhost", "localhost", "localhost"]
        .into_iter()
        .chain(["127.0.0.1"; 4])
        .enumerate()
    {
        let target = out.target(index);
        let service = SERVICES[index % 4];
        let value = target.value;
        assert_eq!(value["host"], host, "target {index}\n{}", out.transcript());
        assert_eq!(value["kind"], service, "target {index}");
        assert_eq!(value["port"], ports[index % 4], "target {index}");
        assert!(
            value["service"].as_str().is_some_and(|s| !s.is_empty()),
            "target {index} names its service: {}",
            value["service"]
        );
        match service {
            "ers" => {
                target.status("ok").only(&[]);
                assert_eq!(value["trusted"], true);
                assert_eq!(value["client_cert_sent"], false);
                assert_eq!(value["pinned"], Value::Null);
            }
            "api" => {
                target
                    .status("warning")
                    .only(&["chain.server-omits-intermediate"]);
                target
                    .finding("chain.server-omits-intermediate")
                    .severity("warning");
                assert_eq!(target.chain().len(), 1);
            }
            "pxgrid" => {
                target.status("ok").only(&[]);
                assert_eq!(value["client_cert_sent"], true, "{}", out.transcript());
                assert_eq!(value["client_auth"]["acceptable_cas"][0], "CN=LAB-ROOT-CA");
                assert_eq!(value["trusted"], true);
            }
            _ => {
                target.status("ok").only(&[]);
                assert_eq!(value["pinned"], true, "{}", out.transcript());
                assert_eq!(
                    value["presented_chain"][0]["sha256"],
                    d.dataconnect.sha256()
                );
            }
        }
    }
    assert_eq!(json["summary"]["warnings"], 2);
    assert_eq!(json["summary"]["errors"], 0);
    assert!(pxgrid.handshakes() >= 2, "both nodes completed mutual TLS");

    // The human report names the services too.
    let human = Run::new(["check"])
        .env("ISE_PAN_FQDN", "localhost")
        .env("ISE_NODES", "127.0.0.1")
        .env("CA_CERT_PATH", &path_str(&d.store()))
        .env("ISE_DOCTOR_CONFIG", &config)
        .code(1);
    human
        .stdout_has("chain.server-omits-intermediate")
        .stdout_has(&format!("localhost:{}", ers.port()));
}

#[test]
fn age_encrypted_bundle_opens_with_the_identity_and_names_the_file_otherwise() {
    let d = Deployment::new();
    let keys = d.lab.path("keys.txt");
    let identity = identity_file(&keys);
    let sealed = d.write("ROOT-CA.crt.age", seal(d.ca_pem().as_bytes(), &identity));
    assert!(
        !d.file("ROOT-CA.crt").exists(),
        "only the .age twin is in the store"
    );
    let ers = d.ers();
    let config = d.config(r#"services = ["ers"]"#, &[("ers", ers.port())]);
    let check = || {
        run_with(&d, &config, &["check"])
            .env("ISE_PAN_FQDN", "localhost")
            .json()
    };

    let out = check().env("AGE_IDENTITY", &path_str(&keys)).code(0);
    assert_eq!(out.json()["bundle"]["path"], path_str(&sealed));
    assert_eq!(out.json()["bundle"]["count"], 2);
    out.status("ok").no_findings();
    assert_eq!(out.target(0).value["trusted"], true);

    // The wrong identity: exit 3, the file named, in the error document too.
    let wrong = d.lab.path("other-keys.txt");
    identity_file(&wrong);
    let out = check().env("AGE_IDENTITY", &path_str(&wrong)).code(3);
    out.stderr_has(&path_str(&sealed));
    let error = &out.json()["error"];
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.contains(&path_str(&sealed))),
        "{}",
        out.transcript()
    );
    assert_eq!(error["subject"], path_str(&sealed));
    assert_eq!(out.json()["summary"]["exit_code"], 3);
    assert!(out.json().get("targets").is_none(), "no report, an error");

    // No identity at all: also exit 3, naming the file.
    check().code(3).stderr_has(&path_str(&sealed));

    // A corrupt (truncated) file: exit 3, naming it.
    let whole = std::fs::read(&sealed).expect("readable");
    std::fs::write(&sealed, &whole[..whole.len() / 2]).expect("writable");
    check()
        .env("AGE_IDENTITY", &path_str(&keys))
        .code(3)
        .stderr_has(&path_str(&sealed));
    std::fs::write(&sealed, &whole).expect("writable");

    // The identity as a flag, after the subcommand.
    run_with(&d, &config, &["check", "--identity", &path_str(&keys)])
        .env("ISE_PAN_FQDN", "localhost")
        .code(0);
}

#[test]
fn mtls_server_accepting_one_client_ca_refuses_another() {
    let d = Deployment::new();
    d.write("ROOT-CA.crt", d.ca_pem());
    let pxgrid = d.pxgrid();
    let config = d.config("", &[("pxgrid", pxgrid.port())]);

    // A client certificate from an unrelated PKI.
    let other = Pki::unrelated();
    let foreign = other.issue_client().expect("issues");
    d.write_client(&foreign, &other.intermediate, &foreign);
    let out = run_with(&d, &config, &["check", "localhost:pxgrid"])
        .json()
        .code(2);
    out.status("error")
        .only(&["mtls.client-ca-not-accepted", "mtls.client-cert-rejected"]);
    out.finding("mtls.client-ca-not-accepted")
        .says("CN=LAB-ROOT-CA")
        .says("CN=OTHER-ISSUING-CA");
    let rejected = out.finding("mtls.client-cert-rejected");
    rejected.says("mtls.client-ca-not-accepted");
    assert!(
        !rejected.message().contains("mtls.key-mismatch"),
        "{}",
        rejected.message()
    );
    let target = out.target(0);
    assert_eq!(target.value["kind"], "pxgrid");
    assert_eq!(target.value["client_cert_sent"], true);
    assert_eq!(
        target.value["client_auth"]["acceptable_cas"][0],
        "CN=LAB-ROOT-CA"
    );
    assert_eq!(codes(&out.json()["client"]["findings"]), Vec::<&str>::new());
    assert!(
        out.elapsed < std::time::Duration::from_secs(5),
        "{:?}",
        out.elapsed
    );

    // No client certificate configured at all.
    std::fs::remove_file(d.file("pxgrid-client.crt")).expect("removes");
    std::fs::remove_file(d.file("pxgrid-client.key")).expect("removes");
    let out = run_with(&d, &config, &["check", "localhost:pxgrid"])
        .json()
        .code(2);
    out.status("error").only(&["tls.client-cert-required"]);
    assert_eq!(out.target(0).value["client_cert_sent"], false);
    assert!(out.json().get("client").is_none(), "{}", out.transcript());

    // The lab's own client certificate, given by flags, is accepted.
    let cert = d
        .lab
        .write("ours.crt", d.client.pem() + &d.lab.pki.intermediate.pem());
    let key = d.lab.write("ours.key", d.client.key_pem());
    chmod(Path::new(&key), 0o600);
    let out = run_with(&d, &config, &["check", "localhost:pxgrid"])
        .args(["--client-cert", &cert, "--client-key", &key])
        .json()
        .code(0);
    out.status("ok").no_findings();
    assert_eq!(out.target(0).value["client_cert_sent"], true);
    assert_eq!(out.json()["client"]["cert_path"], cert);

    // Half a client identity is refused before anything is probed.
    let accepted = pxgrid.accepted();
    let out = run_with(&d, &config, &["check", "localhost:pxgrid"])
        .args(["--client-cert", &cert])
        .json()
        .code(3);
    out.stderr_has("--client-key");
    assert_eq!(pxgrid.accepted(), accepted, "no connection was made");
}

/// One pxGrid run with the store's client files as written; returns the output.
fn pxgrid_client_run(d: &Deployment, expected_exit: i32) -> Output {
    let pxgrid = d.pxgrid();
    let config = d.config("", &[("pxgrid", pxgrid.port())]);
    run_with(d, &config, &["check", "localhost:pxgrid"])
        .json()
        .code(expected_exit)
}

#[test]
fn client_key_of_another_certificate_is_a_key_mismatch() {
    let d = Deployment::new();
    d.write("ROOT-CA.crt", d.ca_pem());
    let stranger = client_cert(&d.lab.pki, &LeafSpec::client("pxgrid-other"));
    d.write_client(&d.client, &d.lab.pki.intermediate, &stranger);

    let out = pxgrid_client_run(&d, 2);
    let client = &out.json()["client"];
    assert_eq!(codes(&client["findings"]), ["mtls.key-mismatch"]);
    assert_eq!(client["status"], "error");
    assert!(
        finding(&client["findings"], "mtls.key-mismatch")["message"]
            .as_str()
            .is_some_and(|m| m.contains("pxgrid-client.key")),
        "{}",
        out.transcript()
    );
    // The server refuses the handshake signature made with the wrong key, and the
    // rejection names the local check that explains it.
    out.status("error").only(&["mtls.client-cert-rejected"]);
    out.finding("mtls.client-cert-rejected")
        .says("mtls.key-mismatch")
        .says("does not belong");
}

#[test]
fn readable_client_key_counts_toward_the_exit_code() {
    let d = Deployment::new();
    d.write("ROOT-CA.crt", d.ca_pem());
    d.write_client(&d.client, &d.lab.pki.intermediate, &d.client);
    let key = d.file("pxgrid-client.key");
    chmod(&key, 0o644);

    // The handshake succeeds; only the local check fails, and the run exits 2.
    let out = pxgrid_client_run(&d, 2);
    out.status("ok").no_findings();
    let client = &out.json()["client"];
    assert_eq!(codes(&client["findings"]), ["store.key-permissions"]);
    let found = finding(&client["findings"], "store.key-permissions");
    assert!(
        found["message"]
            .as_str()
            .is_some_and(|m| m.contains("0644")),
        "{found}"
    );
    assert!(
        found["fix"][0]
            .as_str()
            .is_some_and(|f| f.contains("chmod 600")),
        "{found}"
    );
    assert_eq!(out.json()["summary"]["status"], "error");
}

#[test]
fn server_auth_only_client_certificate_lacks_client_auth() {
    let d = Deployment::new();
    d.write("ROOT-CA.crt", d.ca_pem());
    let spec = LeafSpec::client("pxgrid-client").with_eku(LeafEku::ServerAuth);
    let server_only = client_cert(&d.lab.pki, &spec);
    d.write_client(&server_only, &d.lab.pki.intermediate, &server_only);

    let out = pxgrid_client_run(&d, 2);
    let client = &out.json()["client"];
    assert_eq!(codes(&client["findings"]), ["mtls.missing-client-auth"]);
    assert!(
        finding(&client["findings"], "mtls.missing-client-auth")["message"]
            .as_str()
            .is_some_and(|m| m.contains("serverAuth")),
        "{}",
        out.transcript()
    );
    // rustls's client verifier refuses the certificate too, and the rejection says why.
    out.status("error").only(&["mtls.client-cert-rejected"]);
    out.finding("mtls.client-cert-rejected")
        .says("mtls.missing-client-auth");
}

#[test]
fn expired_client_certificate_is_named() {
    let d = Deployment::new();
    d.write("ROOT-CA.crt", d.ca_pem());
    let spec = LeafSpec::client("pxgrid-client").with_validity(Validity::Expired { days_ago: 5 });
    let expired = client_cert(&d.lab.pki, &spec);
    d.write_client(&expired, &d.lab.pki.intermediate, &expired);

    let out = pxgrid_client_run(&d, 2);
    let client = &out.json()["client"];
    assert_eq!(codes(&client["findings"]), ["mtls.client-cert-expired"]);
    assert!(
        finding(&client["findings"], "mtls.client-cert-expired")["message"]
            .as_str()
            .is_some_and(|m| m.contains("expired on")),
        "{}",
        out.transcript()
    );
    out.status("error").only(&["mtls.client-cert-rejected"]);
    out.finding("mtls.client-cert-rejected")
        .says("mtls.client-cert-expired");
}

#[test]
fn dataconnect_pin_mismatch_is_not_a_self_signed_leaf() {
    let d = Deployment::new();
    let bundle = d.write("ROOT-CA.crt", d.ca_pem());
    let dc = d.dataconnect_server();
    let config = d.config("", &[("dataconnect", dc.port())]);
    let old = dataconnect_cert(&d.lab.pki);
    let pin = d.lab.write("old-dataconnect.crt", old.pem());
    let check = |extra: &[&str]| {
        Run::new(["check", "localhost:dataconnect", "--ca", &path_str(&bundle)])
            .args(extra)
            .env("ISE_DOCTOR_CONFIG", &config)
            .json()
    };

    let out = check(&["--pin", &pin]).code(2);
    out.status("error")
        .only(&["pin.mismatch"])
        .lacks("chain.self-signed-leaf");
    out.finding("pin.mismatch")
        .says(&d.dataconnect.sha256())
        .says(&old.sha256())
        .fix_says("dataconnect.crt");
    assert_eq!(out.target(0).value["pinned"], false);
    assert_eq!(out.target(0).value["kind"], "dataconnect");
    assert_eq!(out.json()["pin"]["sha256"], old.sha256());

    // The right pin passes.
    let right = d.lab.write("dataconnect.crt", d.dataconnect.pem());
    let out = check(&["--pin", &right]).code(0);
    out.status("ok").no_findings();
    assert_eq!(out.target(0).value["pinned"], true);

    // No pin anywhere: a self-signed certificate is an untrusted leaf.
    let out = check(&[]).code(2);
    out.status("error").finding("chain.self-signed-leaf");
    out.lacks("pin.mismatch");
    assert_eq!(out.target(0).value["pinned"], Value::Null);
    assert!(out.json().get("pin").is_none());
}

#[test]
fn malformed_api_token_is_a_setup_warning_and_never_printed() {
    let d = Deployment::new();
    d.write("ROOT-CA.crt", d.ca_pem());
    let ers = d.ers();
    let config = d.config(r#"services = ["ers"]"#, &[("ers", ers.port())]);
    let check = |token: &str, args: &[&str]| {
        run_with(&d, &config, &["check"])
            .args(args)
            .env("ISE_PAN_FQDN", "localhost")
            .env("ISE_API_TOKEN", token)
    };

    // Base64 of text without the `:` between user and password.
    let secret = "hunter2-no-colon-here";
    let malformed = "aHVudGVyMi1uby1jb2xvbi1oZXJl";
    for args in [
        &["--format", "json"][..],
        &["--format", "json", "-v"],
        &["-vv"],
    ] {
        let out = check(malformed, args).code(1);
        for leak in [malformed, secret, "hunter2"] {
            assert!(
                !out.stdout.contains(leak) && !out.stderr.contains(leak),
                "the token leaks ({leak}) with {args:?}\n{}",
                out.transcript()
            );
        }
        if args.contains(&"json") {
            let setup = &out.json()["setup"];
            assert_eq!(codes(&setup["findings"]), ["token.malformed"]);
            assert_eq!(setup["status"], "warning");
            out.status("ok").no_findings();
        } else {
            out.stdout_has("token.malformed");
        }
    }

    // Not Base64 at all.
    let out = check("not base64 at all!!", &["--format", "json"]).code(1);
    assert_eq!(codes(&out.json()["setup"]["findings"]), ["token.malformed"]);
    assert!(!out.stdout.contains("not base64 at all"));

    // admin:s3cr3t, well formed: nothing to say, nothing printed.
    let out = check("YWRtaW46czNjcjN0", &["--format", "json", "-v"]).code(0);
    assert_eq!(codes(&out.json()["setup"]["findings"]), Vec::<&str>::new());
    for leak in ["YWRtaW46czNjcjN0", "s3cr3t"] {
        assert!(!out.stdout.contains(leak) && !out.stderr.contains(leak));
    }
}

#[test]
fn bundle_precedence_flag_then_ise_ca_cert_then_ca_cert_path_then_config() {
    let d = Deployment::new();
    let store_bundle = d.write("ROOT-CA.crt", d.ca_pem());
    let flag = d.lab.write("flag-ca.pem", d.ca_pem());
    let env = d.lab.write("env-ca.pem", d.ca_pem());
    let cfg = d.lab.write("cfg-ca.pem", d.ca_pem());
    let ers = d.ers();
    let config = d.config(&format!("ca = \"{cfg}\""), &[("ers", ers.port())]);
    let target = "localhost:ers";

    let bundle_of = |run: Run| -> String {
        let out = run.env("ISE_DOCTOR_CONFIG", &config).code(0);
        out.status("ok");
        out.json()["bundle"]["path"]
            .as_str()
            .expect("bundle.path is a string")
            .to_string()
    };
    let all = |run: Run| {
        run.env("ISE_CA_CERT", &env)
            .env("CA_CERT_PATH", &path_str(&d.store()))
    };

    // Global flags after the subcommand …
    let run = Run::new(["check", target, "--ca", &flag, "--format", "json"]);
    assert_eq!(bundle_of(all(run)), flag);
    // … and before it.
    let run = Run::new(["--format", "json", "check", target, "--ca", &flag]);
    assert_eq!(bundle_of(all(run)), flag);
    let run = Run::new(["--format", "json", "check", target]);
    assert_eq!(bundle_of(all(run)), env);
    let run =
        Run::new(["check", target, "--format", "json"]).env("CA_CERT_PATH", &path_str(&d.store()));
    assert_eq!(bundle_of(run), path_str(&store_bundle));
    let run = Run::new(["check", "--format", "json", target]);
    assert_eq!(bundle_of(run), cfg);

    // `--config` before the subcommand names the file too.
    let out = Run::new([
        "--config", &config, "check", target, "-v", "--format", "json",
    ])
    .code(0);
    assert_eq!(out.json()["bundle"]["path"], cfg);
}

#[test]
fn store_audit_lists_what_each_service_has_and_misses() {
    let d = Deployment::new();
    d.fill_store();
    let store = path_str(&d.store());

    let out = Run::new(["store", &store]).json().code(0);
    let audit = &out.json()["store"];
    assert_eq!(audit["root"], store);
    let files = audit["files"].as_array().expect("files is an array");
    let kind_of = |name: &str| {
        let path = path_str(&d.file(name));
        files
            .iter()
            .find(|f| f["path"] == path)
            .unwrap_or_else(|| panic!("{name} not listed\n{}", out.transcript()))["kind"]
            .as_str()
            .expect("kind is a string")
    };
    assert_eq!(kind_of("ROOT-CA.crt"), "CA bundle");
    assert_eq!(kind_of("pxgrid-client.crt"), "client certificate and key");
    assert_eq!(kind_of("dataconnect.crt"), "pinned certificate");
    assert_eq!(files.len(), 3, "the key is listed with its certificate");
    assert!(
        files.iter().all(|f| f["status"] == "ok"),
        "{}",
        out.transcript()
    );
    assert_eq!(codes(&audit["findings"]), Vec::<&str>::new());

    // Every service enabled: still nothing missing.
    Run::new(["store", &store, "--service", "ers,api,pxgrid,dataconnect"])
        .json()
        .code(0);

    // From CA_CERT_PATH when no folder is named.
    let out = Run::new(["store"])
        .env("CA_CERT_PATH", &store)
        .json()
        .code(0);
    assert_eq!(out.json()["store"]["root"], store);

    // A readable key.
    chmod(&d.file("pxgrid-client.key"), 0o644);
    let out = Run::new(["store", &store]).json().code(2);
    let files = out.json()["store"]["files"].as_array().expect("files");
    let pair = files
        .iter()
        .find(|f| f["kind"] == "client certificate and key")
        .expect("the pair is listed");
    assert_eq!(codes(&pair["findings"]), ["store.key-permissions"]);

    // pxGrid enabled, its files gone.
    std::fs::remove_file(d.file("pxgrid-client.crt")).expect("removes");
    std::fs::remove_file(d.file("pxgrid-client.key")).expect("removes");
    let out = Run::new(["store", &store, "--service", "pxgrid"])
        .json()
        .code(1);
    let missing = &out.json()["store"]["findings"];
    assert_eq!(codes(missing), ["store.missing-file"]);
    assert!(
        finding(missing, "store.missing-file")["message"]
            .as_str()
            .is_some_and(|m| m.contains("pxGrid") || m.contains("pxgrid")),
        "{}",
        out.transcript()
    );

    // No folder named and no CA_CERT_PATH.
    Run::new(["store"]).code(3).stderr_has("CA_CERT_PATH");
    let out = Run::new(["store", "--format", "json"]).code(3);
    assert_eq!(out.json()["summary"]["exit_code"], 3);
}

#[test]
fn config_file_errors_name_the_key_and_the_file() {
    let d = Deployment::new();
    let bundle = d.write("ROOT-CA.crt", d.ca_pem());
    let typo = d.lab.write(
        "typo.toml",
        "nodes = [\"localhost\"]\nservics = [\"ers\"]\n",
    );

    let out = Run::new(["check", "--ca", &path_str(&bundle)])
        .env("ISE_DOCTOR_CONFIG", &typo)
        .code(3);
    out.stderr_has("servics").stderr_has(&typo);
    let out = Run::new(["--config", &typo, "check", "--format", "json"]).code(3);
    let message = out.json()["error"]["message"].as_str().expect("a message");
    assert!(
        message.contains("servics") && message.contains(&typo),
        "{message}"
    );

    let missing = path_str(&d.lab.path("nowhere.toml"));
    Run::new(["check", "localhost", "--config", &missing])
        .code(3)
        .stderr_has(&missing);
    Run::new(["check", "localhost"])
        .env("ISE_DOCTOR_CONFIG", &missing)
        .code(3)
        .stderr_has(&missing);
}

#[test]
fn service_targets_and_bare_host_expansion() {
    let d = Deployment::new();
    d.fill_store();
    let (pxgrid, dc) = (d.pxgrid(), d.dataconnect_server());
    let config = d.config("", &[("pxgrid", pxgrid.port()), ("dataconnect", dc.port())]);

    let out = run_with(
        &d,
        &config,
        &["check", "localhost:pxgrid", "127.0.0.1:dataconnect"],
    )
    .json()
    .code(0);
    let (first, second) = (out.target(0), out.target(1));
    assert_eq!(first.value["target"], "localhost:pxgrid");
    assert_eq!(first.value["kind"], "pxgrid");
    assert_eq!(first.value["port"], pxgrid.port());
    assert_eq!(first.value["client_cert_sent"], true);
    first.status("ok").only(&[]);
    assert_eq!(second.value["target"], "127.0.0.1:dataconnect");
    assert_eq!(second.value["kind"], "dataconnect");
    assert_eq!(second.value["port"], dc.port());
    assert_eq!(second.value["pinned"], true);
    second.status("ok").only(&[]);

    // A bare host means each service named by --service, in that order.
    let out = run_with(
        &d,
        &config,
        &["check", "localhost", "--service", "dataconnect,pxgrid"],
    )
    .json()
    .code(0);
    let kinds: Vec<&Value> = (0..2).map(|i| &out.target(i).value["kind"]).collect();
    assert_eq!(kinds, ["dataconnect", "pxgrid"]);
    assert_eq!(out.json()["summary"]["targets"], 2);
    assert_eq!(out.target(0).value["port"], dc.port());
    assert_eq!(out.target(1).value["port"], pxgrid.port());

    // An unknown service name is refused.
    run_with(&d, &config, &["check", "localhost", "--service", "ftp"])
        .code(3)
        .stderr_has("ftp");
}

#[test]
fn pinned_certificate_still_needs_the_host_name() {
    let d = Deployment::new();
    let bundle = d.write("ROOT-CA.crt", d.ca_pem());
    // ISE's DataConnect certificate names the node by another name than the one dialled.
    let spec = LeafSpec::dns(&["ise-dc.example.net"]).self_signed();
    let other_name = client_cert(&d.lab.pki, &spec);
    let dc = serve(&[&other_name], &other_name);
    let config = d.config("", &[("dataconnect", dc.port())]);
    let pin = d.lab.write("dataconnect.crt", other_name.pem());

    let out = Run::new(["check", "localhost:dataconnect", "--ca", &path_str(&bundle)])
        .args(["--pin", &pin])
        .env("ISE_DOCTOR_CONFIG", &config)
        .json()
        .code(2);
    out.status("error").only(&["name.mismatch"]);
    out.finding("name.mismatch").says("localhost");
    assert_eq!(
        out.target(0).value["pinned"],
        true,
        "the pin itself matches"
    );
}

#[test]
fn old_pin_against_a_ca_issued_dataconnect_certificate_suggests_the_bundle() {
    let d = Deployment::new();
    let bundle = d.write("ROOT-CA.crt", d.ca_pem());
    // ISE 3.3 and later: DataConnect presents the Admin chain.
    let dc = serve(&[&d.leaf, &d.lab.pki.intermediate], &d.leaf);
    let config = d.config("", &[("dataconnect", dc.port())]);
    d.write("dataconnect.crt", d.dataconnect.pem());

    // The pin comes from the store, next to the bundle.
    let out = Run::new(["check", "localhost:dataconnect"])
        .env("ISE_CA_CERT", &path_str(&bundle))
        .env("ISE_DOCTOR_CONFIG", &config)
        .json()
        .code(2);
    out.status("error").only(&["pin.mismatch"]);
    out.finding("pin.mismatch")
        .says("validates against your bundle")
        .fix_says("CA bundle");
    assert_eq!(out.target(0).value["pinned"], false);
    assert_eq!(out.json()["pin"]["sha256"], d.dataconnect.sha256());
}

#[test]
fn age_encrypted_client_key_and_pin_are_read_in_memory() {
    let d = Deployment::new();
    let keys = d.lab.path("keys.txt");
    let identity = identity_file(&keys);
    d.write("ROOT-CA.crt", d.ca_pem());
    let chain = d.client.pem() + &d.lab.pki.intermediate.pem();
    d.write("pxgrid-client.crt", chain);
    // Ciphertext may be readable by others: only its plaintext is secret.
    let sealed_key = d.write(
        "pxgrid-client.key.age",
        seal(d.client.key_pem().as_bytes(), &identity),
    );
    chmod(&sealed_key, 0o644);
    d.write(
        "dataconnect.crt.age",
        seal(d.dataconnect.pem().as_bytes(), &identity),
    );
    let before: Vec<PathBuf> = files_under(d.lab.dir());

    let (pxgrid, dc) = (d.pxgrid(), d.dataconnect_server());
    let config = d.config(
        r#"services = ["pxgrid", "dataconnect"]"#,
        &[("pxgrid", pxgrid.port()), ("dataconnect", dc.port())],
    );
    let out = run_with(&d, &config, &["check"])
        .env("ISE_PAN_FQDN", "localhost")
        .env("AGE_IDENTITY", &path_str(&keys))
        .json()
        .code(0);
    assert_eq!(out.json()["client"]["key_path"], path_str(&sealed_key));
    assert_eq!(codes(&out.json()["client"]["findings"]), Vec::<&str>::new());
    assert_eq!(out.target(0).value["client_cert_sent"], true);
    assert_eq!(out.target(1).value["pinned"], true);
    out.target(0).status("ok").only(&[]);
    out.target(1).status("ok").only(&[]);

    // The store audit opens them too.
    let out = Run::new([
        "store",
        &path_str(&d.store()),
        "--service",
        "pxgrid,dataconnect",
    ])
    .env("AGE_IDENTITY", &path_str(&keys))
    .json()
    .code(0);
    let files = out.json()["store"]["files"].as_array().expect("files");
    let kinds: Vec<&str> = files.iter().filter_map(|f| f["kind"].as_str()).collect();
    assert!(
        kinds.contains(&"client certificate and key"),
        "{}",
        out.transcript()
    );
    assert!(
        kinds.contains(&"pinned certificate"),
        "{}",
        out.transcript()
    );

    // Nothing was written next to the inputs (the config file is ours).
    let after: Vec<PathBuf> = files_under(d.lab.dir())
        .into_iter()
        .filter(|p| !p.to_string_lossy().ends_with(".toml"))
        .collect();
    assert_eq!(before, after, "no plaintext written");
}

#[test]
fn age_passphrase_opens_a_passphrase_locked_bundle() {
    let d = Deployment::new();
    let passphrase = "correct horse battery staple 42";
    let mut recipient =
        ::age::scrypt::Recipient::new(::age::secrecy::SecretString::from(passphrase.to_owned()));
    recipient.set_work_factor(4);
    let recipients: [&dyn ::age::Recipient; 1] = [&recipient];
    let encryptor =
        ::age::Encryptor::with_recipients(recipients.into_iter()).expect("one recipient");
    let mut sealed = Vec::new();
    let mut writer = encryptor
        .wrap_output(&mut sealed)
        .expect("writes to memory");
    writer
        .write_all(d.ca_pem().as_bytes())
        .expect("writes to memory");
    writer.finish().expect("writes to memory");
    let path = d.write("ROOT-CA.crt.age", sealed);

    let ers = d.ers();
    let config = d.config("", &[("ers", ers.port())]);
    let check = |phrase: &str| {
        run_with(&d, &config, &["check", "localhost:ers", "-v"])
            .env("AGE_PASSPHRASE", phrase)
            .json()
    };
    let out = check(passphrase).code(0);
    assert_eq!(out.json()["bundle"]["path"], path_str(&path));
    assert!(!out.stderr.contains(passphrase) && !out.stdout.contains(passphrase));

    let out = check("not the passphrase").code(3);
    out.stderr_has(&path_str(&path));
    assert!(
        !out.stderr.contains("not the passphrase"),
        "{}",
        out.transcript()
    );
}

#[test]
fn store_audit_walks_the_domain_and_the_ca_backups() {
    let d = Deployment::new();
    d.fill_store();
    let backups = d.lab.path("ca");
    std::fs::create_dir_all(&backups).expect("the lab folder is writable");
    let backup = backups.join("LAB-CA-CHAIN.pem");
    std::fs::write(&backup, d.ca_pem()).expect("the lab folder is writable");

    // The whole `certs` folder: every domain and the CA backups.
    let root = path_str(d.lab.dir());
    let out = Run::new(["store", &root]).json().code(0);
    let files = out.json()["store"]["files"].as_array().expect("files");
    let backup_file = files
        .iter()
        .find(|f| f["path"] == path_str(&backup))
        .unwrap_or_else(|| panic!("the backup is listed\n{}", out.transcript()));
    assert_eq!(backup_file["kind"], "CA bundle");
    assert_eq!(backup_file["status"], "ok");
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(folder) = stack.pop() {
        for entry in std::fs::read_dir(&folder).expect("readable").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn a_store_without_its_bundle_is_audited_not_refused() {
    let d = Deployment::new();
    d.write_client(&d.client, &d.lab.pki.intermediate, &d.client);
    let store = path_str(&d.store());

    // `store` exists to say what is missing: CA_CERT_PATH naming an incomplete store is
    // its input, not an error.
    let out = Run::new(["store"])
        .env("CA_CERT_PATH", &store)
        .json()
        .code(1);
    let missing = &out.json()["store"]["findings"];
    assert_eq!(codes(missing), ["store.missing-file"]);
    assert!(
        finding(missing, "store.missing-file")["message"]
            .as_str()
            .is_some_and(|m| m.contains("CA bundle")),
        "{}",
        out.transcript()
    );
    Run::new(["store", &store])
        .env("CA_CERT_PATH", &store)
        .code(1);
    // Commands that need no bundle run as usual.
    Run::new(["codes"]).env("CA_CERT_PATH", &store).code(0);

    // `check` does need it, and says which files it looked for.
    let out = Run::new(["check", "localhost"])
        .env("CA_CERT_PATH", &store)
        .json()
        .code(3);
    out.stderr_has(&path_str(&d.file("ROOT-CA.crt")))
        .stderr_has("ROOT-CA.crt.age");
    assert_eq!(out.json()["summary"]["exit_code"], 3);
}

#[test]
fn store_audit_with_an_undecryptable_file_is_not_healthy() {
    let d = Deployment::new();
    d.fill_store();
    std::fs::remove_file(d.file("dataconnect.crt")).expect("removes");
    let identity = identity_file(&d.lab.path("keys.txt"));
    let sealed = d.write(
        "dataconnect.crt.age",
        seal(d.dataconnect.pem().as_bytes(), &identity),
    );
    let wrong = d.lab.path("wrong-keys.txt");
    identity_file(&wrong);

    let out = Run::new(["store", &path_str(&d.store())])
        .env("AGE_IDENTITY", &path_str(&wrong))
        .json()
        .code(2);
    let files = out.json()["store"]["files"].as_array().expect("files");
    let file = files
        .iter()
        .find(|f| f["path"] == path_str(&sealed))
        .unwrap_or_else(|| panic!("the .age pin is listed\n{}", out.transcript()));
    assert_eq!(file["status"], "error", "{file}");
    assert_eq!(
        out.json()["store"]["status"],
        "error",
        "{}",
        out.transcript()
    );

    // The pin is there, only locked: not missing.
    let out = Run::new(["store", &path_str(&d.store()), "--service", "dataconnect"])
        .env("AGE_IDENTITY", &path_str(&wrong))
        .json()
        .code(2);
    assert_eq!(codes(&out.json()["store"]["findings"]), Vec::<&str>::new());
}

/// The store's `files` array of a JSON run.
fn store_files(out: &Output) -> &Vec<Value> {
    out.json()["store"]["files"]
        .as_array()
        .unwrap_or_else(|| panic!("no files array\n{}", out.transcript()))
}

/// The listed file at `path`.
fn listed<'a>(out: &'a Output, path: &Path) -> &'a Value {
    let path = path_str(path);
    store_files(out)
        .iter()
        .find(|f| f["path"] == path)
        .unwrap_or_else(|| panic!("{path} is not listed\n{}", out.transcript()))
}

/// Asserts `file` is listed as unreadable, with an error status and `reason` in its summary.
fn assert_unreadable(out: &Output, path: &Path, reason: &str) {
    let file = listed(out, path);
    assert_eq!(file["kind"], "unreadable", "{file}");
    assert_eq!(file["status"], "error", "{file}");
    assert!(
        file["summary"].as_str().is_some_and(|s| s.contains(reason)),
        "{file} does not say {reason:?}"
    );
}

fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs");
    assert!(status.success(), "mkfifo {}", path.display());
}

/// A sparse file one byte over the 16 MiB input limit.
fn oversized(path: &Path) {
    let file = std::fs::File::create(path).expect("the lab folder is writable");
    file.set_len(16 * 1024 * 1024 + 1)
        .expect("sparse files work");
}

#[test]
fn store_audit_walks_eight_levels_and_says_where_it_stopped() {
    let d = Deployment::new();
    d.fill_store();
    let store = path_str(&d.store());

    // A readable key six levels down: below the old four-level limit.
    let deep = d.store().join("a/b/c/d/e/f");
    std::fs::create_dir_all(&deep).expect("the lab folder is writable");
    let key = deep.join("old-client.key");
    std::fs::write(&key, d.client.key_pem()).expect("the lab folder is writable");
    chmod(&key, 0o644);
    let out = Run::new(["store", &store]).json().code(2);
    let file = listed(&out, &key);
    assert_eq!(file["kind"], "private key", "{file}");
    assert_eq!(codes(&file["findings"]), ["store.key-permissions"]);
    assert_eq!(codes(&out.json()["store"]["findings"]), Vec::<&str>::new());
    std::fs::remove_file(&key).expect("removes");

    // Eight folder levels are walked; a ninth is not, and the audit says so.
    let eighth = d.store().join("1/2/3/4/5/6/7/8");
    std::fs::create_dir_all(eighth.join("9")).expect("the lab folder is writable");
    let inside = eighth.join("LAB-CA.pem");
    let beyond = eighth.join("9/LAB-CA.pem");
    std::fs::write(&inside, d.ca_pem()).expect("the lab folder is writable");
    std::fs::write(&beyond, d.ca_pem()).expect("the lab folder is writable");
    let out = Run::new(["store", &store]).json().code(1);
    assert_eq!(listed(&out, &inside)["kind"], "CA bundle");
    assert!(
        store_files(&out)
            .iter()
            .all(|f| f["path"] != path_str(&beyond)),
        "{}",
        out.transcript()
    );
    let audit = &out.json()["store"];
    assert_eq!(audit["status"], "warning");
    assert_eq!(codes(&audit["findings"]), ["store.incomplete-audit"]);
    let stopped = finding(&audit["findings"], "store.incomplete-audit");
    assert_eq!(stopped["severity"], "warning");
    let message = stopped["message"].as_str().expect("a message");
    assert!(
        message.contains("depth 8") && message.contains(&path_str(&eighth.join("9"))),
        "{message}"
    );
    assert!(
        stopped["fix"][0]
            .as_str()
            .is_some_and(|f| f.contains("narrower folder")),
        "{stopped}"
    );

    // The human report says it too.
    Run::new(["store", &store])
        .code(1)
        .stdout_has("store.incomplete-audit")
        .stdout_has("files beyond were not audited");
}

#[test]
fn store_audit_stops_after_5000_files_and_says_so() {
    let d = Deployment::new();
    let root = d.lab.path("many");
    std::fs::create_dir_all(&root).expect("the lab folder is writable");
    let pem = d.lab.pki.root.pem();
    for n in 0..5001 {
        std::fs::write(root.join(format!("{n:04}.pem")), &pem).expect("the lab folder is writable");
    }

    let out = Run::new(["store", &path_str(&root)]).json().code(1);
    assert_eq!(store_files(&out).len(), 5000);
    let audit = &out.json()["store"];
    assert_eq!(codes(&audit["findings"]), ["store.incomplete-audit"]);
    let message = finding(&audit["findings"], "store.incomplete-audit")["message"]
        .as_str()
        .expect("a message");
    assert!(
        message.contains("after 5000 files") && message.contains("5000.pem"),
        "{message}"
    );
}

#[test]
fn store_audit_follows_links_and_lists_what_it_cannot_open() {
    use std::os::unix::fs::symlink;

    let d = Deployment::new();
    d.fill_store();
    let store = path_str(&d.store());

    // The bundle lives elsewhere and is linked in, as `check` reads it.
    let shared = d.lab.path("shared");
    std::fs::create_dir_all(&shared).expect("the lab folder is writable");
    let real = shared.join("ROOT-CA.crt");
    std::fs::rename(d.file("ROOT-CA.crt"), &real).expect("moves");
    symlink(&real, d.file("ROOT-CA.crt")).expect("links");
    // A second name for the ise folder, and a link back up: each folder is walked once.
    symlink(d.ise(), d.store().join("current")).expect("links");
    symlink("..", d.file("up")).expect("links");
    // What cannot be opened.
    symlink(d.lab.path("gone.crt"), d.file("old.crt")).expect("links");
    symlink("self.pem", d.file("self.pem")).expect("links");
    mkfifo(&d.file("fifo.crt"));
    let _socket = std::os::unix::net::UnixListener::bind(d.file("agent.pem")).expect("binds");

    let out = Run::new(["store", &store, "--service", "ers,pxgrid,dataconnect"])
        .json()
        .code(2);
    out.within(std::time::Duration::from_secs(20));
    assert_eq!(listed(&out, &d.file("ROOT-CA.crt"))["kind"], "CA bundle");
    let bundles = store_files(&out)
        .iter()
        .filter(|f| {
            f["path"]
                .as_str()
                .is_some_and(|p| p.ends_with("ROOT-CA.crt"))
        })
        .count();
    assert_eq!(bundles, 1, "one bundle, listed once\n{}", out.transcript());
    assert_unreadable(&out, &d.file("old.crt"), "dangling symbolic link");
    assert_unreadable(&out, &d.file("self.pem"), "symbolic link loop");
    assert_unreadable(&out, &d.file("fifo.crt"), "a named pipe (FIFO), not a file");
    assert_unreadable(&out, &d.file("agent.pem"), "a socket, not a file");
    assert_eq!(store_files(&out).len(), 7, "{}", out.transcript());
    let audit = &out.json()["store"];
    assert_eq!(audit["status"], "error");
    assert_eq!(codes(&audit["findings"]), Vec::<&str>::new());

    // The human report: every unreadable entry is an error, and so is the run.
    Run::new(["store", &store])
        .code(2)
        .stdout_has("[error] cert store")
        .stdout_has("dangling symbolic link")
        .stdout_has("ERROR.");
}

#[test]
fn store_audit_status_is_its_worst_file_and_an_unreadable_file_is_not_missing() {
    let d = Deployment::new();
    d.fill_store();
    let store = path_str(&d.store());

    // Each expected file present but unreadable: the entry is the finding, not "missing".
    oversized(&d.file("ROOT-CA.crt"));
    std::fs::remove_file(d.file("dataconnect.crt")).expect("removes");
    mkfifo(&d.file("dataconnect.crt"));
    std::fs::remove_file(d.file("pxgrid-client.key")).expect("removes");
    mkfifo(&d.file("pxgrid-client.key"));

    let out = Run::new(["store", &store, "--service", "ers,api,pxgrid,dataconnect"])
        .json()
        .code(2);
    assert_unreadable(&out, &d.file("ROOT-CA.crt"), "16 MiB");
    assert_unreadable(&out, &d.file("dataconnect.crt"), "a named pipe (FIFO)");
    assert_unreadable(&out, &d.file("pxgrid-client.key"), "a named pipe (FIFO)");
    let audit = &out.json()["store"];
    assert_eq!(audit["status"], "error");
    assert_eq!(
        codes(&audit["findings"]),
        Vec::<&str>::new(),
        "{}",
        out.transcript()
    );

    // One over-large file alone makes the run an error, in either format.
    std::fs::remove_file(d.file("dataconnect.crt")).expect("removes");
    std::fs::remove_file(d.file("pxgrid-client.key")).expect("removes");
    std::fs::remove_file(d.file("pxgrid-client.crt")).expect("removes");
    let out = Run::new(["store", &store, "--service", "ers"])
        .json()
        .code(2);
    assert_eq!(out.json()["store"]["status"], "error");
    assert_eq!(out.json()["summary"]["status"], "error");
    Run::new(["store", &store, "--service", "ers"])
        .code(2)
        .stdout_has("[error] cert store")
        .stdout_has("ERROR. cert store error")
        .stdout_lacks("store.missing-file");
}

#[test]
fn self_signed_ca_dataconnect_certificate_is_the_pin() {
    let d = Deployment::new();
    d.fill_store();
    let store = path_str(&d.store());
    // `openssl req -x509` makes a self-signed certificate with CA:TRUE.
    let pin = d.write("dataconnect.crt", d.lab.pki.root.pem());

    let out = Run::new(["store", &store, "--service", "ers,dataconnect"])
        .json()
        .code(0);
    assert_eq!(listed(&out, &pin)["kind"], "pinned certificate");
    assert_eq!(codes(&out.json()["store"]["findings"]), Vec::<&str>::new());

    // Any other name keeps the old rule: one CA certificate is a CA bundle.
    let other = d.write("LAB-ROOT.crt", d.lab.pki.root.pem());
    let out = Run::new(["store", &store]).json().code(0);
    assert_eq!(listed(&out, &other)["kind"], "CA bundle");
}

#[test]
fn store_missing_file_names_the_path_below_the_domain_folder() {
    let d = Deployment::new();
    let store = path_str(&d.store());
    let out = Run::new(["store", &store, "--service", "ers,pxgrid,dataconnect"])
        .json()
        .code(1);
    let missing = out.json()["store"]["findings"]
        .as_array()
        .expect("findings");
    let fixes: Vec<&str> = missing
        .iter()
        .map(|f| f["fix"][0].as_str().expect("a fix"))
        .collect();
    assert_eq!(fixes.len(), 3, "{}", out.transcript());
    for (fix, file) in fixes.iter().zip([
        "ise/ROOT-CA.crt",
        "ise/pxgrid-client.crt",
        "ise/dataconnect.crt",
    ]) {
        assert!(fix.contains(&format!("{store}/{file}")), "{fix}");
        assert!(!fix.contains("<domain>"), "{fix}");
    }
}

#[test]
fn store_summaries_stay_short_and_a_key_file_must_hold_a_key() {
    let d = Deployment::new();
    d.fill_store();
    let store = path_str(&d.store());

    // Seven certificates: five names, then a count.
    let pki = &d.lab.pki;
    let subs: Vec<Issued> = (1..=5)
        .map(|n| {
            pki.sub_ca(&format!("Lab Sub CA {n}"), &pki.root)
                .expect("a sub-CA issues")
        })
        .collect();
    let pem: String = subs.iter().map(Issued::pem).collect::<String>() + &d.ca_pem();
    let bundle = d.write("ALL-CAS.pem", pem);
    // A key file holding a certificate, and one holding text.
    let not_a_key = d.write("spare.key", d.lab.pki.root.pem());
    let text = d.write("notes.key", "see the vault\n");
    chmod(&not_a_key, 0o600);
    chmod(&text, 0o600);
    // A lone key that is one.
    let lone = d.write("previous-client.key", d.client.key_pem());
    chmod(&lone, 0o600);

    let out = Run::new(["store", &store]).json().code(2);
    let summary = listed(&out, &bundle)["summary"]
        .as_str()
        .expect("a summary");
    assert!(
        summary.starts_with("7 certificate(s): ") && summary.ends_with(" and 2 more"),
        "{summary}"
    );
    assert_eq!(summary.matches(", ").count(), 4, "{summary}");
    assert_unreadable(&out, &not_a_key, "holds no private key");
    assert_unreadable(&out, &text, "holds no private key");
    let lone = listed(&out, &lone);
    assert_eq!(lone["kind"], "private key", "{lone}");
    assert_eq!(lone["status"], "ok", "{lone}");
}
