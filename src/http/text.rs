//! The messages the HTTP layer says itself: about requests it cannot read,
//! the store's refusals as answers, the chat socket. The shop's own rules
//! speak through `crate::domain::message::ShopText`; both render in
//! `crate::http::problem`.

use crate::domain::message::message_ids;

message_ids! {
    /// Ids of the HTTP layer's messages, each with its text in
    /// `locales/*/errors.ftl`; the doc comment names the arguments.
    HttpText {
        /// `validation_failed`'s detail: the bad `fields`, comma-separated.
        InvalidFields = "detail-invalid-fields";
        /// `internal_error`'s detail.
        Internal = "detail-internal";
        /// The store did not answer.
        StoreUnavailable = "detail-store-unavailable";
        /// Product `id` does not exist.
        ProductNotFound = "detail-product-not-found";
        /// An account with this `what` (a field name) exists.
        AccountExists = "detail-account-exists";
        /// The field message for a taken unique value.
        AlreadyRegistered = "field-already-registered";
        /// Only `available` of product `product_id`, `requested` asked for.
        StockShort = "detail-stock-short";
        /// The cart has no line for `product_id`.
        CartLineMissing = "detail-cart-line-missing";
        /// The cart has several lines of product `product_id`.
        LineAmbiguous = "detail-line-ambiguous";
        /// Another product's variant has the SKU `sku`.
        SkuTaken = "detail-sku-taken";
        /// The cart holds `max` products already.
        CartFull = "field-cart-full";
        /// Checkout of an empty cart.
        CartEmpty = "detail-cart-empty";
        /// Checkout without a delivery address.
        AddressMissing = "field-address-missing";
        /// Order `number` does not exist.
        OrderNotFound = "detail-order-not-found";
        /// An order that is `from` cannot become `to` (status names).
        TransitionRefused = "detail-transition-refused";
        /// A card event that does not match order `number`.
        PaymentMismatch = "detail-payment-mismatch";
        /// The payment provider refused; its words are in `provider_message`.
        PaymentRefused = "detail-payment-refused";
        /// The payment provider did not answer.
        PaymentUnavailable = "detail-payment-unavailable";
        /// Stripe's webhook while the shop takes no cards.
        StripeOff = "detail-stripe-off";
        /// A webhook delivery refused; `reason` says why.
        WebhookRefused = "detail-webhook-refused";
        /// No shipping method has the id `id`.
        ShippingMethodMissing = "detail-shipping-method-missing";
        /// A shipping method id is not a slug.
        ShippingIdInvalid = "detail-shipping-id-invalid";
        /// A webhook event (`event_id`) handled before.
        EventSeen = "detail-event-seen";
        /// Wrong email or password.
        CredentialsWrong = "detail-credentials-wrong";
        /// No route `path`.
        NoRoute = "detail-no-route";
        /// `path` does not accept `method`.
        MethodRefused = "detail-method-refused";
        /// The body is over `server.body_limit`.
        BodyTooLarge = "detail-body-too-large";
        /// The request timed out.
        TooSlow = "detail-too-slow";
        /// A layer below the handlers refused with `status` (`reason`, its
        /// English reason phrase).
        StatusRefused = "detail-status-refused";
        /// A cross-site form post.
        CrossSite = "detail-cross-site";
        /// A form post without a Host header.
        NoHost = "detail-no-host";
        /// The body could not be read.
        BodyUnreadable = "detail-body-unreadable";
        /// An empty body where JSON was expected.
        BodyEmpty = "detail-body-empty";
        /// Not JSON; `reason` is the parser's own (English) words.
        JsonInvalid = "detail-json-invalid";
        /// A field the deserializer refused; `reason` is its own words.
        FieldUnreadable = "field-unreadable";
        /// A query string the deserializer refused; `reason` is its words.
        QueryUnreadable = "detail-query-unreadable";
        /// A path segment that could not be read; `reason` is axum's words.
        PathUnreadable = "detail-path-unreadable";
        /// A body that is not JSON.
        SendJson = "detail-send-json";
        /// A body that is neither JSON nor a form.
        SendJsonOrForm = "detail-send-json-or-form";
        /// `text` is not a well-formed id.
        IdMalformed = "detail-id-malformed";
        /// `GET /stock/events` without ids.
        StockIdsMissing = "detail-stock-ids-missing";
        /// More than `max` ids for one stock stream.
        StockIdsTooMany = "detail-stock-ids-too-many";
        /// Every live stock stream of this instance is taken.
        StockStreamsFull = "detail-stock-streams-full";
        /// `limit` outside 1 to `max`.
        LimitOutOfRange = "detail-limit-out-of-range";
        /// `offset` too large.
        OffsetTooLarge = "detail-offset-too-large";
        /// Over the rate limit of `scope`; try again in `seconds`.
        TooManyAttempts = "detail-too-many-attempts";
        /// No session token sent.
        NoToken = "detail-no-token";
        /// `/metrics` without the `metrics.token` bearer token.
        MetricsToken = "detail-metrics-token";
        /// `text` is neither a product id nor a category name.
        NeitherIdNorCategory = "detail-neither-id-nor-category";
        /// A bad `Idempotency-Key` header.
        IdempotencyKeyInvalid = "detail-idempotency-key-invalid";
        /// A customer sent a guest's email with the checkout.
        EmailOnlyForGuests = "field-email-only-for-guests";
        /// `text` is not an order status.
        OrderStatusUnknown = "detail-order-status-unknown";
        /// `text` is not an order number.
        OrderNumberInvalid = "detail-order-number-invalid";
        /// An order asked for without a session or a link.
        OrderNeedsLogin = "detail-order-needs-login";
        /// `text` is not a mail status.
        MailStatusUnknown = "detail-mail-status-unknown";
        /// No failed mail `id`.
        FailedMailNotFound = "detail-failed-mail-not-found";
        /// No such embedded file.
        NoStaticFile = "detail-no-static-file";
        /// A language the shop does not offer; `languages` lists those it does.
        LanguageNotOffered = "field-language-not-offered";
        /// A reset token that is missing or too long.
        TokenMalformed = "field-token-malformed";
        /// A search that failed with no field named (a fallback).
        SearchInvalid = "detail-search-invalid";
        /// `text` is not an email address (a chat channel).
        NotAnEmail = "detail-not-an-email";
        /// Someone else's chat channel.
        ChannelForbidden = "detail-channel-forbidden";
        /// `before` is not a message id.
        BeforeNotMessageId = "detail-before-not-message-id";
        /// `count` chat sockets open already.
        TooManySockets = "detail-too-many-sockets";
        /// A binary chat frame.
        BinaryFrame = "chat-binary-frame";
        /// A chat frame that is not `{"body"}`; `reason` is serde's words.
        FrameInvalid = "chat-frame-invalid";
        /// The chat body broke a rule: `message` says which.
        BodyInvalid = "chat-body-invalid";
        /// A customer named a recipient.
        RecipientStaffOnly = "chat-recipient-staff-only";
        /// A recipient that is not an email address.
        RecipientNotEmail = "chat-recipient-not-email";
        /// A chat message the store did not take.
        NotStored = "chat-not-stored";
        /// A slow socket missed `count` messages.
        Missed = "chat-missed";
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::HttpText;
    use crate::domain::message::{MessageId, ShopText};
    use crate::i18n::{Locale, Translations};

    fn ids() -> Vec<&'static str> {
        let shop = ShopText::ALL.iter().map(|t| t.as_str());
        let http = HttpText::ALL.iter().map(|t| t.as_str());
        let photos = crate::domain::photos::PhotoText::ALL
            .iter()
            .map(|t| t.as_str());
        let csv = crate::domain::catalog_csv::CsvText::ALL
            .iter()
            .map(|t| t.as_str());
        shop.chain(http).chain(photos).chain(csv).collect()
    }

    #[test]
    fn every_message_id_the_code_uses_exists_in_every_language() {
        let t = Translations::load().unwrap_or_else(|e| unreachable!("{e:#}"));
        for &locale in Locale::all() {
            let missing: Vec<&str> = ids()
                .into_iter()
                .filter(|id| !t.has_message(locale, id))
                .collect();
            assert!(missing.is_empty(), "{}: missing {missing:?}", locale.tag());
        }
    }

    #[test]
    fn message_ids_are_unique() {
        let all = ids();
        let unique: BTreeSet<&str> = all.iter().copied().collect();
        assert_eq!(unique.len(), all.len(), "an id is declared twice");
    }
}
