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
    fn oid_validation() {
        assert!(is_valid_oid("d751713988987e9331980363e24189ce.dir"));
        assert!(is_valid_oid(EMPTY_MD5));
        assert!(!is_valid_oid("../../etc/passwd"));
        assert!(!is_valid_oid("D41D8CD98F00B204E9800998ECF8427E"));
    }
}
