"""Several centres in one cohort: each read on its own, then checked against the others and
put together.

The same file or folder given twice, or two inputs with identical content, are errors (the
cohort would hold every patient twice); so are two centres whose patients tables hold the same
rows. Problems name each centre's own file and row; when two centres use the same patient_id
or event_id, every id is prefixed with its centre (``centre_a-P01``), and a note says so.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .cohort import CohortValidationError, problem_record
from ..paths import TABLES
from .provenance import problems_frame
from .readers import WORKBOOK_SUFFIXES, Unmapped, read_input


@dataclass
class _Centre:
    path: Path
    tag: str
    raw: dict
    files: dict
    notes: list = field(default_factory=list)
    typed: dict = field(default_factory=dict)
    unmapped: Unmapped = field(default_factory=Unmapped)


def _ids(frame: pd.DataFrame | None, col: str) -> set:
    if frame is None or col not in frame:
        return set()
    s = frame[col].dropna().astype(str).str.strip()
    return set(s[s != ""])


def read_all_centres(paths, unique_ids: bool = True, keep_unmapped: bool = False) -> list[_Centre]:
    """Read every centre (collecting every reading problem); with ``unique_ids``, prefix ids
    that clash across centres (see :func:`_prefix_clashes`). A REDCap export's rows and fields
    that cannot be mapped are problems too; with ``keep_unmapped`` they are left on each centre
    (``unmapped``) for the caller to report with the validation of the rest, unless a problem
    that leaves nothing to validate is raised (then they are in its list)."""
    if isinstance(paths, (str, Path)):
        paths = [paths]
    paths = [Path(p) for p in paths]
    if not paths:
        raise CohortValidationError(problems_frame([problem_record("(no input)", None, "", "", "no input: give at least one workbook or folder")]))
    centres, problems = [], []
    tags: list[str] = []
    problems.append(problems_frame(_same_inputs(paths)))
    stops = len(problems[0]) > 0  # a problem that leaves nothing to validate
    for p in paths:
        tag = re.sub(r"[^A-Za-z0-9]+", "_", p.stem if p.suffix.lower() in WORKBOOK_SUFFIXES else p.name).strip("_") or "centre"
        while tag in tags:
            tag += f"_{len(tags) + 1}"
        tags.append(tag)
        try:
            raw, files, notes, unmapped = read_input(p, center=tag)
        except CohortValidationError as err:
            problems.append(err.problems)
            stops = True
            continue
        centres.append(_Centre(p, tag, raw, files, notes, unmapped=unmapped))
        problems.append(problems_frame(unmapped.problems))
    problems = [f for f in problems if len(f)]
    if problems and (stops or not keep_unmapped):
        raise CohortValidationError(pd.concat(problems, ignore_index=True))
    if len(centres) > 1:
        labels = [c.files for c in centres]
        for t in TABLES:  # the same folder name twice: make labels unique with the given path
            if len({lab[t] for lab in labels}) < len(labels):
                for c in centres:
                    c.files = {k: f"{c.path} | {v}" for k, v in c.files.items()}
                    c.unmapped.problems = [{**q, "file": f"{c.path} | {q['file']}"} for q in c.unmapped.problems]
                break
    if unique_ids:
        make_ids_unique(centres, "raw")
    return centres


def _content_digest(path: Path) -> str | None:
    """SHA-256 of what is read from an input: the workbook's bytes, or the folder's table files."""
    import hashlib

    h = hashlib.sha256()
    if path.is_file():
        with open(path, "rb") as fh:
            while chunk := fh.read(1 << 20):
                h.update(chunk)
        return h.hexdigest()
    if path.is_dir():
        present = {q.name.lower(): q for q in path.iterdir() if q.is_file()}
        for t in TABLES:
            q = present.get(f"{t}.csv")
            h.update(t.encode() + b"\0" + (q.read_bytes() if q else b"(absent)") + b"\0")
        return h.hexdigest()
    return None


def _same_inputs(paths: list[Path]) -> list[dict]:
    """The same file or folder given twice, or two inputs with identical content: an error each
    (the cohort would otherwise hold every patient twice)."""
    out, by_path, by_digest = [], {}, {}
    for p in paths:
        key = p.resolve()
        if key in by_path:
            out.append(problem_record(p.name, None, "", "", f"given twice: '{p}' is the same input as '{by_path[key]}'; "
                                                       "give each centre once"))
            continue
        by_path[key] = p
        digest = _content_digest(p) if p.exists() else None
        if digest and digest in by_digest:
            out.append(problem_record(p.name, None, "", "", f"identical content: '{p}' holds exactly the same data as "
                                                       f"'{by_digest[digest]}' (the same centre given twice?); give each "
                                                       "centre once"))
        elif digest:
            by_digest[digest] = p
    return out


def same_patients(centres: list[_Centre]) -> list[dict]:
    """Two centres whose patients tables hold the same rows (the same centre exported twice, say
    as a workbook and as CSVs): an error."""
    out, seen = [], {}
    for c in centres:
        p = c.raw.get("patients")
        if p is None or not len(p):
            continue
        body = p.drop(columns=[x for x in ("center",) if x in p]).reset_index(drop=True)
        body = body.reindex(sorted(body.columns), axis=1).astype(str)
        key = (tuple(body.columns), pd.util.hash_pandas_object(body, index=False).sum())
        if key in seen:
            out.append(problem_record(c.files["patients"], None, "", "",
                                f"the same patients: this table holds exactly the rows of {seen[key]} (the same centre "
                                "given twice?); give each centre once"))
        else:
            seen[key] = c.files["patients"]
    return out


def make_ids_unique(centres: list[_Centre], attr: str) -> None:
    if len(centres) > 1:
        _prefix_clashes(centres, "patient_id", ("patients", "visits", "adverse_events"), "patients", attr)
        _prefix_clashes(centres, "event_id", ("adverse_events",), "adverse_events", attr)


def _prefix_clashes(centres: list[_Centre], col: str, tables: tuple, owner: str, attr: str = "raw") -> None:
    """When a ``col`` value of the ``owner`` table is used by two centres, prefix every value of
    ``col`` in ``tables`` of every centre with the centre's tag (``centre_a-P01``), and say so."""
    seen: dict[str, str] = {}
    clashes: dict[str, list[str]] = {}
    for c in centres:
        for i in _ids(getattr(c, attr).get(owner), col):
            if i in seen and seen[i] != c.tag:
                clashes.setdefault(i, [seen[i]]).append(c.tag)
            seen.setdefault(i, c.tag)
    if not clashes:
        return
    example = sorted(clashes)[0]
    for c in centres:
        for t in tables:
            f = getattr(c, attr).get(t)
            if f is not None and col in f:
                s = f[col]
                given = (s.notna() & (s.astype("string").str.strip() != "")).fillna(False).to_numpy(dtype=bool)
                f.loc[given, col] = c.tag + "-" + s[given].astype(str).str.strip()
    centres[0].notes.append(
        f"{col}: {len(clashes)} value(s) used by more than one centre (e.g. '{example}' in {' and '.join(clashes[example])}); "
        f"every {col} is prefixed with its centre ({', '.join(repr(c.tag + '-') for c in centres)})")


def read_centers(paths):
    """Read several centres and concatenate their tables.

    Returns ``(raw, files, notes)`` like :func:`read_center`, but each frame is indexed by
    ``(file label, row)`` so that every row keeps its source; ``files`` maps each table to the
    labels joined with ``" + "``. ``center`` is filled from the file/folder name when absent;
    when two centres use the same patient_id (or event_id) every id is prefixed with its centre
    (``centre_a-P01``), which the notes say."""
    centres = read_all_centres(paths)
    raw, files, notes = {}, {}, []
    for c in centres:
        notes += c.notes
    for t in TABLES:
        parts = []
        for c in centres:
            f = c.raw.get(t)
            if f is None:
                continue
            f = f.copy()
            f.index = pd.MultiIndex.from_arrays([[c.files[t]] * len(f), f.index], names=["file", "row"])
            parts.append(f)
        files[t] = " + ".join(c.files[t] for c in centres)
        if parts:
            raw[t] = pd.concat(parts)
    return raw, files, notes
