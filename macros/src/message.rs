//! `#[derive(Message)]` with an optional `#[reply(T)]`.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{DeriveInput, Type};

use crate::ast::parse_one_type;
use crate::krate::engine_path;

pub fn derive(input: TokenStream) -> TokenStream {
    let input: DeriveInput = match syn::parse2(input) {
        Ok(i) => i,
        Err(e) => return e.to_compile_error(),
    };
    let mut errors: Option<syn::Error> = None;
    let mut push = |e: syn::Error| match &mut errors {
        Some(all) => all.combine(e),
        None => errors = Some(e),
    };
    let mut reply: Option<Type> = None;
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("reply")) {
        let one = "a message has one reply type; to answer with several values, reply with a tuple or a struct: `#[reply((A, B))]`";
        match parse_one_type(attr, "reply", "#[reply(ReplyType)]", one) {
            Ok(_) if reply.is_some() => {
                push(syn::Error::new_spanned(attr, "a message has one reply type: remove the second `#[reply(...)]`"));
            }
            Ok(ty) => reply = Some(ty),
            Err(e) => push(e),
        }
    }
    if let Some(e) = errors {
        return e.to_compile_error();
    }
    let krate = engine_path();
    let name = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let reply = match reply {
        Some(ty) => {
            let span = ty.span();
            quote_spanned!(span=> #ty)
        }
        None => quote!(()),
    };
    // `do_not_recommend`: when a type is not a message, rustc would list other types that are
    // (every message of every crate in view); the error's note already says what to do.
    quote! {
        #[diagnostic::do_not_recommend]
        impl #impl_generics #krate::Message for #name #ty_generics #where_clause {
            type Reply = #reply;
        }
    }
}
