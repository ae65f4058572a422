"""``embgeo extract``: per-layer hidden states of a local model — pooled stacks and token clouds.

Needs the ``extract`` extra (transformers; torch is a core dependency). Never downloads: the model is a
local folder or ``pkg:PACKAGE[/sub/folder]``, a folder inside an installed Python package.
"""
from embgeo.extract.model import POOLINGS, Extraction, extract, load_model, read_texts, resolve_model, write_extraction
from embgeo.extract.store import TokenClouds, load_tokens, write_tokens

__all__ = ["extract", "Extraction", "read_texts", "write_extraction", "load_model", "resolve_model", "POOLINGS", "TokenClouds", "load_tokens", "write_tokens"]
