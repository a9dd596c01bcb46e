//! Registration, login, logout, the current user, sessions and password reset.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use base64::Engine;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::domain::accounts::{
    check_password, hash_password, verify_password, Claims, LoginInput, PasswordReset,
    RegisterInput, Role, Session, User,
};
use crate::domain::mail::compose;
use crate::domain::validation::{email_field, FieldErrors};
use crate::domain::{from_millis, new_id, now, to_millis};
use crate::error::{AppError, AppResult, ErrorCode, Problem};
use crate::http::extract::{ApiJson, JsonOrForm};
use crate::http::limits;
use crate::http::session::{Admin, Identity, SESSION_COOKIE};
use crate::state::AppState;

/// How long a password reset link stays valid.
const RESET_TTL_MS: i64 = 3600 * 1000;

/// Register a customer; queues the welcome email in the same transaction.
#[utoipa::path(post, path = "/auth/register", tag = "accounts", request_body = RegisterInput,
    responses((status = 201, body = User), (status = 303, description = "Form post: on to the catalog"),
        (status = 400, body = Problem), (status = 409, body = Problem), (status = 413, body = Problem),
        (status = 415, body = Problem), (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn register(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    body: JsonOrForm<RegisterInput>,
) -> AppResult<Response> {
    limits::check(
        &state,
        "register",
        &addr.ip().to_string(),
        state.settings.rate_limit.register_per_address,
    )
    .await?;
    let registration = body.value.validate().map_err(AppError::validation)?;
    let at = now();
    let role = if state
        .settings
        .admin
        .emails
        .iter()
        .any(|e| e.eq_ignore_ascii_case(&registration.email))
    {
        Role::Admin
    } else {
        Role::Customer
    };
    let user = User {
        id: new_id(),
        name: registration.name,
        phone: registration.phone,
        email: registration.email,
        role,
        password_hash: hash_password(registration.password.clone()).await?,
        created_at: at,
    };
    let mails = compose::registration(&user, &state.settings.mail.notify, at)
        .map_err(anyhow::Error::from)?;
    state.store.create_user(&user, &mails).await?;
    state.mail_wake.notify_one();
    tracing::info!(user_id = %user.id, "registered");
    if body.from_form {
        // Straight in: a browser that registers is logged in.
        let login = start_session(&state, &user).await?;
        return Ok(login.redirect("/products"));
    }
    Ok((StatusCode::CREATED, Json(user)).into_response())
}

#[derive(Serialize, ToSchema)]
pub struct LoginResponse {
    pub token: String,
    /// Always `Bearer`.
    pub token_type: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: time::OffsetDateTime,
    pub user: User,
}

struct Login {
    body: LoginResponse,
    cookie: HeaderValue,
    session_id: String,
}

impl Login {
    fn redirect(self, to: &str) -> Response {
        let mut response = Redirect::to(to).into_response();
        response.headers_mut().insert(SET_COOKIE, self.cookie);
        response
    }

    fn json(self) -> Response {
        let mut response = Json(self.body).into_response();
        response.headers_mut().insert(SET_COOKIE, self.cookie);
        response
    }
}

fn session_cookie(state: &AppState, value: &str, max_age: u64) -> AppResult<HeaderValue> {
    let secure = if state.settings.server.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    ))
    .map_err(|e| AppError::internal(anyhow::Error::new(e)))
}

async fn start_session(state: &AppState, user: &User) -> AppResult<Login> {
    let at = now();
    let ttl = state.settings.session.ttl.0;
    let expires_at = from_millis(to_millis(at) + (ttl as i64) * 1000);
    let session = Session {
        id: new_id(),
        user_id: user.id.clone(),
        created_at: at,
        expires_at,
        revoked_at: None,
    };
    state.store.create_session(&session).await?;
    let token = state.tokens.sign(&Claims {
        sub: user.id.clone(),
        sid: session.id.clone(),
        role: user.role,
        iat: at.unix_timestamp(),
        exp: expires_at.unix_timestamp(),
    })?;
    let cookie = session_cookie(state, &token, ttl)?;
    Ok(Login {
        body: LoginResponse {
            token,
            token_type: "Bearer".into(),
            expires_at,
            user: user.clone(),
        },
        cookie,
        session_id: session.id,
    })
}

/// Log in with email and password: a session token (also set as a cookie).
#[utoipa::path(post, path = "/auth/login", tag = "accounts", request_body = LoginInput,
    responses((status = 200, body = LoginResponse), (status = 303, description = "Form post: on to the catalog"),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 413, body = Problem),
        (status = 415, body = Problem), (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    body: JsonOrForm<LoginInput>,
) -> AppResult<Response> {
    let from_form = body.from_form;
    let input = body.value;
    let mut errors = FieldErrors::default();
    let email = email_field(&mut errors, "email", &input.email);
    if input.password.is_empty() || input.password.chars().count() > 1024 {
        errors.add("password", "must be given (at most 1024 characters)");
    }
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    let limits_cfg = &state.settings.rate_limit;
    limits::check(
        &state,
        "login",
        &addr.ip().to_string(),
        limits_cfg.login_per_address,
    )
    .await?;
    limits::check(
        &state,
        "login-account",
        &email,
        limits_cfg.login_per_account,
    )
    .await?;
    let user = state.store.get_user_by_email(&email).await?;
    let ok = verify_password(
        input.password,
        user.as_ref().map(|u| u.password_hash.clone()),
    )
    .await?;
    let user = match (ok, user) {
        (true, Some(user)) => user,
        _ => {
            return Err(AppError::new(
                ErrorCode::InvalidCredentials,
                "the email or the password is wrong",
            ))
        }
    };
    let login = start_session(&state, &user).await?;
    tracing::info!(user_id = %user.id, session_id = %login.session_id, "logged in");
    Ok(if from_form {
        login.redirect("/products")
    } else {
        login.json()
    })
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
    state.store.revoke_session(&who.session.id, now()).await?;
    state.chat.session_ended(&who.session.id);
    let cookie = session_cookie(&state, "", 0)?;
    let mut response = if html {
        Redirect::to("/").into_response()
    } else {
        StatusCode::NO_CONTENT.into_response()
    };
    response.headers_mut().insert(SET_COOKIE, cookie);
    Ok(response)
}

/// The logged-in user.
#[utoipa::path(get, path = "/auth/me", tag = "accounts",
    responses((status = 200, body = User), (status = 401, body = Problem)), security(("bearer" = [])))]
pub async fn me(who: Identity) -> Json<User> {
    Json(who.user)
}

#[derive(Serialize, ToSchema)]
pub struct SessionList {
    pub items: Vec<Session>,
}

/// A user's sessions (admin).
#[utoipa::path(get, path = "/admin/users/{email}/sessions", tag = "accounts",
    params(("email" = String, Path)),
    responses((status = 200, body = SessionList), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn user_sessions(
    State(state): State<AppState>,
    _admin: Admin,
    Path(email): Path<String>,
) -> AppResult<Json<SessionList>> {
    let user = find_user(&state, &email).await?;
    let items = state.store.list_sessions(&user.id).await?;
    Ok(Json(SessionList { items }))
}

async fn find_user(state: &AppState, email: &str) -> AppResult<User> {
    let email = email.trim().to_ascii_lowercase();
    state.store.get_user_by_email(&email).await?.ok_or_else(|| {
        AppError::new(
            ErrorCode::NotFound,
            format!(
                "no account has the email {}",
                crate::http::extract::truncate(&email, 100)
            ),
        )
    })
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
    let not_found = || {
        AppError::new(
            ErrorCode::NotFound,
            format!(
                "no live session {}",
                crate::http::extract::truncate(&id, 64)
            ),
        )
    };
    let session = state.store.get_session(&id).await?.ok_or_else(not_found)?;
    if session.user_id != who.user.id && !who.is_admin() {
        return Err(not_found());
    }
    if state.store.revoke_session(&id, now()).await? {
        state.chat.session_ended(&id);
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(not_found())
    }
}

/// Delete an account and its sessions (admin).
#[utoipa::path(delete, path = "/admin/users/{email}", tag = "accounts",
    params(("email" = String, Path)),
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn delete_user(
    State(state): State<AppState>,
    _admin: Admin,
    Path(email): Path<String>,
) -> AppResult<StatusCode> {
    let user = find_user(&state, &email).await?;
    state.store.delete_user(&user.id).await?;
    state.chat.user_ended(&user.id);
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ForgotInput {
    pub email: String,
}

#[derive(Serialize, ToSchema)]
pub struct Accepted {
    pub message: String,
}

/// Ask for a password reset link. The answer is the same whether or not the
/// account exists.
#[utoipa::path(post, path = "/auth/password/forgot", tag = "accounts", request_body = ForgotInput,
    responses((status = 202, body = Accepted), (status = 400, body = Problem), (status = 415, body = Problem),
        (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn forgot_password(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    ApiJson(input): ApiJson<ForgotInput>,
) -> AppResult<(StatusCode, Json<Accepted>)> {
    let mut errors = FieldErrors::default();
    let email = email_field(&mut errors, "email", &input.email);
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    limits::check(
        &state,
        "password-reset",
        &addr.ip().to_string(),
        state.settings.rate_limit.login_per_address,
    )
    .await?;
    if let Some(user) = state.store.get_user_by_email(&email).await? {
        let mut raw = [0u8; 32];
        rand::Rng::fill(&mut rand::thread_rng(), &mut raw);
        let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw);
        let at = now();
        let reset = PasswordReset {
            token_hash: hash_token(&token),
            user_id: user.id.clone(),
            expires_at: from_millis(to_millis(at) + RESET_TTL_MS),
        };
        let link = format!(
            "{}/password/reset?token={token}",
            state.settings.server.public_url.trim_end_matches('/')
        );
        let mail = compose::password_reset(&user, &link, at).map_err(anyhow::Error::from)?;
        state.store.create_password_reset(&reset, &mail).await?;
        state.mail_wake.notify_one();
    }
    Ok((
        StatusCode::ACCEPTED,
        Json(Accepted {
            message: "if an account has this email, a reset link is on its way".into(),
        }),
    ))
}

pub fn hash_token(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetInput {
    /// The token from the emailed link.
    pub token: String,
    pub password: String,
}

/// Set a new password with a reset token; ends every session of the account.
#[utoipa::path(post, path = "/auth/password/reset", tag = "accounts", request_body = ResetInput,
    responses((status = 204), (status = 400, body = Problem), (status = 415, body = Problem), (status = 422, body = Problem)))]
pub async fn reset_password(
    State(state): State<AppState>,
    ApiJson(input): ApiJson<ResetInput>,
) -> AppResult<StatusCode> {
    let mut errors = FieldErrors::default();
    check_password(&mut errors, "password", &input.password);
    if input.token.is_empty() || input.token.len() > 200 {
        errors.add("token", "is missing or malformed");
    }
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    let hash = hash_password(input.password).await?;
    match state
        .store
        .consume_password_reset(&hash_token(&input.token), &hash, now())
        .await?
    {
        Some(user_id) => {
            state.chat.user_ended(&user_id);
            Ok(StatusCode::NO_CONTENT)
        }
        None => Err(AppError::field(
            "token",
            "this reset link is unknown, already used or expired; ask for a new one",
        )),
    }
}
