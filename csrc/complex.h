// Complex numbers: the parts of a complex tensor and a complex tensor from
// two real ones. Host-only (complex tensors are CPU tensors).
#pragma once
#include "array.h"

namespace tl {

enum class ComplexPart : int { Real = 0, Imag = 1, Abs = 2, Angle = 3, Conj = 4 };

// real, imag, abs and angle give the real dtype of a's (float32 for
// complex64, float64 for complex128); conj gives a's dtype.
Array complex_part(const Array& a, ComplexPart part);
// re + i * im, broadcast; float32 gives complex64, float64 complex128.
Array make_complex(const Array& re, const Array& im);

}  // namespace tl
