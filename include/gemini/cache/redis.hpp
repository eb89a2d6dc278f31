// gemini-cxx — cache::redis: a response cache shared by every instance of a service,
// on Redis (gemini::redis::connection: Asio I/O, hiredis RESP). Needs the gemini::redis
// CMake target (hiredis).
//
// Entries are `SET <prefix><sha256 hex> <value> PX <ttl + stale window>`; the value holds
// the wall-clock time until which it is fresh, then the response's JSON. Wall-clock time
// (not a steady clock) because several machines read the same entry.
//
// Fail-open: when Redis is down, slow (past command_timeout) or returns garbage, a lookup
// is a miss and a store is skipped; the call goes on to the network and never fails
// because of the cache. Every such event is counted (`stats().errors`).
//
//   struct my_policies : gemini::policies::defaults {
//     using cache = gemini::cache::redis;                      // shared, one round trip a hit
//     // using cache = gemini::cache::tiered<gemini::cache::memory<>, gemini::cache::redis>;
//   };
#pragma once

#include <gemini/cache/concept.hpp>
#include <gemini/redis/connection.hpp>
#include <gemini/wire/json.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/describe/class.hpp>

#include <charconv>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace gemini {
inline namespace v1 {
namespace cache {

struct redis_options : cache::behaviour {
  /// The server. A cache should give up quickly: short timeouts by default.
  gemini::redis::options server = [] {
    gemini::redis::options o;
    o.connect_timeout = std::chrono::milliseconds(250);
    o.command_timeout = std::chrono::milliseconds(250);
    return o;
  }();
  /// Prepended to every key ("<prefix><64 hex digits>"); one prefix per application keeps
  /// several on one Redis apart.
  std::string key_prefix = "gemini:cache:v1:";
  /// The wall clock freshness is judged by (tests substitute their own).
  std::function<std::chrono::system_clock::time_point()> wall_clock;
};
BOOST_DESCRIBE_STRUCT(redis_options, (cache::behaviour), (server, key_prefix))

struct redis_stats {
  std::uint64_t hits = 0;
  std::uint64_t misses = 0;
  std::uint64_t stale_found = 0;
  std::uint64_t stores = 0;
  std::uint64_t errors = 0;         ///< Redis unreachable, slow or refusing: failed open
  std::uint64_t decode_errors = 0;  ///< a value that is not one of ours: treated as a miss
};

class redis_cache {
 public:
  using slot = gemini::slot::cache;
  using options_type = redis_options;
  using executor_type = boost::asio::any_io_executor;

  explicit redis_cache(executor_type ex, redis_options o = {})
      : ex_(ex),
        o_(std::move(o)),
        conn_(std::make_unique<gemini::redis::connection>(ex_, o_.server)) {}

  /// New options and a new connection (the entries stay in Redis).
  void reconfigure(redis_options o) {
    o_ = std::move(o);
    conn_ = std::make_unique<gemini::redis::connection>(ex_, o_.server);
  }
  const redis_options& options() const noexcept { return o_; }
  const cache::behaviour& behaviour() const noexcept { return o_; }
  const redis_stats& stats() const noexcept { return stats_; }
  gemini::redis::connection& connection() noexcept { return *conn_; }

  /// The Redis key of a cache key.
  std::string redis_key(const key& k) const { return o_.key_prefix + k.hex(); }

  boost::asio::awaitable<lookup_result> async_lookup(const key& k, time_point) {
    std::string rk = redis_key(k);
    auto r = co_await conn_->command("GET", rk);
    if (!r || r->is_error()) {
      ++stats_.errors;
      co_return lookup_result{};
    }
    if (r->is_nil()) {
      ++stats_.misses;
      co_return lookup_result{};
    }
    auto decoded = decode(r->str());
    if (!decoded.value) {
      ++stats_.decode_errors;
      ++stats_.misses;
      co_return lookup_result{};
    }
    if (decoded.stale) {
      ++stats_.misses;
      ++stats_.stale_found;
    } else {
      ++stats_.hits;
    }
    co_return decoded;
  }

  boost::asio::awaitable<void> async_store(const key& k, response_ptr v,
                                           std::chrono::milliseconds ttl, time_point) {
    if (!v || ttl.count() <= 0) co_return;
    auto fresh_until =
        std::chrono::duration_cast<std::chrono::milliseconds>((wall_now() + ttl).time_since_epoch())
            .count();
    std::string value = "gcx1 " + std::to_string(fresh_until) + '\n' + wire::serialize(*v);
    std::string rk = redis_key(k);
    std::string px = std::to_string((ttl + o_.stale_if_error).count());
    auto r = co_await conn_->command("SET", rk, value, "PX", px);
    if (!r || !r->is_status("OK"))
      ++stats_.errors;
    else
      ++stats_.stores;
  }

 private:
  std::chrono::system_clock::time_point wall_now() const {
    return o_.wall_clock ? o_.wall_clock() : std::chrono::system_clock::now();
  }

  /// "gcx1 <fresh-until ms since the epoch>\n<response JSON>"
  lookup_result decode(std::string_view v) const {
    if (v.substr(0, 5) != "gcx1 ") return {};
    auto nl = v.find('\n');
    if (nl == std::string_view::npos) return {};
    std::int64_t until = 0;
    auto [p, ec] = std::from_chars(v.data() + 5, v.data() + nl, until);
    if (ec != std::errc{} || p != v.data() + nl) return {};
    auto parsed = wire::parse<wire::generate_content_response>(v.substr(nl + 1));
    if (!parsed) return {};
    auto now_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(wall_now().time_since_epoch())
            .count();
    lookup_result out;
    out.value = std::make_shared<const response>(std::move(*parsed));
    out.stale = now_ms >= until;
    if (!out.stale) out.fresh_for = std::chrono::milliseconds(until - now_ms);
    return out;
  }

  executor_type ex_;
  redis_options o_;
  std::unique_ptr<gemini::redis::connection> conn_;
  redis_stats stats_;
};

using redis = redis_cache;

/// tiered's options: one value per level.
template <class L1Options, class L2Options>
struct tiered_options {
  L1Options l1;
  L2Options l2;
  BOOST_DESCRIBE_CLASS(tiered_options, (), (l1, l2), (), ())
};

/// L1 (a synchronous cache, usually memory) in front of L2 (usually redis): hits in L1
/// cost no round trip; L2 hits are copied into L1 for no longer than they stay fresh;
/// stores go to both. The behaviour (TTL, coalescing, stale window) is L1's.
template <class L1, class L2>
class tiered {
  static_assert(sync_backend<L1>, "gemini: tiered<L1, L2> needs a synchronous L1 (memory)");
  static_assert(async_backend<L2> || sync_backend<L2>, "gemini: tiered<L1, L2>: L2 is no cache");

 public:
  using slot = gemini::slot::cache;
  using options_type = tiered_options<typename L1::options_type, typename L2::options_type>;

  template <class Executor>
  requires std::constructible_from<L2, Executor>
  explicit tiered(Executor ex) : l2_(ex) {}
  template <class Executor>
  requires std::constructible_from<L2, Executor, typename L2::options_type> tiered(Executor ex,
                                                                                   options_type o)
      : l1_(std::move(o.l1)), l2_(ex, std::move(o.l2)) {}
  tiered() requires std::default_initializable<L2>
  = default;
  explicit tiered(options_type o) requires std::constructible_from<L2, typename L2::options_type>
      : l1_(std::move(o.l1)), l2_(std::move(o.l2)) {}

  L1& l1() noexcept { return l1_; }
  L2& l2() noexcept { return l2_; }
  const cache::behaviour& behaviour() const noexcept { return l1_.behaviour(); }

  boost::asio::awaitable<lookup_result> async_lookup(const key& k, time_point now) {
    auto hit = l1_.lookup(k, now);
    if (hit && !hit.stale) co_return hit;
    lookup_result second;
    if constexpr (async_backend<L2>)
      second = co_await l2_.async_lookup(k, now);
    else
      second = l2_.lookup(k, now);
    if (second && !second.stale) {
      auto ttl = second.fresh_for.count() > 0 ? std::min(second.fresh_for, behaviour().ttl)
                                              : behaviour().ttl;
      l1_.store(k, second.value, ttl, now);
      co_return second;
    }
    co_return hit ? hit : second;  // a stale entry from either level, or nothing
  }

  boost::asio::awaitable<void> async_store(const key& k, response_ptr v,
                                           std::chrono::milliseconds ttl, time_point now) {
    l1_.store(k, v, ttl, now);
    if constexpr (async_backend<L2>)
      co_await l2_.async_store(k, std::move(v), ttl, now);
    else
      l2_.store(k, std::move(v), ttl, now);
  }

 private:
  L1 l1_;
  L2 l2_;
};

}  // namespace cache
}  // namespace v1
}  // namespace gemini
