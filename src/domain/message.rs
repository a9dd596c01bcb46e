//! What the shop tells a person when it refuses something, as a message id
//! and named arguments. The domain says what; the HTTP layer renders the
//! words in the reader's language (`crate::http::problem::render`) from
//! `locales/<lang>/errors.ftl`, where each id has its text.

use std::fmt;

/// A message to show: which one (its Fluent id) and its named arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The Fluent message id, e.g. `text-too-long`.
    pub id: &'static str,
    /// Named arguments, in the order they were given.
    pub args: Vec<(&'static str, Arg)>,
}

/// One argument of a [`Message`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    /// Text shown as is: a name, an id, what a client sent, a library's words.
    Text(String),
    /// A count or a limit (Fluent may choose a plural form by it).
    Number(i64),
    /// Another message, rendered in the same language.
    Message(Box<Message>),
}

impl Message {
    /// Adds the argument `name`.
    pub fn arg(mut self, name: &'static str, value: impl Into<Arg>) -> Self {
        self.args.push((name, value.into()));
        self
    }
}

/// A list of message ids (one enum per layer, declared with
/// [`message_ids!`]). Only these make a [`Message`], so every id the code
/// uses can be listed and checked against every language.
pub trait MessageId: Copy + 'static {
    /// Every id of the list.
    const ALL: &'static [Self];

    /// The Fluent id, e.g. `field-too-long`.
    fn as_str(self) -> &'static str;

    /// The message with this id and no arguments yet.
    fn message(self) -> Message {
        Message {
            id: self.as_str(),
            args: Vec::new(),
        }
    }

    /// The message with this id and the argument `name`.
    fn arg(self, name: &'static str, value: impl Into<Arg>) -> Message {
        self.message().arg(name, value)
    }
}

/// Declares an enum of message ids from one table, a line per id: the
/// variant, its Fluent id (greppable in `locales/*/errors.ftl`) and, in its
/// doc comment, its arguments.
macro_rules! message_ids {
    ($(#[doc = $enum_doc:literal])* $name:ident { $( $(#[doc = $doc:literal])* $variant:ident = $id:literal; )* }) => {
        $(#[doc = $enum_doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name {
            $( $(#[doc = $doc])* $variant, )*
        }

        impl $crate::domain::message::MessageId for $name {
            const ALL: &'static [Self] = &[$($name::$variant),*];

            fn as_str(self) -> &'static str {
                match self { $($name::$variant => $id,)* }
            }
        }
    };
}
pub(crate) use message_ids;

impl<I: MessageId> From<I> for Message {
    fn from(id: I) -> Self {
        id.message()
    }
}

impl From<String> for Arg {
    fn from(text: String) -> Self {
        Arg::Text(text)
    }
}

impl From<&str> for Arg {
    fn from(text: &str) -> Self {
        Arg::Text(text.to_owned())
    }
}

impl From<Message> for Arg {
    fn from(message: Message) -> Self {
        Arg::Message(Box::new(message))
    }
}

macro_rules! number_args {
    ($($t:ty),*) => {$(
        impl From<$t> for Arg {
            fn from(n: $t) -> Self {
                // Larger than any count or limit tienda has: shown as text.
                i64::try_from(n).map_or_else(|_| Arg::Text(n.to_string()), Arg::Number)
            }
        }
    )*};
}
number_args!(i64, u64, u32, u16, usize);

/// The id and arguments, for logs and test failures (the words are in the
/// Fluent files).
impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id)?;
        for (i, (name, value)) in self.args.iter().enumerate() {
            let sep = if i == 0 { "(" } else { ", " };
            match value {
                Arg::Text(t) => write!(f, "{sep}{name}={t:?}")?,
                Arg::Number(n) => write!(f, "{sep}{name}={n}")?,
                Arg::Message(m) => write!(f, "{sep}{name}={m}")?,
            }
        }
        if !self.args.is_empty() {
            f.write_str(")")?;
        }
        Ok(())
    }
}

message_ids! {
    /// The shop's own refusals: broken rules, sessions, roles, missing
    /// things.
    ShopText {
        /// Checkout names a payment method (`text`) the shop does not offer.
        PaymentMethodNotOffered = "payment-method-not-offered";
        /// A refund of 0 or of more than the `max` left to give back.
        RefundOutOfRange = "refund-out-of-range";
        /// A tracking link that is not an https:// URL.
        TrackingUrlInvalid = "tracking-url-invalid";
        /// Tracking sent with a status other than shipped.
        TrackingOnlyWhenShipping = "tracking-only-when-shipping";
        /// No shipping method (or not the one named) ships to `country`.
        NoShippingThere = "no-shipping-there";
        /// Deleting the shop's only shipping method.
        LastShippingMethod = "last-shipping-method";
        /// A weight below 0 or above `max` grams.
        WeightOutOfRange = "weight-out-of-range";
        /// A required text is empty.
        TextEmpty = "field-empty";
        /// A text is shorter than `min` characters.
        TextTooShort = "field-too-short";
        /// A text is longer than `max` characters.
        TextTooLong = "field-too-long";
        /// A text holds control characters.
        TextHasControlCharacters = "field-control-characters";
        /// Not an email address.
        EmailInvalid = "field-email-invalid";
        /// A password holds NUL.
        PasswordHasNul = "field-password-nul";
        /// A login password is empty or longer than 1024 characters.
        PasswordNotGiven = "field-password-not-given";
        /// A phone number is not 6 to 15 digits.
        PhoneInvalid = "field-phone-invalid";
        /// A category name breaks the naming rule.
        CategoryInvalid = "field-category-invalid";
        /// `text` (what was sent) is not a category name.
        CategoryUnknown = "field-category-unknown";
        /// A price outside 0 to `max`.
        PriceOutOfRange = "field-price-out-of-range";
        /// A stock outside 0 to `max`.
        StockOutOfRange = "field-stock-out-of-range";
        /// A currency other than the shop's `currency`.
        CurrencyNotSold = "field-currency-not-sold";
        /// A photo URL that is neither http(s) nor under /static/.
        PhotoUrlInvalid = "field-photo-url-invalid";
        /// Not a product id.
        ProductIdInvalid = "field-product-id-invalid";
        /// A list longer than `max` items.
        TooMany = "field-too-many";
        /// `text` appears twice where each must be unique.
        Repeated = "field-repeated";
        /// `text` is not a variant of this product.
        VariantUnknown = "field-variant-unknown";
        /// A product with options needs the variant named.
        VariantRequired = "field-variant-required";
        /// `text` is a variant that is no longer sold.
        VariantNotSold = "field-variant-not-sold";
        /// A SKU is not 1 to `max` letters, digits, dots, dashes, underscores.
        SkuInvalid = "field-sku-invalid";
        /// `text` is not one of this product's photos.
        PhotoUnknown = "field-photo-unknown";
        /// A variant must give exactly one value of each of `options`.
        OptionsMismatch = "field-options-mismatch";
        /// A quantity outside `min` to `max`.
        QuantityOutOfRange = "field-quantity-out-of-range";
        /// A guest checkout without an email.
        GuestEmailMissing = "field-guest-email-missing";
        /// A password reset link that does not work (any more).
        ResetLinkInvalid = "field-reset-link-invalid";
        /// A search longer than `max` characters.
        SearchTooLong = "field-search-too-long";
        /// A minimum price `min` above the maximum `max`.
        MinAboveMax = "field-min-above-max";
        /// `text` is not true or false.
        NotABoolean = "field-not-a-boolean";
        /// `text` is not a sort order; `orders` lists them.
        SortUnknown = "field-sort-unknown";
        /// A price filter below zero.
        Negative = "field-negative";
        /// `text` is not whole minor units.
        NotMinorUnits = "field-not-minor-units";
        /// A token that does not verify or has expired.
        SessionInvalid = "session-invalid";
        /// A token naming no session.
        SessionMissing = "session-missing";
        /// A session that was ended.
        SessionEnded = "session-ended";
        /// An admin-only operation.
        AdminOnly = "admin-only";
        /// An operation for staff and admins.
        StaffOnly = "staff-only";
        /// No live session `id`.
        SessionNotFound = "session-not-found";
        /// No account has the email `email`.
        AccountNotFound = "account-not-found";
        /// The password typed to confirm an account's erasure is wrong.
        PasswordWrong = "password-wrong";
        /// An admin asked to erase their own account.
        AdminCannotErase = "admin-cannot-erase";
        /// `text` is not an ISO 3166-1 alpha-2 country code.
        CountryInvalid = "field-country-invalid";
        /// A postal code with characters other than letters, digits, spaces
        /// and dashes.
        PostalCodeInvalid = "field-postal-code-invalid";
        /// An address's phone with characters other than digits, spaces and
        /// `+ - ( ) .`.
        AddressPhoneInvalid = "field-address-phone-invalid";
        /// The country `text` is already in the zone `zone` of this method.
        CountryInTwoZones = "field-country-in-two-zones";
        /// A second zone without countries; `zone` already covers every
        /// country no other zone lists.
        CatchAllZoneRepeated = "field-catch-all-zone-repeated";
        /// A number that must be above zero.
        NotPositive = "field-not-positive";
        /// A number not above the one before it, `previous`.
        NotAscending = "field-not-ascending";
        /// A shipping zone with neither a price nor weight bands.
        ZonePriceMissing = "field-zone-price-missing";
        /// `text` is not a day written `YYYY-MM-DD`.
        DayInvalid = "field-day-invalid";
        /// A day outside the years `min` to `max`.
        DayOutOfRange = "field-day-out-of-range";
        /// A range whose last day `to` is before its first, `from`.
        DayBeforeFrom = "field-day-before-from";
    }
}
