"""The project keeps its promises: layout, pins in step, two-command Quick start."""
import re
import tomllib

import yaml

from lupus_utils.paths import PROJECT_ROOT


def _pyproject_pins() -> dict[str, str]:
    meta = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(meta["dependencies"])
    for extra in meta["optional-dependencies"].values():
        reqs += extra
    pins = {}
    for r in reqs:
        m = re.fullmatch(r"([A-Za-z0-9_.\-]+)==([^\s;]+)", r)
        assert m, f"pyproject.toml: '{r}' is not pinned with =="
        pins[m[1].lower()] = m[2]
    return pins


def test_every_dependency_is_pinned_and_environment_yml_agrees():
    pins = _pyproject_pins()
    env = yaml.safe_load((PROJECT_ROOT / "environment.yml").read_text())
    conda = {}
    for d in env["dependencies"]:
        if isinstance(d, str) and "=" in d:
            name, version = d.split("=", 1)
            conda[name.lower()] = version
    conda.pop("python")
    assert conda == pins


def test_constraints_pin_the_same_versions_as_pyproject():
    """make installs with -c constraints.txt: a direct dependency pinned differently there would
    silently win over pyproject.toml."""
    lines = (PROJECT_ROOT / "constraints.txt").read_text().splitlines()
    frozen = dict(line.split("==", 1) for line in lines if "==" in line and not line.startswith("#"))
    frozen = {name.lower().replace("_", "-"): version for name, version in frozen.items()}
    pins = _pyproject_pins()
    assert {name: frozen.get(name) for name in pins} == pins


def test_jupyter_book_is_version_1():
    assert _pyproject_pins()["jupyter-book"].startswith("1.")


def test_fixed_layout_exists():
    for name in ("book", "notebooks", "lupus_utils", "data", "tests", "_config.yml", "environment.yml",
                 "pyproject.toml", "Makefile", "README.md", ".ci/run", "LICENSE", "CITATION.cff"):
        assert (PROJECT_ROOT / name).exists(), name


def test_readme_quick_start_has_exactly_two_commands():
    text = (PROJECT_ROOT / "README.md").read_text()
    quick = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```(?:bash|sh)?\n(.*?)```", quick, re.S)[1]
    commands = [line for line in block.splitlines() if line.strip() and not line.strip().startswith("#")]
    assert commands == ["make book", "make test"]
    assert "make test" in (PROJECT_ROOT / ".ci" / "run").read_text()
