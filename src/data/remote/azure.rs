//! Azure Blob Storage remotes (`azure://container/prefix`) through OpenDAL's Azblob
//! service, with dvc-azure's options and its order of credentials:
//!
//! 1. `connection_string` (else `AZURE_STORAGE_CONNECTION_STRING`);
//! 2. `account_name` (else `AZURE_STORAGE_ACCOUNT`) with a service principal: `tenant_id`,
//!    `client_id` and `client_secret`, all three from the config as dvc-azure reads them;
//!    an Entra ID token from `AZURE_AUTHORITY_HOST` (else login.microsoftonline.com);
//! 3. `account_name` with `account_key` (else `AZURE_STORAGE_KEY`);
//! 4. `account_name` with `sas_token` (else `AZURE_STORAGE_SAS_TOKEN`);
//! 5. `account_name` alone, without `allow_anonymous_login`: the default credential chain,
//!    as dvc-azure's `DefaultAzureCredential`: a service principal from
//!    `AZURE_TENANT_ID`/`AZURE_CLIENT_ID`/`AZURE_CLIENT_SECRET`, then reqsign's chain
//!    (workload identity, the Azure CLI's login, managed identity);
//! 6. `allow_anonymous_login`: unsigned requests to `account_name`'s endpoint.
//!
//! The blob endpoint is `https://<account>.blob.core.windows.net`, or the one a connection
//! string names. `GIT_DVC_AZURE_BLOB_ENDPOINT` replaces it for the other methods (dvc-azure
//! has no such key; the tests use it to reach a local Azurite with a service principal).
//!
//! `timeout`, `read_timeout` and `connection_timeout` bound requests (seconds). Object
//! writes are atomic on Azure: uploads are plain writes (see [`super::dal`]).

use super::dal::DalRemote;
use super::{OpenOptions, RemoteError, Result};
use crate::data::config::RemoteConfig;
use reqsign_azure_storage::{ClientSecretCredentialProvider, DefaultCredentialProvider};
use reqsign_core::{Context, ProvideCredential, ProvideCredentialChain};
use std::time::Duration;

/// A service principal's token provider whose `Debug` shows no secret: reqsign's own
/// prints its fields, client secret included, in the warning its chain logs when a
/// provider fails.
struct Principal(ClientSecretCredentialProvider);

impl std::fmt::Debug for Principal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("service principal")
    }
}

impl ProvideCredential for Principal {
    type Credential = reqsign_azure_storage::Credential;

    async fn provide_credential(
        &self,
        ctx: &Context,
    ) -> reqsign_core::Result<Option<Self::Credential>> {
        self.0.provide_credential(ctx).await
    }
}

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
    } else if let Some(account) = &account {
        let endpoint = options
            .azure_env
            .get("GIT_DVC_AZURE_BLOB_ENDPOINT")
            .map(str::to_string)
            .unwrap_or_else(|| default_endpoint(account));
        let b = opendal::services::Azblob::default()
            .account_name(account)
            .endpoint(&endpoint);
        let configured = |key: &str| config.option(key).filter(|v| !v.is_empty());
        let authority = options.azure_env.get("AZURE_AUTHORITY_HOST");
        let principal = |tenant: &str, client: &str, secret: &str| {
            let mut p = ClientSecretCredentialProvider::new()
                .with_tenant_id(tenant)
                .with_client_id(client)
                .with_client_secret(secret);
            if let Some(host) = authority {
                p = p.with_authority_host(host);
            }
            Principal(p)
        };
        if let (Some(t), Some(c), Some(s)) = (
            configured("tenant_id"),
            configured("client_id"),
            configured("client_secret"),
        ) {
            b.credential_provider_chain(ProvideCredentialChain::new().push(principal(t, c, s)))
        } else if let Some(key) = get("account_key", "AZURE_STORAGE_KEY") {
            b.account_key(&key)
        } else if let Some(sas) = get("sas_token", "AZURE_STORAGE_SAS_TOKEN") {
            b.sas_token(sas.trim_start_matches('?'))
        } else if config.bool_option("allow_anonymous_login", false) {
            b.skip_signature()
        } else {
            // The default chain. The service principal of the environment comes from the
            // variables git-dvc captured, ahead of reqsign's own chain.
            let mut chain = ProvideCredentialChain::new();
            let env = |var: &str| options.azure_env.get(var).filter(|v| !v.is_empty());
            if let (Some(t), Some(c), Some(s)) = (
                env("AZURE_TENANT_ID"),
                env("AZURE_CLIENT_ID"),
                env("AZURE_CLIENT_SECRET"),
            ) {
                chain = chain.push(principal(t, c, s));
            }
            b.credential_provider_chain(chain.push(DefaultCredentialProvider::new()))
        }
    } else {
        return Err(bad(
            "Authentication to Azure Blob Storage requires either account_name or connection_string.".into(),
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
