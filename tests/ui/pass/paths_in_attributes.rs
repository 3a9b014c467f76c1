//! Message types written as paths in the attributes and parameters, without a prelude glob.
// `#[endpoint]` and `#[timer]` need no import: `#[node]` reads them.
use distributed_game::prelude::{Ctx, Message, Value, node};

mod msgs {
    use distributed_game::prelude::Message;

    #[derive(Debug, Clone, Message)]
    #[reply(u64)]
    pub struct Count;
}

#[derive(Debug, Default)]
struct Plain {
    value: Option<Value>,
    count: u64,
}

#[node]
impl Plain {
    #[endpoint(distributed_game::prelude::ClientReadRequest)]
    fn read(
        &mut self,
        _: distributed_game::prelude::ClientReadRequest,
    ) -> distributed_game::prelude::ClientReadResponse {
        distributed_game::prelude::ClientReadResponse::ok(self.value)
    }

    #[endpoint(::distributed_game::engine::ClientWriteRequest)]
    fn write(
        &mut self,
        _ctx: &mut Ctx<Self>,
        req: ::distributed_game::engine::ClientWriteRequest,
    ) -> ::distributed_game::engine::ClientWriteResponse {
        self.value = Some(req.value);
        ::distributed_game::engine::ClientWriteResponse::ok()
    }

    #[endpoint(msgs::Count)]
    fn count(&mut self, _: msgs::Count) -> <msgs::Count as Message>::Reply {
        self.count
    }

    #[timer(interval = 3)]
    fn bump(&mut self, _ctx: &mut Ctx<Self>) {
        self.count += 1;
    }
}

fn main() {}
