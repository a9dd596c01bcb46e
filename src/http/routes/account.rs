//! The customer's own account: its page, the download of everything the
//! shop keeps about them, and its erasure.

use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use axum_extra::extract::cookie::CookieJar;
use serde_json::{json, Value};

use crate::domain::accounts::{AccountExport, EraseInput, Profile};
use crate::error::{AppResult, Problem};
use crate::http::extract::{JsonOrForm, WantsHtml};
use crate::http::forms::{refused, shown};
use crate::http::limits;
use crate::http::locale::Lang;
use crate::http::session::{session_cookie, Identity};
use crate::http::visitor::Visitor;
use crate::http::AppState;
use crate::i18n::Locale;

/// Where a browser goes once its account is erased.
const ERASED_PAGE: &str = "/?account=deleted";

/// Your account: a page with the download link and the form that deletes
/// it; JSON clients get the profile.
#[utoipa::path(get, path = "/account", tag = "accounts",
    responses((status = 200, body = Profile, description = "The profile (HTML to browsers: the account page)"),
        (status = 401, body = Problem)),
    security(("bearer" = [])))]
pub async fn page(
    State(state): State<AppState>,
    Lang(locale): Lang,
    WantsHtml(html): WantsHtml,
    who: Identity,
) -> AppResult<Response> {
    if !html {
        return Ok(Json(Profile::from(&who.user)).into_response());
    }
    account_page(&state, locale, &who, json!({})).await
}

/// The account page with `data` (a refused erasure).
async fn account_page(
    state: &AppState,
    locale: Locale,
    who: &Identity,
    mut data: Value,
) -> AppResult<Response> {
    if let Value::Object(fields) = &mut data {
        fields.insert("profile".into(), json!(Profile::from(&who.user)));
    }
    let title = state.pages.text(locale, "title-account");
    let visitor = Visitor::signed_in(state, who).await;
    state.pages.render(locale, "account", title, &visitor, data)
}

/// Download everything the shop keeps about you: profile, delivery
/// addresses, orders, chat messages and sessions, as one JSON file.
#[utoipa::path(get, path = "/account/export", tag = "accounts",
    responses((status = 200, body = AccountExport, description = "An attachment, `tienda-account-export.json`"),
        (status = 401, body = Problem), (status = 503, body = Problem)),
    security(("bearer" = [])))]
pub async fn export(State(state): State<AppState>, who: Identity) -> AppResult<Response> {
    let export = state.accounts.export(&who).await?;
    let headers = [
        (
            CONTENT_DISPOSITION,
            "attachment; filename=\"tienda-account-export.json\"",
        ),
        // Personal data: no cache on the way may keep a copy.
        (CACHE_CONTROL, "no-store"),
    ];
    Ok((headers, Json(export)).into_response())
}

/// Delete your account, confirming with your password: orders stay for the
/// shop's books with your email and address removed, your chat messages are
/// anonymised, every session ends at once. Admins are refused (another admin
/// deletes their account). The page's form posts the same to
/// `/account/delete`, as a form or, from `app.js` (whose `DELETE`s carry no
/// body), as JSON.
#[utoipa::path(delete, path = "/account", tag = "accounts", request_body = EraseInput,
    responses((status = 204, description = "Erased; the session cookie is cleared"),
        (status = 303, description = "Form post: on to the entry page"),
        (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem, description = "Wrong password, or an admin's own account"),
        (status = 415, body = Problem), (status = 422, body = Problem), (status = 429, body = Problem)),
    security(("bearer" = [])))]
pub async fn erase(
    State(state): State<AppState>,
    Lang(locale): Lang,
    who: Identity,
    body: JsonOrForm<EraseInput>,
) -> AppResult<Response> {
    let typed = body.typed.clone();
    match (erase_as(&state, &who, body).await, typed) {
        (Err(error), Some(typed)) => {
            let path = "/account/delete";
            let (status, data) = refused(&state, locale, path, "erase", typed, &error);
            Ok(shown(
                status,
                account_page(&state, locale, &who, data).await?,
            ))
        }
        (answer, _) => answer,
    }
}

async fn erase_as(
    state: &AppState,
    who: &Identity,
    body: JsonOrForm<EraseInput>,
) -> AppResult<Response> {
    let from_form = body.from_form();
    let password = body.value?.validate()?;
    // A stolen token could guess the password here: the tries count on the
    // account's login counter, so guesses through either route add up.
    limits::check(
        state,
        "login-account",
        &who.user.email,
        state.settings.rate_limit.login_per_account,
    )
    .await?;
    state.accounts.erase_own(who, password).await?;
    let ended = session_cookie(
        String::new(),
        std::time::Duration::ZERO,
        state.settings.server.secure_cookies,
    );
    let response = if from_form {
        Redirect::to(ERASED_PAGE).into_response()
    } else {
        StatusCode::NO_CONTENT.into_response()
    };
    Ok((CookieJar::new().add(ended), response).into_response())
}
