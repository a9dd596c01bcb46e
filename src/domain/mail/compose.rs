//! Which emails each event queues, and what their templates get.

use serde::Serialize;
use serde_json::json;

use super::{MailKind, MailPayload, OutboxMail};
use crate::domain::accounts::User;
use crate::domain::orders::Order;
use crate::domain::Timestamp;

/// A welcome to the new customer, and a notice to `notify` (if set).
pub fn registration(
    user: &User,
    notify: &str,
    at: Timestamp,
) -> serde_json::Result<Vec<OutboxMail>> {
    let payload =
        MailPayload::new(&json!({ "name": user.name, "email": user.email, "phone": user.phone }))?;
    let mut mails = vec![OutboxMail::new(
        MailKind::Welcome,
        &user.email,
        Some(&user.name),
        payload.clone(),
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
}

/// The confirmation to the customer, and a notice to `notify` (if set).
pub fn order(
    order: &Order,
    customer_name: &str,
    notify: &str,
    link: Option<&str>,
) -> serde_json::Result<Vec<OutboxMail>> {
    let payload = MailPayload::new(&OrderData {
        order,
        link,
        name: customer_name,
        created: order
            .created_at
            .format(&time::format_description::well_known::Rfc2822)
            .unwrap_or_default(),
    })?;
    let mut mails = vec![OutboxMail::new(
        MailKind::OrderConfirmation,
        &order.email,
        Some(customer_name),
        payload.clone(),
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

/// A single-use reset link.
pub fn password_reset(user: &User, link: &str, at: Timestamp) -> serde_json::Result<OutboxMail> {
    Ok(OutboxMail::new(
        MailKind::PasswordReset,
        &user.email,
        Some(&user.name),
        MailPayload::new(&json!({ "name": user.name, "link": link }))?,
        at,
    ))
}
