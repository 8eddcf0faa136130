"""Sentence bounds: the model's sentence around a mention, cut at paragraph
and heading breaks, which the statistical sentence splitter sometimes runs
across; hard-wrapped lines are not breaks."""

from __future__ import annotations

import bisect
import re

from geomap.mentions.tokens import Tokens

SENTENCE_END = (".", "!", "?", ":", ";", '"', "”", "’", "'", ")")
HEADING_MAX = 100  # a shorter line without final punctuation, followed by a capital, is a heading
LINE_BREAKS = re.compile(r"[ \t]*\n(?:[ \t]*\n)*[ \t]*")


class Sentences:
    """A parsed document's sentences as character ranges."""

    def __init__(self, tokens: Tokens):
        self.text = tokens.text
        # As in Doc.sents, they begin at the first token and wherever SENT_START is 1.
        begins = [i for i, flag in enumerate(tokens.sentence_starts) if flag == 1 or i == 0]
        self.starts = [tokens.starts[i] for i in begins]
        self.ends = [tokens.end_char(i) for i in begins[1:] + [len(tokens)]]

    def around(self, position: int) -> tuple[int, int]:
        """(start, end) of the sentence that holds the character at `position`."""
        sentence = bisect.bisect_right(self.starts, position) - 1
        return sentence_bounds(self.text, self.starts[sentence], self.ends[sentence], position)


def sentence_bounds(text: str, start: int, end: int, mention_start: int) -> tuple[int, int]:
    """The model's sentence text[start:end] around a mention, cut at paragraph
    and heading breaks."""
    for match in LINE_BREAKS.finditer(text, start, end):
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


def _is_line_break_boundary(text: str, newline: int) -> bool:
    """Whether a single line break ends a sentence (a heading or a finished line).

    Hard-wrapped prose breaks lines mid-sentence; those lines end without
    punctuation and run on in lower case.
    """
    line_start = text.rfind("\n", 0, newline) + 1
    line = text[line_start:newline].rstrip()
    following = text[newline + 1:newline + 2]
    return line.endswith(SENTENCE_END) or (len(line) < HEADING_MAX and following.isupper())
