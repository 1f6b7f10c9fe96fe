#include "bindings/arrays.hpp"

#include <cstdint>

namespace fastmlp {
namespace {

std::string shape_string(const std::vector<py::ssize_t>& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + (shape.size() == 1 ? ",)" : ")");
}

// Byte ranges overlap: a conservative test (like np.may_share_memory) on C-contiguous arrays.
bool overlaps(const py::array& a, const py::array& b) {
  const auto start_a = reinterpret_cast<std::uintptr_t>(a.data());
  const auto start_b = reinterpret_cast<std::uintptr_t>(b.data());
  return a.nbytes() > 0 && b.nbytes() > 0 && start_a < start_b + b.nbytes() &&
         start_b < start_a + a.nbytes();
}

}  // namespace

std::string shape_string(const py::array& a) {
  return shape_string(std::vector<py::ssize_t>(a.shape(), a.shape() + a.ndim()));
}

template <class T>
py::array_t<T> output_array(const std::string& func, const py::object& out,
                            const std::vector<py::ssize_t>& shape,
                            const std::vector<const py::array*>& inputs) {
  if (out.is_none()) return py::array_t<T>(shape);
  if (!py::isinstance<py::array>(out)) {
    throw py::type_error(func + ": out must be a numpy.ndarray, got " +
                         std::string(py::str(py::type::of(out).attr("__name__"))));
  }
  const auto array = py::reinterpret_borrow<py::array>(out);
  check_array<T>(func + ": out", array, -1);
  if (std::vector<py::ssize_t>(array.shape(), array.shape() + array.ndim()) != shape) {
    throw py::value_error(func + ": out must have shape " + shape_string(shape) + ", got " +
                          shape_string(array));
  }
  if (!array.writeable()) throw py::value_error(func + ": out is read-only");
  for (const py::array* input : inputs) {
    if (overlaps(array, *input)) {
      throw py::value_error(func + ": out shares memory with an input; pass a separate array");
    }
  }
  return py::reinterpret_borrow<py::array_t<T>>(out);
}

template py::array_t<float> output_array<float>(const std::string&, const py::object&,
                                                const std::vector<py::ssize_t>&,
                                                const std::vector<const py::array*>&);
template py::array_t<double> output_array<double>(const std::string&, const py::object&,
                                                  const std::vector<py::ssize_t>&,
                                                  const std::vector<const py::array*>&);

}  // namespace fastmlp
