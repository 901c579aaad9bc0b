"""Values that parse but are suspect: hourly traffic well above what a cell can carry.

Values far above the capacity (see ``planner.inputs.traffic.SUSPECT_CAPACITY_MULTIPLE``) are
rejected when the traffic is read; this module notes the milder cases, which the plan still uses.
"""

from __future__ import annotations

import logging

import pandas as pd

from planner.inputs.dataset import TableQuality
from planner.inputs.settings import Settings
from planner.messages import translatable

logger = logging.getLogger(__name__)

SUSPECT_CAPACITY_MULTIPLE = 10.0
"""An hourly value above this many times the cell's capacity gets a data-quality note. Traffic measured on
a cell is traffic it carried, so even a tenfold overload points to a unit error or a capacity that is too low."""


def note_implausible_values(hourly: pd.DataFrame, cells: pd.DataFrame, settings: Settings,
                            quality: TableQuality, *, max_listed: int = 5) -> int:
    """Add a data-quality note for hourly values well above their cell's capacity; return how many there are.

    The values are kept: they may be real in a dataset whose capacities are
    wrong. The note names the first few cells, hours and values so that the
    user can check them.
    """
    if hourly.empty:
        return 0
    capacities = cells.set_index("cell_id")
    # Look up each distinct cell once, not each of the long table's rows.
    cell_codes, cell_ids = pd.factorize(hourly["cell_id"])
    count = 0
    for measure in settings.measure_names:
        capacity = capacities[f"capacity_{measure}"].reindex(cell_ids).to_numpy()[cell_codes]
        implausible = hourly[measure] > SUSPECT_CAPACITY_MULTIPLE * capacity
        if not implausible.any():
            continue
        rows = hourly.loc[implausible, ["cell_id", "timestamp", measure]].head(max_listed)
        examples = [translatable("{cell} at {time}: {value:,.0f}", cell=row.cell_id, time=row.timestamp.isoformat(),
                                 value=getattr(row, measure))
                    for row in rows.itertuples(index=False)]
        message = translatable("{measure}: {count} hourly values above {multiple:.0f} times the cell's capacity "
                               "({examples}); check the unit and these rows", measure=measure,
                               count=int(implausible.sum()), multiple=SUSPECT_CAPACITY_MULTIPLE,
                               examples=examples)
        logger.warning(message)
        quality.notes.append(message)
        count += int(implausible.sum())
    return count
