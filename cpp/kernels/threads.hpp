// The thread count used by the kernels, and OpenMP's behaviour across fork().
#pragma once

#include <exception>

namespace fastmlp {

// The most threads one kernel call may use: the smaller of set_max_threads()'s value (if
// any) and OpenMP's own limit for the calling thread, so OMP_NUM_THREADS and threadpoolctl
// both apply. 1 in a forked child of a process that had started OpenMP threads (see .cpp).
int max_threads();
void set_max_threads(int n);  // n >= 1

// Caps max_threads() at n (≥ 1) on the calling thread while it lives: for a sequence of
// small kernels that, as a whole, is better run on one thread than forked for each.
class ThreadLimit {
 public:
  explicit ThreadLimit(int n);
  ~ThreadLimit();
  ThreadLimit(const ThreadLimit&) = delete;
  ThreadLimit& operator=(const ThreadLimit&) = delete;

 private:
  int previous_;
};

// Keeps the exception being handled in `first` unless it holds one already; safe from several
// threads at once. For the workers of an OpenMP region, where an exception must not leave
// the region (std::terminate): the first one caught is kept, and the region's caller
// rethrows it. Out of line, compiled for the baseline ISA: std::exception_ptr's assignment
// in a kernels_<isa>.cpp was a weak definition of that ISA's code there (at -O1), of which
// the linker keeps one for every caller (.ci/isa-symbols).
void keep_first_exception(std::exception_ptr& first);

bool openmp_enabled();
int openmp_version();  // the _OPENMP date, 0 without OpenMP

// Threads worth using for `work` units of roughly equal cost when one thread should get at
// least `min_work_per_thread`: small work stays on one thread.
int threads_for(double work, double min_work_per_thread);

// Whether threads_for(work, min_work_per_thread) is 1 whatever the thread limit.
inline bool always_one_thread(double work, double min_work_per_thread) {
  return work < 2 * min_work_per_thread;
}

}  // namespace fastmlp
