// The thread pool behind parallel_for.
//
// Why not an OpenMP region: its closing barrier waits for every thread of the
// team, also one the OS has not scheduled yet. On a busy machine that turns a
// 30 us op into milliseconds. Here the caller and the pool threads take
// chunks from one counter, the caller works too, and the caller only ever
// waits for chunks that a thread has already taken (so that thread was
// running a moment ago). A thread that wakes up late finds no chunk left and
// goes back to sleep without touching the job.
//
// Shared state (all in one Pool, created on first use and never freed, so a
// pool thread can always read it):
//   claim  64 bits: generation (32) | chunk count (16) | next chunk (16).
//          Chunks are taken by compare-and-swap, so `next` never passes the
//          count and a swap succeeds only for the generation it read.
//   job    the current Job (on the caller's stack).
//   done   chunks finished in the current generation.
//   epoch  bumped once per job; idle threads sleep on it (futex).
//   busy   held by the one caller that owns the pool for a job; another
//          thread calling parallel_for meanwhile runs its loop serially.
//
// The caller (owner) publishes a job as: job = &j; done = 0; claim = (g+1,
// nc, 0) with release; epoch += 1; wake sleepers. It then takes chunks
// itself until none is left and waits until done == nc, then releases busy.
//
// Lifetime, interleaving by interleaving (a pool thread P, the caller C):
// 1. P takes chunk i of generation g (its swap succeeded). Chunk i is not
//    done, so C is still waiting inside run() for generation g: the Job is
//    alive and `job` still points to it (it changes only when a later job is
//    published, after C's wait). The acquire swap reads C's release store of
//    claim (or a later swap in its release sequence), so P sees `job` and
//    `done` as C wrote them.
// 2. P finishes chunk i: it writes any exception into the Job, then adds 1 to
//    done (release). From that moment P must not touch the Job, and does not:
//    everything it still needs (the chunk count, to know whether it finished
//    the last chunk) it read from its own copy of claim. Waking C goes
//    through `done`, which belongs to the Pool.
// 3. P wakes late: generation g has been fully taken (next == count), so the
//    swap is never attempted; or a newer generation g+1 is current, and P
//    takes part in that one, under 1. and 2. again. P read `claim` before
//    and after the job it missed; it never dereferenced the old `job`.
// 4. P read claim = (g, nc, i) and stalls before its swap; meanwhile C
//    finishes g and publishes g+1. P's swap fails (claim changed) and P
//    rereads. A false success would need the very same 64-bit value again,
//    i.e. 2^32 jobs while P sits between a load and a swap.
// 5. P is still running a chunk when C has taken the last one: C waits for
//    done == nc (spinning briefly, then sleeping on `done`). This is the only
//    wait, and only for chunks that threads have started.
// 6. The last increment of done comes from P while C is about to sleep: C
//    sets `caller_waiting` then rereads done (both sequentially consistent);
//    P increments done then reads caller_waiting. At least one sees the
//    other's write: either C sees done == nc and does not sleep, or P wakes
//    it. futex_wait also returns at once if done no longer holds the value C
//    read.
// 7. Sleeping workers and a new job: P reads epoch, then tries to take a
//    chunk, then sleeps until epoch differs from what it read. C publishes
//    claim before bumping epoch, so either P's attempt saw the job or P's
//    wait sees the new epoch. `sleepers` (incremented before P's final
//    recheck of epoch, read by C after bumping it) lets C skip the wake-up
//    system call when every thread is still spinning. A lost wake-up would
//    only cost speed: C never waits for a thread that has not taken a chunk.
// 8. fork: the child has the Pool's memory but none of its threads, and the
//    parent may have been inside a job (busy held, done short of the count).
//    A pthread_atfork handler drops the Pool in the child (leaking it); the
//    next parallel loop there creates a fresh one with new threads. Creating
//    a Pool takes no lock, so none can be left held in the child.
// 9. Process exit: the threads are detached and the Pool is never freed, so
//    nothing they touch is destroyed under them.
#include "parallel.h"

#if defined(TL_HAVE_OPENMP)
#include <omp.h>  // only for the default thread count (OMP_NUM_THREADS)
#endif

#include <chrono>
#include <climits>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "errors.h"

#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif
#if defined(__unix__) || defined(__APPLE__)
#include <pthread.h>
#endif

namespace tl {

namespace {

int default_threads() {
#if defined(TL_HAVE_OPENMP)
  return omp_get_max_threads();
#else
  unsigned n = std::thread::hardware_concurrency();
  return n > 0 ? static_cast<int>(n) : 1;
#endif
}
std::atomic<int> g_threads{0};  // 0: not set yet

// Pool threads beyond this are not created (the chunk count has 16 bits).
constexpr int kMaxWorkers = 1023;
// How long an idle thread or a waiting caller polls before sleeping: enough
// to catch the next op of a busy loop, short enough not to starve others.
constexpr auto kSpin = std::chrono::microseconds(30);

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t), "futex word");

// Sleeps while *w == v (or spuriously); wakes sleepers on w.
void futex_wait(std::atomic<uint32_t>& w, uint32_t v) {
#if defined(__linux__)
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(&w), FUTEX_WAIT_PRIVATE, v, nullptr, nullptr, 0);
#else
  // No futex: a short nap. Every wait rechecks its condition, so this is
  // only slower, never wrong.
  if (w.load() == v) std::this_thread::sleep_for(std::chrono::microseconds(50));
#endif
}
void futex_wake(std::atomic<uint32_t>& w) {
#if defined(__linux__)
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(&w), FUTEX_WAKE_PRIVATE, INT_MAX, nullptr, nullptr, 0);
#else
  (void)w;
#endif
}

// Polls until pred() holds or kSpin has passed; returns pred().
template <typename P>
bool spin_until(P&& pred) {
  auto end = std::chrono::steady_clock::now() + kSpin;
  for (;;) {
    for (int k = 0; k < 64; ++k) {
      if (pred()) return true;
      cpu_relax();
    }
    if (std::chrono::steady_clock::now() >= end) return pred();
  }
}

thread_local bool t_in_parallel = false;

struct Pool {
  std::atomic<uint64_t> claim{0};
  std::atomic<detail::Job*> job{nullptr};
  std::atomic<uint32_t> done{0};
  std::atomic<uint32_t> epoch{0};
  std::atomic<int> sleepers{0};
  std::atomic<int> caller_waiting{0};
  std::atomic<int> limit{0};  // threads with a lower index take chunks
  std::atomic<bool> busy{false};
  int workers = 0;    // threads started; changed only by the busy holder
  uint32_t gen = 0;   // likewise
};

std::atomic<Pool*> g_pool{nullptr};

inline uint32_t chunk_count(uint64_t s) { return static_cast<uint32_t>(s >> 16) & 0xFFFF; }

// Takes the next chunk of the current job: its index, and the claim word it
// was taken from (for the chunk count). False when none is left.
bool take(Pool& p, uint64_t& s, int& idx) {
  s = p.claim.load(std::memory_order_acquire);
  for (;;) {
    uint32_t next = static_cast<uint32_t>(s) & 0xFFFF;
    if (next >= chunk_count(s)) return false;
    if (p.claim.compare_exchange_weak(s, s + 1, std::memory_order_acq_rel, std::memory_order_acquire)) {
      idx = static_cast<int>(next);
      return true;
    }
  }
}

// Runs chunk idx of job (skipped once a chunk has failed: the op is lost
// anyway) and counts it done. After the count the Job may be gone.
void run_chunk(Pool& p, detail::Job& job, int idx, uint64_t s) {
  if (!job.failed.load(std::memory_order_relaxed)) {
    try {
      job.call(job.ctx, job.edge(idx), job.edge(idx + 1));
    } catch (...) {
      if (!job.failed.exchange(true)) job.error = std::current_exception();
    }
  }
  uint32_t d = p.done.fetch_add(1) + 1;  // sequentially consistent: see 6.
  if (d == chunk_count(s) && p.caller_waiting.load()) futex_wake(p.done);
}

void worker_main(Pool* p, int index) {
  t_in_parallel = true;  // loops inside a chunk run serially
  for (;;) {
    uint32_t seen = p->epoch.load();
    if (index < p->limit.load(std::memory_order_relaxed)) {
      uint64_t s;
      int idx;
      while (take(*p, s, idx)) run_chunk(*p, *p->job.load(std::memory_order_relaxed), idx, s);
    }
    if (spin_until([&] { return p->epoch.load(std::memory_order_relaxed) != seen; })) continue;
    p->sleepers.fetch_add(1);
    if (p->epoch.load() == seen) futex_wait(p->epoch, seen);
    p->sleepers.fetch_sub(1);
  }
}

void drop_pool_in_child() { g_pool.store(nullptr); }

#if defined(__unix__) || defined(__APPLE__)
// Registered when the library loads, before any thread of ours exists.
[[maybe_unused]] const int g_atfork_registered = pthread_atfork(nullptr, nullptr, drop_pool_in_child);
#endif

// No lock: a child forked while another thread held one could never take it.
Pool* pool() {
  Pool* p = g_pool.load(std::memory_order_acquire);
  if (p) return p;
  Pool* fresh = new Pool();  // never freed: detached threads read it until exit
  if (g_pool.compare_exchange_strong(p, fresh, std::memory_order_acq_rel)) return fresh;
  delete fresh;  // another thread was first (no threads were started on it)
  return p;
}

}  // namespace

int num_threads() {
  int n = g_threads.load(std::memory_order_relaxed);
  if (n == 0) {
    n = default_threads();
    g_threads.store(n, std::memory_order_relaxed);
  }
  return n;
}

void set_num_threads(int n) { g_threads.store(n > 0 ? n : default_threads(), std::memory_order_relaxed); }

namespace detail {

bool in_parallel() { return t_in_parallel; }

bool run(Job& job, int nt) {
  Pool& p = *pool();
  if (p.busy.exchange(true, std::memory_order_acquire)) return false;
  struct Release {
    Pool& p;
    ~Release() { p.busy.store(false, std::memory_order_release); }
  } release{p};
  const int want = std::min(nt - 1, kMaxWorkers);
  while (p.workers < want) {
    try {
      std::thread(worker_main, &p, p.workers).detach();
    } catch (const std::system_error&) {
      break;  // out of threads: carry on with those there are
    }
    ++p.workers;
  }
  const int helpers = std::min(want, p.workers);
  if (helpers == 0) return false;
  p.limit.store(helpers, std::memory_order_relaxed);

  const uint32_t nc = static_cast<uint32_t>(job.nchunks);
  p.job.store(&job, std::memory_order_relaxed);
  p.done.store(0, std::memory_order_relaxed);
  ++p.gen;
  p.claim.store((static_cast<uint64_t>(p.gen) << 32) | (static_cast<uint64_t>(nc) << 16),
                std::memory_order_release);
  p.epoch.fetch_add(1);
  if (p.sleepers.load() > 0) futex_wake(p.epoch);

  t_in_parallel = true;
  uint64_t s;
  int idx;
  while (take(p, s, idx)) run_chunk(p, job, idx, s);
  t_in_parallel = false;

  if (!spin_until([&] { return p.done.load(std::memory_order_acquire) == nc; })) {
    for (;;) {
      p.caller_waiting.store(1);
      uint32_t d = p.done.load();
      if (d == nc) break;
      futex_wait(p.done, d);
    }
    p.caller_waiting.store(0);
  }
  std::atomic_thread_fence(std::memory_order_acquire);
  if (job.error) std::rethrow_exception(job.error);
  return true;
}

}  // namespace detail

int64_t parallel_selftest(int64_t n, int64_t work, int64_t fail_at, int64_t repeats) {
  if (n < 0) throw InvalidArgument("parallel_selftest: n must be non-negative");
  std::vector<uint8_t> hits(static_cast<size_t>(n));
  int64_t good = 0;
  for (int64_t r = 0; r < repeats; ++r) {
    std::fill(hits.begin(), hits.end(), uint8_t{0});
    parallel_for(n, work, [&](int64_t b, int64_t e) {
      if (b < 0 || e > n || b >= e) throw InvalidArgument("parallel_selftest: bad chunk");
      for (int64_t i = b; i < e; ++i) {
        if (i == fail_at) throw InvalidArgument("parallel_selftest: failed at item " + std::to_string(i));
        ++hits[static_cast<size_t>(i)];
      }
    });
    good += std::all_of(hits.begin(), hits.end(), [](uint8_t h) { return h == 1; });
  }
  return good;
}

}  // namespace tl
