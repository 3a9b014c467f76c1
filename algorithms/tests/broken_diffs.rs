//! Each broken variant is its correct algorithm with the documented lines changed, and nothing
//! else: the same code, the type renamed, a module doc header of its own. A change to the
//! correct file that is not made to its broken copy (or the other way round) fails here.

/// The file without its module doc header (the leading `//!` lines), with `from` renamed `to`
/// wherever it is a whole word.
fn normalized(text: &str, from: &str, to: &str) -> Vec<String> {
    text.lines()
        .skip_while(|l| l.starts_with("//!"))
        .map(|l| {
            let mut out = String::new();
            let mut rest = l;
            while let Some(i) = rest.find(from) {
                let before = rest[..i].chars().next_back();
                let after = rest[i + from.len()..].chars().next();
                let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
                out.push_str(&rest[..i]);
                out.push_str(if word(before) || word(after) { from } else { to });
                rest = &rest[i + from.len()..];
            }
            out.push_str(rest);
            out
        })
        .collect()
}

/// The hunks of a line diff (longest common subsequence): each is (lines removed from `a`,
/// lines added from `b`), in order.
fn hunks(a: &[String], b: &[String]) -> Vec<(Vec<String>, Vec<String>)> {
    let (n, m) = (a.len(), b.len());
    // lcs[i][j]: the longest common subsequence of a[i..] and b[j..].
    let mut lcs = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if a[i] == b[j] { lcs[i + 1][j + 1] + 1 } else { lcs[i + 1][j].max(lcs[i][j + 1]) };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::new();
    let mut hunk: (Vec<String>, Vec<String>) = Default::default();
    while i < n || j < m {
        if i < n && j < m && a[i] == b[j] {
            if !hunk.0.is_empty() || !hunk.1.is_empty() {
                out.push(std::mem::take(&mut hunk));
            }
            i += 1;
            j += 1;
        } else if j < m && (i == n || lcs[i][j + 1] >= lcs[i + 1][j]) {
            hunk.1.push(b[j].clone());
            j += 1;
        } else {
            hunk.0.push(a[i].clone());
            i += 1;
        }
    }
    if !hunk.0.is_empty() || !hunk.1.is_empty() {
        out.push(hunk);
    }
    out
}

fn lines(text: &str) -> Vec<String> {
    text.lines().map(str::to_owned).collect()
}

fn assert_only(correct: &str, broken: &str, from: &str, to: &str, expected: &[(&str, &str)]) {
    let got = hunks(&normalized(correct, to, to), &normalized(broken, from, to));
    let want: Vec<_> = expected.iter().map(|(removed, added)| (lines(removed), lines(added))).collect();
    let show = |h: &[(Vec<String>, Vec<String>)]| {
        h.iter()
            .map(|(r, a)| {
                let r = r.iter().map(|l| format!("- {l}\n")).collect::<String>();
                let a = a.iter().map(|l| format!("+ {l}\n")).collect::<String>();
                format!("{r}{a}")
            })
            .collect::<Vec<_>>()
            .join("@@\n")
    };
    assert_eq!(
        show(&got),
        show(&want),
        "{from} differs from {to} by more (or other) than its documented hunks: keep the two files in step"
    );
}

#[test]
fn abd_no_write_back_is_abd_without_the_write_back() {
    assert_only(
        include_str!("../src/abd.rs"),
        include_str!("../src/broken/abd_no_write_back.rs"),
        "AbdNoWriteBack",
        "Abd",
        &[
            (
                r#"pub const GUARANTEE: &str = "linearizable with any number of clients";"#,
                r#"pub const GUARANTEE: &str = "none with several clients (reads can go back in time)";"#,
            ),
            (
                "        // The write-back: once we answer, any later read's majority meets one that has it.\n        Self::propagate(&cx, newest).await;",
                "        // BUG: no write-back. (`Abd` writes `newest` back to a majority here, before answering.)",
            ),
        ],
    );
}

#[test]
fn abd_fire_and_forget_repair_is_abd_without_waiting_for_the_write_back() {
    assert_only(
        include_str!("../src/abd.rs"),
        include_str!("../src/broken/abd_fire_and_forget_repair.rs"),
        "AbdFireAndForgetRepair",
        "Abd",
        &[
            (
                r#"pub const GUARANTEE: &str = "linearizable with any number of clients";"#,
                r#"pub const GUARANTEE: &str = "none with several clients (a read's repair may not have landed when it answers)";"#,
            ),
            (
                "        // The write-back: once we answer, any later read's majority meets one that has it.\n        Self::propagate(&cx, newest).await;",
                "        // BUG: fire and forget. (`Abd` awaits `Self::propagate(&cx, newest)` here.)\n        cx.send_to_peers(Propagate(newest));",
            ),
        ],
    );
}

#[test]
fn raft_local_reads_is_raft_with_reads_off_the_log() {
    assert_only(
        include_str!("../src/raft.rs"),
        include_str!("../src/broken/raft_local_reads.rs"),
        "RaftLocalReads",
        "Raft",
        &[
            (
                r#"pub const GUARANTEE: &str = "linearizable with any number of clients";"#,
                r#"pub const GUARANTEE: &str = "none with partitions (a deposed leader answers stale reads)";"#,
            ),
            (
                "    /// A read through the log: the value the state machine had when its entry was applied.
    async fn read_key(cx: &AsyncCtx<Self>, id: RequestId, key: Key) -> ClientReadResponse {
        match Self::submit(cx, id, Command::Read { id, key }).await {
            // The session table has the answer of this request (or of its first copy).
            Fate::Committed(_) => match cx.with(|me| me.sessions.answer(id)) {
                Some(Answer::Read(value)) => ClientReadResponse::ok(value),
                _ => ClientReadResponse::fail(), // The client has moved on: nobody waits.
            },
            // A read changes nothing, so refusing it is always honest.
            Fate::Refused | Fate::Unknown => ClientReadResponse::fail(),
        }",
                r#"    /// A read answered from the leader's own copy: the last committed write.
    async fn read_key(cx: &AsyncCtx<Self>, _: RequestId, key: Key) -> ClientReadResponse {
        // BUG: "I am the leader, so my copy is the latest". (`Raft` logs the read and waits.)
        let local = cx.with(|me| (me.role == Role::Leader).then(|| me.values.get(&key).copied()));
        local.map_or_else(ClientReadResponse::fail, ClientReadResponse::ok)"#,
            ),
        ],
    );
}

#[test]
fn broadcast_no_retry_is_broadcast_gossip_without_waiting_for_the_acknowledgements() {
    assert_only(
        include_str!("../src/broadcast_gossip.rs"),
        include_str!("../src/broken/broadcast_no_retry.rs"),
        "BroadcastNoRetry",
        "BroadcastGossip",
        &[
            (
                r#"pub const GUARANTEE: &str = "every acknowledged value reaches every node, once the network heals";"#,
                r#"pub const GUARANTEE: &str = "none under loss or partitions (a lost gossip message is never sent again)";"#,
            ),
            (
                "        let replies = cx.call_each(batches.clone()).within(GOSSIP).await;
        // Only the peers that acknowledged have their batch: the others get it again next round.
        let delivered: Vec<NodeId> = replies.senders().collect();",
                "        // BUG: fire and forget. (`BroadcastGossip` waits for the acknowledgements and counts
        // only the peers that sent one.)
        for (peer, g) in &batches {
            cx.send(*peer, g.clone());
        }
        let delivered: Vec<NodeId> = batches.iter().map(|(peer, _)| *peer).collect();",
            ),
        ],
    );
}

#[test]
fn g_counter_sum_merge_is_g_counter_merging_by_sum() {
    assert_only(
        include_str!("../src/g_counter.rs"),
        include_str!("../src/broken/g_counter_sum_merge.rs"),
        "GCounterSumMerge",
        "GCounter",
        &[
            (
                r#"pub const GUARANTEE: &str = "every node converges to the sum of the acknowledged adds; no read counts more";"#,
                r#"pub const GUARANTEE: &str = "none: gossip counts the same adds again and again";"#,
            ),
            (
                "    /// Takes the larger of each node's two counts: merging a state twice, or an older one,
    /// changes nothing.",
                "    /// Adds each node's two counts.",
            ),
            (
                "            *mine = (*mine).max(theirs);",
                "            // BUG: the sum, not the larger. (`GCounter` keeps `(*mine).max(theirs)`.)
            *mine = mine.saturating_add(theirs);",
            ),
        ],
    );
}

#[test]
fn unique_ids_volatile_is_unique_ids_without_the_durable_counter() {
    assert_only(
        include_str!("../src/unique_ids.rs"),
        include_str!("../src/broken/unique_ids_volatile.rs"),
        "UniqueIdsVolatile",
        "UniqueIds",
        &[
            (
                r#"pub const GUARANTEE: &str = "no id is handed out twice, across crashes and restarts";"#,
                r#"pub const GUARANTEE: &str = "no id handed out twice, until a node crashes";"#,
            ),
            (
                "#[node(durable(next), workload(unique_ids))]",
                "// BUG: `next` is not durable. (`UniqueIds` has `#[node(durable(next), workload(unique_ids))]`.)
#[node(workload(unique_ids))]",
            ),
        ],
    );
}

/// The diff itself: an added line, a changed line and a removed line are three hunks.
#[test]
fn the_line_diff_finds_exactly_the_changed_lines() {
    let a = lines("a\nb\nc\nd\ne");
    let b = lines("a\nx\nb\nC\nd");
    let h = hunks(&a, &b);
    assert_eq!(
        h,
        [(vec![], vec!["x".to_owned()]), (vec!["c".to_owned()], vec!["C".to_owned()]), (vec!["e".to_owned()], vec![])]
    );
    assert_eq!(normalized("//! doc\nstruct RaftX; Raft;", "Raft", "R"), ["struct RaftX; R;"]);
}
