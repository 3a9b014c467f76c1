//! Turns a violation into an [`Explanation`]: shrink it (unless told not to), then say in
//! words what is wrong.

use std::time::Instant;

use crate::history::{History, Key, describe_op};
use crate::minimize::Minimizer;
use crate::options::Options;
use crate::sentence::{Writers, sentence};
use crate::verdict::Explanation;

/// Explains a violation on register `key`, whose operations are `all`; `hint` is a
/// violating subset of them found by the search. Stops shrinking at `deadline` or when
/// [`Options::max_explain_steps`] are spent, keeping the smallest violating set found.
pub(crate) fn explain(
    history: &History,
    key: Option<Key>,
    all: &[usize],
    hint: &[usize],
    options: &Options,
    deadline: Option<Instant>,
) -> Explanation {
    explain_with(history, key, all, all, hint, options, deadline)
}

/// [`explain`], with the sentence's claims checked against the writers among `words`
/// (operations of the key that play no part in the violation but whose writes the sentence
/// must know of) as well as `all`.
pub(crate) fn explain_with(
    history: &History,
    key: Option<Key>,
    all: &[usize],
    words: &[usize],
    hint: &[usize],
    options: &Options,
    deadline: Option<Instant>,
) -> Explanation {
    let mut core =
        if options.minimize { Minimizer::new(history, all, options, deadline).minimize(hint) } else { hint.to_vec() };
    core.sort_unstable();
    core.dedup();
    let unit = options.time_unit.unwrap_or(history.time_unit);
    let writers = Writers::new(history, words);
    let (sentence, context) = sentence(&writers, &core, unit);
    let mut ops = core;
    ops.extend(&context);
    ops.sort_unstable();
    ops.dedup();
    Explanation {
        key,
        op_descriptions: ops.iter().map(|&i| describe_op(&history.ops[i], unit)).collect(),
        ops,
        context,
        sentence,
    }
}
