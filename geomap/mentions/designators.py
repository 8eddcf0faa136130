"""Designators: the words around a name that say what kind of place it is
("Kharkiv region", "Kramatorsk railway station", "Sumy Governor", "the port
of Chornomorsk", "the Dnipro"), and a found name with them."""

from __future__ import annotations

from dataclasses import dataclass

from geomap.mentions.gazetteer_names import MAX_NAME_TOKENS
from geomap.mentions.tokens import Tokens, TokenSpan

# Words after a name that say what kind of place it is. Those in the first
# table belong to the name ("Kharkiv region", "Kramatorsk railway station")
# and join its span; the ones in the second only tell ("Sumy Governor ...").
DESIGNATORS = {
    ("region",): "region", ("regions",): "region", ("oblast",): "region",
    ("oblasts",): "region", ("province",): "region", ("obl",): "region",
    ("district",): "district", ("districts",): "district", ("raion",): "district",
    ("rayon",): "district", ("county",): "district",
    ("river",): "river", ("reservoir",): "reservoir",
    ("nuclear", "power", "plant"): "plant", ("nuclear", "plant"): "plant",
    ("nuclear", "power", "station"): "plant",
    ("power", "plant"): "plant", ("power", "station"): "plant", ("plant",): "plant",
    ("npp",): "plant", ("hydroelectric", "power", "plant"): "plant",
    ("steel", "plant"): "plant", ("steel", "works"): "plant",
    ("railway", "station"): "station", ("train", "station"): "station",
    ("international", "airport"): "airport", ("airport",): "airport", ("airfield",): "airport",
    ("dam",): "dam", ("bridge",): "bridge", ("port",): "port", ("seaport",): "port",
    ("city",): "city", ("town",): "city", ("village",): "city",
    ("community",): "community", ("hromada",): "community",
    ("territorial", "community"): "community",
}
TELLING_WORDS = {("governor",): "region", ("regional", "governor"): "region",
                 ("oblast", "governor"): "region",
                 # "the Bakhmut direction": front-line reports name the town
                 ("direction",): "city", ("axis",): "city", ("area",): "city",
                 ("sector",): "city", ("outskirts",): "city"}
# Words before a name that say what it is: "the port of Chornomorsk".
LEADING_WORDS = {("port", "of"): "port", ("seaport", "of"): "port"}
MAX_DESIGNATOR = max(len(words) for words in DESIGNATORS)
NOUN_TAGS = ("NN", "NNS", "NNP", "NNPS", "POS")


@dataclass(frozen=True)
class Found:
    """A place-name span before it becomes a Mention."""

    span: TokenSpan  # the name with its designator words
    name: TokenSpan
    label: str  # the model's entity label, or "GAZETTEER"
    designator: str
    after_article: bool


def with_designator(tokens: Tokens, name: TokenSpan, label: str) -> Found:
    """A found name with the designator words after it, or within it (a
    gazetteer name may carry its own: "Kherson region")."""
    for start in range(name.start + 1, name.end):
        n, designator = designator_at(tokens, start, DESIGNATORS)
        if start + n == name.end:
            bare = TokenSpan(name.start, start)
            return Found(name, bare, label, designator, _after_article(tokens, bare, name))
    n, designator = designator_at(tokens, name.end, DESIGNATORS)
    span = TokenSpan(name.start, name.end + n) if n else name
    if not designator:
        designator = (designator_at(tokens, name.end, TELLING_WORDS)[1]
                      or _leading_designator(tokens, name.start)
                      or _coordinated_designator(tokens, name.end))
    return Found(span, name, label, designator, _after_article(tokens, name, span))


def designator_at(tokens: Tokens, i: int, table: dict) -> tuple[int, str]:
    """The longest designator phrase of `table` starting at token i: (length, kind)."""
    following = tuple(map(tokens.lower, range(i, min(i + MAX_DESIGNATOR, len(tokens)))))
    for n in range(len(following), 0, -1):
        kind = table.get(following[:n])
        if kind:
            return n, kind
    return 0, ""


def _leading_designator(tokens: Tokens, start: int) -> str:
    """'port' for a name from token `start` after "the port of" or "Port
    of". Not after "the besieged port of" or "the Black Sea port of": a word
    that describes the port describes the city."""
    if start < 2:
        return ""
    kind = LEADING_WORDS.get((tokens.lower(start - 2), tokens.lower(start - 1)), "")
    plain = (start == 2 or tokens.lower(start - 3) in ("the", "a")
             or tokens.texts[start - 2][:1].isupper())
    return kind if plain else ""


def _coordinated_designator(tokens: Tokens, end: int) -> str:
    """'Kyiv' in 'Kyiv and Chernihiv regions' is a region too (a name ending
    before token `end`)."""
    if end < len(tokens) and tokens.lower(end) in ("and", "or", ","):
        j = end + 1
        while (j < len(tokens) and j < end + 1 + MAX_NAME_TOKENS
               and tokens.texts[j][:1].isupper()):
            j += 1
        n, kind = designator_at(tokens, j, DESIGNATORS)
        if n and j > end + 1 and tokens.lower(j + n - 1).endswith("s"):
            return kind
    return ""


def _after_article(tokens: Tokens, name: TokenSpan, span: TokenSpan) -> bool:
    """'the Dnipro' (the name heads the phrase), not 'the Kharkiv counteroffensive'."""
    return (name.start > 0 and tokens.lower(name.start - 1) == "the"
            and (span.end >= len(tokens) or tokens.tag(span.end) not in NOUN_TAGS))
