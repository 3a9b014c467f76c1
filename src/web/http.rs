//! Just enough HTTP/1.1: read one request, write one response, then close the connection.
//!
//! A page, a dozen routes and a stream do not need a framework; closing every connection after
//! its response keeps this small (no keep-alive, no chunked bodies).

use std::borrow::Cow;
use std::io::{self, BufRead, Read, Write};

/// The most a request line and its headers may take.
const MAX_HEAD: usize = 16 * 1024;
/// The largest body accepted (commands are a few bytes).
const MAX_BODY: usize = 64 * 1024;

/// One request.
#[derive(Debug)]
pub(crate) struct Request {
    pub method: String,
    /// The path without its query string.
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    /// A header's value (names compare without case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// Why no request could be read.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// The peer closed (or timed out) before sending anything.
    Closed,
    /// Not HTTP as we read it: 400.
    Bad(String),
    /// Too large: 413.
    TooLarge,
}

impl From<io::Error> for ReadError {
    fn from(_: io::Error) -> Self {
        ReadError::Closed
    }
}

fn read_line(r: &mut impl BufRead, line: &mut Vec<u8>, budget: &mut usize) -> Result<(), ReadError> {
    line.clear();
    let n = r.take(*budget as u64 + 1).read_until(b'\n', line)?;
    if n > *budget {
        return Err(ReadError::TooLarge);
    }
    *budget -= n;
    while matches!(line.last(), Some(b'\n' | b'\r')) {
        line.pop();
    }
    Ok(())
}

/// Reads one request (head and body).
pub(crate) fn read_request(r: &mut impl BufRead) -> Result<Request, ReadError> {
    let mut budget = MAX_HEAD;
    let mut line = Vec::new();
    read_line(r, &mut line, &mut budget)?;
    if line.is_empty() {
        return Err(ReadError::Closed);
    }
    let text = String::from_utf8(line.clone()).map_err(|_| ReadError::Bad("the request line is not UTF-8".into()))?;
    let mut parts = text.split(' ');
    let (Some(method), Some(target), Some(version), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(ReadError::Bad(format!("`{text}` is not a request line")));
    };
    if !version.starts_with("HTTP/1.") || method.is_empty() || !target.starts_with('/') {
        return Err(ReadError::Bad(format!("`{text}` is not an HTTP/1.x request line")));
    }
    let path = target.split(['?', '#']).next().unwrap_or("/").to_owned();
    let mut headers = Vec::new();
    loop {
        read_line(r, &mut line, &mut budget)?;
        if line.is_empty() {
            break;
        }
        let h = String::from_utf8_lossy(&line);
        let (name, value) = h.split_once(':').ok_or_else(|| ReadError::Bad(format!("`{h}` is not a header")))?;
        headers.push((name.trim().to_owned(), value.trim().to_owned()));
    }
    let mut req = Request { method: method.to_owned(), path, headers, body: Vec::new() };
    if req.header("transfer-encoding").is_some() {
        return Err(ReadError::Bad("chunked bodies are not supported: send a Content-Length".into()));
    }
    if let Some(len) = req.header("content-length") {
        let len: usize = len.parse().map_err(|_| ReadError::Bad(format!("`{len}` is not a Content-Length")))?;
        if len > MAX_BODY {
            return Err(ReadError::TooLarge);
        }
        req.body = vec![0; len];
        r.read_exact(&mut req.body)
            .map_err(|_| ReadError::Bad("the body is shorter than its Content-Length".into()))?;
    }
    Ok(req)
}

/// One response, written whole.
#[derive(Debug)]
pub(crate) struct Response {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Cow<'static, [u8]>,
    pub headers: Vec<(&'static str, String)>,
}

impl Response {
    /// A JSON response.
    pub fn json(status: u16, body: String) -> Self {
        Response { status, content_type: "application/json", body: Cow::Owned(body.into_bytes()), headers: Vec::new() }
    }

    /// A JSON error: `{"error": "...", "status": 404}`.
    pub fn error(status: u16, message: &str) -> Self {
        Response::json(status, serde_json::json!({ "error": message, "status": status }).to_string())
    }

    /// An embedded file.
    pub fn file(content_type: &'static str, body: &'static str) -> Self {
        Response { status: 200, content_type, body: Cow::Borrowed(body.as_bytes()), headers: Vec::new() }
    }

    /// Adds a header.
    #[must_use]
    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// Writes the response and flushes.
    pub fn write_to(&self, w: &mut impl Write) -> io::Result<()> {
        let mut head = format!(
            "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nCache-Control: no-store\r\n\
             X-Content-Type-Options: nosniff\r\nConnection: close\r\n",
            self.status,
            reason(self.status),
            self.content_type,
            self.body.len()
        );
        for (name, value) in &self.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        w.write_all(head.as_bytes())?;
        w.write_all(&self.body)?;
        w.flush()
    }
}

/// The head of a Server-Sent Events stream (its body lasts until the connection closes).
pub(crate) const STREAM_HEAD: &str = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\n\
     X-Accel-Buffering: no\r\nConnection: close\r\n\r\n";

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        413 => "Payload Too Large",
        415 => "Unsupported Media Type",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_is_read_with_its_headers_and_body() {
        let raw = b"POST /api/drop?x=1 HTTP/1.1\r\nHost: localhost\r\nContent-Length: 13\r\n\r\n{\"signal\": 5}";
        let req = read_request(&mut &raw[..]).expect("reads");
        assert_eq!((req.method.as_str(), req.path.as_str()), ("POST", "/api/drop"));
        assert_eq!(req.header("HOST"), Some("localhost"));
        assert_eq!(req.body, b"{\"signal\": 5}");
    }

    #[test]
    fn bad_requests_are_refused_with_a_reason() {
        assert!(matches!(read_request(&mut &b"hello\r\n\r\n"[..]), Err(ReadError::Bad(_))));
        assert!(matches!(read_request(&mut &b""[..]), Err(ReadError::Closed)));
        let huge = format!("GET / HTTP/1.1\r\nX: {}\r\n\r\n", "a".repeat(MAX_HEAD));
        assert!(matches!(read_request(&mut huge.as_bytes()), Err(ReadError::TooLarge)));
        let big_body = format!("POST / HTTP/1.1\r\nContent-Length: {}\r\n\r\n", MAX_BODY + 1);
        assert!(matches!(read_request(&mut big_body.as_bytes()), Err(ReadError::TooLarge)));
        let short = b"POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc";
        assert!(matches!(read_request(&mut &short[..]), Err(ReadError::Bad(_))));
    }
}
