#include "net/network.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <exception>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "kernels/dispatch.hpp"
#include "kernels/threads.hpp"
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

// ReLU's output is zero for about half of its inputs, and so is the gradient back through it:
// the GEMMs that take them as A may skip the zeros (GemmArgs::sparse_a).
bool has_many_zeros(const DenseLayer& layer) { return layer.activation == Activation::relu; }

// Whether layer l's input, the output of the layer below, has_many_zeros.
bool input_has_many_zeros(const std::vector<DenseLayer>& layers, std::size_t l) {
  return l > 0 && has_many_zeros(layers[l - 1]);
}

// out (n, layer.out) = act(x·Wᵀ + b) with bias and activation fused in the GEMM write-back;
// the identity activation when `with_activation` is false. `x_has_zeros`: x is the output of
// a layer that has_many_zeros.
template <class T>
void dense_forward(const DenseLayer& layer, const T* weight, const T* bias, const T* x, index_t n,
                   T* out, bool with_activation, bool x_has_zeros) {
  GemmArgs<T> g;
  g.sparse_a = x_has_zeros;
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

// Why chunks: a long batch's activations do not stay in cache between the step's passes
// over them (4,000 rows through a 298-wide layer make 4.7 MB of outputs, and as much again
// of the gradient flowing back, against an L2 of 0.5–2 MB), so each pass streamed them from
// memory. A batch of more rows than step_chunk_rows is trained chunk by chunk instead, each
// chunk forward, through the loss and backward before the next: a 40-298-10 step over 4,000
// rows took 4,016–4,427 µs whole and 2,897–2,920 µs as 16 steps of 256 rows (one thread,
// Xeon, AVX-512; 40-100-100-10 4,862–5,394 → 3,338–3,506). The chunks form at most
// max_chunk_groups groups of consecutive chunks; a group's chunks run on one thread and are
// summed in order, then the groups' sums are added in group order: the same sums for any
// thread count, so bitwise the same gradient. Each thread runs whole groups, which also
// spares a fork and join per kernel call. The groups' sums take at most 15 copies of the
// gradient (none on one thread when each group is one chunk).
// 128-row chunks ran 0–10 % slower than 256 on the Figure 20.2 nets, 512 within noise.
constexpr index_t step_chunk_rows = 256;
constexpr index_t max_chunk_groups = 16;

// The most rows in one chunk of a batch of `rows`: step_chunk_rows, or the whole batch. Every
// chunk reads all the weights again (and, training, writes a gradient): not worth it
// once the weights outweigh a chunk's layer outputs. A training step over 4,000 rows of
// 784-512-512-10 ran 5–10 % slower in chunks (weights 2.6 MB), 784-128-10 within noise,
// 100-500-10 17 % faster.
template <class T>
index_t chunk_rows_for(const Network<T>& net, index_t rows) {
  index_t outputs = 0;
  for (const DenseLayer& layer : net.layers()) outputs += layer.out;
  return net.n_parameters() <= step_chunk_rows * outputs ? step_chunk_rows
                                                         : std::max<index_t>(rows, 1);
}

// Below about this many flops per thread, predict stays on one thread: as for one GEMM
// (min_flops_per_thread in gemm_blocked.hpp), a fork and join cost a few µs.
constexpr double min_predict_flops_per_thread = 1 << 19;

// How a batch of `rows` splits: as few chunks as hold at most `most_rows` rows each, their
// sizes differing by at most one row, in groups of consecutive chunks. Even sizes, not
// most_rows and a remainder: 4,000 rows made 15 chunks of 256 and one of 160, so that of two
// threads one ran 2,048 rows and the other 1,952, and 256 rows are 25.6 register tiles of 10
// (AVX-512, float32) where 250 are 25.
struct ChunkPlan {
  ChunkPlan(index_t rows, index_t most_rows)
      : rows(rows),
        chunks(std::max<index_t>(1, (rows + most_rows - 1) / most_rows)),
        chunks_per_group((chunks + max_chunk_groups - 1) / max_chunk_groups),
        groups((chunks + chunks_per_group - 1) / chunks_per_group) {}
  // The first rows % chunks chunks take one row more (chunk·rows / chunks could overflow).
  index_t first_row(index_t chunk) const {
    return chunk * (rows / chunks) + std::min(chunk, rows % chunks);
  }
  index_t rows_in(index_t chunk) const { return first_row(chunk + 1) - first_row(chunk); }
  index_t most_rows() const { return (rows + chunks - 1) / chunks; }
  index_t rows, chunks, chunks_per_group, groups;
};

template <class T>
Targets<T> rows_from(const Targets<T>& targets, index_t first, index_t width) {
  Targets<T> rows = targets;
  if (rows.values != nullptr) rows.values += first * width;
  if (rows.labels != nullptr) rows.labels += first;
  if (rows.row_weight != nullptr) rows.row_weight += first;
  return rows;
}

// sum[i] += part[i] for i in [begin, end).
template <class T>
void add_to(T* sum, const T* part, index_t begin, index_t end) {
  for (index_t i = begin; i < end; ++i) sum[i] += part[i];
}

// body(thread, team) on `threads` OpenMP threads (the team may come out smaller), each
// thread's kernels on that thread alone. A kernel may allocate its workspace on a worker
// thread, and an exception must not leave an OpenMP region (std::terminate): kept, and
// rethrown after it.
template <class Body>
void on_threads([[maybe_unused]] int threads, const Body& body) {
  std::exception_ptr failure;
#pragma omp parallel num_threads(threads)
  {
#ifdef _OPENMP
    const int thread = omp_get_thread_num(), team = omp_get_num_threads();
#else
    const int thread = 0, team = 1;
#endif
    const ThreadLimit one_thread_each(1);
    try {
      body(thread, team);
    } catch (...) {
      keep_first_exception(failure);
    }
  }
  if (failure) std::rethrow_exception(failure);
}

// The part [begin, end) of [0, n) that thread `thread` of `team` takes, cut at multiples of
// `align`.
struct Share {
  Share(index_t n, int thread, int team, index_t align = 1) {
    const index_t units = (n + align - 1) / align;
    begin = std::min(n, units * thread / team * align);
    end = std::min(n, units * (thread + 1) / team * align);
  }
  index_t begin, end;
};

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
}

template <class T>
void Network<T>::predict(const T* x, index_t n, T* y) const {
  // Rows in chunks, as in training: each chunk through every layer while its activations
  // are in cache, and threads take whole chunks. 4,000 rows through 40-100-100-10 on one
  // thread: 1,106 → 1,046 µs (min of 9 interleaved; median 1,226 → 1,095); two threads
  // within noise (783 → 808, median 822 → 826).
  const ChunkPlan plan(n, chunk_rows_for(*this, n));
  const auto predict_chunks = [&](index_t begin, index_t end) {
    for (index_t c = begin; c < end; ++c) {
      const index_t first = plan.first_row(c);
      predict_rows(x + first * n_inputs(), plan.rows_in(c), y + first * n_outputs());
    }
  };
  double flops = 0;
  for (const DenseLayer& layer : layers_) flops += 2.0 * double(n) * double(layer.in * layer.out);
  const int threads =
      plan.chunks > 1
          ? int(std::min<index_t>(plan.chunks, threads_for(flops, min_predict_flops_per_thread)))
          : 1;
  if (threads == 1) {
    predict_chunks(0, plan.chunks);
    return;
  }
  on_threads(threads, [&](int thread, int team) {
    const Share share(plan.chunks, thread, team);
    predict_chunks(share.begin, share.end);
  });
}

template <class T>
void Network<T>::predict_rows(const T* x, index_t n, T* y) const {
  // Two scratch matrices per thread, reused across calls: no allocation per prediction.
  thread_local AlignedBuffer<T> scratch[2];
  // A net that trains through the narrow kernels predicts through them too (rows between
  // layers padded to narrow_width): the sums of its training forward pass, without the
  // GEMM's set-up per layer.
  const bool narrow = takes_narrow_kernels();
  const auto& k = kernels().typed<T>();
  const T* input = x;
  index_t ld_input = n_inputs();
  for (std::size_t l = 0; l < layers_.size(); ++l) {
    const DenseLayer& layer = layers_[l];
    T* out = y;
    index_t ld_out = layer.out;
    if (l + 1 < layers_.size()) {
      ld_out = narrow ? k.narrow_width : layer.out;
      AlignedBuffer<T>& buffer = scratch[l % 2];
      if (buffer.size() < n * ld_out) buffer = AlignedBuffer<T>(n * ld_out);
      out = buffer.data();
    }
    if (narrow) {
      k.narrow_forward(narrow_layer(l), n, input, ld_input, out, ld_out);
    } else {
      dense_forward(layer, parameters_.data() + weight_offset(l),
                    parameters_.data() + bias_offset(l), input, n, out, true,
                    input_has_many_zeros(layers_, l));
    }
    input = out;
    ld_input = ld_out;
  }
}

template <class T>
void Network<T>::reserve(StepBuffers& buffers, index_t rows) const {
  // A buffer per layer even for no rows: the passes index them whatever the batch.
  buffers.pre_activation.resize(layers_.size());
  buffers.output.resize(layers_.size());
  buffers.dropout_scale.resize(layers_.size());
  if (rows <= buffers.capacity) return;
  buffers.narrow = takes_narrow_kernels();
  const index_t padded = kernels().typed<T>().narrow_width;
  index_t widest = buffers.narrow ? padded : 0;
  for (std::size_t l = 0; l < layers_.size(); ++l) {
    const DenseLayer& layer = layers_[l];
    if (buffers.narrow) {  // the output layer's rows compact, for the loss
      buffers.output[l] = AlignedBuffer<T>(rows * (l + 1 < layers_.size() ? padded : layer.out));
      continue;
    }
    if (!fuses_activation(layer)) buffers.pre_activation[l] = AlignedBuffer<T>(rows * layer.out);
    if (has_own_output(layer)) buffers.output[l] = AlignedBuffer<T>(rows * layer.out);
    if (layer.dropout > 0) buffers.dropout_scale[l] = AlignedBuffer<T>(rows * layer.out);
    widest = layer.out > widest ? layer.out : widest;
  }
  buffers.delta = AlignedBuffer<T>(rows * widest);
  buffers.delta_next = AlignedBuffer<T>(rows * widest);
  buffers.capacity = rows;
}

template <class T>
bool Network<T>::takes_narrow_kernels() const {
  const index_t width = kernels().typed<T>().narrow_width;
  return std::all_of(layers_.begin(), layers_.end(), [&](const DenseLayer& layer) {
    return layer.in <= width && layer.out <= width && layer.dropout == 0 &&
           (layer.activation == Activation::relu || layer.activation == Activation::identity);
  });
}

template <class T>
NarrowLayer<T> Network<T>::narrow_layer(std::size_t l) const {
  NarrowLayer<T> narrow;
  narrow.in = layers_[l].in;
  narrow.out = layers_[l].out;
  narrow.weight = parameters_.data() + weight_offset(l);
  narrow.bias = parameters_.data() + bias_offset(l);
  narrow.relu = layers_[l].activation == Activation::relu;
  return narrow;
}

template <class T>
void Network<T>::narrow_forward(StepBuffers& buffers, const T* x, index_t n) const {
  const auto& k = kernels().typed<T>();
  const T* input = x;
  index_t ld_input = n_inputs();
  for (std::size_t l = 0; l < layers_.size(); ++l) {
    const index_t ld_output = l + 1 < layers_.size() ? k.narrow_width : layers_[l].out;
    k.narrow_forward(narrow_layer(l), n, input, ld_input, buffers.output[l].data(), ld_output);
    input = buffers.output[l].data();
    ld_input = ld_output;
  }
}

template <class T>
void Network<T>::narrow_backward(StepBuffers& buffers, const T* x, index_t n, T* gradients,
                                 bool accumulate) const {
  const auto& k = kernels().typed<T>();
  index_t ld_delta = n_outputs();
  for (std::size_t l = layers_.size(); l-- > 0;) {
    const bool below = l > 0;
    k.narrow_backward(narrow_layer(l), n, below ? buffers.output[l - 1].data() : x,
                      below ? k.narrow_width : n_inputs(), buffers.delta.data(), ld_delta,
                      gradients + weight_offset(l), gradients + bias_offset(l), accumulate,
                      below && layers_[l - 1].activation == Activation::relu,
                      below ? buffers.delta_next.data() : nullptr, k.narrow_width);
    std::swap(buffers.delta, buffers.delta_next);
    ld_delta = k.narrow_width;
  }
}

template <class T>
const T* Network<T>::top_output(const StepBuffers& buffers) const {
  const std::size_t last = layers_.size() - 1;
  return buffers.narrow || has_own_output(layers_[last]) ? buffers.output[last].data()
                                                         : buffers.pre_activation[last].data();
}

template <class T>
void Network<T>::forward_for_training(StepBuffers& buffers, const T* x, index_t first, index_t n,
                                      uint64_t dropout_seed) const {
  if (buffers.narrow) {
    narrow_forward(buffers, x, n);
    return;
  }
  const auto& k = kernels().typed<T>();
  const T* input = x;
  for (std::size_t l = 0; l < layers_.size(); ++l) {
    const DenseLayer& layer = layers_[l];
    const T* weight = parameters_.data() + weight_offset(l);
    const T* bias = parameters_.data() + bias_offset(l);
    const bool input_has_zeros = input_has_many_zeros(layers_, l);
    if (fuses_activation(layer)) {
      dense_forward(layer, weight, bias, input, n, buffers.output[l].data(), true, input_has_zeros);
      input = buffers.output[l].data();
      continue;
    }
    T* z = buffers.pre_activation[l].data();
    dense_forward(layer, weight, bias, input, n, z, false, input_has_zeros);
    const index_t size = n * layer.out;
    if (has_own_output(layer)) {
      T* h = buffers.output[l].data();
      k.activation_forward(layer.activation, T(layer.activation_param), size, z, h);
      if (layer.dropout > 0) {
        // Inverted dropout, as torch.nn.Dropout: keep with probability 1 − p, scale by
        // 1/(1 − p). Each element's draw is a hash of (seed, layer, its index in the
        // batch): the same mask for any thread count and chunking.
        T* scale = buffers.dropout_scale[l].data();
        const T keep_scale = T(1 / (1 - layer.dropout));
        const uint64_t layer_seed = mix64(dropout_seed ^ (uint64_t(l) << 56));
        const uint64_t first_index = uint64_t(first * layer.out);
        for (index_t i = 0; i < size; ++i) {
          const double draw = unit_interval(mix64(layer_seed + first_index + uint64_t(i)));
          scale[i] = draw < layer.dropout ? T(0) : keep_scale;
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
const T* Network<T>::derivative_input(const StepBuffers& buffers, std::size_t l) const {
  return fuses_activation(layers_[l]) ? buffers.output[l].data() : buffers.pre_activation[l].data();
}

template <class T>
void Network<T>::backward(StepBuffers& buffers, const T* x, index_t n, T* gradients,
                          bool accumulate) const {
  if (buffers.narrow) {
    narrow_backward(buffers, x, n, gradients, accumulate);
    return;
  }
  const auto& k = kernels().typed<T>();
  for (std::size_t l = layers_.size(); l-- > 0;) {
    const DenseLayer& layer = layers_[l];
    const T* input = l == 0                           ? x
                     : has_own_output(layers_[l - 1]) ? buffers.output[l - 1].data()
                                                      : buffers.pre_activation[l - 1].data();
    k.weight_gradient(n, layer.out, layer.in, buffers.delta.data(), input,
                      gradients + weight_offset(l), gradients + bias_offset(l), accumulate);
    if (l == 0) break;

    // The gradient at the layer below's output: delta · W, (n, out)·(out, in).
    GemmArgs<T> input_grad;
    input_grad.m = n;
    input_grad.n = layer.in;
    input_grad.k = layer.out;
    input_grad.a = buffers.delta.data();
    input_grad.lda = layer.out;
    input_grad.b = parameters_.data() + weight_offset(l);
    input_grad.ldb = layer.in;
    input_grad.c = buffers.delta_next.data();
    input_grad.ldc = layer.in;
    input_grad.sparse_a = has_many_zeros(layer);  // delta has ReLU's derivative as a factor
    k.gemm(input_grad);

    const DenseLayer& below = layers_[l - 1];
    const index_t size = n * below.out;
    T* d = buffers.delta_next.data();
    if (below.dropout > 0) {
      const T* scale = buffers.dropout_scale[l - 1].data();
      for (index_t i = 0; i < size; ++i) d[i] *= scale[i];
    }
    if (below.activation != Activation::identity) {
      k.activation_backward(below.activation, T(below.activation_param), size,
                            derivative_input(buffers, l - 1), d, d);
    }
    std::swap(buffers.delta, buffers.delta_next);
  }
}

template <class T>
double Network<T>::chunk_loss_and_gradient(StepBuffers& buffers, const T* x, index_t first,
                                           index_t n, const Targets<T>& targets,
                                           const LossSpec& loss, uint64_t dropout_seed,
                                           T* gradients, bool accumulate, index_t* correct) const {
  forward_for_training(buffers, x, first, n, dropout_seed);
  const std::size_t last = layers_.size() - 1;
  const T* output = top_output(buffers);
  const index_t width = n_outputs();
  T* delta = buffers.delta.data();
  const auto& k = kernels().typed<T>();
  double value = 0;
  switch (loss.kind) {
    case Loss::least_squares:
      value =
          k.least_squares(n, width, output, targets.values, targets.row_weight, delta, loss.scale);
      break;
    case Loss::cross_entropy:
      value = k.softmax_cross_entropy(n, width, output, targets.labels, targets.row_weight, delta,
                                      loss.scale);
      break;
    case Loss::binary_cross_entropy:
      value = k.sigmoid_binary_cross_entropy(n, width, output, targets.values, targets.row_weight,
                                             delta, loss.scale);
      break;
    case Loss::poisson:
      value = k.poisson_log_link(n, width, output, targets.values, targets.row_weight, delta,
                                 loss.scale);
      break;
  }
  if (classifies(loss.kind)) {
    *correct = count_correct(loss.kind, output, n, width, targets);
  }
  // The gradient through the output layer's own dropout and activation, if it has them.
  const DenseLayer& top = layers_[last];
  if (top.dropout > 0) {
    const T* scale = buffers.dropout_scale[last].data();
    for (index_t i = 0; i < n * width; ++i) delta[i] *= scale[i];
  }
  if (top.activation != Activation::identity) {
    k.activation_backward(top.activation, T(top.activation_param), n * width,
                          derivative_input(buffers, last), delta, delta);
  }
  backward(buffers, x, n, gradients, accumulate);
  return value;
}

template <class T>
StepLoss Network<T>::loss_and_gradient(const T* x, index_t n, const Targets<T>& targets,
                                       const LossSpec& loss, uint64_t dropout_seed) {
  const ChunkPlan plan(n, chunk_rows_for(*this, n));
  const int threads =
      plan.groups > 1 ? static_cast<int>(std::min<index_t>(plan.groups, max_threads())) : 1;
  if (step_buffers_.size() < std::size_t(threads)) step_buffers_.resize(std::size_t(threads));
  for (int t = 0; t < threads; ++t) reserve(step_buffers_[t], plan.most_rows());
  const index_t size = n_parameters();
  // Each chunk adds its gradient into its group's sum as the backward pass makes it (beta = 1
  // in the GEMMs: the additions, and so the bits, of summing the chunks' gradients after).
  // On one thread, groups of one chunk add into gradients_ too, in group order, as
  // sum_groups would: without writing 15 copies of the gradient and reading them back, a
  // 4,000-row step of 40-100-100-10 ran 1–4 % faster, 40-75-75-75-10 3 % (Zen 4, min of 9
  // interleaved runs).
  const bool groups_into_total = threads == 1 && plan.chunks_per_group == 1;
  if (!groups_into_total && group_gradients_.size() < (plan.groups - 1) * size) {
    group_gradients_ = AlignedBuffer<T>((plan.groups - 1) * size);
  }
  std::array<double, max_chunk_groups> group_loss{};
  std::array<index_t, max_chunk_groups> group_correct{};

  // Groups [begin, end) on one thread, each group's chunks in order.
  const auto train_groups = [&](int thread, index_t begin, index_t end) {
    for (index_t g = begin; g < end; ++g) {
      T* group_gradient = g == 0 || groups_into_total ? gradients_.data()
                                                      : group_gradients_.data() + (g - 1) * size;
      const index_t first_chunk = g * plan.chunks_per_group;
      const index_t end_chunk = std::min(plan.chunks, first_chunk + plan.chunks_per_group);
      for (index_t c = first_chunk; c < end_chunk; ++c) {
        const index_t first = plan.first_row(c);
        const index_t rows = plan.rows_in(c);
        const Targets<T> chunk_targets = rows_from(targets, first, n_outputs());
        const bool accumulate = c > (groups_into_total ? 0 : first_chunk);
        index_t chunk_correct = 0;
        group_loss[g] += chunk_loss_and_gradient(step_buffers_[thread], x + first * n_inputs(),
                                                 first, rows, chunk_targets, loss, dropout_seed,
                                                 group_gradient, accumulate, &chunk_correct);
        group_correct[g] += chunk_correct;
      }
    }
  };
  // The groups' gradients added to the first's in group order, over [begin, end).
  const auto sum_groups = [&](index_t begin, index_t end) {
    for (index_t g = 1; g < plan.groups; ++g) {
      add_to(gradients_.data(), group_gradients_.data() + (g - 1) * size, begin, end);
    }
  };
  if (threads == 1) {
    train_groups(0, 0, plan.groups);
    if (!groups_into_total) sum_groups(0, size);
  } else {
    on_threads(threads, [&](int thread, int team) {
      const Share groups(plan.groups, thread, team);
      train_groups(thread, groups.begin, groups.end);
    });
    on_threads(threads, [&](int thread, int team) {
      const Share part(size, thread, team, 64 / sizeof(T));  // whole cache lines
      sum_groups(part.begin, part.end);
    });
  }
  StepLoss result;
  for (index_t g = 0; g < plan.groups; ++g) {
    result.value += group_loss[g];
    result.correct += group_correct[g];
  }

  if (loss.l2 > 0) {
    const auto& k = kernels().typed<T>();
    double squares = 0;
    for (std::size_t l = 0; l < layers_.size(); ++l) {
      squares +=
          k.l2_penalty(layers_[l].in * layers_[l].out, T(loss.l2),
                       parameters_.data() + weight_offset(l), gradients_.data() + weight_offset(l));
    }
    result.penalty = 0.5 * loss.l2 * squares;
    result.value += result.penalty;
  }
  return result;
}

template class Network<float>;
template class Network<double>;

}  // namespace fastmlp
