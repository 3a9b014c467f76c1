//! A `#[node]` with an error, then code that runs the node: the error is the only one (the
//! macro stands in an `impl Node`, so `World::<Register>` does not add "Register is not a Node").
use distributed_game::prelude::*;

#[derive(Debug, Default)]
struct Register {
    value: Option<Value>,
}

#[node]
impl Register {
    #[endpoint(ClientReadRequest)]
    fn read(&self, _: ClientReadRequest) -> ClientReadResponse {
        ClientReadResponse::ok(self.value)
    }

    #[endpoint(ClientWriteRequest)]
    fn write(&mut self, req: ClientWriteRequest) -> ClientWriteResponse {
        self.value = Some(req.value);
        ClientWriteResponse::ok()
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let config = Config::builder().nodes(3).build()?;
    let mut world = World::<Register>::new(config)?;
    world.run()?;
    println!("{}", world.history().check());
    Ok(())
}
