"""A warm kernel runs several notebooks in one process, each starting from a clean namespace."""

from __future__ import annotations

import nbformat
import pytest

from analysis.report.render import RenderError, WarmKernel, execute_notebook


def _notebook(path, *sources):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "language": "python", "display_name": "Python 3"}
    nb.metadata["language_info"] = {"name": "python"}
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    nb.cells[0].metadata["tags"] = ["parameters"]
    nbformat.write(nb, path)
    return path


def _stdout(nb) -> str:
    return "".join(
        o.get("text", "") for c in nb.cells for o in c.get("outputs", []) if o.output_type == "stream"
    )


def test_kernel_is_reused_and_namespace_cleared(tmp_path):
    first = _notebook(tmp_path / "a.ipynb", "x = 1", "import os\nleak = 42\nprint(os.getpid())")
    second = _notebook(tmp_path / "b.ipynb", "x = 2", "import os\nprint(os.getpid())", "print(leak)")
    kernel = WarmKernel(tmp_path)
    try:
        a = execute_notebook(first, tmp_path / "out_a.ipynb", {"x": 3}, kernel=kernel)
        with pytest.raises(RenderError, match="NameError"):
            execute_notebook(second, tmp_path / "out_b.ipynb", {"x": 4}, kernel=kernel)
        failed = nbformat.read(tmp_path / "out_b.failed.ipynb", as_version=4)
        assert _stdout(a).split()[0] == _stdout(failed).split()[0]  # the same kernel process
    finally:
        kernel.shutdown()


def test_dead_kernel_is_started_again(tmp_path):
    nb = _notebook(tmp_path / "a.ipynb", "x = 1", "print(x)")
    kernel = WarmKernel(tmp_path)
    try:
        execute_notebook(nb, tmp_path / "one.ipynb", {"x": 5}, kernel=kernel)
        kernel.manager().shutdown_kernel(now=True)
        out = execute_notebook(nb, tmp_path / "two.ipynb", {"x": 6}, kernel=kernel)
        assert _stdout(out).strip() == "6"
    finally:
        kernel.shutdown()
