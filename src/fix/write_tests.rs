//! Tests of the safe writer on real files in a temp folder: mode and owner kept, backups
//! named and never overwritten, a changed file refused, age re-encryption (recipients and
//! passphrase) read back with [`crate::input::read_file`], failures that leave the
//! original and no temp file, and the pause before the rename used to test a kill.

use std::fs;
use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use ::age::secrecy::ExposeSecret as _;
use zeroize::Zeroizing;

use super::write::{Original, Seal, WriteError, Written, replace, replace_pausing, snapshot};
use crate::input::{
    SecretSources, parse_recipient, read_file, recipients_of, seal, seal_like, unseal,
};
use crate::model::Moment;

const ROOT_PEM: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/fixtures/pki/root.pem"
));
const BUNDLE: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/fixtures/pki/bundle-full.pem"
));
const PASSPHRASE: &str = "tr0ub4dor and more words";
const NAME: &str = "ROOT-CA.crt";

/// 2026-12-04T10:15:00Z.
fn now() -> Moment {
    Moment::parse_rfc3339("2026-12-04T10:15:00Z").expect("invariant: a valid RFC 3339 time")
}

/// A scratch folder, canonical (so paths compare with [`Written::path`]).
fn scratch() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("invariant: the temp directory is writable");
    let path = fs::canonicalize(dir.path()).expect("invariant: the temp directory exists");
    (dir, path)
}

/// Writes `dir/NAME` with `bytes` and `mode`.
fn original_file(dir: &Path, bytes: &[u8], mode: u32) -> PathBuf {
    let path = dir.join(NAME);
    fs::write(&path, bytes).expect("invariant: scratch is writable");
    fs::set_permissions(&path, fs::Permissions::from_mode(mode)).expect("chmod in scratch");
    path
}

fn is_root() -> bool {
    fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// The names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .expect("invariant: scratch is readable")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn temp_files(dir: &Path) -> Vec<String> {
    names(dir)
        .into_iter()
        .filter(|n| n.contains(".ise-doctor-tmp-"))
        .collect()
}

fn read(path: &Path) -> Vec<u8> {
    fs::read(path).expect("invariant: the file exists")
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path)
        .expect("invariant: the file exists")
        .mode()
        & 0o7777
}

fn take(snap: Result<Original, WriteError>) -> Original {
    snap.expect("the snapshot reads the file")
}

fn written(result: Result<Written, WriteError>) -> Written {
    result.unwrap_or_else(|e| panic!("replace failed: {e}"))
}

/// A fresh identity written to `dir/name`, as `age-keygen` writes it.
fn identity_file(dir: &Path, name: &str, count: usize) -> (Vec<::age::x25519::Identity>, PathBuf) {
    let identities: Vec<_> = (0..count)
        .map(|_| ::age::x25519::Identity::generate())
        .collect();
    let mut text = String::from("# created: today\n");
    for identity in &identities {
        text.push_str(&format!("# public key: {}\n", identity.to_public()));
        text.push_str(identity.to_string().expose_secret());
        text.push('\n');
    }
    let path = dir.join(name);
    fs::write(&path, text).expect("invariant: scratch is writable");
    (identities, path)
}

#[test]
fn replace_keeps_mode_and_owner_and_backs_up_under_a_timestamp() {
    let (_dir, dir) = scratch();
    let path = original_file(&dir, ROOT_PEM, 0o640);
    let owner = is_root().then_some((1234, 5678));
    if let Some((uid, gid)) = owner {
        std::os::unix::fs::chown(&path, Some(uid), Some(gid)).expect("root may chown");
    }

    let original = take(snapshot(&path));
    assert_eq!(original.mode, 0o640);
    let done = written(replace(&original, BUNDLE, &Seal::Plain, now()));

    assert_eq!(done.path, path);
    assert_eq!(done.backup, dir.join("ROOT-CA.crt.bak-20261204T101500Z"));
    assert_eq!(read(&path), BUNDLE);
    assert_eq!(read(&done.backup), ROOT_PEM);
    assert_eq!(mode(&path), 0o640);
    assert_eq!(mode(&done.backup), 0o640);
    if let Some((uid, gid)) = owner {
        assert!(done.ownership_kept);
        for file in [&path, &done.backup] {
            let meta = fs::metadata(file).expect("invariant: the file exists");
            assert_eq!((meta.uid(), meta.gid()), (uid, gid), "{}", file.display());
        }
    }
    assert_eq!(names(&dir), [NAME, "ROOT-CA.crt.bak-20261204T101500Z"]);
}

#[test]
fn a_second_replace_in_the_same_second_never_overwrites_a_backup() {
    let (_dir, dir) = scratch();
    let path = original_file(&dir, b"version 1\n", 0o644);
    let stamp = "ROOT-CA.crt.bak-20261204T101500Z";

    let first = written(replace(
        &take(snapshot(&path)),
        b"version 2\n",
        &Seal::Plain,
        now(),
    ));
    let second = written(replace(
        &take(snapshot(&path)),
        b"version 3\n",
        &Seal::Plain,
        now(),
    ));
    // A backup someone made by hand under the next name is kept too.
    fs::write(dir.join(format!("{stamp}-2")), b"by hand\n").expect("scratch is writable");
    let third = written(replace(
        &take(snapshot(&path)),
        b"version 4\n",
        &Seal::Plain,
        now(),
    ));

    assert_eq!(first.backup, dir.join(stamp));
    assert_eq!(second.backup, dir.join(format!("{stamp}-1")));
    assert_eq!(third.backup, dir.join(format!("{stamp}-3")));
    assert_eq!(read(&first.backup), b"version 1\n");
    assert_eq!(read(&second.backup), b"version 2\n");
    assert_eq!(read(&dir.join(format!("{stamp}-2"))), b"by hand\n");
    assert_eq!(read(&third.backup), b"version 3\n");
    assert_eq!(read(&path), b"version 4\n");
}

#[test]
fn a_file_changed_since_it_was_read_is_refused_and_nothing_is_written() {
    let (_dir, dir) = scratch();
    let path = original_file(&dir, b"AAAA\n", 0o644);
    let original = take(snapshot(&path));

    // Same size and, restored by hand, the same mtime: only the content tells.
    let mtime = fs::metadata(&path)
        .and_then(|m| m.modified())
        .expect("mtime");
    fs::write(&path, b"BBBB\n").expect("scratch is writable");
    fs::File::options()
        .write(true)
        .open(&path)
        .and_then(|f| f.set_modified(mtime))
        .expect("set the mtime back");

    let error = replace(&original, b"new\n", &Seal::Plain, now()).expect_err("changed");
    assert!(matches!(error, WriteError::Changed { .. }), "{error:?}");
    let message = error.to_string();
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(
        message.contains("changed since it was read; re-run fix"),
        "{message}"
    );
    assert_eq!(read(&path), b"BBBB\n");
    assert_eq!(names(&dir), [NAME]);

    // A file that is gone counts as changed.
    fs::remove_file(&path).expect("scratch is writable");
    let error = replace(&original, b"new\n", &Seal::Plain, now()).expect_err("removed");
    assert!(matches!(error, WriteError::Changed { .. }), "{error:?}");
    assert!(names(&dir).is_empty());
}

#[test]
fn an_age_bundle_is_re_encrypted_to_the_recipient_of_the_identity_that_opened_it() {
    let (_dir, dir) = scratch();
    // Two identities in the file; the bundle was encrypted to the first one only.
    let (identities, keys) = identity_file(&dir, "keys.txt", 2);
    let opener = identities[0].to_public();
    let encrypted = seal(ROOT_PEM, &Seal::AgeRecipients(vec![opener.clone()]))
        .expect("encrypts to a recipient");
    let path = dir.join("ROOT-CA.crt.age");
    fs::write(&path, &*encrypted).expect("scratch is writable");
    let secrets = SecretSources {
        identity_files: vec![keys.clone()],
        passphrase: None,
    };

    let both = recipients_of(std::slice::from_ref(&keys)).expect("reads the identities");
    assert_eq!(both, [opener.clone(), identities[1].to_public()]);

    let original = take(snapshot(&path));
    let how = seal_like(&path, "CA bundle", &original.bytes, &secrets).expect("opens");
    let Seal::AgeRecipients(recipients) = &how else {
        panic!("expected recipients, got {how:?}");
    };
    assert_eq!(recipients, std::slice::from_ref(&opener));
    let opened = unseal(&path, "CA bundle", &original.bytes, &secrets).expect("opens");
    assert_eq!(opened.as_slice(), ROOT_PEM);

    let done = written(replace(&original, BUNDLE, &how, now()));
    let on_disk = read(&path);
    assert!(on_disk.starts_with(b"age-encryption.org/v1\n"));
    assert!(memchr::memmem::find(&on_disk, b"BEGIN CERTIFICATE").is_none());
    let back = read_file(&path, "CA bundle", &secrets).expect("decrypts with the identity");
    assert_eq!(back.as_slice(), BUNDLE);
    assert_eq!(read(&done.backup), encrypted.as_slice());
    assert_eq!(
        done.backup,
        dir.join("ROOT-CA.crt.age.bak-20261204T101500Z")
    );

    // Only the identity that opened it can open the new file.
    let only_second = dir.join("second.txt");
    let second = identities[1].to_string();
    fs::write(&only_second, format!("{}\n", second.expose_secret())).expect("writable");
    let other = SecretSources {
        identity_files: vec![only_second],
        passphrase: None,
    };
    assert!(read_file(&path, "CA bundle", &other).is_err());
}

#[test]
fn a_passphrase_bundle_is_re_encrypted_with_the_passphrase() {
    let (_dir, dir) = scratch();
    let secrets = SecretSources {
        identity_files: Vec::new(),
        passphrase: Some(Zeroizing::new(PASSPHRASE.to_string())),
    };
    let locked = Seal::AgePassphrase(Zeroizing::new(PASSPHRASE.to_string()));
    assert_eq!(format!("{locked:?}"), "AgePassphrase(<hidden>)");

    let encrypted = seal(ROOT_PEM, &locked).expect("encrypts with a passphrase");
    let path = dir.join("bundle.pem.age");
    fs::write(&path, &*encrypted).expect("scratch is writable");
    fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).expect("chmod");

    let original = take(snapshot(&path));
    let how = seal_like(&path, "CA bundle", &original.bytes, &secrets).expect("opens");
    assert!(matches!(how, Seal::AgePassphrase(_)), "{how:?}");
    written(replace(&original, BUNDLE, &how, now()));

    let back = read_file(&path, "CA bundle", &secrets).expect("decrypts with the passphrase");
    assert_eq!(back.as_slice(), BUNDLE);
    assert_eq!(mode(&path), 0o600);
}

#[test]
fn a_plain_file_is_sealed_plain_and_recipients_parse() {
    let (_dir, dir) = scratch();
    let path = original_file(&dir, ROOT_PEM, 0o644);
    let how = seal_like(&path, "CA bundle", ROOT_PEM, &SecretSources::default());
    assert!(matches!(how, Ok(Seal::Plain)), "{how:?}");

    let recipient = ::age::x25519::Identity::generate().to_public();
    let parsed = parse_recipient(&format!(" {recipient}\n")).expect("a valid recipient");
    assert_eq!(parsed, recipient);
    let error = parse_recipient("age1nope").expect_err("not a recipient");
    assert!(
        error.contains("`age1nope`") && error.contains("age-keygen -y"),
        "{error}"
    );
}

#[test]
fn an_invalid_seal_leaves_the_original_and_writes_nothing() {
    let (_dir, dir) = scratch();
    let path = original_file(&dir, ROOT_PEM, 0o640);
    let original = take(snapshot(&path));

    let nobody = Seal::AgeRecipients(Vec::new());
    let error = replace(&original, BUNDLE, &nobody, now()).expect_err("no recipient");
    assert!(matches!(error, WriteError::Seal { .. }), "{error:?}");
    let message = error.to_string();
    assert!(
        message.contains("--recipient") && message.contains(NAME),
        "{message}"
    );
    assert!(!message.contains("BEGIN CERTIFICATE"), "{message}");
    assert_eq!(read(&path), ROOT_PEM);
    assert_eq!(names(&dir), [NAME]);
}

#[test]
fn a_failure_after_the_temp_file_is_written_removes_it_and_the_backup() {
    let (_dir, dir) = scratch();
    let path = original_file(&dir, ROOT_PEM, 0o640);
    let original = take(snapshot(&path));

    // The fault hook cannot create its marker: the write fails after the temp file and
    // the backup exist, before the rename.
    let marker = dir.join("missing-folder").join("marker");
    let error = replace_pausing(&original, BUNDLE, &Seal::Plain, now(), Some(&marker))
        .expect_err("the marker cannot be created");
    assert!(matches!(error, WriteError::FaultHook { .. }), "{error:?}");
    assert!(error.to_string().contains("left as it was"), "{error}");
    assert_eq!(read(&path), ROOT_PEM);
    assert_eq!(names(&dir), [NAME]);
}

#[test]
fn temp_names_left_by_a_killed_run_are_skipped() {
    let (_dir, dir) = scratch();
    let path = original_file(&dir, ROOT_PEM, 0o644);
    let stale = format!(".{NAME}.ise-doctor-tmp-{}", std::process::id());
    fs::write(dir.join(&stale), b"half a bundle").expect("scratch is writable");
    fs::create_dir(dir.join(format!("{stale}-1"))).expect("scratch is writable");

    written(replace(&take(snapshot(&path)), BUNDLE, &Seal::Plain, now()));
    assert_eq!(read(&path), BUNDLE);
    assert_eq!(read(&dir.join(&stale)), b"half a bundle");
    assert_eq!(temp_files(&dir), [stale.clone(), format!("{stale}-1")]);
}

#[test]
fn a_symbolic_link_is_followed_and_kept() {
    let (_dir, dir) = scratch();
    let real = original_file(&dir, ROOT_PEM, 0o644);
    let link = dir.join("current.pem");
    std::os::unix::fs::symlink(NAME, &link).expect("scratch is writable");

    let done = written(replace(&take(snapshot(&link)), BUNDLE, &Seal::Plain, now()));
    assert_eq!(done.path, real);
    assert!(fs::symlink_metadata(&link).is_ok_and(|m| m.file_type().is_symlink()));
    assert_eq!(read(&link), BUNDLE);
    assert_eq!(read(&done.backup), ROOT_PEM);
}

/// Waits until `path` exists, for at most 10 s.
fn wait_for(path: &Path) {
    let started = Instant::now();
    while !path.exists() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no marker appeared"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn the_fault_hook_pauses_with_the_temp_file_complete_and_the_original_intact() {
    let (_dir, dir) = scratch();
    let path = original_file(&dir, ROOT_PEM, 0o640);
    let marker = dir.join("paused");
    let original = take(snapshot(&path));

    let writer = {
        let marker = marker.clone();
        std::thread::spawn(move || {
            replace_pausing(&original, BUNDLE, &Seal::Plain, now(), Some(&marker))
        })
    };
    wait_for(&marker);

    // Between the write and the rename: a kill now leaves exactly this.
    assert_eq!(read(&path), ROOT_PEM);
    let temps = temp_files(&dir);
    assert_eq!(temps.len(), 1, "{temps:?}");
    let temp = dir.join(&temps[0]);
    assert_eq!(read(&temp), BUNDLE);
    assert_eq!(mode(&temp), 0o640);
    assert_eq!(
        read(&dir.join("ROOT-CA.crt.bak-20261204T101500Z")),
        ROOT_PEM
    );

    fs::remove_file(&marker).expect("the marker exists");
    let done = written(writer.join().expect("the writer thread does not panic"));
    assert_eq!(read(&done.path), BUNDLE);
    assert!(temp_files(&dir).is_empty());
}

#[test]
fn a_change_during_the_write_is_refused_before_the_rename() {
    let (_dir, dir) = scratch();
    let path = original_file(&dir, ROOT_PEM, 0o644);
    let marker = dir.join("paused");
    let original = take(snapshot(&path));

    let writer = {
        let marker = marker.clone();
        std::thread::spawn(move || {
            replace_pausing(&original, BUNDLE, &Seal::Plain, now(), Some(&marker))
        })
    };
    wait_for(&marker);
    fs::write(&path, b"edited by hand meanwhile\n").expect("scratch is writable");
    fs::remove_file(&marker).expect("the marker exists");

    let error = writer
        .join()
        .expect("the writer thread does not panic")
        .expect_err("the file changed");
    assert!(matches!(error, WriteError::Changed { .. }), "{error:?}");
    assert_eq!(read(&path), b"edited by hand meanwhile\n");
    assert_eq!(names(&dir), [NAME]);
}
