// gemini-cxx — gemini::shared<P>: one policy object shared by several clients.
//
// A client owns its policies by value. A service that runs one client per thread (an
// io_context per core) and wants one rate limit, one breaker or one memory cache for all
// of them puts `shared<P>` in the slot and hands every client the same object:
//
//   struct my_policies : gemini::policies::defaults {
//     using limit = gemini::shared<gemini::limit::basic_token_bucket<gemini::sync::multi_thread>>;
//     using cache = gemini::shared<gemini::cache::memory<gemini::sync::multi_thread>>;
//   };
//   auto limiter = std::make_shared<my_policies::limit::policy_type>(bucket_options);
//   gemini::basic_config<my_policies> cfg;
//   cfg.limit.policy = limiter;            // the same pointer in every client's config
//
// `P` must be safe to use from several threads when the clients run on several: its
// `multi_thread` variant (the `single_thread` ones have no locks). limit::redis and
// cache::redis are bound to one executor: share them only between clients on that one. The adapter
// forwards the slot's expressions to
// `*policy`; it adds nothing per call but the indirection.
//
// Waiting for a shared limiter: a client's wait queue is its own, and a slot freed by
// another client does not wake it. A refusal that says "when a running call ends"
// (time_point::max(): the concurrency cap) is turned into "ask again in `recheck`", so a
// waiter sees a slot freed elsewhere within `recheck` (its own client's calls still wake
// it at once). Rate refusals (RPM, TPM) already say when to ask again and are unchanged.
// See docs/limit.md ("Local, shared, distributed") and docs/decisions/0012.
#pragma once

#include <gemini/breaker/concept.hpp>
#include <gemini/cache/concept.hpp>
#include <gemini/client_config.hpp>
#include <gemini/limit/concept.hpp>

#include <boost/describe/class.hpp>

#include <chrono>
#include <memory>
#include <type_traits>
#include <utility>

namespace gemini {
inline namespace v1 {

/// The options of a `shared<P>` slot: the object to share, or (when it is null) the options
/// to build the client's own from.
template <class P>
struct shared_options {
  /// The shared policy; null: the client builds its own from `options` (nothing shared).
  std::shared_ptr<P> policy;
  options_of<P> options{};
  /// Limit slot only: how soon a caller refused for the concurrency cap asks again.
  std::chrono::milliseconds recheck{2};
  BOOST_DESCRIBE_CLASS(shared_options, (), (options, recheck), (), ())
};

template <class P>
class shared {
 public:
  using slot = typename P::slot;
  using policy_type = P;
  using options_type = shared_options<P>;
  using time_point = std::chrono::steady_clock::time_point;

  shared() : shared(options_type{}) {}
  explicit shared(options_type o) : recheck_(o.recheck), p_(std::move(o.policy)) {
    if (p_) return;
    if constexpr (std::is_same_v<options_of<P>, no_options>) {
      p_ = std::make_shared<P>();
    } else {
      static_assert(std::is_constructible_v<P, options_of<P>>,
                    "gemini::shared<P>: P needs an executor: give the client's config a "
                    "shared_options<P>::policy, or let the client pass its executor");
      p_ = std::make_shared<P>(std::move(o.options));
    }
  }
  /// For a P built from an executor and its options (e.g. limit::redis): the client passes
  /// its executor.
  template <class Executor>
  requires std::is_constructible_v<P, Executor, options_of<P>> shared(Executor ex, options_type o)
      : recheck_(o.recheck), p_(std::move(o.policy)) {
    if (!p_) p_ = std::make_shared<P>(std::move(ex), std::move(o.options));
  }
  /// `p` must not be null when P needs an executor to be built.
  explicit shared(std::shared_ptr<P> p) : recheck_(options_type{}.recheck), p_(std::move(p)) {
    if constexpr (std::is_same_v<options_of<P>, no_options>) {
      if (!p_) p_ = std::make_shared<P>();
    } else if constexpr (std::is_constructible_v<P, options_of<P>>) {
      if (!p_) p_ = std::make_shared<P>(options_of<P>{});
    }
  }

  /// The shared object (also to reconfigure it, or read its counters).
  P& get() const noexcept { return *p_; }
  P* operator->() const noexcept { return p_.get(); }
  const std::shared_ptr<P>& pointer() const noexcept { return p_; }

  /// P's own options (for the limit slot: max_queue and max_wait bound this client's queue).
  decltype(auto) options() const requires requires(const P& p) { p.options(); }
  { return p_->options(); }

  // ---- limit slot --------------------------------------------------------------------

  limit::grant try_acquire(const limit::cost& c, time_point now) requires limit::limit_policy<P> &&
      (!limit::async_limit_policy<P>) {
    return recheck(p_->try_acquire(c, now), now);
  }
  boost::asio::awaitable<limit::grant> async_try_acquire(
      const limit::cost& c, time_point now) requires limit::async_limit_policy<P> {
    co_return recheck(co_await p_->async_try_acquire(c, now), now);
  }
  void release(const limit::cost& c, std::int64_t actual_tokens,
               time_point now) requires limit::limit_policy<P> {
    p_->release(c, actual_tokens, now);
  }
  void pause_until(time_point until) requires limit::limit_policy<P> { p_->pause_until(until); }
  bool same_queue(const limit::cost& a, const limit::cost& b) const requires requires(const P& p) {
    { p.same_queue(a, b) } -> std::same_as<bool>;
  }
  { return p_->same_queue(a, b); }

  // ---- cache slot --------------------------------------------------------------------

  decltype(auto) behaviour() const requires requires(const P& p) { p.behaviour(); }
  { return p_->behaviour(); }
  cache::lookup_result lookup(const cache::key& k, time_point now) requires cache::sync_backend<P> {
    return p_->lookup(k, now);
  }
  void store(const cache::key& k, cache::response_ptr v, std::chrono::milliseconds ttl,
             time_point now) requires cache::sync_backend<P> {
    p_->store(k, std::move(v), ttl, now);
  }
  boost::asio::awaitable<cache::lookup_result> async_lookup(
      const cache::key& k, time_point now) requires cache::async_backend<P> {
    return p_->async_lookup(k, now);
  }
  boost::asio::awaitable<void> async_store(const cache::key& k, cache::response_ptr v,
                                           std::chrono::milliseconds ttl,
                                           time_point now) requires cache::async_backend<P> {
    return p_->async_store(k, std::move(v), ttl, now);
  }

  // ---- breaker slot ------------------------------------------------------------------

  bool allow(time_point now) requires breaker::breaker_policy<P> { return p_->allow(now); }
  void record(breaker::outcome o, std::chrono::steady_clock::duration took,
              time_point now) requires breaker::breaker_policy<P> {
    p_->record(o, took, now);
  }
  breaker::state current(time_point now) requires breaker::breaker_policy<P> {
    return p_->current(now);
  }

 private:
  limit::grant recheck(limit::grant g, time_point now) const {
    if (!g.granted && !g.error && g.when == time_point::max() && recheck_.count() > 0 &&
        now < time_point::max() - recheck_)
      g.when = now + recheck_;  // a slot freed by another client wakes nobody here
    return g;
  }

  std::chrono::milliseconds recheck_;
  std::shared_ptr<P> p_;
};

}  // namespace v1
}  // namespace gemini
