"""The stub file fastmlp/_core.pyi lists exactly what the compiled module has."""

from __future__ import annotations

import ast
from pathlib import Path

import fastmlp
from fastmlp import _core

STUB = Path(fastmlp.__file__).with_name("_core.pyi")


def stub_names(tree):
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return names


def test_stub_lists_exactly_the_public_names_of_core():
    public = {name for name in dir(_core) if not name.startswith("_")}
    # Names with a leading underscore are the stub's own base classes (shared methods).
    stubbed = {name for name in stub_names(ast.parse(STUB.read_text())) if not name.startswith("_")}
    assert stubbed == public


def test_stub_lists_every_activation_member():
    (activation,) = (
        node
        for node in ast.parse(STUB.read_text()).body
        if isinstance(node, ast.ClassDef) and node.name == "Activation"
    )
    members = {
        node.target.id
        for node in activation.body
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
    }
    assert members - {"__members__"} == set(_core.Activation.__members__)
