//! `#[node]` on a trait impl instead of the node's own impl block.
use distributed_game::prelude::*;

#[derive(Debug)]
struct Register {
    value: Option<Value>,
}

#[node]
impl Default for Register {
    fn default() -> Self {
        Register { value: None }
    }
}

fn main() {
    let _ = Register::default();
}
