"""Build hook for the optional compiled build: mypyc extension modules when asked, else nothing.

The package is pure Python and that is what ``pip install`` builds: everything lives in
``pyproject.toml`` and this file adds nothing. With ``ESCALATE_COMPILE=1`` in the environment
(``make compiled``), the modules of ``src/escalate`` are compiled with mypyc into C extension
modules that sit beside the ``.py`` files in the wheel; ``[tool.escalate.compiled] exclude`` in
``pyproject.toml`` names the modules that stay Python, each with its reason in
``docs/scale.md``. Building it needs ``mypy`` (which ships mypyc), ``setuptools`` and a C
compiler, without build isolation: ``pip wheel --no-build-isolation``.
"""

import os
import sys
import tomllib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from setuptools import setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent


def compiled_paths() -> list[str]:
    """The ``src/escalate`` modules to compile: every one but the excluded, as sorted paths."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    excluded = set(config["tool"]["escalate"]["compiled"]["exclude"])
    package = ROOT / "src" / "escalate"
    paths = []
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(ROOT / "src").with_suffix("").parts
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        if module not in excluded:
            paths.append(path.relative_to(ROOT).as_posix())
    return paths


class ParallelBuildExt(build_ext):
    """build_ext using every core: extensions in parallel, and an extension's C files in
    parallel too (mypyc's runtime files beside its own; with ``multi_file``, one per module),
    which setuptools alone compiles one after another."""

    def finalize_options(self) -> None:
        super().finalize_options()
        if not self.parallel:
            self.parallel = os.cpu_count() or 1

    def build_extensions(self) -> None:
        compile_one = self.compiler.compile

        def compile_all(sources: list[str], *args: object, **kwargs: object) -> list[str]:
            unique = list(dict.fromkeys(sources))  # a file listed twice would link twice
            with ThreadPoolExecutor(os.cpu_count() or 1) as pool:
                done = pool.map(lambda source: compile_one([source], *args, **kwargs), unique)
                return [obj for objs in done for obj in objs]

        self.compiler.compile = compile_all
        try:
            super().build_extensions()
        finally:
            del self.compiler.compile


# Only the commands that build extensions run mypyc; pip's metadata step (dist_info) does not.
BUILDS = {"bdist_wheel", "build", "build_ext", "editable_wheel"}

if os.environ.get("ESCALATE_COMPILE") == "1" and BUILDS & set(sys.argv[1:]):
    from mypyc.build import mypycify

    setup(
        cmdclass={"build_ext": ParallelBuildExt},
        ext_modules=mypycify(
            compiled_paths(),
            opt_level=os.environ.get("ESCALATE_COMPILE_OPT", "3"),
            group_name="escalate_compiled",  # not "escalate": its C file would be the package's
            # One C file per module: built in parallel, about a sixth of the one-file build's
            # wall time; both import the same (docs/scale.md, "Compiled build").
            multi_file=True,
            target_dir="build/compiled/c",
        ),
    )
else:
    setup()
