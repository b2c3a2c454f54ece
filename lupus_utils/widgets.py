"""The subgroup explorer: precomputed views switched in the browser, so it works in the static
book without a kernel (a Dropdown linked with ``jslink`` to a Stack of Output widgets) and live
in Jupyter alike."""
from __future__ import annotations

import ipywidgets as widgets
import matplotlib.pyplot as plt
from IPython.display import HTML


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
                                style={"description_width": "initial"}, layout={"width": "max-content"})
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
