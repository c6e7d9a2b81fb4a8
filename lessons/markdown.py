"""Lesson Markdown → sanitized HTML. Rendered once when a lesson is saved, never per request."""

import markdown as md
import nh3

_EXTENSIONS = ["extra", "sane_lists", "smarty"]

# What lesson bodies may contain after rendering; everything else is stripped. nh3 (ammonia)
# removes scripts, styles, event-handler attributes and URLs outside ``_URL_SCHEMES``.
_TAGS = {
    "a", "abbr", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em", "h1", "h2", "h3",
    "h4", "h5", "h6", "hr", "img", "ins", "kbd", "li", "ol", "p", "pre", "s", "span", "strong", "sub",
    "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul", "figure", "figcaption", "mark",
}  # fmt: skip
_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"align", "colspan", "rowspan"},
    "th": {"align", "colspan", "rowspan", "scope"},
    "ol": {"start"},
    "code": {"class"},
    "div": {"class"},
    "span": {"class"},
    "sup": {"id"},
    "li": {"id"},
}
_URL_SCHEMES = {"http", "https", "mailto"}


def sanitize_html(html: str) -> str:
    return nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes=_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def render_markdown(text: str) -> str:
    """Render Markdown and sanitize the result (raw HTML in the source is sanitized too)."""
    return sanitize_html(md.markdown(text or "", extensions=_EXTENSIONS, output_format="html"))


def word_count(text: str) -> int:
    return len((text or "").split())


def estimate_minutes(text: str, *, words_per_minute: int = 200) -> int:
    return max(1, min(600, round(word_count(text) / words_per_minute) or 1))
