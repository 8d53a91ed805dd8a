"""HTML articles to the Markdown the parser reads: headings to ``#``, list items to ``-`` / ``1.``,
paragraphs to blank-line separated text. Scripts, styles and tags it does not know are dropped;
broken HTML (unclosed or stray tags) still gives its text (the standard library's tolerant parser)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

_BLOCKS = {"p", "div", "section", "article", "br", "tr", "table", "ul", "ol", "blockquote", "pre", "dt", "dd"}
_SKIP = {"script", "style", "head", "noscript", "template"}


class _ToMarkdown(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.lists: list[list] = []  # per open list: [ordered, counter]
        self.skip = 0
        self.title = ""
        self._in_title = False

    def _newline(self, blank: bool = True) -> None:
        self.out.append("\n\n" if blank else "\n")

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in _SKIP:
            self.skip += 1
            if tag == "head":
                self.skip -= 1  # the <title> inside <head> is read; other head content has no text
        if tag == "title":
            self._in_title = True
        elif re.fullmatch(r"h[1-6]", tag):
            self._newline()
            self.out.append("#" * int(tag[1]) + " ")
        elif tag in ("ul", "ol"):
            self.lists.append([tag == "ol", 0])
            self._newline(False)
        elif tag == "li":
            self._newline(False)
            if self.lists and self.lists[-1][0]:
                self.lists[-1][1] += 1
                self.out.append(f"{self.lists[-1][1]}. ")
            else:
                self.out.append("- ")
        elif tag in ("strong", "b"):
            self.out.append("**")
        elif tag == "code":
            self.out.append("`")
        elif tag in _BLOCKS:
            self._newline(tag != "br")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP and tag != "head":
            self.skip = max(0, self.skip - 1)
        if tag == "title":
            self._in_title = False
        elif re.fullmatch(r"h[1-6]", tag) or tag in ("p", "div", "section", "article", "table", "blockquote"):
            self._newline()
        elif tag in ("ul", "ol"):
            if self.lists:
                self.lists.pop()
            self._newline()
        elif tag in ("strong", "b"):
            self.out.append("**")
        elif tag == "code":
            self.out.append("`")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
            return
        if self.skip:
            return
        self.out.append(re.sub(r"\s+", " ", data))


def html_to_markdown(text: str) -> tuple[str, str]:
    """``(markdown, <title> text)`` of an HTML document."""
    parser = _ToMarkdown()
    try:
        parser.feed(text)
        parser.close()
    except Exception:  # noqa: BLE001 - html.parser is tolerant; keep whatever text was read
        pass
    markdown = "".join(parser.out)
    lines = [line.strip() for line in markdown.splitlines()]
    markdown = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    markdown = re.sub(r"\*\*\s*\*\*", "", markdown)
    return markdown, " ".join(parser.title.split())
