// A fully connected network: a stack of dense layers, each y = dropout(act(x·Wᵀ + b)), with
// every parameter in one flat buffer (per layer W (out, in) then b (out,), the order of
// torch.nn.Sequential's state_dict) and the gradients in a second buffer of the same layout.
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/kernel_table.hpp"
#include "net/aligned_buffer.hpp"

namespace fastmlp {

struct DenseLayer {
  index_t in = 0, out = 0;
  Activation activation = Activation::identity;
  double activation_param = 0;  // leaky-ReLU slope or ELU alpha
  double dropout = 0;           // probability of zeroing an output while training, [0, 1)
};

enum class Loss { least_squares, cross_entropy, binary_cross_entropy, poisson };

// Whether a loss's targets are classes, whose rows are counted right or wrong.
inline bool classifies(Loss loss) {
  return loss == Loss::cross_entropy || loss == Loss::binary_cross_entropy;
}

// What a loss compares the network's output with; rows of `x` match rows here.
template <class T>
struct Targets {
  const T* values = nullptr;        // (n, n_outputs): least squares, binary cross-entropy
  const int64_t* labels = nullptr;  // (n,) in [0, n_outputs): cross-entropy, validated
  const T* row_weight = nullptr;    // (n,) sample weights, or null for all ones
};

// How one batch's loss is formed: scale · Σ_rows weight · row loss, plus l2/2 · Σ W².
struct LossSpec {
  Loss kind = Loss::least_squares;
  double scale = 1;
  double l2 = 0;
};

// One batch's loss: value = the scaled row losses + penalty (the L2 term, 0 without l2).
struct StepLoss {
  double value = 0;
  double penalty = 0;
  index_t correct = 0;  // rows predicted right (classification losses; 0 for regression)
};

template <class T>
class Network {
 public:
  // Throws std::invalid_argument when consecutive layers' sizes disagree or a size,
  // activation parameter or dropout rate is out of range.
  explicit Network(std::vector<DenseLayer> layers);

  const std::vector<DenseLayer>& layers() const { return layers_; }
  index_t n_inputs() const { return layers_.front().in; }
  index_t n_outputs() const { return layers_.back().out; }
  index_t n_parameters() const { return parameters_.size(); }
  index_t weight_offset(std::size_t layer) const { return offsets_[layer]; }
  index_t bias_offset(std::size_t layer) const {
    return offsets_[layer] + layers_[layer].in * layers_[layer].out;
  }
  T* parameters() { return parameters_.data(); }
  const T* parameters() const { return parameters_.data(); }
  T* gradients() { return gradients_.data(); }

  // y (n, n_outputs) = the output for x (n, n_inputs), without dropout. Uses only the
  // scratch memory of the threads it runs on (the caller's, and OpenMP workers of its own),
  // so several threads may predict at once (while no thread changes the parameters).
  void predict(const T* x, index_t n, T* y) const;

  // The loss of the batch (x, targets) and, into gradients(), its gradient with respect to
  // every parameter. Dropout masks come from `dropout_seed`.
  StepLoss loss_and_gradient(const T* x, index_t n, const Targets<T>& targets, const LossSpec& loss,
                             uint64_t dropout_seed);

 private:
  void predict_rows(const T* x, index_t n, T* y) const;  // predict, one chunk

  // One chunk's training workspace for up to `capacity` rows, grown on demand: per layer the
  // pre-activation z = x·Wᵀ + b (unless the activation is fused), the output h (activation
  // and dropout applied; z itself for a bare linear layer), the dropout multipliers (0 or
  // 1/(1−p)), and two buffers for the gradient flowing back.
  // A narrow net (see takes_narrow_kernels) keeps every layer's output, hidden ones in padded
  // rows, no pre-activations, and its gradients in padded rows.
  struct StepBuffers {
    index_t capacity = 0;
    bool narrow = false;
    std::vector<AlignedBuffer<T>> pre_activation, output, dropout_scale;
    AlignedBuffer<T> delta, delta_next;
  };

  // The loss of rows [first, first + n) of a batch and its gradient into `gradients` (a
  // buffer laid out as gradients()), written or, with `accumulate`, added; x and targets
  // point at the chunk's first row.
  double chunk_loss_and_gradient(StepBuffers& buffers, const T* x, index_t first, index_t n,
                                 const Targets<T>& targets, const LossSpec& loss,
                                 uint64_t dropout_seed, T* gradients, bool accumulate,
                                 index_t* correct) const;
  void forward_for_training(StepBuffers& buffers, const T* x, index_t first, index_t n,
                            uint64_t dropout_seed) const;
  void backward(StepBuffers& buffers, const T* x, index_t n, T* gradients, bool accumulate) const;
  // Whether every layer takes the narrow kernels: at most narrow_width wide, ReLU or linear,
  // no dropout.
  bool takes_narrow_kernels() const;
  NarrowLayer<T> narrow_layer(std::size_t l) const;
  void narrow_forward(StepBuffers& buffers, const T* x, index_t n) const;
  void narrow_backward(StepBuffers& buffers, const T* x, index_t n, T* gradients,
                       bool accumulate) const;
  // The output layer's values, which the loss compares with the targets.
  const T* top_output(const StepBuffers& buffers) const;
  // Where layer l's activation derivative is evaluated: its pre-activation, or its output
  // when the activation is fused into the forward GEMM (see network.cpp).
  const T* derivative_input(const StepBuffers& buffers, std::size_t l) const;
  void reserve(StepBuffers& buffers, index_t rows) const;

  std::vector<DenseLayer> layers_;
  std::vector<index_t> offsets_;
  AlignedBuffer<T> parameters_, gradients_;

  // Training workspace: one StepBuffers per thread that trains chunks of a long batch, and
  // on several threads the gradients of every chunk group but the first, summed into
  // gradients_ in order (see network.cpp).
  std::vector<StepBuffers> step_buffers_;
  AlignedBuffer<T> group_gradients_;
};

extern template class Network<float>;
extern template class Network<double>;

}  // namespace fastmlp
