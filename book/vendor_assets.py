"""Re-create ``book/_vendor_static/vendor`` from the pinned npm tarballs (maintainers only).

The book is built offline: the ipywidgets embedder and MathJax are committed to the repository
under ``book/_vendor_static/vendor`` and ``_config.yml`` points Sphinx at them. The build never
runs this script and needs no npm. Run it only to refresh or audit the vendored files:

    python book/vendor_assets.py                 # rewrite book/_vendor_static/vendor in place
    python book/vendor_assets.py --out /tmp/v    # write elsewhere (e.g. to diff against the repo)

It downloads each pinned tarball from https://registry.npmjs.org/, checks it against the
integrity pinned below AND the ``dist.integrity``/``dist.shasum`` that the registry publishes,
extracts the selected files only and writes ``VENDORED.md`` (versions, URLs, licences, sha256 of
every committed file). To move to a new release, change ``version``/``integrity``/``shasum`` in
``PACKAGES`` (take them from ``https://registry.npmjs.org/<name>/<version>``), run the script,
rebuild the book and run ``tests/test_book_browser.py``.

``ipywidgets-mathjax3-shim.js`` is not from npm: it is a project file kept in the vendor folder
(see its header) and carried over unchanged.
"""
from __future__ import annotations

import argparse
import base64
import fnmatch
import hashlib
import io
import json
import shutil
import sys
import tarfile
import tempfile
import urllib.request
from pathlib import Path

REGISTRY = "https://registry.npmjs.org"
DEFAULT_OUT = Path(__file__).resolve().parent / "_vendor_static" / "vendor"
SHIM = "ipywidgets-mathjax3-shim.js"

# name, version, expected tarball integrity, licence, destination folder and the file selection:
# (glob inside the tarball, destination relative to the package folder; "" keeps the basename).
PACKAGES = [
    {
        "name": "@jupyter-widgets/html-manager",
        "version": "1.0.15",
        "integrity": "sha512-5thBIV6ymNgmPVOHvzx+gGy8ZSKmSazhtGw4/c4xJDVzRhG9PTeQsRjF3FUTopvFi//SABeNz1yp47bCrJ3CQA==",
        "shasum": "3d82fba512edcab82512e679be25c917f1b83fd1",
        "license": "BSD-3-Clause (see embed.js.LICENSE.txt for the bundled third-party notices)",
        "dest": "jupyter-widgets-html-manager",
        # Non-AMD embedder (ipywidgets 8 / widget protocol 2) + only the .woff2 Font Awesome
        # fonts its CSS references relative to the script (Chromium never asks for the
        # .eot/.svg/.ttf/.woff fallbacks); the source map is dropped.
        "files": [
            ("package/dist/embed.js", ""),
            ("package/dist/embed.js.LICENSE.txt", ""),
            ("package/dist/*.woff2", ""),
            ("package/package.json", ""),
        ],
    },
    {
        "name": "mathjax",
        "version": "3.2.2",
        "integrity": "sha512-Bt+SSVU8eBG27zChVewOicYs7Xsdt40qm4+UpHyX7k0/O9NliPc+x77k1/FEsPsjKPZGJvtRZM1vO+geW0OhGw==",
        "shasum": "c754d7b46a679d7f3fa03543d6b8bf124ddf9f6b",
        "license": "Apache-2.0 (see LICENSE)",
        "dest": "mathjax",
        # The single-file TeX -> CommonHTML component and its web fonts (loaded relative to it).
        "files": [
            ("package/es5/tex-chtml.js", ""),
            ("package/es5/output/chtml/fonts/woff-v2/*.woff", "output/chtml/fonts/woff-v2"),
            ("package/LICENSE", ""),
            ("package/package.json", ""),
        ],
    },
]


def fetch(url: str) -> bytes:
    req = urllib.request.Request(url, headers={"User-Agent": "lupus-book-vendor-assets"})
    with urllib.request.urlopen(req, timeout=120) as res:
        return res.read()


def tarball_url(pkg: dict) -> str:
    bare = pkg["name"].split("/")[-1]
    return f"{REGISTRY}/{pkg['name']}/-/{bare}-{pkg['version']}.tgz"


def download_verified(pkg: dict) -> bytes:
    meta = json.loads(fetch(f"{REGISTRY}/{pkg['name']}/{pkg['version']}"))
    dist = meta["dist"]
    for key in ("integrity", "shasum"):
        if dist.get(key) != pkg[key]:
            raise SystemExit(f"{pkg['name']}@{pkg['version']}: registry {key} {dist.get(key)!r} "
                             f"differs from the pinned {pkg[key]!r}")
    if dist["tarball"] != tarball_url(pkg):
        raise SystemExit(f"unexpected tarball URL {dist['tarball']}")
    data = fetch(dist["tarball"])
    algo, _, b64 = dist["integrity"].partition("-")
    if base64.b64encode(hashlib.new(algo, data).digest()).decode() != b64:
        raise SystemExit(f"{dist['tarball']}: {algo} integrity mismatch")
    if hashlib.sha1(data).hexdigest() != dist["shasum"]:
        raise SystemExit(f"{dist['tarball']}: sha1 shasum mismatch")
    return data


def extract(pkg: dict, data: bytes, out: Path) -> list[Path]:
    written = []
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        members = [m for m in tar.getmembers() if m.isfile()]
        for pattern, sub in pkg["files"]:
            hits = sorted((m for m in members if fnmatch.fnmatchcase(m.name, pattern)), key=lambda m: m.name)
            if not hits:
                raise SystemExit(f"{pkg['name']}: nothing matches {pattern}")
            for m in hits:
                target = out / pkg["dest"] / sub / Path(m.name).name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(tar.extractfile(m).read())
                written.append(target)
    return written


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_manifest(out: Path) -> None:
    lines = [
        "# Vendored front-end assets",
        "",
        "Generated by `python book/vendor_assets.py` (do not edit by hand). These files are committed so",
        "that the book builds and renders without npm or any network access; `_config.yml` points",
        "Sphinx at them (`html_static_path: [_vendor_static]`, `nb_ipywidgets_js`, `mathjax_path`).",
        "",
        "To refresh: change the pins in `PACKAGES` in `book/vendor_assets.py`, run",
        "`python book/vendor_assets.py` (downloads the tarballs from the npm registry and checks",
        "their `dist.integrity` and `dist.shasum`), rebuild the book and run",
        "`pytest tests/test_book_browser.py`. `python book/vendor_assets.py --out DIR` writes a copy",
        "elsewhere, e.g. to check the committed files: `diff -r DIR book/_vendor_static/vendor`.",
        "",
    ]
    for pkg in PACKAGES:
        files = sorted(p for p in (out / pkg["dest"]).rglob("*") if p.is_file())
        lines += [
            f"## {pkg['name']}@{pkg['version']}",
            "",
            f"- tarball: {tarball_url(pkg)}",
            f"- integrity: `{pkg['integrity']}` (sha1 `{pkg['shasum']}`)",
            f"- licence: {pkg['license']}",
            f"- folder: `vendor/{pkg['dest']}/`",
            "",
            "| file | sha256 |",
            "| --- | --- |",
            *(f"| `{p.relative_to(out).as_posix()}` | `{sha256(p)}` |" for p in files),
            "",
        ]
    shim = out / SHIM
    lines += [
        f"## {SHIM} (project file, not from npm)",
        "",
        "- licence: same as this repository (MIT)",
        "- purpose: lets the html-manager's MathJax 2 call (`MathJax.Hub.Queue`) use MathJax 3; see its header",
        "",
        "| file | sha256 |",
        "| --- | --- |",
        f"| `{SHIM}` | `{sha256(shim)}` |",
        "",
    ]
    (out / "VENDORED.md").write_text("\n".join(lines), encoding="utf-8")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output folder (default: {DEFAULT_OUT})")
    args = ap.parse_args(argv)
    out = args.out.resolve()
    shim_src = DEFAULT_OUT / SHIM
    if not shim_src.is_file():
        print(f"missing {shim_src} (a project file; restore it from git)", file=sys.stderr)
        return 1
    shim = shim_src.read_bytes()

    with tempfile.TemporaryDirectory() as tmp:
        stage = Path(tmp) / "vendor"
        stage.mkdir()
        for pkg in PACKAGES:
            print(f"==> {pkg['name']}@{pkg['version']}", flush=True)
            files = extract(pkg, download_verified(pkg), stage)
            print(f"    {len(files)} files, {sum(f.stat().st_size for f in files) / 1e6:.2f} MB")
        (stage / SHIM).write_bytes(shim)
        write_manifest(stage)
        if out.exists():
            shutil.rmtree(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(stage, out)
    print(f"==> wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
