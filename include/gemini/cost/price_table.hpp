// gemini-cxx — prices and the exact cost of a call.
//
//   auto& table = gemini::cost::price_table::builtin();   // the shipped prices (dated)
//   auto c = gemini::cost::cost_of(table, response.usage, response.model_version,
//                                  gemini::cost::today_utc());
//   if (c) std::cout << c->total.usd() << '\n';           // "$0.000842"
//   else   std::cerr << c.error() << '\n';                // unpriced: never a silent zero
//
// Amounts are integers of pico-dollars (1e-12 USD): a price of $X per million tokens is
// X * 1e6 pico-dollars per token, an integer for every price quoted to six decimals, so
// costs and their sums are exact. An int64 holds 9.2 million dollars.
//
// The formula (docs/cost.md), priced by the model that answered (modelVersion, aliases
// resolved), on the price entry in force on the given date:
//   input  = (promptTokenCount - cachedContentTokenCount) x input rate
//            + toolUsePromptTokenCount x input rate                  (audio at its own rate)
//   cached = cachedContentTokenCount x cached-input rate
//   output = (candidatesTokenCount + thoughtsTokenCount) x output rate (thinking is output)
// A prompt over the model's long-prompt threshold (200k tokens on the Pro models) moves the
// whole request to the higher rates. A missing candidatesTokenCount is derived from
// totalTokenCount. Flex and batch calls get their discount (usageMetadata.serviceTier, or
// the caller's `tier`).
#pragma once

#include <gemini/error.hpp>
#include <gemini/wire/types.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <compare>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gemini {
inline namespace v1 {
namespace cost {

/// An amount of US dollars, in pico-dollars (1e-12 USD).
class money {
 public:
  constexpr money() = default;
  static constexpr money from_pico(std::int64_t p) noexcept { return money(p); }
  static constexpr money from_micro(std::int64_t u) noexcept { return money(u * 1'000'000); }

  constexpr std::int64_t pico() const noexcept { return p_; }
  /// Whole micro-dollars, rounded up (what a budget charges: never less than the cost).
  constexpr std::int64_t micro_ceil() const noexcept {
    return p_ >= 0 ? (p_ + 999'999) / 1'000'000 : -((-p_) / 1'000'000);
  }
  /// "$0.000842" (`decimals` after the point, rounded half up; 6 by default).
  std::string usd(int decimals = 6) const {
    decimals = std::clamp(decimals, 0, 12);
    std::uint64_t unit = 1;
    for (int i = decimals; i < 12; ++i) unit *= 10;
    std::uint64_t a = p_ < 0 ? 0 - static_cast<std::uint64_t>(p_) : static_cast<std::uint64_t>(p_);
    std::uint64_t q = a / unit + (a % unit >= (unit + 1) / 2 ? 1 : 0);  // 10^-decimals dollars
    std::uint64_t scale = 1;
    for (int i = 0; i < decimals; ++i) scale *= 10;
    std::string s = p_ < 0 ? "-$" : "$";
    s += std::to_string(q / scale);
    if (decimals > 0) {
      std::string frac = std::to_string(q % scale);
      s += '.';
      s.append(static_cast<std::size_t>(decimals) - frac.size(), '0');
      s += frac;
    }
    return s;
  }

  constexpr money& operator+=(money o) noexcept {
    p_ += o.p_;
    return *this;
  }
  constexpr money& operator-=(money o) noexcept {
    p_ -= o.p_;
    return *this;
  }
  friend constexpr money operator+(money a, money b) noexcept { return a += b; }
  friend constexpr money operator-(money a, money b) noexcept { return a -= b; }
  friend constexpr auto operator<=>(money, money) noexcept = default;

 private:
  constexpr explicit money(std::int64_t p) noexcept : p_(p) {}
  std::int64_t p_ = 0;
};

/// Prices of one kind of token, in pico-dollars per token (= micro-dollars per million
/// tokens). -1: not quoted: cached input then costs the input rate, audio input the text
/// rate, and cached audio the audio input rate (the dearer fallback, never a discount the
/// table does not state).
struct rates {
  std::int64_t input = 0;
  std::int64_t output = 0;  ///< thinking tokens are billed as output
  std::int64_t cached_input = -1;
  std::int64_t input_audio = -1;
  std::int64_t cached_input_audio = -1;
  friend bool operator==(const rates&, const rates&) = default;
};

/// The price of one model from a date on.
struct model_price {
  std::string model;           ///< the id modelVersion reports, e.g. "gemini-2.5-flash"
  std::string effective_from;  ///< "YYYY-MM-DD" (UTC); "" = always
  rates standard;
  /// Prompts of more than this many tokens are billed at `long_prompt` (0: no such tier).
  std::int64_t long_prompt_above = 0;
  rates long_prompt;
  std::int64_t cache_storage_per_hour = 0;  ///< pico-dollars per token-hour (explicit caches)
  std::string checked;                      ///< when the figure was last checked
  std::string note;
};

/// How a call was served: the discount the price table gives it.
enum class service_tier { from_usage, standard, flex, batch };

/// What a call cost, by part. `model` is the price entry used.
struct call_cost {
  money input;         ///< prompt tokens not served from a cache, and tool-use prompt tokens
  money cached_input;  ///< prompt tokens served from a context cache
  money output;        ///< candidates and thoughts
  money total;
  std::string model;
  std::string effective_from;
  bool long_prompt = false;  ///< the long-prompt rates applied
  int discount_percent = 0;  ///< flex / batch discount applied
};

class price_table {
 public:
  price_table() = default;

  /// The prices shipped with the library (gemini/cost/prices.json, dated per entry).
  static const price_table& builtin();

  /// A table from JSON (the format of gemini/cost/prices.json). Every bad field is named.
  static result<price_table> from_json(std::string_view text);
  static result<price_table> from_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return gemini::error(errc::bad_configuration, "cannot read price file " + path);
    std::ostringstream ss;
    ss << in.rdbuf();
    auto t = from_json(ss.str());
    if (!t) {
      auto e = t.error();
      e.message = path + ": " + e.message;
      return e;
    }
    return t;
  }

  /// Adds a price, or replaces the entry of the same model and date (run-time override).
  void set(model_price p) {
    for (auto& e : prices_)
      if (e.model == p.model && e.effective_from == p.effective_from) {
        e = std::move(p);
        return;
      }
    prices_.push_back(std::move(p));
  }
  /// `alias` is priced as `model` (e.g. "gemini-flash-latest" -> "gemini-3.5-flash").
  void set_alias(std::string alias, std::string model) {
    for (auto& a : aliases_)
      if (a.first == alias) {
        a.second = std::move(model);
        return;
      }
    aliases_.emplace_back(std::move(alias), std::move(model));
  }
  void set_discounts(int flex_percent, int batch_percent) {
    flex_percent_ = std::clamp(flex_percent, 0, 100);
    batch_percent_ = std::clamp(batch_percent, 0, 100);
  }

  /// The entry in force for `model` on `date` ("YYYY-MM-DD"): "models/" stripped, an alias
  /// resolved, the latest entry not after `date`. Null when the model has no price.
  const model_price* find(std::string_view model, std::string_view date) const {
    if (model.starts_with("models/")) model.remove_prefix(7);
    for (auto& [alias, target] : aliases_)
      if (alias == model) {
        model = target;
        break;
      }
    const model_price* best = nullptr;
    for (auto& e : prices_)
      if (e.model == model && e.effective_from <= date &&
          (!best || e.effective_from > best->effective_from))
        best = &e;
    return best;
  }

  const std::vector<model_price>& prices() const noexcept { return prices_; }
  int flex_discount_percent() const noexcept { return flex_percent_; }
  int batch_discount_percent() const noexcept { return batch_percent_; }
  const std::string& source() const noexcept { return source_; }

 private:
  std::vector<model_price> prices_;
  std::vector<std::pair<std::string, std::string>> aliases_;
  int flex_percent_ = 50;
  int batch_percent_ = 50;
  std::string source_;
};

/// The UTC date of `t`, "YYYY-MM-DD" (what a price entry's `effective_from` is compared to).
inline std::string date_of(std::chrono::system_clock::time_point t) {
  std::chrono::year_month_day ymd{std::chrono::floor<std::chrono::days>(t)};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

/// Today's date in UTC, "YYYY-MM-DD".
inline std::string today_utc() { return date_of(std::chrono::system_clock::now()); }

namespace detail {

inline std::int64_t audio_tokens(const std::vector<wire::modality_token_count>& details) {
  std::int64_t n = 0;
  for (auto& d : details)
    if (d.modality == wire::modality::audio) n += d.token_count;
  return n;
}

/// tokens x rate, never below zero; -1 rates fall back to `otherwise`.
inline std::int64_t charge(std::int64_t tokens, std::int64_t rate, std::int64_t otherwise) {
  return std::max<std::int64_t>(tokens, 0) * (rate >= 0 ? rate : otherwise);
}

}  // namespace detail

inline void price_call(const price_table& table, const model_price& entry,
                       const wire::usage_metadata& u, call_cost& c, service_tier tier);

/// The cost of one call from its usageMetadata, priced by `model` (the response's
/// modelVersion; the requested model when it is empty). An unpriced model is an error
/// (errc::not_found, "no price for ..."), never a zero.
inline result<call_cost> cost_of(const price_table& table, const wire::usage_metadata& u,
                                 std::string_view model, std::string_view date,
                                 service_tier tier = service_tier::from_usage) {
  const model_price* p = table.find(model, date);
  if (!p)
    return gemini::error(errc::not_found, "no price for model '" + std::string(model) + "' on " +
                                              std::string(date) + " (unpriced)");
  call_cost c;
  c.model = p->model;
  c.effective_from = p->effective_from;
  price_call(table, *p, u, c, tier);
  return c;
}

/// cost_of's arithmetic for an entry already found: fills the amounts, `long_prompt` and
/// `discount_percent` of `c` (not its strings). Allocates nothing (hot paths use it).
inline void price_call(const price_table& table, const model_price& entry,
                       const wire::usage_metadata& u, call_cost& c, service_tier tier) {
  const model_price* p = &entry;
  c.long_prompt = p->long_prompt_above > 0 && u.prompt_token_count > p->long_prompt_above;
  const rates& r = c.long_prompt ? p->long_prompt : p->standard;

  const std::int64_t cached = std::clamp<std::int64_t>(
      u.cached_content_token_count, 0, std::max<std::int64_t>(u.prompt_token_count, 0));
  const std::int64_t uncached = std::max<std::int64_t>(u.prompt_token_count, 0) - cached;
  const std::int64_t cached_audio =
      std::clamp(detail::audio_tokens(u.cache_tokens_details), std::int64_t{0}, cached);
  const std::int64_t prompt_audio = detail::audio_tokens(u.prompt_tokens_details);
  const std::int64_t uncached_audio =
      std::clamp(prompt_audio - cached_audio, std::int64_t{0}, uncached);
  std::int64_t out_tokens = std::max<std::int64_t>(u.candidates_token_count, 0);
  if (out_tokens == 0)  // absent (e.g. MAX_TOKENS while thinking): what the total leaves
    out_tokens = std::max<std::int64_t>(u.total_token_count - u.prompt_token_count -
                                            u.thoughts_token_count - u.tool_use_prompt_token_count,
                                        0);
  out_tokens += std::max<std::int64_t>(u.thoughts_token_count, 0);

  std::int64_t in = detail::charge(uncached - uncached_audio, r.input, r.input) +
                    detail::charge(uncached_audio, r.input_audio, r.input) +
                    detail::charge(u.tool_use_prompt_token_count, r.input, r.input);
  std::int64_t cin = detail::charge(cached - cached_audio, r.cached_input, r.input) +
                     detail::charge(cached_audio, r.cached_input_audio,
                                    r.input_audio >= 0 ? r.input_audio : r.input);
  std::int64_t out = detail::charge(out_tokens, r.output, r.output);

  if (tier == service_tier::from_usage) {
    auto is = [&](std::string_view w) {
      return u.service_tier.size() == w.size() &&
             std::equal(w.begin(), w.end(), u.service_tier.begin(), [](char a, char b) {
               return a == std::tolower(static_cast<unsigned char>(b));
             });
    };
    tier = is("flex")    ? service_tier::flex
           : is("batch") ? service_tier::batch
                         : service_tier::standard;
  }
  c.discount_percent = tier == service_tier::flex    ? table.flex_discount_percent()
                       : tier == service_tier::batch ? table.batch_discount_percent()
                                                     : 0;
  auto discounted = [&](std::int64_t v) {  // rounded up: never less than the bill
    return c.discount_percent == 0 ? v : (v * (100 - c.discount_percent) + 99) / 100;
  };
  c.input = money::from_pico(discounted(in));
  c.cached_input = money::from_pico(discounted(cin));
  c.output = money::from_pico(discounted(out));
  c.total = c.input + c.cached_input + c.output;
}

/// The most a request can cost before it is sent: `input_tokens` at the input rate (the
/// long-prompt rate past the threshold) and `max_output_tokens` at the output rate. What a
/// budget reserves. Unpriced: an error, as cost_of.
inline result<money> worst_case(const price_table& table, std::string_view model,
                                std::string_view date, std::int64_t input_tokens,
                                std::int64_t max_output_tokens) {
  const model_price* p = table.find(model, date);
  if (!p)
    return gemini::error(errc::not_found, "no price for model '" + std::string(model) + "' on " +
                                              std::string(date) + " (unpriced)");
  bool long_prompt = p->long_prompt_above > 0 && input_tokens > p->long_prompt_above;
  const rates& r = long_prompt ? p->long_prompt : p->standard;
  std::int64_t in_rate = std::max(r.input, r.input_audio);
  return money::from_pico(std::max<std::int64_t>(input_tokens, 0) * in_rate +
                          std::max<std::int64_t>(max_output_tokens, 0) * r.output);
}

// ---- reading a price table -------------------------------------------------------------

namespace detail {

struct price_reader {
  std::string problems;
  void bad(const std::string& path, const std::string& what) {
    if (!problems.empty()) problems += '\n';
    problems += path + ": " + what;
  }
  /// USD per million tokens (a JSON number, >= 0) -> pico-dollars per token.
  std::int64_t rate(const boost::json::object& o, std::string_view key, const std::string& path,
                    std::int64_t missing) {
    auto it = o.find(key);
    if (it == o.end()) return missing;
    double v = 0;
    if (it->value().is_double())
      v = it->value().get_double();
    else if (it->value().is_int64())
      v = static_cast<double>(it->value().get_int64());
    else if (it->value().is_uint64())
      v = static_cast<double>(it->value().get_uint64());
    else {
      bad(path + "." + std::string(key), "expected a number (USD per million tokens)");
      return missing;
    }
    if (!(v >= 0) || v > 1e6) {
      bad(path + "." + std::string(key),
          "expected a price between 0 and 1e6 USD per million tokens");
      return missing;
    }
    return std::llround(v * 1e6);
  }
  std::string text(const boost::json::object& o, std::string_view key, const std::string& path,
                   bool required) {
    auto it = o.find(key);
    if (it == o.end()) {
      if (required) bad(path + "." + std::string(key), "missing");
      return {};
    }
    if (!it->value().is_string()) {
      bad(path + "." + std::string(key), "expected a string");
      return {};
    }
    return std::string(it->value().get_string());
  }
  static bool is_date(std::string_view d) {
    if (d.size() != 10 || d[4] != '-' || d[7] != '-') return false;
    for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9})
      if (d[i] < '0' || d[i] > '9') return false;
    return true;
  }
  rates read_rates(const boost::json::object& o, const std::string& path) {
    rates r;
    r.input = rate(o, "input", path, 0);
    r.output = rate(o, "output", path, 0);
    if (!o.contains("input")) bad(path + ".input", "missing");
    if (!o.contains("output")) bad(path + ".output", "missing");
    r.cached_input = rate(o, "cached_input", path, -1);
    r.input_audio = rate(o, "input_audio", path, -1);
    r.cached_input_audio = rate(o, "cached_input_audio", path, -1);
    return r;
  }
  void unknown_keys(const boost::json::object& o, const std::string& path,
                    std::initializer_list<std::string_view> known) {
    for (auto& kv : o)
      if (std::find(known.begin(), known.end(), std::string_view(kv.key())) == known.end())
        bad(path + "." + std::string(kv.key()), "unknown field");
  }
};

}  // namespace detail

inline result<price_table> price_table::from_json(std::string_view text) {
  boost::system::error_code ec;
  auto v = boost::json::parse(boost::json::string_view(text.data(), text.size()), ec);
  if (ec) return gemini::error(errc::bad_json, "price table: " + ec.message());
  if (!v.is_object())
    return gemini::error(errc::bad_configuration, "price table: expected an object");
  detail::price_reader rd;
  price_table t;
  auto& root = v.get_object();
  rd.unknown_keys(root, "prices", {"source", "checked", "discounts", "aliases", "models"});
  t.source_ = rd.text(root, "source", "prices", false);
  if (auto it = root.find("discounts"); it != root.end()) {
    if (!it->value().is_object()) {
      rd.bad("prices.discounts", "expected an object");
    } else {
      auto& d = it->value().get_object();
      rd.unknown_keys(d, "prices.discounts", {"flex_percent", "batch_percent"});
      auto pct = [&](std::string_view k, int& out) {
        auto f = d.find(k);
        if (f == d.end()) return;
        if (!f->value().is_int64() || f->value().get_int64() < 0 || f->value().get_int64() > 100)
          rd.bad("prices.discounts." + std::string(k), "expected an integer from 0 to 100");
        else
          out = static_cast<int>(f->value().get_int64());
      };
      pct("flex_percent", t.flex_percent_);
      pct("batch_percent", t.batch_percent_);
    }
  }
  if (auto it = root.find("aliases"); it != root.end()) {
    if (!it->value().is_object()) {
      rd.bad("prices.aliases", "expected an object of alias: model");
    } else {
      for (auto& kv : it->value().get_object()) {
        if (!kv.value().is_string())
          rd.bad("prices.aliases." + std::string(kv.key()), "expected a model id");
        else
          t.set_alias(std::string(kv.key()), std::string(kv.value().get_string()));
      }
    }
  }
  auto models = root.find("models");
  if (models == root.end() || !models->value().is_array()) {
    rd.bad("prices.models", "expected an array of model prices");
  } else {
    std::size_t i = 0;
    for (auto& m : models->value().get_array()) {
      std::string path = "prices.models[" + std::to_string(i++) + "]";
      if (!m.is_object()) {
        rd.bad(path, "expected an object");
        continue;
      }
      auto& o = m.get_object();
      if (auto it = o.find("model"); it != o.end() && it->value().is_string())
        path += " (" + std::string(it->value().get_string()) + ")";
      rd.unknown_keys(
          o, path,
          {"model", "from", "input", "output", "cached_input", "input_audio", "cached_input_audio",
           "long_prompt", "cache_storage_per_hour", "checked", "note"});
      model_price p;
      p.model = rd.text(o, "model", path, true);
      p.effective_from = rd.text(o, "from", path, false);
      if (!p.effective_from.empty() && !detail::price_reader::is_date(p.effective_from))
        rd.bad(path + ".from", "expected a date YYYY-MM-DD");
      p.standard = rd.read_rates(o, path);
      p.cache_storage_per_hour =
          std::max<std::int64_t>(rd.rate(o, "cache_storage_per_hour", path, 0), 0);
      p.checked = rd.text(o, "checked", path, false);
      p.note = rd.text(o, "note", path, false);
      if (auto lp = o.find("long_prompt"); lp != o.end()) {
        if (!lp->value().is_object()) {
          rd.bad(path + ".long_prompt", "expected an object");
        } else {
          auto& lo = lp->value().get_object();
          std::string lpath = path + ".long_prompt";
          rd.unknown_keys(
              lo, lpath,
              {"above", "input", "output", "cached_input", "input_audio", "cached_input_audio"});
          auto above = lo.find("above");
          if (above == lo.end() || !above->value().is_int64() || above->value().get_int64() <= 0)
            rd.bad(lpath + ".above", "expected a positive token count");
          else
            p.long_prompt_above = above->value().get_int64();
          p.long_prompt = rd.read_rates(lo, lpath);
        }
      }
      for (auto& e : t.prices_)
        if (e.model == p.model && e.effective_from == p.effective_from)
          rd.bad(path, "a second entry for the same model and date");
      t.prices_.push_back(std::move(p));
    }
  }
  if (!rd.problems.empty()) return gemini::error(errc::bad_configuration, rd.problems);
  return t;
}

}  // namespace cost
}  // namespace v1
}  // namespace gemini

#include <gemini/cost/builtin_prices.hpp>
