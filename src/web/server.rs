//! The listener: one thread accepts, one thread per connection answers, one thread plays.

use std::io::{BufReader, Write};
use std::net::{Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use dgame_engine::Config;

use super::api::{self, Ctx, Routed};
use super::game::{Command, Envelope, GameSetup};
use super::http::{ReadError, Response, STREAM_HEAD, read_request};
use super::hub::Hub;
use super::hub::Next;
use super::{Game, MAX_SPEED, MIN_SPEED, PlayOptions};

/// More connections at once than a handful of tabs need; beyond it the server answers 503.
const MAX_CONNECTIONS: usize = 128;
/// A stream says something at least this often, so a dead tab is noticed.
const KEEPALIVE: Duration = Duration::from_secs(10);

/// A game being served. Dropping it stops the game and the server.
pub struct Server {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    ctx: Arc<Ctx>,
    accept: Option<JoinHandle<()>>,
    game: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server").field("addr", &self.addr).finish_non_exhaustive()
    }
}

impl Server {
    /// Starts `game` with `config` (validated here) and serves it.
    pub fn start(game: &Game, config: Config, options: &PlayOptions) -> std::io::Result<Server> {
        config.validate().map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e.to_string()))?;
        let listener = TcpListener::bind((options.addr, options.port))?;
        let addr = listener.local_addr()?;
        let hub = Arc::new(Hub::default());
        let (tx, rx) = mpsc::channel();
        let setup = GameSetup {
            algorithm: game.name,
            config,
            speed: options.speed.clamp(MIN_SPEED, MAX_SPEED),
            paused: options.paused,
            commands: rx,
            hub: hub.clone(),
        };
        let play = game.start;
        let game = thread::Builder::new().name("dgame-play-game".into()).spawn(move || play(setup))?;
        // The first state is published before the server answers anyone.
        while hub.latest().is_empty() && !game.is_finished() {
            thread::sleep(Duration::from_millis(1));
        }
        let ctx = Arc::new(Ctx { game: Mutex::new(tx), hub, loopback: options.addr.is_loopback() });
        let stop = Arc::new(AtomicBool::new(false));
        let accept = {
            let (ctx, stop) = (ctx.clone(), stop.clone());
            thread::Builder::new()
                .name("dgame-play-accept".into())
                .spawn(move || accept_loop(&listener, &ctx, &stop))?
        };
        Ok(Server { addr, stop, ctx, accept: Some(accept), game: Some(game) })
    }

    /// The address it listens on (with the port chosen when asked for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The page's address.
    pub fn url(&self) -> String {
        let host = if self.addr.ip().is_unspecified() { Ipv4Addr::LOCALHOST.into() } else { self.addr.ip() };
        format!("http://{}/", SocketAddr::new(host, self.addr.port()))
    }

    /// How many event streams are open (tabs watching).
    pub fn watchers(&self) -> usize {
        self.ctx.hub.watchers()
    }

    /// Serves until the process ends.
    pub fn wait(mut self) {
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
    }

    fn shut_down(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let (reply, _) = mpsc::channel();
        let _ = self.ctx.game.lock().map(|g| g.send(Envelope { command: Command::Quit, reply }));
        // Wake the accept loop so it sees `stop`.
        let wake = SocketAddr::new(
            if self.addr.ip().is_unspecified() { Ipv4Addr::LOCALHOST.into() } else { self.addr.ip() },
            self.addr.port(),
        );
        let _ = TcpStream::connect_timeout(&wake, Duration::from_secs(1));
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
        if let Some(game) = self.game.take() {
            let _ = game.join();
        }
        self.ctx.hub.close();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shut_down();
    }
}

fn accept_loop(listener: &TcpListener, ctx: &Arc<Ctx>, stop: &AtomicBool) {
    let open = Arc::new(AtomicUsize::new(0));
    for stream in listener.incoming() {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let Ok(mut stream) = stream else { continue };
        if open.load(Ordering::SeqCst) >= MAX_CONNECTIONS {
            let _ = Response::error(503, "too many connections; close some tabs").write_to(&mut stream);
            continue;
        }
        open.fetch_add(1, Ordering::SeqCst);
        let (ctx, open2) = (ctx.clone(), open.clone());
        let spawned = thread::Builder::new().name("dgame-play-conn".into()).spawn(move || {
            serve(stream, &ctx);
            open2.fetch_sub(1, Ordering::SeqCst);
        });
        if spawned.is_err() {
            open.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

/// Answers one connection: one request, or one stream.
fn serve(mut stream: TcpStream, ctx: &Ctx) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(10)));
    let _ = stream.set_nodelay(true);
    let Ok(read_half) = stream.try_clone() else { return };
    let mut reader = BufReader::new(read_half);
    let response = match read_request(&mut reader) {
        Err(ReadError::Closed) => return,
        Err(ReadError::Bad(why)) => Response::error(400, &why),
        Err(ReadError::TooLarge) => Response::error(413, "the request is too large"),
        Ok(req) => match api::route(&req, ctx) {
            Routed::Respond(r) => r,
            Routed::Stream => {
                stream_states(&mut stream, ctx);
                return;
            }
        },
    };
    let _ = response.write_to(&mut stream);
    let _ = stream.shutdown(Shutdown::Write);
}

/// Server-Sent Events: every state, as it comes, until the tab goes away.
fn stream_states(stream: &mut TcpStream, ctx: &Ctx) {
    let Some(states) = ctx.hub.subscribe() else {
        let _ = Response::error(503, "the game has stopped").write_to(stream);
        return;
    };
    if stream.write_all(STREAM_HEAD.as_bytes()).and_then(|()| stream.write_all(b"retry: 1000\n\n")).is_err() {
        return;
    }
    loop {
        let sent = match states.next(KEEPALIVE) {
            Next::State(state) => stream.write_all(format!("data: {state}\n\n").as_bytes()),
            Next::Idle => stream.write_all(b": still here\n\n"),
            Next::Closed => return,
        };
        if sent.and_then(|()| stream.flush()).is_err() {
            return;
        }
    }
}
