//! Azure Blob Storage remotes (`azure://container/prefix`) through OpenDAL's Azblob
//! service, with dvc-azure's options and its order of credentials:
//!
//! 1. `connection_string` (else `AZURE_STORAGE_CONNECTION_STRING`);
//! 2. a service principal (`tenant_id`, `client_id`, `client_secret`, else
//!    `AZURE_TENANT_ID`/`AZURE_CLIENT_ID`/`AZURE_CLIENT_SECRET`): refused with a clear
//!    message, git-dvc does not implement Azure AD sign-in;
//! 3. `account_name` (else `AZURE_STORAGE_ACCOUNT`) with `account_key` (else
//!    `AZURE_STORAGE_KEY`);
//! 4. `account_name` with `sas_token` (else `AZURE_STORAGE_SAS_TOKEN`);
//! 5. `allow_anonymous_login`: unsigned requests to `account_name`'s endpoint.
//!
//! `timeout`, `read_timeout` and `connection_timeout` bound requests (seconds). Object
//! writes are atomic on Azure: uploads are plain writes (see [`super::dal`]).

use super::dal::DalRemote;
use super::{OpenOptions, RemoteError, Result};
use crate::data::config::RemoteConfig;
use std::time::Duration;

/// An Azure Blob remote.
pub type AzureRemote = DalRemote;

/// Open the remote of `config`. Nothing is contacted.
pub fn open(config: &RemoteConfig, options: &OpenOptions) -> Result<AzureRemote> {
    let bad = |message: String| RemoteError::Config {
        remote: config.name.clone(),
        message,
    };
    let rest = config.url.split_once("://").map(|x| x.1).unwrap_or("");
    let (container, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    if container.is_empty() {
        return Err(bad(format!("'{}' names no container", config.url)));
    }
    let get = |key: &str, var: &str| -> Option<String> {
        config
            .option(key)
            .map(str::to_string)
            .or_else(|| options.azure_env.get(var).map(str::to_string))
            .filter(|v| !v.is_empty())
    };
    let account = get("account_name", "AZURE_STORAGE_ACCOUNT");
    let default_endpoint = |account: &str| format!("https://{account}.blob.core.windows.net");
    let builder = if let Some(cs) = get("connection_string", "AZURE_STORAGE_CONNECTION_STRING") {
        opendal::services::Azblob::from_connection_string(&cs)
            .map_err(|_| bad("`connection_string` is not a valid Azure connection string".into()))?
    } else if get("tenant_id", "AZURE_TENANT_ID").is_some()
        && get("client_id", "AZURE_CLIENT_ID").is_some()
        && get("client_secret", "AZURE_CLIENT_SECRET").is_some()
    {
        return Err(bad(
            "service-principal login (`tenant_id`, `client_id`, `client_secret`) is not supported by git-dvc: use `connection_string`, `account_key` or `sas_token`".into(),
        ));
    } else if let Some(account) = &account {
        let mut b = opendal::services::Azblob::default()
            .account_name(account)
            .endpoint(&default_endpoint(account));
        if let Some(key) = get("account_key", "AZURE_STORAGE_KEY") {
            b = b.account_key(&key);
        } else if let Some(sas) = get("sas_token", "AZURE_STORAGE_SAS_TOKEN") {
            b = b.sas_token(sas.trim_start_matches('?'));
        } else if config.bool_option("allow_anonymous_login", false) {
            b = b.skip_signature();
        } else {
            return Err(bad(
                "no credentials: set `connection_string`, `account_key` or `sas_token` (or `allow_anonymous_login`); git-dvc does not implement Azure's default credential chain".into(),
            ));
        }
        b
    } else {
        return Err(bad(
            "no storage account: set `account_name` or `connection_string` (or AZURE_STORAGE_ACCOUNT / AZURE_STORAGE_CONNECTION_STRING)".into(),
        ));
    };
    let builder = builder
        .container(container)
        .root(&format!("/{}", prefix.trim_matches('/')));
    let op =
        opendal::Operator::new(builder).map_err(|e| bad(format!("invalid Azure settings: {e}")))?;
    let secs = |key: &str| {
        config
            .option(key)
            .and_then(|v| v.trim().parse::<u64>().ok())
            .filter(|v| *v > 0)
    };
    let read = secs("read_timeout").or(secs("timeout")).unwrap_or(60);
    let client = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(
            secs("connection_timeout").unwrap_or(60),
        ))
        .read_timeout(Duration::from_secs(read))
        .build()
        .map_err(|e| bad(format!("cannot build the HTTP client: {e}")))?;
    let op = super::dal::with_client(op, client);
    Ok(DalRemote::new(&config.name, config.url.clone(), op, false))
}
