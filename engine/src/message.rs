//! Messages: what a signal carries. The [`Message`] trait ties a request to its reply type,
//! and the client protocol (the messages between clients, the gateway and the nodes) lives here.

use std::any::Any;
use std::borrow::Cow;
use std::fmt::Debug;

use crate::ids::{NodeId, RequestId, Value};

/// A type that can be sent between servers, with the type of its reply.
///
/// Derive it: `#[derive(Debug, Clone, Message)]`, with `#[reply(T)]` when the handler answers
/// with a `T`. Without `#[reply]` the reply is `()`: the message is fire-and-forget (though a
/// [`AsyncCtx::call`](crate::AsyncCtx::call) still learns when it was handled).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a message",
    label = "not a message",
    note = "declare it with `#[derive(Debug, Clone, Message)]` (and `#[reply(T)]` if its handler answers with a `T`)"
)]
pub trait Message: Debug + Clone + 'static {
    /// What an endpoint for this message returns, and what a caller receives.
    type Reply: Debug + Clone + 'static;
}

/// Any value a signal can carry (a message or a reply), type-erased.
///
/// Implemented for every `Debug + Clone + 'static` type; users never implement it.
pub trait Payload: Any + Debug {
    /// The value as `Any`, to look at its type.
    fn as_any(&self) -> &dyn Any;
    /// The value as mutable `Any`.
    fn as_any_mut(&mut self) -> &mut dyn Any;
    /// The boxed value as `Any`, to take it back out.
    fn into_any(self: Box<Self>) -> Box<dyn Any>;
    /// A boxed copy (used when a signal is duplicated).
    fn clone_payload(&self) -> Box<dyn Payload>;
    /// The full Rust type name; see [`short_type_name`] for the readable form.
    fn type_name(&self) -> &'static str;
}

impl<T: Any + Debug + Clone> Payload for T {
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
    fn clone_payload(&self) -> Box<dyn Payload> {
        Box::new(self.clone())
    }
    fn type_name(&self) -> &'static str {
        std::any::type_name::<T>()
    }
}

/// `a::b::Foo<c::Bar>` becomes `Foo<Bar>`: the type name a learner recognises.
pub fn short_type_name(full: &str) -> Cow<'_, str> {
    if !full.contains("::") {
        return Cow::Borrowed(full);
    }
    let mut out = String::with_capacity(full.len());
    let mut word = String::new();
    let mut chars = full.chars().peekable();
    while let Some(c) = chars.next() {
        if c == ':' && chars.peek() == Some(&':') {
            chars.next();
            word.clear();
        } else if c.is_alphanumeric() || c == '_' {
            word.push(c);
        } else {
            out.push_str(&word);
            word.clear();
            out.push(c);
        }
    }
    out.push_str(&word);
    Cow::Owned(out)
}

/// The reply of a message that needs no answer beyond "done".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Ack;

/// How a client request ended, as the client sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Status {
    /// The operation took effect (a read returns its value).
    Success,
    /// The operation certainly did **not** take effect. Only answer `Fail` when that is true:
    /// the checker relies on it. When in doubt, let the request time out instead.
    Fail,
    /// The gateway gave up waiting for the node: the operation may or may not have taken effect.
    Unknown,
}

/// A client asks to read the register (the `register` workload; see [`crate::workload`] for
/// the others).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, dgame_macros::Message)]
#[reply(ClientReadResponse)]
pub struct ClientReadRequest {
    /// Which request (copies of one request carry the same id).
    pub id: RequestId,
}

/// The answer to a [`ClientReadRequest`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct ClientReadResponse {
    /// Whether the read happened.
    pub status: Status,
    /// The value read; `None` when the register was never written.
    pub value: Option<Value>,
}

impl ClientReadResponse {
    /// A read whose fate the node cannot tell: recorded as unknown, like a timeout.
    pub fn unknown() -> Self {
        ClientReadResponse { status: Status::Unknown, value: None }
    }
    /// A successful read of `value` (`None`: the register is empty).
    pub fn ok(value: Option<Value>) -> Self {
        ClientReadResponse { status: Status::Success, value }
    }
    /// A read that was refused (it had no effect, and returns nothing).
    pub fn fail() -> Self {
        ClientReadResponse { status: Status::Fail, value: None }
    }
}

/// A client asks to write `value` to the register.
#[derive(Debug, Clone, Copy, PartialEq, Eq, dgame_macros::Message)]
#[reply(ClientWriteResponse)]
pub struct ClientWriteRequest {
    /// Which request (copies of one request carry the same id).
    pub id: RequestId,
    /// The value to write.
    pub value: Value,
}

/// The answer to a [`ClientWriteRequest`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct ClientWriteResponse {
    /// Whether the write happened.
    pub status: Status,
}

impl ClientWriteResponse {
    /// The write took effect.
    pub fn ok() -> Self {
        ClientWriteResponse { status: Status::Success }
    }
    /// The write certainly did not take effect.
    pub fn fail() -> Self {
        ClientWriteResponse { status: Status::Fail }
    }
    /// The node cannot tell whether the write took effect (say, its log entry was replaced but
    /// another leader may still commit it): recorded as unknown, like a timeout.
    pub fn unknown() -> Self {
        ClientWriteResponse { status: Status::Unknown }
    }
}

/// A node tells the gateway it is the leader: the gateway then sends it every client request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, dgame_macros::Message)]
pub struct LeaderNotification {
    /// The new leader.
    pub leader: NodeId,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_type_names_drop_module_paths_everywhere() {
        assert_eq!(short_type_name("a::b::Foo"), "Foo");
        assert_eq!(short_type_name("core::option::Option<my_crate::Versioned>"), "Option<Versioned>");
        assert_eq!(short_type_name("(u64, alloc::string::String)"), "(u64, String)");
        assert_eq!(short_type_name("Ack"), "Ack");
    }

    #[test]
    fn payloads_downcast_to_their_type_only() {
        let p: Box<dyn Payload> = Box::new(ClientWriteRequest { id: RequestId::default(), value: 4 });
        assert!(p.as_any().is::<ClientWriteRequest>());
        assert!(!p.as_any().is::<ClientReadRequest>());
        let copy = p.clone_payload();
        let back = copy.into_any().downcast::<ClientWriteRequest>().unwrap();
        assert_eq!(back.value, 4);
        assert_eq!(short_type_name(p.type_name()), "ClientWriteRequest");
    }
}
