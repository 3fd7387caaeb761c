"""NHS fiscal time: financial years, quarters, and reading timescale text.

NHS financial years run 1 April – 31 March.  ``FY2018/19`` is 2018-04-01 .. 2019-03-31 and is
identified here by its start year (``2018``); its quarters are Q1 = Apr–Jun 2018, Q2 = Jul–Sep,
Q3 = Oct–Dec 2018 and Q4 = Jan–Mar 2019 (labels such as ``"FY2018/19 Q1"``).

:func:`find_timescales` finds every timescale expression in a piece of text (a table cell that
may hold several milestones, or a prose sentence) and returns one :class:`Period` per
expression; :func:`parse_timescale` does the same for a *timescale cell* and returns a single
``unknown`` period when the cell says nothing usable ("TBC", nonsense, empty).  Neither raises on
any input.

Conventions, chosen to match how commissioning-intentions documents are written:

* ``Q1/2018`` and ``Q1 2018`` name quarter 1 of the financial year *starting* in 2018
  (FY2018/19); ``Q1 2018-2020`` is quarter 1 of the first year of the span (FY2018/19).
* A quarter, month or day without a year takes its year from ``planning_fy`` (the year the
  document plans for); without one, from the nearest expression in the same text that does
  state a year; failing that it is ``unknown``.
* ``2017/19`` and ``2014-19`` are multi-year spans (FY2017/18–FY2018/19, FY2014/15–FY2018/19).
* Kinds: a cue such as "by", "by end of", "due" makes a ``due`` period; "commencing", "from",
  "starts" a ``starts`` period; otherwise single dates and months are ``starts`` and quarters,
  years and ranges are ``period``.  "Ongoing" is ``ongoing``.  A recognisable expression with
  an impossible value ("Q7 2018/19", "Q1 9999/00", "April 1066", "31 February 2019") is
  ``unknown``.
* Plain numbers are never read as time: a bare calendar year counts only after a cue word
  ("by 2023", "in 2016"), and money, percentages, counts and line numbers are ignored.

Only the standard library is used: the forms are specific enough that a handful of regular
expressions read them more predictably than a general-purpose date parser, which would happily
turn any number into a date.
"""
from __future__ import annotations

import calendar
import html
import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

__all__ = [
    "Period",
    "PeriodKind",
    "MIN_YEAR",
    "MAX_YEAR",
    "fy_label",
    "fy_interval",
    "quarter_interval",
    "quarter_of",
    "quarter_label",
    "parse_quarter_label",
    "find_timescales",
    "parse_timescale",
    "gold_labels",
]

PeriodKind = Literal["starts", "due", "period", "ongoing", "unknown"]

#: Plausible years for a commissioning timescale; anything outside is treated as nonsense.
MIN_YEAR = 1948  # the NHS was founded in 1948
MAX_YEAR = 2099
#: The longest multi-year span accepted, in years: "2014-19" (short end year) or "2019-2029".
MAX_SHORT_SPAN = 5
MAX_SPAN_YEARS = 10


# --------------------------------------------------------------------------------------------
# Financial-year arithmetic
# --------------------------------------------------------------------------------------------


def fy_label(fy: int) -> str:
    """The label of the financial year starting in April of ``fy``: ``2018 -> "FY2018/19"``."""
    return f"FY{fy}/{(fy + 1) % 100:02d}"


def quarter_label(fy: int, q: int) -> str:
    """``(2018, 1) -> "FY2018/19 Q1"``."""
    return f"{fy_label(fy)} Q{q}"


def fy_interval(fy: int) -> tuple[date, date]:
    """First and last day (inclusive) of financial year ``fy``."""
    return date(fy, 4, 1), date(fy + 1, 3, 31)


def quarter_interval(fy: int, q: int) -> tuple[date, date]:
    """First and last day (inclusive) of quarter ``q`` (1–4) of financial year ``fy``.

    Raises :class:`ValueError` when ``q`` is not 1–4.
    """
    if q not in (1, 2, 3, 4):
        raise ValueError(f"quarter must be 1-4, not {q!r}")
    month = 4 + 3 * (q - 1)
    year = fy
    if month > 12:
        month -= 12
        year += 1
    start = date(year, month, 1)
    end_month = month + 2
    end = date(year, end_month, calendar.monthrange(year, end_month)[1])
    return start, end


def quarter_of(d: date) -> tuple[int, int]:
    """The financial year (start year) and quarter containing ``d``: 2019-03-31 -> (2018, 4)."""
    fy = d.year if d.month >= 4 else d.year - 1
    return fy, (d.month - 4) % 12 // 3 + 1


def _fy_of(d: date) -> int:
    return quarter_of(d)[0]


def _valid_year(y: int) -> bool:
    return MIN_YEAR <= y <= MAX_YEAR


def _fy_span(expr: str) -> tuple[int, int] | None:
    """Read "2018/19", "2018-2020", "FY18/19", "2017/19" or "2018" into (first FY, last FY).

    A single four-digit year Y means FY Y/Y+1 (as in "Q1/2018").  ``None`` when invalid.
    """
    m = re.fullmatch(r"(?:FY\s?)?(\d{2,5})(?:\s?[/-]\s?(\d{2,5}))?", expr.strip(), re.I)
    if not m:
        return None
    a, b = m.group(1), m.group(2)
    if len(a) == 2:
        a = "20" + a
    if len(a) != 4 or not _valid_year(int(a)):
        return None
    first = int(a)
    if b is None:
        return first, first
    if len(b) == 2:
        second = first // 100 * 100 + int(b)
        if second <= first:
            second += 100
    elif len(b) == 4:
        second = int(b)
    else:
        return None
    span = second - first
    if not 1 <= span <= (MAX_SHORT_SPAN if len(b) == 2 else MAX_SPAN_YEARS):
        return None
    return first, second - 1


# --------------------------------------------------------------------------------------------
# Period
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """One timescale expression, read.

    ``start``..``end`` is the interval the expression names (both inclusive; ``None`` for
    ``ongoing``/``unknown``); ``kind`` says how to read it: something ``starts`` then, is
    ``due`` by then, runs over that ``period``, is ``ongoing``, or the text could not be read
    (``unknown``).  ``label`` is canonical ("FY2018/19 Q1", "FY2018/19", "FY2014/15–FY2016/17",
    "FY2017/18 Q2–Q4", "2018-04-01", "2018-04", "2016", "ongoing", "unknown"; intervals of dates
    use ISO 8601 "start/end"); ``text`` is the fragment of the source text it was read from.
    """

    kind: PeriodKind
    start: date | None
    end: date | None
    label: str
    text: str

    def quarters(self) -> list[str]:
        """Labels of the fiscal quarters that the ``start``..``end`` interval overlaps."""
        if self.start is None:
            return []
        end = self.end or self.start
        fy, q = quarter_of(self.start)
        last = quarter_of(end)
        labels = []
        while (fy, q) <= last:
            labels.append(quarter_label(fy, q))
            fy, q = (fy, q + 1) if q < 4 else (fy + 1, 1)
        return labels


def _unknown(text: str) -> Period:
    return Period("unknown", None, None, "unknown", text)


# --------------------------------------------------------------------------------------------
# Labels
# --------------------------------------------------------------------------------------------

_FY_PAIR = r"(\d{2}|\d{4})\s?[/-]\s?(\d{2}|\d{4})"
_LABEL_FORMS = [
    # (pattern, index of quarter group or None, index of first year group)
    (re.compile(rf"(?:FY\s?)?{_FY_PAIR}\s+Q([1-4])", re.I), 3, 1),  # FY2018/19 Q1, 2018/19 Q1
    (re.compile(rf"Q([1-4])\s+(?:FY\s?)?{_FY_PAIR}", re.I), 1, 2),  # Q1 2018/19, Q1 FY18/19
    (re.compile(rf"(?:FY\s?)?{_FY_PAIR}", re.I), None, 1),  # FY2018/19, 2018/19, 2018-19
    (re.compile(r"Q([1-4])", re.I), 1, None),  # Q1
]


def parse_quarter_label(s: str) -> tuple[int | None, int | None] | None:
    """Read a quarter or financial-year label into ``(fy, quarter)``.

    Accepts "FY2018/19 Q1", "Q1 2018/19", "2018/19 Q1" -> ``(2018, 1)``; "Q1" -> ``(None, 1)``;
    "FY2018/19", "2018/19", "2018-19", "FY18/19" -> ``(2018, None)``.  Returns ``None`` for
    anything else, including impossible quarters ("Q7") and non-consecutive years ("2018/20").
    """
    if not isinstance(s, str):
        return None
    s = s.strip()
    for pattern, q_group, y_group in _LABEL_FORMS:
        m = pattern.fullmatch(s)
        if not m:
            continue
        q = int(m.group(q_group)) if q_group else None
        if y_group is None:
            return None, q
        span = _fy_span(f"{m.group(y_group)}/{m.group(y_group + 1)}")
        return (span[0], q) if span and span[0] == span[1] else None
    return None


_GOLD_FY_LABEL = re.compile(r"FY(\d{4})/\d{2}(?:–FY(\d{4})/\d{2})?")


def _label_sort_key(label: str) -> tuple[int, int]:
    fy, q = parse_quarter_label(label) or (0, 0)
    return fy or 0, q or 0


def gold_labels(periods: list[Period]) -> list[str]:
    """The gold annotation's label set for ``periods``, deduplicated, in chronological order.

    A period stated as whole financial years ("2018/19", "2014/15 – 2016/17") contributes its
    year labels ("FY2018/19", ...); any other dated period contributes the quarter labels its
    interval overlaps; ``ongoing`` and ``unknown`` periods contribute nothing.
    """
    labels: set[str] = set()
    for period in periods:
        if period.start is None:
            continue
        whole = _GOLD_FY_LABEL.fullmatch(period.label)
        if whole:
            first = int(whole.group(1))
            last = int(whole.group(2) or first)
            labels.update(fy_label(fy) for fy in range(first, last + 1))
        else:
            labels.update(period.quarters())
    return sorted(labels, key=_label_sort_key)


# --------------------------------------------------------------------------------------------
# Reading timescale text
# --------------------------------------------------------------------------------------------

_MONTH_NAMES = {
    name: i
    for i in range(1, 13)
    for name in (calendar.month_name[i].lower(), calendar.month_abbr[i].lower())
}
_MONTH_NAMES["sept"] = 9
_MONTH = r"(?:" + "|".join(sorted(_MONTH_NAMES, key=len, reverse=True)) + r")\b\.?"
# A month written without a year must be capitalised ("by April"), so "we may" is not a month.
_MONTH_CAP = (
    r"(?-i:" + "|".join(sorted((n.capitalize() for n in _MONTH_NAMES), key=len, reverse=True)) + r")\b"
)
_ORD = r"(?:st|nd|rd|th)"
_QSEP = r"(?:/|-|–|—|\bto\b|\band\b|&|,)"
_QITEM = r"(?:\bQ\s?\d{1,2}\b|\bquarter\s*\d{1,2}\b|\b(?:first|second|third|fourth|1st|2nd|3rd|4th)\s+quarter\b)"
_QLIST = rf"{_QITEM}(?:\s*{_QSEP}\s*(?:Q\s?|quarter\s*)?\d{{1,2}}\b)*"
# A financial-year expression next to a quarter: "2018/19", "2018-2020", "FY18/19", "2018".
_FYX = r"(?:FY\s?)?(?:\d{2,5}\s?[/-]\s?\d{2,5}|\d{4,5})"
_FYX_PAIR = r"(?:FY\s?\d{2,5}(?:\s?[/-]\s?\d{2,5})?|\d{4}[/-]\d{2,4})"
_CUE_WORDS = r"by\s+(?:the\s+)?end\s+of|end\s+of|by|in|during|from|until|since|before|throughout|commencing|starting"
_NOT_MONTH_RANGE = rf"(?!\s*(?:[-–—/]|\bto\b|\band\b|&)\s*{_MONTH})"

_FORMS = {
    "ongoing": r"\bon-?going\b(?=[ \t]*(?:\n|$|[-–—:;,.()/]))",
    "iso": r"\b(?P<iso_y>\d{4})-(?P<iso_m>\d{2})-(?P<iso_d>\d{2})\b",
    "dmy": r"(?<![\d/.])(?P<dmy_d>\d{1,2})/(?P<dmy_m>\d{1,2})/(?P<dmy_y>\d{4}|\d{2})(?![\d/])",
    "dmonthy": rf"\b(?P<dmy2_d>\d{{1,2}})\s?{_ORD}?\s+(?:of\s+)?(?P<dmy2_m>{_MONTH}),?\s+(?P<dmy2_y>\d{{4,5}})\b",
    "dmonth": rf"\b(?P<dm_d>\d{{1,2}})\s?{_ORD}?\s+(?:of\s+)?(?P<dm_m>{_MONTH_CAP})(?!\s*,?\s*\d)",
    "mdy": rf"\b(?P<mdy_m>{_MONTH})\s+(?P<mdy_d>\d{{1,2}}){_ORD}?,?\s+(?P<mdy_y>\d{{4,5}})\b",
    "mrange": rf"\b(?P<mr_a>{_MONTH})\s*(?:[-–—/]|\bto\b|\band\b|&)\s*(?P<mr_b>{_MONTH})\s+(?P<mr_y>\d{{4,5}})\b",
    "my": rf"\b(?P<my_m>{_MONTH})\s+(?:of\s+)?(?P<my_y>\d{{4,5}})\b(?![/-]\d)",
    "mcue": rf"\b(?P<mc_cue>{_CUE_WORDS})\s+(?:the\s+)?(?:end\s+of\s+)?(?P<mc_m>{_MONTH_CAP})(?!\s*,?\s*\d){_NOT_MONTH_RANGE}",
    "half": rf"\b(?P<h_which>first|second|1st|2nd)\s+half\s+(?:of\s+)?(?:the\s+)?(?P<h_fy>{_FYX})\b(?![/-]?\d)",
    "hn": rf"\bH(?P<hn_n>[12])\s+(?P<hn_fy>{_FYX})\b(?![/-]?\d)",
    "qy": rf"(?P<qy_ql>{_QLIST})\s*(?:,|\bof\b|\bin\b|/)?\s*(?P<qy_fy>{_FYX})\b(?![/-]?\d)",
    "yq": rf"(?<![\d/£$])(?P<yq_fy>{_FYX_PAIR})\s*,?\s*(?P<yq_ql>{_QLIST})",
    "ql": rf"(?P<ql_ql>{_QLIST})",
    "fyp": r"\bFY\s?(?P<fyp_y>\d{2,5}(?:\s?[/-]\s?\d{2,5})?)\b",
    "fy": r"(?<![\d/.,£$-])(?P<fy_a>(?:19|20)\d{2})[/-](?P<fy_b>\d{4}|\d{2})(?![\d/%]|-\d|\.\d)",
    "cy": rf"\b(?P<cy_cue>{_CUE_WORDS})\s+(?P<cy_y>(?:19|20)\d{{2}})\b(?![/-]\d|\.\d|\s*%|\s*(?:k|m|bn)\b)",
}
_SCANNER = re.compile("|".join(f"(?P<{name}>{pattern})" for name, pattern in _FORMS.items()), re.I)

_CUE_DUE = re.compile(r"\b(?:by|due|before|until|till|deadline|no\s+later\s+than)\b", re.I)
_CUE_START = re.compile(
    r"\b(?:commenc\w*|start\w*|from|begin\w*|effective|go(?:ing)?[\s-]live|since|launch\w*)\b", re.I
)
# A cue immediately before an expression: "by end of", "commencing", "from the", "due in" ...
_CUE_BEFORE = re.compile(
    r"(?P<cue>\b(?:(?:to\s+be\s+)?(?:completed\s+|agreed\s+|delivered\s+)?by(?:\s+the)?(?:\s+end\s+of)?"
    r"|(?:the\s+)?end\s+of|due(?:\s+(?:by|in|for))?|no\s+later\s+than|before|until|till"
    r"|commenc\w*|start\w*|from|beginning|begins?|with\s+effect\s+from|effective\s+from"
    r"|go(?:ing)?[\s-]live(?:\s+in)?|during|throughout|in|within|over)(?:\s+the)?)\s*$",
    re.I,
)
_RANGE_CONNECTOR = re.compile(r"\s*(?:-|–|—|\bto\b|\buntil\b|\btill\b|\bthrough\b)\s*", re.I)
_QNUM = re.compile(r"(?:Q\s?|quarter\s*)?(\d{1,2})|(first|second|third|fourth|1st|2nd|3rd|4th)\s+quarter", re.I)
_ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4}


def _cue_kind(cue: str | None) -> PeriodKind | None:
    if not cue:
        return None
    if _CUE_DUE.search(cue) or re.search(r"\bend\s+of\b", cue, re.I):
        return "due"
    if _CUE_START.search(cue):
        return "starts"
    return None


@dataclass
class _Atom:
    """An expression found in the text, before ranges are merged into :class:`Period` objects."""

    pos: int  # start of the fragment (including any cue)
    end: int  # end of the fragment
    start: date | None = None
    last: date | None = None
    label: str = "unknown"
    kind: PeriodKind = "unknown"
    grain: str = "unknown"  # fy | quarter | month | day | year | ongoing | unknown | pending
    fy: int | None = None  # a financial year the text states explicitly (context for others)
    first_fy: int | None = None  # for FY-grain atoms: first and last financial year
    last_fy: int | None = None
    pending: tuple | None = None  # a year-less expression to resolve once context is known
    cue: PeriodKind | None = None  # kind given by a cue word ("by", "commencing"), if any


def _quarter_runs(qlist: str, fy: int) -> list[tuple[int, int]] | None:
    """Expand a quarter list ("Q3/Q4", "Q2 - Q4", "Q1") in ``fy`` into runs of consecutive
    absolute quarters (``fy * 4 + q - 1``), or ``None`` if a quarter number is impossible."""
    items = list(_QNUM.finditer(qlist))
    absolute: list[int] = []
    previous: int | None = None
    for i, m in enumerate(items):
        q = int(m.group(1)) if m.group(1) else _ORDINALS[m.group(2).lower()]
        if not 1 <= q <= 4:
            return None
        index = fy * 4 + q - 1
        separator = qlist[items[i - 1].end() : m.start()] if i else ""
        if previous is not None and _RANGE_CONNECTOR.fullmatch(separator):
            while index < previous:  # "Q4 - Q1" runs into the next year
                index += 4
            absolute.extend(range(previous + 1, index + 1))
        else:
            absolute.append(index)
        previous = index
    runs: list[tuple[int, int]] = []
    for index in sorted(set(absolute)):
        if runs and runs[-1][1] == index - 1:
            runs[-1] = (runs[-1][0], index)
        else:
            runs.append((index, index))
    return runs


def _quarter_label_range(a: int, b: int) -> str:
    fa, qa = divmod(a, 4)
    fb, qb = divmod(b, 4)
    if a == b:
        return quarter_label(fa, qa + 1)
    if fa == fb:
        return f"{quarter_label(fa, qa + 1)}–Q{qb + 1}"
    return f"{quarter_label(fa, qa + 1)}–{quarter_label(fb, qb + 1)}"


def _set_quarters(atom: _Atom, a: int, b: int) -> _Atom:
    """Make ``atom`` the absolute quarters ``a``..``b`` (``fy * 4 + q - 1``)."""
    atom.start = quarter_interval(a // 4, a % 4 + 1)[0]
    atom.last = quarter_interval(b // 4, b % 4 + 1)[1]
    atom.label = _quarter_label_range(a, b)
    atom.kind, atom.grain = "period", "quarter"
    return atom


def _set_fys(atom: _Atom, first: int, last: int) -> _Atom:
    atom.start, atom.last = fy_interval(first)[0], fy_interval(last)[1]
    atom.label = fy_label(first) if first == last else f"{fy_label(first)}–{fy_label(last)}"
    atom.kind, atom.grain = "period", "fy"
    atom.fy, atom.first_fy, atom.last_fy = first, first, last
    return atom


def _set_day(atom: _Atom, y: int, m: int, d: int) -> _Atom:
    if not _valid_year(y):
        return atom
    try:
        day = date(y, m, d)
    except ValueError:
        return atom
    atom.start = atom.last = day
    atom.label, atom.kind, atom.grain, atom.fy = day.isoformat(), "starts", "day", _fy_of(day)
    return atom


def _month_bounds(y: int, m: int) -> tuple[date, date] | None:
    if not _valid_year(y):
        return None
    return date(y, m, 1), date(y, m, calendar.monthrange(y, m)[1])


def _set_month(atom: _Atom, y: int, m: int) -> _Atom:
    bounds = _month_bounds(y, m)
    if bounds:
        atom.start, atom.last = bounds
        atom.label, atom.kind, atom.grain, atom.fy = f"{y}-{m:02d}", "starts", "month", _fy_of(atom.start)
    return atom


def _month(name: str) -> int:
    return _MONTH_NAMES[name.lower().rstrip(".")]


def _read_atoms(m: re.Match) -> list[_Atom]:
    """Turn one scanner match into atoms (several for a non-contiguous quarter list)."""
    form = next(name for name in _FORMS if m.group(name) is not None)
    g = m.group
    atom = _Atom(m.start(), m.end())
    if form == "ongoing":
        atom.label = atom.kind = atom.grain = "ongoing"
    elif form == "iso":
        _set_day(atom, int(g("iso_y")), int(g("iso_m")), int(g("iso_d")))
        if atom.grain == "unknown":
            return []  # "2018-13-45" is a number, not a date
    elif form == "dmy":
        year = int(g("dmy_y"))
        year += 2000 if year < 100 else 0
        _set_day(atom, year, int(g("dmy_m")), int(g("dmy_d")))
        if atom.grain == "unknown":
            return []  # "3/4/5"-like numbers that are no date are not a timescale
    elif form == "dmonthy":
        _set_day(atom, int(g("dmy2_y")), _month(g("dmy2_m")), int(g("dmy2_d")))
    elif form == "mdy":
        _set_day(atom, int(g("mdy_y")), _month(g("mdy_m")), int(g("mdy_d")))
    elif form == "my":
        _set_month(atom, int(g("my_y")), _month(g("my_m")))
    elif form == "mrange":
        # "October – March 2014": the year belongs to the last month; the first may be a year earlier.
        year, a, b = int(g("mr_y")), _month(g("mr_a")), _month(g("mr_b"))
        first, second = _month_bounds(year - 1 if a > b else year, a), _month_bounds(year, b)
        if first and second:
            atom.start, atom.last = first[0], second[1]
            atom.label = f"{first[0]:%Y-%m}/{second[0]:%Y-%m}"
            atom.kind, atom.grain, atom.fy = "period", "range", _fy_of(atom.last)
    elif form in ("dmonth", "mcue"):
        day = int(g("dm_d")) if form == "dmonth" else None
        atom.grain, atom.pending = "pending", (_month(g("dm_m") or g("mc_m")), day)
    elif form in ("half", "hn"):
        span = _fy_span(g("h_fy") or g("hn_fy"))
        if span:
            second = (g("h_which") or "").lower() in ("second", "2nd") or g("hn_n") == "2"
            base = span[0] * 4 + (2 if second else 0)
            _set_quarters(atom, base, base + 1)
            atom.fy = span[0]
    elif form in ("qy", "yq"):
        span = _fy_span(g("qy_fy") or g("yq_fy"))
        runs = _quarter_runs(g("qy_ql") or g("yq_ql"), span[0]) if span else None
        if runs:
            atoms = [_set_quarters(_Atom(m.start(), m.end()), a, b) for a, b in runs]
            for a in atoms:
                a.fy = span[0]
            return atoms
    elif form == "ql":
        if _quarter_runs(g("ql_ql"), 2000) is None:
            return []  # "Q7" on its own is not a timescale
        atom.grain, atom.pending = "pending", (g("ql_ql"),)
    elif form == "fyp":
        span = _fy_span(g("fyp_y"))
        if span:
            _set_fys(atom, *span)
    elif form == "fy":
        span = _fy_span(f"{g('fy_a')}/{g('fy_b')}")
        if not span:
            return []  # "2019/29", "2018-04": numbers, not a financial year
        _set_fys(atom, *span)
    elif form == "cy":
        year = int(g("cy_y"))
        atom.start, atom.last = date(year, 1, 1), date(year, 12, 31)
        atom.label, atom.kind, atom.grain = str(year), "period", "year"
    return [atom]


def _resolve_pending(atom: _Atom, fy: int | None) -> list[_Atom]:
    """Give a year-less expression ("Q3/Q4", "1st April", "by June") its financial year."""
    if fy is None:
        atom.grain = "unknown"
        return [atom]
    if len(atom.pending) == 1:  # a quarter list
        runs = _quarter_runs(atom.pending[0], fy) or []
        return [_set_quarters(_Atom(atom.pos, atom.end), a, b) for a, b in runs] or [atom]
    month, day = atom.pending
    year = fy if month >= 4 else fy + 1
    if day is None:
        _set_month(atom, year, month)
    else:
        _set_day(atom, year, month, day)
    if atom.grain == "pending":
        atom.grain = "unknown"
    return [atom]


def _clean(text: str) -> str:
    """Strip HTML tags and entities and normalise spaces, keeping line breaks."""
    text = html.unescape(text)
    text = re.sub(r"<[^<>]{0,300}>", " ", text)
    text = text.replace("\u00a0", " ")
    return re.sub(r"[ \t\f\v]+", " ", text)


def _merge(text: str, atoms: list[_Atom]) -> list[_Atom]:
    """Merge "A – B" (two dated expressions joined by a range connector) into one period."""
    merged: list[_Atom] = []
    for atom in atoms:
        prev = merged[-1] if merged else None
        if (
            prev is not None
            and prev.start is not None
            and atom.start is not None
            and prev.grain not in ("ongoing", "unknown")
            and atom.grain not in ("ongoing", "unknown")
            and atom.last >= prev.start
            and _RANGE_CONNECTOR.fullmatch(text[prev.end : atom.pos])
        ):
            if prev.grain == atom.grain == "fy":
                _set_fys(prev, prev.first_fy, atom.last_fy)
            else:
                dated = {prev.grain, atom.grain} <= {"day", "month", "year"}
                prev.label = f"{prev.label}{'/' if dated else '–'}{atom.label}"
                prev.grain = "range"
            prev.last, prev.end, prev.kind = atom.last, atom.end, "period"
            continue
        merged.append(atom)
    return merged


def _valid_planning_fy(planning_fy) -> int | None:
    if isinstance(planning_fy, bool) or not isinstance(planning_fy, int):
        return None
    return planning_fy if _valid_year(planning_fy) else None


def find_timescales(text: str | None, planning_fy: int | None = None) -> list[Period]:
    """Every timescale expression in ``text``, one :class:`Period` each, in text order.

    ``planning_fy`` (e.g. ``2018`` for a 2018/19 document) dates expressions that omit the
    year ("Q3/Q4", "1st April").  Returns ``[]`` when the text holds no timescale expression
    (including "TBC"); never raises.
    """
    if text is None:
        return []
    if not isinstance(text, str):
        text = str(text)
    text = _clean(text)
    planning_fy = _valid_planning_fy(planning_fy)

    atoms: list[_Atom] = []
    previous_end = 0
    for m in _SCANNER.finditer(text):
        found = _read_atoms(m)
        if not found:
            continue
        inner_cue = m.group("mc_cue") or m.group("cy_cue")
        outer_cue = None if inner_cue else _CUE_BEFORE.search(text[previous_end : m.start()])
        for atom in found:
            atom.cue = _cue_kind(inner_cue or (outer_cue and outer_cue.group("cue")))
            if outer_cue:
                atom.pos = previous_end + outer_cue.start("cue")
        atoms.extend(found)
        previous_end = m.end()

    # Resolve year-less expressions against the planning year, else the nearest stated year.
    resolved: list[_Atom] = []
    for i, atom in enumerate(atoms):
        if atom.grain != "pending":
            resolved.append(atom)
            continue
        fy = planning_fy
        if fy is None:
            stated = [a.fy for a in atoms[:i][::-1] + atoms[i + 1 :] if a.fy is not None]
            fy = stated[0] if stated else None
        for new in _resolve_pending(atom, fy):
            new.cue = atom.cue
            resolved.append(new)

    periods = []
    for atom in _merge(text, resolved):
        fragment = text[atom.pos : atom.end].strip()
        if atom.grain == "ongoing":
            periods.append(Period("ongoing", None, None, "ongoing", fragment))
        elif atom.start is None or atom.grain in ("unknown", "pending"):
            periods.append(_unknown(fragment))
        else:
            kind = atom.cue if atom.cue and atom.grain != "range" else atom.kind
            periods.append(Period(kind, atom.start, atom.last, atom.label, fragment))
    return periods


def parse_timescale(text: str | None, planning_fy: int | None = None) -> list[Period]:
    """Read a timescale cell: every expression in it (see :func:`find_timescales`), or a single
    ``unknown`` period naming the text when it holds none ("TBC", empty, nonsense)."""
    periods = find_timescales(text, planning_fy)
    if periods:
        return periods
    raw = "" if text is None else str(text).strip()
    return [_unknown(raw)]
