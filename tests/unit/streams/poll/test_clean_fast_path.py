"""clean_and_sanitize must equal (clean_text, sanitize_html) on every input, fast path or not."""

from __future__ import annotations

import random

import pytest

from streams.poll.clean import clean_and_sanitize, clean_text, sanitize_html

BASE = "https://news.example/live/"
# Each case once broke a looser guard: stray or implied end tags, </br>, tags inside quoted
# attributes, Unicode spaces in tag names, control characters that sanitizing removes first.
TRICKY = [
    '<p>L’accord de <strong>défense</strong> &amp; la <a href="/x">Russie</a></p><p>Lavrov</p>',
    "x</h3>>&nbsp;</em><b>",
    "<p>a<pre>b</pre>",
    "one</br>two",
    "<figure>&#39;</pre>&bogus;&eacute;</b></pre></figure>&lt;</li>",
    '<img src="/i.jpg" alt="q<>&quot;"><p>t</p>',
    '<a title="a>b<p>">link</a> after',
    '<a href="/x" title="x &lt;p&gt; y">lien</a><P>z</P><BR>w',
    "<p\u00a0&<img src=/i.jpg>&amp;</p>",
    "<q></b>&copy<\x01\x01x",
    "<table><td>cell</td></table>text",
    "<svg><p>inside</p></svg>outside",
    "<!-- <p>comment</p> -->visible<br/>next",
    "<script>alert(1)</script><p>kept</p>",
    "plain text, no markup",
]
_PIECES = [
    "<p>", "</p>", "<br>", "</br>", "<br/>", "<a href=\"x\">", "</a>", "<b>", "</b>", "<li>",
    "</li>", "<ul>", "</ul>", "<pre>", "</pre>", "<h2>", "</h3>", "<figure>", "</figure>",
    "&amp;", "&lt;", "&nbsp;", "&copy", "&bogus;", "<", ">", "\"", "word ", " ", "\n", "\x01",
    "\u00a0", "é", "<P>", "<div>", "</div>", "<span>", "<img alt='>'>",
]  # fmt: skip


def _random_fragments(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choices(_PIECES, k=rng.randint(1, 25))) for _ in range(count)]


@pytest.mark.parametrize("fragment", TRICKY)
def test_tricky_fragments_give_the_two_pass_results(fragment: str) -> None:
    assert clean_and_sanitize(fragment, BASE) == (
        clean_text(fragment),
        sanitize_html(fragment, BASE),
    )


def test_random_fragments_give_the_two_pass_results() -> None:
    for fragment in _random_fragments(3000, seed=20241204):
        expected = (clean_text(fragment), sanitize_html(fragment, BASE))
        assert clean_and_sanitize(fragment, BASE) == expected, repr(fragment)
