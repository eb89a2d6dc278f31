// gemini-cxx — limit::keyed: one limiter per tenant, per model, or per (tenant, model),
// each with its own options, and the client's wait queue split the same way, so a tenant
// or model that reached its limit never holds up the others.
//
//   struct my_policies : gemini::policies::defaults {
//     using limit = gemini::limit::keyed<>;   // token buckets per (tenant, model)
//   };
//   client.limiter().reconfigure({.by = limit::key_by::tenant_and_model,
//                                 .options_for = [](auto tenant, auto model) { ... }});
#pragma once

#include <gemini/limit/concept.hpp>
#include <gemini/limit/token_bucket.hpp>
#include <gemini/sync/single_thread.hpp>

#include <boost/describe/class.hpp>
#include <boost/describe/enum.hpp>

#include <algorithm>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace gemini {
inline namespace v1 {
namespace limit {

enum class key_by {
  tenant,            ///< call_options::tenant
  model,             ///< the call's model (an endpoint's own quota)
  tenant_and_model,  ///< both
};
BOOST_DESCRIBE_ENUM(key_by, tenant, model, tenant_and_model)

/// True when `a` and `b` have the same key under `by` (draw on the same limits).
inline bool same_key(key_by by, const cost& a, const cost& b) noexcept {
  switch (by) {
    case key_by::tenant: return a.tenant == b.tenant;
    case key_by::model: return a.model == b.model;
    default: return a.tenant == b.tenant && a.model == b.model;
  }
}

template <class InnerOptions>
struct keyed_options {
  key_by by = key_by::tenant_and_model;
  /// Options of a key's limiter (tenant, model); empty: `defaults` for every key.
  std::function<InnerOptions(std::string_view tenant, std::string_view model)> options_for;
  InnerOptions defaults{};
  std::size_t max_queue = 1024;               ///< callers waiting, all keys together
  std::chrono::milliseconds max_wait{30000};  ///< longest wait before rate_limited
  /// Limiters kept at most; beyond it the least recently used idle one is dropped (it
  /// starts full when its key comes back).
  std::size_t max_keys = 100000;
  BOOST_DESCRIBE_CLASS(keyed_options, (), (by, defaults, max_queue, max_wait, max_keys), (), ())
};

/// A limiter per key. `Inner` is any limit policy constructible from its options and
/// reporting `in_flight()` (token_bucket by default).
template <class Inner = basic_token_bucket<sync::single_thread>, class Sync = sync::single_thread>
class keyed {
 public:
  using slot = gemini::slot::limit;
  using time_point = std::chrono::steady_clock::time_point;
  using inner_options = std::remove_cvref_t<decltype(std::declval<const Inner&>().options())>;
  using options_type = keyed_options<inner_options>;

  explicit keyed(options_type o = {}) : o_(std::move(o)) {}
  keyed(const keyed& other) : keyed(other.o_) {}
  keyed& operator=(const keyed&) = delete;

  /// New options; every key's limiter starts afresh (calls in flight are forgotten).
  void reconfigure(options_type o) {
    std::lock_guard lock(mutex_);
    o_ = std::move(o);
    limiters_.clear();
  }
  /// A copy, taken under the lock (reconfigure() may run on another thread).
  options_type options() const {
    std::lock_guard lock(mutex_);
    return o_;
  }

  grant try_acquire(const cost& c, time_point now) {
    std::lock_guard lock(mutex_);
    if (now < paused_until_) return {false, paused_until_};
    return entry_for(c, now).limiter.try_acquire(c, now);
  }
  void release(const cost& c, std::int64_t actual_tokens, time_point now) {
    std::lock_guard lock(mutex_);
    entry_for(c, now).limiter.release(c, actual_tokens, now);
  }
  /// A 429 with RetryInfo pauses every key: the service's quota is the project's.
  void pause_until(time_point until) {
    std::lock_guard lock(mutex_);
    paused_until_ = std::max(paused_until_, until);
  }

  /// Calls of different keys wait in different queues.
  bool same_queue(const cost& a, const cost& b) const {
    key_by by;
    {
      std::lock_guard lock(mutex_);
      by = o_.by;
    }
    return same_key(by, a, b);
  }

  /// The limiter of a key (created on first use), for inspection in tests and metrics.
  Inner& limiter_for(std::string_view tenant, std::string_view model) {
    std::lock_guard lock(mutex_);
    cost c;
    c.tenant = tenant;
    c.model = model;
    return entry_for(c, time_point{}).limiter;
  }
  std::size_t keys() const {
    std::lock_guard lock(mutex_);
    return limiters_.size();
  }

 private:
  struct entry {
    Inner limiter;
    time_point last_used;
  };

  std::string key_of(const cost& c) const {
    switch (o_.by) {
      case key_by::tenant: return std::string(c.tenant);
      case key_by::model: return std::string(c.model);
      default: {
        std::string k;
        k.reserve(c.tenant.size() + 1 + c.model.size());
        k.append(c.tenant).push_back('\0');
        k.append(c.model);
        return k;
      }
    }
  }

  entry& entry_for(const cost& c, time_point now) {
    auto k = key_of(c);
    auto it = limiters_.find(k);
    if (it == limiters_.end()) {
      if (limiters_.size() >= o_.max_keys) drop_idle();
      auto opts = o_.options_for ? o_.options_for(c.tenant, c.model) : o_.defaults;
      it = limiters_.try_emplace(std::move(k), entry{Inner(opts), now}).first;
    }
    it->second.last_used = std::max(it->second.last_used, now);
    return it->second;
  }

  void drop_idle() {
    auto victim = limiters_.end();
    for (auto it = limiters_.begin(); it != limiters_.end(); ++it)
      if (it->second.limiter.in_flight() == 0 &&
          (victim == limiters_.end() || it->second.last_used < victim->second.last_used))
        victim = it;
    if (victim != limiters_.end()) limiters_.erase(victim);
  }

  options_type o_;
  std::unordered_map<std::string, entry> limiters_;
  time_point paused_until_{};
  [[no_unique_address]] mutable typename Sync::mutex mutex_;
};

}  // namespace limit
}  // namespace v1
}  // namespace gemini
