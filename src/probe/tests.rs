//! Probes against simulated servers on 127.0.0.1 (and one real `openssl s_server`).

use std::time::Duration;

use rustls_pki_types::CertificateDer;

use super::*;
use crate::sim::pki::{LeafSpec, Pki, PkiBuilder};
use crate::sim::server::{self, Behavior, ClientAuth, ServerHandle, TlsSpec, Versions};

fn opts() -> ProbeOptions {
    ProbeOptions {
        timeout: Duration::from_millis(1500),
        concurrency: 4,
        client_auth_wait: Duration::from_millis(300),
        client_identity: None,
    }
}

fn target(port: u16) -> TargetSpec {
    TargetSpec {
        label: format!("127.0.0.1:{port}"),
        host: "127.0.0.1".to_string(),
        port,
        connect_to: None,
        service: None,
        kind: None,
        present_client_cert: false,
    }
}

async fn serve(spec: TlsSpec) -> ServerHandle {
    server::start(Behavior::tls(spec))
        .await
        .expect("sim server starts")
}

async fn probe_port(port: u16) -> ProbeOutcome {
    probe(&target(port), &opts()).await
}

fn fingerprints(outcome: &ProbeOutcome) -> Vec<String> {
    outcome.presented.iter().map(|c| c.sha256.clone()).collect()
}

fn sha256s(certs: &[&CertificateDer<'_>]) -> Vec<String> {
    certs
        .iter()
        .map(|der| {
            crate::model::Certificate::from_der(der)
                .expect("parses")
                .sha256
        })
        .collect()
}

#[tokio::test]
async fn full_chain_is_captured_in_the_order_sent() {
    let pki = Pki::lab();
    let chain = vec![
        pki.leaf.der().clone(),
        pki.intermediate.der().clone(),
        pki.root.der().clone(),
    ];
    let server = serve(TlsSpec::new(chain.clone(), pki.leaf.key_der())).await;

    let outcome = probe_port(server.port()).await;

    assert_eq!(outcome.failure, None);
    assert_eq!(
        fingerprints(&outcome),
        sha256s(&chain.iter().collect::<Vec<_>>())
    );
    assert_eq!(outcome.tls_version.as_deref(), Some("TLSv1.3"));
    assert!(
        outcome
            .cipher
            .as_deref()
            .is_some_and(|c| c.starts_with("TLS13_"))
    );
    assert_eq!(outcome.address, Some(server.addr().to_string()));
    assert!(outcome.client_auth.is_none() && outcome.unparsable.is_empty());
    assert_eq!(server.app_bytes_received(), 0);
}

#[tokio::test]
async fn leaf_alone_is_captured_alone() {
    let pki = Pki::lab();
    let server = serve(TlsSpec::new(
        vec![pki.leaf.der().clone()],
        pki.leaf.key_der(),
    ))
    .await;

    let outcome = probe_port(server.port()).await;

    assert_eq!(outcome.failure, None);
    assert_eq!(fingerprints(&outcome), vec![pki.leaf.sha256()]);
}

#[tokio::test]
async fn duplicates_and_strangers_are_kept_as_sent() {
    let (pki, other) = (Pki::lab(), Pki::lab());
    let chain = vec![
        pki.leaf.der().clone(),
        other.root.der().clone(),
        pki.intermediate.der().clone(),
        pki.intermediate.der().clone(),
    ];
    let server = serve(TlsSpec::new(chain.clone(), pki.leaf.key_der())).await;

    let outcome = probe_port(server.port()).await;

    assert_eq!(outcome.failure, None);
    assert_eq!(
        fingerprints(&outcome),
        sha256s(&chain.iter().collect::<Vec<_>>())
    );
}

#[tokio::test]
async fn tls12_only_server_negotiates_tls12() {
    let pki = Pki::lab();
    let spec = TlsSpec::new(pki.served_chain(), pki.leaf.key_der()).versions(Versions::Tls12Only);
    let server = serve(spec).await;

    let outcome = probe_port(server.port()).await;

    assert_eq!(outcome.failure, None);
    assert_eq!(outcome.tls_version.as_deref(), Some("TLSv1.2"));
    assert!(
        outcome
            .cipher
            .as_deref()
            .is_some_and(|c| c.contains("ECDHE_ECDSA"))
    );
    assert_eq!(outcome.presented.len(), 2);
}

#[tokio::test]
async fn tls13_only_server_negotiates_tls13() {
    let pki = Pki::lab();
    let spec = TlsSpec::new(pki.served_chain(), pki.leaf.key_der()).versions(Versions::Tls13Only);
    let server = serve(spec).await;

    let outcome = probe_port(server.port()).await;

    assert_eq!(outcome.failure, None);
    assert_eq!(outcome.tls_version.as_deref(), Some("TLSv1.3"));
    assert_eq!(outcome.presented.len(), 2);
}

async fn client_auth_outcome(versions: Versions, auth: ClientAuth) -> ProbeOutcome {
    let pki = Pki::lab();
    let spec = TlsSpec::new(pki.served_chain(), pki.leaf.key_der())
        .versions(versions)
        .client_auth(auth);
    let server = serve(spec).await;
    probe_port(server.port()).await
}

fn lab_roots() -> Vec<CertificateDer<'static>> {
    let client_pki = PkiBuilder::new().build().expect("builds");
    vec![client_pki.root.der().clone()]
}

#[tokio::test]
async fn required_client_cert_is_reported_in_tls12() {
    let outcome = client_auth_outcome(Versions::Tls12Only, ClientAuth::Required(lab_roots())).await;

    let required = ProbeFailure::ClientCertRequired {
        alert: Some("certificate_required".into()),
    };
    assert_eq!(outcome.failure, Some(required));
    let request = outcome.client_auth.expect("CertificateRequest recorded");
    assert_eq!(request.acceptable_cas, vec!["CN=LAB-ROOT-CA".to_string()]);
    assert_eq!(outcome.presented.len(), 2);
    assert_eq!(outcome.tls_version.as_deref(), Some("TLSv1.2"));
}

#[tokio::test]
async fn required_client_cert_is_reported_in_tls13() {
    let outcome = client_auth_outcome(Versions::Tls13Only, ClientAuth::Required(lab_roots())).await;

    let required = ProbeFailure::ClientCertRequired {
        alert: Some("certificate_required".into()),
    };
    assert_eq!(outcome.failure, Some(required));
    let request = outcome.client_auth.expect("CertificateRequest recorded");
    assert_eq!(request.acceptable_cas, vec!["CN=LAB-ROOT-CA".to_string()]);
    assert_eq!(outcome.presented.len(), 2);
}

#[tokio::test]
async fn optional_client_cert_is_not_a_failure() {
    for versions in [Versions::Tls12Only, Versions::Tls13Only] {
        let outcome = client_auth_outcome(versions, ClientAuth::Optional(lab_roots())).await;

        assert_eq!(outcome.failure, None, "{versions:?}");
        assert!(outcome.client_auth.is_some(), "{versions:?}");
        assert_eq!(outcome.presented.len(), 2);
    }
}

#[tokio::test]
async fn plain_http_is_not_tls() {
    let server = server::start(Behavior::PlainHttp).await.expect("starts");

    let outcome = probe_port(server.port()).await;

    let Some(ProbeFailure::NotTls {
        first_bytes: Some(first),
        ..
    }) = &outcome.failure
    else {
        panic!("expected NotTls, got {:?}", outcome.failure);
    };
    assert!(first.starts_with("HTTP/1.1 400"), "{first}");
}

#[tokio::test]
async fn stalled_server_times_out_in_the_handshake() {
    let server = server::start(Behavior::Stall).await.expect("starts");
    let opts = ProbeOptions {
        timeout: Duration::from_millis(400),
        ..opts()
    };

    let outcome = probe(&target(server.port()), &opts).await;

    let timeout = ProbeFailure::Timeout {
        phase: "handshake".into(),
        millis: 400,
    };
    assert_eq!(outcome.failure, Some(timeout));
    assert!(
        (400..1400).contains(&outcome.elapsed_ms),
        "{}",
        outcome.elapsed_ms
    );
}

#[tokio::test]
async fn closed_port_is_refused() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("binds");
    let port = listener.local_addr().expect("has an address").port();
    drop(listener);

    let outcome = probe_port(port).await;

    assert!(
        matches!(&outcome.failure, Some(ProbeFailure::Refused { address, .. })
            if *address == format!("127.0.0.1:{port}")),
        "{:?}",
        outcome.failure
    );
}

#[tokio::test]
async fn close_after_accept_is_a_failed_handshake() {
    let server = server::start(Behavior::CloseOnAccept)
        .await
        .expect("starts");

    let outcome = probe_port(server.port()).await;

    assert!(
        matches!(
            outcome.failure,
            Some(ProbeFailure::HandshakeFailed { alert: None, .. })
        ),
        "{:?}",
        outcome.failure
    );
}

#[tokio::test]
async fn garbage_is_not_tls_or_a_failed_handshake() {
    for seed in 1..=4 {
        let server = server::start(Behavior::Garbage { len: 3000, seed })
            .await
            .expect("starts");

        let outcome = probe_port(server.port()).await;

        assert!(
            matches!(
                outcome.failure,
                Some(ProbeFailure::NotTls { .. } | ProbeFailure::HandshakeFailed { .. })
            ),
            "seed {seed}: {:?}",
            outcome.failure
        );
    }
}

#[tokio::test]
async fn a_server_without_the_leaf_key_fails_but_its_chain_is_kept() {
    let pki = Pki::lab();
    let impostor = pki.issue_leaf(&LeafSpec::default()).expect("issues");
    let server = serve(TlsSpec::new(pki.served_chain(), impostor.key_der())).await;

    let outcome = probe_port(server.port()).await;

    let Some(ProbeFailure::HandshakeFailed { detail, .. }) = &outcome.failure else {
        panic!("expected HandshakeFailed, got {:?}", outcome.failure);
    };
    assert!(detail.contains("signature"), "{detail}");
    assert_eq!(fingerprints(&outcome)[0], pki.leaf.sha256());
}

#[tokio::test]
async fn an_oversized_chain_fails_cleanly() {
    let pki = Pki::lab();
    let mut chain = vec![pki.leaf.der().clone()];
    chain.extend(std::iter::repeat_n(pki.intermediate.der().clone(), 300));
    let server = serve(TlsSpec::new(chain, pki.leaf.key_der())).await;

    let outcome = probe_port(server.port()).await;

    assert!(
        matches!(outcome.failure, Some(ProbeFailure::HandshakeFailed { .. })),
        "{:?}",
        outcome.failure
    );
}

#[tokio::test]
async fn hundreds_of_certificates_are_named_not_a_corrupt_message() {
    let pki = Pki::lab();
    let mut chain = vec![pki.leaf.der().clone()];
    chain.extend(std::iter::repeat_n(pki.intermediate.der().clone(), 399));
    let server = serve(TlsSpec::new(chain, pki.leaf.key_der())).await;

    let outcome = probe_port(server.port()).await;

    let Some(ProbeFailure::HandshakeFailed { detail, .. }) = &outcome.failure else {
        panic!("expected HandshakeFailed, got {:?}", outcome.failure);
    };
    assert_eq!(detail, TOO_LARGE);
    assert!(detail.contains("larger than the 64 KiB"), "{detail}");
}

#[tokio::test]
async fn resolve_rule_connects_elsewhere_and_sends_the_name() {
    let pki = Pki::lab();
    let server = serve(TlsSpec::new(pki.served_chain(), pki.leaf.key_der())).await;
    let rule =
        parse_resolve(&format!("ise-01.example.net:{}:127.0.0.1", server.port())).expect("parses");
    let targets =
        parse_target(&format!("ise-01.example.net:{}", server.port()), &[rule]).expect("parses");

    let outcome = probe(&targets[0], &opts()).await;

    assert_eq!(outcome.failure, None);
    assert_eq!(outcome.address, Some(server.addr().to_string()));
}

#[tokio::test]
async fn probe_all_keeps_target_order() {
    let pki = Pki::lab();
    let good = serve(TlsSpec::new(pki.served_chain(), pki.leaf.key_der())).await;
    let stall = server::start(Behavior::Stall).await.expect("starts");
    let http = server::start(Behavior::PlainHttp).await.expect("starts");
    let targets = [
        target(stall.port()),
        target(good.port()),
        target(http.port()),
    ];
    let opts = ProbeOptions {
        timeout: Duration::from_millis(500),
        concurrency: 2,
        ..opts()
    };

    let outcomes = probe_all(&targets, &opts).await;

    assert!(matches!(
        outcomes[0].failure,
        Some(ProbeFailure::Timeout { .. })
    ));
    assert_eq!(outcomes[1].failure, None);
    assert!(matches!(
        outcomes[2].failure,
        Some(ProbeFailure::NotTls { .. })
    ));
}

#[test]
fn background_server_serves_synchronous_callers() {
    let pki = Pki::lab();
    let spec = TlsSpec::new(pki.served_chain(), pki.leaf.key_der());
    let server = server::spawn_background(Behavior::tls(spec)).expect("starts");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime builds");

    let outcome = runtime.block_on(probe_port(server.port()));

    // The server counts the connection before it answers, so this cannot race.
    assert_eq!(outcome.failure, None);
    assert_eq!(server.accepted(), 1);
    drop(server);
}

#[test]
fn targets_parse_as_written() {
    let one = parse_target("ise-01.example.net:9060", &[]).expect("parses");
    assert_eq!(one.len(), 1);
    assert_eq!(
        (one[0].label.as_str(), one[0].port),
        ("ise-01.example.net:9060", 9060)
    );
    assert_eq!(one[0].service.as_deref(), Some("ERS API"));

    let bare = parse_target("ise-01", &[]).expect("parses");
    let ports: Vec<u16> = bare.iter().map(|t| t.port).collect();
    assert_eq!(ports, vec![9060, 443]);
    assert_eq!(bare[1].label, "ise-01:443");

    let v6 = parse_target("[::1]:443", &[]).expect("parses");
    assert_eq!(
        (v6[0].host.as_str(), v6[0].port, v6[0].label.as_str()),
        ("::1", 443, "[::1]:443")
    );
    let bare_v6 = parse_target("::1", &[]).expect("parses");
    assert_eq!(bare_v6[0].label, "[::1]:9060");

    let v4 = parse_target("10.0.0.5", &[]).expect("parses");
    assert_eq!((v4[0].host.as_str(), v4.len()), ("10.0.0.5", 2));
}

#[test]
fn bad_targets_are_refused_with_a_reason() {
    for bad in [
        "",
        "host:0",
        "host:65536",
        "host:http",
        "host:",
        ":443",
        "[::1",
        "[zz]:1",
        "fe80::1:443x",
        "https://ise-01/",
        "bad host:443",
    ] {
        assert!(parse_target(bad, &[]).is_err(), "{bad:?} should be refused");
    }
}

#[test]
fn numbers_that_are_not_ipv4_literals_are_refused() {
    for (text, expected) in [
        (
            "24401",
            "`24401` is not a host name or IP address (did you mean `HOST:24401`?)",
        ),
        (
            "24401:443",
            "`24401` is not a host name or IP address (did you mean `HOST:24401`?)",
        ),
        (
            "10.0.5",
            "`10.0.5` is not a host name or IP address (an IPv4 address has four numbers, \
             e.g. 10.0.0.5)",
        ),
        ("10.0.5:443", "`10.0.5` is not a host name or IP address"),
        (
            "010.0.0.5",
            "`010.0.0.5` is not a host name or IP address (a number with a",
        ),
        (
            "0x0a000005:9060",
            "`0x0a000005` is not a host name; write an IPv4 address",
        ),
        (
            "0x7f.1",
            "`0x7f.1` is not a host name; write an IPv4 address",
        ),
        ("0X7F.0.0.1:443", "`0X7F.0.0.1` is not a host name"),
    ] {
        let error = parse_target(text, &[]).expect_err(text);
        assert!(error.starts_with(expected), "{text}: {error}");
    }
    let rule = parse_resolve("24401:443:127.0.0.1").expect_err("a number is no host");
    assert!(rule.contains("did you mean"), "{rule}");

    assert!(parse_target("10.0.0.5:443", &[]).is_ok());
    assert!(parse_target("ise-01.10.0.5:443", &[]).is_ok());
}

#[test]
fn resolve_rules_parse_like_curl() {
    let rule = parse_resolve("ise-01.example.net:443:10.1.1.10").expect("parses");
    assert_eq!(rule.addr, "10.1.1.10".parse::<IpAddr>().expect("ip"));
    let v6 = parse_resolve("ise-01:9060:[2001:db8::1]").expect("parses");
    assert_eq!(v6.addr, "2001:db8::1".parse::<IpAddr>().expect("ip"));
    let v6_bare = parse_resolve("ise-01:9060:::1").expect("parses");
    assert_eq!(v6_bare.addr, "::1".parse::<IpAddr>().expect("ip"));

    for bad in [
        "ise-01:443",
        "ise-01:99999:10.0.0.1",
        "ise-01:443:not-an-ip",
        ":443:10.0.0.1",
    ] {
        assert!(parse_resolve(bad).is_err(), "{bad:?} should be refused");
    }

    let targets = parse_target("ISE-01:9060", std::slice::from_ref(&v6)).expect("parses");
    assert_eq!(targets[0].connect_to, Some(v6.addr));
    assert_eq!(
        parse_target("ise-01:443", &[v6]).expect("parses")[0].connect_to,
        None
    );
}

mod openssl {
    //! The probe against a real `openssl s_server`, serving a chain from the sim PKI.

    use std::io::{BufRead, BufReader};
    use std::process::{Child, Command, Stdio};
    use std::sync::mpsc;

    use super::*;
    use crate::sim::pki::write_pem_bundle;

    /// Kills the server when the test ends, however it ends.
    struct Server(Child);

    impl Drop for Server {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }

    fn free_port() -> u16 {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("binds");
        listener.local_addr().expect("has an address").port()
    }

    /// Starts `openssl s_server` for the sim PKI's leaf and issuing CA.
    fn s_server(dir: &std::path::Path, pki: &Pki, extra: &[&str]) -> Option<(Server, u16)> {
        write_pem_bundle(&dir.join("leaf.pem"), &[&pki.leaf]).expect("writes");
        write_pem_bundle(&dir.join("chain.pem"), &[&pki.intermediate]).expect("writes");
        write_pem_bundle(&dir.join("root.pem"), &[&pki.root]).expect("writes");
        std::fs::write(dir.join("leaf.key"), pki.leaf.key_pem()).expect("writes");

        let files = [
            "-cert",
            "leaf.pem",
            "-key",
            "leaf.key",
            "-cert_chain",
            "chain.pem",
        ];
        let args: Vec<&str> = files.iter().chain(extra).copied().collect();
        s_server_with(dir, &args)
    }

    /// Starts `openssl s_server -www` in `dir` and waits (at most 5 s) until it accepts.
    fn s_server_with(dir: &std::path::Path, args: &[&str]) -> Option<(Server, u16)> {
        let port = free_port();
        let mut child = Command::new("openssl")
            .current_dir(dir)
            .args(["s_server", "-accept", &format!("127.0.0.1:{port}"), "-www"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;

        let stdout = child.stdout.take().expect("invariant: stdout is piped");
        let server = Server(child);
        let (ready_tx, ready_rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if line.contains("ACCEPT") {
                    let _ = ready_tx.send(());
                }
            }
        });
        ready_rx.recv_timeout(Duration::from_secs(5)).ok()?;
        Some((server, port))
    }

    fn run(outcome: impl std::future::Future<Output = ProbeOutcome>) -> ProbeOutcome {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime builds")
            .block_on(outcome)
    }

    #[test]
    fn chain_from_openssl_is_captured_in_order() {
        let dir = tempfile::tempdir().expect("temp dir");
        let pki = Pki::lab();
        let (_server, port) = s_server(dir.path(), &pki, &[]).expect("openssl s_server starts");

        let outcome = run(probe_port(port));

        assert_eq!(outcome.failure, None);
        assert_eq!(
            fingerprints(&outcome),
            vec![pki.leaf.sha256(), pki.intermediate.sha256()]
        );
        assert_eq!(outcome.tls_version.as_deref(), Some("TLSv1.3"));
    }

    #[test]
    fn openssl_client_auth_is_reported_in_both_versions() {
        let dir = tempfile::tempdir().expect("temp dir");
        let pki = Pki::lab();
        let require = [
            "-Verify",
            "1",
            "-CAfile",
            "root.pem",
            "-verify_return_error",
        ];

        for version in ["-tls1_2", "-tls1_3"] {
            let args: Vec<&str> = require.iter().copied().chain([version]).collect();
            let (_server, port) = s_server(dir.path(), &pki, &args).expect("s_server starts");

            let outcome = run(probe_port(port));

            assert!(
                matches!(
                    outcome.failure,
                    Some(ProbeFailure::ClientCertRequired { .. })
                ),
                "{version}: {:?}",
                outcome.failure
            );
            let request = outcome.client_auth.expect("CertificateRequest recorded");
            assert_eq!(request.acceptable_cas, vec!["CN=LAB-ROOT-CA".to_string()]);
            assert_eq!(outcome.presented.len(), 2, "{version}");
        }
    }

    #[test]
    fn openssl_verifies_the_client_cert_we_present() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (pki, other) = (Pki::lab(), Pki::unrelated());
        let present = |pki: &Pki| {
            let client = pki.issue_client().expect("issues");
            Some(std::sync::Arc::new(ClientCredentials {
                chain: pki.chain_of(&client),
                key: client.key_der(),
            }))
        };
        let (good, foreign) = (present(&pki), present(&other));
        let require = [
            "-Verify",
            "1",
            "-CAfile",
            "root.pem",
            "-verify_return_error",
        ];

        for version in ["-tls1_2", "-tls1_3"] {
            let args: Vec<&str> = require.iter().copied().chain([version]).collect();
            let (_server, port) = s_server(dir.path(), &pki, &args).expect("s_server starts");
            let target = TargetSpec {
                present_client_cert: true,
                ..target(port)
            };
            let with = |identity| ProbeOptions {
                client_identity: identity,
                ..opts()
            };

            let accepted = run(probe(&target, &with(good.clone())));
            let rejected = run(probe(&target, &with(foreign.clone())));

            assert_eq!(accepted.failure, None, "{version}");
            assert!(accepted.client_cert_sent, "{version}");
            let request = accepted.client_auth.expect("CertificateRequest recorded");
            assert_eq!(request.acceptable_cas, vec!["CN=LAB-ROOT-CA".to_string()]);
            let unknown_ca = ProbeFailure::ClientCertRejected {
                alert: Some("unknown_ca".into()),
            };
            assert_eq!(rejected.failure, Some(unknown_ca), "{version}");
            assert!(rejected.client_cert_sent, "{version}");
            assert_eq!(rejected.presented.len(), 2, "{version}");
        }
    }

    /// ring refuses RSA keys under 2048 bits: the handshake signature cannot be checked,
    /// and the chain must still come back for the diagnosis.
    #[test]
    fn rsa_1024_leaf_fails_the_signature_but_keeps_the_chain() {
        let dir = tempfile::tempdir().expect("temp dir");
        let made = Command::new("openssl")
            .current_dir(dir.path())
            .args([
                "req", "-x509", "-newkey", "rsa:1024", "-nodes", "-days", "2",
            ])
            .args([
                "-subj",
                "/CN=weak.example.net",
                "-keyout",
                "weak.key",
                "-out",
                "weak.pem",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("openssl runs");
        assert!(made.success());
        let args = [
            "-cert",
            "weak.pem",
            "-key",
            "weak.key",
            "-cipher",
            "DEFAULT:@SECLEVEL=0",
        ];
        let (_server, port) = s_server_with(dir.path(), &args).expect("s_server starts");

        let outcome = run(probe_port(port));

        let Some(ProbeFailure::HandshakeFailed { detail, .. }) = &outcome.failure else {
            panic!("expected HandshakeFailed, got {:?}", outcome.failure);
        };
        assert!(detail.contains("RSA key has 1024 bits"), "{detail}");
        assert_eq!(outcome.presented.len(), 1);
        assert_eq!(outcome.presented[0].key.to_string(), "RSA 1024");
    }
}
