"""``as_real_array`` and ``as_int_array`` share one dtype prelude; their messages are unchanged.

The expected messages are literals copied from the two functions before their common
prelude was folded into one helper (main at commit 640b998): each refusal branch
(ragged, object, boolean, complex, other dtype) of each function is pinned, so a
helper that mixes up the two wordings fails here.  ``mdmtheory.schedule`` rewrites
``"must contain integers"`` in these messages, so the exact words matter.
"""

from __future__ import annotations

import numpy as np
import pytest

from mdmtheory._validation import as_int_array, as_real_array

OBJ_STR = np.array([1, "a"], dtype=object)  # "a" is no number (None would become NaN)
DATES = np.array(["2020-01-01"], dtype="datetime64[D]")

REAL_CASES = [
    ([[1, 2], [3]], "x must be a rectangular numeric array ("),
    (OBJ_STR, "x must be real-valued, got an object array"),
    ([1 + 2j], "x must be real-valued, got complex input"),
    (np.array([1.0], dtype=complex), "x must be real-valued, got complex input"),
    ([True, False], "x must be real-valued numbers, got booleans"),
    (["a", "b"], "x must be real-valued, got dtype <U1"),
    (DATES, "x must be real-valued, got dtype datetime64[D]"),
    ([np.nan], "x contains NaN"),
    ([np.inf, 1.0], "x contains infinite values"),
]
INT_CASES = [
    ([[1, 2], [3]], "x must be a rectangular integer array ("),
    (OBJ_STR, "x must contain integers, got an object array"),
    ([1 + 2j], "x must contain integers, got dtype complex128"),
    ([True, False], "x must contain integers, got booleans"),
    (["a", "b"], "x must contain integers, got dtype <U1"),
    (DATES, "x must contain integers, got dtype datetime64[D]"),
    ([1.5], "x must contain integers, got 1.5"),
    ([2.0**54], "x must contain integers, got a value beyond 2^53"),
    (np.array([2**63 + 5], dtype=np.uint64), "x contains integers beyond the int64 range"),
]


@pytest.mark.parametrize("value, message", REAL_CASES)
def test_as_real_array_messages(value, message):
    with pytest.raises(ValueError) as info:
        as_real_array(value, "x")
    text = str(info.value)
    assert text.startswith(message) if message.endswith("(") else text == message


@pytest.mark.parametrize("value, message", INT_CASES)
def test_as_int_array_messages(value, message):
    with pytest.raises(ValueError) as info:
        as_int_array(value, "x")
    text = str(info.value)
    assert text.startswith(message) if message.endswith("(") else text == message


def test_object_arrays_of_numbers_are_accepted():
    """The prelude converts an all-number object array to float64 for both functions."""
    obj = np.array([1, 2.0, np.int8(3)], dtype=object)
    real = as_real_array(obj, "x")
    assert real.dtype == np.float64 and real.tolist() == [1.0, 2.0, 3.0]
    ints = as_int_array(obj, "x")
    assert ints.dtype == np.int64 and ints.tolist() == [1, 2, 3]


@pytest.mark.parametrize("dtype", [np.int8, np.uint16, np.int64, np.float32, np.float64])
def test_numeric_dtypes_pass_through(dtype):
    a = np.array([[0, 1], [2, 3]], dtype=dtype)
    assert as_real_array(a, "x").tolist() == [[0.0, 1.0], [2.0, 3.0]]
    assert as_int_array(a, "x").tolist() == [[0, 1], [2, 3]]


@pytest.mark.parametrize("dtype", [np.float16, np.float32])
def test_int_array_accepts_narrow_float_integers_without_warning(dtype):
    # float16 / float32 integers were compared with 2^53 in their own dtype (an overflow
    # warning, an error under the project's warning filter); they are widened first
    import warnings

    from mdmtheory._validation import as_int_array

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = as_int_array(np.array([0, 3, 7], dtype=dtype), "x")
        assert out.tolist() == [0, 3, 7] and out.dtype == np.int64
        with pytest.raises(ValueError, match="must contain integers"):
            as_int_array(np.array([0.5], dtype=dtype), "x")
