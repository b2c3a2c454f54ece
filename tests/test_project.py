"""The project keeps its promises: layout, pins in step, two-command Quick start."""
import re
import tomllib

import yaml

from conftest import load_script
from lupus_utils.paths import PROJECT_ROOT


def _pyproject_requirements() -> dict:
    from packaging.requirements import Requirement

    meta = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(meta["dependencies"])
    for extra in meta["optional-dependencies"].values():
        reqs += extra
    return {Requirement(r).name.lower().replace("_", "-"): Requirement(r) for r in reqs}


def _constraints() -> dict[str, str]:
    lines = (PROJECT_ROOT / "constraints.txt").read_text().splitlines()
    frozen = dict(line.split("==", 1) for line in lines if "==" in line and not line.startswith("#"))
    return {name.lower().replace("_", "-"): version for name, version in frozen.items()}


def test_library_dependencies_are_ranges_and_python_is_not_capped():
    """Issue 18: the library installs beside other packages and on newer Pythons: every
    dependency has a lower bound and none is pinned exactly; Python has no upper cap."""
    meta = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    assert meta["requires-python"] == ">=3.11"
    for name, req in _pyproject_requirements().items():
        ops = {s.operator for s in req.specifier}
        assert ">=" in ops and "==" not in ops and "===" not in ops, f"{name}: '{req}' is not a range with a lower bound"


def test_constraints_and_environment_yml_pin_versions_within_the_ranges():
    """make installs with -c constraints.txt: each direct dependency is pinned there, within its
    range, and environment.yml pins the same versions."""
    frozen = _constraints()
    reqs = _pyproject_requirements()
    for name, req in reqs.items():
        assert name in frozen, f"{name} is not pinned in constraints.txt"
        assert req.specifier.contains(frozen[name], prereleases=True), f"{name}=={frozen[name]} is outside '{req}'"
    env = yaml.safe_load((PROJECT_ROOT / "environment.yml").read_text())
    conda = {}
    for d in env["dependencies"]:
        if isinstance(d, str) and "=" in d:
            name, version = d.split("=", 1)
            conda[name.lower()] = version
    conda.pop("python")
    assert conda == {name: frozen[name] for name in reqs}


def test_jupyter_book_is_version_1():
    assert _constraints()["jupyter-book"].startswith("1.")
    assert not _pyproject_requirements()["jupyter-book"].specifier.contains("2.0.0")


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


def test_workflows_run_make_test_and_publish_what_make_book_writes():
    """One push puts the book online: the test workflow runs `make test`; the Pages workflow runs
    `make book` and uploads the folder it writes (build/_build/html) for GitHub Pages."""
    import yaml

    wf = PROJECT_ROOT / ".github" / "workflows"
    test = yaml.safe_load((wf / "test.yml").read_text())
    runs = [s.get("run", "") for job in test["jobs"].values() for s in job["steps"]]
    assert any(r.split()[:2] == ["make", "test"] for r in runs), runs
    pages = yaml.safe_load((wf / "pages.yml").read_text())
    on = pages.get("on", pages.get(True))          # YAML 1.1 reads a bare `on` key as True
    assert on["push"]["branches"] == ["main"]
    assert pages["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    steps = pages["jobs"]["build"]["steps"]
    assert any(s.get("run", "").split()[:2] == ["make", "book"] for s in steps)
    upload = [s for s in steps if s.get("uses", "").startswith("actions/upload-pages-artifact")]
    build = load_script(PROJECT_ROOT / "book" / "build.py", "book_build")
    written = (build.BUILD_DIR / "_build" / "html").relative_to(PROJECT_ROOT).as_posix()
    assert [s["with"]["path"] for s in upload] == [written] == ["build/_build/html"]
    assert any(s.get("uses", "").startswith("actions/deploy-pages") for s in pages["jobs"]["deploy"]["steps"])
    assert pages["jobs"]["deploy"]["needs"] == "build"


def test_launch_buttons_point_at_the_repository_only_when_it_is_known(monkeypatch):
    import yaml

    build = load_script(PROJECT_ROOT / "book" / "build.py", "book_build")
    monkeypatch.setenv("GITHUB_REPOSITORY", "someone/anifrolumab-book")
    monkeypatch.delenv("BOOK_REPOSITORY_URL", raising=False)
    url = build.repository_url()
    assert url == "https://github.com/someone/anifrolumab-book"
    theme = yaml.safe_load(build.book_config("Synthetic cohort", True, url))["sphinx"]["config"]["html_theme_options"]
    assert theme["repository_url"] == url and theme["path_to_docs"] == "notebooks"
    assert theme["launch_buttons"]["binderhub_url"] == "https://mybinder.org"
    assert theme["launch_buttons"]["colab_url"] == "https://colab.research.google.com"
    off = yaml.safe_load(build.book_config("Synthetic cohort", True, None))["sphinx"]["config"]["html_theme_options"]
    assert off["launch_buttons"]["binderhub_url"] == "" and "repository_url" not in off
