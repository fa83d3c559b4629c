//! Minutes Markdown that is safe to render with any CommonMark renderer: raw
//! HTML (`<script>`, `<img onerror>`, an HTML comment) is written so that it
//! reads as text, and a link, image or autolink whose address is not a web or
//! mail address (`javascript:`, `data:`) is written as the text it was typed
//! as. Everything else in the minutes text keeps its Markdown formatting.
//!
//! The source is parsed as a renderer would parse it, and only the spans the
//! parser reads as HTML or as an unsafe link are changed: a `<` there becomes
//! `&lt;`, and the `[` that opens such a link becomes `\[`. Undoing one
//! construct can let the parser read the lines after it differently (text
//! inside an HTML block can become a link), so the pass repeats until the
//! parse finds nothing left to change.

use std::collections::BTreeSet;

use pulldown_cmark::{Event, Options, Parser, Tag};

/// How many passes before giving up on precision (never reached by real
/// minutes): then every `<` and `[` is escaped.
const MAX_PASSES: usize = 8;

/// The options the service renders with; the escaping must hold under them.
pub fn options() -> Options {
    Options::ENABLE_TABLES
}

/// Whether a link or image may point there: web and mail addresses, and
/// addresses with no scheme at all (relative paths, fragments).
pub fn is_safe_url(url: &str) -> bool {
    let lower = url.trim().to_ascii_lowercase();
    !lower.contains(':')
        || ["http://", "https://", "mailto:"]
            .iter()
            .any(|scheme| lower.starts_with(scheme))
}

/// The Markdown with raw HTML and unsafe links turned into text.
pub fn neutralise(source: &str) -> String {
    let mut text = source.to_owned();
    for _ in 0..MAX_PASSES {
        let (angles, brackets) = unsafe_spans(&text);
        if angles.is_empty() && brackets.is_empty() {
            return text;
        }
        text = rewrite(&text, |i, c| {
            (c == '<' && angles.contains(&i)) || (c == '[' && brackets.contains(&i))
        });
    }
    rewrite(&text, |_, c| c == '<' || c == '[')
}

/// Byte offsets of the `<` to write as `&lt;` and of the `[` to escape.
fn unsafe_spans(text: &str) -> (BTreeSet<usize>, BTreeSet<usize>) {
    let mut angles = BTreeSet::new();
    let mut brackets = BTreeSet::new();
    let mut angles_in = |range: std::ops::Range<usize>| {
        angles.extend(
            text[range.clone()]
                .match_indices('<')
                .map(|(i, _)| range.start + i),
        );
    };
    for (event, range) in Parser::new_ext(text, options()).into_offset_iter() {
        match event {
            Event::Html(_) | Event::InlineHtml(_) => angles_in(range),
            Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. })
                if !is_safe_url(&dest_url) =>
            {
                let span = &text[range.clone()];
                if span.starts_with('<') {
                    // An autolink: `<javascript:alert(1)>`.
                    angles_in(range);
                } else if let Some(i) = span.find('[') {
                    brackets.insert(range.start + i);
                }
            }
            _ => {}
        }
    }
    (angles, brackets)
}

/// The text with each `<` chosen written as `&lt;` and each `[` chosen as `\[`.
fn rewrite(text: &str, chosen: impl Fn(usize, char) -> bool) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for (i, c) in text.char_indices() {
        match c {
            '<' if chosen(i, c) => out.push_str("&lt;"),
            '[' if chosen(i, c) => out.push_str("\\["),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a renderer that passes HTML through (as CommonMark's reference
    /// renderer does) makes of the text. Text is escaped there, so a real tag
    /// is the only way for `<` to appear.
    fn rendered(markdown: &str) -> String {
        let mut html = String::new();
        pulldown_cmark::html::push_html(&mut html, Parser::new_ext(markdown, options()));
        html
    }

    fn assert_inert(source: &str) {
        let safe = neutralise(source);
        let html = rendered(&safe);
        let lower = html.to_ascii_lowercase();
        for bad in [
            "<script",
            "<img src=x",
            "<iframe",
            "<div",
            "<pre",
            "<!--",
            "<a href=\"javascript",
            "<a href=\"data",
            "<img src=\"javascript",
        ] {
            assert!(!lower.contains(bad), "{source:?} -> {safe:?} -> {html}");
        }
    }

    #[test]
    fn raw_html_reads_as_text() {
        let source =
            "Noted.\n\n<script>alert(1)</script>\n\nSee <img src=x onerror=alert(1)> here.";
        let safe = neutralise(source);
        assert_eq!(
            safe,
            "Noted.\n\n&lt;script>alert(1)&lt;/script>\n\nSee &lt;img src=x onerror=alert(1)> here."
        );
        // Shown to the reader exactly as written.
        assert!(rendered(&safe).contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert_inert(source);
    }

    #[test]
    fn markdown_formatting_is_kept() {
        for source in [
            "2.1 **Action - CB to ask Liz Elgar** to present.\n\n- Neglect\n- Early Help",
            "Compare `a < b` and `<b>` in code, see <https://example.org> and [the plan](https://example.org/plan).",
            "| No | Action |\n| --- | --- |\n| 1 | [x](/v1/actions) |",
            "5 < 6 and 7 > 3",
        ] {
            assert_eq!(neutralise(source), source);
        }
    }

    #[test]
    fn unsafe_links_read_as_text() {
        assert_eq!(
            neutralise("[click](javascript:alert(1)) ![x](JavaScript:alert(1))"),
            "\\[click](javascript:alert(1)) !\\[x](JavaScript:alert(1))"
        );
        assert_eq!(
            neutralise("<javascript:alert(1)>"),
            "&lt;javascript:alert(1)>"
        );
        for source in [
            "[click][evil]\n\n[evil]: javascript:alert(1)",
            "[evil]\n\n[evil]: javascript:alert(1)",
            "[![img](https://example.org/a.png)](javascript:alert(1))",
            "[a](data:text/html;base64,PHNjcmlwdD4=)",
        ] {
            assert_inert(source);
        }
    }

    #[test]
    fn html_blocks_that_hide_markdown_are_undone_to_the_end() {
        for source in [
            "<div>\n[x](javascript:alert(1))\n</div>",
            "<!-- a comment\n\n<script>alert(1)</script>\n-->",
            "<pre>\n\n<img src=x onerror=alert(1)>\n</pre>",
            "| a |\n| - |\n| <img src=x onerror=alert(1)> |",
            "> <script>alert(1)</script>",
            "- <iframe src=https://evil.example></iframe>",
            "<scr<script>ipt>alert(1)</script>",
            "<a href=\"javascript:alert(1)\">x</a>",
        ] {
            assert_inert(source);
        }
    }

    #[test]
    fn web_and_mail_addresses_are_safe() {
        assert!(!is_safe_url("javascript:alert(1)"));
        assert!(!is_safe_url(" JavaScript:alert(1)"));
        assert!(!is_safe_url("data:text/html,x"));
        assert!(is_safe_url("https://example.org"));
        assert!(is_safe_url("mailto:pg@example.org"));
        assert!(is_safe_url("/v1/meetings"));
    }
}
