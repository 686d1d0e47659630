//! Hits counted in this instance's memory, added to the shared database counters in the
//! background.
//!
//! Each window keeps what the database last said (`shared`, every instance's hits) and
//! the hits this instance has not added yet (`pending`). A check is `shared + pending`
//! against the limit, with no I/O. [`LocalCounters::sync`] adds the pending hits and
//! learns the new totals, so an instance sees the others' hits within one sync interval:
//! across N instances a budget can be overrun by at most what they admit in that time.

use std::collections::HashMap;
use std::sync::Mutex;

use super::{Budget, Verdict, Window};
use crate::db::{Conn, DbError, now};

/// One window's count as this instance knows it.
#[derive(Debug, Default, Clone, Copy)]
struct Count {
    /// The database's total when last synced (this instance's added hits included).
    shared: u32,
    /// Hits counted here and not yet added to the database.
    pending: u32,
}

/// In-memory counters for budgets shared through the database.
#[derive(Debug, Default)]
pub struct LocalCounters {
    windows: Mutex<HashMap<Window, Count>>,
}

impl LocalCounters {
    /// Counts `hits` against `budget` for `scope` and `subject` without touching the
    /// database. An unlimited budget is never counted.
    pub fn hit(&self, scope: &str, subject: &str, budget: Budget, hits: u32) -> Verdict {
        if budget.limit == 0 {
            return Verdict::unlimited(budget);
        }
        let window = Window::current(scope, subject, budget);
        let window_ends = window.expires_at;
        let mut windows = self.lock();
        let count = windows.entry(window).or_default();
        count.pending = count.pending.saturating_add(hits);
        let total = count.shared.saturating_add(count.pending);
        Verdict::after(budget, window_ends, total)
    }

    /// Adds the pending hits to the database and learns every instance's totals; forgets
    /// the windows that have ended. Hits that could not be added stay pending.
    pub async fn sync(&self, conn: &mut Conn) -> Result<(), DbError> {
        let current = now();
        let due: Vec<(Window, u32)> = {
            let mut windows = self.lock();
            windows.retain(|window, _| window.expires_at > current);
            windows
                .iter()
                .filter(|(_, count)| count.pending > 0)
                .map(|(window, count)| (window.clone(), count.pending))
                .collect()
        };
        for (window, added) in due {
            let total = window.add(conn, added).await?;
            if let Some(count) = self.lock().get_mut(&window) {
                count.pending = count.pending.saturating_sub(added);
                count.shared = total;
            }
        }
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Window, Count>> {
        // A panic while holding the lock leaves plain counters behind: still usable.
        self.windows
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
