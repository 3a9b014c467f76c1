//! The routes: the page, the state, the stream and the commands, the guards every request
//! passes (Host, Origin, content type, size), and the JSON errors of each.

use std::convert::Infallible;
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::mpsc::Sender;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{self, Stream};
use serde::Deserialize;
use serde_json::Value as Json;
use tokio::sync::oneshot;

use super::game::{ApiError, Command, Envelope, NodeAction, SeedChoice, halted_error};
use super::hub::{Hub, Snapshot, next_event};

const INDEX_HTML: &str = include_str!("page/index.html");
const APP_JS: &str = include_str!("page/app.js");
const STYLE_CSS: &str = include_str!("page/style.css");

/// The largest body accepted (commands are a few bytes).
pub(crate) const MAX_BODY: usize = 64 * 1024;
/// A stream says something at least this often, so a dead tab is noticed.
const KEEPALIVE: Duration = Duration::from_secs(10);

/// What the server's tasks share.
pub(crate) struct Ctx {
    pub game: Sender<Envelope>,
    pub hub: Arc<Hub>,
    /// The server listens on a loopback address: only `localhost` or an IP may name it in
    /// `Host` (a page elsewhere cannot reach it through a DNS name pointed at 127.0.0.1).
    pub loopback: bool,
    /// How long a request's body may take to arrive once its head has.
    pub body_timeout: Duration,
}

const ROUTES: &[(&str, &str)] = &[
    ("/", "GET"),
    ("/index.html", "GET"),
    ("/app.js", "GET"),
    ("/style.css", "GET"),
    ("/api/state", "GET"),
    ("/api/stream", "GET"),
    ("/api/drop", "POST"),
    ("/api/node", "POST"),
    ("/api/pause", "POST"),
    ("/api/resume", "POST"),
    ("/api/step", "POST"),
    ("/api/back", "POST"),
    ("/api/seek", "POST"),
    ("/api/speed", "POST"),
    ("/api/options", "POST"),
    ("/api/restart", "POST"),
];

/// A JSON response.
fn json(status: u16, body: String) -> Response {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}

/// A JSON error: `{"error": "...", "status": 404}`.
pub(crate) fn error(status: u16, message: &str) -> Response {
    json(status, serde_json::json!({ "error": message, "status": status }).to_string())
}

fn file(content_type: &'static str, body: &'static str) -> Response {
    let mut r = Response::new(Body::from(body));
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

/// The name in a `Host` (or an `Origin`'s authority) without its port.
fn host_name(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else {
        host.split(':').next().unwrap_or("")
    }
}

fn host_is_allowed(host: &str) -> bool {
    let name = host_name(host);
    name.eq_ignore_ascii_case("localhost") || name.parse::<IpAddr>().is_ok()
}

/// A state-changing request from a page must come from this server's own page: its `Origin`
/// (when a browser sends one) names the host the request was sent to. A page elsewhere gets 403.
fn origin_refusal(headers: &HeaderMap) -> Option<String> {
    let text = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    if text(header::HeaderName::from_static("sec-fetch-site")).is_some_and(|s| s == "cross-site") {
        return Some("a page on another site may not send commands to this game".into());
    }
    let origin = text(header::ORIGIN)?;
    let host = text(header::HOST).unwrap_or("");
    let authority = origin.strip_prefix("http://").or_else(|| origin.strip_prefix("https://"));
    match authority {
        Some(a) if a.eq_ignore_ascii_case(host) => None,
        _ => Some(format!("a page from `{origin}` may not send commands to this game (it serves `{host}`)")),
    }
}

/// Answers one request.
pub(crate) async fn route(State(ctx): State<Arc<Ctx>>, req: Request) -> Response {
    let mut response = answer(&ctx, req).await;
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}

async fn answer(ctx: &Arc<Ctx>, req: Request) -> Response {
    let headers = req.headers();
    if ctx.loopback
        && let Some(host) = headers.get(header::HOST).map(|h| h.to_str().unwrap_or("?"))
        && !host_is_allowed(host)
    {
        return error(
            403,
            &format!("`{host}` does not name this machine: open the page at http://localhost or http://127.0.0.1"),
        );
    }
    let path = req.uri().path().to_owned();
    let Some(&(path, method)) = ROUTES.iter().find(|(p, _)| *p == path) else {
        return error(404, &format!("there is nothing at `{path}`: the API is under /api (see docs/PLAY.md)"));
    };
    let asked = req.method().clone();
    let fits = asked.as_str() == method || (method == "GET" && asked == Method::HEAD);
    if !fits {
        let allow = if method == "GET" { "GET, HEAD" } else { method };
        let mut r = error(405, &format!("{path} takes {method}, not {asked}"));
        r.headers_mut().insert(header::ALLOW, HeaderValue::from_static(allow));
        return r;
    }
    if method == "POST"
        && let Some(why) = origin_refusal(headers)
    {
        return error(403, &why);
    }
    if let Err(e) = query_of(path, req.uri().query()) {
        return error(e.status, &e.message);
    }
    match path {
        "/" | "/index.html" => file("text/html; charset=utf-8", INDEX_HTML),
        "/app.js" => file("text/javascript; charset=utf-8", APP_JS),
        "/style.css" => file("text/css; charset=utf-8", STYLE_CSS),
        "/api/state" => json(200, ctx.hub.latest().state.to_string()),
        "/api/stream" => {
            let full = query_of(path, req.uri().query()).unwrap_or_default();
            stream(ctx, full).into_response()
        }
        _ => {
            let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
            let declared = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
            if declared.is_some_and(|n| n > MAX_BODY as u64) {
                return error(413, &format!("the body is larger than {} KiB", MAX_BODY / 1024));
            }
            let body = match read_body(req.into_body(), ctx.body_timeout).await {
                Ok(b) => b,
                Err(r) => return r,
            };
            match command(path, &content_type, &body) {
                Ok(c) => match send(ctx, c).await {
                    Ok(body) => json(200, body),
                    Err(e) => error(e.status, &e.message),
                },
                Err(e) => error(e.status, &e.message),
            }
        }
    }
}

/// The whole body of a command, or the response that says why there is none: one larger than
/// [`MAX_BODY`] (413), one that has not arrived within `deadline` (408: a client that
/// announces more than it sends must not hold its connection forever), or one that could not
/// be read (400). The last two close the connection, whose next request would start
/// somewhere in the middle of this body.
async fn read_body(body: Body, deadline: Duration) -> Result<Bytes, Response> {
    let closing = |mut r: Response| {
        r.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
        r
    };
    match tokio::time::timeout(deadline, axum::body::to_bytes(body, MAX_BODY)).await {
        Ok(Ok(b)) => Ok(b),
        Ok(Err(e)) => {
            let e = e.into_inner();
            if e.is::<http_body_util::LengthLimitError>() {
                Err(error(413, &format!("the body is larger than {} KiB", MAX_BODY / 1024)))
            } else {
                Err(closing(error(400, &format!("the body could not be read: {e}"))))
            }
        }
        Err(_) => Err(closing(error(
            408,
            &format!(
                "the body did not arrive within {} s of the request's head: send it whole, as long as its Content-Length says",
                deadline.as_secs_f64()
            ),
        ))),
    }
}

/// The query of a request: `/api/stream` knows `full` (`full`, `full=1` or `full=true` for
/// whole states, `full=0` or `full=false` for patches), the other API routes know nothing; a
/// parameter a route does not know is refused, as an unknown field of a body is, so that a
/// misspelt `?ful` is not silently a stream of patches. The page's files take any query (a
/// browser's cache-buster).
fn query_of(path: &str, query: Option<&str>) -> Result<bool, ApiError> {
    let Some(query) = query.filter(|_| path.starts_with("/api/")) else {
        return Ok(false);
    };
    let mut full = false;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').map_or((pair, None), |(n, v)| (n, Some(v)));
        if path != "/api/stream" {
            return Err(ApiError::new(400, format!("{path} takes no query parameter, not `{name}`")));
        }
        full = match (name, value) {
            ("full", None | Some("1" | "true")) => true,
            ("full", Some("0" | "false")) => false,
            ("full", Some(other)) => {
                return Err(ApiError::new(
                    400,
                    format!("{path}?full takes 1, true, 0 or false (or no value), not `{other}`"),
                ));
            }
            (other, _) => {
                return Err(ApiError::new(400, format!("{path} knows only the query parameter `full`, not `{other}`")));
            }
        };
    }
    Ok(full)
}

/// Server-Sent Events: the state at once (`event: state`), then what changed (`event: patch`),
/// each as soon as the tab has taken the one before; with `full`, whole states every time.
fn stream(ctx: &Ctx, full: bool) -> Sse<impl Stream<Item = Result<Event, Infallible>> + use<>> {
    let rx = ctx.hub.subscribe();
    let events = stream::unfold((rx, None::<Snapshot>, false), move |(mut rx, last, done)| async move {
        if done {
            return None;
        }
        loop {
            let now = rx.borrow_and_update().clone();
            if now.version > 0 {
                let next = if full {
                    (last.as_ref().is_none_or(|l| l.version != now.version)).then(|| ("state", now.state.to_string()))
                } else {
                    next_event(last.as_ref(), &now)
                };
                if let Some((kind, data)) = next {
                    let closed = now.closed;
                    return Some((Ok(Event::default().event(kind).data(data)), (rx, Some(now), closed)));
                }
            }
            if now.closed || rx.changed().await.is_err() {
                return None;
            }
        }
    });
    Sse::new(events).keep_alive(KeepAlive::new().interval(KEEPALIVE).text("still here"))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DropBody {
    signal: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NodeBody {
    node: u32,
    action: NodeAction,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SpeedBody {
    ticks_per_second: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SeekBody {
    tick: u64,
}

/// `seed` is a string or a number, told apart after parsing (to name what else it was, `null`
/// included).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RestartBody {
    #[serde(default, deserialize_with = "present")]
    seed: Option<Json>,
}

/// A field that is there, whatever its value (`null` too).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Json>, D::Error> {
    Json::deserialize(d).map(Some)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OptionsBody {
    pause_on_violation: bool,
}

fn parse<T: for<'de> Deserialize<'de>>(path: &str, body: &[u8], example: &str) -> Result<T, ApiError> {
    let bad = |what: String| ApiError::new(400, format!("{path} wants a JSON body like {example}; got {what}"));
    if body.is_empty() {
        return Err(bad("an empty body".into()));
    }
    match serde_json::from_slice::<Json>(body) {
        // From the text, not the parsed object, whose map keeps the last of two equal keys:
        // a key given twice is refused as serde refuses it.
        Ok(Json::Object(_)) => serde_json::from_slice(body).map_err(|e| bad(e.to_string())),
        Ok(other) => Err(bad(format!("`{other}`"))),
        Err(e) => Err(bad(format!("malformed JSON ({e})"))),
    }
}

/// A body that may be empty; when present it must be a JSON object.
fn optional_object(path: &str, body: &[u8]) -> Result<serde_json::Map<String, Json>, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(serde_json::Map::new());
    }
    match serde_json::from_slice::<Json>(body) {
        Ok(Json::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::new(400, format!("{path} wants a JSON object, or no body"))),
        Err(e) => Err(ApiError::new(400, format!("{path}: malformed JSON ({e})"))),
    }
}

fn command(path: &str, content_type: &str, body: &Bytes) -> Result<Command, ApiError> {
    let is_json = content_type.split(';').next().is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return Err(ApiError::new(415, "send commands with `Content-Type: application/json`"));
    }
    Ok(match path {
        "/api/drop" => Command::Drop(parse::<DropBody>(path, body, r#"{"signal": 57}"#)?.signal),
        "/api/node" => {
            let b: NodeBody = parse(
                path,
                body,
                r#"{"node": 2, "action": "crash"} (crash, restart, pause, resume, isolate or heal)"#,
            )?;
            Command::Node(b.node, b.action)
        }
        "/api/speed" => Command::Speed(parse::<SpeedBody>(path, body, r#"{"ticks_per_second": 10}"#)?.ticks_per_second),
        "/api/seek" => Command::Seek(parse::<SeekBody>(path, body, r#"{"tick": 40}"#)?.tick),
        "/api/options" => Command::PauseOnViolation(
            parse::<OptionsBody>(path, body, r#"{"pause_on_violation": false}"#)?.pause_on_violation,
        ),
        "/api/restart" => {
            let example = r#"{"seed": "same"} ("same", "new" or a whole number; no body: the same seed)"#;
            let seed = if body.iter().all(u8::is_ascii_whitespace) {
                None
            } else {
                parse::<RestartBody>(path, body, example)?.seed
            };
            let seed = match seed {
                None => SeedChoice::Same,
                Some(Json::String(s)) if s == "same" => SeedChoice::Same,
                Some(Json::String(s)) if s == "new" => SeedChoice::New,
                Some(Json::Number(n)) if n.as_u64().is_some() => SeedChoice::Given(n.as_u64().unwrap_or(0)),
                Some(other) => {
                    return Err(ApiError::new(
                        400,
                        format!("`seed` is \"same\", \"new\" or a whole number, not {other}"),
                    ));
                }
            };
            Command::Restart(seed)
        }
        other => {
            if let Some(field) = optional_object(path, body)?.keys().next() {
                return Err(ApiError::new(400, format!("{path} takes no field (none or `{{}}`), not `{field}`")));
            }
            match other {
                "/api/pause" => Command::Pause,
                "/api/resume" => Command::Resume,
                "/api/back" => Command::Back,
                _ => Command::Step,
            }
        }
    })
}

/// Hands a command to the game thread and waits for what it did, or for the game to halt
/// (a handler that never returns: the game thread will not answer).
async fn send(ctx: &Ctx, command: Command) -> Result<String, ApiError> {
    let mut states = ctx.hub.subscribe();
    if let Some(why) = ctx.hub.halted() {
        return Err(halted_error(&why));
    }
    let (tx, rx) = oneshot::channel();
    let gone = || ApiError::new(503, "the game has stopped");
    ctx.game.send(Envelope { command, reply: tx }).map_err(|_| gone())?;
    let halted = async {
        loop {
            if let Some(why) = states.borrow_and_update().halted.clone() {
                return why;
            }
            if states.changed().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    };
    let (did, state) = tokio::select! {
        reply = tokio::time::timeout(Duration::from_secs(60), rx) => reply.map_err(|_| gone())?.map_err(|_| gone())??,
        why = halted => return Err(halted_error(&why)),
    };
    Ok(format!(r#"{{"ok":true,"did":{},"state":{state}}}"#, Json::String(did)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_names_may_reach_a_local_server() {
        for ok in ["localhost:8080", "127.0.0.1:1", "[::1]:80", "LOCALHOST", "192.168.1.4:8080"] {
            assert!(host_is_allowed(ok), "{ok}");
        }
        for bad in ["evil.example:8080", "localhost.evil.example", ""] {
            assert!(!host_is_allowed(bad), "{bad}");
        }
    }

    #[test]
    fn commands_from_another_origin_are_refused() {
        let headers = |pairs: &[(&'static str, &'static str)]| {
            let mut h = HeaderMap::new();
            for (k, v) in pairs {
                h.insert(*k, HeaderValue::from_static(v));
            }
            h
        };
        assert!(origin_refusal(&headers(&[("host", "127.0.0.1:8080")])).is_none(), "no Origin: not a browser page");
        assert!(origin_refusal(&headers(&[("host", "127.0.0.1:8080"), ("origin", "http://127.0.0.1:8080")])).is_none());
        assert!(origin_refusal(&headers(&[("host", "127.0.0.1:8080"), ("origin", "http://evil.example")])).is_some());
        assert!(origin_refusal(&headers(&[("host", "127.0.0.1:8080"), ("origin", "null")])).is_some());
        assert!(origin_refusal(&headers(&[("host", "localhost:8080"), ("origin", "http://127.0.0.1:8080")])).is_some());
        assert!(origin_refusal(&headers(&[("host", "x"), ("sec-fetch-site", "cross-site")])).is_some());
    }
}
