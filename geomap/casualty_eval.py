"""Evaluation against casualty gold (definitions in the README, "geomap eval"):
the killed and injured numbers the map shows for each headline, against
the numbers annotated for it.

A number is shown when the incidents stage gives it to a place on the map;
it is right when a gold entry of the same headline has that value for that
field. Precision is over all numbers shown; recall over the gold numbers of
entries whose incident has a place (a map has nowhere to show the others).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from geomap.incidents import counts_by_mention
from geomap.resolve import ResolvedDocument

FIELDS = ("killed", "injured")


def is_casualty_gold(records: list[dict]) -> bool:
    return bool(records) and all(isinstance(r.get("casualties"), list) for r in records)


def _key(sentence: str) -> str:
    return re.sub(r"\s+", " ", sentence).strip().casefold()


def _headlines(text: str) -> list[tuple[int, int]]:
    """The (start, end) of each headline of a text: its parts between semicolons."""
    spans, start = [], 0
    for part in text.split(";"):
        spans.append((start, start + len(part)))
        start += len(part) + 1
    return spans


def shown_numbers(text: str, resolved: ResolvedDocument) -> set[tuple[str, str, int]]:
    """(headline, field, value) of every killed and injured number the map
    shows for the text, each headline as a normalised key."""
    headlines = _headlines(text)
    shown = set()
    for counts in counts_by_mention(resolved.resolutions).values():
        for count in counts:
            if count.what not in FIELDS:
                continue
            start, end = next(((s, e) for s, e in headlines if s <= count.start < e),
                              headlines[-1])
            shown.add((_key(text[start:end]), count.what, count.value))
    return shown


def score_casualties(records: list[dict], resolved: Iterable[ResolvedDocument]) -> dict:
    by_id = {resolved_document.document.id: resolved_document for resolved_document in resolved}
    shown_total = right = gold_total = found = 0
    per_field = {what: {"shown": 0, "right": 0, "gold": 0, "found": 0} for what in FIELDS}
    errors = []
    for record in records:
        gold: dict[str, list[dict]] = {}
        for entry in record["casualties"]:
            gold.setdefault(_key(entry["sentence"]), []).append(entry)
        resolved_document = by_id.get(str(record["id"]))
        shown = shown_numbers(record["text"], resolved_document) if resolved_document else set()
        for headline, what, value in sorted(shown):
            ok = any(entry.get(what) == value for entry in gold.get(headline, ()))
            per_field[what]["shown"] += 1
            per_field[what]["right"] += ok
            if not ok:
                errors.append({"type": "wrong number", "doc": str(record["id"]),
                               "text": headline[:200], "pick": f"{value} {what}"})
        for headline, entries in gold.items():
            for entry in entries:
                if not entry.get("place"):
                    continue
                for what in FIELDS:
                    if entry.get(what) is None:
                        continue
                    per_field[what]["gold"] += 1
                    hit = (headline, what, entry[what]) in shown
                    per_field[what]["found"] += hit
                    if not hit:
                        errors.append({"type": "missed number", "doc": str(record["id"]),
                                       "text": headline[:200],
                                       "gold": f"{entry[what]} {what}"})
    for figures in per_field.values():
        shown_total += figures["shown"]
        right += figures["right"]
        gold_total += figures["gold"]
        found += figures["found"]
    fields = {what: {**f, "precision": _share(f["right"], f["shown"]),
                     "recall": _share(f["found"], f["gold"])} for what, f in per_field.items()}
    return {"kind": "casualties", "documents": len(records),
            "all": {"shown": shown_total, "right": right, "gold": gold_total, "found": found,
                    "precision": _share(right, shown_total),
                    "recall": _share(found, gold_total)},
            "fields": fields, "errors": errors}


def _share(hits: int, total: int) -> float | None:
    return round(hits / total, 4) if total else None


def format_casualties(report: dict) -> str:
    lines = [f"casualty gold: {report['documents']} texts", "",
             "numbers     shown  right  precision  gold  found  recall"]
    for name, f in [("all", report["all"]), *report["fields"].items()]:
        lines.append(f"  {name:<10}{f['shown']:<7}{f['right']:<7}{_fmt(f['precision']):<11}"
                     f"{f['gold']:<6}{f['found']:<7}{_fmt(f['recall'])}")
    return "\n".join(lines)


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"
