#include "bindings/pybind11.hpp"
#include "kernels/dispatch.hpp"

PYBIND11_MODULE(_core, m) {
  m.doc() = "fastmlp's compiled core. Private: use the fastmlp package.";
  // A bad FASTMLP_ISA becomes an ImportError carrying the reason, never a SIGILL later.
  try {
    fastmlp::select_kernels_from_environment();
  } catch (const std::invalid_argument& e) {
    throw py::import_error(e.what());
  }
  fastmlp::register_info(m);
  fastmlp::register_ops(m);
  fastmlp::register_network(m);
}
