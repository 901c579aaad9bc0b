"""Ctrl-C while the planner command imports its modules, in a child process as a user runs it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tomllib

import pytest

from tests.conftest import BUNDLED_DATA, REPO

FRENCH_INTERRUPTED = ("Erreur\u00a0: interrompu (Ctrl-C)\u202f; les résultats des exécutions précédentes sont laissés tels "
                      "quels\n")
ENGLISH_INTERRUPTED = "Error: interrupted (Ctrl-C); the outputs of earlier runs are left as they were\n"

# Runs the console script as pip's generated wrapper does, with an import hook that raises KeyboardInterrupt
# when pandas is imported, as a Ctrl-C in the first second of the command does.
INTERRUPTED_SCRIPT = """
import sys


class InterruptPandasImport:
    def find_spec(self, name, path=None, target=None):
        if name == "pandas":
            raise KeyboardInterrupt
        return None


sys.meta_path.insert(0, InterruptPandasImport())
from {module} import {function}
sys.exit({function}())
"""


def _environment() -> dict[str, str]:
    environment = {name: value for name, value in os.environ.items() if name != "PLANNER_LANG"}
    search_path = [str(REPO), *filter(None, environment.get("PYTHONPATH", "").split(os.pathsep))]
    environment["PYTHONPATH"] = os.pathsep.join(search_path)
    return environment


def _report_arguments(tmp_path) -> list[str]:
    return ["report", "--data", str(BUNDLED_DATA / "dodgers"), "--week", "2005-W32", "--out", str(tmp_path)]


@pytest.mark.parametrize(("language", "expected"), [([], FRENCH_INTERRUPTED), (["--lang", "en"], ENGLISH_INTERRUPTED)])
def test_console_script_interrupted_importing(tmp_path, language, expected):
    entry = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]["planner"]
    module, function = entry.split(":")
    script = INTERRUPTED_SCRIPT.format(module=module, function=function)
    completed = subprocess.run([sys.executable, "-c", script, *_report_arguments(tmp_path), *language],
                               capture_output=True, text=True, encoding="utf-8", env=_environment(), check=False,
                               timeout=120)

    assert completed.returncode == 130
    assert completed.stderr == expected
    assert completed.stdout == ""


def test_entry_point_imports_no_pandas():
    # The longer the entry point takes to import, the longer a Ctrl-C still ends in a traceback.
    code = "import sys, planner.entry_point; print(sorted({'numpy', 'pandas', 'planner.cli'} & set(sys.modules)))"
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=_environment(),
                               check=False, timeout=120)

    assert completed.returncode == 0, completed.stderr
    assert completed.stdout == "[]\n"


def test_sigint_while_importing_exit_130(tmp_path):
    # -X importtime prints a line on standard error as each module finishes importing. Once numpy is imported,
    # pandas, SciPy and Matplotlib take about a second more on a 2-core test machine, so SIGINT arrives during
    # the imports. On a faster machine it may arrive in the command, which ends the same way.
    # Background shells and CI runners often start children with SIGINT ignored, so the child restores it.
    process = subprocess.Popen([sys.executable, "-X", "importtime", "-m", "planner", *_report_arguments(tmp_path)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8",
                               env=_environment(), preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        for line in process.stderr:
            if line.rsplit("|", 1)[-1].strip() == "numpy":
                break
        else:
            pytest.fail("the command ended before it imported numpy")
        process.send_signal(signal.SIGINT)
        stderr = process.stderr.read()
        returncode = process.wait(timeout=120)
    finally:
        process.kill()
        process.wait()
        process.stdout.close()
        process.stderr.close()

    assert returncode == 130
    assert "Traceback" not in stderr
    assert stderr.endswith(FRENCH_INTERRUPTED)
