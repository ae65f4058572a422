"""``embgeo extract MODEL_DIR|pkg:PACKAGE[/sub] --texts FILE --out-dir DIR``"""

from enum import Enum
from pathlib import Path
from typing import Annotated, List, Optional

import typer

from embgeo.cli.common import FailOnOpt, FormatOpt, OutOpt, SeedOpt, emit_result, wrote, progress, resolve_device, seed_value, split_list


class Store(str, Enum):
    h5 = "h5"
    safetensors = "safetensors"


class DType(str, Enum):
    float32 = "float32"
    float16 = "float16"
    bfloat16 = "bfloat16"


def extract(
    model_dir: Annotated[str, typer.Argument(help="A local model folder (config.json, weights, tokenizer files), or pkg:PACKAGE\\[/sub/folder] for one inside an installed Python package; nothing is downloaded.", metavar="MODEL", show_default=False)],
    texts: Annotated[Path, typer.Option("--texts", help="Texts: .txt (one per line), .csv/.tsv or .jsonl with a text column.", show_default=False)],
    out_dir: Annotated[Path, typer.Option("--out-dir", help="Folder for pooled.h5 and tokens.h5 (or .safetensors); created if missing.", show_default=False)],
    text_col: Annotated[str, typer.Option("--text-col", help="Text column of a .csv/.tsv/.jsonl file.")] = "text",
    id_col: Annotated[Optional[str], typer.Option("--id-col", help="Id column (default: 'id' when present, else row numbers).", show_default=False)] = None,
    pooling: Annotated[Optional[List[str]], typer.Option("--pooling", help="Pooled stacks to write: mean, first (CLS), last; repeat or comma list (default: all three).", show_default=False)] = None,
    tokens: Annotated[bool, typer.Option("--tokens/--no-tokens", help="Also write the token clouds (one T×d array per text per layer).")] = True,
    store: Annotated[Store, typer.Option("--store", help="File type of the outputs: HDF5 (.h5) or safetensors.", case_sensitive=False)] = Store.h5,
    batch_size: Annotated[int, typer.Option("--batch-size", help="Texts per forward pass.", min=1)] = 16,
    max_length: Annotated[int, typer.Option("--max-length", help="Truncate each text to this many tokens (special tokens included).", min=1)] = 512,
    device: Annotated[Optional[str], typer.Option("--device", help="cpu, cuda or auto (default: the global --device).", show_default=False)] = None,
    dtype: Annotated[DType, typer.Option("--dtype", help="Model precision; outputs are always float32.", case_sensitive=False)] = DType.float32,
    shuffle_blocks: Annotated[Optional[int], typer.Option("--shuffle-blocks", help="Control: cut each text's tokens into 4^S blocks and shuffle them (S = 0…5) before the model runs.", min=0, max=5, show_default=False)] = None,
    seed: SeedOpt = None,
    fail_on: FailOnOpt = None,
    fmt: FormatOpt = None,
    out: OutOpt = None,
):
    """Run a local model over texts with every hidden state and write, per layer, the pooled
    stacks (mean, first/CLS and last token; L×n×d with ids) and the token clouds (ragged, one
    T×d array per text). Needs embgeo\\[extract]. The verdict warns when texts were truncated."""
    from embgeo.errors import EmbgeoError
    from embgeo.extract import POOLINGS, extract as run, read_texts, resolve_model, write_extraction
    from embgeo.outputs import make_folder

    resolve_model(model_dir)  # a missing folder or package fails here, before the texts are read
    poolings = split_list(pooling) or list(POOLINGS)
    unknown = [p for p in poolings if p not in POOLINGS]
    if unknown:
        raise EmbgeoError(f"--pooling: unknown pooling {unknown[0]!r}", hint=f"use {', '.join(POOLINGS)}")
    _check_out_dir(out_dir)
    seed = seed_value(seed)
    dev = resolve_device(device)
    items, ids = read_texts(texts, text_col=text_col, id_col=id_col)
    with progress("extract", total=len(items)) as advance:
        ex = run(model_dir, items, ids=ids, batch_size=batch_size, max_length=max_length, device=dev, dtype=dtype.value,
                 poolings=poolings, tokens=tokens, shuffle_blocks=shuffle_blocks, seed=seed, progress=advance)
    make_folder(out_dir, parents=True)  # only now, with something to put in it; a run that fails after this takes it back
    written = write_extraction(ex, out_dir, store=store.value)
    for p in written:
        wrote(p)
    results = {**ex.to_dict(), "files": written}
    emit_result(command="extract", inputs=[{"path": model_dir, "key": None, "rows": None, "dims": None, "dtype": None},
                                            {"path": str(texts), "key": None, "rows": ex.n_rows, "dims": None, "dtype": None}],
                settings={"model_path": ex.settings["model_path"], "text_col": text_col, "id_col": id_col, "pooling": poolings, "tokens": tokens, "store": store.value,
                          "batch_size": batch_size, "max_length": max_length, "device": dev, "dtype": dtype.value,
                          "shuffle_blocks": shuffle_blocks, "seed": seed, "out_dir": str(out_dir),
                          "fail_on": getattr(fail_on, "value", fail_on)},
                result=ex, results=results, notes=[f"read the stacks with: embgeo id --layers {written[0]}:mean"] if ex.pooled else [],
                fmt=fmt, out=out, title=f"embgeo extract {model_dir}", fail_on=fail_on)


def _check_out_dir(out_dir: Path) -> None:
    """--out-dir is checked before any work and made only when there is something to write: a folder,
    or a path whose first existing folder above it can take new folders."""
    import os

    from embgeo.errors import EmbgeoError

    if out_dir.exists():
        if not out_dir.is_dir():
            raise EmbgeoError("--out-dir is a file, not a folder", source=str(out_dir), hint="name a folder (it is created if missing)")
        return
    above = out_dir.absolute().parent
    while not above.exists() and above != above.parent:
        above = above.parent
    if not above.is_dir():
        raise EmbgeoError(f"cannot create --out-dir: {str(above)!r} is a file, not a folder", source=str(out_dir), hint="name a folder elsewhere")
    if not os.access(above, os.W_OK | os.X_OK):
        raise EmbgeoError(f"cannot create --out-dir: no permission to write in {str(above)!r}", source=str(out_dir), hint="name a folder elsewhere")


def register(app: typer.Typer) -> None:
    app.command("extract")(extract)
