// gemini-cxx — automatic explicit context caching: when the same long prefix (system
// instruction, tools, leading turns) keeps coming back and caching it pays for itself by the
// price table, the prefix is put in a cachedContent and the calls refer to it.
//
//   gemini::context_cache cc(client, {.ttl = std::chrono::minutes(10)});
//   auto r = co_await cc.generate(req);     // as client.generate(req), cheaper when it pays
//   ...
//   co_await cc.close();                    // deletes the caches it created
//
// The prefix of a request is its systemInstruction, tools, toolConfig and its first
// `prefix_turns` contents. A prefix is cached when, within the last `ttl`, it was seen at
// least `min_uses` times and
//
//   uses × T × (input − cached input) > margin × (T × input + T × storage per hour × ttl)
//
// (T: the prefix's estimated tokens; the left side is what the same number of uses in the
// next `ttl` saves, the right what the cache costs: its creation is billed as input, its
// storage by the hour). Below the model's minimum (1,024 tokens; 4,096 for Pro models), or
// when the price table has no cached-input or no storage price for the model, nothing is
// cached. A call with a cache sends only the rest
// of the request and `cachedContent`; the cache's TTL is extended while it is used (when
// less than half is left). A cache that is gone (expired, deleted elsewhere) is forgotten
// and the call is sent again whole. Used from the client's executor, like the client.
#pragma once

#include <gemini/config.hpp>
#include <gemini/cost/price_table.hpp>
#include <gemini/error.hpp>
#include <gemini/prompt/compact.hpp>
#include <gemini/wire/json.hpp>
#include <gemini/wire/types.hpp>

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace gemini {
inline namespace v1 {

struct context_cache_options {
  std::chrono::seconds ttl{std::chrono::minutes(10)};  ///< each cache's life, extended while used
  std::size_t prefix_turns = 0;     ///< leading contents that belong to the prefix
  std::int64_t min_tokens = 0;      ///< 0: the model's minimum (1,024; 4,096 for Pro)
  std::size_t min_uses = 2;         ///< times a prefix is seen (within ttl) before it is cached
  double margin = 1.0;              ///< the projected saving must exceed margin × the cache's cost
  std::size_t max_prefixes = 1000;  ///< prefixes remembered (the oldest unused go first)
  std::shared_ptr<const cost::price_table> prices;  ///< null: cost::price_table::builtin()
  std::function<std::chrono::system_clock::time_point()> clock;  ///< tests substitute it
};

struct context_cache_stats {
  std::uint64_t created = 0;    ///< caches created
  std::uint64_t hits = 0;       ///< calls sent with a cache
  std::uint64_t refreshed = 0;  ///< TTL extensions
  std::uint64_t deleted = 0;    ///< by close()
  std::uint64_t fallbacks = 0;  ///< a cache was gone: the call was sent again whole
  std::uint64_t create_failures = 0;
  std::uint64_t not_worth = 0;  ///< prefixes seen often enough that were still not worth it
  cost::money creation;         ///< what creating the caches cost (their tokens as input)
  cost::money storage;          ///< storage paid so far (until now, deletion or expiry)
};

template <class Client>
class context_cache {
 public:
  explicit context_cache(Client& c, context_cache_options o = {}) : c_(c), o_(std::move(o)) {
    if (!o_.prices)
      o_.prices = std::shared_ptr<const cost::price_table>(&cost::price_table::builtin(),
                                                           [](const cost::price_table*) {});
  }
  context_cache(const context_cache&) = delete;
  context_cache& operator=(const context_cache&) = delete;

  const context_cache_options& options() const noexcept { return o_; }

  context_cache_stats stats() const {
    auto s = stats_;
    const auto now = now_();
    for (auto& [k, e] : prefixes_)
      if (!e.name.empty()) s.storage += storage_of(e, std::min(now, e.expires));
    for (auto& g : gone_) s.storage += g;
    return s;
  }

  /// As the client's generate(req, o), through a cache of the request's prefix when one
  /// exists or is worth creating now.
  boost::asio::awaitable<result<wire::generate_content_response>> generate(
      wire::generate_content_request req) {
    return generate(std::move(req), call_options{});
  }
  boost::asio::awaitable<result<wire::generate_content_response>> generate(
      wire::generate_content_request req, call_options o) {
    if (!req.cached_content.empty()) co_return co_await c_.generate(std::move(req), std::move(o));
    const std::string model = o.model.empty() ? c_.options().model : o.model;
    std::string key = prefix_key(req, model);
    if (key.empty()) co_return co_await c_.generate(std::move(req), std::move(o));
    const auto now = now_();
    auto& e = remember(key, now);
    if (e.name.empty() && !e.creating && worth(e, req, model, now)) {
      e.creating = true;
      auto made = co_await create(req, model, o);
      auto& e2 = prefixes_[key];  // rehashing may have moved it
      e2.creating = false;
      if (made) {
        ++stats_.created;
        const auto at = now_();
        e2.name = made->name;
        e2.tokens = made->usage_metadata ? made->usage_metadata->total_token_count : e2.tokens;
        e2.created = e2.refreshed = at;
        e2.expires = at + o_.ttl;
        e2.model = model;
        stats_.creation += price_of(model, at, e2.tokens, &cost::rates::input);
      } else {
        ++stats_.create_failures;
      }
    }
    auto it = prefixes_.find(key);
    if (it == prefixes_.end() || it->second.name.empty())
      co_return co_await c_.generate(std::move(req), std::move(o));

    // Extend the TTL of a cache in use when less than half of it is left.
    if (it->second.expires - now_() < o_.ttl / 2) {
      const std::string name = it->second.name;
      call_options none;  // named: GCC 12 and temporaries in co_await (decision 0004)
      auto u = co_await c_.update_cached_content_ttl(name, o_.ttl, std::move(none));
      it = prefixes_.find(key);
      if (it != prefixes_.end() && it->second.name == name) {
        if (u) {
          ++stats_.refreshed;
          it->second.expires = now_() + o_.ttl;
        } else {
          forget(it->second);
        }
      }
      if (it == prefixes_.end() || it->second.name.empty())
        co_return co_await c_.generate(std::move(req), std::move(o));
    }
    const std::string name = it->second.name;
    auto rest = without_prefix(req);
    rest.cached_content = name;
    ++stats_.hits;
    auto r = co_await c_.generate(std::move(rest), o);
    if (!r && cache_gone(r.error())) {
      ++stats_.fallbacks;
      --stats_.hits;
      auto f = prefixes_.find(key);
      if (f != prefixes_.end() && f->second.name == name) forget(f->second);
      co_return co_await c_.generate(std::move(req), std::move(o));
    }
    co_return r;
  }

  /// Deletes every cache this object created (the first error is returned; the others
  /// are still tried).
  boost::asio::awaitable<result<void>> close() {
    std::optional<gemini::error> first;
    std::vector<std::string> names;
    for (auto& [k, e] : prefixes_)
      if (!e.name.empty()) names.push_back(e.name);
    for (auto& n : names) {
      call_options none;
      auto d = co_await c_.delete_cached_content(n, std::move(none));
      for (auto& [k, e] : prefixes_)
        if (e.name == n) forget(e);
      if (d)
        ++stats_.deleted;
      else if (!first)
        first = std::move(d).error();
    }
    if (first) co_return std::move(*first);
    co_return result<void>{};
  }

 private:
  using time_point = std::chrono::system_clock::time_point;
  struct entry {
    std::vector<time_point> seen;  ///< uses within the last ttl
    std::string name;              ///< the cache, once created
    std::string model;
    std::int64_t tokens = 0;  ///< estimated, then as the service counted them
    time_point created, refreshed, expires, last_used;
    bool creating = false;
  };

  time_point now_() const { return o_.clock ? o_.clock() : std::chrono::system_clock::now(); }

  /// The prefix as a request (what the cache holds), and its key ("" when it is empty).
  wire::generate_content_request prefix_of(const wire::generate_content_request& req) const {
    wire::generate_content_request p;
    p.system_instruction = req.system_instruction;
    p.tools = req.tools;
    p.tool_config = req.tool_config;
    const auto n = std::min(o_.prefix_turns, req.contents.size());
    p.contents.assign(req.contents.begin(), req.contents.begin() + static_cast<std::ptrdiff_t>(n));
    return p;
  }
  std::string prefix_key(const wire::generate_content_request& req,
                         const std::string& model) const {
    auto p = prefix_of(req);
    if (!p.system_instruction && p.tools.empty() && !p.tool_config && p.contents.empty()) return {};
    if (o_.prefix_turns >= req.contents.size()) return {};  // nothing would be left to send
    return model + '\n' + wire::serialize(p);
  }
  wire::generate_content_request without_prefix(const wire::generate_content_request& req) const {
    auto r = req;
    r.system_instruction.reset();
    r.tools.clear();
    r.tool_config.reset();
    const auto n = std::min(o_.prefix_turns, r.contents.size());
    r.contents.erase(r.contents.begin(), r.contents.begin() + static_cast<std::ptrdiff_t>(n));
    return r;
  }

  entry& remember(const std::string& key, time_point now) {
    if (prefixes_.size() >= o_.max_prefixes && !prefixes_.contains(key)) drop_oldest();
    auto& e = prefixes_[key];
    std::erase_if(e.seen, [&](time_point t) { return now - t > o_.ttl; });
    e.seen.push_back(now);
    e.last_used = now;
    return e;
  }
  void drop_oldest() {
    auto victim = prefixes_.end();
    for (auto it = prefixes_.begin(); it != prefixes_.end(); ++it)
      if (it->second.name.empty() && !it->second.creating &&
          (victim == prefixes_.end() || it->second.last_used < victim->second.last_used))
        victim = it;
    if (victim != prefixes_.end()) prefixes_.erase(victim);
  }

  /// Pico-dollars for `tokens` at one of the model's rates (0 when unpriced).
  cost::money price_of(const std::string& model, time_point at, std::int64_t tokens,
                       std::int64_t cost::rates::*rate) const {
    const auto* p = o_.prices->find(model, cost::date_of(at));
    if (!p) return {};
    return cost::money::from_pico(tokens * std::max<std::int64_t>(p->standard.*rate, 0));
  }
  cost::money storage_of(const entry& e, time_point until) const {
    const auto* p = o_.prices->find(e.model, cost::date_of(e.created));
    if (!p || until <= e.created) return {};
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(until - e.created).count();
    // tokens × pico per token-hour × ms overflows int64 for a large cache kept for hours:
    // computed in long double (64-bit mantissa), exact far past any real cache.
    const long double pico = static_cast<long double>(e.tokens) *
                             static_cast<long double>(p->cache_storage_per_hour) *
                             static_cast<long double>(ms) / 3'600'000.0L;
    return cost::money::from_pico(static_cast<std::int64_t>(pico));
  }

  bool worth(entry& e, const wire::generate_content_request& req, const std::string& model,
             time_point now) {
    if (e.seen.size() < o_.min_uses) return false;
    const auto* p = o_.prices->find(model, cost::date_of(now));
    // Unpriced, no cached-input discount, or no storage price (0: not quoted): it cannot be
    // shown to pay, so it is not cached.
    if (!p || p->standard.cached_input < 0 || p->standard.cached_input >= p->standard.input ||
        p->cache_storage_per_hour <= 0)
      return note_not_worth(e);
    const std::int64_t tokens = prompt::detail::estimate_prompt_tokens(prefix_of(req));
    e.tokens = tokens;
    const std::int64_t min =
        o_.min_tokens > 0 ? o_.min_tokens : (model.find("pro") != std::string::npos ? 4096 : 1024);
    if (tokens < min) return note_not_worth(e);
    const double hours = std::chrono::duration<double, std::ratio<3600>>(o_.ttl).count();
    const double saving = static_cast<double>(e.seen.size()) * static_cast<double>(tokens) *
                          static_cast<double>(p->standard.input - p->standard.cached_input);
    const double cache_cost =
        static_cast<double>(tokens) * (static_cast<double>(p->standard.input) +
                                       static_cast<double>(p->cache_storage_per_hour) * hours);
    if (saving > o_.margin * cache_cost) return true;
    return note_not_worth(e);
  }
  bool note_not_worth(entry& e) {
    if (e.seen.size() == o_.min_uses) ++stats_.not_worth;  // once per prefix and streak
    return false;
  }

  boost::asio::awaitable<result<wire::cached_content>> create(
      const wire::generate_content_request& req, const std::string& model, const call_options& o) {
    auto p = prefix_of(req);
    wire::cached_content c;
    c.model = "models/" + (model.starts_with("models/") ? model.substr(7) : model);
    c.contents = std::move(p.contents);
    c.system_instruction = std::move(p.system_instruction);
    c.tools = std::move(p.tools);
    c.tool_config = std::move(p.tool_config);
    c.ttl = std::to_string(o_.ttl.count()) + "s";
    c.display_name = "gemini-cxx context_cache";
    call_options co;
    co.tenant = o.tenant;
    co.user = o.user;
    co.timeout = o.timeout;
    co.deadline = o.deadline;
    co_return co_await c_.create_cached_content(std::move(c), std::move(co));
  }

  /// The cache's storage is counted until now (or its expiry) and it is forgotten.
  void forget(entry& e) {
    if (e.name.empty()) return;
    gone_.push_back(storage_of(e, std::min(now_(), e.expires)));
    e.name.clear();
  }

  static bool cache_gone(const gemini::error& e) {
    return (e.code == errc::permission_denied || e.code == errc::not_found ||
            e.code == errc::invalid_argument) &&
           e.message.find("CachedContent") != std::string::npos;
  }

  Client& c_;
  context_cache_options o_;
  std::unordered_map<std::string, entry> prefixes_;
  std::vector<cost::money> gone_;  ///< storage of caches forgotten
  context_cache_stats stats_;
};

}  // namespace v1
}  // namespace gemini
