//! A message with two reply types, in one `#[reply]` and in two.
use distributed_game::prelude::*;

#[derive(Debug, Clone, Message)]
#[reply(u64, bool)]
struct Ping;

#[derive(Debug, Clone, Message)]
#[reply(u64)]
#[reply(bool)]
struct Pong;

fn main() {
    let _ = (Ping, Pong);
}
