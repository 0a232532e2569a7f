"""The README's quick tour runs as written."""

import pathlib
import re

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


def test_quick_tour_runs(capsys):
    text = README.read_text()
    tour = text.split("## A quick tour", 1)[1]
    code = re.search(r"```python\n(.*?)```", tour, re.S).group(1)
    exec(compile(code, "README quick tour", "exec"), {})
    out = capsys.readouterr().out
    assert "does not support item assignment" in out
    assert "float32" in out and "int32" in out
