//! What the four charts share: colours, values as text, the description, the legend, the
//! axes.

use super::axis::{number, Scale};
use super::svg::{Anchor, Svg, Text, WIDTH};
use super::{Direction, Labels, Series, Value};

/// The series' colours, in order (the first two for males and females).
const COLOURS: [&str; 5] = ["#1f5f8b", "#c0504d", "#4f7f3a", "#7a5c99", "#b8782a"];
/// Gridlines.
const GRID: &str = "#d9d9d9";
/// Axis lines.
const AXIS: &str = "#666666";
/// Left (start) edge of the drawing.
pub(super) const MARGIN: f64 = 16.0;

/// The colour of series `i`.
pub(super) fn colour(i: usize) -> &'static str {
    COLOURS[i % COLOURS.len()]
}

/// The value of `series` at `i`: missing past the end, or when not finite.
pub(super) fn value_at(series: &Series, i: usize) -> Value {
    match series.values.get(i).copied() {
        Some(Value::Shown(v)) if v.is_finite() => Value::Shown(v),
        Some(Value::Suppressed) => Value::Suppressed,
        _ => Value::Missing,
    }
}

/// The largest shown value of the first `n` values of each series (0 when none).
pub(super) fn max_shown(series: &[&Series], n: usize) -> f64 {
    let mut max = 0.0f64;
    for s in series {
        for i in 0..n {
            if let Value::Shown(v) = value_at(s, i) {
                max = max.max(v);
            }
        }
    }
    max
}

/// Whether any of the first `n` values of a series is shown or suppressed.
pub(super) fn has_data(series: &[&Series], n: usize) -> bool {
    series
        .iter()
        .any(|s| (0..n).any(|i| value_at(s, i) != Value::Missing))
}

/// A value as text: the number, the placeholder's label, or "—".
pub(super) fn show(v: Value, labels: &Labels) -> String {
    match v {
        Value::Shown(v) => number(v),
        Value::Suppressed => labels.suppressed.to_string(),
        Value::Missing => "—".to_string(),
    }
}

/// The tooltip of one value: "category: series value" (no series name when only one).
pub(super) fn tip(
    category: &str,
    series: &Series,
    several: bool,
    v: Value,
    labels: &Labels,
) -> String {
    if several {
        format!("{category}: {} {}", series.name, show(v, labels))
    } else {
        format!("{category}: {}", show(v, labels))
    }
}

/// The `<desc>`: the unit, then each category with its values.
pub(super) fn describe(
    labels: &Labels,
    categories: &[&str],
    series: &[&Series],
    dir: Direction,
) -> String {
    let (comma, semicolon) = match dir {
        Direction::Ltr => (", ", "; "),
        Direction::Rtl => ("، ", "؛ "),
    };
    let rows: Vec<String> = categories
        .iter()
        .enumerate()
        .map(|(i, category)| {
            let values: Vec<String> = series
                .iter()
                .map(|s| match series.len() {
                    1 => show(value_at(s, i), labels),
                    _ => format!("{} {}", s.name, show(value_at(s, i), labels)),
                })
                .collect();
            format!("{category}: {}", values.join(comma))
        })
        .collect();
    let rows = if rows.is_empty() {
        "—".to_string()
    } else {
        rows.join(semicolon)
    };
    if labels.unit.is_empty() {
        rows
    } else {
        format!("{}. {rows}", labels.unit)
    }
}

/// Draws the legend (when there are several names) from `y` on; returns the y below it.
pub(super) fn legend(svg: &mut Svg, names: &[&str], y: f64) -> f64 {
    if names.len() < 2 {
        return y;
    }
    let (mut x, mut row) = (MARGIN, y);
    for (i, name) in names.iter().enumerate() {
        let width = 24.0 + 6.5 * name.chars().count().min(24) as f64;
        if x > MARGIN && x + width > WIDTH - MARGIN {
            x = MARGIN;
            row += 18.0;
        }
        let paint = format!("fill=\"{}\"", colour(i));
        svg.rect("legend-key", (x, row, 12.0, 12.0), &paint, None);
        let text = Text {
            class: "legend",
            x: x + 17.0,
            y: row + 6.0,
            max: 24,
            middle: true,
            ..Text::default()
        };
        svg.text(&text, name);
        x += width + 12.0;
    }
    row + 22.0
}

/// A centred "—" in a plot that has nothing to show.
pub(super) fn no_data(svg: &mut Svg, (x, y): (f64, f64)) {
    let text = Text {
        class: "empty",
        x,
        y,
        anchor: Anchor::Middle,
        size: 14,
        middle: true,
        ..Text::default()
    };
    svg.text(&text, "—");
}

/// The paint of a suppressed value's placeholder.
pub(super) fn placeholder_paint(i: usize) -> String {
    format!(
        "fill=\"none\" stroke=\"{}\" stroke-width=\"1\" stroke-dasharray=\"3 2\"",
        colour(i)
    )
}

/// The ticks of a horizontal value axis from `x0` (value 0) over `width` (negative: the axis
/// runs towards the start), gridlines from `top` to `bottom`, labels under it.
pub(super) fn value_ticks_across(
    svg: &mut Svg,
    scale: &Scale,
    (x0, width): (f64, f64),
    (top, bottom): (f64, f64),
) {
    for &t in &scale.ticks {
        let x = x0 + scale.frac(t) * width;
        svg.line("grid", (x, top), (x, bottom), GRID);
        let label = Text {
            class: "tick",
            x,
            y: bottom + 14.0,
            anchor: Anchor::Middle,
            size: 10,
            ..Text::default()
        };
        svg.text(&label, &number(t));
    }
    svg.line("baseline", (x0, top), (x0, bottom), AXIS);
}

/// The ticks of a vertical value axis at `x0`, gridlines to `x1`, over `top`..`bottom`, and
/// the unit above it.
pub(super) fn value_ticks_up(
    svg: &mut Svg,
    scale: &Scale,
    (x0, x1): (f64, f64),
    (top, bottom): (f64, f64),
    unit: &str,
) {
    for &t in &scale.ticks {
        let y = bottom - scale.frac(t) * (bottom - top);
        svg.line("grid", (x0, y), (x1, y), GRID);
        let label = Text {
            class: "tick",
            x: x0 - 6.0,
            y,
            anchor: Anchor::End,
            size: 10,
            middle: true,
            ..Text::default()
        };
        svg.text(&label, &number(t));
    }
    svg.line("axis", (x0, top), (x0, bottom), AXIS);
    svg.line("baseline", (x0, bottom), (x1, bottom), AXIS);
    let caption = Text {
        class: "unit",
        x: MARGIN,
        y: top - 12.0,
        max: 60,
        ..Text::default()
    };
    svg.text(&caption, unit);
}

/// Labels along a horizontal category axis of `bands` from `x0`, `band` wide each, under
/// `y`; turned 45° when they would not fit. Returns the y below them.
pub(super) fn category_axis(svg: &mut Svg, names: &[&str], (x0, band): (f64, f64), y: f64) -> f64 {
    const MAX: usize = 12;
    let longest = names
        .iter()
        .map(|n| n.chars().count().min(MAX))
        .max()
        .unwrap_or(0);
    let turn = longest as f64 * 6.0 > band;
    for (i, name) in names.iter().enumerate() {
        let x = x0 + (i as f64 + 0.5) * band;
        let label = match turn {
            true => Text {
                class: "category",
                x: x + 3.0,
                y: y + 10.0,
                anchor: Anchor::End,
                size: 10,
                max: MAX,
                rotate: -45.0,
                ..Text::default()
            },
            false => Text {
                class: "category",
                x,
                y: y + 14.0,
                anchor: Anchor::Middle,
                size: 10,
                max: MAX,
                ..Text::default()
            },
        };
        svg.text(&label, name);
    }
    match turn {
        true => y + 16.0 + longest as f64 * 4.5,
        false => y + 22.0,
    }
}
