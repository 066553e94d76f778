//! pkt-line framing, as git's long-running filter protocol uses it.
//!
//! A packet is 4 lowercase-or-uppercase hex digits giving the total length (header
//! included), then the payload. `0000` is a flush packet; `0001` (delim) and `0002`
//! (response-end) exist in protocol v2 and are decoded but unused by the filter
//! protocol. The largest packet is 65520 bytes (git's `LARGE_PACKET_MAX`), so a payload
//! holds at most [`MAX_PAYLOAD`] = 65516 bytes. Text packets end in an optional LF that
//! the reader strips (git does the same).
//!
//! Pure codec over generic `Read`/`Write`: no filesystem, no process state. Hostile
//! input (bad hex, lengths 1..=3 besides the specials, oversize, truncated payload)
//! is a typed [`Error`], never a panic.

use std::io::{self, Read, Write};

/// Largest packet including its 4-byte header (git's `LARGE_PACKET_MAX`).
pub const MAX_PACKET: usize = 65520;
/// Largest payload of one data packet.
pub const MAX_PAYLOAD: usize = MAX_PACKET - 4;

/// One decoded packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Packet {
    /// A data packet with its payload (possibly empty, for the unusual `0004`).
    Data(Vec<u8>),
    /// `0000`.
    Flush,
    /// `0001` (protocol v2 delimiter; not used by the filter protocol).
    Delim,
    /// `0002` (protocol v2 response end; not used by the filter protocol).
    ResponseEnd,
}

/// pkt-line decoding and encoding errors.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The underlying stream failed.
    #[error("pkt-line I/O error")]
    Io(#[from] io::Error),
    /// The 4-byte header is not hex.
    #[error("malformed pkt-line length header {header:?}")]
    BadHeader {
        /// The raw header bytes, rendered lossily.
        header: String,
    },
    /// The header encodes an impossible length (1..=3 besides the specials are reserved).
    #[error("invalid pkt-line length {length}")]
    BadLength {
        /// The decoded length.
        length: usize,
    },
    /// The header announces more than [`MAX_PACKET`] bytes.
    #[error("pkt-line of {length} bytes exceeds the maximum of {MAX_PACKET}")]
    Oversize {
        /// The decoded length.
        length: usize,
    },
    /// The stream ended inside a packet.
    #[error("unexpected end of stream inside a pkt-line (wanted {wanted} more bytes)")]
    Truncated {
        /// Bytes still missing when the stream ended.
        wanted: usize,
    },
    /// A payload to write is longer than [`MAX_PAYLOAD`].
    #[error("payload of {length} bytes does not fit in one pkt-line")]
    PayloadTooLong {
        /// Length of the rejected payload.
        length: usize,
    },
    /// A text packet was expected but a flush or special packet came.
    #[error("expected a text pkt-line, got {got}")]
    UnexpectedPacket {
        /// What arrived instead.
        got: &'static str,
    },
    /// A text line is not UTF-8.
    #[error("pkt-line text is not valid UTF-8")]
    NotUtf8,
}

impl Error {
    /// True when the peer simply went away (EOF in the middle of a packet or a broken pipe).
    pub fn is_disconnect(&self) -> bool {
        match self {
            Error::Truncated { .. } => true,
            Error::Io(e) => matches!(
                e.kind(),
                io::ErrorKind::BrokenPipe
                    | io::ErrorKind::UnexpectedEof
                    | io::ErrorKind::ConnectionReset
            ),
            _ => false,
        }
    }
}

/// Reads packets from a byte stream.
#[derive(Debug)]
pub struct Reader<R> {
    inner: R,
}

impl<R: Read> Reader<R> {
    /// Wrap a stream. Callers should pass a buffered reader: packets are read in small pieces.
    pub fn new(inner: R) -> Self {
        Reader { inner }
    }

    /// The wrapped stream.
    pub fn into_inner(self) -> R {
        self.inner
    }

    /// Read one packet. `Ok(None)` means a clean end of stream before any header byte.
    pub fn read_packet(&mut self) -> Result<Option<Packet>, Error> {
        let mut header = [0u8; 4];
        let got = read_full(&mut self.inner, &mut header)?;
        if got == 0 {
            return Ok(None);
        }
        if got < header.len() {
            return Err(Error::Truncated {
                wanted: header.len() - got,
            });
        }
        let length = parse_header(&header)?;
        match length {
            0 => return Ok(Some(Packet::Flush)),
            1 => return Ok(Some(Packet::Delim)),
            2 => return Ok(Some(Packet::ResponseEnd)),
            3 => return Err(Error::BadLength { length }),
            _ => {}
        }
        if length > MAX_PACKET {
            return Err(Error::Oversize { length });
        }
        let mut payload = vec![0u8; length - 4];
        let got = read_full(&mut self.inner, &mut payload)?;
        if got < payload.len() {
            return Err(Error::Truncated {
                wanted: payload.len() - got,
            });
        }
        Ok(Some(Packet::Data(payload)))
    }

    /// Read one packet, treating end of stream as an error.
    pub fn read_packet_required(&mut self) -> Result<Packet, Error> {
        self.read_packet()?.ok_or(Error::Truncated { wanted: 4 })
    }

    /// Read a list of text lines up to the next flush; one trailing LF per line is stripped.
    ///
    /// `Ok(None)` on a clean end of stream before the first packet.
    pub fn read_text_list(&mut self) -> Result<Option<Vec<String>>, Error> {
        let mut lines = Vec::new();
        let mut first = true;
        loop {
            let packet = if first {
                self.read_packet()?
            } else {
                Some(self.read_packet_required()?)
            };
            first = false;
            match packet {
                None => return Ok(None),
                Some(Packet::Flush) => return Ok(Some(lines)),
                Some(Packet::Data(payload)) => lines.push(text_from_payload(payload)?),
                Some(Packet::Delim) => return Err(Error::UnexpectedPacket { got: "delim" }),
                Some(Packet::ResponseEnd) => {
                    return Err(Error::UnexpectedPacket {
                        got: "response-end",
                    });
                }
            }
        }
    }

    /// Read raw lines (bytes, one trailing LF stripped) up to the next flush.
    ///
    /// Used for request headers, where a pathname may not be UTF-8.
    /// `Ok(None)` on a clean end of stream before the first packet.
    pub fn read_line_list(&mut self) -> Result<Option<Vec<Vec<u8>>>, Error> {
        let mut lines = Vec::new();
        let mut first = true;
        loop {
            let packet = if first {
                self.read_packet()?
            } else {
                Some(self.read_packet_required()?)
            };
            first = false;
            match packet {
                None => return Ok(None),
                Some(Packet::Flush) => return Ok(Some(lines)),
                Some(Packet::Data(mut payload)) => {
                    if payload.last() == Some(&b'\n') {
                        payload.pop();
                    }
                    lines.push(payload);
                }
                Some(Packet::Delim) => return Err(Error::UnexpectedPacket { got: "delim" }),
                Some(Packet::ResponseEnd) => {
                    return Err(Error::UnexpectedPacket {
                        got: "response-end",
                    });
                }
            }
        }
    }

    /// Read data packets up to the next flush and concatenate their payloads.
    pub fn read_content(&mut self) -> Result<Vec<u8>, Error> {
        let mut content = Vec::new();
        loop {
            match self.read_packet_required()? {
                Packet::Flush => return Ok(content),
                Packet::Data(payload) => content.extend_from_slice(&payload),
                Packet::Delim => return Err(Error::UnexpectedPacket { got: "delim" }),
                Packet::ResponseEnd => {
                    return Err(Error::UnexpectedPacket {
                        got: "response-end",
                    });
                }
            }
        }
    }
}

fn text_from_payload(mut payload: Vec<u8>) -> Result<String, Error> {
    if payload.last() == Some(&b'\n') {
        payload.pop();
    }
    String::from_utf8(payload).map_err(|_| Error::NotUtf8)
}

fn parse_header(header: &[u8; 4]) -> Result<usize, Error> {
    let mut length = 0usize;
    for &b in header {
        let digit = match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'f' => b - b'a' + 10,
            b'A'..=b'F' => b - b'A' + 10,
            _ => {
                return Err(Error::BadHeader {
                    header: String::from_utf8_lossy(header).into_owned(),
                });
            }
        };
        length = length * 16 + usize::from(digit);
    }
    Ok(length)
}

/// Read until `buf` is full or the stream ends; returns the number of bytes read.
fn read_full<R: Read>(reader: &mut R, buf: &mut [u8]) -> Result<usize, io::Error> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Writes packets to a byte stream.
#[derive(Debug)]
pub struct Writer<W> {
    inner: W,
}

impl<W: Write> Writer<W> {
    /// Wrap a stream. Call [`Writer::flush_stream`] after each complete response.
    pub fn new(inner: W) -> Self {
        Writer { inner }
    }

    /// The wrapped stream.
    pub fn into_inner(self) -> W {
        self.inner
    }

    /// Borrow the wrapped stream.
    pub fn get_ref(&self) -> &W {
        &self.inner
    }

    /// Write one data packet.
    pub fn write_data(&mut self, payload: &[u8]) -> Result<(), Error> {
        if payload.len() > MAX_PAYLOAD {
            return Err(Error::PayloadTooLong {
                length: payload.len(),
            });
        }
        let header = format!("{:04x}", payload.len() + 4);
        self.inner.write_all(header.as_bytes())?;
        self.inner.write_all(payload)?;
        Ok(())
    }

    /// Write a text packet: `line` followed by LF.
    pub fn write_text(&mut self, line: &str) -> Result<(), Error> {
        self.write_text_bytes(line.as_bytes())
    }

    /// Write a text packet from raw bytes, followed by LF.
    pub fn write_text_bytes(&mut self, line: &[u8]) -> Result<(), Error> {
        if line.len() + 1 > MAX_PAYLOAD {
            return Err(Error::PayloadTooLong {
                length: line.len() + 1,
            });
        }
        let header = format!("{:04x}", line.len() + 5);
        self.inner.write_all(header.as_bytes())?;
        self.inner.write_all(line)?;
        self.inner.write_all(b"\n")?;
        Ok(())
    }

    /// Write a flush packet (`0000`).
    pub fn write_flush(&mut self) -> Result<(), Error> {
        self.inner.write_all(b"0000")?;
        Ok(())
    }

    /// Write `content` as data packets of at most [`MAX_PAYLOAD`] bytes (no flush).
    pub fn write_content(&mut self, content: &[u8]) -> Result<(), Error> {
        for chunk in content.chunks(MAX_PAYLOAD) {
            self.write_data(chunk)?;
        }
        Ok(())
    }

    /// Flush the underlying stream so git sees the response.
    pub fn flush_stream(&mut self) -> Result<(), Error> {
        self.inner.flush()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn reader(bytes: &[u8]) -> Reader<Cursor<Vec<u8>>> {
        Reader::new(Cursor::new(bytes.to_vec()))
    }

    #[test]
    fn decodes_data_flush_and_specials() {
        let mut r = reader(b"0009hello0000000100020004");
        assert_eq!(
            r.read_packet().unwrap(),
            Some(Packet::Data(b"hello".to_vec()))
        );
        assert_eq!(r.read_packet().unwrap(), Some(Packet::Flush));
        assert_eq!(r.read_packet().unwrap(), Some(Packet::Delim));
        assert_eq!(r.read_packet().unwrap(), Some(Packet::ResponseEnd));
        assert_eq!(r.read_packet().unwrap(), Some(Packet::Data(Vec::new())));
        assert_eq!(r.read_packet().unwrap(), None);
    }

    #[test]
    fn uppercase_hex_is_accepted() {
        let mut r = reader(b"000Ahello!");
        assert_eq!(
            r.read_packet().unwrap(),
            Some(Packet::Data(b"hello!".to_vec()))
        );
    }

    #[test]
    fn text_list_strips_one_lf() {
        let mut r = reader(b"0016git-filter-client\n000eversion=2\n000bno-lf\n\n0000");
        let lines = r.read_text_list().unwrap().unwrap();
        assert_eq!(lines, vec!["git-filter-client", "version=2", "no-lf\n"]);
    }

    #[test]
    fn bad_header_is_an_error() {
        assert!(matches!(
            reader(b"zz12").read_packet(),
            Err(Error::BadHeader { .. })
        ));
        assert!(matches!(
            reader(b"00 9hello").read_packet(),
            Err(Error::BadHeader { .. })
        ));
    }

    #[test]
    fn reserved_length_is_an_error() {
        assert!(matches!(
            reader(b"0003").read_packet(),
            Err(Error::BadLength { length: 3 })
        ));
    }

    #[test]
    fn oversize_is_an_error() {
        assert!(matches!(
            reader(b"fff1").read_packet(),
            Err(Error::Oversize { length: 0xfff1 })
        ));
        assert!(matches!(
            reader(b"ffff").read_packet(),
            Err(Error::Oversize { .. })
        ));
    }

    #[test]
    fn short_reads_are_errors() {
        let e = reader(b"00").read_packet().unwrap_err();
        assert!(matches!(e, Error::Truncated { wanted: 2 }));
        assert!(e.is_disconnect());
        assert!(matches!(
            reader(b"0009hel").read_packet(),
            Err(Error::Truncated { wanted: 2 })
        ));
        // EOF in the middle of a list is not a clean end.
        assert!(matches!(
            reader(b"0009hello").read_text_list(),
            Err(Error::Truncated { .. })
        ));
        assert!(matches!(
            reader(b"0009hello").read_content(),
            Err(Error::Truncated { .. })
        ));
    }

    #[test]
    fn non_utf8_text_is_an_error() {
        assert!(matches!(
            reader(b"0006\xff\xfe0000").read_text_list(),
            Err(Error::NotUtf8)
        ));
        // ... but raw lines accept it.
        let lines = reader(b"0006\xff\xfe0000")
            .read_line_list()
            .unwrap()
            .unwrap();
        assert_eq!(lines, vec![vec![0xff, 0xfe]]);
    }

    #[test]
    fn delim_inside_lists_is_an_error() {
        assert!(matches!(
            reader(b"0001").read_text_list(),
            Err(Error::UnexpectedPacket { got: "delim" })
        ));
        assert!(matches!(
            reader(b"0002").read_content(),
            Err(Error::UnexpectedPacket { .. })
        ));
    }

    #[test]
    fn clean_eof_before_list() {
        assert_eq!(reader(b"").read_text_list().unwrap(), None);
        assert_eq!(reader(b"").read_line_list().unwrap(), None);
    }

    #[test]
    fn writes_text_data_and_flush() {
        let mut w = Writer::new(Vec::new());
        w.write_text("version=2").unwrap();
        w.write_data(b"abc").unwrap();
        w.write_flush().unwrap();
        assert_eq!(w.into_inner(), b"000eversion=2\n0007abc0000");
    }

    #[test]
    fn content_is_chunked_and_round_trips() {
        let content: Vec<u8> = (0..(MAX_PAYLOAD * 2 + 17))
            .map(|i| (i % 251) as u8)
            .collect();
        let mut w = Writer::new(Vec::new());
        w.write_content(&content).unwrap();
        w.write_flush().unwrap();
        let bytes = w.into_inner();
        assert_eq!(&bytes[..4], b"fff0");
        let mut r = reader(&bytes);
        assert_eq!(r.read_content().unwrap(), content);
        assert_eq!(r.read_packet().unwrap(), None);
    }

    #[test]
    fn empty_content_writes_nothing() {
        let mut w = Writer::new(Vec::new());
        w.write_content(b"").unwrap();
        assert!(w.into_inner().is_empty());
    }

    #[test]
    fn oversize_payload_is_rejected_on_write() {
        let mut w = Writer::new(Vec::new());
        assert!(matches!(
            w.write_data(&vec![0; MAX_PAYLOAD + 1]),
            Err(Error::PayloadTooLong { .. })
        ));
        assert!(matches!(
            w.write_text_bytes(&vec![b'a'; MAX_PAYLOAD]),
            Err(Error::PayloadTooLong { .. })
        ));
        assert!(w.write_data(&vec![0; MAX_PAYLOAD]).is_ok());
    }

    #[test]
    fn arbitrary_garbage_never_panics() {
        // A cheap deterministic fuzz: every prefix of a mixed stream, plus random bytes.
        let stream = b"0009hello0000zzzz0003fff10005\xff0000";
        for end in 0..stream.len() {
            let mut r = reader(&stream[..end]);
            for _ in 0..10 {
                if !matches!(r.read_packet(), Ok(Some(_))) {
                    break;
                }
            }
        }
        let mut seed = 0x2545f491u32;
        for _ in 0..200 {
            let bytes: Vec<u8> = (0..64)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 17;
                    seed ^= seed << 5;
                    b"0123456789abcdef\n="[(seed % 18) as usize]
                })
                .collect();
            let mut r = reader(&bytes);
            let _ = r.read_text_list();
            let _ = r.read_content();
        }
    }

    mod props {
        //! Property tests of the codec (issue 15, part 4); failures kept in
        //! `fuzz/regressions/pktline.txt`.
        use super::super::*;
        use proptest::prelude::*;
        use proptest::test_runner::{Config, FileFailurePersistence};
        use std::io::Cursor;

        #[derive(Debug, Clone)]
        enum Op {
            Content(Vec<u8>),
            Text(String),
            Flush,
        }

        fn op() -> impl Strategy<Value = Op> {
            prop_oneof![
                3 => proptest::collection::vec(any::<u8>(), 0..(2 * MAX_PAYLOAD + 10)).prop_map(Op::Content),
                2 => "[ -~]{0,40}".prop_map(Op::Text),
                1 => Just(Op::Flush),
            ]
        }

        proptest! {
            #![proptest_config(Config {
                cases: 64,
                failure_persistence: Some(Box::new(FileFailurePersistence::Direct("fuzz/regressions/pktline.txt"))),
                ..Config::default()
            })]

            /// What the writer writes, the reader reads back packet for packet: content in
            /// packets of at most MAX_PAYLOAD that join to the same bytes, text with its LF.
            #[test]
            fn write_then_read(ops in proptest::collection::vec(op(), 0..8)) {
                let mut w = Writer::new(Vec::new());
                for o in &ops {
                    match o {
                        Op::Content(c) => w.write_content(c).map_err(|e| TestCaseError::fail(e.to_string()))?,
                        Op::Text(t) => w.write_text(t).map_err(|e| TestCaseError::fail(e.to_string()))?,
                        Op::Flush => w.write_flush().map_err(|e| TestCaseError::fail(e.to_string()))?,
                    }
                }
                let bytes = w.into_inner();
                let mut r = Reader::new(Cursor::new(bytes));
                for o in &ops {
                    match o {
                        Op::Content(c) => {
                            let mut got = Vec::new();
                            while got.len() < c.len() {
                                match r.read_packet().map_err(|e| TestCaseError::fail(e.to_string()))? {
                                    Some(Packet::Data(d)) => {
                                        prop_assert!(!d.is_empty() && d.len() <= MAX_PAYLOAD);
                                        got.extend(d);
                                    }
                                    other => return Err(TestCaseError::fail(format!("{other:?} inside content"))),
                                }
                            }
                            prop_assert_eq!(&got, c);
                        }
                        Op::Text(t) => {
                            let p = r.read_packet().map_err(|e| TestCaseError::fail(e.to_string()))?;
                            prop_assert_eq!(p, Some(Packet::Data(format!("{t}\n").into_bytes())));
                        }
                        Op::Flush => {
                            let p = r.read_packet().map_err(|e| TestCaseError::fail(e.to_string()))?;
                            prop_assert_eq!(p, Some(Packet::Flush));
                        }
                    }
                }
                prop_assert_eq!(r.read_packet().map_err(|e| TestCaseError::fail(e.to_string()))?, None);
            }

            /// Any bytes: every read answers (never panics), no data packet is larger
            /// than the protocol allows, and a stream ends after finitely many packets.
            #[test]
            fn read_anything(bytes in proptest::collection::vec(any::<u8>(), 0..400), hex_heavy in "[0-9a-f]{0,64}") {
                for input in [bytes, hex_heavy.into_bytes()] {
                    let mut r = Reader::new(Cursor::new(input));
                    for _ in 0..1000 {
                        match r.read_packet() {
                            Ok(None) | Err(_) => break,
                            Ok(Some(Packet::Data(d))) => prop_assert!(d.len() <= MAX_PAYLOAD),
                            Ok(Some(_)) => {}
                        }
                    }
                    let mut r2 = Reader::new(Cursor::new(Vec::new()));
                    prop_assert!(matches!(r2.read_text_list(), Ok(None)));
                }
            }
        }
    }
}
