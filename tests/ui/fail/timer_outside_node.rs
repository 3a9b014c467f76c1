//! `#[timer]` on a method of an impl block that has no `#[node]`.
use distributed_game::prelude::*;

#[derive(Debug, Default)]
struct Clock {
    ticks: u64,
}

impl Clock {
    #[timer(interval = 1)]
    fn tick(&mut self) {
        self.ticks += 1;
    }
}

fn main() {
    Clock::default().tick();
}
