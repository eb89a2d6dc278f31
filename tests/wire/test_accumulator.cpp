// Merging streamed chunks.
#include <gemini/wire/accumulator.hpp>  // first: self-contained

#include <gemini/wire/json.hpp>

#include "wire_test_util.hpp"

#include <catch2/catch.hpp>

#include <sstream>
#include <string>
#include <vector>

namespace wire = gemini::wire;

namespace {

std::vector<wire::generate_content_response> chunks(const std::string& jsonl) {
  std::vector<wire::generate_content_response> out;
  std::istringstream in(jsonl);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    auto r = wire::parse<wire::generate_content_response>(line);
    INFO((r ? std::string() : r.error().what()));
    REQUIRE(r.has_value());
    out.push_back(std::move(*r));
  }
  return out;
}

wire::generate_content_response text_chunk(std::string text, int index = 0, bool thought = false) {
  wire::generate_content_response r;
  wire::candidate c;
  c.index = index;
  c.content = wire::content::model(std::move(text));
  c.content->parts[0].thought = thought;
  r.candidates.push_back(std::move(c));
  return r;
}

}  // namespace

TEST_CASE("accumulating a thinking + function-call stream", "[wire][unit][accumulator]") {
  auto cs = chunks(wire_test::fixture("stream_chunks.jsonl"));
  REQUIRE(cs.size() == 7);
  wire::response_accumulator acc;
  std::string streamed;
  for (std::size_t i = 0; i < cs.size(); ++i) {
    streamed += cs[i].text();
    CHECK_FALSE(acc.finished());
    acc.add(std::move(cs[i]));
  }
  CHECK(acc.finished());
  CHECK(acc.chunks() == 7);
  auto const& r = acc.response();
  CHECK(r.text() == streamed);
  CHECK(r.text() == "Pools keep sockets open. Done");
  CHECK(r.thoughts() == "Let me think about pools.");
  REQUIRE(r.candidates.size() == 1);
  auto const& c = r.candidates[0];
  CHECK(c.finish_reason == wire::finish_reason::stop);
  REQUIRE(c.content);
  CHECK(c.content->role == "model");
  auto const& p = c.content->parts;
  // thought run, answer run, function call, answer run carrying the final signature
  REQUIRE(p.size() == 4);
  CHECK(p[0].thought);
  CHECK(p[0].text == "Let me think about pools.");
  CHECK(p[1].text == "Pools keep sockets open.");
  CHECK(p[1].thought_signature.empty());
  REQUIRE(p[2].function_call);
  CHECK(p[2].function_call->id == "c1");
  CHECK(p[2].thought_signature == "U0lHLUZD");
  CHECK(p[3].text == " Done");
  CHECK(p[3].thought_signature == "RXQ4RC1maW5hbA==");  // moved from the empty final part
  // Usage is cumulative: the last one wins.
  CHECK(r.usage.total_token_count == 41);
  CHECK(r.usage.candidates_token_count == 11);
  CHECK(r.usage.thoughts_token_count == 24);
  CHECK(r.usage.service_tier == "standard");
  CHECK(r.model_version == "gemini-3.5-flash");
  CHECK(r.response_id == "IiYaau_fNqqajrEP2K2QqQU");
  CHECK(r.extra.at("turnToken") == "t-1");
  REQUIRE(c.citation_metadata);
  CHECK(c.citation_metadata->citation_sources.size() == 1);
  CHECK(c.safety_ratings.size() == 1);

  auto taken = acc.take();
  CHECK(taken.text() == "Pools keep sockets open. Done");
  CHECK_FALSE(acc.finished());
  CHECK(acc.response().candidates.empty());
  CHECK(acc.chunks() == 0);
}

TEST_CASE("signature-only final part after thoughts stays its own part",
          "[wire][unit][accumulator]") {
  wire::response_accumulator acc;
  acc.add(text_chunk("thinking...", 0, true));
  auto last = text_chunk("");
  last.candidates[0].content->parts[0].thought_signature = "SIG";
  last.candidates[0].finish_reason = wire::finish_reason::stop;
  acc.add(std::move(last));
  auto const& p = acc.response().candidates.at(0).content->parts;
  REQUIRE(p.size() == 2);
  CHECK(p[0].thought);
  CHECK(p[0].thought_signature.empty());
  CHECK(p[1].text == "");
  CHECK(p[1].thought_signature == "SIG");
  CHECK(acc.finished());
}

TEST_CASE("two signatures never merge into one part", "[wire][unit][accumulator]") {
  wire::response_accumulator acc;
  auto a = text_chunk("a");
  a.candidates[0].content->parts[0].thought_signature = "S1";
  auto b = text_chunk("b");
  b.candidates[0].content->parts[0].thought_signature = "S2";
  acc.add(std::move(a));
  acc.add(text_chunk("a2"));
  acc.add(std::move(b));
  auto const& p = acc.response().candidates.at(0).content->parts;
  REQUIRE(p.size() == 2);
  CHECK(p[0].text == "aa2");
  CHECK(p[0].thought_signature == "S1");
  CHECK(p[1].text == "b");
  CHECK(p[1].thought_signature == "S2");
  CHECK_FALSE(acc.finished());
}

TEST_CASE("several candidates are kept apart by index", "[wire][unit][accumulator]") {
  wire::response_accumulator acc;
  auto first = text_chunk("A1");
  first.candidates.push_back(text_chunk("B1", 1).candidates[0]);
  acc.add(std::move(first));
  acc.add(text_chunk("B2", 1));
  auto end = text_chunk("A2");
  end.candidates[0].finish_reason = wire::finish_reason::max_tokens;
  acc.add(std::move(end));
  auto const& r = acc.response();
  REQUIRE(r.candidates.size() == 2);
  CHECK(r.candidates[0].index == 0);
  CHECK(r.candidates[0].content->text() == "A1A2");
  CHECK(r.candidates[1].content->text() == "B1B2");
  CHECK(r.finish() == wire::finish_reason::max_tokens);
  CHECK(r.candidates[1].finish_reason == wire::finish_reason::unspecified);
  CHECK(acc.finished());
}

TEST_CASE("a blocked prompt finishes the stream in one event", "[wire][unit][accumulator]") {
  auto blocked = wire::parse<wire::generate_content_response>(
      wire_test::fixture("generate_response_blocked_prompt.json"));
  REQUIRE(blocked);
  wire::response_accumulator acc;
  acc.add(*blocked);  // the copying overload
  CHECK(acc.finished());
  CHECK(acc.response().blocked());
  CHECK(acc.response().candidates.empty());
  CHECK(acc.response() == *blocked);
}

TEST_CASE("a stream without finishReason is not finished", "[wire][unit][accumulator]") {
  wire::response_accumulator acc;
  acc.add(text_chunk("partial "));
  acc.add(text_chunk("answer"));
  CHECK_FALSE(acc.finished());
  CHECK(acc.response().text() == "partial answer");
  // An empty chunk (e.g. usage only) changes nothing but usage.
  wire::generate_content_response usage_only;
  usage_only.usage.total_token_count = 9;
  acc.add(std::move(usage_only));
  CHECK(acc.response().usage.total_token_count == 9);
  CHECK(acc.response().text() == "partial answer");
  CHECK_FALSE(acc.finished());
}
