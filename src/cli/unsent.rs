//! Which signals of a run's choice script (`--deviate`, `--script`) the run never sent: a
//! deviation for one of them did nothing, which `run` says after the run.
//!
//! A run that ran to its end sent exactly the signals `1..=sent` (every id taken is sent, as
//! the shrinker also assumes): the ids the script names above `sent` were never sent.

use dgame_engine::Script;

/// Most signal ids a warning lists.
const LISTED: usize = 10;

/// The warning for a script whose run, which ran to its end, sent `sent` signals: `None` if
/// every signal it names was sent.
pub fn warning(script: &Script, sent: u64) -> Option<String> {
    let unsent: Vec<u64> = script.iter().map(|(id, _)| id.0).filter(|&id| id > sent).collect();
    let n = unsent.len();
    if n == 0 {
        return None;
    }
    let mut ids: Vec<String> = unsent.iter().take(LISTED).map(u64::to_string).collect();
    if n > LISTED {
        ids.push(format!("and {} more", n - LISTED));
    }
    let (them, did) = if n == 1 { ("signal", "its deviation did") } else { ("signals", "their deviations did") };
    let sent = match sent {
        0 => "the run sent no signal".to_owned(),
        1 => "the run sent 1 signal (id 1)".to_owned(),
        s => format!("the run sent {s} signals (ids 1 to {s})"),
    };
    Some(format!(
        "the choice script (--deviate/--script) names {them} {} that the run never sent: {did} nothing; \
         {sent}; --trace-out FILE lists every signal with its id",
        ids.join(", ")
    ))
}
