//! Simulated PKIs and servers on loopback, for `ise-doctor demo` and the tests.
//!
//! [`pki`] generates certificate chains with every defect the diagnosis recognises;
//! [`server`] serves them (or misbehaves) on `127.0.0.1`; [`http`] serves files over plain
//! HTTP, as an AIA caIssuers URL does. Nothing here touches any address other than
//! loopback.

mod background;
pub mod http;
pub mod pki;
pub mod server;

pub use pki::{Issued, KeyAlg, LeafEku, LeafSpec, Pki, PkiBuilder, Validity};
pub use server::{
    BackgroundServer, Behavior, ClientAuth, ServerHandle, TlsSpec, Versions, spawn_background,
    start,
};
