//! Meeting notes are Markdown; shown as HTML only after a well-kept parser (pulldown-cmark)
//! and sanitiser (ammonia): whatever a note holds, no script, style, event handler or
//! `javascript:` link reaches the page.

use pulldown_cmark::{Options, Parser, html};

/// Safe HTML for `markdown`.
pub(crate) fn render(markdown: &str) -> String {
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    options.insert(Options::ENABLE_STRIKETHROUGH);
    options.insert(Options::ENABLE_TASKLISTS);
    let mut unsafe_html = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut unsafe_html, Parser::new_ext(markdown, options));
    ammonia::Builder::default()
        .link_rel(Some("noopener noreferrer nofollow"))
        .clean(&unsafe_html)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::render;

    #[test]
    fn markdown_becomes_html() {
        let html = render("## Agenda\n\n- **Renewal** terms\n- [deck](https://example.com/deck)");
        assert!(html.contains("<h2>Agenda</h2>"), "{html}");
        assert!(html.contains("<strong>Renewal</strong>"), "{html}");
        assert!(html.contains(r#"href="https://example.com/deck""#), "{html}");
        assert!(html.contains("noopener"), "{html}");
    }

    #[test]
    fn scripts_handlers_and_javascript_links_are_removed() {
        let html = render(
            "<script>alert(1)</script><img src=x onerror=alert(2)> <a href=\"javascript:alert(4)\">y</a>\n\n[x](javascript:alert(3))",
        );
        for bad in ["<script", "onerror", "href=\"javascript", "alert(1)"] {
            assert!(!html.contains(bad), "{bad} survived in {html}");
        }
    }
}
