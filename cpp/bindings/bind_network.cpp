// The network, its optimizers and the training loop on numpy arrays: the compiled side of
// fastmlp.MLP / Sequential. Python (fastmlp/network.py) converts and validates what users
// pass; the checks here keep the compiled functions safe when called directly.
#include "bindings/pybind11.hpp"

#include <string>
#include <vector>

#include "bindings/arrays.hpp"
#include "bindings/concurrent_use.hpp"
#include "net/all_finite.hpp"
#include "net/network.hpp"
#include "net/optimizer.hpp"
#include "net/train.hpp"

namespace fastmlp {
namespace {

using LayerTuple = std::tuple<index_t, index_t, Activation, double, double>;
using Access = ConcurrentUse::Access;

// The network as Python holds it: with the guard that keeps threads from training it while
// another thread trains it or predicts with it.
template <class T>
struct GuardedNetwork : Network<T> {
  using Network<T>::Network;
  ConcurrentUse use;
};

// A writable 1-D numpy view of n values at data, kept alive by (and keeping alive) owner.
template <class T>
py::array_t<T> view(T* data, index_t n, const py::object& owner) {
  return py::array_t<T>({n}, {py::ssize_t(sizeof(T))}, data, owner);
}

template <class T>
void check_rows(const char* what, const py::array& a, index_t rows, index_t columns) {
  check_array<T>(what, a, columns < 0 ? 1 : 2);
  if (a.shape(0) != rows || (columns >= 0 && a.shape(1) != columns)) {
    throw py::value_error(std::string(what) + " must have shape (" + std::to_string(rows) +
                          (columns >= 0 ? ", " + std::to_string(columns) + ")" : ",)") + ", got " +
                          shape_string(a));
  }
}

// The network's inputs x (n, n_inputs) and the targets the loss compares with.
template <class T>
TrainingSet<T> training_set(const Network<T>& net, Loss loss, const py::array& x,
                            const py::object& targets, const py::object& sample_weight) {
  check_array<T>("x", x, 2);
  if (x.shape(1) != net.n_inputs()) {
    throw py::value_error("x has " + std::to_string(x.shape(1)) +
                          " features, the network expects " + std::to_string(net.n_inputs()));
  }
  TrainingSet<T> data;
  data.x = static_cast<const T*>(x.data());
  data.n = x.shape(0);
  const auto y = py::reinterpret_borrow<py::array>(targets);
  if (loss == Loss::cross_entropy) {
    if (!py::isinstance<py::array_t<int64_t>>(y) || y.ndim() != 1 ||
        !(y.flags() & py::array::c_style) || y.shape(0) != data.n) {
      throw py::type_error("labels must be a contiguous int64 array of shape (" +
                           std::to_string(data.n) + ",)");
    }
    const auto* labels = static_cast<const int64_t*>(y.data());
    for (index_t i = 0; i < data.n; ++i) {
      if (labels[i] < 0 || labels[i] >= net.n_outputs()) {
        throw py::value_error("labels[" + std::to_string(i) + "] = " + std::to_string(labels[i]) +
                              " is not a class index in [0, " + std::to_string(net.n_outputs()) +
                              ")");
      }
    }
    data.targets.labels = labels;
  } else {
    check_rows<T>("y", y, data.n, net.n_outputs());
    data.targets.values = static_cast<const T*>(y.data());
  }
  if (!sample_weight.is_none()) {
    const auto w = py::reinterpret_borrow<py::array>(sample_weight);
    check_rows<T>("sample_weight", w, data.n, -1);
    data.targets.row_weight = static_cast<const T*>(w.data());
  }
  return data;
}

template <class T>
void bind_network(py::module_& m, const char* name) {
  using Net = GuardedNetwork<T>;
  py::class_<Net>(m, name)
      .def(py::init([](const std::vector<LayerTuple>& specs) {
             std::vector<DenseLayer> layers;
             for (const auto& [in, out, activation, param, dropout] : specs) {
               layers.push_back({in, out, activation, param, dropout});
             }
             return new Net(std::move(layers));
           }),
           py::arg("layers"), "layers: (in, out, activation, activation_param, dropout) each")
      .def_property_readonly("n_parameters", &Net::n_parameters)
      .def_property_readonly("n_inputs", &Net::n_inputs)
      .def_property_readonly("n_outputs", &Net::n_outputs)
      .def_property_readonly(
          "parameters",
          [](py::object self) {
            Net& net = self.cast<Net&>();
            return view(net.parameters(), net.n_parameters(), self);
          },
          "The flat parameter buffer (writable view).")
      .def_property_readonly(
          "gradients",
          [](py::object self) {
            Net& net = self.cast<Net&>();
            return view(net.gradients(), net.n_parameters(), self);
          },
          "The flat gradient buffer (writable view), filled by loss_and_gradient.")
      .def(
          "offsets",
          [](const Net& net, std::size_t layer) {
            if (layer >= net.layers().size()) throw py::index_error("no such layer");
            return py::make_tuple(net.weight_offset(layer), net.bias_offset(layer));
          },
          py::arg("layer"), "(weight offset, bias offset) of a layer in the flat buffer")
      .def(
          "predict",
          [](Net& net, const py::object& x) -> py::object {
            // Only a C-contiguous, aligned ndarray of T holding one sample (n_inputs,) or a batch
            // (n, n_inputs) of finite numbers; for anything else None, and the Python layer
            // converts x or says what is wrong with it. One sample gives (n_outputs,), a batch
            // (n, n_outputs).
            if (Py_TYPE(x.ptr()) != py::detail::npy_api::get().PyArray_Type_) {
              return py::none();  // not an array, or a subclass (np.matrix, masked arrays)
            }
            const auto a = py::reinterpret_borrow<py::array>(x);
            const bool one_sample = a.ndim() == 1;
            if (!is_ready<T>(a, one_sample ? 1 : 2) || a.shape(a.ndim() - 1) != net.n_inputs()) {
              return py::none();
            }
            const py::ssize_t rows = one_sample ? 1 : a.shape(0);
            const T* input = static_cast<const T*>(a.data());
            if (!all_finite(input, rows * net.n_inputs())) return py::none();
            const ConcurrentUse::Scope scope(net.use, Access::read, "predict");
            py::array_t<T> y = one_sample ? py::array_t<T>(py::ssize_t(net.n_outputs()))
                                          : py::array_t<T>({rows, py::ssize_t(net.n_outputs())});
            T* output = y.mutable_data();
            GilReleaseFor release(2.0 * double(rows) * double(net.n_parameters()));
            if (rows > 0) net.predict(input, rows, output);
            return std::move(y);
          },
          py::arg("x"),
          "The outputs for x, one sample (n_inputs,) or a batch (n, n_inputs) as a C-contiguous, "
          "aligned array of the network's dtype, without dropout; None for any other x.")
      .def(
          "loss_and_gradient",
          [](Net& net, const py::array& x, Loss loss, const py::object& targets,
             const py::object& sample_weight, bool mean, double l2, uint64_t seed) {
            const ConcurrentUse::Scope scope(net.use, Access::write, "loss_and_gradient");
            const TrainingSet<T> data = training_set(net, loss, x, targets, sample_weight);
            py::gil_scoped_release release;
            const double scale = mean ? mean_scale(loss, net, data) : 1.0;
            return net.loss_and_gradient(data.x, data.n, data.targets, {loss, scale, l2}, seed)
                .value;
          },
          py::arg("x"), py::arg("loss"), py::arg("targets"), py::arg("sample_weight"),
          py::arg("mean"), py::arg("l2"), py::arg("seed"),
          "The mean (or sum) of the row losses + l2/2·Σ W²; its gradient goes to .gradients.")
      .def(
          "train",
          [](Net& net, Optimizer<T>& optimizer, const py::array& x, Loss loss,
             const py::object& targets, const py::object& sample_weight, bool mean, double l2,
             bool l2_per_sample, index_t batch_size, bool shuffle, uint64_t seed,
             const std::vector<double>& learning_rates, long long first_epoch,
             const py::object& stop_requested) {
            const ConcurrentUse::Scope scope(net.use, Access::write, "fit");
            if (optimizer.n_parameters() != net.n_parameters()) {
              throw py::value_error("the optimizer was made for another network");
            }
            const TrainingSet<T> data = training_set(net, loss, x, targets, sample_weight);
            TrainOptions options{loss, mean, l2, l2_per_sample, batch_size, shuffle, seed};
            // Between epochs, with the GIL: run Python's signal handlers (Ctrl-C), then ask
            // stop_requested(). A handler that raised leaves its error set, and it surfaces
            // once train returns.
            bool signalled = false;
            const auto interrupted = [&signalled, &stop_requested] {
              py::gil_scoped_acquire gil;
              signalled = signalled || PyErr_CheckSignals() != 0;
              return signalled || stop_requested().cast<bool>();
            };
            TrainResult result;
            {
              py::gil_scoped_release release;
              result =
                  train(net, optimizer, data, options, learning_rates, first_epoch, interrupted);
            }
            if (signalled) throw py::error_already_set();  // between epochs: consistent
            const auto count = py::ssize_t(result.epochs.size());
            py::array_t<double> losses(count), penalties(count), accuracies(count);
            for (py::ssize_t e = 0; e < count; ++e) {
              const EpochResult& epoch = result.epochs[std::size_t(e)];
              losses.mutable_at(e) = epoch.loss;
              penalties.mutable_at(e) = epoch.penalty;
              accuracies.mutable_at(e) = epoch.accuracy;
            }
            const char* stop = result.stop == StopReason::finished   ? "finished"
                               : result.stop == StopReason::diverged ? "diverged"
                                                                     : "interrupted";
            return py::make_tuple(losses, penalties, accuracies, stop);
          },
          py::arg("optimizer"), py::arg("x"), py::arg("loss"), py::arg("targets"),
          py::arg("sample_weight"), py::arg("mean"), py::arg("l2"), py::arg("l2_per_sample"),
          py::arg("batch_size"), py::arg("shuffle"), py::arg("seed"), py::arg("learning_rates"),
          py::arg("first_epoch"), py::arg("stop_requested"),
          "Trains one epoch per learning rate; returns (losses, penalties (the L2 terms' share "
          "of each loss), accuracies, stop reason).");
}

template <class T>
void bind_optimizer(py::module_& m, const char* name) {
  using Opt = Optimizer<T>;
  py::class_<Opt>(m, name)
      .def(py::init([](OptimizerKind kind, index_t n_parameters, double momentum, bool nesterov,
                       double weight_decay, double beta1, double beta2, double eps) {
             OptimizerSpec spec{kind, momentum, weight_decay, nesterov, beta1, beta2, eps};
             return Opt(spec, n_parameters);
           }),
           py::arg("kind"), py::arg("n_parameters"), py::arg("momentum"), py::arg("nesterov"),
           py::arg("weight_decay"), py::arg("beta1"), py::arg("beta2"), py::arg("eps"))
      .def_property("steps", &Opt::steps, &Opt::set_steps)
      .def_property_readonly("n_states", &Opt::n_states)
      .def(
          "state",
          [](py::object self, int i) {
            Opt& opt = self.cast<Opt&>();
            if (i < 0 || i >= opt.n_states()) throw py::index_error("no such state buffer");
            return view(opt.state(i).data(), opt.state(i).size(), self);
          },
          py::arg("i"), "State buffer i (velocity; or Adam's first and second moments).")
      .def(
          "step",
          [](Opt& opt, GuardedNetwork<T>& net, double lr) {
            const ConcurrentUse::Scope scope(net.use, Access::write, "step");
            if (opt.n_parameters() != net.n_parameters()) {
              throw py::value_error("the optimizer was made for another network");
            }
            py::gil_scoped_release release;
            opt.step(net.parameters(), net.gradients(), lr);
          },
          py::arg("network"), py::arg("lr"), "One update of the network from its gradients.");
}

}  // namespace

void register_network(py::module_& m) {
  py::enum_<Loss>(m, "Loss")
      .value("least_squares", Loss::least_squares)
      .value("cross_entropy", Loss::cross_entropy)
      .value("binary_cross_entropy", Loss::binary_cross_entropy)
      .value("poisson", Loss::poisson);
  py::enum_<OptimizerKind>(m, "OptimizerKind")
      .value("sgd", OptimizerKind::sgd)
      .value("adam", OptimizerKind::adam)
      .value("adamw", OptimizerKind::adamw);
  bind_network<float>(m, "NetworkF32");
  bind_network<double>(m, "NetworkF64");
  bind_optimizer<float>(m, "OptimizerF32");
  bind_optimizer<double>(m, "OptimizerF64");
}

}  // namespace fastmlp
