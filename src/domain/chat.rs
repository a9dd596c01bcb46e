//! Support chat messages (the seed's `messages` collection) and who may see them.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::accounts::{Permission, User};
use super::Timestamp;

/// Who wrote a message: a customer or staff.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    ToSchema,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::VariantArray,
)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum MessageType {
    /// A question from a customer, posted on the general channel.
    Customer,
    /// An answer from staff, to one customer (`to`) or to everyone.
    Staff,
}

impl MessageType {
    /// The name used in JSON and in the store.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// The type with this name, if any.
    pub fn parse(text: &str) -> Option<Self> {
        text.parse().ok()
    }
}

/// A chat message as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Message {
    /// Message id (a UUIDv7: time-ordered).
    pub id: String,
    /// Display name of the author.
    pub author: String,
    /// The author's email.
    pub email: String,
    /// `customer` or `staff`.
    #[serde(rename = "type")]
    pub kind: MessageType,
    /// The message text.
    pub body: String,
    /// For staff answers: the customer it answers; `None` means everyone.
    pub to: Option<String>,
    /// When the message was posted.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

/// A message as one particular viewer may see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MessageView {
    /// Message id.
    pub id: String,
    /// Display name of the author.
    pub author: String,
    /// Only for staff and for the author themself; `null` for anyone else.
    pub email: Option<String>,
    /// `customer` or `staff`.
    #[serde(rename = "type")]
    pub kind: MessageType,
    /// The message text.
    pub body: String,
    /// For staff answers, the email of the customer it answers; only shown to
    /// staff and to that customer, `null` otherwise and for broadcasts.
    pub to: Option<String>,
    /// When the message was posted.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    /// True when the viewer wrote it.
    pub mine: bool,
}

impl Message {
    /// Whether `viewer` may see this message at all on the general channel:
    /// customer questions and staff broadcasts are public; a staff answer is
    /// seen by staff and by the customer it answers.
    pub fn visible_to(&self, viewer: &User) -> bool {
        viewer.may(Permission::AnswerChat)
            || self.email == viewer.email
            || match &self.to {
                None => true,
                Some(to) => to == &viewer.email,
            }
    }

    /// Whether this message belongs to `email`'s own channel: what they wrote
    /// and the answers addressed to them.
    pub fn in_channel_of(&self, email: &str) -> bool {
        self.email == email || self.to.as_deref() == Some(email)
    }

    /// This message as `viewer` sees it: emails and the addressee are hidden from
    /// those who may not see them.
    pub fn view_for(&self, viewer: &User) -> MessageView {
        let mine = self.email == viewer.email;
        MessageView {
            id: self.id.clone(),
            author: self.author.clone(),
            email: (viewer.may(Permission::AnswerChat) || mine).then(|| self.email.clone()),
            kind: self.kind,
            body: self.body.clone(),
            to: (viewer.may(Permission::AnswerChat)
                || self.to.as_deref() == Some(viewer.email.as_str()))
            .then(|| self.to.clone())
            .flatten(),
            created_at: self.created_at,
            mine,
        }
    }
}

/// Which messages a history page holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MessageFilter {
    /// Only `email`'s channel (their messages and answers to them).
    pub channel_of: Option<String>,
    /// For a customer on the general channel: public messages plus their own
    /// answers. `None` means everything (staff).
    pub visible_to: Option<String>,
    /// Only messages created strictly before this id (paging backwards).
    pub before: Option<String>,
    /// Most messages to return.
    pub limit: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::accounts::Role;

    fn user(email: &str, role: Role) -> User {
        User {
            id: email.into(),
            name: email.into(),
            phone: "600000000".into(),
            email: email.into(),
            role,
            password_hash: String::new(),
            created_at: crate::domain::now(),
            locale: None,
            disabled_at: None,
        }
    }

    fn msg(email: &str, kind: MessageType, to: Option<&str>) -> Message {
        Message {
            id: "m".into(),
            author: "A".into(),
            email: email.into(),
            kind,
            body: "hi".into(),
            to: to.map(str::to_owned),
            created_at: crate::domain::now(),
        }
    }

    #[test]
    fn answers_reach_only_their_customer_and_emails_stay_private() {
        let ana = user("ana@x.io", Role::Customer);
        let bob = user("bob@x.io", Role::Customer);
        let staff = user("staff@x.io", Role::Staff);
        let admin = user("admin@x.io", Role::Admin);
        let question = msg("ana@x.io", MessageType::Customer, None);
        let answer = msg("staff@x.io", MessageType::Staff, Some("ana@x.io"));
        assert!(question.visible_to(&bob));
        assert_eq!(question.view_for(&bob).email, None);
        assert_eq!(question.view_for(&staff).email.as_deref(), Some("ana@x.io"));
        assert_eq!(question.view_for(&admin).email.as_deref(), Some("ana@x.io"));
        assert!(answer.visible_to(&staff) && answer.visible_to(&admin));
        assert!(answer.visible_to(&ana));
        assert!(!answer.visible_to(&bob));
        assert!(answer.in_channel_of("ana@x.io"));
        assert!(!answer.in_channel_of("bob@x.io"));
    }
}
