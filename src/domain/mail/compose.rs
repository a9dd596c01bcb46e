//! Which emails each event queues, and what their templates get.

use serde::Serialize;
use serde_json::json;

use super::{MailKind, MailPayload, OutboxMail};
use crate::domain::accounts::User;
use crate::domain::orders::{Order, OrderMailKind};
use crate::domain::payments::{BankDetails, PaymentMethod};
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
    /// Which change an update mail tells of.
    event: OrderMailKind,
    /// Where a bank transfer goes (for orders paid that way).
    bank: Option<&'a BankDetails>,
}

/// What every order mail needs besides the order.
#[derive(Debug, Clone)]
pub struct OrderMailContext {
    /// Whom the mails greet.
    pub name: String,
    /// Gets a notice of each new order (none when empty).
    pub notify: String,
    /// Where bank transfers go.
    pub bank: BankDetails,
}

/// The mails of an order event, in the order's language: for a new order
/// the confirmation (with how to pay) and a notice to `notify` (if set) in
/// the shop's language; for later changes one update to the customer.
pub fn order_mail(
    order: &Order,
    kind: OrderMailKind,
    context: &OrderMailContext,
    link: Option<&str>,
) -> serde_json::Result<Vec<OutboxMail>> {
    let bank = (order.payment.method == PaymentMethod::BankTransfer).then_some(&context.bank);
    let data = |locale: Option<Locale>| {
        MailPayload::new(&OrderData {
            order,
            link,
            locale,
            name: &context.name,
            created: order
                .created_at
                .format(&time::format_description::well_known::Rfc2822)
                .unwrap_or_default(),
            event: kind,
            bank,
        })
    };
    let at = order.history.last().map_or(order.created_at, |h| h.at);
    let mail_kind = match kind {
        OrderMailKind::Received => MailKind::OrderConfirmation,
        _ => MailKind::OrderUpdate,
    };
    let mut mails = vec![OutboxMail::new(
        mail_kind,
        &order.email,
        Some(&context.name),
        data(Some(order.locale))?,
        at,
    )];
    if kind == OrderMailKind::Received && !context.notify.is_empty() {
        mails.push(OutboxMail::new(
            MailKind::OrderNotice,
            &context.notify,
            None,
            data(None)?,
            at,
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
