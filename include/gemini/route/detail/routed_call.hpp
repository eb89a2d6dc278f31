// gemini-cxx — one call over the route policy's endpoints: what the attempt loop needs to
// know between attempts (which endpoints failed and why, the text a cut stream already
// delivered) and the request encoded once per wire format.
#pragma once

#include <gemini/detail/request.hpp>
#include <gemini/error.hpp>
#include <gemini/route/endpoint.hpp>
#include <gemini/wire/openai.hpp>
#include <gemini/wire/types.hpp>

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace gemini {
inline namespace v1 {
namespace route::detail {

/// The state of a routed generate() or stream() between its attempts. Lives in the call's
/// frame; `req` and `deliver` are the call's.
template <class Deliver>
struct routed_call {
  static constexpr bool routed = true;
  using deliver_type = Deliver;

  routed_call(wire::generate_content_request* r, std::string body, std::size_t endpoints,
              Deliver* d)
      : req(r),
        gemini_body(std::move(body)),
        traits(request_traits::of(*r, gemini_body.size())),
        failed(endpoints),
        deliver(d) {}

  wire::generate_content_request* req;
  std::string gemini_body;  // the Gemini JSON, encoded once
  request_traits traits;
  std::vector<std::string> failed;  // failed[i] not empty: endpoint i failed this call (why)
  Deliver* deliver = nullptr;       // streaming: hands a chunk to the caller (null: unary)
  bool delivered_ = false;          // a chunk of this attempt reached the caller
  std::string told;                 // mid-stream recovery: the text already delivered
  std::vector<std::pair<std::string, std::string>> openai_bodies;  // model -> chat body

  bool streaming() const noexcept { return deliver != nullptr; }
  bool delivered() const noexcept { return delivered_; }

  /// The body for an OpenAI-compatible endpoint serving `model` (encoded once per model).
  result<const std::string*> openai_body(const std::string& model) {
    for (auto& [m, b] : openai_bodies)
      if (m == model) return &b;
    auto body = wire::openai::chat_request(*req, model, streaming());
    if (!body) return std::move(body).error();
    openai_bodies.emplace_back(model, std::move(*body));
    return &openai_bodies.back().second;
  }

  /// Every endpoint may be tried again (the retry policy started a new round).
  void new_round() {
    for (auto& f : failed) f.clear();
  }

  /// A successful answer on endpoint i: true when it was blocked and the router says to
  /// try the next endpoint instead (before anything reached the caller).
  bool blocked_elsewhere(const wire::generate_content_response& r, std::size_t i,
                         bool fallback_on_block) {
    if (delivered_ || !fallback_on_block || !gemini::detail::blocked_answer(r)) return false;
    failed[i] = "blocked the answer";
    return true;
  }

  enum class next { give_up, failover, resume };

  /// A failed attempt on endpoint i: another endpoint continues a cut stream (`resume`,
  /// when the router allows it), takes the request (`failover`), or the error stands.
  next after_failure(gemini::error& e, std::size_t i, bool resume_streams,
                     std::size_t max_request_bytes) {
    if (delivered_ && resume_streams && e.code != condition::cancelled && !e.partial_text.empty()) {
      // Best effort: the text delivered so far goes out as the model's turn; only the
      // continuation reaches the caller.
      if (told.empty()) req->contents.push_back(wire::content::model(std::string()));
      told += e.partial_text;
      req->contents.back().parts.front().text = told;
      auto resumed = gemini::detail::encode_generate(*req, max_request_bytes);
      if (!resumed) {
        e = std::move(resumed).error();
        return next::give_up;
      }
      gemini_body = std::move(*resumed);
      openai_bodies.clear();
      failed[i] = "cut mid-stream: " + e.message;
      e.partial_text = told;
      delivered_ = false;
      return next::resume;
    }
    if (!delivered_ && gemini::detail::worth_failover(e)) {
      failed[i] = "failed: " + e.message;
      return next::failover;
    }
    return next::give_up;
  }
};

}  // namespace route::detail
}  // namespace v1
}  // namespace gemini
