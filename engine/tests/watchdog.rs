//! The wall-clock watchdog: a sync handler stuck in a loop cannot be stopped from its own
//! thread, but a watchdog on another thread sees it and reports node, handler, tick and seed.
//!
//! The stuck world spins on its thread until this test binary exits; the tests assert the
//! report, not how long it took (the channel waits are generous bounds, not measurements).

use std::sync::mpsc;
use std::time::Duration;

use dgame_engine::prelude::*;
use dgame_engine::watchdog::Watchdog;

/// Its handler never returns.
#[derive(Debug, Clone, Message)]
struct Forever;

#[derive(Debug, Default)]
struct Looper;

#[node]
impl Looper {
    #[endpoint(ClientReadRequest)]
    fn read(&mut self, _: ClientReadRequest) -> ClientReadResponse {
        ClientReadResponse::ok(None)
    }

    #[endpoint(ClientWriteRequest)]
    fn write(&mut self, _: ClientWriteRequest) -> ClientWriteResponse {
        ClientWriteResponse::ok()
    }

    #[endpoint(Forever)]
    fn forever(&mut self, _: Forever) {
        loop {
            std::hint::spin_loop();
        }
    }
}

fn config() -> Config {
    Config::builder().nodes(3).clients(1).delay(Delay::Constant(1)).ticks(100).seed(11).build().unwrap()
}

#[test]
fn the_watchdog_reports_a_sync_handler_that_never_returns() {
    let (monitor_tx, monitor_rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut world = World::<Looper>::new(config()).unwrap();
        monitor_tx.send(world.handler_monitor()).unwrap();
        world.run_until(5).unwrap();
        world.inject(ServerId::Gateway, ServerId::Node(NodeId(2)), Forever).unwrap();
        let _ = world.run();
    });
    let monitor = monitor_rx.recv().unwrap();
    let budget = Duration::from_millis(50);
    let (stuck_tx, stuck_rx) = mpsc::channel();
    let watchdog = Watchdog::spawn(monitor, budget, move |stuck| stuck_tx.send(stuck).unwrap());
    let stuck = stuck_rx.recv_timeout(Duration::from_secs(300)).expect("the watchdog reports the stuck handler");
    // Injected between ticks 5 and 6, delivered at the end of 6, handled (forever) in 7.
    assert_eq!(
        (stuck.node, stuck.node_type, stuck.endpoint, stuck.tick, stuck.seed),
        (NodeId(2), "Looper", "forever", 7, 11)
    );
    assert!(stuck.running_for >= budget, "it reports only past the budget");
    let text = stuck.to_string();
    assert!(text.starts_with("tick 7 (seed 11): handler `forever` of node 2 (Looper) has not returned"), "{text}");
    watchdog.stop();
}

#[test]
fn the_watchdog_says_nothing_about_handlers_that_return() {
    let mut world = World::<Looper>::new(config()).unwrap();
    let (stuck_tx, stuck_rx) = mpsc::channel();
    let watchdog = Watchdog::spawn(world.handler_monitor(), Duration::from_secs(60), move |stuck| {
        stuck_tx.send(stuck).unwrap();
    });
    world.run().unwrap();
    assert_eq!(world.handler_monitor().running(), None, "no handler runs between ticks");
    watchdog.stop();
    assert!(stuck_rx.try_recv().is_err(), "no report");
}
