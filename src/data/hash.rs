//! Streaming MD5 hashing of files, 3.x (`md5`) and legacy 2.x (`md5-dos2unix`).
//!
//! Hashing reads each file once. When the caller also needs a copy in the cache, the
//! same buffers feed the copy (see `odb::Odb::add_file`), so the bytes are read once.
#![expect(
    clippy::disallowed_methods,
    reason = "hot path: std::fs without a path copy per call; every io::Error is mapped into an error that names its path"
)]

use md5::{Digest, Md5};
use std::io::{self, Read};
use std::path::Path;

/// The hash of the empty string (and of an empty file).
pub const EMPTY_MD5: &str = "d41d8cd98f00b204e9800998ecf8427e";

/// Files up to this size are read with one `read_to_end`.
pub const SMALL_FILE: u64 = 1 << 20;

/// The read size for streaming larger files: small enough that each chunk is still in
/// the CPU cache when md5 reads it after the kernel's copy.
pub const STREAM_CHUNK: usize = 128 << 10;

/// Lowercase hex md5 of a byte slice.
pub fn md5_bytes(bytes: &[u8]) -> String {
    hex::encode(Md5::digest(bytes))
}

/// A binary md5 digest: 16 bytes where a hex `String` would take 56 (its 32 digits on the
/// heap plus the `String` itself), which is what a million-entry manifest is made of.
/// Shown (`Display`, [`Md5Digest::hex`]) as 32 lowercase hex digits, the only spelling dvc
/// writes; parsed from either case. Ordering is the ordering of the lowercase hex.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Md5Digest(pub [u8; 16]);

/// The 32 lowercase hex digits of an [`Md5Digest`], on the stack.
#[derive(Clone, Copy)]
pub struct Md5Hex([u8; 32]);

impl Md5Hex {
    /// The digits as a string slice.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("holds because hex digits are ASCII")
    }
}

impl std::ops::Deref for Md5Hex {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl Md5Digest {
    /// Parse 32 hex digits of either case; `None` for anything else.
    pub fn from_hex(hex_digits: &str) -> Option<Md5Digest> {
        let mut raw = [0u8; 16];
        if hex_digits.len() != 32 {
            return None;
        }
        hex::decode_to_slice(hex_digits, &mut raw).ok()?;
        Some(Md5Digest(raw))
    }

    /// The digest of a hex md5 this program computed itself (the hashers here write 32
    /// lowercase hex digits); text from outside goes through [`Md5Digest::from_hex`].
    pub fn from_computed(hex_digits: &str) -> Md5Digest {
        Md5Digest::from_hex(hex_digits)
            .expect("holds because the hashers of this module write 32 hex digits")
    }

    /// The lowercase hex digits without a heap allocation.
    pub fn hex(&self) -> Md5Hex {
        let mut out = [0u8; 32];
        hex::encode_to_slice(self.0, &mut out).expect("holds because 32 = 2 * 16");
        Md5Hex(out)
    }

    /// The lowercase hex digits as a `String`.
    pub fn to_hex(&self) -> String {
        self.hex().as_str().to_string()
    }
}

impl From<[u8; 16]> for Md5Digest {
    fn from(raw: [u8; 16]) -> Md5Digest {
        Md5Digest(raw)
    }
}

impl std::fmt::Display for Md5Digest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.hex().as_str())
    }
}

impl std::fmt::Debug for Md5Digest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Md5Digest({})", self.hex().as_str())
    }
}

/// Why a string is not an md5.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("not an md5 (32 hex digits): {0:?}")]
pub struct BadMd5(pub String);

impl std::str::FromStr for Md5Digest {
    type Err = BadMd5;
    fn from_str(s: &str) -> Result<Md5Digest, BadMd5> {
        Md5Digest::from_hex(s).ok_or_else(|| BadMd5(s.to_string()))
    }
}

impl PartialEq<str> for Md5Digest {
    fn eq(&self, other: &str) -> bool {
        Md5Digest::from_hex(other).is_some_and(|o| o == *self)
            && other.bytes().all(|b| !b.is_ascii_uppercase())
    }
}

impl PartialEq<&str> for Md5Digest {
    fn eq(&self, other: &&str) -> bool {
        *self == **other
    }
}

impl PartialEq<String> for Md5Digest {
    fn eq(&self, other: &String) -> bool {
        *self == **other
    }
}

/// An incremental md5 that also counts bytes.
#[derive(Default, Clone)]
pub struct Hasher {
    inner: Md5,
    len: u64,
}

impl Hasher {
    /// A fresh hasher.
    pub fn new() -> Self {
        Self::default()
    }
    /// Feed bytes.
    pub fn update(&mut self, bytes: &[u8]) {
        self.inner.update(bytes);
        self.len += bytes.len() as u64;
    }
    /// Finish: (lowercase hex md5, byte count).
    pub fn finish(self) -> (String, u64) {
        (hex::encode(self.inner.finalize()), self.len)
    }
}

/// md5 and size of a file's bytes (3.x `md5`).
pub fn md5_file(path: &Path) -> io::Result<(String, u64)> {
    let mut file = std::fs::File::open(path)?;
    md5_reader(&mut file)
}

/// md5 and size of everything a reader yields.
pub fn md5_reader(reader: &mut impl Read) -> io::Result<(String, u64)> {
    let mut hasher = Hasher::new();
    let mut buf = vec![0u8; STREAM_CHUNK];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buf[..n]);
    }
    Ok(hasher.finish())
}

/// Legacy 2.x hash: per 1 MiB chunk, if the chunk's first 512 bytes look like text,
/// CRLF becomes LF within that chunk before hashing (spec §3.2). Returns (md5, raw size).
pub fn md5_dos2unix_file(path: &Path) -> io::Result<(String, u64)> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Md5::new();
    let mut size = 0u64;
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = read_full(&mut file, &mut buf)?;
        if n == 0 {
            break;
        }
        size += n as u64;
        let chunk = &buf[..n];
        if is_text(&chunk[..chunk.len().min(512)]) {
            hasher.update(dos2unix(chunk));
        } else {
            hasher.update(chunk);
        }
        if n < buf.len() {
            break;
        }
    }
    Ok((hex::encode(hasher.finalize()), size))
}

/// Fill `buf` as far as the reader allows (a short count means EOF).
fn read_full(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
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

/// DVC's text heuristic: empty is text; a NUL means binary; otherwise text iff at most
/// 30% of the bytes are outside printable ASCII and `\n\r\t\f\b`.
pub fn is_text(block: &[u8]) -> bool {
    if block.is_empty() {
        return true;
    }
    if block.contains(&0) {
        return false;
    }
    let nontext = block
        .iter()
        .filter(|&&b| {
            !((0x20..=0x7e).contains(&b) || matches!(b, b'\n' | b'\r' | b'\t' | 0x0c | 0x08))
        })
        .count();
    (nontext as f64) / (block.len() as f64) <= 0.30
}

fn dos2unix(chunk: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(chunk.len());
    let mut i = 0;
    while i < chunk.len() {
        if chunk[i] == b'\r' && chunk.get(i + 1) == Some(&b'\n') {
            out.push(b'\n');
            i += 2;
        } else {
            out.push(chunk[i]);
            i += 1;
        }
    }
    out
}

/// md5 of a file with the algorithm an out uses (`legacy` = md5-dos2unix).
pub fn hash_file(path: &Path, legacy: bool) -> io::Result<(String, u64)> {
    if legacy {
        md5_dos2unix_file(path)
    } else {
        md5_file(path)
    }
}

/// True for a plausible lowercase md5 hex digest (optionally with `.dir`).
pub fn is_valid_oid(oid: &str) -> bool {
    let hex_part = oid.strip_suffix(".dir").unwrap_or(oid);
    hex_part.len() == 32
        && hex_part
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_and_known() {
        assert_eq!(md5_bytes(b""), EMPTY_MD5);
        assert_eq!(md5_bytes(b"hello\n"), "b1946ac92492d2347c6235b4d2611184");
    }

    #[test]
    fn dos2unix_legacy_matches_spec() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("crlf.txt");
        std::fs::write(&p, b"a\r\nb\r\n").unwrap();
        assert_eq!(
            md5_dos2unix_file(&p).unwrap().0,
            "dd8c6a395b5dd36c56d23275028f526c"
        );
        assert_eq!(md5_file(&p).unwrap().0, "59b0d7772f0561efb95518f3cb8abc60");
    }

    #[test]
    fn binary_is_not_converted() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("bin");
        std::fs::write(&p, b"a\r\n\0b\r\n").unwrap();
        assert_eq!(md5_dos2unix_file(&p).unwrap().0, md5_bytes(b"a\r\n\0b\r\n"));
    }

    #[test]
    fn md5_digest_round_trips_through_lowercase_hex() {
        let d = Md5Digest::from_hex("D41D8CD98F00B204E9800998ECF8427E").expect("hex");
        assert_eq!(d.to_hex(), EMPTY_MD5);
        assert_eq!(d.to_string(), EMPTY_MD5);
        assert_eq!(format!("{d:>34}"), format!("  {EMPTY_MD5}"));
        assert_eq!(d, EMPTY_MD5);
        assert_ne!(d, "D41D8CD98F00B204E9800998ECF8427E");
        assert_eq!(EMPTY_MD5.parse::<Md5Digest>(), Ok(d));
        assert!(Md5Digest::from_hex("d41d8cd98f00b204e9800998ecf8427").is_none());
        assert!(Md5Digest::from_hex("d41d8cd98f00b204e9800998ecf8427g").is_none());
        assert!(Md5Digest::from_hex("d41d8cd98f00b204e9800998ecf8427ee").is_none());
        let (a, b) = (Md5Digest([0x0f; 16]), Md5Digest([0xa0; 16]));
        assert_eq!(a.cmp(&b), a.to_hex().cmp(&b.to_hex()));
    }

    #[test]
    fn oid_validation() {
        assert!(is_valid_oid("d751713988987e9331980363e24189ce.dir"));
        assert!(is_valid_oid(EMPTY_MD5));
        assert!(!is_valid_oid("../../etc/passwd"));
        assert!(!is_valid_oid("D41D8CD98F00B204E9800998ECF8427E"));
    }
}
