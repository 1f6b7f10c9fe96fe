// CPU detection and the choice of one kernel table for the whole process.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "kernels/kernel_table.hpp"

namespace fastmlp {

// ISAs this build has kernels for AND this CPU (and OS) can run, least capable first.
std::vector<Isa> supported_isas();

// Selects the table: the best supported ISA, capped by the environment variable FASTMLP_ISA
// (generic|avx2|avx512). Throws std::invalid_argument for an unknown name or an ISA the CPU
// or build lacks. Called once when the module loads.
void select_kernels_from_environment();

// The selected table. select_kernels_from_environment() must have run.
const KernelTable& kernels();

// Bytes of one core's L2 cache as the OS reports it; 0 where it does not say.
std::size_t l2_cache_bytes();

}  // namespace fastmlp
