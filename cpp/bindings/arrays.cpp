#include "bindings/arrays.hpp"

#include <cmath>
#include <cstdint>

namespace fastmlp {
namespace {

std::string shape_string(const std::vector<py::ssize_t>& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + (shape.size() == 1 ? ",)" : ")");
}

}  // namespace

bool overlaps(const py::array& a, const py::array& b) {
  const auto start_a = reinterpret_cast<std::uintptr_t>(a.data());
  const auto start_b = reinterpret_cast<std::uintptr_t>(b.data());
  return a.nbytes() > 0 && b.nbytes() > 0 && start_a < start_b + b.nbytes() &&
         start_b < start_a + a.nbytes();
}

bool is_native_float_array(py::handle h, int wanted_type_num) {
  constexpr int required_flags = py::array::c_style | py::detail::npy_api::NPY_ARRAY_ALIGNED_;
  if (!py::isinstance<py::array>(h)) return false;
  const auto a = py::reinterpret_borrow<py::array>(h);
  return type_num(a) == wanted_type_num && (a.flags() & required_flags) == required_flags;
}

std::vector<py::array> as_float_arrays(
    const char* func, const std::vector<std::pair<const char*, py::handle>>& inputs) {
  std::vector<py::array> arrays;
  const py::handle first = inputs.front().second;
  const int num =
      py::isinstance<py::array>(first) ? type_num(py::reinterpret_borrow<py::array>(first)) : -1;
  bool ready = num == numpy_type_num<float>() || num == numpy_type_num<double>();
  for (const auto& input : inputs) ready = ready && is_native_float_array(input.second, num);
  if (ready) {
    for (const auto& input : inputs)
      arrays.push_back(py::reinterpret_borrow<py::array>(input.second));
    return arrays;
  }
  py::tuple names(inputs.size()), values(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    names[i] = py::str(inputs[i].first);
    values[i] = inputs[i].second;
  }
  static const auto convert =
      py::module_::import("fastmlp._arrays").attr("as_float_arrays").cast<py::object>().release();
  for (py::handle converted : convert(func, names, values)) {
    arrays.push_back(py::reinterpret_borrow<py::array>(converted));
  }
  return arrays;
}

double finite_scalar(const char* func, const char* name, double value) {
  if (!std::isfinite(value)) {
    throw py::value_error(std::string(func) + ": " + name + " must be finite, got " +
                          std::string(py::str(py::float_(value))));
  }
  return value;
}

std::string shape_string(const py::array& a) {
  return shape_string(std::vector<py::ssize_t>(a.shape(), a.shape() + a.ndim()));
}

template <class T>
py::array_t<T> output_array(const std::string& func, const py::object& out,
                            const std::vector<py::ssize_t>& shape,
                            const std::vector<const py::array*>& inputs, const std::string& name) {
  if (out.is_none()) return py::array_t<T>(shape);
  const std::string what = func + ": " + name;
  if (!py::isinstance<py::array>(out)) {
    throw py::type_error(what + " must be a numpy.ndarray, got " +
                         std::string(py::str(py::type::of(out).attr("__name__"))));
  }
  const auto array = py::reinterpret_borrow<py::array>(out);
  check_array<T>(what.c_str(), array, -1);
  if (std::vector<py::ssize_t>(array.shape(), array.shape() + array.ndim()) != shape) {
    throw py::value_error(what + " must have shape " + shape_string(shape) + ", got " +
                          shape_string(array));
  }
  if (!array.writeable()) throw py::value_error(what + " is read-only");
  for (const py::array* input : inputs) {
    if (overlaps(array, *input)) {
      throw py::value_error(what + " shares memory with an input; pass a separate array");
    }
  }
  return py::reinterpret_borrow<py::array_t<T>>(out);
}

template py::array_t<float> output_array<float>(const std::string&, const py::object&,
                                                const std::vector<py::ssize_t>&,
                                                const std::vector<const py::array*>&,
                                                const std::string&);
template py::array_t<double> output_array<double>(const std::string&, const py::object&,
                                                  const std::vector<py::ssize_t>&,
                                                  const std::vector<const py::array*>&,
                                                  const std::string&);

}  // namespace fastmlp
