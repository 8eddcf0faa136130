"""Lemmas of the sentences that name a place: the words incidents are typed
from, lemmatised on their own by the pipes the pipeline left out of its run."""

from __future__ import annotations

import bisect
from typing import TYPE_CHECKING

from geomap.mentions.nlp import LEMMA_PIPES
from geomap.mentions.tokens import Tokens

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

# What the lemma pipes read of a token, besides its text.
LEMMA_INPUTS: list[int | str] = ["TAG", "POS", "MORPH", "LEMMA", "NORM"]
SentenceWordPairs = tuple[tuple[str, str], ...]  # (lower-case text, lemma) of each word


class SentenceWords:
    """The words of one parsed document's sentences as (lower-case text,
    lemma), each sentence lemmatised once."""

    def __init__(self, doc: Doc, tokens: Tokens, nlp: Language):
        self.doc, self.tokens = doc, tokens
        self.lemma_pipes = [nlp.get_pipe(name) for name in LEMMA_PIPES if name in nlp.disabled]
        # Read once for the whole document; each sentence takes its rows.
        self.lemma_inputs = doc.to_array(LEMMA_INPUTS) if self.lemma_pipes else None
        self.known: dict[tuple[int, int], SentenceWordPairs] = {}

    def __call__(self, start: int, end: int) -> SentenceWordPairs:
        """The words of the document's text[start:end]."""
        if (start, end) not in self.known:
            self.known[(start, end)] = self._read(start, end)
        return self.known[(start, end)]

    def _read(self, start: int, end: int) -> SentenceWordPairs:
        tokens = self.tokens
        # The tokens that hold the sentence's first and last characters, as
        # doc.char_span(start, end, alignment_mode="expand") finds them.
        first = bisect.bisect_right(tokens.starts, start) - 1
        last = bisect.bisect_right(tokens.starts, end - 1)
        if self.lemma_inputs is not None:
            from spacy.tokens import Doc  # loaded by now, with the pipeline

            # Tokens first..last as a Doc of their own, with what the lemma
            # pipes read. Span.as_doc would copy all the rest too, and walk
            # the whole document's entities on each call.
            sentence = Doc(self.doc.vocab, words=tokens.texts[first:last],
                           spaces=[flag == 1 for flag in tokens.spaced[first:last]])
            # spaCy's hints give to_array's array a float type; it is the
            # integer array from_array takes.
            sentence.from_array(LEMMA_INPUTS,
                                self.lemma_inputs[first:last])  # type: ignore[arg-type]
            for pipe in self.lemma_pipes:
                sentence = pipe(sentence)
            columns = sentence.to_array(["LOWER", "LEMMA", "IS_SPACE"]).T.tolist()
            lower_ids, lemma_ids, spaces = columns
        else:
            lower_ids, lemma_ids = tokens.lower_ids[first:last], tokens.lemma_ids[first:last]
            spaces = [text.isspace() for text in tokens.texts[first:last]]  # spaCy's is_space
        strings = tokens.strings
        # A token without a lemma (id 0, the empty string) stands for itself.
        return tuple((strings[lower_id],
                      lemma_id and strings[lemma_id].lower() or strings[lower_id])
                     for lower_id, lemma_id, space in zip(lower_ids, lemma_ids, spaces)
                     if not space)
