"""The progress bar class: tqdm's notebook widget where it can be drawn, the text bar elsewhere.

``tqdm.auto`` picks the notebook widget in a Jupyter kernel, but without
ipywidgets it warns "IProgress not found" on import and falls back to the
text bar. This module imports ``tqdm.auto`` only when ipywidgets is
installed, so a notebook without it gets the text bar and no warning.
This module sits below every layer and imports none of them.
"""

from __future__ import annotations

from importlib.util import find_spec

if find_spec("ipywidgets") is not None:
    from tqdm.auto import tqdm
else:
    from tqdm.std import tqdm

__all__ = ["tqdm"]
