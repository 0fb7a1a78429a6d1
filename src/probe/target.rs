//! Targets as the user writes them: `host:port`, a bare host (the usual ISE ports),
//! `[v6]:port`, plus curl-style `--resolve HOST:PORT:ADDR` overrides and the names of
//! the ISE services found on well-known ports.

use std::net::{IpAddr, Ipv6Addr};

use crate::model::{Service, TargetSpec};

/// Ports probed when a target names no port: ERS API, then Admin/API.
pub const DEFAULT_PORTS: [u16; 2] = [9060, 443];

/// A `--resolve HOST:PORT:ADDR` rule: connect to `addr` when probing `host:port`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolveRule {
    pub host: String,
    pub port: u16,
    pub addr: IpAddr,
}

impl ResolveRule {
    /// True when this rule redirects `host:port`.
    pub fn applies_to(&self, host: &str, port: u16) -> bool {
        self.port == port && self.host.eq_ignore_ascii_case(host)
    }
}

/// The ISE service usually listening on `port`.
pub fn service_name(port: u16) -> Option<&'static str> {
    match port {
        9060 => Some("ERS API"),
        443 => Some("Admin/API (OpenAPI, MnT, Certs, SAML)"),
        8910 => Some("pxGrid"),
        2484 => Some("DataConnect"),
        2083 => Some("RadSec"),
        8443 => Some("Portal"),
        _ => None,
    }
}

/// Parses one target. A bare host (or IP) expands to one target per default port.
pub fn parse_target(text: &str, resolve: &[ResolveRule]) -> Result<Vec<TargetSpec>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("empty target: give a host or host:port".to_string());
    }
    if text.contains("://") || text.contains('/') {
        return Err(format!(
            "`{text}` looks like a URL: give a host or host:port, e.g. ise-01.example.net:443"
        ));
    }

    let (host, port) = split_host_port(text)?;
    check_host(host)?;

    // A target with an explicit port keeps its label exactly as written.
    let (ports, as_written) = match port {
        Some(port) => (vec![port], true),
        None => (DEFAULT_PORTS.to_vec(), false),
    };
    let targets = ports
        .into_iter()
        .map(|port| TargetSpec {
            label: if as_written {
                text.to_string()
            } else {
                label(host, port)
            },
            host: host.to_string(),
            port,
            connect_to: resolve
                .iter()
                .find(|r| r.applies_to(host, port))
                .map(|r| r.addr),
            service: service_name(port).map(str::to_string),
            kind: Service::from_port(port),
            present_client_cert: Service::from_port(port) == Some(Service::Pxgrid),
        })
        .collect();
    Ok(targets)
}

/// Parses curl's `--resolve HOST:PORT:ADDR` (ADDR may be an IPv6 address, in brackets
/// or not).
pub fn parse_resolve(text: &str) -> Result<ResolveRule, String> {
    let text = text.trim();
    let usage = || format!("`{text}` is not HOST:PORT:ADDR, e.g. ise-01.example.net:443:10.1.1.10");

    let (host, rest) = text.split_once(':').ok_or_else(usage)?;
    let (port, addr) = rest.split_once(':').ok_or_else(usage)?;
    if host.is_empty() || addr.is_empty() {
        return Err(usage());
    }
    check_host(host)?;
    let port = parse_port(port)?;

    let bare = addr
        .strip_prefix('[')
        .and_then(|a| a.strip_suffix(']'))
        .unwrap_or(addr);
    let addr = bare
        .parse::<IpAddr>()
        .map_err(|_| format!("`{addr}` in `{text}` is not an IP address"))?;
    Ok(ResolveRule {
        host: host.to_string(),
        port,
        addr,
    })
}

/// `host:port`, with brackets around IPv6 addresses.
fn label(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// Splits `host[:port]` and `[v6][:port]`; a bare IPv6 address has no port.
fn split_host_port(text: &str) -> Result<(&str, Option<u16>), String> {
    if let Some(rest) = text.strip_prefix('[') {
        let (inside, after) = rest
            .split_once(']')
            .ok_or_else(|| format!("`{text}`: missing `]` after the IPv6 address"))?;
        if inside.parse::<Ipv6Addr>().is_err() {
            return Err(format!("`{inside}` in `{text}` is not an IPv6 address"));
        }
        return match after {
            "" => Ok((inside, None)),
            _ => match after.strip_prefix(':') {
                Some(port) => Ok((inside, Some(parse_port(port)?))),
                None => Err(format!("`{text}`: expected `:port` after `]`")),
            },
        };
    }

    if text.matches(':').count() > 1 {
        return match text.parse::<Ipv6Addr>() {
            Ok(_) => Ok((text, None)),
            Err(_) => Err(format!(
                "`{text}` is not host:port; write IPv6 addresses in brackets, e.g. [::1]:443"
            )),
        };
    }

    match text.split_once(':') {
        Some((host, port)) => Ok((host, Some(parse_port(port)?))),
        None => Ok((text, None)),
    }
}

fn parse_port(text: &str) -> Result<u16, String> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("`{text}` is not a port number"));
    }
    match text.parse::<u64>() {
        Ok(port @ 1..=65535) => Ok(port as u16),
        _ => Err(format!("port `{text}` is out of range (1-65535)")),
    }
}

/// Accepts DNS names (letters, digits, `-`, `_`, dots) and IP literals, but not numbers
/// that only look like an address to the resolver.
fn check_host(host: &str) -> Result<(), String> {
    if host.is_empty() {
        return Err("missing host name before the port".to_string());
    }
    if host.parse::<IpAddr>().is_ok() {
        return Ok(());
    }

    // The resolver (glibc's inet_aton) reads `24401` as 0.0.95.81, `10.0.5` as 10.0.0.5
    // and `0x7f.1` as 127.0.0.1: every label a decimal, octal or hex number makes an
    // address. Refuse rather than connect somewhere the user did not mean.
    let numeric = |label: &str| {
        let hex = label
            .strip_prefix("0x")
            .or_else(|| label.strip_prefix("0X"))
            .is_some_and(|h| h.bytes().all(|b| b.is_ascii_hexdigit()));
        hex || (!label.is_empty() && label.bytes().all(|b| b.is_ascii_digit()))
    };
    if host.split('.').all(numeric) {
        if !host.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
            return Err(format!(
                "`{host}` is not a host name; write an IPv4 address as four decimal numbers, \
                 e.g. 10.0.0.5"
            ));
        }
        let hint = if host.bytes().all(|b| b.is_ascii_digit()) {
            format!(" (did you mean `HOST:{host}`?)")
        } else if host.split('.').count() == 4 {
            " (a number with a leading zero is read as octal; write 10.0.0.5, not 010.0.0.5)"
                .to_string()
        } else {
            " (an IPv4 address has four numbers, e.g. 10.0.0.5)".to_string()
        };
        return Err(format!("`{host}` is not a host name or IP address{hint}"));
    }

    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    if host.len() > 253 || !host.chars().all(allowed) || host.starts_with('.') {
        return Err(format!("`{host}` is not a valid host name"));
    }
    Ok(())
}
