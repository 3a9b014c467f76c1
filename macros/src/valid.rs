//! Checking: every rule a node must follow that the macro can see, each error spanned on the
//! tokens at fault. What only the type checker can see (is it a message? is this its reply
//! type?) is checked by the generated code, with spans pointing at the user's tokens.

use std::collections::BTreeMap;

use quote::ToTokens;
use syn::spanned::Spanned;
use syn::{FnArg, ItemImpl, Signature, Type};

use crate::ast::{Errors, Handler, NodeImpl, Role};

/// The last identifier of a path type (`a::b::Foo<T>` -> `Foo`), if it is one.
pub fn last_ident(ty: &Type) -> Option<String> {
    match ty {
        Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        Type::Group(g) => last_ident(&g.elem),
        Type::Paren(p) => last_ident(&p.elem),
        _ => None,
    }
}

fn receiver(sig: &Signature) -> Option<&syn::Receiver> {
    match sig.inputs.first() {
        Some(FnArg::Receiver(r)) => Some(r),
        _ => None,
    }
}

fn typed_params(sig: &Signature) -> Vec<&syn::PatType> {
    sig.inputs
        .iter()
        .filter_map(|a| match a {
            FnArg::Typed(t) => Some(t),
            FnArg::Receiver(_) => None,
        })
        .collect()
}

fn check_mut_self(sig: &Signature, what: &str, usage: &str, errors: &mut Errors) -> bool {
    match receiver(sig) {
        Some(r) if r.reference.is_some() && r.mutability.is_some() => true,
        Some(r) => {
            errors.at(r.span(), format!("a sync {what} takes `&mut self`, not `{}`: {usage}", r.to_token_stream()));
            false
        }
        None => {
            errors.at(
                sig.ident.span(),
                format!("a sync {what} takes `&mut self` first: {usage}; or make it an `async fn` taking `cx: Cx<Self>`"),
            );
            false
        }
    }
}

fn check_no_self(sig: &Signature, what: &str, errors: &mut Errors) -> bool {
    match receiver(sig) {
        Some(r) => {
            errors.at(
                r.span(),
                format!(
                    "an async {what} cannot borrow `self`: the borrow would be held across `.await` while other \
                     handlers run. Take `cx: Cx<Self>` instead and reach the state with `cx.with(|me| ...)`"
                ),
            );
            false
        }
        None => true,
    }
}

fn check_endpoint(sig: &Signature, ty: &Type, errors: &mut Errors) {
    let is_async = sig.asyncness.is_some();
    let shape_ok = if is_async {
        let usage = "`async fn name(cx: Cx<Self>, msg: Message) -> Reply`";
        check_no_self(sig, "endpoint", errors) && {
            let n = typed_params(sig).len();
            if n != 2 {
                errors.at(sig.inputs.span().join(sig.ident.span()).unwrap_or(sig.ident.span()), format!("an async endpoint takes 2 parameters, not {n}: {usage}"));
                false
            } else {
                true
            }
        }
    } else {
        let usage = "`fn name(&mut self, msg: Message) -> Reply`, or `fn name(&mut self, ctx: &mut Ctx<Self>, msg: Message) -> Reply`";
        check_mut_self(sig, "endpoint", usage, errors) && {
            let n = typed_params(sig).len();
            if n == 0 || n > 2 {
                errors.at(sig.inputs.span(), format!("a sync endpoint takes the message (and optionally a context) after `&mut self`, not {n} parameters: {usage}"));
                false
            } else {
                true
            }
        }
    };
    if !shape_ok {
        return;
    }
    let msg_param = typed_params(sig).last().copied().expect("shape checked");
    match (&*msg_param.ty, last_ident(ty)) {
        (Type::Reference(r), _) => errors.at(
            r.span(),
            format!("the message is passed by value: write `{}` instead of `{}`", ty.to_token_stream(), r.to_token_stream()),
        ),
        (param, Some(want)) => {
            if let Some(got) = last_ident(param)
                && got != want
            {
                errors.at(
                    param.span(),
                    format!("this parameter is a `{got}`, but the endpoint is for `{want}`: the parameter's type must be the type in `#[endpoint({want})]`"),
                );
            }
        }
        _ => {}
    }
}

fn check_timer(sig: &Signature, errors: &mut Errors) {
    if sig.asyncness.is_some() {
        if check_no_self(sig, "timer", errors) {
            let n = typed_params(sig).len();
            if n != 1 {
                errors.at(sig.inputs.span(), format!("an async timer takes 1 parameter, `cx: Cx<Self>`, not {n}"));
            }
        }
    } else {
        let usage = "`fn name(&mut self)` or `fn name(&mut self, ctx: &mut Ctx<Self>)`";
        if check_mut_self(sig, "timer", usage, errors) {
            let n = typed_params(sig).len();
            if n > 1 {
                errors.at(sig.inputs.span(), format!("a sync timer takes `&mut self` and optionally a context, not {n} more parameters: {usage}"));
            }
        }
    }
}

/// The `#[node]` attribute's own rules: no options, an inherent impl.
pub fn check_impl(args: &proc_macro2::TokenStream, item: &ItemImpl, errors: &mut Errors) {
    if !args.is_empty() {
        errors.at(args.span(), format!("`#[node]` takes no options, found `{args}`: write just `#[node]`"));
    }
    if let Some((_, path, _)) = &item.trait_ {
        errors.at(
            path.span(),
            "`#[node]` goes on the node's own impl block (`impl MyNode { ... }`), not on a trait impl",
        );
    }
}

/// The rules between handlers: one endpoint per message type, and the two client endpoints.
pub fn check_node(node: &NodeImpl, errors: &mut Errors) {
    let mut seen: BTreeMap<String, &Handler> = BTreeMap::new();
    for h in &node.handlers {
        match &h.role {
            Role::Endpoint { ty } => {
                check_endpoint(&h.sig, ty, errors);
                let key = ty.to_token_stream().to_string();
                if let Some(first) = seen.get(&key) {
                    errors.at(
                        ty.span(),
                        format!("`{key}` already has an endpoint, `{}`: a node handles each message type in one method", first.sig.ident),
                    );
                } else {
                    seen.insert(key, h);
                }
            }
            Role::Timer { .. } => check_timer(&h.sig, errors),
        }
    }
    let self_ty = &node.item.self_ty;
    let name = self_ty.to_token_stream().to_string();
    for (required, reply, what) in [
        ("ClientReadRequest", "ClientReadResponse", "read"),
        ("ClientWriteRequest", "ClientWriteResponse", "write"),
    ] {
        let found = node.handlers.iter().any(|h| matches!(&h.role, Role::Endpoint { ty } if last_ident(ty).as_deref() == Some(required)));
        if !found {
            errors.at(
                self_ty.span(),
                format!(
                    "node `{name}` has no endpoint for `{required}`: every node must handle client {what}s; add \
                     `#[endpoint({required})] fn {what}(&mut self, req: {required}) -> {reply}` (or an async one)"
                ),
            );
        }
    }
}
