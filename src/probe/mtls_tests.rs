//! Mutual TLS against simulated pxGrid-like servers on 127.0.0.1: presenting a client
//! certificate, and naming the server's refusal of it (or of its absence).

use std::sync::Arc;
use std::time::Duration;

use super::*;
use crate::sim::pki::{Issued, LeafEku, LeafSpec, Pki};
use crate::sim::server::{self, Behavior, ClientAuth, ServerHandle, TlsSpec, Versions};

const VERSIONS: [Versions; 2] = [Versions::Tls12Only, Versions::Tls13Only];

/// The lab PKI (server and good clients) and an unrelated one (foreign clients).
struct Lab {
    pki: Pki,
    other: Pki,
}

impl Lab {
    fn new() -> Lab {
        Lab {
            pki: Pki::lab(),
            other: Pki::unrelated(),
        }
    }

    /// A pxGrid-like server: the lab chain, and client certificates from the lab root.
    async fn pxgrid(&self, versions: Versions) -> ServerHandle {
        self.serve(
            versions,
            ClientAuth::Required(vec![self.pki.root.der().clone()]),
        )
        .await
    }

    async fn serve(&self, versions: Versions, auth: ClientAuth) -> ServerHandle {
        let spec = TlsSpec::new(self.pki.served_chain(), self.pki.leaf.key_der())
            .versions(versions)
            .client_auth(auth);
        server::start(Behavior::tls(spec))
            .await
            .expect("sim server starts")
    }

    fn good(&self) -> Arc<ClientCredentials> {
        credentials(&self.pki, &self.pki.issue_client().expect("issues"))
    }

    fn foreign(&self) -> Arc<ClientCredentials> {
        credentials(&self.other, &self.other.issue_client().expect("issues"))
    }

    /// Issued by the lab CA, but for serverAuth only.
    fn server_only(&self) -> Arc<ClientCredentials> {
        let spec = LeafSpec::client("pxgrid-client").with_eku(LeafEku::ServerAuth);
        credentials(&self.pki, &self.pki.issue_leaf(&spec).expect("issues"))
    }
}

fn credentials(pki: &Pki, client: &Issued) -> Arc<ClientCredentials> {
    Arc::new(ClientCredentials {
        chain: pki.chain_of(client),
        key: client.key_der(),
    })
}

fn opts(identity: Option<Arc<ClientCredentials>>) -> ProbeOptions {
    ProbeOptions {
        timeout: Duration::from_millis(1500),
        concurrency: 4,
        client_auth_wait: Duration::from_millis(300),
        client_identity: identity,
    }
}

fn pxgrid_target(port: u16) -> TargetSpec {
    TargetSpec {
        present_client_cert: true,
        ..TargetSpec::new("127.0.0.1", port)
    }
}

async fn probe_pxgrid(server: &ServerHandle, identity: Arc<ClientCredentials>) -> ProbeOutcome {
    probe(&pxgrid_target(server.port()), &opts(Some(identity))).await
}

fn lab_root_requested(outcome: &ProbeOutcome) -> bool {
    outcome
        .client_auth
        .as_ref()
        .is_some_and(|request| request.acceptable_cas == ["CN=LAB-ROOT-CA"])
}

/// The server counts a handshake once its side is done, which may be just after ours.
async fn handshakes_settle(server: &ServerHandle, expected: usize) -> usize {
    for _ in 0..50 {
        if server.handshakes() == expected {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    server.handshakes()
}

#[tokio::test]
async fn a_client_cert_from_the_accepted_ca_passes() {
    let lab = Lab::new();
    let servers = [
        lab.pxgrid(Versions::Tls12Only).await,
        lab.pxgrid(Versions::Tls13Only).await,
    ];
    let targets = servers.each_ref().map(|s| pxgrid_target(s.port()));

    // probe_all builds the client key once for every target.
    let outcomes = probe_all(&targets, &opts(Some(lab.good()))).await;

    for ((outcome, server), version) in outcomes.iter().zip(&servers).zip(["1.2", "1.3"]) {
        assert_eq!(outcome.failure, None, "TLS {version}");
        assert_eq!(outcome.tls_version, Some(format!("TLSv{version}")));
        assert!(outcome.client_cert_sent, "TLS {version}");
        assert!(lab_root_requested(outcome), "TLS {version}");
        assert_eq!(outcome.presented.len(), 2, "TLS {version}");
        assert_eq!(handshakes_settle(server, 1).await, 1, "TLS {version}");
        assert_eq!(server.app_bytes_received(), 0, "TLS {version}");
    }
}

#[tokio::test]
async fn a_client_cert_from_another_pki_is_rejected() {
    let lab = Lab::new();
    for versions in VERSIONS {
        let server = lab.pxgrid(versions).await;

        let outcome = probe_pxgrid(&server, lab.foreign()).await;

        let rejected = ProbeFailure::ClientCertRejected {
            alert: Some("unknown_ca".into()),
        };
        assert_eq!(outcome.failure, Some(rejected), "{versions:?}");
        assert!(outcome.client_cert_sent, "{versions:?}");
        assert!(lab_root_requested(&outcome), "{versions:?}");
        assert_eq!(outcome.presented.len(), 2, "{versions:?}");
        assert_eq!(server.handshakes(), 0, "{versions:?}");
    }
}

#[tokio::test]
async fn a_client_cert_without_client_auth_eku_is_rejected() {
    let lab = Lab::new();
    for versions in VERSIONS {
        let server = lab.pxgrid(versions).await;

        let outcome = probe_pxgrid(&server, lab.server_only()).await;

        let rejected = ProbeFailure::ClientCertRejected {
            alert: Some("unsupported_certificate".into()),
        };
        assert_eq!(outcome.failure, Some(rejected), "{versions:?}");
        assert!(outcome.client_cert_sent, "{versions:?}");
        assert_eq!(outcome.presented.len(), 2, "{versions:?}");
    }
}

#[tokio::test]
async fn a_client_key_that_does_not_match_is_rejected() {
    let lab = Lab::new();
    let client = lab.pki.issue_client().expect("issues");
    let other_key = lab.pki.issue_client().expect("issues").key_der();
    let mismatched = Arc::new(ClientCredentials {
        chain: lab.pki.chain_of(&client),
        key: other_key,
    });
    for versions in VERSIONS {
        let server = lab.pxgrid(versions).await;

        let outcome = probe_pxgrid(&server, mismatched.clone()).await;

        let rejected = ProbeFailure::ClientCertRejected {
            alert: Some("decrypt_error".into()),
        };
        assert_eq!(outcome.failure, Some(rejected), "{versions:?}");
    }
}

#[tokio::test]
async fn without_credentials_the_cert_is_required() {
    let lab = Lab::new();
    for versions in VERSIONS {
        let server = lab.pxgrid(versions).await;

        let outcome = probe(&pxgrid_target(server.port()), &opts(None)).await;

        let required = ProbeFailure::ClientCertRequired {
            alert: Some("certificate_required".into()),
        };
        assert_eq!(outcome.failure, Some(required), "{versions:?}");
        assert!(!outcome.client_cert_sent && lab_root_requested(&outcome));
    }
}

#[tokio::test]
async fn targets_that_do_not_present_keep_the_cert_to_themselves() {
    let lab = Lab::new();
    for versions in VERSIONS {
        let server = lab.pxgrid(versions).await;
        let target = TargetSpec::new("127.0.0.1", server.port());
        assert!(!target.present_client_cert);

        let outcome = probe(&target, &opts(Some(lab.good()))).await;

        let required = ProbeFailure::ClientCertRequired {
            alert: Some("certificate_required".into()),
        };
        assert_eq!(outcome.failure, Some(required), "{versions:?}");
        assert!(!outcome.client_cert_sent, "{versions:?}");
    }
}

#[tokio::test]
async fn optional_client_auth_takes_the_cert() {
    let lab = Lab::new();
    for versions in VERSIONS {
        let auth = ClientAuth::Optional(vec![lab.pki.root.der().clone()]);
        let server = lab.serve(versions, auth).await;

        let outcome = probe_pxgrid(&server, lab.good()).await;

        assert_eq!(outcome.failure, None, "{versions:?}");
        assert!(outcome.client_cert_sent && lab_root_requested(&outcome));
    }
}

#[tokio::test]
async fn no_certificate_request_means_nothing_sent() {
    let lab = Lab::new();
    let server = lab.serve(Versions::Both, ClientAuth::Off).await;

    let outcome = probe_pxgrid(&server, lab.good()).await;

    assert_eq!(outcome.failure, None);
    assert!(!outcome.client_cert_sent && outcome.client_auth.is_none());
}

#[tokio::test]
async fn an_unusable_key_fails_before_connecting() {
    let lab = Lab::new();
    let server = lab.pxgrid(Versions::Both).await;
    let client = lab.pki.issue_client().expect("issues");
    let broken = Arc::new(ClientCredentials {
        chain: lab.pki.chain_of(&client),
        key: rustls_pki_types::PrivateKeyDer::Pkcs8(vec![0x30, 0x03, 0x02, 0x01, 0x00].into()),
    });

    let error = broken.certified_key().expect_err("the key is not a key");
    let outcome = probe_pxgrid(&server, broken).await;

    assert!(
        error.contains("client private key (PKCS#8) cannot be used"),
        "{error}"
    );
    let Some(ProbeFailure::HandshakeFailed {
        detail,
        alert: None,
    }) = &outcome.failure
    else {
        panic!("expected HandshakeFailed, got {:?}", outcome.failure);
    };
    assert!(detail.contains(&error), "{detail}");
    assert_eq!(server.accepted(), 0);
}

#[test]
fn credentials_debug_never_shows_the_key() {
    let lab = Lab::new();
    let shown = format!("{:?}", lab.good());

    assert_eq!(
        shown,
        "ClientCredentials { chain: [\"CN=pxgrid-client\", \"CN=LAB-ISSUING-CA\"], \
         key: <PKCS#8 key, redacted> }"
    );
    let empty = ClientCredentials {
        chain: Vec::new(),
        key: lab.pki.leaf.key_der(),
    };
    assert!(empty.certified_key().is_err());
}
