use roxmltree::{Document, Node};

use super::axis::{coord, number, Scale};
use super::svg::WIDTH;
use super::*;

const TITLE: &str = "A <&> \"q\" 'x' — معدل الإصابة بالسرطان";
const LABELS: Labels = Labels {
    title: TITLE,
    unit: "لكل 100,000 & more",
    suppressed: "<5",
};
const BOTH: [Direction; 2] = [Direction::Ltr, Direction::Rtl];

fn shown(values: &[f64]) -> Vec<Value> {
    values.iter().map(|&v| Value::Shown(v)).collect()
}

fn series<'a>(name: &'a str, values: Vec<Value>) -> Series<'a> {
    Series { name, values }
}

/// Parses `svg` and checks what every chart must be.
fn parse(svg: &str) -> Document<'_> {
    let doc = Document::parse(svg).unwrap_or_else(|e| panic!("{e}: {svg}"));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(
        root.tag_name().namespace(),
        Some("http://www.w3.org/2000/svg")
    );
    assert_eq!(root.attribute("role"), Some("img"));
    let title = root.first_element_child().unwrap();
    assert_eq!(title.tag_name().name(), "title");
    assert_eq!(root.attribute("aria-labelledby"), title.attribute("id"));
    let desc = root.children().find(|n| n.has_tag_name("desc")).unwrap();
    assert_eq!(root.attribute("aria-describedby"), desc.attribute("id"));
    let view_box: Vec<f64> = root
        .attribute("viewBox")
        .unwrap()
        .split(' ')
        .map(|v| v.parse().unwrap())
        .collect();
    assert!(view_box[3] > 0.0);
    for word in ["NaN", "inf"] {
        assert!(!svg.contains(word), "{word} in {svg}");
    }
    doc
}

fn title_of<'a>(doc: &'a Document) -> &'a str {
    doc.root_element()
        .first_element_child()
        .unwrap()
        .text()
        .unwrap()
}

fn class<'a, 'i>(doc: &'a Document<'i>, class: &str) -> Vec<Node<'a, 'i>> {
    doc.descendants()
        .filter(|n| n.attribute("class") == Some(class))
        .collect()
}

fn num(node: &Node, attr: &str) -> f64 {
    node.attribute(attr).unwrap().parse().unwrap()
}

/// The text a reader sees in a `<text>` (without its `<title>` child).
fn shown_text(node: &Node) -> String {
    node.children()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text())
        .collect()
}

fn texts(doc: &Document) -> Vec<String> {
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| shown_text(&n))
        .collect()
}

fn all_kinds(dir: Direction) -> Vec<String> {
    let cats = ["Lung & <bronchus>", "الثدي \"ducts\"", "Colon 'rectum'"];
    let two = [
        series("Males", shown(&[37.0, 0.0, 12.34])),
        series(
            "إناث",
            vec![Value::Suppressed, Value::Missing, Value::Shown(4.0)],
        ),
    ];
    vec![
        bars(&LABELS, &cats, &two, dir),
        lines(&LABELS, &cats, &two, dir),
        pyramid(&LABELS, &cats, &two[0], &two[1], dir),
        columns(&LABELS, &cats, &two[0], dir),
    ]
}

#[test]
fn every_kind_in_both_directions_is_well_formed_and_round_trips_its_texts() {
    for dir in BOTH {
        for (kind, svg) in all_kinds(dir).into_iter().enumerate() {
            let doc = parse(&svg);
            assert_eq!(title_of(&doc), TITLE);
            let texts = texts(&doc);
            assert!(texts.iter().any(|t| t == TITLE), "{texts:?}");
            for category in ["Lung & <bronchus>", "الثدي \"ducts\""] {
                let found = doc.descendants().any(|n| {
                    n.has_tag_name("text")
                        && (shown_text(&n) == category
                            || n.first_element_child().and_then(|t| t.text()) == Some(category))
                });
                assert!(found, "{category} in {svg}");
            }
            let desc = doc.descendants().find(|n| n.has_tag_name("desc")).unwrap();
            assert!(desc.text().unwrap().contains("Lung & <bronchus>"));
            // The column chart shows only the first series, which has no suppressed value.
            assert_eq!(desc.text().unwrap().contains("<5"), kind != 3);
            let rtl = doc
                .descendants()
                .filter(|n| n.has_tag_name("text"))
                .all(|n| n.attribute("direction") == Some("rtl"));
            let ltr = doc
                .descendants()
                .filter(|n| n.has_tag_name("text"))
                .all(|n| n.attribute("direction").is_none());
            assert!(if dir == Direction::Rtl { rtl } else { ltr });
            assert!(!svg.contains("style"), "no inline style under the CSP");
        }
    }
}

#[test]
fn bars_are_proportional_and_grow_from_the_reading_start() {
    for dir in BOTH {
        let s = [series("", shown(&[10.0, 37.0, 25.0]))];
        let svg = bars(&LABELS, &["a", "b", "c"], &s, dir);
        let doc = parse(&svg);
        let bars = class(&doc, "bar");
        assert_eq!(bars.len(), 3);
        let widths: Vec<f64> = bars.iter().map(|b| num(b, "width")).collect();
        let longest = widths.iter().cloned().fold(0.0, f64::max);
        assert_eq!(longest, widths[1], "the largest value has the longest bar");
        // Coordinates carry two decimals: the ratio holds within that rounding.
        assert!((widths[1] / widths[0] - 3.7).abs() < 0.01, "{widths:?}");
        assert!((widths[2] / widths[0] - 2.5).abs() < 0.01, "{widths:?}");
        // The axis runs 0..40: 37 takes 37/40 of the plot.
        let ticks: Vec<String> = class(&doc, "tick").iter().map(shown_text).collect();
        assert_eq!(ticks, ["0", "10", "20", "30", "40"]);
        let baseline = class(&doc, "baseline")[0];
        let edge = num(&baseline, "x1");
        for b in &bars {
            let (x, w) = (num(b, "x"), num(b, "width"));
            match dir {
                Direction::Ltr => assert!((x - edge).abs() < 0.011),
                Direction::Rtl => assert!((x + w - edge).abs() < 0.011, "{x}+{w} vs {edge}"),
            }
        }
        let grid: Vec<f64> = class(&doc, "grid").iter().map(|g| num(g, "x1")).collect();
        let far = grid.iter().map(|g| (g - edge).abs()).fold(0.0, f64::max);
        assert!((widths[1] / far - 37.0 / 40.0).abs() < 1e-3);
        // Category labels sit on the reading-start side of the plot.
        let label = class(&doc, "category")[0];
        match dir {
            Direction::Ltr => assert!(num(&label, "x") < edge),
            Direction::Rtl => assert!(num(&label, "x") > edge),
        }
        assert!(class(&doc, "legend").is_empty(), "one series: no legend");
    }
}

#[test]
fn suppressed_is_an_outlined_placeholder_and_missing_draws_nothing() {
    let s = [series(
        "",
        vec![Value::Suppressed, Value::Missing, Value::Shown(3.0)],
    )];
    for dir in BOTH {
        let doc_text = bars(&LABELS, &["a", "b", "c"], &s, dir);
        let doc = parse(&doc_text);
        assert_eq!(
            class(&doc, "bar").len(),
            1,
            "only the shown value is a filled bar"
        );
        let holders = class(&doc, "placeholder");
        assert_eq!(holders.len(), 1);
        assert_eq!(holders[0].attribute("fill"), Some("none"));
        assert!(holders[0].attribute("stroke-dasharray").is_some());
        let values: Vec<String> = class(&doc, "value").iter().map(shown_text).collect();
        assert_eq!(values, ["<5", "3"]);

        let column = columns(&LABELS, &["2019", "2020", "2021"], &s[0], dir);
        let doc = parse(&column);
        assert_eq!(class(&doc, "bar").len(), 1);
        assert_eq!(
            class(&doc, "placeholder")[0].attribute("fill"),
            Some("none")
        );
        assert!(class(&doc, "value").iter().any(|v| shown_text(v) == "<5"));
    }
}

#[test]
fn values_that_are_not_finite_are_missing() {
    let s = [series(
        "",
        shown(&[f64::NAN, f64::INFINITY, f64::NEG_INFINITY]),
    )];
    for dir in BOTH {
        for svg in [
            bars(&LABELS, &["a", "b", "c"], &s, dir),
            lines(&LABELS, &["a", "b", "c"], &s, dir),
            pyramid(&LABELS, &["a", "b", "c"], &s[0], &s[0], dir),
            columns(&LABELS, &["a", "b", "c"], &s[0], dir),
        ] {
            let doc = parse(&svg);
            assert!(class(&doc, "bar").is_empty() && class(&doc, "point").is_empty());
            assert_eq!(class(&doc, "empty").len(), 1, "nothing to show");
        }
    }
}

#[test]
fn a_missing_value_splits_the_line_and_the_axis_follows_the_reading_direction() {
    let ages = ["0-4", "5-9", "10-14", "15-19", "20-24"];
    let males = series(
        "Males",
        vec![
            Value::Shown(1.0),
            Value::Shown(2.0),
            Value::Missing,
            Value::Shown(4.0),
            Value::Shown(5.0),
        ],
    );
    let females = series("Females", shown(&[1.0, 1.5, 2.0]));
    for dir in BOTH {
        let svg = lines(&LABELS, &ages, &[males.clone(), females.clone()], dir);
        let doc = parse(&svg);
        let polylines = class(&doc, "line");
        assert_eq!(polylines.len(), 3, "males in two pieces, females in one");
        assert!(polylines
            .iter()
            .all(|p| p.attribute("points").unwrap().split(' ').count() >= 2));
        let males_lines: Vec<&Node> = polylines
            .iter()
            .filter(|p| p.attribute("stroke") == Some("#1f5f8b"))
            .collect();
        assert_eq!(males_lines.len(), 2);
        let first_x = |p: &Node| -> f64 {
            let points = p.attribute("points").unwrap();
            points.split([',', ' ']).next().unwrap().parse().unwrap()
        };
        let (young, old) = (first_x(males_lines[0]), first_x(males_lines[1]));
        match dir {
            Direction::Ltr => assert!(young < old, "0-4 at the left"),
            Direction::Rtl => assert!(young > old, "0-4 at the right"),
        }
        let legend: Vec<String> = class(&doc, "legend").iter().map(shown_text).collect();
        assert_eq!(legend, ["Males", "Females"]);
        assert_eq!(class(&doc, "point").len(), 7);
    }
}

#[test]
fn the_pyramid_puts_left_on_the_reading_start_side_and_the_young_at_the_bottom() {
    let groups = ["0-4", "5-9", "85+"];
    let males = series(
        "Males",
        vec![Value::Shown(500.0), Value::Suppressed, Value::Shown(20.0)],
    );
    let females = series("Females", shown(&[480.0, 300.0, 40.0]));
    for dir in BOTH {
        let svg = pyramid(&LABELS, &groups, &males, &females, dir);
        let doc = parse(&svg);
        let centre = WIDTH / 2.0;
        let bars = class(&doc, "bar");
        assert_eq!(bars.len(), 5);
        for b in &bars {
            let (x, w) = (num(b, "x"), num(b, "width"));
            let is_left_series = b.attribute("fill") == Some("#1f5f8b");
            let on_left = x + w <= centre;
            let on_right = x >= centre;
            assert!(on_left != on_right, "each bar on one side of the centre");
            assert_eq!(
                on_left,
                is_left_series == (dir == Direction::Ltr),
                "{dir:?}"
            );
        }
        let holder = class(&doc, "placeholder")[0];
        let on_left = num(&holder, "x") + num(&holder, "width") <= centre;
        assert_eq!(on_left, dir == Direction::Ltr, "the suppressed male value");
        let y_of = |label: &str| {
            let node = class(&doc, "category")
                .into_iter()
                .find(|n| shown_text(n) == label)
                .unwrap();
            num(&node, "y")
        };
        assert!(y_of("0-4") > y_of("85+"), "youngest at the bottom");
    }
}

#[test]
fn columns_run_in_the_reading_direction() {
    let years = ["2019", "2020", "2021"];
    let cases = series("", shown(&[120.0, 0.0, 360.0]));
    for dir in BOTH {
        let doc_text = columns(&LABELS, &years, &cases, dir);
        let doc = parse(&doc_text);
        let bars = class(&doc, "bar");
        assert_eq!(bars.len(), 3);
        assert_eq!(
            num(&bars[1], "height"),
            0.0,
            "a zero is a column of no height"
        );
        let ratio = num(&bars[2], "height") / num(&bars[0], "height");
        assert!((ratio - 3.0).abs() < 1e-3);
        match dir {
            Direction::Ltr => assert!(num(&bars[0], "x") < num(&bars[2], "x")),
            Direction::Rtl => assert!(num(&bars[0], "x") > num(&bars[2], "x")),
        }
    }
}

#[test]
fn nice_ticks() {
    assert_eq!(Scale::new(37.0, 5).ticks, [0.0, 10.0, 20.0, 30.0, 40.0]);
    assert_eq!(Scale::new(40.0, 5).ticks, [0.0, 10.0, 20.0, 30.0, 40.0]);
    assert_eq!(Scale::new(0.8, 5).ticks, [0.0, 0.2, 0.4, 0.6, 0.8]);
    assert_eq!(Scale::new(12.0, 5).ticks, [0.0, 2.5, 5.0, 7.5, 10.0, 12.5]);
    assert_eq!(Scale::new(1e9, 5).ticks.last(), Some(&1e9));
    assert_eq!(
        Scale::new(0.03, 5).ticks,
        [0.0, 0.1],
        "no step under one decimal"
    );
    for max in [0.0, -3.0, f64::NAN, f64::INFINITY] {
        let scale = Scale::new(max, 5);
        assert!(!scale.ticks.is_empty() && scale.top > 0.0);
        assert_eq!(scale.frac(0.0), 0.0);
    }
    for max in [0.001, 0.7, 3.0, 99.0, 101.0, 4321.0, 1e12, 1e300, f64::MAX] {
        let scale = Scale::new(max, 5);
        assert!(scale.ticks.len() >= 2 && scale.ticks.len() <= 12, "{max}");
        assert!(scale.top.is_finite() && scale.top >= max.min(1e15), "{max}");
        for t in &scale.ticks {
            let step = scale.ticks[1];
            let m = step / 10f64.powf(step.log10().floor());
            assert!(
                [1.0, 2.0, 2.5, 5.0].iter().any(|n| (n - m).abs() < 1e-9),
                "{max}: {step}"
            );
            assert!(!number(*t).contains('e'));
        }
    }
}

#[test]
fn numbers_have_one_decimal_at_most() {
    assert_eq!(number(12.34), "12.3");
    assert_eq!(number(12.36), "12.4");
    assert_eq!(number(40.0), "40");
    assert_eq!(number(0.0), "0");
    assert_eq!(number(-0.01), "0");
    assert_eq!(number(-2.5), "-2.5");
    assert_eq!(number(9999.0), "9999");
    assert_eq!(number(120_000.0), "120,000");
    assert_eq!(number(1e9), "1,000,000,000");
    assert_eq!(number(f64::NAN), "—");
    assert_eq!(coord(1.0 / 3.0), "0.33");
    assert_eq!(coord(100.0), "100");
    assert_eq!(coord(-0.001), "0");
    assert_eq!(coord(f64::INFINITY), "0");
}

#[test]
fn empty_inputs_are_well_formed() {
    let none = series("", Vec::new());
    let missing = series("", vec![Value::Missing; 3]);
    for dir in BOTH {
        for svg in [
            bars(&LABELS, &[], &[], dir),
            bars(&LABELS, &[], std::slice::from_ref(&none), dir),
            bars(
                &LABELS,
                &["a", "b", "c"],
                std::slice::from_ref(&missing),
                dir,
            ),
            lines(&LABELS, &[], &[], dir),
            lines(&LABELS, &["a"], std::slice::from_ref(&missing), dir),
            pyramid(&LABELS, &[], &none, &none, dir),
            pyramid(&LABELS, &["a", "b", "c"], &missing, &missing, dir),
            columns(&LABELS, &[], &none, dir),
            columns(&LABELS, &["a", "b", "c"], &missing, dir),
        ] {
            let doc = parse(&svg);
            assert_eq!(title_of(&doc), TITLE);
            assert_eq!(class(&doc, "empty").len(), 1, "{svg}");
            assert!(class(&doc, "bar").is_empty());
        }
    }
}

#[test]
fn odd_inputs_never_panic_and_stay_inside_the_plot() {
    let huge = series("huge", shown(&[1e9, 5e8, 1e300, -4.0, 0.0]));
    let short = series("short", shown(&[1.0]));
    let cats = ["a", "b", "c", "d", "e", "f"];
    let mut many = Vec::new();
    for i in 0..7 {
        many.push(series("s", shown(&[i as f64])));
    }
    for dir in BOTH {
        for svg in [
            bars(&LABELS, &cats, &[huge.clone(), short.clone()], dir),
            bars(&LABELS, &cats, &many, dir),
            lines(&LABELS, &cats, &[huge.clone(), short.clone()], dir),
            pyramid(&LABELS, &cats, &huge, &short, dir),
            columns(&LABELS, &cats, &huge, dir),
            columns(&LABELS, &["only"], &short, dir),
            lines(&LABELS, &["only"], std::slice::from_ref(&short), dir),
        ] {
            let doc = parse(&svg);
            for node in doc.descendants().filter(|n| n.has_tag_name("rect")) {
                let (x, w) = (num(&node, "x"), num(&node, "width"));
                assert!(x >= 0.0 && w >= 0.0 && x + w <= WIDTH + 1e-9, "{x} {w}");
            }
        }
    }
    let doc_text = bars(&LABELS, &cats, &[huge, short], Direction::Ltr);
    let doc = parse(&doc_text);
    // Series shorter than the categories: the rest is missing.
    let shorts = class(&doc, "bar")
        .into_iter()
        .filter(|b| b.attribute("fill") == Some("#c0504d"))
        .count();
    assert_eq!(shorts, 1);
}

#[test]
fn long_labels_are_cut_and_keep_their_full_text() {
    let long = "Trachea, bronchus and lung — القصبة الهوائية والشعب الهوائية والرئة";
    let s = [series("", shown(&[1.0]))];
    for dir in BOTH {
        let svg = bars(&LABELS, &[long], &s, dir);
        let doc = parse(&svg);
        let label = class(&doc, "category")[0];
        let visible = shown_text(&label);
        assert!(
            visible.ends_with('…') && visible.chars().count() <= 24,
            "{visible}"
        );
        assert!(long.starts_with(visible.trim_end_matches('…')));
        assert_eq!(label.first_element_child().unwrap().text(), Some(long));
    }
}

#[test]
fn characters_xml_forbids_are_dropped() {
    let labels = Labels {
        title: "bad\u{0}\u{1b}title\u{FFFF}",
        unit: "u",
        suppressed: "<5",
    };
    let svg = columns(
        &labels,
        &["x\u{7}"],
        &series("", shown(&[1.0])),
        Direction::Rtl,
    );
    let doc = parse(&svg);
    assert_eq!(title_of(&doc), "badtitle");
}

#[test]
fn ids_differ_between_charts() {
    let s = [series("", shown(&[1.0]))];
    let one = bars(&LABELS, &["a"], &s, Direction::Ltr);
    let other = Labels {
        title: "Other",
        ..LABELS
    };
    let two = bars(&other, &["a"], &s, Direction::Ltr);
    let three = columns(&LABELS, &["a"], &s[0], Direction::Ltr);
    let id = |svg: &str| {
        let doc = parse(svg);
        doc.root_element()
            .attribute("aria-labelledby")
            .unwrap()
            .to_string()
    };
    assert_ne!(id(&one), id(&two));
    assert_ne!(id(&one), id(&three));
    assert_eq!(
        id(&one),
        id(&bars(&LABELS, &["a"], &s, Direction::Ltr)),
        "deterministic"
    );
}
