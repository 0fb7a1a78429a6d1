//! The repair planner on the committed fixtures with a fixed clock.

use super::*;
use crate::input::parse_bundle;
use crate::model::{BundleSource, Moment};

macro_rules! fixture {
    ($name:literal) => {
        include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/pki/", $name)).as_slice()
    };
}

fn cert(pem: &[u8]) -> Certificate {
    parse_bundle(pem, BundleSource::None).certs.remove(0)
}

fn bundle(files: &[&[u8]]) -> Bundle {
    parse_bundle(
        &files.concat(),
        BundleSource::File("/s/ise/ROOT-CA.crt".into()),
    )
}

fn store(pem: &[u8]) -> Candidate {
    Candidate {
        cert: cert(pem),
        source: CandidateSource::StoreFile {
            path: "/s/ca/LAB-CA-CHAIN.pem".into(),
        },
    }
}

fn policy() -> Policy {
    Policy::at(
        Moment::parse_rfc3339("2030-06-01T00:00:00Z").expect("valid"),
        30,
    )
}

fn run(
    b: &Bundle,
    presented: Vec<Certificate>,
    candidates: &[Candidate],
    roots: &[String],
) -> RepairPlan {
    let targets = vec![("ise-01.example.net:9060".to_string(), presented)];
    plan(&RepairInput {
        bundle: b,
        targets: &targets,
        candidates,
        trust_roots: roots,
        drop_expired: false,
        keep_order: false,
        policy: policy(),
    })
}

#[test]
fn the_classic_case_adds_the_issuing_ca_from_the_store() {
    let b = bundle(&[fixture!("root.pem")]);
    let p = run(
        &b,
        vec![cert(fixture!("leaf.pem"))],
        &[store(fixture!("issuing.pem"))],
        &[],
    );

    assert_eq!(p.additions.len(), 1, "{p:#?}");
    assert_eq!(p.additions[0].subject, "CN=LAB-ISSUING-CA");
    assert!(p.unresolved.is_empty() && p.refused.is_empty(), "{p:#?}");
    let order: Vec<&str> = p.result.iter().map(|c| c.subject.as_str()).collect();
    assert_eq!(
        order,
        ["CN=LAB-ISSUING-CA", "CN=LAB-ROOT-CA"],
        "issuer after its child"
    );
}

#[test]
fn a_forged_intermediate_with_the_same_name_is_refused() {
    let b = bundle(&[fixture!("root.pem")]);
    let p = run(
        &b,
        vec![cert(fixture!("leaf.pem"))],
        &[store(fixture!("other-issuing.pem"))],
        &[],
    );

    assert!(p.additions.is_empty(), "{p:#?}");
    assert_eq!(p.refused.len(), 1);
    assert!(
        p.refused[0].reason.contains("forged or stale"),
        "{}",
        p.refused[0].reason
    );
    assert_eq!(p.unresolved.len(), 1);
}

#[test]
fn an_issuer_that_reaches_no_anchor_is_refused() {
    let b = bundle(&[fixture!("other-root.pem")]);
    let p = run(
        &b,
        vec![cert(fixture!("leaf.pem"))],
        &[store(fixture!("issuing.pem"))],
        &[],
    );

    assert!(p.additions.is_empty(), "{p:#?}");
    assert!(
        p.refused
            .iter()
            .any(|r| r.reason.contains("does not chain")),
        "{p:#?}"
    );
}

#[test]
fn a_new_root_needs_its_fingerprint_named() {
    let b = bundle(&[fixture!("other-root.pem")]);
    let presented = vec![cert(fixture!("leaf.pem")), cert(fixture!("issuing.pem"))];
    let root = store(fixture!("root.pem"));

    let refused = run(&b, presented.clone(), std::slice::from_ref(&root), &[]);
    assert!(refused.additions.is_empty());
    assert!(
        refused
            .refused
            .iter()
            .any(|r| r.reason.contains("--trust-root")),
        "{refused:#?}"
    );

    let named = [root.cert.sha256.to_lowercase().replace(':', "")];
    let trusted = run(&b, presented, &[root], &named);
    assert_eq!(trusted.additions.len(), 1, "{trusted:#?}");
    assert_eq!(trusted.additions[0].subject, "CN=LAB-ROOT-CA");
}

#[test]
fn duplicates_and_keys_go_expired_cas_only_when_asked() {
    let b = bundle(&[
        fixture!("root.pem"),
        fixture!("issuing.pem"),
        fixture!("issuing.pem"),
        fixture!("bundle-expired-ca.pem"),
    ]);
    let kept = run(&b, vec![cert(fixture!("leaf.pem"))], &[], &[]);
    assert!(!kept.removals.is_empty(), "{kept:#?}");
    assert!(
        kept.removals.iter().all(|r| r.reason.contains("duplicate")),
        "{kept:#?}"
    );

    let targets = vec![("t".to_string(), vec![cert(fixture!("leaf.pem"))])];
    let dropped = plan(&RepairInput {
        bundle: &b,
        targets: &targets,
        candidates: &[],
        trust_roots: &[],
        drop_expired: true,
        keep_order: false,
        policy: policy(),
    });
    assert!(
        dropped
            .removals
            .iter()
            .any(|r| r.reason.contains("--drop-expired")),
        "{dropped:#?}"
    );
    assert!(dropped.result.iter().all(|c| c.not_after > policy().now));
}
