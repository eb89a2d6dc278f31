// gemini-cxx — an in-process metrics registry made for the hot path: counters, gauges and
// histograms with fixed buckets, labelled, safe from any thread.
//
//   gemini::observe::registry reg;
//   auto& calls = reg.counter({.name = "gen_ai.client.calls", .unit = "{call}",
//                              .help = "Calls", .labels = {"gen_ai.request.model"}});
//   calls.add({"gemini-2.5-flash"}, 1);
//   auto& dur = reg.histogram({.name = "gen_ai.client.operation.duration", .unit = "s",
//                              .labels = {"gen_ai.request.model"},
//                              .buckets = {0.01, 0.02, 0.04}});
//   dur.observe({"gemini-2.5-flash"}, 0.031);
//
// Recording for a label set seen before takes no lock and allocates nothing: the series is
// found in an open-addressing table of published pointers (lookups read, only the first
// record of a new label set takes the family's mutex). Each series keeps its values in
// shards (cache-line sized): the first eight threads own one each and add with a plain
// load and store, later threads share a ninth with atomic adds; threads recording the same
// series do not fight over one cache line, and exposition sums the shards. A family holds at most
// `max_series` label sets; records past the bound go to one series whose values are all "_other"
// (and are counted in `overflowed()`), so an unbounded label (a tenant id) cannot grow memory.
//
// Names are OpenTelemetry's (dots); exposition (observe/prometheus.hpp) translates them.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <initializer_list>
#include <limits>
#include <memory>
#include <mutex>
#include <new>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace gemini {
inline namespace v1 {
namespace observe {

enum class metric_kind { counter, gauge, histogram };

struct metric_options {
  std::string name;  ///< OpenTelemetry name, e.g. "gen_ai.client.token.usage"
  std::string unit;  ///< UCUM: "s", "By", "{token}", "1", "USD"
  std::string help;
  std::vector<std::string> labels;  ///< label (attribute) names, fixed per family
  std::vector<double> buckets;      ///< histograms: increasing upper bounds (no +Inf)
  std::size_t max_series = 500;     ///< label sets kept; the rest go to "_other"
};

namespace detail {

/// Shards 0..7 each belong to one thread at a time (it adds with a plain load and store);
/// threads past the eighth share shard 8 (atomic read-modify-write). A thread's shard is
/// returned when it exits, and the next thread that takes it goes on adding to its cells.
inline constexpr std::size_t exclusive_shards = 8;
inline constexpr std::size_t shards = exclusive_shards + 1;
inline constexpr std::size_t line = 64;

class shard_pool {
 public:
  static shard_pool& instance() {
    static shard_pool p;
    return p;
  }
  std::size_t take() {
    std::lock_guard lock(mutex_);
    for (std::size_t i = 0; i < exclusive_shards; ++i)
      if (!used_[i]) {
        used_[i] = true;
        return i;
      }
    return exclusive_shards;
  }
  void give_back(std::size_t i) {
    if (i >= exclusive_shards) return;
    std::lock_guard lock(mutex_);  // orders the old owner's stores before the next owner's
    used_[i] = false;
  }

 private:
  std::mutex mutex_;
  std::array<bool, exclusive_shards> used_{};
};

struct shard_holder {
  std::size_t index = shard_pool::instance().take();
  ~shard_holder() { shard_pool::instance().give_back(index); }
};

/// This thread's shard.
inline std::size_t shard_index() noexcept {
  thread_local const shard_holder mine;
  return mine.index;
}

/// Adds `v` to a cell of this thread's shard: a plain load and store when the thread owns
/// the shard, an atomic read-modify-write in the shared one.
inline void add_to(std::atomic<double>& a, double v, std::size_t shard) noexcept {
  if (shard < exclusive_shards)
    a.store(a.load(std::memory_order_relaxed) + v, std::memory_order_relaxed);
  else
    a.fetch_add(v, std::memory_order_relaxed);
}

inline void add_double(std::atomic<double>& a, double v) noexcept {
  a.fetch_add(v, std::memory_order_relaxed);
}

inline std::uint64_t hash_values(std::span<const std::string_view> values) noexcept {
  std::uint64_t h = 1469598103934665603ULL;
  for (auto v : values) {
    for (unsigned char c : v) h = (h ^ c) * 1099511628211ULL;
    h = (h ^ 0xff) * 1099511628211ULL;  // separator: ("ab","c") != ("a","bc")
  }
  return h;
}

}  // namespace detail

/// One label set's values. Cells: per shard, [count, sum, bucket 0..n] (histogram) or
/// [value] (counter); gauges use `gauge_value`.
class series {
 public:
  series(std::span<const std::string_view> values, std::size_t cells_per_shard)
      : stride_((cells_per_shard * sizeof(std::atomic<double>) + detail::line - 1) / detail::line *
                detail::line / sizeof(std::atomic<double>)),
        cells_(static_cast<std::atomic<double>*>(
            ::operator new[](stride_* detail::shards * sizeof(std::atomic<double>),
                             std::align_val_t(detail::line)))) {
    values_.reserve(values.size());
    for (auto v : values) values_.emplace_back(v);
    for (std::size_t i = 0; i < stride_ * detail::shards; ++i)
      new (&cells_[i]) std::atomic<double>(0);
  }
  ~series() { ::operator delete[](cells_, std::align_val_t(detail::line)); }
  series(const series&) = delete;
  series& operator=(const series&) = delete;
  const std::vector<std::string>& values() const noexcept { return values_; }
  bool equals(std::span<const std::string_view> v) const noexcept {
    if (v.size() != values_.size()) return false;
    for (std::size_t i = 0; i < v.size(); ++i)
      if (v[i] != values_[i]) return false;
    return true;
  }
  std::atomic<double>* shard(std::size_t index) noexcept { return &cells_[index * stride_]; }
  /// The sum over shards of cell `i`.
  double total(std::size_t i) const noexcept {
    double t = 0;
    for (std::size_t s = 0; s < detail::shards; ++s)
      t += cells_[s * stride_ + i].load(std::memory_order_relaxed);
    return t;
  }
  std::atomic<double> gauge_value{0};

 private:
  std::vector<std::string> values_;
  std::size_t stride_;
  std::atomic<double>* cells_;  ///< shards × stride, each shard on its own cache lines
};

/// One metric: a name, its labels, its series.
class family {
 public:
  family(metric_kind k, metric_options o) : kind_(k), o_(std::move(o)) {
    if (o_.max_series == 0) o_.max_series = 1;
    std::size_t cap = 16;
    while (cap < 2 * (o_.max_series + 1)) cap *= 2;
    table_ = std::vector<std::atomic<series*>>(cap);
    for (auto& s : table_) s.store(nullptr, std::memory_order_relaxed);
  }
  family(const family&) = delete;
  family& operator=(const family&) = delete;

  metric_kind kind() const noexcept { return kind_; }
  const metric_options& options() const noexcept { return o_; }
  /// Records that went to the "_other" series because the family was full.
  std::uint64_t overflowed() const noexcept { return overflowed_.load(std::memory_order_relaxed); }

  /// The series of these label values (as many as the family's labels), created on first
  /// use. Never null.
  series& at(std::span<const std::string_view> values) {
    if (values.size() != o_.labels.size()) return other();  // a caller's mistake: kept, not lost
    const std::uint64_t h = detail::hash_values(values);
    const std::size_t mask = table_.size() - 1;
    for (std::size_t i = h & mask;; i = (i + 1) & mask) {
      series* s = table_[i].load(std::memory_order_acquire);
      if (s == nullptr) break;
      if (s->equals(values)) return *s;
    }
    if (series* o = full_.load(std::memory_order_acquire)) {  // full: no lock, no table
      overflowed_.fetch_add(1, std::memory_order_relaxed);
      return *o;
    }
    return insert(values, h);
  }
  series& at(std::initializer_list<std::string_view> values) {
    return at(std::span<const std::string_view>(values.begin(), values.size()));
  }

  // ---- recording ------------------------------------------------------------------------
  void add(std::span<const std::string_view> values, double v) { add(at(values), v); }
  void add(std::initializer_list<std::string_view> values, double v) { add(at(values), v); }
  void add(series& s, double v) noexcept { add(s, v, detail::shard_index()); }
  /// With this thread's shard (detail::shard_index()) already at hand.
  void add(series& s, double v, std::size_t shard) noexcept {
    detail::add_to(s.shard(shard)[0], v, shard);
  }

  void set(std::initializer_list<std::string_view> values, double v) { set(at(values), v); }
  void set(series& s, double v) noexcept { s.gauge_value.store(v, std::memory_order_relaxed); }
  void add_gauge(series& s, double v) noexcept { detail::add_double(s.gauge_value, v); }

  void observe(std::span<const std::string_view> values, double v) { observe(at(values), v); }
  void observe(std::initializer_list<std::string_view> values, double v) { observe(at(values), v); }
  void observe(series& s, double v) noexcept { observe(s, v, detail::shard_index()); }
  void observe(series& s, double v, std::size_t shard) noexcept {
    observe_in(s, v, bucket_of(v), shard);
  }
  /// The bucket `v` falls in (buckets().size(): +Inf), to observe one value in several
  /// histograms of the same boundaries with one search.
  std::size_t bucket_of(double v) const noexcept {
    const auto& b = o_.buckets;
    return static_cast<std::size_t>(std::lower_bound(b.begin(), b.end(), v) - b.begin());
  }
  /// observe() with the bucket found by bucket_of() of a family with the same boundaries.
  void observe_in(series& s, double v, std::size_t i, std::size_t shard) noexcept {
    assert(i <= o_.buckets.size());
    auto* c = s.shard(shard);
    detail::add_to(c[0], 1, shard);      // count (exact in a double to 2^53)
    detail::add_to(c[1], v, shard);      // sum
    detail::add_to(c[2 + i], 1, shard);  // i == size(): the +Inf bucket
  }

  /// Calls `f(series const&)` for every series (exposition; takes the family's mutex).
  template <class F>
  void each(F&& f) const {
    std::lock_guard lock(mutex_);
    for (auto& s : all_) f(*s);
  }

 private:
  std::size_t cells() const noexcept {
    return kind_ == metric_kind::histogram ? 2 + o_.buckets.size() + 1 : 1;
  }
  series& insert(std::span<const std::string_view> values, std::uint64_t h) {
    std::lock_guard lock(mutex_);
    const std::size_t mask = table_.size() - 1;
    std::size_t i = h & mask;
    for (;; i = (i + 1) & mask) {  // again, under the lock: another thread may have won
      series* s = table_[i].load(std::memory_order_acquire);
      if (s == nullptr) break;
      if (s->equals(values)) return *s;
    }
    if (real_ >= o_.max_series) {
      overflowed_.fetch_add(1, std::memory_order_relaxed);
      auto& o = other_locked();
      full_.store(&o, std::memory_order_release);
      return o;
    }
    all_.push_back(std::make_unique<series>(values, cells()));
    ++real_;
    table_[i].store(all_.back().get(), std::memory_order_release);
    return *all_.back();
  }
  series& other() {
    std::lock_guard lock(mutex_);
    return other_locked();
  }
  series& other_locked() {
    if (!other_) {
      std::vector<std::string_view> v(o_.labels.size(), "_other");
      all_.push_back(std::make_unique<series>(v, cells()));
      other_ = all_.back().get();
    }
    return *other_;
  }

  metric_kind kind_;
  metric_options o_;
  std::vector<std::atomic<series*>> table_;
  std::vector<std::unique_ptr<series>> all_;  ///< owns every series (and "_other")
  series* other_ = nullptr;
  std::size_t real_ = 0;                ///< series of real label sets (not _other)
  std::atomic<series*> full_{nullptr};  ///< set to _other once max_series is reached
  std::atomic<std::uint64_t> overflowed_{0};
  mutable std::mutex mutex_;
};

/// The families of a process (or of one component). Families live as long as the
/// registry; references to them stay valid.
class registry {
 public:
  registry() = default;
  registry(const registry&) = delete;
  registry& operator=(const registry&) = delete;

  family& counter(metric_options o) { return add(metric_kind::counter, std::move(o)); }
  family& gauge(metric_options o) { return add(metric_kind::gauge, std::move(o)); }
  family& histogram(metric_options o) { return add(metric_kind::histogram, std::move(o)); }

  /// The family of that name, or null.
  const family* find(std::string_view name) const {
    std::lock_guard lock(mutex_);
    for (auto& f : families_)
      if (f->options().name == name) return f.get();
    return nullptr;
  }
  template <class F>
  void each(F&& f) const {
    std::lock_guard lock(mutex_);
    for (auto& fam : families_) f(*fam);
  }

 private:
  /// A second registration of a name returns the first family when kind, unit and labels
  /// agree, and throws std::invalid_argument when they do not (two meanings, one name).
  family& add(metric_kind k, metric_options o) {
    std::lock_guard lock(mutex_);
    for (auto& f : families_)
      if (f->options().name == o.name) {
        if (f->kind() != k || f->options().unit != o.unit || f->options().labels != o.labels ||
            f->options().buckets != o.buckets)
          throw std::invalid_argument("metric '" + o.name +
                                      "' registered twice with different kinds, units, labels "
                                      "or buckets");
        return *f;
      }
    if (k == metric_kind::histogram) {
      for (std::size_t i = 1; i < o.buckets.size(); ++i)
        if (!(o.buckets[i - 1] < o.buckets[i]))
          throw std::invalid_argument("metric '" + o.name + "': buckets must increase");
    }
    families_.push_back(std::make_unique<family>(k, std::move(o)));
    return *families_.back();
  }

  std::vector<std::unique_ptr<family>> families_;
  mutable std::mutex mutex_;
};

}  // namespace observe
}  // namespace v1
}  // namespace gemini
