"""The How-to pages run: every ```python block of docs/howto-*.md (and of docs/dataflows.md and
docs/mapping.md, whose how-tos build on their pages), in order, in one fresh
interpreter per page (in a scratch directory), except a block whose first line is
``# needs: confuciux.NAME`` while this version has no such name (code written against work that
lands with another branch).  ```py blocks are sketches that need something the tests do not have
(a cluster address, Stable-Baselines3) and are not run.  A ```toml block
whose first line is ``# NAME: ...`` is written to NAME first, and the page's ``confuciux sweep``
example is run on it."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"
PAGES = [*sorted(DOCS.glob("howto-*.md")), DOCS / "dataflows.md", DOCS / "mapping.md"]
_BLOCK = re.compile(r"^```(\w+)\n(.*?)^```", re.S | re.M)


def _blocks(page: Path, lang: str) -> list[str]:
    return [body for tag, body in _BLOCK.findall(page.read_text(encoding="utf-8")) if tag == lang]


def test_there_are_pages():
    names = {p.name for p in PAGES}
    assert {"howto-sweep.md", "howto-dataflow.md", "howto-rl-agent.md", "howto-tradeoff.md"} <= names


def _available(body: str) -> bool:
    import confuciux

    m = re.match(r"#\s*needs:\s*confuciux\.(\w+)", body)
    return m is None or hasattr(confuciux, m.group(1))


@pytest.mark.parametrize("page", PAGES, ids=[p.stem for p in PAGES])
def test_howto_page_code_runs(page, tmp_path):
    code = [body for body in _blocks(page, "python") if _available(body)]
    assert code, f"{page.name} has no python example"
    for body in _blocks(page, "toml"):
        first = body.splitlines()[0]
        m = re.match(r"#\s*([\w.-]+\.toml):", first)
        if m:
            (tmp_path / m.group(1)).write_text(body)
    script = "import matplotlib\nmatplotlib.use('Agg')\n" + "\n".join(code)
    r = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, f"{page.name}:\n{r.stderr[-3000:]}"
    if page.name == "howto-sweep.md":
        r = subprocess.run([sys.executable, "-m", "confuciux", "sweep", "sweep.toml", "--workers", "2",
                            "--checkpoint", "cli.jsonl", "--csv", "cli.csv"],  # fmt: skip
                           cwd=tmp_path, capture_output=True, text=True, timeout=600)  # fmt: skip
        assert r.returncode == 0, r.stderr
        assert len((tmp_path / "cli.csv").read_text().splitlines()) == 1 + 12
