"""Engines that run the weekly plan: in process, or with the cells partitioned across a Dask cluster.

Both return the same plans. ``plan_with_usual_week`` fits the forecaster once
and plans the week with its events and without them (the usual week that the
report compares staffing with). ``plan_on_cluster`` forecasts partitions of
cells on Dask workers and plans capacity and staffing on the client from the
concatenated forecast.
"""

from planner.engine.cluster import plan_on_cluster
from planner.engine.local import plan_with_usual_week
from planner.engine.partition import context_cells, partition_cells

ENGINES: tuple[str, ...] = ("local", "dask")

__all__ = ["ENGINES", "context_cells", "partition_cells", "plan_on_cluster", "plan_with_usual_week"]
