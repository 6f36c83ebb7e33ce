"""Quality and speed of the offline feedback synthesis engine (issue 5, item 3).

Run from the repository root (takes a few minutes on two cores)::

    nice .venv/bin/python benchmarks/feedback_synthesis.py

Sections:

* BANKING77 test split (3,080 messages, 77 intents), no number of themes
  given: NMI and ARI of Pilothouse's themes and of a BERTopic-style pipeline
  (UMAP 5-d + HDBSCAN + nearest-centroid outlier reduction, BERTopic's
  defaults) on the same MiniLM embeddings in the same run; also Pilothouse's
  clustering on the static (distilled) and TF-IDF embeddings.
* Steered themes: the ten airline complaint reasons as theme names with five
  example tweets each; accuracy on the remaining negative tweets against the
  majority-class baseline.
* Sentiment: the shipped head (trained on the UCI sentences) on airline
  positive-vs-negative, airline three-class, and 5-fold cross-validated UCI.
* Speed: model load, embedding texts/s, 10,000 short messages (BANKING77
  train) and 10,000 IT tickets (about 40 word pieces each) end to end (embed +
  themes + duplicates + sentiment), the tickets also with the optional
  dynamic-int8 build, and one new item assigned to the themes of 3,000 tickets.

Needs ``umap-learn`` for the BERTopic-style baseline, ``onnx`` for the
dynamic-int8 build and optionally ``vaderSentiment`` (benchmark only). The
airline tweets are CC BY-NC-SA: used here as test data only, never shipped.
``--train-sentiment`` refits the shipped sentiment head from the UCI data.
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import statistics
import sys
import time
import warnings
from collections import Counter
from pathlib import Path

import numpy as np
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from pilothouse.feedback.synthesis import (
    MINILM,
    EmbedderConfig,
    OnnxEmbedder,
    SteeredTheme,
    SynthesisConfig,
    TfidfEmbedder,
    ThemeIndex,
    cluster,
    distill_from_onnx,
    find_duplicates,
    steered_index,
    synthesize,
    train_sentiment_head,
)
from pilothouse.feedback.synthesis.sentiment import DEFAULT_HEAD, SentimentHead

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "feedback"
SEED = 42


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def read_uci() -> tuple[list[str], np.ndarray]:
    texts, labels = [], []
    for path in sorted((DATA / "uci_sentiment").glob("*.txt")):
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            text, _, label = line.rpartition("\t")
            if label.strip() in {"0", "1"} and text.strip():
                texts.append(text.strip())
                labels.append(int(label))
    return texts, np.array(labels)


def timed(fn, *args):
    start = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - start


def scores(truth: np.ndarray, labels: np.ndarray) -> str:
    nmi = normalized_mutual_info_score(truth, labels)
    ari = adjusted_rand_score(truth, labels)
    return f"NMI {nmi:.3f}  ARI {ari:.3f}  themes {len(set(labels.tolist()))}"


def bertopic_style(vectors: np.ndarray) -> np.ndarray:
    """UMAP(15 neighbours, 5-d, cosine, min_dist 0) + HDBSCAN(10, eom) + outliers to nearest."""
    import umap
    from sklearn.cluster import HDBSCAN

    reduced = umap.UMAP(
        n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine", random_state=SEED
    ).fit_transform(vectors)
    labels = HDBSCAN(min_cluster_size=10, cluster_selection_method="eom").fit(reduced).labels_
    topics = sorted(set(labels.tolist()) - {-1})
    centroids = np.vstack([vectors[labels == t].mean(axis=0) for t in topics])
    out = labels.copy()
    outliers = labels == -1
    out[outliers] = np.array(topics)[np.argmax(vectors[outliers] @ centroids.T, axis=1)]
    return out


def banking77(onnx: OnnxEmbedder, fast: OnnxEmbedder, out: list[str]) -> np.ndarray:
    rows = read_csv(DATA / "banking77" / "test.csv")
    texts = [r["text"] for r in rows]
    truth = np.unique([r["category"] for r in rows], return_inverse=True)[1]
    cpu_start = cpu_seconds()
    vectors, secs = timed(onnx.embed, texts)
    cpu = cpu_seconds() - cpu_start
    out.append(
        f"MiniLM embedding: {len(texts)} texts in {secs:.1f} s = {len(texts) / secs:.0f}/s "
        f"({len(texts) / cpu:.0f} per CPU-second; load average {os.getloadavg()[0]:.1f})"
    )
    ours, secs = timed(synthesize, texts, vectors, SynthesisConfig())
    out.append(
        f"Pilothouse (MiniLM)        {scores(truth, np.array(ours.assignments))}  {secs:.1f} s"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        base, secs = timed(bertopic_style, vectors)
    out.append(f"BERTopic-style (MiniLM)    {scores(truth, base)}  {secs:.1f} s")
    cpu_start = cpu_seconds()
    fvec, secs = timed(fast.embed, texts)
    cpu = cpu_seconds() - cpu_start
    out.append(
        f"MiniLM dynamic int8 embedding: {len(texts) / secs:.0f}/s "
        f"({len(texts) / cpu:.0f} per CPU-second)"
    )
    out.append(f"Pilothouse (dynamic int8)  {scores(truth, cluster(fvec).labels)}")
    static, secs = timed(distill_from_onnx, onnx)
    out.append(f"static model distilled from MiniLM in {secs:.1f} s ({static.dimension}-d)")
    svec, secs = timed(static.embed, texts)
    out.append(f"static embedding: {len(texts) / secs:.0f}/s")
    out.append(f"Pilothouse (static)        {scores(truth, cluster(svec).labels)}")
    tvec = TfidfEmbedder(seed=SEED).embed(texts)
    out.append(f"Pilothouse (TF-IDF floor)  {scores(truth, cluster(tvec).labels)}")
    sample = [(t.label, t.size) for t in ours.themes[:5]]
    out.append(f"largest themes: {sample}")
    return vectors


def steering(onnx: OnnxEmbedder, out: list[str]) -> None:
    rows = [r for r in read_csv(DATA / "airline_tweets" / "Tweets.csv") if r["negativereason"]]
    rng = np.random.default_rng(SEED)
    reasons = sorted({r["negativereason"] for r in rows})
    examples: dict[str, list[int]] = {}
    for reason in reasons:
        idx = [i for i, r in enumerate(rows) if r["negativereason"] == reason]
        examples[reason] = rng.choice(idx, size=5, replace=False).tolist()
    used = {i for v in examples.values() for i in v}
    themes = [
        SteeredTheme(key=r, name=r, examples=tuple(rows[i]["text"] for i in examples[r]))
        for r in reasons
    ]
    index = steered_index(themes, onnx.embed)
    rest = [i for i in range(len(rows)) if i not in used]
    vectors = onnx.embed([rows[i]["text"] for i in rest])
    predicted = [a.theme for a in index.assign_many(vectors)]
    truth = [rows[i]["negativereason"] for i in rest]
    accuracy = float(np.mean([p == t for p, t in zip(predicted, truth, strict=True)]))
    majority, count = Counter(truth).most_common(1)[0]
    out.append(
        f"steered themes: accuracy {accuracy:.3f} on {len(rest)} negative tweets "
        f"(10 reasons x 5 examples); majority baseline ({majority}) {count / len(truth):.3f}"
    )


def sentiment(onnx: OnnxEmbedder, out: list[str], train: bool) -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_score

    texts, labels = read_uci()
    vectors = onnx.embed(texts)
    if train:
        head = train_sentiment_head(
            vectors, labels, onnx.model_id, "UCI Sentiment Labelled Sentences (Kotzias et al. 2015)"
        )
        head.save(DEFAULT_HEAD)
        out.append(f"sentiment head retrained on {len(texts)} UCI sentences -> {DEFAULT_HEAD.name}")
    cv = cross_val_score(LogisticRegression(C=4.0, max_iter=2000), vectors, labels, cv=5)
    out.append(f"sentiment UCI 5-fold CV accuracy {cv.mean():.3f} ({len(texts)} sentences)")
    head = SentimentHead.load()
    rows = read_csv(DATA / "airline_tweets" / "Tweets.csv")
    avec = onnx.embed([r["text"] for r in rows])
    p = head.positive(avec, onnx.model_id)
    truth = np.array([r["airline_sentiment"] for r in rows])
    polar = truth != "neutral"
    binary = np.where(p >= 0.5, "positive", "negative")
    polar_accuracy = np.mean(binary[polar] == truth[polar])
    out.append(
        f"sentiment airline positive-vs-negative accuracy {polar_accuracy:.3f}"
        f" ({polar.sum()} tweets)"
    )
    three = np.array([r.label for r in head.predict(avec, onnx.model_id)])
    majority = Counter(truth.tolist()).most_common(1)[0][1] / len(truth)
    out.append(
        f"sentiment airline 3-class accuracy {np.mean(three == truth):.3f} "
        f"(majority baseline {majority:.3f})"
    )
    vader(rows, truth, polar, out)


def vader(rows, truth, polar, out: list[str]) -> None:
    try:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
    except ImportError:
        out.append("VADER not installed: skipped")
        return
    analyzer = SentimentIntensityAnalyzer()
    compound = np.array([analyzer.polarity_scores(r["text"])["compound"] for r in rows])
    binary = np.where(compound >= 0, "positive", "negative")
    out.append(
        f"VADER airline positive-vs-negative accuracy {np.mean(binary[polar] == truth[polar]):.3f}"
    )


def speed(onnx: OnnxEmbedder, fast: OnnxEmbedder, out: list[str]) -> None:
    short = [r["text"] for r in read_csv(DATA / "banking77" / "train.csv")][:10_000]
    end_to_end(onnx, short, out, "BANKING77 train messages")
    rows = read_csv(DATA / "it_tickets.csv")[:10_000]
    texts = [r["Document"] for r in rows]
    end_to_end(onnx, texts, out, "IT tickets")
    end_to_end(fast, texts, out, "IT tickets")
    assignment(onnx, texts, out)


def end_to_end(onnx: OnnxEmbedder, texts: list[str], out: list[str], what: str) -> None:
    head = SentimentHead.load()
    start, cpu_start = time.perf_counter(), cpu_seconds()
    vectors = onnx.embed(texts)
    embedded = time.perf_counter()
    result = synthesize(texts, vectors, SynthesisConfig())
    themed = time.perf_counter()
    duplicates = find_duplicates(vectors)
    head.predict(vectors, MINILM.model_id)  # timing only: the head is for the shipped model
    done = time.perf_counter()
    out.append(
        f"{onnx.model_id}: {len(texts):,} {what} end to end {done - start:.1f} s "
        f"(embed {embedded - start:.1f} s, "
        f"themes {themed - embedded:.1f} s, duplicates + sentiment {done - themed:.1f} s); "
        f"{len(result.themes)} themes, {sum(d is not None for d in duplicates)} duplicates; "
        f"process CPU {cpu_seconds() - cpu_start:.1f} s, load average {os.getloadavg()[0]:.1f}"
    )


def cpu_seconds() -> float:
    """CPU time of this process (all threads): robust to other jobs sharing the cores."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def assignment(onnx: OnnxEmbedder, texts: list[str], out: list[str]) -> None:
    index = ThemeIndex.from_result(synthesize(texts[:3000], onnx.embed(texts[:3000])))
    latencies = []
    for text in texts[5000:5200]:
        begin = time.perf_counter()
        index.assign(onnx.embed([text])[0])
        latencies.append((time.perf_counter() - begin) * 1000)
    latencies.sort()
    p95, worst = latencies[int(0.95 * len(latencies))], latencies[-1]
    out.append(
        "assign one new item (embed + nearest theme): "
        f"median {statistics.median(latencies):.1f} ms, p95 {p95:.1f} ms, max {worst:.1f} ms"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train-sentiment", action="store_true")
    parser.add_argument(
        "--sections", default="themes,steering,sentiment,speed", help="comma-separated subset"
    )
    args = parser.parse_args()
    wanted = set(args.sections.split(","))
    out: list[str] = []
    onnx, secs = timed(OnnxEmbedder)
    out.append(f"MiniLM load (sha256 check + session): {secs:.2f} s")
    fast, secs = timed(OnnxEmbedder, EmbedderConfig(dynamic_int8=True))
    out.append(f"MiniLM dynamic int8 build + load: {secs:.2f} s")
    sections = {
        "themes": lambda: banking77(onnx, fast, out),
        "steering": lambda: steering(onnx, out),
        "sentiment": lambda: sentiment(onnx, out, args.train_sentiment),
        "speed": lambda: speed(onnx, fast, out),
    }
    for name, section in sections.items():
        if name not in wanted:
            continue
        section()
        print("\n".join(out), flush=True)
        out.clear()
    return 0


if __name__ == "__main__":
    sys.exit(main())
