//! Which queue takes a transfer now: the named queue when it is open and someone serving it is
//! available, else the first of its overflow chain that is; failing that, the first open one
//! (the conversation waits until someone becomes available); when every queue in the chain is
//! closed, nobody answers.

use chrono_tz::Tz;

use super::agents::{staffed, Agent};
use super::Queue;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// Wait in this queue (its key).
    Wait(String),
    /// The tenant has no queues at all: the transfer is recorded and nobody takes it, as
    /// before queues existed (the flow's validation warns about it).
    NoQueues,
    /// Every queue of the chain is closed now.
    Closed,
    /// The flow named a queue the tenant does not have (a template gave the name).
    Unknown,
}

pub fn route(queues: &[Queue], agents: &[Agent], key: &str, at_ms: i64, zone: Tz) -> Route {
    if queues.is_empty() {
        return Route::NoQueues;
    }
    let find = |key: &str| queues.iter().find(|queue| queue.key == key);
    let Some(mut queue) = find(key) else {
        return Route::Unknown;
    };
    let mut first_open: Option<&Queue> = None;
    let mut seen: Vec<&str> = Vec::new();
    loop {
        seen.push(&queue.key);
        let open = queue
            .hours
            .as_ref()
            .is_none_or(|hours| hours.is_open(at_ms, zone));
        if open {
            if staffed(agents, &queue.key) {
                return Route::Wait(queue.key.clone());
            }
            first_open.get_or_insert(queue);
        }
        // Overflow chains are checked when saved, but a queue deleted since, or a loop written
        // in two steps, must not stop the call.
        match queue.overflow.as_deref().and_then(find) {
            Some(next) if !seen.contains(&next.key.as_str()) => queue = next,
            _ => break,
        }
    }
    match first_open {
        Some(queue) => Route::Wait(queue.key.clone()),
        None => Route::Closed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queues::agents::Presence;
    use crate::queues::Hours;

    const SHANGHAI: Tz = chrono_tz::Asia::Shanghai;
    /// Friday 2026-12-04 at 10:00 and at 23:00 in Shanghai.
    const DAY: i64 = 1_796_349_600_000;
    const NIGHT: i64 = DAY + 13 * 3_600_000;

    fn queue(key: &str, daytime: bool, overflow: Option<&str>) -> Queue {
        Queue {
            key: key.to_owned(),
            name: key.to_owned(),
            name_en: String::new(),
            languages: Vec::new(),
            hours: daytime.then(|| Hours {
                days: vec![1, 2, 3, 4, 5],
                open: "09:00".to_owned(),
                close: "18:00".to_owned(),
            }),
            overflow: overflow.map(str::to_owned),
        }
    }

    fn agent(queues: &[&str], presence: Presence) -> Agent {
        Agent {
            user_id: "usr".to_owned(),
            name: "小王".to_owned(),
            email: "w@example.com".to_owned(),
            queues: queues.iter().map(|q| (*q).to_owned()).collect(),
            presence,
        }
    }

    #[test]
    fn the_named_queue_when_open_and_staffed_else_its_overflow() {
        let queues = [
            queue("after-sales", true, Some("night")),
            queue("night", false, None),
        ];
        let day_agent = [agent(&["after-sales"], Presence::Available)];
        let wait = |key: &str| Route::Wait(key.to_owned());
        assert_eq!(
            route(&queues, &day_agent, "after-sales", DAY, SHANGHAI),
            wait("after-sales")
        );
        // Closed at night: the always-open overflow takes it, staffed or not.
        assert_eq!(
            route(&queues, &day_agent, "after-sales", NIGHT, SHANGHAI),
            wait("night")
        );
        // Open but its agent away: the overflow has someone.
        let night_agent = [
            agent(&["after-sales"], Presence::Away),
            agent(&["night"], Presence::Available),
        ];
        assert_eq!(
            route(&queues, &night_agent, "after-sales", DAY, SHANGHAI),
            wait("night")
        );
        // Nobody anywhere: it waits in the first open queue of the chain.
        assert_eq!(
            route(&queues, &[], "after-sales", DAY, SHANGHAI),
            wait("after-sales")
        );
    }

    #[test]
    fn closed_unknown_and_no_queues() {
        let queues = [queue("after-sales", true, None)];
        assert_eq!(
            route(&queues, &[], "after-sales", NIGHT, SHANGHAI),
            Route::Closed
        );
        assert_eq!(route(&queues, &[], "sales", DAY, SHANGHAI), Route::Unknown);
        assert_eq!(
            route(&[], &[], "after-sales", DAY, SHANGHAI),
            Route::NoQueues
        );
        // A loop of closed queues ends.
        let looped = [queue("a", true, Some("b")), queue("b", true, Some("a"))];
        assert_eq!(route(&looped, &[], "a", NIGHT, SHANGHAI), Route::Closed);
    }
}
