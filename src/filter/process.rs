//! The filter process loop (`git-dvc-filter`): an identity transform on `.dvc` and
//! `dvc.lock` pointers whose side effect, on worktree-writing smudges, is to bring the
//! data in step (DESIGN.md "Git integration", spec/git-integration.md §1 and §7).
//!
//! - **clean**: identity, read-only, no side effect (git status/diff call it a lot).
//! - **smudge** without `can-delay=1` (`archive`, `cat-file --filters`, `checkout-index`),
//!   with [`Options::skip_smudge`], with conflict markers or with unparseable content:
//!   identity, no side effect.
//! - **smudge with `can-delay=1`** on a pointer: hand it to the [`Materializer`]. If the
//!   materializer has nothing to do the answer is immediate. Otherwise, when `delay` was
//!   negotiated, answer `status=delayed` and keep the bytes by pathname; on the first
//!   `list_available_blobs` run all queued work (the materializer parallelises it), list
//!   every delayed path, hand the kept bytes back on git's re-requests, and reset after
//!   the empty list (one git process can run several checkouts: rebase, cherry-pick).
//!   Without delay, answer at once and run the queued work when git closes the stream.
//! - A malformed request gets `status=error` (git passes the file through, since the
//!   filter is never `required`) and the loop keeps serving. Only a broken pkt-line
//!   stream ends the session with an error; git then restarts the filter for the next file.
//!
//! The output always equals the input, so smudge never has to fail.

use super::pktline::{Reader, Writer};
use super::protocol::{self, Capability, Command, Incoming, Request, Status};
use std::collections::BTreeMap;
use std::io::{Read, Write};

/// Whether the materializer took the work or found nothing to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueOutcome {
    /// Work was queued; it runs in [`Materializer::finish`].
    Queued,
    /// Nothing to do (already up to date, skipped, or refused with a warning).
    Done,
}

/// The result of materializing one pointer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Materialized {
    /// The pointer's pathname, as git sent it.
    pub pathname: String,
    /// `Err` carries a message for the user; the pointer is written by git either way.
    pub result: Result<(), String>,
}

/// Brings the data of smudged pointers into the workspace. The engine plugs in here.
pub trait Materializer {
    /// Consider one pointer git is writing to the worktree. Must be cheap: heavy work
    /// belongs in [`Materializer::finish`].
    fn queue(&mut self, pathname: &str, pointer: &[u8]) -> QueueOutcome;
    /// Run everything queued (in parallel) and report one result per queued pathname.
    fn finish(&mut self) -> Vec<Materialized>;
    /// Drop queued work: git ended the session before writing those pointers.
    fn discard(&mut self) {}
}

/// A materializer that never has work (pure identity filter).
#[derive(Debug, Default, Clone, Copy)]
pub struct NoMaterializer;

impl Materializer for NoMaterializer {
    fn queue(&mut self, _pathname: &str, _pointer: &[u8]) -> QueueOutcome {
        QueueOutcome::Done
    }
    fn finish(&mut self) -> Vec<Materialized> {
        Vec::new()
    }
}

/// Session options, read from the environment by the binary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// `GIT_DVC_SKIP_SMUDGE=1`: identity only, never materialize.
    pub skip_smudge: bool,
    /// Use git's `delay` capability when offered (otherwise materialize at end of session).
    pub use_delay: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            skip_smudge: false,
            use_delay: true,
        }
    }
}

/// Fatal session errors.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The handshake failed.
    #[error("filter handshake failed")]
    Handshake(#[source] protocol::Error),
    /// The stream broke after the handshake.
    #[error("filter protocol error")]
    Protocol(#[from] protocol::Error),
}

/// Counters for one session (logged at the end; handy in tests).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// clean requests served.
    pub cleaned: usize,
    /// smudge requests served (re-requests included).
    pub smudged: usize,
    /// smudges answered `status=delayed`.
    pub delayed: usize,
    /// Malformed requests answered `status=error`.
    pub errors: usize,
    /// Pointers materialized successfully.
    pub materialized: usize,
    /// Pointers whose materialization failed.
    pub failed: usize,
}

/// The capabilities git-dvc-filter offers.
pub const CAPABILITIES: &[Capability] = &[Capability::Clean, Capability::Smudge, Capability::Delay];

#[derive(Debug)]
struct DelayedEntry {
    content: Vec<u8>,
    listed: bool,
}

#[derive(Debug, Default)]
struct Session {
    /// Delayed smudges by pathname, kept for git's re-request.
    delayed: BTreeMap<Vec<u8>, DelayedEntry>,
    /// Whether `finish` ran for the current delay round.
    round_finished: bool,
    /// Work queued without delay, to run at end of session.
    eager_pending: bool,
    summary: Summary,
}

/// Serve one filter session: handshake, then requests until git closes the stream.
pub fn run<R: Read, W: Write>(
    input: R,
    output: W,
    materializer: &mut dyn Materializer,
    options: &Options,
) -> Result<Summary, Error> {
    let mut reader = Reader::new(input);
    let mut writer = Writer::new(output);
    let negotiated =
        protocol::handshake(&mut reader, &mut writer, CAPABILITIES).map_err(Error::Handshake)?;
    let delay = options.use_delay && negotiated.has(Capability::Delay);
    tracing::debug!(capabilities = ?negotiated.capabilities, delay, "git-dvc-filter: handshake done");

    let mut session = Session::default();
    let result = serve(
        &mut reader,
        &mut writer,
        materializer,
        options,
        delay,
        &mut session,
    );

    // End of session: run the work that was answered without delay (git has written those
    // pointers). Delayed work git never collected was never written: drop it.
    if session.delayed.values().any(|e| !e.listed) {
        tracing::warn!(
            "git-dvc-filter: git ended the session with {} delayed file(s) not collected; their data is left alone",
            session.delayed.values().filter(|e| !e.listed).count()
        );
        materializer.discard();
    } else if session.eager_pending {
        report(materializer.finish(), &mut session.summary);
    }
    result?;
    tracing::debug!(summary = ?session.summary, "git-dvc-filter: session done");
    Ok(session.summary)
}

fn serve<R: Read, W: Write>(
    reader: &mut Reader<R>,
    writer: &mut Writer<W>,
    materializer: &mut dyn Materializer,
    options: &Options,
    delay: bool,
    session: &mut Session,
) -> Result<(), Error> {
    while let Some(incoming) = protocol::read_request(reader)? {
        match incoming {
            Incoming::Broken(broken) => {
                let path = broken
                    .pathname
                    .as_deref()
                    .map(String::from_utf8_lossy)
                    .unwrap_or_default();
                tracing::warn!(
                    "git-dvc-filter: refusing malformed request for `{path}`: {}",
                    broken.reason
                );
                session.summary.errors += 1;
                protocol::write_status(writer, Status::Error)?;
            }
            Incoming::Request(request) => match request.command {
                Command::Clean => {
                    session.summary.cleaned += 1;
                    protocol::write_success(writer, &request.content)?;
                }
                Command::Smudge => smudge(writer, materializer, options, delay, session, request)?,
                Command::ListAvailableBlobs => list_available_blobs(writer, materializer, session)?,
            },
        }
    }
    Ok(())
}

fn smudge<W: Write>(
    writer: &mut Writer<W>,
    materializer: &mut dyn Materializer,
    options: &Options,
    delay: bool,
    session: &mut Session,
    request: Request,
) -> Result<(), Error> {
    session.summary.smudged += 1;
    // git's re-request of a delayed path: no can-delay, empty content; hand back the kept bytes.
    if !request.metadata.can_delay
        && session
            .delayed
            .get(&request.pathname)
            .is_some_and(|e| e.listed)
        && let Some(entry) = session.delayed.remove(&request.pathname)
    {
        protocol::write_success(writer, &entry.content)?;
        return Ok(());
    }
    if options.skip_smudge || !request.metadata.can_delay || !looks_like_pointer(&request.content) {
        protocol::write_success(writer, &request.content)?;
        return Ok(());
    }
    let Some(pathname) = request.pathname_str() else {
        tracing::warn!(
            "git-dvc-filter: `{}` is not a UTF-8 path; its data is not checked out",
            String::from_utf8_lossy(&request.pathname)
        );
        protocol::write_success(writer, &request.content)?;
        return Ok(());
    };
    match materializer.queue(pathname, &request.content) {
        QueueOutcome::Done => protocol::write_success(writer, &request.content)?,
        QueueOutcome::Queued if delay => {
            session.summary.delayed += 1;
            session.delayed.insert(
                request.pathname,
                DelayedEntry {
                    content: request.content,
                    listed: false,
                },
            );
            protocol::write_status(writer, Status::Delayed)?;
        }
        QueueOutcome::Queued => {
            session.eager_pending = true;
            protocol::write_success(writer, &request.content)?;
        }
    }
    Ok(())
}

fn list_available_blobs<W: Write>(
    writer: &mut Writer<W>,
    materializer: &mut dyn Materializer,
    session: &mut Session,
) -> Result<(), Error> {
    let unlisted: Vec<Vec<u8>> = session
        .delayed
        .iter()
        .filter(|(_, e)| !e.listed)
        .map(|(p, _)| p.clone())
        .collect();
    if unlisted.is_empty() {
        // All delivered: this checkout's delay round is over.
        let forgotten = session.delayed.len();
        if forgotten > 0 {
            tracing::debug!("git-dvc-filter: {forgotten} listed path(s) were never re-requested");
        }
        session.delayed.clear();
        session.round_finished = false;
        protocol::write_available_blobs(writer, &[])?;
        return Ok(());
    }
    if !session.round_finished {
        // The first list call means every smudge of this checkout is queued: run them all.
        report(materializer.finish(), &mut session.summary);
        session.round_finished = true;
    }
    for path in &unlisted {
        if let Some(entry) = session.delayed.get_mut(path) {
            entry.listed = true;
        }
    }
    protocol::write_available_blobs(writer, &unlisted)?;
    Ok(())
}

fn report(results: Vec<Materialized>, summary: &mut Summary) {
    for item in results {
        match item.result {
            Ok(()) => summary.materialized += 1,
            Err(message) => {
                summary.failed += 1;
                tracing::warn!(
                    "git-dvc: data for `{}` was not checked out: {message}",
                    item.pathname
                );
            }
        }
    }
}

/// True when `content` is a `.dvc` or `dvc.lock` document worth materializing: YAML
/// whose top level is a mapping with `outs` (a `.dvc` file) or `stages` (a `dvc.lock`),
/// and no merge-conflict markers.
///
/// This is a cheap gate only; the engine does the real validation.
pub fn looks_like_pointer(content: &[u8]) -> bool {
    if content.is_empty() || has_conflict_markers(content) {
        return false;
    }
    let Ok(value) = serde_yaml::from_slice::<serde_yaml::Value>(content) else {
        return false;
    };
    let Some(map) = value.as_mapping() else {
        return false;
    };
    map.get("outs").is_some_and(|v| v.is_sequence())
        || map.get("stages").is_some_and(|v| v.is_mapping())
}

fn has_conflict_markers(content: &[u8]) -> bool {
    content.split(|&b| b == b'\n').any(|line| {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        line.starts_with(b"<<<<<<<")
            || line.starts_with(b">>>>>>>")
            || line.starts_with(b"|||||||")
            || line == b"======="
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;
    use std::sync::{Arc, Mutex};

    const POINTER: &[u8] = b"outs:\n- md5: b1946ac92492d2347c6235b4d2611184\n  size: 6\n  hash: md5\n  path: foo.txt\n";
    const LOCK: &[u8] = b"schema: '2.0'\nstages:\n  train:\n    cmd: python train.py\n";

    /// A scripted git client: builds the byte stream git would send.
    struct Git {
        w: Writer<Vec<u8>>,
    }

    impl Git {
        fn new(caps: &[&str]) -> Self {
            let mut w = Writer::new(Vec::new());
            w.write_text("git-filter-client").unwrap();
            w.write_text("version=2").unwrap();
            w.write_flush().unwrap();
            for cap in caps {
                w.write_text(&format!("capability={cap}")).unwrap();
            }
            w.write_flush().unwrap();
            Git { w }
        }
        fn request(
            mut self,
            command: &str,
            path: &str,
            meta: &[&str],
            content: Option<&[u8]>,
        ) -> Self {
            self.w.write_text(&format!("command={command}")).unwrap();
            if !path.is_empty() {
                self.w.write_text(&format!("pathname={path}")).unwrap();
            }
            for m in meta {
                self.w.write_text(m).unwrap();
            }
            self.w.write_flush().unwrap();
            if let Some(content) = content {
                self.w.write_content(content).unwrap();
                self.w.write_flush().unwrap();
            }
            self
        }
        fn clean(self, path: &str, content: &[u8]) -> Self {
            self.request("clean", path, &[], Some(content))
        }
        fn smudge(self, path: &str, meta: &[&str], content: &[u8]) -> Self {
            self.request("smudge", path, meta, Some(content))
        }
        fn list(self) -> Self {
            self.request("list_available_blobs", "", &[], None)
        }
        fn raw(mut self, bytes: &[u8]) -> Self {
            let mut v = std::mem::replace(&mut self.w, Writer::new(Vec::new())).into_inner();
            v.extend_from_slice(bytes);
            self.w = Writer::new(v);
            self
        }
        fn bytes(self) -> Vec<u8> {
            self.w.into_inner()
        }
    }

    /// What the filter answered, decoded.
    #[derive(Debug, PartialEq)]
    enum Answer {
        Success(Vec<u8>),
        Status(String),
        List(Vec<String>),
    }

    fn decode(output: &[u8], commands: &[&str]) -> (Vec<String>, Vec<Answer>) {
        let mut r = Reader::new(Cursor::new(output.to_vec()));
        let mut handshake = r.read_text_list().unwrap().unwrap();
        handshake.extend(r.read_text_list().unwrap().unwrap());
        let mut answers = Vec::new();
        for command in commands {
            let lines = r.read_text_list().unwrap().unwrap();
            if *command == "list" {
                let status = r.read_text_list().unwrap().unwrap();
                assert_eq!(status, vec!["status=success"]);
                answers.push(Answer::List(
                    lines
                        .iter()
                        .map(|l| l.trim_start_matches("pathname=").to_owned())
                        .collect(),
                ));
            } else if lines == ["status=success"] {
                let content = r.read_content().unwrap();
                assert_eq!(r.read_text_list().unwrap().unwrap(), Vec::<String>::new());
                answers.push(Answer::Success(content));
            } else {
                assert_eq!(lines.len(), 1);
                answers.push(Answer::Status(lines[0].clone()));
            }
        }
        assert!(r.read_packet().unwrap().is_none(), "trailing output");
        (handshake, answers)
    }

    type Shared<T> = Arc<Mutex<T>>;

    #[derive(Clone, Default)]
    struct Recorder {
        queued: Shared<Vec<(String, Vec<u8>)>>,
        finished: Arc<Mutex<Vec<Vec<String>>>>,
        discarded: Arc<Mutex<usize>>,
        pending: Vec<String>,
        outcome_done: bool,
        fail: Option<String>,
    }

    impl Materializer for Recorder {
        fn queue(&mut self, pathname: &str, pointer: &[u8]) -> QueueOutcome {
            self.queued
                .lock()
                .unwrap()
                .push((pathname.to_owned(), pointer.to_vec()));
            if self.outcome_done {
                return QueueOutcome::Done;
            }
            self.pending.push(pathname.to_owned());
            QueueOutcome::Queued
        }
        fn finish(&mut self) -> Vec<Materialized> {
            let batch = std::mem::take(&mut self.pending);
            self.finished.lock().unwrap().push(batch.clone());
            batch
                .into_iter()
                .map(|pathname| {
                    let result = match &self.fail {
                        Some(p) if *p == pathname => Err("object missing".to_owned()),
                        _ => Ok(()),
                    };
                    Materialized { pathname, result }
                })
                .collect()
        }
        fn discard(&mut self) {
            self.pending.clear();
            *self.discarded.lock().unwrap() += 1;
        }
    }

    fn serve_with(
        input: Vec<u8>,
        m: &mut dyn Materializer,
        options: Options,
    ) -> (Result<Summary, Error>, Vec<u8>) {
        let mut out = Vec::new();
        let res = run(Cursor::new(input), &mut out, m, &options);
        (res, out)
    }

    const ALL: &[&str] = &["clean", "smudge", "delay"];
    const CHECKOUT: &[&str] = &[
        "ref=refs/heads/main",
        "treeish=aaaa",
        "blob=bbbb",
        "can-delay=1",
    ];

    #[test]
    fn clean_and_plain_smudge_are_identity() {
        let big: Vec<u8> = (0..200_000u32).map(|i| (i % 256) as u8).collect();
        let input = Git::new(ALL)
            .clean("a.dvc", POINTER)
            .clean("empty.dvc", b"")
            .clean("big.bin", &big)
            .smudge("a.dvc", &["blob=bbbb"], POINTER) // cat-file --filters / checkout-index
            .bytes();
        let mut rec = Recorder::default();
        let (res, out) = serve_with(input, &mut rec, Options::default());
        let summary = res.unwrap();
        let (hs, answers) = decode(&out, &["clean", "clean", "clean", "smudge"]);
        assert_eq!(
            hs,
            vec![
                "git-filter-server",
                "version=2",
                "capability=clean",
                "capability=smudge",
                "capability=delay"
            ]
        );
        assert_eq!(
            answers,
            vec![
                Answer::Success(POINTER.to_vec()),
                Answer::Success(Vec::new()),
                Answer::Success(big),
                Answer::Success(POINTER.to_vec())
            ]
        );
        assert!(rec.queued.lock().unwrap().is_empty());
        assert_eq!((summary.cleaned, summary.smudged), (3, 1));
    }

    #[test]
    fn delayed_checkout_round_trip() {
        let input = Git::new(ALL)
            .smudge("a.dvc", CHECKOUT, POINTER)
            .smudge("dvc.lock", CHECKOUT, LOCK)
            .smudge(
                "conflict.dvc",
                CHECKOUT,
                b"<<<<<<< HEAD\nouts: []\n=======\nouts: [1]\n>>>>>>> b\n",
            )
            .smudge("notes.txt", CHECKOUT, b"just text\n")
            .list()
            .smudge(
                "a.dvc",
                &["ref=refs/heads/main", "treeish=aaaa", "blob=bbbb"],
                b"",
            )
            .smudge(
                "dvc.lock",
                &["ref=refs/heads/main", "treeish=aaaa", "blob=bbbb"],
                b"",
            )
            .list()
            // a second checkout in the same git process (rebase): state was reset
            .smudge("a.dvc", CHECKOUT, POINTER)
            .list()
            .smudge("a.dvc", &[], b"")
            .list()
            .bytes();
        let mut rec = Recorder::default();
        let finished = rec.finished.clone();
        let (res, out) = serve_with(input, &mut rec, Options::default());
        let summary = res.unwrap();
        let (_, answers) = decode(
            &out,
            &[
                "smudge", "smudge", "smudge", "smudge", "list", "smudge", "smudge", "list",
                "smudge", "list", "smudge", "list",
            ],
        );
        let delayed = || Answer::Status("status=delayed".to_owned());
        assert_eq!(
            answers,
            vec![
                delayed(),
                delayed(),
                Answer::Success(
                    b"<<<<<<< HEAD\nouts: []\n=======\nouts: [1]\n>>>>>>> b\n".to_vec()
                ),
                Answer::Success(b"just text\n".to_vec()),
                Answer::List(vec!["a.dvc".to_owned(), "dvc.lock".to_owned()]),
                Answer::Success(POINTER.to_vec()),
                Answer::Success(LOCK.to_vec()),
                Answer::List(vec![]),
                delayed(),
                Answer::List(vec!["a.dvc".to_owned()]),
                Answer::Success(POINTER.to_vec()),
                Answer::List(vec![]),
            ]
        );
        assert_eq!(
            *finished.lock().unwrap(),
            vec![
                vec!["a.dvc".to_owned(), "dvc.lock".to_owned()],
                vec!["a.dvc".to_owned()]
            ]
        );
        assert_eq!(
            (summary.delayed, summary.materialized, summary.failed),
            (3, 3, 0)
        );
    }

    #[test]
    fn nothing_to_do_answers_at_once() {
        let input = Git::new(ALL)
            .smudge("a.dvc", CHECKOUT, POINTER)
            .list()
            .bytes();
        let mut rec = Recorder {
            outcome_done: true,
            ..Recorder::default()
        };
        let (res, out) = serve_with(input, &mut rec, Options::default());
        res.unwrap();
        let (_, answers) = decode(&out, &["smudge", "list"]);
        assert_eq!(
            answers,
            vec![Answer::Success(POINTER.to_vec()), Answer::List(vec![])]
        );
        assert_eq!(rec.queued.lock().unwrap().len(), 1);
        assert!(rec.finished.lock().unwrap().is_empty());
    }

    #[test]
    fn failures_still_deliver_the_pointer() {
        let input = Git::new(ALL)
            .smudge("a.dvc", CHECKOUT, POINTER)
            .list()
            .smudge("a.dvc", &[], b"")
            .list()
            .bytes();
        let mut rec = Recorder {
            fail: Some("a.dvc".to_owned()),
            ..Recorder::default()
        };
        let (res, out) = serve_with(input, &mut rec, Options::default());
        assert_eq!(res.unwrap().failed, 1);
        let (_, answers) = decode(&out, &["smudge", "list", "smudge", "list"]);
        assert_eq!(answers[2], Answer::Success(POINTER.to_vec()));
    }

    #[test]
    fn without_delay_materializes_at_end_of_session() {
        // git did not offer delay: can-delay never comes, so nothing is a worktree write...
        let input = Git::new(&["clean", "smudge"])
            .smudge("a.dvc", &["blob=b"], POINTER)
            .bytes();
        let mut rec = Recorder::default();
        let (res, out) = serve_with(input, &mut rec, Options::default());
        res.unwrap();
        let (hs, _) = decode(&out, &["smudge"]);
        assert!(!hs.contains(&"capability=delay".to_owned()));
        assert!(rec.queued.lock().unwrap().is_empty());

        // ... but with delay turned off on our side, worktree writes run at stdin EOF.
        let input = Git::new(ALL)
            .smudge("a.dvc", CHECKOUT, POINTER)
            .smudge("b.dvc", CHECKOUT, POINTER)
            .bytes();
        let mut rec = Recorder::default();
        let finished = rec.finished.clone();
        let (res, out) = serve_with(
            input,
            &mut rec,
            Options {
                skip_smudge: false,
                use_delay: false,
            },
        );
        assert_eq!(res.unwrap().materialized, 2);
        let (hs, answers) = decode(&out, &["smudge", "smudge"]);
        assert!(hs.contains(&"capability=delay".to_owned()));
        assert_eq!(
            answers,
            vec![
                Answer::Success(POINTER.to_vec()),
                Answer::Success(POINTER.to_vec())
            ]
        );
        assert_eq!(
            *finished.lock().unwrap(),
            vec![vec!["a.dvc".to_owned(), "b.dvc".to_owned()]]
        );
    }

    #[test]
    fn skip_smudge_is_identity_only() {
        let input = Git::new(ALL)
            .smudge("a.dvc", CHECKOUT, POINTER)
            .list()
            .bytes();
        let mut rec = Recorder::default();
        let (res, out) = serve_with(
            input,
            &mut rec,
            Options {
                skip_smudge: true,
                use_delay: true,
            },
        );
        res.unwrap();
        let (_, answers) = decode(&out, &["smudge", "list"]);
        assert_eq!(
            answers,
            vec![Answer::Success(POINTER.to_vec()), Answer::List(vec![])]
        );
        assert!(rec.queued.lock().unwrap().is_empty());
    }

    #[test]
    fn uncollected_delayed_work_is_discarded() {
        let input = Git::new(ALL).smudge("a.dvc", CHECKOUT, POINTER).bytes();
        let mut rec = Recorder::default();
        let (discarded, finished) = (rec.discarded.clone(), rec.finished.clone());
        let (res, _) = serve_with(input, &mut rec, Options::default());
        res.unwrap();
        assert_eq!(*discarded.lock().unwrap(), 1);
        assert!(finished.lock().unwrap().is_empty());
    }

    #[test]
    fn broken_request_gets_error_and_serving_continues() {
        let mut frame = Writer::new(Vec::new());
        frame.write_text("command=smudge").unwrap();
        frame.write_text("pathname=x.dvc").unwrap();
        frame.write_text("no-equals-sign").unwrap();
        frame.write_flush().unwrap();
        frame.write_data(b"abc").unwrap();
        frame.write_flush().unwrap();
        let input = Git::new(ALL)
            .raw(&frame.into_inner())
            .request("frobnicate", "y.dvc", &[], Some(b"zzz"))
            .clean("ok.dvc", POINTER)
            .bytes();
        let mut rec = Recorder::default();
        let (res, out) = serve_with(input, &mut rec, Options::default());
        assert_eq!(res.unwrap().errors, 2);
        let (_, answers) = decode(&out, &["smudge", "x", "clean"]);
        assert_eq!(
            answers,
            vec![
                Answer::Status("status=error".to_owned()),
                Answer::Status("status=error".to_owned()),
                Answer::Success(POINTER.to_vec())
            ]
        );
    }

    #[test]
    fn broken_stream_is_a_clean_error() {
        let input = Git::new(ALL).clean("ok.dvc", POINTER).raw(b"00zz").bytes();
        let (res, out) = serve_with(input, &mut NoMaterializer, Options::default());
        assert!(matches!(res, Err(Error::Protocol(_))));
        let (_, answers) = decode(&out, &["clean"]);
        assert_eq!(answers, vec![Answer::Success(POINTER.to_vec())]);

        let input = Git::new(ALL).raw(b"0010command=smu").bytes();
        assert!(matches!(
            serve_with(input, &mut NoMaterializer, Options::default()).0,
            Err(Error::Protocol(_))
        ));

        let (res, out) = serve_with(
            b"0010git-filter-srv".to_vec(),
            &mut NoMaterializer,
            Options::default(),
        );
        assert!(matches!(res, Err(Error::Handshake(_))));
        assert!(out.is_empty());
    }

    #[test]
    fn eof_right_after_handshake_is_fine() {
        let (res, _) = serve_with(
            Git::new(ALL).bytes(),
            &mut NoMaterializer,
            Options::default(),
        );
        assert_eq!(res.unwrap(), Summary::default());
    }

    #[test]
    fn pointer_detection() {
        assert!(looks_like_pointer(POINTER));
        assert!(looks_like_pointer(LOCK));
        assert!(looks_like_pointer(
            b"# comment\nmd5: abc\nouts:\n- path: x\n  md5: y\n"
        ));
        assert!(!looks_like_pointer(b""));
        assert!(!looks_like_pointer(b"outs: 3\n"));
        assert!(!looks_like_pointer(b"- a\n- b\n"));
        assert!(!looks_like_pointer(b"outs:\n- path: [unclosed\n"));
        assert!(!looks_like_pointer(b"\xff\xfe"));
        assert!(!looks_like_pointer(
            b"outs:\n<<<<<<< ours\n- md5: a\n=======\n- md5: b\n>>>>>>> theirs\n"
        ));
    }
}
