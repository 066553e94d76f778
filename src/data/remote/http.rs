//! HTTP(S) remotes (`http://host/path`, `https://…`) through reqwest, as dvc-http uses them.
//!
//! Options, with dvc-http's meaning: `auth` (`basic`: `user` + `password`; `custom`:
//! `custom_auth_header` whose value is `password`), `ssl_verify` (true; false; or a CA
//! bundle path), `method` (the upload method, `POST` by default, or `PUT`),
//! `connect_timeout` and `read_timeout` (seconds, 60 by default, as dvc-http).
//! `auth = digest` is refused, as dvc-http refuses it. `ask_password` (with `auth` set
//! and no `password`) asks on the terminal with dvc-http's prompt.
//!
//! An object is `<url>/<key>`: `GET` downloads it, `HEAD` tells whether it exists (200 or
//! 404: there is no listing, so existence is one request per object, as in dvc-http),
//! `POST`/`PUT` uploads it with its length. An HTTP server has no delete and no listing:
//! `gc -c` refuses such a remote, as dvc does.
//!
//! Transient failures (connection errors, 5xx, 408, 429) are classified retriable for the
//! transfer layer, which retries with backoff. Credentials never reach an error message
//! or `Debug` output.

use super::s3::{Secret, SslVerify};
use super::{Downloaded, OpenOptions, RemoteError, RequestKind, Result};
use crate::data::config::{RemoteConfig, parse_bool};
use reqwest::{Client, Method, StatusCode};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How requests authenticate.
#[derive(Debug, Clone)]
enum Auth {
    None,
    Basic { user: String, password: Secret },
    Header { name: String, value: Secret },
}

/// An HTTP remote.
#[derive(Debug)]
pub struct HttpRemote {
    name: String,
    base: String,
    client: Client,
    method: Method,
    auth: Auth,
}

fn seconds(value: Option<&str>, default: f64) -> Duration {
    value
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s > 0.0)
        .map(Duration::from_secs_f64)
        .unwrap_or(Duration::from_secs_f64(default))
}

/// `ssl_verify`: a boolean, or the path of a CA bundle.
pub(crate) fn ssl_verify(config: &RemoteConfig) -> SslVerify {
    match config.option("ssl_verify") {
        None => SslVerify::Default,
        Some(v) => match parse_bool(v) {
            Some(true) => SslVerify::Default,
            Some(false) => SslVerify::Disabled,
            None => SslVerify::CaBundle(PathBuf::from(v)),
        },
    }
}

/// A reqwest client builder with the TLS settings of `verify` applied.
pub(crate) fn tls_client(remote: &str, verify: &SslVerify) -> Result<reqwest::ClientBuilder> {
    let mut builder = Client::builder();
    match verify {
        SslVerify::Default => {}
        SslVerify::Disabled => builder = builder.tls_danger_accept_invalid_certs(true),
        SslVerify::CaBundle(path) => {
            let pem = fs_err::read(path).map_err(|e| RemoteError::Config {
                remote: remote.to_string(),
                message: format!("cannot read the CA bundle of `ssl_verify`: {e}"),
            })?;
            let certs =
                reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| RemoteError::Config {
                    remote: remote.to_string(),
                    message: format!(
                        "`ssl_verify` names '{}', which is not a PEM CA bundle: {e}",
                        path.display()
                    ),
                })?;
            builder = builder.tls_certs_only(certs);
        }
    }
    Ok(builder)
}

/// The class of an HTTP status.
pub(crate) fn status_kind(status: StatusCode) -> RequestKind {
    match status.as_u16() {
        401 | 403 => RequestKind::Auth,
        408 => RequestKind::Timeout,
        429 | 500..=599 => RequestKind::Transient,
        _ => RequestKind::Permanent,
    }
}

/// A 429 or 503 whose response says how long to wait becomes
/// [`RequestKind::Throttled`], which the transfer's retries wait for.
trait Throttled {
    fn throttled(self, resp: &reqwest::Response) -> Self;
}

impl Throttled for RemoteError {
    fn throttled(mut self, resp: &reqwest::Response) -> Self {
        let header = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok());
        let wait = super::retry_after(resp.status().as_u16(), header);
        if let (RemoteError::Request { kind, .. }, Some(wait)) = (&mut self, wait) {
            *kind = RequestKind::Throttled(wait);
        }
        self
    }
}

/// The class of a client error (no status).
pub(crate) fn error_kind(e: &reqwest::Error) -> RequestKind {
    if e.is_timeout() {
        RequestKind::Timeout
    } else if let Some(s) = e.status() {
        status_kind(s)
    } else if e.is_connect() || e.is_request() || e.is_body() || e.is_decode() {
        RequestKind::Transient
    } else {
        RequestKind::Permanent
    }
}

/// The message of an error and its sources, with any user info of the URL removed.
pub(crate) fn error_text(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let m = s.to_string();
        if !text.contains(&m) {
            text.push_str(": ");
            text.push_str(&m);
        }
        source = s.source();
    }
    match e.url() {
        Some(url) => text.replace(url.as_str(), &redact_userinfo(url.as_str())),
        None => text,
    }
}

impl HttpRemote {
    /// Open the remote of `config` (an `http` or `https` url). Nothing is contacted.
    pub fn new(config: &RemoteConfig, options: &OpenOptions) -> Result<HttpRemote> {
        let bad = |message: String| RemoteError::Config {
            remote: config.name.clone(),
            message,
        };
        let mut password = config.option("password").map(Secret::new);
        if password.is_none()
            && config.option("auth").is_some()
            && config.bool_option("ask_password", false)
        {
            let prompt = format!(
                "Enter a password for host '{}' user '{}':\n",
                redact_userinfo(&config.url),
                config.option("user").unwrap_or("custom")
            );
            password = Some(super::ask_secret(config, options, "password", &prompt)?);
        }
        let auth = match config.option("auth") {
            None => Auth::None,
            Some("basic") => match (config.option("user"), password) {
                (Some(user), Some(password)) => Auth::Basic {
                    user: user.to_string(),
                    password,
                },
                _ => {
                    return Err(bad(
                        "HTTP 'basic' authentication require both 'user' and 'password'".into(),
                    ));
                }
            },
            Some("custom") => match (config.option("custom_auth_header"), password) {
                (Some(name), Some(value)) => Auth::Header {
                    name: name.to_string(),
                    value,
                },
                _ => {
                    return Err(bad(
                        "HTTP 'custom' authentication require both 'custom_auth_header' and 'password'".into(),
                    ));
                }
            },
            Some(other) => {
                return Err(bad(format!(
                    "HTTP authentication method '{other}' is not supported"
                )));
            }
        };
        let method = match config.option("method").map(str::to_ascii_uppercase) {
            None => Method::POST,
            Some(m) if m == "POST" => Method::POST,
            Some(m) if m == "PUT" => Method::PUT,
            Some(m) => {
                return Err(bad(format!(
                    "upload method '{m}' is not supported (POST or PUT)"
                )));
            }
        };
        let client = tls_client(&config.name, &ssl_verify(config))?
            .connect_timeout(seconds(config.option("connect_timeout"), 60.0))
            .read_timeout(seconds(config.option("read_timeout"), 60.0))
            .build()
            .map_err(|e| bad(format!("cannot build the HTTP client: {}", error_text(&e))))?;
        Ok(HttpRemote {
            name: config.name.clone(),
            base: config.url.trim_end_matches('/').to_string(),
            client,
            method,
            auth,
        })
    }

    fn url(&self, key: &str) -> String {
        if key.is_empty() {
            // The remote's URL itself (`import-url` opens the file's own URL).
            return self.base.clone();
        }
        format!("{}/{key}", self.base)
    }

    /// aiohttp's words for a missing `key`, which dvc-http adds to "does not exist":
    /// `404, message='<the server's reason phrase>', url='<url>'` (credentials masked).
    /// `None` when the server does not answer 404 now.
    pub async fn not_found_detail(&self, key: &str) -> Option<String> {
        use crate::data::config::py_repr;
        let resp = self.request(Method::GET, key).send().await.ok()?;
        let status = resp.status();
        if status != StatusCode::NOT_FOUND {
            return None;
        }
        // hyper keeps a reason phrase that is not the standard one as an extension.
        let reason = resp
            .extensions()
            .get::<hyper::ext::ReasonPhrase>()
            .map(|r| String::from_utf8_lossy(r.as_bytes()).into_owned())
            .or_else(|| status.canonical_reason().map(str::to_string))
            .unwrap_or_default();
        Some(format!(
            "{}, message={}, url={}",
            status.as_u16(),
            py_repr(&reason),
            py_repr(&redact_userinfo(resp.url().as_str()))
        ))
    }

    /// What the server says of `key` without its body (`import-url`), as dvc-http
    /// (fsspec) reads it: `HEAD`, then `GET` when that gave no size; `None` on 404.
    pub async fn stat(&self, key: &str) -> Result<Option<UrlInfo>> {
        let mut fields: Vec<(String, PyValue)> = Vec::new();
        let mut found = false;
        let mut failure = None;
        for method in [Method::HEAD, Method::GET] {
            let resp = match self
                .request(method, key)
                .header(reqwest::header::ACCEPT_ENCODING, "identity")
                .send()
                .await
            {
                Ok(r) => r,
                Err(e) => {
                    failure = Some(self.client_error("check", key, &e));
                    continue;
                }
            };
            let status = resp.status();
            if status == StatusCode::NOT_FOUND {
                continue;
            }
            if !status.is_success() {
                failure = Some(self.status_error("check", key, status));
                continue;
            }
            found = true;
            merge_info(&mut fields, &resp);
            if fields.iter().any(|(k, _)| k == "size") {
                break;
            }
        }
        if !found {
            return match failure {
                Some(e)
                    if !matches!(
                        e,
                        RemoteError::Request {
                            kind: RequestKind::Permanent,
                            ..
                        }
                    ) =>
                {
                    Err(e)
                }
                _ => Ok(None),
            };
        }
        let header = |name: &str| {
            fields.iter().find_map(|(k, v)| match v {
                PyValue::Str(s) if k == name => Some(s.clone()),
                _ => None,
            })
        };
        let size = fields.iter().find_map(|(k, v)| match v {
            PyValue::Int(n) if k == "size" => Some(*n),
            _ => None,
        });
        let checksum = match header("ETag").or_else(|| header("Content-MD5")) {
            Some(c) => c,
            None => {
                // fsspec's `checksum`: the decimal of the md5 of `str((info,))`, the info
                // dict being `{"name": url, "size": None, **info, "type": "file"}`.
                let mut dict = vec![
                    ("name".to_string(), PyValue::Str(self.url(key))),
                    ("size".to_string(), PyValue::None),
                ];
                for (k, v) in fields {
                    match dict.iter_mut().find(|(dk, _)| *dk == k) {
                        Some(slot) => slot.1 = v,
                        None => dict.push((k, v)),
                    }
                }
                dict.push(("type".into(), PyValue::Str("file".into())));
                let text = format!("({},)", py_dict(&dict));
                let md5 = crate::data::hash::md5_bytes(text.as_bytes());
                u128::from_str_radix(&md5, 16)
                    .map(|n| n.to_string())
                    .unwrap_or(md5)
            }
        };
        Ok(Some(UrlInfo { size, checksum }))
    }

    fn request(&self, method: Method, key: &str) -> reqwest::RequestBuilder {
        let req = self.client.request(method, self.url(key));
        match &self.auth {
            Auth::None => req,
            Auth::Basic { user, password } => req.basic_auth(user, Some(password.expose())),
            Auth::Header { name, value } => req.header(name.as_str(), value.expose()),
        }
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

    fn client_error(&self, op: &'static str, key: &str, e: &reqwest::Error) -> RemoteError {
        self.failed(op, key, error_text(e), error_kind(e))
    }

    fn status_error(&self, op: &'static str, key: &str, status: StatusCode) -> RemoteError {
        let message = match status_kind(status) {
            RequestKind::Auth => {
                format!("access denied: check the credentials (HTTP status {status})")
            }
            _ => format!("HTTP status {status}"),
        };
        self.failed(op, key, message, status_kind(status))
    }

    async fn head(&self, key: &str) -> Result<bool> {
        let resp = self
            .request(Method::HEAD, key)
            .send()
            .await
            .map_err(|e| self.client_error("check", key, &e))?;
        match resp.status() {
            s if s.is_success() => Ok(true),
            StatusCode::NOT_FOUND => Ok(false),
            s => Err(self.status_error("check", key, s).throttled(&resp)),
        }
    }

    /// Which keys exist: one HEAD each, `jobs` at a time.
    pub async fn exists_many(&self, keys: &[String], jobs: usize) -> Result<Vec<bool>> {
        super::concurrent(keys.to_vec(), jobs, |k| async move { self.head(&k).await })
            .await
            .into_iter()
            .collect()
    }

    /// Upload `src` to `key` with the configured method and its length.
    pub async fn upload(&self, src: &Path, key: &str) -> Result<()> {
        let file = tokio::fs::File::open(src)
            .await
            .map_err(RemoteError::io("read", src))?;
        let len = file
            .metadata()
            .await
            .map_err(RemoteError::io("stat", src))?
            .len();
        let resp = self
            .request(self.method.clone(), key)
            .header(reqwest::header::CONTENT_LENGTH, len)
            .body(reqwest::Body::from(file))
            .send()
            .await
            .map_err(|e| self.client_error("upload", key, &e))?;
        match resp.status() {
            s if s.is_success() => Ok(()),
            s => Err(self.status_error("upload", key, s).throttled(&resp)),
        }
    }

    /// Download `key` into the new file `dest`, hashing on the way.
    pub async fn download(&self, key: &str, dest: &Path) -> Result<Downloaded> {
        let resp = self
            .request(Method::GET, key)
            .send()
            .await
            .map_err(|e| self.client_error("download", key, &e))?;
        match resp.status() {
            s if s.is_success() => {}
            StatusCode::NOT_FOUND => {
                return Err(RemoteError::NotFound {
                    remote: self.name.clone(),
                    key: key.to_string(),
                });
            }
            s => return Err(self.status_error("download", key, s).throttled(&resp)),
        }
        use futures_util::TryStreamExt;
        let stream = resp
            .bytes_stream()
            .map_err(|e| self.client_error("download", key, &e));
        super::write_stream(stream, dest).await
    }

    /// An HTTP remote cannot be listed.
    pub fn list(&self) -> Result<Vec<String>> {
        Err(self.failed(
            "list",
            "",
            "an HTTP remote cannot be listed, so `gc -c` cannot tell what is unused on it".into(),
            RequestKind::Permanent,
        ))
    }

    /// An HTTP remote has no delete.
    pub fn delete(&self) -> Result<()> {
        Err(self.failed(
            "delete",
            "",
            "an HTTP remote does not support deleting objects".into(),
            RequestKind::Permanent,
        ))
    }
}

/// What an HTTP server says of one URL (`import-url`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlInfo {
    /// `Content-Length`, where the server sends it (and no content encoding).
    pub size: Option<u64>,
    /// dvc-http's `checksum` of the URL: its `ETag` (else `Content-MD5`) verbatim, else
    /// fsspec's token of the response's info.
    pub checksum: String,
}

/// A value of fsspec's info dict, rendered as Python's `repr` renders it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum PyValue {
    None,
    False,
    Int(u64),
    Str(String),
}

/// Add what fsspec's `_file_info` reads from `resp` to `fields` (a later response
/// updates the values of an earlier one in place, as `dict.update`).
fn merge_info(fields: &mut Vec<(String, PyValue)>, resp: &reqwest::Response) {
    let headers = resp.headers();
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let mut add = |k: &str, v: PyValue| match fields.iter_mut().find(|(fk, _)| fk == k) {
        Some(slot) => slot.1 = v,
        None => fields.push((k.to_string(), v)),
    };
    let identity = get("Content-Encoding").is_none_or(|e| e.is_empty() || e == "identity");
    if let Some(len) = get("Content-Length") {
        if identity && let Ok(n) = len.trim().parse() {
            add("size", PyValue::Int(n));
        }
    } else if let Some(n) = get("Content-Range")
        .and_then(|r| r.rsplit('/').next())
        .and_then(|n| n.trim().parse().ok())
    {
        add("size", PyValue::Int(n));
    }
    if let Some(t) = get("Content-Type") {
        add(
            "mimetype",
            PyValue::Str(t.split(';').next().unwrap_or("").to_string()),
        );
    }
    if get("Accept-Ranges") == Some("none") {
        add("partial", PyValue::False);
    }
    add("url", PyValue::Str(resp.url().to_string()));
    for name in ["ETag", "Content-MD5", "Digest", "Last-Modified"] {
        if let Some(v) = get(name).filter(|v| !v.is_empty()) {
            add(name, PyValue::Str(v.to_string()));
        }
    }
}

/// Python's `repr` of a dict of `fields`.
fn py_dict(fields: &[(String, PyValue)]) -> String {
    let items: Vec<String> = fields
        .iter()
        .map(|(k, v)| {
            let v = match v {
                PyValue::None => "None".to_string(),
                PyValue::False => "False".to_string(),
                PyValue::Int(n) => n.to_string(),
                PyValue::Str(s) => crate::data::config::py_repr(s),
            };
            format!("{}: {v}", crate::data::config::py_repr(k))
        })
        .collect();
    format!("{{{}}}", items.join(", "))
}

/// `scheme://user:pw@host/…` → `scheme://host/…`.
pub(crate) fn redact_userinfo(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    match authority.rsplit_once('@') {
        Some((_, host)) => format!("{scheme}://{host}{path}"),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod url_info_tests {
    use super::*;

    /// The token dvc-http (3.67.1's fsspec) recorded for a server without an ETag.
    #[test]
    fn checksum_token_is_fsspecs() {
        let url = "http://127.0.0.1:18731/a.txt";
        let dict = vec![
            ("name".to_string(), PyValue::Str(url.into())),
            ("size".to_string(), PyValue::Int(6)),
            ("url".to_string(), PyValue::Str(url.into())),
            ("type".to_string(), PyValue::Str("file".into())),
        ];
        let md5 = crate::data::hash::md5_bytes(format!("({},)", py_dict(&dict)).as_bytes());
        assert_eq!(
            u128::from_str_radix(&md5, 16).unwrap().to_string(),
            "288437305751235012101788240926886838312"
        );
    }

    #[test]
    fn python_repr_of_strings() {
        assert_eq!(crate::data::config::py_repr("a'b"), "\"a'b\"");
        assert_eq!(crate::data::config::py_repr("a'b\""), "'a\\'b\"'");
        assert_eq!(crate::data::config::py_repr("x\\y\n"), "'x\\\\y\\n'");
        assert_eq!(
            py_dict(&[("k".into(), PyValue::None), ("p".into(), PyValue::False)]),
            "{'k': None, 'p': False}"
        );
    }
}
