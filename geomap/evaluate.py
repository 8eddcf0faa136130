"""Evaluation against gold locations (definitions in the README, "geomap eval").

Two gold kinds, told apart by their fields:
- toponym gold: records with `gold` (every place mention with its span and
  point) and `negatives`; scored on recognition and resolution;
- event gold: records with `gold_event` (one point per event description);
  scored on the most specific place resolved in the text.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from geopy.distance import distance

from geomap.resolve import Resolution

SETTLEMENT_KINDS = {"settlement", "facility"}
ADMIN_KINDS = SETTLEMENT_KINDS | {"raion", "oblast"}
# Most specific first: the answer for an event is the first mention of the
# best rank the text offers.
ANSWER_RANK = {"settlement": 0, "facility": 0, "raion": 1, "oblast": 2}


def read_gold(path: Path) -> list[dict]:
    """The gold records of a JSONL file; ValueError naming the line that is not one."""
    records = []
    try:
        with path.open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, start=1):
                if line.strip():
                    record = json.loads(line)
                    if not isinstance(record, dict):
                        raise ValueError(f"{path}:{number}: not a JSON object")
                    records.append(record)
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not UTF-8 text") from None
    except (json.JSONDecodeError, RecursionError):
        raise ValueError(f"{path}:{number}: not a line of JSON gold") from None
    return records


def gold_kind(records: list[dict]) -> str:
    if records and all("gold_event" in r for r in records):
        return "events"
    if records and all("gold" in r for r in records):
        return "toponyms"
    raise ValueError("gold records need a `gold` list, a `gold_event` or a `casualties` list "
                     "on every line")


def km(a: tuple[float, float], b: tuple[float, float]) -> float:
    return distance(a, b).km


def share(hits: int, total: int) -> float | None:
    return round(hits / total, 4) if total else None


@dataclass
class Tally:
    """Resolution hits for one group of matched gold mentions."""

    total: int = 0
    within_10: int = 0
    within_161: int = 0
    errors_km: list[float] = field(default_factory=list)

    def add(self, error: float | None) -> None:
        self.total += 1
        if error is not None:
            self.errors_km.append(error)
            self.within_10 += error <= 10
            self.within_161 += error <= 161

    def figures(self) -> dict:
        return {
            "mentions": self.total,
            "within_10km": share(self.within_10, self.total),
            "within_161km": share(self.within_161, self.total),
            "median_km": round(statistics.median(self.errors_km), 1) if self.errors_km else None,
        }


def gold_group(gold: dict) -> str:
    """The reporting group: Ukrainian settlements apart from regions, water, foreign."""
    kind = gold["kind"]
    if kind == "country":
        return "countries"
    if kind == "water":
        return "water"
    if gold.get("country", "UA") != "UA":
        return "foreign places"
    if kind in SETTLEMENT_KINDS:
        return "UA settlements+facilities"
    if kind in ("raion", "oblast"):
        return "UA raions+oblasts"
    return "other regions"


def _overlaps(a_start: int, a_end: int, b_start: int, b_end: int) -> bool:
    return a_start < b_end and b_start < a_end


def score_toponyms(records: list[dict], predictions: dict[str, list[Resolution]]) -> dict:
    matched_predictions = ignored = total_predictions = 0
    gold_total = gold_matched = 0
    groups: dict[str, Tally] = {}
    settlements, admin = Tally(), Tally()
    country_total = country_right = 0
    errors: list[dict] = []
    for record in records:
        doc_id = str(record["id"])
        preds = predictions.get(doc_id, [])
        used = [False] * len(preds)
        for gold in record["gold"]:
            overlapping = [i for i, r in enumerate(preds) if not used[i] and _overlaps(
                r.mention.start, r.mention.end, gold["start"], gold["end"])]
            if gold.get("metonymic"):
                for i in overlapping:
                    used[i] = True
                    ignored += 1
                continue
            gold_total += 1
            if not overlapping:
                errors.append({"type": "miss", "doc": doc_id, "text": gold["surface"],
                               "start": gold["start"], "gold": gold["name"], "kind": gold["kind"]})
                continue
            i = overlapping[0]
            used[i] = True
            gold_matched += 1
            matched_predictions += 1
            place = preds[i].place
            kind = gold["kind"]
            if kind == "country":
                country_total += 1
                right = place is not None and place.country == gold["country"]
                country_right += right
                if not right:
                    errors.append(_wrong(doc_id, gold, preds[i], None))
                groups.setdefault("countries", Tally()).add(0.0 if right else None)
                continue
            error = km((gold["lat"], gold["lon"]), (place.lat, place.lon)) if place else None
            groups.setdefault(gold_group(gold), Tally()).add(error)
            if kind in SETTLEMENT_KINDS:
                settlements.add(error)
            if kind in ADMIN_KINDS:
                admin.add(error)
            limit = 10 if kind in SETTLEMENT_KINDS else 161
            if error is None or error > limit:
                errors.append(_wrong(doc_id, gold, preds[i], error))
        total_predictions += len(preds)
        for i, resolution in enumerate(preds):
            if not used[i]:
                errors.append({"type": "false positive", "doc": doc_id,
                               "text": resolution.mention.text, "start": resolution.mention.start,
                               "pick": _pick(resolution)})
    counted = total_predictions - ignored
    precision = share(matched_predictions, counted)
    recall = share(gold_matched, gold_total)
    f1 = (round(2 * precision * recall / (precision + recall), 4)
          if precision and recall else None)
    return {
        "kind": "toponyms", "documents": len(records),
        "recognition": {"predictions": counted, "gold": gold_total, "matched": gold_matched,
                        "precision": precision, "recall": recall, "f1": f1},
        "resolution": {
            "settlements_facilities_within_10km": share(settlements.within_10, settlements.total),
            "admin_within_161km": share(admin.within_161, admin.total),
            "countries_right": share(country_right, country_total),
            "median_km_settlements_facilities": settlements.figures()["median_km"],
        },
        "groups": {name: tally.figures() for name, tally in sorted(groups.items())},
        "errors": errors,
    }


def _pick(resolution: Resolution) -> str:
    place = resolution.place
    if place is None:
        return f"unresolved ({resolution.reason})"
    where = ", ".join(p for p in (place.admin1, place.country) if p)
    return (f"{place.name} [{place.kind}; {where}] ({place.lat:.4f}, {place.lon:.4f}) - "
            f"{resolution.reason}")


def _wrong(doc_id: str, gold: dict, resolution: Resolution, error: float | None) -> dict:
    return {"type": "wrong pick", "doc": doc_id, "text": gold["surface"], "start": gold["start"],
            "gold": (f"{gold['name']} ({gold.get('lat')}, {gold.get('lon')}) "
                     f"{gold.get('country', '')}"),
            "pick": _pick(resolution), "km": None if error is None else round(error, 1)}


def event_answer(resolutions: Iterable[Resolution]) -> Resolution | None:
    """The first mention of the most specific kind resolved in the text."""
    best, best_rank = None, None
    for resolution in resolutions:
        place = resolution.place
        if place is None or place.kind not in ANSWER_RANK:
            continue
        rank = ANSWER_RANK[place.kind]
        if best_rank is None or rank < best_rank:
            best, best_rank = resolution, rank
    return best


def score_events(records: list[dict], predictions: dict[str, list[Resolution]]) -> dict:
    subsets = {"named_in_text": [r for r in records if r.get("named_in_text")], "all": records}
    figures, errors = {}, []
    for name, subset in subsets.items():
        within_10 = within_50 = unanswered = 0
        for record in subset:
            gold = record["gold_event"]
            answer = event_answer(predictions.get(str(record["id"]), []))
            place = answer.place if answer else None
            if place is None:
                unanswered += 1
                error = None
            else:
                error = km((gold["lat"], gold["lon"]), (place.lat, place.lon))
                within_10 += error <= 10
                within_50 += error <= 50
            if name == "all" and (error is None or error > 10):
                errors.append({
                    "type": "no answer" if answer is None else "far answer",
                    "doc": str(record["id"]), "text": record["text"][:200],
                    "gold": f"{gold['name']} ({gold['lat']}, {gold['lon']})",
                    "pick": _pick(answer) if answer else None,
                    "km": None if error is None else round(error, 1),
                    "named_in_text": record.get("named_in_text")})
        figures[name] = {"events": len(subset), "within_10km": share(within_10, len(subset)),
                         "within_50km": share(within_50, len(subset)),
                         "no_answer": unanswered}
    return {"kind": "events", "documents": len(records), "subsets": figures, "errors": errors}


def _fmt(value) -> str:
    if value is None:
        return "-"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def format_table(report: dict) -> str:
    lines = []
    if report["kind"] == "toponyms":
        rec, res = report["recognition"], report["resolution"]
        lines += [
            f"toponym gold: {report['documents']} documents, {rec['gold']} gold mentions, "
            f"{rec['predictions']} predicted",
            "",
            "recognition           precision  recall     F1",
            f"                      {_fmt(rec['precision']):<10} {_fmt(rec['recall']):<10} "
            f"{_fmt(rec['f1'])}",
            "",
            "resolution (over matched gold mentions)",
            "  settlements+facilities within 10 km         "
            + _fmt(res["settlements_facilities_within_10km"]),
            f"  settlements+facilities+raions+oblasts <161km {_fmt(res['admin_within_161km'])}",
            f"  countries given the right country           {_fmt(res['countries_right'])}",
            "  median error, settlements+facilities (km)   "
            + _fmt(res["median_km_settlements_facilities"]),
            "",
            "by group                     mentions  <=10km   <=161km  median km",
        ]
        for name, g in report["groups"].items():
            lines.append(f"  {name:<27}{g['mentions']:<10}{_fmt(g['within_10km']):<9}"
                         f"{_fmt(g['within_161km']):<9}{_fmt(g['median_km'])}")
    else:
        lines += [f"event gold: {report['documents']} event descriptions", "",
                  "subset            events  <=10km   <=50km   no answer"]
        for name, g in report["subsets"].items():
            lines.append(f"  {name:<16}{g['events']:<8}{_fmt(g['within_10km']):<9}"
                         f"{_fmt(g['within_50km']):<9}{g['no_answer']}")
    return "\n".join(lines)


def format_errors(report: dict) -> str:
    lines = []
    for e in report["errors"]:
        parts = [f"[{e['type']}]", f"{e['doc']}", repr(e["text"])]
        if "gold" in e:
            parts.append(f"gold: {e['gold']}")
        if e.get("pick"):
            parts.append(f"pick: {e['pick']}")
        if e.get("km") is not None:
            parts.append(f"{e['km']} km")
        lines.append("  ".join(parts))
    return "\n".join(lines)
