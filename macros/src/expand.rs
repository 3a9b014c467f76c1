//! Generation: the node's `Node` impl, whose `__dispatch` is an `if` chain on the message's
//! `TypeId` (no registry, no hashing), and whose `__timer` is a `match` on the timer's index.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{ItemImpl, ReturnType};

use crate::ast::{Errors, Handler, NodeImpl, Role, parse_args, parse_node};
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
    let args = parse_args(args, &mut errors);
    check_impl(&item, &mut errors);
    let node = parse_node(item, &mut errors);
    check_node(&node, &args.workloads, &mut errors);
    let item = &node.item;
    let krate = engine_path();
    let self_ty = &item.self_ty;
    let (impl_generics, _, where_clause) = item.generics.split_for_impl();
    let name = self_ty.to_token_stream().to_string().replace(' ', "");
    if let Some(e) = errors.take() {
        // The user's impl (without our attributes) stays, so the rest of their code still
        // resolves its methods, and a stand-in `impl Node` keeps `World::<ThisNode>` from
        // adding an error of its own: the errors above are the only ones. The endpoints'
        // types are still checked, so a misspelt or non-message type shows up in the same round.
        let e = e.to_compile_error();
        let checks = message_checks(&node);
        let fallback = item.trait_.is_none().then(|| {
            quote! {
                impl #impl_generics #krate::Node for #self_ty #where_clause {
                    const __NAME: &'static str = #name;
                    const __TIMERS: &'static [#krate::TimerSpec] = &[];
                    fn __dispatch(
                        _: &mut #krate::Ctx<Self>,
                        _: ::std::boxed::Box<dyn #krate::Payload>,
                    ) -> ::core::result::Result<#krate::Handled, ::std::boxed::Box<dyn #krate::Payload>> {
                        ::core::unreachable!("`#[node]` on {} reported errors: this impl only stands in", #name)
                    }
                    fn __timer(_: &mut #krate::Ctx<Self>, _: usize) -> #krate::Handled {
                        ::core::unreachable!("`#[node]` on {} reported errors: this impl only stands in", #name)
                    }
                }
            }
        });
        return quote!(#e #item #checks #fallback);
    }

    let mut arms = Vec::new();
    let mut timer_specs = Vec::new();
    let mut timer_arms = Vec::new();
    let mut init = None;
    for h in &node.handlers {
        match &h.role {
            Role::Endpoint { ty } => {
                // The only place that needs `#ty: Message`: one error if it is not one.
                let reply = quote!(<#ty as #krate::Message>::Reply);
                let call = handler_call(&krate, h, Some((ty, quote!(__m))), &reply);
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
            Role::Init => {
                let call = handler_call(&krate, h, None, &quote!(()));
                init = Some(quote! {
                    fn __init(__ctx: &mut #krate::Ctx<Self>) -> ::core::option::Option<#krate::Handled> {
                        ::core::option::Option::Some(#call)
                    }
                });
            }
        }
    }

    // A field that does not exist is rustc's error, on the name the user wrote.
    let restore = (!args.durable.is_empty()).then(|| {
        let swaps = args.durable.iter().map(|field| {
            let span = field.span();
            quote_spanned!(span=> ::core::mem::swap(&mut __crashed.#field, &mut __fresh.#field);)
        });
        quote! {
            fn __restore(__crashed: &mut Self, __fresh: &mut Self) {
                #(#swaps)*
            }
        }
    });

    let workloads = args.workloads.iter().map(|w| {
        let variant = syn::Ident::new(w.variant, Span::call_site());
        quote!(#krate::Workload::#variant)
    });
    let workloads = (!args.workloads.is_empty())
        .then(|| quote!(const __WORKLOADS: &'static [#krate::Workload] = &[#(#workloads),*];));

    quote! {
        #item

        impl #impl_generics #krate::Node for #self_ty #where_clause {
            const __NAME: &'static str = #name;
            #workloads
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

            #init

            #restore

            fn __state(&self) -> #krate::__private::serde_json::Value {
                #[allow(unused_imports)]
                use #krate::__private::{StateViaDebug as _, StateViaSerialize as _};
                (&#krate::__private::Probe(self)).__dgame_state()
            }

            fn __badge(&self) -> ::core::option::Option<::std::string::String> {
                #[allow(unused_imports)]
                use #krate::__private::{BadgeViaTrait as _, NoBadge as _};
                (&#krate::__private::Probe(self)).__dgame_badge()
            }
        }
    }
}

/// For a node with errors: code that only checks that each endpoint's type is a message.
fn message_checks(node: &NodeImpl) -> TokenStream {
    let krate = engine_path();
    let checks: Vec<_> = node
        .handlers
        .iter()
        .filter_map(|h| match &h.role {
            Role::Endpoint { ty } => Some(quote!(::core::marker::PhantomData::<<#ty as #krate::Message>::Reply>)),
            Role::Timer { .. } | Role::Init => None,
        })
        .collect();
    if checks.is_empty() || node.item.trait_.is_some() {
        return TokenStream::new();
    }
    let self_ty = &node.item.self_ty;
    let (impl_generics, _, where_clause) = node.item.generics.split_for_impl();
    quote! {
        impl #impl_generics #self_ty #where_clause {
            #[doc(hidden)]
            #[allow(dead_code, non_snake_case)]
            fn __dgame_endpoint_types() {
                #(let _ = #checks;)*
            }
        }
    }
}

/// The expression that runs one handler and yields a `Handled`. `msg` is the message type and
/// variable (none for a timer), `reply` the type the handler must return.
fn handler_call(
    krate: &TokenStream,
    h: &Handler,
    msg: Option<(&syn::Type, TokenStream)>,
    reply: &TokenStream,
) -> TokenStream {
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
    let msg_arg = msg.as_ref().map(|(_, m)| {
        let span = sig.inputs.last().map(|a| a.span()).unwrap_or(sig.ident.span());
        quote_spanned!(span=> #m)
    });
    let typed = sig.inputs.iter().filter(|a| matches!(a, syn::FnArg::Typed(_))).count();
    let expected_without_ctx = usize::from(msg_arg.is_some());
    let args = msg_arg.into_iter();
    let call = if sig.asyncness.is_some() {
        quote_spanned!(ret_span=> Self::#method(__cx, #(#args),*).await)
    } else {
        let ctx = (typed > expected_without_ctx).then(|| quote!(__ctx,));
        quote_spanned!(ret_span=> Self::#method(__this, #ctx #(#args),*))
    };
    // An endpoint's result goes through `ReplyOf`, whose error names the message and its
    // reply type; a timer's must be `()`.
    // All of that check is spanned on the return type, so that is what the error underlines.
    let value = match &msg {
        Some((ty, _)) => {
            let result = syn::Ident::new("__result", ret_span);
            let krate = respan(krate.clone(), ret_span);
            quote_spanned!(ret_span=> {
                #[allow(clippy::let_unit_value)]
                let #result = #call;
                #krate::__private::ReplyOf::<#ty, #reply>::into_reply(#result)
            })
        }
        None => call,
    };
    if sig.asyncness.is_some() {
        quote! {
            #krate::__private::spawn(#endpoint, {
                let __cx = __ctx.cx();
                async move {
                    #[allow(clippy::let_unit_value)]
                    let __reply: #reply = #value;
                    __reply
                }
            })
        }
    } else {
        quote! {
            #krate::__private::sync(__ctx, #endpoint, |__this, __ctx| -> #reply { #value })
        }
    }
}

/// `tokens` with every span set to `span`.
fn respan(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut tt| {
            if let proc_macro2::TokenTree::Group(g) = &tt {
                let mut group = proc_macro2::Group::new(g.delimiter(), respan(g.stream(), span));
                group.set_span(span);
                tt = proc_macro2::TokenTree::Group(group);
            } else {
                tt.set_span(span);
            }
            tt
        })
        .collect()
}
