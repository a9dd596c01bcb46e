//! Calls off unpaid card orders whose stock hold ran out (`payment.hold_for`),
//! giving their stock back. Every instance runs it; the store's transaction
//! lets one of them win each order.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::domain::now;
use crate::domain::orders::Orders;

/// Checks for expired holds a few times per hold, at most every 30 seconds,
/// until `stopped`.
pub async fn run(orders: Arc<Orders>, hold_for: Duration, mut stopped: watch::Receiver<bool>) {
    let every = (hold_for / 4).clamp(Duration::from_millis(250), Duration::from_secs(30));
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stopped.changed() => return,
        }
        match orders.expire_unpaid(now()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(orders = n, "unpaid card orders called off, stock back"),
            Err(e) => tracing::warn!("expiring unpaid orders failed: {e}"),
        }
    }
}
