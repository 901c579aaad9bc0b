"""Unknown keys in settings.toml are reported with the nearest known key."""

import pytest

from planner.inputs.errors import InputError
from planner.inputs.settings import load_settings
from planner.reporting.i18n import render_message
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


def _settings_with(tmp_path, original: str, replacement: str):
    text = (BUNDLED_DATA / "san-siro" / "settings.toml").read_text(encoding="utf-8")
    assert original in text
    path = tmp_path / "settings.toml"
    path.write_text(text.replace(original, replacement, 1), encoding="utf-8")
    line = text[:text.index(original)].count("\n") + 1
    return path, line


def test_settings_decimal_comma_hint(tmp_path):
    path, line = _settings_with(tmp_path, "shrinkage = 0.3", "shrinkage = 0,3")

    with pytest.raises(InputError) as caught:
        load_settings(path)

    [problem] = caught.value.problems
    assert (problem.row, problem.value) == (line, "shrinkage = 0,3")
    french = render_message(problem.describe(), "fr")
    assert french == (f"{path}, ligne {line} (valeur «\u00a0shrinkage = 0,3\u00a0»)\u00a0: syntaxe TOML invalide à la colonne 14\u202f; "
                      "les nombres s’écrivent avec un point décimal en TOML\u00a0: écrivez 0.3, et non 0,3 (détail de "
                      "l’analyseur\u00a0: Expected newline or end of document after a statement)")


def test_settings_other_syntax_error_hint(tmp_path):
    path, line = _settings_with(tmp_path, 'name = "san-siro"', "name = san-siro")

    with pytest.raises(InputError) as caught:
        load_settings(path)

    [problem] = caught.value.problems
    assert problem.row == line
    french = render_message(problem.message, "fr")
    assert french.startswith("syntaxe TOML invalide à la colonne 8\u202f; vérifiez les guillemets, les crochets et les "
                             "signes = de cette ligne")


def test_settings_quoted_number_hint(tmp_path):
    path, _ = _settings_with(tmp_path, "handle_time_seconds = 180", 'handle_time_seconds = "180"')

    with pytest.raises(InputError) as caught:
        load_settings(path)

    [problem] = caught.value.problems
    assert problem.column == "staffing.roles.customer_care_agent.handle_time_seconds"
    french = render_message(problem.message, "fr")
    assert french == ("valeur invalide\u00a0: du texte, alors qu’il faut des secondes > 0\u202f; écrivez le nombre sans "
                      "guillemets, par exemple handle_time_seconds = 180")


def test_settings_wrong_type_named_in_toml_terms(tmp_path):
    path, _ = _settings_with(tmp_path, "step_minutes = 10", "step_minutes = [10]")

    with pytest.raises(InputError) as caught:
        load_settings(path)

    [problem] = caught.value.problems
    assert problem.column == "traffic.step_minutes"
    assert render_message(problem.message, "fr").startswith("valeur invalide\u00a0: un tableau, alors qu’il faut ")
    assert "list" not in render_message(problem.message, "fr")


def test_settings_role_typo_one_problem(tmp_path):
    path, _ = _settings_with(tmp_path, "[staffing.roles.customer_care_agent]", "[staffing.roles.customer_care_agnet]")

    with pytest.raises(InputError) as caught:
        load_settings(path)

    [problem] = caught.value.problems
    assert (problem.column, problem.value) == ("staffing.roles.customer_care_agnet", "customer_care_agnet")
    assert render_message(problem.message, "fr") == ("rôle inconnu\u202f; attendu l’un de supervision_engineer, "
                                                      "customer_care_agent. Vouliez-vous dire "
                                                      "«\u00a0customer_care_agent\u00a0»\u202f?")
