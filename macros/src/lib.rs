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
#[proc_macro_attribute]
pub fn node(args: TokenStream, input: TokenStream) -> TokenStream {
    expand::node(args.into(), input.into()).into()
}

/// Marks a method of a `#[node]` impl as the handler of a message type. Alone, it is an error.
#[proc_macro_attribute]
pub fn endpoint(_args: TokenStream, input: TokenStream) -> TokenStream {
    outside("endpoint", input)
}

/// Marks a method of a `#[node]` impl as a timer. Alone, it is an error.
#[proc_macro_attribute]
pub fn timer(_args: TokenStream, input: TokenStream) -> TokenStream {
    outside("timer", input)
}

/// Declares a message; `#[reply(T)]` names the type its handler answers with (default `()`).
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
