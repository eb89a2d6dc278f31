// gemini-cxx — the `route` slot: multi-model, multi-provider routing with failover.
//
// A router holds the endpoints and, per endpoint, its circuit breaker, its own rate limits
// and what the strategies need (calls in flight, a peak-EWMA latency, smooth-WRR weights).
// For every attempt the client asks `choose()`: endpoints are filtered — capabilities
// (multimodal parts, tools, code execution, the prompt against the context window), the
// ones that already failed this call, an open breaker, saturated limits — and the strategy
// picks among the rest. When nothing is left the error says, endpoint by endpoint, why.
//
//   struct my_policies : gemini::policies::defaults {
//     using route = gemini::route::router<gemini::route::ordered_fallback>;
//   };
//   client.router().reconfigure({.endpoints = {primary, secondary}});
//
// Strategies: single, ordered_fallback, weighted (smooth weighted round robin),
// least_loaded, latency (peak EWMA), power_of_two (two random choices by load), scored
// (price, latency and load with weights).
#pragma once

#include <gemini/breaker/concept.hpp>
#include <gemini/breaker/consecutive_failures.hpp>
#include <gemini/error.hpp>
#include <gemini/limit/token_bucket.hpp>
#include <gemini/route/concept.hpp>
#include <gemini/route/endpoint.hpp>
#include <gemini/slots.hpp>

#include <boost/describe/class.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <vector>

namespace gemini {
inline namespace v1 {
namespace route {

using time_point = std::chrono::steady_clock::time_point;

/// What the router tracks per endpoint (strategies read it; weighted writes its weight).
struct endpoint_load {
  std::size_t in_flight = 0;
  double latency_ms = 0;  ///< peak EWMA of successful calls' latency
  std::uint64_t samples = 0;
  time_point last_sample{};
  double current_weight = 0;  ///< smooth weighted round robin
  std::uint64_t calls = 0, successes = 0, failures = 0;
  std::uint64_t cancelled = 0;  ///< attempts cancelled (e.g. the loser of a hedged pair)
  /// The latest successful latencies (ms), for the p95 that hedging may wait for.
  std::array<float, 64> recent{};
  std::size_t recent_count = 0;

  /// The 95th percentile of the recent latencies (0 without samples).
  double p95_ms() const {
    std::size_t n = std::min(recent_count, recent.size());
    if (n == 0) return 0;
    std::array<float, 64> v = recent;
    auto k = static_cast<std::size_t>(0.95 * static_cast<double>(n - 1) + 0.5);
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k),
                     v.begin() + static_cast<std::ptrdiff_t>(n));
    return v[k];
  }
};

struct candidate {
  std::size_t index;  ///< into the router's endpoints
  const endpoint* ep;
  endpoint_load* load;
};

struct pick_context {
  std::mt19937_64& rng;
};

// ---- strategies: pick one of the candidates (never empty) ------------------------------

/// Always the first endpoint that passes the filters (no failover order beyond that).
struct single {
  std::size_t pick(std::span<const candidate> c, pick_context&) const noexcept {
    (void)c;
    return 0;
  }
  static constexpr bool first_only = true;
};

/// The endpoints in their configured order: the first healthy one, then the next.
struct ordered_fallback {
  std::size_t pick(std::span<const candidate>, pick_context&) const noexcept { return 0; }
};

/// Smooth weighted round robin (nginx): deterministic, spreads each endpoint's share evenly.
struct weighted {
  std::size_t pick(std::span<const candidate> c, pick_context&) const noexcept {
    double total = 0;
    std::size_t best = 0;
    for (std::size_t i = 0; i < c.size(); ++i) {
      c[i].load->current_weight += c[i].ep->weight;
      total += c[i].ep->weight;
      if (c[i].load->current_weight > c[best].load->current_weight) best = i;
    }
    c[best].load->current_weight -= total;
    return best;
  }
};

/// Fewest calls in flight; ties go to the earlier endpoint.
struct least_loaded {
  std::size_t pick(std::span<const candidate> c, pick_context&) const noexcept {
    std::size_t best = 0;
    for (std::size_t i = 1; i < c.size(); ++i)
      if (c[i].load->in_flight < c[best].load->in_flight) best = i;
    return best;
  }
};

/// Peak EWMA (Finagle): lowest latency × (in flight + 1). Endpoints without a sample yet
/// are tried first, so every endpoint gets measured.
struct latency {
  std::size_t pick(std::span<const candidate> c, pick_context&) const noexcept {
    std::size_t best = 0;
    double best_cost = cost(c[0]);
    for (std::size_t i = 1; i < c.size(); ++i) {
      double k = cost(c[i]);
      if (k < best_cost) best = i, best_cost = k;
    }
    return best;
  }
  static double cost(const candidate& c) noexcept {
    if (c.load->samples == 0) return -1.0 / static_cast<double>(c.load->in_flight + 1);
    return c.load->latency_ms * static_cast<double>(c.load->in_flight + 1);
  }
};

/// Two endpoints drawn at random (seeded), the less loaded one wins.
struct power_of_two {
  std::size_t pick(std::span<const candidate> c, pick_context& ctx) const {
    if (c.size() == 1) return 0;
    std::uniform_int_distribution<std::size_t> d(0, c.size() - 1);
    std::size_t a = d(ctx.rng), b = d(ctx.rng);
    while (b == a) b = d(ctx.rng);
    return c[b].load->in_flight < c[a].load->in_flight ? b : a;
  }
};

/// Lowest weighted score of price (input + output per million), latency (peak EWMA) and
/// load (in flight), each normalized by the largest among the candidates.
struct scored {
  double cost_weight = 1;
  double latency_weight = 1;
  double load_weight = 1;

  std::size_t pick(std::span<const candidate> c, pick_context&) const noexcept {
    double max_price = 0, max_latency = 0, max_load = 0;
    for (auto const& x : c) {
      max_price = std::max(max_price, x.ep->price.input + x.ep->price.output);
      max_latency = std::max(max_latency, x.load->latency_ms);
      max_load = std::max(max_load, static_cast<double>(x.load->in_flight));
    }
    auto norm = [](double v, double max) { return max > 0 ? v / max : 0.0; };
    std::size_t best = 0;
    double best_score = 0;
    for (std::size_t i = 0; i < c.size(); ++i) {
      double s = cost_weight * norm(c[i].ep->price.input + c[i].ep->price.output, max_price) +
                 latency_weight * norm(c[i].load->latency_ms, max_latency) +
                 load_weight * norm(static_cast<double>(c[i].load->in_flight), max_load);
      if (i == 0 || s < best_score) best = i, best_score = s;
    }
    return best;
  }
};

template <class S>
concept strategy = requires(S& s, std::span<const candidate> c, pick_context& ctx) {
  { s.pick(c, ctx) } -> std::convertible_to<std::size_t>;
};

// ---- the router --------------------------------------------------------------------------

template <class Breaker>
struct router_options {
  std::vector<endpoint> endpoints;
  std::uint64_t seed = 0x9e3779b97f4a7c15ULL;  ///< power_of_two's draws
  /// How fast the latency estimate forgets (a slower sample replaces it at once: "peak").
  std::chrono::milliseconds latency_decay{10000};
  /// A blocked prompt or a SAFETY finish is retried on the next endpoint (content-policy
  /// fallback); off: a block is the answer.
  bool fallback_on_block = false;
  /// Each endpoint's breaker (empty: default-constructed).
  std::function<Breaker(const endpoint&)> make_breaker;
  /// Hedging (generate() only): when the chosen endpoint has not answered after this long,
  /// a second request goes to the next endpoint the strategy picks; the first success
  /// wins and the other is cancelled. 0: off.
  std::chrono::milliseconds hedge_after{0};
  /// Wait for the first endpoint's observed p95 latency instead (once it has
  /// `hedge_min_samples` successful calls; `hedge_after` until then).
  bool hedge_at_p95 = false;
  std::size_t hedge_min_samples = 20;
  /// Mid-stream recovery (best effort, off by default): when a stream is cut after chunks
  /// reached the caller, another endpoint is asked to continue from the partial answer
  /// (sent as the model's turn) and only the continuation is delivered.
  bool resume_streams = false;
  BOOST_DESCRIBE_CLASS(router_options, (),
                       (endpoints, seed, latency_decay, fallback_on_block, hedge_after,
                        hedge_at_p95, hedge_min_samples, resume_streams),
                       (), ())
};

template <strategy Strategy, class Breaker = breaker::consecutive_failures>
class router {
  static_assert(breaker::breaker_policy<Breaker>,
                "gemini: router<Strategy, Breaker>: Breaker must be a breaker policy");

 public:
  using slot = gemini::slot::route;
  using options_type = router_options<Breaker>;

  router() = default;
  explicit router(options_type o, Strategy s = {}) : strategy_(std::move(s)) {
    reconfigure(std::move(o));
  }
  router(const router& other) : router(other.o_, other.strategy_) {}
  router& operator=(const router&) = delete;

  /// New endpoints and options; every endpoint's state starts afresh.
  void reconfigure(options_type o) {
    o_ = std::move(o);
    rng_.seed(o_.seed);
    state_.clear();
    state_.reserve(o_.endpoints.size());
    for (auto const& ep : o_.endpoints) {
      per_endpoint s{o_.make_breaker ? o_.make_breaker(ep) : Breaker{}, std::nullopt, {}};
      if (ep.limits) s.limiter.emplace(*ep.limits);
      state_.push_back(std::move(s));
    }
  }

  const options_type& options() const noexcept { return o_; }
  Strategy& strategy() noexcept { return strategy_; }
  std::size_t size() const noexcept { return o_.endpoints.size(); }
  const endpoint& at(std::size_t i) const { return o_.endpoints.at(i); }
  const endpoint_load& load(std::size_t i) const { return state_.at(i).load; }
  Breaker& breaker_of(std::size_t i) { return state_.at(i).breaker; }

  /// Picks the endpoint for one attempt and takes its breaker permit and rate-limit grant.
  /// `failed[i]` not empty: endpoint i already failed this call (that is why).
  choice choose(const request_traits& t, std::span<const std::string> failed, time_point now) {
    std::string why;
    auto reject = [&](const endpoint& ep, const std::string& reason) {
      if (!why.empty()) why += "; ";
      why += (ep.name.empty() ? ep.model : ep.name) + ": " + reason;
    };
    cands_.clear();
    for (std::size_t i = 0; i < o_.endpoints.size(); ++i) {
      auto const& ep = o_.endpoints[i];
      if constexpr (requires { Strategy::first_only; }) {
        if (i > 0) break;  // route::single: one endpoint, no failover
      }
      if (i < failed.size() && !failed[i].empty()) {
        reject(ep, failed[i]);
      } else if (t.multimodal && !ep.caps.multimodal) {
        reject(ep, "no multimodal input");
      } else if (t.code && !ep.caps.code) {
        reject(ep, "no code execution");
      } else if (t.tools && !ep.caps.tools) {
        reject(ep, "no tools");
      } else if (t.prompt_tokens > ep.caps.context_window) {
        reject(ep, "context window " + std::to_string(ep.caps.context_window) + " < " +
                       std::to_string(t.prompt_tokens) + " tokens");
      } else if (state_[i].breaker.current(now) == breaker::state::open) {
        reject(ep, "breaker open");
      } else {
        cands_.push_back(candidate{i, &ep, &state_[i].load});
      }
    }
    pick_context ctx{rng_};
    while (!cands_.empty()) {
      std::size_t k = std::min<std::size_t>(strategy_.pick(cands_, ctx), cands_.size() - 1);
      std::size_t i = cands_[k].index;
      auto& st = state_[i];
      const limit::cost c{t.prompt_tokens};
      bool limited = st.limiter && !st.limiter->try_acquire(c, now).granted;
      if (!limited && st.breaker.allow(now)) {
        ++st.load.in_flight;
        ++st.load.calls;
        return {i, {}};
      }
      if (!limited && st.limiter) st.limiter->release(c, c.tokens, now);  // the breaker refused
      reject(*cands_[k].ep, limited ? "rate limit reached" : "breaker refused (half-open)");
      cands_.erase(cands_.begin() + static_cast<std::ptrdiff_t>(k));
    }
    if (o_.endpoints.empty()) why = "no endpoints configured";
    return {std::nullopt, std::move(why)};
  }

  /// How long to wait for endpoint i before hedging (nullopt: no hedging).
  std::optional<std::chrono::milliseconds> hedge_delay(std::size_t i) const {
    if (o_.hedge_after.count() <= 0 && !o_.hedge_at_p95) return std::nullopt;
    auto const& l = state_.at(i).load;
    if (o_.hedge_at_p95 && l.recent_count >= o_.hedge_min_samples)
      return std::chrono::milliseconds(static_cast<std::int64_t>(std::ceil(l.p95_ms())));
    if (o_.hedge_after.count() <= 0) return std::nullopt;
    return o_.hedge_after;
  }

  /// The attempt on endpoint i ended: `err` null on success.
  void finished(std::size_t i, const gemini::error* err, std::chrono::steady_clock::duration took,
                time_point now, std::int64_t reserved_tokens, std::int64_t used_tokens) {
    auto& st = state_.at(i);
    if (st.load.in_flight > 0) --st.load.in_flight;
    st.breaker.record(err ? breaker::judge(*err) : breaker::outcome::success, took, now);
    if (st.limiter)
      st.limiter->release(limit::cost{reserved_tokens}, err ? reserved_tokens : used_tokens, now);
    if (err && err->code == condition::cancelled) {
      ++st.load.cancelled;
      return;
    }
    if (err) {
      ++st.load.failures;
      if (st.limiter && err->code == condition::throttled && err->retry_delay)
        st.limiter->pause_until(gemini::detail::saturating_add(now, *err->retry_delay));
      return;
    }
    ++st.load.successes;
    double ms = std::chrono::duration<double, std::milli>(took).count();
    auto& l = st.load;
    if (l.samples == 0 || ms > l.latency_ms) {
      l.latency_ms = ms;  // peak: a slower sample counts at once
    } else {
      double dt = std::chrono::duration<double, std::milli>(now - l.last_sample).count();
      double w = std::exp(-std::max(dt, 0.0) / static_cast<double>(o_.latency_decay.count()));
      l.latency_ms = l.latency_ms * w + ms * (1 - w);
    }
    l.last_sample = now;
    ++l.samples;
    l.recent[l.recent_count++ % l.recent.size()] = static_cast<float>(ms);
  }

 private:
  struct per_endpoint {
    Breaker breaker;
    std::optional<limit::token_bucket> limiter;
    endpoint_load load;
  };

  options_type o_;
  Strategy strategy_;
  std::vector<per_endpoint> state_;
  std::vector<candidate> cands_;
  std::mt19937_64 rng_{0x9e3779b97f4a7c15ULL};
};

}  // namespace route
}  // namespace v1
}  // namespace gemini
