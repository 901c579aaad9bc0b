"""The pandera schemas of the cells, venues and events tables."""

from __future__ import annotations

import pytest

from planner.inputs.schemas import CHECK_MESSAGES, cells_schema, events_schema, venues_schema

SCHEMAS = {
    "venues": venues_schema,
    "cells": lambda: cells_schema(["calls", "sms"]),
    "events": lambda: events_schema(["san-siro"]),
}


@pytest.mark.parametrize("build", SCHEMAS.values(), ids=SCHEMAS.keys())
def test_schema_check_names_have_messages(build):
    schema = build()
    names = [check.name for column in schema.columns.values() for check in column.checks]
    names += [check.name for check in schema.checks]

    assert names
    assert [name for name in names if name not in CHECK_MESSAGES] == []


@pytest.mark.parametrize("build", SCHEMAS.values(), ids=SCHEMAS.keys())
def test_schema_allows_extra_columns(build):
    assert build().strict is False


def test_position_checks_in_both_schemas():
    for schema in (venues_schema(), cells_schema(["calls"])):
        assert [check.name for check in schema.columns["latitude"].checks] == ["latitude_range"]
        assert [check.name for check in schema.columns["longitude"].checks] == ["longitude_range"]
