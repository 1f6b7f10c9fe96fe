// The instruction sets fastmlp has kernels for, ordered from least to most capable.
#pragma once

namespace fastmlp {

enum class Isa { generic = 0, avx2 = 1, avx512 = 2 };

inline const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::avx2: return "avx2";
    case Isa::avx512: return "avx512";
    default: return "generic";
  }
}

}  // namespace fastmlp
