"""Fail when a notebook under notebooks/ carries outputs.

Committed notebooks are sources: no outputs, no execution counts, and the
Debian "python3" kernel. Executed copies go to out/notebooks/ (git-ignored).

    /usr/bin/python3 notebooks/check_clean.py [NOTEBOOK.ipynb ...]

With no arguments it checks every *.ipynb in the directory of this script.
Exit status 1 lists each offending notebook and cell; 0 means all clean.
To strip a notebook:

    /usr/bin/jupyter nbconvert --clear-output --inplace notebooks/NN_name.ipynb
"""

import json
import sys
from pathlib import Path


def problems(path: Path) -> list[str]:
    """Every reason path is not a clean notebook, one string each."""
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        return [f"{path}: not a readable notebook: {e}"]
    out = []
    kernel = nb.get("metadata", {}).get("kernelspec", {}).get("name")
    if kernel != "python3":
        out.append(f"{path}: kernelspec name {kernel!r}, want 'python3' (Debian's /usr/bin/python3)")
    for i, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        if cell.get("outputs"):
            out.append(f"{path}: cell {i}: has {len(cell['outputs'])} output(s)")
        if cell.get("execution_count") is not None:
            out.append(f"{path}: cell {i}: execution_count {cell['execution_count']}, want null")
    return out


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv] or sorted(Path(__file__).resolve().parent.glob("*.ipynb"))
    if not paths:
        print("check_clean: no notebooks found", file=sys.stderr)
        return 1
    found = [p for path in paths for p in problems(path)]
    for p in found:
        print(p, file=sys.stderr)
    if found:
        print("check_clean: strip outputs with: /usr/bin/jupyter nbconvert --clear-output --inplace NOTEBOOK",
              file=sys.stderr)
        return 1
    print(f"check_clean: {len(paths)} notebook(s) clean")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
