//! Issue 5: the `openssl` and `python3.13` client profiles, cross-checked against the real
//! tools on the same files.
//!
//! A small PKI is issued at test time with the `openssl` CLI into a private temporary
//! folder (fixed validity 2020..2120; the expired cross-certificate ends on 2021-01-01).
//! For every case of [`CASES`] (a CA file, a leaf and the chain the server sends):
//!
//! - `openssl verify -purpose sslserver -verify_hostname ise-01.example.net -CAfile CA
//!   -untrusted CHAIN LEAF`, plain, `-x509_strict`, `-partial_chain` and both, plus the two
//!   profiles at `-auth_level 2` (see [`Case::verify_differs`]);
//! - Python's `ssl` module: `create_default_context(cafile=CA)` as Python ≤ 3.12 has it
//!   (the two flags cleared) and with the 3.13 defaults set explicitly
//!   (`VERIFY_X509_STRICT | VERIFY_X509_PARTIAL_CHAIN`), each in a full TLS handshake over
//!   memory BIOs against a Python server presenting LEAF + CHAIN, `server_hostname` set.
//!
//! The table records what those tools said on the machine the suite was written on
//! (OpenSSL 3.0.19, Python 3.11.7 linked against it) and the test asserts they still say
//! it. [`ise_doctor_client_verdicts_match_the_real_tools`] then asserts that ise-doctor's
//! `targets[0].clients.openssl` and `clients["python3.13"]` give the same verdicts for the
//! same chain served on 127.0.0.1. Both tests skip, with a note, without `openssl` or
//! `python3`.

use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

use ise_doctor::sim::TlsSpec;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use serde_json::Value;

use crate::support::{self, HOST, Lab, Run, openssl, serve_spec};

/// What a client (or one `openssl verify` variant) concluded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    Pass,
    /// The X509_V_ERR code and OpenSSL's text for it (`X509_verify_cert_error_string`).
    Fail(i64, &'static str),
}

use Expect::{Fail, Pass};

impl Expect {
    fn show(self) -> String {
        match self {
            Pass => "pass".into(),
            Fail(code, text) => format!("fail {code} ({text})"),
        }
    }
}

/// What one real tool said: the X509_V_ERR code (0: verified) and its reason.
#[derive(Clone, Debug)]
struct Verdict {
    code: i64,
    reason: String,
    /// What the tool printed, for messages.
    line: String,
}

impl Verdict {
    fn pass() -> Verdict {
        Verdict {
            code: 0,
            reason: String::new(),
            line: "OK".into(),
        }
    }

    /// Same verdict and code; with `text`, also OpenSSL's text for the code.
    fn is(&self, want: Expect, text: bool) -> bool {
        match want {
            Pass => self.code == 0,
            Fail(code, reason) => self.code == code && (!text || self.reason == reason),
        }
    }

    fn show(&self) -> String {
        match self.code {
            0 => "pass".into(),
            code => format!("fail {code} ({})", self.reason),
        }
    }
}

const NO_LOCAL_ISSUER: Expect = Fail(20, "unable to get local issuer certificate");
const NO_ISSUER: Expect = Fail(2, "unable to get issuer certificate");
const NO_AKI: Expect = Fail(85, "Missing Authority Key Identifier");
const BC_NOT_CRITICAL: Expect = Fail(89, "Basic Constraints of CA cert not marked critical");
const CA_MD_TOO_WEAK: Expect = Fail(68, "CA signature digest algorithm too weak");
const BAD_PURPOSE: Expect = Fail(26, "unsuitable certificate purpose");
const NAME_MISMATCH: Expect = Fail(62, "hostname mismatch");

/// One chain judged by every tool.
pub(super) struct Case {
    pub(super) name: &'static str,
    /// Certificates (by file stem) concatenated into the CA file.
    pub(super) ca: &'static [&'static str],
    pub(super) leaf: &'static str,
    /// What the server sends after its leaf, in order.
    pub(super) chain: &'static [&'static str],
    /// `openssl verify`: plain, `-x509_strict`, `-partial_chain`, both.
    verify: [Expect; 4],
    /// The `openssl` profile: Python's default context without the 3.13 flags (= Python
    /// ≤ 3.12, curl and other OpenSSL TLS clients) and `openssl verify -auth_level 2`.
    openssl: Expect,
    /// The `python3.13` profile: Python with strict + partial chain, and `openssl verify
    /// -auth_level 2 -x509_strict -partial_chain`.
    python313: Expect,
    /// Why plain `openssl verify` disagrees with the TLS clients, when it does.
    verify_differs: Option<&'static str>,
}

/// `openssl verify` leaves the verification security level unset (`auth_level` -1), so it
/// checks no signature strength; a TLS client's `SSL_CTX` copies its security level into the
/// verification (2 here; OpenSSL 3.0 already refuses SHA-1 signatures from level 1). The
/// profiles follow the TLS clients, and `-auth_level 2` makes `openssl verify` agree.
const NO_SECURITY_LEVEL_IN_VERIFY: &str = "openssl verify applies no security level";

/// The table. Error codes and texts are OpenSSL's; Python reports the same code (its text
/// for 62 is its own: "Hostname mismatch, certificate is not valid for '…'").
pub(super) const CASES: &[Case] = &[
    // The textbook deployment with the usual client bundle (root + intermediate).
    Case {
        name: "healthy (full bundle)",
        ca: &["root", "issuing"],
        leaf: "leaf",
        chain: &["issuing"],
        verify: [Pass; 4],
        openssl: Pass,
        python313: Pass,
        verify_differs: None,
    },
    Case {
        name: "root-only bundle",
        ca: &["root"],
        leaf: "leaf",
        chain: &["issuing"],
        verify: [Pass; 4],
        openssl: Pass,
        python313: Pass,
        verify_differs: None,
    },
    // Not in the issue's list: the classic ISE case, no intermediate anywhere.
    Case {
        name: "root-only bundle, leaf sent alone",
        ca: &["root"],
        leaf: "leaf",
        chain: &[],
        verify: [NO_LOCAL_ISSUER; 4],
        openssl: NO_LOCAL_ISSUER,
        python313: NO_LOCAL_ISSUER,
        verify_differs: None,
    },
    // Without PARTIAL_CHAIN the chain must end at a self-signed certificate: the trusted
    // intermediate is not enough (error 2 at depth 1). Python 3.13 accepts it.
    Case {
        name: "intermediate-only bundle",
        ca: &["issuing"],
        leaf: "leaf",
        chain: &["issuing"],
        verify: [NO_ISSUER, NO_ISSUER, Pass, Pass],
        openssl: NO_ISSUER,
        python313: Pass,
        verify_differs: None,
    },
    Case {
        name: "intermediate-only bundle, leaf sent alone",
        ca: &["issuing"],
        leaf: "leaf",
        chain: &[],
        verify: [NO_ISSUER, NO_ISSUER, Pass, Pass],
        openssl: NO_ISSUER,
        python313: Pass,
        verify_differs: None,
    },
    // Strict mode wants an AKI on every certificate but the last of the path (error 85).
    Case {
        name: "missing AKI on the intermediate",
        ca: &["root"],
        leaf: "no-aki-leaf",
        chain: &["no-aki-issuing"],
        verify: [Pass, NO_AKI, Pass, NO_AKI],
        openssl: Pass,
        python313: NO_AKI,
        verify_differs: None,
    },
    Case {
        name: "non-critical basicConstraints on the intermediate",
        ca: &["root"],
        leaf: "noncritical-bc-leaf",
        chain: &["noncritical-bc-issuing"],
        verify: [Pass, BC_NOT_CRITICAL, Pass, BC_NOT_CRITICAL],
        openssl: Pass,
        python313: BC_NOT_CRITICAL,
        verify_differs: None,
    },
    // The intermediate's signature (by the root) is SHA-1; the leaf's is SHA-256.
    Case {
        name: "SHA-1 intermediate",
        ca: &["root"],
        leaf: "sha1-ca-leaf",
        chain: &["sha1-issuing"],
        verify: [Pass; 4],
        openssl: CA_MD_TOO_WEAK,
        python313: CA_MD_TOO_WEAK,
        verify_differs: Some(NO_SECURITY_LEVEL_IN_VERIFY),
    },
    // The server sends an expired LAB-ROOT-CA cross-signed by another root after its
    // intermediate. OpenSSL ≥ 1.1 prefers the trusted root (X509_V_FLAG_TRUSTED_FIRST is the
    // default) and never uses the cross-certificate; OpenSSL 1.0.2 would have.
    Case {
        name: "expired cross-sign, valid path to the root",
        ca: &["root"],
        leaf: "leaf",
        chain: &["issuing", "expired-cross"],
        verify: [Pass; 4],
        openssl: Pass,
        python313: Pass,
        verify_differs: None,
    },
    Case {
        name: "EKU clientAuth only",
        ca: &["root"],
        leaf: "clientauth-only-leaf",
        chain: &["issuing"],
        verify: [BAD_PURPOSE; 4],
        openssl: BAD_PURPOSE,
        python313: BAD_PURPOSE,
        verify_differs: None,
    },
    // SAN (and CN) ise-02.example.net, reached as ise-01.example.net.
    Case {
        name: "name mismatch",
        ca: &["root"],
        leaf: "other-name-leaf",
        chain: &["issuing"],
        verify: [NAME_MISMATCH; 4],
        openssl: NAME_MISMATCH,
        python313: NAME_MISMATCH,
        verify_differs: None,
    },
    // No SAN at all: OpenSSL's X509_check_host falls back to the CN when the certificate
    // has no DNS SAN (unless X509_CHECK_FLAG_NEVER_CHECK_SUBJECT), `openssl verify
    // -verify_hostname` and Python alike (`hostname_checks_common_name` is True by default,
    // 3.13 included), and strict mode does not ask for a SAN. Only the webpki, Go and
    // browser profiles refuse this leaf.
    Case {
        name: "CN-only leaf",
        ca: &["root"],
        leaf: "cn-only-leaf",
        chain: &["issuing"],
        verify: [Pass; 4],
        openssl: Pass,
        python313: Pass,
        verify_differs: None,
    },
];

/// The variants of `openssl verify` run for every case: the issue's four, then the two
/// profiles with the TLS clients' security level.
const VERIFY_VARIANTS: [&[&str]; 6] = [
    &[],
    &["-x509_strict"],
    &["-partial_chain"],
    &["-x509_strict", "-partial_chain"],
    &["-auth_level", "2"],
    &["-auth_level", "2", "-x509_strict", "-partial_chain"],
];

const VERIFY_NAMES: [&str; 6] = [
    "verify",
    "verify -x509_strict",
    "verify -partial_chain",
    "verify -x509_strict -partial_chain",
    "verify -auth_level 2",
    "verify -auth_level 2 -x509_strict -partial_chain",
];

// --- the PKI ----------------------------------------------------------------------------

const START: &str = "20200101000000Z";
const END: &str = "21200101000000Z";
const OLD_END: &str = "20210101000000Z";

/// OpenSSL 3.0's `openssl ca` adds SKI and AKI unless told `none`, so the sections that
/// must lack one say so.
const CA_CNF: &str = "\
[ ca ]
default_ca = lab

[ lab ]
dir = .
database = ./index.txt
new_certs_dir = ./newcerts
serial = ./serial
default_md = sha256
policy = any
unique_subject = no
email_in_dn = no
copy_extensions = none

[ any ]
commonName = supplied

[ req ]
distinguished_name = dn
prompt = no

[ dn ]
CN = placeholder

[ root ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = none

[ issuing ]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

[ issuing_no_aki ]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = none

[ issuing_noncritical_bc ]
basicConstraints = CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

[ cross ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

[ leaf ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
subjectAltName = DNS:ise-01.example.net

[ leaf_other_name ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
subjectAltName = DNS:ise-02.example.net

[ leaf_cn_only ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

[ leaf_client_only ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
subjectAltName = DNS:ise-01.example.net
";

/// One certificate to issue: file stem, key stem, CN, issuer (None: self-signed),
/// config section, notAfter and digest. Every leaf shares the key `leaf`.
type Spec = (
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    &'static str,
    &'static str,
    &'static str,
);

#[rustfmt::skip]
const ISSUE: &[Spec] = &[
    ("root", "root", "LAB-ROOT-CA", None, "root", END, "sha256"),
    ("other-root", "other-root", "LAB-ROOT-CA", None, "root", END, "sha256"),
    // LAB-ROOT-CA's name and key, issued by the other root, expired in 2021.
    ("expired-cross", "root", "LAB-ROOT-CA", Some("other-root"), "cross", OLD_END, "sha256"),
    ("issuing", "issuing", "LAB-ISSUING-CA", Some("root"), "issuing", END, "sha256"),
    ("no-aki-issuing", "no-aki-issuing", "LAB-ISSUING-CA", Some("root"), "issuing_no_aki",
        END, "sha256"),
    ("noncritical-bc-issuing", "noncritical-bc-issuing", "LAB-ISSUING-CA", Some("root"),
        "issuing_noncritical_bc", END, "sha256"),
    ("sha1-issuing", "sha1-issuing", "LAB-ISSUING-CA", Some("root"), "issuing", END, "sha1"),
    ("leaf", "leaf", HOST, Some("issuing"), "leaf", END, "sha256"),
    ("no-aki-leaf", "leaf", HOST, Some("no-aki-issuing"), "leaf", END, "sha256"),
    ("noncritical-bc-leaf", "leaf", HOST, Some("noncritical-bc-issuing"), "leaf", END, "sha256"),
    ("sha1-ca-leaf", "leaf", HOST, Some("sha1-issuing"), "leaf", END, "sha256"),
    ("clientauth-only-leaf", "leaf", HOST, Some("issuing"), "leaf_client_only", END, "sha256"),
    ("other-name-leaf", "leaf", "ise-02.example.net", Some("issuing"), "leaf_other_name", END,
        "sha256"),
    ("cn-only-leaf", "leaf", HOST, Some("issuing"), "leaf_cn_only", END, "sha256"),
];

fn tools_available() -> bool {
    support::tools_available(
        &[("openssl", "version"), ("python3", "--version")],
        "client cross-check",
    )
}

/// Issues [`ISSUE`] into the lab folder, then writes each case's files.
pub(super) fn issue_pki(lab: &Lab) {
    let dir = lab.dir();
    lab.write("ca.cnf", CA_CNF);
    lab.write("index.txt", "");
    std::fs::create_dir(dir.join("newcerts")).expect("the lab folder is writable");

    // RSA 2048 key generation dominates: all keys at once.
    let mut keys: Vec<&str> = ISSUE.iter().map(|spec| spec.1).collect();
    keys.sort_unstable();
    keys.dedup();
    let children: Vec<_> = keys
        .iter()
        .map(|key| {
            let out = format!("{key}.key");
            let args = ["genpkey", "-quiet", "-algorithm", "RSA", "-out", &out];
            Command::new("openssl")
                .args(args)
                .args(["-pkeyopt", "rsa_keygen_bits:2048"])
                .current_dir(dir)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .spawn()
                .expect("openssl genpkey starts")
        })
        .collect();
    for mut child in children {
        assert!(
            child.wait().expect("genpkey ends").success(),
            "genpkey failed"
        );
    }

    for (serial, &(name, key, cn, issuer, section, end, md)) in ISSUE.iter().enumerate() {
        let (csr, pem, key) = (
            format!("{name}.csr"),
            format!("{name}.pem"),
            format!("{key}.key"),
        );
        let subject = format!("/CN={cn}");
        openssl(
            dir,
            &[
                "req", "-new", "-config", "ca.cnf", "-key", &key, "-subj", &subject, "-out", &csr,
            ],
        );
        lab.write("serial", format!("{:032X}\n", serial + 1));
        let mut args = vec!["ca", "-batch", "-notext", "-config", "ca.cnf", "-in", &csr];
        args.extend(["-out", &pem, "-extensions", section, "-md", md]);
        args.extend(["-startdate", START, "-enddate", end]);
        let (issuer_pem, issuer_key);
        match issuer {
            None => args.extend(["-selfsign", "-keyfile", &key]),
            Some(issuer) => {
                issuer_pem = format!("{issuer}.pem");
                issuer_key = ISSUE
                    .iter()
                    .find(|spec| spec.0 == issuer)
                    .map(|spec| format!("{}.key", spec.1))
                    .expect("issuers are issued first");
                args.extend(["-cert", &issuer_pem, "-keyfile", &issuer_key]);
            }
        }
        openssl(dir, &args);
    }

    let read = |stem: &str| {
        std::fs::read_to_string(dir.join(format!("{stem}.pem"))).expect("issued above")
    };
    let concat = |stems: &[&str]| stems.iter().map(|s| read(s)).collect::<String>();
    for (i, case) in CASES.iter().enumerate() {
        lab.write(&format!("case{i}-ca.pem"), concat(case.ca));
        lab.write(&format!("case{i}-chain.pem"), concat(case.chain));
        lab.write(
            &format!("case{i}-served.pem"),
            read(case.leaf) + &concat(case.chain),
        );
    }
}

// --- the real tools ---------------------------------------------------------------------

/// `openssl verify` with `extra` flags on case `i`: the error code (0: verified), OpenSSL's
/// text for it and the line it printed.
fn openssl_verify(dir: &Path, i: usize, extra: &[&str]) -> Verdict {
    let case = &CASES[i];
    let (ca, chain, leaf) = (
        format!("case{i}-ca.pem"),
        format!("case{i}-chain.pem"),
        format!("{}.pem", case.leaf),
    );
    let mut args = vec!["verify", "-purpose", "sslserver", "-verify_hostname", HOST];
    args.extend_from_slice(extra);
    args.extend(["-CAfile", &ca]);
    if !case.chain.is_empty() {
        args.extend(["-untrusted", &chain]);
    }
    args.push(&leaf);
    let out = Command::new("openssl")
        .args(&args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("openssl verify runs");
    if out.status.success() {
        return Verdict::pass();
    }
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    // "error 20 at 0 depth lookup: unable to get local issuer certificate"
    let line = text
        .lines()
        .find(|l| l.starts_with("error ") && l.contains(" depth lookup: "))
        .unwrap_or_else(|| {
            panic!(
                "`openssl {}` failed with no error line:\n{text}",
                args.join(" ")
            )
        });
    let code = line["error ".len()..]
        .split(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .expect("the error line starts with its code");
    let reason = line.split_once(" depth lookup: ").map_or("", |(_, r)| r);
    Verdict {
        code,
        reason: reason.to_string(),
        line: line.to_string(),
    }
}

/// One TLS handshake per case and profile, in one Python process. Prints a JSON object:
/// `{"<i>": {"default": {ok, code, reason}, "py313": {...}}}`.
const PYTHON: &str = r#"
import json, ssl, sys

FLAGS = ssl.VERIFY_X509_STRICT | ssl.VERIFY_X509_PARTIAL_CHAIN

def handshake(ca, served, key, host, py313):
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.set_ciphers("DEFAULT@SECLEVEL=0")  # so that it can serve a SHA-1 chain
    server.load_cert_chain(served, key)
    client = ssl.create_default_context(cafile=ca)
    if py313:
        client.verify_flags |= FLAGS  # the defaults of Python 3.13
    else:
        client.verify_flags &= ~FLAGS  # Python <= 3.12, whatever runs this
    c_in, c_out, s_in, s_out = (ssl.MemoryBIO() for _ in range(4))
    c = client.wrap_bio(c_in, c_out, server_hostname=host)
    s = server.wrap_bio(s_in, s_out, server_side=True)
    for _ in range(50):
        done = True
        try:
            c.do_handshake()
        except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
            done = False
        except ssl.SSLCertVerificationError as e:
            return {"ok": False, "code": e.verify_code, "reason": e.verify_message}
        except ssl.SSLError as e:
            return {"ok": False, "code": -1, "reason": str(e)}
        try:
            s.do_handshake()
        except ssl.SSLError:
            done = False
        s_in.write(c_out.read())
        c_in.write(s_out.read())
        if done:
            return {"ok": True, "code": 0, "reason": "ok"}
    return {"ok": False, "code": -1, "reason": "the handshake made no progress"}

out = {}
for i, ca, served, key in json.loads(sys.argv[1]):
    out[str(i)] = {
        "default": handshake(ca, served, key, sys.argv[2], False),
        "py313": handshake(ca, served, key, sys.argv[2], True),
    }
print(json.dumps(out))
"#;

/// Python's verdicts for every case: [default context, 3.13 flags].
fn python_verdicts(dir: &Path) -> Vec<[Verdict; 2]> {
    let jobs: Vec<Value> = (0..CASES.len())
        .map(|i| {
            serde_json::json!([
                i,
                format!("case{i}-ca.pem"),
                format!("case{i}-served.pem"),
                "leaf.key"
            ])
        })
        .collect();
    let out = Command::new("python3")
        .args(["-c", PYTHON, &Value::from(jobs).to_string(), HOST])
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the Python handshakes failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let all: Value = serde_json::from_str(&stdout).expect("Python prints one JSON object");
    let get = |v: &Value| Verdict {
        code: v["code"].as_i64().expect("code is a number"),
        reason: v["reason"].as_str().unwrap_or_default().to_string(),
        line: v.to_string(),
    };
    (0..CASES.len())
        .map(|i| {
            let case = &all[i.to_string()];
            [get(&case["default"]), get(&case["py313"])]
        })
        .collect()
}

/// What the real tools said about one case.
struct Measured {
    /// In the order of [`VERIFY_VARIANTS`].
    verify: Vec<Verdict>,
    /// Python's default context, then with the 3.13 flags.
    python: [Verdict; 2],
}

fn measure(dir: &Path) -> Vec<Measured> {
    let verify: Vec<Vec<Verdict>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..CASES.len())
            .map(|i| {
                scope.spawn(move || {
                    VERIFY_VARIANTS
                        .iter()
                        .map(|extra| openssl_verify(dir, i, extra))
                        .collect()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a verify thread does not panic"))
            .collect()
    });
    let python = python_verdicts(dir);
    verify
        .into_iter()
        .zip(python)
        .map(|(verify, python)| Measured { verify, python })
        .collect()
}

/// The measurements as a Markdown table (printed; shown with `--nocapture`).
fn table(measured: &[Measured]) -> String {
    let mut out = String::from("| case | ");
    out += &VERIFY_NAMES.join(" | ");
    out += " | python default | python 3.13 flags |\n";
    out += &"|---".repeat(VERIFY_NAMES.len() + 3);
    out += "|\n";
    for (case, m) in CASES.iter().zip(measured) {
        let cells: Vec<String> = m
            .verify
            .iter()
            .chain(&m.python)
            .map(Verdict::show)
            .collect();
        let _ = writeln!(out, "| {} | {} |", case.name, cells.join(" | "));
    }
    out
}

#[test]
fn the_real_tools_judge_every_case_as_the_table_says() {
    if !tools_available() {
        return;
    }
    let lab = Lab::new();
    issue_pki(&lab);
    let measured = measure(lab.dir());
    let table = table(&measured);
    println!("{table}");

    let mut wrong = Vec::new();
    for (case, m) in CASES.iter().zip(&measured) {
        let [plain, strict, partial, both] = case.verify;
        let expected = [plain, strict, partial, both, case.openssl, case.python313];
        for ((name, want), got) in VERIFY_NAMES.iter().zip(expected).zip(&m.verify) {
            if !got.is(want, true) {
                wrong.push(format!(
                    "{}: openssl {name}: {:?}, expected {}",
                    case.name,
                    got.line,
                    want.show()
                ));
            }
        }
        // Python's text for 62 is its own; the code must match.
        let profiles = [("default", case.openssl), ("3.13 flags", case.python313)];
        for ((name, want), got) in profiles.iter().zip(&m.python) {
            if !got.is(*want, false) {
                wrong.push(format!(
                    "{}: python {name}: {}, expected {}",
                    case.name,
                    got.line,
                    want.show()
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "the real tools disagree with the table:\n{}\n\n{table}",
        wrong.join("\n")
    );
}

/// The table's own consistency: the `openssl` profile is plain `openssl verify` and the
/// `python3.13` profile is `-x509_strict -partial_chain`, except where a documented reason
/// says otherwise (and then they really do differ, so that a stale reason is noticed).
#[test]
fn the_profiles_are_openssl_verify_unless_a_reason_is_documented() {
    for case in CASES {
        let same = case.verify[0] == case.openssl && case.verify[3] == case.python313;
        match case.verify_differs {
            None => assert!(same, "{}: profiles differ from openssl verify", case.name),
            Some(reason) => assert!(!same, "{}: {reason:?} documented, no difference", case.name),
        }
    }
}

// --- the product --------------------------------------------------------------------------

/// ISE-DOCTOR AGAINST THE REAL TOOLS. For every case the same chain is served on 127.0.0.1
/// (a rustls simulator presenting LEAF + CHAIN) and `check --ca CA --format json` must give
///
/// - `targets[0].clients.openssl.ok` = plain `openssl verify` (or `-auth_level 2` where
///   [`Case::verify_differs`] says why) = Python's default context without the 3.13 flags;
/// - `targets[0].clients["python3.13"].ok` = `openssl verify -x509_strict -partial_chain`
///   (same caveat) = Python with the 3.13 flags,
///
/// measured in this very run, plus a reason on every failure.
#[test]
fn ise_doctor_client_verdicts_match_the_real_tools() {
    if !tools_available() {
        return;
    }
    let lab = Lab::new();
    issue_pki(&lab);
    let measured = measure(lab.dir());
    let key = PrivateKeyDer::from_pem_file(lab.path("leaf.key")).expect("the leaf key is PEM");

    let mut wrong = Vec::new();
    let mut seen = String::from("| case | profile | ise-doctor | openssl verify | python |\n");
    for (i, (case, m)) in CASES.iter().zip(&measured).enumerate() {
        let served = lab.path(&format!("case{i}-served.pem"));
        let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(served)
            .expect("the served chain is PEM")
            .collect::<Result<_, _>>()
            .expect("every block is a certificate");
        let server = serve_spec(TlsSpec::new(chain, key.clone_key()));
        let ca = lab.path(&format!("case{i}-ca.pem"));
        let out = Run::check(server.port(), &ca.to_string_lossy())
            .json()
            .output();
        let clients = &out.target(0).value["clients"];
        if !clients.is_object() {
            wrong.push(format!(
                "{}: no targets[0].clients\n{}",
                case.name,
                out.transcript()
            ));
            continue;
        }
        let differs = case.verify_differs.is_some();
        let profiles = [
            (
                "openssl",
                &m.verify[if differs { 4 } else { 0 }],
                &m.python[0],
            ),
            (
                "python3.13",
                &m.verify[if differs { 5 } else { 3 }],
                &m.python[1],
            ),
        ];
        for (profile, verify, python) in profiles {
            let verdict = &clients[profile];
            let ok = verdict["ok"].as_bool();
            let reason = verdict["reason"].as_str().unwrap_or_default();
            let (v, p) = (verify.show(), python.show());
            let _ = writeln!(
                seen,
                "| {} | {profile} | {verdict} | {v} | {p} |",
                case.name
            );
            if ok != Some(verify.code == 0) || ok != Some(python.code == 0) {
                wrong.push(format!(
                    "{}: {profile}: ise-doctor {verdict}, verify {v}, python {p}",
                    case.name
                ));
            } else if ok == Some(false) && reason.is_empty() {
                wrong.push(format!(
                    "{}: {profile}: a failure without a reason",
                    case.name
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "ise-doctor disagrees with the real tools:\n{}\n\n{seen}",
        wrong.join("\n")
    );
}
