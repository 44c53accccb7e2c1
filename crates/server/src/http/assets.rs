//! Static files, embedded in the binary at build time: nothing is fetched at run time.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

const FILES: &[(&str, &str, &[u8])] = &[
    ("app.css", "text/css", include_bytes!("../../assets/app.css")),
    ("app.js", "text/javascript", include_bytes!("../../assets/app.js")),
    (
        "htmx.min.js",
        "text/javascript",
        include_bytes!("../../assets/vendor/htmx-2.0.11.min.js"),
    ),
    (
        "echarts.min.js",
        "text/javascript",
        include_bytes!("../../assets/vendor/echarts-5.6.0.min.js"),
    ),
];

pub(crate) async fn serve(Path(name): Path<String>) -> Response {
    match FILES.iter().find(|(n, _, _)| *n == name) {
        Some((_, mime, bytes)) => (
            [
                (header::CONTENT_TYPE, *mime),
                (header::CACHE_CONTROL, "public, max-age=3600"),
            ],
            *bytes,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
