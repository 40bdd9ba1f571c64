//! The desk's static files, compiled into the binary: one stylesheet, one script, and the
//! two fonts (Noto Naskh Arabic and Noto Sans, SIL Open Font License, `assets/fonts/OFL.txt`).
//! Nothing is fetched from elsewhere at run time.

use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::domain::Registry;

/// The files: name, media type, bytes.
const FILES: &[(&str, &str, &[u8])] = &[
    (
        "desk.css",
        "text/css; charset=utf-8",
        include_bytes!("../../assets/desk.css"),
    ),
    (
        "desk.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/desk.js"),
    ),
    (
        "NotoNaskhArabic-Regular.ttf",
        "font/ttf",
        include_bytes!("../../assets/fonts/NotoNaskhArabic-Regular.ttf"),
    ),
    (
        "NotoSans-Regular.ttf",
        "font/ttf",
        include_bytes!("../../assets/fonts/NotoSans-Regular.ttf"),
    ),
    (
        "OFL.txt",
        "text/plain; charset=utf-8",
        include_bytes!("../../assets/fonts/OFL.txt"),
    ),
];

/// Routes under `/desk`.
pub fn router() -> Router<Registry> {
    Router::new().route("/assets/{name}", get(asset))
}

/// `GET /desk/assets/{name}`: cached for a day (they change only with the binary).
async fn asset(Path(name): Path<String>) -> Response {
    match FILES.iter().find(|(n, _, _)| *n == name) {
        Some((_, media, bytes)) => (
            [
                (header::CONTENT_TYPE, *media),
                (header::CACHE_CONTROL, "public, max-age=86400"),
            ],
            *bytes,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stylesheet_uses_logical_properties_only() {
        let css = std::str::from_utf8(FILES[0].2).unwrap();
        for physical in [
            "margin-left",
            "margin-right",
            "padding-left",
            "padding-right",
            "text-align: left",
            "text-align: right",
            "float:",
            " left:",
            " right:",
            "border-left",
            "border-right",
        ] {
            assert!(!css.contains(physical), "desk.css uses {physical}");
        }
    }

    #[test]
    fn the_script_never_writes_html() {
        let js = std::str::from_utf8(FILES[1].2).unwrap();
        for sink in [
            "innerHTML",
            "outerHTML",
            "insertAdjacentHTML",
            "document.write",
            "eval(",
        ] {
            assert!(!js.contains(sink), "desk.js uses {sink}");
        }
    }
}
