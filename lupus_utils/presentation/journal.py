"""Tables as the book prints them: numbers and p-values in their display form, headers in readers'
words, the journal layout (great_tables) with published values as a grey second line, a light
layout for views built by the hundred, and the CSV/XLSX downloads. Frames in, HTML or files out."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..numbers import display_number, p_text


#: Column names the book shows as p-values (``p``, ``Mann-Whitney p``, ``exact p``, ``p_exact``).
P_COLUMN = re.compile(r"^p$|^p[ _]|[ _]p$|p-value|p value", re.IGNORECASE)



def _cell(x) -> str:
    if x is None or (not isinstance(x, (str, bytes)) and np.ndim(x) == 0 and pd.isna(x)):
        return "–"
    if isinstance(x, (bool, np.bool_)):
        return str(bool(x))
    if isinstance(x, (int, float, np.number)):
        return display_number(x)
    return str(x)



def _p_cell(x) -> str:
    if isinstance(x, (int, float, np.number)) and not isinstance(x, (bool, np.bool_)):
        return p_text(float(x))
    return _cell(x)



#: Readers' headers for the code names some computed tables carry (their downloads keep the code
#: names, one source for scripts); any other code name reads with spaces (:func:`header`).
HEADER_LABELS = {
    "week": "Week", "patients": "Patients", "measure": "Measure", "event": "Event", "events": "Events",
    "at_risk": "At risk", "events_cum": "Events (cumulative)", "censored_cum": "Censored (cumulative)",
    "ci_low": "95% CI low", "ci_high": "95% CI high", "wilson_low": "Wilson 95% CI low",
    "wilson_high": "Wilson 95% CI high", "model_mean": "Model mean", "completers_mean": "Mean of those observed",
    "completers_median": "Median of those observed", "n_obs": "Visits, n", "patient_years": "Patient-years",
    "patients_with_event": "Patients with the event", "rate_per_100py": "Rate per 100 patient-years",
    "with_zoster": "With herpes zoster", "zoster_vaccine": "Zoster vaccine", "issue_id": "Entry",
    "place_a": "First place", "value_a": "Value there", "place_b": "Second place", "value_b": "Value in the second place",
    "p_exact": "p exact", "p_holm": "p Holm",
    "synthetic_cohort": "What the synthetic cohort does", "description": "What the paper says", "target_ids": "Targets",
}



def header(column) -> str:
    """A column's header as a reader sees it: :data:`HEADER_LABELS`, else the name with spaces for
    underscores and a capital first letter (never ``completers_pct``)."""
    name = str(column)
    if name in HEADER_LABELS:
        return HEADER_LABELS[name]
    if re.fullmatch(r"[a-z0-9]+(_[a-z0-9]+)+", name):
        spaced = name.replace("_", " ")
        return spaced[0].upper() + spaced[1:]
    return name



def styled(table: pd.DataFrame):
    """The table as the book shows it: no index, numbers in p-value columns (:data:`P_COLUMN`)
    through :func:`p_text`, every other number through :func:`display_number`, text as it is,
    missing cells as '–', headers in readers' words (:func:`header`)."""
    fmt = {c: (_p_cell if P_COLUMN.search(str(c)) else _cell) for c in table.columns}
    # a gap between columns, so that neighbouring numbers never read as one ("26" and "7.5" as "267.5")
    spacing = [{"selector": "td, th", "props": "padding: 0.2em 0.8em 0.2em 0;"},
               {"selector": "th", "props": "vertical-align: bottom;"}]
    return (table.style.hide(axis="index").format(fmt, na_rep="–").set_table_styles(spacing)
            .relabel_index([header(c) for c in table.columns], axis="columns"))



def escape(text: str) -> str:
    import html

    return html.escape(str(text), quote=False)



def journal_table(table: pd.DataFrame, table_id: str, title: str = "", notes=(), published: pd.DataFrame | None = None,
                  published_header: dict | None = None, group: str | None = None, links: dict | None = None):
    """The table as the book prints it, with great_tables: a title above, the headers in readers'
    words (:func:`header`; 'Week 12 (N=24)' breaks before its N), numbers as :func:`styled` shows
    them, the test and populations in footnotes (``notes``), full width and scrolling inside its
    own box when the page is narrower than the table.

    ``published`` (a frame with ``table``'s index and some of its columns): the paper's printed
    value under the computed one in the same cell, as a smaller grey line (an empty cell adds
    nothing); ``published_header``: the same for column headers. ``group``: a column whose values
    head blocks of rows. ``links``: column -> {cell text: href}, for cells that point to another
    page. Every text is escaped; only the book's own markup is added. Returns a ``GT`` (its
    ``as_raw_html()`` loads nothing from outside the page)."""
    from great_tables import GT, html as gt_html

    shown = pd.DataFrame(index=range(len(table)))
    for c in table.columns:
        fmt = _p_cell if P_COLUMN.search(str(c)) else _cell
        shown[c] = [fmt(x) if c != group else str(x) for x in table[c]]
    pub = published.reset_index(drop=True) if published is not None else None
    for c in table.columns:
        if c == group:
            continue
        cells = []
        for i, text in enumerate(shown[c]):
            href = (links or {}).get(c, {})
            cell = ", ".join(f'<a href="{escape(href[e])}">{escape(e)}</a>' if e in href else escape(e)
                             for e in text.split(", ")) if href else escape(text)
            extra = pub.at[i, c] if pub is not None and c in pub.columns else ""
            if isinstance(extra, str) and extra:
                cell += f'<br><span class="published">{escape(extra)}</span>'
            cells.append(cell)
        shown[c] = cells
    gt = GT(shown, id=table_id, groupname_col=group)
    visible = [c for c in table.columns if c != group]
    gt = gt.fmt(lambda x: x, columns=visible)  # cells are escaped HTML already
    labels = {}
    for c in visible:
        text = escape(header(c)).replace(" (N=", "<br>(N=")
        if published_header and published_header.get(c):
            text += f'<br><span class="published">{escape(published_header[c])}</span>'
        labels[c] = gt_html(text)
    gt = gt.cols_label(**labels).cols_align("left", columns=visible[:1])
    if len(visible) > 1:
        gt = gt.cols_align("center", columns=visible[1:])
    if title:
        gt = gt.tab_header(title=title)
    for note in notes:
        gt = gt.tab_source_note(note)
    width = min(10 + 7.5 * (len(visible) - 1), 70)  # rem: below this, the table scrolls in its box
    gt = (gt.tab_options(container_width="100%", table_width="100%", container_overflow_x="auto",
                         table_font_size="0.85rem", heading_title_font_size="1rem", heading_align="left",
                         column_labels_font_weight="bold", row_group_font_weight="bold",
                         data_row_padding="0.3rem", table_border_top_width="2px", table_border_top_color="#333333",
                         column_labels_border_bottom_color="#333333", table_body_border_bottom_color="#333333",
                         source_notes_font_size="0.8rem")
          .opt_css(f"#{table_id} .gt_table {{ min-width: {width}rem; }} "
                   f"#{table_id} .published {{ color: #6b6b6b; font-size: 0.85em; }} "
                   f"#{table_id} .gt_heading {{ border-bottom-style: none; }}"))
    return gt



def journal_html(table: pd.DataFrame, table_id: str, title: str = "", notes=(), published: pd.DataFrame | None = None,
                 published_header: dict | None = None, group: str | None = None, links: dict | None = None) -> str:
    """The table as a page shows it: the title above and the footnotes below as text that wraps
    with the page, the table itself (:func:`journal_table`) scrolling in its own box between."""
    table_html = journal_table(table, table_id, "", (), published, published_header, group, links).as_raw_html()
    head = f'<p class="table-title"><strong>{escape(title)}</strong></p>' if title else ""
    foot = "".join(f"<p>{escape(n)}</p>" for n in notes)
    return (f'<div class="journal-table">{head}{table_html}'
            + (f'<div class="table-notes">{foot}</div>' if foot else "") + "</div>")



def plain_table_html(table: pd.DataFrame, css: str = "explorer-table") -> str:
    """A table as light HTML (numbers as :func:`styled` shows them, every text escaped), in a box
    that scrolls sideways on a phone: for views built by the hundred (the static explorer), where
    :func:`journal_table` would take seconds each hundred."""
    cols = list(table.columns)
    fmts = [_p_cell if P_COLUMN.search(str(c)) else _cell for c in cols]
    head = "".join(f"<th>{escape(header(c))}</th>" for c in cols)
    body = "".join("<tr>" + "".join(f"<td>{escape(f(x))}</td>" for f, x in zip(fmts, row)) + "</tr>"
                   for row in table.itertuples(index=False))
    return f'<div class="table-scroll"><table class="{css}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'



def export_table(table: pd.DataFrame, name: str, out_dir: Path | str) -> dict[str, Path]:
    """Write ``table`` as CSV (UTF-8) and XLSX into ``out_dir``; return the two paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"csv": out / f"{name}.csv", "xlsx": out / f"{name}.xlsx"}
    table.to_csv(paths["csv"], index=False, lineterminator="\n")
    table.to_excel(paths["xlsx"], index=False, sheet_name=name[:31])
    return paths



def download_links(paths: dict[str, Path], prefix: str = "exports") -> str:
    """HTML links to exported files, relative to the book's pages."""
    links = " · ".join(f'<a href="{prefix}/{p.name}" download>{kind.upper()}</a>' for kind, p in paths.items())
    return f'<p class="downloads">Download: {links}</p>'
