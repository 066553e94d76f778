//! git's long-running filter process protocol, version 2 (`gitattributes(5)`,
//! "Long Running Filter Process"; spec/git-integration.md §1).
//!
//! Typed messages over [`pktline`](super::pktline), generic over `Read`/`Write`:
//! - [`handshake`]: welcome + version, then capability negotiation. We only ever answer
//!   with capabilities git offered (git dies otherwise).
//! - [`read_request`]: one `command=...` request with its metadata and, for
//!   clean/smudge, its content. A malformed *header* (a line without `=`, a missing
//!   command, an unknown command) is still read to its end, so the stream stays in
//!   sync and the caller can answer `status=error` and keep serving. Only a broken
//!   pkt-line stream is fatal.
//! - responses: [`write_success`], [`write_status`], [`write_available_blobs`].
//!
//! Pure: no filesystem or process state.

use super::pktline::{self, Reader, Writer};
use std::io::{Read, Write};

/// A filter capability.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Capability {
    /// `capability=clean`.
    Clean,
    /// `capability=smudge`.
    Smudge,
    /// `capability=delay`.
    Delay,
}

impl Capability {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Capability::Clean => "clean",
            Capability::Smudge => "smudge",
            Capability::Delay => "delay",
        }
    }

    fn parse(name: &str) -> Option<Self> {
        match name {
            "clean" => Some(Capability::Clean),
            "smudge" => Some(Capability::Smudge),
            "delay" => Some(Capability::Delay),
            _ => None,
        }
    }
}

/// Protocol errors: fatal for the session (the stream can no longer be trusted).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Framing failed.
    #[error(transparent)]
    PktLine(#[from] pktline::Error),
    /// The first line is not `git-filter-client`.
    #[error("unexpected filter welcome {0:?} (expected \"git-filter-client\")")]
    BadWelcome(String),
    /// git did not offer `version=2`.
    #[error("git offered no supported filter protocol version (offered: {0:?})")]
    NoSupportedVersion(Vec<String>),
    /// A handshake line was not `key=value`.
    #[error("malformed handshake line {0:?}")]
    BadHandshakeLine(String),
    /// The stream ended during the handshake.
    #[error("git closed the filter stream during the handshake")]
    EofInHandshake,
}

/// The outcome of a successful handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Negotiated {
    /// Capabilities both sides agreed on, in the order we announced them.
    pub capabilities: Vec<Capability>,
}

impl Negotiated {
    /// True when `cap` was agreed.
    pub fn has(&self, cap: Capability) -> bool {
        self.capabilities.contains(&cap)
    }
}

/// Run the server side of the handshake, announcing the subset of `supported` that git offered.
pub fn handshake<R: Read, W: Write>(
    reader: &mut Reader<R>,
    writer: &mut Writer<W>,
    supported: &[Capability],
) -> Result<Negotiated, Error> {
    let welcome = reader.read_text_list()?.ok_or(Error::EofInHandshake)?;
    let mut lines = welcome.into_iter();
    match lines.next() {
        Some(first) if first == "git-filter-client" => {}
        Some(other) => return Err(Error::BadWelcome(other)),
        None => return Err(Error::BadWelcome(String::new())),
    }
    let mut versions = Vec::new();
    for line in lines {
        match line.split_once('=') {
            Some(("version", v)) => versions.push(v.to_owned()),
            _ => return Err(Error::BadHandshakeLine(line)),
        }
    }
    if !versions.iter().any(|v| v == "2") {
        return Err(Error::NoSupportedVersion(versions));
    }
    writer.write_text("git-filter-server")?;
    writer.write_text("version=2")?;
    writer.write_flush()?;
    writer.flush_stream()?;

    let offered_lines = reader.read_text_list()?.ok_or(Error::EofInHandshake)?;
    let mut offered = Vec::new();
    for line in offered_lines {
        match line.split_once('=') {
            Some(("capability", name)) => {
                // Unknown capabilities (from a newer git) are simply not answered.
                if let Some(cap) = Capability::parse(name) {
                    offered.push(cap);
                }
            }
            _ => return Err(Error::BadHandshakeLine(line)),
        }
    }
    let capabilities: Vec<Capability> = supported
        .iter()
        .copied()
        .filter(|c| offered.contains(c))
        .collect();
    for cap in &capabilities {
        writer.write_text(&format!("capability={}", cap.as_str()))?;
    }
    writer.write_flush()?;
    writer.flush_stream()?;
    Ok(Negotiated { capabilities })
}

/// The command of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `command=clean`.
    Clean,
    /// `command=smudge`.
    Smudge,
    /// `command=list_available_blobs`.
    ListAvailableBlobs,
}

/// Metadata git attaches to a clean/smudge request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Metadata {
    /// `ref=`: the ref being checked out, when there is one.
    pub git_ref: Option<String>,
    /// `treeish=`: the commit or tree being checked out.
    pub treeish: Option<String>,
    /// `blob=`: the blob id of the content.
    pub blob: Option<String>,
    /// `can-delay=1`: git accepts a delayed answer (a worktree-writing checkout).
    pub can_delay: bool,
    /// Any other `key=value` lines, in order (newer git versions may add some).
    pub other: Vec<(String, String)>,
}

/// A well-formed request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// What git asks for.
    pub command: Command,
    /// `pathname=`, top-relative with `/`; raw bytes because git paths need not be UTF-8.
    /// Empty for `list_available_blobs`.
    pub pathname: Vec<u8>,
    /// Metadata lines.
    pub metadata: Metadata,
    /// The file content (empty for `list_available_blobs` and for delayed re-requests).
    pub content: Vec<u8>,
}

impl Request {
    /// The pathname as UTF-8, when it is.
    pub fn pathname_str(&self) -> Option<&str> {
        std::str::from_utf8(&self.pathname).ok()
    }
}

/// A request whose header was malformed but was read to its end (stream still in sync).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokenRequest {
    /// The pathname, if one was given.
    pub pathname: Option<Vec<u8>>,
    /// Why the request was refused.
    pub reason: String,
}

/// What [`read_request`] read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Incoming {
    /// A well-formed request.
    Request(Request),
    /// A malformed request: answer `status=error` and keep serving.
    Broken(BrokenRequest),
}

/// Read the next request. `Ok(None)` means git closed the stream between requests (normal end).
pub fn read_request<R: Read>(reader: &mut Reader<R>) -> Result<Option<Incoming>, Error> {
    let Some(lines) = reader.read_line_list()? else {
        return Ok(None);
    };
    let mut command: Option<Result<Command, String>> = None;
    let mut pathname: Option<Vec<u8>> = None;
    let mut metadata = Metadata::default();
    let mut problem: Option<String> = None;
    for line in lines {
        let Some(eq) = line.iter().position(|&b| b == b'=') else {
            problem.get_or_insert_with(|| {
                format!(
                    "malformed request line {:?}",
                    String::from_utf8_lossy(&line)
                )
            });
            continue;
        };
        let (key, value) = (&line[..eq], &line[eq + 1..]);
        if key == b"pathname" {
            pathname = Some(value.to_vec());
            continue;
        }
        let (Ok(key), Ok(value)) = (std::str::from_utf8(key), std::str::from_utf8(value)) else {
            problem.get_or_insert_with(|| "request line is not UTF-8".to_owned());
            continue;
        };
        match key {
            "command" => {
                command = Some(match value {
                    "clean" => Ok(Command::Clean),
                    "smudge" => Ok(Command::Smudge),
                    "list_available_blobs" => Ok(Command::ListAvailableBlobs),
                    other => Err(other.to_owned()),
                })
            }
            "ref" => metadata.git_ref = Some(value.to_owned()),
            "treeish" => metadata.treeish = Some(value.to_owned()),
            "blob" => metadata.blob = Some(value.to_owned()),
            "can-delay" => metadata.can_delay = value == "1",
            _ => metadata.other.push((key.to_owned(), value.to_owned())),
        }
    }

    // clean and smudge carry content; so, we assume, does anything that names a path.
    // Reading it keeps the stream in sync even when we refuse the request.
    let has_content = match &command {
        Some(Ok(Command::Clean | Command::Smudge)) => true,
        Some(Ok(Command::ListAvailableBlobs)) => false,
        Some(Err(_)) | None => pathname.is_some(),
    };
    let content = if has_content {
        reader.read_content()?
    } else {
        Vec::new()
    };

    let command = match command {
        Some(Ok(c)) => c,
        Some(Err(unknown)) => {
            return Ok(Some(Incoming::Broken(BrokenRequest {
                pathname,
                reason: format!("unknown command {unknown:?}"),
            })));
        }
        None => {
            return Ok(Some(Incoming::Broken(BrokenRequest {
                pathname,
                reason: "request without command".to_owned(),
            })));
        }
    };
    if let Some(reason) = problem {
        return Ok(Some(Incoming::Broken(BrokenRequest { pathname, reason })));
    }
    let pathname = match (command.clone(), pathname) {
        (Command::ListAvailableBlobs, p) => p.unwrap_or_default(),
        (_, Some(p)) if !p.is_empty() => p,
        (_, _) => {
            return Ok(Some(Incoming::Broken(BrokenRequest {
                pathname: None,
                reason: "request without pathname".to_owned(),
            })));
        }
    };
    Ok(Some(Incoming::Request(Request {
        command,
        pathname,
        metadata,
        content,
    })))
}

/// A status-only answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// `status=delayed`: we will deliver the content after `list_available_blobs`.
    Delayed,
    /// `status=error`: this file failed; git keeps going (passthrough, as we are never `required`).
    Error,
    /// `status=abort`: stop using this capability for the rest of the git process.
    Abort,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Status::Delayed => "delayed",
            Status::Error => "error",
            Status::Abort => "abort",
        }
    }
}

/// Answer `status=success` with `content` (which may be empty), then an empty status list.
pub fn write_success<W: Write>(writer: &mut Writer<W>, content: &[u8]) -> Result<(), Error> {
    writer.write_text("status=success")?;
    writer.write_flush()?;
    writer.write_content(content)?;
    writer.write_flush()?;
    // The trailing (empty) status list keeps `success`.
    writer.write_flush()?;
    writer.flush_stream()?;
    Ok(())
}

/// Answer with a bare status (`delayed`, `error`, `abort`).
pub fn write_status<W: Write>(writer: &mut Writer<W>, status: Status) -> Result<(), Error> {
    writer.write_text(&format!("status={}", status.as_str()))?;
    writer.write_flush()?;
    writer.flush_stream()?;
    Ok(())
}

/// Answer `list_available_blobs` with `paths` (an empty list means "all delivered").
pub fn write_available_blobs<W: Write>(
    writer: &mut Writer<W>,
    paths: &[Vec<u8>],
) -> Result<(), Error> {
    for path in paths {
        let mut line = b"pathname=".to_vec();
        line.extend_from_slice(path);
        writer.write_text_bytes(&line)?;
    }
    writer.write_flush()?;
    writer.write_text("status=success")?;
    writer.write_flush()?;
    writer.flush_stream()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    /// Encode text lines plus flushes the way git does (`None` = flush).
    pub(crate) fn pkts(items: &[Option<&[u8]>]) -> Vec<u8> {
        let mut w = Writer::new(Vec::new());
        for item in items {
            match item {
                Some(line) => w.write_data(line).unwrap(),
                None => w.write_flush().unwrap(),
            }
        }
        w.into_inner()
    }

    fn run_handshake(
        input: &[u8],
        supported: &[Capability],
    ) -> (Result<Negotiated, Error>, Vec<u8>) {
        let mut r = Reader::new(Cursor::new(input.to_vec()));
        let mut w = Writer::new(Vec::new());
        let res = handshake(&mut r, &mut w, supported);
        (res, w.into_inner())
    }

    const ALL: &[Capability] = &[Capability::Clean, Capability::Smudge, Capability::Delay];

    #[test]
    fn handshake_answers_offered_capabilities() {
        let input = pkts(&[
            Some(b"git-filter-client\n"),
            Some(b"version=2\n"),
            None,
            Some(b"capability=clean\n"),
            Some(b"capability=smudge\n"),
            Some(b"capability=delay\n"),
            None,
        ]);
        let (res, out) = run_handshake(&input, ALL);
        assert_eq!(res.unwrap().capabilities, ALL.to_vec());
        assert_eq!(
            out,
            b"0016git-filter-server\n000eversion=2\n0000\
              0015capability=clean\n0016capability=smudge\n0015capability=delay\n0000"
        );
    }

    #[test]
    fn handshake_never_answers_unoffered_capability() {
        let input = pkts(&[
            Some(b"git-filter-client"),
            Some(b"version=2"),
            Some(b"version=3"),
            None,
            Some(b"capability=smudge"),
            Some(b"capability=future"),
            None,
        ]);
        let (res, out) = run_handshake(&input, ALL);
        let neg = res.unwrap();
        assert_eq!(neg.capabilities, vec![Capability::Smudge]);
        assert!(!neg.has(Capability::Delay));
        assert!(out.ends_with(b"0016capability=smudge\n0000"));
    }

    #[test]
    fn handshake_errors() {
        let bad_welcome = pkts(&[Some(b"git-filter-server"), Some(b"version=2"), None]);
        assert!(matches!(
            run_handshake(&bad_welcome, ALL).0,
            Err(Error::BadWelcome(_))
        ));
        let no_v2 = pkts(&[Some(b"git-filter-client"), Some(b"version=3"), None]);
        assert!(matches!(
            run_handshake(&no_v2, ALL).0,
            Err(Error::NoSupportedVersion(_))
        ));
        assert!(matches!(
            run_handshake(b"", ALL).0,
            Err(Error::EofInHandshake)
        ));
        let garbage = pkts(&[Some(b"git-filter-client"), Some(b"version"), None]);
        assert!(matches!(
            run_handshake(&garbage, ALL).0,
            Err(Error::BadHandshakeLine(_))
        ));
        let cut = pkts(&[
            Some(b"git-filter-client"),
            Some(b"version=2"),
            None,
            Some(b"capability=clean"),
        ]);
        assert!(matches!(run_handshake(&cut, ALL).0, Err(Error::PktLine(_))));
    }

    fn read_one(input: &[u8]) -> Result<Option<Incoming>, Error> {
        read_request(&mut Reader::new(Cursor::new(input.to_vec())))
    }

    #[test]
    fn parses_smudge_with_metadata() {
        let input = pkts(&[
            Some(b"command=smudge\n"),
            Some(b"pathname=dir/a b.dvc\n"),
            Some(b"ref=refs/heads/main\n"),
            Some(b"treeish=0123456789012345678901234567890123456789\n"),
            Some(b"blob=abcdefabcdefabcdefabcdefabcdefabcdefabcd\n"),
            Some(b"can-delay=1\n"),
            Some(b"future=x=y\n"),
            None,
            Some(b"outs:\n"),
            Some(b"- md5: x\n"),
            None,
        ]);
        let Some(Incoming::Request(req)) = read_one(&input).unwrap() else {
            panic!("not a request")
        };
        assert_eq!(req.command, Command::Smudge);
        assert_eq!(req.pathname_str(), Some("dir/a b.dvc"));
        assert_eq!(req.metadata.git_ref.as_deref(), Some("refs/heads/main"));
        assert_eq!(
            req.metadata.treeish.as_deref(),
            Some("0123456789012345678901234567890123456789")
        );
        assert_eq!(
            req.metadata.blob.as_deref(),
            Some("abcdefabcdefabcdefabcdefabcdefabcdefabcd")
        );
        assert!(req.metadata.can_delay);
        assert_eq!(
            req.metadata.other,
            vec![("future".to_owned(), "x=y".to_owned())]
        );
        assert_eq!(req.content, b"outs:\n- md5: x\n");
    }

    #[test]
    fn parses_clean_with_empty_content_and_list() {
        let input = pkts(&[
            Some(b"command=clean"),
            Some(b"pathname=x.dvc"),
            None,
            None,
            Some(b"command=list_available_blobs"),
            None,
        ]);
        let mut r = Reader::new(Cursor::new(input));
        let Some(Incoming::Request(req)) = read_request(&mut r).unwrap() else {
            panic!()
        };
        assert_eq!(
            (req.command, req.content.len(), req.metadata.can_delay),
            (Command::Clean, 0, false)
        );
        let Some(Incoming::Request(req)) = read_request(&mut r).unwrap() else {
            panic!()
        };
        assert_eq!(req.command, Command::ListAvailableBlobs);
        assert!(read_request(&mut r).unwrap().is_none());
    }

    #[test]
    fn broken_requests_stay_in_sync() {
        let input = pkts(&[
            // unknown command with a pathname: content is consumed
            Some(b"command=frobnicate"),
            Some(b"pathname=a.dvc"),
            None,
            Some(b"data"),
            None,
            // line without '='
            Some(b"command=clean"),
            Some(b"pathname=b.dvc"),
            Some(b"garbage"),
            None,
            Some(b"x"),
            None,
            // no pathname
            Some(b"command=smudge"),
            None,
            None,
            // no command, no pathname: nothing follows
            Some(b"ref=x"),
            None,
            Some(b"command=clean"),
            Some(b"pathname=ok.dvc"),
            None,
            Some(b"fine"),
            None,
        ]);
        let mut r = Reader::new(Cursor::new(input));
        for expected_path in [Some(&b"a.dvc"[..]), Some(b"b.dvc"), None, None] {
            match read_request(&mut r).unwrap() {
                Some(Incoming::Broken(b)) => assert_eq!(b.pathname.as_deref(), expected_path),
                other => panic!("expected broken, got {other:?}"),
            }
        }
        let Some(Incoming::Request(req)) = read_request(&mut r).unwrap() else {
            panic!()
        };
        assert_eq!(req.content, b"fine");
    }

    #[test]
    fn truncated_request_is_fatal() {
        let input = pkts(&[
            Some(b"command=smudge"),
            Some(b"pathname=a.dvc"),
            None,
            Some(b"abc"),
        ]);
        assert!(matches!(read_one(&input), Err(Error::PktLine(_))));
        assert!(matches!(read_one(b"00zz"), Err(Error::PktLine(_))));
    }

    #[test]
    fn non_utf8_pathname_is_kept_raw() {
        let input = pkts(&[
            Some(b"command=smudge"),
            Some(b"pathname=\xff.dvc"),
            None,
            None,
        ]);
        let Some(Incoming::Request(req)) = read_one(&input).unwrap() else {
            panic!()
        };
        assert_eq!(req.pathname, b"\xff.dvc");
        assert_eq!(req.pathname_str(), None);
    }

    #[test]
    fn responses_are_encoded_like_git_expects() {
        let mut w = Writer::new(Vec::new());
        write_success(&mut w, b"abc").unwrap();
        assert_eq!(w.into_inner(), b"0013status=success\n00000007abc00000000");

        let mut w = Writer::new(Vec::new());
        write_success(&mut w, b"").unwrap();
        assert_eq!(w.into_inner(), b"0013status=success\n000000000000");

        let mut w = Writer::new(Vec::new());
        write_status(&mut w, Status::Delayed).unwrap();
        write_status(&mut w, Status::Error).unwrap();
        write_status(&mut w, Status::Abort).unwrap();
        assert_eq!(
            w.into_inner(),
            b"0013status=delayed\n00000011status=error\n00000011status=abort\n0000"
        );

        let mut w = Writer::new(Vec::new());
        write_available_blobs(&mut w, &[b"a.dvc".to_vec(), b"d/b.dvc".to_vec()]).unwrap();
        assert_eq!(
            w.into_inner(),
            b"0013pathname=a.dvc\n0015pathname=d/b.dvc\n00000013status=success\n0000"
        );

        let mut w = Writer::new(Vec::new());
        write_available_blobs(&mut w, &[]).unwrap();
        assert_eq!(w.into_inner(), b"00000013status=success\n0000");
    }
}
