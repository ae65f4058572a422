"""Prose claims in the docs that a test can hold to the code (the examples themselves run in test_docs*.py)."""
from __future__ import annotations

import re
from pathlib import Path

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_output_page_lists_every_command_past_schema_1():
    """docs/output.md said every command but six was at /1 while cosine, project, hmds and delta were at /2."""
    from embgeo.results import SCHEMA_VERSION, SCHEMA_VERSIONS

    text = (DOCS / "output.md").read_text()
    para = text[text.index("the version is bumped, per command"):]
    para = para[:para.index("every other command is at `/1`")]
    named = set(re.findall(r"`([a-z]+(?: [a-z]+)?)`", para))
    assert SCHEMA_VERSION == 1 and set(SCHEMA_VERSIONS.values()) == {2}
    assert {k.replace(".", " ") for k in SCHEMA_VERSIONS} <= named, sorted({k.replace(".", " ") for k in SCHEMA_VERSIONS} - named)


def test_formats_page_states_the_id_rule_the_code_follows(tmp_path):
    """docs/formats.md said `1`, `01`, `+1`, `1e0` were one id; ids are compared as written (but CSV `3.0` is `3`)."""
    from embgeo.io.common import csv_id, id_key, ids_as_text
    import numpy as np

    text = (DOCS / "formats.md").read_text()
    assert "`1`, `01`, `+1` and `1e0` are four ids" in text
    assert len({id_key(v) for v in ["1", "01", "+1", "1e0"]}) == 4 and id_key("1.50") != id_key("1.5")
    assert csv_id("3.00") == "3" and list(ids_as_text(np.array([3.0, 4.0]))) == ["3", "4"]
