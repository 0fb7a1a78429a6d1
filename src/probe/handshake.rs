//! Driving one rustls client handshake over a TCP socket by hand, and naming what went
//! wrong when it fails.
//!
//! The probe owns the socket and the `ClientConnection` directly rather than going
//! through tokio-rustls, for three reasons: the first bytes the peer sent are kept (to
//! recognise an HTTP answer), the connection survives a failed handshake (so the version
//! and cipher stay readable), and there is visibly no path that writes application data:
//! only `write_tls` output (handshake records and alerts) ever reaches the socket.

use std::io::Read as _;

use rustls::{AlertDescription, ClientConnection};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout_at};

/// How many of the peer's first bytes are kept for the not-TLS diagnosis.
const FIRST_BYTES: usize = 64;

/// How long a last-gasp alert may take to write after a failure.
const ALERT_GRACE: std::time::Duration = std::time::Duration::from_millis(200);

/// How a handshake (or the wait after it) stopped.
#[derive(Debug)]
pub(super) enum Stop {
    /// The deadline passed.
    Timeout,
    /// The peer closed the TCP connection (no close_notify).
    Eof,
    /// A socket error, e.g. a reset.
    Io(std::io::Error),
    /// rustls rejected what the peer sent, or the peer sent a fatal alert.
    Tls(rustls::Error),
}

/// What happened after a TLS 1.3 handshake with a CertificateRequest.
#[derive(Debug)]
pub(super) enum Verdict {
    /// Nothing within the wait: the server accepted what we sent (or the lack of it).
    Quiet,
    /// A clean close_notify within the wait.
    Closed,
    /// The server refused our certificate or its absence (alert, close or reset).
    Rejected(Stop),
}

/// The first bytes received from the peer, kept for diagnosis.
#[derive(Debug, Default)]
pub(super) struct Wire {
    pub first: Vec<u8>,
}

impl Wire {
    fn record(&mut self, data: &[u8]) {
        let room = FIRST_BYTES.saturating_sub(self.first.len());
        self.first.extend_from_slice(&data[..room.min(data.len())]);
    }

    /// False when the peer's first bytes cannot start a TLS record.
    pub fn looks_like_tls(&self) -> bool {
        match self.first.as_slice() {
            [] => true,
            [content_type] => (20..=24).contains(content_type),
            [content_type, major, ..] => (20..=24).contains(content_type) && *major == 3,
        }
    }
}

/// Runs the handshake to completion or failure, within `deadline`.
pub(super) async fn handshake(
    conn: &mut ClientConnection,
    socket: &mut TcpStream,
    deadline: Instant,
    wire: &mut Wire,
) -> Result<(), Stop> {
    let mut buf = vec![0u8; 18 * 1024];
    loop {
        flush(conn, socket, deadline).await?;
        if !conn.is_handshaking() {
            return Ok(());
        }

        let n = read(socket, &mut buf, deadline).await?;
        wire.record(&buf[..n]);

        if let Err(stop) = feed(conn, &buf[..n]) {
            send_alert(conn, socket).await;
            return Err(stop);
        }
    }
}

/// After a TLS 1.3 handshake in which the server asked for a certificate: reads (never
/// writes) until the server rejects our certificate (or its absence), closes, or `until`
/// passes.
pub(super) async fn await_client_auth_verdict(
    conn: &mut ClientConnection,
    socket: &mut TcpStream,
    until: Instant,
) -> Verdict {
    let mut buf = vec![0u8; 18 * 1024];
    loop {
        let n = match read(socket, &mut buf, until).await {
            Ok(n) => n,
            Err(Stop::Timeout) => return Verdict::Quiet,
            Err(stop) => return Verdict::Rejected(stop),
        };

        // Session tickets (and any stray data, discarded unread) are not a verdict.
        match feed(conn, &buf[..n]) {
            Ok(true) => return Verdict::Closed,
            Ok(false) => {}
            Err(stop) => return Verdict::Rejected(stop),
        }
    }
}

/// Writes what rustls has queued (handshake records or alerts; never application data).
async fn flush(
    conn: &mut ClientConnection,
    socket: &mut TcpStream,
    deadline: Instant,
) -> Result<(), Stop> {
    while conn.wants_write() {
        let mut out = Vec::new();
        conn.write_tls(&mut out).map_err(Stop::Io)?;
        match timeout_at(deadline, socket.write_all(&out)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(Stop::Io(e)),
            Err(_) => return Err(Stop::Timeout),
        }
    }
    Ok(())
}

/// Best effort: tell the peer why we stop (rustls queues a fatal alert on errors).
async fn send_alert(conn: &mut ClientConnection, socket: &mut TcpStream) {
    let _ = flush(conn, socket, Instant::now() + ALERT_GRACE).await;
}

/// Reads some bytes; end of stream is [`Stop::Eof`].
async fn read(socket: &mut TcpStream, buf: &mut [u8], deadline: Instant) -> Result<usize, Stop> {
    match timeout_at(deadline, socket.read(buf)).await {
        Ok(Ok(0)) => Err(Stop::Eof),
        Ok(Ok(n)) => Ok(n),
        Ok(Err(e)) => Err(Stop::Io(e)),
        Err(_) => Err(Stop::Timeout),
    }
}

/// Hands received bytes to rustls. Returns true once the peer sent close_notify.
fn feed(conn: &mut ClientConnection, mut data: &[u8]) -> Result<bool, Stop> {
    while !data.is_empty() {
        match conn.read_tls(&mut data) {
            Ok(0) => return Ok(true),
            Ok(_) => {}
            Err(e) => return Err(Stop::Io(e)),
        }

        let state = conn.process_new_packets().map_err(Stop::Tls)?;
        discard_plaintext(conn);
        if state.peer_has_closed() {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Drops any application data the server sent, so rustls's buffer never fills.
fn discard_plaintext(conn: &mut ClientConnection) {
    let mut sink = [0u8; 4096];
    while let Ok(1..) = conn.reader().read(&mut sink) {}
}

/// The alert the peer sent, if that is why the connection stopped.
pub(super) fn alert_of(stop: &Stop) -> Option<AlertDescription> {
    match stop {
        Stop::Tls(rustls::Error::AlertReceived(alert)) => Some(*alert),
        _ => None,
    }
}

/// The TLS specification's name of an alert, e.g. `certificate_required`.
pub(super) fn alert_name(alert: AlertDescription) -> String {
    let Some(camel) = alert.as_str() else {
        return format!("unknown alert {}", u8::from(alert));
    };

    // A word starts at a capital after a small letter (`UnknownCa`), or at the last
    // capital of an acronym followed by a small letter (`PSKIdentity`): `UnknownCA` is
    // `unknown_ca`, `UnknownPSKIdentity` is `unknown_psk_identity`.
    let chars: Vec<char> = camel.chars().collect();
    let mut name = String::with_capacity(camel.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        let before = i.checked_sub(1).map(|j| chars[j]);
        let after = chars.get(i + 1).copied();
        let starts_word = c.is_ascii_uppercase()
            && (before.is_some_and(|b| b.is_ascii_lowercase())
                || (before.is_some_and(|b| b.is_ascii_uppercase())
                    && after.is_some_and(|a| a.is_ascii_lowercase())));
        if starts_word {
            name.push('_');
        }
        name.push(c.to_ascii_lowercase());
    }
    name
}

/// A printable excerpt of the peer's first bytes: the first line when it is text,
/// otherwise an escaped prefix.
pub(super) fn excerpt(bytes: &[u8]) -> String {
    let line_end = bytes.iter().position(|&b| b == b'\r' || b == b'\n');
    let line = &bytes[..line_end.unwrap_or(bytes.len())];
    if !line.is_empty() && line.iter().all(|b| (0x20..0x7f).contains(b)) {
        return String::from_utf8_lossy(line).into_owned();
    }

    bytes
        .iter()
        .take(32)
        .flat_map(|&b| std::ascii::escape_default(b))
        .map(char::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alert_names_follow_the_rfc() {
        assert_eq!(
            alert_name(AlertDescription::CertificateRequired),
            "certificate_required"
        );
        assert_eq!(
            alert_name(AlertDescription::HandshakeFailure),
            "handshake_failure"
        );
        assert_eq!(alert_name(AlertDescription::UnknownCA), "unknown_ca");
        assert_eq!(
            alert_name(AlertDescription::UnknownPSKIdentity),
            "unknown_psk_identity"
        );
        assert_eq!(alert_name(AlertDescription::from(250)), "unknown alert 250");
    }

    #[test]
    fn excerpt_keeps_a_text_line_and_escapes_binary() {
        assert_eq!(
            excerpt(b"HTTP/1.1 400 Bad Request\r\nServer: x"),
            "HTTP/1.1 400 Bad Request"
        );
        assert_eq!(excerpt(&[0x00, 0x41, 0xff]), "\\x00A\\xff");
    }

    #[test]
    fn tls_record_headers_are_recognised() {
        let wire = |first: &[u8]| Wire {
            first: first.to_vec(),
        };
        assert!(wire(&[0x16, 0x03, 0x03]).looks_like_tls());
        assert!(wire(&[0x15, 0x03, 0x01]).looks_like_tls());
        assert!(!wire(b"HTTP/1.1").looks_like_tls());
        assert!(!wire(&[0x16, 0x48]).looks_like_tls());
    }
}
