"""The identifier guard: direct identifiers in a centre's input stop the import before anything
else is done with it.

The book must never hold a person's identity, so whatever looks like one is refused, not
cleaned: columns named like names, birth dates, contact details, record numbers or tax codes;
cells shaped like a codice fiscale (omocodia included), an e-mail address or a phone number;
inside free text (adverse-event terms, any column the codebook does not know) also landline
numbers, dates of birth, people's names and the input's own patient ids; a patient_id that
reads as a name; and files or sheets named like a register of persons or a pseudonym key
(:func:`personal_data_name`). Values are masked in the report, so that it does not repeat them.
"""
from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from .cohort import problem_record
from ..paths import TABLES
from .provenance import VALUE_HITS_LISTED, problems_frame, row_origins, table_spec

#: Words of a file or sheet name that say it holds people's identities (a register of persons,
#: contact lists, a pseudonym key): such input is refused, never ignored.
_PERSONAL_WORDS = {"anagrafica", "anagrafiche", "anagrafe", "anagrafico", "nomi", "names", "nominativi", "contatti",
                   "contacts", "contact", "rubrica", "recapiti", "indirizzi", "addresses", "identita", "identity",
                   "identities", "chiave", "chiavi", "key", "keys", "mapping", "linkage", "decodifica", "persons",
                   "persone", "people"}
_PERSONAL_PARTS = ("anagraf", "nominativ", "contatt", "recapit", "rubrica", "identit")


def personal_data_name(name: str, by_column_words: bool = True) -> str | None:
    """Why a file or sheet called ``name`` looks like it holds personal data, or None. With
    ``by_column_words`` the words that make a column an identifier (name, e-mail, phone...) count
    too; a centre's own workbook or folder is judged by the register words alone."""
    tokens, compact = _tokens(Path(str(name)).stem if "." in str(name) else str(name))
    hit = sorted(tokens & _PERSONAL_WORDS) or [p for p in _PERSONAL_PARTS if p in compact]
    if not hit and by_column_words and _column_kind(str(name)) in ("name", "birth", "email", "phone", "address", "tax"):
        hit = [str(name)]
    if not hit:
        return None
    return (f"personal data: '{name}' is named like a register of persons or a key to identities ('{hit[0]}'); "
            "identifying data must never be given to this tool: remove it from the input")



#: Column-name tokens and compact substrings that reveal a direct identifier.
_NAME_KINDS = {
    "name": ({"nome", "cognome", "name", "surname", "firstname", "lastname", "forename", "givenname", "nominativo",
              "initials", "iniziali"}, ("cognome", "surname", "firstname", "lastname", "patientname", "nominativo"),
             "looks like a person's name: remove the column and identify patients only by a pseudonymous patient_id"),
    "birth": ({"dob", "birth", "birthdate", "birthday", "nascita", "born", "nato", "nata", "ddn"},
              ("birth", "nascita", "datanascita"),
              "looks like a date of birth: remove the column (age at anifrolumab start goes in age_years)"),
    "email": ({"email", "mail", "pec"}, ("email",), "looks like an e-mail address: remove the column"),
    "phone": ({"phone", "telephone", "telefono", "tel", "mobile", "cellulare", "cell", "fax"},
              ("phone", "telefono", "cellulare"), "looks like a phone number: remove the column"),
    "address": ({"address", "indirizzo", "via", "residenza", "domicilio", "street", "zip", "postcode"},
                ("address", "indirizzo", "residenza", "domicilio"), "looks like a postal address: remove the column"),
    "record": ({"mrn", "record", "cartella", "nosologico", "nosografico", "chart", "sdo"},
               ("medicalrecord", "cartella", "nosologic", "hospitalid", "hospitalnumber", "recordnumber"),
               "looks like a hospital record number: remove the column; use a pseudonymous patient_id that cannot be "
               "looked up in the hospital's systems"),
    "tax": ({"cf", "fiscale", "fiscal", "tax", "ssn", "tessera", "nin", "passport", "passaporto"},
            ("codicefiscale", "fiscal", "taxcode", "taxid", "socialsecurity", "tesserasanitaria"),
            "looks like a tax code or national identity number (codice fiscale): remove the column"),
}

_OMO = "[0-9LMNPQRSTUV]"
_CF = re.compile(rf"\b[A-Z]{{6}}{_OMO}{{2}}[A-EHLMPR-T]{_OMO}{{2}}[A-Z]{_OMO}{{3}}[A-Z]\b", re.IGNORECASE)
_EMAIL = re.compile(r"[^@\s,;<>()\[\]]{1,64}@[^@\s,;<>()\[\]]{1,255}\.[A-Za-z]{2,}")
_PHONE_INTL = re.compile(r"(?:\+|\b00)\s?39[\s./-]?\d(?:[\s./-]?\d){5,10}\b")
_PHONE_MOBILE = re.compile(r"^\s*3\d{2}[\s./-]?\d{3}[\s./-]?\d{3,4}\s*$")
#: inside a sentence: a run of digits, spaces and ./-() that holds 9-11 digits and starts like an
#: Italian mobile (3..) or landline (0..), e.g. "333 12 34 567", "(06) 4997 1234", "050 992111"
_PHONE_RUN = re.compile(r"(?<![\w.,/])\(?[03]\d*\)?(?:[\s./-]{0,2}\(?\d+\)?)+")
_MONTHS = (r"gen(?:naio)?|feb(?:braio)?|mar(?:zo)?|apr(?:ile)?|mag(?:gio)?|giu(?:gno)?|lug(?:lio)?|ago(?:sto)?|"
           r"set(?:tembre)?|ott(?:obre)?|nov(?:embre)?|dic(?:embre)?|jan(?:uary)?|february|march|april|may|june?|"
           r"july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|december|dec")
_DATE_IN_TEXT = re.compile(rf"(?<!\d)(?:(\d{{1,2}})[/.-](\d{{1,2}})[/.-](\d{{4}}|\d{{2}})|(\d{{4}})-(\d{{1,2}})-(\d{{1,2}})"
                           rf"|(\d{{1,2}})\s+(?:{_MONTHS})\.?\s+(\d{{4}}))(?!\d)", re.IGNORECASE)
_MONTH_YEAR = re.compile(r"(?<![\d/.-])(?:0?[1-9]|1[0-2])[\s/.-](?:19|20)\d\d(?![\d/.-])")
_BIRTH_WORDS = re.compile(r"\b(?:nat[oa]|nascita|born|birth|dob|d\.o\.b|ddn)\b", re.IGNORECASE)
_NAME_WORD = r"(?:[A-ZÀ-Ý][a-zà-ÿ']+|[A-ZÀ-Ý']{2,})"
_HONORIFIC = re.compile(rf"\b(?:(?i:sig|sig\.ra|sigra|signora|signor|dott|dott\.ssa|dottssa|prof|prof\.ssa)|Mr|Mrs|Ms|Miss|Dr)"
                        rf"\.?\s+{_NAME_WORD}")
#: common first names (Italian registry top names, and English ones): a first name beside a
#: capitalised word reads as a person's name in free text
FIRST_NAMES = frozenset("""
maria anna giuseppe giovanni antonio mario luigi francesco angela giovanna rosa angelo pietro salvatore carlo franco
domenico bruno paolo michele giorgio aldo sergio giuliana luciano teresa lucia carmela vincenzo roberto stefano andrea
marco alessandro luca giulia francesca chiara sara laura elena paola silvia federica valentina martina alessandra
simona barbara monica cristina elisa roberta daniela patrizia antonella rita grazia caterina elisabetta lorenza
claudia raffaella gabriella emanuela sofia aurora ginevra alice giorgia beatrice ludovica matteo lorenzo leonardo
riccardo davide gabriele tommaso edoardo federico filippo simone nicola fabio massimo enrico alberto emanuele
daniele gianluca claudio alessio cristian manuela loredana nadia tiziana carla serena ilaria veronica erika eleonora
ciro gennaro pasquale concetta assunta giacomo marta irene mattia raffaele gaetano rocco carmine nunzia immacolata
annunziata filomena vittoria agnese noemi viola greta camilla bianca arianna rebecca asia anita margherita adele
emma olga ida lina pina rina gina tina nicoletta ornella mirella rossella donatella gabriele dario diego samuele
christian jacopo pietro ettore umberto renato vittorio alfredo arturo guido enzo elio ugo silvio walter ivan
emilio giulio cesare ottavio fausto flavio marcello maurizio fabrizio massimiliano gianni gianfranco piero
john james robert michael william david richard joseph thomas charles mary patricia jennifer linda elizabeth susan
jessica sarah karen nancy lisa margaret emily olivia sophia
""".split())
#: name-like words that are places or institutions in clinical text ("Ospedale Luigi Sacco")
_INSTITUTION_CONTEXT = re.compile(r"\b(?:ospedale|hospital|policlinico|presidio|istituto|clinica|fondazione|asl|asst|"
                                  r"irccs|aou|ao|santa|santo|san|via|piazza|viale)\b", re.IGNORECASE)


def _name_pairs(text: str) -> list[str]:
    """A first name beside a capitalised or all-capitals word, either way round ("Maria Rossi",
    "ROSSI MARIA", "Rossi Maria", "Anna BIANCHI"), outside a hospital's or street's name."""
    words = list(re.finditer(r"[A-Za-zÀ-ÿ']+", text))
    out = []
    for x, y in zip(words, words[1:]):
        a, b = x.group(0), y.group(0)
        if not text[x.end():y.start()].strip() in ("", ","):
            continue
        for first, other in ((a, b), (b, a)):
            if (first.lower() in FIRST_NAMES and first[:1].isupper() and re.fullmatch(_NAME_WORD, other)
                    and other.lower() not in FIRST_NAMES | {"de", "di", "da", "del", "della"} | _MEDICAL_CAPITALS):
                if not _INSTITUTION_CONTEXT.search(text[max(0, x.start() - 25): y.end()]):
                    out.append(f"{a} {b}")
                break
    return out


#: capitalised or upper-case words of clinical text that are never a surname beside a first name
_MEDICAL_CAPITALS = frozenset({"covid", "sle", "les", "aps", "hcq", "mmf", "aza", "mtx", "ivu", "uti", "tvp", "dvt", "ep",
                               "pe", "sars", "cov", "zoster", "herpes", "lupus", "nephritis", "nefrite", "virus"})


def _birth_dates(text: str) -> list[str]:
    """Full dates in free text that may be a date of birth: after a birth word, or before 1980
    (earlier than any event of anifrolumab's treatment could be dated in an adverse-event term)."""
    out = []
    this_year = date.today().year
    for m in _DATE_IN_TEXT.finditer(text):
        year = int(m.group(3) or m.group(4) or m.group(8))
        if year < 100:
            year += 1900 if year > this_year % 100 else 2000
        near = _BIRTH_WORDS.search(text[max(0, m.start() - 25): m.start()])
        if near or 1900 <= year < 1980:
            out.append(m.group(0))
    return out


def _phones(text: str) -> list[str]:
    """Phone numbers inside a sentence: a run of 9-11 digits (6-11 for a landline starting 0) with
    spaces, dots, dashes or brackets, that is not a date or a month and year."""
    skip = [m.span() for m in _DATE_IN_TEXT.finditer(text)] + [m.span() for m in _MONTH_YEAR.finditer(text)]
    out = []
    for m in _PHONE_RUN.finditer(text):
        run = m.group(0).rstrip(" ./-")
        digits = sum(ch.isdigit() for ch in run)
        first = next((ch for ch in run if ch.isdigit()), "")
        if any(a <= m.start() < b for a, b in skip):
            continue
        if (first == "3" and 9 <= digits <= 11) or (first == "0" and 6 <= digits <= 11 and len(run) > digits - 1
                                                    and not re.fullmatch(r"0[.,]\d+", run)):
            out.append(run)
    return out


def free_text_identifiers(text: str, patient_ids: frozenset = frozenset()) -> list[tuple[str, str]]:
    """What in a free-text cell identifies a person: ``(kind, hit)`` pairs for a codice fiscale,
    an e-mail address, a phone number (mobile, landline or +39), a date of birth, a person's
    name (honorific and name, or a first name beside a surname, either way round) and a patient
    id of the input (which pseudonymisation would otherwise leak)."""
    if not isinstance(text, str) or len(text) < 3:
        return []
    found = []
    found += [("a codice fiscale", m.group(0)) for m in _CF.finditer(text)]
    found += [("an e-mail address", m.group(0)) for m in _EMAIL.finditer(text)] if "@" in text else []
    found += [("a phone number", m.group(0)) for m in _PHONE_INTL.finditer(text)]
    found += [("a phone number", p) for p in _phones(text)]
    found += [("a date of birth", d) for d in _birth_dates(text)]
    found += [("a person's name", m.group(0)) for m in _HONORIFIC.finditer(text)]
    found += [("a person's name", n) for n in _name_pairs(text)]
    if patient_ids:
        found += [("a patient id of the input", tok) for tok in re.findall(r"[A-Za-z0-9][A-Za-z0-9_./-]*[A-Za-z0-9]", text)
                  if tok in patient_ids]
    return found


_ID_WITH_TEXT = re.compile(r"[\s@/()]")


def name_like_id(value) -> bool:
    """A patient_id that reads as a person's name or initials: two or more words of 3+ letters
    with a first name among them, or with no digit in the id (``Maria Rossi``, ``ROSSI MARIA
    1985``, ``rossi.maria``); one word of 4+ letters and nothing else (``Rossi``); a first name
    alone; initials with dots (``M.R.``)."""
    if not isinstance(value, str):
        return False
    v = value.strip()
    if re.fullmatch(r"[A-ZÀ-Ý]\.\s?[A-ZÀ-Ý]\.?|[A-ZÀ-Ý]\s[A-ZÀ-Ý]", v):
        return True
    words = re.findall(r"[A-Za-zÀ-ÿ']+", v)
    long_words = [w for w in words if len(w) >= 3]
    has_digit = any(ch.isdigit() for ch in v)
    separated = bool(re.search(r"[A-Za-zÀ-ÿ'][\s.,_-]+[A-Za-zÀ-ÿ']", v))  # words apart, not glued by digits
    if len(long_words) >= 2 and separated:
        return any(w.lower() in FIRST_NAMES for w in long_words) or not has_digit
    if len(words) == 1 and not has_digit and re.fullmatch(r"[A-Za-zÀ-ÿ']+", v):
        if v.lower() in ("null", "none", "true", "false", "missing", "unknown", "test"):
            return False  # a placeholder, not a name (reported as what it is by validation)
        return v.lower() in FIRST_NAMES or len(v) >= 4
    # a surname with initials ("Rossi, M.", "M. Rossi")
    return (not has_digit and len(long_words) == 1 and len(words) >= 2 and all(len(w) == 1 for w in words if w not in long_words)
            and bool(re.fullmatch(_NAME_WORD, long_words[0])))


_VALUE_KINDS = (
    ("an Italian codice fiscale", lambda v: len(v) >= 16 and _CF.search(v),
     "replace it with a pseudonymous patient_id (e.g. P001) and keep the key outside the file"),
    ("an e-mail address", lambda v: "@" in v and _EMAIL.search(v), "remove it"),
    ("a phone number", lambda v: ("39" in v and _PHONE_INTL.search(v)) or (v.lstrip()[:1] == "3" and _PHONE_MOBILE.match(v)),
     "remove it"),
)


def _value_kind(value) -> str | None:
    """The rule for a cell that looks like a direct identifier, or None."""
    if not isinstance(value, str) or len(value) < 6:
        return None
    for desc, test, fix in _VALUE_KINDS:
        if test(value):
            return f"direct identifier: the cell looks like {desc}; {fix}"
    return None


def _tokens(name: str) -> tuple[set, str]:
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", str(name))
    words = [w for w in re.split(r"[^0-9a-z]+", spaced.lower()) if w]
    return set(words), "".join(words)


def _column_kind(name: str) -> str | None:
    tokens, compact = _tokens(name)
    if "hospital" in tokens and tokens & {"id", "no", "number", "nr", "n"}:
        return "record"
    for kind, (words, parts, _) in _NAME_KINDS.items():
        if tokens & words or any(p in compact for p in parts):
            return kind
    return None


def _mask(value: str) -> str:
    value = str(value).strip()
    return value[:2] + "…" if len(value) > 2 else "…"


def input_patient_ids(raw: dict[str, pd.DataFrame]) -> frozenset:
    """The patient ids written in the input, as long and specific as an id must be to be
    recognised inside a sentence (3+ characters, with a letter or 4+ characters)."""
    ids = set()
    for t in TABLES:
        f = raw.get(t)
        if f is not None and "patient_id" in f:
            ids |= {str(x).strip() for x in pd.unique(f["patient_id"].to_numpy(dtype=object)) if isinstance(x, str)}
    return frozenset(i for i in ids if len(i) >= 3 and (len(i) >= 4 or any(ch.isalpha() for ch in i)))


def _free_text_columns(table: str, columns) -> list[str]:
    """Free-text columns: codebook string columns that are not identifiers, and every column
    the codebook does not know (a 'note' column may hold anything)."""
    spec = table_spec(table) if table in TABLES else pd.DataFrame(columns=["type"])
    known = set(spec.index)
    return [c for c in columns if c not in known
            or (spec.loc[c, "type"] == "string" and c not in ("patient_id", "event_id"))]


def identifier_guard(raw: dict[str, pd.DataFrame], files: dict[str, str] | None = None,
                     patient_ids: frozenset | None = None) -> pd.DataFrame:
    """Direct identifiers in the input, as problems (file, row, column, value, rule).

    - Column names that look like names, birth dates, contact details, record numbers or tax
      codes are reported once per column (codebook columns are never flagged by name).
    - Cells anywhere that look like a codice fiscale (omocodia included), an e-mail address or a
      phone number are reported one by one.
    - Free-text cells (terms, and any column the codebook does not know) are searched inside
      their sentences for those, for landline numbers, dates of birth, people's names and the
      input's own patient ids (``patient_ids``; by default those of ``raw``).
    - A ``patient_id`` that reads as a person's name is refused.

    The first 20 hits of each column are listed, then a count; values are masked so that the
    report does not repeat the identifier. Each column's distinct values are judged once."""
    files = files or {t: f"{t}.csv" for t in raw}
    ids = input_patient_ids(raw) if patient_ids is None else patient_ids
    out: list[dict] = []
    for t, frame in raw.items():
        label = files.get(t, t)
        known = set(table_spec(t).index) if t in TABLES else set()
        origins = None
        free = set(_free_text_columns(t, frame.columns))
        for col in frame.columns:
            kind = None if col in known else _column_kind(col)
            if kind:
                if isinstance(frame.index, pd.MultiIndex):  # the sources that have the column
                    where = frame.index.get_level_values(0)[frame[col].notna().to_numpy()].unique()
                    srcs = list(where) or [label]
                else:
                    srcs = [label]
                for src in srcs:
                    out.append(problem_record(src, None, col, "", f"direct identifier: column '{col}' {_NAME_KINDS[kind][2]}"))
                continue  # the whole column is refused: its cells are not listed one by one
            values = frame[col].to_numpy(dtype=object)
            verdict: dict = {}
            distinct = pd.unique(values)
            if col not in free and col != "patient_id":
                # a whole-cell identifier has 16+ characters (codice fiscale), an '@' or a 3 (phones):
                # only such distinct cells are looked at
                distinct = [v for v in distinct if type(v) is str and (len(v) >= 16 or "@" in v or "3" in v)]
            for v in distinct:
                if not isinstance(v, str) or not v.strip():
                    continue
                rule = _value_kind(v)
                masked = None
                if rule is None and col in free:
                    hits = free_text_identifiers(v, ids)
                    if hits:
                        kinds = list(dict.fromkeys(k for k, _ in hits))
                        masked = "; ".join(dict.fromkeys(_mask(h) for _, h in hits))
                        where = "a column the codebook does not know" if col not in known else "free text"
                        rule = (f"direct identifier: the text holds {' and '.join(kinds)} ({where}); "
                                "remove it: free text must not identify anyone")
                if rule is None and col == "patient_id":
                    # a date, phone or name inside an id needs a space or a separator ("Bianchi A. 12/03/1970")
                    hits = ([(k, h) for k, h in free_text_identifiers(v) if k != "a patient id of the input"]
                            if _ID_WITH_TEXT.search(v) else [])
                    if name_like_id(v) or hits:
                        kinds = list(dict.fromkeys(k for k, _ in hits)) or ["a person's name or initials"]
                        rule = (f"direct identifier: the patient_id reads as {' and '.join(kinds)}; replace it with a "
                                "pseudonymous patient_id (e.g. P001) and keep the key outside the file")
                if rule:
                    verdict[v] = (masked or _mask(v), rule)
            if not verdict:
                continue
            hit = pd.Series(values).isin(list(verdict)).to_numpy()
            pos = np.flatnonzero(hit)
            origins = origins or row_origins(frame, label)
            for i in pos[:VALUE_HITS_LISTED]:
                src, row = origins[i]
                masked, rule = verdict[values[i]]
                out.append(problem_record(src, row, col, masked, rule))
            if len(pos) > VALUE_HITS_LISTED:
                out.append(problem_record(label, None, col, "", f"direct identifier: {len(pos) - VALUE_HITS_LISTED} more cells of "
                                                         f"column '{col}' look like identifiers (only the first "
                                                         f"{VALUE_HITS_LISTED} are listed)"))
    return problems_frame(out)
