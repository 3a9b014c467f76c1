//! The server: a small tokio runtime on a thread of its own, hyper's HTTP/1.1 (keep-alive,
//! pipelining, `HEAD`, deadlines for slow request heads and bodies) serving the axum router of `api`, and
//! the game on a thread of its own.

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::sync::Arc;
use std::sync::mpsc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use axum::Router;
use dgame_engine::Config;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::sync::oneshot;

use super::api::{self, Ctx};
use super::game::{Command, Envelope, GameSetup};
use super::hub::Hub;
use super::{Game, MAX_SPEED, MIN_SPEED, PlayOptions};

/// A game being served. Dropping it stops the game and the server.
pub struct Server {
    addr: SocketAddr,
    ctx: Arc<Ctx>,
    stop: Option<oneshot::Sender<()>>,
    serve: Option<JoinHandle<()>>,
    game: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server").field("addr", &self.addr).finish_non_exhaustive()
    }
}

impl Server {
    /// Starts `game` with `config` (validated here) and serves it as `options` say.
    pub fn start(game: &Game, config: Config, options: &PlayOptions) -> std::io::Result<Server> {
        config.validate().map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e.to_string()))?;
        let listener = TcpListener::bind((options.addr, options.port))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("dgame-play-http")
            .enable_all()
            .build()?;
        let hub = Arc::new(Hub::default());
        let (tx, rx) = mpsc::channel();
        let setup = GameSetup {
            algorithm: game.name,
            config,
            speed: options.speed.clamp(MIN_SPEED, MAX_SPEED),
            paused: options.paused,
            program: options.program.clone(),
            commands: rx,
            hub: hub.clone(),
        };
        let play = game.start;
        let game = thread::Builder::new().name("dgame-play-game".into()).spawn(move || play(setup))?;
        // The first state is published before the server answers anyone.
        while hub.latest().version == 0 && !game.is_finished() {
            thread::sleep(Duration::from_millis(1));
        }
        let timeout = options.request_timeout;
        let ctx = Arc::new(Ctx { game: tx, hub, loopback: options.addr.is_loopback(), body_timeout: timeout });
        let router = Router::new().fallback(api::route).with_state(ctx.clone());
        let (stop, stopped) = oneshot::channel();
        let serve = thread::Builder::new().name("dgame-play-serve".into()).spawn(move || {
            runtime.block_on(accept(listener, router, timeout, stopped));
            runtime.shutdown_timeout(Duration::from_millis(200));
        })?;
        Ok(Server { addr, ctx, stop: Some(stop), serve: Some(serve), game: Some(game) })
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

    /// Serves until the process ends (or the game thread does; a game halted by a handler that
    /// never returns is served on, showing why).
    pub fn wait(mut self) {
        if let Some(game) = self.game.take() {
            let _ = game.join();
        }
    }

    fn shut_down(&mut self) {
        let (reply, _) = oneshot::channel();
        let _ = self.ctx.game.send(Envelope { command: Command::Quit, reply });
        if let Some(game) = self.game.take() {
            // A game thread stuck in a handler never ends: once the watchdog has halted the
            // game, it is left to spin until the process ends.
            while !game.is_finished() && self.ctx.hub.halted().is_none() {
                thread::sleep(Duration::from_millis(1));
            }
            if game.is_finished() {
                let _ = game.join();
            }
        }
        self.ctx.hub.close();
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(serve) = self.serve.take() {
            let _ = serve.join();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shut_down();
    }
}

/// Accepts connections until told to stop; each is served by hyper on a task of its own. A
/// client has `head_timeout` to send a request's head once it has started one (or has opened
/// the connection): a slow or silent one is closed and costs nothing after (its body has as
/// long again, see `api::route`).
async fn accept(listener: TcpListener, router: Router, head_timeout: Duration, mut stopped: oneshot::Receiver<()>) {
    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else { return };
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                // Out of descriptors and the like: wait a little rather than spin.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            },
            _ = &mut stopped => return,
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(router.clone());
        tokio::spawn(async move {
            let _ = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(head_timeout)
                .max_buf_size(64 * 1024)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
