//! Test support: a fluent builder that runs the binary and reads like a transcript,
//! a lab (PKI plus temporary folder) and servers on loopback.
//!
//! ```text
//! let lab = Lab::new();
//! let server = serve(&[&lab.pki.leaf], &lab.pki.leaf);
//! Run::check(server.port(), &lab.bundle(&[&lab.pki.root]))
//!     .json()
//!     .code(2)
//!     .finding("chain.missing-intermediate")
//!     .says("CN=LAB-ISSUING-CA");
//! ```
//!
//! Every run has a hard time limit: a hung binary is killed and the test fails with what
//! it printed so far, instead of blocking CI.

#![allow(dead_code)] // Each test module uses a different part of the kit.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use ise_doctor::sim::pki::Issued;
use ise_doctor::sim::{BackgroundServer, Behavior, Pki, TlsSpec, spawn_background};
use serde_json::Value;

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_ise-doctor");

/// The name the lab leaf carries; every target reaches 127.0.0.1 under it.
pub const HOST: &str = "ise-01.example.net";

/// A run that takes longer than this is killed and fails its test.
const HARD_LIMIT: Duration = Duration::from_secs(20);

/// The fixtures folder of the repository.
pub fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/pki")
        .join(name);
    assert!(path.exists(), "missing fixture {}", path.display());
    path.to_string_lossy().into_owned()
}

/// A PKI and a private temporary folder for bundle files.
pub struct Lab {
    pub pki: Pki,
    dir: tempfile::TempDir,
}

impl Lab {
    /// The sound lab PKI: `LAB-ROOT-CA` → `LAB-ISSUING-CA` → `ise-01.example.net`.
    pub fn new() -> Lab {
        Lab::with(Pki::lab())
    }

    pub fn with(pki: Pki) -> Lab {
        let dir = tempfile::tempdir().expect("a temporary folder can be created");
        Lab { pki, dir }
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes `contents` to `name` in the lab folder and returns the path.
    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> String {
        let path = self.path(name);
        std::fs::write(&path, contents).expect("the lab folder is writable");
        path.to_string_lossy().into_owned()
    }

    /// A PEM bundle of these certificates, in this order.
    pub fn bundle(&self, certs: &[&Issued]) -> String {
        let pem: String = certs.iter().map(|c| c.pem()).collect();
        let name = format!(
            "bundle-{}.pem",
            self.dir.path().read_dir().map_or(0, Iterator::count)
        );
        self.write(&name, pem)
    }

    /// The usual client bundle: the root only.
    pub fn root_bundle(&self) -> String {
        self.bundle(&[&self.pki.root])
    }
}

/// True when every `(tool, probe argument)` runs successfully; otherwise says on stderr
/// which test is skipped. Tests that drive external tools (openssl, python3, a JDK) call
/// this first.
pub fn tools_available(tools: &[(&str, &str)], skipped: &str) -> bool {
    let runs = |tool: &str, arg: &str| {
        Command::new(tool)
            .arg(arg)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    let found = tools.iter().all(|(tool, arg)| runs(tool, arg));
    if !found {
        let names: Vec<String> = tools.iter().map(|(t, _)| format!("`{t}`")).collect();
        eprintln!(
            "note: one of {} not found; {skipped} skipped",
            names.join(", ")
        );
    }
    found
}

/// Runs `openssl ARGS` in `dir` and insists it succeeds.
pub fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("openssl runs");
    assert!(
        out.status.success(),
        "openssl {} failed:\n{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A TLS server presenting `chain` exactly as given, signing with `key`'s private key.
pub fn serve(chain: &[&Issued], key: &Issued) -> BackgroundServer {
    let chain = chain.iter().map(|c| c.der().clone()).collect();
    serve_spec(TlsSpec::new(chain, key.key_der()))
}

pub fn serve_spec(spec: TlsSpec) -> BackgroundServer {
    serve_behavior(Behavior::tls(spec))
}

pub fn serve_behavior(behavior: Behavior) -> BackgroundServer {
    spawn_background(behavior).expect("a server can listen on 127.0.0.1")
}

/// A loopback port that nothing listens on (bound, then released).
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("can bind 127.0.0.1:0");
    listener
        .local_addr()
        .expect("a bound socket has an address")
        .port()
}

/// One run of the binary, built up flag by flag.
#[derive(Clone, Debug)]
pub struct Run {
    args: Vec<String>,
    env: Vec<(String, Option<String>)>,
}

impl Run {
    pub fn new<I, S>(args: I) -> Run
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let args = args.into_iter().map(|a| a.as_ref().to_string()).collect();
        // Hermetic: none of the caller's ISE settings, secrets or config files apply.
        let mut env: Vec<(String, Option<String>)> = vec![("NO_COLOR".into(), Some("1".into()))];
        for key in [
            "ISE_PAN_FQDN",
            "ISE_NODES",
            "ISE_CA_CERT",
            "CA_CERT_PATH",
            "ISE_API_TOKEN",
            "ISE_DOCTOR_CONFIG",
            "AGE_IDENTITY",
            "AGE_PASSPHRASE",
            "SSL_CERT_FILE",
        ] {
            env.push((key.into(), None));
        }
        env.push((
            "XDG_CONFIG_HOME".into(),
            Some("/nonexistent-ise-doctor-config".into()),
        ));
        Run { args, env }
    }

    /// `check HOST:PORT --ca BUNDLE --resolve HOST:PORT:127.0.0.1`.
    pub fn check(port: u16, bundle: &str) -> Run {
        Run::check_as(HOST, port, bundle)
    }

    /// `check` under another host name (SNI and the name checks use it).
    pub fn check_as(host: &str, port: u16, bundle: &str) -> Run {
        Run::new(["check", &format!("{host}:{port}"), "--ca", bundle]).resolve(host, port)
    }

    /// `chain HOST:PORT --resolve HOST:PORT:127.0.0.1`.
    pub fn chain(port: u16) -> Run {
        Run::new(["chain", &format!("{HOST}:{port}")]).resolve(HOST, port)
    }

    pub fn arg(mut self, arg: impl AsRef<str>) -> Run {
        self.args.push(arg.as_ref().to_string());
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Run
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_string()));
        self
    }

    /// Points `host:port` at 127.0.0.1.
    pub fn resolve(self, host: &str, port: u16) -> Run {
        self.args(["--resolve", &format!("{host}:{port}:127.0.0.1")])
    }

    pub fn json(self) -> Run {
        self.args(["--format", "json"])
    }

    pub fn env(mut self, key: &str, value: &str) -> Run {
        self.env.push((key.into(), Some(value.into())));
        self
    }

    pub fn env_remove(mut self, key: &str) -> Run {
        self.env.push((key.into(), None));
        self
    }

    /// The command line and environment of this run, for a test that drives the child
    /// itself (stdin closed, stdout and stderr piped).
    pub fn command(&self) -> Command {
        let mut command = Command::new(BIN);
        command
            .args(&self.args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (key, value) in &self.env {
            match value {
                Some(value) => command.env(key, value),
                None => command.env_remove(key),
            };
        }
        command
    }

    /// Runs the binary (killed after the hard limit) and returns what it did.
    pub fn output(self) -> Output {
        let mut command = self.command();
        let started = Instant::now();
        let mut child = command.spawn().expect("the ise-doctor binary starts");
        let stdout = drain(child.stdout.take().expect("stdout is piped"));
        let stderr = drain(child.stderr.take().expect("stderr is piped"));

        let status = loop {
            if let Some(status) = child.try_wait().expect("waiting on the child works") {
                break Some(status);
            }
            if started.elapsed() > HARD_LIMIT {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            thread::sleep(Duration::from_millis(10));
        };
        let elapsed = started.elapsed();
        let stdout = stdout.join().expect("the stdout reader does not panic");
        let stderr = stderr.join().expect("the stderr reader does not panic");

        let Some(status) = status else {
            panic!(
                "`ise-doctor {}` hung: killed after {HARD_LIMIT:?}\n--- stdout\n{stdout}\n\
                 --- stderr\n{stderr}",
                self.args.join(" ")
            );
        };
        let wants_json = self
            .args
            .windows(2)
            .any(|w| w[0] == "--format" && w[1] == "json");
        let json = wants_json.then(|| {
            serde_json::from_str(&stdout).unwrap_or_else(|e| {
                panic!(
                    "`ise-doctor {}` printed no single JSON document ({e}):\n{stdout}\n\
                     --- stderr\n{stderr}",
                    self.args.join(" ")
                )
            })
        });

        Output {
            args: self.args,
            code: status
                .code()
                .expect("the binary exits rather than dying on a signal"),
            stdout,
            stderr,
            elapsed,
            json,
        }
    }

    /// Runs and asserts the exit code (and, for JSON reports, `summary.exit_code`).
    pub fn code(self, expected: i32) -> Output {
        let output = self.output();
        output.assert_code(expected);
        output
    }
}

fn drain<R: Read + Send + 'static>(mut pipe: R) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// What one run did.
#[derive(Debug)]
pub struct Output {
    pub args: Vec<String>,
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
    json: Option<Value>,
}

impl Output {
    /// The transcript, for failure messages.
    pub fn transcript(&self) -> String {
        format!(
            "$ ise-doctor {}\n(exit {}, {:?})\n--- stdout\n{}\n--- stderr\n{}",
            self.args.join(" "),
            self.code,
            self.elapsed,
            self.stdout,
            self.stderr
        )
    }

    fn assert_code(&self, expected: i32) {
        assert_eq!(
            self.code,
            expected,
            "wrong exit code\n{}",
            self.transcript()
        );
        if let Some(summary) = self.json.as_ref().and_then(|j| j.get("summary")) {
            assert_eq!(
                summary["exit_code"].as_i64(),
                Some(i64::from(expected)),
                "summary.exit_code disagrees with the process\n{}",
                self.transcript()
            );
        }
    }

    /// The parsed JSON document (the run must have asked for `--format json`).
    pub fn json(&self) -> &Value {
        self.json
            .as_ref()
            .unwrap_or_else(|| panic!("no JSON asked for\n{}", self.transcript()))
    }

    pub fn target(&self, index: usize) -> Target<'_> {
        let value = &self.json()["targets"][index];
        assert!(
            value.is_object(),
            "no target {index}\n{}",
            self.transcript()
        );
        Target {
            value,
            output: self,
        }
    }

    /// The codes of target 0, most severe first.
    pub fn codes(&self) -> Vec<&str> {
        self.target(0).codes()
    }

    /// Asserts target 0's status.
    pub fn status(&self, expected: &str) -> &Output {
        self.target(0).status(expected);
        self
    }

    /// Asserts target 0 reported exactly these codes (in any order).
    pub fn only(&self, expected: &[&str]) -> &Output {
        self.target(0).only(expected);
        self
    }

    /// Asserts target 0 reported nothing at all.
    pub fn no_findings(&self) -> &Output {
        self.only(&[])
    }

    /// The finding with this code on target 0.
    pub fn finding(&self, code: &str) -> FindingView<'_> {
        self.target(0).finding(code)
    }

    pub fn lacks(&self, code: &str) -> &Output {
        self.target(0).lacks(code);
        self
    }

    pub fn stdout_has(&self, needle: &str) -> &Output {
        assert!(
            self.stdout.contains(needle),
            "stdout lacks {needle:?}\n{}",
            self.transcript()
        );
        self
    }

    pub fn stderr_has(&self, needle: &str) -> &Output {
        assert!(
            self.stderr.contains(needle),
            "stderr lacks {needle:?}\n{}",
            self.transcript()
        );
        self
    }

    pub fn stdout_lacks(&self, needle: &str) -> &Output {
        assert!(
            !self.stdout.contains(needle),
            "stdout has {needle:?}\n{}",
            self.transcript()
        );
        self
    }

    /// Asserts the run took less than `limit`.
    pub fn within(&self, limit: Duration) -> &Output {
        assert!(
            self.elapsed < limit,
            "took {:?}\n{}",
            self.elapsed,
            self.transcript()
        );
        self
    }
}

/// One entry of `targets[]`.
#[derive(Clone, Copy)]
pub struct Target<'a> {
    pub value: &'a Value,
    output: &'a Output,
}

impl<'a> Target<'a> {
    pub fn codes(&self) -> Vec<&'a str> {
        self.findings()
            .iter()
            .map(|f| f["code"].as_str().expect("code is a string"))
            .collect()
    }

    pub fn findings(&self) -> &'a Vec<Value> {
        self.value["findings"]
            .as_array()
            .expect("findings is an array")
    }

    pub fn status(&self, expected: &str) -> Target<'a> {
        assert_eq!(
            self.value["status"].as_str(),
            Some(expected),
            "wrong status for {}\n{}",
            self.value["target"],
            self.output.transcript()
        );
        *self
    }

    pub fn only(&self, expected: &[&str]) -> Target<'a> {
        let mut got = self.codes();
        let mut want = expected.to_vec();
        got.sort_unstable();
        want.sort_unstable();
        assert_eq!(got, want, "wrong findings\n{}", self.output.transcript());
        *self
    }

    pub fn lacks(&self, code: &str) -> Target<'a> {
        assert!(
            !self.codes().contains(&code),
            "unexpected {code}\n{}",
            self.output.transcript()
        );
        *self
    }

    pub fn finding(&self, code: &str) -> FindingView<'a> {
        let found = self.findings().iter().find(|f| f["code"] == code);
        let value = found.unwrap_or_else(|| {
            panic!(
                "no {code} among {:?}\n{}",
                self.codes(),
                self.output.transcript()
            )
        });
        FindingView {
            value,
            output: self.output,
        }
    }

    /// `presented_chain[]`.
    pub fn chain(&self) -> &'a Vec<Value> {
        self.value["presented_chain"]
            .as_array()
            .expect("presented_chain is an array")
    }

    /// The subjects of `presented_chain[]`, in the order sent.
    pub fn chain_subjects(&self) -> Vec<&'a str> {
        self.chain()
            .iter()
            .map(|c| c["subject"].as_str().expect("subject"))
            .collect()
    }
}

/// One finding object.
#[derive(Clone, Copy)]
pub struct FindingView<'a> {
    pub value: &'a Value,
    output: &'a Output,
}

impl<'a> FindingView<'a> {
    pub fn message(&self) -> &'a str {
        self.value["message"].as_str().expect("message is a string")
    }

    /// Asserts the message contains `needle`.
    pub fn says(&self, needle: &str) -> FindingView<'a> {
        assert!(
            self.message().contains(needle),
            "{} message lacks {needle:?}: {}\n{}",
            self.value["code"],
            self.message(),
            self.output.transcript()
        );
        *self
    }

    pub fn severity(&self, expected: &str) -> FindingView<'a> {
        assert_eq!(
            self.value["severity"].as_str(),
            Some(expected),
            "{}",
            self.value
        );
        *self
    }

    /// Asserts one fix step contains `needle`.
    pub fn fix_says(&self, needle: &str) -> FindingView<'a> {
        let steps = self.value["fix"].as_array().expect("fix is an array");
        assert!(
            steps
                .iter()
                .any(|s| s.as_str().is_some_and(|s| s.contains(needle))),
            "no fix step of {} mentions {needle:?}: {steps:?}",
            self.value["code"]
        );
        *self
    }

    /// The certificate reference with this role.
    pub fn cert(&self, role: &str) -> &'a Value {
        let certs = self.value["certificates"]
            .as_array()
            .expect("certificates is an array");
        certs.iter().find(|c| c["role"] == role).unwrap_or_else(|| {
            panic!(
                "{} names no {role:?} certificate: {certs:?}",
                self.value["code"]
            )
        })
    }
}
