//! What a file watcher (watchman) says changed, and the per-out records that let status
//! skip the walk of an out nothing under which changed.
//!
//! The model is git's fsmonitor: a clock token marks a moment in the watcher's history;
//! the watcher lists every path changed since a token. git-dvc keeps, in its state DB
//! (never in a DVC file), one record per out: the workspace's oid of that out as a walk
//! found it, and the token taken *before* that walk. When the watcher's list of changes
//! since the record's token names nothing at or below the out, the out still has that oid
//! and is not walked.
//!
//! Correctness rules (never "unchanged" for a file that changed; in doubt, walk):
//! - a record's token is taken before the walk that made it, so a change made during the
//!   walk comes back in the next answer;
//! - any change at or below the out's path invalidates it, also to paths `.dvcignore`
//!   excludes, and any change to a `.dvcignore` anywhere invalidates every record;
//! - an out that holds a symlink (whose target may change where the watcher does not
//!   look), or whose path crosses one, is never recorded;
//! - a record from another watcher instance, or an answer that is a fresh instance (the
//!   watcher restarted or lost events), counts as no record.
//!
//! The watcher itself (a process) is asked by the caller, above the engine; this module
//! only holds its answer ([`Watch`]) and the records.

use crate::data::state::State;

/// State DB names of the records: `watch:<m|l>:<out relpath>`.
const RECORD_PREFIX: &str = "watch:";

/// A watcher's clock token, as watchman writes it: `c:<start>:<pid>:<root>:<ticks>`.
/// Tokens of one instance and root compare by their ticks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clock(
    /// The token's text.
    pub String,
);

impl Clock {
    /// (instance, ticks), when the token has watchman's shape.
    fn parts(&self) -> Option<(&str, u64)> {
        let (instance, ticks) = self.0.rsplit_once(':')?;
        if !instance.starts_with("c:") {
            return None;
        }
        Some((instance, ticks.parse().ok()?))
    }

    /// True when `self` is of the same instance as `base` and not older than it: every
    /// change after `self` is also after `base`.
    pub fn covered_by(&self, base: &Clock) -> bool {
        match (self.parts(), base.parts()) {
            (Some((a, at)), Some((b, bt))) => a == b && at >= bt,
            _ => false,
        }
    }

    /// The oldest of `clocks` that share the first one's instance (others are ignored:
    /// their records cannot be checked against the same answer).
    pub fn oldest<'a>(clocks: impl IntoIterator<Item = &'a Clock>) -> Option<Clock> {
        let mut oldest: Option<(&Clock, &str, u64)> = None;
        for c in clocks {
            let Some((instance, ticks)) = c.parts() else {
                continue;
            };
            match oldest {
                None => oldest = Some((c, instance, ticks)),
                Some((_, i, t)) if i == instance && ticks < t => {
                    oldest = Some((c, instance, ticks))
                }
                _ => {}
            }
        }
        oldest.map(|(c, _, _)| c.clone())
    }
}

/// What the workspace held at an out when a walk looked, as of a clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Taken before the walk.
    pub clock: Clock,
    /// The out's oid (`<md5>` or `<md5>.dir`).
    pub oid: String,
    /// A file out's exec bit (false for directories).
    pub isexec: bool,
}

impl Record {
    fn encode(&self) -> Vec<u8> {
        format!(
            "{}\t{}\t{}",
            self.clock.0,
            self.oid,
            if self.isexec { 1 } else { 0 }
        )
        .into_bytes()
    }

    fn decode(bytes: &[u8]) -> Option<Record> {
        let text = std::str::from_utf8(bytes).ok()?;
        let mut it = text.split('\t');
        let (clock, oid, exec) = (it.next()?, it.next()?, it.next()?);
        if it.next().is_some() || oid.is_empty() {
            return None;
        }
        Some(Record {
            clock: Clock(clock.to_owned()),
            oid: oid.to_owned(),
            isexec: exec == "1",
        })
    }
}

fn record_name(legacy: bool, rel: &str) -> String {
    format!("{RECORD_PREFIX}{}:{rel}", if legacy { "l" } else { "m" })
}

/// The clocks of every record in `state` (to choose what to ask the watcher about).
pub fn record_clocks(state: &State) -> Vec<Clock> {
    state
        .raw_with_prefix(RECORD_PREFIX)
        .into_iter()
        .filter_map(|(_, v)| Record::decode(&v).map(|r| r.clock))
        .collect()
}

/// One run's answer from the watcher.
#[derive(Debug, Clone)]
pub struct Watch {
    /// Taken before anything of this run was walked: what new records are stamped with.
    pub clock: Clock,
    /// The token the changes are counted from; `None` when nothing is known (first use, a
    /// fresh instance): every out is walked.
    since: Option<Clock>,
    /// Paths (relative to the repo root, `/`-separated) changed since `since`, sorted.
    changed: Vec<String>,
}

impl Watch {
    /// An answer that knows nothing yet, only the clock new records are stamped with.
    pub fn fresh(clock: Clock) -> Watch {
        Watch {
            clock,
            since: None,
            changed: Vec::new(),
        }
    }

    /// The watcher's list of what changed since `since` (relative to the repo root). A
    /// changed `.dvcignore` makes the answer know nothing.
    pub fn since(clock: Clock, since: Clock, mut changed: Vec<String>) -> Watch {
        let ignore_changed = changed
            .iter()
            .any(|p| p == ".dvcignore" || p.ends_with("/.dvcignore"));
        if ignore_changed {
            return Watch::fresh(clock);
        }
        changed.sort_unstable();
        changed.dedup();
        Watch {
            clock,
            since: Some(since),
            changed,
        }
    }

    /// Whether anything at or below `rel` is in the list of changes.
    fn touched(&self, rel: &str) -> bool {
        // Sorted: `rel` itself, then `rel/...` entries come right after any `rel` prefix
        // match; names like `rel-x` or `rel.txt` sort between them, so scan that run.
        let start = self.changed.partition_point(|p| p.as_str() < rel);
        for p in &self.changed[start..] {
            if !p.starts_with(rel) {
                return false;
            }
            let rest = &p[rel.len()..];
            if rest.is_empty() || rest.starts_with('/') {
                return true;
            }
        }
        false
    }

    /// The record of the out `rel`, when it is still true: the answer covers the record's
    /// clock and nothing at or below `rel` changed since.
    pub fn unchanged(&self, state: &State, legacy: bool, rel: &str) -> Option<Record> {
        let since = self.since.as_ref()?;
        let record = Record::decode(&state.get_raw(&record_name(legacy, rel))?)?;
        if !record.clock.covered_by(since) || self.touched(rel) {
            return None;
        }
        Some(record)
    }

    /// Record what a walk of this run found at `rel`.
    pub fn store(&self, state: &State, legacy: bool, rel: &str, oid: &str, isexec: bool) {
        let record = Record {
            clock: self.clock.clone(),
            oid: oid.to_owned(),
            isexec,
        };
        let _ = state.put_raw(&record_name(legacy, rel), &record.encode());
    }

    /// Drop the record of `rel` (the out is missing, or cannot be watched).
    pub fn forget(&self, state: &State, legacy: bool, rel: &str) {
        let _ = state.delete_raw(&record_name(legacy, rel));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clocks_compare_within_an_instance() {
        let a = Clock("c:1:2:3:10".into());
        let b = Clock("c:1:2:3:12".into());
        let other = Clock("c:9:2:3:50".into());
        assert!(b.covered_by(&a));
        assert!(a.covered_by(&a));
        assert!(!a.covered_by(&b));
        assert!(!other.covered_by(&a));
        assert!(!Clock("n:foo".into()).covered_by(&a));
        assert_eq!(Clock::oldest([&b, &a, &other]), Some(a.clone()));
        assert_eq!(Clock::oldest([&other, &a]), Some(other.clone()));
        assert_eq!(Clock::oldest([]), None);
    }

    #[test]
    fn touched_is_at_or_below() {
        let w = Watch::since(
            Clock("c:1:2:3:4".into()),
            Clock("c:1:2:3:1".into()),
            vec![
                "data-x/f".into(),
                "data.txt".into(),
                "other/data/f".into(),
                "sub/d/file".into(),
            ],
        );
        assert!(!w.touched("data"));
        assert!(w.touched("data.txt"));
        assert!(w.touched("sub/d"));
        assert!(w.touched("sub"));
        assert!(!w.touched("sub/d/file2"));
        assert!(w.touched("sub/d/file"));
        let w = Watch::since(
            Clock("c:1:2:3:4".into()),
            Clock("c:1:2:3:1".into()),
            vec!["a/.dvcignore".into()],
        );
        assert!(w.since.is_none(), "a changed .dvcignore trusts nothing");
    }

    #[test]
    fn records_round_trip() {
        let r = Record {
            clock: Clock("c:1:2:3:4".into()),
            oid: "abc.dir".into(),
            isexec: true,
        };
        assert_eq!(Record::decode(&r.encode()), Some(r));
        assert_eq!(Record::decode(b"c:1\tx"), None);
    }
}
