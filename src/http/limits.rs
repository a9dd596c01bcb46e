//! Fixed-window rate limits, counted in the store so every instance shares them.

use crate::domain::{from_millis, now, to_millis};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::state::AppState;

/// Counts one attempt of `scope` by `key`; refuses with 429 and `Retry-After`
/// past `max` attempts in the current window.
pub async fn check(state: &AppState, scope: &str, key: &str, max: u32) -> AppResult<()> {
    let limits = &state.settings.rate_limit;
    if !limits.enabled {
        return Ok(());
    }
    let window = (limits.window.0.max(1) * 1000) as i64;
    let now_ms = to_millis(now());
    let start = now_ms - now_ms.rem_euclid(window);
    let hits = state
        .store
        .hit(
            &format!("{scope}:{key}"),
            from_millis(start),
            from_millis(start + window),
        )
        .await?;
    if hits > u64::from(max) {
        let retry_after = ((start + window - now_ms) / 1000).max(1) as u64;
        let mut err = AppError::new(
            ErrorCode::RateLimited,
            format!("too many {scope} attempts; try again in {retry_after} s"),
        )
        .with("limit", max)
        .with("retry_after", retry_after);
        err.retry_after = Some(retry_after);
        return Err(err);
    }
    Ok(())
}
