// 2-D and 3-D convolutions on the project's GEMM (a 2-D one is a 3-D one of
// depth 1). The output pixels of a tile of rows are unrolled into a column
// matrix (im2col: one row per output pixel, kd * kh * kw * channels-per-group
// columns), which the GEMM multiplies by the
// filter. Tiles are bounded (kColElems), so memory stays small for large
// images. The input gradient multiplies the output gradient by the
// transposed filter into such a tile and adds it back (col2im); the filter
// gradient sums col^T @ dy over the tiles. 1x1 stride-1 convolutions need no
// tile at all, and depthwise ones (one input channel per group) run direct
// loops, vectorised over channels.
#include "conv.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "cpu_kernels.h"
#include "elementwise.h"
#include "isa/table.h"
#include "matmul.h"
#include "parallel.h"

namespace tl {

void conv_out_size(const char* op, int64_t in, int64_t k, int64_t stride, int64_t dilation,
                   const std::string& padding, const int64_t* explicit_pads, int64_t* out, int64_t* pad_before,
                   int64_t* pad_after) {
  // Every sum and product of these sizes is checked: the attributes come
  // straight from the caller (tf.raw_ops, registry.apply) unchecked.
  const std::string what = std::string(op) + ": window, stride, dilation or padding";
  const int64_t span = checked_add(checked_mul(k - 1, dilation, what), 1, what);  // the dilated window
  if (padding == "SAME") {
    *out = checked_add(in, stride - 1, what) / stride;
    const int64_t total = std::max<int64_t>(checked_add(checked_mul(*out - 1, stride, what), span - in, what), 0);
    *pad_before = total / 2;
    *pad_after = total - total / 2;
    return;
  }
  int64_t p0 = 0, p1 = 0;
  if (padding == "EXPLICIT") p0 = explicit_pads[0], p1 = explicit_pads[1];
  else if (padding != "VALID")
    throw InvalidArgument(std::string(op) + ": padding must be 'SAME', 'VALID' or explicit pads, got '" + padding +
                          "'");
  if (p0 < 0 || p1 < 0) throw InvalidArgument(std::string(op) + ": explicit pads must be >= 0");
  const int64_t padded = checked_add(checked_add(in, p0, what), p1, what);
  if (padded < span)
    throw InvalidArgument(std::string(op) + ": the window (" + std::to_string(span) +
                          " with dilation) is larger than the padded input (" + std::to_string(padded) +
                          "); use padding='SAME' or a larger input");
  *out = (padded - span) / stride + 1;
  *pad_before = p0;
  *pad_after = p1;
}

namespace {
std::string tuple_str(const std::vector<int64_t>& v) {
  std::string s = "(";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + ")";
}
}  // namespace

void conv_fill_geometry(const char* op, ConvGeom* g, const std::vector<int64_t>& strides,
                        const std::vector<int64_t>& dilations, const std::string& padding,
                        const std::vector<int64_t>& pads) {
  const size_t r = strides.size();
  if ((r != 2 && r != 3) || dilations.size() != r)
    throw InvalidArgument(std::string(op) + ": strides and dilations must have 2 values (height, width), or 3 "
                          "(depth, height, width), got strides " + tuple_str(strides) + ", dilations " +
                          tuple_str(dilations));
  for (size_t i = 0; i < r; ++i)
    if (strides[i] < 1 || dilations[i] < 1)
      throw InvalidArgument(std::string(op) + ": strides and dilations must be >= 1, got strides " +
                            tuple_str(strides) + ", dilations " + tuple_str(dilations));
  if (padding == "EXPLICIT" && pads.size() != 2 * r)
    throw InvalidArgument(std::string(op) + (r == 2 ? ": explicit padding needs 4 values (top, bottom, left, right)"
                                                    : ": explicit padding needs 6 values (front, back, top, bottom, "
                                                      "left, right)"));
  if (r == 2) g->d = g->kd = 1;
  if (g->kd < 1 || g->kh < 1 || g->kw < 1)
    throw InvalidArgument(std::string(op) + ": the window must be at least 1 along every axis");
  const bool ex = padding == "EXPLICIT";
  const size_t o = r - 2;  // 1 when the first values are the depth's
  if (r == 3) {
    g->sd = strides[0], g->dd = dilations[0];
    conv_out_size(op, g->d, g->kd, g->sd, g->dd, padding, pads.data(), &g->od, &g->pf, &g->pk);
  } else {
    g->od = g->sd = g->dd = 1, g->pf = g->pk = 0;
  }
  g->sh = strides[o], g->sw = strides[o + 1], g->dh = dilations[o], g->dw = dilations[o + 1];
  conv_out_size(op, g->h, g->kh, g->sh, g->dh, padding, pads.data() + (ex ? 2 * o : 0), &g->oh, &g->pt, &g->pb);
  conv_out_size(op, g->w, g->kw, g->sw, g->dw, padding, pads.data() + (ex ? 2 * o + 2 : 0), &g->ow, &g->pl,
                &g->pr);
  // The kernels' work and index products (batch x output pixels x window x
  // channels, in any order and any subset) must fit in int64.
  int64_t work = 1;
  for (int64_t f : {g->n, g->od, g->oh, g->ow, g->kd, g->kh, g->kw, std::max(g->c, g->o)})
    work = checked_mul(work, std::max<int64_t>(f, 1), std::string(op) + ": batch x output pixels x window x channels");
}

bool channels_first(const char* op, const std::string& data_format) {
  if (data_format == "NHWC") return false;
  if (data_format == "NCHW") return true;
  throw InvalidArgument(std::string(op) + ": data_format must be 'NHWC' or 'NCHW', got '" + data_format + "'");
}

namespace {

// Column tiles hold at most this many elements (16 MiB of float32).
constexpr int64_t kColElems = int64_t{1} << 22;

bool pointwise(const ConvGeom& g) {
  return g.window() == 1 && g.sd == 1 && g.sh == 1 && g.sw == 1 && g.pt == 0 && g.pl == 0 && g.pb == 0 &&
         g.pr == 0 && g.pf == 0 && g.pk == 0 && g.groups == 1;
}

// The direct depthwise loops are 2-D only; 3-D ones go through the GEMM by group.
bool depthwise(const ConvGeom& g) { return g.cg() == 1 && g.groups > 1 && g.d == 1 && g.kd == 1 && g.od == 1; }

int64_t tile_rows(const ConvGeom& g) {
  const int64_t k = g.window() * g.cg();
  return std::max<int64_t>(1, std::min(g.n * g.out_pixels(), kColElems / k));
}

// Rows of a column tile that one thread fills and multiplies while it stays
// in its cache (half of L2), at least 16 and, for threads to share the work,
// at most an eighth of the rows per thread.
int64_t cache_col_bytes() { return cpu_caches().l2 / 2; }

int64_t cache_tile_rows(const ConvGeom& g, int64_t m, int64_t itemsize = 4) {
  const int64_t k = g.window() * g.cg();
  const int64_t fit = cache_col_bytes() / (k * itemsize);
  const int64_t share = (m + 8 * num_threads() - 1) / (8 * num_threads());
  return std::max<int64_t>(16, std::min(fit, share));
}

// Per-thread scratch, kept between calls, 64-byte aligned.
template <typename T>
T* scratch(std::vector<char>& buf, int64_t count) {
  const size_t need = static_cast<size_t>(count) * sizeof(T) + 64;
  if (buf.size() < need) buf.resize(need);
  const auto p = reinterpret_cast<uintptr_t>(buf.data());
  return reinterpret_cast<T*>((p + 63) & ~uintptr_t(63));
}

// col (rows r0..r1 of the output pixels, K = kd*kh*kw*cg columns) from
// channels c0 .. c0 + cg of x; zeros where the window lies in the padding.
template <typename T>
void im2col(T* col, const T* x, const ConvGeom& g, int64_t r0, int64_t r1, int64_t c0) {
  const int64_t cg = g.cg(), plane = g.kh * g.kw * cg, K = g.kd * plane, ohw = g.oh * g.ow;
  parallel_for(r1 - r0, (r1 - r0) * K, [&](int64_t a, int64_t b) {
    // The pixel's indices advance with the row (no divisions per row).
    int64_t nd = (r0 + a) / ohw, oh = (r0 + a) % ohw / g.ow, ow = (r0 + a) % g.ow;
    int64_t n = nd / g.od, od = nd % g.od;
    for (int64_t r = r0 + a; r < r0 + b; ++r) {
      const int64_t iw0 = ow * g.sw - g.pl;
      T* dst = col + (r - r0) * K;
      for (int64_t e = 0; e < g.kd; ++e) {
        const int64_t id = od * g.sd - g.pf + e * g.dd;
        if (id < 0 || id >= g.d) {
          std::fill(dst, dst + plane, T(0));
          dst += plane;
          continue;
        }
        const T* img = x + (n * g.d + id) * g.h * g.w * g.c + c0;
        for (int64_t i = 0; i < g.kh; ++i) {
          const int64_t ih = oh * g.sh - g.pt + i * g.dh;
          if (ih < 0 || ih >= g.h) {
            std::fill(dst, dst + g.kw * cg, T(0));
            dst += g.kw * cg;
            continue;
          }
          const T* row = img + ih * g.w * g.c;
          for (int64_t j = 0; j < g.kw; ++j, dst += cg) {
            const int64_t iw = iw0 + j * g.dw;  // not stepped past the last tap: a huge dilation would overflow
            if (iw < 0 || iw >= g.w) std::fill(dst, dst + cg, T(0));
            else if (cg == 1) *dst = row[iw * g.c];
            else if (cg >= 16) std::memcpy(dst, row + iw * g.c, cg * sizeof(T));
            else
              for (int64_t c = 0; c < cg; ++c) dst[c] = row[iw * g.c + c];  // a call per few bytes costs more
          }
        }
      }
      if (++ow == g.ow) {
        ow = 0;
        if (++oh == g.oh) {
          oh = 0;
          if (++od == g.od) od = 0, ++n;
        }
      }
    }
  });
}

// dx[.., c0 + cc] += col for rows r0..r1, channels cc in [a, b) of the group.
template <typename T>
void col2im_rows(T* dx, const T* col, const ConvGeom& g, int64_t r0, int64_t r1, int64_t rb, int64_t c0, int64_t a,
                 int64_t b) {
  const int64_t cg = g.cg(), K = g.window() * cg, ohw = g.oh * g.ow;
  for (int64_t r = r0; r < r1; ++r) {
    const int64_t nd = r / ohw, oh = r % ohw / g.ow, ow = r % g.ow, n = nd / g.od, od = nd % g.od;
    const T* src = col + (r - rb) * K;
    for (int64_t e = 0; e < g.kd; ++e) {
      const int64_t id = od * g.sd - g.pf + e * g.dd;
      for (int64_t i = 0; i < g.kh; ++i) {
        const int64_t ih = oh * g.sh - g.pt + i * g.dh;
        for (int64_t j = 0; j < g.kw; ++j, src += cg) {
          const int64_t iw = ow * g.sw - g.pl + j * g.dw;
          if (id < 0 || id >= g.d || ih < 0 || ih >= g.h || iw < 0 || iw >= g.w) continue;
          T* d = dx + (((n * g.d + id) * g.h + ih) * g.w + iw) * g.c + c0;
          for (int64_t cc = a; cc < b; ++cc) d[cc] += src[cc];
        }
      }
    }
  }
}

// Adds a column tile (rows r0..r1) back into dx. Rows of different images
// never touch the same input pixel, so threads take whole images; a tile
// within one image splits its channels instead.
template <typename T>
void col2im(T* dx, const T* col, const ConvGeom& g, int64_t r0, int64_t r1, int64_t c0) {
  const int64_t ohw = g.out_pixels(), n0 = r0 / ohw, n1 = (r1 - 1) / ohw + 1;
  const int64_t cg = g.cg(), work = (r1 - r0) * g.window() * cg;
  if (n1 - n0 >= 2) {
    parallel_for(n1 - n0, work, [&](int64_t a, int64_t b) {
      col2im_rows(dx, col, g, std::max(r0, (n0 + a) * ohw), std::min(r1, (n0 + b) * ohw), r0, c0, 0, cg);
    });
  } else {
    const int64_t blocks = (cg + 15) / 16;
    parallel_for(blocks, work, [&](int64_t a, int64_t b) {
      col2im_rows(dx, col, g, r0, r1, r0, c0, a * 16, std::min(cg, b * 16));
    });
  }
}

// ---- depthwise: one input channel per group, mult = og outputs each ----

// out = act(out + bias) over one pixel's channels (bias may be null; act 1: relu).
template <typename T>
void epilogue(T* o, int64_t n, const T* bias, int act) {
  if (bias)
    for (int64_t c = 0; c < n; ++c) o[c] += bias[c];
  if (act)
    for (int64_t c = 0; c < n; ++c) o[c] = o[c] > T(0) ? o[c] : (o[c] != o[c] ? o[c] : T(0));
}

template <typename T>
void depthwise_fwd(T* out, const T* x, const T* w, const T* bias, int act, const ConvGeom& g) {
  const int64_t M = g.og(), O = g.o;
  parallel_for(g.n * g.oh, g.n * g.oh * g.ow * g.kh * g.kw * O, [&](int64_t a, int64_t b) {
    for (int64_t u = a; u < b; ++u) {
      const int64_t n = u / g.oh, oh = u % g.oh;
      for (int64_t ow = 0; ow < g.ow; ++ow) {
        T* o = out + ((n * g.oh + oh) * g.ow + ow) * O;
        std::fill(o, o + O, T(0));
        for (int64_t i = 0; i < g.kh; ++i) {
          const int64_t ih = oh * g.sh - g.pt + i * g.dh;
          if (ih < 0 || ih >= g.h) continue;
          for (int64_t j = 0; j < g.kw; ++j) {
            const int64_t iw = ow * g.sw - g.pl + j * g.dw;
            if (iw < 0 || iw >= g.w) continue;
            const T* xp = x + ((n * g.h + ih) * g.w + iw) * g.c;
            const T* wp = w + (i * g.kw + j) * O;
            if (M == 1)
              for (int64_t c = 0; c < O; ++c) o[c] += xp[c] * wp[c];
            else
              for (int64_t c = 0; c < g.c; ++c)
                for (int64_t m = 0; m < M; ++m) o[c * M + m] += xp[c] * wp[c * M + m];
          }
        }
        epilogue(o, O, bias, act);
      }
    }
  });
}

// Gathers into each input pixel from the outputs whose windows cover it.
template <typename T>
void depthwise_bwd_input(T* dx, const T* w, const T* dy, const ConvGeom& g) {
  const int64_t M = g.og(), O = g.o;
  parallel_for(g.n * g.h, g.n * g.h * g.w * g.kh * g.kw * O, [&](int64_t a, int64_t b) {
    for (int64_t u = a; u < b; ++u) {
      const int64_t n = u / g.h, ih = u % g.h;
      for (int64_t iw = 0; iw < g.w; ++iw) {
        T* d = dx + ((n * g.h + ih) * g.w + iw) * g.c;
        std::fill(d, d + g.c, T(0));
        for (int64_t i = 0; i < g.kh; ++i) {
          const int64_t th = ih + g.pt - i * g.dh;
          if (th < 0 || th % g.sh || th / g.sh >= g.oh) continue;
          for (int64_t j = 0; j < g.kw; ++j) {
            const int64_t tw = iw + g.pl - j * g.dw;
            if (tw < 0 || tw % g.sw || tw / g.sw >= g.ow) continue;
            const T* dp = dy + ((n * g.oh + th / g.sh) * g.ow + tw / g.sw) * O;
            const T* wp = w + (i * g.kw + j) * O;
            if (M == 1)
              for (int64_t c = 0; c < O; ++c) d[c] += dp[c] * wp[c];
            else
              for (int64_t c = 0; c < g.c; ++c)
                for (int64_t m = 0; m < M; ++m) d[c] += dp[c * M + m] * wp[c * M + m];
          }
        }
      }
    }
  });
}

// Per-part partial sums over output rows, added in a fixed order.
template <typename T>
void depthwise_bwd_filter(T* dw, const T* x, const T* dy, const ConvGeom& g) {
  const int64_t M = g.og(), O = g.o, KO = g.kh * g.kw * O, rows = g.n * g.oh;
  const int64_t parts = std::max<int64_t>(1, std::min<int64_t>(num_threads(), rows));
  std::vector<T> partial(static_cast<size_t>(parts * KO), T(0));
  parallel_for(parts, rows * g.ow * KO, [&](int64_t a, int64_t b) {
    for (int64_t p = a; p < b; ++p) {
      T* acc = partial.data() + p * KO;
      for (int64_t u = rows * p / parts; u < rows * (p + 1) / parts; ++u) {
        const int64_t n = u / g.oh, oh = u % g.oh;
        for (int64_t ow = 0; ow < g.ow; ++ow) {
          const T* dp = dy + ((n * g.oh + oh) * g.ow + ow) * O;
          for (int64_t i = 0; i < g.kh; ++i) {
            const int64_t ih = oh * g.sh - g.pt + i * g.dh;
            if (ih < 0 || ih >= g.h) continue;
            for (int64_t j = 0; j < g.kw; ++j) {
              const int64_t iw = ow * g.sw - g.pl + j * g.dw;
              if (iw < 0 || iw >= g.w) continue;
              const T* xp = x + ((n * g.h + ih) * g.w + iw) * g.c;
              T* ap = acc + (i * g.kw + j) * O;
              if (M == 1)
                for (int64_t c = 0; c < O; ++c) ap[c] += xp[c] * dp[c];
              else
                for (int64_t c = 0; c < g.c; ++c)
                  for (int64_t m = 0; m < M; ++m) ap[c * M + m] += xp[c] * dp[c * M + m];
            }
          }
        }
      }
    }
  });
  std::fill(dw, dw + KO, T(0));
  for (int64_t p = 0; p < parts; ++p)
    for (int64_t e = 0; e < KO; ++e) dw[e] += partial[p * KO + e];
}

// ---- through the GEMM ----

// Filter (kh, kw, cg, o): row p = (i*kw + j)*cg + cc, column o at w[p*o + o].
// bias (o values, or null) and act (1: relu) are applied as the GEMM writes.
template <typename T>
void fwd(T* out, const T* x, const T* w, const T* bias, int act, const ConvGeom& g) {
  if (depthwise(g)) return depthwise_fwd(out, x, w, bias, act, g);
  const int64_t M = g.n * g.out_pixels(), O = g.o, cg = g.cg(), og = g.og(), K = g.window() * cg;
  if (pointwise(g)) return gemm_strided(M, O, g.c, x, g.c, 1, w, O, 1, out, O, false, bias, act);
  // Each thread takes whole tiles: its own im2col (kept in its cache) and a
  // GEMM on one thread, with no barrier between the two.
  const int64_t rows = cache_tile_rows(g, M, sizeof(T));
  const int64_t tiles = (M + rows - 1) / rows;
  parallel_for(tiles, M * K * og * g.groups, [&](int64_t t0, int64_t t1) {
    thread_local std::vector<char> buf;
    T* col = scratch<T>(buf, rows * K);
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t r0 = t * rows, r1 = std::min(M, r0 + rows);
      for (int64_t gi = 0; gi < g.groups; ++gi) {
        im2col(col, x, g, r0, r1, gi * cg);
        gemm_strided(r1 - r0, og, K, col, K, 1, w + gi * og, O, 1, out + r0 * O + gi * og, O, false,
                     bias ? bias + gi * og : nullptr, act);
      }
    }
  });
}

// With unit strides the input gradient is itself a convolution: of dy,
// padded by span - 1 - pad, with the filter turned half a turn and its
// channel axes swapped. It runs as the forward pass does (a GEMM with a long
// k, no scatter); false when the padding does not allow it, or when the
// input has few channels per group (they become the GEMM's columns, and the
// columns of dy would outweigh the product).
template <typename T>
bool bwd_input_as_conv(T* dx, const T* w, const T* dy, const ConvGeom& g) {
  if (g.sd != 1 || g.sh != 1 || g.sw != 1 || g.cg() < 16) return false;
  ConvGeom t = g;
  t.d = g.od, t.h = g.oh, t.w = g.ow, t.c = g.o, t.o = g.c, t.od = g.d, t.oh = g.h, t.ow = g.w;
  t.pf = (g.kd - 1) * g.dd - g.pf, t.pt = (g.kh - 1) * g.dh - g.pt, t.pl = (g.kw - 1) * g.dw - g.pl;
  t.pk = g.d + (g.kd - 1) * g.dd - g.od - t.pf;
  t.pb = g.h + (g.kh - 1) * g.dh - g.oh - t.pt, t.pr = g.w + (g.kw - 1) * g.dw - g.ow - t.pl;
  if (t.pf < 0 || t.pt < 0 || t.pl < 0) return false;
  const int64_t cg = g.cg(), og = g.og(), win = g.window();
  std::vector<T> wt(static_cast<size_t>(win * og * g.c));
  // Window position q turned half a turn is win - 1 - q (along every axis at once).
  for (int64_t q = 0; q < win; ++q)
    for (int64_t ol = 0; ol < og; ++ol)
      for (int64_t c = 0; c < g.c; ++c) {
        const int64_t gi = c / cg, cl = c % cg;
        wt[(q * og + ol) * g.c + c] = w[((win - 1 - q) * cg + cl) * g.o + gi * og + ol];
      }
  fwd(dx, dy, wt.data(), static_cast<const T*>(nullptr), 0, t);
  return true;
}

template <typename T>
void bwd_input(T* dx, const T* w, const T* dy, const ConvGeom& g) {
  if (depthwise(g)) return depthwise_bwd_input(dx, w, dy, g);
  const int64_t M = g.n * g.out_pixels(), O = g.o, cg = g.cg(), og = g.og(), K = g.window() * cg;
  // dx (M, C) = dy (M, O) @ w^T.
  if (pointwise(g)) return gemm_strided(M, g.c, O, dy, O, 1, w, 1, O, dx, g.c, false);
  if (bwd_input_as_conv(dx, w, dy, g)) return;
  std::fill(dx, dx + g.n * g.d * g.h * g.w * g.c, T(0));
  const int64_t rows = tile_rows(g);
  std::vector<T> col(static_cast<size_t>(rows * K));
  for (int64_t r0 = 0; r0 < M; r0 += rows) {
    const int64_t r1 = std::min(M, r0 + rows);
    for (int64_t gi = 0; gi < g.groups; ++gi) {
      gemm_strided(r1 - r0, K, og, dy + r0 * O + gi * og, O, 1, w + gi * og, 1, O, col.data(), K, false);
      col2im(dx, col.data(), g, r0, r1, gi * cg);
    }
  }
}

// dw = sum over the output pixels of col^T @ dy: the pixels are split among
// the threads (each with its own column tile and partial dw, the GEMM inside
// on one thread), and the partials added in a fixed order. dw is small next to
// the columns, so this beats one GEMM with a long k shared by all threads.
template <typename T>
void bwd_filter(T* dw, const T* x, const T* dy, const ConvGeom& g) {
  if (depthwise(g)) return depthwise_bwd_filter(dw, x, dy, g);
  const int64_t M = g.n * g.out_pixels(), O = g.o, cg = g.cg(), og = g.og(), K = g.window() * cg;
  const int64_t KO = K * O;
  const int64_t parts = std::max<int64_t>(1, std::min<int64_t>(num_threads(), M / 64));
  // Tiles twice the forward's: each adds its product to the partial (a longer k per GEMM).
  const int64_t rows = std::max<int64_t>(64, 2 * cache_col_bytes() / (K * static_cast<int64_t>(sizeof(T))));
  std::vector<T> partial(static_cast<size_t>((parts - 1) * KO));
  parallel_for(parts, M * KO, [&](int64_t p0, int64_t p1) {
    thread_local std::vector<char> buf;
    T* col = pointwise(g) ? nullptr : scratch<T>(buf, rows * K);
    for (int64_t p = p0; p < p1; ++p) {
      T* acc = p == 0 ? dw : partial.data() + (p - 1) * KO;
      const int64_t m0 = M * p / parts, m1 = M * (p + 1) / parts;
      if (m0 == m1) std::fill(acc, acc + KO, T(0));
      for (int64_t r0 = m0; r0 < m1; r0 += rows) {
        const int64_t r1 = std::min(m1, r0 + rows);
        for (int64_t gi = 0; gi < g.groups; ++gi) {
          const T* a = x + r0 * g.c;  // pointwise: x's rows are the columns
          if (!pointwise(g)) {
            im2col(col, x, g, r0, r1, gi * cg);
            a = col;
          }
          gemm_strided(K, og, r1 - r0, a, 1, K, dy + r0 * O + gi * og, O, 1, acc + gi * og, O, r0 > m0);
        }
      }
    }
  });
  for (int64_t p = 1; p < parts; ++p)
    for (int64_t e = 0; e < KO; ++e) dw[e] += partial[(p - 1) * KO + e];
}

// ---- device-neutral entry points ----

void check_operands(const char* op, const Array& a, const char* an, const Array& b, const char* bn) {
  const std::string got = std::string(dtype_name(a.dtype())) + " and " + dtype_name(b.dtype());
  if (!is_float(a.dtype()) || !is_float(b.dtype()))
    throw TypeError(std::string(op) + ": " + an + " and " + bn + " must be float32 or float64, got " + got);
  if (a.dtype() != b.dtype())
    throw InvalidArgument(std::string(op) + ": " + an + " and " + bn + " must have the same dtype, got " + got);
  check_same_device(op, a, b);
}

void check_rank(const char* op, const char* what, const Shape& s, size_t rank) {
  if (s.size() != rank)
    throw InvalidArgument(std::string(op) + ": " + what + " must have rank " + std::to_string(rank) +
                          ", got shape " + shape_str(s));
}

// Geometry from an input shape (in data_format) and a filter shape, 2-D or
// 3-D by the spatial rank r.
ConvGeom geometry(const char* op, size_t r, const Shape& in, const Shape& fs, bool cf,
                  const std::vector<int64_t>& strides, const std::string& padding, const std::vector<int64_t>& pads,
                  const std::vector<int64_t>& dilations, int64_t groups) {
  check_rank(op, "the input", in, r + 2);
  check_rank(op, "the filter", fs, r + 2);
  if (strides.size() != r || dilations.size() != r)
    throw InvalidArgument(std::string(op) + ": strides and dilations must have " + std::to_string(r) +
                          " values, got strides " + tuple_str(strides) + ", dilations " + tuple_str(dilations));
  ConvGeom g{};
  const size_t s0 = cf ? 2 : 1, o = r - 2;  // the first spatial axis; 1 when there is a depth
  g.n = in[0], g.c = in[cf ? 1 : r + 1];
  if (r == 3) g.d = in[s0], g.kd = fs[0];
  g.h = in[s0 + o], g.w = in[s0 + o + 1];
  g.kh = fs[o], g.kw = fs[o + 1], g.o = fs[r + 1], g.groups = groups;
  if (groups < 1 || g.c % groups || g.o % groups)
    throw InvalidArgument(std::string(op) + ": groups (" + std::to_string(groups) +
                          ") must divide the input channels (" + std::to_string(g.c) + ") and the filters (" +
                          std::to_string(g.o) + ")");
  if (fs[r] != g.c / groups)
    throw InvalidArgument(std::string(op) + ": the filter " + shape_str(fs) + " must have in_channels / groups = " +
                          std::to_string(g.c / groups) + " on its " + (r == 2 ? "third" : "fourth") + " axis, for an input of shape " +
                          shape_str(in) + " and groups=" + std::to_string(groups));
  conv_fill_geometry(op, &g, strides, dilations, padding, pads);
  return g;
}

Shape out_shape(const ConvGeom& g, bool cf, size_t r) {
  if (r == 3) return cf ? Shape{g.n, g.o, g.od, g.oh, g.ow} : Shape{g.n, g.od, g.oh, g.ow, g.o};
  return cf ? Shape{g.n, g.o, g.oh, g.ow} : Shape{g.n, g.oh, g.ow, g.o};
}


Array zeros(const Shape& s, DType dt, Device d) { return full(s, 0.0, dt, d); }

bool empty_conv(const ConvGeom& g) { return g.n * g.out_pixels() * g.o == 0 || g.d * g.h * g.w * g.c == 0; }


// The convolution of spatial rank r, through the device slot `slot`.
Array conv_nd(const char* op, size_t r, decltype(&DeviceKernels::conv2d) slot, const Array& x, const Array& filter,
              const std::vector<int64_t>& strides, const std::string& padding, const std::vector<int64_t>& pads,
              const std::vector<int64_t>& dilations, int64_t groups, const std::string& data_format,
              const Array* bias, const std::string& activation, const Array* into = nullptr) {
  // float16/bfloat16: computed in float32 (dtype.h).
  if (is_half(x.dtype()) && x.dtype() == filter.dtype() && (!bias || bias->dtype() == x.dtype())) {
    Array b = bias ? widen(*bias) : Array();
    return narrow(conv_nd(op, r, slot, widen(x), widen(filter), strides, padding, pads, dilations, groups,
                          data_format, bias ? &b : nullptr, activation), x.dtype());
  }
  const bool cf = channels_first_nd(op, data_format, r);
  int act = 0;
  if (activation == "relu") act = 1;
  else if (activation != "linear")
    throw InvalidArgument(std::string(op) + ": activation must be 'linear' or 'relu', got '" + activation + "'");
  check_operands(op, x, "input", filter, "filter");
  const ConvGeom g = geometry(op, r, x.shape(), filter.shape(), cf, strides, padding, pads, dilations, groups);
  Array b;
  if (bias) {
    check_operands(op, x, "input", *bias, "bias");
    if (bias->shape() != Shape{g.o})
      throw InvalidArgument(std::string(op) + ": bias must have shape (" + std::to_string(g.o) + ",), got " +
                            shape_str(bias->shape()));
    b = bias->contiguous();
  }
  if (empty_conv(g)) {
    // Nothing to convolve: every output is act(bias) (or zero).
    Array z = zeros(out_shape(g, cf, r), x.dtype(), x.device());
    const Array zl = !cf ? z : r == 3 ? z.transpose({0, 2, 3, 4, 1}) : z.transpose({0, 2, 3, 1});
    if (bias && z.size()) copy_into(zl, act ? unary(UnaryOp::Relu, b) : b);
    return z;
  }
  Array out = into && !cf ? *into : Array::empty(out_shape(g, false, r), x.dtype(), x.device());
  kernel(x.device(), slot, op)(out, to_nhwc(x, cf), filter.contiguous(), bias ? &b : nullptr, act, g);
  return from_nhwc(out, cf);
}

Array conv_nd_backprop_input(const char* op, size_t r, decltype(&DeviceKernels::conv2d_backprop_input) slot,
                             const std::vector<int64_t>& input_shape, const Array& filter, const Array& dy,
                             const std::vector<int64_t>& strides, const std::string& padding,
                             const std::vector<int64_t>& pads, const std::vector<int64_t>& dilations,
                             int64_t groups, const std::string& data_format, const Array* into = nullptr) {
  if (is_half(dy.dtype()) && dy.dtype() == filter.dtype())
    return narrow(conv_nd_backprop_input(op, r, slot, input_shape, widen(filter), widen(dy), strides, padding, pads,
                                         dilations, groups, data_format), dy.dtype());
  const bool cf = channels_first_nd(op, data_format, r);
  check_operands(op, dy, "out_backprop", filter, "filter");
  for (int64_t d : input_shape)
    if (d < 0) throw InvalidArgument(std::string(op) + ": input_shape must not be negative, got " + shape_str(input_shape));
  const ConvGeom g = geometry(op, r, input_shape, filter.shape(), cf, strides, padding, pads, dilations, groups);
  if (dy.shape() != out_shape(g, cf, r))
    throw InvalidArgument(std::string(op) + ": out_backprop has shape " + shape_str(dy.shape()) + ", expected " +
                          shape_str(out_shape(g, cf, r)) + " for an input of shape " + shape_str(input_shape) +
                          " and a filter of shape " + shape_str(filter.shape()));
  if (empty_conv(g)) return zeros(input_shape, dy.dtype(), dy.device());
  Shape nhwc = r == 3 ? Shape{g.n, g.d, g.h, g.w, g.c} : Shape{g.n, g.h, g.w, g.c};
  Array dx = into && !cf ? *into : Array::empty(nhwc, dy.dtype(), dy.device());
  kernel(dy.device(), slot, op)(dx, filter.contiguous(), to_nhwc(dy, cf), g);
  return from_nhwc(dx, cf);
}

Array conv_nd_backprop_filter(const char* op, size_t r, decltype(&DeviceKernels::conv2d_backprop_filter) slot,
                              const Array& x, const std::vector<int64_t>& filter_shape, const Array& dy,
                              const std::vector<int64_t>& strides, const std::string& padding,
                              const std::vector<int64_t>& pads, const std::vector<int64_t>& dilations,
                              int64_t groups, const std::string& data_format, const Array* into = nullptr) {
  if (is_half(dy.dtype()) && dy.dtype() == x.dtype())
    return narrow(conv_nd_backprop_filter(op, r, slot, widen(x), filter_shape, widen(dy), strides, padding, pads,
                                          dilations, groups, data_format), dy.dtype());
  const bool cf = channels_first_nd(op, data_format, r);
  check_operands(op, x, "input", dy, "out_backprop");
  for (int64_t d : filter_shape)
    if (d < 0) throw InvalidArgument(std::string(op) + ": filter_shape must not be negative, got " + shape_str(filter_shape));
  const ConvGeom g = geometry(op, r, x.shape(), filter_shape, cf, strides, padding, pads, dilations, groups);
  if (dy.shape() != out_shape(g, cf, r))
    throw InvalidArgument(std::string(op) + ": out_backprop has shape " + shape_str(dy.shape()) + ", expected " +
                          shape_str(out_shape(g, cf, r)) + " for an input of shape " + shape_str(x.shape()) +
                          " and a filter of shape " + shape_str(filter_shape));
  if (empty_conv(g)) return zeros(filter_shape, x.dtype(), x.device());
  Array dw = into ? *into : Array::empty(filter_shape, x.dtype(), x.device());
  kernel(x.device(), slot, op)(dw, to_nhwc(x, cf), to_nhwc(dy, cf), g);
  return dw;
}

}  // namespace

void conv2d_cpu(const Array& out, const Array& x, const Array& filter, const Array* bias, int act,
                const ConvGeom& g) {
  dispatch<kFloat>(x.dtype(), "conv2d", [&](auto tv) {
    using T = decltype(tv);
    fwd(out.data<T>(), x.data<T>(), filter.data<T>(), bias ? bias->data<T>() : nullptr, act, g);
  });
}

void conv2d_backprop_input_cpu(const Array& dx, const Array& filter, const Array& dy, const ConvGeom& g) {
  dispatch<kFloat>(dy.dtype(), "conv2d_backprop_input", [&](auto tv) {
    using T = decltype(tv);
    bwd_input(dx.data<T>(), filter.data<T>(), dy.data<T>(), g);
  });
}

void conv2d_backprop_filter_cpu(const Array& dw, const Array& x, const Array& dy, const ConvGeom& g) {
  dispatch<kFloat>(x.dtype(), "conv2d_backprop_filter", [&](auto tv) {
    using T = decltype(tv);
    bwd_filter(dw.data<T>(), x.data<T>(), dy.data<T>(), g);
  });
}

Array conv2d(const Array& x, const Array& filter, const std::vector<int64_t>& strides, const std::string& padding,
             const std::vector<int64_t>& pads, const std::vector<int64_t>& dilations, int64_t groups,
             const std::string& data_format, const Array* bias, const std::string& activation, const Array* into) {
  const char* op = bias || activation != "linear" ? "fused_conv2d" : "conv2d";
  return conv_nd(op, 2, &DeviceKernels::conv2d, x, filter, strides, padding, pads, dilations, groups, data_format,
                 bias, activation, into);
}

Array conv2d_backprop_input(const std::vector<int64_t>& input_shape, const Array& filter, const Array& dy,
                            const std::vector<int64_t>& strides, const std::string& padding,
                            const std::vector<int64_t>& pads, const std::vector<int64_t>& dilations, int64_t groups,
                            const std::string& data_format, const Array* into) {
  return conv_nd_backprop_input("conv2d_backprop_input", 2, &DeviceKernels::conv2d_backprop_input, input_shape,
                                filter, dy, strides, padding, pads, dilations, groups, data_format, into);
}

Array conv2d_backprop_filter(const Array& x, const std::vector<int64_t>& filter_shape, const Array& dy,
                             const std::vector<int64_t>& strides, const std::string& padding,
                             const std::vector<int64_t>& pads, const std::vector<int64_t>& dilations,
                             int64_t groups, const std::string& data_format, const Array* into) {
  return conv_nd_backprop_filter("conv2d_backprop_filter", 2, &DeviceKernels::conv2d_backprop_filter, x,
                                 filter_shape, dy, strides, padding, pads, dilations, groups, data_format, into);
}

// 3-D: the same CPU code (its geometry has a depth), its own device slots.
Array conv3d(const Array& x, const Array& filter, const std::vector<int64_t>& strides, const std::string& padding,
             const std::vector<int64_t>& pads, const std::vector<int64_t>& dilations, int64_t groups,
             const std::string& data_format) {
  return conv_nd("conv3d", 3, &DeviceKernels::conv3d, x, filter, strides, padding, pads, dilations, groups,
                 data_format, nullptr, "linear");
}

Array conv3d_backprop_input(const std::vector<int64_t>& input_shape, const Array& filter, const Array& dy,
                            const std::vector<int64_t>& strides, const std::string& padding,
                            const std::vector<int64_t>& pads, const std::vector<int64_t>& dilations, int64_t groups,
                            const std::string& data_format) {
  return conv_nd_backprop_input("conv3d_backprop_input", 3, &DeviceKernels::conv3d_backprop_input, input_shape,
                                filter, dy, strides, padding, pads, dilations, groups, data_format);
}

Array conv3d_backprop_filter(const Array& x, const std::vector<int64_t>& filter_shape, const Array& dy,
                             const std::vector<int64_t>& strides, const std::string& padding,
                             const std::vector<int64_t>& pads, const std::vector<int64_t>& dilations,
                             int64_t groups, const std::string& data_format) {
  return conv_nd_backprop_filter("conv3d_backprop_filter", 3, &DeviceKernels::conv3d_backprop_filter, x,
                                 filter_shape, dy, strides, padding, pads, dilations, groups, data_format);
}

void fill_cpu_conv_kernels(DeviceKernels* k) {
  k->conv2d = &conv2d_cpu;
  k->conv2d_backprop_input = &conv2d_backprop_input_cpu;
  k->conv2d_backprop_filter = &conv2d_backprop_filter_cpu;
  k->conv3d = &conv2d_cpu;  // the geometry carries the depth
  k->conv3d_backprop_input = &conv2d_backprop_input_cpu;
  k->conv3d_backprop_filter = &conv2d_backprop_filter_cpu;
}

Array to_nhwc(const Array& a, bool cf) {
  if (!cf) return a.contiguous();
  return (a.ndim() == 5 ? a.transpose({0, 2, 3, 4, 1}) : a.transpose({0, 2, 3, 1})).contiguous();
}

Array from_nhwc(const Array& a, bool cf) {
  if (!cf) return a;
  return (a.ndim() == 5 ? a.transpose({0, 4, 1, 2, 3}) : a.transpose({0, 3, 1, 2})).contiguous();
}

bool channels_first_nd(const char* op, const std::string& fmt, size_t r) {
  if (r == 2) return channels_first(op, fmt);
  if (fmt == "NDHWC") return false;
  if (fmt == "NCDHW") return true;
  throw InvalidArgument(std::string(op) + ": data_format must be 'NDHWC' or 'NCDHW', got '" + fmt + "'");
}

}  // namespace tl
