//! The benchmark's "floor": the least work any tool must do to `add` a directory.
//!
//! For every file under SRC: read it, MD5 it, write the bytes to a temp file in
//! CACHE/files/md5/<2>/, rename it to its hash, chmod 0444. No manifest, no state, no
//! .dvc file. Two worker threads (the benchmark machine has 2 cores; override with -j).
//! Standalone on purpose (std only, built with plain `rustc -O`), so it shares no code
//! with git-dvc. Usage: floor [-j N] SRC CACHE
use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut jobs = 2;
    if args.len() >= 2 && args[0] == "-j" {
        jobs = args[1].parse().expect("-j takes a number");
        args.drain(..2);
    }
    let [src, cache] = <[String; 2]>::try_from(args).expect("usage: floor [-j N] SRC CACHE");
    let mut files = Vec::new();
    walk(Path::new(&src), &mut files);
    let base = Path::new(&cache).join("files/md5");
    for i in 0..256 {
        fs::create_dir_all(base.join(format!("{i:02x}"))).expect("mkdir");
    }
    let queue = Mutex::new(files.into_iter());
    std::thread::scope(|s| {
        for t in 0..jobs {
            let (queue, base) = (&queue, &base);
            s.spawn(move || {
                let mut n = 0u64;
                loop {
                    let Some(path) = queue.lock().unwrap().next() else { break };
                    let data = fs::read(&path).expect("read");
                    let hex = to_hex(&md5(&data));
                    let dir = base.join(&hex[..2]);
                    let tmp = dir.join(format!(".floor-{t}-{n}.tmp"));
                    n += 1;
                    let mut f = fs::File::create(&tmp).expect("create");
                    f.write_all(&data).expect("write");
                    drop(f);
                    fs::set_permissions(&tmp, fs::Permissions::from_mode(0o444)).expect("chmod");
                    fs::rename(&tmp, dir.join(&hex[2..])).expect("rename");
                }
            });
        }
    });
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("read_dir") {
        let entry = entry.expect("entry");
        let ty = entry.file_type().expect("file type");
        if ty.is_dir() {
            walk(&entry.path(), out);
        } else if ty.is_file() {
            out.push(entry.path());
        }
    }
}

fn to_hex(d: &[u8; 16]) -> String {
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// RFC 1321 MD5, straightforward.
fn md5(data: &[u8]) -> [u8; 16] {
    const S: [u32; 64] = [
        7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5,
        9, 14, 20, 5, 9, 14, 20, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6, 10,
        15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
    ];
    let k: [u32; 64] = std::array::from_fn(|i| ((i as f64 + 1.0).sin().abs() * 4294967296.0) as u32);
    let (mut a0, mut b0, mut c0, mut d0) = (0x67452301u32, 0xefcdab89u32, 0x98badcfeu32, 0x10325476u32);
    let mut msg = data.to_vec();
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&((data.len() as u64).wrapping_mul(8)).to_le_bytes());
    for chunk in msg.chunks_exact(64) {
        let m: [u32; 16] = std::array::from_fn(|i| u32::from_le_bytes(chunk[i * 4..i * 4 + 4].try_into().unwrap()));
        let (mut a, mut b, mut c, mut d) = (a0, b0, c0, d0);
        for i in 0..64 {
            let (f, g) = match i / 16 {
                0 => ((b & c) | (!b & d), i),
                1 => ((d & b) | (!d & c), (5 * i + 1) % 16),
                2 => (b ^ c ^ d, (3 * i + 5) % 16),
                _ => (c ^ (b | !d), (7 * i) % 16),
            };
            let f = f.wrapping_add(a).wrapping_add(k[i]).wrapping_add(m[g]);
            a = d;
            d = c;
            c = b;
            b = b.wrapping_add(f.rotate_left(S[i]));
        }
        a0 = a0.wrapping_add(a);
        b0 = b0.wrapping_add(b);
        c0 = c0.wrapping_add(c);
        d0 = d0.wrapping_add(d);
    }
    let mut out = [0u8; 16];
    for (i, v) in [a0, b0, c0, d0].iter().enumerate() {
        out[i * 4..i * 4 + 4].copy_from_slice(&v.to_le_bytes());
    }
    out
}
