//! Settings loaded from one TOML file with profiles, overridden by `TIENDA_*`
//! environment variables. Key names are an operator contract: see design.md.

mod checkout;
mod duration;
mod secret;

use std::path::{Path, PathBuf};

use figment::providers::{Env, Format, Serialized, Toml};
use figment::{Figment, Profile};
use serde::{Deserialize, Serialize};

pub use checkout::{PaymentSettings, ShippingSettings, StripeSettings, TaxSettings};
pub use duration::Seconds;
pub use secret::Secret;

/// The JWT secret shipped for development; production refuses it.
pub const DEVELOPMENT_JWT_SECRET: &str = "development-only-secret-do-not-use-in-production";
/// Shortest JWT secret production accepts (bytes).
pub const MIN_JWT_SECRET_LEN: usize = 32;
/// Shortest `metrics.token` accepted: a guessable token would publish the shop's traffic.
pub const MIN_METRICS_TOKEN_LEN: usize = 16;

/// Every setting, one field per `[section]` of the file.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// `[server]`: listen address, request limits and the public URL.
    pub server: ServerSettings,
    /// `[store]`: which database and how many connections.
    pub store: StoreSettings,
    /// `[session]`: login lifetime and purging.
    pub session: SessionSettings,
    /// `[auth]`: the session token signing key.
    pub auth: AuthSettings,
    /// `[admin]`: which accounts are admins.
    pub admin: AdminSettings,
    /// `[mail]`: the outbox sender and its transport.
    pub mail: MailSettings,
    /// `[shop]`: the shop's name and currency.
    pub shop: ShopSettings,
    /// `[rate_limit]`: per-window limits on logins, registrations and chat.
    pub rate_limit: RateLimitSettings,
    /// `[chat]`: support chat limits.
    pub chat: ChatSettings,
    /// `[log]`: log format and filter.
    pub log: LogSettings,
    /// `[metrics]`: the Prometheus endpoint.
    pub metrics: MetricsSettings,
    /// `[photos]`: limits on product photo uploads.
    pub photos: PhotoSettings,
    /// `[payment]`: the payment methods and their accounts.
    pub payment: PaymentSettings,
    /// `[shipping]`: the default shipping method.
    pub shipping: ShippingSettings,
    /// `[tax]`: tax rates by country.
    pub tax: TaxSettings,
    /// `[catalog]`: catalog-wide defaults (the low-stock level).
    pub catalog: CatalogSettings,
    /// Filled in by the loader: the profile in force. Not read from the file.
    #[serde(skip)]
    pub profile: String,
}

/// `[server]`: how the HTTP server listens and what it accepts.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSettings {
    /// Listen address.
    pub host: String,
    /// Listen port; 0 picks a free one (tests).
    pub port: u16,
    /// Largest accepted request body in bytes; larger bodies get 413.
    pub body_limit: usize,
    /// Longest a request may take before it is answered 408.
    pub request_timeout: Seconds,
    /// Longest a client may take to send its request headers.
    pub header_timeout: Seconds,
    /// Public base URL used in links inside emails.
    pub public_url: String,
    /// Mark cookies `Secure` (on by default in production).
    pub secure_cookies: bool,
    /// Origins allowed to call the API cross-site; empty means CORS stays off.
    pub cors_origins: Vec<String>,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".into(),
            port: 8080,
            body_limit: 1024 * 1024,
            request_timeout: Seconds(30),
            header_timeout: Seconds(10),
            public_url: "http://127.0.0.1:8080".into(),
            secure_cookies: false,
            cors_origins: Vec::new(),
        }
    }
}

/// `[store]`: the database behind the shop.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreSettings {
    /// `sqlite://PATH` or `mongodb://…` / `mongodb+srv://…`.
    pub url: Secret,
    /// Connections kept open to the store.
    pub pool_size: u32,
    /// Seed the demo catalog into an empty store at start.
    pub demo_catalog: bool,
}

impl Default for StoreSettings {
    fn default() -> Self {
        Self {
            url: Secret::new("sqlite://data/tienda.db"),
            pool_size: 8,
            demo_catalog: true,
        }
    }
}

/// `[session]`: how long logins last.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SessionSettings {
    /// How long a login stays valid.
    pub ttl: Seconds,
    /// How often expired sessions are purged from the store.
    pub purge_interval: Seconds,
}

impl Default for SessionSettings {
    fn default() -> Self {
        Self {
            ttl: Seconds(3600),
            purge_interval: Seconds(300),
        }
    }
}

/// `[auth]`: session token signing.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthSettings {
    /// HMAC key that signs session tokens (HS256).
    pub jwt_secret: Secret,
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            jwt_secret: Secret::new(DEVELOPMENT_JWT_SECRET),
        }
    }
}

/// `[admin]`: who gets the admin role.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct AdminSettings {
    /// Accounts with these emails are admins.
    pub emails: Vec<String>,
}

/// How outgoing mail leaves the shop (`mail.transport`).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum MailTransportKind {
    /// One `.eml` file per message in `mail.outbox_dir`.
    File,
    /// Real delivery over SMTP.
    Smtp,
}

/// How the SMTP connection is secured (`mail.smtp.tls`).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plain SMTP, no encryption.
    None,
    /// A plain connection upgraded with STARTTLS (usually port 587).
    Starttls,
    /// TLS from the first byte (implicit TLS, usually port 465).
    Tls,
}

/// `[mail]`: the outbox sender: transport, addresses and retries.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MailSettings {
    /// `file` (the default) or `smtp`.
    pub transport: MailTransportKind,
    /// Folder for the file transport.
    pub outbox_dir: PathBuf,
    /// Sender mailbox, e.g. `"tienda <shop@example.com>"`.
    pub from: String,
    /// Gets a copy of every registration and order; empty turns copies off.
    pub notify: String,
    /// `[mail.smtp]`: the server used when `transport` is `smtp`.
    pub smtp: SmtpSettings,
    /// How often the sender looks for due mail.
    pub poll_interval: Seconds,
    /// Attempts before a message is kept as failed.
    pub max_attempts: u32,
    /// First retry delay; doubles on each failure up to `retry_max_delay`.
    pub retry_base_delay: Seconds,
    /// Longest delay between retries.
    pub retry_max_delay: Seconds,
    /// How long a claimed mail stays invisible to other senders; after a
    /// crash, mail claimed but not sent goes out once this has passed.
    pub claim_lease: Seconds,
}

impl Default for MailSettings {
    fn default() -> Self {
        Self {
            transport: MailTransportKind::File,
            outbox_dir: PathBuf::from("data/outbox"),
            from: "tienda <shop@tienda.local>".into(),
            notify: "owner@tienda.local".into(),
            smtp: SmtpSettings::default(),
            poll_interval: Seconds(1),
            max_attempts: 8,
            retry_base_delay: Seconds(2),
            retry_max_delay: Seconds(600),
            claim_lease: Seconds(60),
        }
    }
}

/// `[mail.smtp]`: the SMTP server and its credentials.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SmtpSettings {
    /// Server host name or address.
    pub host: String,
    /// Server port (default 25).
    pub port: u16,
    /// `none` (the default), `starttls` or `tls`.
    pub tls: SmtpTls,
    /// Login name; empty means no authentication.
    pub username: String,
    /// Login password, used with `username`.
    pub password: Secret,
    /// Connect and command timeout.
    pub timeout: Seconds,
}

impl Default for SmtpSettings {
    fn default() -> Self {
        Self {
            host: "localhost".into(),
            port: 25,
            tls: SmtpTls::None,
            username: String::new(),
            password: Secret::new(""),
            timeout: Seconds(10),
        }
    }
}

/// `[shop]`: what the shop calls itself and sells in.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ShopSettings {
    /// Shop name shown on pages and in emails.
    pub name: String,
    /// ISO 4217 code of every price.
    pub currency: String,
    /// The languages the shop offers (`en`, `es`).
    pub locales: Vec<crate::i18n::Locale>,
    /// The language of a visitor whose browser asks for none of `locales`,
    /// and of the shop's own notices.
    pub default_locale: crate::i18n::Locale,
    /// The logo in the header: a path on this shop (`/static/...`) or an
    /// `https://` URL.
    pub logo: String,
    /// The shop's colour (`#rgb` or `#rrggbb`): header, buttons, links.
    pub primary_color: String,
    /// A folder whose `templates/NAME.hbs` and `static/PATH` files override
    /// the embedded ones by name (see `crate::theme`); relative to the
    /// working folder; read and checked whole at start.
    pub theme_dir: Option<std::path::PathBuf>,
    /// The shop's country (ISO 3166 alpha-2): where one-line addresses are.
    pub country: String,
    /// Catalog prices include tax (EU shops) rather than having it added.
    pub prices_include_tax: bool,
}

impl Default for ShopSettings {
    fn default() -> Self {
        Self {
            name: "tienda".into(),
            currency: "EUR".into(),
            locales: crate::i18n::Locale::all().to_vec(),
            default_locale: crate::i18n::Locale::En,
            logo: "/static/logo.svg".into(),
            primary_color: "#2b6cb0".into(),
            theme_dir: None,
            country: "ES".into(),
            prices_include_tax: true,
        }
    }
}

/// `[rate_limit]`: per-window limits against password guessing and flooding.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimitSettings {
    /// `false` turns every rate limit off.
    pub enabled: bool,
    /// Length of one counting window.
    pub window: Seconds,
    /// Login attempts per client address per window.
    pub login_per_address: u32,
    /// Login attempts per account per window.
    pub login_per_account: u32,
    /// Registrations per client address per window.
    pub register_per_address: u32,
    /// Chat messages per user per window.
    pub chat_per_user: u32,
}

impl Default for RateLimitSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            window: Seconds(60),
            login_per_address: 30,
            login_per_account: 10,
            register_per_address: 20,
            chat_per_user: 30,
        }
    }
}

/// `[chat]`: support chat limits.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ChatSettings {
    /// Longest message body in characters.
    pub max_body: usize,
    /// Messages per history page.
    pub history_page: u32,
    /// Open sockets one user may hold.
    pub max_sockets_per_user: usize,
    /// How often an open socket re-checks that its session is still live.
    pub session_check_interval: Seconds,
    /// How long a write to a socket may wait for its client to read before
    /// the socket is dropped.
    pub write_timeout: Seconds,
}

impl Default for ChatSettings {
    fn default() -> Self {
        Self {
            max_body: 2000,
            history_page: 50,
            max_sockets_per_user: 8,
            session_check_interval: Seconds(30),
            write_timeout: Seconds(20),
        }
    }
}

/// How log lines are written (`log.format`).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines, coloured on a terminal (the default).
    Pretty,
    /// One JSON object per event, for log collectors.
    Json,
}

/// `[log]`: what is logged and how.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogSettings {
    /// `pretty` (the default) or `json`.
    pub format: LogFormat,
    /// `tracing` filter, e.g. `"info,tienda=debug"`.
    pub level: String,
}

impl Default for LogSettings {
    fn default() -> Self {
        Self {
            format: LogFormat::Pretty,
            level: "info".into(),
        }
    }
}

/// `[metrics]`: `GET /metrics` in the Prometheus text format.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsSettings {
    /// Off by default: nothing is recorded and `/metrics` answers 404.
    pub enabled: bool,
    /// Bearer token a scraper must send to `/metrics` on the shop's address.
    pub token: Option<Secret>,
    /// A separate `host:port` serving only `/metrics` (no token there), for
    /// scrapers on a private network; the shop's address then has no `/metrics`.
    pub listen: Option<String>,
}

/// `[photos]`: what a product photo upload may be.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PhotoSettings {
    /// Largest photo file accepted, in bytes (default 10 MiB); a larger one
    /// gets 413. The upload route's body may hold this many bytes per photo
    /// a product can have, whatever `server.body_limit` says.
    pub max_upload: usize,
    /// Most pixels (width × height) of an accepted photo (default 50
    /// million), checked on the header before decoding.
    pub max_pixels: u64,
}

impl Default for PhotoSettings {
    fn default() -> Self {
        let rules = crate::domain::photos::PhotoRules::default();
        Self {
            max_upload: rules.max_upload,
            max_pixels: rules.max_pixels,
        }
    }
}

impl PhotoSettings {
    /// The domain's rules from these settings.
    pub fn rules(&self) -> crate::domain::photos::PhotoRules {
        crate::domain::photos::PhotoRules {
            max_upload: self.max_upload,
            max_pixels: self.max_pixels,
        }
    }
}

/// `[catalog]`: what products that say nothing else get.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CatalogSettings {
    /// At or below this many units a variant is low on stock and a checkout
    /// taking it there mails `mail.notify` (default 5); a product's own
    /// `low_stock_threshold` wins.
    pub low_stock_threshold: i64,
}

impl Default for CatalogSettings {
    fn default() -> Self {
        Self {
            low_stock_threshold: crate::domain::catalog::low_stock::DEFAULT_THRESHOLD,
        }
    }
}

/// Why the settings could not be loaded; each names the file.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The config file does not exist.
    #[error("config file {0} does not exist")]
    MissingFile(PathBuf),
    /// The chosen profile has no section in the file.
    #[error("config file {file}: unknown profile `{profile}` (the file defines: {known})")]
    UnknownProfile {
        /// The config file.
        file: PathBuf,
        /// The profile asked for.
        profile: String,
        /// The profiles the file does define, comma-separated.
        known: String,
    },
    /// The file or an override does not parse or has the wrong types.
    #[error("config file {file}: {source}")]
    Invalid {
        /// The config file.
        file: PathBuf,
        /// What figment reported.
        source: Box<figment::Error>,
    },
    /// A value parsed but failed validation.
    #[error("config file {file}: key `{key}`: {message}")]
    Rejected {
        /// The config file.
        file: PathBuf,
        /// The rejected key, e.g. `store.url`.
        key: &'static str,
        /// Why it was rejected.
        message: String,
    },
}

impl Settings {
    /// True under the `production` profile: the JWT secret is checked and error
    /// answers leave out their internal causes.
    pub fn is_production(&self) -> bool {
        self.profile == "production"
    }

    /// Loads `file` with `profile` (falling back to `TIENDA_PROFILE`, then
    /// `development`), applies `TIENDA_<SECTION>__<KEY>` overrides, validates.
    pub fn load(file: &Path, profile: Option<&str>) -> Result<Self, ConfigError> {
        Self::load_with_env(file, profile, Env::prefixed("TIENDA_"))
    }

    fn load_with_env(file: &Path, profile: Option<&str>, env: Env) -> Result<Self, ConfigError> {
        if !file.is_file() {
            return Err(ConfigError::MissingFile(file.to_path_buf()));
        }
        let profile = profile
            .map(str::to_owned)
            .or_else(|| std::env::var("TIENDA_PROFILE").ok())
            .unwrap_or_else(|| "development".into());
        let figment = Figment::from(Serialized::defaults(Settings::default()))
            .merge(Toml::file(file).nested())
            // Only `TIENDA_<SECTION>__<KEY>` names are overrides; other TIENDA_*
            // variables (TIENDA_PROFILE, TIENDA_CONFIG, tooling) are not keys.
            .merge(
                env.filter(|key| key.as_str().contains("__"))
                    .split("__")
                    .global(),
            )
            .select(Profile::new(&profile));
        let known: Vec<String> = figment.profiles().map(|p| p.as_str().to_string()).collect();
        let in_file = known.iter().any(|p| p == &profile) && profile != "global";
        if !in_file {
            return Err(ConfigError::UnknownProfile {
                file: file.to_path_buf(),
                profile,
                known: known
                    .into_iter()
                    .filter(|p| p != "default" && p != "global")
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
        let mut settings: Settings = figment.extract().map_err(|e| ConfigError::Invalid {
            file: file.to_path_buf(),
            source: Box::new(e),
        })?;
        settings.profile = profile;
        settings
            .validate()
            .map_err(|(key, message)| ConfigError::Rejected {
                file: file.to_path_buf(),
                key,
                message,
            })?;
        Ok(settings)
    }

    /// Checks what types cannot: ranges, formats, and production safety.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        let url = self.store.url.expose();
        if !(url.starts_with("sqlite://")
            || url.starts_with("mongodb://")
            || url.starts_with("mongodb+srv://"))
        {
            return Err((
                "store.url",
                "must start with sqlite://, mongodb:// or mongodb+srv://".into(),
            ));
        }
        if self.shop.locales.is_empty() {
            return Err(("shop.locales", "must name at least one language".into()));
        }
        if !self.shop.locales.contains(&self.shop.default_locale) {
            return Err(("shop.default_locale", "must be one of shop.locales".into()));
        }
        if !is_css_hex_colour(&self.shop.primary_color) {
            return Err((
                "shop.primary_color",
                "must be a colour like #2b6cb0 or #26b".into(),
            ));
        }
        let logo = &self.shop.logo;
        let on_this_shop = logo.starts_with('/') && !logo.starts_with("//");
        if !(on_this_shop || logo.starts_with("https://")) || logo.contains(['"', '<', '>', ' ']) {
            return Err((
                "shop.logo",
                "must be a path on this shop (/static/logo.svg) or an https:// URL".into(),
            ));
        }
        if let Some(dir) = &self.shop.theme_dir {
            if !dir.is_dir() {
                return Err((
                    "shop.theme_dir",
                    format!("{} is not a folder", dir.display()),
                ));
            }
        }
        if self.session.ttl.0 == 0 {
            return Err(("session.ttl", "must be at least one second".into()));
        }
        if self.server.header_timeout.0 == 0 {
            return Err((
                "server.header_timeout",
                "must be at least one second".into(),
            ));
        }
        if !(1024..=(256 << 20)).contains(&self.photos.max_upload) {
            return Err((
                "photos.max_upload",
                "must be between 1024 bytes and 256 MiB".into(),
            ));
        }
        if !(1_000_000..=200_000_000).contains(&self.photos.max_pixels) {
            return Err((
                "photos.max_pixels",
                "must be between 1 and 200 million".into(),
            ));
        }
        if !(0..=crate::domain::catalog::MAX_STOCK).contains(&self.catalog.low_stock_threshold) {
            return Err((
                "catalog.low_stock_threshold",
                format!(
                    "must be between 0 and {}",
                    crate::domain::catalog::MAX_STOCK
                ),
            ));
        }
        if self.server.body_limit < 1024 {
            return Err(("server.body_limit", "must be at least 1024 bytes".into()));
        }
        let currency = &self.shop.currency;
        if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err((
                "shop.currency",
                format!("`{currency}` is not an ISO 4217 code such as EUR"),
            ));
        }
        if self.mail.from.parse::<lettre::message::Mailbox>().is_err() {
            return Err((
                "mail.from",
                format!("`{}` is not a mailbox", self.mail.from),
            ));
        }
        if !self.mail.notify.is_empty()
            && self
                .mail
                .notify
                .parse::<lettre::message::Mailbox>()
                .is_err()
        {
            return Err((
                "mail.notify",
                format!("`{}` is not an email address", self.mail.notify),
            ));
        }
        let host = &self.mail.smtp.host;
        let host_ok = !host.is_empty()
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b));
        if self.mail.transport == MailTransportKind::Smtp && !host_ok {
            return Err((
                "mail.smtp.host",
                format!("`{host}` is not a host name or address"),
            ));
        }
        if self.mail.transport == MailTransportKind::Smtp && self.mail.smtp.port == 0 {
            return Err(("mail.smtp.port", "must not be 0".into()));
        }
        if self.mail.max_attempts == 0 {
            return Err(("mail.max_attempts", "must be at least 1".into()));
        }
        if let Some(listen) = &self.metrics.listen {
            if listen.parse::<std::net::SocketAddr>().is_err() {
                return Err((
                    "metrics.listen",
                    format!("`{listen}` is not an address like 127.0.0.1:9100"),
                ));
            }
        }
        let token = self.metrics.token.as_ref().map(Secret::expose);
        if self.metrics.enabled && self.metrics.listen.is_none() {
            match token {
                None => {
                    return Err((
                        "metrics.token",
                        "metrics.enabled needs a token, or metrics.listen for a private address"
                            .into(),
                    ))
                }
                Some(t) if t.len() < MIN_METRICS_TOKEN_LEN => {
                    return Err((
                        "metrics.token",
                        format!("must be at least {MIN_METRICS_TOKEN_LEN} characters"),
                    ))
                }
                Some(_) => {}
            }
        }
        if !crate::domain::address::is_country(&self.shop.country) {
            return Err((
                "shop.country",
                "must be an ISO 3166 alpha-2 code such as ES".into(),
            ));
        }
        self.tax.rates.validate().map_err(|m| ("tax.rates", m))?;
        let payment = &self.payment;
        if payment.methods.is_empty() {
            return Err(("payment.methods", "must name at least one method".into()));
        }
        if !payment.methods.contains(&payment.default_method) {
            return Err((
                "payment.default_method",
                "must be one of payment.methods".into(),
            ));
        }
        if payment
            .methods
            .contains(&crate::domain::payments::PaymentMethod::Stripe)
        {
            let stripe = &payment.stripe;
            if stripe.secret_key.expose().is_empty() {
                return Err((
                    "payment.stripe.secret_key",
                    "the stripe method needs the secret key".into(),
                ));
            }
            if stripe.webhook_secret.expose().is_empty() {
                return Err((
                    "payment.stripe.webhook_secret",
                    "the stripe method needs the webhook signing secret".into(),
                ));
            }
            if stripe.publishable_key.is_empty() {
                return Err((
                    "payment.stripe.publishable_key",
                    "the stripe method needs the publishable key".into(),
                ));
            }
        }
        for email in &self.admin.emails {
            if !email.contains('@') {
                return Err(("admin.emails", format!("`{email}` is not an email address")));
            }
        }
        if self.is_production() {
            let secret = self.auth.jwt_secret.expose();
            if secret == DEVELOPMENT_JWT_SECRET {
                return Err((
                    "auth.jwt_secret",
                    "production refuses the development secret: set TIENDA_AUTH__JWT_SECRET".into(),
                ));
            }
            if secret.len() < MIN_JWT_SECRET_LEN {
                return Err((
                    "auth.jwt_secret",
                    format!("production needs at least {MIN_JWT_SECRET_LEN} bytes"),
                ));
            }
        }
        Ok(())
    }

    /// The effective configuration with every secret masked, for the config page.
    pub fn masked(&self) -> serde_json::Value {
        let mut value = serde_json::to_value(self).unwrap_or_default();
        value["auth"]["jwt_secret"] = "***".into();
        value["mail"]["smtp"]["password"] = if self.mail.smtp.password.expose().is_empty() {
            "".into()
        } else {
            "***".into()
        };
        if self.metrics.token.is_some() {
            value["metrics"]["token"] = "***".into();
        }
        for key in ["secret_key", "webhook_secret"] {
            let stripe = &mut value["payment"]["stripe"][key];
            if stripe.as_str().is_some_and(|s| !s.is_empty()) {
                *stripe = "***".into();
            }
        }
        value["store"]["url"] = mask_url_credentials(self.store.url.expose()).into();
        value
    }
}

/// Replaces the password inside `scheme://user:password@host` with `***`.
pub fn mask_url_credentials(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_owned();
    };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else {
        return url.to_owned();
    };
    let userinfo = &rest[..at];
    let user = userinfo.split(':').next().unwrap_or_default();
    format!("{}://{}:***@{}", &url[..scheme_end], user, &rest[at + 1..])
}

#[cfg(test)]
mod tests;

/// `#rgb` or `#rrggbb`: the only colours written into the page's style.
fn is_css_hex_colour(text: &str) -> bool {
    text.strip_prefix('#')
        .is_some_and(|hex| matches!(hex.len(), 3 | 6) && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}
