"""Text people typed, made safe to show where Streamlit renders Markdown."""
from __future__ import annotations

import re

# Marks that format, link, load an image, start a directive (:red[…]), math ($…$) or HTML anywhere in a
# line; Markdown lets any ASCII punctuation be escaped with a backslash.
_ANYWHERE = re.compile(r"([\\`*_{}\[\]()<>~$:|#])")
# Marks that only matter at the start of a line: bullets (-, +), setext headings (=), numbered lists (1.).
_LINE_START = re.compile(r"(?m)^(\s*)([-+=]|\d+[.)])")
# Patterns Streamlit finds in the rendered text, after escapes are undone: icons and emoji (:material/home:,
# :smile:) and bare addresses it turns into links (https://…, www.…). An invisible zero-width space breaks them.
_IN_TEXT = re.compile(r"(\\:)(?=[A-Za-z])|(://)|(\bwww)(?=\\?\.)", re.IGNORECASE)
ZERO_WIDTH_SPACE = "\u200b"


def _escape_line_start(match: re.Match) -> str:
    """Escape the list or heading mark a line starts with (the dot of '1.', not the digits)."""
    indent, mark = match.groups()
    return indent + (mark[:-1] + "\\" + mark[-1] if mark[0].isdigit() else "\\" + mark)


def escape(text: object) -> str:
    """Return text that st.markdown (st.error, st.caption …) shows as typed: no formatting, icon, image or link."""
    value = _ANYWHERE.sub(r"\\\1", "" if text is None else str(text))
    value = _IN_TEXT.sub(lambda m: m.group(0) + ZERO_WIDTH_SPACE, value)
    return _LINE_START.sub(_escape_line_start, value).replace("\n", "  \n")
