//! The routes: the page, the state, the stream and the commands, and the errors of each.

use std::net::IpAddr;
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value as Json;

use super::game::{ApiError, Command, Envelope, NodeAction, SeedChoice};
use super::http::{Request, Response};
use super::hub::Hub;

const INDEX_HTML: &str = include_str!("page/index.html");
const APP_JS: &str = include_str!("page/app.js");
const STYLE_CSS: &str = include_str!("page/style.css");

/// What the HTTP threads share.
pub(crate) struct Ctx {
    pub game: Mutex<Sender<Envelope>>,
    pub hub: Arc<Hub>,
    /// The server listens on a loopback address: only `localhost` or an IP may name it in
    /// `Host` (a page elsewhere cannot reach it through a DNS name pointed at 127.0.0.1).
    pub loopback: bool,
}

/// What to do with a request.
pub(crate) enum Routed {
    Respond(Response),
    /// Open the event stream.
    Stream,
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
    ("/api/speed", "POST"),
    ("/api/restart", "POST"),
];

fn host_is_allowed(host: &str) -> bool {
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else {
        host.split(':').next().unwrap_or("")
    };
    name.eq_ignore_ascii_case("localhost") || name.parse::<IpAddr>().is_ok()
}

/// Answers one request.
pub(crate) fn route(req: &Request, ctx: &Ctx) -> Routed {
    if ctx.loopback
        && let Some(host) = req.header("host")
        && !host_is_allowed(host)
    {
        return Routed::Respond(Response::error(
            403,
            &format!("`{host}` does not name this machine: open the page at http://localhost or http://127.0.0.1"),
        ));
    }
    let Some(&(path, method)) = ROUTES.iter().find(|(p, _)| *p == req.path) else {
        return Routed::Respond(Response::error(
            404,
            &format!("there is nothing at `{}`: the API is under /api (see docs/PLAY.md)", req.path),
        ));
    };
    if req.method != method {
        return Routed::Respond(
            Response::error(405, &format!("{path} takes {method}, not {}", req.method)).with_header("Allow", method),
        );
    }
    Routed::Respond(match path {
        "/" | "/index.html" => Response::file("text/html; charset=utf-8", INDEX_HTML),
        "/app.js" => Response::file("text/javascript; charset=utf-8", APP_JS),
        "/style.css" => Response::file("text/css; charset=utf-8", STYLE_CSS),
        "/api/state" => Response::json(200, ctx.hub.latest().to_string()),
        "/api/stream" => return Routed::Stream,
        _ => match command(path, req).and_then(|c| send(ctx, c)) {
            Ok(body) => Response::json(200, body),
            Err(e) => Response::error(e.status, &e.message),
        },
    })
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

fn parse<T: for<'de> Deserialize<'de>>(req: &Request, example: &str) -> Result<T, ApiError> {
    let bad = |what: String| ApiError::new(400, format!("{} wants a JSON body like {example}; got {what}", req.path));
    if req.body.is_empty() {
        return Err(bad("an empty body".into()));
    }
    match serde_json::from_slice::<Json>(&req.body) {
        Ok(object @ Json::Object(_)) => serde_json::from_value(object).map_err(|e| bad(e.to_string())),
        Ok(other) => Err(bad(format!("`{other}`"))),
        Err(e) => Err(bad(format!("malformed JSON ({e})"))),
    }
}

/// A body that may be empty; when present it must be a JSON object.
fn optional_object(req: &Request) -> Result<serde_json::Map<String, Json>, ApiError> {
    if req.body.iter().all(u8::is_ascii_whitespace) {
        return Ok(serde_json::Map::new());
    }
    match serde_json::from_slice::<Json>(&req.body) {
        Ok(Json::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::new(400, format!("{} wants a JSON object, or no body", req.path))),
        Err(e) => Err(ApiError::new(400, format!("{}: malformed JSON ({e})", req.path))),
    }
}

fn command(path: &str, req: &Request) -> Result<Command, ApiError> {
    let json = req
        .header("content-type")
        .is_some_and(|t| t.split(';').next().is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json")));
    if !json {
        return Err(ApiError::new(415, "send commands with `Content-Type: application/json`"));
    }
    Ok(match path {
        "/api/drop" => Command::Drop(parse::<DropBody>(req, r#"{"signal": 57}"#)?.signal),
        "/api/node" => {
            let b: NodeBody =
                parse(req, r#"{"node": 2, "action": "crash"} (crash, restart, pause, resume, isolate or heal)"#)?;
            Command::Node(b.node, b.action)
        }
        "/api/speed" => Command::Speed(parse::<SpeedBody>(req, r#"{"ticks_per_second": 10}"#)?.ticks_per_second),
        "/api/restart" => {
            let body = optional_object(req)?;
            let seed = match body.get("seed") {
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
            if let Some(k) = body.keys().find(|k| *k != "seed") {
                return Err(ApiError::new(400, format!("/api/restart knows only `seed`, not `{k}`")));
            }
            Command::Restart(seed)
        }
        other => {
            optional_object(req)?;
            match other {
                "/api/pause" => Command::Pause,
                "/api/resume" => Command::Resume,
                _ => Command::Step,
            }
        }
    })
}

/// Hands a command to the game thread and waits for what it did.
fn send(ctx: &Ctx, command: Command) -> Result<String, ApiError> {
    let (tx, rx) = mpsc::channel();
    let gone = || ApiError::new(503, "the game has stopped");
    ctx.game
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .send(Envelope { command, reply: tx })
        .map_err(|_| gone())?;
    let (did, state) = rx.recv_timeout(Duration::from_secs(30)).map_err(|_| gone())??;
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
}
