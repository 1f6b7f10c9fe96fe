"""Hypothesis strategies for the fuzz tests: arrays of every numpy dtype kind, in every
memory layout numpy can make, holding the values that break numerical code.

A drawn `Hostile` keeps the array as drawn and a `clean` twin: the same values as a fresh,
C-contiguous, aligned array of the dtype fastmlp computes in. A function given the hostile
array must return what it returns for the clean one, or raise a clear exception.

The profile "fastmlp" (the default) keeps the examples few enough for CI; run
`HYPOTHESIS_PROFILE=thorough pytest tests/test_fuzz_*.py` for a deeper search.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

settings.register_profile(
    "fastmlp",
    deadline=None,
    max_examples=60,
    database=None,  # a clean clone writes no .hypothesis/ folder
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile("thorough", settings.get_profile("fastmlp"), max_examples=2000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "fastmlp"))

# The exceptions a bad argument may raise: anything else (SystemError, IndexError, a crash)
# is a bug.
CLEAR_ERRORS = (TypeError, ValueError, MemoryError)

REAL_DTYPES = [
    "bool",
    "int8",
    "uint8",
    "int16",
    "int32",
    "int64",
    "uint64",
    "float16",
    "float32",
    "float64",
    "longdouble",
    ">f4",  # big-endian
    ">f8",
]
OTHER_DTYPES = ["complex64", "complex128", "object", "U3", "S3", "datetime64[s]", "V8"]
SPECIAL_VALUES = [
    np.nan,
    np.inf,
    -np.inf,
    0.0,
    -0.0,
    5e-324,  # the smallest float64 denormal
    1e-45,  # a float32 denormal
    3.4e38,  # near float32's largest
    1e300,  # beyond float32
    -1e300,
]
LAYOUTS = ["C", "F", "reversed", "strided", "broadcast", "read-only", "unaligned"]


@dataclass
class Hostile:
    array: Any  # what the function under test is given
    clean: np.ndarray  # the same values, C-contiguous, aligned, native float32/float64
    real: bool  # bool, int or float: fastmlp accepts it
    finite: bool  # every value finite in the clean dtype
    layout: str

    def __repr__(self) -> str:
        dtype = getattr(self.array, "dtype", type(self.array).__name__)
        return f"Hostile({dtype}, {self.layout}, shape={np.shape(self.array)})"


def computed_dtype(*dtypes: np.dtype[Any]) -> np.dtype[Any]:
    """The dtype fastmlp computes in for real inputs of these dtypes (numpy's promotion
    with float32; long double computes in float64)."""
    dtype = np.result_type(*[d.newbyteorder("=") for d in dtypes], np.float32)
    return dtype if dtype in (np.float32, np.float64) else np.dtype(np.float64)


def _values(draw: st.DrawFn, shape: tuple[int, ...], special: bool) -> np.ndarray:
    count = int(np.prod(shape))
    pool = st.floats(-4, 4, width=32)
    if special:
        pool = st.one_of(pool, st.sampled_from(SPECIAL_VALUES))
    return np.array(draw(st.lists(pool, min_size=count, max_size=count)), np.float64).reshape(shape)


def _as_dtype(values: np.ndarray, dtype: np.dtype[Any]) -> np.ndarray:
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")  # NaN to int, overflow to float16: intended
        if dtype.kind in "biu":
            return np.nan_to_num(values, posinf=7, neginf=-7).clip(-100, 100).astype(dtype)
        if dtype.kind in "fc":
            return values.astype(dtype)
        if dtype.kind == "O":
            return values.astype(object)
        if dtype.kind in "US":
            return values.astype(str).astype(dtype)
        if dtype.kind == "M":
            return np.nan_to_num(values).astype(np.int64).astype(dtype)
        return np.zeros(values.shape, dtype)  # void


def _with_layout(a: np.ndarray, layout: str) -> np.ndarray:
    if a.ndim == 0:  # a 0-D array has one layout; read-only still applies
        layout = "read-only" if layout == "read-only" else "C"
    if layout == "F":
        return np.asfortranarray(a)
    if layout == "reversed":  # negative strides on every axis
        flipped = np.flip(a).copy()
        return np.flip(flipped)
    if layout == "strided":  # a view into a larger array
        big = np.zeros(tuple(2 * n for n in a.shape), a.dtype)
        view = big[tuple(slice(None, None, 2) for _ in a.shape)]
        view[...] = a
        return view
    if layout == "broadcast" and a.ndim >= 1 and a.shape[0] > 0:  # zero stride on axis 0
        return np.broadcast_to(a[:1], a.shape)
    if layout == "read-only":
        a = np.array(a)  # a copy, and an array even for a numpy scalar
        a.flags.writeable = False
        return a
    if layout == "unaligned" and a.dtype.itemsize > 1 and a.dtype.kind != "O":
        raw = np.zeros(a.nbytes + 1, np.uint8)[1:]
        view = raw.view(a.dtype).reshape(a.shape)
        view[...] = a
        return view
    return np.ascontiguousarray(a)


@st.composite
def hostile_arrays(
    draw: st.DrawFn,
    shape: tuple[int, ...],
    dtypes: list[str] | None = None,
    special: bool = True,
) -> Hostile:
    """An array of `shape`: any dtype of `dtypes` (all kinds by default), any layout, and
    with `special` values (NaN, ±inf, denormals, huge) among ordinary ones."""
    dtype = np.dtype(draw(st.sampled_from(dtypes or REAL_DTYPES + OTHER_DTYPES)))
    values = _values(draw, shape, special)
    typed = _as_dtype(values, dtype)
    layout = draw(st.sampled_from(LAYOUTS))
    array = _with_layout(typed, layout)
    real = dtype.kind in "biuf"
    clean = np.zeros(shape, np.float64)
    finite = False
    if real:
        with np.errstate(over="ignore"):
            clean = np.array(array, computed_dtype(dtype), order="C")
        finite = bool(np.all(np.isfinite(clean)))
    return Hostile(array, clean, real, finite, layout)


def shapes(ndim: int, max_side: int = 5) -> st.SearchStrategy[tuple[int, ...]]:
    """Shapes of `ndim` dimensions, 0 and 1 included."""
    return st.tuples(*[st.integers(0, max_side)] * ndim)


def same_result(got: Any, want: Any) -> bool:
    """Equal values and dtypes, NaN where NaN (tuples compared item by item)."""
    if isinstance(want, tuple):
        return len(got) == len(want) and all(map(same_result, got, want))
    got, want = np.asarray(got), np.asarray(want)
    nan_possible = want.dtype.kind in "fc"  # equal_nan would fail on labels that are strings
    return got.dtype == want.dtype and np.array_equal(got, want, equal_nan=nan_possible)
