// gemini-cxx — emulator internals: the Gemini REST semantics without any I/O.
// A request (verb, target, key, body) becomes a `reply` plan that the network layer
// in testing/emulator.hpp executes (status, headers, body or streamed chunks, faults).
// Not part of the public API.
#pragma once

#include <gemini/testing/detail/emulator_format.hpp>
#include <gemini/testing/detail/emulator_openai.hpp>
#include <gemini/testing/detail/emulator_options.hpp>

#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <ctime>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace gemini {
inline namespace v1 {
namespace testing {
namespace detail {

/// What the network layer must do.
struct reply {
  enum class mode {
    full,      ///< status + headers + body (Content-Length)
    stream,    ///< status + headers, then `chunks` with chunked encoding
    reset,     ///< reset the connection, answer nothing
    stall,     ///< answer nothing until the peer closes or the emulator stops
    cut_body,  ///< headers announcing the whole body, half of it, then close
  };
  mode kind = mode::full;
  unsigned status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::vector<std::string> chunks;
  std::vector<std::size_t> chunk_tokens;  ///< per_token latency weight of each chunk
  std::size_t tokens = 0;                 ///< per_token weight of a full body
  bool truncate = false;                  ///< stream: close after chunks, no last-chunk
  latency_options latency{};              ///< as set when the request was read
};

enum class endpoint : int {
  generate = 0,
  stream = 1,
  count_tokens = 2,
  embed = 3,
  batch_embed = 4,
  list_models = 5,
  get_model = 6,
  other = 7,
  chat = 8,         ///< POST …/chat/completions without "stream": true
  chat_stream = 9,  ///< POST …/chat/completions with "stream": true
  cached_create = 10,
  cached_get = 11,
  cached_list = 12,
  cached_patch = 13,
  cached_delete = 14,
};
inline constexpr std::array<std::string_view, 15> endpoint_names = {"generateContent",
                                                                    "streamGenerateContent",
                                                                    "countTokens",
                                                                    "embedContent",
                                                                    "batchEmbedContents",
                                                                    "models.list",
                                                                    "models.get",
                                                                    "other",
                                                                    "chat.completions",
                                                                    "chat.completions.stream",
                                                                    "cachedContents.create",
                                                                    "cachedContents.get",
                                                                    "cachedContents.list",
                                                                    "cachedContents.patch",
                                                                    "cachedContents.delete"};

struct model_info {
  std::string id;
  std::string version;
  std::string display_name;
  std::string description;
  std::int64_t input_limit;
  std::int64_t output_limit;
  std::vector<std::string> methods;
  bool embedding = false;
  bool thinking = false;
  std::string model_version;  ///< what responses report (aliases resolve)
};

inline const std::vector<model_info>& catalogue() {
  static const std::vector<model_info> models = [] {
    std::vector<std::string> gen = {"generateContent", "countTokens", "createCachedContent",
                                    "batchGenerateContent"};
    std::vector<model_info> m;
    m.push_back({"gemini-2.5-flash", "001", "Gemini 2.5 Flash",
                 "Stable version of Gemini 2.5 Flash, our mid-size multimodal model that "
                 "supports up to 1 million tokens, released in June of 2025.",
                 1048576, 65536, gen, false, true, "gemini-2.5-flash"});
    m.push_back({"gemini-2.5-pro", "2.5", "Gemini 2.5 Pro",
                 "Stable release (June 17th, 2025) of Gemini 2.5 Pro", 1048576, 65536, gen, false,
                 true, "gemini-2.5-pro"});
    m.push_back({"gemini-2.5-flash-lite", "001", "Gemini 2.5 Flash-Lite",
                 "Stable version of Gemini 2.5 Flash-Lite, released in July of 2025", 1048576,
                 65536, gen, false, true, "gemini-2.5-flash-lite"});
    m.push_back({"gemini-3.5-flash", "3.5", "Gemini 3.5 Flash", "Gemini 3.5 Flash", 1048576, 65536,
                 gen, false, true, "gemini-3.5-flash"});
    m.push_back({"gemini-flash-latest", "Gemini Flash Latest", "Gemini Flash Latest",
                 "Latest release of Gemini Flash", 1048576, 65536, gen, false, true,
                 "gemini-3.5-flash"});
    m.push_back({"gemini-embedding-001",
                 "001",
                 "Gemini Embedding 001",
                 "Obtain a distributed representation of a text.",
                 2048,
                 1,
                 {"embedContent", "countTextTokens", "countTokens", "asyncBatchEmbedContent"},
                 true,
                 false,
                 "gemini-embedding-001"});
    return m;
  }();
  return models;
}

inline const model_info* find_model(std::string_view id) {
  for (auto const& m : catalogue())
    if (m.id == id) return &m;
  return nullptr;
}

inline json::object model_json(const model_info& m) {
  json::object o;
  o["name"] = "models/" + m.id;
  o["version"] = m.version;
  o["displayName"] = m.display_name;
  o["description"] = m.description;
  o["inputTokenLimit"] = m.input_limit;
  o["outputTokenLimit"] = m.output_limit;
  json::array methods;
  for (auto const& s : m.methods) methods.emplace_back(s);
  o["supportedGenerationMethods"] = std::move(methods);
  if (!m.embedding) {
    o["temperature"] = 1;
    o["topP"] = 0.95;
    o["topK"] = 64;
    o["maxTemperature"] = 2;
    o["thinking"] = m.thinking;
  }
  return o;
}

/// Token estimate used everywhere: ceil(UTF-8 bytes / 4).
inline std::size_t estimate_tokens(std::string_view text) { return (text.size() + 3) / 4; }

inline constexpr std::array<std::string_view, 64> word_list = {
    "the",     "model",   "request", "latency", "token",   "stream",   "answer",  "careful",
    "system",  "network", "quickly", "returns", "every",   "simple",   "policy",  "cache",
    "retry",   "budget",  "server",  "client",  "because", "window",   "limit",   "steady",
    "bright",  "river",   "garden",  "engine",  "signal",  "reliable", "bounded", "minute",
    "quota",   "events",  "before",  "after",   "while",   "within",   "across",  "through",
    "pattern", "useful",  "value",   "context", "prompt",  "output",   "careful", "gentle",
    "orbit",   "harbor",  "lantern", "meadow",  "summit",  "canyon",   "forest",  "island",
    "thread",  "socket",  "buffer",  "parser",  "schema",  "vector",   "channel", "timer"};

/// Deterministic prose: `words` words in sentences of 5..12 words.
inline std::string make_prose(std::uint64_t seed, std::size_t words) {
  std::string s;
  std::uint64_t st = seed;
  std::size_t in_sentence = 0;
  std::size_t sentence_len = 5 + splitmix64(st) % 8;
  for (std::size_t i = 0; i < words; ++i) {
    std::string w(word_list[splitmix64(st) % word_list.size()]);
    if (in_sentence == 0 && !w.empty()) w[0] = static_cast<char>(w[0] - 'a' + 'A');
    if (!s.empty()) s += ' ';
    s += w;
    if (++in_sentence == sentence_len || i + 1 == words) {
      s += '.';
      in_sentence = 0;
      sentence_len = 5 + splitmix64(st) % 8;
    }
  }
  return s;
}

/// Splits after every `per_piece`-th space so that the pieces concatenate to `text`.
inline std::vector<std::string> split_pieces(const std::string& text, std::size_t per_piece) {
  std::vector<std::string> out;
  std::size_t start = 0, spaces = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == ' ' && ++spaces == per_piece) {
      out.push_back(text.substr(start, i + 1 - start));
      start = i + 1;
      spaces = 0;
    }
  }
  if (start < text.size()) out.push_back(text.substr(start));
  return out;
}

/// Largest prefix of `text` whose token estimate is <= `tokens`, cut after a space when
/// possible and never inside a UTF-8 sequence.
inline std::string cut_to_tokens(const std::string& text, std::size_t tokens) {
  std::size_t max_bytes = tokens * 4;
  if (text.size() <= max_bytes) return text;
  std::size_t cut = max_bytes;
  auto sp = text.rfind(' ', cut == 0 ? 0 : cut - 1);
  if (sp != std::string::npos && sp + 1 <= cut && sp > 0) cut = sp + 1;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return text.substr(0, cut);
}

inline std::int64_t int_field(const json::object& o, std::string_view key, std::int64_t dflt) {
  auto const* v = o.if_contains(key);
  if (v == nullptr) return dflt;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64()) return static_cast<std::int64_t>(v->get_uint64());
  if (v->is_double()) return static_cast<std::int64_t>(v->get_double());
  if (v->is_string()) {  // int64 fields may travel as strings in proto3 JSON
    try {
      return std::stoll(std::string(v->get_string()));
    } catch (...) {
      return dflt;
    }
  }
  return dflt;
}

/// Prompt tokens of a Content: text by the estimate, inlineData 258, anything else by
/// the estimate of its JSON.
inline std::size_t content_tokens(const json::value& content) {
  std::size_t n = 0;
  auto const* o = content.if_object();
  if (o == nullptr) return 0;
  auto const* parts = o->if_contains("parts");
  if (parts == nullptr || !parts->is_array()) return 0;
  for (auto const& p : parts->get_array()) {
    auto const* po = p.if_object();
    if (po == nullptr) continue;
    if (auto const* t = po->if_contains("text"); t != nullptr && t->is_string())
      n += estimate_tokens(t->get_string());
    else if (po->contains("inlineData") || po->contains("fileData"))
      n += 258;
    else
      n += estimate_tokens(compact(p));
  }
  return n;
}

struct error_spec {
  unsigned code;
  std::string status;
  std::string message;
  json::array details;
};

inline json::object error_info_detail(std::string reason, json::object metadata) {
  json::object d;
  d["@type"] = "type.googleapis.com/google.rpc.ErrorInfo";
  d["reason"] = std::move(reason);
  d["domain"] = "googleapis.com";
  d["metadata"] = std::move(metadata);
  return d;
}

inline json::object help_detail() {
  json::object link;
  link["description"] = "Learn more about Gemini API quotas";
  link["url"] = "https://ai.google.dev/gemini-api/docs/rate-limits";
  json::array links;
  links.push_back(std::move(link));
  json::object d;
  d["@type"] = "type.googleapis.com/google.rpc.Help";
  d["links"] = std::move(links);
  return d;
}

/// The real 429 shape: QuotaFailure, Help, RetryInfo.
inline error_spec quota_error(std::string metric, std::string quota_id, std::string model,
                              std::int64_t limit, std::chrono::milliseconds retry) {
  json::object dims;
  dims["location"] = "global";
  dims["model"] = model;
  json::object v;
  v["quotaMetric"] = "generativelanguage.googleapis.com/" + metric;
  v["quotaId"] = quota_id;
  v["quotaDimensions"] = std::move(dims);
  v["quotaValue"] = std::to_string(limit);
  json::array violations;
  violations.push_back(std::move(v));
  json::object qf;
  qf["@type"] = "type.googleapis.com/google.rpc.QuotaFailure";
  qf["violations"] = std::move(violations);
  json::object ri;
  ri["@type"] = "type.googleapis.com/google.rpc.RetryInfo";
  ri["retryDelay"] = duration_string(retry.count());
  json::array details;
  details.push_back(std::move(qf));
  details.push_back(help_detail());
  details.push_back(std::move(ri));
  std::string secs = duration_string(retry.count());
  secs.pop_back();
  if (secs.find('.') == std::string::npos) secs += ".0";
  std::string msg =
      "You exceeded your current quota, please check your plan and billing details. For more "
      "information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits. "
      "To monitor your current usage, head to: https://ai.dev/usage?tab=rate-limit. \n* Quota "
      "exceeded for metric: generativelanguage.googleapis.com/" +
      metric + ", limit: " + std::to_string(limit) + ", model: " + model + "\nPlease retry in " +
      secs + "s.";
  return {429, "RESOURCE_EXHAUSTED", std::move(msg), std::move(details)};
}

inline error_spec not_found_error(const std::string& model, const std::string& version,
                                  std::string_view method) {
  return {404,
          "NOT_FOUND",
          "models/" + model + " is not found for API version " + version +
              ", or is not supported for " + std::string(method) +
              ". Call ListModels to see the list of available models and their supported "
              "methods.",
          {}};
}

/// Everything the emulator knows about one generate request.
struct generation {
  std::string model_version;
  std::size_t prompt_tokens = 0;
  std::size_t cached_tokens = 0;  ///< of prompt_tokens, served from a cachedContent
  std::string thought;            ///< shown thought text (includeThoughts), may be empty
  std::size_t thoughts_tokens = 0;
  std::string text;  ///< the answer (after any cut)
  bool answer = true;
  std::string finish = "STOP";
  bool block_prompt = false;
  std::string signature;  ///< thoughtSignature when thinking is active
  std::string response_id;
};

inline json::array safety_ratings(bool blocked) {
  json::array a;
  for (auto cat : {"HARM_CATEGORY_SEXUALLY_EXPLICIT", "HARM_CATEGORY_HATE_SPEECH",
                   "HARM_CATEGORY_HARASSMENT", "HARM_CATEGORY_DANGEROUS_CONTENT"}) {
    json::object r;
    r["category"] = cat;
    bool hit = blocked && std::string_view(cat) == "HARM_CATEGORY_DANGEROUS_CONTENT";
    r["probability"] = hit ? "HIGH" : "NEGLIGIBLE";
    if (hit) r["blocked"] = true;
    a.push_back(std::move(r));
  }
  return a;
}

inline json::object usage_json(std::size_t prompt, std::optional<std::size_t> candidates,
                               std::size_t thoughts, std::size_t cached = 0) {
  json::object u;
  u["promptTokenCount"] = prompt;
  if (cached > 0) {
    u["cachedContentTokenCount"] = cached;
    json::object cd;
    cd["modality"] = "TEXT";
    cd["tokenCount"] = cached;
    json::array cdetails;
    cdetails.push_back(std::move(cd));
    u["cacheTokensDetails"] = std::move(cdetails);
  }
  if (candidates) u["candidatesTokenCount"] = *candidates;
  std::size_t total = prompt + candidates.value_or(0) + thoughts;
  u["totalTokenCount"] = total;
  json::object d;
  d["modality"] = "TEXT";
  d["tokenCount"] = prompt;
  json::array details;
  details.push_back(std::move(d));
  u["promptTokensDetails"] = std::move(details);
  if (thoughts > 0) u["thoughtsTokenCount"] = thoughts;
  return u;
}

/// One GenerateContentResponse. `parts` empty = no content; `finish` empty = none.
inline json::object response_json(const generation& g, json::array parts, std::string_view finish,
                                  json::object usage) {
  json::object r;
  if (g.block_prompt) {
    json::object pf;
    pf["blockReason"] = "SAFETY";
    pf["safetyRatings"] = safety_ratings(true);
    r["promptFeedback"] = std::move(pf);
  } else {
    json::object cand;
    if (!parts.empty()) {
      json::object content;
      content["parts"] = std::move(parts);
      content["role"] = "model";
      cand["content"] = std::move(content);
    }
    if (!finish.empty()) cand["finishReason"] = finish;
    cand["index"] = 0;
    if (finish == "SAFETY") cand["safetyRatings"] = safety_ratings(true);
    json::array cands;
    cands.push_back(std::move(cand));
    r["candidates"] = std::move(cands);
  }
  r["usageMetadata"] = std::move(usage);
  r["modelVersion"] = g.model_version;
  r["responseId"] = g.response_id;
  return r;
}

inline json::object text_part(std::string text) {
  json::object p;
  p["text"] = std::move(text);
  return p;
}

inline json::object thought_part(const std::string& text) {
  json::object p;
  p["text"] = text;
  p["thought"] = true;
  return p;
}

/// The unary response.
inline json::object unary_response(const generation& g) {
  json::array parts;
  if (!g.thought.empty()) parts.push_back(thought_part(g.thought));
  bool show = g.answer && !g.text.empty() && g.finish != "SAFETY";
  if (show) {
    auto p = text_part(g.text);
    if (!g.signature.empty()) p["thoughtSignature"] = g.signature;
    parts.push_back(std::move(p));
  }
  std::optional<std::size_t> cand;
  if (show) cand = estimate_tokens(g.text);
  std::string_view finish = g.block_prompt ? "" : std::string_view(g.finish);
  return response_json(g, std::move(parts), finish,
                       usage_json(g.prompt_tokens, cand, g.thoughts_tokens, g.cached_tokens));
}

/// The stream events: thought first, then answer deltas of five words, cumulative usage,
/// finishReason on the last event. A SAFETY finish sends half the deltas first.
inline std::vector<std::pair<json::object, std::size_t>> stream_events(const generation& g) {
  std::vector<std::pair<json::object, std::size_t>> ev;
  if (g.block_prompt) {
    ev.emplace_back(unary_response(g), 0);
    return ev;
  }
  std::size_t thoughts_sent = 0;
  if (!g.thought.empty()) {
    json::array parts;
    parts.push_back(thought_part(g.thought));
    thoughts_sent = g.thoughts_tokens;
    ev.emplace_back(
        response_json(g, std::move(parts), "",
                      usage_json(g.prompt_tokens, std::nullopt, thoughts_sent, g.cached_tokens)),
        g.thoughts_tokens);
  }
  std::vector<std::string> pieces = split_pieces(g.text, 5);
  if (g.finish == "SAFETY") pieces.resize(pieces.size() / 2);
  std::string so_far;
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    so_far += pieces[i];
    bool last = (i + 1 == pieces.size()) && g.finish != "SAFETY";
    json::array parts;
    auto p = text_part(pieces[i]);
    if (last && !g.signature.empty()) p["thoughtSignature"] = g.signature;
    parts.push_back(std::move(p));
    std::size_t before = estimate_tokens(so_far.substr(0, so_far.size() - pieces[i].size()));
    std::size_t now = estimate_tokens(so_far);
    ev.emplace_back(
        response_json(g, std::move(parts), last ? std::string_view(g.finish) : "",
                      usage_json(g.prompt_tokens, now, g.thoughts_tokens, g.cached_tokens)),
        now - before + (ev.empty() ? g.thoughts_tokens : 0));
  }
  bool finished = !pieces.empty() && g.finish != "SAFETY";
  if (!finished) {
    std::optional<std::size_t> cand;
    if (!so_far.empty()) cand = estimate_tokens(so_far);
    ev.emplace_back(
        response_json(g, {}, g.finish,
                      usage_json(g.prompt_tokens, cand, g.thoughts_tokens, g.cached_tokens)),
        ev.empty() ? g.thoughts_tokens : 0);
  }
  return ev;
}

inline void add_common_headers(reply& r, std::string content_type) {
  r.headers.emplace_back("Content-Type", std::move(content_type));
  r.headers.emplace_back("Vary", "Origin, X-Origin, Referer");
  r.headers.emplace_back("Server", "scaffolding on HTTPServer2");
  r.headers.emplace_back("X-XSS-Protection", "0");
  r.headers.emplace_back("X-Frame-Options", "SAMEORIGIN");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("Server-Timing", "gfet4t7; dur=1");
}

/// How errors and responses are framed on the URL that was called.
enum class framing { unary, sse, array };

inline reply error_reply(framing f, error_spec e) {
  json::object err;
  err["code"] = e.code;
  err["message"] = std::move(e.message);
  err["status"] = std::move(e.status);
  if (!e.details.empty()) err["details"] = std::move(e.details);
  json::object body;
  body["error"] = std::move(err);
  reply r;
  r.status = e.code;
  if (f == framing::array) {
    json::array a;
    a.push_back(std::move(body));
    r.body = pretty(a);
  } else {
    r.body = pretty(body);
  }
  add_common_headers(r,
                     f == framing::sse ? "text/event-stream" : "application/json; charset=UTF-8");
  return r;
}

/// The Google front end's HTML 404 for URLs and methods it does not route.
inline reply html_not_found(std::string_view path) {
  reply r;
  r.status = 404;
  r.body =
      "<!DOCTYPE html>\n<html lang=en>\n  <meta charset=utf-8>\n  <meta name=viewport "
      "content=\"initial-scale=1, minimum-scale=1, width=device-width\">\n  <title>Error 404 "
      "(Not Found)!!1</title>\n  <p><b>404.</b> <ins>That\xe2\x80\x99s an error.</ins>\n  "
      "<p>The requested URL <code>" +
      std::string(path) +
      "</code> was not found on this server.  <ins>That\xe2\x80\x99s all we know.</ins>\n";
  r.headers.emplace_back("Content-Type", "text/html; charset=UTF-8");
  r.headers.emplace_back("Referrer-Policy", "no-referrer");
  return r;
}

inline reply json_reply(const json::value& v, std::size_t tokens = 0) {
  reply r;
  r.body = pretty(v);
  r.tokens = tokens;
  add_common_headers(r, "application/json; charset=UTF-8");
  return r;
}

/// Shared mutable state of one emulator: counters, scripted and random faults, quotas.
class service {
 public:
  explicit service(const emulator_options& o)
      : api_key_(o.api_key),
        rpm_limit_(o.rpm_limit),
        tpm_limit_(o.tpm_limit),
        fault_probability_(o.fault_probability),
        random_faults_(o.random_faults),
        rng_(o.seed),
        id_seed_(o.seed),
        latency_(o.latency) {
    if (random_faults_.empty())
      random_faults_ = {fault_kind::http_429_per_minute, fault_kind::http_500,
                        fault_kind::http_503};
  }

  // ---- counters -------------------------------------------------------------------
  std::size_t requests() const noexcept { return requests_.load(); }
  std::size_t requests(std::string_view name) const noexcept {
    for (std::size_t i = 0; i < endpoint_names.size(); ++i)
      if (endpoint_names[i] == name) return per_endpoint_[i].load();
    return 0;
  }
  void reset_counters() noexcept {
    requests_ = 0;
    for (auto& c : per_endpoint_) c = 0;
  }

  // ---- faults and latency ---------------------------------------------------------
  void push_fault(fault f) {
    std::lock_guard lk(mu_);
    faults_.push_back(std::move(f));
  }
  void clear_faults() {
    std::lock_guard lk(mu_);
    faults_.clear();
  }
  std::size_t pending_faults() const {
    std::lock_guard lk(mu_);
    return faults_.size();
  }
  void set_latency(latency_options l) {
    std::lock_guard lk(mu_);
    latency_ = l;
  }
  latency_options latency() const {
    std::lock_guard lk(mu_);
    return latency_;
  }
  recorded_request last_request() const {
    std::lock_guard lk(mu_);
    return last_;
  }

  /// The whole request → reply step. `headers` are (name, value) pairs.
  reply handle(std::string_view verb, std::string_view target,
               std::vector<std::pair<std::string, std::string>> headers, std::string body) {
    // Latency is sampled before the request is counted, so a test that waits for the
    // counter and then changes the latency cannot affect this request.
    latency_options lat = latency();
    requests_.fetch_add(1);
    std::string key_header;
    bool has_key_header = false;
    recorded_request rec{std::string(verb), std::string(target), std::move(headers),
                         std::move(body)};
    {
      auto k = rec.header("x-goog-api-key");
      has_key_header = !k.empty();
      key_header = std::move(k);
    }
    std::string authorization = rec.header("authorization");
    reply r = route(verb, target, has_key_header, key_header, authorization, rec.body);
    r.latency = lat;
    {
      std::lock_guard lk(mu_);
      last_ = std::move(rec);
    }
    return r;
  }

 private:
  void count(endpoint e) noexcept { per_endpoint_[static_cast<std::size_t>(e)].fetch_add(1); }

  reply route(std::string_view verb, std::string_view target, bool has_key_header,
              const std::string& key_header, const std::string& authorization,
              const std::string& body) {
    auto parsed = boost::urls::parse_origin_form(target);
    if (!parsed) {
      count(endpoint::other);
      return html_not_found(target);
    }
    boost::urls::url_view u = *parsed;
    std::string path = u.path();
    bool sse = false;
    std::optional<std::string> query_key;
    std::optional<std::string> page_token;
    std::string update_mask;
    std::int64_t page_size = 50;
    for (auto p : u.params()) {
      if (p.key == "updateMask") update_mask = std::string(p.value);
      if (p.key == "alt" && p.value == "sse") sse = true;
      if (p.key == "key") query_key = std::string(p.value);
      if (p.key == "pageToken") page_token = std::string(p.value);
      if (p.key == "pageSize") {
        try {
          page_size = std::stoll(std::string(p.value));
        } catch (...) {
          page_size = -1;
        }
      }
    }
    // OpenAI-compatible chat completions: Gemini's path and the generic one.
    if (path == "/v1beta/openai/chat/completions" || path == "/v1/chat/completions") {
      if (verb != "POST") {
        count(endpoint::other);
        return html_not_found(path);
      }
      chat_flavor fl = path[3] == 'b' ? chat_flavor::gemini : chat_flavor::openai;
      return chat(fl, authorization, body);
    }
    // /{v1beta|v1}/models[/{id}[:{method}]]
    std::string version;
    std::string rest;
    for (std::string_view v : {"/v1beta/", "/v1/"}) {
      if (path.compare(0, v.size(), v) == 0) {
        version = std::string(v.substr(1, v.size() - 2));
        rest = path.substr(v.size());
        break;
      }
    }
    endpoint ep = endpoint::other;
    std::string model, method, cache_name;
    if (version.empty()) {
      // not routed
    } else if (rest == "cachedContents") {
      if (verb == "POST") ep = endpoint::cached_create;
      if (verb == "GET") ep = endpoint::cached_list;
      method = "createCachedContent";
    } else if (rest.compare(0, 15, "cachedContents/") == 0 && rest.size() > 15 &&
               rest.find('/', 15) == std::string::npos) {
      cache_name = rest;
      if (verb == "GET") ep = endpoint::cached_get;
      if (verb == "PATCH") ep = endpoint::cached_patch;
      if (verb == "DELETE") ep = endpoint::cached_delete;
      method = "getCachedContent";
    } else if (rest == "models") {
      if (verb == "GET") ep = endpoint::list_models;
    } else if (rest.compare(0, 7, "models/") == 0) {
      std::string tail = rest.substr(7);
      auto colon = tail.find(':');
      if (tail.find('/') != std::string::npos) {
        // not routed
      } else if (colon == std::string::npos) {
        if (verb == "GET" && !tail.empty()) {
          ep = endpoint::get_model;
          model = tail;
        }
      } else if (verb == "POST") {
        model = tail.substr(0, colon);
        method = tail.substr(colon + 1);
        if (method == "generateContent") ep = endpoint::generate;
        if (method == "streamGenerateContent") ep = endpoint::stream;
        if (method == "countTokens") ep = endpoint::count_tokens;
        if (method == "embedContent") ep = endpoint::embed;
        if (method == "batchEmbedContents") ep = endpoint::batch_embed;
      }
    }
    count(ep);
    if (ep == endpoint::other) return html_not_found(path);

    framing f = framing::unary;
    if (ep == endpoint::stream) f = sse ? framing::sse : framing::array;

    // Authentication.
    std::string key = has_key_header ? key_header : query_key.value_or(std::string());
    bool key_given = has_key_header || query_key.has_value();
    if (!api_key_.empty()) {
      if (!key_given) {
        json::object md;
        md["method"] = "google.ai.generativelanguage." + version + ".GenerativeService." +
                       (method.empty() ? std::string("GetModel") : upper_first(method));
        md["service"] = "generativelanguage.googleapis.com";
        json::array details;
        details.push_back(error_info_detail("CREDENTIALS_MISSING", std::move(md)));
        return error_reply(
            f, {403, "PERMISSION_DENIED",
                "Method doesn't allow unregistered callers (callers without established "
                "identity). Please use API Key or other form of API consumer identity to call "
                "this API.",
                std::move(details)});
      }
      if (key != api_key_) {
        json::object md;
        md["service"] = "generativelanguage.googleapis.com";
        json::array details;
        details.push_back(error_info_detail("API_KEY_INVALID", std::move(md)));
        json::object lm;
        lm["@type"] = "type.googleapis.com/google.rpc.LocalizedMessage";
        lm["locale"] = "en-US";
        lm["message"] = "API key not valid. Please pass a valid API key.";
        details.push_back(std::move(lm));
        return error_reply(
            f, {400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.",
                std::move(details)});
      }
    }

    if (ep == endpoint::list_models) return list_models(page_size, page_token);
    if (ep >= endpoint::cached_create && ep <= endpoint::cached_delete)
      return cached_contents(ep, cache_name, body, update_mask, page_size, page_token);

    const model_info* m = find_model(model);
    if (ep == endpoint::get_model) {
      if (m == nullptr) return error_reply(f, not_found_error(model, version, "get"));
      return json_reply(model_json(*m));
    }
    std::string api_method = ep == endpoint::stream ? "generateContent" : method;
    if (ep == endpoint::batch_embed) api_method = "embedContent";
    bool supported = false;
    if (m != nullptr)
      for (auto const& s : m->methods)
        if (s == api_method) supported = true;
    if (!supported) return error_reply(f, not_found_error(model, version, api_method));

    // Faults: scripted first, then random.
    json::value req;
    boost::system::error_code jec;
    req = json::parse(body, jec);
    fault flt = next_fault(ep, model, jec ? nullptr : &req);
    if (auto e = http_fault(flt, model, version); e) return error_reply(f, std::move(*e));
    if (flt.kind == fault_kind::reset_before_response) return mode_only(reply::mode::reset);
    if (flt.kind == fault_kind::stall_first_byte) return mode_only(reply::mode::stall);

    if (jec || !req.is_object()) {
      std::string msg = "Invalid JSON payload received. ";
      msg += jec ? jec.message() : std::string("Expected an object.");
      return error_reply(f, {400, "INVALID_ARGUMENT", msg, {}});
    }
    const json::object& ro = req.get_object();
    reply r;
    switch (ep) {
      case endpoint::generate:
      case endpoint::stream: {
        std::size_t cached = 0;
        json::object merged;
        const json::object* effective = &ro;
        if (ro.contains("cachedContent")) {
          auto e = with_cached_content(ro, model, merged, cached);
          if (e) return error_reply(f, std::move(*e));
          effective = &merged;
        }
        auto g = generate(*effective, *m, flt.kind, key, f);
        if (!g) return std::move(*g.error);
        g.value->cached_tokens = cached;
        if (ep == endpoint::generate) {
          r = json_reply(unary_response(*g.value),
                         g.value->thoughts_tokens + estimate_tokens(g.value->text));
          r.headers.emplace_back("X-Gemini-Service-Tier", "standard");
        } else {
          r = stream_reply(*g.value, f);
        }
        break;
      }
      case endpoint::count_tokens: r = count_tokens(ro, f); break;
      case endpoint::embed: r = embed(ro, model, f); break;
      case endpoint::batch_embed: r = batch_embed(ro, model, f); break;
      default: break;
    }
    if (r.status == 200 && flt.kind == fault_kind::malformed_json) break_json(r);
    if (r.status == 200 && flt.kind == fault_kind::cut_mid_stream) cut(r);
    return r;
  }

  static std::string upper_first(std::string s) {
    if (!s.empty() && s[0] >= 'a' && s[0] <= 'z') s[0] = static_cast<char>(s[0] - 'a' + 'A');
    return s;
  }

  static reply mode_only(reply::mode k) {
    reply r;
    r.kind = k;
    return r;
  }

  static bool content_fault(fault_kind k) {
    return k == fault_kind::safety_block_prompt || k == fault_kind::safety_finish ||
           k == fault_kind::max_tokens;
  }

  static bool generates(endpoint ep) {
    return ep == endpoint::generate || ep == endpoint::stream || ep == endpoint::chat ||
           ep == endpoint::chat_stream;
  }

  static bool applies(fault_kind k, endpoint ep) {
    if (ep == endpoint::list_models || ep == endpoint::get_model || ep == endpoint::other)
      return false;
    if (content_fault(k)) return generates(ep);
    return true;
  }

  fault next_fault(endpoint ep, const std::string& model, const json::value* req) {
    // A [[fault:NAME]] token in the prompt wins (it is part of the request).
    if (req != nullptr && generates(ep)) {
      std::string t = last_user_text(*req);
      auto pos = t.find("[[fault:");
      if (pos != std::string::npos) {
        auto end = t.find("]]", pos);
        fault_kind k{};
        if (end != std::string::npos && fault_kind_from_string(t.substr(pos + 8, end - pos - 8), k))
          return fault{k, std::chrono::milliseconds(7000), {}};
      }
    }
    std::lock_guard lk(mu_);
    for (auto it = faults_.begin(); it != faults_.end(); ++it) {
      if ((it->model.empty() || it->model == model) && applies(it->kind, ep)) {
        fault f = std::move(*it);
        faults_.erase(it);
        return f;
      }
    }
    if (fault_probability_ > 0 && !random_faults_.empty()) {
      std::uniform_real_distribution<double> coin(0.0, 1.0);
      if (coin(rng_) < fault_probability_) {
        std::uniform_int_distribution<std::size_t> pick(0, random_faults_.size() - 1);
        fault_kind k = random_faults_[pick(rng_)];
        if (applies(k, ep)) return fault{k, std::chrono::milliseconds(7000), {}};
      }
    }
    return fault{};
  }

  static std::optional<error_spec> http_fault(const fault& f, const std::string& model,
                                              const std::string& version) {
    switch (f.kind) {
      case fault_kind::http_429_per_minute:
        return quota_error("generate_content_free_tier_requests",
                           "GenerateRequestsPerMinutePerProjectPerModel-FreeTier", model, 5,
                           f.retry_delay);
      case fault_kind::http_429_per_day:
        return quota_error("generate_content_free_tier_requests",
                           "GenerateRequestsPerDayPerProjectPerModel-FreeTier", model, 20,
                           f.retry_delay);
      case fault_kind::http_400:
        return error_spec{400, "INVALID_ARGUMENT", "Request contains an invalid argument.", {}};
      case fault_kind::http_403:
        return error_spec{
            403, "PERMISSION_DENIED", "You do not have permission to access this resource.", {}};
      case fault_kind::http_404: return not_found_error(model, version, "generateContent");
      case fault_kind::http_500:
        return error_spec{500,
                          "INTERNAL",
                          "An internal error has occurred. Please retry or report in "
                          "https://developers.generativeai.google/guide/troubleshooting",
                          {}};
      case fault_kind::http_503:
        return error_spec{
            503, "UNAVAILABLE", "The model is overloaded. Please try again later.", {}};
      case fault_kind::http_504:
        return error_spec{
            504, "DEADLINE_EXCEEDED", "Deadline expired before operation could complete.", {}};
      default: return std::nullopt;
    }
  }

  static std::string parts_text(const json::value& content) {
    std::string s;
    auto const* o = content.if_object();
    if (o == nullptr) return s;
    auto const* parts = o->if_contains("parts");
    if (parts == nullptr || !parts->is_array()) return s;
    for (auto const& p : parts->get_array())
      if (auto const* po = p.if_object())
        if (auto const* t = po->if_contains("text"); t != nullptr && t->is_string())
          s += std::string(t->get_string());
    return s;
  }

  /// The text of the last user turn (role "user" or no role).
  static std::string last_user_text(const json::value& req) {
    auto const* o = req.if_object();
    if (o == nullptr) return {};
    auto const* contents = o->if_contains("contents");
    if (contents == nullptr || !contents->is_array()) return {};
    auto const& a = contents->get_array();
    for (auto it = a.rbegin(); it != a.rend(); ++it) {
      auto const* co = it->if_object();
      if (co == nullptr) continue;
      auto const* role = co->if_contains("role");
      if (role == nullptr || (role->is_string() && role->get_string() == "user"))
        return parts_text(*it);
    }
    return {};
  }

  static std::size_t prompt_tokens(const json::object& ro) {
    std::size_t n = 0;
    if (auto const* c = ro.if_contains("contents"); c != nullptr && c->is_array())
      for (auto const& x : c->get_array()) n += content_tokens(x);
    if (auto const* si = ro.if_contains("systemInstruction")) n += content_tokens(*si);
    if (auto const* t = ro.if_contains("tools"); t != nullptr && t->is_array())
      n += estimate_tokens(compact(*t));
    return n;
  }

  struct gen_result {
    std::optional<generation> value;
    std::optional<reply> error;
    explicit operator bool() const { return value.has_value(); }
  };

  gen_result generate(const json::object& ro, const model_info& m, fault_kind fk,
                      const std::string& key, framing f) {
    spec_result s = generate_spec(ro, m, fk, key);
    gen_result out;
    if (s.error) out.error = error_reply(f, std::move(*s.error));
    out.value = std::move(s.value);
    return out;
  }

  /// generate() with the error as an error_spec (the OpenAI endpoint frames errors itself).
  struct spec_result {
    std::optional<generation> value;
    std::optional<error_spec> error;
  };

  spec_result generate_spec(const json::object& ro, const model_info& m, fault_kind fk,
                            const std::string& key) {
    spec_result out;
    auto const* contents = ro.if_contains("contents");
    if (contents == nullptr || !contents->is_array() || contents->get_array().empty()) {
      out.error = error_spec{400,
                             "INVALID_ARGUMENT",
                             "* GenerateContentRequest.contents: contents is not "
                             "specified\n",
                             {}};
      return out;
    }
    json::object cfg;
    if (auto const* c = ro.if_contains("generationConfig"); c != nullptr && c->is_object())
      cfg = c->get_object();
    std::int64_t candidates = int_field(cfg, "candidateCount", 1);
    if (candidates != 1) {
      out.error =
          error_spec{400, "INVALID_ARGUMENT", "The emulator supports only candidateCount 1.", {}};
      return out;
    }
    generation g;
    g.model_version = m.model_version;
    g.prompt_tokens = prompt_tokens(ro);

    // Quotas (per key, sliding minute), before any work.
    if (auto e = check_quota(key, g.prompt_tokens, m.id)) {
      out.error = std::move(*e);
      return out;
    }

    std::uint64_t seq;
    {
      std::lock_guard lk(mu_);
      seq = ++response_seq_;
    }
    std::uint64_t rid_seed = id_seed_ * 0x9e3779b97f4a7c15ULL + seq;
    g.response_id = response_id(rid_seed);

    // Deterministic content: a hash of what determines the answer.
    std::string canon = compact(*contents);
    if (auto const* si = ro.if_contains("systemInstruction")) canon += compact(*si);
    std::uint64_t h = fnv1a(canon);
    std::string prompt = last_user_text(ro);

    if (fk == fault_kind::safety_block_prompt) {
      g.block_prompt = true;
      g.answer = false;
      out.value = std::move(g);
      return out;
    }

    // Thinking.
    bool include_thoughts = false;
    std::int64_t budget = -1;
    bool thinking_cfg = false;
    if (auto const* tc = cfg.if_contains("thinkingConfig"); tc != nullptr && tc->is_object()) {
      auto const& t = tc->get_object();
      if (auto const* it = t.if_contains("includeThoughts"); it != nullptr && it->is_bool())
        include_thoughts = it->get_bool();
      budget = int_field(t, "thinkingBudget", -1);
      thinking_cfg = include_thoughts || budget > 0;
    }
    if (thinking_cfg) {
      std::string thought =
          "**Planning the answer**\n\n" + make_prose(h ^ 0x7468696e6bULL, 24 + (h >> 8) % 24);
      std::size_t tt = estimate_tokens(thought);
      if (budget > 0 && static_cast<std::size_t>(budget) < tt) {
        tt = static_cast<std::size_t>(budget);
        thought = cut_to_tokens(thought, tt);
      }
      g.thoughts_tokens = tt;
      if (include_thoughts) g.thought = std::move(thought);
      g.signature = "Cr" + base64url_encode(response_id(h) + response_id(h + 1));
    }

    // The answer.
    std::string text;
    if (prompt.find("[[echo]]") != std::string::npos) {
      text = prompt;
      for (auto p = text.find("[[echo]]"); p != std::string::npos; p = text.find("[[echo]]"))
        text.erase(p, 8);
      while (!text.empty() && text.front() == ' ') text.erase(0, 1);
      while (!text.empty() && text.back() == ' ') text.pop_back();
    } else {
      std::size_t words = 12 + h % 40;
      if (auto p = prompt.find("[[words:"); p != std::string::npos) {
        try {
          words = static_cast<std::size_t>(std::stoul(prompt.substr(p + 8)));
        } catch (...) {
        }
      }
      text = make_prose(h, words);
    }

    std::int64_t max_out = int_field(cfg, "maxOutputTokens", -1);
    if (max_out >= 0) {
      std::size_t mx = static_cast<std::size_t>(max_out);
      if (g.thoughts_tokens >= mx) {
        g.thoughts_tokens = mx;
        if (!g.thought.empty()) g.thought = cut_to_tokens(g.thought, mx);
        g.answer = false;
        text.clear();
        g.finish = "MAX_TOKENS";
      } else if (estimate_tokens(text) > mx - g.thoughts_tokens) {
        text = cut_to_tokens(text, mx - g.thoughts_tokens);
        g.finish = "MAX_TOKENS";
      }
    }
    if (fk == fault_kind::max_tokens && g.answer) {
      text = cut_to_tokens(text, std::max<std::size_t>(1, estimate_tokens(text) / 2));
      g.finish = "MAX_TOKENS";
    }
    if (fk == fault_kind::safety_finish) g.finish = "SAFETY";
    g.text = std::move(text);
    out.value = std::move(g);
    return out;
  }

  static reply stream_reply(const generation& g, framing f) {
    reply r;
    r.kind = reply::mode::stream;
    auto events = stream_events(g);
    for (std::size_t i = 0; i < events.size(); ++i) {
      if (f == framing::sse) {
        r.chunks.push_back("data: " + compact(events[i].first) + "\r\n\r\n");
      } else {
        std::string s = pretty(events[i].first);
        s.pop_back();  // the trailing newline
        r.chunks.push_back((i == 0 ? "[" : "\r\n,\r\n") + s);
      }
      r.chunk_tokens.push_back(events[i].second);
    }
    if (f == framing::array) {
      r.chunks.push_back("]");
      r.chunk_tokens.push_back(0);
      add_common_headers(r, "application/json; charset=UTF-8");
    } else {
      add_common_headers(r, "text/event-stream");
      r.headers.emplace_back("Content-Disposition", "attachment");
    }
    return r;
  }

  /// A broken body with status 200 (and a clean end of the HTTP message).
  static void break_json(reply& r) {
    if (r.kind == reply::mode::stream) {
      std::string first = r.chunks.front();
      bool sse = first.compare(0, 6, "data: ") == 0;
      std::string broken = first.substr(0, first.size() / 2);
      if (sse) broken += "\r\n\r\n";
      r.chunks = {broken};
      r.chunk_tokens = {0};
    } else {
      r.body = r.body.substr(0, r.body.size() / 2);
    }
  }

  /// Streams: drop the last events (so no finishReason arrives) and close the connection;
  /// unary: announce the whole body, send half, close.
  static void cut(reply& r) {
    if (r.kind == reply::mode::stream) {
      bool array = !r.chunks.empty() && r.chunks.back() == "]";
      if (array) r.chunks.pop_back();
      std::size_t keep = r.chunks.size() / 2;
      if (keep == r.chunks.size() && keep > 0) --keep;
      r.chunks.resize(keep);
      r.chunk_tokens.resize(keep);
      r.truncate = true;
    } else {
      r.kind = reply::mode::cut_body;
    }
  }

  // ---- OpenAI-compatible chat completions ------------------------------------------

  /// POST …/chat/completions. Order: the body is parsed (its `stream` picks the counter),
  /// then authentication, request validity, model, faults, generation (generate_spec(), so
  /// the answer, usage and quotas are generateContent's).
  reply chat(chat_flavor fl, const std::string& authorization, const std::string& body) {
    boost::system::error_code jec;
    json::value req = json::parse(body, jec);
    bool stream = false;
    if (!jec && req.is_object())
      if (auto const* st = req.get_object().if_contains("stream"); st != nullptr && st->is_bool())
        stream = st->get_bool();
    endpoint ep = stream ? endpoint::chat_stream : endpoint::chat;
    count(ep);

    std::string key;
    if (authorization.size() > 7) {
      std::string scheme = authorization.substr(0, 7);
      for (auto& c : scheme) c = static_cast<char>(c | 0x20);
      if (scheme == "bearer ") {
        key = authorization.substr(7);
        while (!key.empty() && key.front() == ' ') key.erase(0, 1);
        while (!key.empty() && key.back() == ' ') key.pop_back();
      }
    }
    if (!api_key_.empty()) {
      if (key.empty()) return chat_auth_error(fl, false, key);
      if (key != api_key_) return chat_auth_error(fl, true, key);
    }
    if (jec || !req.is_object()) {
      std::string msg = "Invalid JSON payload received. ";
      msg += jec ? jec.message() : std::string("Expected an object.");
      return chat_error(fl, {400, "INVALID_ARGUMENT", msg, {}}, {}, {});
    }
    chat_request_info info = chat_to_gemini(req.get_object(), fl);
    if (!info.error.empty())
      return chat_error(fl, {400, "INVALID_ARGUMENT", info.error, {}}, info.model, info.param);
    const model_info* m = find_model(info.model);
    bool supported = false;
    if (m != nullptr)
      for (auto const& meth : m->methods)
        if (meth == "generateContent") supported = true;
    if (!supported)
      return chat_error(fl, not_found_error(info.model, "v1beta", "generateContent"), info.model,
                        "model");

    const json::value greq(info.gemini);
    fault flt = next_fault(ep, info.model, &greq);
    if (auto e = http_fault(flt, info.model, "v1beta"); e)
      return chat_error(fl, std::move(*e), info.model, {});
    if (flt.kind == fault_kind::reset_before_response) return mode_only(reply::mode::reset);
    if (flt.kind == fault_kind::stall_first_byte) return mode_only(reply::mode::stall);

    spec_result g = generate_spec(info.gemini, *m, flt.kind, key);
    if (g.error) return chat_error(fl, std::move(*g.error), info.model, {});
    reply r = chat_reply(*g.value, stream, info.include_usage, fl);
    if (flt.kind == fault_kind::malformed_json) break_json(r);
    if (flt.kind == fault_kind::cut_mid_stream) chat_cut(r);
    return r;
  }

  static void chat_headers(reply& r, chat_flavor fl, bool sse) {
    if (fl == chat_flavor::gemini)
      add_common_headers(r, sse ? "text/event-stream" : "application/json; charset=UTF-8");
    else
      r.headers.emplace_back("Content-Type",
                             sse ? "text/event-stream; charset=utf-8" : "application/json");
  }

  /// The answer `g` as a chat.completion body or a chunk stream.
  static reply chat_reply(const generation& g, bool stream, bool include_usage, chat_flavor fl) {
    chat_answer a;
    a.id = "chatcmpl-" + g.response_id;
    a.model = g.model_version;
    a.created = static_cast<std::int64_t>(std::time(nullptr));
    a.prompt_tokens = g.prompt_tokens;
    a.thoughts_tokens = g.thoughts_tokens;
    a.finish = g.block_prompt             ? "content_filter"
               : g.finish == "MAX_TOKENS" ? "length"
               : g.finish == "SAFETY"     ? "content_filter"
                                          : "stop";
    reply r;
    if (!stream) {
      bool show = !g.block_prompt && g.answer && !g.text.empty() && g.finish != "SAFETY";
      if (show) a.pieces.push_back(g.text);
      a.content_null = !show;
      a.candidates_tokens = show ? estimate_tokens(g.text) : 0;
      r.body = chat_unary_body(a);
      r.tokens = a.thoughts_tokens + a.candidates_tokens;
      chat_headers(r, fl, false);
      return r;
    }
    // As streamGenerateContent: five-word deltas; a SAFETY finish sends half of them.
    std::vector<std::string> pieces;
    if (!g.block_prompt && g.answer) {
      pieces = split_pieces(g.text, 5);
      if (g.finish == "SAFETY") pieces.resize(pieces.size() / 2);
    }
    std::string so_far;
    for (std::size_t i = 0; i < pieces.size(); ++i) {
      std::size_t before = estimate_tokens(so_far);
      so_far += pieces[i];
      a.piece_tokens.push_back(estimate_tokens(so_far) - before + (i == 0 ? g.thoughts_tokens : 0));
    }
    a.candidates_tokens = so_far.empty() ? 0 : estimate_tokens(so_far);
    a.content_null = pieces.empty();
    a.pieces = std::move(pieces);
    r.kind = reply::mode::stream;
    for (auto& ev : chat_stream_events(a, include_usage)) {
      r.chunks.push_back(std::move(ev.first));
      r.chunk_tokens.push_back(ev.second);
    }
    chat_headers(r, fl, true);
    return r;
  }

  /// cut_mid_stream for a chat stream: half of the events, never the finish_reason one (so
  /// neither usage nor [DONE] arrives), then the connection closes; unary: as for Gemini.
  static void chat_cut(reply& r) {
    if (r.kind != reply::mode::stream) {
      cut(r);
      return;
    }
    std::size_t finish = r.chunks.size();
    for (std::size_t i = 0; i < r.chunks.size(); ++i)
      if (r.chunks[i].find("\"finish_reason\":\"") != std::string::npos) {
        finish = i;
        break;
      }
    std::size_t keep = std::min(r.chunks.size() / 2, finish);
    r.chunks.resize(keep);
    r.chunk_tokens.resize(keep);
    r.truncate = true;
  }

  /// 401 for a missing or wrong `Authorization: Bearer` key.
  static reply chat_auth_error(chat_flavor fl, bool wrong, const std::string& key) {
    if (fl == chat_flavor::gemini) {
      json::object md;
      md["service"] = "generativelanguage.googleapis.com";
      json::array details;
      details.push_back(
          error_info_detail(wrong ? "API_KEY_INVALID" : "CREDENTIALS_MISSING", std::move(md)));
      return error_reply(
          framing::array,
          {401, "UNAUTHENTICATED",
           wrong ? "API key not valid. Please pass a valid API key."
                 : "Request is missing required authentication credential. Expected OAuth 2 "
                   "access token, login cookie or other valid authentication credential.",
           std::move(details)});
    }
    reply r;
    r.status = 401;
    if (wrong)
      r.body = openai_error_body("Incorrect API key provided: " + chat_mask_key(key) + ".",
                                 "invalid_request_error", "invalid_api_key", {});
    else
      r.body = openai_error_body(
          "You didn't provide an API key. You need to provide your API key in an Authorization "
          "header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
          "invalid_request_error", {}, {});
    chat_headers(r, fl, false);
    return r;
  }

  /// RetryInfo.retryDelay ("7s", "2.5s") of an error_spec, in milliseconds.
  static std::optional<std::int64_t> spec_retry_ms(const error_spec& e) {
    for (auto const& d : e.details) {
      auto const* o = d.if_object();
      if (o == nullptr) continue;
      auto type = chat_str(*o, "@type");
      if (type.size() < 9 || type.substr(type.size() - 9) != "RetryInfo") continue;
      std::string v(chat_str(*o, "retryDelay"));
      if (v.empty() || v.back() != 's') return std::nullopt;
      v.pop_back();
      try {
        return static_cast<std::int64_t>(std::llround(std::stod(v) * 1000.0));
      } catch (...) {
        return std::nullopt;
      }
    }
    return std::nullopt;
  }

  /// The first QuotaFailure violation's `key` ("quotaId", "quotaValue").
  static std::string spec_quota(const error_spec& e, std::string_view key) {
    for (auto const& d : e.details) {
      auto const* o = d.if_object();
      if (o == nullptr || !chat_str(*o, "@type").ends_with("QuotaFailure")) continue;
      if (auto const* vs = o->if_contains("violations"); vs != nullptr && vs->is_array())
        for (auto const& v : vs->get_array())
          if (auto const* vo = v.if_object()) return std::string(chat_str(*vo, key));
    }
    return {};
  }

  /// An error in the flavor's shape: Gemini's layer sends Google's error wrapped in a list;
  /// a generic server sends OpenAI's shape (429s with a `retry-after` header in seconds).
  static reply chat_error(chat_flavor fl, error_spec e, const std::string& model,
                          const std::string& param) {
    if (fl == chat_flavor::gemini) return error_reply(framing::array, std::move(e));
    reply r;
    r.status = e.code;
    std::string type = e.code >= 500 ? "server_error" : "invalid_request_error";
    std::string code;
    std::string msg = e.message;
    switch (e.code) {
      case 403: code = "permission_denied"; break;
      case 404:
        code = "model_not_found";
        msg = "The model `" + model + "` does not exist or you do not have access to it.";
        break;
      case 429: {
        std::string id = spec_quota(e, "quotaId");
        if (id.find("PerDay") != std::string::npos) {
          type = code = "insufficient_quota";
          msg =
              "You exceeded your current quota, please check your plan and billing details. For "
              "more information on this error, read the docs: "
              "https://platform.openai.com/docs/guides/error-codes/api-errors.";
          break;
        }
        bool tokens = id.find("InputTokens") != std::string::npos;
        type = tokens ? "tokens" : "requests";
        code = "rate_limit_exceeded";
        std::int64_t ms = spec_retry_ms(e).value_or(1000);
        msg = "Rate limit reached for " + model + " on " +
              (tokens ? "tokens per min (TPM)" : "requests per min (RPM)") + ": Limit " +
              spec_quota(e, "quotaValue") + ". Please try again in " + duration_string(ms) +
              ". Visit https://platform.openai.com/account/rate-limits to learn more.";
        r.headers.emplace_back("retry-after", std::to_string((ms + 999) / 1000));
        break;
      }
      case 500:
        msg = "The server had an error while processing your request. Sorry about that!";
        break;
      case 503: msg = "The server is overloaded or not ready yet."; break;
      case 504: msg = "Request timed out."; break;
      default: break;
    }
    r.body = openai_error_body(msg, type, code, param);
    chat_headers(r, fl, false);
    return r;
  }

  std::optional<error_spec> check_quota(const std::string& key, std::size_t tokens,
                                        const std::string& model) {
    if (rpm_limit_ == 0 && tpm_limit_ == 0) return std::nullopt;
    auto now = std::chrono::steady_clock::now();
    std::lock_guard lk(mu_);
    auto& w = windows_[key];
    while (!w.empty() && now - w.front().first >= std::chrono::minutes(1)) w.pop_front();
    auto retry = [&] {
      auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(
          w.front().first + std::chrono::minutes(1) - now);
      // whole seconds, as the real service mostly sends
      return std::chrono::milliseconds((wait.count() + 999) / 1000 * 1000);
    };
    if (rpm_limit_ != 0 && w.size() >= rpm_limit_)
      return quota_error("generate_content_free_tier_requests",
                         "GenerateRequestsPerMinutePerProjectPerModel-FreeTier", model, rpm_limit_,
                         retry());
    if (tpm_limit_ != 0) {
      std::size_t used = 0;
      for (auto const& e : w) used += e.second;
      if (used + tokens > tpm_limit_) {
        auto d = w.empty() ? std::chrono::milliseconds(60000) : retry();
        return quota_error("generate_content_free_tier_input_token_count",
                           "GenerateContentInputTokensPerModelPerMinute-FreeTier", model,
                           tpm_limit_, d);
      }
    }
    w.emplace_back(now, tokens);
    return std::nullopt;
  }

  reply list_models(std::int64_t page_size, const std::optional<std::string>& token) {
    if (page_size <= 0) page_size = 50;
    if (page_size > 1000) page_size = 1000;
    std::size_t offset = 0;
    if (token && !token->empty()) {
      std::string dec;
      if (!base64url_decode(*token, dec) || dec.compare(0, 2, "o:") != 0)
        return error_reply(framing::unary, {400, "INVALID_ARGUMENT", "Invalid page token.", {}});
      try {
        offset = std::stoul(dec.substr(2));
      } catch (...) {
        return error_reply(framing::unary, {400, "INVALID_ARGUMENT", "Invalid page token.", {}});
      }
    }
    auto const& all = catalogue();
    json::array models;
    std::size_t end = std::min(all.size(), offset + static_cast<std::size_t>(page_size));
    for (std::size_t i = offset; i < end; ++i) models.push_back(model_json(all[i]));
    json::object o;
    o["models"] = std::move(models);
    if (end < all.size()) o["nextPageToken"] = base64url_encode("o:" + std::to_string(end));
    return json_reply(o);
  }

  static reply count_tokens(const json::object& ro, framing f) {
    const json::object* src = &ro;
    if (auto const* g = ro.if_contains("generateContentRequest"); g != nullptr && g->is_object())
      src = &g->get_object();
    auto const* c = src->if_contains("contents");
    if (c == nullptr || !c->is_array())
      return error_reply(f, {400,
                             "INVALID_ARGUMENT",
                             "* CountTokensRequest.contents: contents is not specified\n",
                             {}});
    std::size_t n = prompt_tokens(*src);
    json::object o;
    o["totalTokens"] = n;
    json::object d;
    d["modality"] = "TEXT";
    d["tokenCount"] = n;
    json::array details;
    details.push_back(std::move(d));
    o["promptTokensDetails"] = std::move(details);
    return json_reply(o);
  }

  /// A deterministic embedding of `text`: unit length at full size (3072), truncated
  /// (not renormalized) to outputDimensionality.
  static std::optional<json::array> embedding_values(const json::object& req, std::string& error) {
    auto const* c = req.if_contains("content");
    if (c == nullptr || !c->is_object()) {
      error = "* EmbedContentRequest.content: content is not specified\n";
      return std::nullopt;
    }
    std::string text = parts_text(*c);
    std::int64_t dims = int_field(req, "outputDimensionality", 3072);
    if (dims <= 0 || dims > 3072) dims = 3072;
    std::uint64_t st = fnv1a(text);
    std::vector<double> v(3072);
    double norm = 0;
    for (auto& x : v) {
      x = static_cast<double>(splitmix64(st) >> 11) / 9007199254740992.0 * 2.0 - 1.0;
      norm += x * x;
    }
    norm = std::sqrt(norm);
    json::array a;
    a.reserve(static_cast<std::size_t>(dims));
    for (std::int64_t i = 0; i < dims; ++i)
      a.emplace_back(std::round(v[static_cast<std::size_t>(i)] / norm * 1e8) / 1e8);
    return a;
  }

  static reply embed(const json::object& ro, const std::string&, framing f) {
    std::string err;
    auto vals = embedding_values(ro, err);
    if (!vals) return error_reply(f, {400, "INVALID_ARGUMENT", err, {}});
    json::object e;
    e["values"] = std::move(*vals);
    json::object o;
    o["embedding"] = std::move(e);
    return json_reply(o);
  }

  static reply batch_embed(const json::object& ro, const std::string& model, framing f) {
    auto const* rs = ro.if_contains("requests");
    if (rs == nullptr || !rs->is_array() || rs->get_array().empty())
      return error_reply(f, {400,
                             "INVALID_ARGUMENT",
                             "* BatchEmbedContentsRequest.requests: requests is not specified\n",
                             {}});
    json::array out;
    for (auto const& r : rs->get_array()) {
      if (!r.is_object())
        return error_reply(f, {400, "INVALID_ARGUMENT", "Invalid embed request.", {}});
      auto const& o = r.get_object();
      if (auto const* mm = o.if_contains("model");
          mm != nullptr && mm->is_string() && mm->get_string() != "models/" + model)
        return error_reply(
            f, {400,
                "INVALID_ARGUMENT",
                "Model name in the request (" + std::string(mm->get_string()) +
                    ") does not match the model name in the URL (models/" + model + ").",
                {}});
      std::string err;
      auto vals = embedding_values(o, err);
      if (!vals) return error_reply(f, {400, "INVALID_ARGUMENT", err, {}});
      json::object e;
      e["values"] = std::move(*vals);
      out.push_back(std::move(e));
    }
    json::object o;
    o["embeddings"] = std::move(out);
    return json_reply(o);
  }

  // ---- cachedContents ---------------------------------------------------------------
  struct cache_entry {
    std::string name, model, display_name;
    json::object content;  ///< contents, systemInstruction, tools, toolConfig
    std::chrono::system_clock::time_point created, updated, expires;
    std::size_t tokens = 0;
  };

  static std::string rfc3339(std::chrono::system_clock::time_point t) {
    auto secs = std::chrono::floor<std::chrono::seconds>(t);
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(t - secs).count();
    std::time_t tt = std::chrono::system_clock::to_time_t(secs);
    std::tm tm{};
    ::gmtime_r(&tt, &tm);
    char buf[96];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<long long>(us));
    return buf;
  }
  /// "3600s", "0.5s" -> the duration; nullopt when malformed or negative.
  static std::optional<std::chrono::milliseconds> parse_ttl(const json::value* v) {
    if (v == nullptr || !v->is_string()) return std::nullopt;
    std::string t(v->get_string());
    if (t.size() < 2 || t.back() != 's') return std::nullopt;
    char* end = nullptr;
    double secs = std::strtod(t.c_str(), &end);
    if (end != t.c_str() + t.size() - 1 || !(secs >= 0) || secs > 1e9) return std::nullopt;
    return std::chrono::milliseconds(static_cast<std::int64_t>(secs * 1000));
  }
  static json::object cache_json(const cache_entry& c) {
    json::object o;
    o["name"] = c.name;
    o["model"] = c.model;
    if (!c.display_name.empty()) o["displayName"] = c.display_name;
    o["createTime"] = rfc3339(c.created);
    o["updateTime"] = rfc3339(c.updated);
    o["expireTime"] = rfc3339(c.expires);
    json::object u;
    u["totalTokenCount"] = c.tokens;
    o["usageMetadata"] = std::move(u);
    return o;
  }
  void drop_expired(std::chrono::system_clock::time_point now) {
    for (auto it = caches_.begin(); it != caches_.end();)
      it = it->second.expires <= now ? caches_.erase(it) : std::next(it);
  }
  static error_spec cache_not_found() {
    return {403, "PERMISSION_DENIED", "CachedContent not found (or permission denied)", {}};
  }

  reply cached_contents(endpoint ep, const std::string& name, const std::string& body,
                        const std::string& update_mask, std::int64_t page_size,
                        const std::optional<std::string>& page_token) {
    const auto now = std::chrono::system_clock::now();
    json::object ro;
    if (ep == endpoint::cached_create || ep == endpoint::cached_patch) {
      boost::system::error_code ec;
      auto v = json::parse(body, ec);
      if (ec || !v.is_object())
        return error_reply(framing::unary,
                           {400, "INVALID_ARGUMENT", "Invalid JSON payload received.", {}});
      ro = std::move(v.get_object());
    }
    std::lock_guard lk(mu_);
    drop_expired(now);
    switch (ep) {
      case endpoint::cached_create: {
        std::string model;
        if (auto const* m = ro.if_contains("model"); m != nullptr && m->is_string())
          model = std::string(m->get_string());
        const std::string id = model.compare(0, 7, "models/") == 0 ? model.substr(7) : model;
        if (id.empty() || find_model(id) == nullptr)
          return error_reply(framing::unary, {404,
                                              "NOT_FOUND",
                                              "models/" + id +
                                                  " is not found for "
                                                  "createCachedContent",
                                              {}});
        cache_entry c;
        c.model = "models/" + id;
        for (auto k : {"contents", "systemInstruction", "tools", "toolConfig"})
          if (auto const* x = ro.if_contains(k)) c.content[k] = *x;
        c.tokens = prompt_tokens(c.content);
        const std::size_t min = id.find("pro") != std::string::npos ? 4096 : 1024;
        if (c.tokens < min)
          return error_reply(framing::unary, {400,
                                              "INVALID_ARGUMENT",
                                              "Cached content is too small. total_token_count=" +
                                                  std::to_string(c.tokens) +
                                                  ", min_total_token_count=" + std::to_string(min),
                                              {}});
        std::chrono::milliseconds ttl = std::chrono::hours(1);
        if (ro.contains("ttl")) {
          auto t = parse_ttl(ro.if_contains("ttl"));
          if (!t)
            return error_reply(framing::unary,
                               {400, "INVALID_ARGUMENT", "Invalid value at 'ttl'", {}});
          ttl = *t;
        }
        if (auto const* d = ro.if_contains("displayName"); d != nullptr && d->is_string())
          c.display_name = std::string(d->get_string());
        c.created = c.updated = now;
        c.expires = now + ttl;
        c.name = "cachedContents/" + response_id(id_seed_ * 31 + ++cache_seq_);
        auto out = cache_json(c);
        caches_.emplace(c.name, std::move(c));
        return json_reply(out);
      }
      case endpoint::cached_get: {
        auto it = caches_.find(name);
        if (it == caches_.end()) return error_reply(framing::unary, cache_not_found());
        return json_reply(cache_json(it->second));
      }
      case endpoint::cached_list: {
        std::size_t start = 0;
        if (page_token)
          start = static_cast<std::size_t>(std::max(0LL, std::atoll(page_token->c_str())));
        std::size_t n = page_size > 0 ? static_cast<std::size_t>(page_size) : 50;
        json::array items;
        std::size_t i = 0;
        for (auto& [k, c] : caches_) {
          if (i >= start && items.size() < n) items.push_back(cache_json(c));
          ++i;
        }
        json::object o;
        if (!items.empty()) o["cachedContents"] = std::move(items);
        if (start + n < caches_.size()) o["nextPageToken"] = std::to_string(start + n);
        return json_reply(o);
      }
      case endpoint::cached_patch: {
        auto it = caches_.find(name);
        if (it == caches_.end()) return error_reply(framing::unary, cache_not_found());
        if (update_mask != "ttl")
          return error_reply(
              framing::unary,
              {400, "INVALID_ARGUMENT", "The emulator updates only 'ttl' (updateMask=ttl)", {}});
        auto t = parse_ttl(ro.if_contains("ttl"));
        if (!t)
          return error_reply(framing::unary,
                             {400, "INVALID_ARGUMENT", "Invalid value at 'ttl'", {}});
        it->second.updated = now;
        it->second.expires = now + *t;
        return json_reply(cache_json(it->second));
      }
      case endpoint::cached_delete: {
        if (caches_.erase(name) == 0) return error_reply(framing::unary, cache_not_found());
        return json_reply(json::object{});
      }
      default: return html_not_found(name);
    }
  }

  /// The request as the model sees it with its cachedContent: the cache's contents first,
  /// its system instruction and tools. The cached tokens are told in `cached`.
  std::optional<error_spec> with_cached_content(const json::object& ro, const std::string& model,
                                                json::object& merged, std::size_t& cached) {
    for (auto k : {"systemInstruction", "tools", "toolConfig"})
      if (ro.contains(k))
        return error_spec{400,
                          "INVALID_ARGUMENT",
                          "CachedContent can not be used with GenerateContent request setting "
                          "system_instruction, tools or tool_config.\n\nProposed fix: move those "
                          "values to CachedContent from GenerateContent request.",
                          {}};
    auto const* n = ro.if_contains("cachedContent");
    if (n == nullptr || !n->is_string()) return cache_not_found();
    std::lock_guard lk(mu_);
    drop_expired(std::chrono::system_clock::now());
    auto it = caches_.find(std::string(n->get_string()));
    if (it == caches_.end()) return cache_not_found();
    const auto& c = it->second;
    if (c.model != "models/" + model)
      return error_spec{400,
                        "INVALID_ARGUMENT",
                        "Model used by GenerateContent request (models/" + model +
                            ") and CachedContent (" + c.model + ") has to be the same.",
                        {}};
    merged = ro;
    merged.erase("cachedContent");
    json::array contents;
    if (auto const* cc = c.content.if_contains("contents"); cc != nullptr && cc->is_array())
      contents = cc->get_array();
    if (auto const* rc = ro.if_contains("contents"); rc != nullptr && rc->is_array())
      for (auto& x : rc->get_array()) contents.push_back(x);
    merged["contents"] = std::move(contents);
    for (auto k : {"systemInstruction", "tools", "toolConfig"})
      if (auto const* x = c.content.if_contains(k)) merged[k] = *x;
    cached = c.tokens;
    return std::nullopt;
  }

  std::map<std::string, cache_entry> caches_;
  std::uint64_t cache_seq_ = 0;

  std::string api_key_;
  std::uint32_t rpm_limit_;
  std::uint32_t tpm_limit_;
  double fault_probability_;
  std::vector<fault_kind> random_faults_;

  mutable std::mutex mu_;
  std::deque<fault> faults_;
  std::mt19937_64 rng_;
  std::uint64_t id_seed_;
  std::uint64_t response_seq_ = 0;
  latency_options latency_;
  std::map<std::string, std::deque<std::pair<std::chrono::steady_clock::time_point, std::size_t>>>
      windows_;
  recorded_request last_;

  std::atomic<std::size_t> requests_{0};
  std::array<std::atomic<std::size_t>, endpoint_names.size()> per_endpoint_{};
};

}  // namespace detail
}  // namespace testing
}  // namespace v1
}  // namespace gemini
