"""The README's example runs as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


@pytest.mark.skipif(not README.is_file(), reason="needs the source tree")
def test_readme_example_runs(tmp_path, monkeypatch, capsys):
    (example,) = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)[:1]
    monkeypatch.chdir(tmp_path)
    exec(compile(example, str(README), "exec"), {})
    assert (tmp_path / "net.safetensors").is_file()
    assert "'isa'" in capsys.readouterr().out
