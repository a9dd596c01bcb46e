//! The background sender: claims due outbox rows, delivers them, and records
//! the outcome. Failures back off exponentially (base × 2^attempts, capped)
//! until `mail.max_attempts`, then the row is kept as failed.

use std::sync::Arc;
use std::time::Duration;

use handlebars::Handlebars;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use tokio::sync::{watch, Notify};

use super::render::{render, MailShop};
use crate::config::{MailSettings, MailTransportKind, Settings, SmtpTls};
use crate::domain::mail::OutboxMail;
use crate::domain::{from_millis, now, to_millis};
use crate::store::Store;

/// Rows taken per round.
const BATCH: u64 = 20;

/// Where sent mail goes (`mail.transport`).
pub enum Transport {
    /// Each email written as a `.eml` file into `mail.outbox_dir`.
    File(AsyncFileTransport<Tokio1Executor>),
    /// Handed to the SMTP server `mail.smtp.*` names.
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
}

impl Transport {
    /// Builds the configured transport; a bad setting names its key here, at
    /// start-up, rather than at the first email.
    pub fn from_settings(mail: &MailSettings) -> Result<Self, (&'static str, String)> {
        match mail.transport {
            MailTransportKind::File => {
                std::fs::create_dir_all(&mail.outbox_dir).map_err(|e| {
                    (
                        "mail.outbox_dir",
                        format!("cannot create {}: {e}", mail.outbox_dir.display()),
                    )
                })?;
                Ok(Transport::File(AsyncFileTransport::new(&mail.outbox_dir)))
            }
            MailTransportKind::Smtp => {
                let smtp = &mail.smtp;
                let builder = match smtp.tls {
                    SmtpTls::None => {
                        AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host)
                    }
                    SmtpTls::Starttls => {
                        AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&smtp.host)
                            .map_err(|e| ("mail.smtp.host", e.to_string()))?
                    }
                    SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&smtp.host)
                        .map_err(|e| ("mail.smtp.host", e.to_string()))?,
                };
                let mut builder = builder
                    .port(smtp.port)
                    .timeout(Some(smtp.timeout.as_duration()));
                if !smtp.username.is_empty() {
                    builder = builder.credentials(Credentials::new(
                        smtp.username.clone(),
                        smtp.password.expose().to_owned(),
                    ));
                }
                Ok(Transport::Smtp(builder.build()))
            }
        }
    }

    async fn send(&self, message: lettre::Message) -> anyhow::Result<()> {
        match self {
            Transport::File(t) => {
                t.send(message).await?;
            }
            Transport::Smtp(t) => {
                t.send(message).await?;
            }
        }
        Ok(())
    }
}

/// Claims due outbox mails, renders and delivers them, and records each outcome.
pub struct MailSender {
    store: Arc<dyn Store>,
    transport: Transport,
    registry: Arc<Handlebars<'static>>,
    from: Mailbox,
    settings: Arc<Settings>,
}

impl MailSender {
    /// A sender for `store`'s outbox; fails when `mail.from` is not a mailbox.
    pub fn new(
        store: Arc<dyn Store>,
        transport: Transport,
        registry: Arc<Handlebars<'static>>,
        settings: Arc<Settings>,
    ) -> anyhow::Result<Self> {
        let from = settings.mail.from.parse()?;
        Ok(Self {
            store,
            transport,
            registry,
            from,
            settings,
        })
    }

    /// Delay before retry number `attempts` (1-based count of failures so far).
    pub fn backoff(mail: &MailSettings, attempts: u32) -> Duration {
        let base = mail.retry_base_delay.0.max(1);
        let factor = 1u64
            .checked_shl(attempts.saturating_sub(1))
            .unwrap_or(u64::MAX);
        Duration::from_secs(
            base.saturating_mul(factor)
                .min(mail.retry_max_delay.0.max(1)),
        )
    }

    /// Runs until `stop` turns true, waking on `wake` or every poll interval.
    pub async fn run(self, wake: Arc<Notify>, mut stop: watch::Receiver<bool>) {
        let poll = self.settings.mail.poll_interval.as_duration();
        loop {
            let sent = match self.round().await {
                Ok(n) => n,
                Err(e) => {
                    tracing::warn!("mail round failed: {e:#}");
                    0
                }
            };
            if sent == BATCH as usize {
                continue;
            }
            tokio::select! {
                _ = wake.notified() => {}
                _ = tokio::time::sleep(poll) => {}
                _ = stop.changed() => {}
            }
            if *stop.borrow() {
                return;
            }
        }
    }

    /// One pass: claim due rows and try each once. Returns how many were claimed.
    pub async fn round(&self) -> anyhow::Result<usize> {
        let at = now();
        let lease = self.settings.mail.claim_lease.0.max(1) as i64 * 1000;
        let lease_until = from_millis(to_millis(at) + lease);
        let mails = self.store.claim_mail(at, lease_until, BATCH).await?;
        let n = mails.len();
        let mut sent = Vec::with_capacity(n);
        for mail in mails {
            if self.deliver(&mail).await {
                sent.push(mail.id);
            }
        }
        // One write for the round; if it fails the lease expires and the
        // mails go again with the same Message-IDs (at-least-once).
        self.store.mark_mail_sent(&sent, now()).await?;
        Ok(n)
    }

    /// Tries one mail; true when the transport took it. Failures are recorded here.
    async fn deliver(&self, mail: &OutboxMail) -> bool {
        let result = async {
            let shop = MailShop {
                name: &self.settings.shop.name,
                public_url: &self.settings.server.public_url,
                currency: &self.settings.shop.currency,
                default_locale: self.settings.shop.default_locale,
            };
            let message = render(&self.registry, mail, &self.from, &shop)?;
            self.transport.send(message).await
        }
        .await;
        let outcome = match result {
            Ok(()) => {
                tracing::info!(mail_id = %mail.id, kind = mail.kind.as_str(), "mail sent");
                return true;
            }
            Err(e) => {
                let attempts = mail.attempts + 1;
                let error = format!("{e:#}");
                let retry_at = (attempts < self.settings.mail.max_attempts).then(|| {
                    let delay = Self::backoff(&self.settings.mail, attempts);
                    from_millis(to_millis(now()) + delay.as_millis() as i64)
                });
                tracing::warn!(mail_id = %mail.id, attempts, gave_up = retry_at.is_none(), "mail not sent: {error}");
                self.store
                    .mark_mail_failed(&mail.id, &error, retry_at)
                    .await
            }
        };
        if let Err(e) = outcome {
            tracing::error!(mail_id = %mail.id, "could not record mail outcome: {e:#}");
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Seconds;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let mail = MailSettings {
            retry_base_delay: Seconds(2),
            retry_max_delay: Seconds(60),
            ..MailSettings::default()
        };
        let delays: Vec<u64> = (1..=7)
            .map(|a| MailSender::backoff(&mail, a).as_secs())
            .collect();
        assert_eq!(delays, vec![2, 4, 8, 16, 32, 60, 60]);
        assert_eq!(MailSender::backoff(&mail, 200).as_secs(), 60);
    }
}
