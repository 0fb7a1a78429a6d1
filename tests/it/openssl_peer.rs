//! Against a real OpenSSL server (`openssl s_server`), not our own rustls simulator.
//!
//! Also where `cert.weak-key` and `cert.weak-signature` are covered end to end: rcgen and
//! ring cannot sign SHA-1 or make RSA-1024 keys, so the `openssl` CLI issues those leaves
//! (from the lab's issuing CA key) into a temporary folder and `s_server` serves them at
//! security level 0. The chain must be captured and reported even when rustls refuses
//! the handshake. Every test is skipped, with a note on stderr, when `openssl` is absent.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{self, Lab, Run, fixture, openssl};

fn openssl_available() -> bool {
    support::tools_available(&[("openssl", "version")], "OpenSSL peer test")
}

/// `openssl s_server` on 127.0.0.1; killed when dropped.
struct SServer {
    child: Child,
    port: u16,
    /// Held open so that s_server never reads end-of-file from its terminal.
    _stdin: Option<ChildStdin>,
}

impl SServer {
    /// Starts `s_server` in `dir` with `extra` arguments (certificate, key, chain, …).
    fn start(dir: &Path, extra: &[&str]) -> SServer {
        let port = {
            let probe = TcpListener::bind("127.0.0.1:0").expect("can bind 127.0.0.1:0");
            probe.local_addr().expect("bound").port()
        };
        let accept = format!("127.0.0.1:{port}");
        let log = std::fs::File::create(dir.join("s_server.log")).expect("log file");
        let mut child = Command::new("openssl")
            .args(["s_server", "-accept", &accept, "-naccept", "50", "-quiet"])
            .args(extra)
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("openssl s_server starts");
        let stdin = child.stdin.take();
        let mut server = SServer {
            child,
            port,
            _stdin: stdin,
        };
        server.wait_listening(dir);
        server
    }

    fn wait_listening(&mut self, dir: &Path) {
        let address = SocketAddr::from(([127, 0, 0, 1], self.port));
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(10) {
            if let Ok(Some(status)) = self.child.try_wait() {
                let log = std::fs::read_to_string(dir.join("s_server.log")).unwrap_or_default();
                panic!("openssl s_server exited ({status}) before listening:\n{log}");
            }
            if TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("openssl s_server did not listen on {address} within 10 s");
    }
}

impl Drop for SServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The lab's leaf, issuing CA and leaf key as PEM files in the lab folder.
fn write_lab_pems(lab: &Lab) {
    lab.write("leaf.pem", lab.pki.leaf.pem());
    lab.write("leaf.key", lab.pki.leaf.key_pem());
    lab.write("chain.pem", lab.pki.intermediate.pem());
    lab.write("issuing.pem", lab.pki.intermediate.pem());
    lab.write("issuing.key", lab.pki.intermediate.key_pem());
}

#[test]
fn openssl_server_sending_only_its_leaf_is_a_missing_intermediate() {
    if !openssl_available() {
        return;
    }
    let lab = Lab::new();
    write_lab_pems(&lab);
    let server = SServer::start(lab.dir(), &["-cert", "leaf.pem", "-key", "leaf.key"]);

    let out = Run::check(server.port, &lab.root_bundle()).json().code(2);
    out.status("error").only(&["chain.missing-intermediate"]);
    out.finding("chain.missing-intermediate")
        .says("CN=LAB-ISSUING-CA");
    assert_eq!(out.target(0).chain().len(), 1);
}

#[test]
fn openssl_server_with_its_chain_is_healthy() {
    if !openssl_available() {
        return;
    }
    let lab = Lab::new();
    write_lab_pems(&lab);
    let args = [
        "-cert",
        "leaf.pem",
        "-key",
        "leaf.key",
        "-cert_chain",
        "chain.pem",
    ];
    let server = SServer::start(lab.dir(), &args);

    let out = Run::check(server.port, &lab.root_bundle()).json().code(0);
    out.status("ok").no_findings();
    assert_eq!(out.target(0).chain().len(), 2);

    // TLS 1.2 only, as older ISE listeners may be.
    drop(server);
    let mut args = args.to_vec();
    args.push("-tls1_2");
    let server = SServer::start(lab.dir(), &args);
    let out = Run::check(server.port, &lab.root_bundle()).json().code(0);
    assert_eq!(out.target(0).value["tls_version"], "TLSv1.2");
}

#[test]
fn openssl_server_with_the_rsa_fixture_chain_is_healthy() {
    if !openssl_available() {
        return;
    }
    let lab = Lab::new();
    let args = [
        "-cert",
        &fixture("leaf.pem"),
        "-key",
        &fixture("leaf.key"),
        "-cert_chain",
        &fixture("issuing.pem"),
    ]
    .map(|s| s.to_string());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let server = SServer::start(lab.dir(), &args);

    let out = Run::check(server.port, &fixture("bundle-root-only.pem"))
        .json()
        .code(0);
    out.no_findings();
    assert_eq!(out.target(0).chain()[0]["key"]["kind"], "rsa");
}

/// Issues a leaf for ise-01.example.net from the lab's issuing CA with the `openssl` CLI.
fn openssl_leaf(lab: &Lab, name: &str, keygen: &[&str], digest: &str) {
    write_lab_pems(lab);
    lab.write(
        "leaf-ext.cnf",
        "basicConstraints = critical, CA:FALSE\n\
         keyUsage = critical, digitalSignature, keyEncipherment\n\
         extendedKeyUsage = serverAuth\n\
         subjectAltName = DNS:ise-01.example.net\n\
         subjectKeyIdentifier = hash\n\
         authorityKeyIdentifier = keyid\n",
    );
    let (key, csr, pem) = (
        format!("{name}.key"),
        format!("{name}.csr"),
        format!("{name}.pem"),
    );
    let dir = lab.dir();
    let mut genpkey = vec!["genpkey", "-quiet"];
    genpkey.extend_from_slice(keygen);
    genpkey.extend_from_slice(&["-out", &key]);
    openssl(dir, &genpkey);
    let subject = ["-subj", "/CN=ise-01.example.net"];
    openssl(
        dir,
        &[&["req", "-new", "-key", &key, "-out", &csr][..], &subject].concat(),
    );
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            "issuing.pem",
            "-CAkey",
            "issuing.key",
            "-set_serial",
            "4242",
            "-days",
            "365",
            &format!("-{digest}"),
            "-extfile",
            "leaf-ext.cnf",
            "-out",
            &pem,
        ],
    );
}

#[test]
fn rsa_1024_leaf_is_a_weak_key_and_the_chain_is_still_reported() {
    if !openssl_available() {
        return;
    }
    let lab = Lab::new();
    openssl_leaf(
        &lab,
        "weak",
        &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024"],
        "sha256",
    );
    let args = [
        "-cert",
        "weak.pem",
        "-key",
        "weak.key",
        "-cert_chain",
        "chain.pem",
        "-cipher",
        "DEFAULT@SECLEVEL=0",
    ];
    let server = SServer::start(lab.dir(), &args);

    let out = Run::check(server.port, &lab.root_bundle()).json().code(2);
    out.status("error");
    out.finding("cert.weak-key").says("RSA 1024");
    let target = out.target(0);
    assert_eq!(
        target.chain_subjects(),
        ["CN=ise-01.example.net", "CN=LAB-ISSUING-CA"]
    );
    assert_eq!(target.chain()[0]["key"]["bits"], 1024);
    // rustls refuses to verify a handshake signature made with a 1024-bit key.
    out.finding("tls.handshake-failed");
}

#[test]
fn sha1_signed_leaf_is_a_weak_signature() {
    if !openssl_available() {
        return;
    }
    let lab = Lab::new();
    openssl_leaf(
        &lab,
        "sha1",
        &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
        "sha1",
    );
    let args = [
        "-cert",
        "sha1.pem",
        "-key",
        "sha1.key",
        "-cert_chain",
        "chain.pem",
        "-cipher",
        "DEFAULT@SECLEVEL=0",
    ];
    let server = SServer::start(lab.dir(), &args);

    let out = Run::check(server.port, &lab.root_bundle()).json().code(2);
    out.status("error").only(&["cert.weak-signature"]);
    out.finding("cert.weak-signature")
        .says("SHA1")
        .says("CN=LAB-ISSUING-CA");
    assert_eq!(out.target(0).chain().len(), 2);
}
