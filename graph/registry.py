"""The organisation registry: who is who, what they are called, and who became whom.

The registry is read from the project's own data files in ``graph/data/`` (see the README
there): NHS trusts, the 42 ICBs, CCGs, councils and the non-NHS providers the documents name,
each with an id (the ODS code where there is one, a stable slug otherwise), a kind, aliases and
STP/ICS membership; the successions between them; the generic provider groups ("Acute
Providers", "GP Practices") with their surface forms; STP footprints; and phrases that look like
organisations but are not.

Three services are built on it:

* :meth:`Registry.resolve` turns one name into ranked :class:`Candidate` organisations: ODS
  code, official name, alias, normalised form ("NHS Foundation Trust"/"FT" suffixes, case,
  punctuation, "&"/"and"), learnt local aliases, the one organisation named inside a longer
  text ("Acute (Imperial)"), and a rapidfuzz fallback.
* :meth:`Registry.find_mentions` scans a provider cell or a prose sentence for organisations,
  generic provider groups and unresolved organisation-like phrases (:class:`Mention`).
* :meth:`Registry.current` and friends follow successions through time
  (Bedford Hospital ``RC1`` became part of ``RC9`` on 2020-04-01).

Context (:class:`ResolveContext`) disambiguates: "BHT" is Bedford Hospital (``RC1``) in a
Bedfordshire, Luton and Milton Keynes document and Buckinghamshire Healthcare (``RXQ``)
elsewhere; abbreviations a document defines ("Bedford Hospital Trust (BHT)") are learnt with
:meth:`Registry.learn_aliases` and passed back in as ``local_aliases``.

Nothing here raises on odd input text: empty, non-string or nonsense input gives an empty list.
Broken data files raise :class:`RegistryError` naming the file and row.
"""
from __future__ import annotations

import csv
import functools
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

__all__ = [
    "Organisation",
    "Candidate",
    "Mention",
    "ResolveContext",
    "Registry",
    "RegistryError",
    "KINDS",
    "COMMISSIONER_KINDS",
    "PROVIDER_KINDS",
    "DATA_DIR",
]

DATA_DIR = Path(__file__).resolve().parent / "data"

KINDS = frozenset({
    "acute", "community", "mental-health", "ambulance", "primary-care", "independent-sector",
    "voluntary", "local-authority", "ccg", "icb", "national-commissioner", "health-board", "other",
})
#: Kinds that commission rather than provide care (callers drop these from provider lists).
COMMISSIONER_KINDS = frozenset({"ccg", "icb", "national-commissioner"})
PROVIDER_KINDS = KINDS - COMMISSIONER_KINDS - {"other"}

#: Base score per resolution method; context adjusts it a little, fuzzy matches score lower.
METHOD_SCORES = {
    "ods": 1.0, "exact": 1.0, "local-alias": 0.97, "alias": 0.95, "normalised": 0.9, "fuzzy": 0.8,
}
_FUZZY_CUTOFF = 88.0  # rapidfuzz token_sort_ratio needed for a fuzzy phrase match
_FUZZY_FLOOR, _FUZZY_CEIL = 0.5, 0.8  # fuzzy scores are mapped into this range
_ACRONYM_FUZZY_SCORE = 0.6  # "EFAST" → "EEAST": one letter off a known acronym of ≥ 5 letters


class RegistryError(ValueError):
    """A registry data file is missing or malformed."""


@dataclass(frozen=True)
class Organisation:
    id: str  # ODS code where there is one, else a stable slug ("herts-urgent-care")
    name: str  # official name
    kind: str  # one of KINDS
    aliases: tuple[str, ...]
    stp: str | None  # STP / ICS footprint label, e.g. "BLMK STP"
    ods: bool  # is ``id`` an ODS code?
    source: str  # provenance of the record ("ods:nhs-trusts", "recalled-verify", "seed-text")
    town: str | None = None


@dataclass(frozen=True)
class Candidate:
    org: Organisation
    score: float  # 0..1
    method: str  # "ods" | "exact" | "alias" | "normalised" | "local-alias" | "fuzzy"
    matched: str  # the name or alias (or key) that matched


@dataclass
class Mention:
    """A span of text naming an organisation, a generic provider group, or something org-like.

    Exactly one of these holds: ``candidates`` is non-empty (an organisation, best first);
    ``group`` is set (a generic group such as "acute"); or neither (an unresolved
    organisation-like phrase that callers should report).
    """

    text: str
    start: int
    end: int
    candidates: list[Candidate] = field(default_factory=list)
    group: str | None = None

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None

    @property
    def resolved(self) -> bool:
        return bool(self.candidates) or self.group is not None


@dataclass
class ResolveContext:
    stp: str | None = None  # STP label of the document, e.g. "BLMK STP"
    commissioner: str | None = None  # id of the commissioner, e.g. "06F"
    local_aliases: dict[str, str] = field(default_factory=dict)  # "BHT" -> "RC1"


# ---------------------------------------------------------------------------------------
# Text normalisation and tokens
# ---------------------------------------------------------------------------------------

_TAG_RE = re.compile(r"<[^<>\n]{0,200}>")
_ENTITY_RE = re.compile(r"&(?:amp|nbsp|#\d+|[a-z]{2,6});")
# words (with inner apostrophes), "&", and the punctuation that matters for phrase boundaries
_TOKEN_RE = re.compile(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)*['’]?|&|[/()\[\]:;|•▪–—.,\t\"“”]")
_BARRIERS = frozenset("/()[]:;|•▪–—.\t\"“”")
_ACRONYM_POSSESSIVE = re.compile(r"^[A-Z0-9&]{2,}['’]s$")

_SUFFIXES: tuple[tuple[str, ...], ...] = tuple(sorted((
    ("nhs", "foundation", "trust"), ("nhs", "trust"), ("foundation", "trust"), ("nhs", "ft"),
    ("ft",), ("trust",), ("nhs",), ("national", "health", "service", "trust"),
    ("university", "nhs", "foundation", "trust"),
), key=len, reverse=True))
_PREFIXES = (("the",), ("nhs",))
#: words that make a suffix-stripped name specific enough to match on its own in running text
_INSTITUTION_WORDS = frozenset({
    "hospital", "hospitals", "healthcare", "health", "care", "partnership", "community",
    "ambulance", "service", "services", "university", "teaching", "mental", "childrens",
    "womens", "clinic", "centre", "group", "alliance", "integrated", "ccg", "icb", "council",
    "borough", "orthopaedic", "eye", "cancer", "hospice", "project", "foundation",
})
#: words that say nothing about which organisation is meant
_GENERIC_WORDS = frozenset({
    "nhs", "trust", "trusts", "foundation", "hospital", "hospitals", "university", "teaching",
    "council", "councils", "ccg", "ccgs", "the", "and", "of", "for", "partnership", "healthcare",
    "acute", "community", "local", "city", "borough", "county", "district", "mental", "health",
    "primary", "care", "services", "service", "provider", "providers", "sector", "voluntary",
    "independent", "ambulance", "gp", "general", "practice", "authority", "new", "main", "other",
    "clinical", "commissioning", "group", "integrated", "specialist", "children's", "childrens",
    "physical", "continuing", "adult", "joint",
})
#: last words of an organisation-like phrase ("... Trust", "... Hospice")
_HEAD_WORDS = frozenset({
    "trust", "hospital", "hospitals", "council", "ccg", "foundation", "hospice", "partnership",
    "healthcare", "ltd", "limited", "plc", "cic", "llp", "charity",
})
#: capitalised only because they start a sentence or a list item
_STARTERS = frozenset({
    "the", "this", "that", "these", "those", "each", "every", "all", "our", "their", "its", "any",
    "both", "other", "a", "an", "we", "in", "for", "with", "by", "to", "and", "of", "as", "at",
    "from", "on", "into", "under", "within", "through", "working", "work", "via", "new", "main",
    "local", "existing", "current", "key", "if", "where", "when", "whilst", "while", "no", "joint",
})
_CONNECTORS = frozenset({"and", "of", "&", "for", "upon", "on"})
#: words that mark running prose (a provider cell is a list of names, not a sentence)
_FUNCTION_WORDS = frozenset({
    "we", "will", "shall", "would", "should", "is", "are", "was", "were", "be", "been", "to", "the",
    "this", "that", "our", "with", "for", "in", "it", "they", "their", "has", "have", "can", "may",
    "must", "which", "who", "not",
})
_ACRONYM_RE = re.compile(r"^[A-Z][A-Z&]{1,6}s?$")
_UNKNOWN_ACRONYM_RE = re.compile(r"^[A-Z]{2,5}s?$")  # reported in provider lists when nobody knows it
_ROMAN_RE = re.compile(r"^[IVX]+$")

# coordinated groups: "mental health and community providers" names both groups
_GROUP_ADJ = r"(?:acute|community|mental health|primary care|ambulance|secondary care)"
_GROUP_NOUN = r"(?:providers?|trusts?|services? providers?|provider organisations|sectors?)"
_COORD_RE = re.compile(
    rf"\b{_GROUP_ADJ}(?:\s*(?:,|and|or|&|/)\s*{_GROUP_ADJ})+\s+{_GROUP_NOUN}\b", re.IGNORECASE)
_ADJ_RE = re.compile(rf"\b{_GROUP_ADJ}\b", re.IGNORECASE)
# "Full Name (ABBR)" and "Full Name (ABBR or the Council)"
_DEFINITION_RE = re.compile(r"\(\s*([A-Z][A-Za-z&]{1,7})\s*(?:\)|\s+or\s+[^()\n]{0,40}\))")


@dataclass(frozen=True)
class _Token:
    raw: str
    norm: str  # "" for punctuation
    start: int
    end: int
    barrier: bool = False
    comma: bool = False

    @property
    def word(self) -> bool:
        return bool(self.norm)


def _clean(text: str) -> str:
    """Blank out HTML tags and entities without moving any character (offsets stay valid)."""
    text = _TAG_RE.sub(lambda m: " " * len(m.group()), text)

    def entity(m: re.Match) -> str:
        s = m.group()
        return ("&" if s == "&amp;" else " ").ljust(len(s))

    return _ENTITY_RE.sub(entity, text)


def _norm_word(raw: str) -> str:
    if raw == "&":
        return "and"
    s = raw.replace("’", "'")
    if _ACRONYM_POSSESSIVE.match(s):
        s = s[:-2]
    s = unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode()
    s = s.replace("'", "").lower()
    return "st" if s == "saint" else s


def _tokens(text: str) -> list[_Token]:
    out: list[_Token] = []
    for m in _TOKEN_RE.finditer(text):
        raw = m.group()
        if raw == ".":
            if out and out[-1].norm in {"st", "dr"} and out[-1].end == m.start():
                continue  # "St. George's"
            out.append(_Token(raw, "", m.start(), m.end(), barrier=True))
        elif raw == ",":
            out.append(_Token(raw, "", m.start(), m.end(), comma=True))
        elif raw in _BARRIERS:
            out.append(_Token(raw, "", m.start(), m.end(), barrier=True))
        else:
            norm = _norm_word(raw)
            if norm:
                out.append(_Token(raw, norm, m.start(), m.end()))
    return out


def _rewrite(words: list[str]) -> list[str]:
    """Canonical word sequence: "clinical commissioning group" → "ccg"."""
    out: list[str] = []
    i = 0
    while i < len(words):
        if words[i:i + 3] == ["clinical", "commissioning", "group"]:
            out.append("ccg")
            i += 3
        elif words[i:i + 3] == ["integrated", "care", "board"]:
            out.append("icb")
            i += 3
        else:
            out.append(words[i])
            i += 1
    return out


def _key_words(text: str) -> list[str]:
    return _rewrite([t.norm for t in _tokens(_clean(text)) if t.word])


def _strip_affixes(words: list[str]) -> tuple[list[str], bool]:
    """Drop a leading "the"/"nhs" and trailing trust suffixes; say whether a suffix went."""
    words = list(words)
    for p in _PREFIXES:
        if len(words) > len(p) and tuple(words[:len(p)]) == p:
            words = words[len(p):]
    had_suffix = False
    changed = True
    while changed:
        changed = False
        for suf in _SUFFIXES:
            if len(words) > len(suf) and tuple(words[-len(suf):]) == suf:
                words = words[:-len(suf)]
                had_suffix = changed = True
                break
    return words, had_suffix


def _compact(s: str) -> str:
    return re.sub(r"\s+", "", s)


def _is_compact_surface(surface: str) -> bool:
    """An acronym-like alias: one word with two or more capitals ("BHT", "L&D", "SLaM")."""
    return " " not in surface and sum(c.isupper() for c in surface) >= 2


def _case_ok(surface: str, matched: str) -> bool:
    """Does the text as written plausibly name ``surface``?  ("Sept" is a month, not SEPT)."""
    if _is_compact_surface(surface):
        m = _compact(matched).replace("’", "'")
        if m.endswith("'s") and m[:-2].upper() == surface.upper():
            m = m[:-2]
        return m == surface or (m.upper() == m and m.upper() == surface.upper())
    first = matched.lstrip()[:1]
    return first.isupper() or first.isdigit()


# ---------------------------------------------------------------------------------------
# The index
# ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Entry:
    org_id: str | None  # None: a known non-organisation phrase (STP, place, programme)
    method: str  # exact | alias | normalised | ods | none
    surface: str  # the name or alias as written in the data
    needs_suffix: bool = False  # a stripped place-like key: only counts before "NHS Trust" etc.


@dataclass(frozen=True)
class _GroupPattern:
    group: str
    regex: re.Pattern
    strong: bool


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    group: str | None = None
    strong: bool = True


def _read_csv(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        raise RegistryError(f"registry data file missing: {path}")
    rows = []
    with path.open(newline="", encoding="utf-8") as f:
        for n, row in enumerate(csv.DictReader(f), start=2):
            if None in row:
                raise RegistryError(f"{path} line {n}: more fields than the header (unquoted comma?)")
            rows.append({k: (v or "").strip() for k, v in row.items()})
    return rows


def _split(s: str) -> tuple[str, ...]:
    return tuple(a.strip() for a in s.split(";") if a.strip())


class Registry:
    """Organisations, successions, provider groups and the name index built over them."""

    def __init__(
        self,
        organisations: Iterable[Organisation],
        successions: Iterable[tuple[str, str, date, str]] = (),
        groups: Iterable[tuple[str, str, bool]] = (),
        stps: Iterable[tuple[str, str, tuple[str, ...]]] = (),
        non_organisations: Iterable[tuple[str, str]] = (),
    ) -> None:
        self._orgs: dict[str, Organisation] = {}
        for org in organisations:
            if org.id in self._orgs:
                raise RegistryError(f"duplicate organisation id {org.id!r}")
            if org.kind not in KINDS:
                raise RegistryError(f"organisation {org.id!r} has unknown kind {org.kind!r}")
            self._orgs[org.id] = org
        self._upper_ids = {oid.upper(): oid for oid in self._orgs}
        self._succ: dict[str, list[tuple[str, date, str]]] = {}
        self._pred: dict[str, list[tuple[str, date, str]]] = {}
        for pred, succ, when, kind in successions:
            for oid in (pred, succ):
                if oid not in self._orgs:
                    raise RegistryError(f"succession {pred}→{succ} names unknown organisation {oid!r}")
            self._succ.setdefault(pred, []).append((succ, when, kind))
            self._pred.setdefault(succ, []).append((pred, when, kind))
        for lst in (*self._succ.values(), *self._pred.values()):
            lst.sort(key=lambda t: (t[1], t[0]))

        self._group_patterns: list[_GroupPattern] = []
        self._group_names: list[str] = []
        for group, pattern, strong in groups:
            try:
                rx = re.compile(pattern, re.IGNORECASE)
            except re.error as exc:
                raise RegistryError(f"group {group!r}: bad pattern {pattern!r}: {exc}") from exc
            self._group_patterns.append(_GroupPattern(group, rx, strong))
            if group not in self._group_names:
                self._group_names.append(group)
        self._weak_patterns = [p for p in self._group_patterns if not p.strong]

        self._stps: dict[str, tuple[str, ...]] = {}
        self._stp_keys: dict[str, str] = {}
        for label, area, aliases in stps:
            self._stps[label] = (area, *aliases)
            forms = [label]
            for name in (area, *aliases):
                forms += [name, f"{name} STP", f"{name} ICS", f"{name} Sustainability and Transformation Partnership",
                          f"{name} Integrated Care System"]
            for form in forms:
                self._stp_keys.setdefault(" ".join(_key_words(form)), label)
        for org in self._orgs.values():
            if org.stp and org.stp not in self._stps:
                raise RegistryError(f"organisation {org.id!r} names unknown STP {org.stp!r}")

        self._jargon: set[str] = set()
        self._index: dict[str, list[_Entry]] = {}
        self._build_index(non_organisations)

    # -- loading ------------------------------------------------------------------------
    @classmethod
    def load(cls, data_dir: Path | str | None = None) -> Registry:
        """The registry from ``data_dir`` (default ``graph/data``; that one is cached)."""
        if data_dir is None:
            return _default_registry()
        return cls._from_dir(Path(data_dir))

    @classmethod
    def _from_dir(cls, data_dir: Path) -> Registry:
        orgs = []
        for n, row in enumerate(_read_csv(data_dir / "organisations.csv"), start=2):
            if not row.get("id") or not row.get("name"):
                raise RegistryError(f"{data_dir / 'organisations.csv'} line {n}: id and name are required")
            orgs.append(Organisation(
                id=row["id"], name=row["name"], kind=row.get("kind", ""), aliases=_split(row.get("aliases", "")),
                stp=row.get("stp") or None, ods=row.get("ods", "").lower() in {"yes", "true", "1"},
                source=row.get("source", ""), town=row.get("town") or None,
            ))
        successions = []
        for n, row in enumerate(_read_csv(data_dir / "successions.csv"), start=2):
            try:
                when = date.fromisoformat(row["date"])
            except (KeyError, ValueError) as exc:
                raise RegistryError(f"{data_dir / 'successions.csv'} line {n}: bad date: {exc}") from exc
            successions.append((row["predecessor"], row["successor"], when, row.get("kind", "")))
        groups = [(r["group"], r["pattern"], r.get("strength", "strong") != "weak")
                  for r in _read_csv(data_dir / "groups.csv")]
        stps = [(r["label"], r["area"], _split(r.get("aliases", ""))) for r in _read_csv(data_dir / "stps.csv")]
        non_orgs = [(r["phrase"], r.get("kind", "")) for r in _read_csv(data_dir / "non-organisations.csv")]
        return cls(orgs, successions, groups, stps, non_orgs)

    def _add(self, key: str, entry: _Entry) -> None:
        if not key:
            return
        lst = self._index.setdefault(key, [])
        if entry not in lst:
            lst.append(entry)

    def _build_index(self, non_organisations: Iterable[tuple[str, str]]) -> None:
        fuzzy: dict[str, set[str]] = {}
        acronyms: dict[str, set[str]] = {}
        for org in self._orgs.values():
            if org.ods and any(c.isdigit() for c in org.id):
                self._add(org.id.lower(), _Entry(org.id, "ods", org.id))
            for surface, method in [(org.name, "exact"), *((a, "alias") for a in org.aliases)]:
                words = _key_words(surface)
                self._add(" ".join(words), _Entry(org.id, method, surface))
                stripped, _ = _strip_affixes(words)
                specific = bool(_INSTITUTION_WORDS & set(stripped))
                if stripped != words and stripped:
                    self._add(" ".join(stripped), _Entry(org.id, "normalised", surface, needs_suffix=not specific))
                # fuzzy matching compares suffix-free names, but never a bare place ("west london")
                fuzzy_key = " ".join(stripped if stripped and specific else words)
                if _is_compact_surface(surface):
                    acronyms.setdefault(surface.upper(), set()).add(org.id)
                elif len(fuzzy_key) >= 6:
                    fuzzy.setdefault(fuzzy_key, set()).add(org.id)
        for forms in self._stps.values():
            for form in forms:
                self._add(" ".join(_key_words(form)), _Entry(None, "none", form))
        for key in self._stp_keys:
            self._add(key, _Entry(None, "none", key))
        for phrase, kind in non_organisations:
            if kind == "jargon" and len(_key_words(phrase)) == 1:
                self._jargon.add(phrase.upper())
            else:
                self._add(" ".join(_key_words(phrase)), _Entry(None, "none", phrase))
        # longest key (in words) per first word: the scan skips words no key starts with
        self._first: dict[str, int] = {}
        for k in self._index:
            ws = k.split()
            self._first[ws[0]] = max(self._first.get(ws[0], 0), len(ws))
        self._fuzzy_keys = list(fuzzy)
        self._fuzzy_ids = fuzzy
        self._acronyms = acronyms

    # -- plain access -------------------------------------------------------------------
    def get(self, id: str) -> Organisation | None:  # noqa: A002 - the spec's name
        if not isinstance(id, str):
            return None
        return self._orgs.get(id) or self._orgs.get(self._upper_ids.get(id.strip().upper(), ""))

    def all(self) -> list[Organisation]:
        return list(self._orgs.values())

    def groups(self) -> list[str]:
        """The generic provider group names ("acute", "primary care", ...)."""
        return list(self._group_names)

    def stps(self) -> list[str]:
        """The STP / ICS footprint labels."""
        return list(self._stps)

    def resolve_stp(self, text: str) -> str | None:
        """The STP label named by ``text`` ("Bedfordshire, Luton and Milton Keynes STP" → "BLMK STP")."""
        if not isinstance(text, str):
            return None
        words = _key_words(text)
        if words and words[0] == "the":
            words = words[1:]
        return self._stp_keys.get(" ".join(words))

    # -- successions --------------------------------------------------------------------
    def successors(self, id: str) -> list[tuple[str, date, str]]:  # noqa: A002
        return list(self._succ.get(id, []))

    def predecessors(self, id: str) -> list[tuple[str, date, str]]:  # noqa: A002
        return list(self._pred.get(id, []))

    def current(self, id: str, as_of: date) -> str:  # noqa: A002
        """The organisation ``id`` had become by ``as_of`` (following successions dated ≤ as_of).

        Raises ``KeyError`` for an id the registry does not know.
        """
        org = self.get(id)
        if org is None:
            raise KeyError(f"unknown organisation id {id!r}")
        oid, seen = org.id, {org.id}
        while True:
            due = [(when, succ) for succ, when, _ in self._succ.get(oid, []) if when <= as_of]
            if not due:
                return oid
            _, nxt = min(due)
            if nxt in seen:  # a cycle in the data: stop rather than loop
                return oid
            seen.add(nxt)
            oid = nxt

    # -- context ------------------------------------------------------------------------
    def _context_stp(self, ctx: ResolveContext | None) -> str | None:
        if ctx is None:
            return None
        if ctx.stp:
            return self.resolve_stp(ctx.stp) or ctx.stp
        if ctx.commissioner:
            org = self.get(ctx.commissioner)
            return org.stp if org else None
        return None

    def _rank(self, cands: list[Candidate], ctx: ResolveContext | None, acronym: bool = False) -> list[Candidate]:
        """Apply context (STP membership) and order best first, one candidate per organisation."""
        stp = self._context_stp(ctx)
        best: dict[str, Candidate] = {}
        for c in cands:
            if c.org.id not in best or c.score > best[c.org.id].score:
                best[c.org.id] = c
        cands = list(best.values())
        if stp:
            if acronym:
                # a council's or CCG's initials mean something else outside its own patch
                cands = [c for c in cands if not (c.method != "local-alias" and c.org.kind in {"local-authority", "ccg"}
                                                  and c.org.stp and c.org.stp != stp)]
            ambiguous = len(cands) > 1
            adjusted = []
            for c in cands:
                delta = 0.0
                if c.org.stp == stp:
                    delta = 0.03
                elif ambiguous and c.org.stp:
                    delta = -0.15
                adjusted.append(Candidate(c.org, round(min(1.0, max(0.0, c.score + delta)), 3), c.method, c.matched))
            cands = adjusted
        return sorted(cands, key=lambda c: (-c.score, c.org.id))

    def _local_index(self, ctx: ResolveContext | None) -> dict[str, list[_Entry]]:
        out: dict[str, list[_Entry]] = {}
        if ctx is None or not ctx.local_aliases:
            return out
        for alias, oid in ctx.local_aliases.items():
            org = self.get(oid)
            if isinstance(alias, str) and org is not None:
                key = " ".join(_key_words(alias))
                if key:
                    out.setdefault(key, []).append(_Entry(org.id, "local-alias", alias))
        return out

    def _candidates(self, entries: Iterable[_Entry], method_override: str | None = None) -> list[Candidate]:
        out = []
        for e in entries:
            if e.org_id is None:
                continue
            method = e.method if method_override is None or e.method == "local-alias" else method_override
            out.append(Candidate(self._orgs[e.org_id], METHOD_SCORES[method], method, e.surface))
        return out

    # -- resolve ------------------------------------------------------------------------
    def resolve(self, name: str, context: ResolveContext | None = None) -> list[Candidate]:
        """Ranked candidate organisations for one name (empty when nothing fits)."""
        return self._resolve(name, context)

    def _resolve(
        self, name: str, context: ResolveContext | None, *, embedded: bool = True, fuzzy: bool = True,
    ) -> list[Candidate]:
        if not isinstance(name, str):
            return []
        text = _clean(name).strip()
        words = _key_words(text)
        if not words:
            return []
        ctx = context
        local = self._local_index(ctx)
        key = " ".join(words)
        acronym = _is_compact_surface(text)
        if key in local:
            return self._rank(self._candidates(local[key]), ctx, acronym)
        cands: list[Candidate] = []
        oid = self._upper_ids.get(text.upper())
        if oid is not None and self._orgs[oid].ods:
            cands.append(Candidate(self._orgs[oid], METHOD_SCORES["ods"], "ods", oid))
        cands += self._candidates(e for e in self._index.get(key, []) if not e.needs_suffix)
        if not cands:
            stripped, had_suffix = _strip_affixes(words)
            skey = " ".join(stripped)
            entries = [e for e in self._index.get(skey, []) if had_suffix or not e.needs_suffix]
            cands += self._candidates(entries, "normalised")
            if not cands and skey in local:
                cands += self._candidates(local[skey])
        if not cands:
            joined = self._join_variant(text)
            if joined:
                cands += self._candidates(self._index.get(joined, []), "normalised")
        if not cands and embedded:
            cands = self._embedded(text, ctx)
            if cands:
                return cands
        if not cands and fuzzy:
            cands = self._fuzzy(text, words)
        return self._rank(cands, ctx, acronym)

    def _embedded(self, text: str, ctx: ResolveContext | None) -> list[Candidate]:
        """The one organisation named inside a longer text ("Acute (Imperial)"), scored a little lower."""
        found = [m for m in self.find_mentions(text, ctx) if m.candidates]
        if len({m.best.org.id for m in found}) != 1:
            return []
        return [Candidate(c.org, round(max(0.0, c.score - 0.05), 3), c.method, c.matched) for c in found[0].candidates]

    @staticmethod
    def _join_variant(text: str) -> str | None:
        """A line-broken acronym put back together: "CB C" → "cbc" (only for short capitals)."""
        parts = text.split()
        if 2 <= len(parts) <= 3 and all(p.isupper() and len(p) <= 3 for p in parts):
            return _norm_word("".join(parts))
        return None

    def _fuzzy(self, text: str, words: list[str]) -> list[Candidate]:
        compact = _compact(text)
        if _ACRONYM_RE.match(compact) or (compact.isupper() and 4 <= len(compact) <= 8):
            return self._fuzzy_acronym(compact)
        stripped, _ = _strip_affixes(words)
        query = " ".join(stripped or words)
        if len(query) < 6:
            return []
        out = []
        for key, score, _ in process.extract(query, self._fuzzy_keys, scorer=fuzz.token_sort_ratio,
                                             score_cutoff=_FUZZY_CUTOFF, limit=5):
            s = _FUZZY_FLOOR + (_FUZZY_CEIL - _FUZZY_FLOOR) * (score - _FUZZY_CUTOFF) / (100 - _FUZZY_CUTOFF)
            for oid in self._fuzzy_ids[key]:
                out.append(Candidate(self._orgs[oid], round(s, 3), "fuzzy", key))
        return out

    def _fuzzy_acronym(self, token: str) -> list[Candidate]:
        """A known acronym of five or more letters with one letter wrong ("EFAST" → "EEAST")."""
        t = token.upper()
        if len(t) < 5 or t in self._jargon:
            return []
        out = []
        for acr, ids in self._acronyms.items():
            if len(acr) == len(t) and acr[0] == t[0] and Levenshtein.distance(acr, t) == 1:
                out += [Candidate(self._orgs[oid], _ACRONYM_FUZZY_SCORE, "fuzzy", acr) for oid in ids]
        return out

    # -- suggest ------------------------------------------------------------------------
    def suggest(self, q: str, limit: int = 5) -> list[Organisation]:
        """Organisations whose name or an alias is close to ``q`` ("did you mean ...?")."""
        if not isinstance(q, str) or not q.strip() or limit <= 0:
            return []
        choices: dict[str, str] = {}
        for org in self._orgs.values():
            for surface in (org.name, *org.aliases):
                choices.setdefault(surface, org.id)
        hits = process.extract(q.strip(), list(choices), scorer=fuzz.WRatio, processor=str.lower,
                               score_cutoff=60, limit=limit * 6)
        out: list[Organisation] = []
        for surface, _, _ in hits:
            org = self._orgs[choices[surface]]
            if org not in out:
                out.append(org)
            if len(out) == limit:
                break
        return out

    # -- learning local aliases ---------------------------------------------------------
    def learn_aliases(self, document_text: str, context: ResolveContext | None = None) -> dict[str, str]:
        """Abbreviations a document defines for organisations: "Bedford Hospital Trust (BHT)".

        Returns ``{abbreviation: organisation id}``; only definitions whose full name resolves
        (without fuzzy matching) and whose letters fit the abbreviation are kept.  The first
        definition of an abbreviation wins.
        """
        if not isinstance(document_text, str) or not document_text:
            return {}
        text = _clean(document_text)
        learnt: dict[str, str] = {}
        for m in _DEFINITION_RE.finditer(text):
            abbr = m.group(1)
            if abbr in learnt or abbr.upper() in self._jargon or sum(c.isupper() for c in abbr) < 2:
                continue
            line_start = text.rfind("\n", 0, m.start()) + 1
            before = _tokens(text[line_start:m.start()])
            # the words since the last barrier or comma
            cut = max((i for i, t in enumerate(before) if t.barrier or t.comma), default=-1)
            words = [t for t in before[cut + 1:] if t.word][-12:]
            for n in range(len(words), 0, -1):
                phrase = text[line_start + words[-n].start: line_start + words[-1].end]
                cands = self._resolve(phrase, context, embedded=False, fuzzy=False)
                if cands and _abbreviates(abbr, phrase):
                    learnt[abbr] = cands[0].org.id
                    break
        return learnt

    # -- finding mentions ---------------------------------------------------------------
    def find_mentions(self, text: str, context: ResolveContext | None = None) -> list[Mention]:
        """Organisations, generic groups and unresolved organisation-like phrases in ``text``.

        Works on a provider cell ("BHT L&D MK", "Acute Providers Primary Care GP Practices") and
        on prose.  In a provider list bare sector words ("Acute", "Community") are groups and
        unknown acronyms are reported as unresolved; in prose only explicit group phrases
        ("acute providers", "GP practices", "care homes") count.
        """
        if not isinstance(text, str) or not text.strip():
            return []
        clean = _clean(text)
        toks = _tokens(clean)
        if not toks:
            return []
        list_mode = _looks_like_list(toks)
        local = self._local_index(context)
        mentions: list[Mention] = []
        taken = [False] * len(toks)

        # 1. organisations (and known non-organisation phrases), longest match first
        i = 0
        while i < len(toks):
            hit = self._match_at(toks, i, clean, local) if toks[i].word else None
            if hit is None:
                i += 1
                continue
            end, entries, method_override = hit
            for k in range(i, end):
                taken[k] = True
            orgs = [e for e in entries if e.org_id is not None]
            if orgs:
                start_c, end_c = toks[i].start, toks[end - 1].end
                surface = orgs[0].surface
                cands = self._rank(self._candidates(orgs, method_override), context, _is_compact_surface(surface))
                mentions.append(Mention(text[start_c:end_c], start_c, end_c, cands, None))
            i = end

        # 2. organisation-like phrases nobody knows ("Foo Valley Healthcare Trust") and acronyms
        for a, b in self._org_like_runs(toks, taken):
            start_c, end_c = toks[a].start, toks[b - 1].end
            phrase = text[start_c:end_c]
            cands = self._rank(self._fuzzy(phrase, [t.norm for t in toks[a:b]]), context)
            mentions.append(Mention(phrase, start_c, end_c, cands, None))
            for k in range(a, b):
                taken[k] = True

        # 3. generic provider groups, on the text with organisations blanked out
        masked = list(clean)
        for k, t in enumerate(toks):
            if taken[k]:
                masked[t.start:t.end] = " " * (t.end - t.start)
        for span in self._group_spans("".join(masked)):
            for k, t in enumerate(toks):
                if t.start >= span.start and t.end <= span.end:
                    taken[k] = True
            if span.strong or list_mode:
                mentions.append(Mention(text[span.start:span.end], span.start, span.end, [], span.group))

        # 4. acronyms left over: one letter off a known one, or (in a provider list) unknown
        shouting = clean.upper() == clean  # an all-capitals heading, not a list of acronyms
        for k, t in enumerate(toks):
            if taken[k] or not t.word:
                continue
            raw = t.raw.rstrip("'’")
            if not _ACRONYM_RE.match(raw) or raw.upper() in self._jargon or raw[:-1].upper() in self._jargon:
                continue
            cands = self._rank(self._fuzzy_acronym(raw), context, True)
            if cands or (list_mode and not shouting and _UNKNOWN_ACRONYM_RE.match(raw) and not _ROMAN_RE.match(raw)):
                mentions.append(Mention(text[t.start:t.end], t.start, t.end, cands, None))

        mentions.sort(key=lambda m: (m.start, m.end))
        return mentions

    def _match_at(
        self, toks: list[_Token], i: int, clean: str, local: dict[str, list[_Entry]],
    ) -> tuple[int, list[_Entry], str | None] | None:
        """The longest index entry starting at token ``i``: (end token, entries, method override)."""
        limit = max(self._first.get(toks[i].norm, 0),
                    max((len(k.split()) for k in local if k.split()[0] == toks[i].norm), default=0))
        if limit == 0:
            return self._match_joined(toks, i, clean, local)
        words: list[str] = []
        ends: list[int] = []
        j = i
        while j < len(toks) and len(words) < limit + 2:
            t = toks[j]
            if t.barrier:
                break
            if t.word:
                words.append(t.norm)
                ends.append(j + 1)
            j += 1
        # try the longest run of words first
        for n in range(len(words), 0, -1):
            end = ends[n - 1]
            key = " ".join(_rewrite(words[:n]))
            matched = clean[toks[i].start:toks[end - 1].end]
            suffix = self._suffix_len(toks, end)
            for index in (local, self._index):
                entries = [e for e in index.get(key, [])
                           if (suffix or not e.needs_suffix) and self._surface_ok(e, matched)]
                if entries:
                    if suffix and any(e.org_id for e in entries):
                        return end + suffix, entries, "normalised"
                    return end, entries, None
        return self._match_joined(toks, i, clean, local)

    def _match_joined(
        self, toks: list[_Token], i: int, clean: str, local: dict[str, list[_Entry]],
    ) -> tuple[int, list[_Entry], str | None] | None:
        """Join a line-broken acronym: "CB C" → "CBC" (two short capital tokens, one space apart)."""
        if i + 1 < len(toks) and toks[i].word and toks[i + 1].word:
            a, b = toks[i], toks[i + 1]
            if (a.raw.isupper() and b.raw.isupper() and len(a.raw) <= 3 and len(b.raw) <= 2
                    and clean[a.end:b.start].isspace()):
                key = _norm_word(a.raw + b.raw)
                for index in (local, self._index):
                    entries = [e for e in index.get(key, []) if e.org_id and _is_compact_surface(e.surface)]
                    if entries:
                        return i + 2, entries, "normalised" if index is self._index else None
        return None

    def _surface_ok(self, e: _Entry, matched: str) -> bool:
        if e.method == "none":
            return True
        if e.method == "ods":
            return _compact(matched).upper() == e.surface.upper() and _compact(matched).isupper()
        return _case_ok(e.surface, matched)

    @staticmethod
    def _suffix_len(toks: list[_Token], end: int) -> int:
        """How many tokens of "NHS Foundation Trust" / "FT" / "Trust" follow token ``end``."""
        following = []
        j = end
        while j < len(toks) and toks[j].word and len(following) < 4:
            following.append(toks[j].norm)
            j += 1
        for suf in _SUFFIXES:
            if suf != ("nhs",) and tuple(following[:len(suf)]) == suf:
                return len(suf)
        return 0

    def _org_like_runs(self, toks: list[_Token], taken: list[bool]) -> Iterator[tuple[int, int]]:
        """Token ranges of capitalised phrases ending in an organisation word ("... Trust")."""
        k = 0
        n = len(toks)
        while k < n:
            if taken[k] or not toks[k].word or not _capitalised(toks[k]):
                k += 1
                continue
            a = k
            b = k
            while b < n and not taken[b] and toks[b].word and (
                    _capitalised(toks[b]) or (toks[b].norm in _CONNECTORS and b + 1 < n and toks[b + 1].word
                                              and not taken[b + 1] and _capitalised(toks[b + 1]))):
                b += 1
            k = b
            run = list(range(a, b))
            while run and toks[run[0]].norm in _STARTERS:
                run.pop(0)
            # the run must end in an organisation word: "... Trust", not "Procedures of Limited Clinical Value"
            if len(run) < 2 or toks[run[-1]].norm not in _HEAD_WORDS or toks[run[-2]].norm in _CONNECTORS:
                continue
            if {toks[r].norm for r in run} <= _GENERIC_WORDS | _STARTERS:
                continue
            yield run[0], run[-1] + 1

    def _group_spans(self, text: str) -> list[_Span]:
        found: list[_Span] = []
        for p in self._group_patterns:
            for m in p.regex.finditer(text):
                if m.end() > m.start():
                    found.append(_Span(m.start(), m.end(), p.group, p.strong))
        for m in _COORD_RE.finditer(text):
            for adj in _ADJ_RE.finditer(m.group()):
                word = adj.group()
                for p in self._weak_patterns:
                    if p.regex.fullmatch(word):
                        found.append(_Span(m.start() + adj.start(), m.start() + adj.end(), p.group, True))
                        break
        # longest first, strong before weak, leftmost first; keep non-overlapping
        found.sort(key=lambda s: (-(s.end - s.start), not s.strong, s.start))
        chosen: list[_Span] = []
        for s in found:
            if all(s.end <= c.start or s.start >= c.end for c in chosen):
                chosen.append(s)
        return sorted(chosen, key=lambda s: s.start)


def _capitalised(t: _Token) -> bool:
    c = t.raw[:1]
    return c.isupper() or (c.isdigit() and any(ch.isalpha() for ch in t.raw))


def _looks_like_list(toks: list[_Token]) -> bool:
    """A provider cell ("Acute BHT L&D MK") rather than a sentence."""
    words = [t for t in toks if t.word]
    if not words or len(words) > 40:
        return False
    if any(t.norm in _FUNCTION_WORDS for t in words):
        return False
    caps = sum(1 for t in words if _capitalised(t) or t.raw == "&")
    return caps >= 0.5 * len(words)


def _abbreviates(abbr: str, phrase: str) -> bool:
    """Could ``abbr`` abbreviate ``phrase``?  Its capitals appear in order, starting with the first."""
    letters = [c.lower() for c in abbr if c.isupper()]
    text = re.sub(r"[^a-z]", "", phrase.lower())
    if not letters or not text or letters[0] != text[0]:
        return False
    pos = 0
    for c in letters:
        pos = text.find(c, pos)
        if pos < 0:
            return False
        pos += 1
    return True


@functools.cache
def _default_registry() -> Registry:
    return Registry._from_dir(DATA_DIR)
