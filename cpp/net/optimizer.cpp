#include "net/optimizer.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

#include "kernels/dispatch.hpp"

namespace fastmlp {
namespace {

void check_range(const char* name, double value, double low, double high, bool high_open) {
  if (!(value >= low && (high_open ? value < high : value <= high))) {
    throw std::invalid_argument(std::string(name) + " must be in [" + std::to_string(low) + ", " +
                                std::to_string(high) + (high_open ? ")" : "]") + ", got " +
                                std::to_string(value));
  }
}

}  // namespace

template <class T>
Optimizer<T>::Optimizer(const OptimizerSpec& spec, index_t n_parameters)
    : spec_(spec), n_(n_parameters) {
  check_range("weight_decay", spec.weight_decay, 0, HUGE_VAL, true);
  if (spec.kind == OptimizerKind::sgd) {
    check_range("momentum", spec.momentum, 0, 1, true);
    if (spec.nesterov && spec.momentum == 0) {
      throw std::invalid_argument("nesterov momentum needs momentum > 0");
    }
  } else {
    check_range("beta1", spec.beta1, 0, 1, true);
    check_range("beta2", spec.beta2, 0, 1, true);
    check_range("eps", spec.eps, 0, HUGE_VAL, true);
  }
  if (n_states() >= 1) first_ = AlignedBuffer<T>(n_parameters);
  if (n_states() >= 2) second_ = AlignedBuffer<T>(n_parameters);
}

template <class T>
int Optimizer<T>::n_states() const {
  if (spec_.kind == OptimizerKind::sgd) return spec_.momentum > 0 ? 1 : 0;
  return 2;
}

template <class T>
void Optimizer<T>::step(T* params, const T* grads, double lr) {
  ++steps_;
  const auto& k = kernels().typed<T>();
  if (spec_.kind == OptimizerKind::sgd) {
    SgdStep<T> s;
    s.lr = T(lr);
    s.momentum = T(spec_.momentum);
    s.weight_decay = T(spec_.weight_decay);
    s.nesterov = spec_.nesterov;
    k.sgd_step(s, n_, params, grads, first_.data());
    return;
  }
  AdamStep<T> s;
  s.lr = T(lr);
  s.beta1 = T(spec_.beta1);
  s.beta2 = T(spec_.beta2);
  s.eps = T(spec_.eps);
  s.weight_decay = T(spec_.weight_decay);
  s.decoupled_weight_decay = spec_.kind == OptimizerKind::adamw;
  s.t = steps_;
  k.adam_step(s, n_, params, grads, first_.data(), second_.data());
}

template class Optimizer<float>;
template class Optimizer<double>;

}  // namespace fastmlp
