"""A worker's job: a batch of documents through the mentions and resolution
stages, in whatever process runs it (this one with --jobs 1, a worker
process, a Dask worker). The model and the gazetteer are loaded once per
process: both loaders are cached."""

from __future__ import annotations

from dataclasses import dataclass

from geomap import gazetteer
from geomap.documents import Document
from geomap.mentions import Mention, extract_mentions
from geomap.mentions.nlp import load_pipeline
from geomap.resolve import Resolution, resolve_document


@dataclass(frozen=True)
class DocumentResult:
    """What a worker found in one document."""

    mentions: list[Mention]
    resolutions: list[Resolution] | None  # None when the parent resolves them (it geocodes)


def resolve_batch(documents: list[Document], model: str, geocoding: bool) -> list[DocumentResult]:
    """Each document's mentions, and its resolutions unless the parent
    geocodes (then it resolves them itself, owning the geocoder's rate limit
    and cache). The model is loaded only if there is a document."""
    if not documents:
        return []
    places = gazetteer.load()
    return [DocumentResult(found, None if geocoding
                           else resolve_document(found, places, None, document.date))
            for document, found in extract_mentions(documents, places, load_pipeline(model))]


def warm_up(model: str) -> None:
    """Load the gazetteer and the model, before any document needs them."""
    gazetteer.load()
    load_pipeline(model)
