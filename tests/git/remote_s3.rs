//! push / pull / `status -c` against S3 (the harness's moto server on 127.0.0.1), with
//! dvc 3.67.1 and dvc-s3 as the oracle in both directions (issue 4, parts 2, 3 and 5).

use crate::harness::*;
use std::time::{Duration, Instant};

/// A git repo with data added by dvc and a default S3 remote `s3://<bucket>/store`.
fn project<'a>(env: &'a TestEnv, name: &str, endpoint: &str, bucket: &str) -> Dir<'a> {
    s3_create_bucket(env, endpoint, bucket);
    let repo = env.git_repo(name);
    repo.dvc(&["init", "-q"]).success();
    repo.write("f.txt", "hello\n");
    repo.make_dataset("data", 6);
    repo.write("data/sub/x", "x\n");
    repo.dvc(&["add", "-q", "f.txt", "data"]).success();
    let url = format!("s3://{bucket}/store");
    repo.dvc(&["remote", "add", "-q", "-d", "s3", &url])
        .success();
    repo.dvc(&["remote", "modify", "s3", "endpointurl", endpoint])
        .success();
    repo.git(&["add", "-A"]).success();
    repo.git(&["commit", "-qm", "data"]).success();
    repo
}

fn clone<'a>(env: &'a TestEnv, from: &str, to: &str) -> Dir<'a> {
    env.dir(".").git(&["clone", "-q", from, to]).success();
    env.dir(to)
}

/// Runs a boto3 snippet against the loopback server (`c` is the client) and returns
/// its stdout.
fn boto(env: &TestEnv, endpoint: &str, body: &str) -> String {
    let script = format!(
        "import boto3\n\
         c = boto3.client('s3', endpoint_url={endpoint:?}, region_name='us-east-1',\n\
         aws_access_key_id='testing', aws_secret_access_key='testing')\n{body}\n"
    );
    let mut cmd = env.command(oracle_bin_dir().join("python"), env.root());
    cmd.args(["-c", &script]);
    run_command(cmd, None).success().stdout.clone()
}

#[test]
fn s3_git_dvc_push_then_dvc_pull_and_back() {
    let mut env = TestEnv::new();
    let endpoint = env.use_s3();
    let gd = project(&env, "gd", &endpoint, "gd-push");
    let out = gd.gd(&["push"]);
    out.success();
    // f.txt, the .dir and its 7 files.
    assert_eq!(out.stdout, "9 files pushed\n", "{out:?}");
    gd.gd(&["push"])
        .success()
        .stdout_has("Everything is up to date.");
    // dvc-s3 pushing the same project to another bucket produces the same keys.
    let dv = project(&env, "dv", &endpoint, "dvc-push");
    dv.dvc(&["push", "-q"]).success();
    assert_same_text(
        "S3 listing",
        "dvc",
        &s3_listing(&env, &endpoint, "dvc-push", ""),
        "git-dvc",
        &s3_listing(&env, &endpoint, "gd-push", ""),
    );
    gd.dvc(&["status", "-c"])
        .success()
        .stdout_has("Cache and remote 's3' are in sync.");
    // dvc pulls what git-dvc pushed.
    let c = clone(&env, "gd", "c");
    c.dvc(&["pull", "-q"]).success();
    assert_eq!(c.read("data/sub/x"), "x\n");
    // git-dvc pulls what dvc pushed, into the same cache dvc builds.
    let g = clone(&env, "dv", "g");
    let out = g.gd(&["pull"]);
    out.success();
    assert!(
        out.stdout.ends_with("9 files fetched and 8 files added\n"),
        "{out:?}"
    );
    let d = clone(&env, "dv", "d");
    d.dvc(&["pull", "-q"]).success();
    assert_same_text(
        "cache listing",
        "dvc",
        &d.listing(".dvc/cache"),
        "git-dvc",
        &g.listing(".dvc/cache"),
    );
    assert_eq!(
        g.gd(&["status", "-c"]).success().stdout,
        "Cache and remote 's3' are in sync.\n"
    );
}

#[test]
fn s3_resume_and_corruption() {
    let mut env = TestEnv::new();
    let endpoint = env.use_s3();
    let repo = project(&env, "r", &endpoint, "resume");
    repo.gd(&["push", "-q"]).success();
    let full = s3_listing(&env, &endpoint, "resume", "");
    // Delete an object (an interrupted push never sent it); later corrupt another.
    let hello = md5_hex(b"hello\n");
    let x = md5_hex(b"x\n");
    boto(
        &env,
        &endpoint,
        &format!(
            "c.delete_object(Bucket='resume', Key='store/files/md5/{}/{}')",
            &hello[..2],
            &hello[2..]
        ),
    );
    let out = repo.gd(&["push"]);
    out.success();
    assert_eq!(out.stdout, "1 file pushed\n", "{out:?}");
    assert_eq!(s3_listing(&env, &endpoint, "resume", ""), full);
    boto(
        &env,
        &endpoint,
        &format!(
            "c.put_object(Bucket='resume', Key='store/files/md5/{}/{}', Body=b'evil\\n')",
            &x[..2],
            &x[2..]
        ),
    );
    let c = clone(&env, "r", "c");
    let out = c.gd(&["pull"]);
    out.code(1)
        .stderr_has(&format!("object '{x}' from remote 's3' is corrupt"));
    assert!(!c.exists(&cache_rel(&x)));
    assert!(
        !c.exists("data"),
        "nothing is checked out after a failed fetch"
    );
}

#[test]
fn s3_multipart_upload_round_trips_with_dvc() {
    let mut env = TestEnv::new();
    let endpoint = env.use_s3();
    // Objects over 5 MiB go up in parts of 5 MiB (S3's smallest), instead of over 512 MiB
    // in parts of 64 MiB: the same code path, at a size moto holds easily.
    env.set_var("GIT_DVC_S3_MULTIPART_THRESHOLD", (5u64 << 20).to_string());
    let repo = project(&env, "r", &endpoint, "multipart");
    let big: Vec<u8> = (0..(12u32 << 20) + 7)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let md5 = md5_hex(&big);
    repo.write("big.bin", &big);
    repo.gd(&["add", "-q", "big.bin"]).success();
    repo.git(&["add", "-A"]).success();
    repo.git(&["commit", "-qm", "big"]).success();
    repo.gd(&["push", "-q"]).success();
    // Three parts (5, 5 and 2 MiB): S3 names a multipart object's ETag `<md5 of the
    // parts' md5s>-<parts>`.
    let key = format!("store/files/md5/{}/{}", &md5[..2], &md5[2..]);
    let head = boto(
        &env,
        &endpoint,
        &format!(
            "h = c.head_object(Bucket='multipart', Key={key:?})\nprint(h['ETag'], h['ContentLength'])"
        ),
    );
    assert!(
        head.trim().ends_with(&format!("-3\" {}", big.len())),
        "not a 3-part upload of the whole file: {head}"
    );
    repo.dvc(&["status", "-c"])
        .success()
        .stdout_has("Cache and remote 's3' are in sync.");
    // dvc and git-dvc both read it back whole.
    let d = clone(&env, "r", "d");
    d.dvc(&["pull", "-q"]).success();
    assert!(d.read_bytes("big.bin") == big, "dvc pulled other bytes");
    let g = clone(&env, "r", "g");
    g.gd(&["pull", "-q"]).success();
    assert!(g.read_bytes("big.bin") == big, "git-dvc pulled other bytes");
    // A threshold below S3's smallest part is refused, clearly, when something is
    // uploaded (a download never reads it).
    env.set_var("GIT_DVC_S3_MULTIPART_THRESHOLD", "1000");
    let r = env.dir("r");
    r.gd(&["status", "-c"]).success();
    r.write("late.txt", "late\n");
    r.gd(&["add", "-q", "late.txt"]).success();
    r.gd(&["push"])
        .code(1)
        .stderr_has("GIT_DVC_S3_MULTIPART_THRESHOLD must be a number of bytes from 5242880");
}

#[test]
fn s3_unreachable_endpoint_is_a_clear_error() {
    let mut env = TestEnv::new();
    env.use_s3();
    let repo = env.git_repo("r");
    repo.dvc(&["init", "-q"]).success();
    repo.write("f.txt", "hello\n");
    repo.dvc(&["add", "-q", "f.txt"]).success();
    // A port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    repo.dvc(&["remote", "add", "-q", "-d", "s3", "s3://bucket/p"])
        .success();
    repo.dvc(&[
        "remote",
        "modify",
        "s3",
        "endpointurl",
        &format!("http://127.0.0.1:{port}"),
    ])
    .success();
    repo.dvc(&["remote", "modify", "s3", "connect_timeout", "2"])
        .success();
    let start = Instant::now();
    let out = repo.gd(&["push"]);
    out.code(1)
        .stderr_has("ERROR: failed to push data to the cloud - remote 's3':");
    assert!(start.elapsed() < Duration::from_secs(30), "{out:?}");
    repo.gd(&["status", "-c"]).failure();
}

#[test]
fn s3_bad_credentials_are_a_clear_error_without_secrets() {
    let mut env = TestEnv::new();
    let endpoint = env.use_s3();
    s3_create_bucket(&env, &endpoint, "creds");
    // No credentials anywhere: not in the environment, no profile files.
    env.remove_var("AWS_ACCESS_KEY_ID");
    env.remove_var("AWS_SECRET_ACCESS_KEY");
    let repo = env.git_repo("r");
    repo.dvc(&["init", "-q"]).success();
    repo.write("f.txt", "hello\n");
    repo.dvc(&["add", "-q", "f.txt"]).success();
    repo.dvc(&["remote", "add", "-q", "-d", "s3", "s3://creds/p"])
        .success();
    repo.dvc(&["remote", "modify", "s3", "endpointurl", &endpoint])
        .success();
    let out = repo.gd(&["push"]);
    out.code(1).stderr_has("failed to push data to the cloud");
    assert!(out.stderr.to_lowercase().contains("credentials"), "{out:?}");
    // A named profile that does not exist, with a secret in config.local: the secret
    // never shows.
    repo.dvc(&["remote", "modify", "s3", "profile", "nosuchprofile"])
        .success();
    let out = repo.gd(&["push"]);
    out.code(1);
    repo.dvc(&["remote", "modify", "-u", "s3", "profile"])
        .success();
    repo.dvc(&[
        "remote",
        "modify",
        "--local",
        "s3",
        "access_key_id",
        "AKIAEXAMPLE",
    ])
    .success();
    repo.dvc(&[
        "remote",
        "modify",
        "--local",
        "s3",
        "secret_access_key",
        "sup3r-s3cret-value",
    ])
    .success();
    let out = repo.gd(&["-v", "push"]);
    assert!(!out.stderr.contains("sup3r-s3cret-value"), "{out:?}");
    assert!(!out.stdout.contains("sup3r-s3cret-value"), "{out:?}");
}

/// A TCP relay in front of `target` (host:port) that records every byte clients send,
/// one buffer per connection: the HTTP requests as they went over the wire.
struct Recorder {
    port: u16,
    conns: Connections,
}

/// The bytes each client connection sent so far.
type Connections = std::sync::Arc<std::sync::Mutex<Vec<std::sync::Arc<std::sync::Mutex<Vec<u8>>>>>>;

impl Recorder {
    fn start(target: String) -> Recorder {
        use std::io::{Read, Write};
        use std::net::{TcpListener, TcpStream};
        use std::sync::{Arc, Mutex};
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let conns: Connections = Arc::default();
        let all = conns.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let Ok(server) = TcpStream::connect(&target) else {
                    continue;
                };
                let log: Arc<Mutex<Vec<u8>>> = Arc::default();
                all.lock().unwrap().push(log.clone());
                let (mut c_in, mut s_out) =
                    (client.try_clone().unwrap(), server.try_clone().unwrap());
                std::thread::spawn(move || {
                    let mut buf = [0u8; 65536];
                    while let Ok(n) = c_in.read(&mut buf) {
                        if n == 0 || s_out.write_all(&buf[..n]).is_err() {
                            break;
                        }
                        log.lock().unwrap().extend_from_slice(&buf[..n]);
                    }
                    let _ = s_out.shutdown(std::net::Shutdown::Write);
                });
                let (mut s_in, mut c_out) = (server, client);
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut s_in, &mut c_out);
                    let _ = c_out.shutdown(std::net::Shutdown::Write);
                });
            }
        });
        Recorder { port, conns }
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// (request line, lowercased header block) of every request seen so far; forget them.
    fn take(&self) -> Vec<(String, String)> {
        let conns = std::mem::take(&mut *self.conns.lock().unwrap());
        let mut out = Vec::new();
        for c in conns {
            let text = String::from_utf8_lossy(&c.lock().unwrap()).into_owned();
            for (i, _) in text.match_indices(" HTTP/1.1\r\n") {
                let start = text[..i].rfind("\r\n").map_or(0, |p| p + 2);
                let line = &text[start..i];
                if !["PUT ", "GET ", "HEAD ", "POST ", "DELETE "]
                    .iter()
                    .any(|m| line.starts_with(m))
                {
                    continue;
                }
                let rest = &text[i..];
                let end = rest.find("\r\n\r\n").unwrap_or(rest.len());
                out.push((line.to_owned(), rest[..end].to_ascii_lowercase()));
            }
        }
        out
    }
}

#[test]
fn s3_sse_customer_key_is_sent_as_dvc_sends_it() {
    let mut env = TestEnv::new();
    let moto = env.use_s3();
    let recorder = Recorder::start(moto.trim_start_matches("http://").to_owned());
    let endpoint = recorder.endpoint();
    let repo = project(&env, "r", &endpoint, "ssec");
    // A 256-bit key, base64, as dvc-s3 takes it (it sends the raw key's MD5 along).
    let key = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=";
    repo.dvc(&["remote", "modify", "--local", "s3", "sse_customer_key", key])
        .success();
    recorder.take();
    repo.gd(&["push", "-q"]).success();
    let ours = recorder.take();
    let puts: Vec<_> = ours.iter().filter(|(l, _)| l.starts_with("PUT ")).collect();
    assert_eq!(puts.len(), 9, "{ours:#?}");
    let header = "x-amz-server-side-encryption-customer-key-md5: ";
    let md5_of = |h: &str| {
        h.split("\r\n")
            .find_map(|l| l.strip_prefix(header))
            .map(str::to_owned)
    };
    for (line, headers) in &puts {
        assert!(
            headers.contains("x-amz-server-side-encryption-customer-algorithm: aes256"),
            "{line}: {headers}"
        );
        assert!(md5_of(headers).is_some(), "{line}: {headers}");
    }
    // dvc pulling with the same config sends the same key digest on its GETs.
    let c = clone(&env, "r", "c");
    c.dvc(&["remote", "modify", "--local", "s3", "sse_customer_key", key])
        .success();
    recorder.take();
    c.dvc(&["pull", "-q"]).success();
    let theirs = recorder.take();
    let dvc_md5: Vec<String> = theirs
        .iter()
        .filter(|(l, _)| l.starts_with("GET ") && !l.contains("list-type"))
        .filter_map(|(_, h)| md5_of(h))
        .collect();
    assert!(!dvc_md5.is_empty(), "{theirs:#?}");
    let ours_md5 = md5_of(&puts[0].1).unwrap();
    assert!(
        dvc_md5.iter().all(|m| *m == ours_md5),
        "{dvc_md5:?} vs {ours_md5}"
    );
    // And git-dvc's own GETs carry it too.
    let g = clone(&env, "r", "g");
    g.dvc(&["remote", "modify", "--local", "s3", "sse_customer_key", key])
        .success();
    recorder.take();
    g.gd(&["pull", "-q"]).success();
    assert_eq!(g.read("data/sub/x"), "x\n");
    let gets: Vec<_> = recorder
        .take()
        .into_iter()
        .filter(|(l, _)| l.starts_with("GET ") && !l.contains("list-type"))
        .collect();
    assert_eq!(gets.len(), 9, "{gets:#?}");
    assert!(
        gets.iter()
            .all(|(_, h)| md5_of(h).as_deref() == Some(ours_md5.as_str()))
    );
}

/// Makes a CA and a server certificate for 127.0.0.1 signed by it (PEM files in `dir`).
const MAKE_CERTS: &str = r#"import datetime, ipaddress, sys, os
from cryptography import x509
from cryptography.x509.oid import NameOID
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
d = sys.argv[1]
now = datetime.datetime.now(datetime.timezone.utc)
def name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
ca_key = ec.generate_private_key(ec.SECP256R1())
ca = (x509.CertificateBuilder().subject_name(name("git-dvc test CA")).issuer_name(name("git-dvc test CA"))
      .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
      .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=2))
      .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
      .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
      .sign(ca_key, hashes.SHA256()))
key = ec.generate_private_key(ec.SECP256R1())
cert = (x509.CertificateBuilder().subject_name(name("127.0.0.1")).issuer_name(ca.subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256()))
pem = serialization.Encoding.PEM
open(os.path.join(d, "ca.pem"), "wb").write(ca.public_bytes(pem))
open(os.path.join(d, "server.pem"), "wb").write(cert.public_bytes(pem))
open(os.path.join(d, "server.key"), "wb").write(key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
"#;

/// A moto server of this test's own, over TLS; killed on drop.
struct TlsMoto(std::process::Child);

impl Drop for TlsMoto {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn s3_ssl_verify_ca_bundle_and_disabled() {
    let mut env = TestEnv::new();
    env.use_s3();
    let dir = env.root().to_path_buf();
    let mut cmd = env.command(oracle_bin_dir().join("python"), &dir);
    cmd.args(["-c", MAKE_CERTS, dir.to_str().expect("utf-8")]);
    run_command(cmd, None).success();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let _server = TlsMoto(
        std::process::Command::new(oracle_bin_dir().join("moto_server"))
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .arg("-c")
            .arg(dir.join("server.pem"))
            .arg("-k")
            .arg(dir.join("server.key"))
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("moto_server"),
    );
    let endpoint = format!("https://127.0.0.1:{port}");
    let ca = dir.join("ca.pem");
    // Create the bucket once the server answers (through boto3, trusting the CA).
    let script = format!(
        "import boto3, time\n\
         c = boto3.client('s3', endpoint_url={endpoint:?}, region_name='us-east-1', verify={ca:?},\n\
         aws_access_key_id='testing', aws_secret_access_key='testing')\n\
         for i in range(300):\n\
         \x20   try:\n\
         \x20       c.create_bucket(Bucket='tls'); break\n\
         \x20   except Exception as e:\n\
         \x20       err = e; time.sleep(0.1)\n\
         else:\n\
         \x20   raise err\n",
        ca = ca.to_str().expect("utf-8"),
    );
    let mut cmd = env.command(oracle_bin_dir().join("python"), &dir);
    cmd.args(["-c", &script]);
    run_command(cmd, None).success();
    let repo = env.git_repo("r");
    repo.dvc(&["init", "-q"]).success();
    repo.write("f.txt", "hello\n");
    repo.dvc(&["add", "-q", "f.txt"]).success();
    repo.dvc(&["remote", "add", "-q", "-d", "s3", "s3://tls/store"])
        .success();
    repo.dvc(&["remote", "modify", "s3", "endpointurl", &endpoint])
        .success();
    // The system roots do not know this CA: a clear failure.
    repo.gd(&["push"])
        .code(1)
        .stderr_has("failed to push data to the cloud");
    // `ssl_verify = <bundle>` trusts it, as dvc-s3 (botocore's `verify`) does.
    repo.dvc(&[
        "remote",
        "modify",
        "s3",
        "ssl_verify",
        ca.to_str().expect("utf-8"),
    ])
    .success();
    repo.gd(&["push"]).success().stdout_has("1 file pushed");
    repo.dvc(&["status", "-c"])
        .success()
        .stdout_has("Cache and remote 's3' are in sync.");
    // A bundle that is not PEM is a config error naming it.
    repo.write("bad.pem", "not a certificate\n");
    repo.dvc(&["remote", "modify", "s3", "ssl_verify", "bad.pem"])
        .success();
    repo.gd(&["push"])
        .failure()
        .stderr_has("holds no PEM certificate");
    // `ssl_verify = false` skips verification (botocore's `verify=False`): a new object
    // goes up without the bundle, and dvc (which honours the option too) sees it.
    repo.dvc(&["remote", "modify", "s3", "ssl_verify", "false"])
        .success();
    repo.write("g.txt", "unverified\n");
    repo.dvc(&["add", "-q", "g.txt"]).success();
    repo.gd(&["push"]).success().stdout_has("1 file pushed");
    repo.dvc(&["status", "-c"])
        .success()
        .stdout_has("Cache and remote 's3' are in sync.");
    repo.gd(&["status", "-c"])
        .success()
        .stdout_has("Cache and remote 's3' are in sync.");
    // Verification back on, no bundle: the unknown CA fails clearly again.
    repo.dvc(&["remote", "modify", "s3", "ssl_verify", "true"])
        .success();
    repo.write("h.txt", "verified again\n");
    repo.dvc(&["add", "-q", "h.txt"]).success();
    repo.gd(&["push"])
        .code(1)
        .stderr_has("failed to push data to the cloud");
}

/// `verify -r --fast` settles every object by S3's ETag (moto computes it as S3 does: the
/// md5 of a single-part upload), finds a corrupt, a missing and an unreferenced object,
/// and says so in JSON too; without `--fast` the same problems are found by download.
#[test]
fn s3_verify_fast_uses_the_etag() {
    let mut env = TestEnv::new();
    let endpoint = env.use_s3();
    let repo = project(&env, "r", &endpoint, "fastv");
    repo.gd(&["push", "-q"]).success();
    // f.txt, data's 7 files and its .dir.
    let out = repo.gd(&["verify", "-r", "s3", "--fast"]);
    out.success().stdout_has(
        "Verified 9 objects: all good. (on remote 's3': 9 by the store's checksum, 0 downloaded)",
    );
    let hello = md5_hex(b"hello\n");
    let x = md5_hex(b"x\n");
    let key = |m: &str| format!("store/files/md5/{}/{}", &m[..2], &m[2..]);
    boto(
        &env,
        &endpoint,
        &format!(
            "c.put_object(Bucket='fastv', Key='{}', Body=b'evil\\n')\nc.delete_object(Bucket='fastv', Key='{}')\nc.put_object(Bucket='fastv', Key='store/files/md5/00/0000000000000000000000000000ff', Body=b'?')",
            key(&x),
            key(&hello)
        ),
    );
    for fast in [true, false] {
        let mut args = vec!["verify", "-r", "s3"];
        if fast {
            args.push("--fast");
        }
        let out = repo.gd(&args);
        out.code(1)
            .stderr_has(&format!(
                "corrupt in the remote: {x} ('{}' on remote 's3' hashes to {})",
                &key(&x)["store/".len()..],
                md5_hex(b"evil\n")
            ))
            .stderr_has("used by 'data/sub/x'")
            .stderr_has(&format!("missing from the remote: {hello}"))
            .stderr_has("2 objects failed verification")
            .stdout_has("1 object on remote 's3' is not referenced by the workspace");
    }
    let out = repo.gd(&["verify", "-r", "s3", "--fast", "--json"]);
    out.code(1);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
    assert_eq!(v["ok"], false);
    assert_eq!(v["remote"]["by_store_checksum"], 9, "{v}");
    assert_eq!(
        v["remote"]["unreferenced"][0],
        "files/md5/00/0000000000000000000000000000ff"
    );
    let problems: Vec<(String, String)> = v["remote"]["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .map(|p| {
            (
                p["object"].as_str().unwrap_or("").to_string(),
                p["problem"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let mut expected = vec![
        (x.clone(), "corrupt".to_string()),
        (hello.clone(), "missing".to_string()),
    ];
    expected.sort();
    let mut problems = problems;
    problems.sort();
    assert_eq!(problems, expected);
    assert_eq!(v["cache"]["problems"].as_array().map(Vec::len), Some(0));
}
