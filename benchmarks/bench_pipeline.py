"""Pipeline figures on this machine, all measured in one run.

    python benchmarks/bench_pipeline.py [--repeat 50]

Prints: gazetteer load time (fresh process), cold `geomap build seeds/` wall
time (process start to files written), and words per second of
`geomap extract` on the seeds repeated N times next to bare `nlp.pipe` of the
same spaCy model on the same texts.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
GEOMAP = [sys.executable, "-m", "geomap"]


def compile_bytecode() -> None:
    """Compile geomap's modules, as pip does on install and Python on a first
    import, so runs are timed as users see them even where
    PYTHONDONTWRITEBYTECODE is set (an editable install on such a machine
    compiles every changed module on every run)."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "geomap")], check=True)


def gazetteer_load_seconds(runs: int = 5) -> float:
    code = ("import time; t = time.perf_counter(); from geomap import gazetteer; "
            "gazetteer.load().lookup('Kyiv'); print(time.perf_counter() - t)")
    times = [float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                  check=True).stdout) for _ in range(runs)]
    return statistics.median(times)


def cold_build_seconds(out: Path, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([*GEOMAP, "build", str(SEEDS), "-o", str(out / "map.html"), "--no-cache"],
                       check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def seed_texts() -> list[str]:
    from geomap.documents import InputLog, read_documents

    return [doc.text for doc in read_documents([str(SEEDS)], InputLog(print))]


def extract_throughput(texts: list[str], corpus: Path, out: Path) -> tuple[float, float]:
    """(words/s in-process of the extract stages, words/s of the whole CLI run)."""
    from geomap import gazetteer
    from geomap.documents import InputLog, read_documents
    from geomap.extraction import mention_line
    from geomap.mentions import extract_mentions
    from geomap.mentions.nlp import load_pipeline
    from geomap.resolve import resolve_document

    words = sum(len(text.split()) for text in texts)
    places, nlp = gazetteer.load(), load_pipeline()
    start = time.perf_counter()
    lines = []
    documents = read_documents([str(corpus)], InputLog(print))
    for _doc, found in extract_mentions(documents, places, nlp):
        lines.extend(mention_line(r) for r in resolve_document(found, places))
    in_process = words / (time.perf_counter() - start)

    start = time.perf_counter()
    subprocess.run([*GEOMAP, "extract", str(corpus), "-o", str(out), "--no-cache"], check=True,
                   capture_output=True)
    cli = words / (time.perf_counter() - start)
    return in_process, cli


def bare_pipe_throughput(texts: list[str]) -> float:
    import spacy

    from geomap.mentions.nlp import MODEL

    nlp = spacy.load(MODEL)
    words = sum(len(text.split()) for text in texts)
    start = time.perf_counter()
    for _doc in nlp.pipe(texts, batch_size=32):
        pass
    return words / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    compile_bytecode()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        texts = seed_texts() * args.repeat
        corpus = tmp / "corpus.jsonl"
        corpus.write_text("".join(json.dumps({"id": f"d{i}", "text": t}) + "\n"
                                  for i, t in enumerate(texts)), encoding="utf-8")
        words = sum(len(t.split()) for t in texts)
        print(f"gazetteer load (fresh process, median of 5): {gazetteer_load_seconds():.3f} s")
        print(f"cold `geomap build seeds/` (median of 3):     {cold_build_seconds(tmp):.2f} s")
        in_process, cli = extract_throughput(texts, corpus, tmp / "mentions.jsonl")
        bare = bare_pipe_throughput(texts)
        print(f"corpus: seeds x {args.repeat} = {len(texts)} documents, {words} words")
        print(f"geomap extract, in process:        {in_process:,.0f} words/s")
        print(f"geomap extract, whole CLI run:     {cli:,.0f} words/s (includes start-up)")
        print(f"bare nlp.pipe (all components):    {bare:,.0f} words/s")
        print(f"extract / bare:                    {in_process / bare:.2f}")


if __name__ == "__main__":
    main()
