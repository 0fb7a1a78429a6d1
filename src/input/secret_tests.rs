//! Tests of age-encrypted inputs and client identities. The age files are made here with
//! the `age` crate (X25519 and scrypt, binary and armored); the keys come from rcgen
//! (PKCS#8) and the `openssl` CLI (PKCS#1, SEC1, encrypted PKCS#8), in a temp folder.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use ::age::armor::{ArmoredWriter, Format};
use ::age::secrecy::{ExposeSecret as _, SecretString};
use rustls_pki_types::PrivateKeyDer;
use zeroize::Zeroizing;

use super::{
    AgeLock, ClientIdentity, InputError, SecretSources, key_matches, load_bundle, load_bundle_with,
    load_certificate, load_client_identity, parse_bundle, read_file,
};
use crate::model::{BundleSource, Certificate};

const BUNDLE: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/fixtures/pki/bundle-full.pem"
));
const ROOT_PEM: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/fixtures/pki/root.pem"
));
const PASSPHRASE: &str = "correct horse battery staple 42";

/// A scratch folder, removed when the test ends.
fn scratch() -> tempfile::TempDir {
    tempfile::tempdir().expect("invariant: the temp directory is writable")
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("invariant: scratch is writable");
    path
}

/// Encrypts `plaintext` to the recipients, binary or armored.
fn encrypt(plaintext: &[u8], recipients: &[&dyn ::age::Recipient], armor: bool) -> Vec<u8> {
    let encryptor = ::age::Encryptor::with_recipients(recipients.iter().copied())
        .expect("invariant: one kind of recipient");
    let format = if armor {
        Format::AsciiArmor
    } else {
        Format::Binary
    };
    let mut out = Vec::new();
    let armored = ArmoredWriter::wrap_output(&mut out, format).expect("writes to memory");
    let mut writer = encryptor.wrap_output(armored).expect("writes to memory");
    writer.write_all(plaintext).expect("writes to memory");
    writer
        .finish()
        .and_then(ArmoredWriter::finish)
        .expect("writes to memory");
    out
}

/// Encrypts `plaintext` with a passphrase, at a low scrypt work factor to keep tests fast.
fn encrypt_with_passphrase(plaintext: &[u8], passphrase: &str) -> Vec<u8> {
    let mut recipient = ::age::scrypt::Recipient::new(SecretString::from(passphrase.to_owned()));
    recipient.set_work_factor(4);
    encrypt(plaintext, &[&recipient], false)
}

/// A fresh identity, written to `dir/name` with comments around it as `age-keygen` does.
fn identity_file(dir: &Path, name: &str) -> (::age::x25519::Identity, PathBuf) {
    let identity = ::age::x25519::Identity::generate();
    let text = format!(
        "# created: today\n# public key: {}\n{}\n",
        identity.to_public(),
        identity.to_string().expose_secret()
    );
    let path = write(dir, name, text.as_bytes());
    (identity, path)
}

fn with_identities(files: &[&Path]) -> SecretSources {
    SecretSources {
        identity_files: files.iter().map(|f| f.to_path_buf()).collect(),
        passphrase: None,
    }
}

fn with_passphrase(passphrase: &str) -> SecretSources {
    SecretSources {
        identity_files: Vec::new(),
        passphrase: Some(Zeroizing::new(passphrase.to_string())),
    }
}

fn subjects(certs: &[Certificate]) -> Vec<&str> {
    certs.iter().map(|c| c.subject.as_str()).collect()
}

fn plain_subjects() -> Vec<String> {
    let bundle = parse_bundle(BUNDLE, BundleSource::None);
    bundle.certs.iter().map(|c| c.subject.clone()).collect()
}

/// Asserts that no text shows a secret or plaintext: the passphrase, the given secrets,
/// an identity (`AGE-SECRET-KEY-1` followed by its key, not a placeholder), or a line of
/// the plaintext bundle.
fn assert_no_secret(text: &str, secrets: &[&str]) {
    let first_base64 = base64_lines(std::str::from_utf8(BUNDLE).unwrap_or_default())[0];
    for secret in secrets
        .iter()
        .chain(&[PASSPHRASE, "-----BEGIN CERTIFICATE", first_base64])
    {
        assert!(!text.contains(secret), "`{secret}` leaked into: {text}");
    }
    for (at, _) in text.match_indices("AGE-SECRET-KEY-1") {
        let next = text[at + "AGE-SECRET-KEY-1".len()..].chars().next();
        assert!(
            !next.is_some_and(|c| c.is_ascii_alphanumeric()),
            "an identity leaked into: {text}"
        );
    }
}

#[test]
fn bundle_encrypted_to_an_identity_decrypts_in_memory() {
    let dir = scratch();
    let (identity, key) = identity_file(dir.path(), "key.txt");
    let path = write(
        dir.path(),
        "ROOT-CA.crt.age",
        &encrypt(BUNDLE, &[&identity.to_public()], false),
    );

    let bundle = load_bundle_with(&path, &with_identities(&[&key])).expect("decrypts");

    assert_eq!(subjects(&bundle.certs), plain_subjects());
    assert_eq!(bundle.defects, Vec::new());
    assert_eq!(
        bundle.source,
        BundleSource::File(path.display().to_string())
    );
}

#[test]
fn armored_file_is_recognised_by_its_content_whatever_its_name() {
    let dir = scratch();
    let (other, other_key) = identity_file(dir.path(), "other.txt");
    let (identity, key) = identity_file(dir.path(), "key.txt");
    let recipients: [&dyn ::age::Recipient; 1] = [&identity.to_public()];
    let path = write(dir.path(), "ca.pem", &encrypt(BUNDLE, &recipients, true));
    drop(other);

    // The second identity file opens it: every identity of every file is tried.
    let secrets = with_identities(&[&other_key, &key]);
    let bytes = read_file(&path, "CA bundle", &secrets).expect("decrypts");

    assert_eq!(bytes.as_slice(), BUNDLE);
}

#[test]
fn passphrase_file_decrypts_with_the_passphrase() {
    let dir = scratch();
    let path = write(
        dir.path(),
        "ca.pem.age",
        &encrypt_with_passphrase(BUNDLE, PASSPHRASE),
    );

    let bundle = load_bundle_with(&path, &with_passphrase(PASSPHRASE)).expect("decrypts");

    assert_eq!(subjects(&bundle.certs), plain_subjects());
}

#[test]
fn wrong_identity_names_the_file_and_the_identities_tried() {
    let dir = scratch();
    let (identity, _) = identity_file(dir.path(), "right.txt");
    let (_, wrong) = identity_file(dir.path(), "wrong.txt");
    let path = write(
        dir.path(),
        "ca.pem.age",
        &encrypt(BUNDLE, &[&identity.to_public()], false),
    );

    let error = load_bundle_with(&path, &with_identities(&[&wrong])).expect_err("wrong key");

    assert!(
        matches!(error, InputError::AgeWrongSecret { .. }),
        "{error:?}"
    );
    let text = error.to_string();
    let expected = format!(
        "cannot read CA bundle `{}`: none of the given identities can decrypt it (tried `{}`)",
        path.display(),
        wrong.display()
    );
    assert!(text.starts_with(&expected), "{text}");
    assert_no_secret(&text, &[]);
    assert_no_secret(&format!("{error:?}"), &[]);
}

#[test]
fn wrong_passphrase_is_named_without_showing_it() {
    let dir = scratch();
    let path = write(
        dir.path(),
        "ca.pem.age",
        &encrypt_with_passphrase(BUNDLE, PASSPHRASE),
    );

    let wrong = "not the passphrase";
    let error = load_bundle_with(&path, &with_passphrase(wrong)).expect_err("wrong passphrase");

    assert!(
        matches!(
            error,
            InputError::AgeWrongSecret {
                lock: AgeLock::Passphrase,
                ..
            }
        ),
        "{error:?}"
    );
    let text = error.to_string();
    assert!(
        text.contains("the passphrase given (AGE_PASSPHRASE) does not decrypt it"),
        "{text}"
    );
    assert_no_secret(&text, &[wrong]);
    assert_no_secret(&format!("{error:?}"), &[wrong]);
}

#[test]
fn no_identity_and_no_passphrase_says_how_to_give_one() {
    let dir = scratch();
    let (identity, _) = identity_file(dir.path(), "key.txt");
    let path = write(
        dir.path(),
        "ROOT-CA.crt.age",
        &encrypt(BUNDLE, &[&identity.to_public()], false),
    );

    for error in [
        load_bundle(&path).expect_err("no secret"),
        read_file(&path, "client key", &SecretSources::default()).expect_err("no secret"),
    ] {
        assert!(matches!(error, InputError::AgeNoSecret { .. }), "{error:?}");
        let text = error.to_string();
        assert!(
            text.contains(&format!(
                "`{}`: it is age-encrypted; give --identity FILE, set AGE_IDENTITY or \
                 AGE_PASSPHRASE",
                path.display()
            )),
            "{text}"
        );
    }
}

#[test]
fn the_other_kind_of_secret_says_which_one_is_needed() {
    let dir = scratch();
    let (identity, key) = identity_file(dir.path(), "key.txt");
    let to_identity = write(
        dir.path(),
        "a.pem.age",
        &encrypt(BUNDLE, &[&identity.to_public()], false),
    );
    let to_passphrase = write(
        dir.path(),
        "b.pem.age",
        &encrypt_with_passphrase(BUNDLE, PASSPHRASE),
    );

    let error = load_bundle_with(&to_identity, &with_passphrase(PASSPHRASE)).expect_err("");
    assert!(
        error
            .to_string()
            .contains("it was encrypted to age identities, not a passphrase; give --identity"),
        "{error}"
    );

    let error = load_bundle_with(&to_passphrase, &with_identities(&[&key])).expect_err("");
    assert!(error.to_string().contains("set AGE_PASSPHRASE"), "{error}");
}

#[test]
fn truncated_ciphertext_is_a_clear_error() {
    let dir = scratch();
    let (identity, key) = identity_file(dir.path(), "key.txt");
    let whole = encrypt(BUNDLE, &[&identity.to_public()], false);
    let secrets = with_identities(&[&key]);

    // Cut inside the payload, then inside the header.
    for (name, cut, expected) in [
        (
            "payload.age",
            whole.len() - 40,
            "its encrypted data is damaged or truncated",
        ),
        ("header.age", 60, "it is not a valid age file"),
    ] {
        let path = write(dir.path(), name, &whole[..cut]);

        let error = load_bundle_with(&path, &secrets).expect_err("truncated");

        assert!(matches!(error, InputError::AgeCorrupt { .. }), "{error:?}");
        let text = error.to_string();
        assert!(text.contains(&path.display().to_string()), "{text}");
        assert!(text.contains(expected), "{text}");
        assert_no_secret(&text, &[]);
    }
}

#[test]
fn age_name_with_plaintext_content_is_refused_not_read() {
    // Choice: a `.age` name promises encryption; plaintext behind it is a mistake to show.
    let dir = scratch();
    let (_, key) = identity_file(dir.path(), "key.txt");
    let path = write(dir.path(), "ROOT-CA.crt.age", BUNDLE);

    let error = load_bundle_with(&path, &with_identities(&[&key])).expect_err("not age");

    assert!(matches!(error, InputError::AgeCorrupt { .. }), "{error:?}");
    let text = error.to_string();
    assert!(
        text.contains("its name ends in `.age` but it does not start with an age header"),
        "{text}"
    );
    assert_no_secret(&text, &[]);
}

#[test]
fn unusable_identity_files_are_named() {
    let dir = scratch();
    let (identity, _) = identity_file(dir.path(), "key.txt");
    let path = write(
        dir.path(),
        "ca.pem.age",
        &encrypt(BUNDLE, &[&identity.to_public()], false),
    );
    let missing = dir.path().join("missing.txt");
    let comments = write(dir.path(), "comments.txt", b"# nothing but a comment\n\n");
    let garbage = write(
        dir.path(),
        "garbage.txt",
        b"# a comment\nhunter2-secret-line\n",
    );
    let ssh = write(
        dir.path(),
        "id_ed25519",
        b"-----BEGIN OPENSSH PRIVATE KEY-----\n",
    );

    let error = load_bundle_with(&path, &with_identities(&[&missing])).expect_err("missing");
    assert!(
        matches!(error, InputError::AgeIdentityUnreadable { .. }),
        "{error:?}"
    );
    let text = error.to_string();
    assert!(text.contains(&missing.display().to_string()), "{text}");
    assert!(text.contains("check --identity or AGE_IDENTITY"), "{text}");

    for (file, expected) in [
        (&comments, "holds no age identity"),
        (&garbage, "contains non-identity data on line 2"),
        (&ssh, "SSH identities are not supported"),
    ] {
        let error = load_bundle_with(&path, &with_identities(&[file])).expect_err("unusable");
        assert!(
            matches!(error, InputError::AgeIdentityInvalid { .. }),
            "{error:?}"
        );
        let text = error.to_string();
        assert!(text.contains(&file.display().to_string()), "{text}");
        assert!(text.contains(expected), "{text}");
        assert_no_secret(&text, &["hunter2"]);
    }
}

#[test]
fn plaintext_inputs_ignore_broken_secrets() {
    let dir = scratch();
    let path = write(dir.path(), "ca.pem", BUNDLE);
    let secrets = with_identities(&[&dir.path().join("missing.txt")]);

    let bundle = load_bundle_with(&path, &secrets).expect("plaintext needs no secret");

    assert_eq!(subjects(&bundle.certs), plain_subjects());
}

#[test]
fn secret_sources_debug_hides_the_passphrase() {
    let mut secrets = with_passphrase(PASSPHRASE);
    secrets.identity_files.push(PathBuf::from("/keys/age.txt"));

    let debug = format!("{secrets:?}");

    assert_eq!(
        debug,
        "SecretSources { identity_files: [\"/keys/age.txt\"], passphrase: set }"
    );
    assert_eq!(
        format!("{:?}", SecretSources::default()),
        "SecretSources { identity_files: [], passphrase: unset }"
    );
}

#[test]
fn pinned_certificate_loads_one_certificate_plain_or_encrypted() {
    let dir = scratch();
    let pem = write(dir.path(), "dataconnect.crt", ROOT_PEM);
    let root = load_certificate(&pem, &SecretSources::default()).expect("one certificate");
    assert_eq!(root.subject, "CN=LAB-ROOT-CA");

    let der = write(dir.path(), "dataconnect.der", root.der());
    let (identity, key) = identity_file(dir.path(), "key.txt");
    let encrypted = write(
        dir.path(),
        "dataconnect.crt.age",
        &encrypt(ROOT_PEM, &[&identity.to_public()], true),
    );
    for path in [&der, &encrypted] {
        let cert = load_certificate(path, &with_identities(&[&key])).expect("one certificate");
        assert_eq!(cert, root);
    }
}

#[test]
fn pinned_certificate_refuses_none_or_several() {
    let dir = scratch();
    let two = write(dir.path(), "two.crt", BUNDLE);
    let none = write(dir.path(), "none.crt", b"\n");

    let error = load_certificate(&two, &SecretSources::default()).expect_err("two");
    assert!(matches!(
        error,
        InputError::SeveralCertificates { count: 2, .. }
    ));
    let text = error.to_string();
    assert!(
        text.starts_with(&format!(
            "cannot read pinned certificate `{}`: it holds 2 certificates",
            two.display()
        )),
        "{text}"
    );

    let error = load_certificate(&none, &SecretSources::default()).expect_err("none");
    assert!(matches!(error, InputError::NoCertificate { .. }));
    assert!(error.to_string().contains("it holds no certificate"));
}

/// Runs `openssl` with these arguments in `dir`.
fn openssl(dir: &Path, args: &[&str]) {
    let status = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("openssl runs");
    assert!(status.success(), "openssl {args:?} failed");
}

/// A self-signed client certificate for the key in `dir/key`, written to `dir/cert`.
fn openssl_cert(dir: &Path, key: &str, cert: &str) {
    openssl(
        dir,
        &[
            "req",
            "-new",
            "-x509",
            "-key",
            key,
            "-subj",
            "/CN=pxgrid-client",
            "-days",
            "2",
            "-out",
            cert,
        ],
    );
}

/// A PKCS#8 EC key and its self-signed certificate, made by rcgen.
fn rcgen_pair(dir: &Path, prefix: &str) -> (PathBuf, PathBuf, String) {
    let key = rcgen::KeyPair::generate().expect("invariant: P-256 keys generate");
    let params = rcgen::CertificateParams::new(vec!["pxgrid-client.example".to_string()])
        .expect("invariant: the name is valid");
    let cert = params
        .self_signed(&key)
        .expect("invariant: self-signing works");
    let key_pem = key.serialize_pem();
    let cert_path = write(dir, &format!("{prefix}.crt"), cert.pem().as_bytes());
    let key_path = write(dir, &format!("{prefix}.key"), key_pem.as_bytes());
    (cert_path, key_path, key_pem)
}

/// The base64 lines of a PEM text (the secret part of a key).
fn base64_lines(pem: &str) -> Vec<&str> {
    pem.lines().filter(|l| !l.starts_with("-----")).collect()
}

fn assert_debug_hides_key(identity: &ClientIdentity, key_pem: &str) {
    let debug = format!("{identity:?}");
    for line in base64_lines(key_pem) {
        assert!(!debug.contains(line), "key text leaked into {debug}");
    }
    let der = identity.key.secret_der();
    let bytes = format!("{:?}", &der[der.len() - 8..]);
    assert!(!debug.contains(bytes.trim_matches(['[', ']'])), "{debug}");
    assert!(debug.contains("(redacted)"), "{debug}");
}

#[test]
fn client_identity_with_a_pkcs8_key_from_rcgen() {
    let dir = scratch();
    let (cert, key, key_pem) = rcgen_pair(dir.path(), "pxgrid-client");

    let identity = load_client_identity(&cert, &key, &SecretSources::default()).expect("loads");

    assert!(matches!(identity.key, PrivateKeyDer::Pkcs8(_)));
    assert_eq!(identity.chain.len(), 1);
    assert_eq!(identity.cert_path, cert);
    assert_eq!(identity.key_path, key);
    assert_eq!(key_matches(&identity), Ok(true));
    assert_debug_hides_key(&identity, &key_pem);
}

#[test]
fn key_of_another_certificate_does_not_match() {
    let dir = scratch();
    let (cert, _, _) = rcgen_pair(dir.path(), "one");
    let (_, other_key, _) = rcgen_pair(dir.path(), "two");

    let identity = load_client_identity(&cert, &other_key, &SecretSources::default())
        .expect("both files load");

    assert_eq!(key_matches(&identity), Ok(false));
}

#[test]
fn client_identity_with_pkcs1_rsa_and_sec1_ec_keys_from_openssl() {
    let dir = scratch();
    let d = dir.path();
    openssl(d, &["genrsa", "-traditional", "-out", "rsa.key", "2048"]);
    openssl_cert(d, "rsa.key", "rsa.crt");
    openssl(
        d,
        &[
            "ecparam",
            "-name",
            "prime256v1",
            "-genkey",
            "-noout",
            "-out",
            "ec.key",
        ],
    );
    openssl_cert(d, "ec.key", "ec.crt");
    openssl(
        d,
        &["ec", "-in", "ec.key", "-outform", "DER", "-out", "sec1.der"],
    );
    let to_pkcs8 = [
        "pkcs8", "-topk8", "-nocrypt", "-in", "ec.key", "-outform", "DER",
    ];
    openssl(d, &[&to_pkcs8[..], &["-out", "p8.der"]].concat());

    for (cert, key, label) in [
        ("rsa.crt", "rsa.key", "RSA PRIVATE KEY"),
        ("ec.crt", "ec.key", "EC PRIVATE KEY"),
        ("ec.crt", "sec1.der", "SEC1 DER"),
        ("ec.crt", "p8.der", "PKCS#8 DER"),
    ] {
        // Empty for the DER files, which hold no text.
        let key_pem = std::fs::read_to_string(d.join(key)).unwrap_or_default();

        let identity = load_client_identity(&d.join(cert), &d.join(key), &SecretSources::default())
            .expect("loads");

        let kind_ok = matches!(
            (label, &identity.key),
            ("RSA PRIVATE KEY", PrivateKeyDer::Pkcs1(_))
                | ("EC PRIVATE KEY" | "SEC1 DER", PrivateKeyDer::Sec1(_))
                | ("PKCS#8 DER", PrivateKeyDer::Pkcs8(_))
        );
        assert!(kind_ok, "{key}: {identity:?}");
        assert_eq!(key_matches(&identity), Ok(true), "{key}");
        assert_debug_hides_key(&identity, &key_pem);
    }
}

#[test]
fn key_type_ring_cannot_load_is_an_err_not_a_mismatch() {
    let dir = scratch();
    let d = dir.path();
    openssl(
        d,
        &[
            "ecparam",
            "-name",
            "secp521r1",
            "-genkey",
            "-noout",
            "-out",
            "p521.key",
        ],
    );
    openssl_cert(d, "p521.key", "p521.crt");

    let identity = load_client_identity(
        &d.join("p521.crt"),
        &d.join("p521.key"),
        &SecretSources::default(),
    )
    .expect("loads");

    let reason = key_matches(&identity).expect_err("P-521 is not supported by ring");
    assert!(
        reason.starts_with("the private key type is not supported"),
        "{reason}"
    );
}

#[test]
fn client_identity_from_age_encrypted_files() {
    let dir = scratch();
    let (cert, key, key_pem) = rcgen_pair(dir.path(), "plain");
    let (identity, age_key) = identity_file(dir.path(), "age.txt");
    let recipient = identity.to_public();
    let read = |p: &Path| std::fs::read(p).expect("invariant: written above");
    let cert_age = write(
        dir.path(),
        "pxgrid-client.crt.age",
        &encrypt(&read(&cert), &[&recipient], true),
    );
    let key_age = write(
        dir.path(),
        "pxgrid-client.key.age",
        &encrypt(&read(&key), &[&recipient], false),
    );

    let loaded = load_client_identity(&cert_age, &key_age, &with_identities(&[&age_key]))
        .expect("decrypts both");

    assert_eq!(key_matches(&loaded), Ok(true));
    assert_eq!(loaded.key_path, key_age);
    assert_debug_hides_key(&loaded, &key_pem);

    let error = load_client_identity(&cert_age, &key_age, &SecretSources::default())
        .expect_err("no identity");
    assert!(
        error.to_string().starts_with(&format!(
            "cannot read client certificate `{}`: it is age-encrypted",
            cert_age.display()
        )),
        "{error}"
    );
}

#[cfg(unix)]
#[test]
fn key_mode_is_the_permission_bits_of_the_key_file() {
    use std::os::unix::fs::PermissionsExt as _;

    let dir = scratch();
    let (cert, key, _) = rcgen_pair(dir.path(), "client");
    for mode in [0o600, 0o644] {
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(mode))
            .expect("invariant: the file is ours");

        let identity = load_client_identity(&cert, &key, &SecretSources::default()).expect("loads");

        assert_eq!(identity.key_mode, Some(mode));
    }
}

#[test]
fn password_protected_keys_are_refused_with_the_conversion() {
    let dir = scratch();
    let d = dir.path();
    let (cert, _, _) = rcgen_pair(d, "client");
    openssl(d, &["genrsa", "-traditional", "-out", "rsa.key", "2048"]);
    let pass = "pass:s3cret-key-password";
    openssl(
        d,
        &[
            "pkcs8",
            "-topk8",
            "-in",
            "rsa.key",
            "-passout",
            pass,
            "-out",
            "pkcs8.key",
        ],
    );
    openssl(
        d,
        &[
            "pkcs8", "-topk8", "-in", "rsa.key", "-passout", pass, "-outform", "DER", "-out",
            "p8.der",
        ],
    );
    openssl(
        d,
        &[
            "rsa",
            "-in",
            "rsa.key",
            "-traditional",
            "-aes128",
            "-passout",
            pass,
            "-out",
            "legacy.key",
        ],
    );

    for key in ["pkcs8.key", "p8.der", "legacy.key"] {
        let path = d.join(key);
        let error =
            load_client_identity(&cert, &path, &SecretSources::default()).expect_err("encrypted");

        assert!(
            matches!(error, InputError::EncryptedPrivateKey { .. }),
            "{key}: {error:?}"
        );
        let text = error.to_string();
        assert!(
            text.starts_with(&format!(
                "cannot read client key `{}`: password-protected keys are not supported; \
                 decrypt it with `openssl pkey` into an age-encrypted file",
                path.display()
            )),
            "{text}"
        );
        assert_no_secret(&text, &["s3cret"]);
    }
}

#[test]
fn key_files_without_one_usable_key_are_named() {
    let dir = scratch();
    let d = dir.path();
    let (cert, key, key_pem) = rcgen_pair(d, "one");
    let (_, _, other_pem) = rcgen_pair(d, "two");
    let two_keys = write(
        d,
        "two-keys.pem",
        format!("{key_pem}{other_pem}").as_bytes(),
    );
    let no_key = write(d, "cert-only.pem", ROOT_PEM);
    let ssh = write(
        d,
        "id_ed25519",
        b"-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n",
    );
    let root = load_certificate(&write(d, "root.pem", ROOT_PEM), &SecretSources::default())
        .expect("one certificate");
    let cert_der = write(d, "cert.der", root.der());
    drop(key);

    for (path, expected) in [
        (&two_keys, "it holds 2 private keys"),
        (&no_key, "it holds no private key"),
        (&ssh, "it holds an OpenSSH private key"),
        (&cert_der, "it holds a DER certificate, not a private key"),
    ] {
        let error = load_client_identity(&cert, path, &SecretSources::default())
            .expect_err("no usable key");
        let text = error.to_string();
        assert!(
            text.contains(&format!("client key `{}`", path.display())),
            "{text}"
        );
        assert!(text.contains(expected), "{text}");
        for line in base64_lines(&key_pem) {
            assert!(!text.contains(line), "{text}");
        }
    }
}
