//! WebDAV remotes (`webdav://host[:port]/path` over http, `webdavs://…` over https)
//! through OpenDAL's WebDAV service, with dvc-webdav's options:
//!
//! - `user` (else the url's user name) and `password`: basic authentication;
//! - `token`: `Authorization: Bearer <token>`, which wins over `user`, as in dvc-webdav;
//! - `custom_auth_header` (without `user`): that header, with `password` as its value;
//! - `cert_path` and `key_path`: a client certificate (PEM; the key may be in `cert_path`);
//! - `ssl_verify` (true, false, or a CA bundle path) and `timeout` (seconds, default 30).
//!
//! `ask_password` asks on the terminal with dvc-webdav's prompt when a `user` or a
//! `custom_auth_header` has no `password` (and no `token` is set). `bearer_token_command`
//! is refused with a clear message: `.dvc/config` travels with the repository, and
//! git-dvc runs no command named by a file that a `git clone` brought (under the global
//! install a clone fetches data at once).
//!
//! dvc-webdav does not create the remote's root collection; git-dvc does not either, so
//! both behave the same on a missing root (the server answers 409 Conflict). Uploads go
//! to a temp name and are renamed (MOVE) into place; see [`super::dal`].

use super::dal::DalRemote;
use super::http::{redact_userinfo, ssl_verify, tls_client};
use super::{OpenOptions, RemoteError, Result};
use crate::data::config::RemoteConfig;
use std::time::Duration;

/// A WebDAV remote.
pub type WebdavRemote = DalRemote;

/// The parts of a `webdav[s]://` url: the http endpoint, the root path, the url's user.
fn split_url(url: &str) -> Option<(String, String, Option<String>)> {
    let (scheme, rest) = url.split_once("://")?;
    let http = match scheme.to_ascii_lowercase().as_str() {
        "webdav" => "http",
        "webdavs" => "https",
        _ => return None,
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let (user, host) = match authority.rsplit_once('@') {
        Some((userinfo, host)) => (
            Some(userinfo.split(':').next().unwrap_or("").to_string()).filter(|u| !u.is_empty()),
            host,
        ),
        None => (None, authority),
    };
    if host.is_empty() {
        return None;
    }
    let root = format!("/{}", path.trim_matches('/'));
    Some((format!("{http}://{host}"), root, user))
}

/// Open the remote of `config`. Nothing is contacted.
pub fn open(config: &RemoteConfig, options: &OpenOptions) -> Result<WebdavRemote> {
    let bad = |message: String| RemoteError::Config {
        remote: config.name.clone(),
        message,
    };
    let (endpoint, root, url_user) = split_url(&config.url).ok_or_else(|| {
        bad(format!(
            "'{}' is not a WebDAV url",
            redact_userinfo(&config.url)
        ))
    })?;
    if config.option("bearer_token_command").is_some() {
        return Err(bad(
            "`bearer_token_command` is not supported by git-dvc: set `token` instead".into(),
        ));
    }
    let user = config.option("user").map(str::to_string).or(url_user);
    let mut password = config.option("password").map(str::to_string);
    let token = config.option("token").filter(|t| !t.is_empty());
    let custom_header = config.option("custom_auth_header");
    // dvc-webdav asks when the password is missing or empty.
    let asked_for = user.as_deref().or(custom_header);
    if token.is_none()
        && let Some(who) = asked_for
        && password.as_deref().is_none_or(str::is_empty)
        && config.bool_option("ask_password", false)
    {
        let prompt = format!("Enter a password for host '{endpoint}' user '{who}':\n");
        let answer = super::ask_secret(config, options, "password", &prompt)?;
        password = Some(answer.expose().to_string());
    }
    let password = password.as_deref();

    let mut headers = reqwest::header::HeaderMap::new();
    if token.is_none()
        && user.is_none()
        && let (Some(name), Some(value)) = (custom_header, password)
    {
        let name = reqwest::header::HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
            bad(format!(
                "`custom_auth_header` '{name}' is not a header name"
            ))
        })?;
        let mut value = reqwest::header::HeaderValue::from_str(value)
            .map_err(|_| bad("the `password` is not a valid header value".into()))?;
        value.set_sensitive(true);
        headers.insert(name, value);
    }
    let timeout = config
        .option("timeout")
        .and_then(|t| t.trim().parse::<f64>().ok())
        .filter(|t| t.is_finite() && *t > 0.0)
        .unwrap_or(30.0);
    let mut client = tls_client(&config.name, &ssl_verify(config))?
        .default_headers(headers)
        .connect_timeout(Duration::from_secs_f64(timeout))
        .read_timeout(Duration::from_secs_f64(timeout));
    if let Some(cert) = config.option("cert_path") {
        let mut pem =
            fs_err::read(cert).map_err(|e| bad(format!("cannot read `cert_path`: {e}")))?;
        if let Some(key) = config.option("key_path") {
            pem.push(b'\n');
            pem.extend(fs_err::read(key).map_err(|e| bad(format!("cannot read `key_path`: {e}")))?);
        }
        let identity = reqwest::Identity::from_pem(&pem).map_err(|e| {
            bad(format!(
                "`cert_path`/`key_path` are not a PEM certificate and key: {e}"
            ))
        })?;
        client = client.identity(identity);
    }
    let client = client
        .build()
        .map_err(|e| bad(format!("cannot build the HTTP client: {e}")))?;

    let mut builder = opendal::services::Webdav::default()
        .endpoint(&endpoint)
        .root(&root);
    if let Some(token) = token {
        builder = builder.token(token);
    } else if let Some(user) = &user {
        builder = builder.username(user);
        if let Some(password) = password {
            builder = builder.password(password);
        }
    }
    let op = opendal::Operator::new(builder)
        .map_err(|e| bad(format!("invalid WebDAV settings: {e}")))?;
    let op = super::dal::with_client(op, client);
    Ok(DalRemote::new(
        &config.name,
        redact_userinfo(&config.url),
        op,
        true,
    ))
}

#[cfg(test)]
mod tests {
    use super::split_url;

    #[test]
    fn urls_split_like_dvc_webdav() {
        assert_eq!(
            split_url("webdav://127.0.0.1:8080/store/x/"),
            Some(("http://127.0.0.1:8080".into(), "/store/x".into(), None))
        );
        assert_eq!(
            split_url("webdavs://bob:pw@host/dav"),
            Some(("https://host".into(), "/dav".into(), Some("bob".into())))
        );
        assert_eq!(
            split_url("webdav://host"),
            Some(("http://host".into(), "/".into(), None))
        );
        assert_eq!(split_url("http://host/x"), None);
    }
}
