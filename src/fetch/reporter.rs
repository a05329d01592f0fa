//! Progress as events: the fetch stage says what it is doing, and the caller decides how to
//! show it. The binary draws bars on a terminal; tests record the events; by default nothing
//! is shown. The library draws nothing itself.

use std::fmt;
use std::sync::Arc;

/// The fetch stage's long tasks, one at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Task {
    /// Index pages: one step per (index, project).
    IndexPages,
    /// Artifacts downloaded for inference: one step per artifact, with their bytes.
    ArtifactsForInference,
    /// Files by URL downloaded to be hashed: their bytes.
    Downloads,
}

/// Receives the fetch stage's progress. Every method has an empty default.
pub trait Reporter: Send + Sync {
    /// `task` begins, with `steps` steps when they are known.
    fn on_start(&self, task: Task, steps: Option<u64>) {
        let _ = (task, steps);
    }

    /// A step of `task` ended; `label` names it (a project, a file).
    fn on_step(&self, task: Task, label: &str) {
        let _ = (task, label);
    }

    /// `bytes` more are to come for `task` (a download's announced length).
    fn on_bytes_expected(&self, task: Task, bytes: u64) {
        let _ = (task, bytes);
    }

    /// `bytes` more arrived for `task`.
    fn on_bytes(&self, task: Task, bytes: u64) {
        let _ = (task, bytes);
    }

    /// `task` ended, whether it succeeded or not.
    fn on_finish(&self, task: Task) {
        let _ = task;
    }
}

/// Shows nothing.
struct Silent;

impl Reporter for Silent {}

/// The reporter a run's options hold: shared, so options stay cheap to clone.
#[derive(Clone)]
pub struct SharedReporter(Arc<dyn Reporter>);

impl SharedReporter {
    pub fn new(reporter: impl Reporter + 'static) -> Self {
        Self(Arc::new(reporter))
    }

    /// Starts `task`; it ends when the returned value is dropped.
    pub(crate) fn start(&self, task: Task, steps: Option<u64>) -> Running<'_> {
        self.0.on_start(task, steps);
        Running { reporter: self.0.as_ref(), task }
    }
}

impl Default for SharedReporter {
    fn default() -> Self {
        Self::new(Silent)
    }
}

impl fmt::Debug for SharedReporter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SharedReporter")
    }
}

/// A task under way; it reports its end when dropped, on every path out.
pub(crate) struct Running<'a> {
    reporter: &'a dyn Reporter,
    task: Task,
}

impl Running<'_> {
    pub(crate) fn step(&self, label: &str) {
        self.reporter.on_step(self.task, label);
    }

    pub(crate) fn bytes_expected(&self, bytes: u64) {
        self.reporter.on_bytes_expected(self.task, bytes);
    }

    pub(crate) fn bytes(&self, bytes: u64) {
        self.reporter.on_bytes(self.task, bytes);
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.reporter.on_finish(self.task);
    }
}
