//! Remotes beyond S3 against real servers on 127.0.0.1 (`servers.rs`), with dvc 3.67.1
//! and dvc's own plugin for each as the oracle, both ways (issue 14).
//!
//! Every backend runs the same flow ([`interop`]) on the tricky tree (unicode and spaces
//! in names, CRLF, an empty file, an executable, a 3 MB file): git-dvc pushes one twin and
//! dvc the other, to two prefixes of the same server, and the two remote listings (paths
//! and sizes) must be equal; dvc pulls what git-dvc pushed and git-dvc pulls what dvc
//! pushed, into equal caches and workspaces; `status -c` agrees with dvc's; `gc -c` leaves
//! the same objects as dvc's; an interrupted push resumes; a corrupted remote object is
//! refused and never enters the cache.

use crate::harness::*;
use crate::servers::*;
use std::path::PathBuf;

/// Lists a prefix of a remote.
type ListFn = Box<dyn Fn(&str) -> String>;
/// Writes or deletes one object of a remote.
type TamperFn = Box<dyn Fn(&str, &str, Option<&[u8]>)>;

/// One backend under test.
struct Backend {
    /// The remote's name in both repositories.
    name: &'static str,
    /// The remote url for a prefix.
    url: Box<dyn Fn(&str) -> String>,
    /// `remote modify` settings both tools get.
    options: Vec<(String, String)>,
    /// Where the server keeps a prefix's objects as files on this machine.
    root: Box<dyn Fn(&str) -> PathBuf>,
    /// For a server that does not keep objects as files: list a prefix (`path size`
    /// lines, sorted), and write (`Some`) or delete (`None`) the object at `prefix`, `key`.
    api: Option<(ListFn, TamperFn)>,
    /// Whether the remote can be listed (gc -c); HTTP cannot, for dvc either.
    listable: bool,
}

/// The tricky tree, written into `repo`.
fn tricky_tree(repo: &Dir<'_>) {
    repo.write("data/données/été.txt", "unicode\n");
    repo.write("data/with space/a file.txt", "spaces\n");
    repo.write("data/crlf.txt", "one\r\ntwo\r\n");
    repo.write("data/empty", "");
    repo.write("data/run.sh", "#!/bin/sh\necho hi\n");
    repo.chmod("data/run.sh", 0o755);
    let mut rng = Rng::new(14);
    repo.write("big.bin", rng.bytes(3 * 1024 * 1024));
    repo.write("f.txt", "hello\n");
}

/// `path md5` of every file under `dir` of `repo` (contents, not modes: dvc's pull does
/// not restore the exec bit on these backends).
fn contents(repo: &Dir<'_>, rels: &[&str]) -> String {
    let mut lines = Vec::new();
    for rel in rels {
        let base = repo.path(rel);
        if base.is_file() {
            lines.push(format!(
                "{rel} {}",
                md5_hex(&std::fs::read(&base).expect("read"))
            ));
            continue;
        }
        let mut stack = vec![base.clone()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).expect("read dir").flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    let r = p.strip_prefix(repo.path("")).expect("in repo");
                    lines.push(format!(
                        "{} {}",
                        r.display(),
                        md5_hex(&std::fs::read(&p).expect("read"))
                    ));
                }
            }
        }
    }
    lines.sort();
    lines.join("\n")
}

/// A repository with the tricky tree added (by dvc: the bytes are the same) and `remote`
/// configured by `tool` (`gd` or `dvc`) as the default remote.
fn project<'a>(
    env: &'a TestEnv,
    dir: &str,
    backend: &Backend,
    prefix: &str,
    tool: &str,
) -> Dir<'a> {
    let repo = env.git_repo(dir);
    repo.dvc(&["init", "-q"]).success();
    tricky_tree(&repo);
    repo.dvc(&["add", "-q", "data", "big.bin", "f.txt"])
        .success();
    let url = (backend.url)(prefix);
    let run = |args: &[&str]| {
        if tool == "gd" {
            repo.gd(args).success();
        } else {
            repo.dvc(args).success();
        }
    };
    run(&["remote", "add", "-d", backend.name, &url]);
    for (k, v) in &backend.options {
        run(&["remote", "modify", backend.name, k, v]);
    }
    repo.git(&["add", "-A"]).success();
    repo.git(&["commit", "-qm", "data"]).success();
    repo
}

fn clone<'a>(env: &'a TestEnv, from: &str, to: &str) -> Dir<'a> {
    env.dir(".").git(&["clone", "-q", from, to]).success();
    env.dir(to)
}

/// The remote's objects (paths and sizes) under `prefix`, as the server stores them.
fn remote_listing(backend: &Backend, prefix: &str) -> String {
    match &backend.api {
        Some((list, _)) => list(prefix),
        None => file_listing(&(backend.root)(prefix)),
    }
}

/// Writes (or with `None` deletes) the remote object `key` under `prefix` behind the
/// tools' backs.
fn tamper(backend: &Backend, prefix: &str, key: &str, content: Option<&[u8]>) {
    match &backend.api {
        Some((_, put)) => put(prefix, key, content),
        None => {
            let path = (backend.root)(prefix).join(key);
            match content {
                Some(bytes) => std::fs::write(&path, bytes).expect("corrupt an object"),
                None => std::fs::remove_file(&path).expect("remove an object"),
            }
        }
    }
}

const OUTS: &[&str] = &["data", "big.bin", "f.txt"];

fn interop(env: &TestEnv, backend: &Backend) {
    let p_gd = prefix(backend.name);
    let p_dv = prefix(backend.name);
    let gd = project(env, "gd", backend, &p_gd, "gd");
    let dv = project(env, "dv", backend, &p_dv, "dvc");
    assert_same_text(
        ".dvc/config (but the url's prefix)",
        "dvc",
        &dv.read(".dvc/config").replace(&p_dv, "P"),
        "git-dvc",
        &gd.read(".dvc/config").replace(&p_gd, "P"),
    );

    // Push both ways: the same objects at the same paths with the same sizes.
    let out = gd.gd(&["push"]);
    out.success();
    // big.bin, f.txt, the .dir and its 5 files.
    assert_eq!(out.stdout, "8 files pushed\n", "{out:?}");
    gd.gd(&["push"])
        .success()
        .stdout_has("Everything is up to date.");
    dv.dvc(&["push", "-q"]).success();
    let listing = remote_listing(backend, &p_gd);
    assert_eq!(listing.lines().count(), 8, "{listing}");
    assert_same_text(
        "remote listing",
        "dvc",
        &remote_listing(backend, &p_dv),
        "git-dvc",
        &listing,
    );

    // status -c agrees, in sync and with an object missing.
    let in_sync = format!("Cache and remote '{}' are in sync.\n", backend.name);
    assert_eq!(gd.gd(&["status", "-c"]).success().stdout, in_sync);
    assert_eq!(gd.dvc(&["status", "-c"]).success().stdout, in_sync);
    let hello = md5_hex(b"hello\n");
    let hello_key = format!("files/md5/{}/{}", &hello[..2], &hello[2..]);
    tamper(backend, &p_gd, &hello_key, None);
    let g = gd.gd(&["status", "-c"]);
    let d = gd.dvc(&["status", "-c"]);
    assert_same_text("status -c", "dvc", &d.stdout, "git-dvc", &g.stdout);
    assert_eq!(g.code, d.code, "{g:?}\n{d:?}");

    // An interrupted push (one object never arrived) resumes with just that object.
    let out = gd.gd(&["push"]);
    out.success();
    assert_eq!(out.stdout, "1 file pushed\n", "{out:?}");
    assert_eq!(remote_listing(backend, &p_gd), listing);

    // dvc pulls what git-dvc pushed; git-dvc pulls what dvc pushed: equal caches.
    let c_dvc = clone(env, "gd", "c-dvc");
    c_dvc.dvc(&["pull", "-q"]).success();
    let c_gd = clone(env, "dv", "c-gd");
    let out = c_gd.gd(&["pull"]);
    out.success();
    assert!(
        out.stdout.ends_with("8 files fetched and 7 files added\n"),
        "{out:?}"
    );
    assert_eq!(contents(&c_dvc, OUTS), contents(&gd, OUTS));
    assert_eq!(contents(&c_gd, OUTS), contents(&gd, OUTS));
    assert_same_text(
        "cache listing",
        "dvc pull",
        &c_dvc.listing(".dvc/cache"),
        "git-dvc pull",
        &c_gd.listing(".dvc/cache"),
    );
    assert_eq!(c_gd.gd(&["status", "-c"]).success().stdout, in_sync);

    // gc -c: a new version of f.txt, pushed; the old one goes from the remote as with dvc.
    for (repo, tool) in [(&gd, "gd"), (&dv, "dvc")] {
        repo.write("f.txt", "hello again\n");
        repo.dvc(&["add", "-q", "f.txt"]).success();
        let args = ["push", "-q"];
        let gc = ["gc", "-w", "-c", "-f"];
        if tool == "gd" {
            repo.gd(&args).success();
            let out = repo.gd(&gc);
            if backend.listable {
                out.success();
            } else {
                out.failure().stderr_has("cannot be listed");
            }
        } else {
            repo.dvc(&args).success();
            let out = repo.dvc(&gc);
            if backend.listable {
                out.success();
            } else {
                out.failure();
            }
        }
    }
    let after = remote_listing(backend, &p_gd);
    assert_same_text(
        "remote listing after gc -c",
        "dvc",
        &remote_listing(backend, &p_dv),
        "git-dvc",
        &after,
    );
    assert_eq!(after.contains(&hello_key), !backend.listable, "{after}");

    // A corrupted object of the right size is refused and never enters the cache.
    let x = md5_hex(b"spaces\n");
    let x_key = format!("files/md5/{}/{}", &x[..2], &x[2..]);
    tamper(backend, &p_gd, &x_key, Some(b"SPACES\n"));
    let c = clone(env, "gd", "c-corrupt");
    let out = c.gd(&["pull"]);
    out.code(1).stderr_has(&format!(
        "object '{x}' from remote '{}' is corrupt",
        backend.name
    ));
    assert!(!c.exists(&cache_rel(&x)));
    assert!(!c.exists("data/with space/a file.txt"));
}

/// `remote add` and `remote modify` of every key the backend takes write dvc's bytes, and
/// an unknown key is refused as dvc refuses it.
fn config_bytes(url: &str, keys: &[(&str, &str)]) {
    let env = {
        let mut env = TestEnv::new();
        env.use_remote_plugins();
        env
    };
    let twin = env.twin();
    twin.init();
    same(&twin, &["remote", "add", "-d", "r", url]).success();
    for (k, v) in keys {
        same(&twin, &["remote", "modify", "r", k, v]).success();
    }
    same(&twin, &["remote", "modify", "-u", "r", keys[0].0]).success();
    let out = same(&twin, &["remote", "modify", "r", "no_such_key", "1"]);
    assert_ne!(out.gd.code, 0);
}

fn plugins_env() -> TestEnv {
    let mut env = TestEnv::new();
    env.use_remote_plugins();
    env
}

// ---------------------------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------------------------

fn http_backend(server: &'static Server) -> Backend {
    Backend {
        name: "web",
        url: Box::new(move |p| format!("{}/{p}", server.url)),
        options: Vec::new(),
        root: Box::new(move |p| server.root.join(p)),
        listable: false,
        api: None,
    }
}

#[test]
fn http_interop_with_dvc_http() {
    let env = plugins_env();
    interop(&env, &http_backend(http_server()));
}

#[test]
fn http_basic_auth_and_wrong_credentials() {
    let env = plugins_env();
    let server = http_auth_server();
    let (user, password) = HTTP_AUTH.split_once(':').expect("user:password");
    let p = prefix("auth");
    let repo = env.git_repo("r");
    repo.dvc(&["init", "-q"]).success();
    repo.write("f.txt", "hello\n");
    repo.dvc(&["add", "-q", "f.txt"]).success();
    let url = format!("{}/{p}", server.url);
    repo.gd(&["remote", "add", "-d", "web", &url]).success();
    repo.gd(&["remote", "modify", "web", "auth", "basic"])
        .success();
    repo.gd(&["remote", "modify", "web", "user", user])
        .success();
    repo.git(&["add", "-A"]).success();
    repo.git(&["commit", "-qm", "data"]).success();
    // Without the password: dvc-http's own refusal.
    repo.gd(&["push"])
        .code(1)
        .stderr_has("HTTP 'basic' authentication require both 'user' and 'password'");
    // A wrong one: the server's 401, naming the remote, never echoing the password.
    repo.gd(&["remote", "modify", "--local", "web", "password", "wrong-pw"])
        .success();
    let out = repo.gd(&["push"]);
    out.failure().stderr_has("'web'");
    assert!(
        !out.stderr.contains("wrong-pw") && !out.stdout.contains("wrong-pw"),
        "{out:?}"
    );
    repo.gd(&["remote", "modify", "--local", "web", "password", password])
        .success();
    let out = repo.gd(&["push", "-v"]);
    out.success();
    assert!(!out.stderr.contains(password), "{out:?}");
    assert_eq!(
        file_listing(&server.root.join(&p)),
        "files/md5/b1/946ac92492d2347c6235b4d2611184 6"
    );
    // dvc-http with the same config pulls it.
    let c = clone(&env, "r", "c");
    std::fs::copy(repo.path(".dvc/config.local"), c.path(".dvc/config.local"))
        .expect("copy config.local");
    c.dvc(&["pull", "-q"]).success();
    assert_eq!(c.read("f.txt"), "hello\n");
}

#[test]
fn http_unreachable_server_is_a_clear_error() {
    let env = plugins_env();
    let repo = env.git_repo("r");
    repo.dvc(&["init", "-q"]).success();
    repo.write("f.txt", "hello\n");
    repo.dvc(&["add", "-q", "f.txt"]).success();
    let port = free_port();
    repo.gd(&[
        "remote",
        "add",
        "-d",
        "web",
        &format!("http://127.0.0.1:{port}/x"),
    ])
    .success();
    repo.gd(&["push"]).code(1).stderr_has("'web'");
}

#[test]
fn http_config_bytes_match_dvc() {
    config_bytes(
        "https://example.com/store",
        &[
            ("auth", "custom"),
            ("custom_auth_header", "X-Token"),
            ("user", "bob"),
            ("password", "p,w#d"),
            ("ask_password", "false"),
            ("ssl_verify", "false"),
            ("method", "PUT"),
            ("connect_timeout", "5"),
            ("read_timeout", "7.5"),
            ("jobs", "3"),
        ],
    );
}

// ---------------------------------------------------------------------------------------------
// WebDAV
// ---------------------------------------------------------------------------------------------

fn webdav_backend() -> Backend {
    let server = webdav_server();
    Backend {
        name: "dav",
        url: Box::new(move |p| {
            // dvc-webdav does not create the remote's root collection.
            std::fs::create_dir_all(server.root.join(p)).expect("create the remote root");
            format!("{}/{p}", server.url)
        }),
        options: Vec::new(),
        root: Box::new(move |p| server.root.join(p)),
        listable: true,
        api: None,
    }
}

#[test]
fn webdav_interop_with_dvc_webdav() {
    let env = plugins_env();
    interop(&env, &webdav_backend());
}

#[test]
fn webdav_config_bytes_match_dvc() {
    config_bytes(
        "webdavs://example.com/dav/store",
        &[
            ("user", "bob"),
            ("password", "p,w#d"),
            ("token", "tok"),
            ("custom_auth_header", "X-Auth"),
            ("cert_path", "certs/client.pem"),
            ("key_path", "certs/client.key"),
            ("ssl_verify", "/etc/ssl/ca.pem"),
            ("timeout", "12"),
        ],
    );
}

/// dvc-webdav fails on a remote whose root collection does not exist (409 Conflict);
/// git-dvc creates the missing collections (MKCOL) and pushes, and dvc pulls from it then.
#[test]
fn webdav_missing_root_collections_are_created() {
    let env = plugins_env();
    let server = webdav_server();
    let repo = env.git_repo("r");
    repo.dvc(&["init", "-q"]).success();
    repo.write("f.txt", "hello\n");
    repo.dvc(&["add", "-q", "f.txt"]).success();
    let p = format!("{}/deeper", prefix("fresh"));
    repo.gd(&["remote", "add", "-d", "dav", &format!("{}/{p}", server.url)])
        .success();
    repo.git(&["add", "-A"]).success();
    repo.git(&["commit", "-qm", "data"]).success();
    repo.dvc(&["push"]).failure();
    repo.gd(&["push", "-q"]).success();
    assert_eq!(
        file_listing(&server.root.join(&p)),
        "files/md5/b1/946ac92492d2347c6235b4d2611184 6"
    );
    let c = clone(&env, "r", "c");
    c.dvc(&["pull", "-q"]).success();
    assert_eq!(c.read("f.txt"), "hello\n");
}

// ---------------------------------------------------------------------------------------------
// SSH
// ---------------------------------------------------------------------------------------------

fn trust_ssh_server(env: &TestEnv, server: &SshServer) {
    let ssh = env.root().join("home/.ssh");
    std::fs::create_dir_all(&ssh).expect("create ~/.ssh");
    std::fs::write(ssh.join("known_hosts"), server.known_hosts_line()).expect("write known_hosts");
}

fn ssh_backend() -> Backend {
    let server = ssh_server();
    Backend {
        name: "box",
        url: Box::new(move |p| {
            format!(
                "ssh://{}@127.0.0.1:{}{}",
                server.user,
                server.port,
                server.root.join(p).display()
            )
        }),
        options: vec![("keyfile".into(), server.keyfile.display().to_string())],
        root: Box::new(move |p| server.root.join(p)),
        listable: true,
        api: None,
    }
}

#[test]
fn ssh_interop_with_dvc_ssh() {
    let env = plugins_env();
    trust_ssh_server(&env, ssh_server());
    interop(&env, &ssh_backend());
}

#[test]
fn ssh_uploads_land_as_0644_like_dvc_ssh() {
    use std::os::unix::fs::PermissionsExt;
    let env = plugins_env();
    let server = ssh_server();
    trust_ssh_server(&env, server);
    let backend = ssh_backend();
    let p = prefix("mode");
    let repo = env.git_repo("r");
    repo.dvc(&["init", "-q"]).success();
    repo.write("f.txt", "hello\n");
    repo.dvc(&["add", "-q", "f.txt"]).success();
    repo.gd(&["remote", "add", "-d", "box", &(backend.url)(&p)])
        .success();
    repo.gd(&[
        "remote",
        "modify",
        "box",
        "keyfile",
        &server.keyfile.display().to_string(),
    ])
    .success();
    repo.gd(&["push", "-q"]).success();
    let obj = server
        .root
        .join(&p)
        .join("files/md5/b1/946ac92492d2347c6235b4d2611184");
    let mode = std::fs::metadata(&obj)
        .expect("pushed")
        .permissions()
        .mode()
        & 0o7777;
    assert_eq!(mode, 0o644);
}

#[test]
fn ssh_unknown_or_changed_host_key_is_refused() {
    let env = plugins_env();
    let server = ssh_server();
    let backend = ssh_backend();
    let repo = env.git_repo("r");
    repo.dvc(&["init", "-q"]).success();
    repo.write("f.txt", "hello\n");
    repo.dvc(&["add", "-q", "f.txt"]).success();
    let p = prefix("hostkey");
    repo.gd(&["remote", "add", "-d", "box", &(backend.url)(&p)])
        .success();
    repo.gd(&[
        "remote",
        "modify",
        "box",
        "keyfile",
        &server.keyfile.display().to_string(),
    ])
    .success();
    // No known_hosts at all: unknown.
    let out = repo.gd(&["push"]);
    out.code(1).stderr_has("'box'").stderr_has(&format!(
        "host key of [127.0.0.1]:{} is unknown",
        server.port
    ));
    assert!(!server.root.join(&p).exists(), "nothing was written");
    // A different key recorded for the host: changed.
    let ssh = env.root().join("home/.ssh");
    std::fs::create_dir_all(&ssh).expect("create ~/.ssh");
    std::fs::write(
        ssh.join("known_hosts"),
        format!(
            "[127.0.0.1]:{} ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBdgpSgM+8hmUPNoRpbLFBXBqvnC7JQrdLyDhQg1jjdY\n",
            server.port
        ),
    )
    .expect("write known_hosts");
    repo.gd(&["push"]).code(1).stderr_has("has CHANGED");
    // The right key: the push goes through.
    trust_ssh_server(&env, server);
    repo.gd(&["push", "-q"]).success();
}

#[test]
fn ssh_wrong_key_and_unreachable_server_are_clear_errors() {
    let env = plugins_env();
    let server = ssh_server();
    trust_ssh_server(&env, server);
    let repo = env.git_repo("r");
    repo.dvc(&["init", "-q"]).success();
    repo.write("f.txt", "hello\n");
    repo.dvc(&["add", "-q", "f.txt"]).success();
    let other = env.root().join("other_key");
    let out = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&other)
        .output()
        .expect("ssh-keygen");
    assert!(out.status.success());
    let url = format!(
        "ssh://{}@127.0.0.1:{}{}",
        server.user,
        server.port,
        server.root.join(prefix("k")).display()
    );
    repo.gd(&["remote", "add", "-d", "box", &url]).success();
    repo.gd(&[
        "remote",
        "modify",
        "box",
        "keyfile",
        &other.display().to_string(),
    ])
    .success();
    repo.gd(&["push"])
        .code(1)
        .stderr_has("'box'")
        .stderr_has("permission denied");
    let port = free_port();
    repo.gd(&[
        "remote",
        "modify",
        "box",
        "url",
        &format!("ssh://{}@127.0.0.1:{port}/x", server.user),
    ])
    .success();
    repo.gd(&["push"]).code(1).stderr_has("'box'");
}

#[test]
fn ssh_config_bytes_match_dvc() {
    config_bytes(
        "ssh://bob@example.com:2222/srv/store",
        &[
            ("user", "alice"),
            ("port", "2200"),
            ("keyfile", "keys/id_ed25519"),
            ("password", "p,w#d"),
            ("passphrase", "s#cret"),
            ("ask_password", "false"),
            ("ask_passphrase", "false"),
            ("timeout", "30"),
            ("allow_agent", "false"),
            ("max_sessions", "4"),
            ("gss_auth", "false"),
        ],
    );
}

// ---------------------------------------------------------------------------------------------
// GCS
// ---------------------------------------------------------------------------------------------

fn gcs_backend(env: &mut TestEnv) -> Backend {
    let server = gcs_server();
    // gcsfs probes each bucket over gRPC, which the emulator never answers.
    env.set_var("GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT", "false");
    let bucket = prefix("bucket");
    gcs_create_bucket(server, &bucket);
    let b2 = bucket.clone();
    Backend {
        name: "gcs",
        url: Box::new(move |p| format!("gs://{bucket}/{p}")),
        options: vec![
            ("endpointurl".into(), server.url.clone()),
            ("allow_anonymous_login".into(), "true".into()),
        ],
        root: Box::new(move |p| server.root.join(&b2).join(p)),
        listable: true,
        api: None,
    }
}

#[test]
fn gs_interop_with_dvc_gs() {
    let mut env = plugins_env();
    let backend = gcs_backend(&mut env);
    interop(&env, &backend);
}

#[test]
fn gs_config_bytes_match_dvc() {
    config_bytes(
        "gs://bucket/store",
        &[
            ("projectname", "proj"),
            ("credentialpath", "creds/sa.json"),
            ("endpointurl", "http://127.0.0.1:1"),
            ("allow_anonymous_login", "true"),
        ],
    );
}

// ---------------------------------------------------------------------------------------------
// Azure
// ---------------------------------------------------------------------------------------------

fn azure_backend(env: &TestEnv) -> Backend {
    let server = azurite_server();
    let container = prefix("container");
    azure_py(env, &format!("svc.create_container({container:?})"));
    // The listing and tampering go through azure-storage-blob: Azurite keeps blobs in its
    // own format, not as files.
    let env_root = env.root().to_path_buf();
    let run = move |body: String| -> String {
        let script = format!(
            "from azure.storage.blob import BlobServiceClient\n\
             svc = BlobServiceClient.from_connection_string({:?})\n{body}\n",
            server.url
        );
        let out = std::process::Command::new(plugins_bin_dir().join("python"))
            .args(["-c", &script])
            .current_dir(&env_root)
            .output()
            .expect("run python");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let run = std::rc::Rc::new(run);
    let (c1, c2, c3) = (container.clone(), container.clone(), container);
    let (r1, r2) = (run.clone(), run);
    Backend {
        name: "az",
        url: Box::new(move |p| format!("azure://{c1}/{p}")),
        options: vec![("connection_string".into(), server.url.clone())],
        root: Box::new(|_| PathBuf::new()),
        listable: true,
        api: Some((
            Box::new(move |p| {
                r1(format!(
                    "c = svc.get_container_client({c2:?})\n\
                     rows = sorted((b.name[len({p:?}) + 1:], b.size) for b in c.list_blobs(name_starts_with={p:?} + '/'))\n\
                     print('\\n'.join('%s %d' % r for r in rows), end='')"
                ))
            }),
            Box::new(move |p, key, content| {
                let blob = format!("{p}/{key}");
                let body = match content {
                    Some(bytes) => format!(
                        "svc.get_blob_client({c3:?}, {blob:?}).upload_blob(bytes.fromhex({:?}), overwrite=True)",
                        hex(bytes)
                    ),
                    None => format!("svc.get_blob_client({c3:?}, {blob:?}).delete_blob()"),
                };
                r2(body);
            }),
        )),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn azure_interop_with_dvc_azure() {
    let env = plugins_env();
    let backend = azure_backend(&env);
    interop(&env, &backend);
}

#[test]
fn azure_wrong_key_is_a_clear_error() {
    let env = plugins_env();
    let backend = azure_backend(&env);
    let repo = env.git_repo("r");
    repo.dvc(&["init", "-q"]).success();
    repo.write("f.txt", "hello\n");
    repo.dvc(&["add", "-q", "f.txt"]).success();
    repo.gd(&["remote", "add", "-d", "az", &(backend.url)("p")])
        .success();
    let wrong = azurite_server()
        .url
        .replace(AZURITE_KEY, "d3Jvbmcta2V5LXdyb25nLWtleQ==");
    repo.gd(&[
        "remote",
        "modify",
        "--local",
        "az",
        "connection_string",
        &wrong,
    ])
    .success();
    let out = repo.gd(&["push"]);
    out.code(1).stderr_has("'az'");
    assert!(!out.stderr.contains("d3Jvbmcta2V5"), "{out:?}");
}

#[test]
fn azure_config_bytes_match_dvc() {
    config_bytes(
        "azure://container/store",
        &[
            ("account_name", "acct"),
            ("account_key", "a2V5"),
            (
                "connection_string",
                "DefaultEndpointsProtocol=https;AccountName=a;AccountKey=k;",
            ),
            ("sas_token", "sv=1&sig=x"),
            ("tenant_id", "t"),
            ("client_id", "c"),
            ("client_secret", "s#c"),
            ("allow_anonymous_login", "false"),
            ("timeout", "10"),
            ("read_timeout", "11"),
            ("connection_timeout", "12"),
        ],
    );
}

// ---------------------------------------------------------------------------------------------
// The git flows on a network remote: pre-push uploads, a clone with the global install
// downloads through the filter.
// ---------------------------------------------------------------------------------------------

fn git_flows(env: &TestEnv, backend: &Backend) {
    use crate::e2e_support::*;
    let p = prefix("git");
    let d = installed_repo(env);
    let bare = env.root().join("origin.git");
    let bare_s = bare.to_str().expect("utf-8 temp path");
    d.git(&["init", "-q", "--bare", bare_s]).success();
    d.git(&["remote", "add", "origin", bare_s]).success();
    d.gd(&["remote", "add", "-d", backend.name, &(backend.url)(&p)])
        .success();
    for (k, v) in &backend.options {
        d.gd(&["remote", "modify", backend.name, k, v]).success();
    }
    d.git(&["add", ".dvc/config"]).success();
    d.git(&["commit", "-q", "-m", "remote"]).success();
    d.write("a.txt", "a1\n");
    for i in 0..5 {
        d.write(&format!("data/f{i}"), format!("f{i}\n"));
    }
    add_and_commit(&d, &["a.txt", "data"], "data");
    assert_eq!(remote_listing(backend, &p), "");
    d.git(&["push", "-q", "origin", "main"]).success();
    // a.txt, 5 files and the .dir, uploaded by pre-push.
    assert_eq!(remote_listing(backend, &p).lines().count(), 7);
    d.git(&["dvc", "install", "--global"]).success();
    let clone = env.root().join("clone");
    d.git(&["clone", "-q", bare_s, clone.to_str().expect("utf-8")])
        .success();
    let c = env.dir("clone");
    assert_eq!(content(&c, "a.txt").as_deref(), Some("a1\n"));
    assert_eq!(content(&c, "data/f4").as_deref(), Some("f4\n"));
}

#[test]
fn ssh_pre_push_and_clone_with_global_install() {
    let env = plugins_env();
    trust_ssh_server(&env, ssh_server());
    git_flows(&env, &ssh_backend());
}

#[test]
fn azure_pre_push_and_clone_with_global_install() {
    let env = plugins_env();
    let backend = azure_backend(&env);
    git_flows(&env, &backend);
}

// ---------------------------------------------------------------------------------------------
// ask_password / ask_passphrase: asked on a terminal with the plugins' prompts
// ---------------------------------------------------------------------------------------------

/// A repo with `f.txt` tracked and committed, and remote `web` (the default) at `url`.
fn asking_repo<'a>(env: &'a TestEnv, name: &str, url: &str, options: &[(&str, &str)]) -> Dir<'a> {
    let repo = env.git_repo(name);
    repo.dvc(&["init", "-q"]).success();
    repo.write("f.txt", "hello\n");
    repo.dvc(&["add", "-q", "f.txt"]).success();
    repo.gd(&["remote", "add", "-d", "web", url]).success();
    for (k, v) in options {
        repo.gd(&["remote", "modify", "web", k, v]).success();
    }
    repo.git(&["add", "-A"]).success();
    repo.git(&["commit", "-qm", "data"]).success();
    repo
}

/// Push from a terminal, answer the prompt, and return what came after it and the exit code.
fn push_answering(
    repo: &Dir<'_>,
    exe: &std::path::Path,
    prompt: &str,
    answer: &str,
) -> (String, i32) {
    let mut s = pty_spawn(repo, exe, &["push"]);
    s.exp_string(prompt)
        .unwrap_or_else(|e| panic!("{exe:?} did not ask {prompt:?}: {e}"));
    s.send_line(answer).expect("answer");
    pty_finish(s)
}

#[test]
fn http_ask_password_prompts_on_a_tty_like_dvc_http() {
    let env = plugins_env();
    let server = http_auth_server();
    let (user, password) = HTTP_AUTH.split_once(':').expect("user:password");
    let mut listings = Vec::new();
    for (name, exe) in [
        ("dv", plugins_bin_dir().join("dvc")),
        ("gd", git_dvc_exe().to_path_buf()),
    ] {
        let url = format!("{}/{}", server.url, prefix("ask"));
        let opts = [("auth", "basic"), ("user", user), ("ask_password", "true")];
        let repo = asking_repo(&env, name, &url, &opts);
        // dvc-http 2.32 names the host 'None' (it reads a `url` key its config lacks);
        // git-dvc names the remote's url, without any credentials in it.
        let host = if name == "dv" { "None" } else { &url };
        let prompt = format!("Enter a password for host '{host}' user '{user}':");
        let (rest, code) = push_answering(&repo, &exe, &prompt, password);
        assert_eq!(code, 0, "{exe:?}: {rest}");
        assert!(rest.contains("1 file pushed"), "{exe:?}: {rest}");
        assert!(
            !rest.contains(password),
            "the password is not echoed: {rest}"
        );
        listings.push(file_listing(
            &server.root.join(url.rsplit('/').next().unwrap()),
        ));
    }
    assert_eq!(listings[0], listings[1]);
    assert_eq!(listings[1], "files/md5/b1/946ac92492d2347c6235b4d2611184 6");
}

#[test]
fn ask_password_without_a_terminal_says_what_to_set() {
    let env = plugins_env();
    let server = http_auth_server();
    let (user, _) = HTTP_AUTH.split_once(':').expect("user:password");
    let url = format!("{}/{}", server.url, prefix("ask"));
    let opts = [("auth", "basic"), ("user", user), ("ask_password", "true")];
    let repo = asking_repo(&env, "r", &url, &opts);
    repo.gd(&["push"]).code(1).stderr_has(
        "`ask_password` is set, but there is no terminal to ask on: set `password` with `git dvc remote modify --local web password …`",
    );
    assert_eq!(
        file_listing(&server.root.join(url.rsplit('/').next().unwrap())),
        ""
    );
}

#[test]
fn ssh_ask_passphrase_prompts_on_a_tty_like_dvc_ssh() {
    let env = plugins_env();
    let server = ssh_server();
    trust_ssh_server(&env, server);
    // The test's client key, encrypted with a passphrase (the same key, so it is authorized).
    let key = env.root().join("locked_ed25519");
    std::fs::copy(&server.keyfile, &key).expect("copy the client key");
    let out = std::process::Command::new("ssh-keygen")
        .args(["-q", "-p", "-P", "", "-N", "open sesame", "-f"])
        .arg(&key)
        .output()
        .expect("ssh-keygen -p");
    assert!(out.status.success(), "{out:?}");
    let mut listings = Vec::new();
    for (name, exe) in [
        ("dv", plugins_bin_dir().join("dvc")),
        ("gd", git_dvc_exe().to_path_buf()),
    ] {
        let p = prefix("ask");
        let url = format!(
            "ssh://{}@127.0.0.1:{}{}",
            server.user,
            server.port,
            server.root.join(&p).display()
        );
        let keyfile = key.display().to_string();
        let opts = [("keyfile", keyfile.as_str()), ("ask_passphrase", "true")];
        let repo = asking_repo(&env, name, &url, &opts);
        let prompt = format!(
            "Enter a passphrase for {}@127.0.0.1:{}:",
            server.user, server.port
        );
        let (rest, code) = push_answering(&repo, &exe, &prompt, "open sesame");
        assert_eq!(code, 0, "{exe:?}: {rest}");
        assert!(rest.contains("1 file pushed"), "{exe:?}: {rest}");
        listings.push(file_listing(&server.root.join(&p)));
    }
    assert_eq!(listings[0], listings[1]);
    assert_eq!(listings[1], "files/md5/b1/946ac92492d2347c6235b4d2611184 6");
}

#[test]
fn webdav_basic_auth_wrong_credentials_and_ask_password() {
    let env = plugins_env();
    let server = webdav_auth_server();
    let p = prefix("auth");
    std::fs::create_dir_all(server.root.join(&p)).expect("create the remote root");
    let url = format!("{}/{p}", server.url);
    let repo = asking_repo(&env, "r", &url, &[("user", "tester")]);
    // Without a password, and with a wrong one: the server's refusal, naming the remote,
    // never echoing the password; nothing is stored.
    repo.gd(&["push"]).code(1).stderr_has("'web'");
    repo.gd(&["remote", "modify", "--local", "web", "password", "wrong-pw"])
        .success();
    let out = repo.gd(&["push", "-v"]);
    out.code(1).stderr_has("'web'");
    assert!(!format!("{out:?}").contains("wrong-pw"), "{out:?}");
    assert_eq!(file_listing(&server.root.join(&p)), "");
    repo.gd(&[
        "remote",
        "modify",
        "--local",
        "web",
        "password",
        WEBDAV_PASSWORD,
    ])
    .success();
    let out = repo.gd(&["push", "-v"]);
    out.success();
    assert!(!format!("{out:?}").contains(WEBDAV_PASSWORD), "{out:?}");
    assert_eq!(
        file_listing(&server.root.join(&p)),
        "files/md5/b1/946ac92492d2347c6235b4d2611184 6"
    );
    // dvc-webdav with the same config pulls it.
    let c = clone(&env, "r", "c");
    std::fs::copy(repo.path(".dvc/config.local"), c.path(".dvc/config.local"))
        .expect("copy config.local");
    c.dvc(&["pull", "-q"]).success();
    assert_eq!(c.read("f.txt"), "hello\n");

    // ask_password on a terminal: dvc-webdav's prompt, then the push.
    let host = server.url.replace("webdav://", "http://");
    let prompt = format!("Enter a password for host '{host}' user 'tester':");
    let mut listings = Vec::new();
    for (name, exe) in [
        ("dv-ask", plugins_bin_dir().join("dvc")),
        ("gd-ask", git_dvc_exe().to_path_buf()),
    ] {
        let p = prefix("ask");
        std::fs::create_dir_all(server.root.join(&p)).expect("create the remote root");
        let url = format!("{}/{p}", server.url);
        let opts = [("user", "tester"), ("ask_password", "true")];
        let repo = asking_repo(&env, name, &url, &opts);
        let (rest, code) = push_answering(&repo, &exe, &prompt, WEBDAV_PASSWORD);
        assert_eq!(code, 0, "{exe:?}: {rest}");
        assert!(rest.contains("1 file pushed"), "{exe:?}: {rest}");
        listings.push(file_listing(&server.root.join(&p)));
    }
    assert_eq!(listings[0], listings[1]);
    assert_eq!(listings[1], "files/md5/b1/946ac92492d2347c6235b4d2611184 6");
}

/// A server that is not there is an error naming the remote, for every backend, and
/// nothing hangs: a closed port on 127.0.0.1 for each.
#[test]
fn unreachable_servers_are_clear_errors_on_every_backend() {
    let env = plugins_env();
    let closed = free_port();
    type Case = (&'static str, String, Vec<(&'static str, String)>);
    let cases: Vec<Case> = vec![
        ("webdav", format!("webdav://127.0.0.1:{closed}/x"), vec![]),
        (
            "gs",
            "gs://bucket/x".into(),
            vec![
                ("endpointurl", format!("http://127.0.0.1:{closed}")),
                ("allow_anonymous_login", "true".into()),
            ],
        ),
        (
            "azure",
            "azure://container/x".into(),
            vec![(
                "connection_string",
                format!(
                    "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={};BlobEndpoint=http://127.0.0.1:{closed}/devstoreaccount1;",
                    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
                ),
            )],
        ),
        ("ssh", format!("ssh://me@127.0.0.1:{closed}/x"), vec![]),
        ("http", format!("http://127.0.0.1:{closed}/x"), vec![]),
    ];
    for (name, url, options) in cases {
        let opts: Vec<(&str, &str)> = options.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let repo = asking_repo(&env, name, &url, &opts);
        let started = std::time::Instant::now();
        for cmd in ["push", "status"] {
            let args = if cmd == "status" {
                vec!["status", "-c"]
            } else {
                vec![cmd]
            };
            let out = repo.gd(&args);
            out.failure().stderr_has("'web'");
            assert!(!out.stderr.contains("panicked"), "{name}: {out:?}");
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(120),
            "{name}: the errors took {:?}",
            started.elapsed()
        );
    }
}

/// Entra ID sign-in: a service principal from the config, then the default chain's
/// service principal from `AZURE_*` variables, against Azurite with OAuth over HTTPS and a
/// token endpoint of the test's own. A wrong secret and no credentials at all are clear
/// errors, and the secret never appears in the output.
#[test]
fn azure_service_principal_and_default_credentials() {
    let mut env = plugins_env();
    let blob = azurite_oauth_server();
    let aad = aad_server();
    env.set_var("SSL_CERT_FILE", test_tls().ca.display().to_string());
    env.set_var("GIT_DVC_AZURE_BLOB_ENDPOINT", &blob.url);
    env.set_var("AZURE_AUTHORITY_HOST", &aad.url);
    // Managed identity would be asked last: a closed port answers at once.
    env.set_var(
        "AZURE_IMDS_ENDPOINT",
        format!(
            "http://127.0.0.1:{}/metadata/identity/oauth2/token",
            free_port()
        ),
    );
    let grants = || std::fs::read_to_string(aad.root.join("grants.log")).unwrap_or_default();
    let tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47";

    // 1. The config's service principal.
    let container = prefix("sp");
    azurite_oauth_create_container(&env, &container);
    let url = format!("azure://{container}/p");
    let opts = [
        ("account_name", "devstoreaccount1"),
        ("tenant_id", tenant),
        ("client_id", AAD_CLIENT),
    ];
    let repo = asking_repo(&env, "sp", &url, &opts);
    repo.gd(&[
        "remote",
        "modify",
        "--local",
        "web",
        "client_secret",
        "not-the-secret",
    ])
    .success();
    let out = repo.gd(&["push", "-v"]);
    out.code(1).stderr_has("'web'");
    assert!(!format!("{out:?}").contains("not-the-secret"), "{out:?}");
    repo.gd(&[
        "remote",
        "modify",
        "--local",
        "web",
        "client_secret",
        AAD_SECRET,
    ])
    .success();
    let before = grants().lines().count();
    let out = repo.gd(&["push", "-v"]);
    out.success();
    assert_eq!(out.stdout, "1 file pushed\n", "{out:?}");
    assert!(!format!("{out:?}").contains(AAD_SECRET), "{out:?}");
    let asked = grants();
    assert!(
        asked
            .lines()
            .skip(before)
            .any(|l| l == format!("{tenant} client_credentials {AAD_CLIENT}")),
        "no client-credentials grant was asked for: {asked}"
    );
    assert_eq!(
        repo.gd(&["status", "-c"]).success().stdout,
        "Cache and remote 'web' are in sync.\n"
    );
    let c = clone(&env, "sp", "sp-clone");
    std::fs::copy(repo.path(".dvc/config.local"), c.path(".dvc/config.local"))
        .expect("copy config.local");
    c.gd(&["pull"]).success();
    assert_eq!(c.read("f.txt"), "hello\n");

    // 2. Only an account name: the default chain, whose first link is the environment's
    //    service principal.
    let container = prefix("chain");
    azurite_oauth_create_container(&env, &container);
    let url = format!("azure://{container}/p");
    let repo = asking_repo(&env, "chain", &url, &[("account_name", "devstoreaccount1")]);
    // No credentials anywhere: an error naming the remote, in bounded time.
    let started = std::time::Instant::now();
    let out = repo.gd(&["push"]);
    out.code(1)
        .stderr_has("remote 'web'")
        .stderr_has("no usable credentials")
        .stderr_has("check the credentials of remote 'web'");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );
    env.set_var("AZURE_TENANT_ID", tenant);
    env.set_var("AZURE_CLIENT_ID", AAD_CLIENT);
    env.set_var("AZURE_CLIENT_SECRET", AAD_SECRET);
    let repo = env.dir("chain");
    let out = repo.gd(&["push"]);
    out.success();
    assert_eq!(out.stdout, "1 file pushed\n", "{out:?}");
    assert_eq!(
        repo.gd(&["status", "-c"]).success().stdout,
        "Cache and remote 'web' are in sync.\n"
    );
}

/// An object larger than one upload part goes up in parts where the service takes them
/// (GCS, Azure) and arrives whole: dvc's plugin pulls it, and it lists at its full size.
fn large_object_round_trip(env: &TestEnv, backend: &Backend) {
    let p = prefix("large");
    let repo = env.git_repo(&format!("large-{}", backend.name));
    repo.dvc(&["init", "-q"]).success();
    // 40 MiB that do not compress or repeat: three parts and a bit.
    let mut data = Vec::with_capacity(40 << 20);
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    while data.len() < (40 << 20) + 12345 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        data.extend_from_slice(&x.to_le_bytes());
    }
    std::fs::write(repo.path("model.bin"), &data).expect("write model.bin");
    repo.dvc(&["add", "-q", "model.bin"]).success();
    repo.gd(&["remote", "add", "-d", backend.name, &(backend.url)(&p)])
        .success();
    for (k, v) in &backend.options {
        repo.gd(&["remote", "modify", backend.name, k, v]).success();
    }
    repo.git(&["add", "-A"]).success();
    repo.git(&["commit", "-qm", "model"]).success();
    let out = repo.gd(&["push"]);
    out.success();
    assert_eq!(out.stdout, "1 file pushed\n", "{out:?}");
    let md5 = md5_hex(&data);
    let listing = remote_listing(backend, &p);
    assert_eq!(
        listing,
        format!("files/md5/{}/{} {}", &md5[..2], &md5[2..], data.len()),
        "{listing}"
    );
    let c = clone(
        env,
        &format!("large-{}", backend.name),
        &format!("large-{}-c", backend.name),
    );
    c.dvc(&["pull", "-q"]).success();
    assert_eq!(
        md5_hex(&std::fs::read(c.path("model.bin")).expect("read")),
        md5
    );
}

#[test]
fn gs_and_azure_large_objects_go_up_in_parts() {
    let mut env = plugins_env();
    let gs = gcs_backend(&mut env);
    large_object_round_trip(&env, &gs);
    let azure = azure_backend(&env);
    large_object_round_trip(&env, &azure);
}

/// fake-gcs-server takes any credentials, so GCS's wrong-credentials case is a credentials
/// file that cannot be used: missing, or not a service-account or authorized-user JSON.
/// Each is an error naming the remote, before anything is sent.
#[test]
fn gs_unusable_credentials_file_is_a_clear_error() {
    let mut env = plugins_env();
    let backend = gcs_backend(&mut env);
    let p = prefix("creds");
    let url = (backend.url)(&p);
    let endpoint = backend.options[0].1.clone();
    std::fs::write(
        env.root().join("not-a-key.json"),
        "{\"type\": \"nonsense\"}",
    )
    .expect("write");
    for (name, path) in [
        ("missing", env.root().join("no-such-file.json")),
        ("bad", env.root().join("not-a-key.json")),
    ] {
        let path = path.display().to_string();
        let opts = [
            ("endpointurl", endpoint.as_str()),
            ("credentialpath", path.as_str()),
        ];
        let repo = asking_repo(&env, name, &url, &opts);
        let out = repo.gd(&["push"]);
        out.code(1).stderr_has("'web'");
        assert!(!out.stderr.contains("panicked"), "{out:?}");
        assert_eq!(file_listing(&(backend.root)(&p)), "", "nothing was stored");
    }
}

/// `verify -r --fast` on the stores that keep an md5 (GCS's md5Hash, Azure's
/// Content-MD5) settles objects without downloading them and finds a corrupt one; on a
/// local remote (no store checksum) everything is downloaded and hashed.
fn fast_verify(
    env: &TestEnv,
    backend: &Backend,
    expect_by_checksum: bool,
    put: &dyn Fn(&str, &str, &[u8]),
) {
    let p = prefix("fastv");
    let repo = project(env, &format!("fastv-{}", backend.name), backend, &p, "gd");
    repo.gd(&["push", "-q"]).success();
    let out = repo.gd(&["verify", "-r", backend.name, "--fast", "--json"]);
    out.success();
    let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
    let n = v["remote"]["checked"].as_u64().expect("checked");
    assert_eq!(n, 8, "{v}");
    let settled = if expect_by_checksum { n } else { 0 };
    assert_eq!(v["remote"]["by_store_checksum"], settled, "{v}");
    let x = md5_hex(b"spaces\n");
    let x_key = format!("files/md5/{}/{}", &x[..2], &x[2..]);
    put(&p, &x_key, b"SPACES\n");
    repo.gd(&["verify", "-r", backend.name, "--fast"])
        .code(1)
        .stderr_has(&format!("corrupt in the remote: {x}"))
        .stderr_has("1 object failed verification");
}

#[test]
fn gs_and_azure_verify_fast_use_the_store_md5() {
    let mut env = plugins_env();
    let gs = gcs_backend(&mut env);
    // The emulator keeps md5Hash apart from the bytes: corrupt through its API.
    let bucket = gs.url.as_ref()("")
        .trim_start_matches("gs://")
        .trim_end_matches('/')
        .to_string();
    let put_gs = |p: &str, key: &str, body: &[u8]| {
        gcs_put_object(gcs_server(), &bucket, &format!("{p}/{key}"), body)
    };
    fast_verify(&env, &gs, true, &put_gs);
    let azure = azure_backend(&env);
    fast_verify(&env, &azure, true, &|p, key, body| {
        tamper(&azure, p, key, Some(body))
    });
    let ssh = ssh_backend();
    trust_ssh_server(&env, ssh_server());
    fast_verify(&env, &ssh, false, &|p, key, body| {
        tamper(&ssh, p, key, Some(body))
    });
}

/// With no key file anywhere, the ssh-agent's key logs in (`allow_agent` is true by
/// default, as in dvc-ssh, which pulls through the same agent); `allow_agent = false`
/// turns it off and the refusal lists what was tried.
#[test]
fn ssh_logs_in_with_the_agent_unless_allow_agent_is_false() {
    let mut env = plugins_env();
    let server = ssh_server();
    trust_ssh_server(&env, server);
    let socket = env.root().join("agent.sock");
    /// Stops the agent when the test ends, however it ends.
    struct Kill(std::process::Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let _agent = Kill(
        std::process::Command::new("ssh-agent")
            .arg("-D")
            .arg("-a")
            .arg(&socket)
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("start ssh-agent (openssh-client)"),
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !socket.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "ssh-agent made no socket"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let out = std::process::Command::new("ssh-add")
        .arg(&server.keyfile)
        .env("SSH_AUTH_SOCK", &socket)
        .output()
        .expect("ssh-add");
    assert!(out.status.success(), "{out:?}");
    env.set_var("SSH_AUTH_SOCK", &socket);

    let p = prefix("agent");
    let url = format!(
        "ssh://{}@127.0.0.1:{}{}",
        server.user,
        server.port,
        server.root.join(&p).display()
    );
    let repo = asking_repo(&env, "r", &url, &[]);
    let out = repo.gd(&["push"]);
    out.success();
    assert_eq!(out.stdout, "1 file pushed\n", "{out:?}");
    assert_eq!(
        file_listing(&server.root.join(&p)),
        "files/md5/b1/946ac92492d2347c6235b4d2611184 6"
    );
    let c = clone(&env, "r", "c");
    c.dvc(&["pull", "-q"]).success();
    assert_eq!(c.read("f.txt"), "hello\n");

    repo.gd(&["remote", "modify", "web", "allow_agent", "false"])
        .success();
    repo.write("g.txt", "more\n");
    repo.dvc(&["add", "-q", "g.txt"]).success();
    repo.gd(&["push"])
        .code(1)
        .stderr_has("'web'")
        .stderr_has("permission denied");
}

/// `push --verify` checks what it uploaded: a store that keeps uploads damaged passes a
/// plain push (the upload itself succeeded) and fails a verified one, naming the object;
/// on a sound store (S3 by its ETag, here a local directory by download) it succeeds.
#[test]
fn push_verify_catches_a_store_that_damages_uploads() {
    let env = plugins_env();
    let bad = http_corrupting_server();
    let url = format!("{}/{}", bad.url, prefix("verify"));
    let repo = asking_repo(&env, "r", &url, &[]);
    let hello = md5_hex(b"hello\n");
    repo.gd(&["push"]).success().stdout_has("1 file pushed");
    repo.write("g.txt", "second\n");
    repo.dvc(&["add", "-q", "g.txt"]).success();
    let out = repo.gd(&["push", "--verify"]);
    out.code(1)
        .stderr_has(&format!("corrupt in the remote: {}", md5_hex(b"second\n")))
        .stderr_has("1 uploaded object failed verification on the remote");
    assert!(!out.stdout.contains("pushed"), "{out:?}");
    // Only what this push uploaded is checked: the earlier, damaged object is not.
    assert!(!out.stderr.contains(&hello), "{out:?}");

    let good = env.root().join("good-store");
    repo.gd(&["remote", "add", "good", good.to_str().expect("utf-8")])
        .success();
    repo.gd(&["push", "-r", "good", "--verify"])
        .success()
        .stdout_has("2 files pushed");
}

// ---------------------------------------------------------------------------------------------
// Throttling on the OpenDAL backends
// ---------------------------------------------------------------------------------------------

/// A GCS or Azure store that answers 429 with `Retry-After: 2` for each path (a proxy in
/// front of the emulator): git-dvc sends the request again after the two seconds the
/// store asked for, and the push and the pull succeed. The transfer's own backoff
/// (250 + 500 ms), all there was before, gives up before the store is ready.
#[test]
fn gs_and_azure_wait_as_long_as_retry_after_asks() {
    let mut env = plugins_env();
    let gcs = gcs_backend(&mut env);
    let azure = azure_backend(&env);
    for mut backend in [gcs, azure] {
        let (key, value) = backend.options[0].clone();
        let upstream = match key.as_str() {
            "endpointurl" => value.clone(),
            _ => {
                let at = value.find("BlobEndpoint=").expect("a blob endpoint") + 13;
                let rest = &value[at..];
                let end = rest[7..].find('/').map_or(rest.len(), |i| i + 7);
                rest[..end].to_string()
            }
        };
        let proxy =
            crate::servers::fault_proxy(&format!("proxy-{}", backend.name), &upstream, "429:2");
        backend.options[0].1 = value.replace(&upstream, &proxy.url);
        let p = prefix("throttled");
        let repo = project(
            &env,
            &format!("throttled-{}", backend.name),
            &backend,
            &p,
            "gd",
        );
        let started = std::time::Instant::now();
        let out = repo.gd(&["push"]);
        out.code(0);
        let log = std::fs::read_to_string(proxy.root.join("proxy.log")).expect("the proxy's log");
        let throttled: Vec<&str> = log.lines().filter(|l| l.contains(" 429 ")).collect();
        assert!(
            !throttled.is_empty(),
            "{}: the proxy never throttled:\n{log}",
            backend.name
        );
        assert!(
            started.elapsed() >= std::time::Duration::from_secs(2),
            "{}: the push did not wait:\n{log}",
            backend.name
        );
        repo.remove(".dvc/cache");
        repo.remove("f.txt");
        repo.gd(&["pull", "-q"]).success();
        assert_eq!(repo.read("f.txt"), "hello\n");
    }
}
