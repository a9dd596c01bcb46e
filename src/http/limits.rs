//! Sliding-window rate limits, counted in the store so every instance shares them.
//!
//! Hits are counted per fixed window; the previous window's hits count too,
//! in proportion to how much of it the last `window` still covers. Fixed
//! windows alone let twice the limit through across a window boundary (the
//! end of one, the start of the next).

use crate::domain::message::MessageId;
use crate::domain::{from_millis, now, to_millis};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::http::text::HttpText;
use crate::http::AppState;

/// Counts one attempt of `scope` by `key`; refuses with 429 and `Retry-After`
/// past `max` attempts in the last window.
pub async fn check(state: &AppState, scope: &str, key: &str, max: u32) -> AppResult<()> {
    let limits = &state.settings.rate_limit;
    if !limits.enabled {
        return Ok(());
    }
    let window = (limits.window.0.max(1) * 1000) as i64;
    let now_ms = to_millis(now());
    let start = now_ms - now_ms.rem_euclid(window);
    let key = format!("{scope}:{key}");
    // Kept until the end of the next window, which still weighs it.
    let hits = state
        .store
        .hit(&key, from_millis(start), from_millis(start + 2 * window))
        .await?;
    let previous = if hits > u64::from(max) {
        0 // refused whatever came before
    } else {
        state.store.hits(&key, from_millis(start - window)).await?
    };
    match over_limit(hits, previous, now_ms - start, window, max) {
        None => Ok(()),
        Some(retry_after) => {
            let mut err = AppError::new(
                ErrorCode::RateLimited,
                HttpText::TooManyAttempts
                    .arg("scope", scope)
                    .arg("seconds", retry_after),
            )
            .with("limit", max)
            .with("retry_after", retry_after);
            err.retry_after = Some(retry_after);
            Err(err)
        }
    }
}

/// Seconds to wait when `hits` in the current window (`elapsed` ms into it)
/// plus the weighted `previous` window's hits exceed `max`; `None` otherwise.
fn over_limit(hits: u64, previous: u64, elapsed: i64, window: i64, max: u32) -> Option<u64> {
    let max = u64::from(max);
    let left_of_previous = (window - elapsed).clamp(0, window) as f64 / window as f64;
    let weighted = hits as f64 + previous as f64 * left_of_previous;
    if weighted <= max as f64 {
        return None;
    }
    let wait_ms = if hits > max || previous == 0 {
        window - elapsed
    } else {
        // When the previous window's share has decayed to what is left of `max`.
        let share_left = (max - hits) as f64 / previous as f64;
        (window as f64 * (1.0 - share_left)) as i64 - elapsed
    };
    Some(((wait_ms.max(0) + 999) / 1000).max(1) as u64)
}

#[cfg(test)]
mod tests {
    use super::over_limit;

    const MINUTE: i64 = 60_000;

    #[test]
    fn within_one_window_the_limit_is_exact() {
        assert_eq!(over_limit(4, 0, 10_000, MINUTE, 4), None);
        assert_eq!(over_limit(5, 0, 10_000, MINUTE, 4), Some(50));
    }

    #[test]
    fn a_burst_across_a_window_boundary_is_held_to_the_limit() {
        // Four attempts just before the boundary, one just after.
        assert!(over_limit(1, 4, 300, MINUTE, 4).is_some());
        // Fixed windows alone would have let it through.
        assert_eq!(over_limit(1, 0, 300, MINUTE, 4), None);
    }

    #[test]
    fn the_previous_window_weighs_less_as_it_slides_out() {
        // 9 of 10 allowed last window; at 90% into this one it counts as 0.9.
        assert_eq!(over_limit(3, 9, 54_000, MINUTE, 10), None);
        // Halfway, 10 previous hits weigh 5: with 6 now that is over 10, and
        // the wait is until they weigh 4 (60% into the window).
        assert_eq!(over_limit(6, 10, 30_000, MINUTE, 10), Some(6));
    }
}
