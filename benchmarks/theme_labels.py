"""Theme label quality and cost: key-phrase labels against the old keyword labels.

Issue 12.4: labels such as "Long, transfer, long money" are keyword salad. This
script clusters the BANKING77 test split (3,080 messages, 77 intents) once with
the shipped engine and model, then labels the same themes two ways in the same
run:

* old: c-TF-IDF keywords, the first three joined by commas (``make_label``);
* new: key phrases ranked by MiniLM similarity to the theme centroid with
  Maximal Marginal Relevance (``phrase_labels``, see docs/synthesis.md).

Each theme is scored against its majority intent with
``pilothouse.feedback.synthesis.label_quality`` (hit: the label names at least
one of the intent name's key words; recall: the share it names; precision: the
share of the label's words that are key words; stemmed). It prints the three
means for both labelers, the mean label length, and the labelling time of each
(embedding the messages and clustering are not labelling and are timed apart).
With ``--scale N`` it also times both labelers on the themes of the first N
BANKING77 training messages, the size of the end-to-end claim (10,000).

    .venv/bin/python benchmarks/theme_labels.py [--scale 10000] [--show 20]
"""

from __future__ import annotations

import argparse
import csv
import os
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from pilothouse.feedback.synthesis import OnnxEmbedder, SynthesisConfig, synthesize
from pilothouse.feedback.synthesis.label_quality import LabelScore, majority, score_label
from pilothouse.feedback.synthesis.labels import ctfidf_keywords, make_label
from pilothouse.feedback.synthesis.phrases import phrase_labels

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "feedback" / "banking77"


def rows(split: str) -> tuple[list[str], list[str]]:
    with (DATA / f"{split}.csv").open(newline="", encoding="utf-8") as handle:
        found = [r for r in csv.DictReader(handle) if r["text"].strip()]
    return [r["text"] for r in found], [r["category"] for r in found]


def old_labels(texts: Sequence[str], result, config: SynthesisConfig) -> tuple[list[str], float]:
    """The keyword labels of the same themes, and their time (keywords included)."""
    started = time.perf_counter()
    assignment = np.asarray(result.assignments)
    keywords = ctfidf_keywords(texts, assignment, len(result.themes), config.labels.keywords)
    labels = [make_label(k, config.labels.label_terms) for k in keywords]
    return labels, time.perf_counter() - started


def new_labels(texts: Sequence[str], result, model, config: SynthesisConfig):
    """Key-phrase labels of the same themes (keyword label where none qualifies), and time."""
    started = time.perf_counter()
    groups = [[texts[i] for i in theme.items] for theme in result.themes]
    centroids = np.vstack([theme.centroid for theme in result.themes])
    found = phrase_labels(groups, centroids, model, config.labels)
    elapsed = time.perf_counter() - started
    return [f.label if f else t.label for f, t in zip(found, result.themes, strict=True)], elapsed


def summary(scores: list[LabelScore], labels: list[str]) -> str:
    words = np.mean([len(label.replace(",", " ").split()) for label in labels])
    return (
        f"hit {np.mean([s.hit for s in scores]):.3f}  "
        f"recall {np.mean([s.recall for s in scores]):.3f}  "
        f"precision {np.mean([s.precision for s in scores]):.3f}  "
        f"words/label {words:.1f}"
    )


def cluster(texts: list[str], model: OnnxEmbedder, config: SynthesisConfig):
    started = time.perf_counter()
    vectors = model.embed(texts)
    embedded = time.perf_counter() - started
    result = synthesize(texts, vectors, config)  # keyword labels: clustering only
    return result, embedded, time.perf_counter() - started - embedded


def quality(model: OnnxEmbedder, config: SynthesisConfig, show: int) -> None:
    texts, intents = rows("test")
    result, embedded, clustered = cluster(texts, model, config)
    old, old_time = old_labels(texts, result, config)
    new, new_time = new_labels(texts, result, model, config)
    truth = [majority(intents, theme.items) for theme in result.themes]
    old_scores = [score_label(label, t) for label, t in zip(old, truth, strict=True)]
    new_scores = [score_label(label, t) for label, t in zip(new, truth, strict=True)]
    print(f"BANKING77 test: {len(texts)} messages, {len(result.themes)} themes "
          f"(embedding {embedded:.1f} s, clustering {clustered:.1f} s)")  # fmt: skip
    print(f"old keyword labels   {summary(old_scores, old)}  time {old_time:.2f} s")
    print(f"new key-phrase labels {summary(new_scores, new)}  time {new_time:.2f} s")
    wins = sum(n.recall > o.recall for n, o in zip(new_scores, old_scores, strict=True))
    losses = sum(n.recall < o.recall for n, o in zip(new_scores, old_scores, strict=True))
    print(f"per theme (recall): new better {wins}, old better {losses}, "
          f"equal {len(truth) - wins - losses}")  # fmt: skip
    for intent, o, n in list(zip(truth, old, new, strict=True))[:show]:
        print(f"  {intent:34.34s} {o:42.42s} -> {n}")


def scale(model: OnnxEmbedder, config: SynthesisConfig, count: int) -> None:
    """Labelling time at the size of the end-to-end claim, wall clock and CPU."""
    texts = rows("train")[0][:count]
    cpu = time.process_time()
    result, embedded, clustered = cluster(texts, model, config)
    cpu_before = time.process_time() - cpu
    _old, old_time = old_labels(texts, result, config)
    cpu = time.process_time()
    _new, new_time = new_labels(texts, result, model, config)
    cpu_labels = time.process_time() - cpu
    share = new_time / (embedded + clustered + new_time)
    print(f"BANKING77 train: {len(texts)} messages, {len(result.themes)} themes; "
          f"embedding {embedded:.1f} s, clustering {clustered:.1f} s; labelling: "
          f"keywords {old_time:.2f} s, key phrases {new_time:.2f} s "
          f"({share:.1%} of embedding + clustering + labelling)")  # fmt: skip
    print(f"CPU: embedding + clustering {cpu_before:.1f} s, key-phrase labelling "
          f"{cpu_labels:.2f} s ({cpu_labels / (cpu_before + cpu_labels):.1%}); "
          f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=0, help="also time N training messages")
    parser.add_argument("--show", type=int, default=15, help="example labels to print")
    args = parser.parse_args()
    model, config = OnnxEmbedder(), SynthesisConfig()
    quality(model, config, args.show)
    if args.scale:
        scale(model, config, args.scale)


if __name__ == "__main__":
    main()
