//! The statistics page's charts, drawn on the server as inline SVG: no script, no style
//! (the desk's Content-Security-Policy forbids both inline), presentation attributes only.
//!
//! Four kinds: [`bars`] (top sites by age-standardised rate), [`lines`] (age-specific rates
//! over the age groups), [`pyramid`] (population by age group and sex) and [`columns`]
//! (cases by year). Each returns one `<svg role="img">` element with a `<title>`, a
//! `<desc>` listing every value as text, a legend when it shows several series, round ticks
//! and gridlines.
//!
//! A [`Value::Suppressed`] (a small count hidden in published tables) is drawn as an empty
//! dashed placeholder labelled with [`Labels::suppressed`], so it reads as hidden, not zero;
//! a [`Value::Missing`] (or a value that is not finite, or one past the end of a series)
//! draws nothing, and breaks a line.
//!
//! Right to left, every chart is the mirror image of its left-to-right drawing: category
//! labels on the right, bars growing leftwards, the first age group or year at the right,
//! the pyramid's `left` series on the right; texts carry `direction="rtl"`, so their
//! `text-anchor` (start, end) is read from the right.

mod axis;
mod frame;
mod svg;
#[cfg(test)]
mod tests;

use axis::Scale;
use frame::{
    category_axis, colour, describe, has_data, legend, max_shown, no_data, placeholder_paint, show,
    tip, value_at, value_ticks_across, value_ticks_up, MARGIN,
};
use svg::{Anchor, Svg, Text, WIDTH};

/// Which way the page reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Left to right (English).
    Ltr,
    /// Right to left (Arabic): every chart is mirrored.
    Rtl,
}

/// One value of a chart: shown, suppressed (a small count hidden), or missing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    /// A value drawn as it is (one that is not finite counts as missing).
    Shown(f64),
    /// A small count hidden in published tables: drawn as a labelled placeholder.
    Suppressed,
    /// No value: nothing is drawn.
    Missing,
}

/// One series (a line, or one colour of bars).
#[derive(Debug, Clone, PartialEq)]
pub struct Series<'a> {
    /// The series' name, shown in the legend (already translated).
    pub name: &'a str,
    /// One value per category; those past the end count as missing.
    pub values: Vec<Value>,
}

/// The texts around a chart, already translated by the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Labels<'a> {
    /// The chart's title.
    pub title: &'a str,
    /// The value axis' caption, e.g. "per 100,000".
    pub unit: &'a str,
    /// The placeholder's label for a suppressed value, e.g. "<5".
    pub suppressed: &'a str,
}

/// Horizontal bars, one row per category from top to bottom, one bar per series in each
/// row; right to left, labels sit on the right and bars grow leftwards.
pub fn bars(labels: &Labels, categories: &[&str], series: &[Series], dir: Direction) -> String {
    const X0: f64 = 172.0;
    const X1: f64 = WIDTH - 64.0;
    const BAR: f64 = 14.0;
    let all: Vec<&Series> = series.iter().collect();
    let n = categories.len();
    let mut svg = Svg::new(
        "bars",
        labels,
        dir,
        &describe(labels, categories, &all, dir),
    );
    let names: Vec<&str> = series.iter().map(|s| s.name).collect();
    let top = legend(&mut svg, &names, 40.0) + 4.0;
    let group = all.len().max(1) as f64 * (BAR + 2.0) - 2.0 + 12.0;
    let bottom = top + (n as f64 * group).max(60.0);
    let scale = Scale::new(max_shown(&all, n), 5);
    value_ticks_across(&mut svg, &scale, (X0, X1 - X0), (top, bottom));
    for (i, category) in categories.iter().enumerate() {
        let y0 = top + i as f64 * group + 6.0;
        let label = Text {
            class: "category",
            x: X0 - 8.0,
            y: y0 + (group - 12.0) / 2.0,
            anchor: Anchor::End,
            max: 24,
            middle: true,
            ..Text::default()
        };
        svg.text(&label, category);
        for (j, s) in all.iter().enumerate() {
            let y = y0 + j as f64 * (BAR + 2.0);
            let v = value_at(s, i);
            let tip = tip(category, s, all.len() > 1, v, labels);
            let end = match v {
                Value::Shown(x) => {
                    let width = scale.frac(x) * (X1 - X0);
                    let paint = format!("fill=\"{}\"", colour(j));
                    svg.rect("bar", (X0, y, width, BAR), &paint, Some(&tip));
                    width
                }
                Value::Suppressed => {
                    svg.rect(
                        "placeholder",
                        (X0, y, 24.0, BAR),
                        &placeholder_paint(j),
                        Some(&tip),
                    );
                    24.0
                }
                Value::Missing => continue,
            };
            let text = Text {
                class: "value",
                x: X0 + end + 4.0,
                y: y + BAR / 2.0,
                size: 10,
                middle: true,
                ..Text::default()
            };
            svg.text(&text, &show(v, labels));
        }
    }
    if !has_data(&all, n) {
        no_data(&mut svg, ((X0 + X1) / 2.0, (top + bottom) / 2.0));
    }
    let caption = Text {
        class: "unit",
        x: (X0 + X1) / 2.0,
        y: bottom + 32.0,
        anchor: Anchor::Middle,
        max: 60,
        ..Text::default()
    };
    svg.text(&caption, labels.unit);
    svg.finish(bottom + 42.0)
}

/// Lines over the categories `x` (e.g. the 18 five-year age groups), one per series, a
/// linear value axis from 0; a missing or suppressed value breaks the line. Right to left,
/// the first category is at the right.
pub fn lines(labels: &Labels, x: &[&str], series: &[Series], dir: Direction) -> String {
    const X0: f64 = 64.0;
    const X1: f64 = WIDTH - 24.0;
    let all: Vec<&Series> = series.iter().collect();
    let n = x.len();
    let mut svg = Svg::new("lines", labels, dir, &describe(labels, x, &all, dir));
    let names: Vec<&str> = series.iter().map(|s| s.name).collect();
    let top = legend(&mut svg, &names, 40.0) + 20.0;
    let bottom = top + 220.0;
    let scale = Scale::new(max_shown(&all, n), 5);
    value_ticks_up(&mut svg, &scale, (X0, X1), (top, bottom), labels.unit);
    let band = (X1 - X0) / n.max(1) as f64;
    let end = category_axis(&mut svg, x, (X0, band), bottom);
    for (j, s) in all.iter().enumerate() {
        let stroke = colour(j);
        let mut run: Vec<(f64, f64)> = Vec::new();
        for (i, category) in x.iter().enumerate() {
            let px = X0 + (i as f64 + 0.5) * band;
            let v = value_at(s, i);
            let tip = tip(category, s, all.len() > 1, v, labels);
            match v {
                Value::Shown(value) => {
                    let point = (px, bottom - scale.frac(value) * (bottom - top));
                    run.push(point);
                    svg.circle(
                        "point",
                        point,
                        2.5,
                        &format!("fill=\"{stroke}\""),
                        Some(&tip),
                    );
                    continue;
                }
                Value::Suppressed => {
                    svg.circle(
                        "placeholder",
                        (px, bottom),
                        3.5,
                        &placeholder_paint(j),
                        Some(&tip),
                    );
                }
                Value::Missing => {}
            }
            if run.len() > 1 {
                svg.polyline("line", &run, stroke);
            }
            run.clear();
        }
        if run.len() > 1 {
            svg.polyline("line", &run, stroke);
        }
    }
    if !has_data(&all, n) {
        no_data(&mut svg, ((X0 + X1) / 2.0, (top + bottom) / 2.0));
    }
    svg.finish(end + 8.0)
}

/// A population pyramid: `groups` from the youngest (at the bottom) up, `left`'s bars
/// growing from the centre towards the start of a line, `right`'s towards its end (right to
/// left, `left` is drawn on the right).
pub fn pyramid(
    labels: &Labels,
    groups: &[&str],
    left: &Series,
    right: &Series,
    dir: Direction,
) -> String {
    const CENTRE: f64 = WIDTH / 2.0;
    const GUTTER: f64 = 28.0;
    const HALF: f64 = CENTRE - GUTTER - 24.0;
    const ROW: f64 = 16.0;
    const BAR: f64 = 13.0;
    let both = [left, right];
    let n = groups.len();
    let mut svg = Svg::new(
        "pyramid",
        labels,
        dir,
        &describe(labels, groups, &both, dir),
    );
    for (j, s) in both.iter().enumerate() {
        let (key, anchor, x) = match j {
            0 => (MARGIN, Anchor::Start, MARGIN + 17.0),
            _ => (WIDTH - MARGIN - 12.0, Anchor::End, WIDTH - MARGIN - 17.0),
        };
        svg.rect(
            "legend-key",
            (key, 40.0, 12.0, 12.0),
            &format!("fill=\"{}\"", colour(j)),
            None,
        );
        let text = Text {
            class: "legend",
            x,
            y: 46.0,
            anchor,
            max: 30,
            middle: true,
            ..Text::default()
        };
        svg.text(&text, s.name);
    }
    let top = 66.0;
    let bottom = top + (n as f64 * ROW).max(60.0);
    let scale = Scale::new(max_shown(&both, n), 4);
    // Each side: the x of its value 0 and the way its bars grow (-1: towards the start).
    let sides = [(CENTRE - GUTTER, -1.0), (CENTRE + GUTTER, 1.0)];
    for &(x0, way) in &sides {
        value_ticks_across(&mut svg, &scale, (x0, way * HALF), (top, bottom));
    }
    for (i, group) in groups.iter().enumerate() {
        let y = top + (n - 1 - i) as f64 * ROW + (ROW - BAR) / 2.0;
        let label = Text {
            class: "category",
            x: CENTRE,
            y: y + BAR / 2.0,
            anchor: Anchor::Middle,
            size: 10,
            max: 7,
            middle: true,
            ..Text::default()
        };
        svg.text(&label, group);
        for (j, (s, &(x0, way))) in both.iter().zip(&sides).enumerate() {
            let v = value_at(s, i);
            let tip = tip(group, s, true, v, labels);
            let width = match v {
                Value::Shown(value) => scale.frac(value) * HALF,
                Value::Suppressed => 20.0,
                Value::Missing => continue,
            };
            let x = if way < 0.0 { x0 - width } else { x0 };
            match v {
                Value::Suppressed => {
                    svg.rect(
                        "placeholder",
                        (x, y, width, BAR),
                        &placeholder_paint(j),
                        Some(&tip),
                    );
                    let anchor = if way < 0.0 {
                        Anchor::End
                    } else {
                        Anchor::Start
                    };
                    let text = Text {
                        class: "value",
                        x: x0 + way * (width + 4.0),
                        y: y + BAR / 2.0,
                        anchor,
                        size: 10,
                        middle: true,
                        ..Text::default()
                    };
                    svg.text(&text, labels.suppressed);
                }
                _ => svg.rect(
                    "bar",
                    (x, y, width, BAR),
                    &format!("fill=\"{}\"", colour(j)),
                    Some(&tip),
                ),
            }
        }
    }
    if !has_data(&both, n) {
        no_data(&mut svg, (CENTRE, (top + bottom) / 2.0));
    }
    let caption = Text {
        class: "unit",
        x: CENTRE,
        y: bottom + 32.0,
        anchor: Anchor::Middle,
        max: 60,
        ..Text::default()
    };
    svg.text(&caption, labels.unit);
    svg.finish(bottom + 42.0)
}

/// Vertical columns, one per category of `x` (e.g. years); right to left, the first
/// category is at the right.
pub fn columns(labels: &Labels, x: &[&str], series: &Series, dir: Direction) -> String {
    const X0: f64 = 64.0;
    const X1: f64 = WIDTH - 24.0;
    const HOLDER: f64 = 16.0;
    let all = [series];
    let n = x.len();
    let mut svg = Svg::new("columns", labels, dir, &describe(labels, x, &all, dir));
    let top = 60.0;
    let bottom = top + 220.0;
    let scale = Scale::new(max_shown(&all, n), 5);
    value_ticks_up(&mut svg, &scale, (X0, X1), (top, bottom), labels.unit);
    let band = (X1 - X0) / n.max(1) as f64;
    let width = (band * 0.7).min(48.0);
    let end = category_axis(&mut svg, x, (X0, band), bottom);
    for (i, category) in x.iter().enumerate() {
        let left = X0 + i as f64 * band + (band - width) / 2.0;
        let v = value_at(series, i);
        let tip = tip(category, series, false, v, labels);
        let height = match v {
            Value::Shown(value) => {
                let height = scale.frac(value) * (bottom - top);
                let paint = format!("fill=\"{}\"", colour(0));
                svg.rect(
                    "bar",
                    (left, bottom - height, width, height),
                    &paint,
                    Some(&tip),
                );
                height
            }
            Value::Suppressed => {
                let (rect, paint) = ((left, bottom - HOLDER, width, HOLDER), placeholder_paint(0));
                svg.rect("placeholder", rect, &paint, Some(&tip));
                HOLDER
            }
            Value::Missing => continue,
        };
        let text = show(v, labels);
        if v == Value::Suppressed || text.chars().count() as f64 * 5.5 <= band {
            let label = Text {
                class: "value",
                x: left + width / 2.0,
                y: bottom - height - 4.0,
                anchor: Anchor::Middle,
                size: 9,
                ..Text::default()
            };
            svg.text(&label, &text);
        }
    }
    if !has_data(&all, n) {
        no_data(&mut svg, ((X0 + X1) / 2.0, (top + bottom) / 2.0));
    }
    svg.finish(end + 8.0)
}
