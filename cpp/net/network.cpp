#include "net/network.hpp"

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>

#include "kernels/dispatch.hpp"
#include "net/random.hpp"

namespace fastmlp {
namespace {

bool has_own_output(const DenseLayer& layer) {
  return layer.activation != Activation::identity || layer.dropout > 0;
}

// ReLU and leaky ReLU with a positive slope keep the sign: f'(z) = f'(f(z)), NaN included.
// For them the forward GEMM applies the activation in its write-back, no pre-activation is
// stored, and the backward pass takes the derivative at the output.
bool fuses_activation(const DenseLayer& layer) {
  return layer.dropout == 0 &&
         (layer.activation == Activation::relu ||
          (layer.activation == Activation::leaky_relu && layer.activation_param > 0));
}

// out (n, layer.out) = act(x·Wᵀ + b) with bias and activation fused in the GEMM write-back;
// the identity activation when `with_activation` is false.
template <class T>
void dense_forward(const DenseLayer& layer, const T* weight, const T* bias, const T* x, index_t n,
                   T* out, bool with_activation) {
  GemmArgs<T> g;
  g.trans_b = true;
  g.m = n;
  g.n = layer.out;
  g.k = layer.in;
  g.a = x;
  g.lda = layer.in;
  g.b = weight;
  g.ldb = layer.in;
  g.c = out;
  g.ldc = layer.out;
  g.bias = bias;
  if (with_activation) {
    g.activation = layer.activation;
    g.activation_param = T(layer.activation_param);
  }
  kernels().typed<T>().gemm(g);
}

// The index of the largest value in row[0, n); the first one on ties, as numpy's argmax.
template <class T>
index_t argmax(const T* row, index_t n) {
  index_t best = 0;
  for (index_t j = 1; j < n; ++j) best = row[j] > row[best] ? j : best;
  return best;
}

template <class T>
index_t count_correct(Loss loss, const T* output, index_t n, index_t width,
                      const Targets<T>& targets) {
  index_t correct = 0;
  for (index_t i = 0; i < n; ++i) {
    const T* row = output + i * width;
    if (loss == Loss::cross_entropy) {
      correct += argmax(row, width) == targets.labels[i];
    } else {  // binary: a row is right when every label is (subset accuracy, as sklearn)
      bool all = true;
      for (index_t j = 0; j < width; ++j)
        all = all && ((row[j] > 0) == (targets.values[i * width + j] > T(0.5)));
      correct += all;
    }
  }
  return correct;
}

}  // namespace

template <class T>
Network<T>::Network(std::vector<DenseLayer> layers) : layers_(std::move(layers)) {
  if (layers_.empty()) throw std::invalid_argument("a network needs at least one layer");
  index_t size = 0;
  for (std::size_t l = 0; l < layers_.size(); ++l) {
    const DenseLayer& layer = layers_[l];
    const std::string name = "layer " + std::to_string(l);
    if (layer.in < 1 || layer.out < 1) {
      throw std::invalid_argument(name + " must have at least one input and one output, got " +
                                  std::to_string(layer.in) + " → " + std::to_string(layer.out));
    }
    if (l > 0 && layer.in != layers_[l - 1].out) {
      throw std::invalid_argument(name + " takes " + std::to_string(layer.in) +
                                  " inputs but the layer before gives " +
                                  std::to_string(layers_[l - 1].out));
    }
    if (!(layer.dropout >= 0 && layer.dropout < 1)) {
      throw std::invalid_argument(name + ": dropout must be in [0, 1), got " +
                                  std::to_string(layer.dropout));
    }
    if (!std::isfinite(layer.activation_param)) {
      throw std::invalid_argument(name + ": the activation parameter must be finite");
    }
    offsets_.push_back(size);
    // Checked before allocating: an overflow would wrap around to a small buffer.
    constexpr index_t largest = std::numeric_limits<index_t>::max();
    if (layer.in >= largest || layer.out > (largest - size) / (layer.in + 1)) {
      throw std::length_error(name + " (" + std::to_string(layer.in) + " → " +
                              std::to_string(layer.out) + ") has more parameters than can exist");
    }
    size += layer.out * (layer.in + 1);
  }
  parameters_ = AlignedBuffer<T>(size);
  gradients_ = AlignedBuffer<T>(size);
  pre_activation_.resize(layers_.size());
  output_.resize(layers_.size());
  dropout_scale_.resize(layers_.size());
}

template <class T>
void Network<T>::predict(const T* x, index_t n, T* y) const {
  // Two scratch matrices per thread, reused across calls: no allocation per prediction.
  thread_local AlignedBuffer<T> scratch[2];
  const T* input = x;
  for (std::size_t l = 0; l < layers_.size(); ++l) {
    const DenseLayer& layer = layers_[l];
    T* out = y;
    if (l + 1 < layers_.size()) {
      AlignedBuffer<T>& buffer = scratch[l % 2];
      if (buffer.size() < n * layer.out) buffer = AlignedBuffer<T>(n * layer.out);
      out = buffer.data();
    }
    dense_forward(layer, parameters_.data() + weight_offset(l), parameters_.data() + bias_offset(l),
                  input, n, out, true);
    input = out;
  }
}

template <class T>
void Network<T>::reserve(index_t n) {
  if (n <= capacity_) return;
  for (std::size_t l = 0; l < layers_.size(); ++l) {
    const DenseLayer& layer = layers_[l];
    if (!fuses_activation(layer)) pre_activation_[l] = AlignedBuffer<T>(n * layer.out);
    if (has_own_output(layer)) output_[l] = AlignedBuffer<T>(n * layer.out);
    if (layer.dropout > 0) dropout_scale_[l] = AlignedBuffer<T>(n * layer.out);
  }
  index_t widest = 0;
  for (const DenseLayer& layer : layers_) widest = layer.out > widest ? layer.out : widest;
  delta_ = AlignedBuffer<T>(n * widest);
  delta_next_ = AlignedBuffer<T>(n * widest);
  capacity_ = n;
}

template <class T>
void Network<T>::forward_for_training(const T* x, index_t n, uint64_t dropout_seed) {
  const auto& k = kernels().typed<T>();
  const T* input = x;
  for (std::size_t l = 0; l < layers_.size(); ++l) {
    const DenseLayer& layer = layers_[l];
    const T* weight = parameters_.data() + weight_offset(l);
    const T* bias = parameters_.data() + bias_offset(l);
    if (fuses_activation(layer)) {
      dense_forward(layer, weight, bias, input, n, output_[l].data(), true);
      input = output_[l].data();
      continue;
    }
    T* z = pre_activation_[l].data();
    dense_forward(layer, weight, bias, input, n, z, false);
    const index_t size = n * layer.out;
    if (has_own_output(layer)) {
      T* h = output_[l].data();
      k.activation_forward(layer.activation, T(layer.activation_param), size, z, h);
      if (layer.dropout > 0) {
        // Inverted dropout, as torch.nn.Dropout: keep with probability 1 − p, scale by
        // 1/(1 − p). Each element's draw is a hash of (seed, layer, index): the same mask
        // for any thread count.
        T* scale = dropout_scale_[l].data();
        const T keep_scale = T(1 / (1 - layer.dropout));
        const uint64_t layer_seed = mix64(dropout_seed ^ (uint64_t(l) << 56));
        for (index_t i = 0; i < size; ++i) {
          scale[i] =
              unit_interval(mix64(layer_seed + uint64_t(i))) < layer.dropout ? T(0) : keep_scale;
          h[i] *= scale[i];
        }
      }
      input = h;
    } else {
      input = z;
    }
  }
}

template <class T>
const T* Network<T>::derivative_input(std::size_t l) const {
  return fuses_activation(layers_[l]) ? output_[l].data() : pre_activation_[l].data();
}

template <class T>
void Network<T>::backward(const T* x, index_t n) {
  const auto& k = kernels().typed<T>();
  for (std::size_t l = layers_.size(); l-- > 0;) {
    const DenseLayer& layer = layers_[l];
    const T* input = l == 0                           ? x
                     : has_own_output(layers_[l - 1]) ? output_[l - 1].data()
                                                      : pre_activation_[l - 1].data();
    k.weight_gradient(n, layer.out, layer.in, delta_.data(), input,
                      gradients_.data() + weight_offset(l), gradients_.data() + bias_offset(l));
    if (l == 0) break;

    // The gradient at the layer below's output: delta · W, (n, out)·(out, in).
    GemmArgs<T> input_grad;
    input_grad.m = n;
    input_grad.n = layer.in;
    input_grad.k = layer.out;
    input_grad.a = delta_.data();
    input_grad.lda = layer.out;
    input_grad.b = parameters_.data() + weight_offset(l);
    input_grad.ldb = layer.in;
    input_grad.c = delta_next_.data();
    input_grad.ldc = layer.in;
    k.gemm(input_grad);

    const DenseLayer& below = layers_[l - 1];
    const index_t size = n * below.out;
    T* d = delta_next_.data();
    if (below.dropout > 0) {
      const T* scale = dropout_scale_[l - 1].data();
      for (index_t i = 0; i < size; ++i) d[i] *= scale[i];
    }
    if (below.activation != Activation::identity) {
      k.activation_backward(below.activation, T(below.activation_param), size,
                            derivative_input(l - 1), d, d);
    }
    std::swap(delta_, delta_next_);
  }
}

template <class T>
double Network<T>::loss_and_gradient(const T* x, index_t n, const Targets<T>& targets,
                                     const LossSpec& loss, uint64_t dropout_seed,
                                     index_t* correct) {
  reserve(n);
  forward_for_training(x, n, dropout_seed);
  const std::size_t last = layers_.size() - 1;
  const T* output =
      has_own_output(layers_[last]) ? output_[last].data() : pre_activation_[last].data();
  const index_t width = n_outputs();
  const auto& k = kernels().typed<T>();
  double value = 0;
  switch (loss.kind) {
    case Loss::least_squares:
      value = k.least_squares(n, width, output, targets.values, targets.row_weight, delta_.data(),
                              loss.scale);
      break;
    case Loss::cross_entropy:
      value = k.softmax_cross_entropy(n, width, output, targets.labels, targets.row_weight,
                                      delta_.data(), loss.scale);
      break;
    case Loss::binary_cross_entropy:
      value = k.sigmoid_binary_cross_entropy(n, width, output, targets.values, targets.row_weight,
                                             delta_.data(), loss.scale);
      break;
  }
  if (correct != nullptr && loss.kind != Loss::least_squares) {
    *correct = count_correct(loss.kind, output, n, width, targets);
  }
  // The gradient through the output layer's own dropout and activation, if it has them.
  const DenseLayer& top = layers_[last];
  if (top.dropout > 0) {
    const T* scale = dropout_scale_[last].data();
    for (index_t i = 0; i < n * width; ++i) delta_[i] *= scale[i];
  }
  if (top.activation != Activation::identity) {
    k.activation_backward(top.activation, T(top.activation_param), n * width,
                          derivative_input(last), delta_.data(), delta_.data());
  }
  backward(x, n);
  if (loss.l2 > 0) {
    double squares = 0;
    for (std::size_t l = 0; l < layers_.size(); ++l) {
      squares +=
          k.l2_penalty(layers_[l].in * layers_[l].out, T(loss.l2),
                       parameters_.data() + weight_offset(l), gradients_.data() + weight_offset(l));
    }
    value += 0.5 * loss.l2 * squares;
  }
  return value;
}

template class Network<float>;
template class Network<double>;

}  // namespace fastmlp
