"""Capacity actions: compare each cell-hour's p90 forecast with the cell's capacity.

A cell-hour whose p90 utilisation passes the cell's threshold needs extra
capacity (``add``), one within ``watch_margin`` below the threshold is
watched (``watch``), and any other is ``ok``. For an ``add`` hour the plan
counts the fewest extra units (a temporary carrier, a cell on wheels) that
bring the p90 utilisation back to the threshold.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from planner.inputs.settings import Settings
from planner.messages import translatable

logger = logging.getLogger(__name__)

CAPACITY_COLUMNS: tuple[str, ...] = (
    "cell_id", "measure", "event_id", "timestamp", "forecast_p90", "capacity", "threshold",
    "utilisation_p90", "action", "extra_units", "extra_unit_name",
)
RISK_COLUMNS: tuple[str, ...] = (
    "cell_id", "measure", "peak_utilisation_p90", "hours_add", "hours_watch", "first_hour",
    "max_extra_units", "event_id", "overload_utilisation_hours",
)
ACTIONS: tuple[str, ...] = ("ok", "watch", "add")

_FORECAST_COLUMNS = ("cell_id", "measure", "timestamp", "p90", "event_id")


def plan_capacity(forecast: pd.DataFrame, cells: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """Decide a capacity action for every cell-hour of the forecast.

    ``utilisation_p90 = p90 / capacity``. The action is ``add`` when it is
    above the cell's threshold, ``watch`` when it is above ``threshold −
    settings.capacity.watch_margin``, else ``ok``. A utilisation exactly at
    the threshold is therefore ``watch``. For ``add`` rows, ``extra_units``
    is the fewest ``n`` such that ``p90 / (capacity + n·unit) <= threshold``
    with the first unit of ``settings.capacity.extra_units`` that declares a
    capacity for the measure, and ``extra_unit_name`` is that unit's name.
    An ``add`` row whose measure no unit declares gets NaN extra units and
    an empty name. Other rows get 0 and an empty name.

    A cell-hour whose p90 is NaN has no known utilisation, so its action is
    ``watch`` (someone has to look at it) and a warning is logged. A
    cell-hour whose baseline is NaN too is left out, because its cell has no
    traffic history and therefore no forecast.

    When the forecast has ``baseline`` and ``p50`` columns, the hours of an
    event's uplift outside its scoring window get the event's id as well
    (see :func:`attribute_uplift_hours`), so that an action covers every
    hour the event raises.

    Parameters
    ----------
    forecast : DataFrame
        Long forecast with ``cell_id``, ``measure``, ``timestamp``, ``p90``
        and ``event_id`` (empty outside events, ids joined by ``;`` where
        several events cover the cell-hour). Other columns are ignored.
    cells : DataFrame
        ``cell_id``, ``utilisation_threshold`` (NaN takes
        ``settings.capacity.default_utilisation_threshold``) and
        ``capacity_<measure>`` for every measure in the forecast.
    settings : Settings
        The dataset's settings, for the watch margin and the extra units.

    Returns
    -------
    DataFrame
        The columns of ``WeeklyPlan.capacity``, sorted by cell, measure and
        hour. It keeps every cell-hour inside an event (non-empty
        ``event_id``) and every cell-hour whose action is not ``ok``. The
        ``ok`` hours outside events are left out because they call for no
        decision.

    Raises
    ------
    ValueError
        If a forecast column or a ``capacity_<measure>`` column is missing,
        or if a forecast cell has no positive capacity for a measure. The
        message lists every such cell and measure.
    """
    missing = [column for column in _FORECAST_COLUMNS if column not in forecast.columns]
    if missing:
        raise ValueError(f"forecast is missing the columns {missing}; expected {list(_FORECAST_COLUMNS)}")
    if forecast.empty:
        return _empty_capacity()

    if "baseline" in forecast.columns:
        # A cell without traffic history gets no forecast at all (the forecast notes it), so it has no decision.
        forecast = forecast[forecast["baseline"].notna() | forecast["p90"].notna()]
        if forecast.empty:
            return _empty_capacity()
    rows = forecast[list(_FORECAST_COLUMNS)].rename(columns={"p90": "forecast_p90"})
    rows["event_id"] = rows["event_id"].fillna("").astype(str)
    if {"baseline", "p50"} <= set(forecast.columns):
        rows["event_id"] = attribute_uplift_hours(forecast.assign(event_id=rows["event_id"]))
    rows = rows.merge(_capacity_table(cells, rows["measure"].unique(), settings), on=["cell_id", "measure"],
                      how="left", validate="many_to_one")
    _check_capacity(rows)

    rows["utilisation_p90"] = rows["forecast_p90"] / rows["capacity"]
    margin = settings.capacity.watch_margin
    unknown = rows["utilisation_p90"].isna().to_numpy()
    above_threshold = (rows["utilisation_p90"] > rows["threshold"]).to_numpy()
    above_watch = (rows["utilisation_p90"] > rows["threshold"] - margin).to_numpy()
    rows["action"] = np.select([above_threshold, above_watch | unknown], ["add", "watch"], "ok")
    if unknown.any():
        pairs = rows.loc[unknown, ["cell_id", "measure"]].drop_duplicates()
        examples = [f"{cell}/{measure}" for cell, measure in pairs.head(5).itertuples(index=False)]
        logger.warning(translatable("{count} cell-hours have no p90 forecast, in {pairs} cell and measure pairs "
                                    "such as {examples}, so they are marked watch", count=int(unknown.sum()),
                                    pairs=len(pairs), examples=examples))

    _add_extra_units(rows, settings)

    reported = rows[(rows["event_id"] != "") | (rows["action"] != "ok")]
    reported = reported.sort_values(["cell_id", "measure", "timestamp"], kind="stable").reset_index(drop=True)
    return reported[list(CAPACITY_COLUMNS)]


def attribute_uplift_hours(forecast: pd.DataFrame) -> pd.Series:
    """Extend each event's ``event_id`` to the hours of its uplift outside its scoring window.

    The forecast marks an event only on its scoring window (start - 1 h to
    end + 2 h, after any timing shift), but the uplift can start hours
    earlier, for arrivals or a drifted clock. An hour is uplifted where p50
    differs from the baseline. Each unmarked uplifted hour takes the
    ``event_id`` of the nearest marked hour in the same run of consecutive
    uplifted hours of its cell and measure (the earlier one on a tie). An
    uplifted run with no marked hour keeps its empty ids, because no event
    of the forecast claims it.

    Parameters
    ----------
    forecast : DataFrame
        ``cell_id``, ``measure``, ``timestamp``, ``baseline``, ``p50`` and
        ``event_id`` (empty outside events).

    Returns
    -------
    Series
        The new ``event_id``, on the forecast's index.
    """
    ordered = forecast.sort_values(["cell_id", "measure", "timestamp"], kind="stable")
    event_ids = ordered["event_id"].fillna("").astype(str)
    p50 = ordered["p50"].to_numpy(dtype=float)
    baseline = ordered["baseline"].to_numpy(dtype=float)
    uplifted = pd.Series(~np.isclose(p50, baseline, rtol=1e-9, atol=0.0) & ~np.isnan(p50) & ~np.isnan(baseline),
                         index=ordered.index)

    new_series = (ordered["cell_id"] != ordered["cell_id"].shift()) | (ordered["measure"] != ordered["measure"].shift())
    run = (new_series | (uplifted != uplifted.shift())).cumsum()
    position = pd.Series(np.arange(len(ordered), dtype=float), index=ordered.index)
    marked_position = position.where(event_ids != "")
    before = marked_position.groupby(run).ffill()
    after = marked_position.groupby(run).bfill()

    use_before = before.notna() & (after.isna() | (position - before <= after - position))
    source = before.where(use_before, after)
    target = uplifted & (event_ids == "") & source.notna()
    filled = event_ids.copy()
    filled[target] = event_ids.to_numpy()[source[target].to_numpy(dtype=np.int64)]
    return filled.reindex(forecast.index)


def rank_cells_at_risk(capacity: pd.DataFrame) -> pd.DataFrame:
    """Summarise the cells and measures that have an ``add`` or ``watch`` hour.

    Parameters
    ----------
    capacity : DataFrame
        Output of :func:`plan_capacity`.

    Returns
    -------
    DataFrame
        One row per cell and measure: ``cell_id``, ``measure``,
        ``peak_utilisation_p90``, ``hours_add``, ``hours_watch``,
        ``first_hour`` (the first ``add`` or ``watch`` hour),
        ``max_extra_units`` (NaN when no unit covers the measure),
        ``event_id`` (the distinct events of those hours, joined by ``;``)
        and ``overload_utilisation_hours``, the expected overload: the sum
        over the hours of ``max(0, utilisation_p90 − threshold)``, so that a
        cell 10 points over its threshold for 3 hours scores 0.3. Sorted by
        expected overload, then by peak utilisation, highest first, with NaN
        peaks last.
    """
    at_risk = capacity[capacity["action"].isin(["add", "watch"])].copy()
    if at_risk.empty:
        return pd.DataFrame({column: pd.Series(dtype=_RISK_DTYPES.get(column, "object"))
                             for column in RISK_COLUMNS})

    at_risk["is_add"] = at_risk["action"] == "add"
    at_risk["is_watch"] = at_risk["action"] == "watch"
    at_risk["overload"] = (at_risk["utilisation_p90"] - at_risk["threshold"]).clip(lower=0.0).fillna(0.0)
    grouped = at_risk.groupby(["cell_id", "measure"], sort=False)
    ranking = grouped.agg(
        peak_utilisation_p90=("utilisation_p90", "max"),
        hours_add=("is_add", "sum"),
        hours_watch=("is_watch", "sum"),
        first_hour=("timestamp", "min"),
        max_extra_units=("extra_units", "max"),
        event_id=("event_id", _join_event_ids),
        overload_utilisation_hours=("overload", "sum"),
    ).reset_index()
    ranking["hours_add"] = ranking["hours_add"].astype(int)
    ranking["hours_watch"] = ranking["hours_watch"].astype(int)
    ranking = ranking.sort_values(["overload_utilisation_hours", "peak_utilisation_p90", "cell_id", "measure"],
                                  ascending=[False, False, True, True], na_position="last", kind="stable")
    return ranking.reset_index(drop=True)[list(RISK_COLUMNS)]


# ---------------------------------------------------------------------------
# Private helpers
# ---------------------------------------------------------------------------

_RISK_DTYPES = {"peak_utilisation_p90": "float64", "hours_add": "int64", "hours_watch": "int64",
                "max_extra_units": "float64", "overload_utilisation_hours": "float64"}


def _capacity_table(cells: pd.DataFrame, measures: np.ndarray, settings: Settings) -> pd.DataFrame:
    """Reshape the cells' ``capacity_<measure>`` columns to one row per cell and measure."""
    capacity_columns = {f"capacity_{measure}": measure for measure in measures}
    missing = [column for column in capacity_columns if column not in cells.columns]
    if missing:
        raise ValueError(f"cells table is missing the columns {missing}; "
                         "add a capacity column for every measure in the forecast")

    if "utilisation_threshold" in cells.columns:
        thresholds = cells["utilisation_threshold"].astype(float)
    else:
        thresholds = pd.Series(np.nan, index=cells.index)
    table = cells[["cell_id", *capacity_columns]].assign(
        threshold=thresholds.fillna(settings.capacity.default_utilisation_threshold))
    table = table.melt(id_vars=["cell_id", "threshold"], value_vars=list(capacity_columns),
                       var_name="measure", value_name="capacity")
    table["measure"] = table["measure"].map(capacity_columns)
    table["capacity"] = table["capacity"].astype(float)
    return table[["cell_id", "measure", "capacity", "threshold"]]


def _check_capacity(rows: pd.DataFrame) -> None:
    unusable = rows["capacity"].isna() | (rows["capacity"] <= 0)
    if not unusable.any():
        return
    pairs = rows.loc[unusable, ["cell_id", "measure", "capacity"]].drop_duplicates(["cell_id", "measure"])
    problems = [translatable("cell {cell!r}: capacity_{measure} is {value!r}", cell=cell, measure=measure, value=value)
                for cell, measure, value in pairs.itertuples(index=False)]
    raise ValueError(translatable("{count} forecast cell and measure pairs have no positive capacity; set "
                                  "capacity_<measure> > 0 for them in the cells table: {problems}",
                                  count=len(problems), problems=problems))


def _add_extra_units(rows: pd.DataFrame, settings: Settings) -> None:
    """Fill ``extra_units`` and ``extra_unit_name`` in place for every row."""
    unit_capacity: dict[str, float] = {}
    unit_name: dict[str, str] = {}
    for unit in settings.capacity.extra_units:
        for measure, capacity in unit.capacity.items():
            if measure not in unit_capacity:
                unit_capacity[measure] = capacity
                unit_name[measure] = unit.name

    # Only the rows to add capacity to take units: a national network has millions of other rows.
    added = np.flatnonzero((rows["action"] == "add").to_numpy())
    measures = pd.Series(rows["measure"].to_numpy()[added])
    per_unit = measures.map(unit_capacity).astype(float).to_numpy()
    p90 = rows["forecast_p90"].to_numpy(dtype=float)[added]
    capacity = rows["capacity"].to_numpy(dtype=float)[added]
    threshold = rows["threshold"].to_numpy(dtype=float)[added]

    with np.errstate(divide="ignore", invalid="ignore"):
        shortfall = p90 / threshold - capacity
        units = np.ceil(shortfall / per_unit * (1.0 - 1e-12))
        units = np.maximum(units, 1.0)
        # Float rounding can leave the ratio a hair above the threshold, so one more unit settles it.
        units = units + (p90 / (capacity + units * per_unit) > threshold)

    extra_units = np.zeros(len(rows))
    extra_units[added] = units
    rows["extra_units"] = extra_units
    names = np.full(len(rows), "", dtype=object)
    names[added] = measures.map(unit_name).fillna("").to_numpy(dtype=object)
    rows["extra_unit_name"] = names


def _join_event_ids(event_ids: pd.Series) -> str:
    distinct = sorted({event for joined in event_ids for event in joined.split(";") if event})
    return ";".join(distinct)


def _empty_capacity() -> pd.DataFrame:
    dtypes = {"forecast_p90": "float64", "capacity": "float64", "threshold": "float64",
              "utilisation_p90": "float64", "extra_units": "float64"}
    return pd.DataFrame({column: pd.Series(dtype=dtypes.get(column, "object")) for column in CAPACITY_COLUMNS})
