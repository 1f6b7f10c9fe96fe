// Checks at the Python boundary. The Python layer (fastmlp/_arrays.py) has already converted
// inputs to C-contiguous float32/float64 arrays; these checks make the compiled functions
// safe on their own too: anything else is a TypeError/ValueError, never a crash.
#pragma once

#include <string>
#include <vector>

#include "bindings/pybind11.hpp"

namespace fastmlp {

// "(4000, 40)"
std::string shape_string(const py::array& a);

// Calls f(T{}) with T the array's element type, float or double; TypeError otherwise.
template <class F>
decltype(auto) with_float_dtype(const std::string& what, const py::array& a, F&& f) {
  if (py::isinstance<py::array_t<float>>(a)) return f(float{});
  if (py::isinstance<py::array_t<double>>(a)) return f(double{});
  throw py::type_error(what + " must be float32 or float64, got " +
                       std::string(py::str(a.dtype())));
}

// `a` has dtype T, is C-contiguous and aligned, and has `ndim` dimensions (-1: any).
template <class T>
void check_array(const std::string& what, const py::array& a, int ndim) {
  if (!py::isinstance<py::array_t<T>>(a)) {
    throw py::type_error(what + " must have dtype " + std::string(py::str(py::dtype::of<T>())) +
                         " like the other inputs, got " + std::string(py::str(a.dtype())));
  }
  if (ndim >= 0 && a.ndim() != ndim) {
    throw py::value_error(what + " must have " + std::to_string(ndim) + " dimension" +
                          (ndim == 1 ? "" : "s") + ", got shape " + shape_string(a));
  }
  if (!(a.flags() & py::array::c_style) || !(a.flags() & py::detail::npy_api::NPY_ARRAY_ALIGNED_)) {
    throw py::value_error(what + " must be C-contiguous and aligned");
  }
}

// The array to write a result of `shape` into: a new one when `out` is None, else `out`
// after checking it is an ndarray of dtype T with that shape, C-contiguous, writeable, and
// sharing no memory with any of `inputs`.
template <class T>
py::array_t<T> output_array(const std::string& func, const py::object& out,
                            const std::vector<py::ssize_t>& shape,
                            const std::vector<const py::array*>& inputs);

}  // namespace fastmlp
