// The emulator's OpenAI-compatible chat completions endpoint, over raw HTTP
// (tests/emulator/raw_http.hpp), and wire/openai.hpp against it.
#include <gemini/testing/emulator.hpp>
#include <gemini/wire/accumulator.hpp>
#include <gemini/wire/json.hpp>
#include <gemini/wire/openai.hpp>
#include <gemini/wire/sse.hpp>

#include "emulator/raw_http.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace json = boost::json;
namespace wire = gemini::wire;
namespace oai = gemini::wire::openai;
using emutest::raw_client;
using gemini::errc;
using gemini::testing::emulator;
using gemini::testing::emulator_options;
using gemini::testing::fault;
using gemini::testing::fault_kind;
using namespace std::chrono_literals;

namespace {

const std::string gemini_chat = "/v1beta/openai/chat/completions";
const std::string openai_chat = "/v1/chat/completions";
const std::string gen = "/v1beta/models/gemini-2.5-flash:generateContent";
const raw_client::headers_t bearer = {{"Authorization", "Bearer test-key"}};

/// {"model", "messages": [{"role": "user", "content": text}], ...extra}
std::string chat_body(const std::string& text, const std::string& extra = {},
                      const std::string& model = "gemini-2.5-flash") {
  json::object m;
  m["role"] = "user";
  m["content"] = text;
  json::object req;
  req["model"] = model;
  req["messages"] = json::array{m};
  std::string s = json::serialize(req);
  if (!extra.empty()) s.insert(s.size() - 1, "," + extra);
  return s;
}

std::string prompt_body(const std::string& text) {
  wire::generate_content_request r;
  r.contents.push_back(wire::content::user(text));
  return wire::serialize(r);
}

std::string content_of(const json::value& v) {
  auto const& c = v.at("choices").at(0).at("message").at("content");
  return c.is_null() ? std::string("(null)") : std::string(c.as_string());
}

std::int64_t num(const json::value& v) { return v.to_number<std::int64_t>(); }

/// The `data:` payloads of an OpenAI SSE body ("data: " + one line + "\n\n").
bool split_events(const std::string& body, std::vector<std::string>& events) {
  std::size_t pos = 0;
  while (pos < body.size()) {
    if (body.compare(pos, 6, "data: ") != 0) return false;
    auto end = body.find("\n\n", pos);
    if (end == std::string::npos) return false;
    std::string line = body.substr(pos + 6, end - pos - 6);
    if (line.find('\n') != std::string::npos) return false;
    events.push_back(std::move(line));
    pos = end + 2;
  }
  return true;
}

/// Everything a stream delivers, through wire::sse_parser, chunk_translator and the
/// accumulator (as a client would read it).
struct translated_stream {
  wire::generate_content_response response;
  gemini::result<void> end;
  bool done = false;
  std::size_t chunks = 0;
};

translated_stream translate_stream(const std::string& body) {
  wire::sse_parser parser;
  oai::chunk_translator tr;
  wire::response_accumulator acc;
  wire::sse_event ev;
  translated_stream out;
  REQUIRE(parser.feed(body));
  REQUIRE(parser.finish());
  while (parser.next(ev)) {
    auto c = tr.translate(ev.data);
    INFO((c ? std::string() : c.error().what()));
    REQUIRE(c);
    if (*c) {
      ++out.chunks;
      acc.add(std::move(**c));
    }
  }
  out.end = tr.finish();
  out.done = tr.done();
  out.response = acc.take();
  return out;
}

}  // namespace

TEST_CASE("chat completions: Bearer authentication", "[emulator][openai]") {
  emulator emu;
  raw_client c(emu.port());
  for (const std::string& target : {gemini_chat, openai_chat}) {
    INFO(target);
    auto missing = c.post(target, chat_body("hi"), {});
    CHECK(missing.status == 401);
    CHECK(oai::parse_chat_error(401, missing.body).code == errc::unauthenticated);
    auto wrong = c.post(target, chat_body("hi"), {{"Authorization", "Bearer nope-key"}});
    CHECK(wrong.status == 401);
    auto e = oai::parse_chat_error(401, wrong.body);
    CHECK(e.code == errc::unauthenticated);
    // The Gemini key header is not what this endpoint reads.
    CHECK(c.post(target, chat_body("hi"), {{"x-goog-api-key", "test-key"}}).status == 401);
    CHECK(c.post(target, chat_body("hi"), {{"Authorization", "bearer test-key"}}).status == 200);
  }
  // Generic servers answer in OpenAI's shape, Gemini's layer in Google's, wrapped in a list.
  auto wrong = c.post(openai_chat, chat_body("hi"), {{"Authorization", "Bearer nope-key"}});
  auto const& err = wrong.json().at("error").as_object();
  CHECK(err.at("type").as_string() == "invalid_request_error");
  CHECK(err.at("code").as_string() == "invalid_api_key");
  CHECK(err.at("param").is_null());
  CHECK(std::string(err.at("message").as_string()).find("nope-key") == std::string::npos);
  auto missing = c.post(openai_chat, chat_body("hi"), {});
  CHECK(missing.json().at("error").at("code").is_null());
  auto g = c.post(gemini_chat, chat_body("hi"), {{"Authorization", "Bearer nope-key"}});
  auto const& ge = g.json().as_array().at(0).at("error").as_object();
  CHECK(num(ge.at("code")) == 401);
  CHECK(ge.at("status").as_string() == "UNAUTHENTICATED");
  CHECK(oai::parse_chat_error(401, g.body).reason == "API_KEY_INVALID");

  emulator_options open;
  open.api_key = "";
  emulator any(open);
  raw_client a(any.port());
  CHECK(a.post(openai_chat, chat_body("hi"), {}).status == 200);
}

TEST_CASE("chat completions: the answer and usage of generateContent", "[emulator][openai]") {
  emulator emu;
  raw_client c(emu.port());
  auto native = c.post(gen, prompt_body("Hello there"), {{"x-goog-api-key", "test-key"}});
  REQUIRE(native.status == 200);
  auto nr = wire::parse<wire::generate_content_response>(native.body);
  REQUIRE(nr);

  for (const std::string& target : {gemini_chat, openai_chat}) {
    INFO(target);
    auto r = c.post(target, chat_body("Hello there"), bearer);
    REQUIRE(r.status == 200);
    CHECK(r.header("content-type").rfind("application/json", 0) == 0);
    auto const& v = r.json();
    CHECK(v.at("object").as_string() == "chat.completion");
    CHECK(std::string(v.at("id").as_string()).rfind("chatcmpl-", 0) == 0);
    CHECK(v.at("model").as_string() == "gemini-2.5-flash");
    CHECK(content_of(v) == nr->text());
    CHECK(v.at("choices").at(0).at("message").at("role").as_string() == "assistant");
    CHECK(v.at("choices").at(0).at("finish_reason").as_string() == "stop");
    auto const& u = v.at("usage");
    CHECK(num(u.at("prompt_tokens")) == nr->usage.prompt_token_count);
    CHECK(num(u.at("completion_tokens")) == nr->usage.candidates_token_count);
    CHECK(num(u.at("total_tokens")) == nr->usage.total_token_count);
    CHECK(num(u.at("completion_tokens_details").at("reasoning_tokens")) == 0);

    // The same through the library's translation.
    auto t = oai::parse_chat_response(r.body);
    REQUIRE(t);
    CHECK(t->text() == nr->text());
    CHECK(t->usage.prompt_token_count == nr->usage.prompt_token_count);
    CHECK(t->usage.candidates_token_count == nr->usage.candidates_token_count);
    CHECK(t->usage.total_token_count == nr->usage.total_token_count);
    CHECK(t->finish() == wire::finish_reason::stop);
    CHECK(t->model_version == nr->model_version);
  }
  CHECK(emu.requests("chat.completions") == 2);
  CHECK(emu.requests("chat.completions.stream") == 0);
  CHECK(emu.requests("generateContent") == 1);
  CHECK(emu.requests() == 3);
}

TEST_CASE("chat completions: a translated request gets the native answer", "[emulator][openai]") {
  // System instruction, two turns, an alias model: chat_request() of a GenerateContentRequest
  // is answered exactly as the request itself is on generateContent.
  wire::generate_content_request req;
  req.system_instruction = wire::content::system("Answer in prose.");
  req.contents.push_back(wire::content::user("First question"));
  req.contents.push_back(wire::content::model("First answer."));
  req.contents.push_back(wire::content::user("Second question [[words:23]]"));
  req.generation_config.emplace();
  req.generation_config->thinking_config.emplace();
  req.generation_config->thinking_config->thinking_budget = 1024;

  emulator emu;
  raw_client c(emu.port());
  auto native = c.post("/v1beta/models/gemini-flash-latest:generateContent", wire::serialize(req),
                       {{"x-goog-api-key", "test-key"}});
  REQUIRE(native.status == 200);
  auto nr = wire::parse<wire::generate_content_response>(native.body);
  REQUIRE(nr);
  CHECK(nr->usage.thoughts_token_count > 0);

  auto body = oai::chat_request(req, "gemini-flash-latest", false);
  REQUIRE(body);
  CHECK(json::parse(*body).at("reasoning_effort").as_string() == "low");
  auto r = c.post(gemini_chat, *body, bearer);
  REQUIRE(r.status == 200);
  auto t = oai::parse_chat_response(r.body);
  REQUIRE(t);
  CHECK(t->text() == nr->text());
  CHECK(t->model_version == "gemini-3.5-flash");  // the alias resolves, as modelVersion does
  CHECK(t->usage.prompt_token_count == nr->usage.prompt_token_count);
  CHECK(t->usage.candidates_token_count == nr->usage.candidates_token_count);
  CHECK(t->usage.thoughts_token_count == nr->usage.thoughts_token_count);
  CHECK(t->usage.total_token_count == nr->usage.total_token_count);
  // The emulator's view of the request: the key went as a Bearer token.
  CHECK(emu.last_request().header("authorization") == "Bearer test-key");
}

TEST_CASE("chat completions: streaming with usage and [DONE]", "[emulator][openai]") {
  emulator emu;
  raw_client c(emu.port());
  auto unary = c.post(openai_chat, chat_body("Tell me a story [[words:23]]"), bearer);
  REQUIRE(unary.status == 200);
  std::string text = content_of(unary.json());

  for (const std::string& target : {gemini_chat, openai_chat}) {
    INFO(target);
    auto r = c.post(target,
                    chat_body("Tell me a story [[words:23]]",
                              R"("stream":true,"stream_options":{"include_usage":true})"),
                    bearer);
    REQUIRE(!r.ec);
    REQUIRE(r.status == 200);
    CHECK(r.header("content-type").rfind("text/event-stream", 0) == 0);
    CHECK(r.chunked);
    std::vector<std::string> ev;
    REQUIRE(split_events(r.body, ev));
    // role delta, ceil(23/5) = 5 content deltas, finish, usage, [DONE]
    REQUIRE(ev.size() == 9);
    CHECK(ev.back() == "[DONE]");
    std::string streamed;
    for (std::size_t i = 0; i + 2 < ev.size(); ++i) {
      auto v = json::parse(ev[i]);
      CHECK(v.at("object").as_string() == "chat.completion.chunk");
      CHECK(v.at("usage").is_null());
      auto const& ch = v.at("choices").at(0);
      if (i == 0) CHECK(ch.at("delta").at("role").as_string() == "assistant");
      if (auto const* t = ch.at("delta").as_object().if_contains("content")) {
        streamed += std::string(t->as_string());
      }
      if (i + 3 == ev.size())
        CHECK(ch.at("finish_reason").as_string() == "stop");
      else
        CHECK(ch.at("finish_reason").is_null());
    }
    CHECK(streamed == text);
    auto usage = json::parse(ev[ev.size() - 2]);
    CHECK(usage.at("choices").as_array().empty());
    CHECK(num(usage.at("usage").at("completion_tokens")) ==
          num(unary.json().at("usage").at("completion_tokens")));

    auto t = translate_stream(r.body);
    CHECK(t.end);
    CHECK(t.done);
    CHECK(t.response.text() == text);
    CHECK(t.response.finish() == wire::finish_reason::stop);
    CHECK(t.response.usage.total_token_count == num(unary.json().at("usage").at("total_tokens")));
  }
  CHECK(emu.requests("chat.completions.stream") == 2);

  // Without include_usage: no usage anywhere, still [DONE].
  auto r = c.post(openai_chat, chat_body("x [[words:6]]", R"("stream":true)"), bearer);
  std::vector<std::string> ev;
  REQUIRE(split_events(r.body, ev));
  REQUIRE(ev.size() == 5);  // role, 2 deltas, finish, [DONE]
  CHECK(ev.back() == "[DONE]");
  for (std::size_t i = 0; i + 1 < ev.size(); ++i)
    CHECK_FALSE(json::parse(ev[i]).as_object().contains("usage"));
  auto t = translate_stream(r.body);
  CHECK(t.response.usage.empty());
  CHECK(t.response.text() ==
        content_of(c.post(openai_chat, chat_body("x [[words:6]]"), bearer).json()));
}

TEST_CASE("chat completions: reasoning effort and max tokens", "[emulator][openai]") {
  emulator emu;
  raw_client c(emu.port());
  auto r =
      c.post(openai_chat, chat_body("Think [[words:30]]", R"("reasoning_effort":"low")"), bearer);
  REQUIRE(r.status == 200);
  auto const& u = r.json().at("usage");
  std::int64_t reasoning = num(u.at("completion_tokens_details").at("reasoning_tokens"));
  CHECK(reasoning > 0);
  auto t = oai::parse_chat_response(r.body);
  REQUIRE(t);
  CHECK(t->usage.thoughts_token_count == reasoning);
  CHECK(t->usage.total_token_count ==
        t->usage.prompt_token_count + t->usage.candidates_token_count + reasoning);
  CHECK(t->text().find(' ') != std::string::npos);

  auto none =
      c.post(openai_chat, chat_body("Think [[words:30]]", R"("reasoning_effort":"none")"), bearer);
  CHECK(num(none.json().at("usage").at("completion_tokens_details").at("reasoning_tokens")) == 0);

  // Gemini's layer refuses "minimal"; a generic server takes it.
  auto minimal = c.post(gemini_chat, chat_body("x", R"("reasoning_effort":"minimal")"), bearer);
  CHECK(minimal.status == 400);
  auto me = oai::parse_chat_error(400, minimal.body);
  CHECK(me.code == errc::invalid_argument);
  CHECK(me.message.find("Invalid reasoning_effort: minimal") != std::string::npos);
  CHECK(c.post(openai_chat, chat_body("x", R"("reasoning_effort":"minimal")"), bearer).status ==
        200);

  auto cut = c.post(openai_chat, chat_body("x [[words:40]]", R"("max_tokens":5)"), bearer);
  REQUIRE(cut.status == 200);
  CHECK(cut.json().at("choices").at(0).at("finish_reason").as_string() == "length");
  auto ct = oai::parse_chat_response(cut.body);
  REQUIRE(ct);
  CHECK(ct->finish() == wire::finish_reason::max_tokens);
  CHECK(ct->usage.candidates_token_count <= 5);
}

TEST_CASE("chat completions: HTTP faults in each flavor's shape", "[emulator][openai]") {
  emulator emu;
  raw_client c(emu.port());

  // 429 per minute: a generic server sends retry-after (whole seconds, rounded up).
  emu.push_fault(fault{fault_kind::http_429_per_minute, 2500ms, {}});
  auto rl = c.post(openai_chat, chat_body("x"), bearer);
  REQUIRE(rl.status == 429);
  CHECK(rl.header("retry-after") == "3");
  auto const& re = rl.json().at("error");
  CHECK(re.at("code").as_string() == "rate_limit_exceeded");
  CHECK(re.at("type").as_string() == "requests");
  auto rle = oai::parse_chat_error(429, rl.body);
  CHECK(rle.code == errc::rate_limited);
  CHECK(rle.retry_delay == 2500ms);  // "Please try again in 2.5s."
  CHECK(oai::parse_retry_after(rl.header("retry-after")) == 3000ms);

  // Gemini's layer: Google's 429 (QuotaFailure, RetryInfo) wrapped in a list.
  emu.push_fault(fault{fault_kind::http_429_per_minute, 7000ms, {}});
  auto grl = c.post(gemini_chat, chat_body("x"), bearer);
  REQUIRE(grl.status == 429);
  CHECK(grl.json().is_array());
  auto grle = oai::parse_chat_error(429, grl.body);
  CHECK(grle.code == errc::rate_limited);
  CHECK(grle.retry_delay == 7000ms);
  REQUIRE(grle.quota.size() == 1);

  // Per day: insufficient_quota / per-day quotaId, both quota_exhausted.
  emu.push_fault(fault_kind::http_429_per_day);
  auto day = c.post(openai_chat, chat_body("x"), bearer);
  CHECK(day.json().at("error").at("code").as_string() == "insufficient_quota");
  CHECK(day.header("retry-after").empty());
  CHECK(oai::parse_chat_error(429, day.body).code == errc::quota_exhausted);
  emu.push_fault(fault_kind::http_429_per_day);
  CHECK(oai::parse_chat_error(429, c.post(gemini_chat, chat_body("x"), bearer).body).code ==
        errc::quota_exhausted);

  struct expect {
    fault_kind kind;
    unsigned status;
    errc code;
  };
  for (auto x : {expect{fault_kind::http_400, 400, errc::invalid_argument},
                 expect{fault_kind::http_403, 403, errc::permission_denied},
                 expect{fault_kind::http_404, 404, errc::not_found},
                 expect{fault_kind::http_500, 500, errc::internal},
                 expect{fault_kind::http_503, 503, errc::unavailable},
                 expect{fault_kind::http_504, 504, errc::upstream_timeout}}) {
    for (const std::string& target : {gemini_chat, openai_chat}) {
      INFO(target << " " << gemini::testing::to_string(x.kind));
      emu.push_fault(x.kind);
      auto r = c.post(target, chat_body("x"), bearer);
      CHECK(r.status == x.status);
      auto e = oai::parse_chat_error(static_cast<int>(r.status), r.body);
      CHECK(e.code == x.code);
      CHECK(!e.message.empty());
    }
  }
  // The prompt token works here too, and random faults as well.
  auto tok = c.post(openai_chat, chat_body("x [[fault:http_503]]"), bearer);
  CHECK(tok.status == 503);
  CHECK(tok.json().at("error").at("type").as_string() == "server_error");

  emulator_options o;
  o.fault_probability = 1.0;
  o.random_faults = {fault_kind::http_500};
  emulator noisy(o);
  raw_client n(noisy.port());
  CHECK(n.post(openai_chat, chat_body("x"), bearer).status == 500);
}

TEST_CASE("chat completions: transport and content faults", "[emulator][openai]") {
  emulator emu;
  {
    raw_client c(emu.port());
    emu.push_fault(fault_kind::reset_before_response);
    auto r = c.post(openai_chat, chat_body("x"), bearer);
    CHECK(r.ec);
    CHECK(!r.header_done);
  }
  for (const std::string& target : {gemini_chat, openai_chat}) {
    INFO(target);
    raw_client c(emu.port());
    emu.push_fault(fault_kind::cut_mid_stream);
    auto r = c.post(
        target,
        chat_body("x [[words:40]]", R"("stream":true,"stream_options":{"include_usage":true})"),
        bearer);
    CHECK(r.ec);  // the chunked body never ends
    CHECK(r.header_done);
    CHECK(r.status == 200);
    std::vector<std::string> ev;
    REQUIRE(split_events(r.body, ev));
    CHECK(ev.size() == 6);  // half of role + 8 deltas + finish + usage + [DONE]
    CHECK(r.body.find("\"finish_reason\":\"") == std::string::npos);
    CHECK(r.body.find("[DONE]") == std::string::npos);
    auto t = translate_stream(r.body);
    REQUIRE_FALSE(t.end);
    CHECK(t.end.error().code == errc::truncated_stream);
    CHECK_FALSE(t.response.text().empty());  // the partial text arrived
  }
  {
    raw_client c(emu.port());
    emu.push_fault(fault_kind::cut_mid_stream);
    auto r = c.post(openai_chat, chat_body("x [[words:40]]"), bearer);
    CHECK(r.ec);
    REQUIRE(!r.header("content-length").empty());
    CHECK(r.body.size() == std::stoul(r.header("content-length")) / 2);
  }
  {
    raw_client c(emu.port());
    emu.push_fault(fault_kind::malformed_json);
    auto r = c.post(openai_chat, chat_body("x"), bearer);
    CHECK(r.status == 200);
    auto t = oai::parse_chat_response(r.body);
    REQUIRE_FALSE(t);
    CHECK(t.error().code == errc::malformed_response);
    emu.push_fault(fault_kind::malformed_json);
    auto s = c.post(openai_chat, chat_body("x", R"("stream":true)"), bearer);
    CHECK(s.status == 200);
    wire::sse_parser p;
    REQUIRE(p.feed(s.body));
    REQUIRE(p.finish());
    wire::sse_event ev;
    REQUIRE(p.next(ev));
    oai::chunk_translator tr;
    auto bad = tr.translate(ev.data);
    REQUIRE_FALSE(bad);
    CHECK(bad.error().code == errc::malformed_response);
  }
  {
    raw_client c(emu.port());
    emu.push_fault(fault_kind::safety_finish);
    auto r = c.post(openai_chat, chat_body("x"), bearer);
    CHECK(r.json().at("choices").at(0).at("finish_reason").as_string() == "content_filter");
    CHECK(content_of(r.json()) == "(null)");
    auto t = oai::parse_chat_response(r.body);
    REQUIRE(t);
    CHECK(t->finish() == wire::finish_reason::safety);
    emu.push_fault(fault_kind::safety_block_prompt);
    auto b = c.post(openai_chat, chat_body("x", R"("stream":true)"), bearer);
    auto bt = translate_stream(b.body);
    CHECK(bt.end);
    CHECK(bt.response.finish() == wire::finish_reason::safety);
    CHECK(bt.response.text().empty());
    emu.push_fault(fault_kind::max_tokens);
    auto m = c.post(gemini_chat, chat_body("x [[words:20]]", R"("stream":true)"), bearer);
    CHECK(translate_stream(m.body).response.finish() == wire::finish_reason::max_tokens);
  }
  // A scripted fault for another model is left for that model.
  emu.push_fault(fault{fault_kind::http_503, 7000ms, "gemini-2.5-pro"});
  raw_client c(emu.port());
  CHECK(c.post(openai_chat, chat_body("x"), bearer).status == 200);
  CHECK(c.post(openai_chat, chat_body("x", {}, "gemini-2.5-pro"), bearer).status == 503);
  CHECK(emu.pending_faults() == 0);
}

TEST_CASE("chat completions: a stalled request answers nothing", "[emulator][openai]") {
  emulator emu;
  emu.push_fault(fault_kind::stall_first_byte);
  raw_client c(emu.port(), std::chrono::milliseconds(300));
  auto r = c.post(openai_chat, chat_body("x"), bearer);
  CHECK(r.ec);  // nothing arrived before the client gave up
  CHECK(!r.header_done);
  CHECK(emu.requests("chat.completions") == 1);
}

TEST_CASE("chat completions: invalid requests", "[emulator][openai]") {
  emulator emu;
  raw_client c(emu.port());
  auto bad = c.post(openai_chat, "{not json", bearer);
  CHECK(bad.status == 400);
  CHECK(oai::parse_chat_error(400, bad.body).code == errc::invalid_argument);

  auto no_msgs = c.post(openai_chat, R"({"model":"gemini-2.5-flash","messages":[]})", bearer);
  CHECK(no_msgs.status == 400);
  CHECK(no_msgs.json().at("error").at("param").as_string() == "messages");

  auto no_model = c.post(openai_chat, R"({"messages":[{"role":"user","content":"x"}]})", bearer);
  CHECK(no_model.status == 400);

  auto unknown = c.post(openai_chat, chat_body("x", {}, "gpt-nope"), bearer);
  CHECK(unknown.status == 404);
  CHECK(unknown.json().at("error").at("code").as_string() == "model_not_found");
  auto gunknown = c.post(gemini_chat, chat_body("x", {}, "models/gpt-nope"), bearer);
  CHECK(gunknown.status == 404);
  CHECK(oai::parse_chat_error(404, gunknown.body).code == errc::not_found);
  // "models/" is accepted as a prefix.
  CHECK(c.post(gemini_chat, chat_body("x", {}, "models/gemini-2.5-flash"), bearer).status == 200);
  // The embedding model does not chat.
  CHECK(c.post(openai_chat, chat_body("x", {}, "gemini-embedding-001"), bearer).status == 404);

  auto n2 = c.post(openai_chat, chat_body("x", R"("n":2)"), bearer);
  CHECK(n2.status == 400);

  auto role = c.post(openai_chat,
                     R"({"model":"gemini-2.5-flash","messages":[{"role":"wizard","content":"x"}]})",
                     bearer);
  CHECK(role.status == 400);

  auto get = c.get(openai_chat, bearer);
  CHECK(get.status == 404);
  CHECK(emu.requests("other") == 1);
}

TEST_CASE("chat completions: tool messages and images are understood", "[emulator][openai]") {
  // Function-calling history and an image go through the emulator's translation; the prompt
  // tokens count them as generateContent would (an image is 258 tokens).
  std::string body = R"({"model":"gemini-2.5-flash","messages":[
    {"role":"system","content":"Be brief."},
    {"role":"user","content":[{"type":"text","text":"What is this?"},
      {"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}}]},
    {"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function",
      "function":{"name":"lookup","arguments":"{\"q\":\"png\"}"}}]},
    {"role":"tool","tool_call_id":"call_1","content":"{\"answer\":\"a picture\"}"},
    {"role":"user","content":"Thanks [[echo]]"}],
    "tools":[{"type":"function","function":{"name":"lookup","parameters":{"type":"object"}}}]})";
  emulator emu;
  raw_client c(emu.port());
  auto r = c.post(openai_chat, body, bearer);
  REQUIRE(r.status == 200);
  CHECK(content_of(r.json()) == "Thanks");
  CHECK(num(r.json().at("usage").at("prompt_tokens")) > 258);

  auto bad_args = c.post(openai_chat, R"({"model":"gemini-2.5-flash","messages":[
    {"role":"assistant","tool_calls":[{"id":"c","function":{"name":"f","arguments":"{"}}]},
    {"role":"user","content":"x"}]})",
                         bearer);
  CHECK(bad_args.status == 400);
}

TEST_CASE("chat completions: RPM quota per Bearer key", "[emulator][openai]") {
  emulator_options o;
  o.api_key = "";
  o.rpm_limit = 1;
  emulator emu(o);
  raw_client c(emu.port());
  CHECK(c.post(openai_chat, chat_body("a"), {{"Authorization", "Bearer k1"}}).status == 200);
  auto r = c.post(openai_chat, chat_body("a"), {{"Authorization", "Bearer k1"}});
  REQUIRE(r.status == 429);
  auto s = std::stoi(r.header("retry-after"));
  CHECK((s >= 59 && s <= 60));
  CHECK(oai::parse_chat_error(429, r.body).code == errc::rate_limited);
  // generateContent shares the window of the same key.
  CHECK(c.post(gen, prompt_body("a"), {{"x-goog-api-key", "k1"}}).status == 429);
  CHECK(c.post(gemini_chat, chat_body("a"), {{"Authorization", "Bearer k2"}}).status == 200);
}
