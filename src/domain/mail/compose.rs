//! Which emails each event queues, and what their templates get.

use serde::Serialize;
use serde_json::json;

use super::{MailKind, MailPayload, OutboxMail};
use crate::domain::accounts::User;
use crate::domain::orders::Order;
use crate::domain::Timestamp;
use crate::i18n::Locale;

/// A welcome to the new customer in their `locale`, and a notice to
/// `notify` (if set) in the shop's language (a payload without `locale`).
pub fn registration(
    user: &User,
    notify: &str,
    at: Timestamp,
    locale: Locale,
) -> serde_json::Result<Vec<OutboxMail>> {
    let data = |locale: Option<Locale>| {
        MailPayload::new(
            &json!({ "name": user.name, "email": user.email, "phone": user.phone, "locale": locale }),
        )
    };
    let payload = data(None)?;
    let mut mails = vec![OutboxMail::new(
        MailKind::Welcome,
        &user.email,
        Some(&user.name),
        data(Some(locale))?,
        at,
    )];
    if !notify.is_empty() {
        mails.push(OutboxMail::new(
            MailKind::RegistrationNotice,
            notify,
            None,
            payload,
            at,
        ));
    }
    Ok(mails)
}

/// What the order mails' templates get.
#[derive(Serialize)]
struct OrderData<'a> {
    order: &'a Order,
    name: &'a str,
    created: String,
    /// A guest's signed link to the order; customers log in instead.
    link: Option<&'a str>,
    /// The customer's language; none for the shop's own notice.
    locale: Option<Locale>,
}

/// The confirmation to the customer in their `locale`, and a notice to
/// `notify` (if set) in the shop's language.
pub fn order(
    order: &Order,
    customer_name: &str,
    notify: &str,
    link: Option<&str>,
    locale: Locale,
) -> serde_json::Result<Vec<OutboxMail>> {
    let data = |locale: Option<Locale>| {
        MailPayload::new(&OrderData {
            order,
            link,
            locale,
            name: customer_name,
            created: order
                .created_at
                .format(&time::format_description::well_known::Rfc2822)
                .unwrap_or_default(),
        })
    };
    let payload = data(None)?;
    let mut mails = vec![OutboxMail::new(
        MailKind::OrderConfirmation,
        &order.email,
        Some(customer_name),
        data(Some(locale))?,
        order.created_at,
    )];
    if !notify.is_empty() {
        mails.push(OutboxMail::new(
            MailKind::OrderNotice,
            notify,
            None,
            payload,
            order.created_at,
        ));
    }
    Ok(mails)
}

/// A single-use reset link, in `locale`.
pub fn password_reset(
    user: &User,
    link: &str,
    at: Timestamp,
    locale: Locale,
) -> serde_json::Result<OutboxMail> {
    Ok(OutboxMail::new(
        MailKind::PasswordReset,
        &user.email,
        Some(&user.name),
        MailPayload::new(&json!({ "name": user.name, "link": link, "locale": locale }))?,
        at,
    ))
}
