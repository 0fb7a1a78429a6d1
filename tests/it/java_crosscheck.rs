//! Issue 5: the `java` client profile, cross-checked against real JSSE.
//!
//! The PKI and the cases are [`client_crosscheck`](super::client_crosscheck)'s. For every
//! case the same chain (LEAF + CHAIN) is served on 127.0.0.1 by a rustls simulator, a
//! PKCS12 truststore is built from the case's CA certificates with
//! `keytool -importcert -noprompt` (one per distinct CA set), and one JVM runs a small
//! client ([`CLIENT`], compiled once with `javac`) that connects to every server with an
//! `SSLSocket` from a default `TrustManagerFactory` over that truststore, SNI and HTTPS
//! endpoint identification set to `ise-01.example.net`. It records pass or the exception.
//!
//! [`JAVA`] records what JSSE said on the machine this was written on (OpenJDK 17.0.15,
//! default `java.security`); the test asserts JSSE still says it and that
//! `check --format json` gives the same `targets[0].clients.java.ok`. Skipped, with a note,
//! without `java`, `javac`, `keytool` or `openssl` (CI installs no JDK).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

use ise_doctor::sim::TlsSpec;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use super::client_crosscheck::{CASES, issue_pki};
use crate::support::{self, HOST, Lab, Run, serve_spec};

/// What JSSE concludes for each case of [`CASES`], by name: pass, or a piece of the
/// exception's message (the root cause's).
const JAVA: &[(&str, Option<&str>)] = &[
    ("healthy (full bundle)", None),
    ("root-only bundle", None),
    (
        "root-only bundle, leaf sent alone",
        Some("unable to find valid certification path"),
    ),
    // Every truststore entry is an anchor (TrustAnchor), self-signed or not.
    ("intermediate-only bundle", None),
    ("intermediate-only bundle, leaf sent alone", None),
    // PKIX checks neither AKI presence nor the criticality of basicConstraints.
    ("missing AKI on the intermediate", None),
    ("non-critical basicConstraints on the intermediate", None),
    // jdk.certpath.disabledAlgorithms has `SHA1 jdkCA & usage TLSServer`: SHA-1 is refused
    // only on chains to the JDK's own cacerts roots.
    ("SHA-1 intermediate", None),
    // PKIXValidator finds a certificate with a trusted subject and key in the chain (the
    // cross-certificate carries the root's name and key) and validates up to it.
    ("expired cross-sign, valid path to the root", None),
    (
        "EKU clientAuth only",
        Some("Extended key usage does not permit use for TLS server authentication"),
    ),
    (
        "name mismatch",
        Some("No subject alternative DNS name matching ise-01.example.net found"),
    ),
    // HostnameChecker falls back to the most specific CN when there is no DNS SAN.
    ("CN-only leaf", None),
];

/// The client: `java JsseProbe HOST PORT,TRUSTSTORE…`; one line per pair:
/// `INDEX<TAB>pass` or `INDEX<TAB>fail<TAB>top message<TAB>root cause message`.
const CLIENT: &str = r#"
import java.io.FileInputStream;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.security.KeyStore;
import java.util.List;
import javax.net.ssl.*;

public class JsseProbe {
    public static void main(String[] args) {
        String host = args[0];
        for (int i = 1; i < args.length; i++) {
            String[] job = args[i].split(",", 2);
            String line;
            try {
                probe(host, Integer.parseInt(job[0]), job[1]);
                line = "pass";
            } catch (Exception e) {
                Throwable root = e;
                while (root.getCause() != null) root = root.getCause();
                line = "fail\t" + clean(e.toString()) + "\t" + clean(root.getMessage());
            }
            System.out.println((i - 1) + "\t" + line);
        }
    }

    static String clean(String s) {
        return s == null ? "" : s.replace('\t', ' ').replace('\n', ' ');
    }

    static void probe(String host, int port, String store) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = new FileInputStream(store)) {
            ks.load(in, "changeit".toCharArray());
        }
        TrustManagerFactory tmf =
            TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        try (Socket raw = new Socket()) {
            raw.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            raw.setSoTimeout(5000);
            SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(raw, host, port, true);
            SSLParameters p = s.getSSLParameters();
            p.setEndpointIdentificationAlgorithm("HTTPS");
            p.setServerNames(List.of(new SNIHostName(host)));
            s.setSSLParameters(p);
            s.startHandshake();
            s.close();
        }
    }
}
"#;

fn java_available() -> bool {
    support::tools_available(
        &[
            ("java", "-version"),
            ("javac", "-version"),
            ("keytool", "-help"),
            ("openssl", "version"),
        ],
        "Java cross-check",
    )
}

fn run(dir: &Path, program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{program} runs: {e}"));
    assert!(
        out.status.success(),
        "{program} {} failed:\n{}{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// One PKCS12 truststore per distinct CA set (keytool is a JVM start each): the file name
/// for every case. The sets are built in parallel.
fn truststores(dir: &Path) -> Vec<String> {
    let mut stores: BTreeMap<&[&str], String> = BTreeMap::new();
    for case in CASES {
        let n = stores.len();
        stores
            .entry(case.ca)
            .or_insert_with(|| format!("trust{n}.p12"));
    }
    std::thread::scope(|scope| {
        for (ca, store) in &stores {
            scope.spawn(move || {
                for stem in *ca {
                    let file = format!("{stem}.pem");
                    let args = [
                        "-importcert",
                        "-noprompt",
                        "-alias",
                        stem,
                        "-file",
                        &file,
                        "-keystore",
                        store,
                        "-storetype",
                        "PKCS12",
                        "-storepass",
                        "changeit",
                    ];
                    run(dir, "keytool", &args);
                }
            });
        }
    });
    CASES.iter().map(|case| stores[case.ca].clone()).collect()
}

/// What JSSE said about one case: `None` for a completed handshake, else the exception and
/// its root cause's message.
type Jsse = Option<(String, String)>;

#[test]
fn ise_doctor_java_verdicts_match_real_jsse() {
    if !java_available() {
        return;
    }
    let lab = Lab::new();
    issue_pki(&lab);
    let dir = lab.dir();
    lab.write("JsseProbe.java", CLIENT);
    run(dir, "javac", &["-d", ".", "JsseProbe.java"]);
    let stores = truststores(dir);

    let key = PrivateKeyDer::from_pem_file(lab.path("leaf.key")).expect("the leaf key is PEM");
    let servers: Vec<_> = (0..CASES.len())
        .map(|i| {
            let served = lab.path(&format!("case{i}-served.pem"));
            let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(served)
                .expect("the served chain is PEM")
                .collect::<Result<_, _>>()
                .expect("every block is a certificate");
            serve_spec(TlsSpec::new(chain, key.clone_key()))
        })
        .collect();

    let jobs: Vec<String> = servers
        .iter()
        .zip(&stores)
        .map(|(server, store)| format!("{},{store}", server.port()))
        .collect();
    let mut args = vec!["-cp", ".", "JsseProbe", HOST];
    args.extend(jobs.iter().map(String::as_str));
    let stdout = run(dir, "java", &args);
    let mut jsse: Vec<Option<Jsse>> = vec![None; CASES.len()];
    for line in stdout.lines() {
        let mut cells = line.split('\t');
        let i: usize = cells.next().and_then(|n| n.parse().ok()).expect("an index");
        jsse[i] = Some(match cells.next() {
            Some("pass") => None,
            _ => {
                let top = cells.next().unwrap_or_default().to_string();
                Some((top, cells.next().unwrap_or_default().to_string()))
            }
        });
    }

    let mut wrong = Vec::new();
    let mut seen = String::from("| case | JSSE | ise-doctor java |\n|---|---|---|\n");
    for (i, (case, server)) in CASES.iter().zip(&servers).enumerate() {
        let got = jsse[i]
            .clone()
            .unwrap_or_else(|| panic!("{}: the Java client printed no line\n{stdout}", case.name));
        let want = JAVA
            .iter()
            .find(|(name, _)| *name == case.name)
            .unwrap_or_else(|| panic!("{}: not in JAVA", case.name))
            .1;
        let shown = got
            .as_ref()
            .map_or("pass".to_string(), |(_, root)| format!("fail ({root})"));
        match (&got, want) {
            (None, None) => {}
            (Some((top, root)), Some(piece)) if top.contains(piece) || root.contains(piece) => {}
            _ => wrong.push(format!("{}: JSSE {shown}, table {want:?}", case.name)),
        }

        let ca = lab.path(&format!("case{i}-ca.pem"));
        let out = Run::check(server.port(), &ca.to_string_lossy())
            .json()
            .output();
        let verdict = &out.target(0).value["clients"]["java"];
        let _ = writeln!(seen, "| {} | {shown} | {verdict} |", case.name);
        if verdict["ok"].as_bool() != Some(got.is_none()) {
            wrong.push(format!(
                "{}: ise-doctor java {verdict}, JSSE {shown}",
                case.name
            ));
        } else if got.is_some() && verdict["reason"].as_str().unwrap_or_default().is_empty() {
            wrong.push(format!("{}: java: a failure without a reason", case.name));
        }
    }
    println!("{seen}");
    assert!(
        wrong.is_empty(),
        "ise-doctor, JSSE and the table disagree:\n{}\n\n{seen}",
        wrong.join("\n")
    );
}
