// Scratch memory for the kernels (packed GEMM panels), reused across calls.
#pragma once

#include <cstddef>

namespace fastmlp {

// A 64-byte aligned buffer of at least `bytes` that belongs to the calling thread. It grows
// on demand and is reused by the next call from the same thread, so a training loop does
// not allocate (a fresh mmap per call would also page-fault on every touch). The pointer
// stays valid until the next call from this thread. Throws std::bad_alloc.
void* thread_workspace(std::size_t bytes);

}  // namespace fastmlp
