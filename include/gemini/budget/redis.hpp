// gemini-cxx — budget::redis: the budgets of budget::memory (per tenant or user; minute,
// hour, UTC day, UTC month; soft and hard limits) kept in Redis, so every process and
// machine spending for a tenant draws on one budget. Needs the gemini::redis CMake target.
//
//   struct my_policies : gemini::policies::defaults {
//     using budget = gemini::budget::redis;
//   };
//   gemini::basic_config<my_policies> cfg;
//   cfg.budget.limits = {{.per = gemini::budget::window::month, .soft_usd = 80, .hard_usd = 100}};
//   cfg.budget.server.host = "10.0.0.5";
//
// One round trip per admission: a Lua script drops expired reservations, checks the worst
// case against every window's hard limit (spent + reserved + this call), and takes it, or
// takes nothing. Each reservation is held under a lease the process renews while the call
// runs: the reservations of a process that dies come back after `lease`. Settling (return
// the reservation, charge the actual cost to each window) and releasing are sent without
// waiting, and a settlement Redis did not confirm is sent again for `settle_retry` (at most
// once applied: a marker per reservation). Amounts are integers of pico-dollars; the
// scripts compare them exactly (two limbs, never through a double).
//
// Windows are numbered by this process's wall clock (keep the machines on NTP); leases by
// the Redis server's clock. Redis must persist (AOF, appendfsync everysec or always) for
// spending to survive its restart: without persistence a restart forgets the spending.
//
// Redis unreachable at admission: `fail_closed` (the default: money is at stake) fails the
// call with errc::unavailable; `fail_open` admits it unchecked (counted in stats()) and
// still sends its charge when it ends.
#pragma once

#include <gemini/budget/common.hpp>
#include <gemini/budget/concept.hpp>
#include <gemini/cost/price_table.hpp>
#include <gemini/error.hpp>
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
#include <charconv>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace gemini {
inline namespace v1 {
namespace budget {

/// What a budget kept elsewhere does when its store cannot be reached at admission.
enum class on_store_failure {
  fail_closed,  ///< the call fails with errc::unavailable
  fail_open,    ///< the call is admitted unchecked (and its charge is sent when it ends)
};
BOOST_DESCRIBE_ENUM(on_store_failure, fail_closed, fail_open)

struct redis_options {
  budget_key by = budget_key::tenant;
  std::vector<limit_rule> limits;  ///< for every key unless `limits_for` says otherwise
  /// The rules of one key; empty: `limits`. Give every process the same answers.
  std::function<std::vector<limit_rule>(std::string_view tenant, std::string_view user)> limits_for;
  std::shared_ptr<const cost::price_table> prices;  ///< null: cost::price_table::builtin()
  bool admit_unpriced = false;                      ///< as budget::memory_options
  /// Told once per key, rule and window period across every process (a marker in Redis).
  std::function<void(const soft_limit_event&)> on_soft_limit;
  /// Past a soft limit: a cheaper model, a compacted prompt (the host follows it).
  soft_limit_action past_soft_limit;
  std::function<std::chrono::system_clock::time_point()> wall_clock;  ///< tests substitute it
  gemini::redis::options server = gemini::redis::admission_options();
  /// Every key is "{<name>}:…" (one Redis Cluster slot). Budgets with the same name share
  /// their spending.
  std::string name = "gemini:budget";
  on_store_failure on_failure = on_store_failure::fail_closed;
  /// A reservation whose process stopped renewing it is dropped after this long (at least
  /// 10 ms); renewed every lease / 3 while its call runs.
  std::chrono::milliseconds lease{std::chrono::seconds(30)};
  /// A settlement Redis did not confirm is sent again (backing off) for this long.
  std::chrono::milliseconds settle_retry{std::chrono::seconds(30)};
  BOOST_DESCRIBE_CLASS(redis_options, (),
                       (by, limits, admit_unpriced, server, name, on_failure, lease, settle_retry),
                       (), ())
};

/// Counters (monotonic) of one budget object.
struct redis_stats {
  std::uint64_t admitted = 0;       ///< admissions Redis granted
  std::uint64_t refused = 0;        ///< over a hard limit (or unpriced)
  std::uint64_t unchecked = 0;      ///< admitted without Redis (fail_open)
  std::uint64_t failed_closed = 0;  ///< calls failed with unavailable (fail_closed)
  std::uint64_t settled = 0;
  std::uint64_t released = 0;
  std::uint64_t unpriced = 0;
  std::uint64_t store_errors = 0;  ///< round trips that failed
  std::uint64_t resent = 0;        ///< settlements sent again
  std::uint64_t lost = 0;          ///< settlements given up after settle_retry
  std::uint64_t renewals = 0;
  std::uint64_t scripts_loaded = 0;
  cost::money spent;  ///< charged by this object (sent)
};

namespace detail {

// Amounts are decimal integer strings (int64 pico-dollars). Lua's numbers are doubles,
// exact to 2^53 only: amounts are compared as two limbs of 9 digits.
inline constexpr std::string_view lua_amounts = R"lua(
local function limbs(s)
  s = tostring(s)
  local neg = string.sub(s, 1, 1) == '-'
  if neg then s = string.sub(s, 2) end
  local lo, hi = tonumber(string.sub(s, -9)) or 0, 0
  if #s > 9 then hi = tonumber(string.sub(s, 1, -10)) end
  if neg then return -hi, -lo end
  return hi, lo
end
local function sum(a, b, c)
  local ah, al = limbs(a)
  local bh, bl = limbs(b)
  local ch, cl = limbs(c)
  local hi, lo = ah + bh + ch, al + bl + cl
  local carry = math.floor(lo / 1e9)
  return hi + carry, lo - carry * 1e9
end
local function over(a, b, c, limit)
  local h, l = sum(a, b, c)
  local lh, ll = sum(limit, '0', '0')
  return h > lh or (h == lh and l > ll)
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
)lua";

// KEYS: 1 reservations (hash id -> amount), 2 leases (zset id -> deadline ms), 3 reserved
//       total, then n spent keys (one per rule: its window's current period), then n
//       soft-limit markers
// ARGV: 1 id, 2 amount, 3 lease ms, 4 n, then per rule: hard, soft, ms left in the period
// Returns {0, rule, spent, reserved} refused, or {1, reserved, "f1,f2,…", spent1, …}
// admitted, where f is 0 under the soft limit, 1 past it, 2 past it and the first to know.
inline constexpr std::string_view reserve_body = R"lua(
local dead = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)
for _, id in ipairs(dead) do
  local a = redis.call('HGET', KEYS[1], id)
  if a then
    redis.call('HDEL', KEYS[1], id)
    redis.call('DECRBY', KEYS[3], a)
  end
  redis.call('ZREM', KEYS[2], id)
end
local n, amount = tonumber(ARGV[4]), ARGV[2]
local reserved = redis.call('GET', KEYS[3]) or '0'
local spent = {}
for i = 1, n do
  spent[i] = redis.call('GET', KEYS[3 + i]) or '0'
  local hard = ARGV[2 + 3 * i]
  if hard ~= '0' and over(spent[i], reserved, amount, hard) then
    return {0, i, spent[i], reserved}
  end
end
local lease = tonumber(ARGV[3])
redis.call('HSET', KEYS[1], ARGV[1], amount)
redis.call('ZADD', KEYS[2], now + lease, ARGV[1])
redis.call('INCRBY', KEYS[3], amount)
for k = 1, 3 do
  if redis.call('PTTL', KEYS[k]) < lease * 2 then redis.call('PEXPIRE', KEYS[k], lease * 2) end
end
local flags = {}
for i = 1, n do
  flags[i] = '0'
  local soft = ARGV[3 + 3 * i]
  if soft ~= '0' and over(spent[i], reserved, amount, soft) then
    flags[i] = '1'
    if redis.call('SET', KEYS[3 + n + i], '1', 'NX', 'PX', ARGV[4 + 3 * i]) then flags[i] = '2' end
  end
end
local out = {1, reserved, table.concat(flags, ',')}
for i = 1, n do out[3 + i] = spent[i] end
return out
)lua";

// KEYS: 1 reservations, 2 leases, 3 reserved total, 4 settled marker, then the spent keys
// ARGV: 1 id, 2 charge, 3 marker ms (0: none, a release), then ms left per spent key
// Returns 1, or 0 when this settlement was applied before (a resend).
inline constexpr std::string_view settle_body = R"lua(
if ARGV[3] ~= '0' and not redis.call('SET', KEYS[4], '1', 'NX', 'PX', ARGV[3]) then
  return 0
end
local a = redis.call('HGET', KEYS[1], ARGV[1])
if a then
  redis.call('HDEL', KEYS[1], ARGV[1])
  redis.call('ZREM', KEYS[2], ARGV[1])
  redis.call('DECRBY', KEYS[3], a)
end
if ARGV[2] ~= '0' then
  for i = 5, #KEYS do
    redis.call('INCRBY', KEYS[i], ARGV[2])
    redis.call('PEXPIRE', KEYS[i], ARGV[i - 1])
  end
end
return 1
)lua";

// KEYS: 1 reservations, 2 leases, 3 reserved total. ARGV: 1 lease ms, then the ids held.
// A reservation already dropped (its lease expired) is not brought back.
inline constexpr std::string_view renew_body = R"lua(
local lease = tonumber(ARGV[1])
for i = 2, #ARGV do
  if redis.call('HEXISTS', KEYS[1], ARGV[i]) == 1 then
    redis.call('ZADD', KEYS[2], now + lease, ARGV[i])
  end
end
for k = 1, 3 do
  if redis.call('EXISTS', KEYS[k]) == 1 and redis.call('PTTL', KEYS[k]) < lease * 2 then
    redis.call('PEXPIRE', KEYS[k], lease * 2)
  end
end
return 1
)lua";

inline const std::string& reserve_script() {
  static const std::string s = std::string(lua_amounts) + std::string(reserve_body);
  return s;
}
inline const std::string& settle_script() {
  static const std::string s = std::string(lua_amounts) + std::string(settle_body);
  return s;
}
inline const std::string& renew_script() {
  static const std::string s = std::string(lua_amounts) + std::string(renew_body);
  return s;
}

inline std::int64_t parse_amount(std::string_view s) {
  std::int64_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

}  // namespace detail

/// See the top of this file and docs/budget.md.
class redis_budget {
 public:
  using slot = gemini::slot::budget;
  using options_type = redis_options;
  using executor_type = boost::asio::any_io_executor;
  using time_point = std::chrono::steady_clock::time_point;

  /// What one admitted call holds.
  struct reservation {
    std::string key;
    std::string model;
    std::string id;               ///< the reservation's name in Redis
    std::int64_t amount = 0;      ///< pico-dollars reserved in every window
    bool soft = false;            ///< past a soft limit at admission
    bool checked = false;         ///< Redis holds it (false: fail-open, or no rules)
    std::vector<window> windows;  ///< the window of each rule it is charged to
  };

  explicit redis_budget(executor_type ex, redis_options o = {})
      : s_(std::make_shared<state>(ex, std::move(o))) {}
  redis_budget(redis_budget&&) noexcept = default;  // the client builds it from a prvalue
  redis_budget& operator=(redis_budget&&) = delete;
  /// Stops renewing: reservations still held are dropped by Redis when their lease ends.
  ~redis_budget() {
    if (!s_) return;
    s_->stopped = true;
    s_->renew_timer.cancel();
  }

  const redis_options& options() const noexcept { return s_->o; }
  /// For a call admitted past a soft limit: options().past_soft_limit.
  budget::advice advice(const reservation& r) const {
    return detail::advise(s_->o.past_soft_limit, r.soft, r.model);
  }
  redis_stats stats() const noexcept {
    auto st = s_->stats;
    st.scripts_loaded = s_->reserve.loads() + s_->settle.loads() + s_->renew.loads();
    return st;
  }
  gemini::redis::connection& connection() noexcept { return s_->conn; }
  /// Settlements and releases sent and not confirmed yet (including those being resent).
  std::size_t pending_sends() const noexcept { return s_->pending; }
  /// Reservations this object holds in Redis now.
  std::size_t held() const noexcept {
    std::size_t n = 0;
    for (auto& [k, ids] : s_->held) n += ids.size();
    return n;
  }

  boost::asio::awaitable<result<reservation>> async_reserve(const request& q, time_point) {
    auto s = s_;  // outlives this object while the coroutine runs
    const auto& o = s->o;
    const auto wall = s->wall_now();
    reservation r;
    r.key = detail::key_of(o.by, q.tenant, q.user);
    r.model = std::string(q.model);
    auto worst = cost::worst_case(*s->prices, q.model, cost::date_of(wall), q.input_tokens,
                                  q.max_output_tokens);
    if (!worst) {
      if (!o.admit_unpriced) {
        ++s->stats.refused;
        auto e = std::move(worst).error();
        e.message += ": the budget cannot admit it (budget::redis_options::admit_unpriced)";
        co_return e;
      }
      ++s->stats.unpriced;
    } else {
      r.amount = worst->pico();
    }
    const auto rules = o.limits_for ? o.limits_for(q.tenant, q.user) : o.limits;
    if (rules.empty()) co_return r;  // nothing to keep: not checked, nothing charged
    for (auto& rule : rules) r.windows.push_back(rule.per);
    r.id = s->instance + ':' + std::to_string(++s->next_id);

    const std::string base = s->base(r.key);
    std::vector<std::string> keys{base + ":r", base + ":l", base + ":rt"};
    std::vector<std::string> args{r.id, std::to_string(r.amount), std::to_string(o.lease.count()),
                                  std::to_string(rules.size())};
    for (std::size_t i = 0; i < rules.size(); ++i) {
      keys.push_back(s->spent_key(r.key, i, rules[i].per, wall));
      args.push_back(std::to_string(detail::usd_pico(rules[i].hard_usd)));
      args.push_back(std::to_string(detail::usd_pico(rules[i].soft_usd)));
      args.push_back(std::to_string(ms_left(rules[i].per, wall)));
    }
    for (std::size_t i = 0; i < rules.size(); ++i)
      keys.push_back(s->spent_key(r.key, i, rules[i].per, wall) + ":soft");

    auto reply = co_await s->reserve.eval(s->conn, keys, args);
    if (!reply && reply.error().code == errc::cancelled) {
      // The script may have run: take back what it may have taken (a no-op otherwise).
      s->send(keys[0], keys[1], keys[2], r.id, 0, {}, {});
      co_return std::move(reply).error();
    }
    static const std::vector<gemini::redis::reply> none;
    const auto& el = reply ? reply->elements() : none;
    const bool shaped = reply && reply->is_array() && el.size() >= 2 && el[0].is_integer();
    if (!shaped) {
      ++s->stats.store_errors;
      // The script may have run before the connection failed: take it back (a no-op when
      // it did not; sent in order before anything later on this connection).
      if (!reply) s->send(keys[0], keys[1], keys[2], r.id, 0, {}, {});
      std::string why = !reply ? reply.error().message
                               : "unexpected reply to the budget script: " +
                                     gemini::redis::script::to_text(*reply);
      if (o.on_failure == on_store_failure::fail_closed) {
        ++s->stats.failed_closed;
        co_return gemini::error(
            errc::unavailable,
            "the shared budget (Redis " + o.server.endpoint() + ") cannot be reached: " + why);
      }
      ++s->stats.unchecked;
      co_return r;  // fail open: unchecked; its charge is still sent when it ends
    }
    if (el[0].integer() == 0 && el.size() == 4) {
      ++s->stats.refused;
      auto i = static_cast<std::size_t>(el[1].integer()) - 1;
      if (i >= rules.size()) i = 0;
      co_return detail::refusal(o.by, q, rules[i].per, detail::parse_amount(el[2].str()),
                                detail::parse_amount(el[3].str()), r.amount,
                                detail::usd_pico(rules[i].hard_usd));
    }
    if (el.size() != 3 + rules.size()) {
      // Admitted, but not in the shape this code reads: take it back, then as a failure.
      ++s->stats.store_errors;
      s->send(keys[0], keys[1], keys[2], r.id, 0, {}, {});
      if (o.on_failure == on_store_failure::fail_open) {
        ++s->stats.unchecked;
        co_return r;
      }
      ++s->stats.failed_closed;
      co_return gemini::error(errc::unavailable, "unexpected reply to the budget script: " +
                                                     gemini::redis::script::to_text(*reply));
    }
    ++s->stats.admitted;
    r.checked = true;
    s->held[r.key].insert(r.id);
    s->start_renewing();
    const auto reserved = detail::parse_amount(el[1].str());
    const std::string_view flags = el[2].str();
    std::vector<soft_limit_event> told;
    for (std::size_t i = 0; i < rules.size() && 2 * i < flags.size(); ++i) {
      const char f = flags[2 * i];
      if (f == '0') continue;
      r.soft = true;
      if (f == '2' && o.on_soft_limit)
        told.push_back(
            {r.key, rules[i].per, cost::money::from_pico(detail::usd_pico(rules[i].soft_usd)),
             cost::money::from_pico(detail::parse_amount(el[3 + i].str()) + reserved + r.amount)});
    }
    for (auto& e : told) o.on_soft_limit(e);
    co_return r;
  }

  /// Returns the reservation and charges the actual cost to every window (sent, resent
  /// until confirmed or settle_retry passes).
  void settle(reservation& r, const actual& a, time_point) {
    auto& s = *s_;
    const auto wall = s.wall_now();
    bool unpriced = false;
    const auto charge = detail::charge_of(*s.prices, a, r.model, r.amount, wall, unpriced);
    ++s.stats.settled;
    if (unpriced) ++s.stats.unpriced;
    s.stats.spent += cost::money::from_pico(charge);
    s.forget(r);
    if (r.windows.empty() || (!r.checked && charge == 0)) return;
    std::vector<std::string> spent;
    std::vector<std::string> left;
    for (std::size_t i = 0; i < r.windows.size(); ++i) {
      spent.push_back(s.spent_key(r.key, i, r.windows[i], wall));
      left.push_back(std::to_string(ms_left(r.windows[i], wall)));
    }
    if (r.id.empty()) r.id = s.instance + ':' + std::to_string(++s.next_id);  // unchecked
    const std::string base = s.base(r.key);
    s_->send(base + ":r", base + ":l", base + ":rt", r.id, charge, std::move(spent),
             std::move(left));
    r.amount = 0;
  }

  /// Returns the reservation; nothing is charged.
  void release(reservation& r, time_point) {
    auto& s = *s_;
    ++s.stats.released;
    s.forget(r);
    if (!r.checked) return;
    const std::string base = s.base(r.key);
    s_->send(base + ":r", base + ":l", base + ":rt", r.id, 0, {}, {});
    r.amount = 0;
  }

  /// Spent in the current window of rule `rule` of a key, as Redis holds it now.
  boost::asio::awaitable<result<cost::money>> async_spent(std::string_view tenant,
                                                          std::string_view user = {},
                                                          std::size_t rule = 0) {
    auto s = s_;
    const auto key = detail::key_of(s->o.by, tenant, user);
    const auto rules = s->o.limits_for ? s->o.limits_for(tenant, user) : s->o.limits;
    if (rule >= rules.size()) co_return cost::money{};
    auto r =
        co_await s->conn.command("GET", s->spent_key(key, rule, rules[rule].per, s->wall_now()));
    if (!r) co_return std::move(r).error();
    co_return cost::money::from_pico(r->is_string() ? detail::parse_amount(r->str()) : 0);
  }
  /// Reserved for a key now, by every process (reservations past their lease included
  /// until the next admission of the key drops them).
  boost::asio::awaitable<result<cost::money>> async_reserved(std::string_view tenant,
                                                             std::string_view user = {}) {
    auto s = s_;
    auto r =
        co_await s->conn.command("GET", s->base(detail::key_of(s->o.by, tenant, user)) + ":rt");
    if (!r) co_return std::move(r).error();
    co_return cost::money::from_pico(r->is_string() ? detail::parse_amount(r->str()) : 0);
  }

 private:
  static std::int64_t ms_left(window w, std::chrono::system_clock::time_point wall) {
    // The period's spending is kept a minute past its end (clocks of processes differ).
    return std::chrono::ceil<std::chrono::milliseconds>(detail::period_end(w, wall) - wall +
                                                        std::chrono::minutes(1))
        .count();
  }

  struct state : std::enable_shared_from_this<state> {
    state(executor_type ex, redis_options opts)
        : o(clamped(std::move(opts))),
          prices(o.prices ? o.prices
                          : std::shared_ptr<const cost::price_table>(
                                &cost::price_table::builtin(), [](const cost::price_table*) {})),
          conn(ex, o.server),
          renew_timer(ex),
          instance(gemini::redis::instance_id()) {}

    static redis_options clamped(redis_options o) {
      o.lease = std::max(o.lease, std::chrono::milliseconds(10));
      return o;
    }
    std::chrono::system_clock::time_point wall_now() const {
      return o.wall_clock ? o.wall_clock() : std::chrono::system_clock::now();
    }
    std::string base(const std::string& key) const { return "{" + o.name + "}:" + key; }
    std::string spent_key(const std::string& key, std::size_t rule, window per,
                          std::chrono::system_clock::time_point wall) const {
      return base(key) + ":s:" + std::to_string(rule) + ':' + to_string(per) + ':' +
             std::to_string(detail::period_of(per, wall));
    }
    void forget(const reservation& r) {
      auto it = held.find(r.key);
      if (it == held.end()) return;
      it->second.erase(r.id);
      if (it->second.empty()) held.erase(it);
      if (held.empty()) renew_timer.cancel();
    }

    /// Settles (charge > 0 or spent keys) or releases one reservation, without waiting;
    /// a settlement is sent again until Redis confirms it or settle_retry passes.
    void send(std::string r, std::string l, std::string rt, std::string id, std::int64_t charge,
              std::vector<std::string> spent, std::vector<std::string> left) {
      std::vector<std::string> keys{std::move(r), std::move(l), std::move(rt)};
      keys.push_back(keys[0] + ":done:" + id);
      for (auto& k : spent) keys.push_back(std::move(k));
      const bool once = charge != 0;
      const auto marker = std::chrono::duration_cast<std::chrono::milliseconds>(
          o.settle_retry * 2 + std::chrono::minutes(1));
      std::vector<std::string> args{std::move(id), std::to_string(charge),
                                    once ? std::to_string(marker.count()) : "0"};
      for (auto& x : left) args.push_back(std::move(x));
      ++pending;
      boost::asio::co_spawn(conn.get_executor(),
                            deliver(shared_from_this(), std::move(keys), std::move(args), once),
                            boost::asio::detached);
    }
    static boost::asio::awaitable<void> deliver(std::shared_ptr<state> self,
                                                std::vector<std::string> keys,
                                                std::vector<std::string> args, bool resend) {
      const auto until = std::chrono::steady_clock::now() + self->o.settle_retry;
      auto backoff = std::chrono::milliseconds(50);
      for (;;) {
        auto r = co_await self->settle.eval(self->conn, keys, args);
        if (r && r->is_integer()) break;
        ++self->stats.store_errors;
        // Resent also after the budget object is gone (the state lives on): money.
        if (!resend || std::chrono::steady_clock::now() + backoff > until) {
          if (resend) ++self->stats.lost;
          break;
        }
        boost::asio::steady_timer t(self->conn.get_executor(), backoff);
        co_await t.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
        backoff = std::min(backoff * 2, std::chrono::milliseconds(1000));
        ++self->stats.resent;
      }
      --self->pending;
    }

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
        if (self->stopped || self->held.empty()) break;
        if (ec) continue;  // cancelled by the last release while a call was admitted again
        std::vector<std::string> ks;
        for (auto& [k, ids] : self->held) ks.push_back(k);
        for (auto& k : ks) {
          auto it = self->held.find(k);
          if (it == self->held.end()) continue;
          const std::string base = self->base(k);
          std::vector<std::string> keys{base + ":r", base + ":l", base + ":rt"};
          std::vector<std::string> args{std::to_string(self->o.lease.count())};
          for (auto& id : it->second) args.push_back(id);
          ++self->stats.renewals;
          auto r = co_await self->renew.eval(self->conn, keys, args);
          if (!r) ++self->stats.store_errors;
          if (self->stopped) break;
        }
        if (self->stopped || self->held.empty()) break;
      }
      self->renewing = false;
    }

    redis_options o;
    std::shared_ptr<const cost::price_table> prices;
    gemini::redis::connection conn;
    boost::asio::steady_timer renew_timer;
    std::string instance;
    std::uint64_t next_id = 0;
    /// key -> the ids of the reservations this object holds there
    std::unordered_map<std::string, std::unordered_set<std::string>> held;
    gemini::redis::script reserve{detail::reserve_script()}, settle{detail::settle_script()},
        renew{detail::renew_script()};
    redis_stats stats;
    bool renewing = false;
    bool stopped = false;
    std::size_t pending = 0;
  };

  std::shared_ptr<state> s_;
};

using redis = redis_budget;

}  // namespace budget
}  // namespace v1
}  // namespace gemini
