"""Every ```python block of docs/*.md runs (docs/python.md is a doctest: tests/test_python_docs.py).

The library sections show calls on names the page defines in prose (``X`` the embeddings, ``Y``
a second space or modality, ``y`` an attribute …). Each page gets those names here, bound to
small real or synthetic data (a 300-row slice of the bundled sentences where a page reads
embeddings), and its blocks run in page order in one namespace, in a scratch folder holding the
bundled files the blocks open (smaller copies of ``sentences.npy``/``.csv``, ``emb.npy``,
``mammal_closure.csv``). A block fails the test if it raises. A page with a python block and no
entry in ``SETUP`` fails too, so a new library example cannot go unrun.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "datasets" / "data"
FENCE = re.compile(r"^```python\s*$")

_SENT = """
import numpy as np
import embgeo as eg
rng = np.random.default_rng(0)
X = np.load("sentences.npy").astype(np.float32)[:300]
"""

#: the names each page's library section uses, bound to data of the right shape
SETUP = {
    "compare.md": _SENT + """
Q, _ = np.linalg.qr(rng.normal(size=(384, 384)))
Y = X @ Q + 0.01 * rng.normal(size=X.shape)
A, B, C = X, Y, X + 0.05 * rng.normal(size=X.shape)
""",
    "cosine.md": _SENT + """
A = rng.normal(size=(200, 8)); B = rng.normal(size=(300, 8))
freq = rng.zipf(2.0, size=300).astype(float)
labels = rng.integers(6, size=300)
""",
    "gap.md": """
import numpy as np
rng = np.random.default_rng(0)
X = np.load("paraphrases_a.npy").astype(np.float32)[:300]
Y = np.load("paraphrases_b.npy").astype(np.float32)[:300]
labels = rng.integers(4, size=300)
C = np.stack([X[labels == c].mean(axis=0) for c in range(4)])
""",
    "hyperbolic.md": "",
    "id.md": _SENT,
    "neighbors.md": _SENT,
    "plots.md": _SENT,
    "project.md": _SENT + """
ids = [f"s{i}" for i in range(len(X))]
topics = [("a", "b", "c")[i % 3] for i in range(len(X))]
""",
    "rank.md": """
import numpy as np
rng = np.random.default_rng(0)
w = rng.normal(size=16)
X = rng.normal(size=(240, 16)); y = X @ w + 0.3 * rng.normal(size=240)
X_new = rng.normal(size=(60, 16)); y_new = X_new @ w + 0.3 * rng.normal(size=60)
""",
    "report.md": "",
    "scaling.md": "import numpy as np\n",
    "uniformity.md": _SENT + "Y = X + 0.01 * rng.normal(size=X.shape)\n",
}


def blocks(page: Path) -> list[tuple[int, str]]:
    lines = page.read_text().splitlines()
    out, i = [], 0
    while i < len(lines):
        if FENCE.match(lines[i]):
            j = i + 1
            while lines[j].strip() != "```":
                j += 1
            out.append((i + 1, "\n".join(lines[i + 1:j])))
            i = j
        i += 1
    return out


PAGES = sorted(p for p in (ROOT / "docs").glob("*.md") if p.name != "python.md" and blocks(p))


def test_every_page_with_a_library_block_has_its_names():
    assert {p.name for p in PAGES} == set(SETUP), "give the page's names in SETUP (or drop the entry)"


@pytest.fixture
def scratch(tmp_path, monkeypatch):
    sent = np.load(DATA / "sentences" / "sentences.npy")[:200]
    np.save(tmp_path / "sentences.npy", sent)
    np.save(tmp_path / "emb.npy", sent.astype(np.float32))
    with open(DATA / "sentences" / "sentences.csv") as f:
        head = [next(f) for _ in range(201)]
    (tmp_path / "sentences.csv").write_text("".join(head))
    full = np.load(DATA / "sentences" / "sentences.npy")
    np.save(tmp_path / "sentences_full.npy", full)
    for name in ("paraphrases_a.npy", "paraphrases_b.npy"):
        shutil.copy(DATA / "sentences" / name, tmp_path / name)
    shutil.copy(DATA / "graphs" / "mammal_closure.csv", tmp_path / "mammal_closure.csv")
    monkeypatch.chdir(tmp_path)
    # the setup's 300-row slices read the full bundled set
    return tmp_path


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_library_blocks_run(page, scratch):
    ns: dict = {"__name__": "__docs__"}
    setup = SETUP[page.name].replace('np.load("sentences.npy")', 'np.load("sentences_full.npy")')
    exec(compile(setup, f"SETUP[{page.name}]", "exec"), ns)
    for line, code in blocks(page):
        exec(compile(code, f"{page.name}:{line}", "exec"), ns)
