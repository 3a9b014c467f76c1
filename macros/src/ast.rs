//! Parsing: the `#[node]` impl block and its `#[endpoint]` / `#[timer]` attributes, into a small
//! representation. Attribute errors are collected, not returned one at a time.

use proc_macro2::{Ident, Span, TokenStream, TokenTree};
use quote::ToTokens;
use syn::ext::IdentExt;
use syn::parse::ParseStream;
use syn::{Attribute, ImplItem, ItemImpl, Lit, Meta, Signature, Token, Type};

/// Every error found so far, reported together and in source order: each error is filed
/// under the item it belongs to (0 for the impl block itself, then one per item of the impl,
/// in order; [`Errors::LAST`] for the rules on the whole node), whatever the pass that found it.
#[derive(Default)]
pub struct Errors {
    all: Vec<(usize, syn::Error)>,
    /// Where errors pushed now are filed.
    pub item: usize,
}

impl Errors {
    /// The key of errors about the node as a whole (missing endpoints), reported last.
    pub const LAST: usize = usize::MAX;

    pub fn push(&mut self, e: syn::Error) {
        self.all.push((self.item, e));
    }
    /// An error on one token (or a group: its span covers the group).
    pub fn at(&mut self, span: Span, msg: impl std::fmt::Display) {
        self.push(syn::Error::new(span, msg));
    }
    /// An error that underlines all of `tokens`, from the first to the last.
    pub fn on(&mut self, tokens: impl quote::ToTokens, msg: impl std::fmt::Display) {
        self.push(syn::Error::new_spanned(tokens, msg));
    }
    pub fn take(mut self) -> Option<syn::Error> {
        self.all.sort_by_key(|(item, _)| *item);
        self.all.into_iter().map(|(_, e)| e).reduce(|mut all, e| {
            all.combine(e);
            all
        })
    }
}

/// What a method of the node is.
pub enum Role {
    /// `#[endpoint(Type)]`.
    Endpoint { ty: Box<Type> },
    /// `#[timer(interval = N)]`.
    Timer { interval: u64 },
    /// `#[init]`: runs in the node's first turn and in its first turn after each restart.
    Init,
}

/// One handler method.
pub struct Handler {
    /// The method's position among the impl's items (for ordering errors).
    pub index: usize,
    pub sig: Signature,
    pub role: Role,
}

/// The options of `#[node(...)]`.
#[derive(Default)]
pub struct NodeArgs {
    /// `durable(a, b)`: the fields moved from a crashed node into its restarted self.
    pub durable: Vec<syn::Member>,
    /// `workload(kv, broadcast)`: the workloads the node serves (none given: the register).
    pub workloads: Vec<&'static Workload>,
}

const DURABLE_USAGE: &str = "write `#[node(durable(field, ...))]`, naming the fields of the node that survive a crash";
const WORKLOAD_USAGE: &str = "write `#[node(workload(kv))]`, naming the workloads the node serves: register, kv, \
     broadcast, counter, pn_counter, unique_ids";

/// A workload as the macro knows it: its name in `workload(...)`, its variant of the engine's
/// `Workload`, and the endpoints it needs: (request, reply, what a client does with it).
pub struct Workload {
    pub ident: &'static str,
    pub variant: &'static str,
    pub endpoints: &'static [(&'static str, &'static str, &'static str)],
}

/// Every workload, as `dgame_engine::workload::Workload` lists them.
pub const WORKLOADS: &[Workload] = &[
    Workload {
        ident: "register",
        variant: "Register",
        endpoints: &[
            ("ClientReadRequest", "ClientReadResponse", "read"),
            ("ClientWriteRequest", "ClientWriteResponse", "write"),
        ],
    },
    Workload {
        ident: "kv",
        variant: "Kv",
        endpoints: &[
            ("KvReadRequest", "ClientReadResponse", "read"),
            ("KvWriteRequest", "ClientWriteResponse", "write"),
            ("KvCasRequest", "ClientWriteResponse", "cas"),
        ],
    },
    Workload {
        ident: "broadcast",
        variant: "Broadcast",
        endpoints: &[
            ("BroadcastRequest", "ClientWriteResponse", "broadcast"),
            ("BroadcastReadRequest", "BroadcastReadResponse", "read"),
        ],
    },
    Workload {
        ident: "counter",
        variant: "Counter",
        endpoints: &[
            ("CounterAddRequest", "ClientWriteResponse", "add"),
            ("CounterReadRequest", "CounterReadResponse", "read"),
        ],
    },
    Workload {
        ident: "pn_counter",
        variant: "PnCounter",
        endpoints: &[
            ("CounterAddRequest", "ClientWriteResponse", "add"),
            ("CounterReadRequest", "CounterReadResponse", "read"),
        ],
    },
    Workload {
        ident: "unique_ids",
        variant: "UniqueIds",
        endpoints: &[("GenerateRequest", "GenerateResponse", "generate")],
    },
];

/// Parses `#[node]`'s options: nothing, or `durable(field, ...)`.
pub fn parse_args(args: TokenStream, errors: &mut Errors) -> NodeArgs {
    let mut out = NodeArgs::default();
    if args.is_empty() {
        return out;
    }
    let metas = match syn::parse::Parser::parse2(
        syn::punctuated::Punctuated::<Meta, Token![,]>::parse_terminated,
        args.clone(),
    ) {
        Ok(metas) => metas,
        Err(_) => {
            errors.on(
                &args,
                format!(
                    "cannot read `#[node({args})]`: `#[node]` takes no options, `durable(...)` or `workload(...)`; \
                     {DURABLE_USAGE}"
                ),
            );
            return out;
        }
    };
    let mut seen_durable = false;
    let mut seen_workload = false;
    for meta in metas {
        if meta.path().is_ident("workload") {
            if std::mem::replace(&mut seen_workload, true) {
                errors.on(&meta, "`workload` is given twice: name all the workloads in one `workload(...)`");
                continue;
            }
            parse_workloads(&meta, &mut out, errors);
            continue;
        }
        if !meta.path().is_ident("durable") {
            let path = meta.path();
            errors.on(
                &meta,
                format!(
                    "unknown option `{}`: `#[node]` takes only `durable(...)` and `workload(...)`; {DURABLE_USAGE}",
                    path.to_token_stream()
                ),
            );
            continue;
        }
        if std::mem::replace(&mut seen_durable, true) {
            errors.on(&meta, "`durable` is given twice: name all the durable fields in one `durable(...)`");
            continue;
        }
        let Meta::List(list) = &meta else {
            errors.on(&meta, format!("`durable` lists fields in parentheses: {DURABLE_USAGE}"));
            continue;
        };
        let fields = list.parse_args_with(syn::punctuated::Punctuated::<syn::Member, Token![,]>::parse_terminated);
        match fields {
            Ok(fields) if fields.is_empty() => {
                errors.on(&meta, format!("`durable()` names no field: {DURABLE_USAGE}, or leave the option out"));
            }
            Ok(fields) => {
                for field in fields {
                    if out.durable.contains(&field) {
                        errors.on(&field, format!("`{}` is named twice in `durable(...)`", field.to_token_stream()));
                    } else {
                        out.durable.push(field);
                    }
                }
            }
            Err(e) => errors.at(e.span(), format!("expected a field name: {DURABLE_USAGE}")),
        }
    }
    out
}

/// `workload(a, b)`: each a known workload, once.
fn parse_workloads(meta: &Meta, out: &mut NodeArgs, errors: &mut Errors) {
    let Meta::List(list) = meta else {
        errors.on(meta, format!("`workload` lists workloads in parentheses: {WORKLOAD_USAGE}"));
        return;
    };
    match list.parse_args_with(syn::punctuated::Punctuated::<syn::Ident, Token![,]>::parse_terminated) {
        Ok(names) if names.is_empty() => {
            errors.on(meta, format!("`workload()` names no workload: {WORKLOAD_USAGE}, or leave the option out"));
        }
        Ok(names) => {
            for name in names {
                let text = name.to_string();
                match WORKLOADS.iter().find(|w| w.ident == text) {
                    None => errors.on(&name, format!("unknown workload `{text}`: {WORKLOAD_USAGE}")),
                    Some(w) if out.workloads.iter().any(|o| o.ident == w.ident) => {
                        errors.on(&name, format!("`{text}` is named twice in `workload(...)`"));
                    }
                    Some(w) => out.workloads.push(w),
                }
            }
        }
        Err(e) => errors.at(e.span(), format!("expected a workload name: {WORKLOAD_USAGE}")),
    }
}

/// A parsed `#[node]` impl block.
pub struct NodeImpl {
    /// The impl block, with the `#[endpoint]` and `#[timer]` attributes removed.
    pub item: ItemImpl,
    pub handlers: Vec<Handler>,
    /// An `#[endpoint]` could not be read: which types the node handles is unknown.
    pub incomplete: bool,
}

fn is_attr(attr: &Attribute, name: &str) -> bool {
    attr.path().segments.last().is_some_and(|s| s.ident == name)
}

/// Parses `#[name(Type)]`: exactly one type, not a literal. `usage` is the attribute written
/// right, `one` says why there is only one type.
pub fn parse_one_type(attr: &Attribute, name: &str, usage: &str, one: &str) -> syn::Result<Type> {
    let list = match &attr.meta {
        Meta::List(list) if !list.tokens.is_empty() => list,
        _ => {
            return Err(syn::Error::new_spanned(attr, format!("missing type in `#[{name}]`: write `{usage}`")));
        }
    };
    list.parse_args_with(|input: ParseStream| {
        if input.peek(Lit) {
            let lit: Lit = input.parse()?;
            let hint = match &lit {
                Lit::Str(s) => format!("write `#[{name}({})]`, without quotes", s.value()),
                _ => format!("write `{usage}` with the type's name"),
            };
            return Err(syn::Error::new_spanned(lit, format!("expected a type, found a literal: {hint}")));
        }
        let ty: Type = input.parse()?;
        if input.peek(Token![,]) {
            input.parse::<Token![,]>()?;
            if !input.is_empty() {
                let rest: TokenStream = input.parse()?;
                return Err(syn::Error::new_spanned(rest, format!("`#[{name}]` takes one type: {one}")));
            }
        }
        Ok(ty)
    })
}

/// One `key = value` of `#[timer(...)]`, kept as tokens so errors can underline exactly them.
struct TimerArg {
    key: Option<Ident>,
    eq: Option<Token![=]>,
    value: TokenStream,
}

fn parse_timer_args(input: ParseStream) -> syn::Result<Vec<TimerArg>> {
    let mut args = Vec::new();
    while !input.is_empty() {
        let key = if input.peek(Ident::peek_any) { Some(input.call(Ident::parse_any)?) } else { None };
        let eq: Option<Token![=]> = input.parse()?;
        let mut value = TokenStream::new();
        while !input.is_empty() && !input.peek(Token![,]) {
            value.extend([input.parse::<TokenTree>()?]);
        }
        args.push(TimerArg { key, eq, value });
        if !input.is_empty() {
            input.parse::<Token![,]>()?;
        }
    }
    Ok(args)
}

const TIMER_USAGE: &str = "write `#[timer(interval = 10)]` (a whole number of ticks, at least 1)";

/// Reads the value of `interval = ...`: a positive integer literal.
fn timer_interval(arg: &TimerArg) -> Result<u64, syn::Error> {
    let key = arg.key.as_ref().expect("only called for `interval`");
    let value = &arg.value;
    let Some(eq) = &arg.eq else {
        return Err(if value.is_empty() {
            syn::Error::new_spanned(key, format!("`interval` needs a value: {TIMER_USAGE}"))
        } else {
            syn::Error::new_spanned(quote::quote!(#key #value), format!("expected `interval = N`: {TIMER_USAGE}"))
        });
    };
    if value.is_empty() {
        return Err(syn::Error::new_spanned(
            quote::quote!(#key #eq),
            format!("`interval =` needs a value: {TIMER_USAGE}"),
        ));
    }
    let err = |msg: String| syn::Error::new_spanned(value, msg);
    if let Some(TokenTree::Punct(p)) = value.clone().into_iter().next()
        && p.as_char() == '-'
    {
        return Err(err(format!(
            "a timer's interval is a positive number of ticks, not `{}`",
            value.to_string().replace(' ', "")
        )));
    }
    match syn::parse2::<Lit>(value.clone()) {
        Ok(Lit::Int(i)) => match i.base10_parse::<u64>() {
            Ok(0) => Err(err("a timer's interval is at least 1 tick: `interval = 0` would never fire".to_owned())),
            Ok(n) => Ok(n),
            Err(_) => Err(err(format!("this interval does not fit in a u64: {TIMER_USAGE}"))),
        },
        Ok(Lit::Float(f)) => {
            Err(err(format!("a timer's interval is a whole number of ticks, not `{}`", f.base10_digits())))
        }
        Ok(Lit::Str(s)) => {
            let hint = match s.value().trim().parse::<u64>() {
                Ok(n) if n > 0 => format!("write `interval = {n}`, without quotes"),
                _ => TIMER_USAGE.to_owned(),
            };
            Err(err(format!("a timer's interval is a number, not a string: {hint}")))
        }
        _ => Err(err(format!(
            "a timer's interval is a number of ticks written out, like `interval = 10`, not `{value}`"
        ))),
    }
}

/// Parses `#[timer(interval = N)]`, reporting every problem in it.
fn parse_timer(attr: &Attribute, errors: &mut Errors) -> Option<u64> {
    let args = match &attr.meta {
        Meta::List(list) => match list.parse_args_with(parse_timer_args) {
            Ok(args) => args,
            Err(e) => {
                errors.at(e.span(), format!("cannot read this timer: {TIMER_USAGE}"));
                return None;
            }
        },
        _ => Vec::new(),
    };
    let mut interval: Option<u64> = None;
    let mut seen = false;
    let mut ok = true;
    for arg in &args {
        let Some(key) = &arg.key else {
            let value = &arg.value;
            errors.on(quote::quote!(#value), format!("name the value: {TIMER_USAGE}"));
            ok = false;
            continue;
        };
        if key != "interval" {
            errors.on(key, format!("unknown key `{key}`: `#[timer]` takes only `interval`; {TIMER_USAGE}"));
            ok = false;
            continue;
        }
        if seen {
            let (eq, value) = (&arg.eq, &arg.value);
            errors.on(quote::quote!(#key #eq #value), "`interval` is given twice: keep one");
            ok = false;
            continue;
        }
        seen = true;
        match timer_interval(arg) {
            Ok(n) => interval = Some(n),
            Err(e) => {
                errors.push(e);
                ok = false;
            }
        }
    }
    if !seen && ok {
        errors.on(attr, format!("missing `interval`: {TIMER_USAGE}"));
    }
    // On an error the timer still counts as one (its signature is checked too); nothing is
    // generated for it since the node then has errors.
    Some(interval.filter(|_| ok).unwrap_or(1))
}

/// Parses the impl block, removing the handler attributes from it.
pub fn parse_node(mut item: ItemImpl, errors: &mut Errors) -> NodeImpl {
    let mut handlers = Vec::new();
    let mut incomplete = false;
    for (index, impl_item) in item.items.iter_mut().enumerate() {
        errors.item = index + 1;
        let ImplItem::Fn(method) = impl_item else { continue };
        let mut role: Option<Role> = None;
        let mut first_kind: Option<&'static str> = None;
        let mut kept = Vec::new();
        for attr in std::mem::take(&mut method.attrs) {
            let kind = if is_attr(&attr, "endpoint") {
                "endpoint"
            } else if is_attr(&attr, "timer") {
                "timer"
            } else if is_attr(&attr, "init") {
                "init"
            } else {
                kept.push(attr);
                continue;
            };
            if let Some(first) = first_kind {
                let msg = if first == kind {
                    format!("`#[{kind}]` is given twice on one method: a method handles one thing")
                } else if first == "init" || kind == "init" {
                    "an `#[init]` method only initializes: move the other attribute to a method of its own".to_owned()
                } else {
                    "a method is an endpoint or a timer, not both: move one of them to a method of its own".to_owned()
                };
                errors.on(&attr, msg);
                continue;
            }
            first_kind = Some(kind);
            if kind == "endpoint" {
                let one = "give each message type a method of its own";
                match parse_one_type(&attr, "endpoint", "#[endpoint(MessageType)]", one) {
                    Ok(ty) => role = Some(Role::Endpoint { ty: Box::new(ty) }),
                    Err(e) => {
                        errors.push(e);
                        incomplete = true;
                    }
                }
            } else if kind == "init" {
                if matches!(attr.meta, syn::Meta::Path(_)) {
                    role = Some(Role::Init);
                } else {
                    errors.on(&attr, "`#[init]` takes no arguments: write just `#[init]`");
                }
            } else if let Some(interval) = parse_timer(&attr, errors) {
                role = Some(Role::Timer { interval });
            }
        }
        method.attrs = kept;
        if let Some(role) = role {
            handlers.push(Handler { index, sig: method.sig.clone(), role });
        }
    }
    errors.item = 0;
    NodeImpl { item, handlers, incomplete }
}
