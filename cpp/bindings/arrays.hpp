// Checks at the Python boundary. The Python layer (fastmlp/_arrays.py) has already converted
// inputs to C-contiguous float32/float64 arrays; these checks make the compiled functions
// safe on their own too: anything else is a TypeError/ValueError, never a crash.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "bindings/pybind11.hpp"

namespace fastmlp {

// Releases the GIL for the scope when the work is worth the ~0.1 µs it costs: the kernels
// touch only raw buffers, kept alive by the argument objects for the whole call.
class GilReleaseFor {
 public:
  explicit GilReleaseFor(double work) {
    if (work >= 1 << 14) release_.emplace();
  }

 private:
  std::optional<py::gil_scoped_release> release_;
};

// "(4000, 40)"
std::string shape_string(const py::array& a);

// The numpy type number of T (NPY_FLOAT or NPY_DOUBLE).
template <class T>
constexpr int numpy_type_num() {
  return sizeof(T) == 4 ? py::detail::npy_api::NPY_FLOAT_ : py::detail::npy_api::NPY_DOUBLE_;
}

// The numpy type number of a's elements, or -1 when they are not in native byte order.
inline int type_num(const py::array& a) {
  const auto* descr = py::detail::array_descriptor_proxy(py::detail::array_proxy(a.ptr())->descr);
  constexpr char swapped = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? '>' : '<';
  return descr->byteorder == swapped ? -1 : descr->type_num;
}

// Calls f(T{}) with T the array's element type, float or double; TypeError otherwise.
template <class F>
decltype(auto) with_float_dtype(const std::string& what, const py::array& a, F&& f) {
  const int num = type_num(a);
  if (num == numpy_type_num<float>()) return f(float{});
  if (num == numpy_type_num<double>()) return f(double{});
  throw py::type_error(what + " must be float32 or float64, got " +
                       std::string(py::str(a.dtype())));
}

// Whether `a` has dtype T (in native byte order), is C-contiguous and aligned, and has
// `ndim` dimensions (-1: any): what the kernels can read as it is.
template <class T>
bool is_ready(const py::array& a, int ndim) {
  constexpr int required_flags = py::array::c_style | py::detail::npy_api::NPY_ARRAY_ALIGNED_;
  return type_num(a) == numpy_type_num<T>() && (ndim < 0 || a.ndim() == ndim) &&
         (a.flags() & required_flags) == required_flags;
}

// Throws unless is_ready<T>(a, ndim), saying what is wrong.
template <class T>
void check_array(const char* what, const py::array& a, int ndim) {
  if (is_ready<T>(a, ndim)) return;  // the common case, checked without building any string
  if (type_num(a) != numpy_type_num<T>()) {
    throw py::type_error(std::string(what) + " must have dtype " +
                         std::string(py::str(py::dtype::of<T>())) + " like the other inputs, got " +
                         std::string(py::str(a.dtype())));
  }
  if (ndim >= 0 && a.ndim() != ndim) {
    throw py::value_error(std::string(what) + " must have " + std::to_string(ndim) + " dimension" +
                          (ndim == 1 ? "" : "s") + ", got shape " + shape_string(a));
  }
  throw py::value_error(std::string(what) + " must be C-contiguous and aligned");
}

// The inputs as C-contiguous, aligned float32/float64 arrays of one dtype: as given when
// they already are (checked here, the fast path), otherwise converted by the Python function
// fastmlp._arrays.as_float_arrays, which promotes as numpy does and raises a TypeError
// naming the argument for what cannot be converted.
std::vector<py::array> as_float_arrays(
    const char* func, const std::vector<std::pair<const char*, py::handle>>& inputs);

// A finite float scalar argument, else ValueError.
double finite_scalar(const char* func, const char* name, double value);

// Whether the byte ranges of two C-contiguous arrays overlap: a conservative test, like
// np.may_share_memory.
bool overlaps(const py::array& a, const py::array& b);

// The array to write a result of `shape` into: a new one when `out` is None, else `out`
// after checking it is an ndarray of dtype T with that shape, C-contiguous, writeable, and
// sharing no memory with any of `inputs`; messages call it `name`.
template <class T>
py::array_t<T> output_array(const std::string& func, const py::object& out,
                            const std::vector<py::ssize_t>& shape,
                            const std::vector<const py::array*>& inputs,
                            const std::string& name = "out");

}  // namespace fastmlp
