// Emulator tests over plain HTTP, through a raw Beast client (tests/emulator/raw_http.hpp).
#include <gemini/testing/emulator.hpp>

#include "emulator/raw_http.hpp"

#include <catch2/catch.hpp>

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

const std::string gen = "/v1beta/models/gemini-2.5-flash:generateContent";
const std::string sse = "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse";

}  // namespace

TEST_CASE("generateContent answers with text and usage", "[emulator]") {
  emulator emu;
  raw_client c(emu.port());
  REQUIRE(c.ok());
  auto r = c.post(gen, prompt_body("Hello there"));
  REQUIRE(!r.ec);
  CHECK(r.status == 200);
  CHECK(r.header("content-type") == "application/json; charset=UTF-8");
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
