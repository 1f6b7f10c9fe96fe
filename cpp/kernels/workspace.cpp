#include "kernels/workspace.hpp"

#include <cstdlib>
#include <memory>
#include <new>

namespace fastmlp {
namespace {

struct FreeDeleter {
  void operator()(void* p) const { std::free(p); }
};

struct Buffer {
  std::unique_ptr<void, FreeDeleter> data;
  std::size_t bytes = 0;
};

}  // namespace

void* thread_workspace(std::size_t bytes, Workspace which) {
  thread_local Buffer buffers[static_cast<int>(Workspace::count)];
  Buffer& buffer = buffers[static_cast<int>(which)];
  if (bytes > buffer.bytes) {
    constexpr std::size_t alignment = 64;  // a cache line, and an AVX-512 register
    const std::size_t rounded = (bytes + alignment - 1) / alignment * alignment;
    buffer.data.reset();  // free first: the old contents are not needed
    void* p = std::aligned_alloc(alignment, rounded);
    if (p == nullptr) throw std::bad_alloc();
    buffer.data.reset(p);
    buffer.bytes = rounded;
  }
  return buffer.data.get();
}

}  // namespace fastmlp
