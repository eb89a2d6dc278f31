// wire::json_array_stream_parser: the JSON-array body of streamGenerateContent without
// `?alt=sse` (gemini-wire.md §5.2). Every input runs whole, byte by byte and under 200 random
// splits.
#include <gemini/wire/json_stream.hpp>  // first: self-contained

#include "stream_test_util.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace wire = gemini::wire;
using gemini::errc;
using stream_test::array_all_splits;
using stream_test::array_outcome;

namespace {

array_outcome ok(std::vector<std::string> items) { return {std::move(items), errc::success}; }
array_outcome failed(std::vector<std::string> items, errc e) { return {std::move(items), e}; }

}  // namespace

TEST_CASE("json array: a streamed generateContent body", "[stream][unit][json_array]") {
  const auto lines = stream_test::fixture_lines("stream_chunks.jsonl");
  // The shape the service streams: `[{...}\r\n,\r\n{...}\r\n]`.
  std::string body = "[";
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (i) body += "\r\n,\r\n";
    body += lines[i];
  }
  body += "\r\n]";
  CHECK(array_all_splits(body) == ok(lines));
  // Compact and with odd whitespace.
  std::string compact = "[";
  std::string spaced = " \t\n[\n\n  ";
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (i) {
      compact += ",";
      spaced += "\n ,\t";
    }
    compact += lines[i];
    spaced += lines[i];
  }
  compact += "]";
  spaced += " \r\n ] \r\n\n";
  CHECK(array_all_splits(compact) == ok(lines));
  CHECK(array_all_splits(spaced) == ok(lines));
}

TEST_CASE("json array: elements are available before the array closes",
          "[stream][unit][json_array]") {
  wire::json_array_stream_parser p;
  std::string e;
  REQUIRE(p.feed("[{\"a\": 1}\r\n,\r\n{\"b\""));
  REQUIRE(p.pending() == 1);
  REQUIRE(p.next(e));
  CHECK(e == "{\"a\": 1}");
  CHECK_FALSE(p.next(e));
  CHECK(e == "{\"a\": 1}");  // a failed next() leaves `out` alone
  CHECK_FALSE(p.closed());
  REQUIRE(p.feed(": 2}\r\n]"));
  CHECK(p.closed());
  REQUIRE(p.next(e));
  CHECK(e == "{\"b\": 2}");
  REQUIRE(p.finish());
  CHECK_FALSE(p.next(e));
}

TEST_CASE("json array: array-wrapped error body", "[stream][unit][json_array]") {
  const std::string body = stream_test::fixture("error_array_wrapped.json");
  const auto open = body.find('{');
  const auto close = body.rfind('}');
  REQUIRE(open == 1);
  REQUIRE(close != std::string::npos);
  CHECK(array_all_splits(body) == ok({body.substr(open, close - open + 1)}));
  CHECK(
      array_all_splits(
          R"([{"error": {"code": 503, "message": "The model is overloaded. [sic] {x}", "status": "UNAVAILABLE"}}])") ==
      ok({R"({"error": {"code": 503, "message": "The model is overloaded. [sic] {x}", "status": "UNAVAILABLE"}})"}));
}

TEST_CASE("json array: empty arrays", "[stream][unit][json_array]") {
  CHECK(array_all_splits("[]") == ok({}));
  CHECK(array_all_splits("[ ]") == ok({}));
  CHECK(array_all_splits("\r\n[\r\n]\r\n") == ok({}));
  CHECK(array_all_splits("\xEF\xBB\xBF[]") == ok({}));
}

TEST_CASE("json array: strings, escapes and nesting inside elements",
          "[stream][unit][json_array]") {
  const std::vector<std::string> elements = {
      R"({"text": "close } and ] and { inside a string"})",
      R"({"text": "escaped \" quote }"})",
      R"({"text": "backslash at the end \\"})",
      R"({"text": "\\\"}]", "more": [[{"x": "]"}], {}]})",
      R"({"a": {"b": {"c": [1, [2, [3, {"d": "\u007d"}]]]}}})",
      R"({})",
  };
  std::string body = "[";
  for (std::size_t i = 0; i < elements.size(); ++i) body += (i ? ",\n" : "") + elements[i];
  body += "]";
  CHECK(array_all_splits(body) == ok(elements));
}

TEST_CASE("json array: non-object elements pass through", "[stream][unit][json_array]") {
  CHECK(array_all_splits(R"([1, -2.5e3 ,"s\"]}" , true,null,false, [1,[2]], {"k":"}"}, 7])") ==
        ok({"1", "-2.5e3", R"("s\"]}")", "true", "null", "false", "[1,[2]]", R"({"k":"}"})", "7"}));
  CHECK(array_all_splits("[[]]") == ok({"[]"}));
  CHECK(array_all_splits("[\"\"]") == ok({"\"\""}));
}

TEST_CASE("json array: truncated streams", "[stream][unit][json_array]") {
  CHECK(array_all_splits("") == failed({}, errc::truncated_stream));
  CHECK(array_all_splits(" \r\n") == failed({}, errc::truncated_stream));
  CHECK(array_all_splits("[") == failed({}, errc::truncated_stream));
  CHECK(array_all_splits("[{\"a\": 1}") == failed({"{\"a\": 1}"}, errc::truncated_stream));
  CHECK(array_all_splits("[{\"a\": 1}\r\n,\r\n") == failed({"{\"a\": 1}"}, errc::truncated_stream));
  CHECK(array_all_splits("[{\"a\": 1},{\"b\": \"x}") ==
        failed({"{\"a\": 1}"}, errc::truncated_stream));
  CHECK(array_all_splits("[{\"a\": 1},{\"b\": [1, 2") ==
        failed({"{\"a\": 1}"}, errc::truncated_stream));
  // A scalar cut by EOF is not delivered: the array is unclosed anyway.
  CHECK(array_all_splits("[1, 23") == failed({"1"}, errc::truncated_stream));
  CHECK(array_all_splits("\xEF\xBB\xBF") == failed({}, errc::truncated_stream));
}

TEST_CASE("json array: structural garbage", "[stream][unit][json_array]") {
  CHECK(array_all_splits("x[{}]") == failed({}, errc::bad_json));
  CHECK(array_all_splits("{\"error\": {}}") == failed({}, errc::bad_json));
  CHECK(array_all_splits("data: [{}]") == failed({}, errc::bad_json));
  CHECK(array_all_splits("[{}, x]") == failed({"{}"}, errc::bad_json));
  CHECK(array_all_splits("[{} x]") == failed({"{}"}, errc::bad_json));
  CHECK(array_all_splits("[{}{}]") == failed({"{}"}, errc::bad_json));
  CHECK(array_all_splits("[{},]") == failed({"{}"}, errc::bad_json));
  CHECK(array_all_splits("[,{}]") == failed({}, errc::bad_json));
  CHECK(array_all_splits("[{},,{}]") == failed({"{}"}, errc::bad_json));
  CHECK(array_all_splits("[{\"a\": [1}]") == failed({}, errc::bad_json));
  CHECK(array_all_splits("[}") == failed({}, errc::bad_json));
  CHECK(array_all_splits("[{}] x") == failed({"{}"}, errc::bad_json));
  CHECK(array_all_splits("[{}][]") == failed({"{}"}, errc::bad_json));
  CHECK(array_all_splits("\xEF\xBB[]") == failed({}, errc::bad_json));
}

TEST_CASE("json array: size limit", "[stream][unit][json_array]") {
  const std::size_t max = 16;
  const std::string at_limit = R"({"k": "12345678"})";  // 17 bytes
  REQUIRE(at_limit.size() == 17);
  const std::string fits = R"({"k": "1234567"})";
  REQUIRE(fits.size() == 16);
  CHECK(array_all_splits("[" + fits + "," + fits + "]", max) == ok({fits, fits}));
  CHECK(array_all_splits("[" + fits + "," + at_limit + "," + fits + "]", max) ==
        failed({fits}, errc::payload_too_large));
  // Whitespace between elements does not count.
  CHECK(array_all_splits("[" + std::string(100, ' ') + fits + std::string(100, '\n') + "]", max) ==
        ok({fits}));
  CHECK(array_all_splits("[" + std::string(17, '1') + "]", max) ==
        failed({}, errc::payload_too_large));
}

TEST_CASE("json array: errors carry a position and stick; reset() clears",
          "[stream][unit][json_array]") {
  wire::json_array_stream_parser p;
  REQUIRE(p.feed("[{}, "));
  auto r = p.feed("  x]");
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::bad_json);
  CHECK(r.error().message.find("byte 7") != std::string::npos);
  auto f = p.finish();
  REQUIRE_FALSE(f);
  CHECK(f.error().code == errc::bad_json);
  std::string e;
  REQUIRE(p.next(e));
  CHECK(e == "{}");

  p.reset();
  REQUIRE(p.feed("[{\"a\":1}]"));
  REQUIRE(p.finish());
  REQUIRE(p.next(e));
  CHECK(e == "{\"a\":1}");

  wire::json_array_stream_parser q;
  auto t = q.finish();
  REQUIRE_FALSE(t);
  CHECK(t.error().code == errc::truncated_stream);
  CHECK(t.error().code == gemini::condition::retryable);
}
