//! `ise-doctor fix` end to end: the built binary, real TLS servers on 127.0.0.1, an AIA
//! server on 127.0.0.1 and real files in the documented store layout
//! (`<tmp>/certs/lab/ise/ROOT-CA.crt`, `<tmp>/certs/ca/LAB-CA-CHAIN.pem`).
//!
//! Every run passes `--no-fetch` except those that serve the AIA URL themselves.

use std::fs;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::thread;
use std::time::{Duration, Instant};

use ::age::secrecy::ExposeSecret as _;
use ise_doctor::sim::http::{self, Routes};
use ise_doctor::sim::{Issued, LeafSpec, PkiBuilder, Validity};
use serde_json::Value;

use crate::support::{HOST, Lab, Output, Run, serve};

/// The lab PKI and a cert store `<tmp>/certs` in the documented layout.
struct Store {
    lab: Lab,
}

impl Store {
    fn new() -> Store {
        let store = Store { lab: Lab::new() };
        fs::create_dir_all(store.ise()).expect("the lab folder is writable");
        fs::create_dir_all(store.certs().join("ca")).expect("the lab folder is writable");
        store
    }

    fn certs(&self) -> PathBuf {
        self.lab.path("certs")
    }

    fn ise(&self) -> PathBuf {
        self.certs().join("lab/ise")
    }

    /// `<certs>/lab/ise/ROOT-CA.crt`.
    fn bundle(&self) -> PathBuf {
        self.ise().join("ROOT-CA.crt")
    }

    /// Writes the bundle (mode 0640) and returns its path.
    fn write_bundle(&self, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.bundle();
        fs::write(&path, contents).expect("the lab folder is writable");
        chmod(&path, 0o640);
        path
    }

    /// The root-only bundle, the usual client set-up.
    fn root_bundle(&self) -> PathBuf {
        self.write_bundle(self.lab.pki.root.pem())
    }

    /// `<certs>/ca/LAB-CA-CHAIN.pem`: root then intermediate, as the CA delivered them.
    fn chain_backup(&self, intermediate: &Issued) -> PathBuf {
        let path = self.certs().join("ca/LAB-CA-CHAIN.pem");
        let pem = self.lab.pki.root.pem() + &intermediate.pem();
        fs::write(&path, pem).expect("the lab folder is writable");
        path
    }

    /// The files of the bundle's folder whose names start with `prefix`.
    fn siblings(&self, prefix: &str) -> Vec<PathBuf> {
        let mut found: Vec<PathBuf> = fs::read_dir(self.ise())
            .expect("the bundle folder is readable")
            .map(|e| e.expect("a readable entry").path())
            .filter(|p| name_of(p).starts_with(prefix))
            .collect();
        found.sort();
        found
    }

    fn backups(&self) -> Vec<PathBuf> {
        self.siblings("ROOT-CA.crt.bak-")
    }
}

fn name_of(path: &Path) -> String {
    path.file_name()
        .expect("a file name")
        .to_string_lossy()
        .into_owned()
}

fn chmod(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).expect("chmod works");
}

fn mode_of(path: &Path) -> u32 {
    fs::metadata(path)
        .expect("the file exists")
        .permissions()
        .mode()
        & 0o7777
}

fn path_str(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

fn read(path: &Path) -> Vec<u8> {
    fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// The DER of every certificate in a PEM file, in file order.
fn pem_certs(bytes: &[u8]) -> Vec<Vec<u8>> {
    let text = std::str::from_utf8(bytes).expect("a PEM bundle is text");
    assert!(
        text.starts_with("-----BEGIN CERTIFICATE-----"),
        "not a PEM bundle:\n{text}"
    );
    pem::parse_many(text)
        .expect("the bundle is valid PEM")
        .into_iter()
        .inspect(|block| assert_eq!(block.tag(), "CERTIFICATE", "only certificates"))
        .map(|block| block.contents().to_vec())
        .collect()
}

fn ders(certs: &[&Issued]) -> Vec<Vec<u8>> {
    certs.iter().map(|c| c.der().to_vec()).collect()
}

/// `fix HOST:PORT --ca BUNDLE --resolve HOST:PORT:127.0.0.1`.
fn fix(port: u16, bundle: &Path) -> Run {
    Run::new(["fix", &format!("{HOST}:{port}"), "--ca", &path_str(bundle)]).resolve(HOST, port)
}

fn repair(out: &Output) -> &Value {
    let repair = &out.json()["repair"];
    assert!(
        repair.is_object(),
        "no repair section\n{}",
        out.transcript()
    );
    repair
}

fn list<'a>(repair: &'a Value, key: &str) -> &'a Vec<Value> {
    repair[key]
        .as_array()
        .unwrap_or_else(|| panic!("repair.{key} is an array: {repair}"))
}

/// The subjects of `repair.result[]`, in file order.
fn result_subjects(repair: &Value) -> Vec<&str> {
    list(repair, "result")
        .iter()
        .map(|c| c["subject"].as_str().expect("a subject"))
        .collect()
}

/// What `not_written` says when an issuer is still missing.
const NO_REPAIR: &str = "no acceptable repair";
/// What `not_written` says when the bundle needs no change.
const NOTHING: &str = "nothing to change";

/// Asserts that nothing was written: the file is `before`, no backup, and `not_written`
/// gives the reason (containing `reason`).
fn assert_not_written(store: &Store, out: &Output, before: &[u8], reason: &str) {
    let repair = repair(out);
    assert!(repair["written"].is_null(), "{}", out.transcript());
    let said = repair["not_written"].as_str().unwrap_or_default();
    assert!(
        said.contains(reason),
        "not_written should say {reason:?}\n{}",
        out.transcript()
    );
    assert_eq!(read(&store.bundle()), before, "the bundle is untouched");
    assert!(
        store.backups().is_empty(),
        "no backup: {:?}",
        store.backups()
    );
}

/// The one addition of a plan, checked against `cert`.
fn the_addition<'a>(out: &'a Output, cert: &Issued) -> &'a Value {
    let additions = list(repair(out), "additions");
    assert_eq!(additions.len(), 1, "one addition\n{}", out.transcript());
    let addition = &additions[0];
    assert_eq!(addition["subject"], subject(cert), "{}", out.transcript());
    assert_eq!(addition["sha256"], cert.sha256(), "{}", out.transcript());
    addition
}

/// The codes of the `bundle` section's findings.
fn bundle_codes(out: &Output) -> Vec<&str> {
    out.json()["bundle"]["findings"]
        .as_array()
        .expect("bundle.findings is an array")
        .iter()
        .map(|f| f["code"].as_str().expect("a code"))
        .collect()
}

fn subject(cert: &Issued) -> String {
    cert.certificate().subject
}

/// The one refusal of a plan: the forged certificate, with a reason.
fn the_refusal<'a>(out: &'a Output, forged: &Issued) -> &'a Value {
    let refused = list(repair(out), "refused");
    let refusal = refused
        .iter()
        .find(|r| r["sha256"] == forged.sha256())
        .unwrap_or_else(|| panic!("the forged CA is refused\n{}", out.transcript()));
    assert_eq!(refusal["subject"], "CN=LAB-ISSUING-CA");
    let reason = refusal["reason"].as_str().expect("a reason");
    assert!(reason.contains("forged or stale"), "{reason}");
    refusal
}

// 1. The classic case, repaired from the store's chain backup.

#[test]
fn classic_case_from_the_store_backup_goes_from_2_to_1_to_0() {
    let store = Store::new();
    let pki = &store.lab.pki;
    let bundle = store.root_bundle();
    let original = read(&bundle);
    let backup_file = store.chain_backup(&pki.intermediate);
    let server = serve(&[&pki.leaf], &pki.leaf);

    // The dry run: exit 2 (the bundle is broken now), the plan names the backup file.
    let out = fix(server.port(), &bundle).arg("--no-fetch").json().code(2);
    let plan = repair(&out);
    assert_eq!(plan["dry_run"], true);
    assert_eq!(plan["changes"], true);
    assert_eq!(plan["bundle"], path_str(&bundle));
    let added = the_addition(&out, &pki.intermediate);
    assert_eq!(added["source"]["kind"], "store-file");
    assert_eq!(added["source"]["path"], path_str(&backup_file));
    assert!(list(plan, "refused").is_empty(), "{}", out.transcript());
    assert!(list(plan, "unresolved").is_empty(), "{}", out.transcript());
    assert_eq!(
        result_subjects(plan),
        ["CN=LAB-ISSUING-CA", "CN=LAB-ROOT-CA"]
    );
    assert!(plan["written"].is_null());
    out.finding("chain.missing-intermediate");
    assert_eq!(read(&bundle), original, "a dry run writes nothing");
    assert!(store.backups().is_empty());

    // --write: exit 1, only the server-side half remains.
    let out = fix(server.port(), &bundle)
        .args(["--no-fetch", "--write"])
        .json()
        .code(1);
    out.only(&["chain.server-omits-intermediate"]);
    let plan = repair(&out);
    assert_eq!(plan["dry_run"], false);
    assert!(plan["not_written"].is_null(), "{}", out.transcript());
    the_addition(&out, &pki.intermediate);
    let written = &plan["written"];
    let backups = store.backups();
    assert_eq!(backups.len(), 1, "one backup: {backups:?}");
    assert_eq!(written["path"], path_str(&bundle));
    assert_eq!(written["backup"], path_str(&backups[0]));
    assert_eq!(
        read(&backups[0]),
        original,
        "the backup holds the original bytes"
    );
    assert_eq!(
        pem_certs(&read(&bundle)),
        ders(&[&pki.intermediate, &pki.root]),
        "issuing CA then root"
    );
    assert_eq!(mode_of(&bundle), 0o640, "the mode is kept");
    assert_eq!(
        out.json()["bundle"]["count"],
        2,
        "the re-check read the new file"
    );

    // ISE's half: the server sends the full chain, and the repaired bundle validates it.
    let full = serve(&[&pki.leaf, &pki.intermediate], &pki.leaf);
    Run::check(full.port(), &path_str(&bundle))
        .json()
        .code(0)
        .no_findings();
}

// 2. The classic case, repaired from the leaf's AIA URL on loopback.

#[test]
fn classic_case_from_an_aia_url_on_loopback() {
    let store = Store::new();
    let pki = &store.lab.pki;
    let aia = http::spawn_background(Routes::new().file(
        "/LAB-ISSUING-CA.crt",
        "application/pkix-cert",
        pki.intermediate.der(),
    ))
    .expect("an HTTP server can listen on 127.0.0.1");
    let url = aia.url("/LAB-ISSUING-CA.crt");
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let leaf = pki
        .issue_leaf(&LeafSpec::dns(&[HOST]).with_ca_issuers(&url))
        .expect("the leaf is issued");
    let server = serve(&[&leaf], &leaf);
    let bundle = store.root_bundle();
    let original = read(&bundle);

    // --no-fetch: the issuer stays missing, its URL named; nothing is fetched or written.
    let out = fix(server.port(), &bundle)
        .args(["--no-fetch", "--write"])
        .json()
        .code(2);
    let plan = repair(&out);
    assert!(list(plan, "additions").is_empty(), "{}", out.transcript());
    let unresolved = list(plan, "unresolved");
    assert_eq!(unresolved.len(), 1, "{}", out.transcript());
    assert_eq!(unresolved[0]["missing"], "CN=LAB-ISSUING-CA");
    assert_eq!(unresolved[0]["ca_issuers"][0], url);
    assert_not_written(&store, &out, &original, NO_REPAIR);
    assert_eq!(aia.requests(), 0, "--no-fetch fetches nothing");

    // Fetching allowed: the dry run names the URL the intermediate comes from.
    let out = fix(server.port(), &bundle).code(2);
    out.stdout_has("+ add `CN=LAB-ISSUING-CA`")
        .stdout_has("from AIA http://127.0.0.1:")
        .stdout_has("resulting bundle: LAB-ISSUING-CA → LAB-ROOT-CA");
    assert_eq!(aia.requests(), 1);
    assert_eq!(read(&bundle), original, "a dry run writes nothing");

    // --write: added from the AIA URL, exit 1.
    let out = fix(server.port(), &bundle).arg("--write").json().code(1);
    out.only(&["chain.server-omits-intermediate"]);
    let added = the_addition(&out, &pki.intermediate);
    assert_eq!(added["source"]["kind"], "aia");
    assert_eq!(added["source"]["url"], url);
    assert_eq!(aia.requests(), 2);
    assert_eq!(
        pem_certs(&read(&bundle)),
        ders(&[&pki.intermediate, &pki.root])
    );
    assert_eq!(store.backups().len(), 1);

    // Repaired: nothing is missing any more, so nothing is fetched.
    let out = fix(server.port(), &bundle).json().code(1);
    assert_eq!(repair(&out)["changes"], false);
    assert_eq!(aia.requests(), 2);
}

// 3. A forged intermediate (same name, another key) is refused wherever it comes from.

#[test]
fn forged_intermediate_in_a_store_file_is_refused() {
    let store = Store::new();
    let pki = &store.lab.pki;
    let forged = pki.stale_intermediate().expect("the forged CA is issued");
    let backup_file = store.chain_backup(&forged);
    let bundle = store.root_bundle();
    let original = read(&bundle);
    let server = serve(&[&pki.leaf], &pki.leaf);

    let out = fix(server.port(), &bundle)
        .args(["--no-fetch", "--write"])
        .json()
        .code(2);
    let refusal = the_refusal(&out, &forged);
    assert_eq!(refusal["source"]["kind"], "store-file");
    assert_eq!(refusal["source"]["path"], path_str(&backup_file));
    assert!(list(repair(&out), "additions").is_empty());
    assert_eq!(list(repair(&out), "unresolved").len(), 1);
    assert_not_written(&store, &out, &original, NO_REPAIR);
}

#[test]
fn forged_intermediate_sent_by_the_server_is_refused() {
    let store = Store::new();
    let pki = &store.lab.pki;
    let forged = pki.stale_intermediate().expect("the forged CA is issued");
    let bundle = store.root_bundle();
    let original = read(&bundle);
    let server = serve(&[&pki.leaf, &forged], &pki.leaf);

    let out = fix(server.port(), &bundle)
        .args(["--no-fetch", "--write"])
        .json()
        .code(2);
    let refusal = the_refusal(&out, &forged);
    assert_eq!(refusal["source"]["kind"], "presented");
    assert_eq!(refusal["source"]["position"], 1);
    assert!(list(repair(&out), "additions").is_empty());
    assert_not_written(&store, &out, &original, NO_REPAIR);

    // In the human plan too.
    let out = fix(server.port(), &bundle).arg("--no-fetch").code(2);
    out.stdout_has("✘ refused `CN=LAB-ISSUING-CA`");
}

#[test]
fn forged_intermediate_given_with_from_is_refused() {
    let store = Store::new();
    let pki = &store.lab.pki;
    let forged = pki.stale_intermediate().expect("the forged CA is issued");
    let from = store.lab.write("offered.pem", forged.pem());
    let bundle = store.root_bundle();
    let original = read(&bundle);
    let server = serve(&[&pki.leaf], &pki.leaf);

    let out = fix(server.port(), &bundle)
        .args(["--no-fetch", "--write", "--from", &from])
        .json()
        .code(2);
    let refusal = the_refusal(&out, &forged);
    assert_eq!(refusal["source"]["kind"], "from-file");
    assert_eq!(refusal["source"]["path"], from);
    assert_not_written(&store, &out, &original, NO_REPAIR);
}

// 4. A root is added only when named with --trust-root.

#[test]
fn a_new_root_needs_trust_root() {
    let store = Store::new();
    let pki = &store.lab.pki;
    let other = PkiBuilder::new()
        .root_cn("OTHER-ROOT-CA")
        .issuing_cn("OTHER-ISSUING-CA")
        .build()
        .expect("the other PKI is built");
    let root_file = store.certs().join("ca/LAB-ROOT-CA.pem");
    fs::write(&root_file, pki.root.pem()).expect("the lab folder is writable");
    let bundle = store.write_bundle(other.root.pem());
    let original = read(&bundle);
    let server = serve(&[&pki.leaf, &pki.intermediate], &pki.leaf);

    let out = fix(server.port(), &bundle)
        .args(["--no-fetch", "--write"])
        .json()
        .code(2);
    let plan = repair(&out);
    let refused = list(plan, "refused");
    let refusal = refused
        .iter()
        .find(|r| r["sha256"] == pki.root.sha256())
        .unwrap_or_else(|| panic!("the root is refused\n{}", out.transcript()));
    assert_eq!(refusal["source"]["kind"], "store-file");
    let reason = refusal["reason"].as_str().expect("a reason");
    assert!(
        reason.contains(&format!("--trust-root {}", pki.root.sha256())),
        "{reason}"
    );
    assert!(list(plan, "additions").is_empty());
    assert_not_written(&store, &out, &original, NO_REPAIR);

    // Named out of band (any spelling of the fingerprint): added, and webpki accepts.
    let fingerprint = pki.root.sha256().replace(':', "").to_ascii_lowercase();
    let out = fix(server.port(), &bundle)
        .args(["--no-fetch", "--write", "--trust-root", &fingerprint])
        .json()
        .code(0);
    out.status("ok");
    assert_eq!(out.target(0).value["trusted"], true, "{}", out.transcript());
    let added = the_addition(&out, &pki.root);
    assert_eq!(added["source"]["path"], path_str(&root_file));
    let on_disk = pem_certs(&read(&bundle));
    assert_eq!(on_disk.len(), 2);
    assert!(on_disk.contains(&pki.root.der().to_vec()));
    assert!(
        on_disk.contains(&other.root.der().to_vec()),
        "nothing is removed"
    );
    assert_eq!(store.backups().len(), 1);
}

// 5. A write killed between the temp file and the rename leaves the original intact.

#[test]
fn a_write_killed_before_the_rename_leaves_the_original_intact() {
    let store = Store::new();
    let pki = &store.lab.pki;
    store.chain_backup(&pki.intermediate);
    let bundle = store.root_bundle();
    let original = read(&bundle);
    let server = serve(&[&pki.leaf], &pki.leaf);
    let marker = store.lab.path("paused");

    let run = fix(server.port(), &bundle).args(["--no-fetch", "--write"]);
    let mut child = paused_at_the_rename(run, &marker);
    let temps = store.siblings(".ROOT-CA.crt.ise-doctor-tmp-");
    assert_eq!(temps.len(), 1, "the temp file is complete before the pause");
    assert_eq!(
        pem_certs(&read(&temps[0])),
        ders(&[&pki.intermediate, &pki.root])
    );
    child.kill().expect("the paused child can be killed");
    child.wait().expect("the killed child is reaped");

    assert_eq!(read(&bundle), original, "the original is byte-identical");
    assert_eq!(mode_of(&bundle), 0o640);
    // At most the temp file (and the backup) are left behind.
    let leftovers = store.siblings(".ROOT-CA.crt.ise-doctor-tmp-");
    assert!(leftovers.len() <= 1, "{leftovers:?}");

    // A normal run then succeeds, leftovers notwithstanding.
    let out = fix(server.port(), &bundle)
        .args(["--no-fetch", "--write"])
        .json()
        .code(1);
    out.only(&["chain.server-omits-intermediate"]);
    the_addition(&out, &pki.intermediate);
    assert_eq!(
        pem_certs(&read(&bundle)),
        ders(&[&pki.intermediate, &pki.root])
    );
    let backup = out.json()["repair"]["written"]["backup"]
        .as_str()
        .expect("a backup path");
    assert_eq!(read(Path::new(backup)), original);
}

/// Starts `run` with the pause before the rename and waits until it is paused there.
fn paused_at_the_rename(run: Run, marker: &Path) -> std::process::Child {
    let mut child = run
        .command()
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .env("ISE_DOCTOR_FAULT_PAUSE_BEFORE_RENAME", marker)
        .spawn()
        .expect("the ise-doctor binary starts");
    let started = Instant::now();
    while !marker.exists() {
        let exited = child.try_wait().expect("waiting on the child works");
        if exited.is_some() || started.elapsed() > Duration::from_secs(10) {
            let _ = child.kill();
            panic!("fix never reached the pause before the rename ({exited:?})");
        }
        thread::sleep(Duration::from_millis(5));
    }
    child
}

#[test]
fn a_file_changed_while_fix_runs_is_not_overwritten() {
    let store = Store::new();
    let pki = &store.lab.pki;
    store.chain_backup(&pki.intermediate);
    let bundle = store.root_bundle();
    let server = serve(&[&pki.leaf], &pki.leaf);
    let marker = store.lab.path("paused");

    let run = fix(server.port(), &bundle).args(["--no-fetch", "--write"]);
    let mut child = paused_at_the_rename(run, &marker);
    // Someone edits the bundle meanwhile; then fix goes on.
    let edited = pki.root.pem() + &pki.intermediate.pem() + &pki.root.pem();
    fs::write(&bundle, &edited).expect("the lab folder is writable");
    fs::remove_file(&marker).expect("the marker can be removed");
    let status = child.wait().expect("the child exits");

    assert_eq!(status.code(), Some(3), "a refusal to overwrite is an error");
    assert_eq!(read(&bundle), edited.as_bytes(), "the edit is kept");
    assert!(store.backups().is_empty(), "{:?}", store.backups());
    let temps = store.siblings(".ROOT-CA.crt.ise-doctor-tmp-");
    assert!(temps.is_empty(), "the temp file is removed: {temps:?}");
}

// 6. An `.age` bundle stays encrypted: to the identity's recipient, or to --recipient.

/// A fresh age identity written to `path`, as `age-keygen` writes it.
fn identity_file(path: &Path) -> ::age::x25519::Identity {
    let identity = ::age::x25519::Identity::generate();
    let text = format!(
        "# public key: {}\n{}\n",
        identity.to_public(),
        identity.to_string().expose_secret()
    );
    fs::write(path, text).expect("the lab folder is writable");
    chmod(path, 0o600);
    identity
}

const AGE_HEADER: &[u8] = b"age-encryption.org/v1\n";

#[test]
fn an_age_bundle_is_written_back_encrypted() {
    let store = Store::new();
    let pki = &store.lab.pki;
    store.chain_backup(&pki.intermediate);
    let keys = store.lab.path("keys.txt");
    let identity = identity_file(&keys);
    let sealed = ::age::encrypt(&identity.to_public(), pki.root.pem().as_bytes())
        .expect("encrypts in memory");
    let bundle = store.ise().join("ROOT-CA.crt.age");
    fs::write(&bundle, &sealed).expect("the lab folder is writable");
    let server = serve(&[&pki.leaf], &pki.leaf);
    let fix_age = || {
        fix(server.port(), &bundle)
            .args(["--no-fetch", "--write"])
            .env("AGE_IDENTITY", &path_str(&keys))
            .json()
    };

    let out = fix_age().code(1);
    out.only(&["chain.server-omits-intermediate"]);
    the_addition(&out, &pki.intermediate);
    let written = read(&bundle);
    assert!(written.starts_with(AGE_HEADER), "still age-encrypted");
    let opened = ::age::decrypt(&identity, &written).expect("the same identity opens it");
    assert_eq!(pem_certs(&opened), ders(&[&pki.intermediate, &pki.root]));
    let backup = out.json()["repair"]["written"]["backup"]
        .as_str()
        .expect("a backup path");
    assert!(name_of(Path::new(backup)).starts_with("ROOT-CA.crt.age.bak-"));
    assert_eq!(
        read(Path::new(backup)),
        sealed,
        "the backup is the original ciphertext"
    );

    // --recipient: only the second identity opens the new file.
    fs::write(&bundle, &sealed).expect("the lab folder is writable");
    let second = ::age::x25519::Identity::generate();
    let out = fix_age()
        .args(["--recipient", &second.to_public().to_string()])
        .code(1);
    the_addition(&out, &pki.intermediate);
    let written = read(&bundle);
    assert!(written.starts_with(AGE_HEADER), "still age-encrypted");
    let notes = list(repair(&out), "notes");
    assert!(
        notes
            .iter()
            .any(|n| n.as_str().is_some_and(|n| n.contains("--recipient"))),
        "the re-check says it read the content just written\n{}",
        out.transcript()
    );
    assert_eq!(out.json()["bundle"]["count"], 2, "{}", out.transcript());
    let opened = ::age::decrypt(&second, &written).expect("the recipient opens it");
    assert_eq!(pem_certs(&opened), ders(&[&pki.intermediate, &pki.root]));
    assert!(
        ::age::decrypt(&identity, &written).is_err(),
        "the first identity no longer opens it"
    );
}

// 7. The other repairs: duplicates, a private key, DER, expired CAs, order.

#[test]
fn a_duplicate_and_a_private_key_are_removed_and_the_key_saved_0600() {
    let store = Store::new();
    let pki = &store.lab.pki;
    let key = pki.leaf.key_pem();
    let bundle = store
        .write_bundle(pki.intermediate.pem() + &pki.root.pem() + &key + &pki.intermediate.pem());
    let server = serve(&[&pki.leaf, &pki.intermediate], &pki.leaf);

    let out = fix(server.port(), &bundle)
        .args(["--no-fetch", "--write"])
        .json()
        .code(0);
    let plan = repair(&out);
    let removals = list(plan, "removals");
    assert_eq!(removals.len(), 2, "{}", out.transcript());
    assert!(
        removals
            .iter()
            .any(|r| r["subject"] == "CN=LAB-ISSUING-CA" && r["sha256"].is_string()),
        "the duplicate is removed\n{}",
        out.transcript()
    );
    assert!(
        removals.iter().any(|r| r["sha256"].is_null()
            && r["subject"]
                .as_str()
                .is_some_and(|s| s.contains("PRIVATE KEY"))),
        "the key is removed\n{}",
        out.transcript()
    );
    assert!(list(plan, "additions").is_empty());

    let saved = PathBuf::from(plan["key_saved_to"].as_str().expect("key_saved_to is set"));
    assert!(
        name_of(&saved).starts_with("ROOT-CA.crt.key-"),
        "{}",
        saved.display()
    );
    assert_eq!(saved.parent(), bundle.parent());
    assert_eq!(mode_of(&saved), 0o600);
    assert_eq!(String::from_utf8(read(&saved)).expect("text"), key);

    let new = read(&bundle);
    assert!(!String::from_utf8_lossy(&new).contains("PRIVATE KEY"));
    assert_eq!(pem_certs(&new), ders(&[&pki.intermediate, &pki.root]));
    assert_eq!(mode_of(&bundle), 0o640);
    let backups = store.backups();
    assert_eq!(backups.len(), 1);
    assert!(String::from_utf8_lossy(&read(&backups[0])).contains("PRIVATE KEY"));
    // The backup still holds the key: it is as private as the key file.
    assert_eq!(mode_of(&backups[0]), 0o600);
}

#[test]
fn without_a_target_fix_tidies_the_file_alone() {
    let store = Store::new();
    let pki = &store.lab.pki;
    let key = pki.leaf.key_pem();
    let bundle = store.write_bundle(pki.root.pem() + &key + &pki.root.pem());

    // No target, no ISE_PAN_FQDN: nothing is probed; the key and the duplicate go.
    let out = Run::new([
        "fix",
        "--ca",
        &bundle.display().to_string(),
        "--no-fetch",
        "--write",
    ])
    .json()
    .code(0);
    assert!(
        out.json()["targets"].as_array().is_some_and(Vec::is_empty),
        "{}",
        out.transcript()
    );
    assert_eq!(
        list(repair(&out), "removals").len(),
        2,
        "{}",
        out.transcript()
    );
    assert_eq!(pem_certs(&read(&bundle)), ders(&[&pki.root]));
}

#[test]
fn a_der_bundle_is_written_as_pem() {
    let store = Store::new();
    let pki = &store.lab.pki;
    let bundle = store.write_bundle(pki.root.der());
    let server = serve(&[&pki.leaf, &pki.intermediate], &pki.leaf);

    let out = fix(server.port(), &bundle)
        .args(["--no-fetch", "--write"])
        .json()
        .code(0);
    let plan = repair(&out);
    assert_eq!(plan["convert_to_pem"], true);
    assert_eq!(pem_certs(&read(&bundle)), ders(&[&pki.root]));
    assert_eq!(read(&store.backups()[0]), pki.root.der().to_vec());
}

#[test]
fn expired_cas_go_only_with_drop_expired() {
    let store = Store::new();
    let pki = &store.lab.pki;
    let old = PkiBuilder::new()
        .root_cn("LAB-OLD-ROOT-CA")
        .root_validity(Validity::Expired { days_ago: 30 })
        .build()
        .expect("the old PKI is built");
    let bundle = store.write_bundle(pki.root.pem() + &old.root.pem());
    let original = read(&bundle);
    let server = serve(&[&pki.leaf, &pki.intermediate], &pki.leaf);

    // Without the flag the expired CA stays (a bundle warning, exit 1): nothing to change.
    let out = fix(server.port(), &bundle)
        .args(["--no-fetch", "--write"])
        .json()
        .code(1);
    assert_eq!(bundle_codes(&out), ["bundle.expired-cert"]);
    let plan = repair(&out);
    assert!(list(plan, "removals").is_empty(), "{}", out.transcript());
    assert_eq!(plan["changes"], false);
    assert_eq!(
        result_subjects(plan),
        ["CN=LAB-ROOT-CA", "CN=LAB-OLD-ROOT-CA"]
    );
    assert_not_written(&store, &out, &original, NOTHING);

    let out = fix(server.port(), &bundle)
        .args(["--no-fetch", "--write", "--drop-expired"])
        .json()
        .code(0);
    let removals = list(repair(&out), "removals");
    assert_eq!(removals.len(), 1, "{}", out.transcript());
    assert_eq!(removals[0]["subject"], "CN=LAB-OLD-ROOT-CA");
    assert_eq!(removals[0]["sha256"], old.root.sha256());
    let reason = removals[0]["reason"].as_str().expect("a reason");
    assert!(reason.contains("--drop-expired"), "{reason}");
    assert_eq!(pem_certs(&read(&bundle)), ders(&[&pki.root]));
    assert!(bundle_codes(&out).is_empty(), "{}", out.transcript());
}

#[test]
fn the_order_is_fixed_unless_keep_order() {
    let store = Store::new();
    let pki = &store.lab.pki;
    let bundle = store.write_bundle(pki.root.pem() + &pki.intermediate.pem());
    let original = read(&bundle);
    let server = serve(&[&pki.leaf, &pki.intermediate], &pki.leaf);

    let out = fix(server.port(), &bundle)
        .args(["--no-fetch", "--write", "--keep-order"])
        .json()
        .code(0);
    let plan = repair(&out);
    assert_eq!(plan["reordered"], false);
    assert_eq!(
        result_subjects(plan),
        ["CN=LAB-ROOT-CA", "CN=LAB-ISSUING-CA"]
    );
    assert_not_written(&store, &out, &original, NOTHING);

    let out = fix(server.port(), &bundle)
        .args(["--no-fetch", "--write"])
        .json()
        .code(0);
    let plan = repair(&out);
    assert_eq!(plan["reordered"], true);
    assert_eq!(
        result_subjects(plan),
        ["CN=LAB-ISSUING-CA", "CN=LAB-ROOT-CA"]
    );
    assert_eq!(
        pem_certs(&read(&bundle)),
        ders(&[&pki.intermediate, &pki.root])
    );
}

// 8. Nothing to change: --write exits with the current code and writes nothing.

#[test]
fn write_with_nothing_to_change_keeps_the_exit_code_and_writes_nothing() {
    let store = Store::new();
    let pki = &store.lab.pki;
    let bundle = store.write_bundle(pki.intermediate.pem() + &pki.root.pem());
    let original = read(&bundle);

    let full = serve(&[&pki.leaf, &pki.intermediate], &pki.leaf);
    let out = fix(full.port(), &bundle)
        .args(["--no-fetch", "--write"])
        .json()
        .code(0);
    assert_eq!(repair(&out)["changes"], false);
    assert_not_written(&store, &out, &original, NOTHING);

    // Leaf only: the bundle fits, the server's half remains (exit 1), nothing written.
    let leaf_only = serve(&[&pki.leaf], &pki.leaf);
    let out = fix(leaf_only.port(), &bundle)
        .args(["--no-fetch", "--write"])
        .json()
        .code(1);
    out.only(&["chain.server-omits-intermediate"]);
    assert_not_written(&store, &out, &original, NOTHING);
}

// Where the cert store is: the documented layout, or CA_CERT_PATH's parent; never the
// folders above an arbitrary file.

#[test]
fn the_store_root_is_the_layout_or_ca_cert_path_only() {
    let lab = Lab::new();
    let pki = &lab.pki;
    let folder = lab.path("x/y/z");
    fs::create_dir_all(&folder).expect("the lab folder is writable");
    let bundle = folder.join("ROOT-CA.crt");
    fs::write(&bundle, pki.root.pem()).expect("the lab folder is writable");
    let chain = lab.path("x/LAB-CA-CHAIN.pem");
    fs::write(&chain, pki.root.pem() + &pki.intermediate.pem()).expect("writable");
    let server = serve(&[&pki.leaf], &pki.leaf);

    // `x/y/z/ROOT-CA.crt` is not `<certs>/<domain>/ise/`: `x` is no store root.
    let out = fix(server.port(), &bundle).arg("--no-fetch").json().code(2);
    let plan = repair(&out);
    assert!(list(plan, "additions").is_empty(), "{}", out.transcript());
    assert_eq!(list(plan, "unresolved").len(), 1);

    // CA_CERT_PATH names the domain folder: its parent is the store root.
    let out = fix(server.port(), &bundle)
        .arg("--no-fetch")
        .env("CA_CERT_PATH", &path_str(&lab.path("x/y")))
        .json()
        .code(2);
    let added = the_addition(&out, &pki.intermediate);
    assert_eq!(added["source"]["path"], path_str(&chain));
}

// 9. JSON and the README's before/after.

#[test]
fn json_is_one_document_with_the_repair() {
    let store = Store::new();
    let pki = &store.lab.pki;
    store.chain_backup(&pki.intermediate);
    let bundle = store.root_bundle();
    let server = serve(&[&pki.leaf], &pki.leaf);

    let out = Run::new(["--format", "json", "fix"])
        .args([
            &format!("{HOST}:{}", server.port()),
            "--ca",
            &path_str(&bundle),
        ])
        .arg("--no-fetch")
        .resolve(HOST, server.port())
        .code(2);
    let doc = out.json();
    assert_eq!(doc["command"], "fix");
    assert_eq!(doc["schema_version"], 1);
    let plan = repair(&out);
    for key in [
        "bundle",
        "dry_run",
        "changes",
        "additions",
        "removals",
        "refused",
        "unresolved",
        "convert_to_pem",
        "reordered",
        "result",
        "written",
        "key_saved_to",
        "not_written",
        "notes",
    ] {
        assert!(plan.get(key).is_some(), "repair.{key} is missing: {plan}");
    }
    let result = list(plan, "result");
    assert_eq!(result[0]["sha256"], pki.intermediate.sha256());
    assert_eq!(result[1]["sha256"], pki.root.sha256());
}

#[test]
fn the_readme_before_and_after() {
    let store = Store::new();
    let pki = &store.lab.pki;
    let backup_file = store.chain_backup(&pki.intermediate);
    let bundle = store.root_bundle();
    let leaf = pki
        .issue_leaf(&LeafSpec::dns(&["ise-02.example.net"]))
        .expect("the leaf is issued");
    let server = serve(&[&leaf], &leaf);
    let target = format!("ise-02.example.net:{}", server.port());
    let readme = |extra: &[&str]| {
        Run::new(["fix", &target, "--ca", &path_str(&bundle)])
            .args(extra)
            .args(["--no-fetch"])
            .resolve("ise-02.example.net", server.port())
    };

    let out = readme(&[]).code(2);
    out.stdout_has(&format!(
        "Repair plan for {} (dry run: add --write to apply)",
        path_str(&bundle)
    ))
    .stdout_has("+ add `CN=LAB-ISSUING-CA` (sha256")
    .stdout_has("from store file")
    .stdout_has(&name_of(&backup_file))
    .stdout_has("resulting bundle: LAB-ISSUING-CA → LAB-ROOT-CA");

    let out = readme(&["--write"]).code(1);
    out.stdout_has(&format!("Repair plan for {} (--write)", path_str(&bundle)))
        .stdout_has("resulting bundle: LAB-ISSUING-CA → LAB-ROOT-CA")
        .stdout_has(&format!("written: {} (backup: ", path_str(&bundle)))
        .stdout_has("ROOT-CA.crt.bak-")
        .stdout_has("rustls/webpki: accepted")
        .stdout_has("chain.server-omits-intermediate");
}
