// gemini-cxx — JSON for the wire model, both ways (no I/O).
//
//     auto r = gemini::wire::parse<gemini::wire::generate_content_response>(body);
//     if (!r) std::cerr << r.error() << '\n';   // errc::bad_json / errc::bad_type + JSON path
//     std::string body = gemini::wire::serialize(request);
//
// Parsing never throws for bad input (only std::bad_alloc). Malformed JSON gives
// errc::bad_json with the byte offset; a field of the wrong type gives errc::bad_type with the
// exact JSON path, e.g. `$.candidates[0].content.parts[1].text: expected string, got number`.
// Missing fields and `null` take their defaults; unknown keys go to `extra`; unknown enum
// strings are kept. Integers also accept decimal strings (proto3 JSON encodes int64 that way).
//
// Serialization goes through Boost.JSON `tag_invoke` (`boost::json::value_from(x)` works for
// every wire type): camelCase keys, known fields first, then the `extra` keys.
//
// Thread safety: all functions are reentrant. The parse tree lives in a stack buffer
// (spilling to the heap for large bodies); the result never refers to the input text.
#pragma once

#include <gemini/error.hpp>
#include <gemini/wire/types.hpp>

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parser.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value_from.hpp>

#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace gemini {
inline namespace v1 {
namespace wire {

namespace detail {

namespace json = boost::json;

inline std::string_view sv(json::string_view s) noexcept { return {s.data(), s.size()}; }

inline const char* kind_name(const json::value& v) noexcept {
  switch (v.kind()) {
    case json::kind::null: return "null";
    case json::kind::bool_: return "bool";
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_: return "number";
    case json::kind::string: return "string";
    case json::kind::array: return "array";
    case json::kind::object: return "object";
  }
  return "value";
}

/// Walks a json::value. The path costs nothing on success: when a read fails, each level
/// records its key or index while the failure unwinds, and take_error() assembles
/// `$.a.b[3].c: expected string, got number`.
class reader {
 public:
  bool ok() const noexcept { return !failed_; }

  /// Records "expected <what>, got <kind>" for the value being read; returns false.
  bool fail(const json::value& got, std::string_view expected) {
    return fail_message(std::string("expected ").append(expected) + ", got " + kind_name(got));
  }
  bool fail_message(std::string what) {
    if (!failed_) {
      failed_ = true;
      what_ = std::move(what);
    }
    return false;
  }

  /// While a failure unwinds: the member or element it happened in (innermost first).
  void note(std::string_view key) { trail_.push_back(segment{key, 0, false}); }
  void note(std::size_t index) { trail_.push_back(segment{{}, index, true}); }

  /// `$.a.b[3].c` (valid while the json::value being read is alive).
  std::string path() const {
    std::string s = "$";
    for (auto it = trail_.rbegin(); it != trail_.rend(); ++it) {
      if (it->is_index) {
        s += '[';
        s += std::to_string(it->index);
        s += ']';
      } else {
        s += '.';
        s += it->key;
      }
    }
    return s;
  }

  gemini::error take_error() { return gemini::error(errc::bad_type, path() + ": " + what_); }

  /// Reads object member `key` into `out`; `null` leaves the default. Always returns true
  /// ("the key is known"); a failure is recorded in the reader (see ok()).
  template <class T>
  bool field(std::string_view key, const json::value& v, T& out) {
    if (v.is_null()) return true;
    if (!read_value(*this, v, out)) note(key);
    return true;
  }

 private:
  struct segment {
    std::string_view key;
    std::size_t index;
    bool is_index;
  };
  std::vector<segment> trail_;
  bool failed_ = false;
  std::string what_;
};

// ---- scalars -------------------------------------------------------------------------------

inline bool read_value(reader& r, const json::value& v, std::string& out) {
  auto const* s = v.if_string();
  if (!s) return r.fail(v, "string");
  out.assign(s->data(), s->size());
  return true;
}

inline bool read_value(reader& r, const json::value& v, bool& out) {
  auto const* b = v.if_bool();
  if (!b) return r.fail(v, "bool");
  out = *b;
  return true;
}

inline bool read_value(reader& r, const json::value& v, std::int64_t& out) {
  switch (v.kind()) {
    case json::kind::int64: out = v.get_int64(); return true;
    case json::kind::uint64:
      if (v.get_uint64() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        return r.fail_message("integer out of range");
      out = static_cast<std::int64_t>(v.get_uint64());
      return true;
    case json::kind::double_: {
      double d = v.get_double();
      if (!(d >= -9.2e18 && d <= 9.2e18) || std::trunc(d) != d)
        return r.fail_message("expected integer, got non-integral number");
      out = static_cast<std::int64_t>(d);
      return true;
    }
    case json::kind::string: {  // proto3 JSON: int64 may be a decimal string
      auto const& s = v.get_string();
      auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
      if (ec != std::errc() || p != s.data() + s.size() || s.empty())
        return r.fail_message("expected integer, got non-numeric string");
      return true;
    }
    default: return r.fail(v, "integer");
  }
}

inline bool read_value(reader& r, const json::value& v, int& out) {
  std::int64_t x = 0;
  if (!read_value(r, v, x)) return false;
  if (x < std::numeric_limits<int>::min() || x > std::numeric_limits<int>::max())
    return r.fail_message("integer out of 32-bit range");
  out = static_cast<int>(x);
  return true;
}

inline bool read_value(reader& r, const json::value& v, double& out) {
  switch (v.kind()) {
    case json::kind::int64: out = static_cast<double>(v.get_int64()); return true;
    case json::kind::uint64: out = static_cast<double>(v.get_uint64()); return true;
    case json::kind::double_: out = v.get_double(); return true;
    default: return r.fail(v, "number");
  }
}

inline bool read_value(reader& r, const json::value& v, float& out) {
  double d = 0;
  if (!read_value(r, v, d)) return false;
  out = static_cast<float>(d);
  return true;
}

template <class D, class Tr>
bool read_value(reader& r, const json::value& v, open_enum<D, Tr>& out) {
  auto const* s = v.if_string();
  if (!s) return r.fail(v, "string (enum)");
  out = open_enum<D, Tr>(sv(*s));
  return true;
}

// The result must not share the parse tree's (stack) memory: copy into default storage.
inline bool read_value(reader&, const json::value& v, json::value& out) {
  out = v;  // copy-assignment keeps out's (default) storage
  return true;
}
inline bool read_value(reader& r, const json::value& v, json::object& out) {
  auto const* o = v.if_object();
  if (!o) return r.fail(v, "object");
  out = *o;  // copy-assignment keeps out's (default) storage
  return true;
}
inline bool read_value(reader&, const json::value& v, std::optional<json::value>& out) {
  out.emplace(v, json::storage_ptr());
  return true;
}
inline bool read_value(reader& r, const json::value& v, std::optional<json::object>& out) {
  auto const* o = v.if_object();
  if (!o) return r.fail(v, "object");
  out.emplace(*o, json::storage_ptr());
  return true;
}

template <class T>
bool read_value(reader& r, const json::value& v, std::optional<T>& out) {
  out.emplace();
  return read_value(r, v, *out);
}

template <class T>
bool read_value(reader& r, const json::value& v, std::vector<T>& out) {
  auto const* a = v.if_array();
  if (!a) return r.fail(v, "array");
  out.clear();
  out.reserve(a->size());
  for (std::size_t i = 0; i < a->size(); ++i) {
    out.emplace_back();
    if (!read_value(r, (*a)[i], out.back())) {
      r.note(i);
      return false;
    }
  }
  return true;
}

/// Calls `f(key, value)` for every member; `f` returns false for unknown keys, which are
/// copied into `extra`.
template <class F>
bool read_object(reader& r, const json::value& v, json::object& extra, F&& f) {
  auto const* o = v.if_object();
  if (!o) return r.fail(v, "object");
  for (auto const& kv : *o) {
    if (!f(sv(kv.key()), kv.value())) extra.emplace(kv.key(), kv.value());
    if (!r.ok()) return false;
  }
  return true;
}

#define GEMINI_WIRE_FIELD(wire_name, member) \
  if (k == wire_name) return r.field(k, x, member)

// ---- contents ------------------------------------------------------------------------------

inline bool read_value(reader& r, const json::value& v, inline_data& out) {
  return read_object(r, v, out.extra, [&](std::string_view k, const json::value& x) {
    GEMINI_WIRE_FIELD("mimeType", out.mime_type);
    GEMINI_WIRE_FIELD("data", out.data);
    return false;
  });
}
inline bool read_value(reader& r, const json::value& v, file_data& out) {
  return read_object(r, v, out.extra, [&](std::string_view k, const json::value& x) {
    GEMINI_WIRE_FIELD("mimeType", out.mime_type);
    GEMINI_WIRE_FIELD("fileUri", out.file_uri);
    return false;
  });
}
inline bool read_value(reader& r, const json::value& v, function_call& out) {
  return read_object(r, v, out.extra, [&](std::string_view k, const json::value& x) {
    GEMINI_WIRE_FIELD("name", out.name);
    GEMINI_WIRE_FIELD("args", out.args);
    GEMINI_WIRE_FIELD("id", out.id);
    return false;
  });
}
inline bool read_value(reader& r, const json::value& v, function_response& out) {
  return read_object(r, v, out.extra, [&](std::string_view k, const json::value& x) {
    GEMINI_WIRE_FIELD("name", out.name);
    GEMINI_WIRE_FIELD("response", out.response);
    GEMINI_WIRE_FIELD("id", out.id);
    return false;
  });
}
inline bool read_value(reader& r, const json::value& v, executable_code& out) {
  return read_object(r, v, out.extra, [&](std::string_view k, const json::value& x) {
    GEMINI_WIRE_FIELD("language", out.language);
    GEMINI_WIRE_FIELD("code", out.code);
    return false;
  });
}
inline bool read_value(reader& r, const json::value& v, code_execution_result& out) {
  return read_object(r, v, out.extra, [&](std::string_view k, const json::value& x) {
    GEMINI_WIRE_FIELD("outcome", out.outcome);
    GEMINI_WIRE_FIELD("output", out.output);
    return false;
  });
}
inline bool read_value(reader& r, const json::value& v, part& out) {
  return read_object(r, v, out.extra, [&](std::string_view k, const json::value& x) {
    GEMINI_WIRE_FIELD("text", out.text);
    GEMINI_WIRE_FIELD("thought", out.thought);
    GEMINI_WIRE_FIELD("thoughtSignature", out.thought_signature);
    GEMINI_WIRE_FIELD("inlineData", out.inline_data);
    GEMINI_WIRE_FIELD("functionCall", out.function_call);
    GEMINI_WIRE_FIELD("functionResponse", out.function_response);
    GEMINI_WIRE_FIELD("fileData", out.file_data);
    GEMINI_WIRE_FIELD("executableCode", out.executable_code);
    GEMINI_WIRE_FIELD("codeExecutionResult", out.code_execution_result);
    GEMINI_WIRE_FIELD("videoMetadata", out.video_metadata);
    return false;
  });
}
inline bool read_value(reader& r, const json::value& v, content& out) {
  return read_object(r, v, out.extra, [&](std::string_view k, const json::value& x) {
    GEMINI_WIRE_FIELD("parts", out.parts);
    GEMINI_WIRE_FIELD("role", out.role);
    return false;
  });
}

// ---- request -------------------------------------------------------------------------------

inline bool read_value(reader& r, const json::value& v, thinking_config& out) {
  return read_object(r, v, out.extra, [&](std::string_view k, const json::value& x) {
    GEMINI_WIRE_FIELD("includeThoughts", out.include_thoughts);
    GEMINI_WIRE_FIELD("thinkingBudget", out.thinking_budget);
    GEMINI_WIRE_FIELD("thinkingLevel", out.thinking_level);
    return false;
  });
}
inline bool read_value(reader& r, const json::value& v, image_config& out) {
  return read_object(r, v, out.extra, [&](std::string_view k, const json::value& x) {
    GEMINI_WIRE_FIELD("aspectRatio", out.aspect_ratio);
    GEMINI_WIRE_FIELD("imageSize", out.image_size);
    return false;
  });
}
inline bool read_value(reader& r, const json::value& v, generation_config& out) {
  return read_object(r, v, out.extra, [&](std::string_view k, const json::value& x) {
    GEMINI_WIRE_FIELD("temperature", out.temperature);
    GEMINI_WIRE_FIELD("topP", out.top_p);
    GEMINI_WIRE_FIELD("topK", out.top_k);
    GEMINI_WIRE_FIELD("candidateCount", out.candidate_count);
    GEMINI_WIRE_FIELD("maxOutputTokens", out.max_output_tokens);
    GEMINI_WIRE_FIELD("stopSequences", out.stop_sequences);
    GEMINI_WIRE_FIELD("responseMimeType", out.response_mime_type);
    GEMINI_WIRE_FIELD("responseSchema", out.response_schema);
    GEMINI_WIRE_FIELD("responseJsonSchema", out.response_json_schema);
    GEMINI_WIRE_FIELD("responseModalities", out.response_modalities);
    GEMINI_WIRE_FIELD("presencePenalty", out.presence_penalty);
    GEMINI_WIRE_FIELD("frequencyPenalty", out.frequency_penalty);
    GEMINI_WIRE_FIELD("seed", out.seed);
    GEMINI_WIRE_FIELD("responseLogprobs", out.response_logprobs);
    GEMINI_WIRE_FIELD("logprobs", out.logprobs);
    GEMINI_WIRE_FIELD("mediaResolution", out.media_resolution);
    GEMINI_WIRE_FIELD("speechConfig", out.speech_config);
    GEMINI_WIRE_FIELD("imageConfig", out.image_config);
    GEMINI_WIRE_FIELD("thinkingConfig", out.thinking_config);
    GEMINI_WIRE_FIELD("enableEnhancedCivicAnswers", out.enable_enhanced_civic_answers);
    return false;
  });
}
inline bool read_value(reader& r, const json::value& v, safety_setting& out) {
  return read_object(r, v, out.extra, [&](std::string_view k, const json::value& x) {
    GEMINI_WIRE_FIELD("category", out.category);
    GEMINI_WIRE_FIELD("threshold", out.threshold);
    return false;
  });
}
inline bool read_value(reader& r, const json::value& v, function_declaration& out) {
  return read_object(r, v, out.extra, [&](std::string_view k, const json::value& x) {
    GEMINI_WIRE_FIELD("name", out.name);
    GEMINI_WIRE_FIELD("description", out.description);
    GEMINI_WIRE_FIELD("parameters", out.parameters);
    GEMINI_WIRE_FIELD("parametersJsonSchema", out.parameters_json_schema);
    GEMINI_WIRE_FIELD("response", out.response);
    GEMINI_WIRE_FIELD("responseJsonSchema", out.response_json_schema);
    GEMINI_WIRE_FIELD("behavior", out.behavior);
    return false;
  });
}
inline bool read_value(reader& r, const json::value& v, tool& out) {
  return read_object(r, v, out.extra, [&](std::string_view k, const json::value& x) {
    GEMINI_WIRE_FIELD("functionDeclarations", out.function_declarations);
    GEMINI_WIRE_FIELD("googleSearch", out.google_search);
    GEMINI_WIRE_FIELD("googleSearchRetrieval", out.google_search_retrieval);
    GEMINI_WIRE_FIELD("codeExecution", out.code_execution);
    GEMINI_WIRE_FIELD("urlContext", out.url_context);
    GEMINI_WIRE_FIELD("googleMaps", out.google_maps);
    GEMINI_WIRE_FIELD("fileSearch", out.file_search);
    GEMINI_WIRE_FIELD("computerUse", out.computer_use);
    return false;
  });
}
inline bool read_value(reader& r, const json::value& v, function_calling_config& out) {
  return read_object(r, v, out.extra, [&](std::string_view k, const json::value& x) {
    GEMINI_WIRE_FIELD("mode", out.mode);
    GEMINI_WIRE_FIELD("allowedFunctionNames", out.allowed_function_names);
    return false;
  });
}
inline bool read_value(reader& r, const json::value& v, tool_config& out) {
  return read_object(r, v, out.extra, [&](std::string_view k, const json::value& x) {
    GEMINI_WIRE_FIELD("functionCallingConfig", out.function_calling_config);
    GEMINI_WIRE_FIELD("retrievalConfig", out.retrieval_config);
    return false;
  });
}
inline bool read_value(reader& r, const json::value& v, generate_content_request& out) {
  return read_object(r, v, out.extra, [&](std::string_view k, const json::value& x) {
    GEMINI_WIRE_FIELD("contents", out.contents);
    GEMINI_WIRE_FIELD("systemInstruction", out.system_instruction);
    GEMINI_WIRE_FIELD("tools", out.tools);
    GEMINI_WIRE_FIELD("toolConfig", out.tool_config);
    GEMINI_WIRE_FIELD("safetySettings", out.safety_settings);
    GEMINI_WIRE_FIELD("generationConfig", out.generation_config);
    GEMINI_WIRE_FIELD("cachedContent", out.cached_content);
    GEMINI_WIRE_FIELD("serviceTier", out.service_tier);
    GEMINI_WIRE_FIELD("model", out.model);
    return false;
  });
}

// ---- response ------------------------------------------------------------------------------

inline bool read_value(reader& r, const json::value& v, safety_rating& out) {
  return read_object(r, v, out.extra, [&](std::string_view k, const json::value& x) {
    GEMINI_WIRE_FIELD("category", out.category);
    GEMINI_WIRE_FIELD("probability", out.probability);
    GEMINI_WIRE_FIELD("blocked", out.blocked);
    return false;
  });
}
inline bool read_value(reader& r, const json::value& v, citation_source& out) {
  return read_object(r, v, out.extra, [&](std::string_view k, const json::value& x) {
    GEMINI_WIRE_FIELD("startIndex", out.start_index);
    GEMINI_WIRE_FIELD("endIndex", out.end_index);
    GEMINI_WIRE_FIELD("uri", out.uri);
    GEMINI_WIRE_FIELD("license", out.license);
    return false;
  });
}
inline bool read_value(reader& r, const json::value& v, citation_metadata& out) {
  return read_object(r, v, out.extra, [&](std::string_view k, const json::value& x) {
    GEMINI_WIRE_FIELD("citationSources", out.citation_sources);
    return false;
  });
}
inline bool read_value(reader& r, const json::value& v, candidate& out) {
  return read_object(r, v, out.extra, [&](std::string_view k, const json::value& x) {
    GEMINI_WIRE_FIELD("content", out.content);
    GEMINI_WIRE_FIELD("finishReason", out.finish_reason);
    GEMINI_WIRE_FIELD("index", out.index);
    GEMINI_WIRE_FIELD("safetyRatings", out.safety_ratings);
    GEMINI_WIRE_FIELD("finishMessage", out.finish_message);
    GEMINI_WIRE_FIELD("citationMetadata", out.citation_metadata);
    GEMINI_WIRE_FIELD("groundingMetadata", out.grounding_metadata);
    GEMINI_WIRE_FIELD("urlContextMetadata", out.url_context_metadata);
    GEMINI_WIRE_FIELD("avgLogprobs", out.avg_logprobs);
    GEMINI_WIRE_FIELD("logprobsResult", out.logprobs_result);
    GEMINI_WIRE_FIELD("tokenCount", out.token_count);
    return false;
  });
}
inline bool read_value(reader& r, const json::value& v, prompt_feedback& out) {
  return read_object(r, v, out.extra, [&](std::string_view k, const json::value& x) {
    GEMINI_WIRE_FIELD("blockReason", out.block_reason);
    GEMINI_WIRE_FIELD("blockReasonMessage", out.block_reason_message);
    GEMINI_WIRE_FIELD("safetyRatings", out.safety_ratings);
    return false;
  });
}
inline bool read_value(reader& r, const json::value& v, modality_token_count& out) {
  return read_object(r, v, out.extra, [&](std::string_view k, const json::value& x) {
    GEMINI_WIRE_FIELD("modality", out.modality);
    GEMINI_WIRE_FIELD("tokenCount", out.token_count);
    return false;
  });
}
inline bool read_value(reader& r, const json::value& v, usage_metadata& out) {
  return read_object(r, v, out.extra, [&](std::string_view k, const json::value& x) {
    GEMINI_WIRE_FIELD("promptTokenCount", out.prompt_token_count);
    GEMINI_WIRE_FIELD("candidatesTokenCount", out.candidates_token_count);
    GEMINI_WIRE_FIELD("totalTokenCount", out.total_token_count);
    GEMINI_WIRE_FIELD("thoughtsTokenCount", out.thoughts_token_count);
    GEMINI_WIRE_FIELD("cachedContentTokenCount", out.cached_content_token_count);
    GEMINI_WIRE_FIELD("toolUsePromptTokenCount", out.tool_use_prompt_token_count);
    GEMINI_WIRE_FIELD("promptTokensDetails", out.prompt_tokens_details);
    GEMINI_WIRE_FIELD("candidatesTokensDetails", out.candidates_tokens_details);
    GEMINI_WIRE_FIELD("cacheTokensDetails", out.cache_tokens_details);
    GEMINI_WIRE_FIELD("toolUsePromptTokensDetails", out.tool_use_prompt_tokens_details);
    GEMINI_WIRE_FIELD("serviceTier", out.service_tier);
    return false;
  });
}
inline bool read_value(reader& r, const json::value& v, generate_content_response& out) {
  return read_object(r, v, out.extra, [&](std::string_view k, const json::value& x) {
    GEMINI_WIRE_FIELD("candidates", out.candidates);
    GEMINI_WIRE_FIELD("usageMetadata", out.usage);
    GEMINI_WIRE_FIELD("modelVersion", out.model_version);
    GEMINI_WIRE_FIELD("responseId", out.response_id);
    GEMINI_WIRE_FIELD("promptFeedback", out.prompt_feedback);
    return false;
  });
}

// ---- countTokens, embeddings, models -------------------------------------------------------

inline bool read_value(reader& r, const json::value& v, count_tokens_request& out) {
  return read_object(r, v, out.extra, [&](std::string_view k, const json::value& x) {
    GEMINI_WIRE_FIELD("contents", out.contents);
    GEMINI_WIRE_FIELD("generateContentRequest", out.generate_content_request);
    return false;
  });
}
inline bool read_value(reader& r, const json::value& v, count_tokens_response& out) {
  return read_object(r, v, out.extra, [&](std::string_view k, const json::value& x) {
    GEMINI_WIRE_FIELD("totalTokens", out.total_tokens);
    GEMINI_WIRE_FIELD("cachedContentTokenCount", out.cached_content_token_count);
    GEMINI_WIRE_FIELD("promptTokensDetails", out.prompt_tokens_details);
    GEMINI_WIRE_FIELD("cacheTokensDetails", out.cache_tokens_details);
    return false;
  });
}
inline bool read_value(reader& r, const json::value& v, embed_content_request& out) {
  return read_object(r, v, out.extra, [&](std::string_view k, const json::value& x) {
    GEMINI_WIRE_FIELD("model", out.model);
    GEMINI_WIRE_FIELD("content", out.content);
    GEMINI_WIRE_FIELD("taskType", out.task_type);
    GEMINI_WIRE_FIELD("title", out.title);
    GEMINI_WIRE_FIELD("outputDimensionality", out.output_dimensionality);
    return false;
  });
}
inline bool read_value(reader& r, const json::value& v, content_embedding& out) {
  return read_object(r, v, out.extra, [&](std::string_view k, const json::value& x) {
    GEMINI_WIRE_FIELD("values", out.values);
    return false;
  });
}
inline bool read_value(reader& r, const json::value& v, embed_content_response& out) {
  return read_object(r, v, out.extra, [&](std::string_view k, const json::value& x) {
    GEMINI_WIRE_FIELD("embedding", out.embedding);
    return false;
  });
}
inline bool read_value(reader& r, const json::value& v, batch_embed_contents_request& out) {
  return read_object(r, v, out.extra, [&](std::string_view k, const json::value& x) {
    GEMINI_WIRE_FIELD("requests", out.requests);
    return false;
  });
}
inline bool read_value(reader& r, const json::value& v, batch_embed_contents_response& out) {
  return read_object(r, v, out.extra, [&](std::string_view k, const json::value& x) {
    GEMINI_WIRE_FIELD("embeddings", out.embeddings);
    return false;
  });
}
inline bool read_value(reader& r, const json::value& v, model_info& out) {
  return read_object(r, v, out.extra, [&](std::string_view k, const json::value& x) {
    GEMINI_WIRE_FIELD("name", out.name);
    GEMINI_WIRE_FIELD("baseModelId", out.base_model_id);
    GEMINI_WIRE_FIELD("version", out.version);
    GEMINI_WIRE_FIELD("displayName", out.display_name);
    GEMINI_WIRE_FIELD("description", out.description);
    GEMINI_WIRE_FIELD("inputTokenLimit", out.input_token_limit);
    GEMINI_WIRE_FIELD("outputTokenLimit", out.output_token_limit);
    GEMINI_WIRE_FIELD("supportedGenerationMethods", out.supported_generation_methods);
    GEMINI_WIRE_FIELD("temperature", out.temperature);
    GEMINI_WIRE_FIELD("topP", out.top_p);
    GEMINI_WIRE_FIELD("topK", out.top_k);
    GEMINI_WIRE_FIELD("maxTemperature", out.max_temperature);
    GEMINI_WIRE_FIELD("thinking", out.thinking);
    return false;
  });
}
inline bool read_value(reader& r, const json::value& v, list_models_response& out) {
  return read_object(r, v, out.extra, [&](std::string_view k, const json::value& x) {
    GEMINI_WIRE_FIELD("models", out.models);
    GEMINI_WIRE_FIELD("nextPageToken", out.next_page_token);
    return false;
  });
}
inline bool read_value(reader& r, const json::value& v, cached_content_usage& out) {
  return read_object(r, v, out.extra, [&](std::string_view k, const json::value& x) {
    GEMINI_WIRE_FIELD("totalTokenCount", out.total_token_count);
    return false;
  });
}
inline bool read_value(reader& r, const json::value& v, cached_content& out) {
  return read_object(r, v, out.extra, [&](std::string_view k, const json::value& x) {
    GEMINI_WIRE_FIELD("name", out.name);
    GEMINI_WIRE_FIELD("model", out.model);
    GEMINI_WIRE_FIELD("displayName", out.display_name);
    GEMINI_WIRE_FIELD("contents", out.contents);
    GEMINI_WIRE_FIELD("systemInstruction", out.system_instruction);
    GEMINI_WIRE_FIELD("tools", out.tools);
    GEMINI_WIRE_FIELD("toolConfig", out.tool_config);
    GEMINI_WIRE_FIELD("ttl", out.ttl);
    GEMINI_WIRE_FIELD("expireTime", out.expire_time);
    GEMINI_WIRE_FIELD("createTime", out.create_time);
    GEMINI_WIRE_FIELD("updateTime", out.update_time);
    GEMINI_WIRE_FIELD("usageMetadata", out.usage_metadata);
    return false;
  });
}
inline bool read_value(reader& r, const json::value& v, list_cached_contents_response& out) {
  return read_object(r, v, out.extra, [&](std::string_view k, const json::value& x) {
    GEMINI_WIRE_FIELD("cachedContents", out.cached_contents);
    GEMINI_WIRE_FIELD("nextPageToken", out.next_page_token);
    return false;
  });
}
inline bool read_value(reader& r, const json::value& v, empty_response& out) {
  return read_object(r, v, out.extra, [&](std::string_view, const json::value&) { return false; });
}

#undef GEMINI_WIRE_FIELD

// ---- writing helpers -----------------------------------------------------------------------

template <class T>
void put(json::object& o, std::string_view key, const T& x) {
  o.emplace(key, json::value_from(x, o.storage()));
}
inline void put(json::object& o, std::string_view key, const std::string& s) {
  o.emplace(key, json::string_view(s.data(), s.size()));
}
inline void put_nonempty(json::object& o, std::string_view key, const std::string& s) {
  if (!s.empty()) put(o, key, s);
}
template <class T>
void put_opt(json::object& o, std::string_view key, const std::optional<T>& x) {
  if (x) put(o, key, *x);
}
inline void put_opt(json::object& o, std::string_view key, const std::optional<std::string>& x) {
  if (x) put(o, key, *x);
}
template <class T>
void put_vec(json::object& o, std::string_view key, const std::vector<T>& x) {
  if (!x.empty()) put(o, key, x);
}
template <class D, class Tr>
void put_enum(json::object& o, std::string_view key, const open_enum<D, Tr>& e) {
  if (e.has_value()) {
    auto s = e.str();
    o.emplace(key, json::string_view(s.data(), s.size()));
  }
}
inline void put_count(json::object& o, std::string_view key, std::int64_t n) {
  if (n != 0) o.emplace(key, n);
}
inline void put_extra(json::object& o, const json::object& extra) {
  for (auto const& kv : extra) o.emplace(kv.key(), kv.value());
}

}  // namespace detail

// ------------------------------------------------------------------------------------------
// Serialization: boost::json::value_from customization (found by ADL).
// ------------------------------------------------------------------------------------------

template <class D, class Tr>
void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, const open_enum<D, Tr>& e) {
  auto s = e.str();
  jv = boost::json::string_view(s.data(), s.size());
}

inline void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, const inline_data& x) {
  auto& o = jv.emplace_object();
  detail::put(o, "mimeType", x.mime_type);
  detail::put(o, "data", x.data);
  detail::put_extra(o, x.extra);
}
inline void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, const file_data& x) {
  auto& o = jv.emplace_object();
  detail::put_nonempty(o, "mimeType", x.mime_type);
  detail::put(o, "fileUri", x.file_uri);
  detail::put_extra(o, x.extra);
}
inline void tag_invoke(boost::json::value_from_tag, boost::json::value& jv,
                       const function_call& x) {
  auto& o = jv.emplace_object();
  detail::put_nonempty(o, "id", x.id);
  detail::put(o, "name", x.name);
  o.emplace("args", x.args);
  detail::put_extra(o, x.extra);
}
inline void tag_invoke(boost::json::value_from_tag, boost::json::value& jv,
                       const function_response& x) {
  auto& o = jv.emplace_object();
  detail::put_nonempty(o, "id", x.id);
  detail::put(o, "name", x.name);
  o.emplace("response", x.response);
  detail::put_extra(o, x.extra);
}
inline void tag_invoke(boost::json::value_from_tag, boost::json::value& jv,
                       const executable_code& x) {
  auto& o = jv.emplace_object();
  detail::put_nonempty(o, "language", x.language);
  detail::put(o, "code", x.code);
  detail::put_extra(o, x.extra);
}
inline void tag_invoke(boost::json::value_from_tag, boost::json::value& jv,
                       const code_execution_result& x) {
  auto& o = jv.emplace_object();
  detail::put_nonempty(o, "outcome", x.outcome);
  detail::put_nonempty(o, "output", x.output);
  detail::put_extra(o, x.extra);
}
inline void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, const part& x) {
  auto& o = jv.emplace_object();
  detail::put_opt(o, "text", x.text);
  detail::put_opt(o, "inlineData", x.inline_data);
  detail::put_opt(o, "fileData", x.file_data);
  detail::put_opt(o, "functionCall", x.function_call);
  detail::put_opt(o, "functionResponse", x.function_response);
  detail::put_opt(o, "executableCode", x.executable_code);
  detail::put_opt(o, "codeExecutionResult", x.code_execution_result);
  detail::put_opt(o, "videoMetadata", x.video_metadata);
  if (x.thought) o.emplace("thought", true);
  detail::put_nonempty(o, "thoughtSignature", x.thought_signature);
  detail::put_extra(o, x.extra);
}
inline void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, const content& x) {
  auto& o = jv.emplace_object();
  detail::put_nonempty(o, "role", x.role);
  detail::put_vec(o, "parts", x.parts);
  detail::put_extra(o, x.extra);
}

inline void tag_invoke(boost::json::value_from_tag, boost::json::value& jv,
                       const thinking_config& x) {
  auto& o = jv.emplace_object();
  detail::put_opt(o, "includeThoughts", x.include_thoughts);
  detail::put_opt(o, "thinkingBudget", x.thinking_budget);
  detail::put_opt(o, "thinkingLevel", x.thinking_level);
  detail::put_extra(o, x.extra);
}
inline void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, const image_config& x) {
  auto& o = jv.emplace_object();
  detail::put_opt(o, "aspectRatio", x.aspect_ratio);
  detail::put_opt(o, "imageSize", x.image_size);
  detail::put_extra(o, x.extra);
}
inline void tag_invoke(boost::json::value_from_tag, boost::json::value& jv,
                       const generation_config& x) {
  auto& o = jv.emplace_object();
  detail::put_opt(o, "temperature", x.temperature);
  detail::put_opt(o, "topP", x.top_p);
  detail::put_opt(o, "topK", x.top_k);
  detail::put_opt(o, "candidateCount", x.candidate_count);
  detail::put_opt(o, "maxOutputTokens", x.max_output_tokens);
  detail::put_opt(o, "stopSequences", x.stop_sequences);
  detail::put_opt(o, "responseMimeType", x.response_mime_type);
  detail::put_opt(o, "responseSchema", x.response_schema);
  detail::put_opt(o, "responseJsonSchema", x.response_json_schema);
  detail::put_opt(o, "responseModalities", x.response_modalities);
  detail::put_opt(o, "presencePenalty", x.presence_penalty);
  detail::put_opt(o, "frequencyPenalty", x.frequency_penalty);
  detail::put_opt(o, "seed", x.seed);
  detail::put_opt(o, "responseLogprobs", x.response_logprobs);
  detail::put_opt(o, "logprobs", x.logprobs);
  detail::put_opt(o, "mediaResolution", x.media_resolution);
  detail::put_opt(o, "speechConfig", x.speech_config);
  detail::put_opt(o, "imageConfig", x.image_config);
  detail::put_opt(o, "thinkingConfig", x.thinking_config);
  detail::put_opt(o, "enableEnhancedCivicAnswers", x.enable_enhanced_civic_answers);
  detail::put_extra(o, x.extra);
}
inline void tag_invoke(boost::json::value_from_tag, boost::json::value& jv,
                       const safety_setting& x) {
  auto& o = jv.emplace_object();
  detail::put_enum(o, "category", x.category);
  detail::put_enum(o, "threshold", x.threshold);
  detail::put_extra(o, x.extra);
}
inline void tag_invoke(boost::json::value_from_tag, boost::json::value& jv,
                       const function_declaration& x) {
  auto& o = jv.emplace_object();
  detail::put(o, "name", x.name);
  detail::put_nonempty(o, "description", x.description);
  detail::put_opt(o, "parameters", x.parameters);
  detail::put_opt(o, "parametersJsonSchema", x.parameters_json_schema);
  detail::put_opt(o, "response", x.response);
  detail::put_opt(o, "responseJsonSchema", x.response_json_schema);
  detail::put_nonempty(o, "behavior", x.behavior);
  detail::put_extra(o, x.extra);
}
inline void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, const tool& x) {
  auto& o = jv.emplace_object();
  detail::put_vec(o, "functionDeclarations", x.function_declarations);
  detail::put_opt(o, "googleSearch", x.google_search);
  detail::put_opt(o, "googleSearchRetrieval", x.google_search_retrieval);
  detail::put_opt(o, "codeExecution", x.code_execution);
  detail::put_opt(o, "urlContext", x.url_context);
  detail::put_opt(o, "googleMaps", x.google_maps);
  detail::put_opt(o, "fileSearch", x.file_search);
  detail::put_opt(o, "computerUse", x.computer_use);
  detail::put_extra(o, x.extra);
}
inline void tag_invoke(boost::json::value_from_tag, boost::json::value& jv,
                       const function_calling_config& x) {
  auto& o = jv.emplace_object();
  detail::put_enum(o, "mode", x.mode);
  detail::put_vec(o, "allowedFunctionNames", x.allowed_function_names);
  detail::put_extra(o, x.extra);
}
inline void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, const tool_config& x) {
  auto& o = jv.emplace_object();
  detail::put_opt(o, "functionCallingConfig", x.function_calling_config);
  detail::put_opt(o, "retrievalConfig", x.retrieval_config);
  detail::put_extra(o, x.extra);
}
inline void tag_invoke(boost::json::value_from_tag, boost::json::value& jv,
                       const generate_content_request& x) {
  auto& o = jv.emplace_object();
  detail::put_nonempty(o, "model", x.model);
  detail::put(o, "contents", x.contents);
  detail::put_opt(o, "systemInstruction", x.system_instruction);
  detail::put_vec(o, "tools", x.tools);
  detail::put_opt(o, "toolConfig", x.tool_config);
  detail::put_vec(o, "safetySettings", x.safety_settings);
  detail::put_opt(o, "generationConfig", x.generation_config);
  detail::put_nonempty(o, "cachedContent", x.cached_content);
  detail::put_nonempty(o, "serviceTier", x.service_tier);
  detail::put_extra(o, x.extra);
}

inline void tag_invoke(boost::json::value_from_tag, boost::json::value& jv,
                       const safety_rating& x) {
  auto& o = jv.emplace_object();
  detail::put_enum(o, "category", x.category);
  detail::put_enum(o, "probability", x.probability);
  if (x.blocked) o.emplace("blocked", true);
  detail::put_extra(o, x.extra);
}
inline void tag_invoke(boost::json::value_from_tag, boost::json::value& jv,
                       const citation_source& x) {
  auto& o = jv.emplace_object();
  detail::put_opt(o, "startIndex", x.start_index);
  detail::put_opt(o, "endIndex", x.end_index);
  detail::put_nonempty(o, "uri", x.uri);
  detail::put_nonempty(o, "license", x.license);
  detail::put_extra(o, x.extra);
}
inline void tag_invoke(boost::json::value_from_tag, boost::json::value& jv,
                       const citation_metadata& x) {
  auto& o = jv.emplace_object();
  detail::put(o, "citationSources", x.citation_sources);
  detail::put_extra(o, x.extra);
}
inline void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, const candidate& x) {
  auto& o = jv.emplace_object();
  detail::put_opt(o, "content", x.content);
  detail::put_enum(o, "finishReason", x.finish_reason);
  detail::put_nonempty(o, "finishMessage", x.finish_message);
  o.emplace("index", x.index);
  detail::put_vec(o, "safetyRatings", x.safety_ratings);
  detail::put_opt(o, "citationMetadata", x.citation_metadata);
  detail::put_opt(o, "groundingMetadata", x.grounding_metadata);
  detail::put_opt(o, "urlContextMetadata", x.url_context_metadata);
  detail::put_opt(o, "avgLogprobs", x.avg_logprobs);
  detail::put_opt(o, "logprobsResult", x.logprobs_result);
  detail::put_count(o, "tokenCount", x.token_count);
  detail::put_extra(o, x.extra);
}
inline void tag_invoke(boost::json::value_from_tag, boost::json::value& jv,
                       const prompt_feedback& x) {
  auto& o = jv.emplace_object();
  detail::put_enum(o, "blockReason", x.block_reason);
  detail::put_nonempty(o, "blockReasonMessage", x.block_reason_message);
  detail::put_vec(o, "safetyRatings", x.safety_ratings);
  detail::put_extra(o, x.extra);
}
inline void tag_invoke(boost::json::value_from_tag, boost::json::value& jv,
                       const modality_token_count& x) {
  auto& o = jv.emplace_object();
  detail::put_enum(o, "modality", x.modality);
  detail::put_count(o, "tokenCount", x.token_count);
  detail::put_extra(o, x.extra);
}
inline void tag_invoke(boost::json::value_from_tag, boost::json::value& jv,
                       const usage_metadata& x) {
  auto& o = jv.emplace_object();
  detail::put_count(o, "promptTokenCount", x.prompt_token_count);
  detail::put_count(o, "candidatesTokenCount", x.candidates_token_count);
  detail::put_count(o, "totalTokenCount", x.total_token_count);
  detail::put_count(o, "cachedContentTokenCount", x.cached_content_token_count);
  detail::put_count(o, "thoughtsTokenCount", x.thoughts_token_count);
  detail::put_count(o, "toolUsePromptTokenCount", x.tool_use_prompt_token_count);
  detail::put_vec(o, "promptTokensDetails", x.prompt_tokens_details);
  detail::put_vec(o, "candidatesTokensDetails", x.candidates_tokens_details);
  detail::put_vec(o, "cacheTokensDetails", x.cache_tokens_details);
  detail::put_vec(o, "toolUsePromptTokensDetails", x.tool_use_prompt_tokens_details);
  detail::put_nonempty(o, "serviceTier", x.service_tier);
  detail::put_extra(o, x.extra);
}
inline void tag_invoke(boost::json::value_from_tag, boost::json::value& jv,
                       const generate_content_response& x) {
  auto& o = jv.emplace_object();
  detail::put_vec(o, "candidates", x.candidates);
  detail::put_opt(o, "promptFeedback", x.prompt_feedback);
  if (!x.usage.empty()) detail::put(o, "usageMetadata", x.usage);
  detail::put_nonempty(o, "modelVersion", x.model_version);
  detail::put_nonempty(o, "responseId", x.response_id);
  detail::put_extra(o, x.extra);
}

inline void tag_invoke(boost::json::value_from_tag, boost::json::value& jv,
                       const count_tokens_request& x) {
  auto& o = jv.emplace_object();
  detail::put_vec(o, "contents", x.contents);
  detail::put_opt(o, "generateContentRequest", x.generate_content_request);
  detail::put_extra(o, x.extra);
}
inline void tag_invoke(boost::json::value_from_tag, boost::json::value& jv,
                       const count_tokens_response& x) {
  auto& o = jv.emplace_object();
  o.emplace("totalTokens", x.total_tokens);
  detail::put_count(o, "cachedContentTokenCount", x.cached_content_token_count);
  detail::put_vec(o, "promptTokensDetails", x.prompt_tokens_details);
  detail::put_vec(o, "cacheTokensDetails", x.cache_tokens_details);
  detail::put_extra(o, x.extra);
}
inline void tag_invoke(boost::json::value_from_tag, boost::json::value& jv,
                       const embed_content_request& x) {
  auto& o = jv.emplace_object();
  detail::put_nonempty(o, "model", x.model);
  detail::put(o, "content", x.content);
  detail::put_enum(o, "taskType", x.task_type);
  detail::put_nonempty(o, "title", x.title);
  detail::put_opt(o, "outputDimensionality", x.output_dimensionality);
  detail::put_extra(o, x.extra);
}
inline void tag_invoke(boost::json::value_from_tag, boost::json::value& jv,
                       const content_embedding& x) {
  auto& o = jv.emplace_object();
  auto& a = o.emplace("values", boost::json::array()).first->value().as_array();
  a.reserve(x.values.size());
  for (float f : x.values) a.emplace_back(static_cast<double>(f));
  detail::put_extra(o, x.extra);
}
inline void tag_invoke(boost::json::value_from_tag, boost::json::value& jv,
                       const embed_content_response& x) {
  auto& o = jv.emplace_object();
  detail::put(o, "embedding", x.embedding);
  detail::put_extra(o, x.extra);
}
inline void tag_invoke(boost::json::value_from_tag, boost::json::value& jv,
                       const batch_embed_contents_request& x) {
  auto& o = jv.emplace_object();
  detail::put(o, "requests", x.requests);
  detail::put_extra(o, x.extra);
}
inline void tag_invoke(boost::json::value_from_tag, boost::json::value& jv,
                       const batch_embed_contents_response& x) {
  auto& o = jv.emplace_object();
  detail::put(o, "embeddings", x.embeddings);
  detail::put_extra(o, x.extra);
}
inline void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, const model_info& x) {
  auto& o = jv.emplace_object();
  detail::put(o, "name", x.name);
  detail::put_nonempty(o, "baseModelId", x.base_model_id);
  detail::put_nonempty(o, "version", x.version);
  detail::put_nonempty(o, "displayName", x.display_name);
  detail::put_nonempty(o, "description", x.description);
  detail::put_count(o, "inputTokenLimit", x.input_token_limit);
  detail::put_count(o, "outputTokenLimit", x.output_token_limit);
  detail::put_vec(o, "supportedGenerationMethods", x.supported_generation_methods);
  detail::put_opt(o, "temperature", x.temperature);
  detail::put_opt(o, "topP", x.top_p);
  detail::put_opt(o, "topK", x.top_k);
  detail::put_opt(o, "maxTemperature", x.max_temperature);
  detail::put_opt(o, "thinking", x.thinking);
  detail::put_extra(o, x.extra);
}
inline void tag_invoke(boost::json::value_from_tag, boost::json::value& jv,
                       const list_models_response& x) {
  auto& o = jv.emplace_object();
  detail::put_vec(o, "models", x.models);
  detail::put_nonempty(o, "nextPageToken", x.next_page_token);
  detail::put_extra(o, x.extra);
}
inline void tag_invoke(boost::json::value_from_tag, boost::json::value& jv,
                       const cached_content_usage& x) {
  auto& o = jv.emplace_object();
  detail::put_count(o, "totalTokenCount", x.total_token_count);
  detail::put_extra(o, x.extra);
}
inline void tag_invoke(boost::json::value_from_tag, boost::json::value& jv,
                       const cached_content& x) {
  auto& o = jv.emplace_object();
  detail::put_nonempty(o, "name", x.name);
  detail::put_nonempty(o, "model", x.model);
  detail::put_nonempty(o, "displayName", x.display_name);
  detail::put_vec(o, "contents", x.contents);
  detail::put_opt(o, "systemInstruction", x.system_instruction);
  detail::put_vec(o, "tools", x.tools);
  detail::put_opt(o, "toolConfig", x.tool_config);
  detail::put_nonempty(o, "ttl", x.ttl);
  detail::put_nonempty(o, "expireTime", x.expire_time);
  detail::put_nonempty(o, "createTime", x.create_time);
  detail::put_nonempty(o, "updateTime", x.update_time);
  detail::put_opt(o, "usageMetadata", x.usage_metadata);
  detail::put_extra(o, x.extra);
}
inline void tag_invoke(boost::json::value_from_tag, boost::json::value& jv,
                       const list_cached_contents_response& x) {
  auto& o = jv.emplace_object();
  detail::put_vec(o, "cachedContents", x.cached_contents);
  detail::put_nonempty(o, "nextPageToken", x.next_page_token);
  detail::put_extra(o, x.extra);
}
inline void tag_invoke(boost::json::value_from_tag, boost::json::value& jv,
                       const empty_response& x) {
  auto& o = jv.emplace_object();
  detail::put_extra(o, x.extra);
}

// ------------------------------------------------------------------------------------------
// Public entry points
// ------------------------------------------------------------------------------------------

/// Parses JSON text into a json::value (non-throwing). errc::bad_json carries the byte offset.
/// The value uses `sp` (default: the heap); keep `sp`'s resource alive as long as the value.
inline result<boost::json::value> parse_value(std::string_view text,
                                              boost::json::storage_ptr sp = {}) {
  unsigned char temp[2048];
  boost::json::parse_options opt;
  opt.max_depth = 128;
  boost::json::parser p(boost::json::storage_ptr(), opt, temp, sizeof temp);
  p.reset(std::move(sp));
  boost::system::error_code ec;
  std::size_t n = p.write(text.data(), text.size(), ec);
  if (ec)
    return gemini::error(errc::bad_json, "malformed JSON at byte offset " + std::to_string(n) +
                                             " of " + std::to_string(text.size()) + ": " +
                                             ec.message());
  return p.release();
}

/// Reads an already parsed value. errc::bad_type names the JSON path of a wrongly typed field.
template <class T>
result<T> from_json(const boost::json::value& v) {
  detail::reader r;
  result<T> out(std::in_place);  // read in place: no move of the (large) value afterwards
  if (!read_value(r, v, *out)) out = r.take_error();
  return out;
}

/// Parses JSON text into a wire type (any type in wire/types.hpp).
template <class T>
result<T> parse(std::string_view text) {
  alignas(std::max_align_t) unsigned char buf[8192];
  boost::json::monotonic_resource mr(buf, sizeof buf);
  auto v = parse_value(text, &mr);
  if (!v) return std::move(v).error();
  return from_json<T>(*v);
}

/// The JSON value of a wire type (same as boost::json::value_from(x)).
template <class T>
boost::json::value to_json(const T& x) {
  return boost::json::value_from(x);
}

/// Compact JSON text of a wire type (camelCase keys; `extra` keys after the known ones).
template <class T>
std::string serialize(const T& x) {
  alignas(std::max_align_t) unsigned char buf[8192];
  boost::json::monotonic_resource mr(buf, sizeof buf);
  boost::json::value v = boost::json::value_from(x, boost::json::storage_ptr(&mr));
  return boost::json::serialize(v);
}

}  // namespace wire
}  // namespace v1
}  // namespace gemini
