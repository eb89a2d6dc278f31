// gemini-cxx — emulator internals: the OpenAI-compatible chat completions endpoint
// (`POST /v1beta/openai/chat/completions`, `POST /v1/chat/completions`) as pure JSON work:
// a chat request becomes the equivalent GenerateContentRequest (so that the answer, the token
// counts and the faults are exactly those of generateContent), and an answer becomes a
// chat.completion body or a chat.completion.chunk stream. Deliberately independent of
// gemini/wire/openai.hpp: the emulator is the other side of the wire that code is tested
// against. Not part of the public API.
#pragma once

#include <gemini/testing/detail/emulator_format.hpp>

#include <boost/json.hpp>

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
namespace testing {
namespace detail {

/// Which server the endpoint imitates: Gemini's OpenAI compatibility layer (errors in Google's
/// shape wrapped in a list) or a generic OpenAI-compatible server (OpenAI's error shape).
enum class chat_flavor { gemini, openai };

/// A chat request, understood.
struct chat_request_info {
  std::string model;  ///< "models/" prefix removed
  bool stream = false;
  bool include_usage = false;
  json::object gemini;  ///< the equivalent GenerateContentRequest
  std::string error;    ///< non-empty: the request is invalid (400) with this message
  std::string param;    ///< the offending parameter, for OpenAI's `param`
};

inline std::string_view chat_str(const json::object& o, std::string_view key) {
  if (auto const* v = o.if_contains(key); v != nullptr && v->is_string())
    return {v->get_string().data(), v->get_string().size()};
  return {};
}

/// `data:<mime>;base64,<data>` → (mime, data).
inline bool chat_data_url(std::string_view url, std::string& mime, std::string& data) {
  if (url.substr(0, 5) != "data:") return false;
  auto semi = url.find(";base64,");
  if (semi == std::string_view::npos) return false;
  mime = std::string(url.substr(5, semi - 5));
  data = std::string(url.substr(semi + 8));
  return true;
}

inline json::object chat_inline(std::string mime, std::string data) {
  json::object d;
  d["mimeType"] = std::move(mime);
  d["data"] = std::move(data);
  json::object p;
  p["inlineData"] = std::move(d);
  return p;
}

inline json::object chat_text_part(std::string_view text) {
  json::object p;
  p["text"] = text;
  return p;
}

/// message.content → Gemini parts; false (and `err`) for a content part the emulator refuses.
inline bool chat_content_parts(const json::value& c, json::array& parts, std::string& err) {
  if (c.is_null()) return true;
  if (c.is_string()) {
    parts.push_back(chat_text_part(c.get_string()));
    return true;
  }
  if (!c.is_array()) {
    err = "Invalid type for 'content': expected a string, an array or null.";
    return false;
  }
  for (auto const& e : c.get_array()) {
    auto const* o = e.if_object();
    if (o == nullptr) {
      err = "Invalid content part: expected an object.";
      return false;
    }
    std::string_view type = chat_str(*o, "type");
    if (type == "text") {
      parts.push_back(chat_text_part(chat_str(*o, "text")));
    } else if (type == "image_url") {
      std::string_view url;
      if (auto const* iu = o->if_contains("image_url"); iu != nullptr) {
        if (iu->is_string()) url = {iu->get_string().data(), iu->get_string().size()};
        if (iu->is_object()) url = chat_str(iu->get_object(), "url");
      }
      std::string mime, data;
      if (chat_data_url(url, mime, data)) {
        parts.push_back(chat_inline(std::move(mime), std::move(data)));
      } else if (!url.empty()) {
        json::object fd;
        fd["fileUri"] = url;
        json::object p;
        p["fileData"] = std::move(fd);
        parts.push_back(std::move(p));
      } else {
        err = "Invalid image_url: a url is required.";
        return false;
      }
    } else if (type == "input_audio") {
      auto const* ia = o->if_contains("input_audio");
      if (ia == nullptr || !ia->is_object()) {
        err = "Invalid input_audio: an object is required.";
        return false;
      }
      std::string_view format = chat_str(ia->get_object(), "format");
      parts.push_back(chat_inline(format == "mp3" ? "audio/mp3" : "audio/wav",
                                  std::string(chat_str(ia->get_object(), "data"))));
    } else if (type == "file") {
      auto const* f = o->if_contains("file");
      std::string mime, data;
      if (f == nullptr || !f->is_object() ||
          !chat_data_url(chat_str(f->get_object(), "file_data"), mime, data)) {
        err = "Invalid file part: file.file_data must be a data URL.";
        return false;
      }
      parts.push_back(chat_inline(std::move(mime), std::move(data)));
    } else {
      err = "Invalid content part type: '" + std::string(type) + "'.";
      return false;
    }
  }
  return true;
}

/// reasoning_effort → thinkingBudget (the budgets Gemini's compatibility docs give); nullopt
/// for a value the flavor refuses. Gemini's layer refuses "minimal" (observed 2026).
inline std::optional<std::int64_t> chat_effort_budget(std::string_view e, chat_flavor fl) {
  if (e == "none") return 0;
  if (e == "minimal" && fl == chat_flavor::openai) return 512;
  if (e == "low") return 1024;
  if (e == "medium") return 8192;
  if (e == "high") return 24576;
  return std::nullopt;
}

/// The GenerateContentRequest a chat request stands for. Key order follows what a Gemini client
/// sends (`{"role": …, "parts": [{"text": …}]}`), so that the same prompt hashes to the same
/// answer as on generateContent.
inline chat_request_info chat_to_gemini(const json::object& body, chat_flavor fl) {
  chat_request_info out;
  auto fail = [&out](std::string msg, std::string param) {
    out.error = std::move(msg);
    out.param = std::move(param);
    return out;
  };
  std::string_view model = chat_str(body, "model");
  if (model.empty()) return fail("you must provide a model parameter", "model");
  if (model.substr(0, 7) == "models/") model.remove_prefix(7);
  out.model = std::string(model);
  if (auto const* s = body.if_contains("stream"); s != nullptr && s->is_bool())
    out.stream = s->get_bool();
  if (auto const* so = body.if_contains("stream_options"); so != nullptr && so->is_object())
    if (auto const* iu = so->get_object().if_contains("include_usage");
        iu != nullptr && iu->is_bool())
      out.include_usage = iu->get_bool();

  auto const* msgs = body.if_contains("messages");
  if (msgs == nullptr || !msgs->is_array() || msgs->get_array().empty())
    return fail("'messages' must be a non-empty array", "messages");

  json::array contents;
  json::array system_parts;
  std::map<std::string, std::string> call_names;  // tool call id → function name
  json::array tool_turn;                          // functionResponse parts being collected
  auto flush_tools = [&] {
    if (tool_turn.empty()) return;
    json::object c;
    c["role"] = "user";
    c["parts"] = std::move(tool_turn);
    contents.push_back(std::move(c));
    tool_turn = json::array();
  };
  std::size_t index = 0;
  for (auto const& mv : msgs->get_array()) {
    std::string where = "messages[" + std::to_string(index++) + "]";
    auto const* m = mv.if_object();
    if (m == nullptr) return fail("Invalid message: expected an object.", where);
    std::string_view role = chat_str(*m, "role");
    const json::value null_value;
    auto const* content = m->if_contains("content");
    if (content == nullptr) content = &null_value;
    std::string err;
    if (role == "system" || role == "developer") {
      json::array parts;
      if (!chat_content_parts(*content, parts, err)) return fail(err, where + ".content");
      std::string text;
      for (auto const& p : parts)
        if (auto const* t = p.get_object().if_contains("text"))
          text += std::string_view(t->get_string().data(), t->get_string().size());
      system_parts.push_back(chat_text_part(text));
      continue;
    }
    if (role == "tool" || role == "function") {
      std::string id(chat_str(*m, role == "tool" ? "tool_call_id" : "name"));
      std::string name = role == "tool" ? (call_names.count(id) ? call_names[id] : id) : id;
      std::string text;
      if (content->is_string())
        text.assign(content->get_string().data(), content->get_string().size());
      json::object response;
      boost::system::error_code ec;
      json::value parsed = json::parse(text, ec);
      if (!ec && parsed.is_object())
        response = std::move(parsed.get_object());
      else
        response["content"] = text;
      json::object fr;
      if (role == "tool") fr["id"] = id;
      fr["name"] = name;
      fr["response"] = std::move(response);
      json::object p;
      p["functionResponse"] = std::move(fr);
      tool_turn.push_back(std::move(p));
      continue;
    }
    flush_tools();
    json::array parts;
    if (role == "user") {
      if (!chat_content_parts(*content, parts, err)) return fail(err, where + ".content");
      if (parts.empty()) return fail("a user message needs content", where + ".content");
    } else if (role == "assistant") {
      if (!chat_content_parts(*content, parts, err)) return fail(err, where + ".content");
      if (auto const* tcs = m->if_contains("tool_calls"); tcs != nullptr && tcs->is_array()) {
        for (auto const& tcv : tcs->get_array()) {
          auto const* tc = tcv.if_object();
          auto const* fn = tc ? tc->if_contains("function") : nullptr;
          if (fn == nullptr || !fn->is_object())
            return fail("Invalid tool call: a function is required.", where + ".tool_calls");
          std::string id(chat_str(*tc, "id"));
          std::string name(chat_str(fn->get_object(), "name"));
          json::object args;
          std::string_view a = chat_str(fn->get_object(), "arguments");
          if (!a.empty()) {
            boost::system::error_code ec;
            json::value parsed = json::parse(a, ec);
            if (ec || !parsed.is_object())
              return fail("Invalid tool call arguments: not a JSON object.", where + ".tool_calls");
            args = std::move(parsed.get_object());
          }
          call_names[id] = name;
          json::object call;
          if (!id.empty()) call["id"] = id;
          call["name"] = name;
          call["args"] = std::move(args);
          json::object p;
          p["functionCall"] = std::move(call);
          parts.push_back(std::move(p));
        }
      }
      if (parts.empty()) parts.push_back(chat_text_part(""));
    } else {
      return fail("Invalid role: '" + std::string(role) + "'.", where + ".role");
    }
    json::object c;
    c["role"] = role == "assistant" ? "model" : "user";
    c["parts"] = std::move(parts);
    contents.push_back(std::move(c));
  }
  flush_tools();

  json::object g;
  g["contents"] = std::move(contents);
  if (!system_parts.empty()) {
    json::object si;
    si["parts"] = std::move(system_parts);
    g["systemInstruction"] = std::move(si);
  }
  if (auto const* tools = body.if_contains("tools"); tools != nullptr && tools->is_array()) {
    json::array decls;
    for (auto const& t : tools->get_array())
      if (auto const* to = t.if_object())
        if (auto const* fn = to->if_contains("function"); fn != nullptr && fn->is_object())
          decls.push_back(fn->get_object());
    if (!decls.empty()) {
      json::object tool;
      tool["functionDeclarations"] = std::move(decls);
      json::array ts;
      ts.push_back(std::move(tool));
      g["tools"] = std::move(ts);
    }
  }
  json::object cfg;
  for (auto key : {"max_completion_tokens", "max_tokens"})
    if (auto const* v = body.if_contains(key); v != nullptr && v->is_number()) {
      cfg["maxOutputTokens"] = *v;
      break;
    }
  if (auto const* n = body.if_contains("n"); n != nullptr && n->is_number())
    cfg["candidateCount"] = *n;
  if (auto const* e = body.if_contains("reasoning_effort"); e != nullptr && !e->is_null()) {
    std::string_view effort =
        e->is_string() ? std::string_view(e->get_string().data(), e->get_string().size()) : "";
    auto budget = chat_effort_budget(effort, fl);
    if (!budget)
      return fail("Invalid reasoning_effort: " + std::string(effort) +
                      ". Valid values are: high, low, medium, none",
                  "reasoning_effort");
    json::object tc;
    tc["thinkingBudget"] = *budget;
    cfg["thinkingConfig"] = std::move(tc);
  }
  if (!cfg.empty()) g["generationConfig"] = std::move(cfg);
  out.gemini = std::move(g);
  return out;
}

/// What the emulator answers, in chat terms.
struct chat_answer {
  std::string id;  ///< "chatcmpl-…"
  std::string model;
  std::int64_t created = 0;
  std::vector<std::string> pieces;        ///< answer deltas; concatenated = the text
  std::vector<std::size_t> piece_tokens;  ///< per_token latency weight of each piece
  bool content_null = false;              ///< message.content null (blocked, filtered)
  std::string finish;                     ///< "stop", "length", "content_filter"
  std::size_t prompt_tokens = 0;
  std::size_t candidates_tokens = 0;  ///< visible answer
  std::size_t thoughts_tokens = 0;    ///< reported as completion_tokens_details.reasoning_tokens
};

/// OpenAI usage: completion_tokens includes the reasoning tokens.
inline json::object chat_usage_json(const chat_answer& a) {
  json::object u;
  std::size_t completion = a.candidates_tokens + a.thoughts_tokens;
  u["prompt_tokens"] = a.prompt_tokens;
  u["completion_tokens"] = completion;
  u["total_tokens"] = a.prompt_tokens + completion;
  json::object pd;
  pd["cached_tokens"] = 0;
  u["prompt_tokens_details"] = std::move(pd);
  json::object cd;
  cd["reasoning_tokens"] = a.thoughts_tokens;
  u["completion_tokens_details"] = std::move(cd);
  return u;
}

/// The chat.completion body (pretty-printed, as OpenAI's are).
inline std::string chat_unary_body(const chat_answer& a) {
  std::string text;
  for (auto const& p : a.pieces) text += p;
  json::object msg;
  msg["role"] = "assistant";
  if (a.content_null)
    msg["content"] = nullptr;
  else
    msg["content"] = text;
  msg["refusal"] = nullptr;
  json::object choice;
  choice["index"] = 0;
  choice["message"] = std::move(msg);
  choice["logprobs"] = nullptr;
  choice["finish_reason"] = a.finish;
  json::array choices;
  choices.push_back(std::move(choice));
  json::object r;
  r["id"] = a.id;
  r["object"] = "chat.completion";
  r["created"] = a.created;
  r["model"] = a.model;
  r["choices"] = std::move(choices);
  r["usage"] = chat_usage_json(a);
  return pretty(r);
}

/// The SSE events of a streamed answer: a role-only delta, one delta per piece, an empty
/// delta with the finish_reason, the usage chunk (`"choices": []`, with include_usage), and
/// `data: [DONE]`. Each event is `data: ` + compact JSON + a blank line (`\n\n`). Returns
/// (event, per_token weight) pairs; the finish event is at index 1 + pieces.size().
inline std::vector<std::pair<std::string, std::size_t>> chat_stream_events(const chat_answer& a,
                                                                           bool include_usage) {
  auto chunk = [&](json::object delta, json::value finish) {
    json::object choice;
    choice["index"] = 0;
    choice["delta"] = std::move(delta);
    choice["logprobs"] = nullptr;
    choice["finish_reason"] = std::move(finish);
    json::array choices;
    choices.push_back(std::move(choice));
    json::object r;
    r["id"] = a.id;
    r["object"] = "chat.completion.chunk";
    r["created"] = a.created;
    r["model"] = a.model;
    r["choices"] = std::move(choices);
    if (include_usage) r["usage"] = nullptr;
    return "data: " + json::serialize(r) + "\n\n";
  };
  std::vector<std::pair<std::string, std::size_t>> ev;
  json::object role;
  role["role"] = "assistant";
  role["content"] = "";
  ev.emplace_back(chunk(std::move(role), nullptr), 0);
  for (std::size_t i = 0; i < a.pieces.size(); ++i) {
    json::object d;
    d["content"] = a.pieces[i];
    ev.emplace_back(chunk(std::move(d), nullptr),
                    i < a.piece_tokens.size() ? a.piece_tokens[i] : 0);
  }
  ev.emplace_back(chunk(json::object(), json::value(a.finish)), 0);
  if (include_usage) {
    json::object r;
    r["id"] = a.id;
    r["object"] = "chat.completion.chunk";
    r["created"] = a.created;
    r["model"] = a.model;
    r["choices"] = json::array();
    r["usage"] = chat_usage_json(a);
    ev.emplace_back("data: " + json::serialize(r) + "\n\n", 0);
  }
  ev.emplace_back("data: [DONE]\n\n", 0);
  return ev;
}

/// OpenAI's error body: `{"error": {"message", "type", "param", "code"}}` (null when absent).
inline std::string openai_error_body(std::string_view message, std::string_view type,
                                     std::string_view code, std::string_view param) {
  json::object e;
  e["message"] = message;
  e["type"] = type;
  if (param.empty())
    e["param"] = nullptr;
  else
    e["param"] = param;
  if (code.empty())
    e["code"] = nullptr;
  else
    e["code"] = code;
  json::object body;
  body["error"] = std::move(e);
  return pretty(body);
}

/// "te…ey": how OpenAI echoes a wrong key.
inline std::string chat_mask_key(std::string_view key) {
  if (key.size() <= 4) return "****";
  return std::string(key.substr(0, 2)) + "****" + std::string(key.substr(key.size() - 2));
}

}  // namespace detail
}  // namespace testing
}  // namespace v1
}  // namespace gemini
