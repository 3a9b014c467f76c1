//! `#[endpoint]` on a free function, outside any `#[node]` impl.
use distributed_game::prelude::*;

#[endpoint(ClientReadRequest)]
fn read(_: ClientReadRequest) -> ClientReadResponse {
    ClientReadResponse::ok(None)
}

fn main() {
    let _ = read(ClientReadRequest);
}
