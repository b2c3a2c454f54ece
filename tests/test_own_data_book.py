"""A centre's own book builds both ways (with and without the paper's published values) from a
folder whose path holds a space and an accent, shows no input identifier, and says in every
chapter whether anything is compared with the paper."""
from __future__ import annotations

import pytest

from own_data_book import NAMES, build, html_dir

from lupus_utils.paths import NOTEBOOKS_DIR

CHAPTERS = sorted(nb.name[:2] for nb in NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))


@pytest.fixture(scope="module", params=[False, True], ids=["without_published", "published"])
def book(request):
    res = build(request.param)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    return request.param, html_dir(request.param)


def test_every_chapter_is_built_and_says_whether_it_compares(book):
    published, html = book
    pages = {p.name[:2]: p.read_text(encoding="utf-8") for p in html.glob("[0-9][0-9]_*.html")}
    assert sorted(pages) == CHAPTERS
    said = "are set beside this cohort" if published else "nothing here is compared with the paper"
    for number, page in pages.items():
        assert NAMES[published] in page, number
        assert said in page, number
    if published:
        assert "published numbers" in pages["06"] and "Published value and computed value" in pages["06"]
    else:
        assert "nothing to score" in pages["06"] and "No target is scored in this book" in pages["06"]


def test_no_input_identifier_reaches_the_book(book):
    _, html = book
    for page in html.rglob("*.html"):
        assert "SYNTH-" not in page.read_text(encoding="utf-8"), page.name
    for export in (html / "exports").rglob("*.csv") if (html / "exports").exists() else []:
        assert "SYNTH-" not in export.read_text(encoding="utf-8"), export.name
