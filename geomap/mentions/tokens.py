"""The token view: a parsed document's tokens as plain lists, the one token
API the mention rules use.

spaCy builds a new Token object on every doc[i], slice and iteration; the
view reads the document's arrays once. Lower-case forms, tags and entity
types are looked up only for the tokens asked about. Spans of tokens are
TokenSpans (start, end and the label of the entity they come from).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.strings import StringStore
    from spacy.tokens import Doc

ATTRIBUTES: list[int | str] = ["IDX", "LENGTH", "SPACY", "IS_STOP", "LOWER", "TAG", "ENT_IOB",
                               "ENT_TYPE", "SENT_START", "LEMMA", "LIKE_NUM", "DEP"]
ENTITY_BEGIN = 3  # ENT_IOB's code for "B"
HYPHENS = "-–"


@dataclass(frozen=True)
class TokenSpan:
    """Tokens start..end (end excluded), with the entity label they come from."""

    start: int
    end: int
    label: str = ""

    def __len__(self) -> int:
        return self.end - self.start


@dataclass(frozen=True)
class Tokens:
    """A parsed document's tokens, column by column."""

    text: str  # the document's, which spaCy rebuilds from its tokens on each access
    texts: list[str]
    starts: list[int]  # character offsets
    spaced: list[int]  # 1 if followed by a space
    stops: list[int]  # 1 for a stop word
    lower_ids: list[int]
    tag_ids: list[int]
    entity_iobs: list[int]
    entity_type_ids: list[int]
    sentence_starts: list[int]  # 1 where the model starts a sentence
    lemma_ids: list[int]
    like_numbers: list[int]  # 1 for digits and number words
    dep_ids: list[int]  # the dependency label of each token's arc to its head
    heads: list[int]  # each token's head (itself for a sentence's root or with no parser)
    entities: list[TokenSpan]  # the model's named entities, in order
    strings: StringStore

    def __len__(self) -> int:
        return len(self.texts)

    def lower(self, i: int) -> str:
        return self.strings[self.lower_ids[i]]

    def tag(self, i: int) -> str:
        return self.strings[self.tag_ids[i]]

    def dep(self, i: int) -> str:
        return self.strings[self.dep_ids[i]]

    def entity_type(self, i: int) -> str:
        """The label of the entity token i is in, or ""."""
        return self.strings[self.entity_type_ids[i]]

    def begins_entity(self, i: int) -> bool:
        return self.entity_iobs[i] == ENTITY_BEGIN

    def end_char(self, end: int) -> int:
        """Where the token before `end` ends."""
        return self.starts[end - 1] + len(self.texts[end - 1])

    def span_text(self, span: TokenSpan) -> str:
        return self.text[self.starts[span.start]:self.end_char(span.end)]

    def glued_to_neighbour(self, start: int, end: int) -> bool:
        """Tokens start..end are part of a longer hyphenated word ("Nova" in
        "Vuhlehirsk-Nova")."""
        texts, spaced = self.texts, self.spaced
        return bool((start > 0 and texts[start - 1] in HYPHENS and not spaced[start - 1])
                    or (end < len(texts) and texts[end] in HYPHENS and not spaced[end - 1]))


def tokens_of(doc: Doc, text: str) -> Tokens:
    """The tokens of `doc`, which was parsed from `text`."""
    columns = doc.to_array(ATTRIBUTES).T.tolist()
    (starts, lengths, spaced, stops, lower_ids, tag_ids, iobs, type_ids, sentence_starts,
     lemma_ids, like_numbers, dep_ids) = columns
    # HEAD is an offset from the token, negative ones wrapped in the unsigned array.
    offsets = doc.to_array("HEAD").astype("int64").tolist()
    heads = [i + offset for i, offset in enumerate(offsets)]
    entities = [TokenSpan(ent.start, ent.end, ent.label_) for ent in doc.ents]
    return Tokens(text, [text[start:start + length] for start, length in zip(starts, lengths)],
                  starts, spaced, stops, lower_ids, tag_ids, iobs, type_ids, sentence_starts,
                  lemma_ids, like_numbers, dep_ids, heads, entities, doc.vocab.strings)
