//! Per-key request throttles (governor's keyed GCRA limiter). In-process: each replica counts
//! its own requests, so N replicas allow up to N times the rate (documented in the README).

use std::{hash::Hash, num::NonZeroU32, time::Duration};

use governor::{
    DefaultKeyedRateLimiter, Quota, RateLimiter,
    clock::{Clock, DefaultClock},
};

pub struct Throttle<K: Hash + Eq + Clone> {
    limiter: DefaultKeyedRateLimiter<K>,
    clock: DefaultClock,
}

/// Keys kept before forgetting the ones whose limits have fully replenished.
const KEYS_BEFORE_CLEANUP: usize = 10_000;

impl<K: Hash + Eq + Clone> Throttle<K> {
    /// `requests` a second, in bursts of at most `requests`.
    pub fn per_second(requests: NonZeroU32) -> Self {
        Self::with_burst(requests, requests)
    }

    /// `requests` a second sustained, with up to `burst` at once.
    pub fn with_burst(requests: NonZeroU32, burst: NonZeroU32) -> Self {
        Throttle {
            limiter: RateLimiter::keyed(Quota::per_second(requests).allow_burst(burst)),
            clock: DefaultClock::default(),
        }
    }

    /// One request every `period` sustained, with up to `burst` at once.
    pub fn every(period: Duration, burst: NonZeroU32) -> Self {
        let quota = Quota::with_period(period)
            .expect("a throttle's period is not zero")
            .allow_burst(burst);
        Throttle {
            limiter: RateLimiter::keyed(quota),
            clock: DefaultClock::default(),
        }
    }

    /// `Ok` when `key` may go ahead now, else how long until it may.
    pub fn check(&self, key: K) -> Result<(), Duration> {
        if self.limiter.len() > KEYS_BEFORE_CLEANUP {
            self.limiter.retain_recent();
        }
        self.limiter
            .check_key(&key)
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }
}
