"""planner: planned-event capacity planning for telecom network operations."""

__version__ = "0.1.0"
