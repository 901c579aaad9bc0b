"""Reporting: the weekly plan as CSV tables and a self-contained HTML report in French or English."""

from planner.reporting.i18n import (
    SUPPORTED_LANGUAGES,
    cli_messages,
    format_date,
    format_datetime,
    format_number,
    format_percent,
    message_renderer,
    render_message,
    translate_value,
    translations,
)
from planner.reporting.writer import safe_folder_name, write_report

__all__ = [
    "SUPPORTED_LANGUAGES",
    "cli_messages",
    "format_date",
    "format_datetime",
    "format_number",
    "format_percent",
    "message_renderer",
    "render_message",
    "safe_folder_name",
    "translate_value",
    "translations",
    "write_report",
]
