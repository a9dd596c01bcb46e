//! Photos the shop's admins upload to products.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A photo uploaded to a product, stored in a few sizes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ProductPhoto {
    /// Photo id (a UUID).
    pub id: String,
    /// Width of the largest stored size, in pixels.
    pub width: u32,
    /// Height of the largest stored size, in pixels.
    pub height: u32,
}
