#include "kernels/dispatch.hpp"

#include <cstdlib>
#include <stdexcept>

#if __has_include(<unistd.h>)
#include <unistd.h>  // sysconf
#endif

namespace fastmlp {
namespace {

const KernelTable* selected = nullptr;

bool cpu_runs(Isa isa) {
  switch (isa) {
    case Isa::generic: return true;
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    // libgcc's checks include the OS's consent (XCR0) to save the wider registers.
    case Isa::avx2: return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case Isa::avx512: return cpu_runs(Isa::avx2) && __builtin_cpu_supports("avx512f");
#endif
    default: return false;
  }
}

bool built_with(Isa isa) {
  switch (isa) {
    case Isa::generic: return true;
#ifdef FASTMLP_HAVE_AVX2
    case Isa::avx2: return true;
#endif
#ifdef FASTMLP_HAVE_AVX512
    case Isa::avx512: return true;
#endif
    default: return false;
  }
}

const KernelTable& table_for(Isa isa) {
  switch (isa) {
#ifdef FASTMLP_HAVE_AVX2
    case Isa::avx2: return avx2::kernel_table();
#endif
#ifdef FASTMLP_HAVE_AVX512
    case Isa::avx512: return avx512::kernel_table();
#endif
    default: return generic::kernel_table();
  }
}

}  // namespace

std::vector<Isa> supported_isas() {
  std::vector<Isa> isas;
  for (Isa isa : {Isa::generic, Isa::avx2, Isa::avx512}) {
    if (built_with(isa) && cpu_runs(isa)) isas.push_back(isa);
  }
  return isas;
}

void select_kernels_from_environment() {
  const std::vector<Isa> isas = supported_isas();
  Isa choice = isas.back();
  const char* requested = std::getenv("FASTMLP_ISA");
  if (requested != nullptr && *requested != '\0') {
    const std::string name(requested);
    bool known = false;
    for (Isa isa : {Isa::generic, Isa::avx2, Isa::avx512}) {
      if (name == isa_name(isa)) {
        known = true;
        choice = isa;
      }
    }
    if (!known) {
      throw std::invalid_argument("FASTMLP_ISA='" + name +
                                  "' is not one of: generic, avx2, avx512");
    }
    if (!built_with(choice) || !cpu_runs(choice)) {
      std::string have;
      for (Isa isa : isas) have += std::string(have.empty() ? "" : ", ") + isa_name(isa);
      throw std::invalid_argument("FASTMLP_ISA='" + name + "' is not available: this " +
                                  (built_with(choice) ? "CPU" : "build") +
                                  " lacks it (available: " + have + ")");
    }
  }
  selected = &table_for(choice);
}

const KernelTable& kernels() { return *selected; }

std::size_t l2_cache_bytes() {
#ifdef _SC_LEVEL2_CACHE_SIZE  // glibc: from cpuid
  const long bytes = sysconf(_SC_LEVEL2_CACHE_SIZE);
  return bytes > 0 ? std::size_t(bytes) : 0;
#else
  return 0;
#endif
}

}  // namespace fastmlp
