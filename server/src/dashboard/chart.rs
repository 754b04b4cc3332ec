//! The overview's charts as SVG drawn on the server: readable without JavaScript and printable.
//! Labels are numbers and dates only; the legend is the page's, in the reader's language.

use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;

/// One bar: its label under the axis and its stacked parts, bottom first.
pub struct Bar {
    pub label: String,
    pub parts: Vec<i64>,
}

/// The colours of the overview's stacked parts, bottom first: contained, handed off,
/// abandoned, other.
pub const OUTCOME_COLOURS: [RGBColor; 4] = [
    RGBColor(0x15, 0x80, 0x3d),
    RGBColor(0x1d, 0x4e, 0xd8),
    RGBColor(0xb9, 0x1c, 0x1c),
    RGBColor(0x9c, 0xa3, 0xaf),
];

/// One colour for bars of one part.
pub const ACCENT: [RGBColor; 1] = [RGBColor(0x1d, 0x4e, 0xd8)];

/// A stacked bar chart of `bars` with their parts in `colours`, `width` × `height` pixels;
/// `None` if drawing failed (the page then shows its figures alone).
pub fn stacked_bars(bars: &[Bar], colours: &[RGBColor], width: u32, height: u32) -> Option<String> {
    let mut svg = String::new();
    if let Err(error) = draw(&mut svg, bars, colours, width, height) {
        tracing::warn!(%error, "a chart could not be drawn");
        return None;
    }
    Some(svg)
}

fn draw(
    svg: &mut String,
    bars: &[Bar],
    colours: &[RGBColor],
    width: u32,
    height: u32,
) -> Result<(), String> {
    let backend = SVGBackend::with_string(svg, (width, height));
    let root = backend.into_drawing_area();
    root.fill(&WHITE).map_err(failed)?;
    let highest = bars
        .iter()
        .map(|bar| bar.parts.iter().sum::<i64>())
        .max()
        .unwrap_or(0)
        .max(1);
    let top = highest + (highest / 10).max(1);
    let count = i32::try_from(bars.len()).unwrap_or(i32::MAX).max(1);
    // Plotters' integer ranges include their end: 0..count - 1 is one segment per bar (0..count
    // would leave an empty one at the right), the last ending at `SegmentValue::Last`.
    let mut chart = ChartBuilder::on(&root)
        .margin(10)
        .x_label_area_size(28)
        .y_label_area_size(40)
        .build_cartesian_2d((0..count - 1).into_segmented(), 0..top)
        .map_err(failed)?;
    // At most about twelve labels under the axis, so that dates do not overlap.
    let every = (bars.len() / 12).max(1);
    let label_of = |value: &SegmentValue<i32>| match value {
        SegmentValue::CenterOf(i) => usize::try_from(*i)
            .ok()
            .filter(|i| i % every == 0)
            .and_then(|i| bars.get(i))
            .map(|bar| bar.label.clone())
            .unwrap_or_default(),
        _ => String::new(),
    };
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(bars.len().max(1))
        .x_label_formatter(&label_of)
        .y_labels(6)
        .y_label_formatter(&|v| format!("{v}"))
        .label_style(
            ("sans-serif", 12)
                .into_font()
                .color(&RGBColor(0x37, 0x41, 0x51)),
        )
        .axis_style(RGBColor(0xb7, 0xbd, 0xc7))
        .light_line_style(RGBColor(0xe5, 0xe7, 0xeb))
        .draw()
        .map_err(failed)?;
    for (index, bar) in bars.iter().enumerate() {
        let x = i32::try_from(index).unwrap_or(i32::MAX);
        // A bar ends where the next begins; the last at the end of the axis.
        let right = match x + 1 < count {
            true => SegmentValue::Exact(x + 1),
            false => SegmentValue::Last,
        };
        let mut bottom = 0;
        for (part, colour) in bar.parts.iter().zip(colours) {
            if *part <= 0 {
                continue;
            }
            let rectangle = Rectangle::new(
                [
                    (SegmentValue::Exact(x), bottom),
                    (right.clone(), bottom + part),
                ],
                colour.filled(),
            );
            chart
                .draw_series(std::iter::once(rectangle))
                .map_err(failed)?;
            bottom += part;
        }
    }
    root.present().map_err(failed)?;
    Ok(())
}

/// Why drawing failed, for the log.
fn failed(error: impl std::fmt::Display) -> String {
    error.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_are_drawn_with_their_labels() {
        let bars = vec![
            Bar {
                label: "12-01".into(),
                parts: vec![2, 1, 0, 0],
            },
            Bar {
                label: "12-02".into(),
                parts: vec![0, 0, 3, 1],
            },
        ];
        let svg = stacked_bars(&bars, &OUTCOME_COLOURS, 600, 240).expect("drawn");
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(svg.contains("12-01") && svg.contains("12-02"));
        // Three parts are drawn: contained and handed off, then abandoned and other.
        assert_eq!(svg.matches("<rect").count(), 1 + 4, "{svg}");
        assert!(stacked_bars(&[], &ACCENT, 600, 240).is_some());
    }

    /// The left and right edges of the bars drawn in `colour`, in pixels.
    fn bar_edges(svg: &str, colour: RGBColor) -> Vec<(f64, f64)> {
        let fill = format!("fill=\"#{:02X}{:02X}{:02X}\"", colour.0, colour.1, colour.2);
        let number = |rect: &str, name: &str| -> f64 {
            let start = rect.find(&format!(" {name}=\"")).expect(name) + name.len() + 3;
            let end = start + rect[start..].find('"').expect("quote");
            rect[start..end].parse().expect("a number")
        };
        svg.split("<rect")
            .filter(|rect| rect.contains(&fill))
            .map(|rect| {
                let x = number(rect, "x");
                (x, x + number(rect, "width"))
            })
            .collect()
    }

    #[test]
    fn the_bars_fill_the_axis_one_slot_each() {
        for days in [1, 2, 7, 30] {
            let bars: Vec<Bar> = (0..days)
                .map(|day| Bar {
                    label: format!("12-{:02}", day + 1),
                    parts: vec![1],
                })
                .collect();
            let svg = stacked_bars(&bars, &ACCENT, 600, 240).expect("drawn");
            let edges = bar_edges(&svg, ACCENT[0]);
            assert_eq!(edges.len(), days, "{svg}");
            let width = |(left, right): &(f64, f64)| right - left;
            let (first, last) = (edges[0], edges[days - 1]);
            // The plot ends 10 px (the margin) before the picture's right edge.
            assert!(
                (last.1 - 590.0).abs() <= 2.0,
                "{days} days: the last bar ends at {last:?}"
            );
            assert!(edges
                .iter()
                .all(|bar| (width(bar) - width(&first)).abs() <= 1.0));
        }
    }
}
