// The GPU convolution, pooling and batch-norm slots, run on the host through
// common.cuh, against the CPU slots on the same inputs: the registry's
// geometries and larger ones (several GEMM tiles, groups above 64 filters,
// grid-stride loops that wrap). Float32 and float64; exits 1 on a mismatch.
#include <cstdio>
#include <random>
#include "common.cuh"
#include "conv.h"
#include "pool.h"
#include "batchnorm.h"
namespace tl { namespace cuda { void fill_conv(DeviceKernels*); void fill_pool(DeviceKernels*); void fill_batchnorm(DeviceKernels*); } }
using namespace tl;
static std::mt19937_64 gen(1);
static int failures = 0;

Array rnd(const Shape& s, DType dt, double lo = -1, double hi = 1) {
  Array a = Array::empty(s, dt, Device::CPU);
  std::uniform_real_distribution<double> u(lo, hi);
  for (int64_t i = 0; i < a.size(); ++i) {
    if (dt == DType::Float32) a.data<float>()[i] = float(u(gen)); else a.data<double>()[i] = u(gen);
  }
  return a;
}
Array distinct(const Shape& s, DType dt) {
  Array a = Array::empty(s, dt, Device::CPU);
  std::vector<int64_t> p(a.size()); for (int64_t i = 0; i < a.size(); ++i) p[i] = i;
  std::shuffle(p.begin(), p.end(), gen);
  for (int64_t i = 0; i < a.size(); ++i) {
    double v = double(p[i]) / a.size();
    if (dt == DType::Float32) a.data<float>()[i] = float(v); else a.data<double>()[i] = v;
  }
  return a;
}
double at(const Array& a, int64_t i) { return a.dtype() == DType::Float32 ? a.data<float>()[i] : a.data<double>()[i]; }
void cmp(const char* what, const Array& got, const Array& want, double rtol, double atol) {
  double worst = 0; int64_t bad = 0;
  for (int64_t i = 0; i < want.size(); ++i) {
    double g = at(got, i), w = at(want, i), e = std::fabs(g - w);
    if (!(e <= atol + rtol * std::fabs(w))) ++bad;
    worst = std::max(worst, e);
  }
  if (bad) ++failures;
  std::printf("%-28s %s n=%lld bad=%lld worst=%.3g\n", what, bad ? "FAIL" : "ok", (long long)want.size(), (long long)bad, worst);
}
Array like(const Array& a) { return Array::empty(a.shape(), a.dtype(), Device::CPU); }

int main() {
  DeviceKernels k{};
  cuda::fill_conv(&k); cuda::fill_pool(&k); cuda::fill_batchnorm(&k);
  struct C { Shape x; Shape f; std::vector<int64_t> st; std::string pad; std::vector<int64_t> pads; std::vector<int64_t> dil; int64_t groups; };
  std::vector<C> convs = {
    {{1, 4, 4, 2}, {2, 2, 2, 3}, {1, 1}, "VALID", {}, {1, 1}, 1},
    {{1, 5, 4, 2}, {3, 2, 2, 2}, {2, 2}, "SAME", {}, {1, 1}, 1},
    {{1, 5, 5, 2}, {2, 2, 1, 4}, {1, 1}, "SAME", {}, {2, 2}, 2},
    {{1, 4, 5, 2}, {2, 3, 2, 2}, {1, 2}, "EXPLICIT", {1, 0, 2, 1}, {1, 1}, 1},
    {{3, 17, 19, 20}, {3, 3, 20, 70}, {1, 1}, "SAME", {}, {1, 1}, 1},
    {{2, 16, 15, 24}, {3, 2, 12, 130}, {2, 1}, "VALID", {}, {1, 2}, 2},
    {{2, 9, 9, 32}, {3, 3, 1, 64}, {2, 2}, "SAME", {}, {1, 1}, 32},
    {{4, 8, 8, 96}, {1, 1, 96, 80}, {1, 1}, "VALID", {}, {1, 1}, 1},
    {{1, 6, 6, 16}, {3, 3, 16, 4}, {1, 1}, "EXPLICIT", {2, 0, 1, 2}, {1, 1}, 1},
  };
  for (DType dt : {DType::Float32, DType::Float64}) {
    const double rt = dt == DType::Float32 ? 1e-4 : 1e-11;
    for (auto& c : convs) {
      ConvGeom g{};
      g.n = c.x[0], g.h = c.x[1], g.w = c.x[2], g.c = c.x[3], g.kh = c.f[0], g.kw = c.f[1], g.o = c.f[3], g.groups = c.groups;
      conv_fill_geometry("emu", &g, c.st, c.dil, c.pad, c.pads);
      Array x = rnd(c.x, dt, -0.5, 0.5), w = rnd(c.f, dt, -0.5, 0.5), b = rnd({g.o}, dt);
      Array o1 = Array::empty({g.n, g.oh, g.ow, g.o}, dt, Device::CPU), o2 = like(o1);
      conv2d_cpu(o1, x, w, nullptr, 0, g); k.conv2d(o2, x, w, nullptr, 0, g); cmp("conv2d", o2, o1, rt, rt);
      conv2d_cpu(o1, x, w, &b, 1, g); k.conv2d(o2, x, w, &b, 1, g); cmp("conv2d bias relu", o2, o1, rt, rt);
      Array dy = rnd(o1.shape(), dt, -0.5, 0.5);
      Array dx1 = like(x), dx2 = like(x);
      std::fill(dx2.data<char>(), dx2.data<char>() + dx2.size() * dx2.itemsize(), char(0x7f));
      conv2d_backprop_input_cpu(dx1, w, dy, g); k.conv2d_backprop_input(dx2, w, dy, g); cmp("conv2d_backprop_input", dx2, dx1, rt, rt);
      Array dw1 = like(w), dw2 = like(w);
      std::fill(dw2.data<char>(), dw2.data<char>() + dw2.size() * dw2.itemsize(), char(0x7f));
      conv2d_backprop_filter_cpu(dw1, x, dy, g); k.conv2d_backprop_filter(dw2, x, dy, g); cmp("conv2d_backprop_filter", dw2, dw1, rt, rt);
    }
    struct Pc { Shape x; std::vector<int64_t> ks, st; std::string pad; };
    std::vector<Pc> pools = {{{1, 4, 4, 2}, {2, 2}, {2, 2}, "VALID"}, {{2, 5, 4, 1}, {3, 2}, {2, 1}, "SAME"},
                             {{1, 5, 5, 2}, {3, 3}, {2, 2}, "SAME"}, {{1, 5, 5, 2}, {2, 3}, {1, 2}, "VALID"},
                             {{1, 3, 3, 3}, {3, 3}, {1, 1}, "SAME"}, {{2, 13, 11, 37}, {3, 3}, {2, 2}, "SAME"},
                             {{3, 10, 12, 5}, {2, 4}, {1, 3}, "VALID"}, {{1, 7, 7, 3}, {4, 4}, {3, 3}, "SAME"}};
    for (auto& p : pools) {
      ConvGeom g{};
      g.n = p.x[0], g.h = p.x[1], g.w = p.x[2], g.c = p.x[3], g.kh = p.ks[0], g.kw = p.ks[1], g.o = g.c, g.groups = 1;
      conv_fill_geometry("emu", &g, p.st, {1, 1}, p.pad, {});
      Array x = distinct(p.x, dt);
      Array o1 = Array::empty({g.n, g.oh, g.ow, g.c}, dt, Device::CPU), o2 = like(o1);
      pool2d_cpu(o1, x, true, g); k.pool2d(o2, x, true, g); cmp("max_pool2d", o2, o1, 0, 0);
      pool2d_cpu(o1, x, false, g); k.pool2d(o2, x, false, g); cmp("avg_pool2d", o2, o1, 0, 0);
      Array dy = rnd(o1.shape(), dt), dx1 = like(x), dx2 = like(x);
      max_pool2d_grad_cpu(dx1, x, dy, g); k.max_pool2d_grad(dx2, x, dy, g); cmp("max_pool2d_grad", dx2, dx1, 0, 0);
      avg_pool2d_grad_cpu(dx1, dy, g); k.avg_pool2d_grad(dx2, dy, g); cmp("avg_pool2d_grad", dx2, dx1, 1e-6, 1e-7);
      Array ddx = rnd(p.x, dt);
      max_pool2d_grad_grad_cpu(o1, x, ddx, g); k.max_pool2d_grad_grad(o2, x, ddx, g); cmp("max_pool2d_grad_grad", o2, o1, 0, 0);
    }
    struct B { int64_t outer, c, inner; };
    for (B v : std::vector<B>{{4, 3, 1}, {2, 3, 4}, {12, 2, 1}, {1, 5, 2}, {3000, 7, 1}, {16, 40, 144}, {5184, 48, 1}, {1, 600, 3}}) {
      Array x = rnd({v.outer, v.c, v.inner}, dt, 2, 8), dy = rnd(x.shape(), dt), mean = rnd({v.c}, dt, 4, 6);
      Array var = rnd({v.c}, dt, 5, 15), sc = rnd({v.c}, dt, 0.5, 1.5), of = rnd({v.c}, dt);
      Array s1 = Array::empty({2, v.c}, dt, Device::CPU), s2 = like(s1);
      const double sr = dt == DType::Float32 ? 1e-5 : 1e-11;
      batch_norm_stats_cpu(s1, x, v.outer, v.c, v.inner); k.batch_norm_stats(s2, x, v.outer, v.c, v.inner); cmp("batch_norm_stats", s2, s1, sr, sr);
      batch_norm_grad_sums_cpu(s1, dy, x, mean, v.outer, v.c, v.inner); k.batch_norm_grad_sums(s2, dy, x, mean, v.outer, v.c, v.inner); cmp("batch_norm_grad_sums", s2, s1, sr, sr);
      Array y1 = like(x), y2 = like(x);
      const double rr = dt == DType::Float32 ? 1e-5 : 1e-12;
      batch_norm_apply_cpu(y1, x, mean, var, sc, of, 1e-3, v.outer, v.c, v.inner); k.batch_norm_apply(y2, x, mean, var, sc, of, 1e-3, v.outer, v.c, v.inner); cmp("batch_norm_apply", y2, y1, rr, rr / 10);
      channel_affine_cpu(y1, x, sc, of, v.outer, v.c, v.inner); k.channel_affine(y2, x, sc, of, v.outer, v.c, v.inner); cmp("channel_affine", y2, y1, rr, rr / 10);
    }
  }
  std::printf("failures: %d\n", failures);
  return failures != 0;
}
