//! Parsing: the `#[node]` impl block and its `#[endpoint]` / `#[timer]` attributes, into a small
//! representation. Attribute errors are collected, not returned one at a time.

use proc_macro2::{Span, TokenStream};
use syn::parse::ParseStream;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Attribute, Expr, ImplItem, ItemImpl, Lit, Meta, Signature, Token, Type};

/// Every error found so far, reported together.
#[derive(Default)]
pub struct Errors(Option<syn::Error>);

impl Errors {
    pub fn push(&mut self, e: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(e),
            None => self.0 = Some(e),
        }
    }
    pub fn at(&mut self, span: Span, msg: impl std::fmt::Display) {
        self.push(syn::Error::new(span, msg));
    }
    pub fn take(self) -> Option<syn::Error> {
        self.0
    }
}

/// What a method of the node is.
pub enum Role {
    /// `#[endpoint(Type)]`.
    Endpoint { ty: Type },
    /// `#[timer(interval = N)]`.
    Timer { interval: u64 },
}

/// One handler method.
pub struct Handler {
    pub sig: Signature,
    pub role: Role,
}

/// A parsed `#[node]` impl block.
pub struct NodeImpl {
    /// The impl block, with the `#[endpoint]` and `#[timer]` attributes removed.
    pub item: ItemImpl,
    pub handlers: Vec<Handler>,
}

fn is_attr(attr: &Attribute, name: &str) -> bool {
    attr.path().segments.last().is_some_and(|s| s.ident == name)
}

/// Parses `#[name(Type)]`: exactly one type, not a literal.
pub fn parse_one_type(attr: &Attribute, name: &str, usage: &str) -> syn::Result<Type> {
    let list = match &attr.meta {
        Meta::List(list) if !list.tokens.is_empty() => list,
        _ => {
            return Err(syn::Error::new(
                attr.span(),
                format!("missing type in `#[{name}]`: write `{usage}`"),
            ));
        }
    };
    list.parse_args_with(|input: ParseStream| {
        if input.peek(Lit) {
            let lit: Lit = input.parse()?;
            return Err(syn::Error::new(
                lit.span(),
                format!("expected a type, found a literal: write `{usage}` with the type's name, not a string or number"),
            ));
        }
        let ty: Type = input.parse()?;
        if input.peek(Token![,]) {
            input.parse::<Token![,]>()?;
            if !input.is_empty() {
                let rest: TokenStream = input.parse()?;
                return Err(syn::Error::new(
                    rest.span(),
                    format!("`#[{name}]` takes one type: give each message its own method"),
                ));
            }
        }
        Ok(ty)
    })
}

/// Parses `#[timer(interval = N)]`.
fn parse_timer(attr: &Attribute, errors: &mut Errors) -> Option<u64> {
    const USAGE: &str = "write `#[timer(interval = 10)]` (a whole number of ticks, at least 1)";
    let metas = match &attr.meta {
        Meta::List(list) => match list.parse_args_with(Punctuated::<Meta, Token![,]>::parse_terminated) {
            Ok(m) => m,
            Err(e) => {
                errors.at(e.span(), format!("cannot read this timer: {USAGE}"));
                return None;
            }
        },
        _ => Punctuated::new(),
    };
    let mut interval: Option<u64> = None;
    let mut seen = false;
    let mut ok = true;
    for meta in &metas {
        let key = meta.path();
        if !key.is_ident("interval") {
            let name = key.segments.last().map(|s| s.ident.to_string()).unwrap_or_default();
            errors.at(key.span(), format!("unknown key `{name}`: `#[timer]` takes only `interval`; {USAGE}"));
            ok = false;
            continue;
        }
        if seen {
            errors.at(meta.span(), "`interval` is given twice: keep one");
            ok = false;
            continue;
        }
        seen = true;
        let Meta::NameValue(nv) = meta else {
            errors.at(meta.span(), format!("`interval` needs a value: {USAGE}"));
            ok = false;
            continue;
        };
        match &nv.value {
            Expr::Lit(syn::ExprLit { lit: Lit::Int(i), .. }) => match i.base10_parse::<u64>() {
                Ok(0) => {
                    errors.at(i.span(), "a timer's interval is at least 1 tick");
                    ok = false;
                }
                Ok(n) => interval = Some(n),
                Err(_) => {
                    errors.at(i.span(), format!("the interval must fit in a u64: {USAGE}"));
                    ok = false;
                }
            },
            other => {
                errors.at(other.span(), format!("the interval must be a whole number of ticks: {USAGE}"));
                ok = false;
            }
        }
    }
    if !seen && ok {
        errors.at(attr.span(), format!("missing `interval`: {USAGE}"));
    }
    interval
}

/// Parses the impl block, removing the handler attributes from it.
pub fn parse_node(mut item: ItemImpl, errors: &mut Errors) -> NodeImpl {
    let mut handlers = Vec::new();
    for impl_item in &mut item.items {
        let ImplItem::Fn(method) = impl_item else { continue };
        let mut role: Option<Role> = None;
        let mut first_kind: Option<&'static str> = None;
        let mut kept = Vec::new();
        for attr in std::mem::take(&mut method.attrs) {
            let kind = if is_attr(&attr, "endpoint") {
                "endpoint"
            } else if is_attr(&attr, "timer") {
                "timer"
            } else {
                kept.push(attr);
                continue;
            };
            if let Some(first) = first_kind {
                let msg = if first == kind {
                    format!("`#[{kind}]` is given twice on one method: a method handles one thing")
                } else {
                    "a method is an endpoint or a timer, not both: move one of them to a method of its own".to_owned()
                };
                errors.at(attr.span(), msg);
                continue;
            }
            first_kind = Some(kind);
            if kind == "endpoint" {
                match parse_one_type(&attr, "endpoint", "#[endpoint(MessageType)]") {
                    Ok(ty) => role = Some(Role::Endpoint { ty }),
                    Err(e) => errors.push(e),
                }
            } else if let Some(interval) = parse_timer(&attr, errors) {
                role = Some(Role::Timer { interval });
            }
        }
        method.attrs = kept;
        if let Some(role) = role {
            handlers.push(Handler { sig: method.sig.clone(), role });
        }
    }
    NodeImpl { item, handlers }
}
