// Which calls may run on one network at the same time from several Python threads (each
// releases the GIL while it computes): any number of predictions, or one call that trains
// (it writes the parameters, the gradients and the training workspace, and may reallocate
// that workspace). Training waits for the predictions already running, which are short;
// a prediction or a second training call arriving while one trains is refused with a
// RuntimeError rather than made to wait, since training can take minutes.
#pragma once

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>

#include "bindings/pybind11.hpp"

namespace fastmlp {

class ConcurrentUse {
 public:
  enum class Access { read, write };

  // Holds `access` for the scope; `what` names the call in the error. Called with the GIL.
  class Scope {
   public:
    Scope(ConcurrentUse& use, Access access, const char* what) : use_(use), access_(access) {
      int users = use_.users_.load();
      do {
        if (users & writer) refuse(what);
      } while (!use_.users_.compare_exchange_weak(
          users, access == Access::read ? users + 1 : users | writer));
      if (access == Access::write) {
        py::gil_scoped_release release;  // the predictions may need it to return
        while (use_.users_.load() != writer) {
          std::this_thread::sleep_for(std::chrono::microseconds(50));
        }
      }
    }
    ~Scope() {
      if (access_ == Access::read) {
        use_.users_.fetch_sub(1);
      } else {
        use_.users_.store(0);
      }
    }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    [[noreturn]] static void refuse(const char* what) {
      throw std::runtime_error(std::string(what) +
                               ": the network is being trained in another thread; one thread "
                               "may train a network at a time, and no thread may predict with "
                               "it meanwhile (use a copy: copy.deepcopy(net))");
    }

    ConcurrentUse& use_;
    Access access_;
  };

 private:
  static constexpr int writer = 1 << 30;
  std::atomic<int> users_{0};  // the number of predictions running, plus `writer` if training
};

}  // namespace fastmlp
