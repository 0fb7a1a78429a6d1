//! Tests of the bundle reader, one per file shape, on the committed files in
//! `fixtures/pki/` (see `fixtures/README.md` for what each file is).

use std::path::{Path, PathBuf};
use std::time::Instant;

use super::{InputError, MAX_BLOCKS, MAX_BUNDLE_BYTES, load_bundle, parse_bundle};
use crate::model::{Bundle, BundleDefect, BundleFormat, BundleSource, Certificate};

/// The bytes of a fixture, embedded at compile time (the parser under test is pure).
macro_rules! fixture {
    ($name:literal) => {
        include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/pki/", $name)).as_slice()
    };
}

const ROOT: &str = "CN=LAB-ROOT-CA";
const ISSUING: &str = "CN=LAB-ISSUING-CA";

fn parse(bytes: &[u8]) -> Bundle {
    parse_bundle(bytes, BundleSource::File("test.pem".to_string()))
}

fn subjects(bundle: &Bundle) -> Vec<&str> {
    bundle.certs.iter().map(|c| c.subject.as_str()).collect()
}

/// The (index, line, reason) of every MalformedBlock defect.
fn malformed(bundle: &Bundle) -> Vec<(usize, usize, &str)> {
    bundle
        .defects
        .iter()
        .filter_map(|d| match d {
            BundleDefect::MalformedBlock {
                index,
                line,
                reason,
            } => Some((*index, *line, reason.as_str())),
            _ => None,
        })
        .collect()
}

fn cosmetic(bundle: &Bundle) -> Vec<&str> {
    bundle
        .defects
        .iter()
        .filter_map(|d| match d {
            BundleDefect::Cosmetic { note } => Some(note.as_str()),
            _ => None,
        })
        .collect()
}

fn root() -> Certificate {
    let bundle = parse(fixture!("root.pem"));
    bundle
        .certs
        .into_iter()
        .next()
        .expect("invariant: root.pem holds one certificate")
}

/// Asserts a clean PEM bundle with exactly these subjects.
fn assert_clean(bundle: &Bundle, expected: &[&str]) {
    assert_eq!(bundle.format, BundleFormat::Pem);
    assert_eq!(subjects(bundle), expected);
    assert_eq!(bundle.defects, Vec::new());
}

#[test]
fn plain_bundles_load_in_file_order() {
    assert_clean(&parse(fixture!("bundle-root-only.pem")), &[ROOT]);
    assert_clean(&parse(fixture!("bundle-full.pem")), &[ROOT, ISSUING]);
    assert_clean(&parse(fixture!("bundle-intermediate-only.pem")), &[ISSUING]);
    assert_clean(
        &parse(fixture!("bundle-expired-ca.pem")),
        &[ROOT, "CN=LAB-OLD-ISSUING-CA"],
    );
}

#[test]
fn source_is_kept() {
    let source = BundleSource::File("/etc/ise/ca.pem".to_string());

    let bundle = parse_bundle(fixture!("bundle-full.pem"), source.clone());

    assert_eq!(bundle.source, source);
}

#[test]
fn duplicates_are_kept_for_the_analysis_to_report() {
    let bundle = parse(fixture!("bundle-duplicate.pem"));

    assert_clean(&bundle, &[ROOT, ISSUING, ROOT]);
    assert_eq!(bundle.certs[0], bundle.certs[2]);
}

#[test]
fn crlf_is_one_cosmetic_note() {
    let bundle = parse(fixture!("bundle-crlf.pem"));

    assert_eq!(subjects(&bundle), [ROOT, ISSUING]);
    assert_eq!(bundle.defects.len(), 1);
    assert!(cosmetic(&bundle)[0].contains("CRLF"));
}

#[test]
fn bom_is_one_cosmetic_note() {
    let bundle = parse(fixture!("bundle-bom.pem"));

    assert_eq!(bundle.format, BundleFormat::Pem);
    assert_eq!(subjects(&bundle), [ROOT, ISSUING]);
    assert_eq!(bundle.defects.len(), 1);
    assert!(cosmetic(&bundle)[0].contains("byte order mark"));
}

#[test]
fn text_between_blocks_is_one_cosmetic_note() {
    let bundle = parse(fixture!("bundle-text-between.pem"));

    assert_eq!(subjects(&bundle), [ROOT, ISSUING]);
    assert_eq!(bundle.defects.len(), 1, "{:?}", bundle.defects);
    let note = cosmetic(&bundle)[0];
    assert!(
        note.contains("text outside the PEM blocks (first at line 1)"),
        "{note}"
    );
}

#[test]
fn bare_cr_file_loads_here_but_not_in_openssl() {
    let bundle = parse(fixture!("bundle-cr.pem"));

    assert_eq!(subjects(&bundle), [ROOT, ISSUING]);
    let defects = malformed(&bundle);
    assert_eq!(defects.len(), 1, "{:?}", bundle.defects);
    let (index, line, reason) = defects[0];
    assert_eq!((index, line), (1, 1));
    assert!(
        reason.contains("bare CR") && reason.contains("no certificate"),
        "{reason}"
    );
}

#[test]
fn bare_cr_block_in_an_lf_file_is_lost_by_openssl() {
    let mut bytes = fixture!("root.pem").to_vec();
    bytes.extend(
        fixture!("issuing.pem")
            .iter()
            .map(|&b| if b == b'\n' { b'\r' } else { b }),
    );

    let bundle = parse(&bytes);

    assert_eq!(subjects(&bundle), [ROOT, ISSUING]);
    let defects = malformed(&bundle);
    assert_eq!(defects.len(), 1, "{:?}", bundle.defects);
    assert_eq!((defects[0].0, defects[0].1), (2, 19));
    assert!(defects[0].2.contains(ISSUING));
}

#[test]
fn glued_end_and_begin_load_both_but_say_openssl_refuses_the_file() {
    let bundle = parse(fixture!("bundle-glued.pem"));

    assert_eq!(bundle.format, BundleFormat::Pem);
    assert_eq!(subjects(&bundle), [ROOT, ISSUING]);
    let defects = malformed(&bundle);
    assert_eq!(defects.len(), 1, "{:?}", bundle.defects);
    let (index, line, reason) = defects[0];
    assert_eq!(
        (index, line),
        (1, 18),
        "the root's END line, where the BEGIN is glued"
    );
    assert!(reason.contains(ROOT), "{reason}");
    assert!(reason.contains("refuse the whole file"), "{reason}");
    assert!(cosmetic(&bundle).is_empty(), "{:?}", bundle.defects);
}

#[test]
fn text_after_end_on_the_same_line_is_malformed() {
    let text = String::from_utf8_lossy(fixture!("root.pem")).replace(
        "-----END CERTIFICATE-----",
        "-----END CERTIFICATE----- subject=CN = LAB-ROOT-CA",
    );

    let bundle = parse(text.as_bytes());

    assert_eq!(subjects(&bundle), [ROOT]);
    let defects = malformed(&bundle);
    assert_eq!((defects[0].0, defects[0].1), (1, 18));
    assert!(defects[0].2.contains("text follows"), "{}", defects[0].2);
}

#[test]
fn begin_not_at_line_start_is_skipped_by_openssl() {
    let mut bytes = fixture!("root.pem").to_vec();
    bytes.extend_from_slice(b"issuer: ");
    bytes.extend_from_slice(fixture!("issuing.pem"));

    let bundle = parse(&bytes);

    assert_eq!(subjects(&bundle), [ROOT, ISSUING]);
    let defects = malformed(&bundle);
    assert_eq!(defects.len(), 1, "{:?}", bundle.defects);
    assert_eq!((defects[0].0, defects[0].1), (2, 19));
    assert!(
        defects[0].2.contains("skips this block"),
        "{}",
        defects[0].2
    );
}

#[test]
fn truncated_block_names_its_index_and_begin_line() {
    let bundle = parse(fixture!("bundle-truncated.pem"));

    assert_eq!(subjects(&bundle), [ROOT]);
    let defects = malformed(&bundle);
    assert_eq!(defects.len(), 1);
    let (index, line, reason) = defects[0];
    assert_eq!((index, line), (2, 19));
    assert!(reason.contains("no END line"), "{reason}");
}

#[test]
fn truncated_block_followed_by_another_begin() {
    let mut bytes = fixture!("bundle-truncated.pem").to_vec();
    bytes.extend_from_slice(fixture!("issuing.pem"));

    let bundle = parse(&bytes);

    assert_eq!(subjects(&bundle), [ROOT, ISSUING]);
    let defects = malformed(&bundle);
    assert_eq!((defects[0].0, defects[0].1), (2, 19));
    assert!(
        defects[0].2.contains("before the next BEGIN at line 29"),
        "{}",
        defects[0].2
    );
}

#[test]
fn bad_base64_names_the_line_and_character() {
    let bundle = parse(fixture!("bundle-bad-base64.pem"));

    assert_eq!(subjects(&bundle), [ROOT]);
    let defects = malformed(&bundle);
    assert_eq!(defects.len(), 1);
    let (index, line, reason) = defects[0];
    assert_eq!((index, line), (2, 21));
    assert!(
        reason.contains("`*`") && reason.contains("not base64"),
        "{reason}"
    );
}

#[test]
fn base64_that_is_not_a_certificate_gives_the_x509_reason() {
    let bundle = parse(fixture!("bundle-not-a-cert.pem"));

    assert_eq!(subjects(&bundle), [ROOT]);
    let defects = malformed(&bundle);
    assert_eq!(defects.len(), 1);
    assert_eq!((defects[0].0, defects[0].1), (2, 19));
    assert!(defects[0].2.contains("X.509"), "{}", defects[0].2);
}

#[test]
fn end_label_must_match_begin_label() {
    let text = String::from_utf8_lossy(fixture!("root.pem"))
        .replace("-----END CERTIFICATE-----", "-----END X509 CRL-----");

    let bundle = parse(text.as_bytes());

    assert!(bundle.certs.is_empty());
    assert!(malformed(&bundle)[0].2.contains("says `X509 CRL`"));
}

#[test]
fn csr_and_crl_blocks_say_what_they_are() {
    let csr = parse(fixture!("bundle-csr.pem"));
    let crl = parse(fixture!("bundle-crl.pem"));

    assert_eq!(subjects(&csr), [ROOT]);
    let (index, line, reason) = malformed(&csr)[0];
    assert_eq!((index, line), (2, 19));
    assert!(reason.contains("certificate signing request"), "{reason}");
    assert!(reason.contains("not a CA certificate"), "{reason}");

    assert_eq!(subjects(&crl), [ROOT]);
    let reason = malformed(&crl)[0].2;
    assert!(reason.contains("revocation list") && reason.contains("not a CA certificate"));
}

#[test]
fn private_key_is_reported_and_never_kept() {
    let bytes = fixture!("bundle-with-key.pem");

    let bundle = parse(bytes);

    assert_eq!(subjects(&bundle), [ROOT, ISSUING]);
    let expected = BundleDefect::PrivateKey {
        line: 19,
        label: "PRIVATE KEY".to_string(),
    };
    assert_eq!(bundle.defects, [expected]);

    let text = String::from_utf8_lossy(bytes);
    let key_lines: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.contains("BEGIN PRIVATE KEY"))
        .skip(1)
        .take_while(|l| !l.contains("END PRIVATE KEY"))
        .collect();
    assert!(!key_lines.is_empty());
    let everything = format!("{bundle:?}");
    for line in key_lines {
        assert!(
            !everything.contains(line),
            "key material leaked into the bundle"
        );
    }
}

#[test]
fn every_private_key_label_is_recognised() {
    let mut text = String::new();
    for label in [
        "RSA PRIVATE KEY",
        "EC PRIVATE KEY",
        "ENCRYPTED PRIVATE KEY",
        "PRIVATE KEY",
    ] {
        text.push_str(&format!(
            "-----BEGIN {label}-----\nAAAA\n-----END {label}-----\n"
        ));
    }

    let bundle = parse(text.as_bytes());

    let labels: Vec<(usize, &str)> = bundle
        .defects
        .iter()
        .filter_map(|d| match d {
            BundleDefect::PrivateKey { line, label } => Some((*line, label.as_str())),
            _ => None,
        })
        .collect();
    let expected = [
        (1, "RSA PRIVATE KEY"),
        (4, "EC PRIVATE KEY"),
        (7, "ENCRYPTED PRIVATE KEY"),
        (10, "PRIVATE KEY"),
    ];
    assert_eq!(labels, expected);
    assert_eq!(bundle.defects.len(), 4);
}

#[test]
fn trusted_certificate_is_the_certificate_without_its_trust_settings() {
    let bundle = parse(fixture!("bundle-trusted.pem"));

    assert_eq!(bundle.certs, [root()]);
    assert!(malformed(&bundle).is_empty());
    assert!(cosmetic(&bundle)[0].contains("TRUSTED CERTIFICATE"));
}

#[test]
fn old_x509_certificate_label_is_read() {
    let bundle = parse(fixture!("bundle-x509-label.pem"));

    assert_eq!(bundle.certs, [root()]);
    assert_eq!(cosmetic(&bundle).len(), 1);
    assert!(cosmetic(&bundle)[0].contains("X509 CERTIFICATE"));
}

#[test]
fn single_der_certificate() {
    let bundle = parse(fixture!("bundle-der.der"));

    assert_eq!(bundle.format, BundleFormat::Der);
    assert_eq!(bundle.certs, [root()]);
    assert_eq!(bundle.defects, [BundleDefect::Der]);
}

#[test]
fn concatenated_der_certificates() {
    let bundle = parse(fixture!("bundle-der-concat.der"));

    assert_eq!(bundle.format, BundleFormat::Der);
    assert_eq!(subjects(&bundle), [ROOT, ISSUING]);
    assert_eq!(bundle.defects, [BundleDefect::Der]);
}

#[test]
fn der_with_trailing_garbage_keeps_the_certificate() {
    let mut bytes = fixture!("bundle-der.der").to_vec();
    bytes.extend_from_slice(&[0x30, 0x82, 0xFF]);

    let bundle = parse(&bytes);

    assert_eq!(bundle.certs, [root()]);
    let defects = malformed(&bundle);
    assert_eq!(defects.len(), 1);
    assert_eq!(defects[0].0, 2);
    assert!(defects[0].2.contains("at byte 767"), "{}", defects[0].2);
}

#[test]
fn der_pkcs7_gives_its_certificates() {
    let bundle = parse(fixture!("bundle-p7b.p7b"));

    assert_eq!(bundle.format, BundleFormat::Der);
    assert_eq!(subjects(&bundle), [ROOT, ISSUING]);
    assert_eq!(bundle.defects, [BundleDefect::Pkcs7 { pem: false }]);
}

#[test]
fn pem_pkcs7_gives_its_certificates_and_the_same_defect_as_der() {
    let bundle = parse(fixture!("bundle-p7b.pem"));

    assert_eq!(bundle.format, BundleFormat::Pem);
    assert_eq!(subjects(&bundle), [ROOT, ISSUING]);
    assert_eq!(bundle.defects, [BundleDefect::Pkcs7 { pem: true }]);
}

#[test]
fn two_pem_pkcs7_blocks_are_one_defect() {
    let text = [fixture!("bundle-p7b.pem"), fixture!("bundle-p7b.pem")].concat();

    let bundle = parse(&text);

    assert_eq!(bundle.certs.len(), 4);
    assert_eq!(bundle.defects, [BundleDefect::Pkcs7 { pem: true }]);
}

#[test]
fn der_certificate_then_pkcs7_is_both_defects() {
    let bytes = [fixture!("bundle-der.der"), fixture!("bundle-p7b.p7b")].concat();

    let bundle = parse(&bytes);

    assert_eq!(subjects(&bundle), [ROOT, ROOT, ISSUING]);
    let expected = [BundleDefect::Pkcs7 { pem: false }, BundleDefect::Der];
    assert_eq!(bundle.defects, expected);
}

#[test]
fn pkcs7_findings_name_the_encoding_and_a_conversion_that_fits() {
    let policy = crate::analysis::Policy::at(
        crate::model::Moment::parse_rfc3339("2026-01-01T00:00:00Z").expect("valid"),
        30,
    );
    for (bytes, encoding, inform) in [
        (fixture!("bundle-p7b.pem"), "(PEM)", "openssl pkcs7 -in "),
        (
            fixture!("bundle-p7b.p7b"),
            "(DER)",
            "openssl pkcs7 -inform DER -in ",
        ),
    ] {
        let findings = crate::analysis::diagnose_bundle(&parse(bytes), &policy);

        let codes: Vec<_> = findings.iter().map(|f| f.code.as_str()).collect();
        assert!(codes.contains(&"bundle.not-pem"), "{codes:?}");
        assert!(!codes.contains(&"bundle.malformed-block"), "{codes:?}");
        let finding = findings
            .iter()
            .find(|f| f.code.as_str() == "bundle.not-pem");
        let finding = finding.expect("invariant: checked just above");
        assert!(
            finding
                .message
                .contains(&format!("PKCS#7 bundle {encoding}")),
            "{finding:?}"
        );
        assert!(
            finding.fix.iter().any(|f| f.contains(inform)),
            "{finding:?}"
        );
    }
}

#[test]
fn no_reason_holds_a_placeholder() {
    let files = [
        fixture!("bundle-p7b.pem"),
        fixture!("bundle-bad-base64.pem"),
        fixture!("bundle-truncated.pem"),
        fixture!("bundle-glued.pem"),
        fixture!("bundle-cr.pem"),
        fixture!("bundle-csr.pem"),
        fixture!("bundle-garbage.bin"),
    ];
    for bytes in files {
        let bundle = parse(bytes);
        for (_, _, reason) in malformed(&bundle) {
            for placeholder in ["FILE", "HOST", "PORT"] {
                assert!(!reason.contains(placeholder), "{placeholder} in {reason}");
            }
        }
    }
}

#[test]
fn empty_and_whitespace_files_are_empty() {
    let empty = parse(fixture!("bundle-empty.pem"));
    let blank = parse(fixture!("bundle-whitespace.pem"));
    let bom_only = parse(b"\xEF\xBB\xBF\n");

    assert_eq!(empty.format, BundleFormat::Empty);
    assert_eq!(empty.defects, [BundleDefect::Empty { bytes: 0 }]);
    assert_eq!(blank.format, BundleFormat::Empty);
    assert_eq!(blank.defects, [BundleDefect::Empty { bytes: 8 }]);
    assert_eq!(bom_only.format, BundleFormat::Empty);
}

#[test]
fn garbage_is_unknown_with_a_reason() {
    let binary = parse(fixture!("bundle-garbage.bin"));
    let text = parse(b"hello, this is not a certificate\n");
    let fake_der = parse(b"0123456789");

    for bundle in [&binary, &text, &fake_der] {
        assert_eq!(bundle.format, BundleFormat::Unknown);
        assert!(bundle.certs.is_empty());
        let defects = malformed(bundle);
        assert_eq!(defects.len(), 1);
        assert!(defects[0].2.contains("neither PEM"), "{}", defects[0].2);
    }
    assert!(malformed(&binary)[0].2.contains("512 bytes of binary data"));
    assert!(malformed(&fake_der)[0].2.contains("starts like DER"));
}

#[test]
fn block_count_is_capped() {
    let block = "-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n";
    let text = block.repeat(MAX_BLOCKS + 5);

    let bundle = parse(text.as_bytes());

    let defects = malformed(&bundle);
    assert_eq!(defects.len(), MAX_BLOCKS + 1);
    let (index, line, reason) = defects[MAX_BLOCKS];
    assert_eq!((index, line), (MAX_BLOCKS + 1, 3 * MAX_BLOCKS + 1));
    assert!(reason.contains("were ignored"), "{reason}");
}

#[test]
fn a_full_size_file_parses_quickly() {
    let one = fixture!("root.pem");
    let count = usize::try_from(MAX_BUNDLE_BYTES).expect("invariant: 16 MiB fits") / one.len();
    let bytes = one.repeat(count);
    let started = Instant::now();

    let bundle = parse(&bytes);

    assert_eq!(bundle.certs.len(), MAX_BLOCKS);
    assert_eq!(malformed(&bundle).len(), 1);
    // Measured at ~0.3 s in a debug build; the bound leaves room for a busy machine.
    let elapsed = started.elapsed();
    assert!(
        elapsed.as_secs_f64() < 5.0,
        "parsing 16 MiB took {elapsed:?}"
    );
}

fn fixture_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/pki")
        .join(name)
}

/// A fresh scratch directory for this test, under the system temp directory.
fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ise-doctor-input-{}-{test}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("invariant: the temp directory is writable");
    dir
}

#[test]
fn load_bundle_reads_a_file_and_names_it_as_source() {
    let path = fixture_path("bundle-full.pem");

    let bundle = load_bundle(&path).expect("the fixture is readable");

    assert_eq!(
        bundle.source,
        BundleSource::File(path.display().to_string())
    );
    assert_eq!(subjects(&bundle), [ROOT, ISSUING]);
}

#[test]
fn load_bundle_missing_file_says_what_to_do() {
    let path = Path::new("/nonexistent/ROOT-CA.crt");

    let error = load_bundle(path).expect_err("the file does not exist");

    assert!(matches!(error, InputError::Unreadable { .. }));
    let text = error.to_string();
    assert!(
        text.starts_with("cannot read CA bundle `/nonexistent/ROOT-CA.crt`: "),
        "{text}"
    );
    assert!(text.ends_with("; check the path or set --ca"), "{text}");
}

#[test]
fn permission_denied_message_says_what_to_do() {
    // Tests may run as root, which reads any file: build the error directly.
    let source = std::io::Error::from(std::io::ErrorKind::PermissionDenied);
    let error = InputError::Unreadable {
        path: PathBuf::from("/etc/ca.pem"),
        what: "CA bundle".to_string(),
        source,
    };

    let text = error.to_string();

    assert!(
        text.starts_with("cannot read CA bundle `/etc/ca.pem`: permission denied"),
        "{text}"
    );
    assert!(text.contains("read access"), "{text}");
}

#[test]
fn load_bundle_refuses_a_directory() {
    let dir = scratch("dir");

    let error = load_bundle(&dir).expect_err("a directory is not a bundle");

    assert!(matches!(error, InputError::IsDirectory { .. }));
    assert!(error.to_string().contains("is a directory"));
    std::fs::remove_dir_all(dir).expect("invariant: the scratch directory is ours");
}

#[test]
fn load_bundle_refuses_a_huge_file() {
    let dir = scratch("huge");
    let path = dir.join("huge.pem");
    let file = std::fs::File::create(&path).expect("invariant: scratch is writable");
    file.set_len(MAX_BUNDLE_BYTES + 1)
        .expect("invariant: sparse files are allowed");

    let error = load_bundle(&path).expect_err("the file is over the cap");

    assert!(matches!(error, InputError::TooLarge { size, .. } if size == MAX_BUNDLE_BYTES + 1));
    let text = error.to_string();
    assert!(
        text.contains("huge.pem") && text.contains("16 MiB"),
        "{text}"
    );
    std::fs::remove_dir_all(dir).expect("invariant: the scratch directory is ours");
}

/// Runs `load_bundle` on a thread and gives up after a few seconds, so that a regression
/// (a read that blocks forever) fails the test instead of hanging it.
fn load_bundle_within_seconds(path: &Path) -> Result<Bundle, InputError> {
    let (tx, rx) = std::sync::mpsc::channel();
    let path = path.to_path_buf();
    std::thread::spawn(move || tx.send(load_bundle(&path)));
    rx.recv_timeout(std::time::Duration::from_secs(5))
        .expect("load_bundle returned within 5 s")
}

#[cfg(unix)]
#[test]
fn load_bundle_refuses_a_fifo_without_opening_it() {
    let dir = scratch("fifo");
    let fifo = dir.join("ca.pem");
    let link = dir.join("link.pem");
    let _ = std::fs::remove_file(&fifo);
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    std::os::unix::fs::symlink(&fifo, &link).expect("invariant: scratch is writable");

    for path in [&fifo, &link] {
        let error = load_bundle_within_seconds(path).expect_err("a FIFO is not a bundle");

        assert!(matches!(error, InputError::NotAFile { .. }), "{error:?}");
        let text = error.to_string();
        let expected = format!(
            "`{}`: it is a named pipe (FIFO), not a file",
            path.display()
        );
        assert!(text.contains(&expected), "{text}");
    }
    std::fs::remove_dir_all(dir).expect("invariant: the scratch directory is ours");
}

#[cfg(unix)]
#[test]
fn load_bundle_refuses_devices() {
    for device in ["/dev/null", "/dev/zero"] {
        let error = load_bundle_within_seconds(Path::new(device)).expect_err("not a bundle");

        assert!(matches!(error, InputError::NotAFile { .. }), "{error:?}");
        let text = error.to_string();
        assert!(
            text.contains(&format!("`{device}`: it is a character device")),
            "{text}"
        );
    }
}
