//! Small structured histories: the checker never panics, and every witness it gives is a
//! valid linearization (checked independently by `validate_order`).
#![no_main]

use arbitrary::Arbitrary;
use distributed_game::checker::{History, Operation, Options, Verdict, check, validate_order};
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
enum Kind {
    Read(Option<u8>),
    Write(u8),
    Cas(u8, u8),
}

#[derive(Debug, Arbitrary)]
struct Op {
    client: u8,
    key: Option<u8>,
    kind: Kind,
    invoke: u16,
    length: u8,
    ending: u8,
}

fuzz_target!(|input: (bool, Vec<Op>)| {
    let (strict, ops) = input;
    let ops = ops.into_iter().take(24).map(|op| {
        let (invoke, complete) = (u64::from(op.invoke), u64::from(op.invoke) + u64::from(op.length));
        let values = |v: u8| u64::from(v % 5);
        let mut built = match op.kind {
            Kind::Read(v) => Operation::read(u64::from(op.client % 6), invoke, complete, v.map(values)),
            Kind::Write(v) => Operation::write(u64::from(op.client % 6), invoke, complete, values(v)),
            Kind::Cas(a, b) => Operation::cas(u64::from(op.client % 6), invoke, complete, values(a), values(b)),
        };
        built = match op.ending % 4 {
            0 => built.failed(),
            1 => built.unknown(),
            _ => built,
        };
        match op.key {
            Some(k) => built.with_key(u64::from(k % 3)),
            None => built,
        }
    });
    let history = History::from_ops(ops.collect());
    let options = Options::default().strict_failed_cas(strict).max_steps(Some(200_000));
    if let Verdict::Linearizable { witness } = check(&history, &options) {
        for order in &witness {
            validate_order(&history, order.key, &order.ops, &options).expect("a witness must validate");
        }
    }
});
