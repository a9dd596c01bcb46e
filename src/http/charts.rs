//! Bar charts drawn on the server: the geometry of each bar in an SVG
//! `viewBox`, so a page shows a chart with no script and no CDN, and it
//! scales to the screen's width (templates draw it, with the words).

use serde::Serialize;

/// Width of the drawing, in `viewBox` units: a phone's width, so text drawn
/// at [`FONT`] units reads at its size there and larger on wider screens.
const WIDTH: f64 = 360.0;
/// Height of the drawing.
const HEIGHT: f64 = 180.0;
/// Room above the bars (the scale's label) and below them (the dates).
const TOP: f64 = 16.0;
const BOTTOM: f64 = 18.0;
/// Share of each day's slot its bar fills.
const FILL: f64 = 0.8;

/// One chart: the drawing's size and its bars.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BarChart {
    /// The SVG `viewBox`.
    pub view_box: String,
    /// The drawing's width.
    pub width: f64,
    /// Where the bars stand (y of the baseline).
    pub baseline: f64,
    /// Where the dates under the bars go.
    pub label_y: f64,
    /// The largest value (the top of the scale).
    pub max: i64,
    /// The bars, left to right.
    pub bars: Vec<Bar>,
}

/// One bar.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bar {
    /// Left edge.
    pub x: f64,
    /// Top edge.
    pub y: f64,
    /// Width.
    pub width: f64,
    /// Height (0 for a zero value).
    pub height: f64,
    /// What the bar stands for, e.g. a date.
    pub label: String,
    /// Its value.
    pub value: i64,
}

/// A chart of `points` (label, value) as bars of one scale from 0 to the
/// largest value; a value below 0 draws as 0.
pub fn bar_chart(points: &[(String, i64)]) -> BarChart {
    let max = points.iter().map(|(_, v)| *v).max().unwrap_or(0).max(0);
    let baseline = HEIGHT - BOTTOM;
    let room = baseline - TOP;
    let slot = WIDTH / points.len().max(1) as f64;
    let bars = points
        .iter()
        .enumerate()
        .map(|(i, (label, value))| {
            let height = if max == 0 {
                0.0
            } else {
                room * (*value).max(0) as f64 / max as f64
            };
            Bar {
                x: round(i as f64 * slot + slot * (1.0 - FILL) / 2.0),
                y: round(baseline - height),
                width: round(slot * FILL),
                height: round(height),
                label: label.clone(),
                value: *value,
            }
        })
        .collect();
    BarChart {
        view_box: format!("0 0 {WIDTH} {HEIGHT}"),
        width: WIDTH,
        baseline,
        label_y: HEIGHT - 4.0,
        max,
        bars,
    }
}

/// Two decimals are finer than any screen shows; fewer bytes per bar.
fn round(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_share_one_scale_and_the_width() {
        let chart = bar_chart(&[("a".into(), 10), ("b".into(), 0), ("c".into(), 5)]);
        assert_eq!(chart.max, 10);
        let [a, b, c] = &chart.bars[..] else {
            panic!("three bars")
        };
        assert_eq!(a.y, TOP);
        assert_eq!(a.height, HEIGHT - BOTTOM - TOP);
        assert_eq!(b.height, 0.0);
        assert_eq!(c.height, round(a.height / 2.0));
        assert!(c.x + c.width <= WIDTH);
        assert!(a.x >= 0.0 && a.x < b.x && b.x < c.x);
    }

    #[test]
    fn nothing_to_draw_is_a_flat_chart() {
        assert!(bar_chart(&[]).bars.is_empty());
        let flat = bar_chart(&[("a".into(), 0), ("b".into(), -3)]);
        assert!(flat.bars.iter().all(|b| b.height == 0.0));
    }
}
