"""Turning what users pass into the arrays the compiled core accepts, with clear errors."""

from __future__ import annotations

from typing import Any

import numpy as np

from fastmlp import _core

_FLOAT32, _FLOAT64 = np.dtype(np.float32), np.dtype(np.float64)
_NATIVE = (_FLOAT32, _FLOAT64)


def as_float_arrays(func: str, names: tuple[str, ...], values: tuple[Any, ...]) -> list[Any]:
    """C-contiguous float32/float64 arrays of one dtype, promoted as numpy would.

    Arrays already in that form (and aligned) pass through untouched, the common, fast case;
    unaligned views are copied. Integers
    and bools promote like numpy's arithmetic with float32 (int64 → float64, int8 → float32),
    float16 computes in float32, long double in float64. Complex, object, string and
    structured data raise TypeError naming the argument.
    """
    dtype = getattr(values[0], "dtype", None)
    if dtype is _FLOAT32 or dtype is _FLOAT64:  # identity: numpy's cached native descriptors
        for value in values:
            if type(value) is not np.ndarray or value.dtype is not dtype:
                break
            flags = value.flags
            if not (flags.c_contiguous and flags.aligned):
                break
        else:
            return list(values)
    arrays = []
    for name, value in zip(names, values):
        try:
            array = np.asarray(value)
        except (ValueError, TypeError) as error:
            raise TypeError(f"{func}: {name} is not array-like: {error}") from None
        if array.dtype.kind not in "biuf":
            raise TypeError(
                f"{func}: {name} must hold real numbers (bool, int or float), "
                f"got dtype {array.dtype}"
            )
        arrays.append(array)
    dtype = np.result_type(*arrays, np.float32)
    if dtype not in _NATIVE:
        dtype = np.dtype(np.float64)  # long double: the widest type the kernels have
    return [np.require(a, dtype, ["C", "A"]) for a in arrays]  # keeps 0-D as 0-D


def check_ndim(func: str, name: str, array: np.ndarray, ndims: tuple[int, ...]) -> None:
    if array.ndim not in ndims:
        wanted = " or ".join(f"{n}-D" for n in ndims)
        raise ValueError(f"{func}: {name} must be {wanted}, got shape {array.shape}")


def as_labels(func: str, labels: Any, n_samples: int) -> np.ndarray:
    """Class indices as a contiguous int64 vector of length n_samples."""
    array = np.asarray(labels)
    if array.size == 0 and not isinstance(labels, np.ndarray):
        array = array.astype(np.int64)  # np.asarray([]) is float64: no labels, no type to check
    if array.dtype.kind not in "iu":
        raise TypeError(f"{func}: labels must be integers (class indices), got dtype {array.dtype}")
    if array.ndim != 1 or array.shape[0] != n_samples:
        raise ValueError(
            f"{func}: labels must have shape ({n_samples},) to match the logits, got {array.shape}"
        )
    if array.dtype.kind == "u" and array.size and array.max() > np.iinfo(np.int64).max:
        raise ValueError(f"{func}: label {array.max()} is not a class index (too large)")
    return np.ascontiguousarray(array, dtype=np.int64)


def as_count(name: str, value: Any, minimum: int) -> int:
    """``value`` as an int >= ``minimum``: a Python or numpy integer, not a bool or a float."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")
    return int(value)


def as_finite(name: str, array: np.ndarray, dtype: np.dtype[Any]) -> np.ndarray:
    """``array`` (real numbers) as a C-contiguous, aligned array of ``dtype``. ValueError
    naming ``name`` when a value is NaN or infinite, or becomes infinite in ``dtype``."""
    flags = array.flags
    if array.dtype == dtype and flags.c_contiguous and flags.aligned:
        converted = array  # nothing to convert (and numpy's errstate costs more than the check)
    else:
        with np.errstate(over="ignore"):  # reported below, with the name
            converted = np.require(array, dtype, ["C", "A"])
    if not _core.all_finite(converted):
        if np.all(np.isfinite(array)):
            raise ValueError(f"{name} has values too large for {dtype} (it must be finite)")
        raise ValueError(f"{name} contains NaN or infinity (it must be finite)")
    return converted
