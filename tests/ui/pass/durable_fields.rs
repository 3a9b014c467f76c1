//! Durable fields, named or positional, and an `#[init]` that reads them after a restart.
use distributed_game::prelude::*;

#[derive(Debug, Default)]
struct Promises {
    term: u64,
}

#[derive(Debug, Default)]
struct Named {
    promises: Promises,
    value: Option<Value>,
}

#[node(durable(promises, value))]
impl Named {
    #[init]
    fn recover(&mut self, ctx: &mut Ctx<Self>) {
        let _ = (self.promises.term, ctx.now());
    }

    #[endpoint(ClientReadRequest)]
    fn read(&mut self, _: ClientReadRequest) -> ClientReadResponse {
        ClientReadResponse::ok(self.value)
    }

    #[endpoint(ClientWriteRequest)]
    fn write(&mut self, req: ClientWriteRequest) -> ClientWriteResponse {
        self.promises.term += 1;
        self.value = Some(req.value);
        ClientWriteResponse::ok()
    }
}

#[derive(Debug, Default)]
struct Positional(Option<Value>, u64);

#[node(durable(0))]
impl Positional {
    #[endpoint(ClientReadRequest)]
    fn read(&mut self, _: ClientReadRequest) -> ClientReadResponse {
        ClientReadResponse::ok(self.0)
    }

    #[endpoint(ClientWriteRequest)]
    fn write(&mut self, req: ClientWriteRequest) -> ClientWriteResponse {
        self.0 = Some(req.value);
        self.1 += 1;
        ClientWriteResponse::ok()
    }
}

fn main() {
    let config = Config::builder().nodes(3).ticks(50).build().unwrap();
    World::<Named>::new(config.clone()).unwrap().run().unwrap();
    World::<Positional>::new(config).unwrap().run().unwrap();
}
