// gemini-cxx — limit::redis: requests per minute, tokens per minute and a concurrency cap
// kept in Redis, so every process (and machine) using one API key shares one limit. Needs
// the gemini::redis CMake target (hiredis).
//
//   struct my_policies : gemini::policies::defaults {
//     using limit = gemini::limit::redis;
//   };
//   gemini::basic_config<my_policies> cfg;
//   cfg.limit.limits.requests_per_minute = 600;   // the project's quota, for all replicas
//   cfg.limit.limits.tokens_per_minute = 1'000'000;
//   cfg.limit.server.host = "10.0.0.5";
//
// One Redis round trip per admission: an atomic Lua script (EVALSHA) checks and takes the
// request, the tokens and a concurrency slot together, or takes nothing and says how long
// to wait. Rates are GCRA (generic cell rate algorithm: one "theoretical arrival time" per
// limit, no per-request entries); concurrency slots are counted per process instance and
// held under a lease that the instance renews while it holds slots, so the slots of a
// process that dies come back when its lease expires. Time is the Redis server's clock
// (TIME), the same for every process. Release (settling the tokens with the real usage,
// freeing the slot) and 429 pauses are sent without waiting for the reply.
//
// Redis unreachable (connect refused, past command_timeout, an error reply): by
// `on_failure`, either fail closed (the call fails with errc::unavailable, at once) or fail
// open (a local token bucket with `fallback` limits decides: your share of the limit);
// every such admission is counted in stats(). See docs/limit.md.
#pragma once

#include <gemini/error.hpp>
#include <gemini/limit/concept.hpp>
#include <gemini/limit/keyed.hpp>
#include <gemini/limit/token_bucket.hpp>
#include <gemini/redis/connection.hpp>
#include <gemini/redis/script.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/describe/class.hpp>
#include <boost/describe/enum.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace gemini {
inline namespace v1 {
namespace limit {

/// What a shared limiter does when its store cannot be reached.
enum class on_store_failure {
  fail_closed,  ///< the call fails with errc::unavailable
  fail_open,    ///< a local token bucket (`fallback` limits) decides
};
BOOST_DESCRIBE_ENUM(on_store_failure, fail_closed, fail_open)

struct redis_limit_options {
  /// The limits every process together keeps (RPM, TPM, concurrency, burst). max_queue and
  /// max_wait bound this process's own wait queue.
  token_bucket_options limits;
  key_by by = key_by::model;  ///< one set of limits per model (the service's quotas)
  /// The limits of one key (tenant, model) when they differ (e.g. per model quotas);
  /// empty: `limits` for every key. Asked on every admission and release: keep it cheap
  /// and give every process the same answers. max_queue / max_wait come from `limits`.
  std::function<token_bucket_options(std::string_view tenant, std::string_view model)> limits_for;
  /// The server. An admission should not wait long for it: short timeouts by default.
  gemini::redis::options server = gemini::redis::admission_options();
  /// Every key is "{<name>}:...": one Redis Cluster hash slot, so the scripts may touch all
  /// of a limiter's keys (a 429 pauses every key). Limiters with the same name share
  /// limits; give each API key (project) its own name.
  std::string name = "gemini:limit";
  on_store_failure on_failure = on_store_failure::fail_open;
  /// The limits used while Redis is unreachable and on_failure is fail_open: this
  /// process's share (e.g. the limits divided by the number of replicas).
  token_bucket_options fallback;
  /// A concurrency slot of a process that stopped renewing it is freed after this long. The
  /// lease is renewed every lease / 3 while slots are held.
  std::chrono::milliseconds lease{std::chrono::seconds(15)};
  /// A caller refused for the concurrency cap asks again after this long (a slot freed by
  /// another process wakes nobody here).
  std::chrono::milliseconds recheck{5};
  /// Tests only: count time `time_scale` times faster than the server's clock (every
  /// process of a test must use the same scale and epoch). Leases stay in real time.
  double time_scale = 1.0;
  std::int64_t time_epoch_ms = 0;
};
BOOST_DESCRIBE_STRUCT(redis_limit_options, (),
                      (limits, by, server, name, on_failure, fallback, lease, recheck))

/// Counters (monotonic), for tests and metrics.
struct redis_limit_stats {
  std::uint64_t granted = 0;          ///< admissions Redis granted
  std::uint64_t refused = 0;          ///< refusals (wait and ask again)
  std::uint64_t store_errors = 0;     ///< Redis unreachable, slow or refusing
  std::uint64_t fallback_grants = 0;  ///< admissions the local fallback granted (fail-open)
  std::uint64_t failed_closed = 0;    ///< calls failed with unavailable (fail-closed)
  std::uint64_t scripts_loaded = 0;   ///< NOSCRIPT answered by loading the script (restart)
  std::uint64_t renewals = 0;         ///< lease renewals sent
};

namespace detail {

// KEYS: 1 rpm TAT, 2 tpm TAT, 3 slots per instance (hash), 4 instance leases (zset), 5 pause
// ARGV: 1 epoch ms, 2 scale, 3 rpm, 4 rpm tolerance ms, 5 tpm, 6 tpm tolerance ms, 7 tokens,
//       8 max concurrency, 9 lease ms, 10 instance id
// Returns {1, 0} granted, {0, wait ms} refused for a rate or a pause, {0, -1} refused for
// the concurrency cap. Times are milliseconds of the (scaled) server clock; leases real.
inline constexpr std::string_view acquire_script = R"lua(
local t = redis.call('TIME')
local real = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local epoch, scale = tonumber(ARGV[1]), tonumber(ARGV[2])
local now = epoch + (real - epoch) * scale
local wait = 0
local p = tonumber(redis.call('GET', KEYS[5]) or '0')
if p > now then wait = p - now end
local rpm, tpm, n = tonumber(ARGV[3]), tonumber(ARGV[5]), tonumber(ARGV[7])
local rnew, tnew
if rpm > 0 then
  rnew = math.max(tonumber(redis.call('GET', KEYS[1]) or '0'), now) + 60000 / rpm
  wait = math.max(wait, rnew - tonumber(ARGV[4]) - now)
end
if tpm > 0 and n > 0 then
  tnew = math.max(tonumber(redis.call('GET', KEYS[2]) or '0'), now) + n * 60000 / tpm
  wait = math.max(wait, tnew - tonumber(ARGV[6]) - now)
end
local maxc = tonumber(ARGV[8])
if maxc > 0 then
  local dead = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', real)
  for _, id in ipairs(dead) do redis.call('HDEL', KEYS[3], id) end
  if #dead > 0 then redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', real) end
  local used = 0
  for _, v in ipairs(redis.call('HVALS', KEYS[3])) do used = used + tonumber(v) end
  if used >= maxc and wait <= 0 then return {0, -1} end
end
if wait > 0 then return {0, math.ceil(wait)} end
if rnew then
  redis.call('SET', KEYS[1], string.format('%.3f', rnew), 'PX', math.ceil((rnew - now) / scale) + 1)
end
if tnew then
  redis.call('SET', KEYS[2], string.format('%.3f', tnew), 'PX', math.ceil((tnew - now) / scale) + 1)
end
if maxc > 0 then
  local lease = tonumber(ARGV[9])
  redis.call('HINCRBY', KEYS[3], ARGV[10], 1)
  redis.call('ZADD', KEYS[4], real + lease, ARGV[10])
  redis.call('PEXPIRE', KEYS[3], lease * 2)
  redis.call('PEXPIRE', KEYS[4], lease * 2)
end
return {1, 0}
)lua";

// KEYS: 1 tpm TAT, 2 slots per instance, 3 instance leases
// ARGV: 1 epoch ms, 2 scale, 3 tpm, 4 tokens used minus reserved, 5 instance id,
//       6 1 when a concurrency slot is freed
inline constexpr std::string_view release_script = R"lua(
local t = redis.call('TIME')
local real = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local epoch, scale = tonumber(ARGV[1]), tonumber(ARGV[2])
local now = epoch + (real - epoch) * scale
local tpm, d = tonumber(ARGV[3]), tonumber(ARGV[4])
if tpm > 0 and d ~= 0 then
  local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
  if d > 0 then tat = math.max(tat, now) end
  tat = tat + d * 60000 / tpm
  if tat > now then
    redis.call('SET', KEYS[1], string.format('%.3f', tat), 'PX', math.ceil((tat - now) / scale) + 1)
  else
    redis.call('DEL', KEYS[1])
  end
end
if ARGV[6] == '1' then
  local c = tonumber(redis.call('HGET', KEYS[2], ARGV[5]) or '0')
  if c > 1 then
    redis.call('HINCRBY', KEYS[2], ARGV[5], -1)
  elseif c == 1 then
    redis.call('HDEL', KEYS[2], ARGV[5])
    redis.call('ZREM', KEYS[3], ARGV[5])
  end
end
return 1
)lua";

// KEYS: 1 slots per instance, 2 instance leases. ARGV: 1 instance id, 2 slots held, 3 lease
// The instance's own count is the truth: a lease that expired while the process was
// stalled is restored with it.
inline constexpr std::string_view renew_script = R"lua(
local t = redis.call('TIME')
local real = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local n, lease = tonumber(ARGV[2]), tonumber(ARGV[3])
if n > 0 then
  redis.call('HSET', KEYS[1], ARGV[1], n)
  redis.call('ZADD', KEYS[2], real + lease, ARGV[1])
  redis.call('PEXPIRE', KEYS[1], lease * 2)
  redis.call('PEXPIRE', KEYS[2], lease * 2)
else
  redis.call('HDEL', KEYS[1], ARGV[1])
  redis.call('ZREM', KEYS[2], ARGV[1])
end
return 1
)lua";

// KEYS: 1 pause. ARGV: 1 epoch ms, 2 scale, 3 pause ms (real)
inline constexpr std::string_view pause_script = R"lua(
local t = redis.call('TIME')
local real = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local epoch, scale = tonumber(ARGV[1]), tonumber(ARGV[2])
local now = epoch + (real - epoch) * scale
local d = tonumber(ARGV[3])
local untilt = now + d * scale
local p = tonumber(redis.call('GET', KEYS[1]) or '0')
if untilt > p then
  redis.call('SET', KEYS[1], string.format('%.3f', untilt), 'PX', math.ceil(d) + 1)
end
return 1
)lua";

}  // namespace detail

/// See the top of this file and docs/limit.md.
class redis_limiter {
 public:
  using slot = gemini::slot::limit;
  using options_type = redis_limit_options;
  using executor_type = boost::asio::any_io_executor;
  using time_point = std::chrono::steady_clock::time_point;

  explicit redis_limiter(executor_type ex, redis_limit_options o = {})
      : s_(std::make_shared<state>(ex, std::move(o))) {}
  redis_limiter(redis_limiter&&) noexcept = default;  // the client builds it from a prvalue
  redis_limiter& operator=(redis_limiter&&) = delete;
  /// Stops renewing leases: slots still held are freed by Redis when the lease expires
  /// (or at once by the releases already sent).
  ~redis_limiter() {
    if (!s_) return;
    s_->stopped = true;
    s_->renew_timer.cancel();
  }

  /// max_queue and max_wait of this process's wait queue (the limits are in Redis).
  const token_bucket_options& options() const noexcept { return s_->o.limits; }
  const redis_limit_options& redis_options() const noexcept { return s_->o; }
  redis_limit_stats stats() const noexcept {
    auto st = s_->stats;
    st.scripts_loaded =
        s_->acquire.loads() + s_->release.loads() + s_->renew.loads() + s_->pause.loads();
    return st;
  }
  const std::string& instance_id() const noexcept { return s_->instance; }
  gemini::redis::connection& connection() noexcept { return s_->conn; }
  /// Releases and pauses sent and not answered yet.
  std::size_t pending_sends() const noexcept { return s_->pending; }
  /// Concurrency slots this object holds now (granted by Redis and not yet released).
  std::size_t held() const noexcept { return s_->held_total(); }

  /// Calls of different keys wait in different queues (as limit::keyed).
  bool same_queue(const cost& a, const cost& b) const { return same_key(s_->o.by, a, b); }

  /// One round trip: takes a request, `c.tokens` tokens and a slot, or says when to ask
  /// again; on a Redis failure, fails closed or asks the local fallback.
  boost::asio::awaitable<grant> async_try_acquire(const cost& c, time_point now) {
    auto s = s_;  // the state outlives this object while the coroutine runs
    auto& o = s->o;
    const std::string k = s->key_of(c);
    const std::string base = s->base(k);
    const token_bucket_options l = s->limits_of(c);
    const std::int64_t tokens =
        l.tokens_per_minute > 0 ? std::clamp<std::int64_t>(c.tokens, 0, tpm_capacity(l)) : 0;
    std::vector<std::string> keys{base + ":rpm", base + ":tpm", base + ":slots", base + ":leases",
                                  s->pause_key()};
    std::vector<std::string> args{
        std::to_string(o.time_epoch_ms), number(o.time_scale),
        number(l.requests_per_minute),   number(tolerance_ms(l.requests_per_minute, l.burst, 1.0)),
        number(l.tokens_per_minute),     number(tolerance_ms(l.tokens_per_minute, l.burst, 0.0)),
        std::to_string(tokens),          std::to_string(l.max_concurrency),
        std::to_string(o.lease.count()), s->instance};
    // While the script runs, a renewal must count the slot it may take: the renewal states
    // this instance's count, and would otherwise overwrite the admission's increment.
    // Owned by a guard: a cancellation can also end this coroutine with an exception.
    const bool capped = l.max_concurrency > 0;
    struct admitting_guard {
      state* s;
      const std::string* k;
      ~admitting_guard() {
        if (!s) return;
        if (auto it = s->keys.find(*k); it != s->keys.end() && it->second.admitting > 0)
          --it->second.admitting;
        s->forget_if_idle(*k);
      }
    } admitting{capped ? s.get() : nullptr, &k};
    if (capped) ++s->keys[k].admitting;
    auto r = co_await s->acquire.eval(s->conn, keys, args);
    // The caller cancelled while waiting for Redis: not a store failure. (The script may
    // still have taken a slot: the next lease renewal states this instance's own count,
    // and without one the lease expires.)
    if (!r && r.error().code == errc::cancelled) co_return grant{false, now, std::move(r).error()};
    if (!r || !r->is_array() || r->elements().size() != 2 || !r->elements()[0].is_integer() ||
        !r->elements()[1].is_integer()) {
      ++s->stats.store_errors;
      std::string why =
          !r ? r.error().message
             : "unexpected reply to the limit script: " + gemini::redis::script::to_text(*r);
      if (o.on_failure == on_store_failure::fail_closed) {
        ++s->stats.failed_closed;
        co_return grant{false, now,
                        gemini::error(errc::unavailable, "the shared rate limiter (Redis " +
                                                             o.server.endpoint() +
                                                             ") cannot be reached: " + why)};
      }
      auto g = s->fallback.try_acquire(c, now);
      if (g.granted) {
        ++s->stats.fallback_grants;
        ++s->keys[k].local;
        if (c.call != 0) s->local_calls.insert(c.call);
      }
      s->forget_if_idle(k);
      co_return g;
    }
    auto granted = r->elements()[0].integer() == 1;
    auto wait_ms = r->elements()[1].integer();
    if (granted) {
      ++s->stats.granted;
      if (capped) {
        ++s->keys[k].remote;
        s->start_renewing();
      }
      co_return grant{true, now};
    }
    s->forget_if_idle(k);
    ++s->stats.refused;
    if (wait_ms < 0)  // the concurrency cap: ask again soon
      co_return grant{false, now + o.recheck};
    auto real = std::chrono::duration<double, std::milli>(static_cast<double>(wait_ms) /
                                                          std::max(o.time_scale, 1e-9));
    co_return grant{false, now + std::chrono::ceil<std::chrono::nanoseconds>(real)};
  }

  /// A granted call ended: its slot is freed and its tokens settled with `actual_tokens`,
  /// sent to Redis without waiting. The tokens and slot a fallback grant took go back
  /// to the fallback.
  void release(const cost& c, std::int64_t actual_tokens, time_point now) {
    auto& s = *s_;
    const std::string k = s.key_of(c);
    auto it = s.keys.find(k);
    bool frees_slot = false;
    if (it != s.keys.end()) {
      auto& e = it->second;
      // A fallback grant: known by its call, or (a cost without a call number) when no
      // grant of Redis is out for the key.
      bool local = false;
      if (c.call != 0) {
        if (auto l = s.local_calls.find(c.call); l != s.local_calls.end()) {
          s.local_calls.erase(l);
          local = true;
        }
      } else {
        local = e.local > 0 && e.remote == 0;
      }
      if (local && e.local > 0) {
        --e.local;
        s.forget_if_idle(k);
        s.fallback.release(c, actual_tokens, now);
        return;
      }
      if (e.remote > 0) {
        --e.remote;
        frees_slot = true;
        s.forget_if_idle(k);
        if (s.held_total() == 0) s.renew_timer.cancel();  // nothing left to renew
      }
    }
    const token_bucket_options l = s.limits_of(c);
    std::int64_t delta = 0;
    if (l.tokens_per_minute > 0 && actual_tokens >= 0)
      delta = actual_tokens - std::clamp<std::int64_t>(c.tokens, 0, tpm_capacity(l));
    if (delta == 0 && !frees_slot) return;
    const std::string base = s.base(k);
    send(s_, &state::release, {base + ":tpm", base + ":slots", base + ":leases"},
         {std::to_string(s.o.time_epoch_ms), number(s.o.time_scale), number(l.tokens_per_minute),
          std::to_string(delta), s.instance, frees_slot ? "1" : "0"});
  }

  /// A 429 with RetryInfo: every process sharing these limits waits until `until`.
  void pause_until(time_point until) {
    auto& s = *s_;
    auto now = std::chrono::steady_clock::now();
    if (until <= now) return;
    auto ms = std::chrono::ceil<std::chrono::milliseconds>(until - now).count();
    s.fallback.pause_until(until);
    send(s_, &state::pause, {s.pause_key()},
         {std::to_string(s.o.time_epoch_ms), number(s.o.time_scale), std::to_string(ms)});
  }

 private:
  /// Per key, the grants not yet released (only keys with some are kept).
  struct key_state {
    std::size_t remote = 0;     ///< concurrency slots Redis granted this object
    std::size_t local = 0;      ///< fallback grants
    std::size_t admitting = 0;  ///< admissions waiting for the script's reply
  };

  struct state : std::enable_shared_from_this<state> {
    state(executor_type ex, redis_limit_options opts)
        : o(clamped(std::move(opts))),
          conn(ex, o.server),
          fallback(o.fallback),
          renew_timer(ex),
          instance(gemini::redis::instance_id()) {
      // The fallback shares this process's wait queue bounds.
      fallback.reconfigure([&] {
        auto f = o.fallback;
        f.max_queue = o.limits.max_queue;
        f.max_wait = o.limits.max_wait;
        return f;
      }());
    }

    static redis_limit_options clamped(redis_limit_options o) {
      // A lease must outlive a round trip; PEXPIRE 0 would delete the keys at once.
      o.lease = std::max(o.lease, std::chrono::milliseconds(10));
      return o;
    }

    std::string key_of(const cost& c) const {
      switch (o.by) {
        case key_by::tenant: return "t:" + std::string(c.tenant);
        case key_by::model: return "m:" + std::string(c.model);
        default: return "tm:" + std::string(c.tenant) + '\x1f' + std::string(c.model);
      }
    }
    std::string base(const std::string& k) const { return "{" + o.name + "}:" + k; }
    std::string pause_key() const { return "{" + o.name + "}:pause"; }
    token_bucket_options limits_of(const cost& c) const {
      return o.limits_for ? o.limits_for(c.tenant, c.model) : o.limits;
    }

    /// Renews this instance's lease on every key where it holds slots, every lease / 3,
    /// while it holds any.
    void start_renewing() {
      if (renewing) return;
      renewing = true;
      boost::asio::co_spawn(conn.get_executor(), renew_loop(shared_from_this()),
                            boost::asio::detached);
    }
    static boost::asio::awaitable<void> renew_loop(std::shared_ptr<state> self) {
      for (;;) {
        self->renew_timer.expires_after(std::max(self->o.lease / 3, std::chrono::milliseconds(1)));
        auto [ec] = co_await self->renew_timer.async_wait(
            boost::asio::as_tuple(boost::asio::use_awaitable));
        // The limiter was destroyed, or (cancelled by a release, or fired) nothing is left
        // to renew: stop, so the io_context can run out of work.
        if (self->stopped || self->held_total() == 0) break;
        if (ec) continue;  // cancelled by a release while a slot was taken again
        // Keys are looked up again after every round trip: releases run meanwhile (and
        // the count sent is the one at sending time; the commands reach Redis in order).
        std::vector<std::string> ks;
        for (auto& [k, e] : self->keys)
          if (e.remote + e.admitting > 0) ks.push_back(k);
        for (auto& k : ks) {
          auto it = self->keys.find(k);
          std::size_t n = it == self->keys.end() ? 0 : it->second.remote + it->second.admitting;
          std::string base = self->base(k);
          ++self->stats.renewals;
          // Named: GCC 12 cannot take a braced list in a co_await expression (decision 0004).
          std::vector<std::string> keys{base + ":slots", base + ":leases"};
          std::vector<std::string> args{self->instance, std::to_string(n),
                                        std::to_string(self->o.lease.count())};
          (void)co_await self->renew.eval(self->conn, keys, args);
          if (self->stopped) break;
        }
        if (self->stopped || self->held_total() == 0) break;  // released meanwhile
      }
      self->renewing = false;
    }

    redis_limit_options o;
    gemini::redis::connection conn;
    basic_token_bucket<sync::single_thread> fallback;
    boost::asio::steady_timer renew_timer;
    std::string instance;
    std::unordered_map<std::string, key_state> keys;
    std::unordered_multiset<std::uint64_t> local_calls;  ///< calls the fallback granted
    redis_limit_stats stats;
    gemini::redis::script acquire{detail::acquire_script}, release{detail::release_script},
        renew{detail::renew_script}, pause{detail::pause_script};
    bool renewing = false;
    bool stopped = false;     ///< the limiter object is gone
    std::size_t pending = 0;  ///< send()s not finished

    void forget_if_idle(const std::string& k) {
      auto it = keys.find(k);
      if (it != keys.end() && it->second.remote == 0 && it->second.local == 0 &&
          it->second.admitting == 0)
        keys.erase(it);
    }

    std::size_t held_total() const {
      std::size_t n = 0;
      for (auto& [k, e] : keys) n += e.remote;
      return n;
    }
  };

  /// Runs a script without waiting for it (release, pause); a failure is counted.
  static void send(std::shared_ptr<state> s, gemini::redis::script state::*script,
                   std::vector<std::string> keys, std::vector<std::string> args) {
    auto ex = s->conn.get_executor();
    ++s->pending;
    boost::asio::co_spawn(
        ex,
        [](std::shared_ptr<state> s, gemini::redis::script state::*script,
           std::vector<std::string> keys,
           std::vector<std::string> args) -> boost::asio::awaitable<void> {
          auto r = co_await ((*s).*script).eval(s->conn, keys, args);
          if (!r) ++s->stats.store_errors;
          --s->pending;
        }(std::move(s), script, std::move(keys), std::move(args)),
        boost::asio::detached);
  }

  static std::int64_t tpm_capacity(const token_bucket_options& l) {
    return static_cast<std::int64_t>(l.tokens_per_minute * l.burst);
  }
  /// GCRA's tolerance: how far ahead of now the theoretical arrival time may run: the
  /// bucket's capacity (`per_minute * burst`, at least `at_least`) in milliseconds.
  static double tolerance_ms(double per_minute, double burst, double at_least) {
    if (per_minute <= 0) return 0;
    return std::max(per_minute * burst, at_least) * 60000.0 / per_minute;
  }
  static std::string number(double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    return buf;
  }

  std::shared_ptr<state> s_;
};

using redis = redis_limiter;

}  // namespace limit
}  // namespace v1
}  // namespace gemini
