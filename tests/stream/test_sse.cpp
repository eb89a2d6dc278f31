// wire::sse_parser: EventSource framing plus Gemini's bare JSON error objects
// (gemini-wire.md §5.1). Every input runs whole, byte by byte and under 200 random splits.
#include <gemini/wire/sse.hpp>  // first: self-contained

#include "stream_test_util.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace wire = gemini::wire;
using gemini::errc;
using stream_test::sse_all_splits;
using stream_test::sse_outcome;
using namespace std::string_literals;

namespace {

wire::sse_event ev(std::string data, std::string event = {}, std::string id = {}) {
  return wire::sse_event{std::move(data), std::move(event), std::move(id), false};
}
wire::sse_event raw(std::string data) { return wire::sse_event{std::move(data), {}, {}, true}; }

sse_outcome ok(std::vector<wire::sse_event> events) { return {std::move(events), errc::success}; }
sse_outcome failed(std::vector<wire::sse_event> events, errc e) { return {std::move(events), e}; }

// Two events byte-for-byte as Google sends them (gemini-wire.md §5.1): `data: ` + one line of
// compact JSON with Google's spacing + CRLF CRLF, no other fields, no sentinel.
const std::string event1 =
    R"({"candidates": [{"content": {"parts": [{"text": "Hello"}],"role": "model"},"index": 0}],)"
    R"("usageMetadata": {"promptTokenCount": 6,"candidatesTokenCount": 1,"totalTokenCount": 7},)"
    R"("modelVersion": "gemini-3.5-flash","responseId": "IiYaau_fNqqajrEP2K2QqQU"})";
const std::string event2 =
    R"({"candidates": [{"content": {"parts": [{"text": "","thoughtSignature": "Et8DCtwDAdHtim9="}],)"
    R"("role": "model"},"finishReason": "STOP","index": 0}],"usageMetadata": {"promptTokenCount": 6,)"
    R"("candidatesTokenCount": 2,"totalTokenCount": 8},"modelVersion": "gemini-3.5-flash",)"
    R"("responseId": "IiYaau_fNqqajrEP2K2QqQU"})";

}  // namespace

TEST_CASE("sse: real Gemini traffic (data: {...}\\r\\n\\r\\n)", "[stream][unit][sse]") {
  const std::string body = "data: " + event1 + "\r\n\r\ndata: " + event2 + "\r\n\r\n";
  CHECK(sse_all_splits(body) == ok({ev(event1), ev(event2)}));

  // The recorded stream of a thinking + function-call answer, one event per chunk.
  const auto lines = stream_test::fixture_lines("stream_chunks.jsonl");
  std::string stream;
  std::vector<wire::sse_event> expected;
  for (auto const& l : lines) {
    stream += "data: " + l + "\r\n\r\n";
    expected.push_back(ev(l));
  }
  CHECK(sse_all_splits(stream) == ok(expected));
}

TEST_CASE("sse: events can be popped while the stream is still open", "[stream][unit][sse]") {
  wire::sse_parser p;
  wire::sse_event e;
  REQUIRE(p.feed("data: " + event1 + "\r\n\r\ndata: " + event2.substr(0, 10)));
  REQUIRE(p.pending() == 1);
  REQUIRE(p.next(e));
  CHECK(e == ev(event1));
  CHECK_FALSE(p.next(e));
  CHECK(e == ev(event1));  // a failed next() leaves `out` alone
  REQUIRE(p.feed(event2.substr(10) + "\r\n"));
  CHECK_FALSE(p.next(e));  // no blank line yet
  REQUIRE(p.feed("\r\n"));
  REQUIRE(p.next(e));
  CHECK(e == ev(event2));
  REQUIRE(p.finish());
  CHECK_FALSE(p.next(e));
}

TEST_CASE("sse: LF, CR and CRLF line ends, alone and mixed", "[stream][unit][sse]") {
  const auto expected = ok({ev("a"), ev("b\nc")});
  CHECK(sse_all_splits("data: a\n\ndata: b\ndata: c\n\n") == expected);
  CHECK(sse_all_splits("data: a\r\rdata: b\rdata: c\r\r") == expected);
  CHECK(sse_all_splits("data: a\r\n\r\ndata: b\r\ndata: c\r\n\r\n") == expected);
  CHECK(sse_all_splits("data: a\r\n\rdata: b\ndata: c\r\r\n") == expected);
  // \n\r is two line ends (LF, then CR): a blank line between b and c.
  CHECK(sse_all_splits("data: a\n\ndata: b\n\rdata: c\n\n") == ok({ev("a"), ev("b"), ev("c")}));
}

TEST_CASE("sse: a CR ending one feed and an LF starting the next are one line end",
          "[stream][unit][sse]") {
  {
    wire::sse_parser p;
    REQUIRE(p.feed("data: a\r"));
    REQUIRE(p.feed("\ndata: b\r"));
    REQUIRE(p.feed("\n\r"));
    REQUIRE(p.feed("\n"));
    wire::sse_event e;
    REQUIRE(p.next(e));
    CHECK(e == ev("a\nb"));  // not "a" then "b": the LFs did not make blank lines
    CHECK_FALSE(p.next(e));
    REQUIRE(p.finish());
    CHECK_FALSE(p.next(e));
  }
  {
    // An empty feed in between does not forget the CR.
    wire::sse_parser p;
    REQUIRE(p.feed("data: a\r"));
    REQUIRE(p.feed(""));
    REQUIRE(p.feed("\ndata: b\r\n\r\n"));
    wire::sse_event e;
    REQUIRE(p.next(e));
    CHECK(e == ev("a\nb"));
  }
  {
    // CR then CR across feeds is two line ends: a blank line.
    wire::sse_parser p;
    REQUIRE(p.feed("data: a\r"));
    REQUIRE(p.feed("\rdata: b\r\r"));
    wire::sse_event e;
    REQUIRE(p.next(e));
    CHECK(e == ev("a"));
    REQUIRE(p.next(e));
    CHECK(e == ev("b"));
  }
  {
    // The CR dispatches at once; the parser does not wait for a possible LF.
    wire::sse_parser p;
    REQUIRE(p.feed("data: a\r\n\r"));
    CHECK(p.pending() == 1);
  }
}

TEST_CASE("sse: data fields", "[stream][unit][sse]") {
  // One optional space is stripped, not two; no space is fine.
  CHECK(sse_all_splits("data:x\n\ndata:  y\n\ndata: \tz \n\n") ==
        ok({ev("x"), ev(" y"), ev("\tz ")}));
  // Multiple data lines are joined with \n; empty data lines count.
  CHECK(sse_all_splits("data: {\"a\":\ndata: 1}\n\n") == ok({ev("{\"a\":\n1}")}));
  CHECK(sse_all_splits("data\ndata\n\n") == ok({ev("\n")}));
  CHECK(sse_all_splits("data:\n\n") == ok({ev("")}));
  CHECK(sse_all_splits("data: a\ndata:\ndata: b\n\n") == ok({ev("a\n\nb")}));
  // Colons after the first belong to the value.
  CHECK(sse_all_splits("data: a: b:c\n\n") == ok({ev("a: b:c")}));
  // A data: {"error":...} event is an ordinary event (the client inspects the JSON).
  CHECK(sse_all_splits("data: {\"error\": {\"code\": 500}}\r\n\r\n") ==
        ok({ev("{\"error\": {\"code\": 500}}")}));
}

TEST_CASE("sse: comments, unknown fields and blank lines", "[stream][unit][sse]") {
  CHECK(sse_all_splits(": keep-alive\r\n\r\ndata: a\r\n: inside\r\ndata: b\r\n\r\n:\r\n\r\n") ==
        ok({ev("a\nb")}));
  CHECK(sse_all_splits("foo: bar\nDATA: no\ndata : no\n data: no\nx\n\ndata: yes\n\n") ==
        ok({ev("yes")}));
  // Blank lines with no data dispatch nothing.
  CHECK(sse_all_splits("\r\n\r\n\n\n\r\r") == ok({}));
  CHECK(sse_all_splits("") == ok({}));
}

TEST_CASE("sse: event, id and retry fields", "[stream][unit][sse]") {
  // The event type applies to one event; the id is kept (EventSource's last event id).
  CHECK(sse_all_splits("event: delta\nid: 7\ndata: a\n\ndata: b\n\nid:\ndata: c\n\n") ==
        ok({ev("a", "delta", "7"), ev("b", "", "7"), ev("c", "", "")}));
  // A blank line without data still clears the event type.
  CHECK(sse_all_splits("event: x\n\ndata: a\n\n") == ok({ev("a")}));
  // An id containing NUL is ignored.
  CHECK(sse_all_splits("id: 1\ndata: a\n\nid: 2\0x\ndata: b\n\n"s) ==
        ok({ev("a", "", "1"), ev("b", "", "1")}));

  wire::sse_parser p;
  CHECK_FALSE(p.retry().has_value());
  REQUIRE(p.feed("retry: 1500\nretry: 2x\nretry:\nid: abc\ndata: a\n\n"));
  REQUIRE(p.retry().has_value());
  CHECK(*p.retry() == std::chrono::milliseconds(1500));
  CHECK(p.last_event_id() == "abc");
  REQUIRE(p.feed("retry: 250\r\n"));
  CHECK(*p.retry() == std::chrono::milliseconds(250));
}

TEST_CASE("sse: a leading UTF-8 BOM is skipped, only at the start", "[stream][unit][sse]") {
  CHECK(sse_all_splits("\xEF\xBB\xBF"
                       "data: a\r\n\r\n") == ok({ev("a")}));
  CHECK(sse_all_splits("\xEF\xBB\xBF\r\ndata: a\r\n\r\n") == ok({ev("a")}));
  // A second BOM is part of the field name, which is then unknown.
  CHECK(sse_all_splits("\xEF\xBB\xBF\xEF\xBB\xBF"
                       "data: a\r\n\r\ndata: b\r\n\r\n") == ok({ev("b")}));
  CHECK(sse_all_splits("data: a\r\n\r\n\xEF\xBB\xBF"
                       "data: b\r\n\r\n") == ok({ev("a")}));
  // A BOM alone is an empty stream.
  CHECK(sse_all_splits("\xEF\xBB\xBF") == ok({}));
}

TEST_CASE("sse: end of stream", "[stream][unit][sse]") {
  // Firebase prompt-block fixture style: the last event ends with a single CRLF.
  CHECK(sse_all_splits("data: " + event1 + "\r\n\r\ndata: " + event2 + "\r\n") ==
        ok({ev(event1), ev(event2)}));
  CHECK(sse_all_splits("event: e\ndata: a\n") == ok({ev("a", "e")}));
  // An unterminated last line is a truncated stream (the connection was cut).
  CHECK(sse_all_splits("data: " + event1 + "\r\n\r\ndata: " + event2) ==
        failed({ev(event1)}, errc::truncated_stream));
  CHECK(sse_all_splits("data: a\r\n\r\n: comment") == failed({ev("a")}, errc::truncated_stream));
  CHECK(sse_all_splits("\xEF\xBB") == failed({}, errc::truncated_stream));
}

TEST_CASE("sse: bare JSON error objects mid-stream", "[stream][unit][sse]") {
  // Sample 14 shape: data events, then a pretty-printed error with no data: prefix. Braces and
  // brackets inside strings, escaped quotes and escaped backslashes must not confuse it.
  const std::string error_lines[] = {
      "{",
      "  \"error\": {",
      "    \"code\": 499,",
      R"(    "message": "The operation was cancelled. {not [a brace}] \"quoted }\" C:\\dir\\",)",
      "    \"status\": \"CANCELLED\",",
      R"(    "details": [{"@type": "type.googleapis.com/google.rpc.DebugInfo", "detail": "\\\"}"}])",
      "  }",
      "}",
  };
  std::string error_text, crlf_body, lf_body;
  for (auto const& l : error_lines) {
    if (!error_text.empty()) error_text += '\n';
    error_text += l;
    crlf_body += l + "\r\n";
    lf_body += l + "\n";
  }
  const std::string data = "data: " + event1 + "\r\n\r\n";
  CHECK(sse_all_splits(data + crlf_body) == ok({ev(event1), raw(error_text)}));
  CHECK(sse_all_splits(data + lf_body) == ok({ev(event1), raw(error_text)}));
  // Followed by more events (or a blank line): they parse as usual.
  CHECK(sse_all_splits(data + crlf_body + "\r\ndata: " + event2 + "\r\n\r\n") ==
        ok({ev(event1), raw(error_text), ev(event2)}));
  // Data lines not yet dispatched by a blank line are dispatched first, keeping the order.
  CHECK(sse_all_splits("data: " + event1 + "\r\n" + crlf_body) ==
        ok({ev(event1), raw(error_text)}));
  // Without the final CRLF the object is still complete at EOF.
  CHECK(sse_all_splits(data + crlf_body.substr(0, crlf_body.size() - 2)) ==
        ok({ev(event1), raw(error_text)}));
}

TEST_CASE("sse: bare JSON bodies before any event", "[stream][unit][sse]") {
  // An error body served as text/event-stream (non-2xx): pretty-printed, no data: prefix.
  std::string body = stream_test::fixture("error_500.json");
  REQUIRE(body.back() == '\n');
  const std::string text = body.substr(0, body.size() - 1);
  CHECK(sse_all_splits(body) == ok({raw(text)}));
  // Array-wrapped, as on the non-SSE path.
  std::string wrapped = stream_test::fixture("error_array_wrapped.json");
  while (wrapped.back() == '\n') wrapped.pop_back();
  CHECK(sse_all_splits(wrapped + "\r\n") == ok({raw(wrapped)}));
  // One-line objects; two on one line; trailing junk on the closing line is dropped.
  CHECK(sse_all_splits("{\"error\":{\"code\":503}}\n") == ok({raw("{\"error\":{\"code\":503}}")}));
  CHECK(sse_all_splits("{\"a\":1} {\"b\":[2]}\n[3]\n") ==
        ok({raw("{\"a\":1}"), raw("{\"b\":[2]}"), raw("[3]")}));
  CHECK(sse_all_splits("{\"a\":1} trailing\ndata: x\n\n") == ok({raw("{\"a\":1}"), ev("x")}));
  // Blank lines inside the object are kept.
  CHECK(sse_all_splits("{\n\n\"a\": 1\n}\n") == ok({raw("{\n\n\"a\": 1\n}")}));
  // Only the first byte decides: an indented '{' is an (unknown) field line.
  CHECK(sse_all_splits("  {\"a\": 1}\n\n") == ok({}));
}

TEST_CASE("sse: broken bare JSON", "[stream][unit][sse]") {
  CHECK(sse_all_splits("data: a\n\n{\n  \"error\": {\n") ==
        failed({ev("a")}, errc::truncated_stream));
  CHECK(sse_all_splits("{\"msg\": \"unterminated}\n") == failed({}, errc::truncated_stream));
  CHECK(sse_all_splits("data: a\n\n{\"a\": [1}\n") == failed({ev("a")}, errc::bad_json));
  CHECK(sse_all_splits("[}\n") == failed({}, errc::bad_json));
}

TEST_CASE("sse: size limit", "[stream][unit][sse]") {
  const std::size_t max = 16;
  const std::string d16(16, 'x'), d17(17, 'y');
  // Exactly at the limit is fine; a line cannot be longer than the limit.
  CHECK(sse_all_splits("data:" + std::string(11, 'x') + "\n\n", max) ==
        ok({ev(std::string(11, 'x'))}));
  CHECK(sse_all_splits("data: a\n\ndata: " + d16 + "\n\n", max) ==
        failed({ev("a")}, errc::payload_too_large));
  CHECK(sse_all_splits(": " + d16 + "\n", max) == failed({}, errc::payload_too_large));
  // Joined data lines: 5 + 1 + 5 + 1 + 4 = 16 fits, one more byte does not.
  CHECK(sse_all_splits("data:aaaaa\ndata:bbbbb\ndata:cccc\n\n", max) ==
        ok({ev("aaaaa\nbbbbb\ncccc")}));
  CHECK(sse_all_splits("data:aaaaa\ndata:bbbbb\ndata:ccccc\n\ndata: z\n\n", max) ==
        failed({}, errc::payload_too_large));
  // A raw JSON object over several lines.
  CHECK(sse_all_splits("{\n\"a\": 1234567\n}\n", max) == ok({raw("{\n\"a\": 1234567\n}")}));
  CHECK(sse_all_splits("{\n\"a\": 12345678\n}\n", max) == failed({}, errc::payload_too_large));
  // The limit is per event: many events of the maximum size are fine.
  std::string many;
  std::vector<wire::sse_event> expected;
  for (int i = 0; i < 50; ++i) {
    many += "data:" + d16.substr(5) + "\r\ndata:abcd\r\n\r\n";
    expected.push_back(ev(d16.substr(5) + "\nabcd"));
  }
  CHECK(sse_all_splits(many, max) == ok(expected));
}

TEST_CASE("sse: error messages and reset()", "[stream][unit][sse]") {
  wire::sse_parser p(8);
  auto r = p.feed("data: 123456789\n");
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::payload_too_large);
  CHECK(r.error().code == gemini::condition::client_error);
  CHECK_FALSE(r.error().message.empty());
  auto again = p.feed("data: a\n\n");
  REQUIRE_FALSE(again);
  CHECK(again.error().code == errc::payload_too_large);
  wire::sse_event e;
  CHECK_FALSE(p.next(e));

  p.reset();
  REQUIRE(p.feed("data:ok\n\n"));
  REQUIRE(p.next(e));
  CHECK(e == ev("ok"));
  REQUIRE(p.finish());
}

TEST_CASE("sse: next() replaces every field of the caller's event", "[stream][unit][sse]") {
  wire::sse_parser p;
  REQUIRE(p.feed("{\"x\": 1}\nevent: t\nid: 9\ndata: a\n\ndata: b\n\n{}\n"));
  wire::sse_event e;
  e.data = "stale";
  e.event = "stale";
  REQUIRE(p.next(e));
  CHECK(e == raw("{\"x\": 1}"));
  REQUIRE(p.next(e));
  CHECK(e == ev("a", "t", "9"));
  REQUIRE(p.next(e));
  CHECK(e == ev("b", "", "9"));
  REQUIRE(p.next(e));
  CHECK(e == raw("{}"));
  CHECK_FALSE(p.next(e));
  // Slots are recycled: many more events through the same parser still come out in order.
  for (int i = 0; i < 100; ++i) {
    const std::string s = std::to_string(i);
    REQUIRE(p.feed("data: " + s + "\n\ndata: " + s + "b\n\n"));
    REQUIRE(p.next(e));
    CHECK(e == ev(s, "", "9"));
    REQUIRE(p.next(e));
    CHECK(e == ev(s + "b", "", "9"));
  }
}
