//! Registration, login, logout, the current user, sessions and password reset.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use axum_extra::extract::cookie::CookieJar;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::accounts::{check_password, Login, LoginInput, RegisterInput, Session, User};
use crate::domain::cart::CartOwner;
use crate::domain::validation::{email_field, FieldErrors};
use crate::error::{AppError, AppResult, Problem};
use crate::http::extract::JsonOrForm;
use crate::http::forms::{refused, shown};
use crate::http::limits;
use crate::http::locale::{language_cookie, Lang, LANGUAGE_COOKIE};
use crate::http::routes::site;
use crate::http::session::{may, session_cookie, Allowed, Identity};
use crate::http::shopper::{guest_cookie, guest_id};
use crate::http::text::HttpText;
use crate::http::visitor::Visitor;
use crate::http::AppState;

/// Register a customer; queues the welcome email in the same transaction.
#[utoipa::path(post, path = "/auth/register", tag = "accounts", request_body = RegisterInput,
    responses((status = 201, body = User), (status = 303, description = "Form post: on to the catalog"),
        (status = 400, body = Problem), (status = 409, body = Problem), (status = 413, body = Problem),
        (status = 415, body = Problem), (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn register(
    State(state): State<AppState>,
    Lang(locale): Lang,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    visitor: Visitor,
    body: JsonOrForm<RegisterInput>,
) -> AppResult<Response> {
    let typed = body.typed.clone();
    match (
        register_as(&state, locale, addr, &headers, body).await,
        typed,
    ) {
        (Err(error), Some(typed)) => {
            let path = "/auth/register";
            let (status, data) = refused(&state, locale, path, "register", typed, &error);
            Ok(shown(
                status,
                site::home_page(&state, locale, &visitor, data)?,
            ))
        }
        (answer, _) => answer,
    }
}

async fn register_as(
    state: &AppState,
    locale: crate::i18n::Locale,
    addr: SocketAddr,
    headers: &HeaderMap,
    body: JsonOrForm<RegisterInput>,
) -> AppResult<Response> {
    let from_form = body.from_form();
    limits::check(
        state,
        "register",
        &addr.ip().to_string(),
        state.settings.rate_limit.register_per_address,
    )
    .await?;
    let registration = body.value?.validate()?;
    let user = state.accounts.register(registration, locale).await?;
    if from_form {
        // Straight in: a browser that registers is logged in.
        let login = state.accounts.start_session(&user).await?;
        let next = Redirect::to("/products").into_response();
        return logged_in(state, headers, &login, next).await;
    }
    Ok((StatusCode::CREATED, Json(user)).into_response())
}

/// The answer to a login.
#[derive(Serialize, ToSchema)]
pub struct LoginResponse {
    /// The session token: send it as `Authorization: Bearer <token>`.
    pub token: String,
    /// Always `Bearer`.
    pub token_type: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    /// When the token and its session expire.
    pub expires_at: time::OffsetDateTime,
    /// The logged-in account.
    pub user: User,
}

/// The login answer for `login`.
fn login_body(login: Login) -> LoginResponse {
    LoginResponse {
        token: login.token,
        token_type: "Bearer".into(),
        expires_at: login.expires_at,
        user: login.user,
    }
}

/// `response` to a login: the session cookie set and, when the browser
/// filled a cart as a guest, that cart moved into the account's (once, however
/// many logins race) and the guest cookie ended.
async fn logged_in(
    state: &AppState,
    headers: &HeaderMap,
    login: &Login,
    response: Response,
) -> AppResult<Response> {
    let secure = state.settings.server.secure_cookies;
    let mut jar = CookieJar::new().add(session_cookie(
        login.token.clone(),
        std::time::Duration::from_secs(state.settings.session.ttl.0),
        secure,
    ));
    // A device that never picked a language takes the account's.
    let picked = CookieJar::from_headers(headers)
        .get(LANGUAGE_COOKIE)
        .is_some();
    if let (false, Some(locale)) = (picked, login.user.locale) {
        jar = jar.add(language_cookie(locale, secure));
    }
    if let Some(id) = guest_id(headers, &state.guest_key) {
        let guest = CartOwner::Guest(id);
        let customer = CartOwner::Customer(login.user.email.clone());
        match state.carts.merge_guest(&guest, &customer).await {
            Ok(_) => jar = jar.add(guest_cookie(String::new(), secure)),
            // The login stands; the guest cart waits for the next one.
            Err(e) => tracing::warn!(error = %e, "guest cart not merged at login"),
        }
    }
    Ok((jar, response).into_response())
}

/// Log in with email and password: a session token (also set as a cookie).
#[utoipa::path(post, path = "/auth/login", tag = "accounts", request_body = LoginInput,
    responses((status = 200, body = LoginResponse), (status = 303, description = "Form post: on to the catalog"),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 413, body = Problem),
        (status = 415, body = Problem), (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn login(
    State(state): State<AppState>,
    Lang(locale): Lang,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    visitor: Visitor,
    body: JsonOrForm<LoginInput>,
) -> AppResult<Response> {
    let typed = body.typed.clone();
    match (log_in(&state, addr, &headers, body).await, typed) {
        (Err(error), Some(typed)) => {
            let (status, data) = refused(&state, locale, "/auth/login", "login", typed, &error);
            Ok(shown(
                status,
                site::home_page(&state, locale, &visitor, data)?,
            ))
        }
        (answer, _) => answer,
    }
}

async fn log_in(
    state: &AppState,
    addr: SocketAddr,
    headers: &HeaderMap,
    body: JsonOrForm<LoginInput>,
) -> AppResult<Response> {
    let from_form = body.from_form();
    let credentials = body.value?.validate()?;
    let limits_cfg = &state.settings.rate_limit;
    limits::check(
        state,
        "login",
        &addr.ip().to_string(),
        limits_cfg.login_per_address,
    )
    .await?;
    limits::check(
        state,
        "login-account",
        &credentials.email,
        limits_cfg.login_per_account,
    )
    .await?;
    let login = state.accounts.login(credentials).await?;
    let response = if from_form {
        Redirect::to("/products").into_response()
    } else {
        Json(login_body(login.clone())).into_response()
    };
    logged_in(state, headers, &login, response).await
}

/// End the current session at once.
#[utoipa::path(post, path = "/auth/logout", tag = "accounts",
    responses((status = 204), (status = 303, description = "Browser: back to the entry page"), (status = 401, body = Problem)),
    security(("bearer" = [])))]
pub async fn logout(
    State(state): State<AppState>,
    who: Identity,
    crate::http::extract::WantsHtml(html): crate::http::extract::WantsHtml,
) -> AppResult<Response> {
    state.accounts.logout(&who).await?;
    let ended = session_cookie(
        String::new(),
        std::time::Duration::ZERO,
        state.settings.server.secure_cookies,
    );
    let response = if html {
        Redirect::to("/").into_response()
    } else {
        StatusCode::NO_CONTENT.into_response()
    };
    Ok((CookieJar::new().add(ended), response).into_response())
}

/// The logged-in user.
#[utoipa::path(get, path = "/auth/me", tag = "accounts",
    responses((status = 200, body = User), (status = 401, body = Problem)), security(("bearer" = [])))]
pub async fn me(who: Identity) -> Json<User> {
    Json(who.user)
}

/// A user's sessions.
#[derive(Serialize, ToSchema)]
pub struct SessionList {
    /// The account's sessions, live or ended.
    pub items: Vec<Session>,
}

/// A user's sessions (admin).
#[utoipa::path(get, path = "/admin/users/{email}/sessions", tag = "accounts",
    params(("email" = String, Path)),
    responses((status = 200, body = SessionList), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn user_sessions(
    State(state): State<AppState>,
    _admin: Allowed<may::ManageAccounts>,
    Path(email): Path<String>,
) -> AppResult<Json<SessionList>> {
    let items = state.accounts.user_sessions(&email).await?;
    Ok(Json(SessionList { items }))
}

/// Revoke a session: your own, or anyone's as admin.
#[utoipa::path(delete, path = "/auth/sessions/{id}", tag = "accounts",
    params(("id" = String, Path)),
    responses((status = 204), (status = 401, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn revoke_session(
    State(state): State<AppState>,
    who: Identity,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    state.accounts.revoke_session(&who, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Delete an account (admin): erased as `DELETE /account` erases one, its
/// orders kept anonymised, every session ended at once. Not your own (403).
#[utoipa::path(delete, path = "/admin/users/{email}", tag = "accounts",
    params(("email" = String, Path)),
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn delete_user(
    State(state): State<AppState>,
    Allowed(admin, _): Allowed<may::ManageAccounts>,
    Path(email): Path<String>,
) -> AppResult<StatusCode> {
    state.accounts.erase_user(&admin, &email).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The body of `POST /auth/password/forgot`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ForgotInput {
    /// The account's email.
    pub email: String,
}

/// A request taken, to be acted on later.
#[derive(Serialize, ToSchema)]
pub struct Accepted {
    /// What happens next.
    pub message: String,
}

/// Ask for a password reset link. The answer is the same whether or not the
/// account exists.
#[utoipa::path(post, path = "/auth/password/forgot", tag = "accounts", request_body = ForgotInput,
    responses((status = 202, body = Accepted), (status = 400, body = Problem), (status = 415, body = Problem),
        (status = 303, description = "Form post: the page again, saying the link is on its way"),
        (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn forgot_password(
    State(state): State<AppState>,
    Lang(locale): Lang,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    visitor: Visitor,
    body: JsonOrForm<ForgotInput>,
) -> AppResult<Response> {
    let typed = body.typed.clone();
    match (ask_for_reset(&state, locale, addr, body).await, typed) {
        (Err(error), Some(typed)) => {
            let path = "/auth/password/forgot";
            let (status, data) = refused(&state, locale, path, "forgot", typed, &error);
            Ok(shown(
                status,
                site::forgot_page_with(&state, locale, &visitor, data)?,
            ))
        }
        (answer, _) => answer,
    }
}

async fn ask_for_reset(
    state: &AppState,
    locale: crate::i18n::Locale,
    addr: SocketAddr,
    body: JsonOrForm<ForgotInput>,
) -> AppResult<Response> {
    let from_form = body.from_form();
    let input = body.value?;
    let mut errors = FieldErrors::default();
    let email = email_field(&mut errors, "email", &input.email);
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    limits::check(
        state,
        "password-reset",
        &addr.ip().to_string(),
        state.settings.rate_limit.login_per_address,
    )
    .await?;
    state
        .accounts
        .request_password_reset(&email, locale)
        .await?;
    if from_form {
        return Ok(Redirect::to("/password/forgot?sent=true").into_response());
    }
    let accepted = Accepted {
        message: "if an account has this email, a reset link is on its way".into(),
    };
    Ok((StatusCode::ACCEPTED, Json(accepted)).into_response())
}

/// The body of `POST /auth/password/reset`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetInput {
    /// The token from the emailed link.
    pub token: String,
    /// The new password (8-128 characters).
    pub password: String,
}

/// Set a new password with a reset token; ends every session of the account.
#[utoipa::path(post, path = "/auth/password/reset", tag = "accounts", request_body = ResetInput,
    responses((status = 204), (status = 303, description = "Form post: on to the login page"),
        (status = 400, body = Problem), (status = 415, body = Problem), (status = 422, body = Problem)))]
pub async fn reset_password(
    State(state): State<AppState>,
    Lang(locale): Lang,
    visitor: Visitor,
    body: JsonOrForm<ResetInput>,
) -> AppResult<Response> {
    let typed = body.typed.clone();
    match (reset_with(&state, body).await, typed) {
        (Err(error), Some(typed)) => {
            let path = "/auth/password/reset";
            let token = typed.get("token").unwrap_or_default().to_owned();
            let (status, data) = refused(&state, locale, path, "reset", typed, &error);
            let page = site::reset_page_with(&state, locale, &visitor, &token, data)?;
            Ok(shown(status, page))
        }
        (answer, _) => answer,
    }
}

async fn reset_with(state: &AppState, body: JsonOrForm<ResetInput>) -> AppResult<Response> {
    let from_form = body.from_form();
    let input = body.value?;
    let mut errors = FieldErrors::default();
    check_password(&mut errors, "password", &input.password);
    if input.token.is_empty() || input.token.len() > 200 {
        errors.add("token", HttpText::TokenMalformed);
    }
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    state
        .accounts
        .reset_password(&input.token, input.password)
        .await?;
    if from_form {
        return Ok(Redirect::to("/?password=changed").into_response());
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}
