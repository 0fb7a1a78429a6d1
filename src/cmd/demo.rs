//! `ise-doctor demo`: a simulated ISE on loopback, checked for real.
//!
//! Generates a lab PKI (LAB-ROOT-CA → LAB-ISSUING-CA → node certificates), starts two
//! TLS listeners on 127.0.0.1 (ise-01 sends leaf + intermediate, ise-02 only its leaf),
//! writes a bundle that holds only the root into a private temporary folder, and runs
//! the same probe and analysis as `check`. Nothing leaves the machine.

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;

use super::check::{assemble, block_on, load_bundle};
use super::{Failure, Outcome, emit};
use crate::cli::{Format, Plan};
use crate::findings::{Code, Status};
use crate::model::TargetSpec;
use crate::probe::{self, ProbeOptions};
use crate::sim::pki::{LeafSpec, Pki};
use crate::sim::server::{self, Behavior, TlsSpec};

pub fn run(plan: &Plan) -> Result<Outcome, Failure> {
    let pki = Pki::lab();
    let broken_leaf = pki
        .issue_leaf(&LeafSpec::dns(&["ise-02.example.net"]))
        .map_err(|e| Failure::new(format!("cannot generate the demo PKI: {e}"), None))?;

    let folder = DemoFolder::create()?;
    let bundle_path = folder.0.join("ROOT-CA.crt");
    std::fs::write(&bundle_path, pki.root.pem())
        .map_err(|e| Failure::new(format!("cannot write {}: {e}", bundle_path.display()), None))?;
    let bundle = load_bundle(plan, &bundle_path)?;

    let report = block_on(async {
        let healthy = TlsSpec::new(pki.served_chain(), pki.leaf.key_der());
        let leaf_only = TlsSpec::new(vec![broken_leaf.der().clone()], broken_leaf.key_der());
        let start_failed = |e: std::io::Error| {
            Failure::new(
                format!("cannot start a demo listener on 127.0.0.1: {e}"),
                None,
            )
        };
        let ers = server::start(Behavior::tls(healthy))
            .await
            .map_err(start_failed)?;
        let api = server::start(Behavior::tls(leaf_only))
            .await
            .map_err(start_failed)?;

        let targets = vec![
            demo_target("ise-01.example.net", ers.port(), "ERS API (simulated)"),
            demo_target("ise-02.example.net", api.port(), "Admin/API (simulated)"),
        ];
        let options = ProbeOptions::default();
        let outcomes = probe::probe_all(&targets, &options).await;
        Ok::<_, Failure>(assemble("check", &plan.policy, bundle, &targets, outcomes))
    })??;

    let code = emit(plan, &report);
    let as_expected = report.targets.len() == 2
        && report.targets[0].diagnosis.status == Status::Ok
        && report.targets[1]
            .diagnosis
            .findings
            .iter()
            .any(|f| f.code == Code::ChainMissingIntermediate);

    if !as_expected {
        eprintln!("ise-doctor: error: the demo did not produce the expected diagnosis");
        return Ok(Outcome::Done(2));
    }
    if plan.format == Format::Human {
        // A closed pipe (`demo | head`) is not an error, so no `println!` (it panics).
        let _ = writeln!(
            std::io::stdout(),
            "\nThis was a simulated ISE on 127.0.0.1: ise-01 sends leaf + intermediate, ise-02 \
             only its leaf,\nand the bundle holds only the root. `check` exits {code} here; the \
             demo exits 0 because\nthat is the expected diagnosis. Try it on yours: \
             ise-doctor check ISE_NODE --ca ROOT-CA.crt"
        );
    }
    Ok(Outcome::Done(0))
}

fn demo_target(host: &str, port: u16, service: &str) -> TargetSpec {
    TargetSpec {
        connect_to: Some(IpAddr::V4(Ipv4Addr::LOCALHOST)),
        service: Some(service.to_string()),
        ..TargetSpec::new(host, port)
    }
}

/// A private temporary folder, removed when dropped.
struct DemoFolder(PathBuf);

impl DemoFolder {
    fn create() -> Result<DemoFolder, Failure> {
        let path = std::env::temp_dir().join(format!("ise-doctor-demo-{}", std::process::id()));
        std::fs::create_dir_all(&path)
            .map_err(|e| Failure::new(format!("cannot create {}: {e}", path.display()), None))?;
        Ok(DemoFolder(path))
    }
}

impl Drop for DemoFolder {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
