//! The macros of **distributed-game**: `#[node]`, `#[endpoint]`, `#[timer]` and
//! `#[derive(Message)]`. Use them through `distributed_game::prelude::*` (or
//! `dgame_engine::prelude::*`); their documentation lives there.
//!
//! Each macro parses its input into a small representation (`ast`), checks it and collects
//! every error with its span (`valid`), then generates code (`expand`). On errors it emits them
//! all together with the user's code, so the rest of the crate still compiles as far as it can.

use proc_macro::TokenStream;

mod ast;
mod expand;
mod krate;
mod message;
mod valid;

/// Turns an inherent `impl` block into a node: its `#[endpoint(Message)]` methods handle
/// messages, its `#[timer(interval = N)]` methods run every N ticks of the node's local clock.
///
/// The generated `Node` impl dispatches a message with an `if` chain on its `TypeId`, fixed at
/// compile time. A node serves the register unless it names other workloads
/// (`#[node(workload(kv))]`; the names are `register`, `kv`, `broadcast`, `counter`,
/// `pn_counter`, `unique_ids`), and must have an endpoint for every request type of each: for
/// the register, `ClientReadRequest` and `ClientWriteRequest`.
/// Methods without `#[endpoint]` or `#[timer]` stay ordinary methods.
///
/// ```ignore
/// use distributed_game::prelude::*;
///
/// #[derive(Debug, Default)]
/// struct Register { value: Option<Value> }
///
/// #[node]
/// impl Register {
///     #[endpoint(ClientReadRequest)]
///     fn read(&mut self, _: ClientReadRequest) -> ClientReadResponse {
///         ClientReadResponse::ok(self.value)
///     }
///
///     #[endpoint(ClientWriteRequest)]
///     fn write(&mut self, req: ClientWriteRequest) -> ClientWriteResponse {
///         self.value = Some(req.value);
///         ClientWriteResponse::ok()
///     }
/// }
/// ```
///
/// **Durable fields.** `#[node(durable(term, voted_for, log))]` names the fields of the node
/// that survive a crash: when the node restarts, it is rebuilt (with `Default`, or the closure
/// given to `World::with_nodes`) and these fields are moved over from the node that crashed,
/// as they were when it crashed, before its `#[init]` runs. A handler changes them in place
/// like any field (`self.log.push(entry)`): nothing is copied, and since a crash falls between
/// ticks, whatever a handler wrote is durable before anything it sent leaves. A name that is
/// not a field of the node is a compile error.
///
/// `#[node]` goes on the node's own `impl` block, not a trait impl. Every mistake it can see in
/// the block is reported at once, and the block itself is kept (with a stand-in `impl Node`),
/// so no other error follows from it.
///
/// The generated impl also shows the node's state to viewers (`World::node_state`): its
/// `serde::Serialize` form if the type implements it, otherwise its `Debug` text; and its
/// `Badge`, if it implements that.
#[proc_macro_attribute]
pub fn node(args: TokenStream, input: TokenStream) -> TokenStream {
    expand::node(args.into(), input.into()).into()
}

/// Marks a method of a `#[node]` impl as the handler of one message type: `#[endpoint(M)]`.
/// It returns `M`'s reply type (the type of its `#[reply(...)]`, `()` without one).
///
/// A sync endpoint takes `&mut self`, optionally a context, then the message; it runs to the
/// end before anything else happens on the node:
///
/// ```ignore
/// #[endpoint(Store)]
/// fn store(&mut self, ctx: &mut Ctx<Self>, Store(v): Store) -> Ack {
///     self.current = v;
///     Ack
/// }
/// ```
///
/// An async endpoint takes `cx: AsyncCtx<Self>` and the message, never `self`: it may wait for
/// other nodes, and other handlers run meanwhile, so it reaches the state with `cx.with`
/// between waits:
///
/// ```ignore
/// #[endpoint(ClientReadRequest)]
/// async fn read(cx: AsyncCtx<Self>, _: ClientReadRequest) -> ClientReadResponse {
///     let replies = cx.broadcast(GetValue).majority().await;
///     cx.with(|me| ClientReadResponse::ok(me.newest(&replies)))
/// }
/// ```
///
/// Outside a `#[node]` impl the attribute is an error.
#[proc_macro_attribute]
pub fn endpoint(_args: TokenStream, input: TokenStream) -> TokenStream {
    outside("endpoint", input)
}

/// Marks a method of a `#[node]` impl as a timer that runs every `interval` ticks (at least 1)
/// of the node's local clock: `#[timer(interval = N)]`.
///
/// A sync timer takes `&mut self` and optionally a context; an async one takes `cx: AsyncCtx<Self>`.
/// Both return `()`.
///
/// ```ignore
/// #[timer(interval = 10)]
/// fn heartbeat(&mut self, ctx: &mut Ctx<Self>) {
///     ctx.send_to_peers(Heartbeat(self.term));
/// }
///
/// #[timer(interval = 50)]
/// async fn sync_up(cx: AsyncCtx<Self>) {
///     let newest = cx.broadcast(GetVersioned).await;
///     cx.with(|me| me.merge(newest));
/// }
/// ```
///
/// Outside a `#[node]` impl the attribute is an error.
#[proc_macro_attribute]
pub fn timer(_args: TokenStream, input: TokenStream) -> TokenStream {
    outside("timer", input)
}

/// Marks the method of a `#[node]` impl that initializes the node: it runs at the start of
/// the node's first turn, and of its first turn after each restart (after a crash), before
/// anything else. After a restart, the node's durable fields (`#[node(durable(...))]`) are
/// already back. Same signatures as a timer.
///
/// ```ignore
/// #[init]
/// fn start(&mut self, ctx: &mut Ctx<Self>) {
///     self.election_at = ctx.now() + ctx.random_range(12..=24);
/// }
/// ```
#[proc_macro_attribute]
pub fn init(_args: TokenStream, input: TokenStream) -> TokenStream {
    outside("init", input)
}

/// Declares a message; `#[reply(T)]` names the type its endpoint answers with, and what a
/// caller's `cx.call(...)` yields. Without `#[reply]` the reply is `()` (fire and forget).
/// A message is also `Debug + Clone + 'static`.
///
/// ```ignore
/// #[derive(Debug, Clone, Message)]
/// #[reply(Versioned)]
/// struct GetVersioned;
///
/// #[derive(Debug, Clone, Message)]
/// struct Heartbeat(u64);
/// ```
#[proc_macro_derive(Message, attributes(reply))]
pub fn derive_message(input: TokenStream) -> TokenStream {
    message::derive(input.into()).into()
}

fn outside(name: &str, input: TokenStream) -> TokenStream {
    let input = proc_macro2::TokenStream::from(input);
    let msg = format!(
        "`#[{name}]` only works on a method inside a `#[node]` impl block: put `#[node]` on the `impl` that contains it"
    );
    let err = syn::Error::new(proc_macro2::Span::call_site(), msg).to_compile_error();
    quote::quote!(#err #input).into()
}
