"""Per-event capacity actions and voice channels, as tables the report can show.

``plan_event_actions`` turns the hourly capacity rows into one row per event,
cell and measure at risk: the recommended action and the utilisation margin
it leaves. ``plan_voice_channels`` sizes voice channels by Erlang B for every
measure whose unit is Erlangs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.decisions.erlang import erlang_b, servers_for_blocking
from planner.inputs.settings import Settings

EVENT_ACTION_COLUMNS: tuple[str, ...] = (
    "event_id", "cell_id", "measure", "peak_hour", "forecast_p90", "capacity", "threshold",
    "utilisation_p90", "action", "extra_units", "extra_unit_name", "utilisation_after_action",
    "margin_after_action",
)
VOICE_COLUMNS: tuple[str, ...] = (
    "cell_id", "measure", "busy_hour", "busy_hour_erlangs_p90", "grade_of_service", "channels_needed",
    "channels_installed", "blocking_at_installed", "extra_channels",
)
ERLANG_UNITS: frozenset[str] = frozenset({"erlang", "erlangs"})


def plan_event_actions(capacity: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """Summarise, per event, the cells at risk, the recommended action and the margin it leaves.

    Every event of a capacity row's ``event_id`` (ids joined by ``;``) gets
    the row. For each event, cell and measure with an ``add`` or ``watch``
    hour, the row describes the event's peak hour (highest p90 utilisation).
    The action is ``add`` when any event hour needs extra units, with
    ``extra_units`` the most any hour needs, else ``watch``.
    ``utilisation_after_action`` is the peak p90 over the capacity plus the
    extra units, and ``margin_after_action`` is the threshold minus it:
    positive means headroom left, negative means the action is not enough
    (or no extra unit covers the measure, where ``extra_units`` is NaN and
    the utilisation stays as forecast).

    Parameters
    ----------
    capacity : DataFrame
        Output of :func:`planner.decisions.capacity.plan_capacity`.
    settings : Settings
        For the capacity of each extra unit.

    Returns
    -------
    DataFrame
        The columns of ``EVENT_ACTION_COLUMNS``, sorted by event, action
        (``add`` first) and margin, smallest first.
    """
    rows = capacity[(capacity["event_id"] != "") & capacity["action"].isin(["add", "watch"])].copy()
    if rows.empty:
        return _empty(EVENT_ACTION_COLUMNS)

    rows["event_id"] = rows["event_id"].str.split(";")
    rows = rows.explode("event_id")
    rows = rows[rows["event_id"] != ""]
    rows["_utilisation_key"] = rows["utilisation_p90"].fillna(np.inf)
    keys = ["event_id", "cell_id", "measure"]
    peak = rows.sort_values("_utilisation_key", ascending=False, kind="stable").drop_duplicates(keys)
    grouped = rows.groupby(keys)
    summary = peak.set_index(keys)[["timestamp", "forecast_p90", "capacity", "threshold", "utilisation_p90",
                                    "extra_unit_name"]]
    summary = summary.rename(columns={"timestamp": "peak_hour"})
    summary["extra_units"] = grouped["extra_units"].max(min_count=1)
    # Align on the keys: the groups come in key order, the summary in order of peak utilisation.
    has_add = grouped["action"].apply(lambda actions: (actions == "add").any()).reindex(summary.index)
    summary["action"] = np.where(has_add.to_numpy(dtype=bool), "add", "watch")
    names = rows[rows["extra_unit_name"] != ""].groupby(keys)["extra_unit_name"].first()
    summary["extra_unit_name"] = names.reindex(summary.index).fillna("")
    summary = summary.reset_index()

    unit_capacity = summary["measure"].map(_unit_capacities(settings)).astype(float)
    added = (summary["extra_units"].fillna(0.0) * unit_capacity.fillna(0.0)).to_numpy()
    summary["utilisation_after_action"] = summary["forecast_p90"] / (summary["capacity"] + added)
    summary["margin_after_action"] = summary["threshold"] - summary["utilisation_after_action"]
    summary["_add_first"] = summary["action"] != "add"
    summary = summary.sort_values(["event_id", "_add_first", "margin_after_action", "cell_id", "measure"],
                                  kind="stable").reset_index(drop=True)
    return summary[list(EVENT_ACTION_COLUMNS)]


def plan_voice_channels(forecast: pd.DataFrame, cells: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """Size the voice channels of every cell by Erlang B at the settings' grade of service.

    Only measures whose unit is Erlangs count (rate measures of carried
    voice traffic). A cell's busy hour is its hour with the highest p90, and
    ``channels_needed`` is the fewest channels whose Erlang B blocking at
    that load is at most ``settings.capacity.grade_of_service``. The
    installed channels come from a ``channels_<measure>`` column of the
    cells table where it has a value, else from ``capacity_<measure>``, read
    as a count of channels. ``extra_channels`` is the shortfall, 0 when the
    installed channels are enough.

    Returns
    -------
    DataFrame
        The columns of ``VOICE_COLUMNS``, sorted by extra channels, highest
        first, then cell; empty when no measure is in Erlangs.
    """
    measures = [m.name for m in settings.measures if m.unit.strip().lower() in ERLANG_UNITS]
    rows = forecast[forecast["measure"].isin(measures) & forecast["p90"].notna()].reset_index(drop=True)
    if rows.empty:
        return _empty(VOICE_COLUMNS)

    busy = rows.loc[rows.groupby(["cell_id", "measure"])["p90"].idxmax(),
                    ["cell_id", "measure", "timestamp", "p90"]]
    busy = busy.rename(columns={"timestamp": "busy_hour", "p90": "busy_hour_erlangs_p90"})
    installed = []
    for measure in measures:
        channels = cells[f"capacity_{measure}"].astype(float)
        if f"channels_{measure}" in cells.columns:
            channels = cells[f"channels_{measure}"].astype(float).fillna(channels)
        installed.append(pd.DataFrame({"cell_id": cells["cell_id"], "measure": measure,
                                       "channels_installed": channels}))
    busy = busy.merge(pd.concat(installed), on=["cell_id", "measure"], how="left", validate="one_to_one")

    grade = settings.capacity.grade_of_service
    loads = busy["busy_hour_erlangs_p90"].clip(lower=0.0).to_numpy(dtype=float)
    channels = np.floor(busy["channels_installed"].fillna(0.0).to_numpy()).astype(np.int64)
    busy["grade_of_service"] = grade
    busy["channels_needed"] = np.asarray(servers_for_blocking(loads, grade), dtype=np.int64)
    busy["blocking_at_installed"] = np.asarray(erlang_b(channels, loads), dtype=float)
    busy["extra_channels"] = np.maximum(busy["channels_needed"] - channels, 0)
    busy = busy.sort_values(["extra_channels", "cell_id", "measure"], ascending=[False, True, True], kind="stable")
    return busy.reset_index(drop=True)[list(VOICE_COLUMNS)]


def _unit_capacities(settings: Settings) -> dict[str, float]:
    """Map each measure to the capacity of the first extra unit that declares it, as plan_capacity does."""
    capacities: dict[str, float] = {}
    for unit in settings.capacity.extra_units:
        for measure, value in unit.capacity.items():
            capacities.setdefault(measure, value)
    return capacities


def _empty(columns: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame({column: pd.Series(dtype="object") for column in columns})
