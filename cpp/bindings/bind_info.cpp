// fastmlp.info() and the thread count.
#include "bindings/pybind11.hpp"

#ifdef _OPENMP
#include <dlfcn.h>
#include <omp.h>
#endif

#include "kernels/dispatch.hpp"
#include "kernels/threads.hpp"

namespace fastmlp {
namespace {

// The file the OpenMP runtime was loaded from (e.g. .../libgomp.so.1), as threadpoolctl
// would find it; "" without OpenMP.
std::string openmp_library() {
#ifdef _OPENMP
  Dl_info where{};
  if (dladdr(reinterpret_cast<void*>(&omp_get_max_threads), &where) != 0 &&
      where.dli_fname != nullptr) {
    return where.dli_fname;
  }
#endif
  return "";
}

py::dict build_info() {
  py::dict info;
  info["isa"] = isa_name(kernels().isa);
  py::list supported;
  for (Isa isa : supported_isas()) supported.append(isa_name(isa));
  info["supported_isas"] = supported;
  info["compiler"] = FASTMLP_COMPILER;
  info["build_type"] = FASTMLP_BUILD_TYPE;
  info["compiler_flags"] = FASTMLP_CXX_FLAGS;
  info["openmp"] = openmp_enabled();
  info["openmp_version"] = openmp_version();
  info["openmp_library"] = openmp_library();
  info["num_threads"] = max_threads();
  info["l2_cache_bytes"] = l2_cache_bytes();  // sizes the GEMM's panels of B (simd_avx512.hpp)
  return info;
}

}  // namespace

void register_info(py::module_& m) {
  m.def("build_info", &build_info,
        "Build and runtime facts: ISA in use and supported, compiler, OpenMP, threads, L2.");
  m.def("get_num_threads", &max_threads, "The most threads one kernel call may use.");
  m.def(
      "set_num_threads",
      [](int n) {
        if (n < 1) throw py::value_error("num_threads must be >= 1, got " + std::to_string(n));
        set_max_threads(n);
      },
      py::arg("n"), "Sets the most threads one kernel call may use.");
}

}  // namespace fastmlp
