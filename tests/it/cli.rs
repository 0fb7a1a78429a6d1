//! The command line: usage errors exit 3 (JSON too), colour, the clock, the JSON shape.

use serde_json::Value;

use crate::support::{HOST, Lab, Output, Run, fixture, serve};

/// Asserts a run could not be performed: exit 3 and, for JSON, one error document.
fn assert_unable(out: &Output) -> Option<&Value> {
    assert_eq!(out.code, 3, "{}", out.transcript());
    let error = out.args.iter().any(|a| a == "json").then(|| {
        let doc = out.json();
        assert_eq!(doc["schema_version"], 1);
        assert_eq!(doc["summary"]["exit_code"], 3);
        assert!(doc["error"]["message"].is_string(), "{}", out.transcript());
        &doc["error"]
    });
    assert!(out.stderr.contains("error"), "{}", out.transcript());
    error
}

#[test]
fn unknown_flag_exits_3_not_clap_2() {
    let out = Run::new(["check", "ise-01.example.net", "--bogus"]).output();
    assert_unable(&out);
    out.stderr_has("--bogus");
}

#[test]
fn unknown_flag_with_json_prints_one_error_document() {
    let out = Run::new(["check", "ise-01.example.net", "--bogus"])
        .json()
        .output();
    let error = assert_unable(&out).expect("an error document");
    let message = error["message"].as_str().expect("message");
    assert!(message.contains("--bogus"), "{message}");
}

#[test]
fn json_written_as_one_argument_also_gets_an_error_document() {
    let out = Run::new(["--format=json", "check", "x.example.net", "--bogus"]).output();
    assert_eq!(out.code, 3);
    let doc: Value = serde_json::from_str(&out.stdout).expect("one JSON document");
    assert!(
        doc["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("--bogus"))
    );
}

#[test]
fn without_a_bundle_the_system_store_is_used_and_said() {
    let lab = Lab::new();
    let server = serve(&[&lab.pki.leaf, &lab.pki.intermediate], &lab.pki.leaf);
    let store = lab.bundle(&[&lab.pki.root]);

    // The lab root stands in for the system store (SSL_CERT_FILE names it).
    let out = Run::new(["check", &format!("{HOST}:{}", server.port())])
        .resolve(HOST, server.port())
        .env("SSL_CERT_FILE", &store)
        .json()
        .code(0);
    let bundle = &out.json()["bundle"];
    assert_eq!(bundle["source"], "system-store", "{}", out.transcript());
    assert_eq!(bundle["findings"][0]["code"], "bundle.system-store");
    assert_eq!(bundle["status"], "ok");
}

#[test]
fn a_cert_store_path_without_the_bundle_names_both_files() {
    let lab = Lab::new();
    let out = Run::new(["check", "ise-01.example.net:9060"])
        .env("CA_CERT_PATH", &lab.dir().display().to_string())
        .json()
        .output();
    let error = assert_unable(&out).expect("an error document");
    let message = error["message"].as_str().unwrap_or_default();
    assert!(message.contains("ise/ROOT-CA.crt"), "{message}");
    assert!(message.contains("ROOT-CA.crt.age"), "{message}");
}

#[test]
fn missing_target_exits_3() {
    let lab = Lab::new();
    assert_unable(&Run::new(["check", "--ca", &lab.root_bundle()]).output());
}

#[test]
fn nonexistent_bundle_names_the_path() {
    let lab = Lab::new();
    let missing = lab
        .path("no-such-bundle.pem")
        .to_string_lossy()
        .into_owned();

    let out = Run::new(["check", "ise-01.example.net:9060", "--ca", &missing]).output();
    assert_unable(&out);
    out.stderr_has(&missing);

    let out = Run::new(["check", "ise-01.example.net:9060", "--ca", &missing])
        .json()
        .output();
    let error = assert_unable(&out).expect("an error document");
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.contains(&missing)),
        "{error}"
    );
    assert_eq!(error["subject"], missing.as_str());
    assert!(
        out.json().get("targets").is_none(),
        "no report for a run that did not happen"
    );
}

#[test]
fn a_directory_as_bundle_names_the_path() {
    let lab = Lab::new();
    let dir = lab.dir().to_string_lossy().into_owned();

    let out = Run::new(["bundle", &dir]).json().output();
    let error = assert_unable(&out).expect("an error document");
    assert!(
        error["message"].as_str().is_some_and(|m| m.contains(&dir)),
        "{error}"
    );
}

#[test]
fn bad_values_name_their_flag() {
    let lab = Lab::new();
    let bundle = lab.root_bundle();
    let base = ["check", "ise-01.example.net:9060", "--ca", bundle.as_str()];
    for (extra, flag) in [
        (&["--at", "next tuesday"][..], "--at"),
        (&["--timeout", "0"][..], "--timeout"),
        (&["--concurrency", "0"][..], "--concurrency"),
        (&["--resolve", "ise-01.example.net:9060"][..], "--resolve"),
    ] {
        let out = Run::new(base).args(extra).json().output();
        let error = assert_unable(&out).expect("an error document");
        assert_eq!(error["subject"], flag, "{}", out.transcript());
    }

    let out = Run::new(["check", "https://ise-01.example.net/", "--ca", &bundle]).output();
    assert_unable(&out);
    out.stderr_has("looks like a URL");
}

#[test]
fn help_and_version_exit_0() {
    let out = Run::new(["--help"]).code(0);
    out.stdout_has("Usage")
        .stdout_has("check")
        .stdout_has("Exit codes");
    Run::new(["check", "--help"]).code(0).stdout_has("--ca");
    Run::new(["--version"])
        .code(0)
        .stdout_has(env!("CARGO_PKG_VERSION"));
}

#[test]
fn color_always_paints_and_no_color_with_auto_does_not() {
    let bundle = fixture("bundle-full.pem");

    let painted = Run::new(["bundle", &bundle, "--color", "always"]).code(0);
    assert!(
        painted.stdout.contains("\u{1b}["),
        "{}",
        painted.transcript()
    );

    let plain = Run::new(["bundle", &bundle, "--color", "auto"])
        .env("NO_COLOR", "1")
        .code(0);
    assert!(!plain.stdout.contains('\u{1b}'), "{}", plain.transcript());
    let never = Run::new(["bundle", &bundle, "--color", "never"]).env_remove("NO_COLOR");
    assert!(!never.code(0).stdout.contains('\u{1b}'));

    // JSON is never painted.
    let json = Run::new(["bundle", &bundle, "--color", "always"])
        .json()
        .code(0);
    assert!(!json.stdout.contains('\u{1b}'));
}

#[test]
fn at_in_the_future_expires_a_valid_chain() {
    let lab = Lab::new();
    let server = serve(&[&lab.pki.leaf, &lab.pki.intermediate], &lab.pki.leaf);
    let bundle = lab.root_bundle();

    Run::check(server.port(), &bundle)
        .json()
        .code(0)
        .no_findings();

    let out = Run::check(server.port(), &bundle)
        .args(["--at", "2100-01-01T00:00:00Z"])
        .json();
    let out = out.code(2);
    out.status("error")
        .finding("cert.expired")
        .says("The leaf `CN=ise-01.example.net`");
    assert_eq!(out.json()["checked_at"], "2100-01-01T00:00:00Z");
    let chain = out.target(0).chain();
    assert!(
        chain
            .iter()
            .all(|c| c["days_left"].as_i64().is_some_and(|d| d < 0))
    );
}

#[test]
fn json_report_has_the_documented_fields() {
    let lab = Lab::new();
    let server = serve(&[&lab.pki.leaf, &lab.pki.intermediate], &lab.pki.leaf);

    let out = Run::check(server.port(), &lab.root_bundle()).json().code(0);
    let doc = out.json();
    assert_eq!(doc["schema_version"], 1);
    assert_eq!(doc["tool"]["name"], "ise-doctor");
    assert_eq!(doc["command"], "check");
    assert!(doc["checked_at"].is_string());
    assert_eq!(doc["bundle"]["count"], 1);

    let leaf = &out.target(0).chain()[0];
    for field in [
        "subject",
        "issuer",
        "serial",
        "not_before",
        "not_after",
        "sha256",
        "is_ca",
        "self_signed",
        "san",
        "key",
        "signature_algorithm",
    ] {
        assert!(
            leaf.get(field).is_some_and(|v| !v.is_null()),
            "no {field}: {leaf}"
        );
    }
    assert_eq!(leaf["subject"], format!("CN={HOST}"));
    assert_eq!(leaf["issuer"], "CN=LAB-ISSUING-CA");
    assert_eq!(leaf["sha256"], lab.pki.leaf.sha256());
    assert_eq!(leaf["is_ca"], false);
    assert_eq!(leaf["self_signed"], false);
    assert_eq!(
        leaf["san"][0],
        serde_json::json!({ "type": "dns", "value": HOST })
    );
    assert_eq!(leaf["key"]["kind"], "ec");
    assert!(
        leaf["signature_algorithm"]
            .as_str()
            .is_some_and(|s| !s.is_empty())
    );
    assert_eq!(out.target(0).chain()[1]["is_ca"], true);

    let summary = &doc["summary"];
    for field in ["targets", "ok", "warnings", "errors", "exit_code"] {
        assert!(summary[field].is_u64(), "summary.{field}: {summary}");
    }
}

#[test]
fn codes_lists_every_code() {
    let out = Run::new(["codes"]).code(0);
    out.stdout_has("chain.missing-intermediate")
        .stdout_has("tls.client-cert-required");

    let out = Run::new(["codes"]).json().code(0);
    let codes = out.json()["codes"].as_array().expect("codes");
    assert_eq!(codes.len(), ise_doctor::findings::REGISTRY.len());
}

#[test]
fn verbose_logs_go_to_stderr_and_json_stays_clean() {
    let lab = Lab::new();
    let server = serve(&[&lab.pki.leaf, &lab.pki.intermediate], &lab.pki.leaf);

    // `Run` parses stdout as one JSON document: logs must not leak into it.
    let out = Run::check(server.port(), &lab.root_bundle())
        .args(["-vv"])
        .json()
        .code(0);
    assert!(
        !out.stderr.trim().is_empty(),
        "-vv logs nothing\n{}",
        out.transcript()
    );
    out.no_findings();
}

#[test]
fn bundle_defects_count_towards_the_exit_code() {
    let lab = Lab::new();
    let server = serve(&[&lab.pki.leaf, &lab.pki.intermediate], &lab.pki.leaf);
    let bundle = lab.write("with-key.pem", lab.pki.root.pem() + &lab.pki.leaf.key_pem());

    let out = Run::check(server.port(), &bundle).json().code(2);
    out.status("ok").no_findings();
    let doc = out.json();
    assert_eq!(doc["bundle"]["findings"][0]["code"], "bundle.private-key");
    assert_eq!(doc["summary"]["bundle_status"], "error");
    assert_eq!(
        (
            doc["summary"]["ok"].as_u64(),
            doc["summary"]["errors"].as_u64()
        ),
        (Some(1), Some(0))
    );
    let key_body = lab.pki.leaf.key_pem();
    let key_line = key_body.lines().nth(1).expect("a PEM body line");
    out.stdout_lacks(key_line);
    assert!(!out.stderr.contains(key_line));
}

#[test]
fn bare_host_expands_to_the_ers_and_api_ports() {
    let lab = Lab::new();
    let out = Run::new(["check", "nonexistent.invalid", "--ca", &lab.root_bundle()])
        .json()
        .code(2);
    let ports: Vec<u64> = (0..2)
        .map(|i| out.target(i).value["port"].as_u64().expect("port"))
        .collect();
    assert_eq!(ports, [9060, 443]);
    assert_eq!(out.target(0).value["service"], "ERS API");
    assert_eq!(out.json()["summary"]["targets"], 2);
}

#[test]
fn a_closed_stdout_is_not_an_error() {
    use std::process::{Command, Stdio};

    // Large output into a pipe whose reader is gone (like `| head -1`).
    let lab = Lab::new();
    let big = lab.bundle(&vec![&lab.pki.root; 200]);
    for (args, code) in [
        (vec!["bundle", &big, "--format", "json"], 0),
        (vec!["bundle", &big], 0),
        (vec!["codes", "--markdown"], 0),
        (vec!["demo"], 0),
    ] {
        let mut child = Command::new(crate::support::BIN)
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starts");
        drop(child.stdout.take());
        let out = child.wait_with_output().expect("exits");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_eq!(out.status.code(), Some(code), "{args:?}: {stderr}");
    }
}

/// Runs the binary on a pseudo-terminal (util-linux `script`), where `--color auto`
/// colours unless NO_COLOR is set. `None` when `script` is unavailable.
fn on_a_terminal(args: &str, no_color: Option<&str>) -> Option<String> {
    use std::process::{Command, Stdio};

    let command = format!("'{}' {args}", crate::support::BIN);
    let mut script = Command::new("script");
    script
        .args(["-qec", &command, "/dev/null"])
        .stdin(Stdio::null());
    match no_color {
        Some(value) => script.env("NO_COLOR", value),
        None => script.env_remove("NO_COLOR"),
    };
    let out = script.output().ok().filter(|o| o.status.success())?;
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn no_color_is_honoured_on_a_terminal() {
    let args = format!("bundle '{}' --color auto", fixture("bundle-full.pem"));
    let Some(coloured) = on_a_terminal(&args, None) else {
        eprintln!("note: `script` not available; terminal colour test skipped");
        return;
    };
    assert!(
        coloured.contains("\u{1b}["),
        "auto on a terminal colours:\n{coloured}"
    );

    let plain = on_a_terminal(&args, Some("1")).expect("script ran before");
    assert!(!plain.contains('\u{1b}'), "NO_COLOR=1 must win:\n{plain}");
    // An empty NO_COLOR does not count (no-color.org).
    let empty = on_a_terminal(&args, Some("")).expect("script ran before");
    assert!(empty.contains("\u{1b}["), "{empty}");
}

#[test]
fn unreadable_bundle_names_the_path() {
    use std::os::unix::fs::PermissionsExt;

    let lab = Lab::new();
    let path = lab.write("locked.pem", lab.pki.root.pem());
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o000)).expect("chmod");
    if std::fs::read(&path).is_ok() {
        eprintln!("note: running with privileges that read mode-000 files; test skipped");
        return;
    }
    let out = Run::new(["bundle", &path]).json().output();
    let error = assert_unable(&out).expect("an error document");
    assert!(
        error["message"].as_str().is_some_and(|m| m.contains(&path)),
        "{error}"
    );
}

#[test]
fn demo_shows_both_verdicts_and_exits_0() {
    let out = Run::new(["demo"]).code(0);
    out.stdout_has("chain.missing-intermediate")
        .stdout_has("ise-01.example.net");

    // The demo's JSON is the report of its `check`: exit_code 2 inside, 0 for the demo.
    let out = Run::new(["demo"]).json().output();
    assert_eq!(out.code, 0, "{}", out.transcript());
    assert_eq!(out.target(0).value["status"], "ok");
    out.target(1)
        .status("error")
        .only(&["chain.missing-intermediate"]);
    assert_eq!(out.json()["summary"]["exit_code"], 2);
}
