//! Writes a photo-like JPEG for the photo benchmark (bench/photos.py):
//! `benchphoto WIDTH HEIGHT OUT.jpg`. Smooth gradients with fine noise, so
//! it compresses (and decodes) like a camera photo rather than a flat image.

use anyhow::Context;
use image::codecs::jpeg::JpegEncoder;
use image::{Rgb, RgbImage};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let [_, width, height, out] = args.as_slice() else {
        anyhow::bail!("usage: benchphoto WIDTH HEIGHT OUT.jpg");
    };
    let (w, h): (u32, u32) = (width.parse()?, height.parse()?);
    let mut seed: u32 = 0x9E37_79B9;
    let image = RgbImage::from_fn(w, h, |x, y| {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        let noise = (seed % 24) as i32 - 12;
        let channel = |v: u32| (v as i32 + noise).clamp(0, 255) as u8;
        Rgb([
            channel(x * 255 / w.max(1)),
            channel(y * 255 / h.max(1)),
            channel(((x / 7 + y / 5) % 256) / 2 + 64),
        ])
    });
    let file = std::fs::File::create(out).with_context(|| format!("create {out}"))?;
    let mut writer = std::io::BufWriter::new(file);
    JpegEncoder::new_with_quality(&mut writer, 90).encode_image(&image)?;
    Ok(())
}
