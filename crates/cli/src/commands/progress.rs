//! A progress spinner on standard error, silent when stderr is not a terminal.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use model::Timestamp;
use std::io::IsTerminal;
use std::time::Duration;

/// Shows events read and event time reached on long runs.
pub struct Spinner {
    bar: Option<ProgressBar>,
}

impl Spinner {
    /// A spinner with a verb (`reading`), or nothing when stderr is piped.
    pub fn new(verb: &str) -> Self {
        if !std::io::stderr().is_terminal() {
            return Spinner { bar: None };
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} {prefix} {human_pos} events ({per_sec}) {msg} [{elapsed}]",
            )
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.set_prefix(verb.to_string());
        bar.enable_steady_tick(Duration::from_millis(120));
        Spinner { bar: Some(bar) }
    }

    /// Events so far and the event time reached.
    pub fn update(&self, events: u64, event_time: Timestamp) {
        if let Some(bar) = &self.bar {
            bar.set_position(events);
            bar.set_message(format!("at {}", event_time.to_rfc3339()));
        }
    }

    /// Removes the spinner.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
