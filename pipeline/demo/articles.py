"""English article text for the demo crawl: articles, their near-duplicates and recipe cards.

An article is assembled from one topic's word and sentence banks (``pipeline.demo.pages``) with the caller's
``random.Random``: sentence templates filled with the topic's nouns and actions, a few of the topic's facts, a
title, an author and a date. A near-duplicate is the same article with a few words swapped, one sentence
replaced and one dropped, as a syndicated or lightly edited copy looks. Every draw comes from the caller's random
stream, in a fixed order, so the crawl is the same bytes for the same seed.
"""

from __future__ import annotations

import random
import re
from datetime import datetime, timedelta

from pipeline.demo.pages import (
    CITIES,
    CORES,
    DISHES,
    FIRST_NAMES,
    INGREDIENTS,
    LAST_NAMES,
    MONTHS,
    NUMWORDS,
    OPENER_OK,
    OPENERS,
    SEASONS,
    SMALL_WORDS,
    STEP_TEMPLATES,
    SYNONYMS,
    TITLE_TEMPLATES,
    TOPICS,
)


def title_case(s: str) -> str:
    """Headline capitals, with short function words (``SMALL_WORDS``) lower case after the first word."""
    words = s.split()
    out = []
    for i, w in enumerate(words):
        if i > 0 and w.lower() in SMALL_WORDS:
            out.append(w.lower())
        else:
            out.append(w[:1].upper() + w[1:])
    return " ".join(out)


def slug(s: str) -> str:
    """The URL path segment for a title: lower case, runs of other characters as one hyphen, at most 70."""
    return re.sub(r"[^a-z0-9]+", "-", s.lower()).strip("-")[:70]


def _lower_first(s: str) -> str:
    """A sentence that follows an opener ("In spring, ..."): first letter lower case, except for "I"."""
    if s.startswith("I ") or s.startswith("I'"):
        return s
    return s[:1].lower() + s[1:]


def fill(rng: random.Random, template: str, topic: dict) -> str:
    """A sentence template (``{n1}``, ``{act}``, ``{city}``, ...) filled from one topic's banks."""
    n1, n2 = rng.sample(topic["nouns"], 2)
    return template.format(
        n1=n1, n2=n2, act=rng.choice(topic["acts"]), expert=rng.choice(topic["experts"]),
        place=rng.choice(topic["places"]), city=rng.choice(CITIES), month=rng.choice(MONTHS),
        season=rng.choice(SEASONS), numw=rng.choice(NUMWORDS), num2=rng.randint(3, 40),
        pct=rng.choice([20, 30, 40, 60, 70, 80]),
    )


def make_article(rng: random.Random, topic_key: str) -> dict:
    """Generate an English article (title + paragraphs) about one topic."""
    topic = TOPICS[topic_key]
    n_par = rng.randint(4, 10)
    per_par = [rng.randint(2, 5) for _ in range(n_par)]
    total = sum(per_par)
    cores = rng.sample(CORES, min(total, len(CORES)))
    facts = list(topic["facts"])
    rng.shuffle(facts)
    sentences: list[str] = []
    for core in cores:
        s = fill(rng, core, topic)
        if rng.random() < 0.3 and core.split(" ", 1)[0] in OPENER_OK:
            op = rng.choice(OPENERS).format(season=rng.choice(SEASONS))
            s = f"{op} {_lower_first(s)}"
        sentences.append(s)
    # sprinkle in the topic's factual sentences
    for f in facts[: rng.randint(1, len(facts))]:
        sentences.insert(rng.randrange(len(sentences) + 1), f)
    paragraphs, i = [], 0
    for k in per_par:
        chunk = sentences[i:i + k]
        i += k
        if chunk:
            paragraphs.append(" ".join(chunk))
    if i < len(sentences):
        paragraphs[-1] += " " + " ".join(sentences[i:])
    n1 = rng.choice(topic["nouns"])
    title = rng.choice(TITLE_TEMPLATES).format(
        numc=rng.choice(["Five", "Seven", "Ten", "Twelve", "Three"]), T=topic["title"],
        N1=title_case(n1), Act=title_case(rng.choice(topic["acts"])),
        Place=title_case(rng.choice(topic["places"])), Expert=title_case(rng.choice(topic["experts"])),
    )
    author = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
    published = datetime(2023, 1, 1) + timedelta(days=rng.randint(0, 400))
    return dict(title=title, paragraphs=paragraphs, author=author, published=published,
                topic=topic_key, tags=rng.sample(topic["nouns"], 3))


def mutate_article(rng: random.Random, art: dict) -> dict:
    """Near-duplicate: swap a few words, replace/drop one sentence, keep the rest."""
    paras = [p for p in art["paragraphs"]]
    # a few synonym swaps
    swaps = 0
    for _ in range(30):
        if swaps >= rng.randint(3, 5):
            break
        pi = rng.randrange(len(paras))
        words = paras[pi].split(" ")
        idx = [j for j, w in enumerate(words) if w in SYNONYMS]
        if not idx:
            continue
        j = rng.choice(idx)
        words[j] = SYNONYMS[words[j]]
        paras[pi] = " ".join(words)
        swaps += 1
    # replace one sentence with a new one
    topic = TOPICS[art["topic"]]
    pi = rng.randrange(len(paras))
    sents = re.split(r"(?<=[.!?]) ", paras[pi])
    sents[rng.randrange(len(sents))] = fill(rng, rng.choice(CORES), topic)
    paras[pi] = " ".join(sents)
    # drop one sentence elsewhere (if it leaves something behind)
    pi = rng.randrange(len(paras))
    sents = re.split(r"(?<=[.!?]) ", paras[pi])
    if len(sents) > 2:
        del sents[rng.randrange(len(sents))]
        paras[pi] = " ".join(sents)
    new = dict(art)
    new["paragraphs"] = paras
    if rng.random() < 0.5:
        new["title"] = art["title"] + rng.choice([" (Updated)", " - Revisited", " | Reader Favourite"])
    return new


def make_recipe_extras(rng: random.Random) -> dict:
    """A recipe card for the recipe layout: dish, ingredients with quantities, method steps, servings, time."""
    picked = rng.sample(INGREDIENTS, rng.randint(5, 9))
    ings = [name for name, _ in picked]
    ingredients = [f"{rng.choice(qtys)} {name}" for name, qtys in picked]
    steps = [t.format(temp=rng.choice([180, 190, 200, 220]), mins=rng.choice([5, 10, 15, 20, 25, 40]),
                      ing=rng.choice(ings).split(",")[0])
             for t in rng.sample(STEP_TEMPLATES, rng.randint(4, 7))]
    return dict(dish=title_case(rng.choice(DISHES)), ingredients=ingredients, steps=steps,
                serves=rng.randint(2, 8), minutes=rng.choice([25, 35, 45, 60, 90, 120]))


def typographic(text: str, rng: random.Random) -> str:
    """Curly apostrophes, em dashes and one sentence with accents, euro and pound signs: text that a
    windows-1252 or ISO-8859-1 page encodes differently from UTF-8 (the crawl's encoding pages)."""
    text = text.replace("'", "\u2019").replace(" - ", " \u2014 ")
    extra = rng.choice([
        "The caf\u00e9 near the station charges \u20ac3.50 for a flat white \u2014 about \u00a33 at today\u2019s rate.",
        "Our na\u00efve first attempt was, in hindsight, a lesson in humility \u2026 and in patience.",
        "As one reader put it, \u201cthe best tool is the one you actually use.\u201d",
        "It was 28\u00b0C in the shade, so we gave up at noon and went looking for a caf\u00e9.",
    ])
    return text + " " + extra
