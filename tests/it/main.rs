//! The integration suite: one test binary (link time matters on a 2-core machine) that
//! runs the built `ise-doctor` against real TLS servers on 127.0.0.1.
//!
//! - [`support`]: the `Run` builder (a transcript of one CLI run), the `Lab` (a PKI and a
//!   temporary folder for bundles) and in-process servers;
//! - one module per topic: trust and chain shape, certificate checks, probe failures,
//!   CLI behaviour, the `bundle`, `chain` and `fix` commands, an OpenSSL peer, hostile peers,
//!   the generated docs, and the client profiles cross-checked against `openssl verify` and
//!   Python's `ssl` module, and the `java` profile against real JSSE.
//!
//! Nothing here connects anywhere but 127.0.0.1; host names are neutral
//! (`ise-01.example.net`) and reach the servers through `--resolve`.

mod support;

mod bundle_cmd;
mod chain_cmd;
mod check_certs;
mod check_probe;
mod check_trust;
mod cli;
mod client_crosscheck;
mod deployment;
mod docs;
mod explicit_flags;
mod fix_cmd;
mod hostile;
mod java_crosscheck;
mod openssl_peer;
