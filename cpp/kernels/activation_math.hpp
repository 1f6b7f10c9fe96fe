// Each activation as a pair of scalar functions, value and derivative, with PyTorch's
// definitions (NaN propagates; derivatives at a kink take the left/zero branch as torch does).
// Included only by per-ISA kernel files, inside their namespace fastmlp::<isa>, so that every
// ISA gets its own copy compiled with its own flags (see kernel_table.hpp).
#pragma once

#ifndef FASTMLP_ISA_NAMESPACE
#error "include this only from a kernels_<isa>.cpp"
#endif

#include <cmath>

#include "kernels/kernel_table.hpp"

namespace fastmlp::FASTMLP_ISA_NAMESPACE {

struct IdentityAct {
  template <class T> static T value(T x, T) { return x; }
  template <class T> static T derivative(T, T) { return T(1); }
};

struct ReluAct {
  template <class T> static T value(T x, T) { return x < T(0) ? T(0) : x; }
  // x ≤ 0 → 0 else 1, so NaN passes dy through, as torch's threshold_backward
  template <class T> static T derivative(T x, T) { return x <= T(0) ? T(0) : T(1); }
};

struct LeakyReluAct {  // param: the slope for x < 0
  template <class T> static T value(T x, T slope) { return x > T(0) ? x : slope * x; }
  template <class T> static T derivative(T x, T slope) { return x > T(0) ? T(1) : slope; }
};

template <class T>
T logistic(T x) {  // 1/(1+e^-x) without overflow for large |x|
  if (x >= T(0)) return T(1) / (T(1) + std::exp(-x));
  const T e = std::exp(x);
  return e / (T(1) + e);
}

struct SigmoidAct {
  template <class T> static T value(T x, T) { return logistic(x); }
  template <class T> static T derivative(T x, T) {
    const T s = logistic(x);
    return s * (T(1) - s);
  }
};

struct TanhAct {
  template <class T> static T value(T x, T) { return std::tanh(x); }
  template <class T> static T derivative(T x, T) {
    const T t = std::tanh(x);
    return T(1) - t * t;
  }
};

struct EluAct {  // param: alpha, the limit for x → −∞ is −alpha
  template <class T> static T value(T x, T alpha) { return x > T(0) ? x : alpha * std::expm1(x); }
  template <class T> static T derivative(T x, T alpha) {
    return x <= T(0) ? alpha * std::exp(x) : T(1);  // NaN → 1, as torch
  }
};

struct GeluAct {  // x·Φ(x), Φ the standard normal CDF
  template <class T> static T value(T x, T) {
    return T(0.5) * x * std::erfc(-x * T(0.70710678118654752440));
  }
  template <class T> static T derivative(T x, T) {
    const T cdf = T(0.5) * std::erfc(-x * T(0.70710678118654752440));
    const T pdf = T(0.39894228040143267794) * std::exp(T(-0.5) * x * x);
    return cdf + x * pdf;
  }
};

struct GeluTanhAct {  // 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), Hendrycks & Gimpel 2016
  static constexpr double k0 = 0.79788456080286535588, k1 = 0.044715;
  template <class T> static T value(T x, T) {
    return T(0.5) * x * (T(1) + std::tanh(T(k0) * (x + T(k1) * x * x * x)));
  }
  template <class T> static T derivative(T x, T) {
    const T t = std::tanh(T(k0) * (x + T(k1) * x * x * x));
    const T dinner = T(k0) * (T(1) + T(3 * k1) * x * x);
    return T(0.5) * (T(1) + t) + T(0.5) * x * (T(1) - t * t) * dinner;
  }
};

struct SiluAct {  // x·σ(x), also called swish
  template <class T> static T value(T x, T) { return x * logistic(x); }
  template <class T> static T derivative(T x, T) {
    const T s = logistic(x);
    return s * (T(1) + x * (T(1) - s));
  }
};

struct SoftplusAct {  // log(1 + e^x) = max(x, 0) + log1p(e^−|x|), exact for large |x|
  template <class T> static T value(T x, T) {
    return (x > T(0) ? x : T(0)) + std::log1p(std::exp(-std::fabs(x)));
  }
  template <class T> static T derivative(T x, T) { return logistic(x); }
};

// Calls f(ActivationStruct{}) for the runtime kind, so loops are compiled once per kind and
// the switch runs once per call, not once per element.
template <class F>
void with_activation(Activation kind, F&& f) {
  switch (kind) {
    case Activation::identity: return f(IdentityAct{});
    case Activation::relu: return f(ReluAct{});
    case Activation::leaky_relu: return f(LeakyReluAct{});
    case Activation::sigmoid: return f(SigmoidAct{});
    case Activation::tanh: return f(TanhAct{});
    case Activation::elu: return f(EluAct{});
    case Activation::gelu: return f(GeluAct{});
    case Activation::gelu_tanh: return f(GeluTanhAct{});
    case Activation::silu: return f(SiluAct{});
    case Activation::softplus: return f(SoftplusAct{});
  }
}

}  // namespace fastmlp::FASTMLP_ISA_NAMESPACE
