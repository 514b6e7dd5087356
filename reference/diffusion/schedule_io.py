"""Schedules in and out of files: a β list typed by hand or uploaded, and the npz/JSON the notebook reads back.

A file holds β_1 … β_T under the key `betas` (code index t = 0 … T−1; the paper's t is t + 1); every other
coefficient is rebuilt from it by `Schedule.from_betas`, which also checks that each β_t lies in (0, 1) (β_T may
be 1: zero terminal SNR). Errors name a bad β by the paper's t, with code's index in brackets.
"""
from __future__ import annotations

import io
import json
import re
from pathlib import Path

import numpy as np

from .schedules import Schedule

FORMATS = ("npz", "json", "txt", "csv")


def parse_betas(text: str, name: str = "custom") -> Schedule:
    """A schedule from β_1 … β_T written as numbers separated by commas, semicolons, spaces or new lines.

    Raises ValueError naming, by the paper's t, the first item that is not a number or the first β outside (0, 1).
    """
    items = [s for s in re.split(r"[\s,;]+", text.strip().strip("[]")) if s]
    if not items:
        raise ValueError("no β values found: write β_1 … β_T separated by commas or spaces (T must be at least 1)")
    betas = []
    for i, item in enumerate(items):
        try:
            betas.append(float(item))
        except ValueError:
            raise ValueError(f"could not read {item!r} at the paper's t = {i + 1} (code's index {i}) as a number") from None
    return Schedule.from_betas(betas, name=name)


def load_schedule(data: bytes | str | Path, filename: str | None = None) -> Schedule:
    """A schedule from a file written by `schedule_to_npz` / `schedule_to_json`, or a plain .txt/.csv β list.

    `data` is a path, or the file's bytes with its `filename` (only its extension is read), as an upload gives.
    """
    if isinstance(data, (str, Path)):
        filename, data = str(data), Path(data).read_bytes()
    ext = Path(filename or "").suffix.lower().lstrip(".")
    if ext not in FORMATS:
        raise ValueError(f"a schedule file must end in one of .{', .'.join(FORMATS)}; got {filename!r}")
    name = Path(filename).stem or "custom"
    if ext == "npz":
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as f:
                files = list(f.files)
                betas = f["betas"].astype(np.float64) if "betas" in files else None
        except Exception:  # a corrupt or pickled file: zipfile.BadZipFile, ValueError, OSError, ...
            raise ValueError(f"could not read {filename} as an .npz file: write it with np.savez(path, betas=...) "
                             "or this lab's download button") from None
        if betas is None:
            raise ValueError(f"{filename} has no array named 'betas'; it holds {sorted(files)}")
        return Schedule.from_betas(betas, name=name)
    text = data.decode("utf-8", errors="replace")
    if ext == "json":
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as e:
            raise ValueError(f"could not read {filename} as JSON: {e}") from None
        betas = obj.get("betas") if isinstance(obj, dict) else obj
        if not isinstance(betas, list):
            raise ValueError(f"{filename} must hold a list of β values, or an object with a 'betas' list")
        if not all(isinstance(b, (int, float)) and not isinstance(b, bool) for b in betas):
            raise ValueError(f"{filename}: every entry of 'betas' must be a number")
        return Schedule.from_betas(betas, name=name)
    return parse_betas(text, name=name)


def schedule_to_npz(schedule: Schedule) -> bytes:
    """The schedule as .npz bytes: `betas`, `alphas`, `alpha_bar`, `alpha_bar_prev`, `posterior_variance`, (T,) each.

    Read it back with `load_schedule(path)` or `Schedule.from_betas(np.load(path)["betas"])`.
    """
    buf = io.BytesIO()
    np.savez(buf, **{k: getattr(schedule, k).cpu().numpy() for k in
                     ("betas", "alphas", "alpha_bar", "alpha_bar_prev", "posterior_variance")},
             name=np.array(schedule.name))
    return buf.getvalue()


def schedule_to_json(schedule: Schedule) -> str:
    """The schedule as JSON text: its name, T, the timestep convention and the (T,) lists `betas` and `alpha_bar`."""
    return json.dumps({
        "name": schedule.name,
        "T": schedule.T,
        "convention": "index t = 0 … T-1 is the paper's t + 1",
        "betas": schedule.betas.tolist(),
        "alpha_bar": schedule.alpha_bar.tolist(),
    })
