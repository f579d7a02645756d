"""Write one script's section of benchmarks/RESULTS.md, leaving the other sections alone.

A section rewritten by its script stays where it is. A new section is placed with its family:
a name that extends an existing section's name, or a known family root in ``FAMILIES``, by
``_`` or ``-`` (``bench_suite_validation_m1_monthly`` under ``bench_suite_validation``,
``scale-naive-drift`` under ``scale``) goes right after the last section of its closest such
family; a new parent (``bench_learners`` once ``bench_learners_weekly`` exists) goes right
before its first child; anything else goes at the end.
"""

from __future__ import annotations

import re
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
HEADER = (
    "# Benchmark results\n\nEach section is written by its own script in `benchmarks/` "
    "(see `benchmarks/README.md`); rerunning a script replaces only its section.\n\n"
)
# Family roots that are not themselves a section: bench_suite.py writes bench_suite_validation*
# and bench_suite_test*, scale.py one scale-<learners> section per portfolio.
FAMILIES = ("bench_suite", "scale")
SEPARATORS = ("_", "-")
_SECTION = re.compile(r"^<!-- (\S+):start -->$", re.MULTILINE)


def _in_family(name: str, root: str) -> bool:
    return name == root or any(name.startswith(root + sep) for sep in SEPARATORS)


def _place(section: str, old: str) -> int:
    """Character offset where the new ``section`` is inserted into the text ``old``."""
    found = [(m.group(1), m.start()) for m in _SECTION.finditer(old)]
    children = [at for name, at in found if name != section and _in_family(name, section)]
    if children:
        return children[0]
    roots = [r for r in {name for name, _ in found} | set(FAMILIES)
             if r != section and _in_family(section, r)]
    for root in sorted(roots, key=len, reverse=True):  # closest family first
        members = [name for name, _ in found if _in_family(name, root)]
        if members:
            end = f"<!-- {members[-1]}:end -->"
            return old.index(end, old.index(f"<!-- {members[-1]}:start -->")) + len(end)
    return len(old)


def write_section(section: str, text: str, path: Path = RESULTS) -> None:
    """Replace the block between ``<!-- section:start/end -->`` markers, or insert it with its family."""
    start, end = f"<!-- {section}:start -->", f"<!-- {section}:end -->"
    block = f"{start}\n{text.rstrip()}\n{end}\n"
    old = path.read_text() if path.exists() else HEADER
    if start in old and end in old:
        before, rest = old.split(start, 1)
        after = rest.split(end, 1)[1].lstrip("\n")
        new = before + block + ("\n" + after if after else "")
    else:
        at = _place(section, old)
        before, after = old[:at].rstrip("\n"), old[at:].lstrip("\n")
        new = before + "\n\n" + block + ("\n" + after if after else "")
    path.write_text(new)


def git_commit() -> str:
    """The commit of the code a benchmark runs, ``+uncommitted`` when the working tree differs
    from it (the results files the benchmarks write themselves aside)."""
    import subprocess

    here = Path(__file__).resolve().parent
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=here,
                              capture_output=True, text=True, check=True).stdout.strip()
        results = [":(top,exclude)benchmarks/RESULTS.md", ":(top,exclude,glob)benchmarks/*_results.json"]
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", ":/", *results],
                               cwd=here, capture_output=True, text=True, check=False).stdout.strip()
        return head + ("+uncommitted" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def markdown(table) -> str:
    """A Markdown table of the DataFrame ``table``, floats to three decimals."""
    cells = [[f"{v:.3f}" if isinstance(v, float) else str(v) for v in row]
             for row in table.itertuples(index=False)]
    lines = [list(map(str, table.columns)), ["---"] * table.shape[1], *cells]
    return "\n".join("| " + " | ".join(line) + " |" for line in lines) + "\n"
