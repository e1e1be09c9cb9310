"""The labelled files beside the demo crawl: the quality classifier's training sets and the quiz benchmark.

``make demo`` trains its quality classifier (DCLM-style: reference text against web junk) on
``quality_positive.jsonl`` and ``quality_negative.jsonl`` before it runs the crawl, and the decontamination stage
looks for ``demo_benchmark.jsonl``'s questions, which three of the crawl's good pages quote. All of it is generated
here from the same banks as the crawl, so the demo needs nothing from the web.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from pipeline.demo.articles import make_article
from pipeline.demo.pages import DEMO_BENCHMARK, TOPICS
from pipeline.demo.pages_other import BOILERPLATE_LINES, LOREM_WORDS, SHORT_LINES, SPAM_PRODUCTS


def write_demo_benchmark(path: str | Path) -> int:
    """Write DEMO_BENCHMARK as JSON lines ({id, question, answer}); returns the number of items."""
    path = Path(path)
    with open(path, "w", encoding="utf-8") as f:
        for item_id, question, answer in DEMO_BENCHMARK:
            f.write(json.dumps({"id": item_id, "question": question, "answer": answer}) + "\n")
    return len(DEMO_BENCHMARK)


def write_demo_quality_sets(directory: str | Path, n: int = 200, seed: int = 1) -> dict:
    """Labelled text for the demo's quality classifier (DCLM-style: reference text vs. web junk).

    ``quality_positive.jsonl``: coherent generated articles. ``quality_negative.jsonl``: the kinds of
    text the classifier should score low: word salad (an article's words shuffled), keyword spam,
    navigation/cookie/policy boilerplate, lorem ipsum and placeholder lines. Returns the file paths.
    """
    rng = random.Random(seed)
    directory = Path(directory)
    pos, neg = [], []
    topics = sorted(TOPICS)
    for i in range(n):
        art = make_article(rng, topics[i % len(topics)])
        pos.append(art["title"] + "\n\n" + "\n\n".join(art["paragraphs"]))
        kind = i % 4
        if kind == 0:  # word salad
            words = " ".join(make_article(rng, rng.choice(topics))["paragraphs"]).split()
            rng.shuffle(words)
            neg.append(" ".join(words[: rng.randint(80, 250)]))
        elif kind == 1:  # keyword spam
            prods = rng.sample(SPAM_PRODUCTS, 3)
            lines = [f"{rng.choice(['Buy', 'Cheap', 'Best', 'Top 10', 'Discount'])} {rng.choice(prods)} "
                     f"{rng.choice(['online', 'now', 'today', 'free shipping', 'click here'])}!"
                     for _ in range(rng.randint(15, 40))]
            neg.append("\n".join(lines))
        elif kind == 2:  # boilerplate
            neg.append("\n".join(rng.sample(BOILERPLATE_LINES, min(len(BOILERPLATE_LINES), rng.randint(4, 10)))))
        else:  # lorem ipsum and placeholders
            words = list(LOREM_WORDS)
            neg.append(" ".join(rng.choice(words) for _ in range(rng.randint(60, 200)))
                       + "\n" + rng.choice(SHORT_LINES))
    paths = {}
    for name, texts in (("quality_positive", pos), ("quality_negative", neg)):
        path = directory / f"{name}.jsonl"
        with open(path, "w", encoding="utf-8") as f:
            for i, text in enumerate(texts):
                f.write(json.dumps({"id": f"{name}-{i}", "text": text}) + "\n")
        paths[name] = str(path)
    return paths
