"""Reading and validating a dataset folder: settings, traffic, cells, venues and events."""

from planner.inputs.dataset import Dataset
from planner.inputs.errors import InputError
from planner.inputs.loading import load_dataset
from planner.inputs.settings import Settings, load_settings
from planner.inputs.weeks import Week, parse_week

__all__ = ["Dataset", "InputError", "Settings", "Week", "load_dataset", "load_settings", "parse_week"]
