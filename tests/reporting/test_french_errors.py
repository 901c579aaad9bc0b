"""Every bad input file of tests/data/bad gets its error in French, with the same facts as in English."""

from __future__ import annotations

import re

import pytest

from planner.inputs import InputError
from planner.messages import Message
from planner.reporting.i18n import message_renderer, render_message
from tests.inputs.test_bad_inputs import REJECTED_FILES, _read


@pytest.fixture
def settings(bad_data):
    from planner.inputs.settings import load_settings

    return load_settings(bad_data / "settings.toml")


@pytest.mark.parametrize("file", [row[0] for row in REJECTED_FILES])
def test_bad_file_error_in_french(bad_data, settings, file):
    # Synthetic: each file of tests/data/bad has one kind of fault.
    with pytest.raises(InputError) as caught:
        _read(bad_data, settings, file)
    error = caught.value

    for problem in error.problems:
        french = render_message(problem.describe(), "fr")
        english = render_message(problem.describe(), "en")

        assert isinstance(problem.message, Message), problem.message
        assert render_message(problem.message, "fr") != render_message(problem.message, "en"), problem.message
        assert french.startswith(problem.file)
        if problem.row is not None:
            assert f", ligne {problem.row}" in french
        if problem.value is not None:
            assert f"(valeur «\u00a0{problem.value}\u00a0»)" in french
        # Numbers written in the English text, such as a line or a count, are kept in the French one.
        assert sorted(re.findall(r"\d+", english)) == sorted(re.findall(r"\d+", french))
    assert error.render(message_renderer("fr")).splitlines()[0].endswith("dans les données d’entrée\u00a0:")
