#include "net/train.hpp"

#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>

#include "kernels/threads.hpp"
#include "net/all_finite.hpp"
#include "net/random.hpp"

namespace fastmlp {
namespace {

// Below about this many flops per thread in one training step (forward, both gradients:
// 6·batch·Σ in·out), the step runs on one thread. Measured here on MNIST-1D 40-100-100-10:
// batch 128 (11.5 MFLOP) ran 760k samples/s on one thread and slower on two.
constexpr double min_step_flops_per_thread = 1 << 24;

// How often, at most, interrupted() is asked: it takes the GIL (asking it before each of a
// 1-3-1 net's 1.5 µs epochs cost about 5 % of the time), and Ctrl-C should stop a fit within
// a fraction of a second even when epochs are long.
constexpr std::chrono::milliseconds interrupt_check_interval{100};

// Copies of everything one epoch changes, to undo it when it diverges.
template <class T>
class Snapshot {
 public:
  Snapshot(Network<T>& net, Optimizer<T>& optimizer)
      : net_(net),
        optimizer_(optimizer),
        parameters_(net.n_parameters()),
        states_{AlignedBuffer<T>(optimizer.state(0).size()),
                AlignedBuffer<T>(optimizer.state(1).size())} {}

  void take() {
    copy(parameters_, net_.parameters());
    for (int i = 0; i < 2; ++i) copy(states_[i], optimizer_.state(i).data());
    steps_ = optimizer_.steps();
  }

  void restore() {
    copy(net_.parameters(), parameters_);
    for (int i = 0; i < 2; ++i) copy(optimizer_.state(i).data(), states_[i]);
    optimizer_.set_steps(steps_);
  }

 private:
  static void copy(AlignedBuffer<T>& to, const T* from) {
    if (to.size() > 0) std::memcpy(to.data(), from, std::size_t(to.size()) * sizeof(T));
  }
  static void copy(T* to, const AlignedBuffer<T>& from) {
    if (from.size() > 0) std::memcpy(to, from.data(), std::size_t(from.size()) * sizeof(T));
  }

  Network<T>& net_;
  Optimizer<T>& optimizer_;
  AlignedBuffer<T> parameters_;
  AlignedBuffer<T> states_[2];
  long long steps_ = 0;
};

// The rows of one minibatch, gathered into contiguous buffers.
template <class T>
class Minibatch {
 public:
  Minibatch(const TrainingSet<T>& data, index_t n_inputs, index_t n_outputs, index_t capacity)
      : data_(data),
        n_inputs_(n_inputs),
        n_outputs_(n_outputs),
        x_(capacity * n_inputs),
        values_(data.targets.values ? capacity * n_outputs : 0),
        labels_(data.targets.labels ? std::size_t(capacity) : 0),
        weights_(data.targets.row_weight ? capacity : 0) {}

  // Gathers the rows rows[0, n) and returns them as a training set.
  TrainingSet<T> gather(const int64_t* rows, index_t n) {
    TrainingSet<T> batch;
    batch.n = n;
    batch.x = x_.data();
    const Targets<T>& all = data_.targets;
    for (index_t i = 0; i < n; ++i) {
      const index_t r = rows[i];
      std::memcpy(x_.data() + i * n_inputs_, data_.x + r * n_inputs_,
                  std::size_t(n_inputs_) * sizeof(T));
      if (all.values) {
        std::memcpy(values_.data() + i * n_outputs_, all.values + r * n_outputs_,
                    std::size_t(n_outputs_) * sizeof(T));
      }
      if (all.labels) labels_[std::size_t(i)] = all.labels[r];
      if (all.row_weight) weights_[i] = all.row_weight[r];
    }
    batch.targets.values = all.values ? values_.data() : nullptr;
    batch.targets.labels = all.labels ? labels_.data() : nullptr;
    batch.targets.row_weight = all.row_weight ? weights_.data() : nullptr;
    return batch;
  }

 private:
  const TrainingSet<T>& data_;
  index_t n_inputs_, n_outputs_;
  AlignedBuffer<T> x_, values_;
  std::vector<int64_t> labels_;
  AlignedBuffer<T> weights_;
};

// Σ of the rows' sample weights (the number of rows without weights).
template <class T>
double total_weight(const TrainingSet<T>& batch) {
  if (!batch.targets.row_weight) return double(batch.n);
  double sum = 0;
  for (index_t i = 0; i < batch.n; ++i) sum += double(batch.targets.row_weight[i]);
  return sum;
}

}  // namespace

template <class T>
double mean_scale(Loss loss, const Network<T>& net, const TrainingSet<T>& batch) {
  // Losses averaged over elements (least squares, binary, Poisson) divide by the outputs per
  // row too, as torch's MSELoss, BCEWithLogitsLoss and PoissonNLLLoss do.
  const double per_row = loss == Loss::cross_entropy ? 1.0 : double(net.n_outputs());
  const double weight = total_weight(batch);
  return weight > 0 ? 1 / (weight * per_row) : 0;
}

template <class T>
TrainResult train(Network<T>& net, Optimizer<T>& optimizer, const TrainingSet<T>& data,
                  const TrainOptions& options, const std::vector<double>& learning_rates,
                  long long first_epoch, const std::function<bool()>& interrupted) {
  const index_t batch_size =
      options.batch_size <= 0 || options.batch_size >= data.n ? data.n : options.batch_size;
  // A step is a dozen kernels; each would fork and join its own threads. Small steps run on
  // one thread altogether (see min_step_flops_per_thread).
  double step_flops = 0;
  for (const DenseLayer& layer : net.layers()) step_flops += 6.0 * double(layer.in * layer.out);
  const ThreadLimit threads(
      threads_for(step_flops * double(batch_size), min_step_flops_per_thread));
  const bool full_batch = batch_size == data.n;
  Minibatch<T> minibatch(data, net.n_inputs(), net.n_outputs(), full_batch ? 0 : batch_size);
  std::vector<int64_t> order(full_batch ? 0 : std::size_t(data.n));
  Snapshot<T> snapshot(net, optimizer);
  const double data_weight = total_weight(data);

  TrainResult result;
  auto next_interrupt_check = std::chrono::steady_clock::now() + interrupt_check_interval;
  const auto interrupt_due = [&] {
    const auto now = std::chrono::steady_clock::now();
    if (now < next_interrupt_check) return false;
    next_interrupt_check = now + interrupt_check_interval;
    return interrupted();
  };
  for (std::size_t e = 0; e < learning_rates.size(); ++e) {
    if (e > 0 && interrupt_due()) {
      result.stop = StopReason::interrupted;
      break;
    }
    snapshot.take();
    const uint64_t epoch_seed = mix64(options.seed ^ mix64(uint64_t(first_epoch) + e));
    if (!full_batch) {
      std::iota(order.begin(), order.end(), int64_t(0));
      if (options.shuffle) Random(epoch_seed).shuffle(order.data(), data.n);
    }
    double loss_sum = 0, penalty_sum = 0;
    index_t correct = 0;
    for (index_t start = 0, step = 0; start < data.n; start += batch_size, ++step) {
      const index_t rows = batch_size < data.n - start ? batch_size : data.n - start;
      const TrainingSet<T> batch = full_batch ? data : minibatch.gather(order.data() + start, rows);
      const double weight = total_weight(batch);
      double l2 = options.l2;
      if (options.l2_per_sample) l2 = weight > 0 ? l2 / weight : 0;
      const LossSpec loss{options.loss, options.mean ? mean_scale(options.loss, net, batch) : 1.0,
                          l2};
      const StepLoss step_loss = net.loss_and_gradient(batch.x, batch.n, batch.targets, loss,
                                                       mix64(epoch_seed + uint64_t(step)));
      const double batch_share = options.mean ? weight : 1.0;
      loss_sum += step_loss.value * batch_share;
      penalty_sum += step_loss.penalty * batch_share;
      correct += step_loss.correct;
      optimizer.step(net.parameters(), net.gradients(), learning_rates[e]);
      if (start + batch_size < data.n && interrupt_due()) {
        snapshot.restore();  // mid-epoch: undone, the model is as after the last whole one
        result.stop = StopReason::interrupted;
        return result;
      }
    }
    EpochResult epoch;
    const double over = options.mean ? data_weight : 1.0;  // the weighted mean, or the sum
    epoch.loss = over > 0 ? loss_sum / over : 0;
    epoch.penalty = over > 0 ? penalty_sum / over : 0;
    epoch.accuracy = classifies(options.loss) ? double(correct) / double(data.n)
                                              : std::numeric_limits<double>::quiet_NaN();
    if (!std::isfinite(epoch.loss) || !all_finite(net.parameters(), net.n_parameters())) {
      snapshot.restore();
      result.stop = StopReason::diverged;
      result.epochs.push_back(epoch);
      break;
    }
    result.epochs.push_back(epoch);
  }
  return result;
}

template double mean_scale(Loss, const Network<float>&, const TrainingSet<float>&);
template double mean_scale(Loss, const Network<double>&, const TrainingSet<double>&);
template TrainResult train(Network<float>&, Optimizer<float>&, const TrainingSet<float>&,
                           const TrainOptions&, const std::vector<double>&, long long,
                           const std::function<bool()>&);
template TrainResult train(Network<double>&, Optimizer<double>&, const TrainingSet<double>&,
                           const TrainOptions&, const std::vector<double>&, long long,
                           const std::function<bool()>&);

}  // namespace fastmlp
