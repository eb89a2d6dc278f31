// gemini-cxx — merging streamed generateContent chunks into one response (gemini-wire.md §5.1).
//
//     wire::response_accumulator acc;
//     for (auto& chunk : chunks) acc.add(std::move(chunk));
//     if (!acc.finished()) /* truncated stream */;
//     wire::generate_content_response full = acc.take();
//
// Rules, per candidate (matched by `index`):
//  - Text parts are deltas. A text-only part is appended to the previous accumulated part when
//    that one is also text-only and of the same kind (`thought` flag equal), so a stream gives
//    the same parts a unary call would: thoughts, then answer. A `thoughtSignature` carried by
//    a delta (often an empty-text final part) is moved onto the merged part; only when both
//    already carry a signature does the delta start a new part. Parts with any other payload
//    (function calls with their id and signature, inline data, code, ...) are appended as is.
//  - finishReason, finishMessage, safetyRatings, groundingMetadata, urlContextMetadata,
//    avgLogprobs, logprobsResult, tokenCount: the last non-empty value wins. Citation sources
//    are appended. Unknown candidate keys are merged (last wins).
//  - Response: usageMetadata is cumulative, so the last non-empty one wins; so do
//    promptFeedback, modelVersion and responseId; unknown keys are merged (last wins).
//
// Thread safety: none (one stream, one accumulator). No I/O, no allocation beyond the data.
#pragma once

#include <gemini/wire/types.hpp>

#include <cstddef>
#include <utility>

namespace gemini {
inline namespace v1 {
namespace wire {

class response_accumulator {
 public:
  /// Merges one streamed chunk.
  void add(generate_content_response&& chunk) {
    ++chunks_;
    for (auto& c : chunk.candidates) merge_candidate(std::move(c));
    if (chunk.prompt_feedback) response_.prompt_feedback = std::move(chunk.prompt_feedback);
    if (!chunk.usage.empty()) response_.usage = std::move(chunk.usage);
    if (!chunk.model_version.empty()) response_.model_version = std::move(chunk.model_version);
    if (!chunk.response_id.empty()) response_.response_id = std::move(chunk.response_id);
    merge_extra(response_.extra, chunk.extra);
    if (response_.blocked()) finished_ = true;
  }
  /// Merges a copy of one streamed chunk.
  void add(const generate_content_response& chunk) {
    generate_content_response copy = chunk;
    add(std::move(copy));
  }

  /// True once a finishReason was seen, or the prompt was blocked.
  bool finished() const noexcept { return finished_; }
  /// Number of chunks added.
  std::size_t chunks() const noexcept { return chunks_; }
  /// The response so far.
  const generate_content_response& response() const noexcept { return response_; }
  /// Moves the response out and resets the accumulator.
  generate_content_response take() {
    generate_content_response r = std::move(response_);
    response_ = generate_content_response{};
    finished_ = false;
    chunks_ = 0;
    return r;
  }

 private:
  static void merge_extra(boost::json::object& into, boost::json::object& from) {
    for (auto& kv : from) into[kv.key()] = std::move(kv.value());
  }

  static void merge_part(std::vector<part>& parts, part&& p) {
    if (p.is_text_only() && !parts.empty()) {
      part& last = parts.back();
      if (last.is_text_only() && last.thought == p.thought &&
          (last.thought_signature.empty() || p.thought_signature.empty())) {
        *last.text += *p.text;
        if (!p.thought_signature.empty()) last.thought_signature = std::move(p.thought_signature);
        return;
      }
    }
    parts.push_back(std::move(p));
  }

  void merge_candidate(candidate&& c) {
    candidate* into = nullptr;
    for (auto& have : response_.candidates)
      if (have.index == c.index) {
        into = &have;
        break;
      }
    if (c.finish_reason.has_value()) finished_ = true;
    if (!into) {
      candidate fresh;
      fresh.index = c.index;
      response_.candidates.push_back(std::move(fresh));
      into = &response_.candidates.back();
    }
    if (c.content) {
      if (!into->content) {
        into->content.emplace();
      }
      auto& dst = *into->content;
      if (!c.content->role.empty()) dst.role = std::move(c.content->role);
      for (auto& p : c.content->parts) merge_part(dst.parts, std::move(p));
      merge_extra(dst.extra, c.content->extra);
    }
    if (c.finish_reason.has_value()) into->finish_reason = std::move(c.finish_reason);
    if (!c.finish_message.empty()) into->finish_message = std::move(c.finish_message);
    if (!c.safety_ratings.empty()) into->safety_ratings = std::move(c.safety_ratings);
    if (c.citation_metadata) {
      if (!into->citation_metadata) into->citation_metadata.emplace();
      for (auto& s : c.citation_metadata->citation_sources)
        into->citation_metadata->citation_sources.push_back(std::move(s));
      merge_extra(into->citation_metadata->extra, c.citation_metadata->extra);
    }
    if (c.grounding_metadata) into->grounding_metadata = std::move(c.grounding_metadata);
    if (c.url_context_metadata) into->url_context_metadata = std::move(c.url_context_metadata);
    if (c.avg_logprobs) into->avg_logprobs = c.avg_logprobs;
    if (c.logprobs_result) into->logprobs_result = std::move(c.logprobs_result);
    if (c.token_count != 0) into->token_count = c.token_count;
    merge_extra(into->extra, c.extra);
  }

  generate_content_response response_;
  bool finished_ = false;
  std::size_t chunks_ = 0;
};

}  // namespace wire
}  // namespace v1
}  // namespace gemini
