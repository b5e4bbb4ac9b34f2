"""mkdocs hook: the docstrings use reST roles (``:class:`Result```); mkdocstrings renders them as
``:class:<code>Result</code>``.  Keep the code, drop the role name."""

from __future__ import annotations

import re
from typing import Any

_ROLE = re.compile(r":(?:class|meth|func|data|attr|mod|exc):\s*(?=<code)")


def on_page_content(html: str, **kwargs: Any) -> str:
    return _ROLE.sub("", html)
