"""save and load as files meet the world: save is atomic, and load refuses truncated,
corrupted, wrong-version and hostile files with a ValueError, running no code from them
and allocating no more than the file holds."""

from __future__ import annotations

import json
import os
import struct

import numpy as np
import pytest

import fastmlp as fm


@pytest.fixture
def saved(tmp_path):
    net = fm.MLP(3, [4], 2, seed=0)
    path = tmp_path / "net.safetensors"
    fm.save(net, path)
    return net, path


def test_a_failed_save_leaves_the_old_file_and_no_temporary(saved, monkeypatch):
    net, path = saved
    old = path.read_bytes()

    def crash_mid_write(tensors, filename, metadata):
        with open(filename, "wb") as f:
            f.write(b"\x00" * 10)  # a partial file
        raise OSError("disk full")

    monkeypatch.setattr("safetensors.numpy.save_file", crash_mid_write)
    with pytest.raises(OSError, match="disk full"):
        fm.save(fm.MLP(3, [4], 2, seed=1), path)
    assert path.read_bytes() == old
    assert np.array_equal(fm.load(path).parameters, net.parameters)
    assert os.listdir(path.parent) == [path.name]


def test_a_saved_file_has_the_permissions_of_any_new_file(saved):
    _, path = saved
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


def header(path):
    """(header dict, data bytes) of a safetensors file."""
    raw = path.read_bytes()
    (length,) = struct.unpack("<Q", raw[:8])
    return json.loads(raw[8 : 8 + length]), raw[8 + length :]


def write(path, head, data):
    text = json.dumps(head).encode()
    path.write_bytes(struct.pack("<Q", len(text)) + text + data)


def with_meta(path, change):
    head, data = header(path)
    meta = json.loads(head["__metadata__"]["fastmlp"])
    change(meta)
    head["__metadata__"]["fastmlp"] = json.dumps(meta)
    write(path, head, data)


def dense0(meta):
    return meta["layers"][0]


HOSTILE = {
    "empty": lambda p: p.write_bytes(b""),
    "header length only": lambda p: p.write_bytes(p.read_bytes()[:8]),
    "truncated header": lambda p: p.write_bytes(p.read_bytes()[:40]),
    "truncated data": lambda p: p.write_bytes(p.read_bytes()[:-5]),
    "header length beyond the file": lambda p: p.write_bytes(
        struct.pack("<Q", 2**62) + p.read_bytes()[8:]
    ),
    "not json": lambda p: p.write_bytes(struct.pack("<Q", 8) + b"{not js}"),
    "tensor beyond the data": lambda p: write(
        p,
        {
            k: (v if k == "__metadata__" else {**v, "data_offsets": [0, 2**40]})
            for k, v in header(p)[0].items()
        },
        header(p)[1],
    ),
    "no metadata": lambda p: write(
        p, {k: v for k, v in header(p)[0].items() if k != "__metadata__"}, header(p)[1]
    ),
    "metadata not json": lambda p: write(
        p, {**header(p)[0], "__metadata__": {"fastmlp": "{oops"}}, header(p)[1]
    ),
    "metadata a list": lambda p: write(
        p, {**header(p)[0], "__metadata__": {"fastmlp": "[1, 2]"}}, header(p)[1]
    ),
    "wrong version": lambda p: with_meta(p, lambda m: m.update(format="fastmlp.sequential/99")),
    "layers not a list": lambda p: with_meta(p, lambda m: m.update(layers="Dense")),
    "unknown layer": lambda p: with_meta(p, lambda m: m["layers"].append({"type": "Conv2d"})),
    "code as a layer": lambda p: with_meta(
        p, lambda m: m["layers"].append({"type": "os.system", "command": "touch pwned"})
    ),
    "shape disagrees": lambda p: with_meta(p, lambda m: dense0(m).update(in_features=5)),
    "huge declared size": lambda p: with_meta(
        p, lambda m: dense0(m).update(in_features=10**6, out_features=10**6)
    ),
    "size overflows": lambda p: with_meta(
        p, lambda m: dense0(m).update(in_features=2**33 - 1, out_features=2**31)
    ),
    "negative size": lambda p: with_meta(p, lambda m: dense0(m).update(in_features=-3)),
    "size a string": lambda p: with_meta(p, lambda m: dense0(m).update(in_features="3")),
    "dtype float16": lambda p: with_meta(p, lambda m: m.update(dtype="float16")),
    "loss unknown": lambda p: with_meta(p, lambda m: m.update(loss={"__class__": "x"})),
    "epochs negative": lambda p: with_meta(p, lambda m: m.update(epochs_trained=-1)),
    "NaN weights": lambda p: write(
        p, header(p)[0], np.full(len(header(p)[1]) // 4, np.nan, np.float32).tobytes()
    ),
}


@pytest.mark.parametrize("corrupt", list(HOSTILE.values()), ids=list(HOSTILE))
def test_load_refuses_a_bad_file_with_a_value_error(saved, corrupt, monkeypatch):
    _, path = saved
    corrupt(path)
    monkeypatch.chdir(path.parent)
    with pytest.raises(ValueError) as refused:
        fm.load(path)
    assert len(str(refused.value)) > 20  # says what is wrong
    assert not (path.parent / "pwned").exists()
