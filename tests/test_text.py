"""User Markdown cannot inject scripts, styles, event handlers or htmx attributes."""
import pytest

from portal.text import render_markdown

XSS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<a href=\"javascript:alert(1)\">klick</a>",
    "[klick](javascript:alert(1))",
    "[klick](JaVaScRiPt:alert(1))",
    "[klick](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "<div hx-get=\"/admin/users\" hx-trigger=\"load\">x</div>",
    "<p hx-post=\"/logout\" hx-trigger=\"load\">x</p>",
    "<style>body{display:none}</style>",
    "<p style=\"position:fixed;top:0\">x</p>",
    "<iframe src=\"https://evil.example\"></iframe>",
    "<svg onload=alert(1)>",
    "<math><mi xlink:href=\"javascript:alert(1)\">x</mi></math>",
    "<form action=\"/logout\" method=post><button>x</button></form>",
    "<input autofocus onfocus=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<a href=\"https://example.org\" onclick=\"alert(1)\">x</a>",
    "<<script>script>alert(1)<</script>/script>",
    "<object data=\"x.swf\"></object>",
    "<base href=\"https://evil.example/\">",
    "<meta http-equiv=\"refresh\" content=\"0;url=https://evil.example\">",
    "<link rel=stylesheet href=https://evil.example/x.css>",
    "![bild](https://evil.example/track.png)",
    "<a href=\"/x\" data-hx-get=\"/admin\">x</a>",
]
FORBIDDEN = ["<script", "onerror", "onload", "onclick", "onfocus", "ontoggle", "javascript:", "hx-", "<style",
             "style=", "<iframe", "<svg", "<math", "<form", "<input", "<object", "<base", "<meta", "<link", "<img",
             "data:text"]


@pytest.mark.parametrize("payload", XSS)
def test_payload_is_neutralised(payload):
    html = str(render_markdown(payload)).lower()
    for needle in FORBIDDEN:
        assert needle not in html, f"{needle!r} survived in {html!r}"


def test_ordinary_markdown_still_works():
    html = str(render_markdown("# Familiencafé\n\n**Freitag** um 15 Uhr\n\n- Kuchen\n- Kaffee\n\n[Mehr](https://example.org)"))
    assert "<h3>Familiencafé</h3>" in html
    assert "<strong>Freitag</strong>" in html
    assert "<li>Kuchen</li>" in html
    assert 'href="https://example.org"' in html and 'rel="noopener noreferrer nofollow"' in html
