//! How `ask` and `menu` listen: escalating reprompts on no-match and no-input, and the flow's
//! global intents, which are recognised first.

use crate::model::Retry;
use crate::validate::{shorten, Checker, MAX_RETRIES};

/// Checks the reprompts of a `no_match` or `no_input` at `base`.
pub(crate) fn check_retry(c: &mut Checker<'_>, node: Option<&str>, base: &str, retry: &Retry) {
    for (i, prompt) in retry.prompts.iter().enumerate() {
        c.template(node, format!("{base}/prompts/{i}"), prompt);
    }
    if retry.max > MAX_RETRIES {
        let message = format!(
            "{} retries is too many; at most {MAX_RETRIES} are allowed. Callers give up \
                long before.",
            retry.max
        );
        c.error("out_of_range", node, format!("{base}/max"), message);
    }
}

/// Global intents are checked before a listening node's own, so equal names or keys on the
/// node are never reached.
pub(crate) fn check_shadowing(
    c: &mut Checker<'_>,
    node: Option<&str>,
    field: String,
    name: Option<&str>,
    key: Option<&str>,
) {
    if let Some(name) = name.filter(|n| c.globals.names.contains_key(n)) {
        let message = format!(
            "A global intent is also called \"{}\" and is checked first, so this one is never \
             used. Rename one of them, or turn off global intents on this node.",
            shorten(name, 60)
        );
        c.warning(
            "intent_name_conflict",
            node,
            format!("{field}/name"),
            message,
        );
    }
    if let Some(key) = key {
        if let Some(&j) = c.globals.keys.get(key) {
            let global = c
                .globals
                .intents
                .get(j)
                .map(|i| i.name.as_str())
                .unwrap_or_default();
            let message = format!(
                "Key \"{key}\" also selects the global intent \"{}\", which is checked \
                    first, so \
                 this key never reaches this choice. Use another key.",
                shorten(global, 60)
            );
            c.warning("shadowed_key", node, field, message);
        }
    }
}
