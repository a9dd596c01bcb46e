//! Turns an outbox row into an email: subject, plain text and HTML from the
//! Handlebars templates under `templates/mail/`, with stable headers.

use std::time::SystemTime;

use handlebars::{Context, Handlebars};
use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::Message;
use serde::{Deserialize, Serialize};

use crate::domain::mail::OutboxMail;
use crate::i18n::Locale;
use crate::templates::localized;

/// What the mail templates see.
#[derive(Serialize)]
struct MailContext<'a> {
    shop: &'a str,
    public_url: &'a str,
    /// The language the helpers write in: the payload's, else the shop's.
    locale: Locale,
    currency: &'a str,
    to: &'a str,
    to_name: Option<&'a str>,
    data: &'a serde_json::value::RawValue,
}

/// The one member of a payload the renderer itself reads.
#[derive(Deserialize)]
struct PayloadLocale {
    #[serde(default)]
    locale: Option<Locale>,
}

/// How the shop signs and speaks in its emails.
pub struct MailShop<'a> {
    /// The shop's name.
    pub name: &'a str,
    /// Base of links.
    pub public_url: &'a str,
    /// The shop's currency.
    pub currency: &'a str,
    /// The language of mails that name none (the shop's own notices).
    pub default_locale: Locale,
}

/// Builds the email for `mail`. The Message-ID derives from the outbox id and
/// the Date from its creation, so a resend is byte-for-byte the same email.
pub fn render(
    registry: &Handlebars<'static>,
    mail: &OutboxMail,
    from: &Mailbox,
    shop: &MailShop,
) -> anyhow::Result<Message> {
    let kind = mail.kind.as_str();
    let locale = serde_json::from_str::<PayloadLocale>(mail.payload.as_raw().get())
        .ok()
        .and_then(|p| p.locale)
        .unwrap_or(shop.default_locale);
    // Converted to Handlebars' data once for the three templates, not once
    // each (three copies of the payload showed in the checkout profile).
    let context = Context::wraps(MailContext {
        shop: shop.name,
        public_url: shop.public_url.trim_end_matches('/'),
        locale,
        currency: shop.currency,
        to: &mail.to,
        to_name: mail.to_name.as_deref(),
        data: mail.payload.as_raw(),
    })?;
    let template = |part: &str| localized(locale, &format!("mail/{kind}.{part}"));
    let subject = registry.render_with_context(&template("subject"), &context)?;
    let text = registry.render_with_context(&template("txt"), &context)?;
    let html = registry.render_with_context(&template("html"), &context)?;
    let to = Mailbox::new(mail.to_name.clone(), mail.to.parse()?);
    let domain = from.email.domain().to_owned();
    let date: SystemTime = mail.created_at.into();
    Ok(Message::builder()
        .from(from.clone())
        .to(to)
        .subject(subject.trim())
        .date(date)
        .message_id(Some(format!("<{}@{}>", mail.id, domain)))
        .multipart(
            MultiPart::alternative()
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_PLAIN)
                        .body(text),
                )
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_HTML)
                        .body(html),
                ),
        )?)
}
