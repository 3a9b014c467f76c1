//! Seeded randomness: one seed, an independent stream per purpose, so that a change to one
//! purpose (say, more clients) does not reshuffle another (say, network delays).

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The generator every stream uses: ChaCha8, whose output is fixed by its specification.
pub type SimRng = ChaCha8Rng;

/// The purposes randomness serves; each gets its own stream of the run's seed.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Stream {
    /// How long each signal takes.
    Delay,
    /// Whether each signal is lost.
    Loss,
    /// Whether each signal is duplicated.
    Duplicate,
    /// The random nemesis.
    Nemesis,
    /// A client's choices (read or write, values, pauses).
    Client(u32),
    /// A node's own randomness (`cx.random_range`).
    Node(u32),
}

impl Stream {
    fn number(self) -> u64 {
        match self {
            Stream::Delay => 1,
            Stream::Loss => 2,
            Stream::Duplicate => 3,
            Stream::Nemesis => 4,
            Stream::Client(c) => (1 << 32) | u64::from(c),
            Stream::Node(n) => (2 << 32) | u64::from(n),
        }
    }
}

/// The generator for `purpose` in the run of `seed`.
pub(crate) fn stream(seed: u64, purpose: Stream) -> SimRng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(purpose.number());
    rng
}
