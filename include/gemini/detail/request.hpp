// gemini-cxx — the request side of a call, without I/O: validation, encoding, targets,
// the token estimate. Pure functions of the request and the options (no Asio).
#pragma once

#include <gemini/config.hpp>
#include <gemini/detail/utf8.hpp>
#include <gemini/error.hpp>
#include <gemini/limit/concept.hpp>
#include <gemini/wire/json.hpp>
#include <gemini/wire/types.hpp>

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace gemini {
inline namespace v1 {
namespace detail {

/// The x-goog-api-client header's value.
inline const std::string client_header = "gemini-cxx/0.1";

/// The options of a call made without any (namespace scope: no guard on each use).
inline const call_options default_options{};

/// "models/x" for "x"; names that already carry a collection are kept.
inline std::string model_path(std::string_view model) {
  if (model.substr(0, 7) == "models/" || model.substr(0, 12) == "tunedModels/")
    return std::string(model);
  return "models/" + std::string(model);
}

/// A blocked prompt, or an answer stopped for safety or prohibited content. (At namespace
/// scope: inside the class template GCC 12 crashes on the open enum's constants.)
inline bool blocked_answer(const wire::generate_content_response& r) {
  return r.blocked() || r.finish() == wire::finish_reason::safety ||
         r.finish() == wire::finish_reason::prohibited_content;
}

/// True for an SSE payload that is a Google error object rather than a chunk.
inline bool looks_like_error(std::string_view json) noexcept {
  auto skip = [&](std::size_t i) {
    while (i < json.size() && (json[i] == ' ' || json[i] == '\n' || json[i] == '\r' ||
                               json[i] == '\t' || json[i] == '['))
      ++i;
    return i;
  };
  std::size_t i = skip(0);
  if (i >= json.size() || json[i] != '{') return false;
  i = skip(i + 1);
  return json.substr(i, 7) == "\"error\"";
}

/// Percent-encodes everything but RFC 3986 unreserved characters (query values).
inline std::string url_encode(std::string_view s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

/// Checks a generate request (contents present, text valid UTF-8) and serializes it;
/// bodies over `max_bytes` are refused before anything is sent.
inline result<std::string> encode_generate(const wire::generate_content_request& req,
                                           std::size_t max_bytes) {
  if (req.contents.empty())
    return gemini::error(errc::invalid_argument, "generate request has no contents");
  auto check = [](const wire::content& c, std::size_t i) -> std::optional<gemini::error> {
    for (std::size_t k = 0; k < c.parts.size(); ++k)
      if (c.parts[k].text && !valid_utf8(*c.parts[k].text))
        return gemini::error(errc::invalid_utf8, "contents[" + std::to_string(i) + "].parts[" +
                                                     std::to_string(k) +
                                                     "].text is not valid UTF-8");
    return std::nullopt;
  };
  for (std::size_t i = 0; i < req.contents.size(); ++i)
    if (auto e = check(req.contents[i], i)) return std::move(*e);
  if (req.system_instruction)
    if (auto e = check(*req.system_instruction, 0)) {
      e->message = "system instruction: " + e->message;
      return std::move(*e);
    }
  std::string body = wire::serialize(req);
  if (body.size() > max_bytes)
    return gemini::error(errc::payload_too_large,
                         "request body is " + std::to_string(body.size()) +
                             " bytes, over client_options::max_request_bytes (" +
                             std::to_string(max_bytes) + ")");
  return body;
}

/// The output a request may produce: generationConfig.maxOutputTokens, else 1024.
inline std::int64_t max_output_of(const wire::generate_content_request& req) {
  if (req.generation_config && req.generation_config->max_output_tokens)
    return *req.generation_config->max_output_tokens;
  return 1024;
}

/// The prompt's tokens (`known` when the caller counted them, else a rough 4 bytes a
/// token) + the output the request may produce.
inline limit::cost estimate(const wire::generate_content_request& req, std::size_t body_bytes,
                            std::int64_t known = 0) {
  const auto prompt = known > 0 ? known : static_cast<std::int64_t>(body_bytes / 4);
  return limit::cost{prompt + max_output_of(req)};
}

/// A well-formed W3C traceparent: "00-" 32 lower-case hex (not all zero) "-" 16 lower-case
/// hex (not all zero) "-" 2 hex. Other versions than 00 are accepted in the same shape
/// (but not "ff").
inline bool valid_traceparent(std::string_view t) noexcept {
  if (t.size() != 55 || t[2] != '-' || t[35] != '-' || t[52] != '-') return false;
  auto hex = [&](std::size_t from, std::size_t n, bool nonzero) {
    bool any = false;
    for (std::size_t i = from; i < from + n; ++i) {
      char c = t[i];
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
      any = any || c != '0';
    }
    return !nonzero || any;
  };
  return hex(0, 2, false) && t.substr(0, 2) != "ff" && hex(3, 32, true) && hex(36, 16, true) &&
         hex(53, 2, false);
}

/// True for failures that another endpoint may not have (everything but the request's
/// own faults and the caller's cancellation or deadline).
inline bool worth_failover(const gemini::error& e) {
  return !(e.code == errc::invalid_argument || e.code == errc::invalid_utf8 ||
           e.code == errc::payload_too_large || e.code == condition::cancelled);
}

/// Puts the text told before a resumed stream in front of the continuation's.
inline void prepend_text(wire::generate_content_response& r, const std::string& told) {
  if (r.candidates.empty()) return;
  auto& cand = r.candidates.front();
  if (!cand.content) cand.content = wire::content::model(std::string());
  auto& parts = cand.content->parts;
  if (!parts.empty() && parts.front().text && !parts.front().thought)
    parts.front().text = told + *parts.front().text;
  else
    parts.insert(parts.begin(), wire::part::from_text(told));
}

}  // namespace detail
}  // namespace v1
}  // namespace gemini
