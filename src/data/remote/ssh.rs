//! SSH remotes (`ssh://[user@]host[:port]/abs/path`) over SFTP, with russh and
//! russh-sftp (pure Rust: no system `ssh` is run).
//!
//! Settings, with dvc-ssh's precedence: `user` (else the url's user, else `User` from
//! `~/.ssh/config`, else the login name), `port` (else the url's, else `Port` from
//! `~/.ssh/config`, else 22), `Hostname` from `~/.ssh/config`, `keyfile` (else the
//! `IdentityFile`s of `~/.ssh/config`, else `~/.ssh/id_ed25519`, `id_ecdsa`, `id_rsa`),
//! `passphrase` for the key, `password`, `timeout` (seconds, connect and per request;
//! dvc-ssh's default is 1800), `max_sessions` (SFTP channels; 10 by default, as
//! asyncssh). `ask_password`/`ask_passphrase` ask on the terminal, with dvc-ssh's prompt,
//! when the secret is not configured. `allow_agent` (true by default, as in dvc-ssh):
//! the keys of the ssh-agent at `SSH_AUTH_SOCK` are tried after the key files. `gss_auth`
//! is accepted and not used (no Kerberos support).
//!
//! Host keys: unlike dvc-ssh, which accepts any host key, the server's key must be in
//! `~/.ssh/known_hosts` (`[host]:port` for ports other than 22); an unknown or changed
//! key is refused with a message that says so, before any credential is sent.
//!
//! Layout as dvc-ssh: `<path>/files/md5/ab/cdef…`; uploads go to a temp name in the
//! object's directory (mode 0644, as dvc-ssh's land) and are renamed into place.

use super::{Downloaded, OpenOptions, RemoteError, RequestKind, Result};
use crate::data::config::RemoteConfig;
use russh::client;
use russh::keys::{PrivateKeyWithHashAlg, ssh_key};
use russh_sftp::client::SftpSession;
use russh_sftp::protocol::{FileAttributes, OpenFlags, StatusCode};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::OnceCell;

/// dvc-ssh's default timeout (asyncssh's login timeout as dvc sets it), in seconds.
const DEFAULT_TIMEOUT: u64 = 1800;
/// asyncssh's default number of sessions per connection.
const DEFAULT_MAX_SESSIONS: usize = 10;

/// How to log in, resolved from the config, the url and `~/.ssh/config`.
#[derive(Clone)]
struct Login {
    host: String,
    port: u16,
    user: String,
    keys: Vec<PathBuf>,
    passphrase: Option<super::s3::Secret>,
    password: Option<super::s3::Secret>,
    known_hosts: Option<PathBuf>,
    timeout: Duration,
    /// The ssh-agent's socket, when `allow_agent` (true by default) and `SSH_AUTH_SOCK`.
    agent: Option<PathBuf>,
    /// Whether the keys are the defaults (`~/.ssh/id_*`, ssh config), not a `keyfile`.
    default_keys: bool,
}

impl std::fmt::Debug for Login {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Login")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("user", &self.user)
            .field("keys", &self.keys)
            .finish_non_exhaustive()
    }
}

/// An SSH remote. Connects on first use; SFTP channels are opened as needed, up to
/// `max_sessions`, and shared round-robin.
pub struct SshRemote {
    name: String,
    root: String,
    login: Login,
    sessions: usize,
    conn: OnceCell<Conn>,
    next: AtomicUsize,
}

impl std::fmt::Debug for SshRemote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SshRemote")
            .field("name", &self.name)
            .field("root", &self.root)
            .field("login", &self.login)
            .finish_non_exhaustive()
    }
}

struct Conn {
    _handle: client::Handle<Verifier>,
    sftp: Vec<SftpSession>,
}

/// Checks the server's key against known_hosts and remembers why it refused.
struct Verifier {
    host: String,
    port: u16,
    known_hosts: Option<PathBuf>,
    refusal: Arc<std::sync::Mutex<Option<String>>>,
}

impl client::Handler for Verifier {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        key: &russh::keys::PublicKeyOrCertificate,
    ) -> std::result::Result<bool, Self::Error> {
        let russh::keys::PublicKeyOrCertificate::PublicKey { key, .. } = key else {
            self.refuse("the server presented a certificate, which git-dvc does not check".into());
            return Ok(false);
        };
        let shown = if self.port == 22 {
            self.host.clone()
        } else {
            format!("[{}]:{}", self.host, self.port)
        };
        let Some(path) = &self.known_hosts else {
            self.refuse(format!(
                "host key of {shown} cannot be checked: no home directory for `~/.ssh/known_hosts`"
            ));
            return Ok(false);
        };
        match russh::keys::check_known_hosts_path(&self.host, self.port, key, path) {
            Ok(true) => Ok(true),
            Ok(false) => {
                self.refuse(format!(
                    "host key of {shown} is unknown: it is not in {} (check the fingerprint {}, then add it, e.g. with `ssh-keyscan -p {} {} >> ~/.ssh/known_hosts`)",
                    path.display(),
                    key.fingerprint(ssh_key::HashAlg::Sha256),
                    self.port,
                    self.host
                ));
                Ok(false)
            }
            Err(russh::keys::Error::KeyChanged { line }) => {
                self.refuse(format!(
                    "host key of {shown} has CHANGED: it does not match line {line} of {}; refusing to connect",
                    path.display()
                ));
                Ok(false)
            }
            Err(e) => {
                self.refuse(format!("cannot read {}: {e}", path.display()));
                Ok(false)
            }
        }
    }
}

impl Verifier {
    fn refuse(&self, why: String) {
        if let Ok(mut r) = self.refusal.lock() {
            *r = Some(why);
        }
    }
}

/// One `Host` block of `~/.ssh/config`, reduced to what dvc-ssh reads.
#[derive(Debug, Default, Clone, PartialEq)]
struct SshConfig {
    hostname: Option<String>,
    user: Option<String>,
    port: Option<u16>,
    identity_files: Vec<String>,
}

/// OpenSSH's pattern match (`*`, `?`).
fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    fn go(p: &[char], t: &[char]) -> bool {
        match (p.first(), t.first()) {
            (None, None) => true,
            (Some('*'), _) => go(&p[1..], t) || (!t.is_empty() && go(p, &t[1..])),
            (Some('?'), Some(_)) => go(&p[1..], &t[1..]),
            (Some(a), Some(b)) if a.eq_ignore_ascii_case(b) => go(&p[1..], &t[1..]),
            _ => false,
        }
    }
    go(&p, &t)
}

/// The settings of `~/.ssh/config` for `host`: first value wins, as in OpenSSH.
fn parse_ssh_config(text: &str, host: &str) -> SshConfig {
    let mut out = SshConfig::default();
    let mut active = true;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, value) = match line.split_once(|c: char| c.is_whitespace() || c == '=') {
            Some((k, v)) => (k, v.trim_start_matches([' ', '\t', '=']).trim()),
            None => continue,
        };
        let value = value.trim_matches('"');
        match key.to_ascii_lowercase().as_str() {
            "host" => {
                let mut matched = false;
                for pat in value.split_whitespace() {
                    if let Some(neg) = pat.strip_prefix('!') {
                        if glob(neg, host) {
                            matched = false;
                            break;
                        }
                    } else if glob(pat, host) {
                        matched = true;
                    }
                }
                active = matched;
            }
            "match" => active = false,
            _ if !active => {}
            "hostname" if out.hostname.is_none() => out.hostname = Some(value.replace("%h", host)),
            "user" if out.user.is_none() => out.user = Some(value.to_string()),
            "port" if out.port.is_none() => out.port = value.parse().ok(),
            "identityfile" => out.identity_files.push(value.to_string()),
            _ => {}
        }
    }
    out
}

/// `ssh://user@host:port/path` → (user, host, port, path).
fn split_url(url: &str) -> Option<(Option<String>, String, Option<u16>, String)> {
    let rest = url.split_once("://")?.1;
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, "/"),
    };
    let (user, hostport) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u.split(':').next().unwrap_or(u).to_string()), h),
        None => (None, authority),
    };
    let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
        let (h, rest) = v6.split_once(']')?;
        (
            h.to_string(),
            rest.strip_prefix(':').and_then(|p| p.parse().ok()),
        )
    } else {
        match hostport.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), Some(p.parse().ok()?)),
            None => (hostport.to_string(), None),
        }
    };
    if host.is_empty() {
        return None;
    }
    Some((user.filter(|u| !u.is_empty()), host, port, path.to_string()))
}

fn expand(path: &str, home: Option<&Path>) -> PathBuf {
    match (path.strip_prefix("~/"), home) {
        (Some(rest), Some(h)) => h.join(rest),
        _ => PathBuf::from(path),
    }
}

impl SshRemote {
    /// Open the remote of `config`. Nothing is contacted.
    pub fn new(config: &RemoteConfig, options: &OpenOptions) -> Result<SshRemote> {
        let bad = |message: String| RemoteError::Config {
            remote: config.name.clone(),
            message,
        };
        let (url_user, url_host, url_port, path) = split_url(&config.url)
            .ok_or_else(|| bad(format!("'{}' is not an ssh url", config.url)))?;
        let home = options.home_dir.as_deref();
        let ssh_config = home
            .and_then(|h| fs_err::read_to_string(h.join(".ssh/config")).ok())
            .map(|text| parse_ssh_config(&text, &url_host))
            .unwrap_or_default();
        // dvc-ssh's prompts name only a user given in the config or the url.
        let asked_user = config
            .option("user")
            .map(str::to_string)
            .or(url_user.clone());
        let user = config
            .option("user")
            .map(str::to_string)
            .or(url_user)
            .or(ssh_config.user.clone())
            .or(options.user_name.clone())
            .ok_or_else(|| bad("no user name: set `user` or put one in the url".into()))?;
        let port = match config.option("port") {
            Some(p) => p
                .trim()
                .parse::<u16>()
                .map_err(|_| bad(format!("`port` {p} is not a port number")))?,
            None => url_port.or(ssh_config.port).unwrap_or(22),
        };
        let keys: Vec<PathBuf> = match config.option("keyfile") {
            Some(k) => vec![expand(k, home)],
            None if !ssh_config.identity_files.is_empty() => ssh_config
                .identity_files
                .iter()
                .map(|k| expand(k, home))
                .collect(),
            None => home
                .map(|h| {
                    ["id_ed25519", "id_ecdsa", "id_rsa"]
                        .iter()
                        .map(|n| h.join(".ssh").join(n))
                        .filter(|p| p.is_file())
                        .collect()
                })
                .unwrap_or_default(),
        };
        let mut secrets = [("password", None), ("passphrase", None)];
        for (secret, answer) in &mut secrets {
            *answer = config.option(secret).map(super::s3::Secret::new);
            if answer.is_none() && config.bool_option(&format!("ask_{secret}"), false) {
                // dvc-ssh's prompt names the url's host and any port given.
                let explicit_port = config
                    .option("port")
                    .map(str::to_string)
                    .or(url_port.map(|p| p.to_string()));
                let mut prompt = format!("Enter a {secret} for ");
                if let Some(u) = &asked_user {
                    prompt.push_str(&format!("{u}@"));
                }
                prompt.push_str(&url_host);
                if let Some(p) = explicit_port {
                    prompt.push_str(&format!(":{}", p.trim()));
                }
                prompt.push_str(":\n");
                *answer = Some(super::ask_secret(config, options, secret, &prompt)?);
            }
        }
        let [(_, password), (_, passphrase)] = secrets;
        let timeout = config
            .option("timeout")
            .and_then(|t| t.trim().parse::<u64>().ok())
            .filter(|t| *t > 0)
            .unwrap_or(DEFAULT_TIMEOUT);
        let sessions = config
            .option("max_sessions")
            .and_then(|t| t.trim().parse::<usize>().ok())
            .filter(|t| *t > 0)
            .unwrap_or(DEFAULT_MAX_SESSIONS);
        Ok(SshRemote {
            name: config.name.clone(),
            root: path.trim_end_matches('/').to_string(),
            login: Login {
                host: ssh_config.hostname.clone().unwrap_or(url_host),
                port,
                user,
                keys,
                passphrase,
                password,
                known_hosts: home.map(|h| h.join(".ssh/known_hosts")),
                timeout: Duration::from_secs(timeout),
                agent: options
                    .ssh_auth_sock
                    .clone()
                    .filter(|_| config.bool_option("allow_agent", true)),
                default_keys: config.option("keyfile").is_none(),
            },
            sessions,
            conn: OnceCell::new(),
            next: AtomicUsize::new(0),
        })
    }

    /// The number of SFTP channels (`max_sessions`).
    pub fn sessions(&self) -> usize {
        self.sessions
    }

    fn failed(
        &self,
        op: &'static str,
        key: &str,
        message: String,
        kind: RequestKind,
    ) -> RemoteError {
        RemoteError::request(&self.name, op, key, message, kind)
    }

    fn where_(&self) -> String {
        format!(
            "{}@{}:{}",
            self.login.user, self.login.host, self.login.port
        )
    }

    async fn connect(&self, jobs: usize) -> Result<Conn> {
        let l = &self.login;
        let config = Arc::new(client::Config {
            inactivity_timeout: Some(l.timeout),
            ..Default::default()
        });
        let refusal = Arc::new(std::sync::Mutex::new(None));
        let verifier = Verifier {
            host: l.host.clone(),
            port: l.port,
            known_hosts: l.known_hosts.clone(),
            refusal: refusal.clone(),
        };
        let connecting = client::connect(config, (l.host.as_str(), l.port), verifier);
        let connected = tokio::time::timeout(l.timeout, connecting).await;
        let mut handle = match connected {
            Err(_) => {
                return Err(self.failed(
                    "connect to",
                    &self.where_(),
                    "timed out".into(),
                    RequestKind::Timeout,
                ));
            }
            Ok(Err(e)) => {
                let refused = refusal.lock().ok().and_then(|mut r| r.take());
                return Err(match refused {
                    Some(why) => {
                        self.failed("connect to", &self.where_(), why, RequestKind::Permanent)
                    }
                    None => self.failed(
                        "connect to",
                        &self.where_(),
                        e.to_string(),
                        match e {
                            russh::Error::IO(_) | russh::Error::Disconnect => {
                                RequestKind::Transient
                            }
                            _ => RequestKind::Permanent,
                        },
                    ),
                });
            }
            Ok(Ok(h)) => h,
        };
        let auth_error = |e: russh::Error| {
            self.failed(
                "log in to",
                &self.where_(),
                e.to_string(),
                RequestKind::Permanent,
            )
        };
        let mut authenticated = false;
        let mut tried = Vec::new();
        let mut unloadable = Vec::new();
        for key_path in &l.keys {
            let key = match russh::keys::load_secret_key(
                key_path,
                l.passphrase.as_ref().map(|p| p.expose()),
            ) {
                Ok(k) => k,
                // A key that cannot be loaded (encrypted without a passphrase, say) is
                // skipped while the agent or a password may still log in.
                Err(e) if l.default_keys || l.agent.is_some() || l.password.is_some() => {
                    unloadable.push(format!("'{}': {e}", key_path.display()));
                    continue;
                }
                Err(e) => {
                    return Err(RemoteError::Config {
                        remote: self.name.clone(),
                        message: format!("cannot load the key '{}': {e}", key_path.display()),
                    });
                }
            };
            let hash = handle
                .best_supported_rsa_hash()
                .await
                .map_err(auth_error)?
                .flatten();
            let result = handle
                .authenticate_publickey(&l.user, PrivateKeyWithHashAlg::new(Arc::new(key), hash))
                .await
                .map_err(auth_error)?;
            tried.push(format!("key '{}'", key_path.display()));
            if result.success() {
                authenticated = true;
                break;
            }
        }
        if !authenticated && let Some(socket) = &l.agent {
            // An agent that is not there is no error: the other methods still count.
            if let Ok(mut agent) =
                russh::keys::agent::client::AgentClient::connect_uds(socket).await
            {
                let identities = agent.request_identities().await.unwrap_or_default();
                for identity in identities {
                    let russh::keys::agent::AgentIdentity::PublicKey { key, .. } = identity else {
                        continue;
                    };
                    let hash = handle
                        .best_supported_rsa_hash()
                        .await
                        .map_err(auth_error)?
                        .flatten();
                    tried.push(format!("agent key {}", key.fingerprint(Default::default())));
                    match handle
                        .authenticate_publickey_with(&l.user, key, hash, &mut agent)
                        .await
                    {
                        Ok(r) if r.success() => {
                            authenticated = true;
                            break;
                        }
                        Ok(_) => {}
                        Err(e) => {
                            return Err(self.failed(
                                "log in to",
                                &self.where_(),
                                format!("the ssh-agent failed: {e}"),
                                RequestKind::Auth,
                            ));
                        }
                    }
                }
            }
        }
        if !authenticated && let Some(password) = &l.password {
            let result = handle
                .authenticate_password(&l.user, password.expose())
                .await
                .map_err(auth_error)?;
            tried.push("password".into());
            authenticated = result.success();
        }
        if !authenticated {
            return Err(self.failed(
                "log in to",
                &self.where_(),
                {
                    let mut why = if tried.is_empty() {
                        "permission denied: no `keyfile`, key in ~/.ssh, ssh-agent key or `password` to log in with".to_string()
                    } else {
                        format!("permission denied (tried {})", tried.join(", "))
                    };
                    if !unloadable.is_empty() {
                        why.push_str(&format!(
                            "; keys that could not be loaded (set `passphrase` or `ask_passphrase` for an encrypted one): {}",
                            unloadable.join(", ")
                        ));
                    }
                    why
                },
                RequestKind::Auth,
            ));
        }
        let n = self.sessions.min(jobs.max(1));
        let mut sftp = Vec::with_capacity(n);
        for _ in 0..n {
            let channel = handle.channel_open_session().await.map_err(|e| {
                self.failed(
                    "open an SFTP session on",
                    &self.where_(),
                    e.to_string(),
                    RequestKind::Transient,
                )
            })?;
            channel.request_subsystem(true, "sftp").await.map_err(|e| {
                self.failed(
                    "open an SFTP session on",
                    &self.where_(),
                    e.to_string(),
                    RequestKind::Permanent,
                )
            })?;
            let session = SftpSession::new(channel.into_stream()).await.map_err(|e| {
                self.failed(
                    "open an SFTP session on",
                    &self.where_(),
                    e.to_string(),
                    RequestKind::Permanent,
                )
            })?;
            session.set_timeout(l.timeout.as_secs());
            sftp.push(session);
        }
        Ok(Conn {
            _handle: handle,
            sftp,
        })
    }

    async fn sftp(&self, jobs: usize) -> Result<&SftpSession> {
        let conn = self.conn.get_or_try_init(|| self.connect(jobs)).await?;
        let i = self.next.fetch_add(1, Ordering::Relaxed) % conn.sftp.len();
        Ok(&conn.sftp[i])
    }

    /// The remote path of `key`; the empty key is the root itself (`import-url` of a
    /// file opens the file's URL as the root).
    fn path(&self, key: &str) -> String {
        if key.is_empty() {
            return self.root.clone();
        }
        format!("{}/{key}", self.root)
    }

    /// What `key` is (`import-url`): `Some(true)` a directory, `Some(false)` a file with
    /// its size, `None` nothing. Symlinks are followed, as sshfs's `info` does.
    pub async fn stat_path(&self, key: &str) -> Result<Option<(bool, u64)>> {
        let sftp = self.sftp(1).await?;
        match sftp.metadata(self.path(key)).await {
            Ok(meta) => Ok(Some((meta.is_dir(), meta.len()))),
            Err(e) => match self.sftp_error("check", key, e) {
                e if e.is_not_found() => Ok(None),
                e => Err(e),
            },
        }
    }

    /// Every file below the directory `key` (`import-url`): `(relpath, size)`, relpaths
    /// `/`-separated below `key`, in no particular order.
    pub async fn walk_files(&self, key: &str) -> Result<Vec<(String, u64)>> {
        Ok(self
            .walk_all(key)
            .await?
            .into_iter()
            .filter(|(_, is_dir, _)| !is_dir)
            .map(|(r, _, size)| (r, size))
            .collect())
    }

    /// Every file and directory below the directory `key` (`ls-url`, which shows a
    /// directory's size as sshfs does): `(relpath, is a directory, size)`.
    pub async fn walk_all(&self, key: &str) -> Result<Vec<(String, bool, u64)>> {
        let sftp = self.sftp(1).await?;
        let mut out = Vec::new();
        let mut pending = vec![String::new()];
        while let Some(rel) = pending.pop() {
            let dir = match (key.is_empty(), rel.is_empty()) {
                (_, true) => self.path(key),
                (true, false) => self.path(&rel),
                (false, false) => self.path(&format!("{key}/{rel}")),
            };
            let entries = sftp
                .read_dir(dir)
                .await
                .map_err(|e| self.sftp_error("list", key, e))?;
            for e in entries {
                let name = e.file_name();
                if name == "." || name == ".." {
                    continue;
                }
                let r = if rel.is_empty() {
                    name
                } else {
                    format!("{rel}/{name}")
                };
                let meta = e.metadata();
                if meta.is_dir() {
                    pending.push(r.clone());
                }
                out.push((r, meta.is_dir(), meta.len()));
            }
        }
        Ok(out)
    }

    fn sftp_error(
        &self,
        op: &'static str,
        key: &str,
        e: russh_sftp::client::error::Error,
    ) -> RemoteError {
        use russh_sftp::client::error::Error as E;
        match &e {
            E::Status(s) if s.status_code == StatusCode::NoSuchFile && op != "upload" => {
                RemoteError::NotFound {
                    remote: self.name.clone(),
                    key: key.to_string(),
                }
            }
            E::Status(s) => self.failed(
                op,
                key,
                format!("{} ({:?})", s.error_message, s.status_code),
                match s.status_code {
                    StatusCode::PermissionDenied => RequestKind::Auth,
                    StatusCode::ConnectionLost | StatusCode::NoConnection => RequestKind::Transient,
                    _ => RequestKind::Permanent,
                },
            ),
            E::Timeout => self.failed(op, key, "timed out".into(), RequestKind::Timeout),
            _ => self.failed(op, key, e.to_string(), RequestKind::Transient),
        }
    }

    async fn exists(&self, key: &str, jobs: usize) -> Result<bool> {
        let sftp = self.sftp(jobs).await?;
        match sftp.metadata(self.path(key)).await {
            Ok(m) => Ok(m.is_regular()),
            Err(e) => match self.sftp_error("check", key, e) {
                e if e.is_not_found() => Ok(false),
                e => Err(e),
            },
        }
    }

    /// Which keys exist: one `stat` each, `jobs` at a time.
    pub async fn exists_many(&self, keys: &[String], jobs: usize) -> Result<Vec<bool>> {
        super::concurrent(keys.to_vec(), jobs, |k| async move {
            self.exists(&k, jobs).await
        })
        .await
        .into_iter()
        .collect()
    }

    async fn mkdirs(&self, sftp: &SftpSession, dir: &str) -> Result<()> {
        // Most directories exist: check from the deepest, create downwards.
        let mut missing = Vec::new();
        let mut d = dir.to_string();
        loop {
            match sftp.metadata(d.clone()).await {
                Ok(_) => break,
                Err(_) => {
                    missing.push(d.clone());
                    match d.rsplit_once('/') {
                        Some((parent, _)) if !parent.is_empty() => d = parent.to_string(),
                        _ => break,
                    }
                }
            }
        }
        for m in missing.into_iter().rev() {
            if let Err(e) = sftp.create_dir(m.clone()).await
                && !sftp.try_exists(m.clone()).await.unwrap_or(false)
            {
                return Err(self.sftp_error("create directory", &m, e));
            }
        }
        Ok(())
    }

    /// Upload `src` to `key`: a temp name in the object's directory, then a rename.
    pub async fn upload(&self, src: &Path, key: &str) -> Result<()> {
        let sftp = self.sftp(1).await?;
        let dest = self.path(key);
        let (dir, file) = dest.rsplit_once('/').unwrap_or(("", dest.as_str()));
        let tmp = format!("{dir}/.{file}.{:016x}.tmp", rand_token(key));
        let mut from = tokio::fs::File::open(src)
            .await
            .map_err(RemoteError::io("read", src))?;
        let attrs = FileAttributes {
            permissions: Some(0o644),
            ..FileAttributes::empty()
        };
        let flags = OpenFlags::CREATE | OpenFlags::TRUNCATE | OpenFlags::WRITE;
        let mut to = match sftp
            .open_with_flags_and_attributes(tmp.clone(), flags, attrs.clone())
            .await
        {
            Ok(f) => f,
            Err(_) => {
                self.mkdirs(sftp, dir).await?;
                sftp.open_with_flags_and_attributes(tmp.clone(), flags, attrs)
                    .await
                    .map_err(|e| self.sftp_error("upload", key, e))?
            }
        };
        let mut buf = vec![0u8; 256 * 1024];
        let copied: Result<()> = async {
            loop {
                let n = from
                    .read(&mut buf)
                    .await
                    .map_err(RemoteError::io("read", src))?;
                if n == 0 {
                    break;
                }
                to.write_all(&buf[..n]).await.map_err(|e| {
                    self.failed("upload", key, e.to_string(), RequestKind::Transient)
                })?;
            }
            to.shutdown()
                .await
                .map_err(|e| self.failed("upload", key, e.to_string(), RequestKind::Transient))?;
            Ok(())
        }
        .await;
        if let Err(e) = copied {
            let _ = sftp.remove_file(tmp).await;
            return Err(e);
        }
        if let Err(e) = sftp.rename(tmp.clone(), dest.clone()).await {
            // SFTP's rename does not replace: an object that arrived meanwhile is fine.
            let _ = sftp.remove_file(tmp).await;
            if !sftp.try_exists(dest).await.unwrap_or(false) {
                return Err(self.sftp_error("upload", key, e));
            }
        }
        Ok(())
    }

    /// Download `key` into the new file `dest`, hashing on the way.
    pub async fn download(&self, key: &str, dest: &Path) -> Result<Downloaded> {
        let sftp = self.sftp(1).await?;
        let mut from = sftp
            .open(self.path(key))
            .await
            .map_err(|e| self.sftp_error("download", key, e))?;
        let mut to = tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o644)
            .open(dest)
            .await
            .map_err(RemoteError::io("create", dest))?;
        let mut hasher = crate::data::hash::Hasher::new();
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            let n = from
                .read(&mut buf)
                .await
                .map_err(|e| self.failed("download", key, e.to_string(), RequestKind::Transient))?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            to.write_all(&buf[..n])
                .await
                .map_err(RemoteError::io("write", dest))?;
        }
        to.flush().await.map_err(RemoteError::io("write", dest))?;
        let (md5, size) = hasher.finish();
        Ok(Downloaded { md5, size })
    }

    async fn list_dir(&self, sftp: &SftpSession, dir: &str) -> Result<Vec<(String, bool)>> {
        match sftp.read_dir(dir.to_string()).await {
            Ok(rd) => Ok(rd
                .map(|e| (e.file_name(), e.file_type().is_dir()))
                .collect()),
            Err(e) => match self.sftp_error("list", dir, e) {
                e if e.is_not_found() => Ok(Vec::new()),
                e => Err(e),
            },
        }
    }

    /// Every object key (modern and legacy layouts).
    pub async fn list(&self, jobs: usize) -> Result<Vec<String>> {
        let sftp = self.sftp(jobs).await?;
        let mut out = Vec::new();
        for (base, prefix) in [
            (format!("{}/files/md5", self.root), "files/md5/"),
            (self.root.clone(), ""),
        ] {
            let heads: Vec<String> = self
                .list_dir(sftp, &base)
                .await?
                .into_iter()
                .filter(|(n, is_dir)| *is_dir && n.len() == 2)
                .map(|(n, _)| n)
                .collect();
            let listed = super::concurrent(heads, jobs, |h| {
                let base = base.clone();
                async move {
                    let sftp = self.sftp(jobs).await?;
                    let names = self.list_dir(sftp, &format!("{base}/{h}")).await?;
                    Ok::<_, RemoteError>((h, names))
                }
            })
            .await;
            for r in listed {
                let (h, names) = r?;
                for (n, is_dir) in names {
                    let key = format!("{prefix}{h}/{n}");
                    if !is_dir && super::oid_of_key(&key).is_some() {
                        out.push(key);
                    }
                }
            }
        }
        Ok(out)
    }

    /// Delete `keys`; absent ones are fine.
    pub async fn delete(&self, keys: &[String], jobs: usize) -> Result<()> {
        let results = super::concurrent(keys.to_vec(), jobs, |k| async move {
            let sftp = self.sftp(jobs).await?;
            match sftp.remove_file(self.path(&k)).await {
                Ok(()) => Ok(()),
                Err(e) => match self.sftp_error("delete", &k, e) {
                    e if e.is_not_found() => Ok(()),
                    e => Err(e),
                },
            }
        })
        .await;
        results.into_iter().collect()
    }
}

fn rand_token(key: &str) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write(key.as_bytes());
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split() {
        assert_eq!(
            split_url("ssh://bob@127.0.0.1:2222/srv/store"),
            Some((
                Some("bob".into()),
                "127.0.0.1".into(),
                Some(2222),
                "/srv/store".into()
            ))
        );
        assert_eq!(
            split_url("ssh://example.com/x"),
            Some((None, "example.com".into(), None, "/x".into()))
        );
        assert_eq!(split_url("ssh://"), None);
    }

    #[test]
    fn ssh_config_first_match_wins() {
        let text = "Host other\n  User nobody\nHost *.example.com ex\n  HostName real.example.com\n  User alice\n  Port 2200\n  IdentityFile ~/.ssh/k1\nHost *\n  User fallback\n  IdentityFile ~/.ssh/k2\n";
        let c = parse_ssh_config(text, "ex");
        assert_eq!(c.hostname.as_deref(), Some("real.example.com"));
        assert_eq!(c.user.as_deref(), Some("alice"));
        assert_eq!(c.port, Some(2200));
        assert_eq!(c.identity_files, vec!["~/.ssh/k1", "~/.ssh/k2"]);
        assert_eq!(
            parse_ssh_config(text, "zzz").user.as_deref(),
            Some("fallback")
        );
    }
}
