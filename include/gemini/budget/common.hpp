// gemini-cxx — what the budget policies (budget::memory, budget::redis) share: windows,
// rules, keys, the soft-limit event, the refusal's wording and the charge of a call.
#pragma once

#include <gemini/budget/concept.hpp>
#include <gemini/cost/price_table.hpp>

#include <boost/describe/class.hpp>
#include <boost/describe/enum.hpp>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gemini {
inline namespace v1 {
namespace budget {

/// A budget window. `day` and `month` are UTC calendar periods (a month budget resets at
/// 00:00 UTC on the 1st); `minute` and `hour` are aligned to the clock as well.
enum class window { minute, hour, day, month };
BOOST_DESCRIBE_ENUM(window, minute, hour, day, month)

inline const char* to_string(window w) noexcept {
  switch (w) {
    case window::minute: return "minute";
    case window::hour: return "hour";
    case window::day: return "day";
    case window::month: return "month";
  }
  return "?";
}

/// Whose budget a call draws on.
enum class budget_key { tenant, user, tenant_and_user };
BOOST_DESCRIBE_ENUM(budget_key, tenant, user, tenant_and_user)

/// One limit: in every `per` window a key may spend up to `hard_usd` (0: no hard limit);
/// past `soft_usd` (0: none) the soft-limit hook is told (the call goes on).
struct limit_rule {
  window per = window::day;
  double soft_usd = 0;
  double hard_usd = 0;
  BOOST_DESCRIBE_CLASS(limit_rule, (), (per, soft_usd, hard_usd), (), ())
};

/// What the soft-limit hook is told (once per key, rule and window period).
struct soft_limit_event {
  std::string_view key;
  window per;
  cost::money soft_limit;
  cost::money spent_and_reserved;
};

namespace detail {

inline advice advise(const soft_limit_action& a, bool soft, std::string_view model) {
  advice r;
  if (!soft) return r;
  r.compact_prompt = a.compact_prompt;
  r.max_prompt_tokens = a.max_prompt_tokens;
  for (auto& [from, to] : a.cheaper_model)
    if (from == model) {
      r.model = to;
      break;
    }
  return r;
}

inline std::int64_t usd_pico(double usd) {
  return usd > 0 ? static_cast<std::int64_t>(std::llround(usd * 1e12)) : 0;
}

/// The number of the window's period that holds `t` (minutes, hours or days since the
/// epoch; months since year 0).
inline std::int64_t period_of(window w, std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  switch (w) {
    case window::minute: return floor<minutes>(t.time_since_epoch()).count();
    case window::hour: return floor<hours>(t.time_since_epoch()).count();
    case window::day: return floor<days>(t.time_since_epoch()).count();
    case window::month: {
      year_month_day ymd{floor<days>(t)};
      return static_cast<int>(ymd.year()) * 12LL + static_cast<unsigned>(ymd.month()) - 1;
    }
  }
  return 0;
}

/// When the period that holds `t` ends.
inline std::chrono::system_clock::time_point period_end(window w,
                                                        std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  switch (w) {
    case window::minute: return floor<minutes>(t) + minutes(1);
    case window::hour: return floor<hours>(t) + hours(1);
    case window::day: return floor<days>(t) + days(1);
    case window::month: {
      year_month_day ymd{floor<days>(t)};
      return sys_days{(ymd.year() / ymd.month() / 1) + months(1)};
    }
  }
  return t;
}

inline std::string key_of(budget_key by, std::string_view tenant, std::string_view user) {
  switch (by) {
    case budget_key::tenant: return std::string(tenant);
    case budget_key::user: return std::string(user);
    default: return std::string(tenant) + '\x1f' + std::string(user);
  }
}

inline std::string describe_key(budget_key by, std::string_view tenant, std::string_view user) {
  switch (by) {
    case budget_key::tenant: return "tenant '" + std::string(tenant) + "'";
    case budget_key::user: return "user '" + std::string(user) + "'";
    default: return "tenant '" + std::string(tenant) + "', user '" + std::string(user) + "'";
  }
}

/// errc::budget_exceeded naming the key, the window and the amounts (pico-dollars).
inline gemini::error refusal(budget_key by, const request& q, window per, std::int64_t spent,
                             std::int64_t reserved, std::int64_t amount, std::int64_t hard) {
  using cost::money;
  return gemini::error(errc::budget_exceeded,
                       "budget of " + describe_key(by, q.tenant, q.user) + " for this " +
                           to_string(per) + " exceeded: " + money::from_pico(spent).usd() +
                           " spent + " + money::from_pico(reserved).usd() + " reserved + " +
                           money::from_pico(amount).usd() + " for this call > hard limit " +
                           money::from_pico(hard).usd());
}

/// What a finished call costs (pico-dollars): nothing for a cache hit or an unbilled call,
/// else its usage priced by the answering model; an answering model without a price is
/// charged `reserved` (its worst case) and `unpriced` is set.
inline std::int64_t charge_of(const cost::price_table& prices, const actual& a,
                              std::string_view reserved_model, std::int64_t reserved,
                              std::chrono::system_clock::time_point wall, bool& unpriced) {
  unpriced = false;
  if (!a.usage || a.from_cache) return 0;
  auto c = cost::cost_of(prices, *a.usage, a.model.empty() ? reserved_model : a.model,
                         cost::date_of(wall));
  if (c) return c->total.pico();
  unpriced = true;
  return reserved;
}

}  // namespace detail
}  // namespace budget
}  // namespace v1
}  // namespace gemini
