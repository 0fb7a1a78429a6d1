//! Hostile peers: huge chains, noise, trickles and stalls. Each run must end within its
//! timeout with a report, never hang or crash.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

use ise_doctor::sim::Behavior;
use ise_doctor::sim::pki::Issued;

use crate::support::{HOST, Lab, Run, serve, serve_behavior};

/// A raw TCP server on 127.0.0.1 running `handler` on each connection, in a thread.
struct RawServer {
    port: u16,
    stop: Arc<AtomicBool>,
    thread: Option<thread::JoinHandle<()>>,
}

impl RawServer {
    fn spawn(handler: fn(TcpStream)) -> RawServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("can bind 127.0.0.1:0");
        let port = listener.local_addr().expect("bound").port();
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let thread = thread::spawn(move || {
            for stream in listener.incoming() {
                if stopped.load(Ordering::SeqCst) {
                    return;
                }
                if let Ok(stream) = stream {
                    let _ = stream.set_write_timeout(Some(Duration::from_secs(5)));
                    thread::spawn(move || handler(stream));
                }
            }
        });
        RawServer {
            port,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for RawServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so that it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Reads the ClientHello (some of it) so that the close is not a reset.
fn read_some(stream: &mut TcpStream) {
    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
    let _ = stream.read(&mut [0u8; 4096]);
}

fn issue_many(lab: &Lab, count: usize) -> Vec<Issued> {
    (0..count)
        .map(|_| lab.pki.stale_intermediate().expect("issues"))
        .collect()
}

#[test]
fn three_hundred_certificates_end_with_a_report() {
    let lab = Lab::new();
    let stale = issue_many(&lab, 298);
    let mut chain: Vec<&Issued> = vec![&lab.pki.leaf];
    chain.extend(stale.iter());
    chain.push(&lab.pki.intermediate);
    assert_eq!(chain.len(), 300);
    let server = serve(&chain, &lab.pki.leaf);

    let out = Run::check(server.port(), &lab.root_bundle())
        .args(["--timeout", "5"])
        .json();
    let out = out.output();
    assert_eq!(out.code, 2, "{}", out.transcript());
    out.within(Duration::from_secs(15));
    // More than rustls accepts in one handshake message (64 KiB): the handshake fails,
    // and the report says so.
    out.status("error").finding("tls.handshake-failed");
}

#[test]
fn twenty_stale_intermediates_are_unrelated_and_the_chain_holds() {
    let lab = Lab::new();
    let stale = issue_many(&lab, 20);
    let mut chain: Vec<&Issued> = vec![&lab.pki.leaf];
    chain.extend(stale.iter());
    chain.push(&lab.pki.intermediate);
    let server = serve(&chain, &lab.pki.leaf);

    let out = Run::check(server.port(), &lab.root_bundle()).json().code(1);
    out.status("warning");
    let target = out.target(0);
    assert_eq!(target.chain().len(), 22);
    assert_eq!(target.value["verdict"]["webpki"]["ok"], true);
    // Twenty strangers are one finding that names every one of them.
    assert_eq!(target.codes(), vec!["chain.unrelated-cert"]);
    let finding = target
        .finding("chain.unrelated-cert")
        .says("20 certificates");
    let named = finding.value["certificates"]
        .as_array()
        .expect("certificates");
    assert_eq!(named.len(), 20);
}

#[test]
fn a_hundred_stale_intermediates_exhaust_the_webpki_budget() {
    let lab = Lab::new();
    let stale = issue_many(&lab, 100);
    let mut chain: Vec<&Issued> = vec![&lab.pki.leaf];
    chain.extend(stale.iter());
    chain.push(&lab.pki.intermediate);
    let server = serve(&chain, &lab.pki.leaf);

    // Our path search prunes by key identifier and finds the real issuer; webpki tries
    // every same-name candidate by signature and gives up: rustls clients fail.
    let out = Run::check(server.port(), &lab.root_bundle()).json().code(2);
    out.within(Duration::from_secs(15)).status("error");
    out.finding("chain.not-verified")
        .says("MaximumSignatureChecksExceeded")
        .says("sends 102 certificates")
        .fix_says("chain.unrelated-cert");
    let target = out.target(0);
    assert_eq!(target.chain().len(), 102);
    assert_eq!(target.value["trusted"], true, "the path reaches the bundle");
    let unrelated = target
        .finding("chain.unrelated-cert")
        .says("100 certificates");
    let named = unrelated.value["certificates"]
        .as_array()
        .expect("certificates");
    assert_eq!(named.len(), 100);
}

#[test]
fn the_same_certificate_many_times_is_duplicates() {
    let lab = Lab::new();
    let mut chain: Vec<&Issued> = vec![&lab.pki.leaf];
    chain.extend(std::iter::repeat_n(&lab.pki.intermediate, 120));
    let server = serve(&chain, &lab.pki.leaf);

    let out = Run::check(server.port(), &lab.root_bundle()).json().code(0);
    // One finding for the certificate, however often it is repeated.
    assert_eq!(out.codes(), vec!["chain.duplicate-cert"]);
    out.finding("chain.duplicate-cert").says("120 times");
    assert_eq!(out.target(0).value["trusted"], true);
}

#[test]
fn a_megabyte_of_noise_is_not_tls() {
    let lab = Lab::new();
    let server = serve_behavior(Behavior::Garbage {
        len: 1 << 20,
        seed: 42,
    });

    let out = Run::check(server.port(), &lab.root_bundle()).json().code(2);
    out.within(Duration::from_secs(10)).only(&["tls.not-tls"]);
}

#[test]
fn noise_after_a_tls_record_header_fails_the_handshake() {
    let lab = Lab::new();
    let server = RawServer::spawn(|mut stream| {
        read_some(&mut stream);
        // A handshake record of maximum length whose body is not a ServerHello.
        let mut bytes = vec![0x16, 0x03, 0x03, 0x40, 0x00];
        bytes.extend((0..0x4000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8));
        let _ = stream.write_all(&bytes);
        read_some(&mut stream);
    });

    let out = Run::check(server.port, &lab.root_bundle()).json().code(2);
    out.within(Duration::from_secs(10))
        .only(&["tls.handshake-failed"]);
}

#[test]
fn an_alert_instead_of_a_server_hello_fails_the_handshake() {
    let lab = Lab::new();
    let server = RawServer::spawn(|mut stream| {
        read_some(&mut stream);
        // Fatal alert: handshake_failure (40).
        let _ = stream.write_all(&[0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 40]);
        read_some(&mut stream);
    });

    let out = Run::check(server.port, &lab.root_bundle()).json().code(2);
    out.only(&["tls.handshake-failed"])
        .finding("tls.handshake-failed")
        .says("handshake_failure");
}

#[test]
fn a_trickling_server_is_cut_off_by_the_overall_deadline() {
    let lab = Lab::new();
    // One byte of a plausible record every 200 ms: each read makes progress, so only a
    // deadline for the whole probe (not per read) ends it.
    let server = RawServer::spawn(|mut stream| {
        read_some(&mut stream);
        let header = [0x16u8, 0x03, 0x03, 0x40, 0x00];
        for byte in header
            .iter()
            .copied()
            .chain(std::iter::repeat(0x02))
            .take(100)
        {
            if stream.write_all(&[byte]).is_err() {
                return;
            }
            thread::sleep(Duration::from_millis(200));
        }
    });

    let out = Run::check(server.port, &lab.root_bundle())
        .args(["--timeout", "1"])
        .json();
    let out = out.code(2);
    out.within(Duration::from_secs(5)).only(&["net.timeout"]);
}

#[test]
fn stalling_targets_each_get_their_own_budget() {
    let lab = Lab::new();
    let stalls: Vec<_> = (0..3).map(|_| serve_behavior(Behavior::Stall)).collect();
    let mut run = Run::new(["check", "--ca", &lab.root_bundle(), "--timeout", "1"]);
    for server in &stalls {
        let port = server.port();
        run = run.arg(format!("{HOST}:{port}")).resolve(HOST, port);
    }

    let out = run.args(["--concurrency", "1"]).json().code(2);
    out.within(Duration::from_secs(10));
    for i in 0..3 {
        out.target(i).status("error").only(&["net.timeout"]);
    }
    assert_eq!(out.json()["summary"]["errors"], 3);
}

/// Serves `chain` where the entries given as `None` are replaced by non-certificate bytes.
fn serve_with_junk(lab: &Lab, chain: &[Option<&Issued>]) -> ise_doctor::sim::BackgroundServer {
    use rustls_pki_types::CertificateDer;

    let junk = CertificateDer::from(vec![0x30, 0x03, 0x02, 0x01, 0x07]);
    let ders = chain
        .iter()
        .map(|c| c.map_or_else(|| junk.clone(), |c| c.der().clone()))
        .collect();
    crate::support::serve_spec(ise_doctor::sim::TlsSpec::new(ders, lab.pki.leaf.key_der()))
}

#[test]
fn a_corrupt_certificate_in_the_chain_is_reported() {
    let lab = Lab::new();
    let pki = &lab.pki;
    let server = serve_with_junk(&lab, &[Some(&pki.leaf), None, Some(&pki.intermediate)]);

    let out = Run::check(server.port(), &lab.root_bundle()).json().code(2);
    out.status("error").only(&["tls.handshake-failed"]);
    out.finding("tls.handshake-failed")
        .says("position 1 that cannot be parsed")
        .says("left out of the chain analysis");
    let target = out.target(0);
    assert_eq!(
        target.chain_subjects(),
        ["CN=ise-01.example.net", "CN=LAB-ISSUING-CA"]
    );
    assert_eq!(target.value["trusted"], true);
}

#[test]
fn a_corrupt_leaf_is_not_replaced_by_the_next_certificate() {
    let lab = Lab::new();
    let server = serve_with_junk(&lab, &[None, Some(&lab.pki.intermediate)]);

    let out = Run::check(server.port(), &lab.root_bundle()).json().code(2);
    out.status("error").lacks("name.mismatch");
    assert!(
        out.codes().iter().all(|c| *c == "tls.handshake-failed"),
        "{:?}",
        out.codes()
    );
    let position_0 = out.target(0).findings().iter().any(|f| {
        f["message"]
            .as_str()
            .is_some_and(|m| m.contains("position 0 that cannot be parsed"))
    });
    assert!(position_0, "{}", out.transcript());
    assert!(
        out.target(0).value["path"].is_null(),
        "no path without a leaf"
    );
}
