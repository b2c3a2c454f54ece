"""Axis ticks of the static explorer's SVG charts, for any span of values."""
import pandas as pd
import pytest

from lupus_utils.presentation.plots import axis_step, svg_chart


@pytest.mark.parametrize("span, step", [(3, 0.5), (6, 1), (10, 2), (14, 2.5), (24, 5), (100, 20), (1250, 250),
                                        (4000, 1000), (0.3, 0.05), (0, 1.0), (float("nan"), 1.0)])
def test_axis_step_hand_cases(span, step):
    assert axis_step(span) == pytest.approx(step)


def test_svg_chart_of_platelets_in_the_thousands_has_ticks():
    chart = pd.DataFrame({"week": [0, 12, 0, 12], "group": ["A", "A", "B", "B"], "centre": [150, 900, 300, 1100],
                          "low": [20, 400, 100, 700], "high": [400, 1400, 600, 1450], "n": [3, 3, 4, 4]})
    svg = svg_chart(chart, "Platelets", "10⁹/L")
    assert svg.startswith("<svg") and ">1500<" in svg and ">0<" in svg
