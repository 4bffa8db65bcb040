//! Thumbnails in PocketBase's formats (`WxH` crop from the center, `WxHt`
//! from the top, `WxHb` from the bottom, `WxHf` fit inside, `0xH`/`Wx0`
//! keep the aspect ratio), from PNG, JPEG, GIF (first frame) and WebP.
//! JPEG and GIF stay in their format, everything else becomes PNG, like
//! PocketBase. Decoding is bounded: images over [`MAX_PIXELS`] or needing
//! more than [`MAX_ALLOC`] bytes are refused before their pixels are read,
//! so a decompression bomb costs a header read.

use std::io::Cursor;

use image::codecs::gif::GifEncoder;
use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

/// The most pixels a source image (or a thumb) may have.
pub const MAX_PIXELS: u64 = 40_000_000;
/// The most bytes the decoder may allocate for one image.
pub const MAX_ALLOC: u64 = 256 << 20;

/// Content types thumbs are made from (PocketBase's list).
pub const IMAGE_CONTENT_TYPES: [&str; 5] = ["image/png", "image/jpg", "image/jpeg", "image/gif", "image/webp"];

/// The thumb size PocketBase always allows.
pub const DEFAULT_THUMB: &str = "100x100";

/// How a thumb is cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Center,
    Top,
    Bottom,
    Fit,
}

/// A parsed thumb size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThumbSize {
    pub width: u32,
    pub height: u32,
    pub mode: Mode,
}

impl ThumbSize {
    /// Parses `^(\d+)x(\d+)(t|b|f)?$`; both sides zero is invalid.
    pub fn parse(s: &str) -> Option<ThumbSize> {
        let (w, rest) = s.split_once('x')?;
        let (h, mode) = match rest.as_bytes().last() {
            Some(b't') => (&rest[..rest.len() - 1], Mode::Top),
            Some(b'b') => (&rest[..rest.len() - 1], Mode::Bottom),
            Some(b'f') => (&rest[..rest.len() - 1], Mode::Fit),
            _ => (rest, Mode::Center),
        };
        let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
        if !digits(w) || !digits(h) {
            return None;
        }
        let width: u32 = w.parse().ok()?;
        let height: u32 = h.parse().ok()?;
        if width == 0 && height == 0 {
            return None;
        }
        Some(ThumbSize { width, height, mode })
    }
}

/// Whether a thumb size is valid in a field's `thumbs` list.
pub fn is_valid_size(s: &str) -> bool {
    ThumbSize::parse(s).is_some()
}

/// Why no thumb was made.
#[derive(Debug, thiserror::Error)]
pub enum ThumbError {
    #[error("thumb size must be in WxH, WxHt, WxHb or WxHf format")]
    BadSize,
    #[error("the image is too large for a thumb ({0} pixels)")]
    TooLarge(u64),
    #[error("{0}")]
    Image(#[from] image::ImageError),
}

/// Makes a thumb of `original`; returns its bytes and content type.
pub fn create(original: &[u8], size: &str) -> Result<(Vec<u8>, &'static str), ThumbError> {
    let size = ThumbSize::parse(size).ok_or(ThumbError::BadSize)?;
    let reader = ImageReader::new(Cursor::new(original)).with_guessed_format().map_err(image::ImageError::IoError)?;
    let format = reader.format();
    let mut decoder = reader.into_decoder()?;
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_ALLOC);
    decoder.set_limits(limits)?;
    let (w, h) = decoder.dimensions();
    let pixels = u64::from(w) * u64::from(h);
    if pixels > MAX_PIXELS {
        return Err(ThumbError::TooLarge(pixels));
    }
    let orientation = decoder.orientation()?;
    let mut img = DynamicImage::from_decoder(decoder)?;
    img.apply_orientation(orientation);
    let thumb = resize(&img, size)?;
    let mut out = Cursor::new(Vec::new());
    let content_type = match format {
        Some(ImageFormat::Jpeg) => {
            JpegEncoder::new_with_quality(&mut out, 95).encode_image(&DynamicImage::ImageRgb8(thumb.to_rgb8()))?;
            "image/jpeg"
        }
        Some(ImageFormat::Gif) => {
            let frame = image::Frame::new(thumb.to_rgba8());
            GifEncoder::new(&mut out).encode_frames(std::iter::once(frame))?;
            "image/gif"
        }
        _ => {
            thumb.write_to(&mut out, ImageFormat::Png)?;
            "image/png"
        }
    };
    Ok((out.into_inner(), content_type))
}

fn check_output(w: u32, h: u32) -> Result<(), ThumbError> {
    let pixels = u64::from(w) * u64::from(h);
    if pixels > MAX_PIXELS { Err(ThumbError::TooLarge(pixels)) } else { Ok(()) }
}

fn scaled(len: u32, num: u32, den: u32) -> u32 {
    let v = (f64::from(num) * f64::from(len) / f64::from(den.max(1)) + 0.5).floor();
    (v.max(1.0)) as u32
}

/// Resizes to `w`×`h`; a zero side keeps the aspect ratio.
fn resize_exact(img: &DynamicImage, w: u32, h: u32) -> Result<DynamicImage, ThumbError> {
    let (sw, sh) = (img.width().max(1), img.height().max(1));
    let (w, h) = match (w, h) {
        (0, h) => (scaled(h, sw, sh), h),
        (w, 0) => (w, scaled(w, sh, sw)),
        other => other,
    };
    check_output(w, h)?;
    Ok(img.resize_exact(w, h, FilterType::Triangle))
}

fn crop_anchor(img: &DynamicImage, w: u32, h: u32, mode: Mode) -> DynamicImage {
    let (sw, sh) = (img.width(), img.height());
    let (w, h) = (w.min(sw), h.min(sh));
    let x = (sw - w) / 2;
    let y = match mode {
        Mode::Top => 0,
        Mode::Bottom => sh - h,
        _ => (sh - h) / 2,
    };
    img.crop_imm(x, y, w, h)
}

fn resize(img: &DynamicImage, size: ThumbSize) -> Result<DynamicImage, ThumbError> {
    let ThumbSize { width: w, height: h, mode } = size;
    if w == 0 || h == 0 {
        return resize_exact(img, w, h);
    }
    check_output(w, h)?;
    let (sw, sh) = (img.width().max(1), img.height().max(1));
    if mode == Mode::Fit {
        // fit inside, never upscale
        if sw <= w && sh <= h {
            return Ok(img.clone());
        }
        let src_ratio = f64::from(sw) / f64::from(sh);
        let (nw, nh) = if src_ratio > f64::from(w) / f64::from(h) {
            (w, ((f64::from(w) / src_ratio) as u32).max(1))
        } else {
            (((f64::from(h) * src_ratio) as u32).max(1), h)
        };
        return resize_exact(img, nw, nh);
    }
    if sw == w && sh == h {
        return Ok(img.clone());
    }
    // fill: cover the box, then cut the overflow at the anchor
    let src_ratio = f64::from(sw) / f64::from(sh);
    let dst_ratio = f64::from(w) / f64::from(h);
    let covered = if src_ratio < dst_ratio { resize_exact(img, w, 0)? } else { resize_exact(img, 0, h)? };
    Ok(crop_anchor(&covered, w, h, mode))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = DynamicImage::ImageRgb8(image::RgbImage::from_pixel(w, h, image::Rgb([200, 30, 30])));
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, ImageFormat::Png).expect("encode");
        out.into_inner()
    }

    fn dims(bytes: &[u8]) -> (u32, u32) {
        let img = image::load_from_memory(bytes).expect("decodes");
        (img.width(), img.height())
    }

    #[test]
    fn sizes_parse_like_pocketbase() {
        assert_eq!(ThumbSize::parse("100x50t"), Some(ThumbSize { width: 100, height: 50, mode: Mode::Top }));
        assert_eq!(ThumbSize::parse("0x50").map(|s| s.mode), Some(Mode::Center));
        for bad in ["0x0", "0x0f", "x10", "10x", "10x10z", "-1x10", "10X10", "10x10tt", ""] {
            assert!(ThumbSize::parse(bad).is_none(), "{bad} accepted");
        }
    }

    #[test]
    fn every_format_gives_the_expected_size() {
        let src = png(40, 30);
        let cases = [
            ("10x10", (10, 10)),
            ("20x0", (20, 15)),
            ("0x15", (20, 15)),
            ("20x10t", (20, 10)),
            ("20x10b", (20, 10)),
            ("20x20f", (20, 15)),
            ("100x100f", (40, 30)),
            ("100x100", (100, 100)),
        ];
        for (size, want) in cases {
            let (bytes, ct) = create(&src, size).expect("thumb");
            assert_eq!(ct, "image/png");
            assert_eq!(dims(&bytes), want, "{size}");
        }
    }

    #[test]
    fn decompression_bombs_are_refused_from_the_header() {
        // a valid PNG header claiming 100000 x 100000 pixels, no data
        let mut bomb = png(1, 1);
        bomb[16..20].copy_from_slice(&100_000u32.to_be_bytes());
        bomb[20..24].copy_from_slice(&100_000u32.to_be_bytes());
        assert!(create(&bomb, "10x10").is_err());
        assert!(matches!(create(&png(10, 10), "50000x50000"), Err(ThumbError::TooLarge(_))));
        assert!(create(b"not an image", "10x10").is_err());
    }
}
