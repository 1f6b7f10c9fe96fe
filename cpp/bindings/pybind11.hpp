// Included first by every binding file, so all of them see the same pybind11 configuration.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

namespace py = pybind11;

namespace fastmlp {

void register_info(py::module_& m);
void register_ops(py::module_& m);
void register_network(py::module_& m);

}  // namespace fastmlp
