//! The reconciler lease of a shared state, decided on plain values: how long a holder may go
//! on acting after its last renewal, when it renews, and whether a write carrying a lease
//! generation is still allowed. No I/O and no clock: times come in as arguments.
//!
//! A lease row says (holder, generation, expires_at), with `expires_at` in the database's
//! clock. The holder measures its own validity from the instant it *sent* its last successful
//! renewal: the database stamped the expiry later than that, so the holder's deadline comes
//! before the database's, and it stops acting before anyone may take over (less a margin for
//! clocks running at slightly different rates).

use std::time::{Duration, Instant};

/// How long a lease lasts without renewal: a dead or partitioned holder is replaced after at
/// most this (plus the standby's polling interval).
pub const LEASE: Duration = Duration::from_secs(10);

/// How often a standby looks whether the lease is free.
pub const STANDBY_POLL: Duration = Duration::from_secs(1);

/// Renewals per lease period: two may fail before the holder gives up.
const RENEWALS_PER_LEASE: u32 = 3;

/// The holder stops this long before its lease would expire.
fn margin(lease: Duration) -> Duration {
    lease / 5
}

/// True while a holder whose last successful renewal was sent at `renewed` may act.
pub fn holds(renewed: Instant, now: Instant, lease: Duration) -> bool {
    now < renewed + lease.saturating_sub(margin(lease))
}

/// How long to sleep before the next renewal.
pub fn next_renewal(renewed: Instant, now: Instant, lease: Duration) -> Duration {
    (renewed + lease / RENEWALS_PER_LEASE).saturating_duration_since(now)
}

/// A lease row as a fenced write reads it, in the same transaction as the write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LeaseRow {
    pub generation: i64,
    /// Its expiry is past in the database's clock.
    pub expired: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Fenced {
    #[error("the reconciler lease of cluster `{cluster}` is gone")]
    Missing { cluster: String },
    #[error(
        "the reconciler lease of cluster `{cluster}` was taken over (generation {current}, this process holds {mine}); this reconciler stops"
    )]
    TakenOver {
        cluster: String,
        current: i64,
        mine: i64,
    },
    #[error("the reconciler lease of cluster `{cluster}` expired before it was renewed")]
    Expired { cluster: String },
}

/// May a write made under lease generation `mine` go ahead, given the row as it is now?
pub fn fence(cluster: &str, row: Option<LeaseRow>, mine: i64) -> Result<(), Fenced> {
    let cluster = cluster.to_string();
    match row {
        None => Err(Fenced::Missing { cluster }),
        Some(row) if row.generation != mine => Err(Fenced::TakenOver {
            cluster,
            current: row.generation,
            mine,
        }),
        Some(row) if row.expired => Err(Fenced::Expired { cluster }),
        Some(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_holder_stops_before_its_lease_expires_in_the_database() {
        let t0 = Instant::now();
        assert!(holds(t0, t0, LEASE));
        assert!(holds(t0, t0 + Duration::from_millis(7_999), LEASE));
        assert!(!holds(t0, t0 + Duration::from_secs(8), LEASE));
        assert!(!holds(t0, t0 + LEASE, LEASE));
    }

    #[test]
    fn renewals_come_three_times_a_lease() {
        let t0 = Instant::now();
        let lease = Duration::from_secs(9);
        assert_eq!(next_renewal(t0, t0, lease), Duration::from_secs(3));
        assert_eq!(
            next_renewal(t0, t0 + Duration::from_secs(1), lease),
            Duration::from_secs(2)
        );
        assert_eq!(next_renewal(t0, t0 + lease, lease), Duration::ZERO);
        // Two failed renewals still leave the holder acting; a third one ends it.
        assert!(holds(t0, t0 + Duration::from_secs(6), lease));
    }

    #[test]
    fn writes_of_an_older_generation_are_refused() {
        let live = LeaseRow {
            generation: 4,
            expired: false,
        };
        assert_eq!(fence("c", Some(live), 4), Ok(()));
        assert!(matches!(
            fence("c", Some(live), 3),
            Err(Fenced::TakenOver {
                current: 4,
                mine: 3,
                ..
            })
        ));
        let expired = LeaseRow {
            expired: true,
            ..live
        };
        assert!(matches!(
            fence("c", Some(expired), 4),
            Err(Fenced::Expired { .. })
        ));
        assert!(matches!(fence("c", None, 1), Err(Fenced::Missing { .. })));
    }
}
