//! A tiny fixed-response HTTP/1.1 server on loopback: every client in a comparison reads exactly the same bytes.
//!
//! Routes (the query string and the headers are ignored, request bodies are read and dropped):
//!
//! | request | answer |
//! |---|---|
//! | `GET /me` | [`fixtures::BOT_INFO`] |
//! | `POST /messages` | [`fixtures::sent_message`] |
//! | `GET /updates` | [`fixtures::updates_body`] (the same 100 updates every time) |
//! | `POST /uploads` | `{"url":"http://<this server>/upload/file/1"}` |
//! | `POST /upload/…` | `{"token":"received-<n>"}`, `n` the body bytes read (the upload benchmark's sink) |
//! | anything else | `404` with a MAX error body |
//!
//! Connections are kept alive (one thread each) until the client closes them. Unlike the sandbox, the server
//! keeps no state, so a run of any length sees the same answers, and it is cheap enough to run in its own
//! process next to a client under valgrind.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;

use crate::fixtures;

/// The server's precomputed answers (status line, headers and body, ready to write).
#[derive(Debug)]
struct Answers {
    me: Vec<u8>,
    sent: Vec<u8>,
    updates: Vec<u8>,
    upload_url: Vec<u8>,
    not_found: Vec<u8>,
}

fn answer(status: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

impl Answers {
    fn new(addr: SocketAddr) -> Self {
        Self {
            me: answer("200 OK", fixtures::BOT_INFO.as_bytes()),
            sent: answer("200 OK", fixtures::sent_message().as_bytes()),
            updates: answer("200 OK", &fixtures::updates_body()),
            upload_url: answer(
                "200 OK",
                format!(r#"{{"url":"http://{addr}/upload/file/1"}}"#).as_bytes(),
            ),
            not_found: answer(
                "404 Not Found",
                br#"{"code":"not.found","message":"no such route in the bench server"}"#,
            ),
        }
    }

    fn route(&self, method: &str, target: &str, received: u64) -> std::borrow::Cow<'_, [u8]> {
        let path = target.split('?').next().unwrap_or_default();
        match (method, path) {
            ("GET", "/me") => self.me.as_slice().into(),
            ("POST", "/messages") => self.sent.as_slice().into(),
            ("GET", "/updates") => self.updates.as_slice().into(),
            ("POST", "/uploads") => self.upload_url.as_slice().into(),
            ("POST", p) if p.starts_with("/upload/") => answer(
                "200 OK",
                format!(r#"{{"token":"received-{received}"}}"#).as_bytes(),
            )
            .into(),
            _ => self.not_found.as_slice().into(),
        }
    }
}

/// Binds `127.0.0.1` on a free port.
pub fn bind() -> io::Result<TcpListener> {
    TcpListener::bind(("127.0.0.1", 0))
}

/// Serves `listener` on the calling thread until accepting fails.
pub fn serve(listener: &TcpListener) -> io::Result<()> {
    let answers = Arc::new(Answers::new(listener.local_addr()?));
    loop {
        let (stream, _) = listener.accept()?;
        let answers = Arc::clone(&answers);
        std::thread::spawn(move || {
            // A client that goes away mid-request is not the server's problem.
            let _ = connection(stream, &answers);
        });
    }
}

/// Starts the server on a background thread of this process and returns its address (for tests; the
/// instruction bench runs it in a process of its own).
pub fn spawn() -> io::Result<SocketAddr> {
    let listener = bind()?;
    let addr = listener.local_addr()?;
    std::thread::spawn(move || serve(&listener));
    Ok(addr)
}

/// Reads one CRLF- (or LF-) terminated line without the terminator; `None` at end of stream.
fn line(reader: &mut impl BufRead, buf: &mut Vec<u8>) -> io::Result<Option<String>> {
    buf.clear();
    if reader.read_until(b'\n', buf)? == 0 {
        return Ok(None);
    }
    while buf.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
        buf.pop();
    }
    Ok(Some(String::from_utf8_lossy(buf).into_owned()))
}

fn invalid(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_owned())
}

fn connection(stream: TcpStream, answers: &Answers) -> io::Result<()> {
    stream.set_nodelay(true)?;
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    let mut buf = Vec::new();
    loop {
        let Some(request_line) = line(&mut reader, &mut buf)? else {
            return Ok(());
        };
        if request_line.is_empty() {
            continue;
        }
        let mut parts = request_line.split_whitespace();
        let method = parts.next().unwrap_or_default().to_owned();
        let target = parts.next().unwrap_or_default().to_owned();
        let mut length = 0usize;
        let mut chunked = false;
        loop {
            let header = line(&mut reader, &mut buf)?.ok_or_else(|| invalid("eof in headers"))?;
            if header.is_empty() {
                break;
            }
            let Some((name, value)) = header.split_once(':') else {
                continue;
            };
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                length = value.parse().map_err(|_| invalid("content-length"))?;
            } else if name.eq_ignore_ascii_case("transfer-encoding") {
                chunked = value.eq_ignore_ascii_case("chunked");
            }
        }
        let mut received = 0;
        if chunked {
            loop {
                let size = line(&mut reader, &mut buf)?.ok_or_else(|| invalid("eof in chunk"))?;
                let size = size.split(';').next().unwrap_or_default().trim();
                let size = usize::from_str_radix(size, 16).map_err(|_| invalid("chunk size"))?;
                if size == 0 {
                    // Trailers, up to the empty line.
                    while line(&mut reader, &mut buf)?.is_some_and(|l| !l.is_empty()) {}
                    break;
                }
                received +=
                    io::copy(&mut (&mut reader).take(size as u64 + 2), &mut io::sink())? - 2;
            }
        } else {
            // Read and dropped in the BufReader's 8 KiB: the sink's memory does not grow with the body.
            received = io::copy(&mut (&mut reader).take(length as u64), &mut io::sink())?;
            if received < length as u64 {
                return Err(invalid("eof in body"));
            }
        }
        writer.write_all(&answers.route(&method, &target, received))?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::floor;

    #[test]
    fn answers_every_route_on_one_kept_alive_connection() {
        let addr = spawn().expect("server");
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        for _ in 0..3 {
            let mut me = agent
                .get(format!("http://{addr}/me"))
                .call()
                .expect("GET /me");
            let me: floor::User =
                serde_json::from_slice(&me.body_mut().read_to_vec().expect("body"))
                    .expect("bot decodes");
            assert_eq!(me.user_id, 123123123);
            let mut sent = agent
                .post(format!("http://{addr}/messages?chat_id=1"))
                .send(&br#"{"text":"hi"}"#[..])
                .expect("POST /messages");
            let sent: floor::Sent =
                serde_json::from_slice(&sent.body_mut().read_to_vec().expect("body"))
                    .expect("message decodes");
            assert_eq!(sent.message.recipient.chat_id, Some(fixtures::CHAT_ID));
            let mut updates = agent
                .get(format!("http://{addr}/updates?marker=1"))
                .call()
                .expect("GET /updates");
            let body = updates.body_mut().read_to_vec().expect("body");
            assert_eq!(body, fixtures::updates_body());
        }
        let missing = agent
            .get(format!("http://{addr}/chats"))
            .call()
            .expect("GET /chats");
        assert_eq!(missing.status(), 404);
    }

    #[test]
    fn the_upload_routes_hand_out_a_url_and_count_the_bytes() {
        let addr = spawn().expect("server");
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let mut endpoint = agent
            .post(format!("http://{addr}/uploads?type=file"))
            .send_empty()
            .expect("POST /uploads");
        let endpoint: serde_json::Value =
            serde_json::from_slice(&endpoint.body_mut().read_to_vec().expect("body"))
                .expect("json");
        let url = endpoint["url"].as_str().expect("url").to_owned();
        assert_eq!(url, format!("http://{addr}/upload/file/1"));
        let mut answer = agent
            .post(&url)
            .send(&vec![7u8; 100_000][..])
            .expect("upload");
        let answer = answer.body_mut().read_to_string().expect("body");
        assert_eq!(answer, r#"{"token":"received-100000"}"#);
    }
}
