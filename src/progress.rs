//! The terminal side of `data::progress`: one indicatif bar on stderr, shown only when
//! stderr is a terminal, not under `-q`, and only once a phase has lasted
//! `GIT_DVC_PROGRESS_DELAY_MS` (250 ms by default), so quick commands print nothing.

use crate::data::progress::Reporter;
use indicatif::{HumanBytes, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Install the bar for this process when `enabled` (stderr is a terminal, not quiet).
pub fn install(enabled: bool, delay: Duration) {
    if enabled {
        crate::data::progress::install(Box::new(TerminalBar {
            delay,
            current: Mutex::new(None),
        }));
    }
}

struct Current {
    id: u64,
    label: String,
    files: u64,
    bytes: u64,
    done_files: u64,
    done_bytes: u64,
    started: Instant,
    bar: Option<ProgressBar>,
}

struct TerminalBar {
    delay: Duration,
    current: Mutex<Option<Current>>,
}

impl Current {
    fn message(&self) -> String {
        let mut m = format!("{} {}/{} files", self.label, self.done_files, self.files);
        if self.bytes > 0 {
            m.push_str(&format!(
                ", {}/{}",
                HumanBytes(self.done_bytes),
                HumanBytes(self.bytes)
            ));
        }
        m
    }

    /// Show the bar once the phase has lasted long enough.
    fn show(&mut self, delay: Duration) {
        if self.bar.is_some() || self.started.elapsed() < delay {
            return;
        }
        let (len, pos) = if self.bytes > 0 {
            (self.bytes, self.done_bytes)
        } else {
            (self.files, self.done_files)
        };
        let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
        let template = if self.bytes > 0 {
            "{msg} {wide_bar} {binary_bytes_per_sec} ETA {eta}"
        } else {
            "{msg} {wide_bar} {per_sec} ETA {eta}"
        };
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style);
        }
        bar.set_position(pos);
        bar.set_message(self.message());
        self.bar = Some(bar);
    }
}

impl Reporter for TerminalBar {
    fn start(&self, id: u64, label: &str, files: u64, bytes: u64) {
        let Ok(mut slot) = self.current.lock() else {
            return;
        };
        if let Some(old) = slot.take()
            && let Some(b) = old.bar
        {
            b.finish_and_clear();
        }
        let mut cur = Current {
            id,
            label: label.to_string(),
            files,
            bytes,
            done_files: 0,
            done_bytes: 0,
            started: Instant::now(),
            bar: None,
        };
        cur.show(self.delay);
        *slot = Some(cur);
    }

    fn advance(&self, id: u64, files: u64, bytes: u64) {
        let Ok(mut slot) = self.current.lock() else {
            return;
        };
        let Some(cur) = slot.as_mut().filter(|c| c.id == id) else {
            return;
        };
        cur.done_files += files;
        cur.done_bytes += bytes;
        cur.show(self.delay);
        if let Some(bar) = &cur.bar {
            bar.set_position(if cur.bytes > 0 {
                cur.done_bytes
            } else {
                cur.done_files
            });
            bar.set_message(cur.message());
        }
    }

    fn finish(&self, id: u64) {
        let Ok(mut slot) = self.current.lock() else {
            return;
        };
        if slot.as_ref().is_some_and(|c| c.id == id)
            && let Some(cur) = slot.take()
            && let Some(bar) = cur.bar
        {
            bar.finish_and_clear();
        }
    }
}
