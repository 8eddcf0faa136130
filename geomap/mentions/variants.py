"""Variant spellings: names the gazetteer knows only under another
transliteration ("Lysichansk" for Lysychansk, "Belaya Kamenka" for Bila
Kamianka), found where they stand as places."""

from __future__ import annotations

from geomap.gazetteer import Gazetteer, normalize
from geomap.mentions.entities import entity_core
from geomap.mentions.tokens import HYPHENS, Tokens, TokenSpan

MIN_VARIANT_LENGTH = 5
MAX_VARIANT_WORDS = 3
SENTENCE_START = 1  # SENT_START's value for a sentence's first token
# A name the gazetteer knows only under other spellings is taken for a place
# on evidence: the model calls it one, or the sentence puts it where a place
# stands, or it is a headline of its own. Entities of these kinds are no
# place even then.
PLACE_ENTITIES = ("GPE", "LOC", "FAC")
NOT_PLACE_ENTITIES = ("DATE", "TIME", "CARDINAL", "ORDINAL", "QUANTITY", "MONEY", "PERCENT")
# Words a name may qualify and still stand as a place ("in the Volnovakhsky district").
AREA_WORDS = {"district", "region", "raion", "rayon", "oblast", "province", "community",
              "hromada", "area", "direction"}
# A name stands as a place as the object of these prepositions ...
LOCATIVE_PREPOSITIONS = {"in", "near", "at", "around", "outside", "towards", "toward", "into",
                         "across", "beyond"}
# ... or of "of" after these words ("the centre of Lysichansk") ...
PLACE_OF_WORDS = {"center", "centre", "outskirts", "area", "areas", "village", "town", "city",
                  "suburbs", "vicinity", "district", "direction", "residents", "shelling",
                  "battle", "liberation", "capture", "encirclement", "south", "north", "east",
                  "west", "southeast", "southwest", "northeast", "northwest", "defenders",
                  "defence", "defense", "siege", "fall", "bombing", "occupation", "evacuation",
                  "mayor", "governor"}
# ... or as the object of these verbs of war ("shelled Lysichansk").
PLACE_VERBS = {"hit", "hits", "shelled", "shells", "shell", "struck", "strikes", "strike",
               "attacked", "attacks", "attack", "bombed", "bombs", "captured", "captures",
               "capture", "seized", "seizes", "liberated", "liberates", "liberate",
               "recaptured", "retook", "retake", "stormed", "storms", "entered", "enters",
               "occupied", "occupies", "encircled", "surrounded", "evacuated", "targeted",
               "pounded", "raided"}


def variant_span(tokens: Tokens, i: int, gazetteer: Gazetteer,
                 entity_starts: dict[int, TokenSpan]) -> TokenSpan | None:
    """A name from token i that the gazetteer knows only under another
    transliteration, a whole entity of the model's or one word, where the
    evidence says it is a place."""
    spans = []
    if tokens.begins_entity(i):
        spans.append(entity_core(tokens, entity_starts[i]))
    # Capitalised words in a row, longest first: "Tsvetnye Peski", not "Peski".
    end = i + 1
    while (end < len(tokens) and end < i + MAX_VARIANT_WORDS
           and tokens.texts[end][:1].isupper() and tokens.spaced[end - 1]):
        end += 1
    spans += [TokenSpan(i, j) for j in range(end, i, -1)]
    for span in spans:
        entity_type = tokens.entity_type(i)
        if entity_type in NOT_PLACE_ENTITIES or not (
                entity_type in PLACE_ENTITIES or stands_alone(tokens, span)
                or stands_as_place(tokens, span)):
            continue
        text = tokens.span_text(span)
        if (text.isupper() or (span.end < len(tokens) and tokens.tag(span.end) == "POS")
                or (span.start > 0 and tokens.texts[span.start - 1] in HYPHENS
                    and tokens.spaced[span.start - 1])):
            # A shouted headline's words are no evidence of a name, an unknown
            # possessor ("in Budanov's words") is mostly a person, and so is a
            # headline's source after a dash ("... near Seversk - Kadyrov").
            continue
        # A name the gazetteer knows as written is no other spelling of another
        # ("Minsk" is not "Minskiy").
        if (len(text) >= MIN_VARIANT_LENGTH and not gazetteer.has_key(normalize(text))
                and not (len(span) == 1 and tokens.glued_to_neighbour(span.start, span.end))
                and gazetteer.lookup_variants(text)):
            return span
    return None


def stands_alone(tokens: Tokens, span: TokenSpan) -> bool:
    """Whether the span is all the words of its sentence, or of its part of a
    digest of headlines joined by semicolons: a headline that is only a name
    ("Lutugyne"; "Provalie;Provalie"), as event datasets write them."""
    def bound(j: int) -> bool:
        # Not after a dash: "... - Marochko" names a headline's source.
        return tokens.texts[j - 1] == ";" or (tokens.sentence_starts[j] == SENTENCE_START
                                              and tokens.texts[j - 1] not in HYPHENS)

    start = span.start
    while start > 0 and not bound(start):
        start -= 1
    end = span.end
    while end < len(tokens) and not bound(end):
        end += 1
    return not any(tokens.texts[j][:1].isalnum()
                   for j in (*range(start, span.start), *range(span.end, end)))


def stands_as_place(tokens: Tokens, span: TokenSpan) -> bool:
    """Whether the parse puts the span where a place stands: after "in",
    "near", "at" ..., "the centre of", as what was shelled or captured, also
    as the second of two names joined by "and", or naming a district or
    region that stands there."""
    # Right after "in" or "shelled" stands a place, however the small model
    # parses an unfamiliar word (it takes "shelled Lysichansk" for an adverb).
    if span.start > 0 and tokens.lower(span.start - 1) in LOCATIVE_PREPOSITIONS | PLACE_VERBS:
        return True
    heads = tokens.heads
    # The span's own head word: the one whose head lies outside it.
    word = next((j for j in range(span.start, span.end)
                 if not span.start <= heads[j] < span.end), span.end - 1)
    while heads[word] != word and (
            tokens.dep(word) == "conj"
            or (tokens.dep(word) in ("compound", "amod")
                and tokens.lower(heads[word]) in AREA_WORDS)):
        word = heads[word]
    if tokens.dep(word) == "dobj":
        return tokens.lower(heads[word]) in PLACE_VERBS
    if tokens.dep(word) != "pobj":
        return False
    preposition = heads[word]
    if tokens.lower(preposition) in LOCATIVE_PREPOSITIONS:
        return True
    return (tokens.lower(preposition) == "of" and heads[preposition] != preposition
            and tokens.lower(heads[preposition]) in PLACE_OF_WORDS)
