// gemini-cxx — translation between the Gemini wire model and OpenAI-compatible chat
// completions (`POST …/chat/completions`), both ways. No I/O, no Beast: Boost.JSON only.
//
//     namespace oai = gemini::wire::openai;
//     auto body = oai::chat_request(req, "gemini-2.5-flash", /*stream=*/false);
//     if (!body) return body.error();                       // errc::invalid_argument, names what
//     ... POST *body to {base}/chat/completions with "Authorization: Bearer KEY" ...
//     if (status / 100 != 2) return oai::parse_chat_error(status, response_body);
//     auto r = oai::parse_chat_response(response_body);     // result<generate_content_response>
//
// Streaming (`stream: true`): feed the `data:` payload of every SSE event (wire::sse_parser
// delivers them) to a `chunk_translator`; each call yields a Gemini chunk (or nothing), which a
// wire::response_accumulator merges like a native stream:
//
//     oai::chunk_translator tr;  wire::response_accumulator acc;
//     while (parser.next(ev)) {
//       auto c = tr.translate(ev.data);                      // result<optional<chunk>>
//       if (!c) return c.error();                            // error event, bad JSON, bad args
//       if (*c) acc.add(std::move(**c));
//     }
//     if (auto f = tr.finish(); !f) return f.error();       // errc::truncated_stream
//
// What is translated and what is not: docs/openai-compat.md (a table, field by field). In
// short: messages (system, user, assistant, tool), text, images and audio, function calling
// (declarations, tool_choice, calls, results, Gemini thought signatures), sampling settings,
// JSON mode and schemas, reasoning effort, service tier; usage with cached and reasoning tokens;
// every finish reason. Settings without an equivalent (topK, safety settings, includeThoughts,
// media resolution, ...) are dropped, or rejected with `request_options::strict`. Content that
// cannot be expressed (built-in tools, cachedContent, code execution parts, video, ...) is always
// rejected with errc::invalid_argument naming the field.
//
// Thread safety: the functions are reentrant; a chunk_translator serves one stream.
// Errors are values; only std::bad_alloc is thrown.
#pragma once

#include <gemini/error.hpp>
#include <gemini/wire/error_body.hpp>
#include <gemini/wire/json.hpp>
#include <gemini/wire/types.hpp>

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gemini {
inline namespace v1 {
namespace wire {
namespace openai {

/// Options of chat_request().
struct request_options {
  /// `"stream": true` (the answer is an SSE stream of chat.completion.chunk objects).
  bool stream = false;
  /// With `stream`: `"stream_options": {"include_usage": true}`, so that the stream ends with a
  /// usage chunk (the only place a stream reports tokens).
  bool include_usage = true;
  /// Write a functionCall part's `thoughtSignature` as the tool call's
  /// `extra_content.google.thought_signature` (what Gemini's OpenAI endpoint expects; Gemini 3
  /// rejects function-calling history without it). Turn off for servers that refuse unknown
  /// keys in tool calls.
  bool thought_signatures = true;
  /// Fail with errc::invalid_argument instead of silently dropping a setting that has no
  /// OpenAI equivalent (topK, safetySettings, includeThoughts, unknown `extra` keys, ...).
  bool strict = false;
};

namespace detail {

namespace json = boost::json;
using wire::detail::reader;
using wire::detail::sv;

inline json::string_view js(std::string_view s) noexcept { return {s.data(), s.size()}; }

inline std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

inline gemini::error untranslatable(std::string_view what, std::string_view why) {
  std::string m(what);
  m += " cannot be translated to an OpenAI chat completions request";
  if (!why.empty()) {
    m += ": ";
    m += why;
  }
  return gemini::error(errc::invalid_argument, std::move(m));
}

/// Collects the first error of a translation; in non-strict mode dropped settings are no error.
struct translation {
  const request_options& opt;
  std::optional<gemini::error> err;

  bool ok() const noexcept { return !err.has_value(); }
  void fail(std::string_view what, std::string_view why) {
    if (!err) err = untranslatable(what, why);
  }
  /// A setting with no equivalent: an error only in strict mode.
  void drop(std::string_view what) {
    if (opt.strict) fail(what, "no OpenAI equivalent (request_options::strict is set)");
  }
};

// ---- JSON Schema ---------------------------------------------------------------------------

/// Gemini's OpenAPI-subset Schema → JSON Schema: upper-case types become lower-case,
/// `nullable: true` becomes `"type": [t, "null"]`, `propertyOrdering` goes. Everything else is
/// copied; nested schemas (properties, items, anyOf, ...) are converted recursively.
inline json::value to_json_schema(const json::value& s) {
  if (auto const* a = s.if_array()) {
    json::array out;
    out.reserve(a->size());
    for (auto const& e : *a) out.push_back(to_json_schema(e));
    return out;
  }
  auto const* o = s.if_object();
  if (!o) return s;
  json::object out;
  bool nullable = false;
  for (auto const& kv : *o) {
    std::string_view k = sv(kv.key());
    const json::value& v = kv.value();
    if (k == "type" && v.is_string()) {
      out["type"] = js(lower(sv(v.get_string())));
    } else if (k == "nullable") {
      nullable = v.is_bool() && v.get_bool();
    } else if (k == "propertyOrdering") {
      continue;
    } else if ((k == "properties" || k == "$defs" || k == "definitions") && v.is_object()) {
      json::object props;
      for (auto const& p : v.get_object()) props[p.key()] = to_json_schema(p.value());
      out[kv.key()] = std::move(props);
    } else if (k == "items" || k == "anyOf" || k == "oneOf" || k == "allOf" || k == "not" ||
               k == "prefixItems" || k == "additionalProperties") {
      out[kv.key()] = to_json_schema(v);
    } else {
      out[kv.key()] = v;
    }
  }
  if (nullable) {
    if (auto const* t = out.if_contains("type"); t && t->is_string()) {
      json::array both;
      both.emplace_back(t->get_string());
      both.emplace_back("null");
      out["type"] = std::move(both);
    }
  }
  return out;
}

// ---- request -------------------------------------------------------------------------------

/// thinkingConfig → reasoning_effort (nullopt: leave the server's default).
/// thinkingLevel wins over thinkingBudget. Levels map by name, except MINIMAL → "low" (Gemini's
/// OpenAI endpoint accepts only none/low/medium/high); unknown levels are sent lower-cased.
/// Budgets: 0 → "none", -1 (dynamic) → default, 1..1024 → "low", ..8192 → "medium", more →
/// "high" (the budgets Gemini's compatibility docs give for low / medium / high).
inline std::optional<std::string> reasoning_effort(const thinking_config& t) {
  if (t.thinking_level && t.thinking_level->has_value()) {
    switch (t.thinking_level->value()) {
      case thinking_level::minimal:
      case thinking_level::low: return "low";
      case thinking_level::medium: return "medium";
      case thinking_level::high: return "high";
      default: return lower(t.thinking_level->str());
    }
  }
  if (t.thinking_budget) {
    int b = *t.thinking_budget;
    if (b == 0) return "none";
    if (b < 0) return std::nullopt;
    if (b <= 1024) return "low";
    if (b <= 8192) return "medium";
    return "high";
  }
  return std::nullopt;
}

/// Tool call ids for calls (and results) that carry none: the function name, then name_2,
/// name_3, ... for further calls of the same function in one turn. Results in the next turn
/// are numbered the same way, so the k-th result of `f` answers the k-th call of `f`.
class id_namer {
 public:
  std::string next(const std::string& name) {
    std::size_t k = ++seen_[name];
    return k == 1 ? name : name + "_" + std::to_string(k);
  }

 private:
  std::map<std::string, std::size_t> seen_;
};

inline std::string part_path(std::size_t turn, std::size_t index) {
  return "contents[" + std::to_string(turn) + "].parts[" + std::to_string(index) + "]";
}

/// A user-side media part as a content part, or nullopt (error recorded).
inline std::optional<json::object> media_part(translation& t, const part& p,
                                              const std::string& path) {
  json::object o;
  if (p.inline_data) {
    const std::string& mime = p.inline_data->mime_type;
    if (mime.rfind("image/", 0) == 0) {
      json::object url;
      url["url"] = js("data:" + mime + ";base64," + p.inline_data->data);
      o["type"] = "image_url";
      o["image_url"] = std::move(url);
      return o;
    }
    std::string_view format;
    if (mime == "audio/wav" || mime == "audio/x-wav" || mime == "audio/wave") format = "wav";
    if (mime == "audio/mp3" || mime == "audio/mpeg") format = "mp3";
    if (!format.empty()) {
      json::object audio;
      audio["data"] = js(p.inline_data->data);
      audio["format"] = js(format);
      o["type"] = "input_audio";
      o["input_audio"] = std::move(audio);
      return o;
    }
    if (mime == "application/pdf") {
      json::object file;
      file["filename"] = "document.pdf";
      file["file_data"] = js("data:" + mime + ";base64," + p.inline_data->data);
      o["type"] = "file";
      o["file"] = std::move(file);
      return o;
    }
    t.fail(path + ".inlineData",
           "MIME type " + mime + " (only image/*, audio/wav, audio/mpeg and application/pdf)");
    return std::nullopt;
  }
  // fileData
  const std::string& uri = p.file_data->file_uri;
  const std::string& mime = p.file_data->mime_type;
  bool http = uri.rfind("https://", 0) == 0 || uri.rfind("http://", 0) == 0;
  if (http && (mime.empty() || mime.rfind("image/", 0) == 0)) {
    json::object url;
    url["url"] = js(uri);
    o["type"] = "image_url";
    o["image_url"] = std::move(url);
    return o;
  }
  t.fail(path + ".fileData", "only image URLs (http/https) have an equivalent");
  return std::nullopt;
}

/// Checks the part flags and payloads every translated part must not carry.
inline void check_part(translation& t, const part& p, const std::string& path) {
  if (p.executable_code) t.fail(path + ".executableCode", "code execution has no equivalent");
  if (p.code_execution_result)
    t.fail(path + ".codeExecutionResult", "code execution has no equivalent");
  if (p.video_metadata) t.fail(path + ".videoMetadata", "video has no equivalent");
  if (!p.extra.empty()) t.drop(path + " (unknown keys)");
}

inline void user_turn(translation& t, json::array& messages, const content& c, std::size_t turn) {
  id_namer ids;
  json::array parts;      // content parts, in order
  std::string text;       // concatenated text while only text is seen
  bool only_text = true;  // a plain string content is enough
  bool any = false;
  for (std::size_t i = 0; i < c.parts.size() && t.ok(); ++i) {
    const part& p = c.parts[i];
    std::string path = part_path(turn, i);
    check_part(t, p, path);
    if (p.function_response) {
      auto const& fr = *p.function_response;
      json::object m;
      m["role"] = "tool";
      m["tool_call_id"] = js(fr.id.empty() ? ids.next(fr.name) : fr.id);
      m["content"] = js(json::serialize(fr.response));
      messages.push_back(std::move(m));
      continue;
    }
    if (p.function_call) {
      t.fail(path + ".functionCall", "a function call belongs in a model turn");
      return;
    }
    if (p.text) {
      if (p.thought) continue;  // thoughts are not history in OpenAI chat
      any = true;
      text += *p.text;
      json::object tp;
      tp["type"] = "text";
      tp["text"] = js(*p.text);
      parts.push_back(std::move(tp));
      continue;
    }
    if (p.inline_data || p.file_data) {
      auto mp = media_part(t, p, path);
      if (!mp) return;
      any = true;
      only_text = false;
      parts.push_back(std::move(*mp));
      continue;
    }
    if (p.video_metadata || p.executable_code || p.code_execution_result) continue;  // failed
    t.drop(path + " (a part without a payload)");
  }
  if (!t.ok() || !any) return;
  json::object m;
  m["role"] = "user";
  if (only_text)
    m["content"] = js(text);
  else
    m["content"] = std::move(parts);
  messages.push_back(std::move(m));
}

inline void model_turn(translation& t, json::array& messages, const content& c, std::size_t turn) {
  id_namer ids;
  std::string text;
  json::array calls;
  for (std::size_t i = 0; i < c.parts.size() && t.ok(); ++i) {
    const part& p = c.parts[i];
    std::string path = part_path(turn, i);
    check_part(t, p, path);
    if (p.function_call) {
      auto const& fc = *p.function_call;
      json::object fn;
      fn["name"] = js(fc.name);
      fn["arguments"] = js(json::serialize(fc.args));
      json::object call;
      call["id"] = js(fc.id.empty() ? ids.next(fc.name) : fc.id);
      call["type"] = "function";
      call["function"] = std::move(fn);
      if (t.opt.thought_signatures && !p.thought_signature.empty()) {
        json::object google;
        google["thought_signature"] = js(p.thought_signature);
        json::object extra;
        extra["google"] = std::move(google);
        call["extra_content"] = std::move(extra);
      }
      calls.push_back(std::move(call));
      continue;
    }
    if (p.text) {
      if (!p.thought) text += *p.text;
      continue;
    }
    if (p.function_response) {
      t.fail(path + ".functionResponse", "a function response belongs in a user turn");
      return;
    }
    if (p.inline_data) t.fail(path + ".inlineData", "assistant messages carry no media");
    if (p.file_data) t.fail(path + ".fileData", "assistant messages carry no media");
  }
  if (!t.ok()) return;
  json::object m;
  m["role"] = "assistant";
  if (text.empty() && !calls.empty())
    m["content"] = nullptr;
  else
    m["content"] = js(text);
  if (!calls.empty()) m["tool_calls"] = std::move(calls);
  messages.push_back(std::move(m));
}

inline void system_message(translation& t, json::array& messages, const content& c) {
  std::string text;
  for (std::size_t i = 0; i < c.parts.size(); ++i) {
    const part& p = c.parts[i];
    std::string path = "systemInstruction.parts[" + std::to_string(i) + "]";
    if (!p.is_text_only()) {
      t.fail(path, "a system message holds text only");
      return;
    }
    if (!p.thought) text += *p.text;
  }
  json::object m;
  m["role"] = "system";
  m["content"] = js(text);
  messages.push_back(std::move(m));
}

inline void tools(translation& t, json::object& out, const generate_content_request& r) {
  std::vector<std::string> allowed;
  const function_calling_config* fcc = nullptr;
  if (r.tool_config) {
    if (r.tool_config->function_calling_config) fcc = &*r.tool_config->function_calling_config;
    if (r.tool_config->retrieval_config) t.drop("toolConfig.retrievalConfig");
    if (!r.tool_config->extra.empty()) t.drop("toolConfig (unknown keys)");
  }
  if (fcc) {
    allowed = fcc->allowed_function_names;
    if (!fcc->extra.empty()) t.drop("toolConfig.functionCallingConfig (unknown keys)");
  }
  json::array list;
  for (std::size_t i = 0; i < r.tools.size() && t.ok(); ++i) {
    const tool& tl = r.tools[i];
    std::string path = "tools[" + std::to_string(i) + "]";
    if (tl.google_search) t.fail(path + ".googleSearch", "built-in tools have no equivalent");
    if (tl.google_search_retrieval)
      t.fail(path + ".googleSearchRetrieval", "built-in tools have no equivalent");
    if (tl.code_execution) t.fail(path + ".codeExecution", "built-in tools have no equivalent");
    if (tl.url_context) t.fail(path + ".urlContext", "built-in tools have no equivalent");
    if (tl.google_maps) t.fail(path + ".googleMaps", "built-in tools have no equivalent");
    if (tl.file_search) t.fail(path + ".fileSearch", "built-in tools have no equivalent");
    if (tl.computer_use) t.fail(path + ".computerUse", "built-in tools have no equivalent");
    if (!tl.extra.empty()) t.fail(path + " (unknown tool keys)", "no equivalent");
    for (std::size_t j = 0; j < tl.function_declarations.size() && t.ok(); ++j) {
      const function_declaration& d = tl.function_declarations[j];
      std::string dpath = path + ".functionDeclarations[" + std::to_string(j) + "]";
      if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), d.name) == allowed.end())
        continue;
      json::object fn;
      fn["name"] = js(d.name);
      if (!d.description.empty()) fn["description"] = js(d.description);
      if (d.parameters_json_schema)
        fn["parameters"] = *d.parameters_json_schema;
      else if (d.parameters)
        fn["parameters"] = to_json_schema(*d.parameters);
      if (d.response || d.response_json_schema) t.drop(dpath + ".response");
      if (!d.behavior.empty()) t.drop(dpath + ".behavior");
      if (!d.extra.empty()) t.drop(dpath + " (unknown keys)");
      json::object entry;
      entry["type"] = "function";
      entry["function"] = std::move(fn);
      list.push_back(std::move(entry));
    }
  }
  if (!t.ok()) return;
  if (list.empty()) {
    if (!allowed.empty())
      t.fail("toolConfig.functionCallingConfig.allowedFunctionNames",
             "it names no declared function");
    return;  // tool_choice without tools is refused by OpenAI servers
  }
  const std::size_t n_tools = list.size();
  out["tools"] = std::move(list);
  if (!fcc) return;
  switch (fcc->mode.value()) {
    case function_calling_mode::auto_:
    case function_calling_mode::validated: out["tool_choice"] = "auto"; break;
    case function_calling_mode::any:
      if (allowed.size() == 1 && n_tools == 1) {
        json::object fn;
        fn["name"] = js(allowed.front());
        json::object choice;
        choice["type"] = "function";
        choice["function"] = std::move(fn);
        out["tool_choice"] = std::move(choice);
      } else {
        out["tool_choice"] = "required";
      }
      break;
    case function_calling_mode::none: out["tool_choice"] = "none"; break;
    case function_calling_mode::unspecified: break;
    default:
      t.fail("toolConfig.functionCallingConfig.mode",
             "unknown mode " + std::string(fcc->mode.str()));
      break;
  }
}

inline void generation(translation& t, json::object& out, const generation_config& g) {
  if (g.temperature) out["temperature"] = *g.temperature;
  if (g.top_p) out["top_p"] = *g.top_p;
  if (g.top_k) t.drop("generationConfig.topK");
  if (g.candidate_count) out["n"] = *g.candidate_count;
  if (g.max_output_tokens) out["max_tokens"] = *g.max_output_tokens;
  if (g.stop_sequences) {
    json::array stop;
    for (auto const& s : *g.stop_sequences) stop.emplace_back(js(s));
    out["stop"] = std::move(stop);
  }
  if (g.presence_penalty) out["presence_penalty"] = *g.presence_penalty;
  if (g.frequency_penalty) out["frequency_penalty"] = *g.frequency_penalty;
  if (g.seed) out["seed"] = *g.seed;
  if (g.response_logprobs) out["logprobs"] = *g.response_logprobs;
  if (g.logprobs) out["top_logprobs"] = *g.logprobs;

  std::string_view mime = g.response_mime_type ? std::string_view(*g.response_mime_type) : "";
  bool schema = g.response_schema || g.response_json_schema;
  if (mime == "text/x.enum") {
    t.fail("generationConfig.responseMimeType text/x.enum", "enum output has no equivalent");
  } else if (mime == "application/json" || schema) {
    json::object fmt;
    if (schema) {
      json::object js_schema;
      js_schema["name"] = "response";
      js_schema["schema"] =
          g.response_json_schema ? *g.response_json_schema : to_json_schema(*g.response_schema);
      fmt["type"] = "json_schema";
      fmt["json_schema"] = std::move(js_schema);
    } else {
      fmt["type"] = "json_object";
    }
    out["response_format"] = std::move(fmt);
  } else if (!mime.empty() && mime != "text/plain") {
    t.fail("generationConfig.responseMimeType " + std::string(mime), "no equivalent");
  }

  if (g.response_modalities) {
    for (auto const& m : *g.response_modalities)
      if (m != modality::text) {
        t.fail("generationConfig.responseModalities " + std::string(m.str()),
               "only text output is translated");
        break;
      }
  }
  if (g.media_resolution) t.drop("generationConfig.mediaResolution");
  if (g.speech_config) t.drop("generationConfig.speechConfig");
  if (g.image_config) t.drop("generationConfig.imageConfig");
  if (g.enable_enhanced_civic_answers) t.drop("generationConfig.enableEnhancedCivicAnswers");
  if (g.thinking_config) {
    if (auto e = reasoning_effort(*g.thinking_config)) out["reasoning_effort"] = js(*e);
    if (g.thinking_config->include_thoughts)
      t.drop("generationConfig.thinkingConfig.includeThoughts");
    if (!g.thinking_config->extra.empty()) t.drop("generationConfig.thinkingConfig (unknown keys)");
  }
  if (!g.extra.empty()) t.drop("generationConfig (unknown keys)");
}

}  // namespace detail

/// The chat completions request for `r` as a JSON object (see chat_request()). Useful to add
/// provider-specific keys before serializing.
inline result<boost::json::object> chat_request_json(const generate_content_request& r,
                                                     std::string_view model,
                                                     const request_options& opt) {
  namespace json = boost::json;
  detail::translation t{opt, std::nullopt};
  json::object out;
  out["model"] = detail::js(model);

  json::array messages;
  if (r.system_instruction) detail::system_message(t, messages, *r.system_instruction);
  for (std::size_t i = 0; i < r.contents.size() && t.ok(); ++i) {
    const content& c = r.contents[i];
    if (c.role == "model")
      detail::model_turn(t, messages, c, i);
    else if (c.role == "user" || c.role.empty() || c.role == "function")
      detail::user_turn(t, messages, c, i);
    else
      t.fail("contents[" + std::to_string(i) + "].role \"" + c.role + "\"",
             "only user and model turns exist");
    if (!c.extra.empty()) t.drop("contents[" + std::to_string(i) + "] (unknown keys)");
  }
  if (!t.ok()) return std::move(*t.err);
  out["messages"] = std::move(messages);

  detail::tools(t, out, r);
  if (!r.safety_settings.empty()) t.drop("safetySettings");
  if (!r.cached_content.empty())
    t.fail("cachedContent", "the cached prefix lives on the Gemini service");
  if (!r.service_tier.empty())
    out["service_tier"] =
        r.service_tier == "standard" ? json::string_view("default") : detail::js(r.service_tier);
  if (!r.extra.empty()) t.drop("request (unknown keys)");
  if (r.generation_config) detail::generation(t, out, *r.generation_config);
  if (!t.ok()) return std::move(*t.err);

  if (opt.stream) {
    out["stream"] = true;
    if (opt.include_usage) {
      json::object so;
      so["include_usage"] = true;
      out["stream_options"] = std::move(so);
    }
  }
  return out;
}

/// The body of `POST …/chat/completions` for `r` and `model` (sent as given; Gemini's endpoint
/// takes "gemini-2.5-flash"). errc::invalid_argument names the first field that cannot be
/// translated (in strict mode also the first dropped setting).
inline result<std::string> chat_request(const generate_content_request& r, std::string_view model,
                                        const request_options& opt) {
  auto o = chat_request_json(r, model, opt);
  if (!o) return std::move(o).error();
  return boost::json::serialize(*o);
}

/// The same with default options; `stream` adds `"stream": true` and
/// `"stream_options": {"include_usage": true}`.
inline result<std::string> chat_request(const generate_content_request& r, std::string_view model,
                                        bool stream) {
  request_options opt;
  opt.stream = stream;
  return chat_request(r, model, opt);
}

/// OpenAI finish_reason → Gemini finishReason: stop → STOP, length → MAX_TOKENS,
/// content_filter → SAFETY, tool_calls and function_call → STOP (what Gemini reports for
/// function calls). Any other value is kept verbatim (an upper-case Gemini name is recognised,
/// anything else compares as `unrecognized` and prints as sent).
inline finish_reason finish_reason_from_chat(std::string_view s) {
  if (s == "stop" || s == "tool_calls" || s == "function_call") return finish_reason::stop;
  if (s == "length") return finish_reason::max_tokens;
  if (s == "content_filter") return finish_reason::safety;
  return finish_reason::from_string(s);
}

namespace detail {

// ---- response model (read with the path-tracking reader) -----------------------------------

/// message.content: a string, null, or an array of {type: "text", text} parts (other part
/// types are ignored).
struct chat_text {
  std::string text;
  std::string refusal;  ///< array parts of type "refusal"
};

inline bool read_value(reader& r, const json::value& v, chat_text& out) {
  if (auto const* s = v.if_string()) {
    out.text.assign(s->data(), s->size());
    return true;
  }
  auto const* a = v.if_array();
  if (!a) return r.fail(v, "string, array or null");
  for (std::size_t i = 0; i < a->size(); ++i) {
    auto const* o = (*a)[i].if_object();
    if (!o) {
      r.fail((*a)[i], "object");
      r.note(i);
      return false;
    }
    auto const* type = o->if_contains("type");
    std::string_view ty = type && type->is_string() ? sv(type->get_string()) : "";
    std::string_view key = ty == "refusal" ? "refusal" : "text";
    if (ty != "text" && ty != "refusal" && !(ty.empty() && o->contains("text"))) continue;
    auto const* t = o->if_contains(key);
    if (!t || t->is_null()) continue;
    if (!t->is_string()) {
      r.fail(*t, "string");
      r.note(key);
      r.note(i);
      return false;
    }
    (ty == "refusal" ? out.refusal : out.text) += sv(t->get_string());
  }
  return true;
}

struct chat_function {
  std::string name;
  json::value arguments;  ///< a string (the standard), or an object (some servers)
};
struct chat_tool_call {
  std::optional<std::int64_t> index;  ///< streams only
  std::string id;
  chat_function function;
  std::string thought_signature;  ///< extra_content.google.thought_signature
};
struct chat_message {
  chat_text content;
  std::string reasoning;  ///< reasoning_content / reasoning (a common extension)
  std::string refusal;
  std::vector<chat_tool_call> tool_calls;
};
struct chat_choice {
  int index = 0;
  std::optional<chat_message> message;
  std::optional<chat_message> delta;
  std::string finish_reason;
};
struct chat_usage {
  std::int64_t prompt_tokens = 0;
  std::int64_t completion_tokens = 0;
  std::optional<std::int64_t> total_tokens;
  std::int64_t cached_tokens = 0;
  std::int64_t reasoning_tokens = 0;
};
struct chat_completion {
  std::string id;
  std::string model;
  std::vector<chat_choice> choices;
  std::optional<chat_usage> usage;
};

/// Calls `f(key, value)` for every member (unknown keys are ignored).
template <class F>
bool read_members(reader& r, const json::value& v, F&& f) {
  auto const* o = v.if_object();
  if (!o) return r.fail(v, "object");
  for (auto const& kv : *o) {
    f(sv(kv.key()), kv.value());
    if (!r.ok()) return false;
  }
  return true;
}

#define GEMINI_OPENAI_FIELD(wire_name, member) \
  if (k == wire_name) return static_cast<void>(r.field(k, x, member))

inline bool read_value(reader& r, const json::value& v, chat_function& out) {
  return read_members(r, v, [&](std::string_view k, const json::value& x) {
    GEMINI_OPENAI_FIELD("name", out.name);
    if (k == "arguments" && !x.is_null()) {
      if (!x.is_string() && !x.is_object()) {
        r.fail(x, "string");
        r.note(k);
        return;
      }
      out.arguments = x;
    }
  });
}
inline bool read_value(reader& r, const json::value& v, chat_tool_call& out) {
  return read_members(r, v, [&](std::string_view k, const json::value& x) {
    GEMINI_OPENAI_FIELD("index", out.index);
    GEMINI_OPENAI_FIELD("id", out.id);
    GEMINI_OPENAI_FIELD("function", out.function);
    if (k == "extra_content") {  // Gemini: {"google": {"thought_signature": "..."}}
      if (auto const* o = x.if_object())
        if (auto const* g = o->if_contains("google"); g && g->is_object())
          if (auto const* s = g->get_object().if_contains("thought_signature"); s && s->is_string())
            out.thought_signature = std::string(sv(s->get_string()));
    }
  });
}
inline bool read_value(reader& r, const json::value& v, chat_message& out) {
  return read_members(r, v, [&](std::string_view k, const json::value& x) {
    GEMINI_OPENAI_FIELD("content", out.content);
    if ((k == "reasoning_content" || k == "reasoning") && x.is_string())
      return static_cast<void>(out.reasoning += sv(x.get_string()));
    GEMINI_OPENAI_FIELD("refusal", out.refusal);
    GEMINI_OPENAI_FIELD("tool_calls", out.tool_calls);
  });
}
inline bool read_value(reader& r, const json::value& v, chat_choice& out) {
  return read_members(r, v, [&](std::string_view k, const json::value& x) {
    GEMINI_OPENAI_FIELD("index", out.index);
    GEMINI_OPENAI_FIELD("message", out.message);
    GEMINI_OPENAI_FIELD("delta", out.delta);
    GEMINI_OPENAI_FIELD("finish_reason", out.finish_reason);
  });
}
inline bool read_value(reader& r, const json::value& v, chat_usage& out) {
  return read_members(r, v, [&](std::string_view k, const json::value& x) {
    GEMINI_OPENAI_FIELD("prompt_tokens", out.prompt_tokens);
    GEMINI_OPENAI_FIELD("completion_tokens", out.completion_tokens);
    GEMINI_OPENAI_FIELD("total_tokens", out.total_tokens);
    if ((k == "prompt_tokens_details" || k == "completion_tokens_details") && !x.is_null()) {
      bool prompt = k == "prompt_tokens_details";
      bool good = read_members(r, x, [&](std::string_view k2, const json::value& y) {
        if (prompt && k2 == "cached_tokens") r.field(k2, y, out.cached_tokens);
        if (!prompt && k2 == "reasoning_tokens") r.field(k2, y, out.reasoning_tokens);
      });
      if (!good) r.note(k);
    }
  });
}
inline bool read_value(reader& r, const json::value& v, chat_completion& out) {
  return read_members(r, v, [&](std::string_view k, const json::value& x) {
    GEMINI_OPENAI_FIELD("id", out.id);
    GEMINI_OPENAI_FIELD("model", out.model);
    GEMINI_OPENAI_FIELD("choices", out.choices);
    GEMINI_OPENAI_FIELD("usage", out.usage);
  });
}

#undef GEMINI_OPENAI_FIELD

inline gemini::error malformed(std::string message) {
  return gemini::error(errc::malformed_response, std::move(message));
}

/// Reads a parsed body as a chat_completion; errc::malformed_response with the JSON path.
inline result<chat_completion> read_completion(const json::value& v) {
  reader r;
  chat_completion out;
  if (!read_value(r, v, out)) return malformed(r.take_error().message);
  return out;
}

/// A tool call's arguments as an object: "" and null give {}.
inline bool arguments_object(const json::value& a, json::object& out, std::string& why) {
  if (a.is_null()) return true;
  if (auto const* o = a.if_object()) {
    out = *o;
    return true;
  }
  std::string_view s = sv(a.get_string());
  if (wire::detail::trim(s).empty()) return true;
  alignas(std::max_align_t) unsigned char buf[2048];
  json::monotonic_resource mr(buf, sizeof buf);
  auto v = wire::parse_value(s, &mr);
  if (!v) {
    why = v.error().message;
    return false;
  }
  auto const* o = v->if_object();
  if (!o) {
    why = std::string("expected a JSON object, got ") + wire::detail::kind_name(*v);
    return false;
  }
  out = json::object(*o, json::storage_ptr());
  return true;
}

inline part call_part(std::string id, std::string name, json::object args, std::string sig) {
  part p;
  p.function_call = function_call{std::move(name), std::move(args), std::move(id), {}};
  p.thought_signature = std::move(sig);
  return p;
}

/// OpenAI usage → usageMetadata. OpenAI's completion_tokens includes reasoning tokens, Gemini's
/// candidatesTokenCount does not: candidates = completion − reasoning, so that
/// total = prompt + candidates + thoughts holds. A server that already reports completion
/// without reasoning (total = prompt + completion + reasoning) is recognised and kept as is.
inline usage_metadata to_usage(const chat_usage& u) {
  usage_metadata m;
  m.prompt_token_count = u.prompt_tokens;
  m.cached_content_token_count = u.cached_tokens;
  m.thoughts_token_count = u.reasoning_tokens;
  bool excludes = u.reasoning_tokens > 0 && u.total_tokens &&
                  *u.total_tokens == u.prompt_tokens + u.completion_tokens + u.reasoning_tokens;
  m.candidates_token_count =
      excludes ? u.completion_tokens
               : std::max<std::int64_t>(0, u.completion_tokens - u.reasoning_tokens);
  m.total_token_count =
      u.total_tokens ? *u.total_tokens
                     : m.prompt_token_count + m.candidates_token_count + m.thoughts_token_count;
  return m;
}

inline bool is_error_object(const json::value& v) {
  auto const* o = v.if_object();
  return o && o->contains("error") && !o->contains("choices");
}

inline std::string choice_path(std::size_t i) { return "$.choices[" + std::to_string(i) + "]"; }

}  // namespace detail

/// Builds a gemini::error from an OpenAI-compatible error response. Accepts
///  - OpenAI's `{"error": {"message", "type", "param", "code"}}` (code a string or null),
///  - Gemini's OpenAI endpoint: Google's shape wrapped in a list,
///    `[{"error": {"code": 400, "message", "status", "details"?}}]` (RetryInfo, QuotaFailure and
///    ErrorInfo are read as by parse_error_body),
///  - `{"error": "text"}`, unwrapped `{"object": "error", "message", "type", "code": 400}`
///    (vLLM-style), and bodies that are not JSON (the text becomes the message).
/// The code comes from the HTTP status as for Gemini (errc_from_http: 429 → rate_limited,
/// 401 → unauthenticated, 503 → unavailable, ...), refined by OpenAI's codes:
/// `insufficient_quota` → quota_exhausted, `invalid_api_key` → unauthenticated. `type` goes to
/// error::status (when there is no Google status), the string `code` to error::reason, `param`
/// to error::metadata. `http_status` 0 means an error event inside a 200 stream: the status
/// then comes from the body, or the code from `type` (server_error → internal, ...).
/// A "Please try again in 20s" / "in 350ms" in the message sets retry_delay when the body had
/// no RetryInfo; the `retry-after` header is the caller's (see parse_retry_after()).
inline gemini::error parse_chat_error(int http_status, std::string_view body) {
  namespace json = boost::json;
  gemini::error e = parse_error_body(http_status, body);
  std::string_view text = wire::detail::trim(body);
  const json::object* eo = nullptr;
  bool top_level = false;
  alignas(std::max_align_t) unsigned char buf[4096];
  json::monotonic_resource mr(buf, sizeof buf);
  json::storage_ptr sp(&mr);
  json::value parsed(sp);  // must outlive `eo`
  if (!text.empty() && (text.front() == '{' || text.front() == '[')) {
    if (auto v = parse_value(text, &mr)) {
      parsed = std::move(*v);
      const json::value* root = &parsed;
      if (auto const* a = root->if_array(); a && !a->empty()) root = &a->front();
      if (auto const* o = root->if_object()) {
        if (auto const* inner = o->if_contains("error"); inner && inner->is_object())
          eo = &inner->get_object();
        else if (!o->contains("error") && o->contains("message")) {
          eo = o;  // {"object": "error", "message", "type", "code"}
          top_level = true;
        }
      }
    }
  }
  std::string type, code;
  if (eo) {
    type = std::string(wire::detail::json_str(*eo, "type"));
    code = std::string(wire::detail::json_str(*eo, "code"));
    if (e.message.empty() || top_level)
      if (auto m = wire::detail::json_str(*eo, "message"); !m.empty()) e.message = std::string(m);
    if (auto const* c = eo->if_contains("code"); c && e.http_status == 0) {
      if (c->is_int64()) e.http_status = static_cast<int>(c->get_int64());
      if (c->is_uint64()) e.http_status = static_cast<int>(c->get_uint64());
    }
    if (auto const* p = eo->if_contains("param"); p && p->is_string())
      e.metadata.emplace_back("param", std::string(p->get_string()));
    if (e.status.empty()) e.status = type;
    if (e.reason.empty()) e.reason = code;
  }
  if (http_status != 0) e.http_status = http_status;

  errc ec = errc_from_http(e.http_status, e.status, e.per_day_quota(), e.reason);
  if (code == "insufficient_quota" || type == "insufficient_quota") {
    ec = errc::quota_exhausted;
  } else if (code == "invalid_api_key" || type == "authentication_error") {
    ec = errc::unauthenticated;
  } else if (ec == errc::unknown && e.http_status == 0) {
    if (code == "rate_limit_exceeded" || type == "rate_limit_error" || type == "requests" ||
        type == "tokens")
      ec = errc::rate_limited;
    else if (type == "server_error" || type == "api_error")
      ec = errc::internal;
    else if (type == "overloaded_error")
      ec = errc::unavailable;
    else if (type == "invalid_request_error")
      ec = errc::invalid_argument;
  }
  e.code = make_error_code(ec);

  if (!e.retry_delay) e.retry_delay = wire::detail::retry_hint(e.message);
  return e;
}

/// The value of a `retry-after` (or `retry-after-ms` when `milliseconds`) header: delta
/// seconds, possibly fractional ("20", "1.5"), rounded up to whole milliseconds and clamped to
/// gemini::max_server_delay. An HTTP-date or anything else gives nullopt (wire::apply_retry_after
/// reads HTTP-dates too).
inline std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value,
                                                                  bool milliseconds = false) {
  value = wire::detail::trim(value);
  if (value.empty()) return std::nullopt;
  return wire::detail::decimal_delay(value, milliseconds ? 1 : 1000);
}

/// Translates a chat completion (`"object": "chat.completion"`) into a
/// GenerateContentResponse: choices → candidates (index; content → a text part; reasoning_content
/// → a thought part before it; tool_calls → functionCall parts with the arguments parsed and
/// the id kept; Gemini's extra_content.google.thought_signature → thoughtSignature), finish_reason
/// via finish_reason_from_chat(), a refusal → finishMessage (and SAFETY when there is no
/// content), usage → usageMetadata (see docs/openai-compat.md), model → modelVersion,
/// id → responseId. errc::malformed_response for JSON that does not parse (byte offset), a field
/// of the wrong type or tool call arguments that are not a JSON object (JSON path). A body that
/// is an error object gives that error (parse_chat_error(0, body)).
inline result<generate_content_response> parse_chat_response(std::string_view body) {
  namespace json = boost::json;
  alignas(std::max_align_t) unsigned char buf[8192];
  json::monotonic_resource mr(buf, sizeof buf);
  auto v = parse_value(body, &mr);
  if (!v) return detail::malformed(v.error().message);
  if (detail::is_error_object(*v)) return parse_chat_error(0, body);
  auto c = detail::read_completion(*v);
  if (!c) return std::move(c).error();

  generate_content_response out;
  out.response_id = std::move(c->id);
  out.model_version = std::move(c->model);
  if (c->usage) out.usage = detail::to_usage(*c->usage);
  for (std::size_t i = 0; i < c->choices.size(); ++i) {
    auto& ch = c->choices[i];
    candidate cand;
    cand.index = ch.index;
    if (!ch.finish_reason.empty()) cand.finish_reason = finish_reason_from_chat(ch.finish_reason);
    detail::chat_message* m = ch.message ? &*ch.message : ch.delta ? &*ch.delta : nullptr;
    if (m) {
      content ct;
      ct.role = "model";
      if (!m->reasoning.empty()) {
        ct.parts.push_back(part::from_text(std::move(m->reasoning)));
        ct.parts.back().thought = true;
      }
      if (!m->content.text.empty()) ct.parts.push_back(part::from_text(std::move(m->content.text)));
      for (std::size_t j = 0; j < m->tool_calls.size(); ++j) {
        auto& tc = m->tool_calls[j];
        json::object args;
        std::string why;
        if (!detail::arguments_object(tc.function.arguments, args, why))
          return detail::malformed(detail::choice_path(i) + ".message.tool_calls[" +
                                   std::to_string(j) + "].function.arguments: " + why);
        ct.parts.push_back(detail::call_part(std::move(tc.id), std::move(tc.function.name),
                                             std::move(args), std::move(tc.thought_signature)));
      }
      std::string refusal = std::move(m->refusal);
      refusal += m->content.refusal;
      if (!refusal.empty()) {
        cand.finish_message = std::move(refusal);
        if (ct.parts.empty()) cand.finish_reason = finish_reason::safety;
      }
      if (!ct.parts.empty()) cand.content = std::move(ct);
    }
    out.candidates.push_back(std::move(cand));
  }
  return out;
}

/// Translates a `chat.completion.chunk` stream event by event into GenerateContentResponse
/// chunks that a wire::response_accumulator merges into the whole answer.
///
///  - A text delta becomes a text part (reasoning_content deltas: thought parts), so the
///    accumulated text is the whole text.
///  - Tool call deltas are accumulated per choice and tool index (OpenAI streams a call's id and
///    name first and its `arguments` JSON in pieces); the functionCall parts are emitted, in
///    tool index order, in the chunk that carries the choice's finish_reason (or at [DONE] if
///    none came), with the arguments parsed.
///  - finish_reason → finishReason (finish_reason_from_chat()).
///  - The usage chunk (`"choices": []` with usage, sent last with stream_options.include_usage)
///    becomes a chunk with usageMetadata only; OpenAI sends no other usage in a stream.
///  - `[DONE]` ends the stream (done()); later events are ignored.
///  - An error event (`{"error": {...}}`) gives that error (parse_chat_error(0, data)).
///
/// Thread safety: none (one translator per stream). reset() makes it reusable.
class chunk_translator {
 public:
  /// One SSE event's data (wire::sse_event::data). Returns the chunk to deliver, or nullopt
  /// when the event carried nothing to deliver (a role-only delta, a tool call piece, [DONE]
  /// with nothing pending). Errors: errc::malformed_response (bad JSON, wrong types, tool call
  /// arguments that are not a JSON object), or the error an error event reports.
  result<std::optional<generate_content_response>> translate(std::string_view data) {
    namespace json = boost::json;
    using out_t = std::optional<generate_content_response>;
    std::string_view d = wire::detail::trim(data);
    if (d == "[DONE]") {
      if (done_) return out_t{};
      done_ = true;
      generate_content_response r;
      for (auto& st : choices_) {
        if (st.finished || st.calls.empty()) continue;
        candidate cand;
        cand.index = st.index;
        content ct;
        ct.role = "model";
        if (auto e = flush(st, ct.parts)) return std::move(*e);
        cand.content = std::move(ct);
        r.candidates.push_back(std::move(cand));
      }
      if (r.candidates.empty()) return out_t{};
      r.model_version = model_;
      r.response_id = id_;
      return out_t{std::move(r)};
    }
    if (done_ || d.empty()) return out_t{};

    alignas(std::max_align_t) unsigned char buf[4096];
    json::monotonic_resource mr(buf, sizeof buf);
    auto v = parse_value(d, &mr);
    if (!v) return detail::malformed("stream event: " + v.error().message);
    if (detail::is_error_object(*v)) return parse_chat_error(0, d);
    auto c = detail::read_completion(*v);
    if (!c) {
      auto e = std::move(c).error();
      e.message = "stream event: " + e.message;
      return e;
    }
    if (!c->id.empty()) id_ = c->id;
    if (!c->model.empty()) model_ = c->model;

    generate_content_response r;
    for (std::size_t i = 0; i < c->choices.size(); ++i) {
      auto& ch = c->choices[i];
      detail::chat_message* m = ch.delta ? &*ch.delta : ch.message ? &*ch.message : nullptr;
      choice_state& st = state(ch.index);
      content ct;
      ct.role = "model";
      if (m) {
        if (!m->reasoning.empty()) {
          ct.parts.push_back(part::from_text(std::move(m->reasoning)));
          ct.parts.back().thought = true;
        }
        if (!m->content.text.empty())
          ct.parts.push_back(part::from_text(std::move(m->content.text)));
        st.refusal += m->refusal;
        st.refusal += m->content.refusal;
        for (std::size_t j = 0; j < m->tool_calls.size(); ++j) {
          auto& tc = m->tool_calls[j];
          // Without `index` (some servers): a delta with an id starts a call, one without
          // continues the last call.
          std::size_t k = st.calls.size();
          if (tc.index)
            k = static_cast<std::size_t>(std::max<std::int64_t>(0, *tc.index));
          else if (tc.id.empty() && k > 0)
            --k;
          if (k > 1024) return detail::malformed("stream event: tool call index out of range");
          if (st.calls.size() <= k) st.calls.resize(k + 1);
          pending_call& pc = st.calls[k];
          pc.seen = true;
          if (!tc.id.empty()) pc.id = std::move(tc.id);
          if (!tc.function.name.empty()) pc.name = std::move(tc.function.name);
          if (!tc.thought_signature.empty()) pc.signature = std::move(tc.thought_signature);
          if (auto const* s = tc.function.arguments.if_string())
            pc.arguments += detail::sv(*s);
          else if (tc.function.arguments.is_object())
            pc.arguments = json::serialize(tc.function.arguments);
        }
      }
      candidate cand;
      cand.index = ch.index;
      if (!ch.finish_reason.empty() && !st.finished) {
        st.finished = true;
        cand.finish_reason = finish_reason_from_chat(ch.finish_reason);
        if (auto e = flush(st, ct.parts)) return std::move(*e);
        if (!st.refusal.empty()) {
          cand.finish_message = std::move(st.refusal);
          if (ct.parts.empty() && !st.had_content) cand.finish_reason = finish_reason::safety;
        }
      }
      if (!ct.parts.empty()) st.had_content = true;
      if (ct.parts.empty() && !cand.finish_reason.has_value()) continue;
      if (!ct.parts.empty()) cand.content = std::move(ct);
      r.candidates.push_back(std::move(cand));
    }
    if (c->usage) r.usage = detail::to_usage(*c->usage);
    if (r.candidates.empty() && r.usage.empty()) return out_t{};
    r.model_version = model_;
    r.response_id = id_;
    return out_t{std::move(r)};
  }

  /// True once `[DONE]` was seen.
  bool done() const noexcept { return done_; }

  /// True when every choice seen so far got a finish_reason (and at least one was seen).
  bool finished() const noexcept {
    if (choices_.empty()) return false;
    for (auto const& st : choices_)
      if (!st.finished) return false;
    return true;
  }

  /// At the end of the byte stream: errc::truncated_stream unless finished(). `[DONE]` is not
  /// required (some servers omit it), a finish_reason for every choice is.
  result<void> finish() const {
    if (finished()) return {};
    return result<void>(errc::truncated_stream,
                        done_ ? "OpenAI stream ended with [DONE] but without a finish_reason"
                              : "OpenAI stream ended without a finish_reason");
  }

  /// Forgets everything (for the next stream).
  void reset() {
    choices_.clear();
    id_.clear();
    model_.clear();
    done_ = false;
  }

 private:
  struct pending_call {
    std::string id;
    std::string name;
    std::string arguments;
    std::string signature;
    bool seen = false;
  };
  struct choice_state {
    int index = 0;
    std::vector<pending_call> calls;
    std::string refusal;
    bool finished = false;
    bool had_content = false;
  };

  choice_state& state(int index) {
    for (auto& st : choices_)
      if (st.index == index) return st;
    choices_.emplace_back();
    choices_.back().index = index;
    return choices_.back();
  }

  /// Moves the complete tool calls of `st` into `parts`.
  std::optional<gemini::error> flush(choice_state& st, std::vector<part>& parts) {
    namespace json = boost::json;
    for (std::size_t k = 0; k < st.calls.size(); ++k) {
      pending_call& pc = st.calls[k];
      if (!pc.seen) continue;
      json::object args;
      std::string why;
      json::value raw(json::string_view(pc.arguments.data(), pc.arguments.size()));
      if (!detail::arguments_object(raw, args, why))
        return detail::malformed("stream: choice " + std::to_string(st.index) + " tool call " +
                                 std::to_string(k) + " (" + pc.name +
                                 ") arguments are not a JSON object: " + why);
      parts.push_back(detail::call_part(std::move(pc.id), std::move(pc.name), std::move(args),
                                        std::move(pc.signature)));
    }
    st.calls.clear();
    return std::nullopt;
  }

  std::vector<choice_state> choices_;
  std::string id_;
  std::string model_;
  bool done_ = false;
};

}  // namespace openai
}  // namespace wire
}  // namespace v1
}  // namespace gemini
