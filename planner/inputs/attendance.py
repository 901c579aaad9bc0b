"""Check event attendance figures: whole numbers, not far above their venue's capacity, and below any real crowd."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from planner.inputs.errors import Problem
from planner.messages import Message, translatable

logger = logging.getLogger(__name__)

ATTENDANCE_CAPACITY_MULTIPLE = 10.0
"""An attendance above this many times the venue's ``capacity_people`` is rejected as a typing error. Between
the capacity and this multiple it is noted: standing crowds, fan zones outside the venue and approximate
capacities can put more people around a venue than its seats."""

MAX_ATTENDANCE = 100_000_000.0
"""The largest attendance accepted for any event, with or without a venue capacity. No gathering on record
reached 100 million people, so a larger figure is a typing error."""


def check_attendance(events: pd.DataFrame, venues: pd.DataFrame | None, file: str, lines: Sequence[int | None],
                     columns: Mapping[str, str]) -> tuple[list[Problem], list[Message]]:
    """Return the problems and data-quality notes of the events' attendance figures.

    Parameters
    ----------
    events : DataFrame
        ``event_id``, ``venue_id`` and the attendance columns, float, NaN where empty.
    venues : DataFrame or None
        ``venue_id`` and ``capacity_people`` (NaN where unknown); None checks
        only :data:`MAX_ATTENDANCE`.
    file : str
        The events file, for the problems.
    lines : sequence of int or None
        The line of each event row in ``file``, in the order of ``events``.
    columns : mapping of str to str
        Each attendance column of ``events`` to the name the file gives it,
        such as ``X-ATTENDANCE`` in an iCalendar file.

    Returns
    -------
    problems : list of Problem
        A figure above :data:`MAX_ATTENDANCE`, above
        :data:`ATTENDANCE_CAPACITY_MULTIPLE` times the venue's capacity, or
        not a whole number.
    notes : list of Message
        One per event with a figure above its venue's capacity but not above
        the multiple, naming the event, the figure and the capacity.
    """
    capacity = np.full(len(events), np.nan)
    if venues is not None and not venues.empty and "venue_id" in events.columns:
        by_venue = venues.set_index("venue_id")["capacity_people"]
        capacity = events["venue_id"].map(by_venue).to_numpy(dtype="float64")

    problems: list[Problem] = []
    notes: list[Message] = []
    for position, event_id in enumerate(events["event_id"]):
        above_capacity: list[tuple[str, float]] = []
        for column, name in columns.items():
            value = float(events[column].iloc[position])
            if np.isnan(value):
                continue
            venue_capacity = capacity[position]
            if value > ATTENDANCE_CAPACITY_MULTIPLE * venue_capacity:
                problems.append(Problem(file, lines[position], name, _whole(value), translatable(
                    "attendance more than {multiple:.0f} times the venue's capacity of {capacity:,.0f} people "
                    "(capacity_people in venues.csv); check the value, or the venue's capacity_people",
                    multiple=ATTENDANCE_CAPACITY_MULTIPLE, capacity=venue_capacity)))
            elif value > MAX_ATTENDANCE:
                problems.append(Problem(file, lines[position], name, _whole(value), translatable(
                    "attendance above {limit:,.0f} people, more than any gathering on record; check the value",
                    limit=MAX_ATTENDANCE)))
            elif not value.is_integer():
                problems.append(Problem(file, lines[position], name, value, translatable(
                    "attendance must be a whole number of people; write it without decimals, such as {example:d}",
                    example=round(value))))
            elif value > venue_capacity:
                above_capacity.append((name, value))
        if above_capacity:
            name, value = max(above_capacity, key=lambda item: item[1])
            note = translatable("{event}: {column} {value:,.0f} is above the venue's capacity of {capacity:,.0f} "
                                "people (capacity_people in venues.csv); check the value. The forecast scales the "
                                "event's uplift as if {capacity:,.0f} people attend", event=event_id, column=name,
                                value=value, capacity=capacity[position])
            logger.warning(translatable("{place}: {problem}", place=file, problem=note))
            notes.append(note)
    return problems, notes


def _whole(value: float) -> float | int:
    """Return a whole number as an int, so that a problem quotes ``800000`` as written rather than ``800000.0``."""
    return int(value) if value.is_integer() else value
