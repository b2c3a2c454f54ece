"""The book's glue writes exactly what MyST-NB's glue writes (the chapters' prose reads it)."""
from __future__ import annotations

import pytest
from IPython.core.interactiveshell import InteractiveShell

from lupus_utils.presentation import report


@pytest.mark.parametrize("display", [False, True])
def test_glue_output_is_myst_nbs(monkeypatch, display):
    from myst_nb.ext import glue as myst_glue

    InteractiveShell.instance()
    shown = []

    def capture(*objs, **kwargs):
        shown.append((objs, kwargs))

    monkeypatch.setattr("IPython.display.display", capture)
    monkeypatch.setattr(myst_glue, "ipy_display", capture)
    report.glue("n_flares", "4 of 26", display=display)
    from lupus_utils.presentation.report import Markdown
    myst_glue.glue("n_flares", Markdown("4 of 26"), display=display)
    ours, theirs = shown
    assert ours == theirs
    bundle = ours[0][0]
    key = ("" if display else "application/papermill.record/") + "text/markdown"
    assert bundle[key] == "4 of 26" and ours[1]["metadata"]["scrapbook"]["name"] == "n_flares"
    assert report.GLUE_PREFIX == myst_glue.GLUE_PREFIX
