//! `durable` written wrong: empty, as `=`, a field twice, given twice, and not a field name.
use distributed_game::prelude::*;

macro_rules! register {
    ($($args:tt)*) => {
        #[derive(Debug, Default)]
        struct Register {
            term: u64,
            value: Option<Value>,
        }

        #[node($($args)*)]
        impl Register {
            #[endpoint(ClientReadRequest)]
            fn read(&mut self, _: ClientReadRequest) -> ClientReadResponse {
                ClientReadResponse::ok(self.value)
            }

            #[endpoint(ClientWriteRequest)]
            fn write(&mut self, req: ClientWriteRequest) -> ClientWriteResponse {
                self.term += 1;
                self.value = Some(req.value);
                ClientWriteResponse::ok()
            }
        }
    };
}

mod empty {
    use super::*;
    register!(durable());
}
mod assigned {
    use super::*;
    register!(durable = term);
}
mod twice {
    use super::*;
    register!(durable(term, value, term));
}
mod given_twice {
    use super::*;
    register!(durable(term), durable(value));
}
mod not_a_field {
    use super::*;
    register!(durable("term"));
}

fn main() {}
