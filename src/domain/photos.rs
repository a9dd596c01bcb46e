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

mod service;
pub mod upload;

pub use service::{PhotoFile, PhotoWorker, Photos};

use super::message::{message_ids, Message, MessageId};
use super::validation::FieldErrors;

/// Most photos one product has.
pub const MAX_PHOTOS: usize = 12;
/// Default largest upload of one photo (`photos.max_upload`), bytes.
pub const DEFAULT_MAX_UPLOAD: usize = 10 * 1024 * 1024;
/// Default most pixels of one photo (`photos.max_pixels`): 50 megapixels.
pub const DEFAULT_MAX_PIXELS: u64 = 50_000_000;
/// The field uploads are named by, in multipart bodies and in errors.
pub const PHOTO_FIELD: &str = "photo";

/// The sizes every photo is stored in; pages pick one with `srcset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PhotoSize {
    /// Catalog cards and phones: 400 px wide.
    Small,
    /// The product page: 1200 px wide.
    Large,
}

impl PhotoSize {
    /// Every size, smallest first.
    pub const ALL: &'static [PhotoSize] = &[PhotoSize::Small, PhotoSize::Large];

    /// The most pixels wide a stored file of this size is (narrower photos
    /// are never upscaled).
    pub fn width(self) -> u32 {
        match self {
            PhotoSize::Small => 400,
            PhotoSize::Large => 1200,
        }
    }

    /// The size's name in URLs and storage: `400`, `1200`.
    pub fn name(self) -> &'static str {
        match self {
            PhotoSize::Small => "400",
            PhotoSize::Large => "1200",
        }
    }

    /// The size a URL's file name (`400.jpg`) names.
    pub fn from_file_name(name: &str) -> Option<PhotoSize> {
        let stem = name.strip_suffix(".jpg")?;
        PhotoSize::ALL.iter().copied().find(|s| s.name() == stem)
    }

    /// Stored files are JPEGs: `400.jpg`.
    pub fn file_name(self) -> String {
        format!("{}.jpg", self.name())
    }
}

impl ProductPhoto {
    /// The stable URL of this photo in `size`: `/photos/ID/400.jpg`.
    pub fn url(&self, size: PhotoSize) -> String {
        photo_url(&self.id, size)
    }

    /// Its sizes as an `<img srcset>` lists them.
    pub fn srcset(&self) -> String {
        format!(
            "{} {}w, {} {}w",
            self.url(PhotoSize::Small),
            PhotoSize::Small.width().min(self.width),
            self.url(PhotoSize::Large),
            self.width
        )
    }
}

/// The URL of photo `id` in `size`.
pub fn photo_url(id: &str, size: PhotoSize) -> String {
    format!("/photos/{id}/{}", size.file_name())
}

/// Whether `text` is the URL of an uploaded photo (`/photos/ID/SIZE.jpg`):
/// a product's `photo_url` may name one.
pub fn is_photo_path(text: &str) -> bool {
    let Some(rest) = text.strip_prefix("/photos/") else {
        return false;
    };
    match rest.split_once('/') {
        Some((id, file)) => super::is_id(id) && PhotoSize::from_file_name(file).is_some(),
        None => false,
    }
}

/// The strong `ETag` of photo `id` in `size`. A photo's bytes never change
/// (a new upload is a new id, a deleted id never comes back), so its id and
/// size validate its content as well as a hash would, without reading it.
pub fn etag(id: &str, size: PhotoSize) -> String {
    format!("\"{id}-{}\"", size.name())
}

/// The shop's limits on uploads (`[photos]` in the config).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PhotoRules {
    /// Largest upload of one photo, bytes.
    pub max_upload: usize,
    /// Most pixels (width × height) of one photo.
    pub max_pixels: u64,
}

impl Default for PhotoRules {
    fn default() -> Self {
        Self {
            max_upload: DEFAULT_MAX_UPLOAD,
            max_pixels: DEFAULT_MAX_PIXELS,
        }
    }
}

/// An upload validated and re-encoded: the photo and its files.
#[derive(Debug, Clone)]
pub struct ProcessedPhoto {
    /// The new photo (its id, and the size of its largest file).
    pub photo: ProductPhoto,
    /// One JPEG per [`PhotoSize`], smallest first.
    pub files: Vec<(PhotoSize, Vec<u8>)>,
}

/// Why an upload is not a photo the shop takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhotoRefusal {
    /// No bytes at all.
    Empty,
    /// More bytes than `photos.max_upload`.
    TooBig {
        /// The limit, bytes.
        max: usize,
    },
    /// Not JPEG, PNG or WebP; `kind` names what it looks like (SVG, ZIP…) or is empty.
    Unsupported {
        /// What the bytes look like, if known.
        kind: &'static str,
    },
    /// Bytes after the end of the image (a file hidden behind it).
    TrailingData,
    /// Truncated or damaged.
    Corrupt,
    /// More pixels than `photos.max_pixels`, by the header.
    TooManyPixels {
        /// Width the header claims.
        width: u32,
        /// Height the header claims.
        height: u32,
        /// The limit.
        max: u64,
    },
    /// Decoding would take more memory than allowed.
    TooMuchMemory,
}

impl PhotoRefusal {
    /// What to tell the admin about upload number `n` (1-based).
    pub fn message(&self, n: usize) -> Message {
        match self {
            PhotoRefusal::Empty => PhotoText::Empty.arg("n", n),
            PhotoRefusal::TooBig { max } => PhotoText::TooBig.arg("n", n).arg("max", *max),
            PhotoRefusal::Unsupported { kind: "" } => PhotoText::Unsupported.arg("n", n),
            PhotoRefusal::Unsupported { kind } => {
                PhotoText::UnsupportedKind.arg("n", n).arg("kind", *kind)
            }
            PhotoRefusal::TrailingData => PhotoText::TrailingData.arg("n", n),
            PhotoRefusal::Corrupt => PhotoText::Corrupt.arg("n", n),
            PhotoRefusal::TooManyPixels { width, height, max } => PhotoText::TooManyPixels
                .arg("n", n)
                .arg("width", *width)
                .arg("height", *height)
                .arg("max", max / 1_000_000),
            PhotoRefusal::TooMuchMemory => PhotoText::TooMuchMemory.arg("n", n),
        }
    }
}

message_ids! {
    /// What the shop says about photos, in `locales/*/errors.ftl`.
    PhotoText {
        /// Upload `n` is empty.
        Empty = "photo-empty";
        /// Upload `n` is over `max` bytes.
        TooBig = "photo-too-big";
        /// Upload `n` is not JPEG, PNG or WebP.
        Unsupported = "photo-unsupported";
        /// Upload `n` is a `kind` (SVG, ZIP…), not JPEG, PNG or WebP.
        UnsupportedKind = "photo-unsupported-kind";
        /// Upload `n` has data after the image's end.
        TrailingData = "photo-trailing-data";
        /// Upload `n` is truncated or damaged.
        Corrupt = "photo-corrupt";
        /// Upload `n` is `width`×`height`, over `max` megapixels.
        TooManyPixels = "photo-too-many-pixels";
        /// Upload `n` would take too much memory to decode.
        TooMuchMemory = "photo-too-much-memory";
        /// A product would have more than `max` photos (`count` asked for).
        TooMany = "photo-too-many";
        /// A multipart body without any `photo` part.
        Missing = "photo-missing";
        /// An order that is not each of the product's photos once.
        OrderNotPermutation = "photo-order-not-permutation";
        /// No photo `id` (of product `product_id`).
        NotFound = "photo-not-found";
        /// The photo is the one shown for the variants `skus`.
        UsedByVariants = "photo-used-by-variants";
    }
}

/// The photo list after adding `new` to `existing` (at the end), or the
/// refusal naming [`PHOTO_FIELD`] past [`MAX_PHOTOS`].
pub fn with_added(
    existing: &[ProductPhoto],
    new: &[ProductPhoto],
) -> Result<Vec<ProductPhoto>, FieldErrors> {
    check_count(existing.len(), new.len())?;
    Ok(existing.iter().chain(new).cloned().collect())
}

/// Refuses adding `adding` photos to a product that has `existing`.
pub fn check_count(existing: usize, adding: usize) -> Result<(), FieldErrors> {
    let count = existing + adding;
    if count > MAX_PHOTOS {
        return Err(FieldErrors::single(
            PHOTO_FIELD,
            PhotoText::TooMany
                .arg("max", MAX_PHOTOS)
                .arg("count", count),
        ));
    }
    Ok(())
}

/// The photo list without `photo_id`; `None` when it has no such photo.
pub fn without(existing: &[ProductPhoto], photo_id: &str) -> Option<Vec<ProductPhoto>> {
    existing.iter().any(|p| p.id == photo_id).then(|| {
        existing
            .iter()
            .filter(|p| p.id != photo_id)
            .cloned()
            .collect()
    })
}

/// Refuses deleting photo `photo_id` while a variant still sold shows it
/// (naming `photo_id` and the variants' SKUs): the variant would point at
/// nothing, and the product could not be saved until it was changed.
pub fn check_unused(product: &super::catalog::Product, photo_id: &str) -> Result<(), FieldErrors> {
    let skus: Vec<&str> = product
        .variants
        .iter()
        .filter(|v| !v.archived && v.photo_id.as_deref() == Some(photo_id))
        .map(|v| v.sku.as_str())
        .collect();
    if skus.is_empty() {
        return Ok(());
    }
    Err(FieldErrors::single(
        "photo_id",
        PhotoText::UsedByVariants.arg("skus", skus.join(", ")),
    ))
}

/// The photo list in `order`, which must name each photo exactly once
/// (else a refusal naming `order`).
pub fn reordered(
    existing: &[ProductPhoto],
    order: &[String],
) -> Result<Vec<ProductPhoto>, FieldErrors> {
    let refused = || FieldErrors::single("order", PhotoText::OrderNotPermutation);
    if order.len() != existing.len() {
        return Err(refused());
    }
    let mut out = Vec::with_capacity(order.len());
    for id in order {
        let photo = existing.iter().find(|p| &p.id == id).ok_or_else(refused)?;
        if out.iter().any(|p: &ProductPhoto| p.id == photo.id) {
            return Err(refused());
        }
        out.push(photo.clone());
    }
    Ok(out)
}

/// The `photo_url` a product with `photos` shows: its first photo, large;
/// with none, the external URL it had (an uploaded photo's URL is dropped).
pub fn main_photo_url(photos: &[ProductPhoto], current: &str) -> String {
    match photos.first() {
        Some(photo) => photo.url(PhotoSize::Large),
        None if is_photo_path(current) => String::new(),
        None => current.to_owned(),
    }
}

/// One photo as the admin page lists it, with the orders its up and down
/// buttons post (comma-separated ids; `None` at either end).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PhotoSlot {
    /// The photo id.
    pub id: String,
    /// Its place in the list, from 1.
    pub position: usize,
    /// Its small file's URL.
    pub thumbnail: String,
    /// Width of the small file.
    pub width: u32,
    /// Height of the small file.
    pub height: u32,
    /// The order with this photo one place earlier.
    pub up: Option<String>,
    /// The order with this photo one place later.
    pub down: Option<String>,
}

/// The admin page's list of `photos`.
pub fn slots(photos: &[ProductPhoto]) -> Vec<PhotoSlot> {
    let ids: Vec<&str> = photos.iter().map(|p| p.id.as_str()).collect();
    let swapped = |i: usize, j: usize| {
        let mut order = ids.clone();
        order.swap(i, j);
        order.join(",")
    };
    photos
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let small = PhotoSize::Small.width();
            let (width, height) = if p.width > small {
                (small, (p.height * small).div_ceil(p.width.max(1)))
            } else {
                (p.width, p.height)
            };
            PhotoSlot {
                id: p.id.clone(),
                position: i + 1,
                thumbnail: p.url(PhotoSize::Small),
                width,
                height,
                up: (i > 0).then(|| swapped(i, i - 1)),
                down: (i + 1 < ids.len()).then(|| swapped(i, i + 1)),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn photo(id: &str) -> ProductPhoto {
        ProductPhoto {
            id: id.into(),
            width: 1200,
            height: 800,
        }
    }

    #[test]
    fn urls_and_sizes_round_trip() {
        let id = crate::domain::new_id();
        let url = photo_url(&id, PhotoSize::Small);
        assert!(is_photo_path(&url), "{url}");
        assert!(!is_photo_path("/photos/../etc/400.jpg"));
        assert!(!is_photo_path(&format!("/photos/{id}/401.jpg")));
        assert_eq!(
            PhotoSize::from_file_name("1200.jpg"),
            Some(PhotoSize::Large)
        );
        assert_eq!(PhotoSize::from_file_name("1200.png"), None);
    }

    #[test]
    fn lists_add_remove_and_reorder_by_the_rules() {
        let a = [photo("a"), photo("b")];
        let twelve: Vec<ProductPhoto> = (0..MAX_PHOTOS).map(|i| photo(&i.to_string())).collect();
        assert_eq!(with_added(&a, &[photo("c")]).map(|l| l.len()), Ok(3));
        let too_many = with_added(&twelve, &[photo("c")]).expect_err("13 photos");
        assert!(too_many.0.contains_key(PHOTO_FIELD));
        assert_eq!(without(&a, "a"), Some(vec![photo("b")]));
        assert_eq!(without(&a, "z"), None);
        let order = vec!["b".to_owned(), "a".to_owned()];
        assert_eq!(reordered(&a, &order), Ok(vec![photo("b"), photo("a")]));
        for bad in [vec!["a".to_owned()], vec!["a".to_owned(), "a".to_owned()]] {
            let err = reordered(&a, &bad).expect_err("not a permutation");
            assert!(err.0.contains_key("order"));
        }
    }

    #[test]
    fn each_slot_posts_the_order_with_its_photo_moved() {
        let list = [photo("a"), photo("b"), photo("c")];
        let s = slots(&list);
        assert_eq!(
            (s[0].up.as_deref(), s[0].down.as_deref()),
            (None, Some("b,a,c"))
        );
        assert_eq!(
            (s[1].up.as_deref(), s[1].down.as_deref()),
            (Some("b,a,c"), Some("a,c,b"))
        );
        assert_eq!(
            (s[2].up.as_deref(), s[2].down.as_deref()),
            (Some("a,c,b"), None)
        );
        assert_eq!((s[0].width, s[0].height), (400, 267));
    }

    #[test]
    fn a_photo_a_sold_variant_shows_cannot_be_deleted() {
        let variant = |sku: &str, photo: Option<&str>, archived: bool| {
            serde_json::json!({ "id": crate::domain::new_id(), "sku": sku, "options": {},
                "price": 100, "stock": 1, "photo_id": photo, "archived": archived })
        };
        let product: super::super::catalog::Product = serde_json::from_value(serde_json::json!({
            "id": crate::domain::new_id(), "name": "Tee", "description": "", "category": "tops",
            "price": 100, "currency": "EUR", "photo_url": "", "stock": 2,
            "variants": [variant("TEE-M", Some("a"), false), variant("TEE-L", Some("b"), true)],
            "photos": [photo("a"), photo("b")],
            "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"
        }))
        .expect("a product");
        let refused = check_unused(&product, "a").expect_err("TEE-M shows it");
        assert!(refused.0.contains_key("photo_id"));
        assert_eq!(
            check_unused(&product, "b"),
            Ok(()),
            "only archived variants show it"
        );
    }

    #[test]
    fn the_main_url_is_the_first_photo_or_the_external_one() {
        let first = photo(&crate::domain::new_id());
        let url = main_photo_url(std::slice::from_ref(&first), "https://cdn.example/a.jpg");
        assert_eq!(url, first.url(PhotoSize::Large));
        assert_eq!(main_photo_url(&[], &url), "");
        assert_eq!(
            main_photo_url(&[], "/static/photos/a.svg"),
            "/static/photos/a.svg"
        );
    }
}
