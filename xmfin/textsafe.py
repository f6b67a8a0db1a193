"""Data text made safe where it is shown: on a terminal, and inside XML, SVG and HTML.

Names, notes and keys come from data files that anyone can write. On a terminal, an ESC sequence in a name can
erase lines, recolour the screen or plant a fake hyperlink (OSC 8), and a bidirectional override (U+202E) can
make `evil.exe` read as `exe.live`. In XML, a control character makes the file unreadable. Every human output
passes data text through `terminal_text`; every text written into SVG, HTML or XML passes through `xml_text`
(by `safe_tree` for documents built as an ElementTree, by `xml_escape` for XML written by hand).

This module imports nothing heavy: the renderer, the CLI's error messages and the writers all use it.
"""

from __future__ import annotations

import re
from typing import Any, TypeVar

Element = TypeVar("Element")

# Bidirectional formatting characters: embeddings and overrides (U+202A-U+202E), isolates (U+2066-U+2069),
# the left-to-right, right-to-left and Arabic letter marks. They reorder what is shown around them.
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
# What a terminal must never receive raw: C0 controls (ESC among them), DEL, C1 controls (CSI, OSC, NEL), the
# line and paragraph separators, bidirectional controls, and lone surrogates (which cannot even be encoded).
_NOT_FOR_TERMINAL = re.compile(f"[\x00-\x1f\x7f-\x9f\u2028\u2029{_BIDI}\ud800-\udfff]")
_SHORT = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}
# What XML 1.0 cannot hold at all, not even as a character reference: C0 controls other than tab, line feed and
# carriage return, surrogates, U+FFFE and U+FFFF.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_BIDI_CONTROL = re.compile(f"[{_BIDI}]")
_XML_ESCAPES = {
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
    '"': "&quot;",
    "'": "&#39;",
    # As references, an XML reader keeps them; raw, it turns a carriage return into a line feed, and in an
    # attribute all three into spaces.
    "\t": "&#9;",
    "\n": "&#10;",
    "\r": "&#13;",
}
_MARKUP = re.compile("[&<>\"'\t\n\r]")


def _shown(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    return _SHORT.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def terminal_text(text: str) -> str:
    """text with every control character and bidirectional control shown escaped (`\\x1b`, `\\u202e`, `\\n`).

    The rest is kept as it is (Chinese included); a backslash already in the text is not doubled, so the result
    is for reading, not for parsing back.
    """
    # Every character it changes is unprintable (Cc, Cf, Cs, Zl, Zp): most texts need no look further.
    return text if text.isprintable() else _NOT_FOR_TERMINAL.sub(_shown, text)


def xml_text(text: str, *, display: bool = True) -> str:
    """text that XML 1.0 can hold: each character it cannot hold replaced by U+FFFD.

    With display (SVG and HTML, which people read), bidirectional controls are shown escaped as on a terminal
    (`\\u202e`), so that they cannot reorder what is shown; without it (GraphML, GEXF: data for other tools),
    they are kept, as the JSON output keeps them.
    """
    if text.isprintable():  # every character changed below is unprintable (Cc, Cf, Cs, Cn)
        return text
    text = _NOT_XML.sub("\ufffd", text)
    return _BIDI_CONTROL.sub(_shown, text) if display else text


def xml_escape(text: str, *, display: bool = True) -> str:
    """`xml_text`, with `& < > " '` and tab, line feed, carriage return as references: safe as XML element text
    or as a quoted attribute value, for XML written by hand."""
    return _MARKUP.sub(lambda match: _XML_ESCAPES[match.group()], xml_text(text, display=display))


def safe_tree(element: Element, *, display: bool = True) -> Element:
    """element (an ElementTree element) with `xml_text` applied to every text, tail, attribute name and value
    below it, in place; returned for chaining. ElementTree's serialiser then escapes the markup characters."""
    tree: Any = element
    for node in tree.iter():
        if node.text:
            node.text = xml_text(node.text, display=display)
        if node.tail:
            node.tail = xml_text(node.tail, display=display)
        if node.attrib:
            cleaned = {xml_text(k, display=display): xml_text(v, display=display) for k, v in node.attrib.items()}
            node.attrib.clear()
            node.attrib.update(cleaned)
    return element
