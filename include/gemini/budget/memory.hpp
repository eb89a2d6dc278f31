// gemini-cxx — budget::memory: per-tenant (or per-user) cost budgets in this process, by
// minute, hour, UTC day and UTC calendar month, with soft and hard limits.
//
//   struct my_policies : gemini::policies::defaults {
//     using budget = gemini::budget::memory<>;   // basic_memory<sync::multi_thread> to share
//   };
//   gemini::basic_config<my_policies> cfg;
//   cfg.budget.limits = {{.per = gemini::budget::window::day, .soft_usd = 8, .hard_usd = 10}};
//
// Admission reserves the worst case (the estimated prompt at the input price plus the
// request's maxOutputTokens at the output price, gemini::cost::worst_case) in every window
// of the key, atomically (one lock: check all windows, then take them all, or take
// nothing). The call's end settles it: the reservation is returned and the actual cost
// (cost::cost_of over usageMetadata, priced by the answering model; zero for a cache hit)
// is charged. A call that ends without an answer releases its reservation. So no
// interleaving of calls can spend past a hard limit: everything admitted fits in it at its
// worst case. Amounts are exact (pico-dollars).
#pragma once

#include <gemini/budget/common.hpp>
#include <gemini/budget/concept.hpp>
#include <gemini/cost/price_table.hpp>
#include <gemini/sync/single_thread.hpp>

#include <boost/describe/class.hpp>
#include <boost/describe/enum.hpp>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace gemini {
inline namespace v1 {
namespace budget {

struct memory_options {
  budget_key by = budget_key::tenant;
  std::vector<limit_rule> limits;  ///< for every key unless `limits_for` says otherwise
  /// The rules of one key (tenant, user); empty: `limits`.
  std::function<std::vector<limit_rule>(std::string_view tenant, std::string_view user)> limits_for;
  /// Prices; null: cost::price_table::builtin().
  std::shared_ptr<const cost::price_table> prices;
  /// A model without a price is refused (errc::not_found) unless this is set; then it is
  /// admitted and charged nothing, and counted in stats().unpriced.
  bool admit_unpriced = false;
  std::function<void(const soft_limit_event&)> on_soft_limit;
  /// Past a soft limit: a cheaper model, a compacted prompt (the host follows it).
  soft_limit_action past_soft_limit;
  /// The wall clock windows are counted in (tests substitute their own).
  std::function<std::chrono::system_clock::time_point()> wall_clock;
  /// Keys kept at most; a key with spending in a current window is never dropped (a new
  /// key is refused instead when every kept key is still in use).
  std::size_t max_keys = 100000;
  BOOST_DESCRIBE_CLASS(memory_options, (), (by, limits, admit_unpriced, max_keys), (), ())
};

struct memory_stats {
  std::uint64_t admitted = 0;
  std::uint64_t refused = 0;
  std::uint64_t settled = 0;
  std::uint64_t released = 0;
  std::uint64_t unpriced = 0;  ///< admitted or settled without a price
  cost::money spent;           ///< everything charged so far
};

template <class Sync = sync::single_thread>
class basic_memory {
 public:
  using slot = gemini::slot::budget;
  using options_type = memory_options;

  /// What one admitted call holds.
  struct reservation {
    std::string key;
    std::string model;
    std::int64_t amount = 0;  ///< pico-dollars reserved in every window
    std::size_t windows = 0;  ///< the rules it was reserved in (the key's first `windows`)
    bool soft = false;        ///< past a soft limit at admission
  };

  explicit basic_memory(memory_options o = {}) : o_(std::move(o)) {
    if (!o_.prices)
      o_.prices = std::shared_ptr<const cost::price_table>(&cost::price_table::builtin(),
                                                           [](const cost::price_table*) {});
  }
  basic_memory(const basic_memory&) = delete;
  basic_memory& operator=(const basic_memory&) = delete;

  const memory_options& options() const noexcept { return o_; }
  /// For a call admitted past a soft limit: options().past_soft_limit.
  budget::advice advice(const reservation& r) const {
    return detail::advise(o_.past_soft_limit, r.soft, r.model);
  }
  memory_stats stats() const {
    std::lock_guard lock(mutex_);
    return stats_;
  }

  result<reservation> reserve(const request& q, std::chrono::steady_clock::time_point) {
    auto wall = wall_now();
    const std::string date = cost::date_of(wall);
    reservation r;
    r.key = detail::key_of(o_.by, q.tenant, q.user);
    r.model = std::string(q.model);
    auto worst = cost::worst_case(*o_.prices, q.model, date, q.input_tokens, q.max_output_tokens);
    bool unpriced = false;
    if (!worst) {
      if (!o_.admit_unpriced) {
        std::lock_guard lock(mutex_);
        ++stats_.refused;
        auto e = std::move(worst).error();
        e.message += ": the budget cannot admit it (budget::memory_options::admit_unpriced)";
        return e;
      }
      unpriced = true;
    } else {
      r.amount = worst->pico();
    }
    auto rules = rules_of(q.tenant, q.user);
    std::vector<soft_limit_event> told;
    std::vector<std::string> keys_told;  // the events' views point here
    {
      std::lock_guard lock(mutex_);
      auto it = keys_.find(r.key);
      if (it == keys_.end()) {
        if (keys_.size() >= o_.max_keys && !drop_idle(wall)) {
          ++stats_.refused;
          return gemini::error(
              errc::budget_exceeded,
              "the budget keeps at most " + std::to_string(o_.max_keys) + " keys, all in use");
        }
        it = keys_.try_emplace(r.key).first;
      }
      auto& st = it->second;
      st.windows.resize(rules.size());
      st.kinds.resize(rules.size());
      r.windows = rules.size();
      for (std::size_t i = 0; i < rules.size(); ++i) {
        auto& w = st.windows[i];
        if (st.kinds[i] != rules[i].per) {  // the rule changed: a new window, same calls
          w.period = -1;
          st.kinds[i] = rules[i].per;
        }
        roll(w, detail::period_of(rules[i].per, wall));
        auto hard = detail::usd_pico(rules[i].hard_usd);
        if (hard > 0 && w.spent + w.reserved + r.amount > hard) {
          ++stats_.refused;
          return detail::refusal(o_.by, q, rules[i].per, w.spent, w.reserved, r.amount, hard);
        }
      }
      for (std::size_t i = 0; i < rules.size(); ++i) {
        auto& w = st.windows[i];
        w.reserved += r.amount;
        auto soft = detail::usd_pico(rules[i].soft_usd);
        if (soft > 0 && w.spent + w.reserved > soft) {
          r.soft = true;
          if (!w.soft_told && o_.on_soft_limit) {
            w.soft_told = true;
            keys_told.push_back(r.key);
            told.push_back({{},
                            rules[i].per,
                            cost::money::from_pico(soft),
                            cost::money::from_pico(w.spent + w.reserved)});
          }
        }
      }
      ++stats_.admitted;
      if (unpriced) ++stats_.unpriced;
    }
    for (std::size_t i = 0; i < told.size(); ++i) {  // outside the lock: it may call us
      told[i].key = keys_told[i];
      o_.on_soft_limit(told[i]);
    }
    return r;
  }

  void settle(reservation& r, const actual& a, std::chrono::steady_clock::time_point) {
    auto wall = wall_now();
    bool unpriced = false;
    const auto charge = detail::charge_of(*o_.prices, a, r.model, r.amount, wall, unpriced);
    std::lock_guard lock(mutex_);
    finish(r, wall, charge);
    ++stats_.settled;
    if (unpriced) ++stats_.unpriced;
    stats_.spent += cost::money::from_pico(charge);
  }

  void release(reservation& r, std::chrono::steady_clock::time_point) {
    auto wall = wall_now();
    std::lock_guard lock(mutex_);
    finish(r, wall, 0);
    ++stats_.released;
  }

  /// Spent and reserved now in the window of rule `rule` of a key (for reports and tests).
  cost::money spent(std::string_view tenant, std::string_view user = {},
                    std::size_t rule = 0) const {
    return amount_of(tenant, user, rule, false);
  }
  cost::money reserved(std::string_view tenant, std::string_view user = {},
                       std::size_t rule = 0) const {
    return amount_of(tenant, user, rule, true);
  }

 private:
  struct window_state {
    std::int64_t period = -1;
    std::int64_t spent = 0;
    std::int64_t reserved = 0;
    bool soft_told = false;
  };
  struct key_state {
    std::vector<window_state> windows;
    std::vector<window> kinds;  ///< the window of each rule, as last admitted
  };

  std::chrono::system_clock::time_point wall_now() const {
    return o_.wall_clock ? o_.wall_clock() : std::chrono::system_clock::now();
  }
  /// A new period: what was spent is forgotten; what is reserved stays (those calls are
  /// still in flight, and settle in the new period).
  static void roll(window_state& w, std::int64_t period) {
    if (w.period == period) return;
    w.period = period;
    w.spent = 0;
    w.soft_told = false;
  }

  std::vector<limit_rule> rules_of(std::string_view tenant, std::string_view user) const {
    return o_.limits_for ? o_.limits_for(tenant, user) : o_.limits;
  }

  /// Returns the reservation of `r` in each window it was taken in, and charges `charge`
  /// to the current period of each.
  void finish(reservation& r, std::chrono::system_clock::time_point wall, std::int64_t charge) {
    auto it = keys_.find(r.key);
    if (it == keys_.end()) return;
    auto& st = it->second;
    for (std::size_t i = 0; i < st.windows.size(); ++i) {
      auto& w = st.windows[i];
      if (i < r.windows) w.reserved = std::max<std::int64_t>(w.reserved - r.amount, 0);
      if (charge != 0) {
        roll(w, detail::period_of(st.kinds[i], wall));
        w.spent += charge;
      }
    }
    r.amount = 0;
  }

  /// Drops one key with nothing reserved and no spending in a current period.
  bool drop_idle(std::chrono::system_clock::time_point wall) {
    for (auto it = keys_.begin(); it != keys_.end(); ++it) {
      auto& st = it->second;
      bool idle = true;
      for (std::size_t i = 0; i < st.windows.size() && idle; ++i)
        idle = st.windows[i].reserved == 0 &&
               (st.windows[i].spent == 0 ||
                st.windows[i].period != detail::period_of(st.kinds[i], wall));
      if (idle) {
        keys_.erase(it);
        return true;
      }
    }
    return false;
  }

  cost::money amount_of(std::string_view tenant, std::string_view user, std::size_t rule,
                        bool reserved) const {
    std::lock_guard lock(mutex_);
    auto it = keys_.find(detail::key_of(o_.by, tenant, user));
    if (it == keys_.end() || rule >= it->second.windows.size()) return {};
    auto& w = it->second.windows[rule];
    if (reserved) return cost::money::from_pico(w.reserved);
    if (w.period != detail::period_of(it->second.kinds[rule], wall_now())) return {};
    return cost::money::from_pico(w.spent);
  }

  memory_options o_;
  std::unordered_map<std::string, key_state> keys_;
  memory_stats stats_;
  [[no_unique_address]] mutable typename Sync::mutex mutex_;
};

template <class Sync = sync::single_thread>
using memory = basic_memory<Sync>;

}  // namespace budget
}  // namespace v1
}  // namespace gemini
