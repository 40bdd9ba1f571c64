//! The value axis of a chart: round ("nice") ticks, and how numbers are written, in labels
//! (at most one decimal, thousands grouped) and in coordinates.

/// The largest value a scale reaches; anything above is drawn at the plot's edge.
const CEILING: f64 = 1e15;

/// A value axis from 0 to `top`, with round ticks (1, 2, 2.5 or 5 × 10^k apart).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Scale {
    /// The ticks, from 0 up to and including `top`.
    pub ticks: Vec<f64>,
    /// The end of the axis: always finite and above 0.
    pub top: f64,
}

impl Scale {
    /// A scale for values from 0 to `max`, aiming at about `intervals` intervals. A max that is
    /// 0, negative or not finite gives the axis 0 to 1.
    pub fn new(max: f64, intervals: u32) -> Scale {
        let max = if max.is_finite() && max > 0.0 {
            max.min(CEILING)
        } else {
            0.0
        };
        if max == 0.0 {
            return Scale {
                ticks: vec![0.0, 1.0],
                top: 1.0,
            };
        }
        let raw = max / f64::from(intervals.max(1));
        let magnitude = 10f64.powf(raw.log10().floor());
        let norm = raw / magnitude;
        // A step of 0.25 (or 0.025…) would need two decimals: skip 2.5 below 1.
        let multiple = [1.0, 2.0, 2.5, 5.0, 10.0]
            .into_iter()
            .filter(|m| magnitude >= 1.0 || *m != 2.5)
            .find(|m| *m >= norm * (1.0 - 1e-9))
            .unwrap_or(10.0);
        // Labels carry one decimal at most, so no step under 0.1.
        let step = (multiple * magnitude).max(0.1);
        let count = (max / step * (1.0 - 1e-9)).ceil().clamp(1.0, 50.0) as u32;
        let ticks: Vec<f64> = (0..=count).map(|i| round1(f64::from(i) * step)).collect();
        let top = ticks.last().copied().unwrap_or(1.0);
        Scale { ticks, top }
    }

    /// Where `v` sits on the axis, from 0 (at 0 or below) to 1 (at the top or above).
    pub fn frac(&self, v: f64) -> f64 {
        if v.is_finite() {
            (v / self.top).clamp(0.0, 1.0)
        } else {
            0.0
        }
    }
}

/// `v` rounded to one decimal (itself when that would overflow).
fn round1(v: f64) -> f64 {
    let r = (v * 10.0).round() / 10.0;
    if r.is_finite() {
        r
    } else {
        v
    }
}

/// A value as a reader sees it: at most one decimal (`12.3`, `40`), thousands grouped from
/// 10,000 on (`120,000`); "—" for a value that is not finite (never `NaN` or `inf`).
pub(super) fn number(v: f64) -> String {
    if !v.is_finite() {
        return "—".to_string();
    }
    let text = format!("{:.1}", round1(v));
    let text = text.strip_suffix(".0").unwrap_or(&text);
    let (sign, digits) = match text.strip_prefix('-') {
        Some(rest) if rest.chars().any(|c| c.is_ascii_digit() && c != '0') => ("-", rest),
        Some(rest) => ("", rest),
        None => ("", text),
    };
    let (int, frac) = match digits.split_once('.') {
        Some((int, frac)) => (int, Some(frac)),
        None => (digits, None),
    };
    let mut out = String::from(sign);
    if int.len() > 4 {
        for (i, c) in int.chars().enumerate() {
            if i > 0 && (int.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
    } else {
        out.push_str(int);
    }
    if let Some(frac) = frac {
        out.push('.');
        out.push_str(frac);
    }
    out
}

/// A coordinate: at most two decimals, no trailing zeros, 0 for anything not finite.
pub(super) fn coord(v: f64) -> String {
    if !v.is_finite() {
        return "0".to_string();
    }
    let text = format!("{v:.2}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    match text {
        "-0" | "" => "0".to_string(),
        t => t.to_string(),
    }
}
