//! Writing the SVG: escaping, shortened labels, and a writer that takes coordinates in
//! reading order (x grows from where a line of text starts) and mirrors them for right to
//! left, so each chart is laid out once for both directions.

use std::hash::{DefaultHasher, Hash, Hasher};

use super::axis::coord;
use super::{Direction, Labels};

/// The width of every chart's view box.
pub(super) const WIDTH: f64 = 640.0;
/// The colour of text.
pub(super) const INK: &str = "#222222";

/// Where a text sits against its x, in reading order: `Start` puts the text's first letter at
/// x (it runs on from there in the reading direction), `End` its last letter.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) enum Anchor {
    /// The text starts at x.
    #[default]
    Start,
    /// The text is centred on x.
    Middle,
    /// The text ends at x.
    End,
}

/// One text element; x is in reading order.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Text<'a> {
    /// The `class` attribute.
    pub class: &'a str,
    /// Position (x in reading order).
    pub x: f64,
    /// Baseline (the text is centred on it vertically when `middle` is set).
    pub y: f64,
    /// Alignment against x.
    pub anchor: Anchor,
    /// Font size in view-box units.
    pub size: u32,
    /// Longer texts are cut with "…", the full text kept in a `<title>` child (0: never).
    pub max: usize,
    /// Rotation in degrees, in reading order (mirrored for right to left).
    pub rotate: f64,
    /// Centre the text vertically on y.
    pub middle: bool,
    /// Bold.
    pub bold: bool,
}

/// Escapes `s` for XML text and attribute values, dropping characters XML 1.0 forbids.
pub(super) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(' '),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// `s` cut to `max` characters with a final "…" (None when it fits or `max` is 0).
pub(super) fn shorten(s: &str, max: usize) -> Option<String> {
    if max == 0 || s.chars().count() <= max {
        return None;
    }
    let head: String = s.chars().take(max.saturating_sub(1)).collect();
    Some(format!("{}…", head.trim_end()))
}

/// An SVG being written: the body grows with each shape, the root element is added by
/// [`Svg::finish`] once the height is known.
#[derive(Debug)]
pub(super) struct Svg {
    body: String,
    kind: &'static str,
    id: String,
    title: String,
    desc: String,
    rtl: bool,
}

impl Svg {
    /// A chart of `kind` with its accessible title and description, and the title drawn at
    /// the top. Its element ids come from a hash of all it shows.
    pub fn new(kind: &'static str, labels: &Labels, dir: Direction, desc: &str) -> Svg {
        let mut hasher = DefaultHasher::new();
        (kind, labels.title, labels.unit, labels.suppressed, desc).hash(&mut hasher);
        let mut svg = Svg {
            body: String::new(),
            kind,
            id: format!("chart-{kind}-{:08x}", hasher.finish() & 0xffff_ffff),
            title: escape(labels.title),
            desc: escape(desc),
            rtl: dir == Direction::Rtl,
        };
        let title = Text {
            class: "chart-title",
            x: 16.0,
            y: 24.0,
            size: 15,
            max: 80,
            bold: true,
            ..Text::default()
        };
        svg.text(&title, labels.title);
        svg
    }

    /// The whole element, `height` high.
    pub fn finish(self, height: f64) -> String {
        let Svg {
            body,
            kind,
            id,
            title,
            desc,
            ..
        } = self;
        format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart chart-{kind}\" \
             viewBox=\"0 0 {} {}\" role=\"img\" aria-labelledby=\"{id}-t\" \
             aria-describedby=\"{id}-d\"><title id=\"{id}-t\">{title}</title>\
             <desc id=\"{id}-d\">{desc}</desc>{body}</svg>",
            coord(WIDTH),
            coord(height.ceil())
        )
    }

    /// x (in reading order) on the page.
    fn x(&self, x: f64) -> f64 {
        if self.rtl {
            WIDTH - x
        } else {
            x
        }
    }

    /// A rectangle `(x, y, width, height)`, x of its reading-order start; `paint` holds its
    /// fill and stroke attributes, `tip` a tooltip.
    pub fn rect(
        &mut self,
        class: &str,
        (x, y, w, h): (f64, f64, f64, f64),
        paint: &str,
        tip: Option<&str>,
    ) {
        let w = w.max(0.0);
        let left = if self.rtl { WIDTH - x - w } else { x };
        self.body.push_str(&format!(
            "<rect class=\"{class}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" {paint}",
            coord(left),
            coord(y),
            coord(w),
            coord(h.max(0.0))
        ));
        self.close(tip, "rect");
    }

    /// A line from `(x1, y1)` to `(x2, y2)`.
    pub fn line(&mut self, class: &str, (x1, y1): (f64, f64), (x2, y2): (f64, f64), stroke: &str) {
        self.body.push_str(&format!(
            "<line class=\"{class}\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{stroke}\" stroke-width=\"1\"/>",
            coord(self.x(x1)),
            coord(y1),
            coord(self.x(x2)),
            coord(y2)
        ));
    }

    /// A polyline through `points`.
    pub fn polyline(&mut self, class: &str, points: &[(f64, f64)], stroke: &str) {
        let points: Vec<String> = points
            .iter()
            .map(|&(x, y)| format!("{},{}", coord(self.x(x)), coord(y)))
            .collect();
        self.body.push_str(&format!(
            "<polyline class=\"{class}\" points=\"{}\" fill=\"none\" stroke=\"{stroke}\" stroke-width=\"2\" stroke-linejoin=\"round\"/>",
            points.join(" ")
        ));
    }

    /// A circle of radius `r` at `(x, y)`.
    pub fn circle(
        &mut self,
        class: &str,
        (x, y): (f64, f64),
        r: f64,
        paint: &str,
        tip: Option<&str>,
    ) {
        self.body.push_str(&format!(
            "<circle class=\"{class}\" cx=\"{}\" cy=\"{}\" r=\"{}\" {paint}",
            coord(self.x(x)),
            coord(y),
            coord(r)
        ));
        self.close(tip, "circle");
    }

    /// A text element holding `content` (escaped, shortened to `t.max` characters).
    pub fn text(&mut self, t: &Text, content: &str) {
        let x = coord(self.x(t.x));
        let anchor = match t.anchor {
            Anchor::Start => "start",
            Anchor::Middle => "middle",
            Anchor::End => "end",
        };
        let size = if t.size == 0 { 11 } else { t.size };
        let mut element = format!(
            "<text class=\"{}\" x=\"{x}\" y=\"{}\" text-anchor=\"{anchor}\" font-size=\"{size}\" fill=\"{INK}\"",
            t.class,
            coord(t.y)
        );
        if self.rtl {
            element.push_str(" direction=\"rtl\"");
        }
        if t.middle {
            element.push_str(" dy=\"0.35em\"");
        }
        if t.bold {
            element.push_str(" font-weight=\"bold\"");
        }
        if t.rotate != 0.0 {
            let angle = if self.rtl { -t.rotate } else { t.rotate };
            element.push_str(&format!(
                " transform=\"rotate({} {x} {})\"",
                coord(angle),
                coord(t.y)
            ));
        }
        element.push('>');
        match shorten(content, t.max) {
            Some(short) => element.push_str(&format!(
                "<title>{}</title>{}",
                escape(content),
                escape(&short)
            )),
            None => element.push_str(&escape(content)),
        }
        element.push_str("</text>");
        self.body.push_str(&element);
    }

    /// Ends an element opened without its `>`, with a `<title>` child when there is a tip.
    fn close(&mut self, tip: Option<&str>, name: &str) {
        match tip {
            Some(tip) => self
                .body
                .push_str(&format!("><title>{}</title></{name}>", escape(tip))),
            None => self.body.push_str("/>"),
        }
    }
}
