//! The ISE services ise-doctor knows by name, with their ports and their TLS rules.
//!
//! A target carries the service whose rules apply to it: pxGrid presents the client
//! certificate, DataConnect may be pinned. A custom `host:port` on a known port gets
//! that port's service.

use serde::Serialize;

/// An ISE service.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Service {
    /// External RESTful Services API, 9060.
    Ers,
    /// Admin GUI, OpenAPI, MnT, Certs and SAML APIs, 443.
    Api,
    /// pxGrid 2.0 (REST and WebSocket), 8910, mutual TLS.
    Pxgrid,
    /// DataConnect, ISE's Oracle database over TCPS, 2484.
    Dataconnect,
}

impl Service {
    pub const ALL: [Service; 4] = [
        Service::Ers,
        Service::Api,
        Service::Pxgrid,
        Service::Dataconnect,
    ];

    /// The services a bare host means when nothing else says.
    pub const DEFAULT: [Service; 2] = [Service::Ers, Service::Api];

    /// The name used in flags and the config file: `ers`, `api`, `pxgrid`, `dataconnect`.
    pub fn name(self) -> &'static str {
        match self {
            Service::Ers => "ers",
            Service::Api => "api",
            Service::Pxgrid => "pxgrid",
            Service::Dataconnect => "dataconnect",
        }
    }

    /// The name reports show beside the port.
    pub fn title(self) -> &'static str {
        match self {
            Service::Ers => "ERS API",
            Service::Api => "Admin/API (OpenAPI, MnT, Certs, SAML)",
            Service::Pxgrid => "pxGrid",
            Service::Dataconnect => "DataConnect",
        }
    }

    pub fn port(self) -> u16 {
        match self {
            Service::Ers => 9060,
            Service::Api => 443,
            Service::Pxgrid => 8910,
            Service::Dataconnect => 2484,
        }
    }

    pub fn from_name(name: &str) -> Option<Service> {
        Service::ALL
            .into_iter()
            .find(|s| s.name().eq_ignore_ascii_case(name.trim()))
    }

    pub fn from_port(port: u16) -> Option<Service> {
        Service::ALL.into_iter().find(|s| s.port() == port)
    }

    /// "`ers`, `api`, `pxgrid` or `dataconnect`", for error messages.
    pub fn names() -> String {
        "`ers`, `api`, `pxgrid` or `dataconnect`".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::Service;
    use crate::model::TargetSpec;

    #[test]
    fn a_service_on_a_moved_port_is_addressed_by_name() {
        let mut target = TargetSpec::new("ise-01.example.net", 12484);
        target.kind = Some(Service::Dataconnect);
        assert_eq!(target.command_args(), "ise-01.example.net:dataconnect");

        let usual = TargetSpec::new("ise-01.example.net", 2484);
        assert_eq!(usual.command_args(), "ise-01.example.net:2484");
    }
}
