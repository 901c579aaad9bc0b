"""Regenerate the bundled datasets (data/milan, data/san-siro, data/dodgers, data/paris-2023) from their sources.

Usage::

    .venv/bin/python data/convert_shared.py --shared ../shared/data --out data

The conversion is deterministic: run twice on the same source files, it
writes the same bytes. It needs only the standard library and pandas. The
prose of each PROVENANCE.md and settings.toml is in ``data/templates``. The
converter computes the numbers in them (capacities, row counts, hours over
the threshold) from the source files.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from conversion import dodgers, milan, paris, san_siro  # noqa: E402

logger = logging.getLogger("convert_shared")

CONVERTERS = {
    "milan": milan.convert,
    "san-siro": san_siro.convert,
    "dodgers": dodgers.convert,
    "paris-2023": paris.convert,
}


def main(argv: list[str] | None = None) -> int:
    """Convert the requested datasets and write one folder each under ``--out``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, required=True,
                        help="folder that contains the source data sets (milan_telecom_san_siro, ...)")
    parser.add_argument("--out", type=Path, required=True, help="folder to write the dataset folders into")
    parser.add_argument("--only", choices=sorted(CONVERTERS), action="append",
                        help="convert only this dataset; repeat for several (default: all)")
    arguments = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    if not arguments.shared.is_dir():
        parser.error(f"--shared {arguments.shared}: folder not found; pass the folder that holds the sources")
    for name in arguments.only or list(CONVERTERS):
        files = CONVERTERS[name](arguments.shared)
        folder = arguments.out / name
        folder.mkdir(parents=True, exist_ok=True)
        for file_name, text in files.items():
            # newline="" keeps the "\n" line ends on every platform.
            with (folder / file_name).open("w", encoding="utf-8", newline="") as handle:
                handle.write(text)
        logger.info("%s: wrote %s", folder, ", ".join(files))
    return 0


if __name__ == "__main__":
    sys.exit(main())
