// A fixed-size, zero-initialised, 64-byte aligned array: the network's flat parameter and
// gradient buffers and its workspaces. Aligned to a cache line so a SIMD row never splits
// one at the start, and never reallocated after construction, so numpy views into it stay
// valid for the owner's lifetime.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>

#include "kernels/kernel_table.hpp"

namespace fastmlp {

template <class T>
class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  // Throws std::bad_alloc (Python's MemoryError) for a size whose byte count overflows,
  // before allocating.
  explicit AlignedBuffer(index_t size) : size_(size) {
    if (size < 0 || std::size_t(size) > (PTRDIFF_MAX - 63) / sizeof(T)) throw std::bad_alloc();
    if (size == 0) return;
    const std::size_t bytes = (std::size_t(size) * sizeof(T) + 63) / 64 * 64;
    data_.reset(static_cast<T*>(std::aligned_alloc(64, bytes)));
    if (!data_) throw std::bad_alloc();
    std::memset(static_cast<void*>(data_.get()), 0, bytes);
  }

  T* data() { return data_.get(); }
  const T* data() const { return data_.get(); }
  index_t size() const { return size_; }
  T& operator[](index_t i) { return data_[i]; }
  const T& operator[](index_t i) const { return data_[i]; }

 private:
  struct Free {
    void operator()(T* p) const { std::free(p); }
  };
  std::unique_ptr<T[], Free> data_;
  index_t size_ = 0;
};

}  // namespace fastmlp
