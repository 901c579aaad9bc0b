"""Unknown keys in settings.toml are reported with the nearest known key."""

import pytest

from planner.inputs.errors import InputError
from planner.inputs.settings import load_settings
from tests.conftest import BUNDLED_DATA


@pytest.mark.parametrize(("original", "misspelt", "key", "hint"), [
    ("default_utilisation_threshold", "default_utilization_threshold",
     "capacity.default_utilization_threshold", "did you mean 'default_utilisation_threshold'?"),
    ("[staffing]\n", "[staffng]\n", "staffng", "did you mean 'staffing'?"),
    ("shrinkage = 0.3", "shrinkge = 0.3", "staffing.shrinkge", "did you mean 'shrinkage'?"),
], ids=["key", "section", "nested-key"])
def test_settings_unknown_key_named(tmp_path, original, misspelt, key, hint):
    text = (BUNDLED_DATA / "dodgers" / "settings.toml").read_text(encoding="utf-8")
    assert original in text
    path = tmp_path / "settings.toml"
    path.write_text(text.replace(original, misspelt, 1), encoding="utf-8")

    with pytest.raises(InputError) as raised:
        load_settings(path)
    unknown = [problem for problem in raised.value.problems if problem.column == key]
    assert len(unknown) == 1
    assert hint in unknown[0].message


def test_settings_bundled_have_no_unknown_key():
    for name in ("dodgers", "milan", "san-siro"):
        assert load_settings(BUNDLED_DATA / name / "settings.toml").name == name
