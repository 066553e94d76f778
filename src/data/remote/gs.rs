//! Google Cloud Storage remotes (`gs://bucket/prefix`) through OpenDAL's GCS service, with
//! dvc-gs's options: `endpointurl` (an emulator or a private endpoint), `credentialpath`
//! (a service-account or authorized-user JSON file), `allow_anonymous_login` (no
//! credentials, unsigned requests) and `projectname` (accepted: object reads and writes
//! do not need it). Without any of them, Application Default Credentials apply, as in
//! gcsfs: `GOOGLE_APPLICATION_CREDENTIALS`, gcloud's application-default file, then the
//! VM metadata server, as OpenDAL's GCS service loads them.
//!
//! Object writes are atomic on GCS: uploads are plain writes (see [`super::dal`]).

use super::dal::DalRemote;
use super::http::redact_userinfo;
use super::{OpenOptions, RemoteError, Result};
use crate::data::config::RemoteConfig;

/// A GCS remote.
pub type GsRemote = DalRemote;

/// Open the remote of `config`. Nothing is contacted.
pub fn open(config: &RemoteConfig, options: &OpenOptions) -> Result<GsRemote> {
    let bad = |message: String| RemoteError::Config {
        remote: config.name.clone(),
        message,
    };
    let rest = config.url.split_once("://").map(|x| x.1).unwrap_or("");
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() {
        return Err(bad(format!("'{}' names no bucket", config.url)));
    }
    let mut builder = opendal::services::Gcs::default()
        .bucket(bucket)
        .root(&format!("/{}", prefix.trim_matches('/')));
    if let Some(endpoint) = config.option("endpointurl") {
        builder = builder.endpoint(endpoint.trim_end_matches('/'));
    }
    if config.bool_option("allow_anonymous_login", false) {
        builder = builder.skip_signature().disable_vm_metadata();
    } else if let Some(path) = config.option("credentialpath") {
        let path = match (path.strip_prefix("~/"), &options.home_dir) {
            (Some(rest), Some(home)) => home.join(rest),
            _ => std::path::PathBuf::from(path),
        };
        if !path.is_file() {
            return Err(bad(format!(
                "`credentialpath` '{}' is not a file",
                path.display()
            )));
        }
        builder = builder.credential_path(&path.to_string_lossy());
    }
    let op =
        opendal::Operator::new(builder).map_err(|e| bad(format!("invalid GCS settings: {e}")))?;
    let client = reqwest::Client::builder()
        .connect_timeout(std::time::Duration::from_secs(60))
        .read_timeout(std::time::Duration::from_secs(60))
        .build()
        .map_err(|e| bad(format!("cannot build the HTTP client: {e}")))?;
    let op = super::dal::with_client(op, client);
    Ok(DalRemote::new(
        &config.name,
        redact_userinfo(&config.url),
        op,
        false,
    ))
}
