"""The in-process engine: one fit of the forecaster for the week and for its usual week."""

from __future__ import annotations

import logging

from planner.decisions.plan import WeeklyPlan, check_history_recent, plan_from_forecast, reference_traffic
from planner.forecasting.model import EventForecaster
from planner.inputs.dataset import Dataset
from planner.inputs.weeks import Week

logger = logging.getLogger(__name__)


def plan_with_usual_week(dataset: Dataset, week: Week) -> tuple[WeeklyPlan, WeeklyPlan]:
    """Plan the week with its events, and the usual week without them, from one fit.

    The result equals ``plan_week(dataset, week)`` and
    ``planner.reporting.summary.usual_week_plan`` of it, at half the cost:
    the forecaster learns from the history once and forecasts both
    scenarios.

    Returns
    -------
    plan, usual : WeeklyPlan
        The week as planned, and the same week with no event.
    """
    check_history_recent(dataset, week)
    forecaster = EventForecaster().fit(dataset, week.start)
    reference = reference_traffic(dataset, week)
    no_events = dataset.events.iloc[0:0]
    plan = plan_from_forecast(dataset, week, forecaster.predict(week.start, week.end), reference=reference)
    usual = plan_from_forecast(dataset, week, forecaster.predict(week.start, week.end, no_events),
                               scenario_events=no_events, reference=reference, log_warnings=False)
    logger.info("planned %s %s in process: %d cells", dataset.name, week.label, len(dataset.cells))
    return plan, usual
