//! Checking: every rule a node must follow that the macro can see, each error spanned on the
//! tokens at fault. What only the type checker can see (is it a message? is this its reply
//! type?) is checked by the generated code, with spans pointing at the user's tokens.

use std::collections::BTreeMap;

use quote::ToTokens;
use syn::{FnArg, ItemImpl, Signature, Type};

use crate::ast::{Errors, Handler, NodeImpl, Role, WORKLOADS, Workload};

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

/// `&mut self`, `&self`, `self`, `mut self`, `self: Box<Self>`: the receiver as written.
fn receiver_text(r: &syn::Receiver) -> String {
    if r.colon_token.is_some() {
        let ty = r.ty.to_token_stream().to_string().replace(" < ", "<").replace(" >", ">");
        return format!("self: {ty}");
    }
    let mut text = String::new();
    if let Some((_, lifetime)) = &r.reference {
        text.push('&');
        if let Some(l) = lifetime {
            text.push_str(&format!("{l} "));
        }
    }
    if r.mutability.is_some() {
        text.push_str("mut ");
    }
    text.push_str("self");
    text
}

/// The parameter list with its parentheses: where a problem of the whole list is shown.
fn params_span(sig: &Signature) -> proc_macro2::Span {
    sig.paren_token.span.join()
}

fn check_mut_self(sig: &Signature, what: &str, usage: &str, errors: &mut Errors) -> bool {
    match receiver(sig) {
        Some(r) if r.reference.is_some() && r.mutability.is_some() && r.colon_token.is_none() => true,
        Some(r) => {
            errors.on(r, format!("a sync {what} takes `&mut self`, not `{}`: {usage}", receiver_text(r)));
            false
        }
        None => {
            errors.at(
                params_span(sig),
                format!(
                    "a sync {what} takes `&mut self` first: {usage}; or make it an `async fn` taking `cx: AsyncCtx<Self>`"
                ),
            );
            false
        }
    }
}

fn check_no_self(sig: &Signature, what: &str, errors: &mut Errors) -> bool {
    match receiver(sig) {
        Some(r) => {
            errors.on(
                r,
                format!(
                    "an async {what} cannot take `{}`: the borrow would be held across `.await` while other \
                     handlers run. Take `cx: AsyncCtx<Self>` instead and reach the state with `cx.with(|me| ...)`",
                    receiver_text(r)
                ),
            );
            false
        }
        None => true,
    }
}

/// Reports parameters past the `max`th typed one, underlining the extra ones.
fn extra_params(sig: &Signature, max: usize, msg: String, errors: &mut Errors) {
    let extra: Vec<_> = typed_params(sig).into_iter().skip(max).collect();
    errors.on(quote::quote!(#(#extra),*), msg);
}

fn check_endpoint(sig: &Signature, ty: &Type, errors: &mut Errors) {
    let is_async = sig.asyncness.is_some();
    let n = typed_params(sig).len();
    let shape_ok = if is_async {
        let usage = "`async fn name(cx: AsyncCtx<Self>, msg: Message) -> Reply`";
        check_no_self(sig, "endpoint", errors)
            && match n {
                2 => true,
                0 | 1 => {
                    errors.at(
                        params_span(sig),
                        format!("an async endpoint takes 2 parameters, the context and the message, not {n}: {usage}"),
                    );
                    false
                }
                _ => {
                    let msg = format!(
                        "an async endpoint takes 2 parameters, the context and the message, not {n}: remove the extra ones; {usage}"
                    );
                    extra_params(sig, 2, msg, errors);
                    false
                }
            }
    } else {
        let usage = "`fn name(&mut self, msg: Message) -> Reply`, or `fn name(&mut self, ctx: &mut Ctx<Self>, msg: Message) -> Reply`";
        check_mut_self(sig, "endpoint", usage, errors)
            && match n {
                1 | 2 => true,
                0 => {
                    errors.at(
                        params_span(sig),
                        format!("this endpoint has no parameter for its message `{}`: {usage}", ty.to_token_stream()),
                    );
                    false
                }
                _ => {
                    let msg = format!(
                        "a sync endpoint takes at most 2 parameters after `&mut self`, a context and the message, not {n}: remove the extra ones; {usage}"
                    );
                    extra_params(sig, 2, msg, errors);
                    false
                }
            }
    };
    if !shape_ok {
        return;
    }
    let msg_param = typed_params(sig).last().copied().expect("shape checked");
    match (&*msg_param.ty, last_ident(ty)) {
        (Type::Reference(r), _) => errors.on(
            r,
            format!(
                "the message is passed by value: write `{}` instead of `{}`",
                ty.to_token_stream(),
                r.to_token_stream()
            ),
        ),
        (param, Some(want)) => {
            if let Some(got) = last_ident(param)
                && got != want
            {
                errors.on(
                    param,
                    format!("this parameter is a `{got}`, but the endpoint is for `{want}`: the message parameter's type must be the type in `#[endpoint({want})]`"),
                );
            }
        }
        _ => {}
    }
}

fn check_timer(sig: &Signature, what: &str, errors: &mut Errors) {
    let n = typed_params(sig).len();
    if sig.asyncness.is_some() {
        if check_no_self(sig, what, errors) && n != 1 {
            let msg = format!("an async {what} takes 1 parameter, `cx: AsyncCtx<Self>`, not {n}");
            if n == 0 { errors.at(params_span(sig), msg) } else { extra_params(sig, 1, msg, errors) }
        }
    } else {
        let usage = "`fn name(&mut self)` or `fn name(&mut self, ctx: &mut Ctx<Self>)`";
        if check_mut_self(sig, what, usage, errors) && n > 1 {
            extra_params(
                sig,
                1,
                format!("a sync {what} takes `&mut self` and optionally a context, not {n} more parameters: {usage}"),
                errors,
            );
        }
    }
}

/// The `#[node]` attribute's own rule: an inherent impl.
pub fn check_impl(item: &ItemImpl, errors: &mut Errors) {
    if let Some((bang, path, for_)) = &item.trait_ {
        errors.on(
            quote::quote!(#bang #path #for_),
            "`#[node]` goes on the node's own impl block (`impl MyNode { ... }`), not on a trait impl",
        );
    }
}

/// The rules between handlers: one endpoint per message type, and the two client endpoints.
pub fn check_node(node: &NodeImpl, workloads: &[&'static Workload], errors: &mut Errors) {
    let mut seen: BTreeMap<String, &Handler> = BTreeMap::new();
    let mut inits: Option<&syn::Ident> = None;
    for h in &node.handlers {
        errors.item = h.index + 1;
        match &h.role {
            Role::Endpoint { ty } => {
                let key = ty.to_token_stream().to_string();
                if let Some(first) = seen.get(&key) {
                    errors.on(
                        ty,
                        format!(
                            "`{key}` already has an endpoint, `{}`: a node handles each message type in one method",
                            first.sig.ident
                        ),
                    );
                } else {
                    seen.insert(key, h);
                }
                check_endpoint(&h.sig, ty, errors);
            }
            Role::Timer { .. } => check_timer(&h.sig, "timer", errors),
            Role::Init => {
                if let Some(first) = inits.replace(&h.sig.ident) {
                    errors.on(
                        &h.sig.ident,
                        format!("the node already has an `#[init]` method, `{first}`: one method initializes a node"),
                    );
                }
                check_timer(&h.sig, "init method", errors)
            }
        }
    }
    errors.item = Errors::LAST;
    // On a trait impl, or when an `#[endpoint]` could not be read, a missing endpoint would
    // only repeat an error already given.
    if node.item.trait_.is_some() || node.incomplete {
        return;
    }
    let self_ty = &node.item.self_ty;
    let name = self_ty.to_token_stream().to_string();
    let default = [&WORKLOADS[0]];
    let given = !workloads.is_empty();
    let workloads = if given { workloads } else { &default[..] };
    let mut reported: Vec<&str> = Vec::new();
    for w in workloads {
        for &(required, reply, what) in w.endpoints {
            let found = node
                .handlers
                .iter()
                .any(|h| matches!(&h.role, Role::Endpoint { ty } if last_ident(ty).as_deref() == Some(required)));
            // Two workloads may need one request type (the two counters): one error for it.
            if found || reported.contains(&required) {
                continue;
            }
            reported.push(required);
            let whose = if !given {
                "every node serves the register unless it says otherwise (`#[node(workload(...))]`), and must handle \
                 client "
                    .to_owned()
                    + what
                    + "s"
            } else {
                format!("it serves the `{}` workload, which sends `{required}`", w.ident.replace('_', "-"))
            };
            errors.on(
                self_ty,
                format!(
                    "node `{name}` has no endpoint for `{required}`: {whose}; add `#[endpoint({required})] fn \
                     {what}(&mut self, req: {required}) -> {reply}` (or an async one)"
                ),
            );
        }
    }
}
