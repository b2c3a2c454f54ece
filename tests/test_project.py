"""The project keeps its promises: layout, pins in step, two-command Quick start."""
import sys
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
    sys.path.insert(0, str(PROJECT_ROOT / "book"))
    import build
    written = (build.BUILD_DIR / "_build" / "html").relative_to(PROJECT_ROOT).as_posix()
    assert [s["with"]["path"] for s in upload] == [written] == ["build/_build/html"]
    assert any(s.get("uses", "").startswith("actions/deploy-pages") for s in pages["jobs"]["deploy"]["steps"])
    assert pages["jobs"]["deploy"]["needs"] == "build"


def test_launch_buttons_point_at_the_repository_only_when_it_is_known(monkeypatch):
    import yaml

    sys.path.insert(0, str(PROJECT_ROOT / "book"))
    import build
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
