// Emulator tests over plain HTTP, through a raw Beast client (tests/emulator/raw_http.hpp).
#include <gemini/testing/emulator.hpp>

#include "emulator/raw_http.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <future>
#include <thread>

namespace json = boost::json;
using emutest::raw_client;
using gemini::testing::emulator;
using gemini::testing::emulator_options;
using gemini::testing::fault;
using gemini::testing::fault_kind;
using http_verb = boost::beast::http::verb;

namespace {

std::string prompt_body(const std::string& text, const std::string& extra = {}) {
  json::object part;
  part["text"] = text;
  json::object content;
  content["role"] = "user";
  content["parts"] = json::array{part};
  json::object req;
  req["contents"] = json::array{content};
  std::string s = json::serialize(req);
  if (!extra.empty()) s.insert(s.size() - 1, "," + extra);
  return s;
}

std::string text_of(const json::value& resp) {
  std::string s;
  auto const& cands = resp.at("candidates").as_array();
  auto const* content = cands.at(0).as_object().if_contains("content");
  if (content == nullptr) return s;
  for (auto const& p : content->at("parts").as_array()) {
    auto const& o = p.as_object();
    if (o.contains("thought")) continue;
    s += std::string(o.at("text").as_string());
  }
  return s;
}

template <class Pred>
bool wait_until(Pred p, std::chrono::milliseconds limit = std::chrono::seconds(3)) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (!p()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

const json::object& error_of(const json::value& v) {
  if (v.is_array()) return v.as_array().at(0).as_object().at("error").as_object();
  return v.as_object().at("error").as_object();
}

const json::object* detail_of(const json::object& err, const std::string& type) {
  auto const* d = err.if_contains("details");
  if (d == nullptr) return nullptr;
  for (auto const& x : d->as_array())
    if (x.as_object().at("@type").as_string() == "type.googleapis.com/google.rpc." + type)
      return &x.as_object();
  return nullptr;
}

std::int64_t usage_of(const json::value& v, const char* field) {
  auto const* u = v.as_object().at("usageMetadata").as_object().if_contains(field);
  return u == nullptr ? -1 : u->to_number<std::int64_t>();
}

const std::string gen = "/v1beta/models/gemini-2.5-flash:generateContent";
const std::string sse = "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse";
const std::string arr = "/v1beta/models/gemini-2.5-flash:streamGenerateContent";

}  // namespace

TEST_CASE("generateContent answers with text and usage", "[emulator]") {
  emulator emu;
  raw_client c(emu.port());
  REQUIRE(c.ok());
  auto r = c.post(gen, prompt_body("Hello there"));
  REQUIRE(!r.ec);
  CHECK(r.status == 200);
  CHECK(r.header("content-type") == "application/json; charset=UTF-8");
  CHECK(r.header("x-gemini-service-tier") == "standard");
  CHECK(r.header("server") == "scaffolding on HTTPServer2");
  auto v = r.json();
  CHECK(!text_of(v).empty());
  auto const& u = v.at("usageMetadata").as_object();
  CHECK(u.at("promptTokenCount").to_number<std::int64_t>() == 3);  // ceil(11/4)
  CHECK(u.at("totalTokenCount").to_number<std::int64_t>() ==
        u.at("promptTokenCount").to_number<std::int64_t>() +
            u.at("candidatesTokenCount").to_number<std::int64_t>());
  CHECK(v.at("modelVersion").as_string() == "gemini-2.5-flash");
  CHECK(v.at("responseId").as_string().size() == 23);
  CHECK(v.at("candidates").at(0).at("finishReason").as_string() == "STOP");
  CHECK(emu.requests() == 1);
  CHECK(emu.requests("generateContent") == 1);
  CHECK(emu.connections() == 1);
}

TEST_CASE("SSE stream framing", "[emulator]") {
  emulator emu;
  raw_client c(emu.port());
  auto r = c.post(sse, prompt_body("Tell me a story [[words:40]]"));
  REQUIRE(!r.ec);
  CHECK(r.status == 200);
  CHECK(r.header("content-type") == "text/event-stream");
  CHECK(r.chunked);
  std::vector<std::string> events;
  REQUIRE(emutest::split_sse(r.body, events));
  REQUIRE(events.size() == 8);
  std::string text;
  for (std::size_t i = 0; i < events.size(); ++i) {
    auto v = json::parse(events[i]);
    text += text_of(v);
    bool has_finish = v.at("candidates").at(0).as_object().contains("finishReason");
    CHECK(has_finish == (i + 1 == events.size()));
  }
  auto unary = c.post(gen, prompt_body("Tell me a story [[words:40]]"));
  CHECK(text == text_of(unary.json()));
}

TEST_CASE("both API versions and the JSON array stream", "[emulator]") {
  emulator emu;
  raw_client c(emu.port());
  auto v1 = c.post("/v1/models/gemini-2.5-pro:generateContent", prompt_body("hi"));
  REQUIRE(v1.status == 200);
  CHECK(v1.json().at("modelVersion").as_string() == "gemini-2.5-pro");

  auto r = c.post(arr, prompt_body("array please [[words:12]]"));
  REQUIRE(!r.ec);
  CHECK(r.status == 200);
  CHECK(r.chunked);
  REQUIRE(r.body.front() == '[');
  REQUIRE(r.body.back() == ']');
  CHECK(r.body.find("\r\n,\r\n") != std::string::npos);
  auto a = json::parse(r.body).as_array();
  REQUIRE(a.size() == 3);  // 12 words in deltas of five
  CHECK(a.back().at("candidates").at(0).at("finishReason").as_string() == "STOP");
  std::string text;
  for (auto const& e : a) text += text_of(e);
  CHECK(text == text_of(c.post(gen, prompt_body("array please [[words:12]]")).json()));

  auto s1 = c.post("/v1/models/gemini-2.5-flash:streamGenerateContent?alt=sse", prompt_body("x"));
  std::vector<std::string> events;
  CHECK(emutest::split_sse(s1.body, events));
  CHECK(emu.requests("streamGenerateContent") == 2);
  CHECK(emu.requests("generateContent") == 2);
  CHECK(emu.connections() == 1);  // all on one kept-alive connection
}

TEST_CASE("alias, countTokens, embeddings and models", "[emulator]") {
  emulator emu;
  raw_client c(emu.port());
  auto alias = c.post("/v1beta/models/gemini-flash-latest:generateContent", prompt_body("hi"));
  CHECK(alias.json().at("modelVersion").as_string() == "gemini-3.5-flash");

  auto ct = c.post("/v1beta/models/gemini-2.5-flash:countTokens", prompt_body("12345678"));
  REQUIRE(ct.status == 200);
  CHECK(ct.json().at("totalTokens").to_number<int>() == 2);
  CHECK(ct.json().at("promptTokensDetails").at(0).at("modality").as_string() == "TEXT");
  auto ct2 = c.post("/v1beta/models/gemini-2.5-flash:countTokens",
                    "{\"generateContentRequest\":" + prompt_body("123456789") + "}");
  CHECK(ct2.json().at("totalTokens").to_number<int>() == 3);

  const std::string emb = "/v1beta/models/gemini-embedding-001:embedContent";
  auto e = c.post(emb, R"({"content":{"parts":[{"text":"abc"}]},"taskType":"RETRIEVAL_QUERY"})");
  REQUIRE(e.status == 200);
  auto const& vals = e.json().at("embedding").at("values").as_array();
  CHECK(vals.size() == 3072);
  double norm = 0;
  for (auto const& x : vals) norm += x.to_number<double>() * x.to_number<double>();
  CHECK(norm == Approx(1.0).epsilon(1e-3));
  auto e2 = c.post(emb, R"({"content":{"parts":[{"text":"abc"}]},"outputDimensionality":8})");
  auto const& v8 = e2.json().at("embedding").at("values").as_array();
  REQUIRE(v8.size() == 8);
  CHECK(v8.at(0) == vals.at(0));  // truncation of the same vector

  auto b = c.post(
      "/v1beta/models/gemini-embedding-001:batchEmbedContents",
      R"({"requests":[{"model":"models/gemini-embedding-001","content":{"parts":[{"text":"abc"}]},"outputDimensionality":4},
                                  {"model":"models/gemini-embedding-001","content":{"parts":[{"text":"xyz"}]},"outputDimensionality":4}]})");
  REQUIRE(b.status == 200);
  auto const& embs = b.json().at("embeddings").as_array();
  REQUIRE(embs.size() == 2);
  CHECK(embs.at(0).at("values").as_array().size() == 4);
  CHECK(embs.at(0).at("values").at(0) == vals.at(0));
  CHECK(embs.at(1).at("values") != embs.at(0).at("values"));
  auto bad =
      c.post("/v1beta/models/gemini-embedding-001:batchEmbedContents",
             R"({"requests":[{"model":"models/other","content":{"parts":[{"text":"a"}]}}]})");
  CHECK(bad.status == 400);
  auto not_embed = c.post("/v1beta/models/gemini-2.5-flash:embedContent",
                          R"({"content":{"parts":[{"text":"a"}]}})");
  CHECK(not_embed.status == 404);
  auto not_gen = c.post("/v1beta/models/gemini-embedding-001:generateContent", prompt_body("a"));
  CHECK(not_gen.status == 404);

  // models.list with paging
  std::vector<std::string> names;
  std::string token;
  int pages = 0;
  do {
    std::string target = "/v1beta/models?pageSize=4";
    if (!token.empty()) target += "&pageToken=" + token;
    auto l = c.get(target);
    REQUIRE(l.status == 200);
    auto v = l.json();
    for (auto const& m : v.at("models").as_array()) {
      names.emplace_back(m.at("name").as_string());
      CHECK(m.as_object().contains("inputTokenLimit"));
      CHECK(m.as_object().contains("supportedGenerationMethods"));
    }
    auto const* t = v.as_object().if_contains("nextPageToken");
    token = t ? std::string(t->as_string()) : std::string();
    ++pages;
  } while (!token.empty() && pages < 10);
  CHECK(pages == 2);
  CHECK(names.size() == 6);
  CHECK(std::find(names.begin(), names.end(), "models/gemini-embedding-001") != names.end());
  CHECK(c.get("/v1beta/models?pageToken=garbage!").status == 400);

  auto m = c.get("/v1beta/models/gemini-2.5-flash");
  REQUIRE(m.status == 200);
  CHECK(m.json().at("name").as_string() == "models/gemini-2.5-flash");
  CHECK(m.json().at("outputTokenLimit").to_number<int>() == 65536);
  CHECK(m.json().at("thinking").as_bool());
  CHECK(c.get("/v1/models/gemini-embedding-001").status == 200);

  CHECK(emu.requests("countTokens") == 2);
  CHECK(emu.requests("embedContent") == 3);
  CHECK(emu.requests("batchEmbedContents") == 2);
  CHECK(emu.requests("models.list") == 3);
  CHECK(emu.requests("models.get") == 2);
}

TEST_CASE("request errors: unknown model, malformed JSON, bad routes", "[emulator]") {
  emulator emu;
  raw_client c(emu.port());
  auto r = c.post("/v1beta/models/gemini-9-ultra:generateContent", prompt_body("hi"));
  CHECK(r.status == 404);
  auto const& e = error_of(r.json());
  CHECK(e.at("code").to_number<int>() == 404);
  CHECK(e.at("status").as_string() == "NOT_FOUND");
  CHECK(e.at("message").as_string() ==
        "models/gemini-9-ultra is not found for API version v1beta, or is not supported for "
        "generateContent. Call ListModels to see the list of available models and their "
        "supported methods.");
  CHECK(c.get("/v1beta/models/gemini-9-ultra").status == 404);

  auto bad = c.post(gen, "{\"contents\": [");
  CHECK(bad.status == 400);
  CHECK(error_of(bad.json()).at("status").as_string() == "INVALID_ARGUMENT");
  CHECK(std::string(error_of(bad.json()).at("message").as_string())
            .rfind("Invalid JSON payload received.", 0) == 0);
  auto empty = c.post(gen, "{}");
  CHECK(empty.status == 400);
  CHECK(error_of(empty.json()).at("message").as_string() ==
        "* GenerateContentRequest.contents: contents is not specified\n");

  auto wrong_method = c.get(gen);
  CHECK(wrong_method.status == 404);
  CHECK(wrong_method.header("content-type") == "text/html; charset=UTF-8");
  CHECK(c.post("/v2/models/gemini-2.5-flash:generateContent", prompt_body("x")).status == 404);
  CHECK(c.post("/v1beta/models/gemini-2.5-flash:fly", prompt_body("x")).status == 404);
  CHECK(c.get("/").status == 404);
  CHECK(emu.requests("other") == 4);
  CHECK(emu.requests() == 8);
}

TEST_CASE("authentication failures have the real shapes", "[emulator]") {
  emulator emu;
  raw_client c(emu.port());
  auto missing = c.post(gen, prompt_body("hi"), {});
  CHECK(missing.status == 403);
  auto const& m = error_of(missing.json());
  CHECK(m.at("status").as_string() == "PERMISSION_DENIED");
  CHECK(m.at("message").as_string() ==
        "Method doesn't allow unregistered callers (callers without established identity). "
        "Please use API Key or other form of API consumer identity to call this API.");

  auto wrong = c.post(gen, prompt_body("hi"), {{"x-goog-api-key", "nope"}});
  CHECK(wrong.status == 400);
  auto const& w = error_of(wrong.json());
  CHECK(w.at("code").to_number<int>() == 400);
  CHECK(w.at("status").as_string() == "INVALID_ARGUMENT");
  CHECK(w.at("message").as_string() == "API key not valid. Please pass a valid API key.");
  auto const* info = detail_of(w, "ErrorInfo");
  REQUIRE(info != nullptr);
  CHECK(info->at("reason").as_string() == "API_KEY_INVALID");
  CHECK(info->at("domain").as_string() == "googleapis.com");
  CHECK(info->at("metadata").at("service").as_string() == "generativelanguage.googleapis.com");

  // ?key= works, and is checked too
  CHECK(c.post(gen + "?key=test-key", prompt_body("hi"), {}).status == 200);
  CHECK(c.post(sse + "&key=test-key", prompt_body("hi"), {}).status == 200);
  CHECK(c.post(gen + "?key=bad", prompt_body("hi"), {}).status == 400);

  // On the SSE URL the error is raw JSON served as text/event-stream.
  auto s = c.post(sse, prompt_body("hi"), {{"x-goog-api-key", "nope"}});
  CHECK(s.status == 400);
  CHECK(s.header("content-type") == "text/event-stream");
  CHECK(s.body.rfind("{", 0) == 0);
  CHECK(error_of(s.json()).at("status").as_string() == "INVALID_ARGUMENT");
  // On the array stream URL it is array-wrapped.
  auto a = c.post(arr, prompt_body("hi"), {});
  CHECK(a.status == 403);
  REQUIRE(a.json().is_array());
  CHECK(error_of(a.json()).at("code").to_number<int>() == 403);
  // models.* need a key as well
  CHECK(c.get("/v1beta/models", {}).status == 403);

  emulator_options open;
  open.api_key = "";
  emulator any(open);
  raw_client c2(any.port());
  CHECK(c2.post(gen, prompt_body("hi"), {}).status == 200);
}

TEST_CASE("determinism, echo, maxOutputTokens and thinking", "[emulator]") {
  emulator emu;
  raw_client c(emu.port());
  auto a = c.post(gen, prompt_body("What is a token bucket?")).json();
  auto b = c.post(gen, prompt_body("What is a token bucket?")).json();
  auto other = c.post(gen, prompt_body("What is a leaky bucket?")).json();
  CHECK(text_of(a) == text_of(b));
  CHECK(text_of(a) != text_of(other));
  CHECK(a.at("responseId") != b.at("responseId"));

  emulator emu2;  // a fresh emulator answers the same text with the same ids
  raw_client c2(emu2.port());
  auto a2 = c2.post(gen, prompt_body("What is a token bucket?")).json();
  CHECK(text_of(a2) == text_of(a));
  CHECK(a2.at("responseId") == a.at("responseId"));

  auto echo = c.post(gen, prompt_body("[[echo]] say exactly this")).json();
  CHECK(text_of(echo) == "say exactly this");

  auto cut =
      c.post(gen, prompt_body("long [[words:200]]", R"("generationConfig":{"maxOutputTokens":10})"))
          .json();
  CHECK(cut.at("candidates").at(0).at("finishReason").as_string() == "MAX_TOKENS");
  CHECK(usage_of(cut, "candidatesTokenCount") <= 10);
  CHECK(usage_of(cut, "candidatesTokenCount") > 0);

  auto think =
      c.post(gen, prompt_body("think [[words:20]]",
                              R"("generationConfig":{"thinkingConfig":{"includeThoughts":true}})"))
          .json();
  auto const& parts = think.at("candidates").at(0).at("content").at("parts").as_array();
  REQUIRE(parts.size() == 2);
  CHECK(parts.at(0).at("thought").as_bool());
  CHECK(parts.at(1).as_object().contains("thoughtSignature"));
  CHECK(usage_of(think, "thoughtsTokenCount") > 0);
  CHECK(usage_of(think, "totalTokenCount") == usage_of(think, "promptTokenCount") +
                                                  usage_of(think, "candidatesTokenCount") +
                                                  usage_of(think, "thoughtsTokenCount"));

  auto budget =
      c.post(gen, prompt_body("think quietly",
                              R"("generationConfig":{"thinkingConfig":{"thinkingBudget":5}})"))
          .json();
  CHECK(usage_of(budget, "thoughtsTokenCount") == 5);
  CHECK(budget.at("candidates").at(0).at("content").at("parts").as_array().size() == 1);

  // MAX_TOKENS reached while thinking: no answer, no candidatesTokenCount.
  auto starved =
      c.post(
           gen,
           prompt_body(
               "think hard",
               R"("generationConfig":{"maxOutputTokens":3,"thinkingConfig":{"thinkingBudget":100}})"))
          .json();
  CHECK(starved.at("candidates").at(0).at("finishReason").as_string() == "MAX_TOKENS");
  CHECK(usage_of(starved, "candidatesTokenCount") == -1);
  CHECK(usage_of(starved, "thoughtsTokenCount") == 3);

  // Streaming with thoughts: the thought event comes first, usage is cumulative.
  auto s =
      c.post(sse, prompt_body("think [[words:20]]",
                              R"("generationConfig":{"thinkingConfig":{"includeThoughts":true}})"));
  std::vector<std::string> events;
  REQUIRE(emutest::split_sse(s.body, events));
  REQUIRE(events.size() == 5);
  auto first = json::parse(events[0]);
  CHECK(first.at("candidates").at(0).at("content").at("parts").at(0).at("thought").as_bool());
  std::int64_t last_total = 0;
  for (auto const& ev : events) {
    auto v = json::parse(ev);
    CHECK(usage_of(v, "totalTokenCount") >= last_total);
    last_total = usage_of(v, "totalTokenCount");
    CHECK(v.at("responseId") == first.at("responseId"));
  }
  CHECK(last_total == usage_of(think, "totalTokenCount"));
}

TEST_CASE("HTTP faults have the real error bodies", "[emulator]") {
  emulator emu;
  raw_client c(emu.port());
  struct row {
    fault_kind kind;
    unsigned status;
    const char* google;
    const char* message_start;
  };
  const row rows[] = {
      {fault_kind::http_400, 400, "INVALID_ARGUMENT", "Request contains an invalid argument."},
      {fault_kind::http_403, 403, "PERMISSION_DENIED", ""},
      {fault_kind::http_404, 404, "NOT_FOUND", "models/gemini-2.5-flash is not found"},
      {fault_kind::http_500, 500, "INTERNAL", "An internal error has occurred."},
      {fault_kind::http_503, 503, "UNAVAILABLE",
       "The model is overloaded. Please try again later."},
      {fault_kind::http_504, 504, "DEADLINE_EXCEEDED", ""},
      {fault_kind::http_429_per_minute, 429, "RESOURCE_EXHAUSTED",
       "You exceeded your current quota"},
      {fault_kind::http_429_per_day, 429, "RESOURCE_EXHAUSTED", "You exceeded your current quota"},
  };
  for (auto const& r : rows) {
    INFO(gemini::testing::to_string(r.kind));
    emu.push_fault(r.kind);
    auto resp = c.post(gen, prompt_body("hi"));
    REQUIRE(resp.status == r.status);
    CHECK(resp.header("content-type") == "application/json; charset=UTF-8");
    auto const& e = error_of(resp.json());
    CHECK(e.at("code").to_number<unsigned>() == r.status);
    CHECK(e.at("status").as_string() == r.google);
    CHECK(std::string(e.at("message").as_string()).rfind(r.message_start, 0) == 0);
    // the next request is fine again
    CHECK(c.post(gen, prompt_body("hi")).status == 200);
  }

  emu.push_fault(fault{fault_kind::http_429_per_minute, std::chrono::milliseconds(2500), {}});
  auto q = c.post(gen, prompt_body("hi"));
  auto const& e = error_of(q.json());
  auto const* retry = detail_of(e, "RetryInfo");
  REQUIRE(retry != nullptr);
  CHECK(retry->at("retryDelay").as_string() == "2.5s");
  auto const* qf = detail_of(e, "QuotaFailure");
  REQUIRE(qf != nullptr);
  auto const& v = qf->at("violations").at(0);
  CHECK(v.at("quotaId").as_string() == "GenerateRequestsPerMinutePerProjectPerModel-FreeTier");
  CHECK(v.at("quotaMetric").as_string() ==
        "generativelanguage.googleapis.com/generate_content_free_tier_requests");
  CHECK(v.at("quotaDimensions").at("model").as_string() == "gemini-2.5-flash");
  CHECK(v.at("quotaValue").is_string());
  auto const* help = detail_of(e, "Help");
  REQUIRE(help != nullptr);
  CHECK(help->at("links").at(0).at("url").as_string() ==
        "https://ai.google.dev/gemini-api/docs/rate-limits");

  emu.push_fault(fault_kind::http_429_per_day);
  auto d = c.post(gen, prompt_body("hi"));
  CHECK(detail_of(error_of(d.json()), "QuotaFailure")
            ->at("violations")
            .at(0)
            .at("quotaId")
            .as_string() == "GenerateRequestsPerDayPerProjectPerModel-FreeTier");
  CHECK(detail_of(error_of(d.json()), "RetryInfo")->at("retryDelay").as_string() == "7s");

  // Errors on the stream URLs: SSE → raw JSON as text/event-stream; array → wrapped.
  emu.push_fault(fault_kind::http_503);
  auto s = c.post(sse, prompt_body("hi"));
  CHECK(s.status == 503);
  CHECK(s.header("content-type") == "text/event-stream");
  CHECK(error_of(s.json()).at("status").as_string() == "UNAVAILABLE");
  emu.push_fault(fault_kind::http_500);
  auto a = c.post(arr, prompt_body("hi"));
  CHECK(a.status == 500);
  REQUIRE(a.json().is_array());
  CHECK(error_of(a.json()).at("status").as_string() == "INTERNAL");
}

TEST_CASE("fault scripting: FIFO, model filter, prompt token, seeded random faults", "[emulator]") {
  emulator emu;
  raw_client c(emu.port());
  emu.push_fault(fault{fault_kind::http_503, std::chrono::milliseconds(7000), "gemini-2.5-pro"});
  emu.push_fault(fault_kind::http_500);
  CHECK(emu.pending_faults() == 2);
  CHECK(c.post(gen, prompt_body("a")).status == 500);  // the pro fault does not match flash
  CHECK(c.post(gen, prompt_body("a")).status == 200);
  CHECK(c.post("/v1beta/models/gemini-2.5-pro:generateContent", prompt_body("a")).status == 503);
  CHECK(emu.pending_faults() == 0);

  // Content faults do not match countTokens; models.* never take faults.
  emu.push_fault(fault_kind::safety_finish);
  CHECK(c.post("/v1beta/models/gemini-2.5-flash:countTokens", prompt_body("a")).status == 200);
  CHECK(c.get("/v1beta/models").status == 200);
  CHECK(emu.pending_faults() == 1);
  emu.clear_faults();
  CHECK(emu.pending_faults() == 0);

  CHECK(c.post(gen, prompt_body("please fail [[fault:http_504]]")).status == 504);

  auto run = [](std::uint64_t seed) {
    emulator_options o;
    o.fault_probability = 0.5;
    o.seed = seed;
    o.random_faults = {fault_kind::http_503, fault_kind::http_429_per_minute};
    emulator e(o);
    raw_client rc(e.port());
    std::vector<unsigned> statuses;
    for (int i = 0; i < 24; ++i) statuses.push_back(rc.post(gen, prompt_body("a")).status);
    return statuses;
  };
  auto s1 = run(42);
  CHECK(s1 == run(42));
  CHECK(std::count(s1.begin(), s1.end(), 200u) > 0);
  CHECK(std::count(s1.begin(), s1.end(), 200u) < 24);
  for (auto st : s1) CHECK((st == 200 || st == 503 || st == 429));
}

TEST_CASE("content faults: safety block, safety finish, max tokens, malformed JSON", "[emulator]") {
  emulator emu;
  raw_client c(emu.port());
  emu.push_fault(fault_kind::safety_block_prompt);
  auto b = c.post(gen, prompt_body("bad"));
  CHECK(b.status == 200);
  auto bv = b.json();
  CHECK(!bv.as_object().contains("candidates"));
  CHECK(bv.at("promptFeedback").at("blockReason").as_string() == "SAFETY");
  CHECK(usage_of(bv, "promptTokenCount") == 1);

  emu.push_fault(fault_kind::safety_block_prompt);
  auto bs = c.post(sse, prompt_body("bad"));
  std::vector<std::string> ev;
  REQUIRE(emutest::split_sse(bs.body, ev));
  REQUIRE(ev.size() == 1);
  CHECK(json::parse(ev[0]).at("promptFeedback").at("blockReason").as_string() == "SAFETY");

  emu.push_fault(fault_kind::safety_finish);
  auto f = c.post(gen, prompt_body("bad"));
  auto const& cand = f.json().at("candidates").at(0).as_object();
  CHECK(cand.at("finishReason").as_string() == "SAFETY");
  CHECK(!cand.contains("content"));
  bool blocked = false;
  for (auto const& r : cand.at("safetyRatings").as_array())
    if (r.as_object().contains("blocked")) blocked = true;
  CHECK(blocked);

  emu.push_fault(fault_kind::safety_finish);
  auto fs = c.post(sse, prompt_body("bad [[words:30]]"));
  ev.clear();
  REQUIRE(emutest::split_sse(fs.body, ev));
  REQUIRE(ev.size() >= 2);
  CHECK(json::parse(ev.back()).at("candidates").at(0).at("finishReason").as_string() == "SAFETY");

  emu.push_fault(fault_kind::max_tokens);
  auto m = c.post(gen, prompt_body("long [[words:40]]"));
  CHECK(m.json().at("candidates").at(0).at("finishReason").as_string() == "MAX_TOKENS");

  emu.push_fault(fault_kind::malformed_json);
  auto bad = c.post(gen, prompt_body("x"));
  CHECK(bad.status == 200);
  boost::system::error_code jec;
  json::parse(bad.body, jec);
  CHECK(jec);

  emu.push_fault(fault_kind::malformed_json);
  auto bad_sse = c.post(sse, prompt_body("x"));
  CHECK(bad_sse.status == 200);
  CHECK(!bad_sse.ec);
  ev.clear();
  REQUIRE(emutest::split_sse(bad_sse.body, ev));
  REQUIRE(ev.size() == 1);
  json::parse(ev[0], jec);
  CHECK(jec);
  CHECK(c.post(gen, prompt_body("x")).status == 200);  // the connection is still usable
}

TEST_CASE("transport faults: reset, cut mid-stream, cut body", "[emulator]") {
  emulator emu;
  {
    raw_client c(emu.port());
    emu.push_fault(fault_kind::reset_before_response);
    auto r = c.post(gen, prompt_body("x"));
    CHECK(r.ec);
    CHECK(!r.header_done);
  }
  for (const std::string& target : {sse, arr}) {
    INFO(target);
    raw_client c(emu.port());
    emu.push_fault(fault_kind::cut_mid_stream);
    auto r = c.post(target, prompt_body("x [[words:40]]"));
    CHECK(r.ec);  // the chunked body never ends
    CHECK(r.header_done);
    CHECK(r.status == 200);
    REQUIRE(!r.body.empty());
    CHECK(r.body.find("finishReason") == std::string::npos);
    if (target == sse) {
      std::vector<std::string> ev;
      REQUIRE(emutest::split_sse(r.body, ev));
      CHECK(ev.size() == 4);  // half of the eight events
      for (auto const& e : ev) CHECK_NOTHROW(json::parse(e));
    } else {
      CHECK(r.body.back() != ']');
    }
  }
  {
    raw_client c(emu.port());
    emu.push_fault(fault_kind::cut_mid_stream);
    auto r = c.post(gen, prompt_body("x [[words:40]]"));
    CHECK(r.ec);
    CHECK(r.header_done);
    REQUIRE(!r.header("content-length").empty());
    CHECK(r.body.size() == std::stoul(r.header("content-length")) / 2);
  }
  raw_client c(emu.port());
  CHECK(c.post(gen, prompt_body("x")).status == 200);
}

TEST_CASE("stop() releases a stalled request", "[emulator]") {
  emulator emu;
  emu.push_fault(fault_kind::stall_first_byte);
  raw_client stalled(emu.port(), std::chrono::seconds(10));
  REQUIRE(!stalled.send(http_verb::post, gen, prompt_body("x")));
  auto pending = std::async(std::launch::async, [&] { return stalled.read_response(); });
  REQUIRE(wait_until([&] { return emu.requests() == 1; }));
  // A stalled connection blocks nobody else.
  raw_client other(emu.port());
  CHECK(other.post(gen, prompt_body("y")).status == 200);
  CHECK(pending.wait_for(std::chrono::milliseconds(0)) == std::future_status::timeout);
  emu.stop();
  REQUIRE(pending.wait_for(std::chrono::seconds(5)) == std::future_status::ready);
  auto r = pending.get();
  CHECK(r.ec);
  CHECK(r.ec != boost::asio::error::timed_out);
  CHECK(!r.header_done);
  emu.stop();  // twice is fine
  CHECK(emu.open_connections() == 0);
}

TEST_CASE("a stalled request ends when the client goes away", "[emulator]") {
  emulator emu;
  emu.push_fault(fault_kind::stall_first_byte);
  {
    raw_client stalled(emu.port());
    REQUIRE(!stalled.send(http_verb::post, gen, prompt_body("x")));
    REQUIRE(wait_until([&] { return emu.requests() == 1; }));
    CHECK(emu.open_connections() == 1);
  }
  CHECK(wait_until([&] { return emu.open_connections() == 0; }));
}

TEST_CASE("RPM and TPM quotas per key answer real-shaped 429s", "[emulator]") {
  emulator_options o;
  o.api_key = "";  // any key: quotas are per key
  o.rpm_limit = 2;
  emulator emu(o);
  raw_client c(emu.port());
  CHECK(c.post(gen, prompt_body("a"), {{"x-goog-api-key", "k1"}}).status == 200);
  CHECK(c.post(sse, prompt_body("a"), {{"x-goog-api-key", "k1"}}).status == 200);
  auto r = c.post(gen, prompt_body("a"), {{"x-goog-api-key", "k1"}});
  REQUIRE(r.status == 429);
  auto const& e = error_of(r.json());
  CHECK(e.at("status").as_string() == "RESOURCE_EXHAUSTED");
  auto const& v = detail_of(e, "QuotaFailure")->at("violations").at(0);
  CHECK(v.at("quotaId").as_string() == "GenerateRequestsPerMinutePerProjectPerModel-FreeTier");
  CHECK(v.at("quotaValue").as_string() == "2");
  std::string delay(detail_of(e, "RetryInfo")->at("retryDelay").as_string());
  CHECK((delay == "60s" || delay == "59s"));
  CHECK(detail_of(e, "Help") != nullptr);
  // another key has its own window; countTokens is not limited
  CHECK(c.post(gen, prompt_body("a"), {{"x-goog-api-key", "k2"}}).status == 200);
  CHECK(c.post("/v1beta/models/gemini-2.5-flash:countTokens", prompt_body("a"),
               {{"x-goog-api-key", "k1"}})
            .status == 200);

  emulator_options t;
  t.tpm_limit = 10;
  emulator tpm(t);
  raw_client c2(tpm.port());
  CHECK(c2.post(gen, prompt_body(std::string(32, 'x'))).status == 200);  // 8 tokens
  auto over = c2.post(gen, prompt_body(std::string(12, 'x')));           // 8 + 3 > 10
  REQUIRE(over.status == 429);
  CHECK(detail_of(error_of(over.json()), "QuotaFailure")
            ->at("violations")
            .at(0)
            .at("quotaId")
            .as_string() == "GenerateContentInputTokensPerModelPerMinute-FreeTier");
  CHECK(c2.post(gen, prompt_body("xxxxxxxx")).status == 200);  // 8 + 2 fits
}

TEST_CASE("keep-alive, Connection: close, close_idle_connections, counters", "[emulator]") {
  emulator emu;
  {
    raw_client c(emu.port());
    for (int i = 0; i < 3; ++i) {
      auto r = c.post(gen, prompt_body("a"));
      CHECK(r.status == 200);
      CHECK(r.keep_alive);
    }
    CHECK(emu.connections() == 1);
    raw_client c2(emu.port());
    CHECK(c2.get("/v1beta/models").status == 200);
    CHECK(emu.connections() == 2);

    // the server closes idle kept-alive connections on request
    REQUIRE(wait_until([&] { return emu.open_connections() == 2; }));
    CHECK(emu.close_idle_connections() == 2);
    CHECK(c.peer_closed());
    CHECK(c2.peer_closed());
    CHECK(wait_until([&] { return emu.open_connections() == 0; }));
  }
  {
    raw_client c(emu.port());
    auto r =
        c.request(http_verb::post, gen, prompt_body("a"), {{"x-goog-api-key", "test-key"}}, false);
    CHECK(r.status == 200);
    CHECK(!r.keep_alive);
    CHECK(c.peer_closed());
  }
  CHECK(emu.connections() == 3);
  CHECK(emu.requests() == 5);
  auto last = emu.last_request();
  CHECK(last.method == "POST");
  CHECK(last.target == gen);
  CHECK(last.header("X-Goog-Api-Key") == "test-key");
  CHECK(last.body == prompt_body("a"));
  emu.reset_counters();
  CHECK(emu.requests() == 0);
  CHECK(emu.connections() == 0);
  CHECK(emu.requests("generateContent") == 0);
}

TEST_CASE("latency is applied (ordering only, no timing)", "[emulator]") {
  emulator emu;
  gemini::testing::latency_options slow;
  slow.first_byte = std::chrono::seconds(30);
  emu.set_latency(slow);
  raw_client a(emu.port(), std::chrono::seconds(60));
  REQUIRE(!a.send(http_verb::post, gen, prompt_body("slow")));
  auto pending = std::async(std::launch::async, [&] { return a.read_response(); });
  REQUIRE(wait_until([&] { return emu.requests() == 1; }));
  emu.set_latency({});
  raw_client b(emu.port());
  CHECK(b.post(gen, prompt_body("fast")).status == 200);
  // the earlier request is still waiting for its first byte
  CHECK(pending.wait_for(std::chrono::milliseconds(0)) == std::future_status::timeout);

  // per_chunk latency: the stream's first event arrives, the rest waits
  gemini::testing::latency_options chunks;
  chunks.per_chunk = std::chrono::seconds(30);
  emu.set_latency(chunks);
  raw_client s(emu.port());
  REQUIRE(!s.send(http_verb::post, sse, prompt_body("x [[words:20]]")));
  std::string raw = s.read_raw_until("\r\n\r\n", 2);  // end of headers, end of event 1
  CHECK(raw.find("200 OK") != std::string::npos);
  CHECK(raw.find("data: ") != std::string::npos);
  CHECK(raw.find("data: ", raw.find("data: ") + 1) == std::string::npos);
  CHECK(raw.find("finishReason") == std::string::npos);

  emu.stop();  // cancels both timers
  REQUIRE(pending.wait_for(std::chrono::seconds(5)) == std::future_status::ready);
  CHECK(!pending.get().header_done);
}

TEST_CASE("several server threads serve concurrent clients", "[emulator]") {
  emulator_options o;
  o.threads = 2;
  emulator emu(o);
  std::vector<std::future<int>> fs;
  for (int t = 0; t < 4; ++t)
    fs.push_back(std::async(std::launch::async, [&emu, t] {
      raw_client c(emu.port());
      int ok = 0;
      for (int i = 0; i < 10; ++i)
        ok += c.post(t % 2 ? gen : sse, prompt_body("p" + std::to_string(i))).status == 200;
      return ok;
    }));
  int ok = 0;
  for (auto& f : fs) ok += f.get();
  CHECK(ok == 40);
  CHECK(emu.requests() == 40);
  CHECK(emu.connections() == 4);
}

TEST_CASE("Expect: 100-continue gets an interim response", "[emulator]") {
  emulator emu;
  raw_client c(emu.port());
  auto interim = c.request(http_verb::post, gen, prompt_body("hi"),
                           {{"x-goog-api-key", "test-key"}, {"Expect", "100-continue"}});
  CHECK(interim.status == 100);
  auto r = c.read_response();
  CHECK(r.status == 200);
  CHECK(!text_of(r.json()).empty());
}
