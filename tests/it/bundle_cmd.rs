//! `ise-doctor bundle FILE` on every fixture bundle: certificates read, codes, exit code.

use serde_json::Value;

use crate::support::{Lab, Output, Run, fixture};

/// `bundle FILE --format json`, asserting the exit code and `summary.exit_code`.
fn bundle(path: &str, code: i32) -> Output {
    Run::new(["bundle", path]).json().code(code)
}

fn report(out: &Output) -> &Value {
    let bundle = &out.json()["bundle"];
    assert!(bundle.is_object(), "no bundle report\n{}", out.transcript());
    bundle
}

fn codes(out: &Output) -> Vec<&str> {
    let findings = report(out)["findings"]
        .as_array()
        .expect("findings is an array");
    let mut codes: Vec<&str> = findings
        .iter()
        .map(|f| f["code"].as_str().expect("code"))
        .collect();
    codes.sort_unstable();
    codes
}

fn finding<'a>(out: &'a Output, code: &str) -> &'a Value {
    let findings = report(out)["findings"]
        .as_array()
        .expect("findings is an array");
    findings
        .iter()
        .find(|f| f["code"] == code)
        .unwrap_or_else(|| panic!("no {code}\n{}", out.transcript()))
}

/// What `bundle` must say about one fixture.
struct Case {
    file: &'static str,
    /// Certificates read.
    count: u64,
    format: &'static str,
    status: &'static str,
    exit: i32,
    /// The bundle's finding codes, sorted.
    codes: &'static [&'static str],
}

const fn case(
    file: &'static str,
    count: u64,
    format: &'static str,
    status: &'static str,
    exit: i32,
    codes: &'static [&'static str],
) -> Case {
    Case {
        file,
        count,
        format,
        status,
        exit,
        codes,
    }
}

const CASES: &[Case] = &[
    case("bundle-root-only.pem", 1, "pem", "ok", 0, &[]),
    case("bundle-full.pem", 2, "pem", "ok", 0, &[]),
    case("bundle-crlf.pem", 2, "pem", "ok", 0, &[]),
    case("bundle-bom.pem", 2, "pem", "ok", 0, &[]),
    case("bundle-text-between.pem", 2, "pem", "ok", 0, &[]),
    case("bundle-trusted.pem", 1, "pem", "ok", 0, &[]),
    case("bundle-x509-label.pem", 1, "pem", "ok", 0, &[]),
    case(
        "bundle-empty.pem",
        0,
        "empty",
        "error",
        2,
        &["bundle.empty"],
    ),
    case(
        "bundle-whitespace.pem",
        0,
        "empty",
        "error",
        2,
        &["bundle.empty"],
    ),
    case(
        "bundle-cr.pem",
        2,
        "pem",
        "error",
        2,
        &["bundle.malformed-block"],
    ),
    case(
        "bundle-glued.pem",
        2,
        "pem",
        "error",
        2,
        &["bundle.malformed-block"],
    ),
    case(
        "bundle-truncated.pem",
        1,
        "pem",
        "error",
        2,
        &["bundle.malformed-block"],
    ),
    case(
        "bundle-bad-base64.pem",
        1,
        "pem",
        "error",
        2,
        &["bundle.malformed-block"],
    ),
    case(
        "bundle-not-a-cert.pem",
        1,
        "pem",
        "error",
        2,
        &["bundle.malformed-block"],
    ),
    case(
        "bundle-csr.pem",
        1,
        "pem",
        "error",
        2,
        &["bundle.malformed-block"],
    ),
    case(
        "bundle-crl.pem",
        1,
        "pem",
        "error",
        2,
        &["bundle.malformed-block"],
    ),
    case(
        "bundle-p7b.pem",
        2,
        "pem",
        "warning",
        1,
        &["bundle.not-pem"],
    ),
    case(
        "bundle-garbage.bin",
        0,
        "unknown",
        "error",
        2,
        &["bundle.empty", "bundle.malformed-block"],
    ),
    case(
        "bundle-der.der",
        1,
        "der",
        "warning",
        1,
        &["bundle.not-pem"],
    ),
    case(
        "bundle-der-concat.der",
        2,
        "der",
        "warning",
        1,
        &["bundle.not-pem"],
    ),
    case(
        "bundle-p7b.p7b",
        2,
        "der",
        "warning",
        1,
        &["bundle.not-pem"],
    ),
    case(
        "bundle-with-key.pem",
        2,
        "pem",
        "error",
        2,
        &["bundle.private-key"],
    ),
    case(
        "bundle-duplicate.pem",
        3,
        "pem",
        "ok",
        0,
        &["bundle.duplicate-cert"],
    ),
    case(
        "bundle-expired-ca.pem",
        2,
        "pem",
        "warning",
        1,
        &["bundle.expired-cert"],
    ),
    case(
        "bundle-intermediate-only.pem",
        1,
        "pem",
        "warning",
        1,
        &["bundle.no-root"],
    ),
];

#[test]
fn every_fixture_bundle_reads_as_documented() {
    for case in CASES {
        let (name, count) = (case.file, case.count);
        let out = bundle(&fixture(name), case.exit);
        let report = report(&out);
        assert_eq!(report["count"], count, "{name}\n{}", out.transcript());
        assert_eq!(report["format"], case.format, "{name}");
        assert_eq!(report["status"], case.status, "{name}");
        assert_eq!(
            report["certificates"].as_array().map(Vec::len),
            Some(count as usize)
        );
        assert_eq!(codes(&out), case.codes, "{name}\n{}", out.transcript());
        assert_eq!(out.json()["command"], "bundle");
        assert_eq!(out.json()["targets"], serde_json::json!([]));
    }
}

#[test]
fn human_bundle_listing_exits_like_json() {
    for case in CASES {
        let out = Run::new(["bundle", &fixture(case.file)]).code(case.exit);
        for code in case.codes {
            out.stdout_has(code);
        }
    }
}

#[test]
fn full_bundle_lists_root_and_intermediate_with_issuers() {
    let out = bundle(&fixture("bundle-full.pem"), 0);
    let certs = report(&out)["certificates"]
        .as_array()
        .expect("certificates");
    assert_eq!(certs[0]["subject"], "CN=LAB-ROOT-CA");
    assert_eq!(certs[0]["self_signed"], true);
    assert_eq!(certs[0]["issued_by"], 0);
    assert_eq!(certs[1]["subject"], "CN=LAB-ISSUING-CA");
    assert_eq!(certs[1]["issued_by"], 0);
    assert_eq!(
        certs[1]["key"],
        serde_json::json!({ "kind": "rsa", "bits": 2048 })
    );
}

#[test]
fn malformed_block_names_block_and_line() {
    let out = bundle(&fixture("bundle-bad-base64.pem"), 2);
    let message = finding(&out, "bundle.malformed-block")["message"]
        .as_str()
        .expect("message");
    assert!(message.contains("Block 2 (line 21)"), "{message}");
}

#[test]
fn private_key_is_reported_and_never_printed() {
    let path = fixture("bundle-with-key.pem");
    let text = std::fs::read_to_string(&path).expect("the fixture is readable");
    let key_lines: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.contains("BEGIN PRIVATE KEY"))
        .skip(1)
        .take_while(|l| !l.contains("END PRIVATE KEY"))
        .collect();
    assert!(!key_lines.is_empty(), "the fixture holds a key");

    let json = bundle(&path, 2);
    let message = finding(&json, "bundle.private-key")["message"]
        .as_str()
        .expect("message");
    assert!(message.contains("line 19"), "{message}");
    let human = Run::new(["bundle", &path]).code(2);
    let verbose = Run::new(["bundle", &path, "-vv"]).code(2);
    for out in [&json, &human, &verbose] {
        for line in &key_lines {
            assert!(
                !out.stdout.contains(line),
                "key material on stdout\n{}",
                out.transcript()
            );
            assert!(
                !out.stderr.contains(line),
                "key material on stderr\n{}",
                out.transcript()
            );
        }
    }
}

#[test]
fn server_certificate_in_the_bundle_is_not_a_ca() {
    let lab = Lab::new();
    let root = std::fs::read_to_string(fixture("root.pem")).expect("readable");
    let leaf = std::fs::read_to_string(fixture("leaf.pem")).expect("readable");
    let path = lab.write("pinned.pem", root + &leaf);

    let out = bundle(&path, 1);
    assert_eq!(codes(&out), ["bundle.not-ca"]);
    let message = finding(&out, "bundle.not-ca")["message"]
        .as_str()
        .expect("message");
    assert!(message.contains("CN=ise-01.example.net"), "{message}");
}

#[test]
fn ca_without_its_issuer_makes_the_bundle_incomplete() {
    let lab = Lab::new();
    let root = std::fs::read_to_string(fixture("root.pem")).expect("readable");
    // Named after LAB-ROOT-CA's subject, but signed by another root's key.
    let foreign = std::fs::read_to_string(fixture("other-issuing.pem")).expect("readable");
    let path = lab.write("incomplete.pem", root + &foreign);

    let out = bundle(&path, 1);
    assert_eq!(codes(&out), ["bundle.incomplete"]);
    assert_eq!(report(&out)["status"], "warning");
}

#[test]
fn sim_bundles_too() {
    let lab = Lab::new();
    let path = lab.bundle(&[&lab.pki.root, &lab.pki.intermediate, &lab.pki.root]);
    let out = bundle(&path, 0);
    assert_eq!(codes(&out), ["bundle.duplicate-cert"]);
    assert_eq!(report(&out)["count"], 3);
}

#[test]
fn at_judges_the_bundle_at_another_time() {
    let path = fixture("bundle-full.pem");
    let out = Run::new(["bundle", &path, "--at", "2121-01-01T00:00:00Z"])
        .json()
        .code(1);
    assert_eq!(codes(&out), ["bundle.expired-cert", "bundle.expired-cert"]);
    Run::new(["bundle", &path, "--at", "2030-01-01T00:00:00Z"])
        .json()
        .code(0);
}

#[test]
fn a_chain_file_is_judged_offline_per_client() {
    // An intermediate-only bundle: partial-chain clients accept, OpenSSL's default fails.
    let out = Run::new([
        "bundle",
        &fixture("bundle-intermediate-only.pem"),
        "--leaf",
        &fixture("leaf.pem"),
        "--at",
        "2030-06-01",
    ])
    .json()
    .output();
    let target = &out.json()["targets"][0];
    let clients = &target["clients"];
    assert_eq!(clients["openssl"]["ok"], false, "{}", out.transcript());
    assert_eq!(clients["python3.13"]["ok"], true, "{}", out.transcript());
    assert_eq!(clients["webpki"]["ok"], true, "{}", out.transcript());
    assert_eq!(
        target["host"], "ise-01.example.net",
        "the leaf's first DNS name"
    );
    assert_eq!(target["presented_chain"].as_array().map(Vec::len), Some(1));
}

#[test]
fn a_host_without_a_leaf_is_a_usage_error() {
    let out = Run::new([
        "bundle",
        &fixture("bundle-full.pem"),
        "--host",
        "x.example.net",
    ])
    .output();
    assert_eq!(out.code, 3, "{}", out.transcript());
}

#[test]
fn a_selected_client_that_rejects_the_chain_makes_the_target_an_error() {
    // What a well-configured server sends: leaf + issuing CA.
    let lab = Lab::new();
    let sent = [fixture("leaf.pem"), fixture("issuing.pem")]
        .iter()
        .map(|p| std::fs::read_to_string(p).expect("fixture"))
        .collect::<String>();
    let chain = lab.write("chain.pem", sent);
    let run = |client: &str| {
        Run::new([
            "bundle",
            &fixture("bundle-intermediate-only.pem"),
            "--leaf",
            &chain,
            "--at",
            "2030-06-01",
            "--client",
            client,
        ])
        .json()
        .output()
    };
    // OpenSSL needs a self-signed root in the CA file: as the gate, it fails the run.
    let openssl = run("openssl");
    assert_eq!(openssl.code, 2, "{}", openssl.transcript());
    assert_eq!(openssl.json()["targets"][0]["status"], "error");
    // Go accepts a bundle intermediate as an anchor: nothing it cares about fails.
    let go = run("go");
    assert_eq!(go.code, 0, "{}", go.transcript());
}
