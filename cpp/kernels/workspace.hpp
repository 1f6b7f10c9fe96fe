// Scratch memory for the kernels (packed GEMM panels, partial sums), reused across calls.
#pragma once

#include <cstddef>

namespace fastmlp {

// Which of a thread's buffers: a kernel that calls another uses a different one.
enum class Workspace : int {
  gemm_panels,   // the GEMM's packed slivers of A and B
  partial_sums,  // weight_gradient's per-chunk sums, live while its GEMMs run
  count,
};

// A 64-byte aligned buffer of at least `bytes` that belongs to the calling thread. It grows
// on demand and is reused by the next call from the same thread, so a training loop does
// not allocate (a fresh mmap per call would also page-fault on every touch). The pointer
// stays valid until the next call for the same buffer from this thread. Throws
// std::bad_alloc.
void* thread_workspace(std::size_t bytes, Workspace which);

}  // namespace fastmlp
