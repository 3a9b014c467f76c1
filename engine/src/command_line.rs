//! The command line that reproduces a configuration: `dgame run` with a flag for every value
//! that differs from the default. It lives beside [`Config`] so that whatever shows a run (the
//! command line's report, the browser game) prints the same command for it.

use crate::config::Config;
use crate::fault::Nemesis;
use crate::ids::format_sides;

/// Quotes a word for a POSIX shell when it holds anything a shell would read specially.
fn shell_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/' | ':' | ',' | '=' | '+'));
    if plain { word.to_owned() } else { format!("'{}'", word.replace('\'', r"'\''")) }
}

impl Config {
    /// The command that runs this configuration again: `PROGRAM run --algorithm ALGORITHM
    /// --seed N` followed by a flag for every value that differs from [`Config::default`].
    /// Words a shell would read specially are quoted.
    ///
    /// ```
    /// use dgame_engine::Config;
    ///
    /// let config = Config::builder().nodes(5).seed(9).build()?;
    /// assert_eq!(config.command_line("dgame", "abd"), "dgame run --algorithm abd --seed 9 --nodes 5");
    /// # Ok::<(), dgame_engine::ConfigError>(())
    /// ```
    pub fn command_line(&self, program: &str, algorithm: &str) -> String {
        let d = Config::default();
        let mut out = format!("{} run --algorithm {}", shell_word(program), shell_word(algorithm));
        let mut push = |flag: &str, value: String| {
            out.push_str(" --");
            out.push_str(flag);
            out.push(' ');
            out.push_str(&shell_word(&value));
        };
        push("seed", self.seed.to_string());
        if self.workload != d.workload {
            push("workload", self.workload.to_string());
        }
        if self.keys != d.keys {
            push("keys", self.keys.to_string());
        }
        if let Some(q) = self.quiet {
            push("quiet", q.to_string());
        }
        if self.nodes != d.nodes {
            push("nodes", self.nodes.to_string());
        }
        if self.clients != d.clients {
            push("clients", self.clients.to_string());
        }
        if self.client_kind != d.client_kind {
            push("client-kind", format!("{:?}", self.client_kind).to_lowercase());
        }
        if self.ticks != d.ticks {
            push("ticks", self.ticks.to_string());
        }
        if self.delay != d.delay {
            push("delay", self.delay.to_string());
        }
        if self.loss != d.loss {
            push("loss", short(self.loss));
        }
        let timeout = |t: Option<u64>| t.map_or("never".to_owned(), |t| t.to_string());
        if self.gateway_timeout != d.gateway_timeout {
            push("gateway-timeout", timeout(self.gateway_timeout));
        }
        if self.client_timeout != d.client_timeout {
            push("client-timeout", timeout(self.client_timeout));
        }
        if self.max_pause != d.max_pause {
            push("max-pause", self.max_pause.to_string());
        }
        if self.values != d.values {
            push("values", format!("{:?}", self.values).to_lowercase());
        }
        if self.duplicate != d.duplicate {
            push("duplicate", short(self.duplicate));
        }
        for l in &self.links {
            push("link-delay", format!("{}={}", format_sides(&l.from, &l.to, l.one_way), l.delay));
        }
        for c in &self.clock_rates {
            push("clock-rate", format!("n{}={}", c.node.0, short(c.rate)));
        }
        if let Some(n) = &self.nemesis {
            let nd = Nemesis::default();
            let kinds: Vec<String> = n.kinds.iter().map(|k| format!("{k:?}").to_lowercase()).collect();
            push("nemesis", kinds.join(","));
            if n.interval != nd.interval {
                push("nemesis-interval", n.interval.to_string());
            }
            if n.duration != nd.duration {
                push("nemesis-duration", n.duration.to_string());
            }
            if n.targets != nd.targets {
                push("nemesis-targets", n.targets.to_string());
            }
            if n.recovery != nd.recovery {
                push("recovery", n.recovery.to_string());
            }
        }
        for f in &self.schedule {
            push("fault", f.to_string());
        }
        for cut in &self.cuts {
            let ticks = match cut.heal {
                Some(h) => format!("{}..{h}", cut.at),
                None => cut.at.to_string(),
            };
            push("cut", format!("{}@{ticks}", format_sides(&cut.from, &cut.to, cut.one_way)));
        }
        if !self.deviations.is_empty() {
            push("deviate", self.deviations.to_string());
        }
        out
    }
}

/// A number as the shorter of its two exact spellings: `0.05`, not `5e-2`; `1e-300`, not 300
/// digits. Both read back as the same `f64`.
fn short(x: f64) -> String {
    let (plain, exp) = (x.to_string(), format!("{x:e}"));
    if exp.len() < plain.len() { exp } else { plain }
}

#[cfg(test)]
mod tests {
    use crate::config::{Config, Cut, LinkDelay};
    use crate::ids::{NodeId, ServerId};

    #[test]
    fn numbers_take_their_shorter_exact_spelling() {
        for (x, written) in
            [(0.05, "0.05"), (0.5, "0.5"), (1e-5, "1e-5"), (1e-300, "1e-300"), (3.0, "3"), (0.1234, "0.1234")]
        {
            assert_eq!(super::short(x), written);
            assert_eq!(written.parse::<f64>().unwrap(), x);
        }
    }

    #[test]
    fn only_what_differs_from_the_default_is_written_and_special_words_are_quoted() {
        let mut c = Config { nodes: 5, loss: 0.1, gateway_timeout: None, seed: 9, ..Config::default() };
        c.cuts.push(Cut {
            from: vec![ServerId::Node(NodeId(1))],
            to: vec![ServerId::Node(NodeId(2))],
            one_way: true,
            at: 5,
            heal: None,
        });
        c.links.push(LinkDelay {
            from: vec![ServerId::Node(NodeId(1))],
            to: vec![ServerId::Node(NodeId(3))],
            one_way: false,
            delay: crate::Delay::Constant(5),
        });
        c.schedule.push("crash n2@50".parse().unwrap());
        assert_eq!(
            c.command_line("dgame", "abd"),
            "dgame run --algorithm abd --seed 9 --nodes 5 --loss 0.1 --gateway-timeout never \
             --link-delay 'n1|n3=5' --fault 'crash n2@50' --cut 'n1>n2@5'"
        );
        assert_eq!(Config::default().command_line("my game", "x"), "'my game' run --algorithm x --seed 0");
    }
}
