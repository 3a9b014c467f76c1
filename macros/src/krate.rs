//! The path generated code uses to reach the engine, whichever crate the user depends on.

use proc_macro_crate::{FoundCrate, crate_name};
use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

pub fn engine_path() -> TokenStream {
    match crate_name("dgame-engine") {
        // Inside the engine itself, `extern crate self as dgame_engine` makes this path work.
        Ok(FoundCrate::Itself) => quote!(::dgame_engine),
        Ok(FoundCrate::Name(name)) => {
            let name = Ident::new(&name, Span::call_site());
            quote!(::#name)
        }
        Err(_) => match crate_name("distributed-game") {
            Ok(FoundCrate::Name(name)) => {
                let name = Ident::new(&name, Span::call_site());
                quote!(::#name::__engine)
            }
            _ => quote!(::distributed_game::__engine),
        },
    }
}
