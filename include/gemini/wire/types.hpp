// gemini-cxx — the Gemini REST data model (v1beta), no I/O (DESIGN.md §2, gemini-wire.md §3-6).
//
// Conventions (the same for every struct here):
//  - Members are the snake_case of the camelCase wire name (`maxOutputTokens` →
//    `max_output_tokens`). Where a member has the same name as its type (`part::inline_data`,
//    `candidate::content`, `generate_content_request::generation_config`, ...) the member is
//    declared with the qualified type (`wire::content content;`); outside the struct both
//    names work as usual: `p.inline_data = wire::inline_data{...}`.
//  - Request-side settings whose absence matters are `std::optional` and are omitted from the
//    JSON when empty. Response-side scalars follow proto3 JSON: a missing number is 0, a missing
//    string is "", a missing enum is `unspecified`, and those defaults are not written back.
//  - Every object keeps the keys it does not know in `extra` (a boost::json::object), and
//    writes them back after its known keys, so newer wire fields survive a round trip.
//  - Enums are *open* (see `open_enum`): a wire value this version does not know is kept
//    verbatim and written back unchanged; it compares as `unrecognized`.
//
// Thread safety: plain values; const access from several threads is safe.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gemini {
inline namespace v1 {
namespace wire {

// ------------------------------------------------------------------------------------------
// Open enums
// ------------------------------------------------------------------------------------------

/// An enum that tolerates and keeps wire values it does not know.
///
/// `Traits` provides `enum class value_type` whose first enumerator is `unspecified` and last
/// is `unrecognized`, and `names[]`, the wire spelling of every enumerator before
/// `unrecognized`, in order. A concrete enum derives from it and re-exports the enumerators
/// (`using enum`), so `wire::finish_reason::stop` works and
/// `c.finish_reason == wire::finish_reason::stop` compares.
///
///     wire::finish_reason r("STOP");            // r.value() == finish_reason::stop
///     wire::finish_reason n("BRAND_NEW_REASON"); // n.value() == finish_reason::unrecognized
///     to_string(n) == "BRAND_NEW_REASON";        // kept, and serialized back verbatim
///
/// `unspecified` (the default) means "absent": it is not written to JSON.
template <class Derived, class Traits>
class open_enum {
 public:
  using value_type = typename Traits::value_type;
  static_assert(std::size(Traits::names) == static_cast<std::size_t>(value_type::unrecognized),
                "names[] must spell every enumerator before `unrecognized`, in order");

  constexpr open_enum() noexcept = default;
  constexpr open_enum(value_type v) noexcept : v_(v) {}  // NOLINT(implicit)

  /// Parses a wire string; unknown strings are kept (value() == unrecognized).
  explicit open_enum(std::string_view wire) { assign(wire); }

  /// The same as the constructor, returning the concrete type.
  static Derived from_string(std::string_view wire) {
    Derived d;
    static_cast<open_enum&>(d).assign(wire);
    return d;
  }

  constexpr value_type value() const noexcept { return v_; }
  /// True for a value this version knows (including `unspecified`).
  constexpr bool known() const noexcept { return v_ != value_type::unrecognized; }
  /// True unless `unspecified` (i.e. the field was present on the wire).
  constexpr bool has_value() const noexcept { return v_ != value_type{}; }

  /// The wire spelling (the raw string for an unrecognized value).
  std::string_view str() const noexcept {
    auto i = static_cast<std::size_t>(v_);
    if (v_ == value_type::unrecognized || i >= std::size(Traits::names)) return raw_;
    return Traits::names[i];
  }

  friend std::string_view to_string(const open_enum& e) noexcept { return e.str(); }

  friend bool operator==(const open_enum& a, const open_enum& b) noexcept {
    return a.v_ == b.v_ && (a.v_ != value_type::unrecognized || a.raw_ == b.raw_);
  }
  friend bool operator==(const open_enum& a, value_type b) noexcept { return a.v_ == b; }

  friend std::ostream& operator<<(std::ostream& os, const open_enum& e) { return os << e.str(); }

 protected:
  void assign(std::string_view wire) {
    raw_.clear();
    constexpr std::size_t n = std::size(Traits::names);
    for (std::size_t i = 0; i < n; ++i)
      if (Traits::names[i] == wire) {
        v_ = static_cast<value_type>(i);
        return;
      }
    v_ = value_type::unrecognized;
    raw_.assign(wire.data(), wire.size());
  }

 private:
  value_type v_{};
  std::string raw_;  // only for unrecognized values
};

namespace detail {
struct finish_reason_traits {
  enum class value_type : std::uint8_t {
    unspecified,
    stop,
    max_tokens,
    safety,
    recitation,
    language,
    other,
    blocklist,
    prohibited_content,
    spii,
    malformed_function_call,
    image_safety,
    image_prohibited_content,
    image_recitation,
    image_other,
    no_image,
    unexpected_tool_call,
    too_many_tool_calls,
    unrecognized
  };
  static constexpr std::string_view names[] = {"FINISH_REASON_UNSPECIFIED",
                                               "STOP",
                                               "MAX_TOKENS",
                                               "SAFETY",
                                               "RECITATION",
                                               "LANGUAGE",
                                               "OTHER",
                                               "BLOCKLIST",
                                               "PROHIBITED_CONTENT",
                                               "SPII",
                                               "MALFORMED_FUNCTION_CALL",
                                               "IMAGE_SAFETY",
                                               "IMAGE_PROHIBITED_CONTENT",
                                               "IMAGE_RECITATION",
                                               "IMAGE_OTHER",
                                               "NO_IMAGE",
                                               "UNEXPECTED_TOOL_CALL",
                                               "TOO_MANY_TOOL_CALLS"};
};
struct block_reason_traits {
  enum class value_type : std::uint8_t {
    unspecified,
    safety,
    other,
    blocklist,
    prohibited_content,
    image_safety,
    model_armor,
    jailbreak,
    unrecognized
  };
  static constexpr std::string_view names[] = {
      "BLOCKED_REASON_UNSPECIFIED", "SAFETY",       "OTHER",       "BLOCKLIST",
      "PROHIBITED_CONTENT",         "IMAGE_SAFETY", "MODEL_ARMOR", "JAILBREAK"};
};
struct harm_category_traits {
  enum class value_type : std::uint8_t {
    unspecified,
    harassment,
    hate_speech,
    sexually_explicit,
    dangerous_content,
    civic_integrity,
    image_hate,
    image_dangerous_content,
    image_harassment,
    image_sexually_explicit,
    jailbreak,
    unrecognized
  };
  static constexpr std::string_view names[] = {
      "HARM_CATEGORY_UNSPECIFIED",       "HARM_CATEGORY_HARASSMENT",
      "HARM_CATEGORY_HATE_SPEECH",       "HARM_CATEGORY_SEXUALLY_EXPLICIT",
      "HARM_CATEGORY_DANGEROUS_CONTENT", "HARM_CATEGORY_CIVIC_INTEGRITY",
      "HARM_CATEGORY_IMAGE_HATE",        "HARM_CATEGORY_IMAGE_DANGEROUS_CONTENT",
      "HARM_CATEGORY_IMAGE_HARASSMENT",  "HARM_CATEGORY_IMAGE_SEXUALLY_EXPLICIT",
      "HARM_CATEGORY_JAILBREAK"};
};
struct harm_probability_traits {
  enum class value_type : std::uint8_t { unspecified, negligible, low, medium, high, unrecognized };
  static constexpr std::string_view names[] = {"HARM_PROBABILITY_UNSPECIFIED", "NEGLIGIBLE", "LOW",
                                               "MEDIUM", "HIGH"};
};
struct harm_block_threshold_traits {
  enum class value_type : std::uint8_t {
    unspecified,
    block_low_and_above,
    block_medium_and_above,
    block_only_high,
    block_none,
    off,
    unrecognized
  };
  static constexpr std::string_view names[] = {"HARM_BLOCK_THRESHOLD_UNSPECIFIED",
                                               "BLOCK_LOW_AND_ABOVE",
                                               "BLOCK_MEDIUM_AND_ABOVE",
                                               "BLOCK_ONLY_HIGH",
                                               "BLOCK_NONE",
                                               "OFF"};
};
struct modality_traits {
  enum class value_type : std::uint8_t {
    unspecified,
    text,
    image,
    audio,
    video,
    document,
    unrecognized
  };
  static constexpr std::string_view names[] = {
      "MODALITY_UNSPECIFIED", "TEXT", "IMAGE", "AUDIO", "VIDEO", "DOCUMENT"};
};
struct task_type_traits {
  enum class value_type : std::uint8_t {
    unspecified,
    retrieval_query,
    retrieval_document,
    semantic_similarity,
    classification,
    clustering,
    question_answering,
    fact_verification,
    code_retrieval_query,
    unrecognized
  };
  static constexpr std::string_view names[] = {
      "TASK_TYPE_UNSPECIFIED", "RETRIEVAL_QUERY",   "RETRIEVAL_DOCUMENT",
      "SEMANTIC_SIMILARITY",   "CLASSIFICATION",    "CLUSTERING",
      "QUESTION_ANSWERING",    "FACT_VERIFICATION", "CODE_RETRIEVAL_QUERY"};
};
struct function_calling_mode_traits {
  enum class value_type : std::uint8_t { unspecified, auto_, any, none, validated, unrecognized };
  static constexpr std::string_view names[] = {"MODE_UNSPECIFIED", "AUTO", "ANY", "NONE",
                                               "VALIDATED"};
};
struct thinking_level_traits {
  enum class value_type : std::uint8_t { unspecified, minimal, low, medium, high, unrecognized };
  static constexpr std::string_view names[] = {"THINKING_LEVEL_UNSPECIFIED", "MINIMAL", "LOW",
                                               "MEDIUM", "HIGH"};
};
struct media_resolution_traits {
  enum class value_type : std::uint8_t { unspecified, low, medium, high, unrecognized };
  static constexpr std::string_view names[] = {"MEDIA_RESOLUTION_UNSPECIFIED",
                                               "MEDIA_RESOLUTION_LOW", "MEDIA_RESOLUTION_MEDIUM",
                                               "MEDIA_RESOLUTION_HIGH"};
};
}  // namespace detail

#define GEMINI_WIRE_OPEN_ENUM(name)                      \
  struct name : open_enum<name, detail::name##_traits> { \
    using open_enum::open_enum;                          \
    using enum detail::name##_traits::value_type;        \
  }

/// candidate.finishReason: STOP, MAX_TOKENS, SAFETY, RECITATION, ... (gemini-wire.md §4).
GEMINI_WIRE_OPEN_ENUM(finish_reason);
/// promptFeedback.blockReason: SAFETY, OTHER, BLOCKLIST, PROHIBITED_CONTENT, IMAGE_SAFETY, ...
GEMINI_WIRE_OPEN_ENUM(block_reason);
/// HARM_CATEGORY_*; enumerators drop the prefix: harm_category::harassment.
GEMINI_WIRE_OPEN_ENUM(harm_category);
/// NEGLIGIBLE, LOW, MEDIUM, HIGH.
GEMINI_WIRE_OPEN_ENUM(harm_probability);
/// BLOCK_LOW_AND_ABOVE, BLOCK_MEDIUM_AND_ABOVE, BLOCK_ONLY_HIGH, BLOCK_NONE, OFF.
GEMINI_WIRE_OPEN_ENUM(harm_block_threshold);
/// TEXT, IMAGE, AUDIO, VIDEO, DOCUMENT (token details, responseModalities).
GEMINI_WIRE_OPEN_ENUM(modality);
/// Embedding task types: RETRIEVAL_QUERY, RETRIEVAL_DOCUMENT, ...
GEMINI_WIRE_OPEN_ENUM(task_type);
/// functionCallingConfig.mode: AUTO, ANY, NONE, VALIDATED (`auto_` because `auto` is a keyword).
GEMINI_WIRE_OPEN_ENUM(function_calling_mode);
/// thinkingConfig.thinkingLevel: MINIMAL, LOW, MEDIUM, HIGH (Gemini 3+).
GEMINI_WIRE_OPEN_ENUM(thinking_level);
/// MEDIA_RESOLUTION_LOW / _MEDIUM / _HIGH.
GEMINI_WIRE_OPEN_ENUM(media_resolution);

#undef GEMINI_WIRE_OPEN_ENUM

// ------------------------------------------------------------------------------------------
// Contents and parts
// ------------------------------------------------------------------------------------------

/// `inlineData`: `data` is the base64 text exactly as on the wire (not decoded).
struct inline_data {
  std::string mime_type;
  std::string data;
  boost::json::object extra;
  friend bool operator==(const inline_data&, const inline_data&) = default;
};

/// `fileData`: a Files API (or other) URI.
struct file_data {
  std::string mime_type;
  std::string file_uri;
  boost::json::object extra;
  friend bool operator==(const file_data&, const file_data&) = default;
};

/// `functionCall` (model turn). Echo `id` back in the matching function_response.
struct function_call {
  std::string name;
  boost::json::object args;  ///< always written (`{}` when empty)
  std::string id;            ///< omitted when empty
  boost::json::object extra;
  friend bool operator==(const function_call&, const function_call&) = default;
};

/// `functionResponse` (user turn).
struct function_response {
  std::string name;
  boost::json::object response;  ///< always written
  std::string id;
  boost::json::object extra;  ///< e.g. willContinue, scheduling, parts
  friend bool operator==(const function_response&, const function_response&) = default;
};

/// `executableCode` {language: "PYTHON", code}.
struct executable_code {
  std::string language;
  std::string code;
  boost::json::object extra;
  friend bool operator==(const executable_code&, const executable_code&) = default;
};

/// `codeExecutionResult` {outcome: "OUTCOME_OK" | ..., output}.
struct code_execution_result {
  std::string outcome;
  std::string output;
  boost::json::object extra;
  friend bool operator==(const code_execution_result&, const code_execution_result&) = default;
};

/// One `Part`: normally exactly one of the optional payloads is set.
struct part {
  std::optional<std::string> text;  ///< kept even when "" (a signature-only part has text "")
  std::optional<wire::inline_data> inline_data;
  std::optional<wire::file_data> file_data;
  std::optional<wire::function_call> function_call;
  std::optional<wire::function_response> function_response;
  std::optional<wire::executable_code> executable_code;
  std::optional<wire::code_execution_result> code_execution_result;
  std::optional<boost::json::object> video_metadata;  ///< {startOffset, endOffset, fps}
  bool thought = false;           ///< a thought summary (written only when true)
  std::string thought_signature;  ///< opaque; echo back unchanged (written when non-empty)
  boost::json::object extra;      ///< unknown keys (e.g. per-part mediaResolution)

  static part from_text(std::string t) {
    part p;
    p.text = std::move(t);
    return p;
  }
  static part from_inline_data(std::string mime_type, std::string base64_data) {
    part p;
    p.inline_data = wire::inline_data{std::move(mime_type), std::move(base64_data), {}};
    return p;
  }
  static part from_file(std::string mime_type, std::string uri) {
    part p;
    p.file_data = wire::file_data{std::move(mime_type), std::move(uri), {}};
    return p;
  }
  static part from_function_response(std::string name, boost::json::object response,
                                     std::string id = {}) {
    part p;
    p.function_response =
        wire::function_response{std::move(name), std::move(response), std::move(id), {}};
    return p;
  }

  /// True for a part that carries text and nothing else but flags/signature.
  bool is_text_only() const noexcept {
    return text && !inline_data && !file_data && !function_call && !function_response &&
           !executable_code && !code_execution_result && !video_metadata && extra.empty();
  }

  friend bool operator==(const part&, const part&) = default;
};

/// `Content`: one turn. Role "user" or "model" (empty = omitted, as for systemInstruction).
struct content {
  std::string role;
  std::vector<wire::part> parts;
  boost::json::object extra;

  static content user(std::string text) { return make("user", std::move(text)); }
  static content model(std::string text) { return make("model", std::move(text)); }
  /// A role-less content, e.g. for systemInstruction.
  static content system(std::string text) { return make({}, std::move(text)); }

  /// Concatenated text of the non-thought parts.
  std::string text() const {
    std::string s;
    for (auto const& p : parts)
      if (p.text && !p.thought) s += *p.text;
    return s;
  }

  friend bool operator==(const content&, const content&) = default;

 private:
  static content make(std::string role, std::string text) {
    content c;
    c.role = std::move(role);
    c.parts.push_back(part::from_text(std::move(text)));
    return c;
  }
};

// ------------------------------------------------------------------------------------------
// Request
// ------------------------------------------------------------------------------------------

/// `thinkingConfig`.
struct thinking_config {
  std::optional<bool> include_thoughts;
  std::optional<int> thinking_budget;  ///< -1 dynamic, 0 off (where allowed)
  std::optional<wire::thinking_level> thinking_level;
  boost::json::object extra;
  friend bool operator==(const thinking_config&, const thinking_config&) = default;
};

/// `imageConfig` {aspectRatio: "16:9", imageSize: "2K"}.
struct image_config {
  std::optional<std::string> aspect_ratio;
  std::optional<std::string> image_size;
  boost::json::object extra;
  friend bool operator==(const image_config&, const image_config&) = default;
};

/// `generationConfig`: every field optional, omitted when unset.
struct generation_config {
  std::optional<double> temperature;
  std::optional<double> top_p;
  std::optional<int> top_k;
  std::optional<int> candidate_count;
  std::optional<int> max_output_tokens;
  std::optional<std::vector<std::string>> stop_sequences;
  std::optional<std::string> response_mime_type;      ///< text/plain, application/json, text/x.enum
  std::optional<boost::json::value> response_schema;  ///< OpenAPI-subset Schema
  std::optional<boost::json::value> response_json_schema;  ///< plain JSON Schema
  std::optional<std::vector<wire::modality>> response_modalities;
  std::optional<double> presence_penalty;
  std::optional<double> frequency_penalty;
  std::optional<int> seed;
  std::optional<bool> response_logprobs;
  std::optional<int> logprobs;
  std::optional<wire::media_resolution> media_resolution;
  std::optional<boost::json::value> speech_config;
  std::optional<wire::image_config> image_config;
  std::optional<wire::thinking_config> thinking_config;
  std::optional<bool> enable_enhanced_civic_answers;
  boost::json::object extra;
  friend bool operator==(const generation_config&, const generation_config&) = default;
};

/// `safetySettings[]` entry.
struct safety_setting {
  wire::harm_category category;
  wire::harm_block_threshold threshold;
  boost::json::object extra;
  friend bool operator==(const safety_setting&, const safety_setting&) = default;
};

/// `functionDeclarations[]` entry. Give `parameters` (Schema) or `parameters_json_schema`.
struct function_declaration {
  std::string name;
  std::string description;
  std::optional<boost::json::value> parameters;
  std::optional<boost::json::value> parameters_json_schema;
  std::optional<boost::json::value> response;
  std::optional<boost::json::value> response_json_schema;
  std::string behavior;  ///< "BLOCKING" | "NON_BLOCKING" (omitted when empty)
  boost::json::object extra;
  friend bool operator==(const function_declaration&, const function_declaration&) = default;
};

/// `Tool`. Built-in tools are kept as their JSON objects (`{}` for most).
struct tool {
  std::vector<wire::function_declaration> function_declarations;
  std::optional<boost::json::object> google_search;
  std::optional<boost::json::object> google_search_retrieval;
  std::optional<boost::json::object> code_execution;
  std::optional<boost::json::object> url_context;
  std::optional<boost::json::object> google_maps;
  std::optional<boost::json::object> file_search;
  std::optional<boost::json::object> computer_use;
  boost::json::object extra;

  static tool functions(std::vector<wire::function_declaration> d) {
    tool t;
    t.function_declarations = std::move(d);
    return t;
  }
  static tool search() {
    tool t;
    t.google_search.emplace();
    return t;
  }
  static tool code() {
    tool t;
    t.code_execution.emplace();
    return t;
  }
  friend bool operator==(const tool&, const tool&) = default;
};

/// `functionCallingConfig`.
struct function_calling_config {
  wire::function_calling_mode mode;
  std::vector<std::string> allowed_function_names;
  boost::json::object extra;
  friend bool operator==(const function_calling_config&, const function_calling_config&) = default;
};

/// `toolConfig`.
struct tool_config {
  std::optional<wire::function_calling_config> function_calling_config;
  std::optional<boost::json::object> retrieval_config;
  boost::json::object extra;
  friend bool operator==(const tool_config&, const tool_config&) = default;
};

/// `GenerateContentRequest` (POST models/{model}:generateContent / :streamGenerateContent).
struct generate_content_request {
  std::vector<wire::content> contents;
  std::optional<wire::content> system_instruction;
  std::vector<wire::tool> tools;
  std::optional<wire::tool_config> tool_config;
  std::vector<wire::safety_setting> safety_settings;
  std::optional<wire::generation_config> generation_config;
  std::string cached_content;  ///< "cachedContents/{id}" (omitted when empty)
  std::string service_tier;    ///< "standard" | "flex" | "priority" (omitted when empty)
  std::string model;           ///< "models/x"; only inside countTokens' generateContentRequest
  boost::json::object extra;
  friend bool operator==(const generate_content_request&,
                         const generate_content_request&) = default;
};

// ------------------------------------------------------------------------------------------
// Response
// ------------------------------------------------------------------------------------------

/// `safetyRatings[]` entry. Vertex extras (probabilityScore, severity, ...) stay in `extra`.
struct safety_rating {
  wire::harm_category category;
  wire::harm_probability probability;
  bool blocked = false;
  boost::json::object extra;
  friend bool operator==(const safety_rating&, const safety_rating&) = default;
};

/// `citationSources[]` entry.
struct citation_source {
  std::optional<std::int64_t> start_index;
  std::optional<std::int64_t> end_index;
  std::string uri;
  std::string license;
  boost::json::object extra;
  friend bool operator==(const citation_source&, const citation_source&) = default;
};

/// `citationMetadata` (wire name of the list: `citationSources`).
struct citation_metadata {
  std::vector<wire::citation_source> citation_sources;
  boost::json::object extra;
  friend bool operator==(const citation_metadata&, const citation_metadata&) = default;
};

/// One `candidates[]` entry.
struct candidate {
  std::optional<wire::content> content;  ///< absent when blocked / empty
  wire::finish_reason finish_reason;     ///< unspecified on intermediate stream chunks
  std::string finish_message;
  int index = 0;  ///< always written
  std::vector<wire::safety_rating> safety_ratings;
  std::optional<wire::citation_metadata> citation_metadata;
  std::optional<boost::json::object> grounding_metadata;
  std::optional<boost::json::object> url_context_metadata;
  std::optional<double> avg_logprobs;
  std::optional<boost::json::object> logprobs_result;
  std::int64_t token_count = 0;
  boost::json::object extra;
  friend bool operator==(const candidate&, const candidate&) = default;
};

/// `promptFeedback`.
struct prompt_feedback {
  wire::block_reason block_reason;
  std::string block_reason_message;
  std::vector<wire::safety_rating> safety_ratings;
  boost::json::object extra;
  friend bool operator==(const prompt_feedback&, const prompt_feedback&) = default;
};

/// `{modality, tokenCount}` in the *TokensDetails lists.
struct modality_token_count {
  wire::modality modality;
  std::int64_t token_count = 0;
  boost::json::object extra;
  friend bool operator==(const modality_token_count&, const modality_token_count&) = default;
};

/// `usageMetadata`. Every count is optional on the wire and defaults to 0 (a MAX_TOKENS
/// answer reached while thinking has no candidatesTokenCount). Cumulative across a stream.
struct usage_metadata {
  std::int64_t prompt_token_count = 0;  ///< includes cached_content_token_count
  std::int64_t candidates_token_count = 0;
  std::int64_t total_token_count = 0;
  std::int64_t cached_content_token_count = 0;
  std::int64_t thoughts_token_count = 0;
  std::int64_t tool_use_prompt_token_count = 0;
  std::vector<wire::modality_token_count> prompt_tokens_details;
  std::vector<wire::modality_token_count> candidates_tokens_details;
  std::vector<wire::modality_token_count> cache_tokens_details;
  std::vector<wire::modality_token_count> tool_use_prompt_tokens_details;
  std::string service_tier;
  boost::json::object extra;

  /// True when nothing was received (the response had no usageMetadata).
  bool empty() const noexcept {
    return prompt_token_count == 0 && candidates_token_count == 0 && total_token_count == 0 &&
           cached_content_token_count == 0 && thoughts_token_count == 0 &&
           tool_use_prompt_token_count == 0 && prompt_tokens_details.empty() &&
           candidates_tokens_details.empty() && cache_tokens_details.empty() &&
           tool_use_prompt_tokens_details.empty() && service_tier.empty() && extra.empty();
  }
  friend bool operator==(const usage_metadata&, const usage_metadata&) = default;
};

/// `GenerateContentResponse` (also each streamed chunk).
/// Where the client got a response from.
enum class source : unsigned char {
  network,      ///< this call's own request
  cache,        ///< a fresh cache entry
  stale_cache,  ///< an expired entry served because every attempt failed (stale-if-error)
  shared,       ///< another caller's identical request in flight (coalescing)
};

/// Delivery metadata the client sets on a response. Not part of the value: never
/// serialized, and ignored by operator== (a cached answer equals the original).
struct delivery_info {
  wire::source from = wire::source::network;
  int endpoint = -1;  ///< with a route policy: the index of the endpoint that answered
  friend constexpr bool operator==(const delivery_info&, const delivery_info&) noexcept {
    return true;
  }
};

struct generate_content_response {
  std::vector<wire::candidate> candidates;
  std::optional<wire::prompt_feedback> prompt_feedback;
  usage_metadata usage;  ///< wire name usageMetadata; written only when !usage.empty()
  std::string model_version;
  std::string response_id;
  boost::json::object extra;  ///< e.g. turnToken
  delivery_info delivery;     ///< how the client obtained it (not wire data)

  /// Concatenated non-thought text of the first candidate ("" when there is none).
  std::string text() const {
    if (candidates.empty() || !candidates.front().content) return {};
    return candidates.front().content->text();
  }
  /// Concatenated thought-summary text of the first candidate.
  std::string thoughts() const {
    std::string s;
    if (candidates.empty() || !candidates.front().content) return s;
    for (auto const& p : candidates.front().content->parts)
      if (p.text && p.thought) s += *p.text;
    return s;
  }
  /// The function calls of the first candidate, in order.
  std::vector<wire::function_call> function_calls() const {
    std::vector<wire::function_call> out;
    if (candidates.empty() || !candidates.front().content) return out;
    for (auto const& p : candidates.front().content->parts)
      if (p.function_call) out.push_back(*p.function_call);
    return out;
  }
  /// True when the prompt was blocked (promptFeedback.blockReason present; HTTP 200).
  bool blocked() const noexcept {
    return prompt_feedback && prompt_feedback->block_reason.has_value();
  }
  /// The first candidate's finish reason (unspecified when none).
  wire::finish_reason finish() const {
    return candidates.empty() ? wire::finish_reason{} : candidates.front().finish_reason;
  }
  friend bool operator==(const generate_content_response&,
                         const generate_content_response&) = default;
};

// ------------------------------------------------------------------------------------------
// countTokens, embeddings, models
// ------------------------------------------------------------------------------------------

/// countTokens body: `contents`, or the documented `generateContentRequest` wrapper.
struct count_tokens_request {
  std::vector<wire::content> contents;
  std::optional<wire::generate_content_request> generate_content_request;
  boost::json::object extra;
  friend bool operator==(const count_tokens_request&, const count_tokens_request&) = default;
};

struct count_tokens_response {
  std::int64_t total_tokens = 0;
  std::int64_t cached_content_token_count = 0;
  std::vector<wire::modality_token_count> prompt_tokens_details;
  std::vector<wire::modality_token_count> cache_tokens_details;
  boost::json::object extra;  ///< e.g. contentTokens, systemInstructionsTokens
  friend bool operator==(const count_tokens_response&, const count_tokens_response&) = default;
};

/// embedContent body; also one entry of batchEmbedContents (then `model` = "models/x").
struct embed_content_request {
  std::string model;  ///< omitted when empty
  wire::content content;
  wire::task_type task_type;
  std::string title;  ///< only with RETRIEVAL_DOCUMENT
  std::optional<int> output_dimensionality;
  boost::json::object extra;
  friend bool operator==(const embed_content_request&, const embed_content_request&) = default;
};

/// `{"values": [...]}`.
struct content_embedding {
  std::vector<float> values;
  boost::json::object extra;
  friend bool operator==(const content_embedding&, const content_embedding&) = default;
};

struct embed_content_response {
  content_embedding embedding;
  boost::json::object extra;
  friend bool operator==(const embed_content_response&, const embed_content_response&) = default;
};

struct batch_embed_contents_request {
  std::vector<embed_content_request> requests;
  boost::json::object extra;
  friend bool operator==(const batch_embed_contents_request&,
                         const batch_embed_contents_request&) = default;
};

struct batch_embed_contents_response {
  std::vector<content_embedding> embeddings;
  boost::json::object extra;
  friend bool operator==(const batch_embed_contents_response&,
                         const batch_embed_contents_response&) = default;
};

/// A `Model` (GET models/{model}, and list entries).
struct model_info {
  std::string name;  ///< "models/gemini-2.5-flash"
  std::string base_model_id;
  std::string version;
  std::string display_name;
  std::string description;
  std::int64_t input_token_limit = 0;
  std::int64_t output_token_limit = 0;
  std::vector<std::string> supported_generation_methods;
  std::optional<double> temperature;
  std::optional<double> top_p;
  std::optional<int> top_k;
  std::optional<double> max_temperature;
  std::optional<bool> thinking;
  boost::json::object extra;

  bool supports(std::string_view method) const noexcept {
    for (auto const& m : supported_generation_methods)
      if (m == method) return true;
    return false;
  }
  friend bool operator==(const model_info&, const model_info&) = default;
};

struct list_models_response {
  std::vector<model_info> models;
  std::string next_page_token;
  boost::json::object extra;
  friend bool operator==(const list_models_response&, const list_models_response&) = default;
};

/// `usageMetadata` of a CachedContent.
struct cached_content_usage {
  std::int64_t total_token_count = 0;
  boost::json::object extra;
  friend bool operator==(const cached_content_usage&, const cached_content_usage&) = default;
};

/// A `CachedContent` (cachedContents create / get / list / patch). `contents`,
/// `system_instruction`, `tools` and `tool_config` are sent when it is created; the service
/// never returns them. `ttl` ("3600s") or `expire_time` (RFC 3339) sets its life.
struct cached_content {
  std::string name;   ///< "cachedContents/{id}", given by the service
  std::string model;  ///< "models/gemini-2.5-flash"
  std::string display_name;
  std::vector<wire::content> contents;
  std::optional<wire::content> system_instruction;
  std::vector<wire::tool> tools;
  std::optional<wire::tool_config> tool_config;
  std::string ttl;
  std::string expire_time;
  std::string create_time;
  std::string update_time;
  std::optional<cached_content_usage> usage_metadata;
  boost::json::object extra;
  friend bool operator==(const cached_content&, const cached_content&) = default;
};

struct list_cached_contents_response {
  std::vector<cached_content> cached_contents;
  std::string next_page_token;
  boost::json::object extra;
  friend bool operator==(const list_cached_contents_response&,
                         const list_cached_contents_response&) = default;
};

/// The `{}` a DELETE answers.
struct empty_response {
  boost::json::object extra;
  friend bool operator==(const empty_response&, const empty_response&) = default;
};

}  // namespace wire

// Short names for the wire types user code spells most (gemini::generate_request, ...).
using generate_request = wire::generate_content_request;
using generate_response = wire::generate_content_response;
using content = wire::content;
using part = wire::part;
using generation_config = wire::generation_config;
using thinking_config = wire::thinking_config;
using safety_setting = wire::safety_setting;
using tool = wire::tool;
using usage_metadata = wire::usage_metadata;
using candidate = wire::candidate;
using count_tokens_request = wire::count_tokens_request;
using count_tokens_response = wire::count_tokens_response;
using embed_request = wire::embed_content_request;
using embed_response = wire::embed_content_response;
using batch_embed_request = wire::batch_embed_contents_request;
using batch_embed_response = wire::batch_embed_contents_response;
using model_info = wire::model_info;
using list_models_response = wire::list_models_response;
using cached_content = wire::cached_content;

}  // namespace v1
}  // namespace gemini
