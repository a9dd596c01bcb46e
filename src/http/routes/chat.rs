//! Support chat: the pages, the JSON history, and the WebSocket.
//!
//! Frames (JSON text): the client sends `{"body": "...", "to": "email"?}`
//! (`to` is for staff answering one customer); the server pushes
//! `{"type": "message", "message": {...}}` and
//! `{"type": "error", "id", "code", "detail"}`.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message as Frame, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use crate::domain::accounts::Permission;
use crate::domain::chat::{Message, MessageFilter, MessageType, MessageView};
use crate::domain::message::MessageId;
use crate::domain::validation::{is_valid_email, text_field, FieldErrors};
use crate::domain::{new_id, now};
use crate::error::{AppError, AppResult, ErrorCode, Problem};
use crate::http::extract::{truncate, ApiQuery, WantsHtml};
use crate::http::limits;
use crate::http::locale::Lang;
use crate::http::session::Identity;
use crate::http::text::HttpText;
use crate::http::visitor::Visitor;
use crate::http::AppState;
use crate::services::chat_hub::SocketSlot;

mod outlet;
mod voice;

use outlet::Outlet;
use voice::Voice;

/// Largest frame a client may send.
const MAX_FRAME: usize = 16 * 1024;
/// Refused frames in a row before the socket is closed as a flood.
const MAX_REFUSALS: u32 = 20;

/// Query parameters of `GET /messages`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct HistoryQuery {
    /// Only this customer's channel (theirs, or any as staff).
    pub channel: Option<String>,
    /// Page backwards: messages older than this message id.
    pub before: Option<String>,
    /// Messages per page (1-200, default `chat.history_page`).
    pub limit: Option<u64>,
}

/// One page of chat history.
#[derive(Serialize, ToSchema)]
pub struct MessageList {
    /// Oldest first.
    pub items: Vec<MessageView>,
    /// Pass as `before` for the previous page; absent on the first message.
    pub next_before: Option<String>,
}

/// May `who` open `email`'s channel? (That user and staff; case-insensitive.)
fn channel_for(who: &Identity, email: &str) -> AppResult<String> {
    let email = email.trim().to_ascii_lowercase();
    if !is_valid_email(&email) {
        return Err(AppError::bad_param(
            "email",
            HttpText::NotAnEmail.arg("text", truncate(&email, 100)),
        ));
    }
    if !who.may(Permission::AnswerChat) && email != who.user.email {
        return Err(AppError::forbidden(HttpText::ChannelForbidden));
    }
    Ok(email)
}

async fn history(
    state: &AppState,
    who: &Identity,
    channel: Option<String>,
    before: Option<String>,
    limit: Option<u64>,
) -> AppResult<MessageList> {
    let limit = limit.unwrap_or(u64::from(state.settings.chat.history_page));
    if !(1..=200).contains(&limit) {
        return Err(AppError::bad_param(
            "limit",
            HttpText::LimitOutOfRange.arg("max", 200u32),
        ));
    }
    if let Some(b) = &before {
        if !crate::domain::is_id(b) {
            return Err(AppError::bad_param("before", HttpText::BeforeNotMessageId));
        }
    }
    let filter = MessageFilter {
        channel_of: channel,
        visible_to: (!who.may(Permission::AnswerChat)).then(|| who.user.email.clone()),
        before,
        limit,
    };
    let messages = state.store.list_messages(&filter).await?;
    let next_before = (messages.len() as u64 == limit)
        .then(|| messages.first().map(|m| m.id.clone()))
        .flatten();
    Ok(MessageList {
        items: messages.iter().map(|m| m.view_for(&who.user)).collect(),
        next_before,
    })
}

/// Chat history as JSON: customers see the general channel as they may see
/// it, staff see everything.
#[utoipa::path(get, path = "/messages", tag = "chat", params(HistoryQuery),
    responses((status = 200, body = MessageList), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn messages(
    State(state): State<AppState>,
    who: Identity,
    ApiQuery(q): ApiQuery<HistoryQuery>,
) -> AppResult<Json<MessageList>> {
    let channel = q
        .channel
        .as_deref()
        .map(|c| channel_for(&who, c))
        .transpose()?;
    Ok(Json(
        history(&state, &who, channel, q.before, q.limit).await?,
    ))
}

/// The general channel page (JSON: its history).
#[utoipa::path(get, path = "/chat", tag = "chat",
    responses((status = 200, body = MessageList), (status = 401, body = Problem)), security(("bearer" = [])))]
pub async fn general_page(
    State(state): State<AppState>,
    Lang(locale): Lang,
    WantsHtml(html): WantsHtml,
    who: Identity,
) -> AppResult<Response> {
    let list = history(&state, &who, None, None, None).await?;
    if !html {
        return Ok(Json(list).into_response());
    }
    let customers = if who.may(Permission::AnswerChat) {
        let mut emails: Vec<String> = list
            .items
            .iter()
            .filter(|m| m.kind == MessageType::Customer)
            .filter_map(|m| m.email.clone())
            .collect();
        emails.sort();
        emails.dedup();
        emails
    } else {
        Vec::new()
    };
    state.pages.render(
        locale,
        "chat",
        state.pages.text(locale, "title-chat"),
        &Visitor::signed_in(&state, &who).await,
        json!({ "messages": list.items, "channel": null, "customers": customers, "older": list.next_before }),
    )
}

/// One customer's own channel: their messages and the answers to them.
#[utoipa::path(get, path = "/chat/{email}", tag = "chat", params(("email" = String, Path)),
    responses((status = 200, body = MessageList), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn channel_page(
    State(state): State<AppState>,
    Lang(locale): Lang,
    WantsHtml(html): WantsHtml,
    who: Identity,
    Path(email): Path<String>,
) -> AppResult<Response> {
    let channel = channel_for(&who, &email)?;
    let list = history(&state, &who, Some(channel.clone()), None, None).await?;
    if !html {
        return Ok(Json(list).into_response());
    }
    state.pages.render(
        locale,
        "chat",
        state
            .pages
            .text_with(locale, "title-chat-with", &[("channel", &channel)]),
        &Visitor::signed_in(&state, &who).await,
        json!({ "messages": list.items, "channel": channel, "customers": [channel.clone()], "older": list.next_before }),
    )
}

/// Query parameters of `GET /chat/ws`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct SocketQuery {
    /// Follow only this customer's channel.
    pub channel: Option<String>,
}

/// A frame the client sends.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Incoming {
    /// The message text: after trimming, 1 to `chat.max_body` (default 2000)
    /// characters; line breaks and tabs are the only control characters allowed.
    pub body: String,
    /// Staff only: the customer this answers.
    #[serde(default)]
    pub to: Option<String>,
}

/// Open the chat WebSocket (logged-in users only).
#[utoipa::path(get, path = "/chat/ws", tag = "chat", params(SocketQuery),
    responses((status = 101, description = "Switching to the WebSocket protocol"), (status = 400, body = Problem),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 429, body = Problem)),
    security(("bearer" = [])))]
pub async fn socket(
    State(state): State<AppState>,
    Lang(locale): Lang,
    who: Identity,
    ApiQuery(q): ApiQuery<SocketQuery>,
    upgrade: WebSocketUpgrade,
) -> AppResult<Response> {
    let channel = q
        .channel
        .as_deref()
        .map(|c| channel_for(&who, c))
        .transpose()?;
    let slot = state.chat.open_slot(&who.user.id).ok_or_else(|| {
        AppError::new(
            ErrorCode::RateLimited,
            HttpText::TooManySockets.arg("count", state.settings.chat.max_sockets_per_user),
        )
        .with("limit", state.settings.chat.max_sockets_per_user)
    })?;
    Ok(upgrade
        .max_message_size(MAX_FRAME)
        .max_frame_size(MAX_FRAME)
        // Small buffers: thousands of mostly idle sockets must stay cheap
        // (larger frames still arrive whole: the buffer grows for them).
        // Frames handed over together go out in one write when flushed
        // (every write path flushes), rather than a write each.
        .read_buffer_size(1024)
        .write_buffer_size(WRITE_BUFFER)
        .on_upgrade(move |ws| {
            let voice = Voice::new(state.pages.i18n().clone(), locale);
            run_socket(ws, state, who, channel, slot, voice)
        }))
}

/// Bytes of frames a socket gathers before writing them out unflushed; the
/// fan-out's batches of a few frames fit, so each costs one write.
const WRITE_BUFFER: usize = 8 * 1024;

fn close_frame(code: u16, reason: &str) -> Frame {
    Frame::Close(Some(CloseFrame {
        code,
        reason: Utf8Bytes::from(reason.to_owned()),
    }))
}

async fn run_socket(
    ws: WebSocket,
    state: AppState,
    who: Identity,
    channel: Option<String>,
    mut slot: SocketSlot,
    voice: Voice,
) {
    let (sink, mut incoming) = ws.split();
    // Shared with the outlet: 10,000 sockets would otherwise hold two copies.
    let who = Arc::new(who);
    let stall = Duration::from_secs(state.settings.chat.write_timeout.0.max(1));
    let outlet = Arc::new(Outlet::new(
        who.clone(),
        channel,
        sink,
        stall,
        voice.clone(),
    ));
    slot.attach(outlet.clone());
    // Ends here on this instance arrive through the hub; expiry is known in
    // advance; the periodic check catches revocations made on other instances.
    let mut check = tokio::time::interval(Duration::from_secs(
        state.settings.chat.session_check_interval.0.max(1),
    ));
    check.tick().await;
    let expires_in = (who.session.expires_at - crate::domain::now())
        .try_into()
        .unwrap_or(Duration::ZERO);
    let expiry = tokio::time::sleep(expires_in);
    tokio::pin!(expiry);
    let mut refusals = 0u32;
    loop {
        // A frame refusing something the client sent.
        let refusal: Option<Frame> = tokio::select! {
            _ = outlet.woken() => {
                if !outlet.drain().await {
                    break;
                }
                None
            }
            frame = incoming.next() => match frame {
                None | Some(Err(_)) => break,
                Some(Ok(Frame::Close(_))) => break,
                Some(Ok(Frame::Ping(_) | Frame::Pong(_))) => None,
                Some(Ok(Frame::Binary(_))) => {
                    Some(voice.error_frame(ErrorCode::BadRequest, HttpText::BinaryFrame))
                }
                // Boxed: its state would otherwise sit in every idle socket's task.
                Some(Ok(Frame::Text(text))) => Box::pin(receive(&state, &who, &voice, text.as_str())).await.err(),
            },
            _ = &mut expiry => {
                outlet.end("session expired");
                outlet.drain().await;
                break;
            }
            _ = check.tick() => {
                if !state.accounts.session_is_live(&who.session.id).await {
                    outlet.end("session ended");
                    outlet.drain().await;
                    break;
                }
                None
            }
        };
        if let Some(frame) = refusal {
            refusals += 1;
            if refusals > MAX_REFUSALS {
                outlet
                    .send(close_frame(1008, "too many refused frames"))
                    .await;
                break;
            }
            if !outlet.send(frame).await {
                break;
            }
        }
    }
}

/// Validates, stores and publishes one client frame; the error frame otherwise.
async fn receive(state: &AppState, who: &Identity, voice: &Voice, text: &str) -> Result<(), Frame> {
    let incoming: Incoming = serde_json::from_str(text).map_err(|e| {
        voice.error_frame(
            ErrorCode::MalformedJson,
            HttpText::FrameInvalid.arg("reason", e.to_string()),
        )
    })?;
    let mut errors = FieldErrors::default();
    let body = text_field(
        &mut errors,
        "body",
        &incoming.body,
        1,
        state.settings.chat.max_body,
        true,
    );
    if let Some(e) = errors
        .0
        .into_values()
        .next()
        .and_then(|v| v.into_iter().next())
    {
        return Err(voice.error_frame(
            ErrorCode::ValidationFailed,
            HttpText::BodyInvalid.arg("message", e),
        ));
    }
    let to = match incoming.to {
        None => None,
        Some(_) if !who.may(Permission::AnswerChat) => {
            return Err(voice.error_frame(ErrorCode::Forbidden, HttpText::RecipientStaffOnly))
        }
        Some(to) => {
            let to = to.trim().to_ascii_lowercase();
            if !is_valid_email(&to) {
                return Err(
                    voice.error_frame(ErrorCode::ValidationFailed, HttpText::RecipientNotEmail)
                );
            }
            Some(to)
        }
    };
    limits::check(
        state,
        "chat",
        &who.user.id,
        state.settings.rate_limit.chat_per_user,
    )
    .await
    .map_err(|e| voice.error_frame(e.code, e.detail.clone()))?;
    let message = Message {
        id: new_id(),
        author: who.user.name.clone(),
        email: who.user.email.clone(),
        kind: if who.may(Permission::AnswerChat) {
            MessageType::Staff
        } else {
            MessageType::Customer
        },
        body,
        to,
        created_at: now(),
    };
    // Stored before anyone is shown it.
    if let Err(e) = state.store.insert_message(&message).await {
        tracing::error!("chat message not stored: {e:#}");
        return Err(voice.error_frame(ErrorCode::Unavailable, HttpText::NotStored));
    }
    if !state.store.is_shared() {
        state.chat.publish(message).await;
    }
    Ok(())
}
