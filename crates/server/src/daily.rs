//! Once a day every account is rescored: time alone moves some measures (days to renewal, the
//! four-week usage windows), and each day needs its snapshot for the history. Everything else
//! rescores as its inputs change (see the store's health module).

use std::time::Duration;

use chrono::{Days, NaiveTime, Utc};
use lodestar_store::Store;

/// Rescores at start, then a minute past each UTC midnight, until the runtime stops.
pub(crate) fn spawn_daily_rescore(store: Store) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let today = Utc::now().date_naive();
            let wait = match store.recompute_health_paced(today, Duration::from_millis(30)).await {
                Ok(_) => {
                    let next = today.checked_add_days(Days::new(1)).map(|d| {
                        d.and_time(NaiveTime::from_hms_opt(0, 1, 0).expect("a valid time"))
                            .and_utc()
                    });
                    next.and_then(|n| (n - Utc::now()).to_std().ok())
                        .unwrap_or(Duration::from_secs(3600))
                }
                Err(e) => {
                    eprintln!("error: daily health rescore: {e}; trying again in an hour");
                    Duration::from_secs(3600)
                }
            };
            tokio::time::sleep(wait).await;
        }
    })
}
