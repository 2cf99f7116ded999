//! Faults on demand: added latency, 429s with `Retry-After` and rate-limit headers (at a rate or in bursts), 5xx,
//! malformed or truncated JSON, and connections cut before the body. Rules come from the configuration and can be
//! replaced at run time (`PUT /__sim/faults` or [`crate::SimHandle::set_faults`]). Decisions are deterministic: the
//! n-th request that a rule sees always gets the same fate.

use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::hash::{mix, unit};
use crate::hostile::HostilePlan;

/// One fault rule. Rates are probabilities in `[0, 1]`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FaultRule {
    /// Which requests: a path prefix (`/wiki/api/v2/pages`) or `METHOD /route` (`GET /wiki/api/v2/pages/{id}`).
    /// Absent: every Confluence API request (not the OAuth endpoints).
    pub endpoint: Option<String>,
    /// Let this many matching requests through untouched before the rule applies (e.g. `2` with `rate_5xx: 1.0`
    /// on `PUT /wiki/api/v2/pages/{id}` fails the third page update and every one after it).
    pub skip: u64,
    /// Added latency in milliseconds.
    pub latency_ms: u64,
    /// Up to this many more milliseconds, at random.
    pub jitter_ms: u64,
    /// Answer this share of requests with 429.
    pub rate_429: f64,
    /// Answer the next this-many requests with 429 (counts down).
    pub burst_429: u32,
    /// The `Retry-After` of a 429, in seconds.
    pub retry_after_secs: u64,
    /// Answer this share of requests with `status_5xx`.
    pub rate_5xx: f64,
    /// The 5xx status (default 503).
    pub status_5xx: u16,
    /// Answer this share with a 200 whose body is not valid JSON.
    pub malformed_rate: f64,
    /// Answer this share with a body cut in the middle (the connection closes).
    pub truncated_rate: f64,
    /// Answer this share by closing the connection before the body.
    pub reset_rate: f64,
    /// Hostile: every next link (body and `Link` header) becomes this URL (e.g. another origin).
    pub next_link: Option<String>,
    /// Hostile: every next link points back at the request itself (a loop).
    pub repeat_next: bool,
    /// Hostile: every list page has a new next link, forever.
    pub endless: bool,
    /// Hostile: no list page has a next link, whatever its total says.
    pub no_next: bool,
    /// Hostile: lists that report a `totalSize` report this one.
    pub total_size: Option<u64>,
    /// Hostile: the `Retry-After` of a 429, written as is (e.g. `1e20`, an HTTP date, nonsense).
    pub retry_after: Option<String>,
    /// Hostile: the `Link` header of a list, written as is (e.g. `>oops<; rel="next"`).
    pub link_header: Option<String>,
    /// Hostile: bodies grow by this many bytes (trailing whitespace).
    pub pad_bytes: u64,
    /// Hostile: bodies are sent 64 bytes at a time, this many milliseconds apart.
    pub trickle_ms: u64,
    /// Hostile: offset pages after the first start one item early (an item inserted while the list is read).
    pub shift_offsets: bool,
}

/// What to do to one request.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FaultPlan {
    /// Sleep this long first.
    pub delay: Duration,
    /// Answer 429 with this `Retry-After`.
    pub too_many_requests: Option<u64>,
    /// Answer with this 5xx.
    pub server_error: Option<u16>,
    /// Spoil the body: `malformed`, `truncated` or `reset`.
    pub spoil: Option<&'static str>,
    /// Hostile behaviours.
    pub hostile: HostilePlan,
}

impl FaultPlan {
    /// The name recorded in the request log.
    pub fn label(&self) -> Option<String> {
        if self.too_many_requests.is_some() {
            Some("429".to_owned())
        } else if let Some(status) = self.server_error {
            Some(status.to_string())
        } else if let Some(spoil) = self.spoil {
            Some(spoil.to_owned())
        } else if let Some(hostile) = self.hostile.label() {
            Some(hostile)
        } else if !self.delay.is_zero() {
            Some("latency".to_owned())
        } else {
            None
        }
    }
}

#[derive(Debug)]
struct RuleState {
    rule: FaultRule,
    seen: u64,
}

/// The active rules.
#[derive(Debug, Default)]
pub struct Faults {
    rules: Mutex<Vec<RuleState>>,
}

impl Faults {
    /// Replaces every rule.
    pub fn set(&self, rules: Vec<FaultRule>) {
        *self.lock() = rules.into_iter().map(|rule| RuleState { rule, seen: 0 }).collect();
    }

    /// The rules now.
    pub fn get(&self) -> Vec<FaultRule> {
        self.lock().iter().map(|r| r.rule.clone()).collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<RuleState>> {
        self.rules.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Decides the fate of a request to `path` (gateway prefix removed) routed to `endpoint` (`METHOD /route`).
    pub fn plan(&self, path: &str, endpoint: &str, is_api: bool) -> FaultPlan {
        let mut plan = FaultPlan::default();
        for state in self.lock().iter_mut() {
            let applies = match &state.rule.endpoint {
                None => is_api,
                Some(e) => endpoint == e || path.starts_with(e.as_str()),
            };
            if !applies {
                continue;
            }
            state.seen += 1;
            if state.seen <= state.rule.skip {
                continue;
            }
            let rule = &mut state.rule;
            let roll = |salt: u64| unit(mix(0xFA_17, &[state.seen, salt]));
            plan.delay += Duration::from_millis(rule.latency_ms);
            let hostile = &mut plan.hostile;
            hostile.next_link = rule.next_link.clone().or(hostile.next_link.take());
            hostile.repeat_next |= rule.repeat_next;
            hostile.endless |= rule.endless;
            hostile.no_next |= rule.no_next;
            hostile.total_size = rule.total_size.or(hostile.total_size);
            hostile.retry_after = rule.retry_after.clone().or(hostile.retry_after.take());
            hostile.link_header = rule.link_header.clone().or(hostile.link_header.take());
            hostile.pad_bytes += rule.pad_bytes;
            hostile.trickle += Duration::from_millis(rule.trickle_ms);
            hostile.shift_offsets |= rule.shift_offsets;
            if rule.jitter_ms > 0 {
                plan.delay += Duration::from_millis((roll(1) * rule.jitter_ms as f64) as u64);
            }
            if plan.too_many_requests.is_none() && plan.server_error.is_none() && plan.spoil.is_none() {
                let retry_after = rule.retry_after_secs;
                if rule.burst_429 > 0 {
                    rule.burst_429 -= 1;
                    plan.too_many_requests = Some(retry_after);
                } else if roll(2) < rule.rate_429 {
                    plan.too_many_requests = Some(retry_after);
                } else if roll(3) < rule.rate_5xx {
                    plan.server_error = Some(if rule.status_5xx >= 500 { rule.status_5xx } else { 503 });
                } else if roll(4) < rule.malformed_rate {
                    plan.spoil = Some("malformed");
                } else if roll(5) < rule.truncated_rate {
                    plan.spoil = Some("truncated");
                } else if roll(6) < rule.reset_rate {
                    plan.spoil = Some("reset");
                }
            }
        }
        plan
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bursts_then_rates() {
        let faults = Faults::default();
        faults.set(vec![FaultRule { burst_429: 2, retry_after_secs: 3, ..FaultRule::default() }]);
        let p = |f: &Faults| f.plan("/wiki/api/v2/pages", "GET /wiki/api/v2/pages", true);
        assert_eq!(p(&faults).too_many_requests, Some(3));
        assert_eq!(p(&faults).too_many_requests, Some(3));
        assert_eq!(p(&faults), FaultPlan::default());
        faults.set(vec![FaultRule {
            rate_5xx: 0.5,
            endpoint: Some("/wiki/api/v2/spaces".into()),
            ..FaultRule::default()
        }]);
        assert_eq!(p(&faults), FaultPlan::default(), "other endpoints are untouched");
        let errors = (0..1000)
            .filter(|_| faults.plan("/wiki/api/v2/spaces", "GET /wiki/api/v2/spaces", true).server_error.is_some())
            .count();
        assert!((400..600).contains(&errors), "{errors}");
    }

    #[test]
    fn skip_lets_the_first_requests_through() {
        let faults = Faults::default();
        let endpoint = "PUT /wiki/api/v2/pages/{id}";
        faults.set(vec![FaultRule { skip: 2, rate_5xx: 1.0, endpoint: Some(endpoint.into()), ..FaultRule::default() }]);
        let fates: Vec<bool> =
            (0..4).map(|_| faults.plan("/wiki/api/v2/pages/1", endpoint, true).server_error.is_some()).collect();
        assert_eq!(fates, [false, false, true, true]);
    }

    #[test]
    fn global_rules_spare_the_oauth_endpoints() {
        let faults = Faults::default();
        faults.set(vec![FaultRule { rate_5xx: 1.0, ..FaultRule::default() }]);
        assert_eq!(faults.plan("/oauth/token", "POST /oauth/token", false), FaultPlan::default());
        assert!(faults.plan("/wiki/api/v2/pages", "GET /wiki/api/v2/pages", true).server_error.is_some());
    }
}
