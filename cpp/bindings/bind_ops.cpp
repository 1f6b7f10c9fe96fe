// The kernels on numpy arrays: the compiled side of fastmlp.ops. Each function checks its
// arrays (bindings/arrays.hpp), then releases the GIL for the compute (GilReleaseFor).
#include "bindings/pybind11.hpp"

#include <cstdint>

#include "bindings/arrays.hpp"
#include "kernels/dispatch.hpp"
#include "kernels/gemm_reference.hpp"
#include "net/all_finite.hpp"

namespace fastmlp {
namespace {

template <class T>
void run_gemm(const GemmArgs<T>& args, bool reference) {
  GilReleaseFor release(2.0 * double(args.m) * double(args.n) * double(args.k));
  if (reference) {
    gemm_reference(args);
  } else {
    kernels().typed<T>().gemm(args);
  }
}

py::array matmul(const py::object& a_in, const py::object& b_in, bool trans_a, bool trans_b,
                 double alpha, double beta, const py::object& out, bool sparse_a, bool reference) {
  finite_scalar("matmul", "alpha", alpha);
  finite_scalar("matmul", "beta", beta);
  const std::vector<py::array> inputs = as_float_arrays("matmul", {{"a", a_in}, {"b", b_in}});
  const py::array &a = inputs[0], &b = inputs[1];
  return with_float_dtype("matmul: a", a, [&](auto zero) -> py::array {
    using T = decltype(zero);
    check_array<T>("matmul: a", a, 2);
    check_array<T>("matmul: b", b, 2);
    GemmArgs<T> g;
    g.trans_a = trans_a;
    g.trans_b = trans_b;
    g.m = a.shape(trans_a ? 1 : 0);
    g.k = a.shape(trans_a ? 0 : 1);
    g.n = b.shape(trans_b ? 0 : 1);
    const index_t k_b = b.shape(trans_b ? 1 : 0);
    if (g.k != k_b) {
      throw py::value_error(
          "matmul: op(a) is " + std::to_string(g.m) + "×" + std::to_string(g.k) +
          " but op(b) has " + std::to_string(k_b) + " rows (a.shape=" + shape_string(a) +
          ", trans_a=" + (trans_a ? "True" : "False") + "; b.shape=" + shape_string(b) +
          ", trans_b=" + (trans_b ? "True" : "False") + ")");
    }
    auto c = output_array<T>("matmul", out, {g.m, g.n}, {&a, &b});
    g.alpha = T(alpha);
    g.beta = out.is_none() ? T(0) : T(beta);  // a new array has no old values to keep
    g.a = static_cast<const T*>(a.data());
    g.lda = a.shape(1);
    g.b = static_cast<const T*>(b.data());
    g.ldb = b.shape(1);
    g.c = c.mutable_data();
    g.ldc = g.n;
    g.sparse_a = sparse_a;
    run_gemm(g, reference);
    return std::move(c);
  });
}

py::array linear(const py::array& x, const py::array& weight, const py::object& bias,
                 Activation activation, double activation_param, const py::object& out,
                 bool sparse_x) {
  return with_float_dtype("linear: x", x, [&](auto zero) -> py::array {
    using T = decltype(zero);
    check_array<T>("linear: x", x, 2);
    check_array<T>("linear: weight", weight, 2);
    if (x.shape(1) != weight.shape(1)) {
      throw py::value_error("linear: x has " + std::to_string(x.shape(1)) +
                            " features but weight " + shape_string(weight) + " expects " +
                            std::to_string(weight.shape(1)));
    }
    GemmArgs<T> g;
    g.trans_b = true;
    g.m = x.shape(0);
    g.n = weight.shape(0);
    g.k = x.shape(1);
    std::vector<const py::array*> inputs{&x, &weight};
    py::array bias_array;
    if (!bias.is_none()) {
      bias_array = py::reinterpret_borrow<py::array>(bias);
      check_array<T>("linear: bias", bias_array, 1);
      if (bias_array.shape(0) != g.n) {
        throw py::value_error("linear: bias must have shape (" + std::to_string(g.n) +
                              ",) to match weight " + shape_string(weight) + ", got " +
                              shape_string(bias_array));
      }
      g.bias = static_cast<const T*>(bias_array.data());
      inputs.push_back(&bias_array);
    }
    auto y = output_array<T>("linear", out, {g.m, g.n}, inputs);
    g.a = static_cast<const T*>(x.data());
    g.lda = g.k;
    g.b = static_cast<const T*>(weight.data());
    g.ldb = g.k;
    g.c = y.mutable_data();
    g.ldc = g.n;
    g.activation = activation;
    g.activation_param = T(activation_param);
    g.sparse_a = sparse_x;
    run_gemm(g, false);
    return std::move(y);
  });
}

// Whether a C-contiguous, aligned float32/float64 array holds only finite numbers (_arrays.
// as_finite's check: X, targets, sample weights, weights set from Python): one pass, without
// the bool per element np.isfinite(x).all() makes.
// as_finite on 4,000×40 floats 15.9 → 10.3 µs, on 200,000×100 (80 MB) 3.98 → 2.19 ms.
bool all_finite_array(const py::array& a) {
  return with_float_dtype("all_finite: a", a, [&](auto zero) {
    using T = decltype(zero);
    check_array<T>("all_finite: a", a, -1);
    const T* values = static_cast<const T*>(a.data());
    GilReleaseFor release(double(a.size()));
    return all_finite(values, a.size());
  });
}

py::array activation_forward(Activation kind, const py::array& x, double param,
                             const py::object& out) {
  return with_float_dtype("x", x, [&](auto zero) -> py::array {
    using T = decltype(zero);
    check_array<T>("x", x, -1);
    auto y = output_array<T>("activation", out,
                             std::vector<py::ssize_t>(x.shape(), x.shape() + x.ndim()), {&x});
    const T* src = static_cast<const T*>(x.data());
    T* dst = y.mutable_data();
    GilReleaseFor release(double(x.size()));
    kernels().typed<T>().activation_forward(kind, T(param), x.size(), src, dst);
    return std::move(y);
  });
}

py::array activation_backward(Activation kind, const py::array& x, const py::array& dy,
                              double param, const py::object& out) {
  return with_float_dtype("x", x, [&](auto zero) -> py::array {
    using T = decltype(zero);
    check_array<T>("x", x, -1);
    check_array<T>("dy", dy, x.ndim());
    const std::vector<py::ssize_t> shape(x.shape(), x.shape() + x.ndim());
    if (std::vector<py::ssize_t>(dy.shape(), dy.shape() + dy.ndim()) != shape) {
      throw py::value_error("dy must have the shape of x " + shape_string(x) + ", got " +
                            shape_string(dy));
    }
    auto dx = output_array<T>("activation backward", out, shape, {&x, &dy});
    const T* x_data = static_cast<const T*>(x.data());
    const T* dy_data = static_cast<const T*>(dy.data());
    T* dx_data = dx.mutable_data();
    GilReleaseFor release(double(x.size()));
    kernels().typed<T>().activation_backward(kind, T(param), x.size(), x_data, dy_data, dx_data);
    return std::move(dx);
  });
}

py::tuple least_squares(const py::array& pred, const py::array& target, double scale) {
  return with_float_dtype("pred", pred, [&](auto zero) -> py::tuple {
    using T = decltype(zero);
    check_array<T>("pred", pred, 2);
    check_array<T>("target", target, 2);
    if (target.shape(0) != pred.shape(0) || target.shape(1) != pred.shape(1)) {
      throw py::value_error("target must have the shape of pred " + shape_string(pred) + ", got " +
                            shape_string(target));
    }
    py::array_t<T> dpred({pred.shape(0), pred.shape(1)});
    const T* p = static_cast<const T*>(pred.data());
    const T* t = static_cast<const T*>(target.data());
    T* d = dpred.mutable_data();
    double loss;
    {
      GilReleaseFor release(double(pred.size()));
      loss =
          kernels().typed<T>().least_squares(pred.shape(0), pred.shape(1), p, t, nullptr, d, scale);
    }
    return py::make_tuple(loss, dpred);
  });
}

py::tuple softmax_cross_entropy(const py::array& logits, const py::array& labels, double scale) {
  return with_float_dtype("logits", logits, [&](auto zero) -> py::tuple {
    using T = decltype(zero);
    check_array<T>("logits", logits, 2);
    if (!py::isinstance<py::array_t<int64_t>>(labels) || labels.ndim() != 1 ||
        !(labels.flags() & py::array::c_style)) {
      throw py::type_error("labels must be a contiguous 1-D int64 array");
    }
    const index_t m = logits.shape(0), n = logits.shape(1);
    if (labels.shape(0) != m) {
      throw py::value_error("labels has " + std::to_string(labels.shape(0)) +
                            " entries but logits has " + std::to_string(m) + " rows");
    }
    const auto* y = static_cast<const int64_t*>(labels.data());
    for (index_t i = 0; i < m; ++i) {
      if (y[i] < 0 || y[i] >= n) {
        throw py::value_error("labels[" + std::to_string(i) + "] = " + std::to_string(y[i]) +
                              " is not a class index in [0, " + std::to_string(n) + ")");
      }
    }
    py::array_t<T> dlogits({m, n});
    const T* z = static_cast<const T*>(logits.data());
    T* dz = dlogits.mutable_data();
    double loss;
    {
      GilReleaseFor release(double(logits.size()));
      loss = kernels().typed<T>().softmax_cross_entropy(m, n, z, y, nullptr, dz, scale);
    }
    return py::make_tuple(loss, dlogits);
  });
}

py::array bias_gradient(const py::array& dy) {
  return with_float_dtype("dy", dy, [&](auto zero) -> py::array {
    using T = decltype(zero);
    check_array<T>("dy", dy, 2);
    py::array_t<T> db(dy.shape(1));
    const T* src = static_cast<const T*>(dy.data());
    T* dst = db.mutable_data();
    GilReleaseFor release(double(dy.size()));
    kernels().typed<T>().bias_gradient(dy.shape(0), dy.shape(1), src, dst, false);
    return std::move(db);
  });
}

py::tuple weight_gradient(const py::array& delta, const py::array& x, const py::object& out,
                          bool accumulate) {
  return with_float_dtype("delta", delta, [&](auto zero) -> py::tuple {
    using T = decltype(zero);
    check_array<T>("delta", delta, 2);
    check_array<T>("x", x, 2);
    const index_t rows = delta.shape(0), out_features = delta.shape(1), in = x.shape(1);
    if (x.shape(0) != rows) {
      throw py::value_error("x must have as many rows as delta " + shape_string(delta) +
                            ", got shape " + shape_string(x));
    }
    if (!out.is_none()) {
      const bool pair = py::isinstance<py::tuple>(out) && py::len(out) == 2;
      if (!pair || py::tuple(out)[0].is_none() || py::tuple(out)[1].is_none()) {
        // what was given, by type: (ndarray, NoneType), list
        std::string given = py::str(py::type::of(out).attr("__name__"));
        if (py::isinstance<py::tuple>(out)) {
          given = "(";
          for (const py::handle item : py::tuple(out)) {
            given += (given.size() > 1 ? ", " : "") +
                     std::string(py::str(py::type::of(item).attr("__name__")));
          }
          given += ")";
        }
        throw py::type_error("weight_gradient: out must be a tuple of two arrays (dw, db), got " +
                             given);
      }
    }
    if (accumulate && out.is_none()) {
      throw py::value_error("weight_gradient: accumulate=True adds to out=(dw, db): pass them");
    }
    const auto part = [&](int i) -> py::object {
      if (out.is_none()) return py::none();
      return py::tuple(out)[i];
    };
    py::array_t<T> dw = output_array<T>("weight_gradient", part(0), {out_features, in},
                                        {&delta, &x}, "out[0] (dw)");
    py::array_t<T> db =
        output_array<T>("weight_gradient", part(1), {out_features}, {&delta, &x}, "out[1] (db)");
    if (overlaps(dw, db)) throw py::value_error("weight_gradient: out's dw and db share memory");
    const T* d = static_cast<const T*>(delta.data());
    const T* input = static_cast<const T*>(x.data());
    T* dw_data = dw.mutable_data();
    T* db_data = db.mutable_data();
    {
      GilReleaseFor release(2.0 * double(rows) * double(out_features) * double(in));
      kernels().typed<T>().weight_gradient(rows, out_features, in, d, input, dw_data, db_data,
                                           accumulate);
    }
    return py::make_tuple(dw, db);
  });
}

}  // namespace

void register_ops(py::module_& m) {
  py::enum_<Activation>(m, "Activation")
      .value("identity", Activation::identity)
      .value("relu", Activation::relu)
      .value("leaky_relu", Activation::leaky_relu)
      .value("sigmoid", Activation::sigmoid)
      .value("tanh", Activation::tanh)
      .value("elu", Activation::elu)
      .value("gelu", Activation::gelu)
      .value("gelu_tanh", Activation::gelu_tanh)
      .value("silu", Activation::silu)
      .value("softplus", Activation::softplus);

  const auto gemm_entry = [](bool sparse_a, bool reference) {
    return [sparse_a, reference](const py::object& a, const py::object& b, bool trans_a,
                                 bool trans_b, double alpha, double beta, const py::object& out) {
      return matmul(a, b, trans_a, trans_b, alpha, beta, out, sparse_a, reference);
    };
  };
  // fastmlp.ops.matmul is this function itself: a Python wrapper would double the cost of
  // a one-sample product.
  m.def("matmul", gemm_entry(false, false), py::arg("a"), py::arg("b"), py::kw_only(),
        py::arg("trans_a") = false, py::arg("trans_b") = false, py::arg("alpha") = 1.0,
        py::arg("beta") = 0.0, py::arg("out") = py::none(), R"doc(
``alpha · op(a) · op(b) + beta · out``, where ``op(m)`` is ``m.T`` if ``trans_m``.

``a`` and ``b`` are 2-D: float32 or float64 computed natively; other real inputs (ints,
bools, lists, non-contiguous views) are converted as numpy would promote them. The result
is a new ``(m, n)`` array, or ``out``, which must then be C-contiguous, of the inputs'
dtype and not overlap them; ``beta`` only matters with ``out``. The result is bitwise the
same for any thread count. The GIL is released while the product runs.
)doc");
  m.def("gemm_reference", gemm_entry(false, true), py::arg("a"), py::arg("b"), py::kw_only(),
        py::arg("trans_a") = false, py::arg("trans_b") = false, py::arg("alpha") = 1.0,
        py::arg("beta") = 0.0, py::arg("out") = py::none(),
        "matmul in plain loops with float64 sums: the tests' oracle.");
  // The tests' handles on GemmArgs::sparse_a, as functions of their own: one more keyword
  // argument of matmul made every call 0.12 µs slower (8 % of a one-sample product).
  m.def("matmul_sparse_a", gemm_entry(true, false), py::arg("a"), py::arg("b"), py::kw_only(),
        py::arg("trans_a") = false, py::arg("trans_b") = false, py::arg("alpha") = 1.0,
        py::arg("beta") = 0.0, py::arg("out") = py::none(),
        "matmul told that a may hold many exact zeros (GemmArgs::sparse_a): its rows sum their "
        "nonzero terms only where the kernels gain by it (gemm_sparse.hpp); the same bits.");
  const auto linear_entry = [](bool sparse_x) {
    return [sparse_x](const py::array& x, const py::array& weight, const py::object& bias,
                      Activation activation, double activation_param, const py::object& out) {
      return linear(x, weight, bias, activation, activation_param, out, sparse_x);
    };
  };
  m.def("linear", linear_entry(false), py::arg("x"), py::arg("weight"), py::arg("bias"),
        py::arg("activation"), py::arg("activation_param"), py::arg("out"),
        "act(x·weightᵀ + bias), the activation fused into the GEMM's write-back.");
  m.def("linear_sparse_x", linear_entry(true), py::arg("x"), py::arg("weight"), py::arg("bias"),
        py::arg("activation"), py::arg("activation_param"), py::arg("out"),
        "linear told that x may hold many exact zeros, as matmul_sparse_a.");
  m.def("activation_forward", &activation_forward, py::arg("kind"), py::arg("x"), py::arg("param"),
        py::arg("out"));
  m.def("activation_backward", &activation_backward, py::arg("kind"), py::arg("x"), py::arg("dy"),
        py::arg("param"), py::arg("out"));
  m.def("least_squares", &least_squares, py::arg("pred"), py::arg("target"), py::arg("scale"),
        "(scale·Σ(pred−target)², its gradient with respect to pred)");
  m.def("softmax_cross_entropy", &softmax_cross_entropy, py::arg("logits"), py::arg("labels"),
        py::arg("scale"), "(scale·Σ cross-entropy of softmax(logits), its gradient)");
  m.def("all_finite", &all_finite_array, py::arg("a"),
        "Whether a C-contiguous, aligned float32/float64 array holds no NaN or infinity.");
  m.def("bias_gradient", &bias_gradient, py::arg("dy"), "Column sums of dy.");
  m.def("weight_gradient", &weight_gradient, py::arg("delta"), py::arg("x"), py::arg("out"),
        py::arg("accumulate"),
        "(deltaᵀ·x, column sums of delta): a dense layer's weight and bias gradients, written "
        "to out=(dw, db) when given, or added to them with accumulate.");
}

}  // namespace fastmlp
