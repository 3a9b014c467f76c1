//! Generation: the node's `Node` impl, whose `__dispatch` is an `if` chain on the message's
//! `TypeId` (no registry, no hashing), and whose `__timer` is a `match` on the timer's index.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{ItemImpl, ReturnType};

use crate::ast::{Errors, Handler, Role, parse_node};
use crate::krate::engine_path;
use crate::valid::{check_impl, check_node};

pub fn node(args: TokenStream, input: TokenStream) -> TokenStream {
    let item: ItemImpl = match syn::parse2(input.clone()) {
        Ok(item) => item,
        Err(e) => {
            let e = syn::Error::new(e.span(), format!("`#[node]` goes on an impl block: {e}")).to_compile_error();
            return quote!(#e #input);
        }
    };
    let mut errors = Errors::default();
    check_impl(&args, &item, &mut errors);
    let node = parse_node(item, &mut errors);
    check_node(&node, &mut errors);
    let item = &node.item;
    if let Some(e) = errors.take() {
        // The user's impl (without our attributes) stays, so the rest of their code still
        // resolves its methods and the errors above are the only ones.
        let e = e.to_compile_error();
        return quote!(#e #item);
    }
    let krate = engine_path();
    let self_ty = &item.self_ty;
    let (impl_generics, _, where_clause) = item.generics.split_for_impl();
    let name = self_ty.to_token_stream().to_string().replace(' ', "");

    let mut arms = Vec::new();
    let mut asserts = Vec::new();
    let mut timer_specs = Vec::new();
    let mut timer_arms = Vec::new();
    for h in &node.handlers {
        match &h.role {
            Role::Endpoint { ty } => {
                let span = ty.span();
                asserts.push(quote_spanned!(span=> #krate::__private::assert_message::<#ty>();));
                let reply = quote!(<#ty as #krate::Message>::Reply);
                let call = handler_call(&krate, h, Some(quote!(__m)), &reply);
                arms.push(quote! {
                    if __type == #krate::__private::TypeId::of::<#ty>() {
                        let __m: #ty = #krate::__private::downcast(__msg);
                        return ::core::result::Result::Ok(#call);
                    }
                });
            }
            Role::Timer { interval } => {
                let index = timer_specs.len();
                let method = h.sig.ident.to_string();
                timer_specs.push(quote!(#krate::TimerSpec { name: #method, interval: #interval }));
                let call = handler_call(&krate, h, None, &quote!(()));
                timer_arms.push(quote!(#index => #call,));
            }
        }
    }

    quote! {
        #item

        impl #impl_generics #krate::Node for #self_ty #where_clause {
            const __NAME: &'static str = #name;
            const __TIMERS: &'static [#krate::TimerSpec] = &[#(#timer_specs),*];

            #[allow(unreachable_code, clippy::needless_return)]
            fn __dispatch(
                __ctx: &mut #krate::Ctx<Self>,
                __msg: ::std::boxed::Box<dyn #krate::Payload>,
            ) -> ::core::result::Result<#krate::Handled, ::std::boxed::Box<dyn #krate::Payload>> {
                let __type = #krate::__private::type_id(&*__msg);
                #(#arms)*
                ::core::result::Result::Err(__msg)
            }

            #[allow(unused_variables, clippy::match_single_binding)]
            fn __timer(__ctx: &mut #krate::Ctx<Self>, __index: usize) -> #krate::Handled {
                match __index {
                    #(#timer_arms)*
                    _ => ::core::unreachable!("this node has no timer {}", __index),
                }
            }
        }

        const _: () = {
            #(#asserts)*
        };
    }
}

/// The expression that runs one handler and yields a `Handled`. `msg` is the message
/// variable (none for a timer), `reply` the type the handler must return.
fn handler_call(krate: &TokenStream, h: &Handler, msg: Option<TokenStream>, reply: &TokenStream) -> TokenStream {
    let sig = &h.sig;
    let method = &sig.ident;
    let endpoint = method.to_string();
    // A mismatch between what the method returns and what it must return is reported on the
    // method's return type (or its name, when it has none).
    let ret_span: Span = match &sig.output {
        ReturnType::Type(_, ty) => ty.span(),
        ReturnType::Default => sig.ident.span(),
    };
    // A mismatch of the message parameter's type is reported on that parameter.
    let msg_arg = msg.map(|m| {
        let span = sig.inputs.last().map(|a| a.span()).unwrap_or(sig.ident.span());
        quote_spanned!(span=> #m)
    });
    let typed = sig.inputs.iter().filter(|a| matches!(a, syn::FnArg::Typed(_))).count();
    let expected_without_ctx = usize::from(msg_arg.is_some());
    if sig.asyncness.is_some() {
        let args = msg_arg.into_iter();
        let call = quote_spanned!(ret_span=> Self::#method(__cx, #(#args),*).await);
        quote! {
            #krate::__private::spawn(#endpoint, {
                let __cx = __ctx.cx();
                async move {
                    let __reply: #reply = #call;
                    __reply
                }
            })
        }
    } else {
        let with_ctx = typed > expected_without_ctx;
        let ctx = with_ctx.then(|| quote!(__ctx,));
        let args = msg_arg.into_iter();
        let call = quote_spanned!(ret_span=> Self::#method(__this, #ctx #(#args),*));
        quote! {
            #krate::__private::sync(__ctx, #endpoint, |__this, __ctx| -> #reply { #call })
        }
    }
}
