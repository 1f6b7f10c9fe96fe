// The optimizers' state (velocity, Adam's moments, the step count) beside a network's flat
// parameter buffer, and one step of the update over the whole buffer.
#pragma once

#include "kernels/kernel_table.hpp"
#include "net/aligned_buffer.hpp"

namespace fastmlp {

enum class OptimizerKind { sgd, adam, adamw };

struct OptimizerSpec {
  OptimizerKind kind = OptimizerKind::sgd;
  double momentum = 0, weight_decay = 0;
  bool nesterov = false;
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
};

template <class T>
class Optimizer {
 public:
  // Throws std::invalid_argument for hyperparameters out of range.
  Optimizer(const OptimizerSpec& spec, index_t n_parameters);

  // params −= the update for `grads` with learning rate lr.
  void step(T* params, const T* grads, double lr);

  const OptimizerSpec& spec() const { return spec_; }
  index_t n_parameters() const { return n_; }
  long long steps() const { return steps_; }
  void set_steps(long long steps) { steps_ = steps; }
  // The state buffers, each n_parameters long (velocity for SGD; both moments for Adam).
  AlignedBuffer<T>& state(int i) { return i == 0 ? first_ : second_; }
  int n_states() const;

 private:
  OptimizerSpec spec_;
  index_t n_;
  long long steps_ = 0;
  AlignedBuffer<T> first_, second_;
};

extern template class Optimizer<float>;
extern template class Optimizer<double>;

}  // namespace fastmlp
