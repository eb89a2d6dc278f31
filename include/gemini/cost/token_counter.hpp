// gemini-cxx — exact prompt token counts from countTokens, remembered, for budgets and
// limits that should reserve by the real count instead of the 4-bytes-a-token estimate.
//
//   gemini::cost::token_counter counter(client);
//   auto n = co_await counter.count(req);            // result<token_count>
//   gemini::call_options o;
//   o.prompt_tokens = n->tokens;                     // the budget reserves by it
//   auto r = co_await client.generate(req, o);
//
// One countTokens call per distinct (model, prompt): the request without its generation
// config and safety settings (they do not change the count) is the key of an LRU of
// `max_entries`. When countTokens fails, the count falls back to the estimate (marked, and
// counted in stats()) unless `fall_back` is off. A countTokens call costs nothing but
// counts against the requests-per-minute quota.
#pragma once

#include <gemini/config.hpp>
#include <gemini/error.hpp>
#include <gemini/prompt/compact.hpp>
#include <gemini/wire/json.hpp>
#include <gemini/wire/types.hpp>

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <list>
#include <string>
#include <unordered_map>
#include <utility>

namespace gemini {
inline namespace v1 {
namespace cost {

struct token_counter_options {
  std::size_t max_entries = 10000;  ///< distinct prompts remembered (least recently used go)
  bool fall_back = true;            ///< countTokens failed: the estimate instead of the error
};

struct token_count {
  std::int64_t tokens = 0;
  bool estimated = false;   ///< countTokens failed: the local estimate (UTF-8 bytes / 4)
  bool remembered = false;  ///< from the counter's memory, no call made
};

struct token_counter_stats {
  std::uint64_t calls = 0;       ///< countTokens calls made
  std::uint64_t remembered = 0;  ///< answered from memory
  std::uint64_t estimated = 0;   ///< countTokens failed, estimated
};

template <class Client>
class token_counter {
 public:
  explicit token_counter(Client& c, token_counter_options o = {}) : c_(c), o_(o) {}
  token_counter(const token_counter&) = delete;
  token_counter& operator=(const token_counter&) = delete;

  const token_counter_stats& stats() const noexcept { return stats_; }
  std::size_t size() const noexcept { return index_.size(); }

  boost::asio::awaitable<result<token_count>> count(wire::generate_content_request req) {
    return count(std::move(req), call_options{});
  }
  /// The prompt tokens of `req` sent to `o.model` (or the client's model).
  boost::asio::awaitable<result<token_count>> count(wire::generate_content_request req,
                                                    call_options o) {
    const std::string model = o.model.empty() ? c_.options().model : o.model;
    const std::int64_t estimate = prompt::detail::estimate_prompt_tokens(req);
    req.generation_config.reset();
    req.safety_settings.clear();
    std::string key = model + '\n' + wire::serialize(req);
    if (auto it = index_.find(key); it != index_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second);  // most recently used first
      ++stats_.remembered;
      co_return token_count{it->second->second, false, true};
    }
    wire::count_tokens_request ctr;
    if (req.system_instruction || !req.tools.empty() || req.tool_config ||
        !req.cached_content.empty()) {
      req.model = model.starts_with("models/") ? model : "models/" + model;
      ctr.generate_content_request = std::move(req);
    } else {
      ctr.contents = std::move(req.contents);
    }
    ++stats_.calls;
    auto r = co_await c_.count_tokens(std::move(ctr), std::move(o));
    if (!r) {
      if (!o_.fall_back || r.error().code == errc::cancelled) co_return std::move(r).error();
      ++stats_.estimated;
      co_return token_count{estimate, true, false};
    }
    remember(std::move(key), r->total_tokens);
    co_return token_count{r->total_tokens, false, false};
  }

 private:
  void remember(std::string key, std::int64_t tokens) {
    if (o_.max_entries == 0 || index_.contains(key)) return;  // two misses for one prompt
    if (index_.size() >= o_.max_entries) {
      index_.erase(lru_.back().first);
      lru_.pop_back();
    }
    lru_.emplace_front(std::move(key), tokens);
    index_.emplace(lru_.front().first, lru_.begin());
  }

  Client& c_;
  token_counter_options o_;
  std::list<std::pair<std::string, std::int64_t>> lru_;
  std::unordered_map<std::string_view, std::list<std::pair<std::string, std::int64_t>>::iterator>
      index_;
  token_counter_stats stats_;
};

}  // namespace cost
}  // namespace v1
}  // namespace gemini
