//! Trust and chain shape: what the server sends versus what the bundle holds.

use ise_doctor::sim::pki::Issued;
use ise_doctor::sim::{LeafSpec, PkiBuilder};

use crate::support::{HOST, Lab, Run, serve};

fn key_id(cert: &Issued) -> String {
    cert.certificate()
        .subject_key_id_hex()
        .expect("lab CAs carry a subjectKeyIdentifier")
}

#[test]
fn leaf_only_server_and_root_only_bundle_is_a_missing_intermediate() {
    let lab = Lab::new();
    let server = serve(&[&lab.pki.leaf], &lab.pki.leaf);

    let out = Run::check(server.port(), &lab.root_bundle()).json().code(2);
    out.status("error").only(&["chain.missing-intermediate"]);
    let finding = out
        .finding("chain.missing-intermediate")
        .severity("error")
        .says("CN=LAB-ISSUING-CA")
        .says(&key_id(&lab.pki.intermediate))
        .says("The server sends only its leaf");
    let missing = finding.cert("missing issuer");
    assert_eq!(missing["subject"], "CN=LAB-ISSUING-CA");
    assert_eq!(
        missing["key_id"].as_str(),
        Some(key_id(&lab.pki.intermediate).as_str())
    );

    let target = out.target(0);
    assert_eq!(target.chain_subjects(), ["CN=ise-01.example.net"]);
    assert_eq!(target.value["trusted"], false);
    assert_eq!(target.value["verdict"]["webpki"]["ok"], false);
    let summary = &out.json()["summary"];
    assert_eq!(
        (summary["targets"].as_u64(), summary["errors"].as_u64()),
        (Some(1), Some(1))
    );
}

#[test]
fn full_chain_and_root_only_bundle_is_healthy() {
    let lab = Lab::new();
    let server = serve(&[&lab.pki.leaf, &lab.pki.intermediate], &lab.pki.leaf);

    let out = Run::check(server.port(), &lab.root_bundle()).json().code(0);
    out.status("ok").no_findings();
    let target = out.target(0);
    assert_eq!(
        target.chain_subjects(),
        ["CN=ise-01.example.net", "CN=LAB-ISSUING-CA"]
    );
    assert_eq!(target.value["trusted"], true);
    assert_eq!(target.value["verdict"]["webpki"]["ok"], true);
    let path: Vec<&str> = target.value["path"]
        .as_array()
        .expect("a path")
        .iter()
        .map(|l| l["source"].as_str().expect("source"))
        .collect();
    assert_eq!(path, ["presented", "presented", "bundle"]);
    assert_eq!(out.json()["summary"]["ok"], 1);
}

#[test]
fn full_chain_human_report_exits_zero() {
    let lab = Lab::new();
    let server = serve(&[&lab.pki.leaf, &lab.pki.intermediate], &lab.pki.leaf);

    Run::check(server.port(), &lab.root_bundle())
        .code(0)
        .stdout_has("CN=LAB-ISSUING-CA")
        .stdout_has("rustls/webpki: accepted")
        .stdout_lacks("\u{1b}[");
}

#[test]
fn leaf_only_server_with_intermediate_in_bundle_warns_that_the_server_omits_it() {
    let lab = Lab::new();
    let server = serve(&[&lab.pki.leaf], &lab.pki.leaf);
    let bundle = lab.bundle(&[&lab.pki.root, &lab.pki.intermediate]);

    let out = Run::check(server.port(), &bundle).json().code(1);
    out.status("warning")
        .only(&["chain.server-omits-intermediate"]);
    out.finding("chain.server-omits-intermediate")
        .severity("warning")
        .says("CN=LAB-ISSUING-CA")
        .fix_says(&lab.pki.intermediate.sha256());
    assert_eq!(out.target(0).value["trusted"], true);
}

#[test]
fn chain_of_another_pki_ends_in_an_untrusted_root() {
    let lab = Lab::new();
    let other = PkiBuilder::new()
        .root_cn("OTHER-ROOT-CA")
        .issuing_cn("OTHER-ISSUING-CA")
        .build()
        .expect("builds");
    let server = serve(
        &[&other.leaf, &other.intermediate, &other.root],
        &other.leaf,
    );

    let out = Run::check(server.port(), &lab.root_bundle()).json().code(2);
    out.status("error").only(&["chain.untrusted-root"]);
    out.finding("chain.untrusted-root")
        .says("CN=OTHER-ROOT-CA")
        .says(&other.root.sha256())
        .says("CN=LAB-ROOT-CA");
}

#[test]
fn root_with_the_same_name_but_another_key_is_untrusted() {
    let lab = Lab::new();
    let impostor = PkiBuilder::new().build().expect("builds");
    let server = serve(
        &[&impostor.leaf, &impostor.intermediate, &impostor.root],
        &impostor.leaf,
    );

    let out = Run::check(server.port(), &lab.root_bundle()).json().code(2);
    out.only(&["chain.untrusted-root"])
        .finding("chain.untrusted-root")
        .says("different root with the same name")
        .says(&lab.pki.root.sha256());
}

#[test]
fn self_signed_leaf_is_reported_as_such() {
    let lab = Lab::new();
    let leaf = lab
        .pki
        .issue_leaf(&LeafSpec::default().self_signed())
        .expect("issues");
    let server = serve(&[&leaf], &leaf);

    let out = Run::check(server.port(), &lab.root_bundle()).json().code(2);
    out.status("error").only(&["chain.self-signed-leaf"]);
    out.finding("chain.self-signed-leaf").says(&leaf.sha256());
}

#[test]
fn root_before_intermediate_is_the_wrong_order() {
    let lab = Lab::new();
    let pki = &lab.pki;
    let server = serve(&[&pki.leaf, &pki.root, &pki.intermediate], &pki.leaf);

    let out = Run::check(server.port(), &lab.root_bundle()).json().code(1);
    out.status("warning")
        .only(&["chain.wrong-order", "chain.root-sent"]);
    out.finding("chain.wrong-order")
        .severity("warning")
        .says("LAB-ISSUING-CA");
    assert_eq!(out.target(0).value["trusted"], true);
}

#[test]
fn sending_the_root_is_information_only() {
    let lab = Lab::new();
    let pki = &lab.pki;
    let server = serve(&[&pki.leaf, &pki.intermediate, &pki.root], &pki.leaf);

    let out = Run::check(server.port(), &lab.root_bundle()).json().code(0);
    out.status("ok").only(&["chain.root-sent"]);
    out.finding("chain.root-sent")
        .severity("info")
        .says("CN=LAB-ROOT-CA")
        .says("position 2");
}

#[test]
fn a_certificate_sent_twice_is_information_only() {
    let lab = Lab::new();
    let pki = &lab.pki;
    let server = serve(
        &[&pki.leaf, &pki.intermediate, &pki.intermediate],
        &pki.leaf,
    );

    let out = Run::check(server.port(), &lab.root_bundle()).json().code(0);
    out.status("ok").only(&["chain.duplicate-cert"]);
    out.finding("chain.duplicate-cert")
        .severity("info")
        .says("positions 1 and 2");
    assert_eq!(out.target(0).chain().len(), 3);
}

#[test]
fn a_stale_intermediate_beside_the_real_one_is_unrelated() {
    let lab = Lab::new();
    let pki = &lab.pki;
    let stale = pki.stale_intermediate().expect("issues");
    let server = serve(&[&pki.leaf, &stale, &pki.intermediate], &pki.leaf);

    let out = Run::check(server.port(), &lab.root_bundle()).json().code(1);
    out.status("warning").only(&["chain.unrelated-cert"]);
    out.finding("chain.unrelated-cert")
        .says(&stale.sha256())
        .says("position 1")
        .says("different key");
    assert_eq!(out.target(0).value["trusted"], true);
}

#[test]
fn only_a_stale_intermediate_names_the_near_miss() {
    let lab = Lab::new();
    let pki = &lab.pki;
    let stale = pki.stale_intermediate().expect("issues");
    let server = serve(&[&pki.leaf, &stale], &pki.leaf);

    let out = Run::check(server.port(), &lab.root_bundle()).json().code(2);
    out.lacks("chain.untrusted-root")
        .finding("chain.missing-intermediate")
        .says(&stale.sha256())
        .says("stale or foreign CA");
}

#[test]
fn host_under_test_is_the_resolved_name() {
    let lab = Lab::new();
    let server = serve(&[&lab.pki.leaf, &lab.pki.intermediate], &lab.pki.leaf);

    let out = Run::check(server.port(), &lab.root_bundle()).json().code(0);
    let target = out.target(0);
    assert_eq!(target.value["host"], HOST);
    assert_eq!(target.value["port"], server.port());
    assert_eq!(
        target.value["address"],
        format!("127.0.0.1:{}", server.port())
    );
    assert_eq!(target.value["target"], format!("{HOST}:{}", server.port()));
}

#[test]
fn deeper_pki_served_out_of_order_is_the_wrong_order_only() {
    let lab = Lab::new();
    let pki = &lab.pki;
    let sub = pki.sub_ca("LAB-SUB-CA", &pki.intermediate).expect("issues");
    let leaf = pki
        .issue_leaf_from(&LeafSpec::default(), &sub)
        .expect("issues");

    let in_order = serve(&[&leaf, &sub, &pki.intermediate], &leaf);
    Run::check(in_order.port(), &lab.root_bundle())
        .json()
        .code(0)
        .no_findings();

    let swapped = serve(&[&leaf, &pki.intermediate, &sub], &leaf);
    let out = Run::check(swapped.port(), &lab.root_bundle())
        .json()
        .code(1);
    out.status("warning").only(&["chain.wrong-order"]);
    out.finding("chain.wrong-order")
        .says("[0] `ise-01.example.net` → [2] `LAB-SUB-CA` → [1] `LAB-ISSUING-CA`");
}

#[test]
fn deeper_pki_missing_its_upper_intermediate_names_it() {
    let lab = Lab::new();
    let pki = &lab.pki;
    let sub = pki.sub_ca("LAB-SUB-CA", &pki.intermediate).expect("issues");
    let leaf = pki
        .issue_leaf_from(&LeafSpec::default(), &sub)
        .expect("issues");
    let server = serve(&[&leaf, &sub], &leaf);

    let out = Run::check(server.port(), &lab.root_bundle()).json().code(2);
    out.only(&["chain.missing-intermediate"])
        .finding("chain.missing-intermediate")
        .says("The issuer of the intermediate `CN=LAB-SUB-CA`, `CN=LAB-ISSUING-CA`")
        .says(&key_id(&pki.intermediate))
        .says("the 2 certificates the server sent");
}

#[test]
fn intermediate_only_bundle_anchors_the_chain_and_warns_about_the_bundle() {
    let lab = Lab::new();
    let server = serve(&[&lab.pki.leaf, &lab.pki.intermediate], &lab.pki.leaf);
    let bundle = lab.bundle(&[&lab.pki.intermediate]);

    let out = Run::check(server.port(), &bundle).json().code(1);
    out.status("ok").no_findings();
    assert_eq!(out.target(0).value["trusted"], true);
    let doc = out.json();
    assert_eq!(doc["bundle"]["findings"][0]["code"], "bundle.no-root");
    assert_eq!(doc["summary"]["bundle_status"], "warning");
}

#[test]
fn expired_root_in_the_bundle_is_reported_on_the_chain_and_the_bundle() {
    let pki = PkiBuilder::new()
        .root_validity(ise_doctor::sim::Validity::Expired { days_ago: 1 })
        .build()
        .expect("builds");
    let lab = Lab::with(pki);
    let server = serve(&[&lab.pki.leaf, &lab.pki.intermediate], &lab.pki.leaf);

    let out = Run::check(server.port(), &lab.root_bundle()).json().code(2);
    out.only(&["cert.expired"])
        .finding("cert.expired")
        .says("The root `CN=LAB-ROOT-CA` expired");
    assert_eq!(
        out.json()["bundle"]["findings"][0]["code"],
        "bundle.expired-cert"
    );
}

#[test]
fn host_names_are_case_and_trailing_dot_insensitive() {
    let lab = Lab::new();
    let server = serve(&[&lab.pki.leaf, &lab.pki.intermediate], &lab.pki.leaf);
    let port = server.port();
    let bundle = lab.root_bundle();

    for host in ["ISE-01.Example.NET", "ise-01.example.net."] {
        let out = Run::check_as(host, port, &bundle).json().output();
        assert_eq!(out.code, 0, "{}", out.transcript());
        out.no_findings();
    }
    // A rule for the lower-case name applies to the upper-case target too.
    let target = format!("ISE-01.EXAMPLE.NET:{port}");
    Run::new(["check", &target, "--ca", &bundle])
        .resolve(HOST, port)
        .json()
        .code(0)
        .no_findings();
}

/// The command inside a fix step such as "Re-check: `ise-doctor check …`.".
fn suggested_command(step: &str) -> Vec<String> {
    let start = step
        .find("`ise-doctor ")
        .expect("the step quotes an ise-doctor command");
    let rest = &step[start + 1..];
    let command = &rest[..rest.find('`').expect("closing backtick")];
    command
        .split_whitespace()
        .skip(1)
        .map(str::to_string)
        .collect()
}

#[test]
fn suggested_commands_run_and_reproduce_the_diagnosis() {
    let lab = Lab::new();
    let server = serve(&[&lab.pki.leaf], &lab.pki.leaf);

    let out = Run::check(server.port(), &lab.root_bundle()).json().code(2);
    let fix = out.finding("chain.missing-intermediate").value["fix"].clone();
    let step = fix
        .as_array()
        .expect("fix steps")
        .iter()
        .filter_map(|s| s.as_str())
        .find(|s| s.starts_with("Re-check:"))
        .expect("a re-check step")
        .to_string();
    Run::new(suggested_command(&step))
        .json()
        .code(2)
        .only(&["chain.missing-intermediate"]);

    let bundle = lab.bundle(&[&lab.pki.root, &lab.pki.intermediate]);
    let out = Run::check(server.port(), &bundle).json().code(1);
    let finding = out.finding("chain.server-omits-intermediate");
    let fix = finding.value["fix"].as_array().expect("fix steps");
    let step = fix
        .iter()
        .filter_map(|s| s.as_str())
        .find(|s| s.contains("`ise-doctor chain "))
        .expect("a chain step");
    // `chain` without a bundle also says the leaf comes alone.
    let shown = Run::new(suggested_command(step)).json().code(1);
    assert_eq!(shown.codes(), vec!["chain.server-omits-intermediate"]);
    assert_eq!(
        shown.target(0).chain().len(),
        1,
        "the server sends only its leaf"
    );
}

#[test]
fn human_report_of_the_classic_case_reads_like_a_diagnosis() {
    let lab = Lab::new();
    let server = serve(&[&lab.pki.leaf], &lab.pki.leaf);
    let bundle = lab.root_bundle();

    let out = Run::check(server.port(), &bundle).code(2);
    out.stdout_has(&format!("ERROR   {HOST}:{}", server.port()))
        .stdout_has(&format!(
            "missing: CN=LAB-ISSUING-CA (key id {})",
            key_id(&lab.pki.intermediate)
        ))
        .stdout_has("error: chain.missing-intermediate")
        .stdout_has(" 1. Get `CN=LAB-ISSUING-CA`")
        .stdout_has("(exit 2)");
    assert!(
        out.stderr.is_empty(),
        "nothing on stderr without -v\n{}",
        out.transcript()
    );
}

/// Runs a fix step's quoted shell command in `dir`, with `ise-doctor` as the binary.
fn run_step(step: &str, dir: &std::path::Path) -> std::process::Output {
    let start = step.find('`').expect("the step quotes a command") + 1;
    let command = &step[start..start + step[start..].find('`').expect("closing backtick")];
    let command = command.replace("ise-doctor ", &format!("'{}' ", crate::support::BIN));
    std::process::Command::new("sh")
        .args(["-c", &command])
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("sh runs")
}

#[test]
fn following_the_client_side_fix_repairs_the_bundle() {
    let lab = Lab::new();
    let server = serve(&[&lab.pki.leaf], &lab.pki.leaf);
    // A folder and file name that need shell quoting.
    let folder = lab.path("my bundles");
    std::fs::create_dir(&folder).expect("mkdir");
    let bundle = folder.join("ca's.pem");
    std::fs::write(&bundle, lab.pki.root.pem()).expect("write");
    let bundle = bundle.to_string_lossy().into_owned();
    // What "get it from your PKI" produces, under the name the fix steps use.
    lab.write("LAB-ISSUING-CA.pem", lab.pki.intermediate.pem());

    let out = Run::check(server.port(), &bundle).json().code(2);
    let finding = out.finding("chain.missing-intermediate");
    let steps: Vec<&str> = finding.value["fix"]
        .as_array()
        .expect("fix steps")
        .iter()
        .filter_map(|s| s.as_str())
        .collect();

    let client_side = steps
        .iter()
        .find(|s| s.starts_with("Client side:"))
        .expect("a step");
    let done = run_step(client_side, lab.dir());
    assert!(
        done.status.success(),
        "{client_side}: {}",
        String::from_utf8_lossy(&done.stderr)
    );
    assert!(
        std::path::Path::new(&format!("{bundle}.bak")).exists(),
        "a backup was made"
    );

    let recheck = steps
        .iter()
        .find(|s| s.starts_with("Re-check:"))
        .expect("a step");
    let again = run_step(recheck, lab.dir());
    let stdout = String::from_utf8_lossy(&again.stdout);
    assert_eq!(again.status.code(), Some(1), "{recheck}\n{stdout}");
    assert!(
        stdout.contains("chain.server-omits-intermediate"),
        "{stdout}"
    );
}
