import os
import tempfile
from pathlib import Path

import pytest

# Caches (extractions, geocoder answers) go to a fresh folder for each test run.
os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="geomap-test-cache-")
# In-process runs reuse the model loaded once for the session; the tests of
# worker processes ask for them with --jobs.
os.environ["GEOMAP_JOBS"] = "1"

from geomap import gazetteer, mentions, resolve
from geomap.documents import Document
from geomap.mentions.nlp import load_pipeline

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
# Short reports, for corpora of many documents.
NEWS = [
    "Missiles hit Kharkiv on Monday, the governor said. Two people were killed.",
    "Drones attacked Odesa overnight; three people were injured in the port.",
    "Ukrainian troops advanced near Bakhmut, the General Staff said.",
    "Shelling damaged homes in Kherson and Nikopol on Tuesday.",
    "A strike on a substation left Zaporizhzhia without power.",
    "Evacuation buses left Pokrovsk for Dnipro as fighting drew closer.",
]


@pytest.fixture(scope="session")
def places():
    return gazetteer.load()


@pytest.fixture(scope="session")
def nlp():
    return load_pipeline()


@pytest.fixture(scope="session")
def analyse(places, nlp):
    """Text -> the resolutions geomap makes for it, as one document."""

    def run(text: str, doc_id: str = "doc") -> list[resolve.Resolution]:
        document = Document(id=doc_id, text=text)
        found = mentions.mentions_in(document, nlp(text), places)
        return resolve.resolve_document(found, places)

    return run


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium for the browser tests (tests/mapview.py)."""
    from mapview import CHROMIUM
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield browser
        browser.close()
