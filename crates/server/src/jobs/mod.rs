//! Background work: the job handlers (one per job kind), the schedules that enqueue runs
//! (cron-like), and the runner that claims due jobs from the store's durable queue. Every
//! `lodestar serve` runs one runner; with several servers on one PostgreSQL each job still
//! runs once (the store's claim is atomic, and a scheduled run is enqueued once per due time).

pub(crate) mod champion_watch;
pub(crate) mod daily_rescore;
mod runner;
mod schedule;
pub(crate) mod trigger_sweep;

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use lodestar_store::{Job, Store};

pub use runner::{Runner, RunnerConfig};
pub use schedule::Schedule;

/// What a person reads for a job kind; an unknown kind (one a newer server enqueued) as it is.
pub fn kind_label(kind: &str) -> &str {
    match kind {
        daily_rescore::KIND => daily_rescore::LABEL,
        trigger_sweep::KIND => trigger_sweep::LABEL,
        champion_watch::KIND => champion_watch::LABEL,
        other => crate::features::notify::kind_label(other).unwrap_or(other),
    }
}

/// What a handler's run comes to: `Err` carries the reason, kept as the job's last error.
pub type JobOutcome = Result<(), String>;

type Handler = Arc<dyn Fn(Store, Job) -> Pin<Box<dyn Future<Output = JobOutcome> + Send>> + Send + Sync>;

/// The handlers by job kind, and the schedules that enqueue jobs by themselves.
#[derive(Clone, Default)]
pub struct JobKinds {
    handlers: HashMap<&'static str, Handler>,
    schedules: Vec<Schedule>,
}

impl JobKinds {
    /// Lodestar's own kinds and schedules; notifications are sent as `config` says.
    pub fn standard(config: &crate::ServerConfig) -> JobKinds {
        let mut kinds = JobKinds::default();
        kinds.handle(daily_rescore::KIND, daily_rescore::run);
        kinds.schedule(daily_rescore::schedule());
        kinds.handle(trigger_sweep::KIND, trigger_sweep::run);
        kinds.schedule(trigger_sweep::schedule());
        kinds.handle(champion_watch::KIND, champion_watch::run);
        kinds.schedule(champion_watch::schedule());
        crate::features::notify::register(&mut kinds, config);
        kinds
    }

    /// Runs jobs of `kind` with `handler`.
    pub fn handle<F, Fut>(&mut self, kind: &'static str, handler: F)
    where
        F: Fn(Store, Job) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = JobOutcome> + Send + 'static,
    {
        self.handlers
            .insert(kind, Arc::new(move |store, job| Box::pin(handler(store, job))));
    }

    pub fn schedule(&mut self, schedule: Schedule) {
        self.schedules.push(schedule);
    }

    pub fn schedules(&self) -> &[Schedule] {
        &self.schedules
    }

    fn handler(&self, kind: &str) -> Option<Handler> {
        self.handlers.get(kind).cloned()
    }
}
