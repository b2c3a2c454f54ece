"""The subgroup explorer: precomputed views switched in the browser, so it works in the static
book without a kernel (a Dropdown linked with ``jslink`` to a Stack of Output widgets) and live
in Jupyter alike."""
from __future__ import annotations

import ipywidgets as widgets
import pandas as pd
from IPython.display import HTML

from ..science.stats import _Lazy
from .journal import escape

plt = _Lazy("matplotlib.pyplot")


def switcher(views: dict, description: str, css: str = "explorer") -> widgets.VBox:
    """A Dropdown over ``views`` (label -> list of objects to display, or a widget) and a Stack
    showing the chosen one; linked in the browser with jslink."""
    children = []
    for label, content in views.items():
        if isinstance(content, widgets.Widget):
            children.append(content)
            continue
        out = widgets.Output()
        for obj in content:
            # append_display_data fills the widget's outputs in the kernel itself, so no message
            # capture by the executing client is needed (capturing can stall headless runs)
            out.append_display_data(obj)
            if isinstance(obj, plt.Figure):
                plt.close(obj)
        children.append(out)
    stack = widgets.Stack(children, selected_index=0)
    stack.add_class(f"{css}-stack")
    dropdown = widgets.Dropdown(options=list(views), index=0, description=description,
                                style={"description_width": "initial"}, layout={"width": "max-content", "max_width": "100%"})
    dropdown.add_class(f"{css}-dropdown")
    widgets.jslink((dropdown, "index"), (stack, "selected_index"))
    return widgets.VBox([dropdown, stack])


def explorer(views: dict[str, dict[str, list]]) -> widgets.VBox:
    """Two-level explorer: first the grouping, then the outcome; ``views[grouping][outcome]`` is
    the list of objects (figure, table, HTML) to show."""
    inner = {g: switcher(outcomes, "Outcome:", css="explorer-outcome") for g, outcomes in views.items()}
    return switcher(inner, "Grouping:", css="explorer")


def caption(text: str) -> HTML:
    return HTML(f"<p class='explorer-caption'><strong>{text}</strong></p>")


def live_explorer(tables: dict, visits: pd.DataFrame, cohort_name: str = "Synthetic cohort",
                  synthetic: bool = True) -> widgets.VBox:
    """The live explorer (``make explore``): a grouping by any baseline column (a cut-off slider
    for a number), an outcome, the visits, and a patient picker; every change recomputes the
    view with :func:`lupus_utils.presentation.explorer.explore` / :func:`~lupus_utils.presentation.explorer.patient_course`.
    A choice that cannot be answered shows its message; nothing shows a traceback. ``synthetic``
    labels every chart 'Synthetic data'."""
    from .explorer import (LABORATORY, MEASURES, STATES, ExplorerError, explore, groupings, message_html, patient_course,
                           view_html, with_baseline_flags)
    from ..paths import EFFICACY_WEEKS
    from .journal import journal_html

    patients = with_baseline_flags(tables["patients"], visits)
    options = groupings(patients)
    by_label = options.set_index("label")
    grouping = widgets.Dropdown(options=list(options["label"]), value=by_label.index[by_label.index.str.startswith("SLICC")][0]
                                if by_label.index.str.startswith("SLICC").any() else options["label"].iloc[0],
                                description="Grouping:", style={"description_width": "initial"}, layout={"width": "max-content", "max_width": "100%"})
    cutoff = widgets.FloatSlider(description="Cut-off (≥):", continuous_update=False, style={"description_width": "initial"},
                                 layout={"width": "28rem"})
    outcome = widgets.Dropdown(options=[(v, k) for k, v in {**MEASURES, **STATES, **LABORATORY}.items()], value="sledai2k",
                               description="Outcome:", style={"description_width": "initial"})
    weeks = sorted(int(w) for w in visits["week"].unique())
    visit_boxes = [widgets.Checkbox(value=w in EFFICACY_WEEKS, description=f"Week {w}", indent=False,
                                    layout={"width": "7rem"}) for w in weeks]
    out = widgets.Output(layout={"min_height": "20rem"})
    picker = widgets.Dropdown(options=["(choose a patient)", *patients["patient_id"].astype(str)], description="Patient:",
                              style={"description_width": "initial"})
    course_out = widgets.Output()
    for w in (grouping, cutoff, outcome, picker):
        w.add_class("live-explorer-control")
    out.add_class("live-explorer-view")
    course_out.add_class("live-explorer-course")

    def message(text: str) -> HTML:
        return HTML(message_html(text))

    def set_slider(*_):
        row = by_label.loc[grouping.value]
        cutoff.layout.display = "" if row["kind"] == "number" else "none"
        if row["kind"] == "number":
            step = 1.0 if row["integer"] else round((row["max"] - row["min"]) / 100, 2) or 0.1
            cutoff.min, cutoff.max = -1e9, 1e9
            cutoff.step = step
            cutoff.readout_format = ".0f" if row["integer"] else ".1f"
            cutoff.min, cutoff.max = row["min"], row["max"]
            cutoff.value = row["median"]

    def redraw(*_):
        from IPython.display import display

        row = by_label.loc[grouping.value]
        chosen = [w for w, box in zip(weeks, visit_boxes) if box.value]
        out.clear_output(wait=True)
        with out:
            try:
                res = explore(visits, patients, row["column"], outcome.value, chosen,
                              cutoff.value if row["kind"] == "number" else None)
            except ExplorerError as err:
                display(message(str(err)))
                return
            except Exception as err:  # never a traceback in the page
                display(message(f"This choice could not be computed ({type(err).__name__}: {err})."))
                return
            display(HTML(view_html(res, "Synthetic data" if synthetic else "")))

    def show_patient(*_):
        from IPython.display import display

        course_out.clear_output(wait=True)
        if picker.index == 0:
            return
        with course_out:
            try:
                c = patient_course(visits, tables["adverse_events"], picker.value)
            except ExplorerError as err:
                display(message(str(err)))
                return
            display(HTML(journal_html(c["visits"], "live-patient-course", f"{picker.value}: visits")))
            if len(c["events"]):
                display(HTML(journal_html(c["events"], "live-patient-events", f"{picker.value}: adverse events")))
            else:
                display(HTML("<p>No adverse event recorded.</p>"))

    set_slider()
    grouping.observe(lambda ch: (set_slider(), redraw()), names="value")
    for w in (cutoff, outcome, *visit_boxes):
        w.observe(redraw, names="value")
    picker.observe(show_patient, names="value")
    redraw()
    header = widgets.HTML(f"<p><strong>{escape(cohort_name)}</strong>: {len(patients)} patients. Every view is "
                          "recomputed by lupus_utils at each change.</p>")
    return widgets.VBox([header, grouping, cutoff, outcome, widgets.HBox(visit_boxes, layout={"flex_flow": "row wrap"}),
                         out, widgets.HTML("<h3>One patient's course</h3>"), picker, course_out])


def static_explorer(tables: dict, visits: pd.DataFrame, synthetic: bool = True) -> tuple[widgets.VBox, int, list]:
    """The book's explorer, for a page without a kernel: every grouping of
    :func:`lupus_utils.presentation.explorer.static_groupings` x every outcome, each view built by the same
    :func:`~lupus_utils.presentation.explorer.explore` and :func:`~lupus_utils.presentation.explorer.view_html` as the
    live explorer, switched in the browser (:func:`explorer`). A grouping that puts everyone in
    one group is not offered. Returns the widget, the number of p-values its views show (for the
    page's word on multiplicity) and the groupings left out with the reason."""
    from .explorer import MEASURES, STATES, ExplorerError, explore, message_html, static_groupings, view_html

    from .explorer import group_patients, with_baseline_flags

    patients = with_baseline_flags(tables["patients"], visits)
    views, n_p, left_out = {}, 0, []
    for label, column, cutoff in static_groupings(patients):
        groups = group_patients(patients, column, cutoff)
        if (groups.value_counts() > 0).sum() < 2:
            left_out.append(f"{label} (everyone with a value is in one group)")
            continue
        views[label] = {}
        for outcome, olabel in {**MEASURES, **STATES}.items():
            try:
                res = explore(visits, patients, column, outcome, cutoff=cutoff, groups=groups)
                views[label][olabel] = [HTML(view_html(res, "Synthetic data" if synthetic else ""))]
                if "p" in res["table"]:
                    n_p += int(pd.to_numeric(res["table"]["p"], errors="coerce").notna().sum())
            except ExplorerError as err:
                views[label][olabel] = [HTML(message_html(str(err)))]
    return explorer(views), n_p, left_out


def patient_picker(tables: dict, visits: pd.DataFrame) -> widgets.VBox:
    """One patient's course (visits and adverse events), chosen in a dropdown: static, no kernel."""
    from .explorer import patient_course
    from .journal import plain_table_html

    views = {}
    for pid in tables["patients"]["patient_id"].astype(str):
        c = patient_course(visits, tables["adverse_events"], pid)
        events = plain_table_html(c["events"]) if len(c["events"]) else "<p>No adverse event recorded.</p>"
        views[pid] = [HTML(f"<p><strong>{escape(pid)}: visits</strong></p>{plain_table_html(c['visits'])}"
                           f"<p><strong>{escape(pid)}: adverse events</strong></p>{events}")]
    return switcher(views, "Patient:", css="patient-picker")
