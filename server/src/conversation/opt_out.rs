//! A flow's opt-out (不要再打了, an `opt_out` node): the engine records it, and here the other
//! party's number goes on the tenant's do-not-call list. It is written as the turn is saved,
//! before the turn's own write, so that a call that ends (or a server that stops) right after
//! cannot lose the refusal; adding a number twice changes nothing, so a turn taken again after
//! a conflict is harmless. The turn's `opted_out` event says what became of it (`listed`), for
//! the transcript.

use flow_engine::runtime::Direction;
use serde_json::Value;

use crate::do_not_call;
use crate::store::{NewCallEvent, Store, StoreError};
use crate::telephony::is_phone_number;

/// The number a phone call's opt-out is about: the callee of an outbound call, the caller of an
/// inbound one; none when the carrier gave no E.164 number for them (a withheld caller id, a
/// SIP client), as no campaign could dial it anyway.
pub fn other_party<'a>(direction: Direction, from: &'a str, to: &'a str) -> Option<&'a str> {
    let number = match direction {
        Direction::Outbound => to,
        Direction::Inbound => from,
    };
    is_phone_number(number).then_some(number)
}

/// Puts `number` on the tenant's do-not-call list for each `opted_out` event of a turn of the
/// call `call_id`, and marks the event `listed`: `added`, or `already` when it was listed
/// before. Without a number (a chat, a withheld caller id) the events stay as they are: the
/// record is kept, and nothing is listed.
pub async fn list_opt_outs(
    store: &Store,
    tenant_id: &str,
    call_id: &str,
    number: Option<&str>,
    events: &mut [NewCallEvent],
    now_ms: i64,
) -> Result<(), StoreError> {
    let Some(number) = number else {
        return Ok(());
    };
    for event in events.iter_mut().filter(|event| event.kind == "opted_out") {
        let added = do_not_call::add_from_call(store, tenant_id, number, call_id, now_ms).await?;
        let listed = if added { "added" } else { "already" };
        if let Value::Object(data) = &mut event.data {
            data.insert("listed".into(), Value::from(listed));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_other_party_is_the_callee_of_an_outbound_call_and_the_caller_of_an_inbound_one() {
        let (shop, member) = ("+8657188880000", "+8613800138000");
        assert_eq!(other_party(Direction::Outbound, shop, member), Some(member));
        assert_eq!(other_party(Direction::Inbound, member, shop), Some(member));
        assert_eq!(other_party(Direction::Inbound, "anonymous", shop), None);
        assert_eq!(other_party(Direction::Inbound, "", shop), None);
        assert_eq!(other_party(Direction::Outbound, shop, "client:alice"), None);
    }
}
