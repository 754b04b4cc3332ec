//! Plain dotted paths into a call's bindings (`vars.order_id`, `customer.name`), looked up
//! without Rhai: templates and conditions are mostly such paths, and Rhai costs a scope and an
//! evaluation each time.

use rhai::{Dynamic, Map};

use crate::script::Bindings;

#[derive(Debug, Clone)]
pub(crate) struct Path {
    root: Root,
    keys: Box<[Box<str>]>,
}

#[derive(Debug, Clone, Copy)]
enum Root {
    Vars,
    Call,
    Input,
    Tenant,
    Customer,
}

impl Path {
    /// `root.key.key…` with plain identifiers only; anything else goes to Rhai.
    pub(crate) fn parse(expr: &str) -> Option<Path> {
        let mut parts = expr.trim().split('.');
        let root = match parts.next()? {
            "vars" => Root::Vars,
            "call" => Root::Call,
            "input" => Root::Input,
            "tenant" => Root::Tenant,
            "customer" => Root::Customer,
            _ => return None,
        };
        let keys = parts
            .map(|p| is_identifier(p).then(|| Box::from(p)))
            .collect::<Option<Box<[_]>>>()?;
        (!keys.is_empty()).then_some(Path { root, keys })
    }

    /// The path less its last key, or `None` when that is the root alone (always a map).
    pub(crate) fn parent(&self) -> Option<Path> {
        let (_, keys) = self.keys.split_last()?;
        (!keys.is_empty()).then(|| Path {
            root: self.root,
            keys: keys.into(),
        })
    }

    /// Calls `f` with the value at the path (`()` when a key is missing) without cloning
    /// anything; `None` when the path meets a value Rhai has to handle.
    pub(crate) fn visit<R>(
        &self,
        bindings: &Bindings,
        f: &mut dyn FnMut(&Dynamic) -> R,
    ) -> Option<R> {
        let map = match self.root {
            Root::Vars => &bindings.vars,
            Root::Call => &bindings.call,
            Root::Input => &bindings.input,
            Root::Tenant => &bindings.tenant,
            Root::Customer => &bindings.customer,
        };
        visit_map(map, &self.keys, f)
    }
}

fn visit_map<R>(map: &Map, keys: &[Box<str>], f: &mut dyn FnMut(&Dynamic) -> R) -> Option<R> {
    let (key, rest) = keys.split_first()?;
    match map.get(&**key) {
        Some(value) => visit(value, rest, f),
        None => Some(f(&Dynamic::UNIT)),
    }
}

fn visit<R>(value: &Dynamic, keys: &[Box<str>], f: &mut dyn FnMut(&Dynamic) -> R) -> Option<R> {
    if keys.is_empty() || value.is_unit() {
        return Some(f(value));
    }
    match value.as_map_ref() {
        Ok(map) => visit_map(&map, keys, f),
        Err(_) => None,
    }
}

/// An ASCII identifier: a letter or `_`, then letters, digits or `_`.
pub fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}
