// Training: whole epochs (shuffle, minibatches, forward, loss, backward, update) in one call,
// so Python runs only between calls.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "net/network.hpp"
#include "net/optimizer.hpp"

namespace fastmlp {

template <class T>
struct TrainingSet {
  const T* x = nullptr;  // (n, n_inputs)
  index_t n = 0;
  Targets<T> targets;  // validated: labels in range, weights ≥ 0
};

struct TrainOptions {
  Loss loss = Loss::least_squares;
  bool mean = true;  // reduction: the (weighted) mean over samples, else the sum
  double l2 = 0;     // adds l2/2 · Σ W² to every batch's loss
  // l2 divided by each batch's total row weight (its row count without sample weights), as
  // scikit-learn's alpha: then a smaller last batch is penalised as much per row as the rest
  bool l2_per_sample = false;
  index_t batch_size = 0;  // 0 or ≥ n: full batch
  bool shuffle = true;
  uint64_t seed = 0;  // with the epoch's number, fixes its shuffle and dropout masks
};

struct EpochResult {
  double loss;      // the mean of the batches' losses, weighted by their size (sum: total)
  double penalty;   // the L2 terms' share of loss, averaged the same way
  double accuracy;  // the fraction of rows predicted right before each update; NaN for
                    // the regression losses
};

// The scale that makes a batch's summed loss its mean: over the (weighted) rows for
// cross-entropy, over rows × outputs for the elementwise losses; 0 for zero total weight.
template <class T>
double mean_scale(Loss loss, const Network<T>& net, const TrainingSet<T>& batch);

enum class StopReason { finished, diverged, interrupted };

struct TrainResult {
  std::vector<EpochResult> epochs;
  StopReason stop = StopReason::finished;
};

// Trains learning_rates.size() epochs, the e-th with learning_rates[e], numbering them from
// first_epoch (which seeds each epoch's randomness, so training in several calls gives the
// same result as in one). Every 100 ms or so, before an epoch (not the first) or between two
// of its steps, it calls interrupted(); true stops, undoing the epoch in progress if it had
// begun. An epoch whose loss or resulting parameters are not finite is undone (parameters
// and optimizer state as before it) and stops training with StopReason::diverged.
template <class T>
TrainResult train(Network<T>& net, Optimizer<T>& optimizer, const TrainingSet<T>& data,
                  const TrainOptions& options, const std::vector<double>& learning_rates,
                  long long first_epoch, const std::function<bool()>& interrupted);

}  // namespace fastmlp
