//! S3 and S3-compatible remotes (MinIO, Ceph, R2) through aws-sdk-s3 (spec §6.4, §7).
//!
//! Options honoured, with dvc-s3's meaning: `endpointurl` (path-style addressing, as
//! botocore uses for custom endpoints), `region`, `profile`, `credentialpath` (a shared
//! credentials file, like `AWS_SHARED_CREDENTIALS_FILE`), `configpath` (like
//! `AWS_CONFIG_FILE`), `access_key_id` / `secret_access_key` / `session_token`, `use_ssl`,
//! `ssl_verify` (true; a CA bundle path; or `false`, which skips certificate verification
//! over https, see [`super::insecure_tls`]), `sse`, `sse_kms_key_id`,
//! `sse_customer_key` / `sse_customer_algorithm` (SSE-C), `acl`,
//! `allow_anonymous_login`, `connect_timeout`, `read_timeout`, `jobs`. Without explicit
//! keys the standard AWS chain applies (environment, profile files, SSO, IMDS).
//!
//! Existence (spec §7.3): one key → HEAD; many keys → estimate the remote's size from the
//! listing of one 1/4096 slice of the key space (`files/md5/00/0`), then HEAD each key if
//! there are few compared with the remote, else list the 256 `xx/` prefixes in parallel.
//!
//! Transient failures (timeouts, connection errors, 5xx, throttling) are retried by the
//! SDK's standard strategy and classified retriable for the transfer layer. Credentials
//! never reach an error message or `Debug` output.

use super::insecure_tls::InsecureTlsClient;
use super::{Downloaded, OpenOptions, RemoteError, RequestKind, Result};
use super::{StoreChecksum, is_md5_hex};
use crate::data::config::{RemoteConfig, parse_bool};
use crate::data::hash::Hasher;
use crate::data::io::IoError;
use aws_sdk_s3::Client;
use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::config::timeout::TimeoutConfig;
use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::{ByteStream, Length};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::io::AsyncWriteExt;

/// A value that must never be printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wrap a secret value.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }
    /// The value, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

/// How TLS certificates are checked (`ssl_verify`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SslVerify {
    /// The default: verify against the system roots.
    Default,
    /// `ssl_verify = false`.
    Disabled,
    /// `ssl_verify = <CA bundle path>`.
    CaBundle(PathBuf),
}

/// A customer-provided encryption key (SSE-C), sent with every PUT, GET and HEAD.
#[derive(Clone, PartialEq, Eq)]
pub struct SseCustomer {
    /// `sse_customer_algorithm` (dvc-s3 defaults it to `AES256`).
    pub algorithm: String,
    /// The key as S3 wants it: base64 of the raw key.
    key: Secret,
    /// base64 of the raw key's MD5.
    key_md5: String,
}

impl std::fmt::Debug for SseCustomer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SseCustomer")
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

impl SseCustomer {
    /// dvc-s3's rules: `sse_customer_key` is base64 (decoded to the raw key), exclusive
    /// with `sse_kms_key_id`; the algorithm defaults to `AES256` when a key is set.
    fn from_config(config: &RemoteConfig) -> Result<Option<SseCustomer>> {
        let bad = |message: String| RemoteError::Config {
            remote: config.name.clone(),
            message,
        };
        let Some(encoded) = config.option("sse_customer_key").filter(|k| !k.is_empty()) else {
            return Ok(None);
        };
        if config.option("sse_kms_key_id").is_some() {
            return Err(bad("`sse_kms_key_id` and `sse_customer_key` AWS S3 config options are mutually exclusive".into()));
        }
        let raw = aws_smithy_types::base64::decode(encoded.trim()).map_err(|_| {
            bad(
                "`sse_customer_key` is not valid base64 (expected the base64 of a 256-bit key)"
                    .into(),
            )
        })?;
        if raw.is_empty() {
            return Err(bad("`sse_customer_key` decodes to an empty key".into()));
        }
        use md5::Digest;
        let digest = md5::Md5::digest(&raw);
        Ok(Some(SseCustomer {
            algorithm: config
                .option("sse_customer_algorithm")
                .filter(|a| !a.is_empty())
                .unwrap_or("AES256")
                .to_string(),
            key: Secret(aws_smithy_types::base64::encode(&raw)),
            key_md5: aws_smithy_types::base64::encode(digest.as_slice()),
        }))
    }

    fn parts(c: Option<&SseCustomer>) -> (Option<String>, Option<String>, Option<String>) {
        match c {
            Some(c) => (
                Some(c.algorithm.clone()),
                Some(c.key.0.clone()),
                Some(c.key_md5.clone()),
            ),
            None => (None, None, None),
        }
    }
}

/// Attach the SSE-C headers (when configured) to any request builder that has them.
macro_rules! with_sse_customer {
    ($builder:expr, $settings:expr) => {{
        let (alg, key, md5) = SseCustomer::parts($settings.sse_customer.as_ref());
        $builder
            .set_sse_customer_algorithm(alg)
            .set_sse_customer_key(key)
            .set_sse_customer_key_md5(md5)
    }};
}

/// The S3 options of a remote, parsed.
///
/// `ssl_verify = <CA bundle>` trusts only that bundle, as botocore does. `ssl_verify =
/// false` over https accepts any server certificate (botocore's `verify=False`), through
/// git-dvc's own HTTP client since the SDK's has no switch for it.
#[derive(Debug, Clone)]
pub struct S3Settings {
    /// `endpointurl`.
    pub endpoint_url: Option<String>,
    /// `region`.
    pub region: Option<String>,
    /// `profile`.
    pub profile: Option<String>,
    /// `credentialpath`.
    pub credential_path: Option<PathBuf>,
    /// `configpath`.
    pub config_path: Option<PathBuf>,
    /// `access_key_id`.
    pub access_key_id: Option<String>,
    /// `secret_access_key`.
    pub secret_access_key: Option<Secret>,
    /// `session_token`.
    pub session_token: Option<Secret>,
    /// `use_ssl` (default true).
    pub use_ssl: bool,
    /// `ssl_verify`.
    pub ssl_verify: SslVerify,
    /// `sse` (`AES256`, `aws:kms`).
    pub sse: Option<String>,
    /// `sse_kms_key_id`.
    pub sse_kms_key_id: Option<String>,
    /// `acl` (canned ACL).
    pub acl: Option<String>,
    /// `sse_customer_key` / `sse_customer_algorithm` (SSE-C).
    pub sse_customer: Option<SseCustomer>,
    /// `allow_anonymous_login`.
    pub anonymous: bool,
    /// `connect_timeout` (dvc-s3 default 60 s).
    pub connect_timeout: Duration,
    /// `read_timeout` (dvc-s3 default 60 s).
    pub read_timeout: Duration,
    /// The raw multipart-threshold override ([`MULTIPART_THRESHOLD_ENV`]), validated at
    /// upload time so that a bad value never stops a download.
    pub multipart_threshold: Option<String>,
}

fn seconds(value: Option<&str>, default: u64) -> Duration {
    value
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s > 0.0)
        .map(Duration::from_secs_f64)
        .unwrap_or(Duration::from_secs(default))
}

impl S3Settings {
    /// Parse a remote's options.
    pub fn from_config(config: &RemoteConfig, options: &OpenOptions) -> Result<S3Settings> {
        let opt = |k: &str| config.option(k).map(str::to_string);
        let path = |k: &str| {
            config
                .option(k)
                .map(|v| match (v.strip_prefix("~/"), &options.home_dir) {
                    (Some(rest), Some(home)) => home.join(rest),
                    _ => PathBuf::from(v),
                })
        };
        let ssl_verify = match config.option("ssl_verify") {
            None => SslVerify::Default,
            Some(v) => match parse_bool(v) {
                Some(true) => SslVerify::Default,
                Some(false) => SslVerify::Disabled,
                None => SslVerify::CaBundle(PathBuf::from(v)),
            },
        };
        let sse_customer = SseCustomer::from_config(config)?;
        Ok(S3Settings {
            endpoint_url: opt("endpointurl").filter(|s| !s.is_empty()),
            region: opt("region").filter(|s| !s.is_empty()),
            profile: opt("profile").filter(|s| !s.is_empty()),
            credential_path: path("credentialpath"),
            config_path: path("configpath"),
            access_key_id: opt("access_key_id"),
            secret_access_key: opt("secret_access_key").map(Secret),
            session_token: opt("session_token").map(Secret),
            use_ssl: config.bool_option("use_ssl", true),
            ssl_verify,
            sse: opt("sse"),
            sse_kms_key_id: opt("sse_kms_key_id"),
            acl: opt("acl"),
            sse_customer,
            anonymous: config.bool_option("allow_anonymous_login", false),
            connect_timeout: seconds(config.option("connect_timeout"), 60),
            read_timeout: seconds(config.option("read_timeout"), 60),
            multipart_threshold: options.s3_multipart_threshold.clone(),
        })
    }
}

/// One object as S3 lists it (`import-url`, `ls-url`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectInfo {
    /// Key relative to the remote root.
    pub key: String,
    /// Bytes.
    pub size: u64,
    /// The ETag without its quotes.
    pub etag: Option<String>,
    /// The version id (a versioned bucket).
    pub version_id: Option<String>,
}

/// An S3 bucket and key prefix.
#[derive(Debug)]
pub struct S3Remote {
    name: String,
    bucket: String,
    prefix: String,
    settings: S3Settings,
    client: tokio::sync::OnceCell<Client>,
}

/// Size above which objects go up in parts (a single PUT is limited to 5 GiB).
const MULTIPART_THRESHOLD: u64 = 512 << 20;
/// S3's smallest part (every part but the last).
const MIN_PART: u64 = 5 << 20;
/// S3's largest single PUT.
const MAX_PUT: u64 = 5 << 30;
/// Overrides [`MULTIPART_THRESHOLD`] (bytes, from [`MIN_PART`] to [`MAX_PUT`]); parts
/// are then no larger either, unless an object needs bigger ones to stay within 9,000
/// parts. For stores with a lower single-PUT limit, and for tests. Read at upload time,
/// so a bad value never stops a download.
pub const MULTIPART_THRESHOLD_ENV: &str = "GIT_DVC_S3_MULTIPART_THRESHOLD";

/// The multipart threshold: [`MULTIPART_THRESHOLD`], or the caller's override (the
/// entry layer reads it from [`MULTIPART_THRESHOLD_ENV`]; the engine reads no env).
fn multipart_threshold(remote: &str, raw: Option<&str>) -> Result<u64> {
    let Some(v) = raw else {
        return Ok(MULTIPART_THRESHOLD);
    };
    match v.trim().parse::<u64>().ok() {
        Some(n) if (MIN_PART..=MAX_PUT).contains(&n) => Ok(n),
        _ => Err(RemoteError::Config {
            remote: remote.to_string(),
            message: format!(
                "{MULTIPART_THRESHOLD_ENV} must be a number of bytes from {MIN_PART} to {MAX_PUT}, not '{v}'"
            ),
        }),
    }
}

/// The part size for an object of `size` bytes: 64 MiB (or the threshold when it is
/// lower), grown so that no upload needs more than 9,000 of S3's 10,000 parts.
fn part_size(size: u64, threshold: u64) -> u64 {
    (64u64 << 20)
        .min(threshold)
        .max(MIN_PART)
        .max(size.div_ceil(9_000))
}

impl S3Remote {
    /// A remote for `s3://bucket/prefix`. No network access yet.
    pub fn new(name: &str, bucket: &str, prefix: &str, settings: S3Settings) -> Result<S3Remote> {
        if bucket.is_empty() {
            return Err(RemoteError::Config {
                remote: name.to_string(),
                message: "the s3 url names no bucket".into(),
            });
        }
        Ok(S3Remote {
            name: name.to_string(),
            bucket: bucket.to_string(),
            prefix: prefix.trim_matches('/').to_string(),
            settings,
            client: tokio::sync::OnceCell::new(),
        })
    }

    /// An HTTPS client that trusts only the certificates of `path` (botocore's
    /// `verify=<bundle>`: the bundle replaces the system roots).
    fn ca_bundle_client(&self, path: &Path) -> Result<aws_sdk_s3::config::SharedHttpClient> {
        use aws_smithy_http_client::tls::{
            self, TlsContext, TrustStore, rustls_provider::CryptoMode,
        };
        let bad = |message: String| RemoteError::Config {
            remote: self.name.clone(),
            message,
        };
        let pem = fs_err::read(path).map_err(|e| {
            bad(format!(
                "cannot read the CA bundle '{}' named by 'ssl_verify': {e}",
                path.display()
            ))
        })?;
        if !String::from_utf8_lossy(&pem).contains("-----BEGIN CERTIFICATE-----") {
            return Err(bad(format!(
                "the CA bundle '{}' named by 'ssl_verify' holds no PEM certificate",
                path.display()
            )));
        }
        let context = TlsContext::builder()
            .with_trust_store(
                TrustStore::empty()
                    .with_native_roots(false)
                    .with_pem_certificate(pem),
            )
            .build()
            .map_err(|e| {
                bad(format!(
                    "cannot use the CA bundle '{}': {e}",
                    path.display()
                ))
            })?;
        Ok(aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc))
            .tls_context(context)
            .build_https())
    }

    /// Whether requests go over https (the endpoint's scheme, else `use_ssl`).
    fn https(&self) -> bool {
        let s = &self.settings;
        match s
            .endpoint_url
            .as_deref()
            .and_then(|ep| ep.split_once("://"))
        {
            Some((scheme, _)) => scheme.eq_ignore_ascii_case("https"),
            None => s.use_ssl,
        }
    }

    async fn client(&self) -> Result<&Client> {
        self.client.get_or_try_init(|| self.build_client()).await
    }

    // aws-config re-exports the profile-file types only under their deprecated names, and
    // aws-runtime (their new home) is not a direct dependency.
    #[expect(deprecated, reason = "ProfileFiles is aws-config's only public path")]
    async fn build_client(&self) -> Result<Client> {
        use aws_config::profile::profile_file::{ProfileFileKind, ProfileFiles};
        let s = &self.settings;
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .retry_config(
                RetryConfig::standard()
                    .with_max_attempts(4)
                    .with_initial_backoff(Duration::from_millis(200)),
            )
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(s.connect_timeout)
                    .read_timeout(s.read_timeout)
                    .build(),
            );
        if let Some(p) = &s.profile {
            loader = loader.profile_name(p);
        }
        let profile_files = if s.credential_path.is_some() || s.config_path.is_some() {
            let mut files = ProfileFiles::builder()
                .include_default_config_file(s.config_path.is_none())
                .include_default_credentials_file(s.credential_path.is_none());
            if let Some(p) = &s.credential_path {
                files = files.with_file(ProfileFileKind::Credentials, p);
            }
            if let Some(p) = &s.config_path {
                files = files.with_file(ProfileFileKind::Config, p);
            }
            Some(files.build())
        } else {
            None
        };
        if let Some(files) = &profile_files {
            loader = loader.profile_files(files.clone());
        }
        match &s.region {
            Some(r) => loader = loader.region(Region::new(r.clone())),
            None => {
                // Environment, then the profile, then us-east-1 as botocore does for S3;
                // never the instance metadata service, which is slow and noisy off EC2.
                use aws_config::environment::EnvironmentVariableRegionProvider;
                use aws_config::meta::region::RegionProviderChain;
                let mut from_profile = aws_config::profile::ProfileFileRegionProvider::builder();
                if let Some(p) = &s.profile {
                    from_profile = from_profile.profile_name(p);
                }
                if let Some(files) = &profile_files {
                    from_profile = from_profile.profile_files(files.clone());
                }
                loader = loader.region(
                    RegionProviderChain::first_try(EnvironmentVariableRegionProvider::new())
                        .or_else(from_profile.build())
                        .or_else(Region::from_static("us-east-1")),
                );
            }
        }
        if s.anonymous {
            loader = loader.no_credentials();
        } else if let (Some(id), Some(secret)) = (&s.access_key_id, &s.secret_access_key) {
            loader = loader.credentials_provider(Credentials::new(
                id.clone(),
                secret.0.clone(),
                s.session_token.as_ref().map(|t| t.0.clone()),
                None,
                "dvc-config",
            ));
        }
        match &s.ssl_verify {
            SslVerify::CaBundle(path) => {
                loader = loader.http_client(self.ca_bundle_client(path)?);
            }
            SslVerify::Disabled if self.https() => {
                let client = InsecureTlsClient::shared().map_err(|e| RemoteError::Config {
                    remote: self.name.clone(),
                    message: format!("cannot set up TLS without certificate verification: {e}"),
                })?;
                loader = loader.http_client(client);
            }
            SslVerify::Disabled | SslVerify::Default => {}
        }
        let shared = loader.load().await;
        let mut builder = aws_sdk_s3::config::Builder::from(&shared)
            .request_checksum_calculation(
                aws_sdk_s3::config::RequestChecksumCalculation::WhenRequired,
            )
            .response_checksum_validation(
                aws_sdk_s3::config::ResponseChecksumValidation::WhenRequired,
            );
        let region = shared
            .region()
            .map(|r| r.as_ref().to_string())
            .unwrap_or_else(|| "us-east-1".to_string());
        if shared.region().is_none() {
            builder = builder.region(Region::new(region.clone()));
        }
        match &s.endpoint_url {
            Some(ep) => {
                let ep = if ep.contains("://") {
                    ep.clone()
                } else {
                    format!("{}://{ep}", if s.use_ssl { "https" } else { "http" })
                };
                builder = builder.endpoint_url(ep).force_path_style(true);
            }
            None if !s.use_ssl => {
                builder = builder.endpoint_url(format!("http://s3.{region}.amazonaws.com"));
            }
            None => {}
        }
        Ok(Client::from_conf(builder.build()))
    }

    fn full_key(&self, key: &str) -> String {
        if self.prefix.is_empty() {
            key.to_string()
        } else {
            format!("{}/{key}", self.prefix)
        }
    }

    fn rel_key<'a>(&self, full: &'a str) -> Option<&'a str> {
        if self.prefix.is_empty() {
            Some(full)
        } else {
            full.strip_prefix(self.prefix.as_str())?.strip_prefix('/')
        }
    }

    fn error<E>(&self, op: &'static str, key: &str, err: SdkError<E>) -> RemoteError
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let mut kind = RequestKind::Permanent;
        let message = match &err {
            SdkError::ServiceError(service) => {
                let status = service.raw().status().as_u16();
                let code = service.err().code().unwrap_or("");
                if status == 404 && code != "NoSuchBucket" && op != "list" {
                    return RemoteError::NotFound {
                        remote: self.name.clone(),
                        key: key.to_string(),
                    };
                }
                kind = if status == 401
                    || status == 403
                    || matches!(
                        code,
                        "InvalidAccessKeyId"
                            | "SignatureDoesNotMatch"
                            | "AccessDenied"
                            | "ExpiredToken"
                            | "InvalidToken"
                            | "TokenRefreshRequired"
                    ) {
                    RequestKind::Auth
                } else if matches!(code, "RequestTimeout") {
                    RequestKind::Timeout
                } else if status >= 500
                    || status == 429
                    || matches!(code, "SlowDown" | "Throttling")
                {
                    RequestKind::Transient
                } else {
                    RequestKind::Permanent
                };
                match (code, service.err().message()) {
                    ("NoSuchBucket", _) => format!("bucket '{}' does not exist", self.bucket),
                    ("", None) if status == 403 => {
                        "access denied: check the credentials (HTTP status 403)".to_string()
                    }
                    ("", None) => format!("HTTP status {status}"),
                    (c, Some(m)) if !c.is_empty() => format!("{c}: {m} (HTTP status {status})"),
                    (c, m) => format!("{}{} (HTTP status {status})", c, m.unwrap_or("")),
                }
            }
            SdkError::TimeoutError(_) => {
                kind = RequestKind::Timeout;
                "timed out".to_string()
            }
            SdkError::DispatchFailure(d) => {
                kind = if d.is_timeout() {
                    RequestKind::Timeout
                } else if d.is_io() {
                    RequestKind::Transient
                } else if has_credentials_error(&err) {
                    RequestKind::Auth
                } else {
                    RequestKind::Permanent
                };
                let text = source_chain(&err);
                match (&self.settings.endpoint_url, d.is_io() || d.is_timeout()) {
                    (Some(ep), true) => format!("{text} (endpoint {ep})"),
                    _ => text,
                }
            }
            SdkError::ResponseError(_) => {
                kind = RequestKind::Transient;
                source_chain(&err)
            }
            _ => {
                if has_credentials_error(&err) {
                    kind = RequestKind::Auth;
                }
                source_chain(&err)
            }
        };
        RemoteError::Request {
            remote: self.name.clone(),
            op,
            key: self.full_key(key),
            message,
            kind,
        }
    }

    async fn head(&self, key: &str) -> Result<bool> {
        let client = self.client().await?;
        let request = client
            .head_object()
            .bucket(&self.bucket)
            .key(self.full_key(key));
        match with_sse_customer!(request, self.settings).send().await {
            Ok(_) => Ok(true),
            Err(e) => match self.error("check", key, e) {
                e if e.is_not_found() => Ok(false),
                e => Err(e),
            },
        }
    }

    /// The store's md5 of `key`: the ETag of an object uploaded in one part without KMS
    /// or customer-key encryption (a multipart ETag ends in `-<parts>`; KMS and SSE-C
    /// ETags are not md5s). `Ok(None)` when the object is missing.
    pub async fn checksum(&self, key: &str) -> Result<Option<StoreChecksum>> {
        let client = self.client().await?;
        let request = client
            .head_object()
            .bucket(&self.bucket)
            .key(self.full_key(key));
        let head = match with_sse_customer!(request, self.settings).send().await {
            Ok(h) => h,
            Err(e) => {
                return match self.error("check", key, e) {
                    e if e.is_not_found() => Ok(None),
                    e => Err(e),
                };
            }
        };
        let kms = head
            .server_side_encryption()
            .is_some_and(|s| s.as_str().starts_with("aws:kms"));
        let md5 = head
            .e_tag()
            .map(|t| t.trim_matches('"').to_ascii_lowercase())
            .filter(|t| !kms && head.sse_customer_algorithm().is_none() && is_md5_hex(t));
        Ok(Some(StoreChecksum { md5 }))
    }

    /// What S3 says of the object `key` (`import-url`): its size, ETag (without quotes)
    /// and version; `None` when there is no such object.
    pub async fn stat(&self, key: &str) -> Result<Option<ObjectInfo>> {
        self.stat_version(key, None).await
    }

    /// [`S3Remote::stat`] of one version of `key` (the latest with `None`).
    pub async fn stat_version(
        &self,
        key: &str,
        version_id: Option<&str>,
    ) -> Result<Option<ObjectInfo>> {
        let client = self.client().await?;
        let request = client
            .head_object()
            .bucket(&self.bucket)
            .key(self.full_key(key))
            .set_version_id(version_id.map(str::to_string));
        match with_sse_customer!(request, self.settings).send().await {
            Ok(head) => Ok(Some(ObjectInfo {
                key: key.to_string(),
                size: head.content_length().unwrap_or(0).max(0) as u64,
                etag: head.e_tag().map(|t| t.trim_matches('"').to_string()),
                version_id: head.version_id().map(str::to_string),
            })),
            Err(e) => match self.error("check", key, e) {
                e if e.is_not_found() => Ok(None),
                e => Err(e),
            },
        }
    }

    /// Every object below the directory `prefix` (relative to the remote root, no
    /// trailing `/`), keys relative to the remote root, in S3's (byte) order. Directory
    /// markers (keys ending in `/`) are left out. With `versions`, the latest version of
    /// each object and its id (a versioned bucket), from `ListObjectVersions`.
    pub async fn walk(&self, prefix: &str, versions: bool) -> Result<Vec<ObjectInfo>> {
        let client = self.client().await?;
        let full = format!("{}/", self.full_key(prefix).trim_end_matches('/'));
        let full = if full == "/" { String::new() } else { full };
        let mut out = Vec::new();
        if versions {
            let (mut key_marker, mut version_marker) = (None::<String>, None::<String>);
            loop {
                let resp = client
                    .list_object_versions()
                    .bucket(&self.bucket)
                    .prefix(&full)
                    .set_key_marker(key_marker.take())
                    .set_version_id_marker(version_marker.take())
                    .send()
                    .await
                    .map_err(|e| self.error("list", prefix, e))?;
                for v in resp.versions() {
                    let Some(k) = v.key().and_then(|k| self.rel_key(k)) else {
                        continue;
                    };
                    if v.is_latest() == Some(true) && !k.ends_with('/') {
                        out.push(ObjectInfo {
                            key: k.to_string(),
                            size: v.size().unwrap_or(0).max(0) as u64,
                            etag: v.e_tag().map(|t| t.trim_matches('"').to_string()),
                            version_id: v.version_id().map(str::to_string),
                        });
                    }
                }
                if resp.is_truncated() != Some(true) {
                    break;
                }
                key_marker = resp.next_key_marker().map(str::to_string);
                version_marker = resp.next_version_id_marker().map(str::to_string);
                if key_marker.is_none() {
                    break;
                }
            }
            out.sort_by(|a, b| a.key.cmp(&b.key));
            return Ok(out);
        }
        let mut token: Option<String> = None;
        loop {
            let resp = client
                .list_objects_v2()
                .bucket(&self.bucket)
                .prefix(&full)
                .set_continuation_token(token.take())
                .send()
                .await
                .map_err(|e| self.error("list", prefix, e))?;
            for obj in resp.contents() {
                let Some(k) = obj.key().and_then(|k| self.rel_key(k)) else {
                    continue;
                };
                if !k.ends_with('/') {
                    out.push(ObjectInfo {
                        key: k.to_string(),
                        size: obj.size().unwrap_or(0).max(0) as u64,
                        etag: obj.e_tag().map(|t| t.trim_matches('"').to_string()),
                        version_id: None,
                    });
                }
            }
            match resp.next_continuation_token() {
                Some(t) if resp.is_truncated() == Some(true) => token = Some(t.to_string()),
                _ => break,
            }
        }
        Ok(out)
    }

    /// GET version `version_id` of `key` (`None`: the current one) into the new file
    /// `dest`, hashing while streaming.
    pub async fn download_version(
        &self,
        key: &str,
        version_id: Option<&str>,
        dest: &Path,
    ) -> Result<Downloaded> {
        self.get_into(key, version_id, dest).await
    }

    /// Keys (relative to the remote root) under `prefix` (relative to it too).
    async fn list_prefix(&self, prefix: &str) -> Result<Vec<String>> {
        let client = self.client().await?;
        let full = self.full_key(prefix);
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let resp = client
                .list_objects_v2()
                .bucket(&self.bucket)
                .prefix(&full)
                .set_continuation_token(token.take())
                .send()
                .await
                .map_err(|e| self.error("list", prefix, e))?;
            for obj in resp.contents() {
                if let Some(k) = obj.key().and_then(|k| self.rel_key(k)) {
                    out.push(k.to_string());
                }
            }
            match resp.next_continuation_token() {
                Some(t) if resp.is_truncated() == Some(true) => token = Some(t.to_string()),
                _ => break,
            }
        }
        Ok(out)
    }

    /// Every key under `base` (`files/md5/` or the legacy root), listing the 256
    /// two-hex-digit prefixes concurrently.
    async fn list_layout(&self, base: &str, jobs: usize) -> Result<Vec<String>> {
        let prefixes: Vec<String> = (0..=255u8).map(|i| format!("{base}{i:02x}/")).collect();
        let found = run_concurrent(
            prefixes,
            jobs,
            |p| async move { self.list_prefix(&p).await },
        )
        .await?;
        Ok(found.into_iter().flatten().collect())
    }

    /// Which keys exist (spec §7.3).
    pub async fn exists_many(&self, keys: &[String], jobs: usize) -> Result<Vec<bool>> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        if keys.len() == 1 {
            return Ok(vec![self.head(&keys[0]).await?]);
        }
        let mut present: HashSet<String> = HashSet::new();
        for base in ["files/md5/", ""] {
            let group: Vec<&String> = keys
                .iter()
                .filter(|k| k.starts_with("files/md5/") != base.is_empty())
                .collect();
            if group.is_empty() {
                continue;
            }
            let sample = self.list_prefix(&format!("{base}00/0")).await?;
            let estimate = (sample.len() as u64).saturating_mul(4096);
            let limit = if estimate > 500_000 {
                estimate / 1000 * 5
            } else {
                estimate / 1000
            };
            if (group.len() as u64) < limit {
                let owned: Vec<String> = group.into_iter().cloned().collect();
                let flags =
                    run_concurrent(owned.clone(), jobs, |k| async move { self.head(&k).await })
                        .await?;
                present.extend(
                    owned
                        .into_iter()
                        .zip(flags)
                        .filter_map(|(k, f)| f.then_some(k)),
                );
            } else {
                present.extend(self.list_layout(base, jobs).await?);
            }
        }
        Ok(keys.iter().map(|k| present.contains(k)).collect())
    }

    /// PUT `src` at `key` (in parts above the multipart threshold).
    pub async fn upload(&self, src: &Path, key: &str) -> Result<()> {
        let client = self.client().await?;
        let size = tokio::fs::metadata(src)
            .await
            .map_err(RemoteError::io("stat", src))?
            .len();
        let threshold =
            multipart_threshold(&self.name, self.settings.multipart_threshold.as_deref())?;
        if size > threshold {
            return self
                .upload_multipart(client, src, key, size, threshold)
                .await;
        }
        let body = ByteStream::from_path(src).await.map_err(|e| {
            RemoteError::Io(IoError {
                op: "read",
                path: src.to_path_buf(),
                source: std::io::Error::other(e.to_string()),
            })
        })?;
        let s = &self.settings;
        let request = client
            .put_object()
            .bucket(&self.bucket)
            .key(self.full_key(key))
            .body(body)
            .set_server_side_encryption(s.sse.as_deref().map(Into::into))
            .set_ssekms_key_id(s.sse_kms_key_id.clone())
            .set_acl(s.acl.as_deref().map(Into::into));
        with_sse_customer!(request, s)
            .send()
            .await
            .map_err(|e| self.error("upload", key, e))?;
        Ok(())
    }

    async fn upload_multipart(
        &self,
        client: &Client,
        src: &Path,
        key: &str,
        size: u64,
        threshold: u64,
    ) -> Result<()> {
        use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
        let s = &self.settings;
        let full = self.full_key(key);
        let request = client
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(&full)
            .set_server_side_encryption(s.sse.as_deref().map(Into::into))
            .set_ssekms_key_id(s.sse_kms_key_id.clone())
            .set_acl(s.acl.as_deref().map(Into::into));
        let created = with_sse_customer!(request, s)
            .send()
            .await
            .map_err(|e| self.error("upload", key, e))?;
        let Some(upload_id) = created.upload_id().map(str::to_string) else {
            return Err(RemoteError::Request {
                remote: self.name.clone(),
                op: "upload",
                key: full,
                message: "the store returned no multipart upload id".into(),
                kind: RequestKind::Permanent,
            });
        };
        let part_size = part_size(size, threshold);
        let mut parts = Vec::new();
        let mut offset = 0u64;
        let mut number = 1i32;
        let result: Result<()> = async {
            while offset < size {
                let len = part_size.min(size - offset);
                let body = ByteStream::read_from()
                    .path(src)
                    .offset(offset)
                    .length(Length::Exact(len))
                    .build()
                    .await
                    .map_err(|e| {
                        RemoteError::Io(IoError {
                            op: "read",
                            path: src.to_path_buf(),
                            source: std::io::Error::other(e.to_string()),
                        })
                    })?;
                let request = client
                    .upload_part()
                    .bucket(&self.bucket)
                    .key(&full)
                    .upload_id(&upload_id)
                    .part_number(number)
                    .body(body);
                let part = with_sse_customer!(request, s)
                    .send()
                    .await
                    .map_err(|e| self.error("upload", key, e))?;
                parts.push(
                    CompletedPart::builder()
                        .set_e_tag(part.e_tag().map(str::to_string))
                        .part_number(number)
                        .build(),
                );
                offset += len;
                number += 1;
            }
            client
                .complete_multipart_upload()
                .bucket(&self.bucket)
                .key(&full)
                .upload_id(&upload_id)
                .multipart_upload(
                    CompletedMultipartUpload::builder()
                        .set_parts(Some(parts))
                        .build(),
                )
                .send()
                .await
                .map_err(|e| self.error("upload", key, e))?;
            Ok(())
        }
        .await;
        if result.is_err() {
            let _ = client
                .abort_multipart_upload()
                .bucket(&self.bucket)
                .key(&full)
                .upload_id(&upload_id)
                .send()
                .await;
        }
        result
    }

    /// GET `key` into the new file `dest`, hashing while streaming.
    pub async fn download(&self, key: &str, dest: &Path) -> Result<Downloaded> {
        self.get_into(key, None, dest).await
    }

    async fn get_into(
        &self,
        key: &str,
        version_id: Option<&str>,
        dest: &Path,
    ) -> Result<Downloaded> {
        let client = self.client().await?;
        let request = client
            .get_object()
            .bucket(&self.bucket)
            .key(self.full_key(key))
            .set_version_id(version_id.map(str::to_string));
        let resp = with_sse_customer!(request, self.settings)
            .send()
            .await
            .map_err(|e| match e {
                SdkError::ServiceError(ref s) if s.err().is_no_such_key() => {
                    RemoteError::NotFound {
                        remote: self.name.clone(),
                        key: key.to_string(),
                    }
                }
                e => self.error("download", key, e),
            })?;
        let mut file = tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o644)
            .open(dest)
            .await
            .map_err(RemoteError::io("create", dest))?;
        let mut body = resp.body;
        let mut hasher = Hasher::new();
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| RemoteError::Request {
                remote: self.name.clone(),
                op: "download",
                key: self.full_key(key),
                message: source_chain(&e),
                kind: RequestKind::Transient,
            })?;
            hasher.update(&chunk);
            file.write_all(&chunk)
                .await
                .map_err(RemoteError::io("write", dest))?;
        }
        file.flush().await.map_err(RemoteError::io("write", dest))?;
        let (md5, size) = hasher.finish();
        Ok(Downloaded { md5, size })
    }

    /// Every object key in both layouts.
    pub async fn list(&self, jobs: usize) -> Result<Vec<String>> {
        let mut keys = self.list_layout("files/md5/", jobs).await?;
        keys.extend(self.list_layout("", jobs).await?);
        keys.retain(|k| super::oid_of_key(k).is_some());
        Ok(keys)
    }

    /// Delete keys in batches of 1000.
    pub async fn delete(&self, keys: &[String], jobs: usize) -> Result<()> {
        use aws_sdk_s3::types::{Delete, ObjectIdentifier};
        let batches: Vec<Vec<String>> = keys.chunks(1000).map(<[String]>::to_vec).collect();
        run_concurrent(batches, jobs, |batch| async move {
            let client = self.client().await?;
            let ids = batch
                .iter()
                .map(|k| ObjectIdentifier::builder().key(self.full_key(k)).build())
                .collect::<std::result::Result<Vec<_>, _>>()
                .map_err(|e| RemoteError::Config {
                    remote: self.name.clone(),
                    message: e.to_string(),
                })?;
            let delete = Delete::builder()
                .set_objects(Some(ids))
                .quiet(true)
                .build()
                .map_err(|e| RemoteError::Config {
                    remote: self.name.clone(),
                    message: e.to_string(),
                })?;
            let resp = client
                .delete_objects()
                .bucket(&self.bucket)
                .delete(delete)
                .send()
                .await
                .map_err(|e| self.error("delete", batch.first().map_or("", |k| k), e))?;
            if let Some(err) = resp.errors().first() {
                return Err(RemoteError::Request {
                    remote: self.name.clone(),
                    op: "delete",
                    key: err.key().unwrap_or("").to_string(),
                    message: err.message().unwrap_or("failed").to_string(),
                    kind: RequestKind::Permanent,
                });
            }
            Ok(())
        })
        .await?;
        Ok(())
    }
}

/// The causes of an SDK error, joined with `: ` (its own top line, like `dispatch
/// failure`, says nothing a user can act on, and `Debug` dumps are never shown).
/// Whether the SDK failed because no usable credentials could be loaded (the typed
/// `CredentialsError` of the credentials provider, anywhere in the source chain).
fn has_credentials_error(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cur {
        if e.downcast_ref::<aws_credential_types::provider::error::CredentialsError>()
            .is_some()
        {
            return true;
        }
        cur = e.source();
    }
    false
}

fn source_chain(err: &dyn std::error::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur = err.source();
    while let Some(e) = cur {
        let text = e.to_string();
        if !parts.last().is_some_and(|p| p.contains(&text)) {
            parts.push(text);
        }
        cur = e.source();
    }
    if parts.is_empty() {
        err.to_string()
    } else {
        parts.join(": ")
    }
}

/// [`super::concurrent`], stopping at the first error (after the in-flight work ends).
async fn run_concurrent<'a, T, R, F, Fut>(items: Vec<T>, jobs: usize, f: F) -> Result<Vec<R>>
where
    F: Fn(T) -> Fut,
    Fut: std::future::Future<Output = Result<R>> + 'a,
{
    super::concurrent(items, jobs, f)
        .await
        .into_iter()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::config::RemoteLocation;
    use std::collections::BTreeMap;

    fn config(options: &[(&str, &str)]) -> RemoteConfig {
        RemoteConfig {
            name: "s3r".into(),
            url: "s3://bucket/prefix".into(),
            location: RemoteLocation::S3 {
                bucket: "bucket".into(),
                prefix: "prefix".into(),
            },
            options: options
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<BTreeMap<_, _>>(),
        }
    }

    #[test]
    fn part_sizes() {
        const MIB: u64 = 1 << 20;
        // The default: 64 MiB parts.
        assert_eq!(part_size(600 * MIB, MULTIPART_THRESHOLD), 64 * MIB);
        // A low threshold makes the parts as small, but never under S3's 5 MiB.
        assert_eq!(part_size(12 * MIB, 5 * MIB), 5 * MIB);
        assert_eq!(part_size(12 * MIB, 8 * MIB), 8 * MIB);
        // Huge objects stay within 9,000 parts.
        let huge = 5 * 1024 * 1024 * MIB;
        assert!(huge.div_ceil(part_size(huge, MULTIPART_THRESHOLD)) <= 9_000);
    }

    #[test]
    fn secrets_are_redacted_in_debug() {
        let s = S3Settings::from_config(
            &config(&[
                ("access_key_id", "AKIAEXAMPLE"),
                ("secret_access_key", "very-secret-value"),
                ("session_token", "token-value"),
            ]),
            &OpenOptions::default(),
        )
        .unwrap();
        let text = format!("{s:?}");
        assert!(!text.contains("very-secret-value"), "{text}");
        assert!(!text.contains("token-value"), "{text}");
        let remote = S3Remote::new("s3r", "bucket", "prefix", s).unwrap();
        assert!(!format!("{remote:?}").contains("very-secret-value"));
    }

    #[test]
    fn options_parse() {
        let s = S3Settings::from_config(
            &config(&[
                ("endpointurl", "http://127.0.0.1:9"),
                ("use_ssl", "false"),
                ("ssl_verify", "false"),
                ("connect_timeout", "2"),
                ("credentialpath", "~/creds"),
            ]),
            &OpenOptions {
                home_dir: Some(PathBuf::from("/home/u")),
                ..OpenOptions::default()
            },
        )
        .unwrap();
        assert!(!s.use_ssl);
        assert_eq!(s.ssl_verify, SslVerify::Disabled);
        assert_eq!(s.connect_timeout, Duration::from_secs(2));
        assert_eq!(s.credential_path, Some(PathBuf::from("/home/u/creds")));
        // http endpoint: ssl_verify is irrelevant and accepted.
        let http = S3Remote::new("s3r", "bucket", "", s.clone()).unwrap();
        assert!(!http.https());
        // https endpoint: `false` is accepted too (verification is skipped).
        let mut https = s;
        https.endpoint_url = Some("HTTPS://minio.example".into());
        assert!(
            S3Remote::new("s3r", "bucket", "", https.clone())
                .unwrap()
                .https()
        );
        https.ssl_verify = SslVerify::CaBundle(PathBuf::from("/nonexistent/ca.pem"));
        assert!(S3Remote::new("s3r", "bucket", "", https.clone()).is_ok());
        // No scheme: use_ssl decides, as for the endpoint built from it.
        https.endpoint_url = Some("minio.example:9000".into());
        assert!(
            !S3Remote::new("s3r", "bucket", "", https.clone())
                .unwrap()
                .https()
        );
        https.use_ssl = true;
        assert!(S3Remote::new("s3r", "bucket", "", https).unwrap().https());
    }

    #[test]
    fn sse_customer_key_follows_dvc_s3() {
        let parse =
            |o: &[(&str, &str)]| S3Settings::from_config(&config(o), &OpenOptions::default());
        // 32 bytes of 0x01, base64.
        let key = aws_smithy_types::base64::encode([1u8; 32]);
        let s = parse(&[("sse_customer_key", &key)]).unwrap();
        let c = s.sse_customer.clone().unwrap();
        assert_eq!(c.algorithm, "AES256");
        assert_eq!(c.key.0, key);
        use md5::Digest;
        assert_eq!(
            c.key_md5,
            aws_smithy_types::base64::encode(md5::Md5::digest([1u8; 32]).as_slice())
        );
        assert!(
            !format!("{s:?}").contains(&key),
            "the key must not be printed"
        );
        let s = parse(&[
            ("sse_customer_key", &key),
            ("sse_customer_algorithm", "AES512"),
        ])
        .unwrap();
        assert_eq!(s.sse_customer.unwrap().algorithm, "AES512");
        assert!(parse(&[]).unwrap().sse_customer.is_none());
        let err = parse(&[("sse_customer_key", &key), ("sse_kms_key_id", "k")]).unwrap_err();
        assert!(err.to_string().contains("mutually exclusive"), "{err}");
        let err = parse(&[("sse_customer_key", "not base64!")]).unwrap_err();
        assert!(err.to_string().contains("not valid base64"), "{err}");
    }

    #[test]
    fn concurrent_runner_keeps_order() {
        let out = super::super::block_on(async {
            run_concurrent((0..50).collect::<Vec<u32>>(), 4, |i| async move {
                tokio::time::sleep(Duration::from_millis(u64::from(50 - i) % 7)).await;
                Ok(i * 2)
            })
            .await
        })
        .unwrap()
        .unwrap();
        assert_eq!(out, (0..50).map(|i| i * 2).collect::<Vec<_>>());
    }
}
