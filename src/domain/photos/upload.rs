//! What an uploaded photo must be, byte by byte: the type read from the
//! content (never the name or the header), the file ending where the image
//! ends, a header whose size is checked before a single pixel is decoded, a
//! decode under memory limits, and then a re-encode into the sizes pages
//! use, so nothing of the upload but its pixels is ever served (EXIF, GPS
//! positions, a script appended to the file).
//!
//! CPU-heavy and synchronous: callers run it on a blocking thread (see
//! `crate::services::photo_processing`).

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits, RgbImage};

use super::{PhotoRefusal, PhotoRules, PhotoSize, ProcessedPhoto, ProductPhoto};

/// Quality of the stored JPEGs (1-100).
const JPEG_QUALITY: u8 = 85;
/// Longest side accepted, whatever the pixel count.
const MAX_SIDE: u32 = 30_000;

/// The image types the shop accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accepted {
    /// JPEG (`FF D8 FF`).
    Jpeg,
    /// PNG (its 8-byte signature).
    Png,
    /// WebP (`RIFF....WEBP`).
    WebP,
}

impl Accepted {
    fn format(self) -> ImageFormat {
        match self {
            Accepted::Jpeg => ImageFormat::Jpeg,
            Accepted::Png => ImageFormat::Png,
            Accepted::WebP => ImageFormat::WebP,
        }
    }
}

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// The type of `bytes` from their first bytes; anything but JPEG, PNG and
/// WebP is refused, naming what it looks like where that helps (SVG, ZIP).
pub fn sniff(bytes: &[u8]) -> Result<Accepted, PhotoRefusal> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Ok(Accepted::Jpeg);
    }
    if bytes.starts_with(PNG_SIGNATURE) {
        return Ok(Accepted::Png);
    }
    if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        return Ok(Accepted::WebP);
    }
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(512)]).to_ascii_lowercase();
    let kind = if head.contains("<svg") || head.trim_start().starts_with("<?xml") {
        "SVG"
    } else if bytes.starts_with(b"PK") {
        "ZIP"
    } else if bytes.starts_with(b"GIF8") {
        "GIF"
    } else {
        ""
    };
    Err(PhotoRefusal::Unsupported { kind })
}

/// Checks that the file is exactly one image of its type: no bytes after the
/// image's end (a polyglot), none missing (a truncated file).
pub fn check_structure(bytes: &[u8], kind: Accepted) -> Result<(), PhotoRefusal> {
    let end = match kind {
        Accepted::Jpeg => jpeg_end(bytes, 0)?,
        Accepted::Png => png_end(bytes)?,
        Accepted::WebP => webp_end(bytes)?,
    };
    let mut rest = &bytes[end..];
    // Phones append further JPEGs (MPF: depth maps, previews) after the
    // first; each must itself be whole. Zero padding is tolerated.
    loop {
        let padding = rest.iter().take_while(|&&b| b == 0).count();
        rest = &rest[padding..];
        if rest.is_empty() {
            return Ok(());
        }
        if kind == Accepted::Jpeg && rest.starts_with(&[0xFF, 0xD8, 0xFF]) {
            let next = jpeg_end(rest, 0)?;
            rest = &rest[next..];
            continue;
        }
        return Err(PhotoRefusal::TrailingData);
    }
}

/// The offset just past the EOI marker of the JPEG starting at `start`.
fn jpeg_end(bytes: &[u8], start: usize) -> Result<usize, PhotoRefusal> {
    let truncated = || PhotoRefusal::Corrupt;
    let mut i = start + 2; // SOI
    loop {
        // Markers may be preceded by fill bytes (FF).
        if *bytes.get(i).ok_or_else(truncated)? != 0xFF {
            return Err(PhotoRefusal::Corrupt);
        }
        while bytes.get(i) == Some(&0xFF) {
            i += 1;
        }
        let marker = *bytes.get(i).ok_or_else(truncated)?;
        i += 1;
        match marker {
            0xD9 => return Ok(i), // EOI
            0x01 | 0xD0..=0xD7 => continue,
            _ => {}
        }
        let len = usize::from(u16::from_be_bytes([
            *bytes.get(i).ok_or_else(truncated)?,
            *bytes.get(i + 1).ok_or_else(truncated)?,
        ]));
        if len < 2 || i + len > bytes.len() {
            return Err(PhotoRefusal::Corrupt);
        }
        i += len;
        if marker == 0xDA {
            // Entropy-coded data runs to the next marker that is neither a
            // stuffed zero nor a restart marker.
            loop {
                let at = bytes[i..]
                    .iter()
                    .position(|&b| b == 0xFF)
                    .ok_or_else(truncated)?;
                i += at;
                match bytes.get(i + 1) {
                    None => return Err(PhotoRefusal::Corrupt),
                    Some(0x00) | Some(0xD0..=0xD7) | Some(0xFF) => i += 1,
                    Some(_) => break,
                }
            }
        }
    }
}

/// The offset just past the IEND chunk.
fn png_end(bytes: &[u8]) -> Result<usize, PhotoRefusal> {
    let mut i = PNG_SIGNATURE.len();
    loop {
        let header = bytes.get(i..i + 8).ok_or(PhotoRefusal::Corrupt)?;
        let len = u32::from_be_bytes([header[0], header[1], header[2], header[3]]) as usize;
        let end = i
            .checked_add(12)
            .and_then(|n| n.checked_add(len))
            .filter(|&n| n <= bytes.len())
            .ok_or(PhotoRefusal::Corrupt)?;
        if &header[4..8] == b"IEND" {
            return Ok(end);
        }
        i = end;
    }
}

/// The offset just past the RIFF container, as its header sizes it.
fn webp_end(bytes: &[u8]) -> Result<usize, PhotoRefusal> {
    let size = u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]) as usize;
    let end = size.checked_add(8).ok_or(PhotoRefusal::Corrupt)?;
    if end > bytes.len() {
        return Err(PhotoRefusal::Corrupt);
    }
    Ok(end)
}

/// Validates `bytes` by `rules` and re-encodes them as JPEGs in every
/// [`PhotoSize`] (never wider than the original), as the photo `id`.
pub fn process(
    bytes: &[u8],
    rules: &PhotoRules,
    id: String,
) -> Result<ProcessedPhoto, PhotoRefusal> {
    if bytes.is_empty() {
        return Err(PhotoRefusal::Empty);
    }
    if bytes.len() > rules.max_upload {
        return Err(PhotoRefusal::TooBig {
            max: rules.max_upload,
        });
    }
    let kind = sniff(bytes)?;
    check_structure(bytes, kind)?;
    let image = decode(bytes, kind, rules)?;
    let (width, height) = (image.width(), image.height());
    let rgb = flatten(image);
    let mut files = Vec::with_capacity(PhotoSize::ALL.len());
    let mut large_size = (width, height);
    // Largest first; each smaller size is made from the one before (less work).
    let mut source = rgb;
    for size in PhotoSize::ALL.iter().rev() {
        let scaled = scale_to(&source, size.width());
        if *size == PhotoSize::Large {
            large_size = scaled.dimensions();
        }
        files.push((*size, encode(&scaled)?));
        source = scaled;
    }
    files.reverse();
    Ok(ProcessedPhoto {
        photo: ProductPhoto {
            id,
            width: large_size.0,
            height: large_size.1,
        },
        files,
    })
}

/// Decodes under limits: the header's size is checked against
/// `rules.max_pixels` before any pixel is, and the decoder may allocate no
/// more than a bounded amount (a decompression bomb fails here).
fn decode(bytes: &[u8], kind: Accepted, rules: &PhotoRules) -> Result<DynamicImage, PhotoRefusal> {
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    // Room for the decoded pixels at 4 bytes each (RGBA), and a little more.
    limits.max_alloc = Some(rules.max_pixels.saturating_mul(4).saturating_add(16 << 20));
    let mut reader = ImageReader::with_format(Cursor::new(bytes), kind.format());
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(refusal)?;
    let (w, h) = decoder.dimensions();
    if w == 0 || h == 0 {
        return Err(PhotoRefusal::Corrupt);
    }
    if u64::from(w) * u64::from(h) > rules.max_pixels {
        return Err(PhotoRefusal::TooManyPixels {
            width: w,
            height: h,
            max: rules.max_pixels,
        });
    }
    let orientation = decoder.orientation().map_err(refusal)?;
    let mut image = DynamicImage::from_decoder(decoder).map_err(refusal)?;
    // Phones record the camera's rotation in EXIF, which the re-encode drops:
    // turn the pixels instead.
    image.apply_orientation(orientation);
    Ok(image)
}

fn refusal(err: image::ImageError) -> PhotoRefusal {
    match err {
        image::ImageError::Limits(_) => PhotoRefusal::TooMuchMemory,
        _ => PhotoRefusal::Corrupt,
    }
}

/// RGB on white: transparent parts of a PNG or WebP become white.
fn flatten(image: DynamicImage) -> RgbImage {
    if !image.color().has_alpha() {
        return image.into_rgb8();
    }
    let rgba = image.into_rgba8();
    let mut rgb = RgbImage::new(rgba.width(), rgba.height());
    for (out, px) in rgb.pixels_mut().zip(rgba.pixels()) {
        let a = u16::from(px[3]);
        for c in 0..3 {
            out[c] = ((u16::from(px[c]) * a + 255 * (255 - a) + 127) / 255) as u8;
        }
    }
    rgb
}

/// `image` at most `width` pixels wide, its aspect kept (never upscaled).
fn scale_to(image: &RgbImage, width: u32) -> RgbImage {
    if image.width() <= width {
        return image.clone();
    }
    let height = ((u64::from(image.height()) * u64::from(width) + u64::from(image.width()) / 2)
        / u64::from(image.width()))
    .max(1) as u32;
    // Area averaging straight into the output: no full-size floating-point
    // copy of the photo (a 12 MP photo's would be another 43 MB).
    image::imageops::thumbnail(image, width, height)
}

fn encode(image: &RgbImage) -> Result<Vec<u8>, PhotoRefusal> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY)
        .encode_image(image)
        .map_err(|_| PhotoRefusal::Corrupt)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_come_from_the_bytes() {
        assert_eq!(sniff(b"\xFF\xD8\xFF\xE0rest"), Ok(Accepted::Jpeg));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\nrest"), Ok(Accepted::Png));
        assert_eq!(sniff(b"RIFF\x04\0\0\0WEBP"), Ok(Accepted::WebP));
        assert_eq!(
            sniff(b"<svg xmlns='http://www.w3.org/2000/svg'/>"),
            Err(PhotoRefusal::Unsupported { kind: "SVG" })
        );
        assert_eq!(
            sniff(b"PK\x03\x04zip"),
            Err(PhotoRefusal::Unsupported { kind: "ZIP" })
        );
    }

    #[test]
    fn a_truncated_png_or_one_with_data_after_iend_is_refused() {
        let mut png = PNG_SIGNATURE.to_vec();
        png.extend_from_slice(&[0, 0, 0, 0]);
        png.extend_from_slice(b"IEND");
        png.extend_from_slice(&[0xAE, 0x42, 0x60, 0x82]);
        assert_eq!(check_structure(&png, Accepted::Png), Ok(()));
        let mut polyglot = png.clone();
        polyglot.extend_from_slice(b"PK\x03\x04");
        assert_eq!(
            check_structure(&polyglot, Accepted::Png),
            Err(PhotoRefusal::TrailingData)
        );
        assert_eq!(
            check_structure(&png[..png.len() - 2], Accepted::Png),
            Err(PhotoRefusal::Corrupt)
        );
    }
}
