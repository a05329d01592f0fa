//! The binary's progress display (not part of the library): the fetch stage's events
//! (`fetch::reporter`) drawn as one indicatif bar at a time on stderr.

use std::sync::Mutex;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use lock2nix::{Reporter, Task};

/// Draws the task under way; the library runs one at a time.
#[derive(Default)]
pub(crate) struct ProgressBars {
    current: Mutex<Option<Current>>,
}

struct Current {
    bar: ProgressBar,
    steps: Option<u64>,
    done: u64,
}

impl ProgressBars {
    fn with_current(&self, update: impl FnOnce(&mut Current)) {
        let mut current = self.current.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(current) = current.as_mut() {
            update(current);
        }
    }
}

impl Reporter for ProgressBars {
    fn on_start(&self, task: Task, steps: Option<u64>) {
        // Index pages count steps; downloads count bytes.
        let (length, template) = match task {
            Task::IndexPages => (steps, "{spinner} index pages {pos}/{len} {wide_msg}"),
            Task::ArtifactsForInference => {
                (Some(0), "{spinner} artifacts for inference {bytes}/{total_bytes} ({bytes_per_sec}) {wide_msg}")
            }
            Task::Downloads => (None, "{spinner} downloading {bytes} {wide_msg}"),
        };
        let bar = ProgressBar::with_draw_target(length, ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style);
        }
        bar.enable_steady_tick(Duration::from_millis(120));
        let mut current = self.current.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        *current = Some(Current { bar, steps, done: 0 });
    }

    fn on_step(&self, task: Task, label: &str) {
        self.with_current(|current| {
            current.done += 1;
            match task {
                Task::IndexPages => {
                    current.bar.set_message(label.to_string());
                    current.bar.inc(1);
                }
                Task::ArtifactsForInference | Task::Downloads => {
                    let of = current.steps.map(|steps| format!("/{steps}")).unwrap_or_default();
                    current.bar.set_message(format!("{}{of} files", current.done));
                }
            }
        });
    }

    fn on_bytes_expected(&self, _task: Task, bytes: u64) {
        self.with_current(|current| current.bar.inc_length(bytes));
    }

    fn on_bytes(&self, _task: Task, bytes: u64) {
        self.with_current(|current| current.bar.inc(bytes));
    }

    fn on_finish(&self, _task: Task) {
        let mut current = self.current.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(current) = current.take() {
            current.bar.finish_and_clear();
        }
    }
}
