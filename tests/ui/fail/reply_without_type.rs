//! `#[reply]` without a type, and `#[reply()]`.
use distributed_game::prelude::*;

#[derive(Debug, Clone, Message)]
#[reply]
struct Ping;

#[derive(Debug, Clone, Message)]
#[reply()]
struct Pong;

fn main() {
    let _ = (Ping, Pong);
}
