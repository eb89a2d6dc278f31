// Translation between the Gemini wire model and OpenAI-compatible chat completions.
#include <gemini/wire/openai.hpp>  // first: self-contained

#include <gemini/wire/accumulator.hpp>
#include <gemini/wire/json.hpp>
#include <gemini/wire/sse.hpp>

#include "wire_test_util.hpp"

#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include <chrono>
#include <random>
#include <string>
#include <vector>

namespace wire = gemini::wire;
namespace oai = gemini::wire::openai;
namespace json = boost::json;
using gemini::condition;
using gemini::errc;
using namespace std::chrono_literals;

namespace {

/// The translated request as JSON (REQUIREs success).
json::value translate(const wire::generate_content_request& r, const oai::request_options& o = {},
                      std::string_view model = "gemini-2.5-flash") {
  auto body = oai::chat_request(r, model, o);
  INFO((body ? std::string() : body.error().what()));
  REQUIRE(body.has_value());
  return json::parse(*body);
}

/// The error message of a request that must not translate.
std::string refusal(const wire::generate_content_request& r, const oai::request_options& o = {}) {
  auto body = oai::chat_request(r, "m", o);
  REQUIRE_FALSE(body.has_value());
  CHECK(body.error().code == errc::invalid_argument);
  return body.error().message;
}

wire::generate_content_request with_config(wire::generation_config g) {
  wire::generate_content_request r;
  r.contents.push_back(wire::content::user("hi"));
  r.generation_config = std::move(g);
  return r;
}

wire::part call(std::string name, json::object args, std::string id = {}) {
  wire::part p;
  p.function_call = wire::function_call{std::move(name), std::move(args), std::move(id), {}};
  return p;
}

std::string str(const json::value& v) { return std::string(v.as_string()); }

json::object obj(std::string_view text) { return json::parse(text).as_object(); }

}  // namespace

// ------------------------------------------------------------------------------------------
// Requests
// ------------------------------------------------------------------------------------------

TEST_CASE("chat_request: system instruction, turns and text", "[wire][unit][openai]") {
  wire::generate_content_request r;
  r.system_instruction = wire::content::system("You are terse.");
  r.contents.push_back(wire::content::user("Hello"));
  wire::content answer = wire::content::model("Hi!");
  wire::part thought = wire::part::from_text("thinking...");
  thought.thought = true;
  answer.parts.insert(answer.parts.begin(), thought);  // thoughts are not history
  r.contents.push_back(answer);
  wire::content two;
  two.role = "user";
  two.parts = {wire::part::from_text("Part one, "), wire::part::from_text("part two.")};
  r.contents.push_back(two);

  auto v = translate(r);
  CHECK(str(v.at("model")) == "gemini-2.5-flash");
  auto const& m = v.at("messages").as_array();
  REQUIRE(m.size() == 4);
  CHECK(str(m[0].at("role")) == "system");
  CHECK(str(m[0].at("content")) == "You are terse.");
  CHECK(str(m[1].at("role")) == "user");
  CHECK(str(m[1].at("content")) == "Hello");
  CHECK(str(m[2].at("role")) == "assistant");
  CHECK(str(m[2].at("content")) == "Hi!");
  CHECK(str(m[3].at("content")) == "Part one, part two.");  // text parts concatenated
  // Nothing else unless asked for.
  CHECK_FALSE(v.as_object().contains("stream"));
  CHECK_FALSE(v.as_object().contains("tools"));
  CHECK(v.as_object().size() == 2);
}

TEST_CASE("chat_request: images, audio, PDF and image URLs", "[wire][unit][openai]") {
  wire::generate_content_request r;
  wire::content c;
  c.role = "user";
  c.parts.push_back(wire::part::from_text("What is in these?"));
  c.parts.push_back(wire::part::from_inline_data("image/png", "iVBORw0KGgo="));
  c.parts.push_back(wire::part::from_inline_data("audio/wav", "UklGRg=="));
  c.parts.push_back(wire::part::from_inline_data("audio/mpeg", "SUQz"));
  c.parts.push_back(wire::part::from_inline_data("application/pdf", "JVBERi0="));
  c.parts.push_back(wire::part::from_file("image/jpeg", "https://example.com/cat.jpg"));
  r.contents.push_back(c);

  auto v = translate(r);
  auto const& parts = v.at("messages").at(0).at("content").as_array();
  REQUIRE(parts.size() == 6);
  CHECK(wire_test::diff(parts[0], json::parse(R"({"type":"text","text":"What is in these?"})")) ==
        "");
  CHECK(wire_test::diff(parts[1], json::parse(R"({"type":"image_url",
        "image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}})")) == "");
  CHECK(wire_test::diff(parts[2], json::parse(R"({"type":"input_audio",
        "input_audio":{"data":"UklGRg==","format":"wav"}})")) == "");
  CHECK(str(parts[3].at("input_audio").at("format")) == "mp3");
  CHECK(str(parts[4].at("type")) == "file");
  CHECK(str(parts[4].at("file").at("file_data")) == "data:application/pdf;base64,JVBERi0=");
  CHECK(str(parts[5].at("image_url").at("url")) == "https://example.com/cat.jpg");
}

TEST_CASE("chat_request: function calls and results", "[wire][unit][openai]") {
  wire::generate_content_request r;
  r.contents.push_back(wire::content::user("Weather in Paris and Rome, and the time?"));
  wire::content calls;
  calls.role = "model";
  calls.parts.push_back(call("get_weather", obj(R"({"city":"Paris"})")));
  calls.parts.push_back(call("get_weather", obj(R"({"city":"Rome"})")));
  calls.parts.push_back(call("get_time", {}, "call_7"));
  calls.parts[0].thought_signature = "CiQBsig==";
  r.contents.push_back(calls);
  wire::content results;
  results.role = "user";
  results.parts.push_back(wire::part::from_function_response("get_weather", obj(R"({"t":21})")));
  results.parts.push_back(wire::part::from_function_response("get_weather", obj(R"({"t":25})")));
  results.parts.push_back(
      wire::part::from_function_response("get_time", obj(R"({"time":"10:00"})"), "call_7"));
  results.parts.push_back(wire::part::from_text("Answer briefly."));
  r.contents.push_back(results);

  auto v = translate(r);
  auto const& m = v.at("messages").as_array();
  REQUIRE(m.size() == 6);  // user, assistant, tool ×3, user
  auto const& a = m[1].as_object();
  CHECK(str(a.at("role")) == "assistant");
  CHECK(a.at("content").is_null());  // only tool calls
  auto const& tc = a.at("tool_calls").as_array();
  REQUIRE(tc.size() == 3);
  // No id: the function name, numbered for repeated calls in the turn.
  CHECK(str(tc[0].at("id")) == "get_weather");
  CHECK(str(tc[1].at("id")) == "get_weather_2");
  CHECK(str(tc[2].at("id")) == "call_7");
  CHECK(str(tc[0].at("type")) == "function");
  CHECK(str(tc[0].at("function").at("name")) == "get_weather");
  CHECK(str(tc[0].at("function").at("arguments")) == R"({"city":"Paris"})");
  CHECK(str(tc[2].at("function").at("arguments")) == "{}");
  CHECK(str(tc[0].at("extra_content").at("google").at("thought_signature")) == "CiQBsig==");
  CHECK_FALSE(tc[1].as_object().contains("extra_content"));

  CHECK(str(m[2].at("role")) == "tool");
  CHECK(str(m[2].at("tool_call_id")) == "get_weather");
  CHECK(wire_test::diff(json::parse(str(m[2].at("content"))), json::parse(R"({"t":21})")) == "");
  CHECK(str(m[3].at("tool_call_id")) == "get_weather_2");
  CHECK(str(m[4].at("tool_call_id")) == "call_7");
  CHECK(str(m[5].at("role")) == "user");
  CHECK(str(m[5].at("content")) == "Answer briefly.");

  oai::request_options no_sig;
  no_sig.thought_signatures = false;
  auto plain = translate(r, no_sig);
  CHECK_FALSE(
      plain.at("messages").at(1).at("tool_calls").at(0).as_object().contains("extra_content"));
}

TEST_CASE("chat_request: tools, schemas and tool_choice", "[wire][unit][openai]") {
  wire::function_declaration weather;
  weather.name = "get_weather";
  weather.description = "Current weather";
  weather.parameters = json::parse(R"({"type":"OBJECT","properties":{
      "city":{"type":"STRING","description":"City"},
      "days":{"type":"INTEGER","nullable":true},
      "type":{"type":"ARRAY","items":{"type":"STRING","enum":["a","b"]}}},
      "required":["city"],"propertyOrdering":["city","days","type"]})");
  wire::function_declaration raw;
  raw.name = "lookup";
  raw.parameters_json_schema = json::parse(R"({"type":"object","properties":{}})");
  wire::function_declaration bare;
  bare.name = "now";
  wire::generate_content_request r;
  r.contents.push_back(wire::content::user("hi"));
  r.tools.push_back(wire::tool::functions({weather, raw}));
  r.tools.push_back(wire::tool::functions({bare}));

  auto v = translate(r);
  auto const& tools = v.at("tools").as_array();
  REQUIRE(tools.size() == 3);
  CHECK(str(tools[0].at("type")) == "function");
  auto const& fn = tools[0].at("function").as_object();
  CHECK(str(fn.at("name")) == "get_weather");
  CHECK(str(fn.at("description")) == "Current weather");
  CHECK(wire_test::diff(fn.at("parameters"), json::parse(R"({"type":"object","properties":{
      "city":{"type":"string","description":"City"},
      "days":{"type":["integer","null"]},
      "type":{"type":"array","items":{"type":"string","enum":["a","b"]}}},
      "required":["city"]})")) == "");
  CHECK(wire_test::diff(tools[1].at("function").at("parameters"),
                        json::parse(R"({"type":"object","properties":{}})")) == "");
  CHECK_FALSE(tools[2].at("function").as_object().contains("parameters"));
  CHECK_FALSE(v.as_object().contains("tool_choice"));

  auto choice = [&](wire::function_calling_mode mode, std::vector<std::string> allowed = {}) {
    wire::generate_content_request c = r;
    c.tool_config.emplace();
    c.tool_config->function_calling_config.emplace();
    c.tool_config->function_calling_config->mode = mode;
    c.tool_config->function_calling_config->allowed_function_names = std::move(allowed);
    return translate(c);
  };
  CHECK(str(choice(wire::function_calling_mode::auto_).at("tool_choice")) == "auto");
  CHECK(str(choice(wire::function_calling_mode::any).at("tool_choice")) == "required");
  CHECK(str(choice(wire::function_calling_mode::none).at("tool_choice")) == "none");
  CHECK(str(choice(wire::function_calling_mode::validated).at("tool_choice")) == "auto");
  // ANY with one allowed function: that function; allowed names also filter the tools.
  auto one = choice(wire::function_calling_mode::any, {"lookup"});
  CHECK(wire_test::diff(one.at("tool_choice"),
                        json::parse(R"({"type":"function","function":{"name":"lookup"}})")) == "");
  REQUIRE(one.at("tools").as_array().size() == 1);
  auto two = choice(wire::function_calling_mode::any, {"lookup", "now"});
  CHECK(str(two.at("tool_choice")) == "required");
  CHECK(two.at("tools").as_array().size() == 2);
}

TEST_CASE("chat_request: generation settings", "[wire][unit][openai]") {
  wire::generation_config g;
  g.temperature = 0.5;
  g.top_p = 0.9;
  g.max_output_tokens = 256;
  g.stop_sequences = std::vector<std::string>{"END", "STOP"};
  g.candidate_count = 2;
  g.seed = 42;
  g.presence_penalty = 0.25;
  g.frequency_penalty = -0.5;
  g.response_logprobs = true;
  g.logprobs = 3;
  auto r = with_config(g);
  r.service_tier = "flex";
  auto v = translate(r);
  CHECK(wire_test::diff(v, json::parse(R"({"model":"gemini-2.5-flash",
      "messages":[{"role":"user","content":"hi"}],
      "service_tier":"flex",
      "temperature":0.5,"top_p":0.9,"n":2,"max_tokens":256,"stop":["END","STOP"],
      "presence_penalty":0.25,"frequency_penalty":-0.5,"seed":42,
      "logprobs":true,"top_logprobs":3})")) == "");

  r.service_tier = "standard";
  CHECK(str(translate(r).at("service_tier")) == "default");
}

TEST_CASE("chat_request: JSON mode and schemas", "[wire][unit][openai]") {
  wire::generation_config g;
  g.response_mime_type = "application/json";
  CHECK(wire_test::diff(translate(with_config(g)).at("response_format"),
                        json::parse(R"({"type":"json_object"})")) == "");

  g.response_json_schema = json::parse(R"({"type":"object","properties":{"a":{"type":"number"}}})");
  CHECK(wire_test::diff(translate(with_config(g)).at("response_format"), json::parse(R"({
      "type":"json_schema","json_schema":{"name":"response",
      "schema":{"type":"object","properties":{"a":{"type":"number"}}}}})")) == "");

  g.response_json_schema.reset();
  g.response_schema = json::parse(R"({"type":"ARRAY","items":{"type":"BOOLEAN"}})");
  CHECK(wire_test::diff(translate(with_config(g)).at("response_format").at("json_schema"),
                        json::parse(R"({"name":"response",
      "schema":{"type":"array","items":{"type":"boolean"}}})")) == "");

  wire::generation_config plain;
  plain.response_mime_type = "text/plain";
  CHECK_FALSE(translate(with_config(plain)).as_object().contains("response_format"));
}

TEST_CASE("chat_request: thinking → reasoning_effort", "[wire][unit][openai]") {
  auto effort = [](std::optional<int> budget,
                   std::optional<wire::thinking_level> level) -> std::string {
    wire::generation_config g;
    g.thinking_config.emplace();
    g.thinking_config->thinking_budget = budget;
    g.thinking_config->thinking_level = level;
    auto v = translate(with_config(g));
    auto const* e = v.as_object().if_contains("reasoning_effort");
    return e ? str(*e) : std::string("(absent)");
  };
  CHECK(effort(0, std::nullopt) == "none");
  CHECK(effort(-1, std::nullopt) == "(absent)");  // dynamic: the server's default
  CHECK(effort(128, std::nullopt) == "low");
  CHECK(effort(1024, std::nullopt) == "low");
  CHECK(effort(1025, std::nullopt) == "medium");
  CHECK(effort(8192, std::nullopt) == "medium");
  CHECK(effort(24576, std::nullopt) == "high");
  CHECK(effort(std::nullopt, wire::thinking_level::minimal) == "low");
  CHECK(effort(std::nullopt, wire::thinking_level::low) == "low");
  CHECK(effort(std::nullopt, wire::thinking_level::medium) == "medium");
  CHECK(effort(std::nullopt, wire::thinking_level::high) == "high");
  CHECK(effort(0, wire::thinking_level::high) == "high");  // the level wins
  CHECK(effort(std::nullopt, wire::thinking_level::from_string("XHIGH")) == "xhigh");
  CHECK(effort(std::nullopt, std::nullopt) == "(absent)");
}

TEST_CASE("chat_request: stream and stream_options", "[wire][unit][openai]") {
  wire::generate_content_request r;
  r.contents.push_back(wire::content::user("hi"));
  auto s = oai::chat_request(r, "gpt-4o-mini", true);
  REQUIRE(s);
  auto v = json::parse(*s);
  CHECK(v.at("stream").as_bool());
  CHECK(v.at("stream_options").at("include_usage").as_bool());
  CHECK(str(v.at("model")) == "gpt-4o-mini");
  auto u = oai::chat_request(r, "m", false);
  REQUIRE(u);
  CHECK_FALSE(json::parse(*u).as_object().contains("stream"));
  oai::request_options o;
  o.stream = true;
  o.include_usage = false;
  auto n = translate(r, o);
  CHECK(n.at("stream").as_bool());
  CHECK_FALSE(n.as_object().contains("stream_options"));
  // The JSON form is the same request.
  auto j = oai::chat_request_json(r, "m", o);
  REQUIRE(j);
  CHECK(j->at("stream").as_bool());
}

TEST_CASE("chat_request: what cannot be translated is an error naming it", "[wire][unit][openai]") {
  wire::generate_content_request base;
  base.contents.push_back(wire::content::user("hi"));

  auto search = base;
  search.tools.push_back(wire::tool::search());
  CHECK(refusal(search).find("tools[0].googleSearch") != std::string::npos);

  auto code = base;
  code.tools.push_back(wire::tool::code());
  CHECK(refusal(code).find("tools[0].codeExecution") != std::string::npos);

  auto cached = base;
  cached.cached_content = "cachedContents/abc";
  CHECK(refusal(cached).find("cachedContent") != std::string::npos);

  auto exec = base;
  wire::part ec;
  ec.executable_code = wire::executable_code{"PYTHON", "print(1)", {}};
  exec.contents.push_back(wire::content::model("ok"));
  exec.contents.back().parts.push_back(ec);
  CHECK(refusal(exec).find("contents[1].parts[1].executableCode") != std::string::npos);

  auto video = base;
  video.contents[0].parts.push_back(wire::part::from_inline_data("video/mp4", "AAAA"));
  auto msg = refusal(video);
  CHECK(msg.find("contents[0].parts[1].inlineData") != std::string::npos);
  CHECK(msg.find("video/mp4") != std::string::npos);

  auto files = base;
  files.contents[0].parts.push_back(
      wire::part::from_file("application/pdf", "https://generativelanguage.googleapis.com/f/1"));
  CHECK(refusal(files).find("contents[0].parts[1].fileData") != std::string::npos);

  wire::generation_config enum_out;
  enum_out.response_mime_type = "text/x.enum";
  CHECK(refusal(with_config(enum_out)).find("text/x.enum") != std::string::npos);

  wire::generation_config image_out;
  image_out.response_modalities =
      std::vector<wire::modality>{wire::modality::text, wire::modality::image};
  CHECK(refusal(with_config(image_out)).find("responseModalities IMAGE") != std::string::npos);

  auto role = base;
  role.contents[0].role = "narrator";
  CHECK(refusal(role).find("contents[0].role \"narrator\"") != std::string::npos);

  auto misplaced = base;
  misplaced.contents[0].parts.push_back(call("f", {}));
  CHECK(refusal(misplaced).find("contents[0].parts[1].functionCall") != std::string::npos);

  auto sys = base;
  sys.system_instruction = wire::content::system("x");
  sys.system_instruction->parts.push_back(wire::part::from_inline_data("image/png", "AA=="));
  CHECK(refusal(sys).find("systemInstruction.parts[1]") != std::string::npos);

  auto allowed = base;
  wire::function_declaration d;
  d.name = "f";
  allowed.tools.push_back(wire::tool::functions({d}));
  allowed.tool_config.emplace();
  allowed.tool_config->function_calling_config.emplace();
  allowed.tool_config->function_calling_config->mode = wire::function_calling_mode::any;
  allowed.tool_config->function_calling_config->allowed_function_names = {"g"};
  CHECK(refusal(allowed).find("allowedFunctionNames") != std::string::npos);
}

TEST_CASE("chat_request: settings without equivalent are dropped, or refused in strict mode",
          "[wire][unit][openai]") {
  oai::request_options strict;
  strict.strict = true;

  wire::generation_config g;
  g.top_k = 40;
  auto r = with_config(g);
  CHECK_FALSE(translate(r).as_object().contains("top_k"));
  CHECK(refusal(r, strict).find("generationConfig.topK") != std::string::npos);

  wire::generation_config t;
  t.thinking_config.emplace();
  t.thinking_config->include_thoughts = true;
  t.thinking_config->thinking_budget = 2048;
  auto rt = with_config(t);
  CHECK(str(translate(rt).at("reasoning_effort")) == "medium");
  CHECK(refusal(rt, strict).find("includeThoughts") != std::string::npos);

  auto safety = with_config({});
  safety.safety_settings.push_back(
      {wire::harm_category::harassment, wire::harm_block_threshold::block_none, {}});
  translate(safety);
  CHECK(refusal(safety, strict).find("safetySettings") != std::string::npos);

  auto unknown = with_config({});
  unknown.extra["labels"] = json::object{{"team", "a"}};
  translate(unknown);
  CHECK(refusal(unknown, strict).find("unknown keys") != std::string::npos);

  // A fully translatable request passes strict mode.
  wire::generation_config ok;
  ok.temperature = 1;
  translate(with_config(ok), strict);
}

// ------------------------------------------------------------------------------------------
// Responses
// ------------------------------------------------------------------------------------------

TEST_CASE("parse_chat_response: the documented chat.completion", "[wire][unit][openai]") {
  auto r = oai::parse_chat_response(R"({
    "id": "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG",
    "object": "chat.completion",
    "created": 1741570283,
    "model": "gpt-4o-2024-08-06",
    "choices": [{
      "index": 0,
      "message": {"role": "assistant", "content": "The image shows a wooden boardwalk.",
                  "refusal": null, "annotations": []},
      "logprobs": null,
      "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 1117, "completion_tokens": 46, "total_tokens": 1163,
      "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
      "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
        "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}},
    "service_tier": "default",
    "system_fingerprint": "fp_fc9f1d7035"})");
  INFO((r ? std::string() : r.error().what()));
  REQUIRE(r);
  CHECK(r->response_id == "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG");
  CHECK(r->model_version == "gpt-4o-2024-08-06");
  CHECK(r->text() == "The image shows a wooden boardwalk.");
  CHECK(r->finish() == wire::finish_reason::stop);
  REQUIRE(r->candidates.size() == 1);
  CHECK(r->candidates[0].content->role == "model");
  CHECK(r->usage.prompt_token_count == 1117);
  CHECK(r->usage.candidates_token_count == 46);
  CHECK(r->usage.total_token_count == 1163);
  CHECK(r->usage.thoughts_token_count == 0);
  CHECK(r->usage.cached_content_token_count == 0);
  CHECK(r->extra.empty());  // OpenAI-only keys do not leak into the Gemini model
}

TEST_CASE("parse_chat_response: tool calls with ids, arguments and signatures",
          "[wire][unit][openai]") {
  auto r = oai::parse_chat_response(R"({"id":"x","model":"m","choices":[{"index":0,
    "message":{"role":"assistant","content":null,"tool_calls":[
      {"id":"call_abc","type":"function",
       "function":{"name":"get_weather","arguments":"{\"location\":\"Boston, MA\",\"days\":2}"},
       "extra_content":{"google":{"thought_signature":"Sig=="}}},
      {"id":"call_def","type":"function","function":{"name":"now","arguments":""}}]},
    "finish_reason":"tool_calls"}]})");
  INFO((r ? std::string() : r.error().what()));
  REQUIRE(r);
  CHECK(r->finish() == wire::finish_reason::stop);  // Gemini's value for function calls
  auto calls = r->function_calls();
  REQUIRE(calls.size() == 2);
  CHECK(calls[0].id == "call_abc");
  CHECK(calls[0].name == "get_weather");
  CHECK(wire_test::diff(calls[0].args, json::parse(R"({"location":"Boston, MA","days":2})")) == "");
  CHECK(calls[1].id == "call_def");
  CHECK(calls[1].args.empty());
  CHECK(r->candidates[0].content->parts[0].thought_signature == "Sig==");
  CHECK(r->text().empty());
}

TEST_CASE("parse_chat_response: every finish reason", "[wire][unit][openai]") {
  auto finish = [](const std::string& fr) {
    auto r = oai::parse_chat_response(
        R"({"choices":[{"index":0,"message":{"content":"x"},"finish_reason":)" + fr + "}]}");
    REQUIRE(r);
    return r->finish();
  };
  CHECK(finish(R"("stop")") == wire::finish_reason::stop);
  CHECK(finish(R"("length")") == wire::finish_reason::max_tokens);
  CHECK(finish(R"("content_filter")") == wire::finish_reason::safety);
  CHECK(finish(R"("tool_calls")") == wire::finish_reason::stop);
  CHECK(finish(R"("function_call")") == wire::finish_reason::stop);
  CHECK_FALSE(finish("null").has_value());
  auto odd = finish(R"("eos_token")");
  CHECK(odd == wire::finish_reason::unrecognized);
  CHECK(odd.str() == "eos_token");  // kept verbatim
  CHECK(finish(R"("RECITATION")") == wire::finish_reason::recitation);
  CHECK(oai::finish_reason_from_chat("length") == wire::finish_reason::max_tokens);
}

TEST_CASE("parse_chat_response: usage with cached and reasoning tokens", "[wire][unit][openai]") {
  // OpenAI: completion_tokens includes reasoning_tokens.
  auto r = oai::parse_chat_response(R"({"choices":[],"usage":{"prompt_tokens":100,
    "completion_tokens":50,"total_tokens":150,"prompt_tokens_details":{"cached_tokens":60},
    "completion_tokens_details":{"reasoning_tokens":20}}})");
  REQUIRE(r);
  auto const& u = r->usage;
  CHECK(u.prompt_token_count == 100);  // includes the cached tokens, as in Gemini
  CHECK(u.cached_content_token_count == 60);
  CHECK(u.thoughts_token_count == 20);
  CHECK(u.candidates_token_count == 30);
  CHECK(u.total_token_count == 150);
  CHECK(u.total_token_count ==
        u.prompt_token_count + u.candidates_token_count + u.thoughts_token_count);

  // A server whose completion_tokens excludes reasoning (total counts it separately).
  auto g = oai::parse_chat_response(R"({"choices":[],"usage":{"prompt_tokens":10,
    "completion_tokens":5,"total_tokens":27,"completion_tokens_details":{"reasoning_tokens":12}}})");
  REQUIRE(g);
  CHECK(g->usage.candidates_token_count == 5);
  CHECK(g->usage.thoughts_token_count == 12);
  CHECK(g->usage.total_token_count == 27);

  // No total: computed. Null details are fine.
  auto n = oai::parse_chat_response(R"({"choices":[],"usage":{"prompt_tokens":3,
    "completion_tokens":4,"prompt_tokens_details":null}})");
  REQUIRE(n);
  CHECK(n->usage.total_token_count == 7);

  auto none = oai::parse_chat_response(R"({"choices":[]})");
  REQUIRE(none);
  CHECK(none->usage.empty());
}

TEST_CASE("parse_chat_response: reasoning, refusals, content arrays, several choices",
          "[wire][unit][openai]") {
  auto r = oai::parse_chat_response(R"({"choices":[
    {"index":0,"message":{"role":"assistant","reasoning_content":"Let me think.",
      "content":[{"type":"text","text":"Four"},{"type":"text","text":"."}]},"finish_reason":"stop"},
    {"index":1,"message":{"role":"assistant","content":null,"refusal":"I can't help with that."},
      "finish_reason":"stop"}]})");
  INFO((r ? std::string() : r.error().what()));
  REQUIRE(r);
  REQUIRE(r->candidates.size() == 2);
  CHECK(r->text() == "Four.");
  CHECK(r->thoughts() == "Let me think.");
  CHECK(r->candidates[0].content->parts[0].thought);
  auto const& refused = r->candidates[1];
  CHECK(refused.index == 1);
  CHECK_FALSE(refused.content.has_value());
  CHECK(refused.finish_message == "I can't help with that.");
  CHECK(refused.finish_reason == wire::finish_reason::safety);
}

TEST_CASE("parse_chat_response: malformed bodies give a path", "[wire][unit][openai]") {
  auto bad_json = oai::parse_chat_response(R"({"choices": [)");
  REQUIRE_FALSE(bad_json);
  CHECK(bad_json.error().code == errc::malformed_response);
  CHECK(bad_json.error().message.find("byte offset") != std::string::npos);

  auto wrong = oai::parse_chat_response(R"({"choices":[{"index":0,"message":{"content":7}}]})");
  REQUIRE_FALSE(wrong);
  CHECK(wrong.error().code == errc::malformed_response);
  CHECK(wrong.error().code == condition::server_error);
  CHECK(wrong.error().message ==
        "$.choices[0].message.content: expected string, array or null, got number");

  auto args = oai::parse_chat_response(R"({"choices":[{"index":0,"message":{"tool_calls":[
    {"id":"a","function":{"name":"f","arguments":"{\"x\":"}}]}}]})");
  REQUIRE_FALSE(args);
  CHECK(args.error().code == errc::malformed_response);
  CHECK(args.error().message.rfind("$.choices[0].message.tool_calls[0].function.arguments: ", 0) ==
        0);

  auto not_obj = oai::parse_chat_response(R"({"choices":[{"message":{"tool_calls":[
    {"function":{"name":"f","arguments":"[1]"}}]}}]})");
  REQUIRE_FALSE(not_obj);
  CHECK(not_obj.error().message.find("expected a JSON object, got array") != std::string::npos);

  auto usage =
      oai::parse_chat_response(R"({"usage":{"prompt_tokens_details":{"cached_tokens":"x"}}})");
  REQUIRE_FALSE(usage);
  CHECK(usage.error().message.rfind("$.usage.prompt_tokens_details.cached_tokens: ", 0) == 0);

  auto choices = oai::parse_chat_response(R"({"choices":{}})");
  REQUIRE_FALSE(choices);
  CHECK(choices.error().message == "$.choices: expected array, got object");

  // An error object with status 200 is that error.
  auto err = oai::parse_chat_response(
      R"({"error":{"message":"overloaded","type":"server_error","code":null}})");
  REQUIRE_FALSE(err);
  CHECK(err.error().code == errc::internal);
  CHECK(err.error().message == "overloaded");
}

// ------------------------------------------------------------------------------------------
// Streams
// ------------------------------------------------------------------------------------------

namespace {

/// A chat.completion.chunk event with the given choices and usage JSON.
std::string chunk(const std::string& choices, const std::string& usage = "null") {
  return R"({"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-x",)"
         R"("choices":)" +
         choices + R"(,"usage":)" + usage + "}";
}

std::string delta(const std::string& d, const std::string& finish = "null", int index = 0) {
  return R"([{"index":)" + std::to_string(index) + R"(,"delta":)" + d +
         R"(,"logprobs":null,"finish_reason":)" + finish + "}]";
}

const std::string usage_json =
    R"({"prompt_tokens":9,"completion_tokens":12,"total_tokens":21,)"
    R"("prompt_tokens_details":{"cached_tokens":4},"completion_tokens_details":{"reasoning_tokens":2}})";

std::vector<std::string> text_stream() {
  return {chunk(delta(R"({"role":"assistant","content":"","refusal":null})")),
          chunk(delta(R"({"content":"Hello"})")),
          chunk(delta(R"({"content":", world"})")),
          chunk(delta(R"({"content":"!"})")),
          chunk(delta("{}", R"("stop")")),
          chunk("[]", usage_json),
          "[DONE]"};
}

std::vector<std::string> tool_stream() {
  // Two parallel calls, arguments in pieces, interleaved; a text delta before them.
  return {
      chunk(delta(R"({"role":"assistant","content":null})")),
      chunk(delta(R"({"content":"Checking."})")),
      chunk(delta(R"({"tool_calls":[{"index":0,"id":"call_a","type":"function",)"
                  R"("function":{"name":"get_weather","arguments":""}}]})")),
      chunk(delta(R"({"tool_calls":[{"index":0,"function":{"arguments":"{\"ci"}}]})")),
      chunk(delta(R"({"tool_calls":[{"index":1,"id":"call_b","type":"function",)"
                  R"("function":{"name":"get_time","arguments":"{}"},)"
                  R"("extra_content":{"google":{"thought_signature":"S2"}}}]})")),
      chunk(delta(R"({"tool_calls":[{"index":0,"function":{"arguments":"ty\": \"Paris\"}"}}]})")),
      chunk(delta("{}", R"("tool_calls")")),
      chunk("[]", usage_json),
      "[DONE]"};
}

struct stream_result {
  wire::generate_content_response response;
  std::vector<wire::generate_content_response> chunks;
  bool finished = false;
  bool done = false;
};

stream_result run(const std::vector<std::string>& events) {
  oai::chunk_translator tr;
  wire::response_accumulator acc;
  stream_result out;
  for (auto const& e : events) {
    auto c = tr.translate(e);
    INFO(e);
    INFO((c ? std::string() : c.error().what()));
    REQUIRE(c);
    if (*c) {
      out.chunks.push_back(**c);
      acc.add(std::move(**c));
    }
  }
  REQUIRE(tr.finish());
  out.finished = acc.finished();
  out.done = tr.done();
  out.response = acc.take();
  return out;
}

}  // namespace

TEST_CASE("chunk_translator: text deltas, finish, usage and [DONE]", "[wire][unit][openai]") {
  auto s = run(text_stream());
  CHECK(s.done);
  CHECK(s.finished);
  REQUIRE(s.chunks.size() == 5);  // the role-only delta and [DONE] deliver nothing
  CHECK(s.chunks[0].text() == "Hello");
  CHECK(s.chunks[0].model_version == "gpt-x");
  CHECK(s.chunks[0].response_id == "chatcmpl-1");
  CHECK(s.chunks[3].finish() == wire::finish_reason::stop);
  CHECK(s.chunks[4].candidates.empty());  // the usage chunk
  CHECK(s.chunks[4].usage.prompt_token_count == 9);

  auto const& r = s.response;
  CHECK(r.text() == "Hello, world!");
  REQUIRE(r.candidates.size() == 1);
  REQUIRE(r.candidates[0].content->parts.size() == 1);  // deltas merged into one part
  CHECK(r.finish() == wire::finish_reason::stop);
  CHECK(r.usage.prompt_token_count == 9);
  CHECK(r.usage.cached_content_token_count == 4);
  CHECK(r.usage.thoughts_token_count == 2);
  CHECK(r.usage.candidates_token_count == 10);
  CHECK(r.usage.total_token_count == 21);
  CHECK(r.model_version == "gpt-x");
}

TEST_CASE("chunk_translator: tool call deltas are emitted whole at finish_reason",
          "[wire][unit][openai]") {
  auto s = run(tool_stream());
  // No function call before the finish chunk.
  for (std::size_t i = 0; i + 2 < s.chunks.size(); ++i) CHECK(s.chunks[i].function_calls().empty());
  auto calls = s.response.function_calls();
  REQUIRE(calls.size() == 2);
  CHECK(calls[0].id == "call_a");
  CHECK(calls[0].name == "get_weather");
  CHECK(wire_test::diff(calls[0].args, json::parse(R"({"city":"Paris"})")) == "");
  CHECK(calls[1].id == "call_b");
  CHECK(calls[1].name == "get_time");
  CHECK(calls[1].args.empty());
  CHECK(s.response.text() == "Checking.");
  CHECK(s.response.finish() == wire::finish_reason::stop);
  auto const& parts = s.response.candidates[0].content->parts;
  REQUIRE(parts.size() == 3);
  CHECK(parts[2].thought_signature == "S2");
  CHECK(s.response.usage.total_token_count == 21);
}

TEST_CASE("chunk_translator: reasoning deltas, several choices, refusal, missing [DONE]",
          "[wire][unit][openai]") {
  std::vector<std::string> ev = {
      chunk(delta(R"({"reasoning_content":"Hmm. "})")),
      chunk(R"([{"index":0,"delta":{"content":"A"},"finish_reason":null},)"
            R"({"index":1,"delta":{"content":"B"},"finish_reason":null}])"),
      chunk(delta(R"({"content":"a"})", R"("length")", 0)),
      chunk(delta(R"({"refusal":"No."})", R"("stop")", 1)),
  };
  oai::chunk_translator tr;
  wire::response_accumulator acc;
  for (auto const& e : ev) {
    auto c = tr.translate(e);
    REQUIRE(c);
    if (*c) acc.add(std::move(**c));
    if (&e != &ev.back()) CHECK_FALSE(tr.finished());
  }
  CHECK(tr.finished());
  CHECK_FALSE(tr.done());
  CHECK(tr.finish());  // [DONE] is not required, finish reasons are
  auto r = acc.take();
  REQUIRE(r.candidates.size() == 2);
  CHECK(r.thoughts() == "Hmm. ");
  CHECK(r.text() == "Aa");
  CHECK(r.finish() == wire::finish_reason::max_tokens);
  CHECK(r.candidates[1].content->text() == "B");
  CHECK(r.candidates[1].finish_message == "No.");
  CHECK(r.candidates[1].finish_reason == wire::finish_reason::stop);  // it had content
}

TEST_CASE("chunk_translator: tool call deltas without index", "[wire][unit][openai]") {
  // Some servers omit `index`: a delta with an id starts a call, one without continues it.
  auto s = run(
      {chunk(delta(R"({"tool_calls":[{"id":"a","function":{"name":"f","arguments":"{\"x\""}}]})")),
       chunk(delta(R"({"tool_calls":[{"function":{"arguments":":1}"}}]})")),
       chunk(delta(R"({"tool_calls":[{"id":"b","function":{"name":"g","arguments":"{}"}}]})")),
       chunk(delta("{}", R"("tool_calls")")), "[DONE]"});
  auto calls = s.response.function_calls();
  REQUIRE(calls.size() == 2);
  CHECK(calls[0].id == "a");
  CHECK(wire_test::diff(calls[0].args, json::parse(R"({"x":1})")) == "");
  CHECK(calls[1].id == "b");
  CHECK(calls[1].name == "g");
}

TEST_CASE("chunk_translator: through sse_parser with random splits", "[wire][unit][openai]") {
  for (auto const* which : {"text", "tools"}) {
    auto events = std::string(which) == "text" ? text_stream() : tool_stream();
    auto expected = run(events).response;
    std::string bytes = ": keep-alive comment\n\n";
    for (auto const& e : events) bytes += "data: " + e + "\n\n";

    std::mt19937 rng(20240611);
    for (int round = 0; round < 100; ++round) {
      wire::sse_parser parser;
      oai::chunk_translator tr;
      wire::response_accumulator acc;
      wire::sse_event ev;
      auto drain = [&] {
        while (parser.next(ev)) {
          auto c = tr.translate(ev.data);
          REQUIRE(c);
          if (*c) acc.add(std::move(**c));
        }
      };
      std::size_t pos = 0;
      while (pos < bytes.size()) {
        std::size_t n = std::uniform_int_distribution<std::size_t>(1, 40)(rng);
        n = std::min(n, bytes.size() - pos);
        REQUIRE(parser.feed(std::string_view(bytes).substr(pos, n)));
        drain();
        pos += n;
      }
      REQUIRE(parser.finish());
      drain();
      REQUIRE(tr.finish());
      CHECK(tr.done());
      CHECK(acc.finished());
      auto got = acc.take();
      INFO(which << " round " << round);
      CHECK(wire::serialize(got) == wire::serialize(expected));
    }
  }
}

TEST_CASE("chunk_translator: errors", "[wire][unit][openai]") {
  {  // an error event mid-stream
    oai::chunk_translator tr;
    REQUIRE(tr.translate(chunk(delta(R"({"content":"par"})"))));
    auto e = tr.translate(
        R"({"error":{"message":"The server had an error while processing your request.","type":"server_error","param":null,"code":null}})");
    REQUIRE_FALSE(e);
    CHECK(e.error().code == errc::internal);
    CHECK(e.error().code == condition::retryable);
    CHECK(e.error().message == "The server had an error while processing your request.");
    auto f = tr.finish();
    REQUIRE_FALSE(f);
    CHECK(f.error().code == errc::truncated_stream);
  }
  {  // bad JSON
    oai::chunk_translator tr;
    auto e = tr.translate(R"({"id":"x","choices":[{"delta":)");
    REQUIRE_FALSE(e);
    CHECK(e.error().code == errc::malformed_response);
    CHECK(e.error().message.rfind("stream event: malformed JSON", 0) == 0);
    auto t = tr.translate(R"({"choices":[{"index":0,"delta":{"content":false}}]})");
    REQUIRE_FALSE(t);
    CHECK(t.error().message ==
          "stream event: $.choices[0].delta.content: expected string, array or null, got bool");
  }
  {  // arguments that never form a JSON object
    oai::chunk_translator tr;
    REQUIRE(tr.translate(chunk(delta(
        R"({"tool_calls":[{"index":0,"id":"c","function":{"name":"f","arguments":"{\"a\":"}}]})"))));
    auto e = tr.translate(chunk(delta("{}", R"("tool_calls")")));
    REQUIRE_FALSE(e);
    CHECK(e.error().code == errc::malformed_response);
    CHECK(e.error().message.find("tool call 0 (f) arguments are not a JSON object") !=
          std::string::npos);
  }
  {  // truncated: no finish_reason, with or without [DONE]
    oai::chunk_translator tr;
    REQUIRE(tr.translate(chunk(delta(R"({"content":"Hel"})"))));
    CHECK(tr.finish().error().code == errc::truncated_stream);
    REQUIRE(tr.translate("[DONE]"));
    CHECK(tr.done());
    CHECK(tr.finish().error().code == errc::truncated_stream);
    // After [DONE] events are ignored.
    auto late = tr.translate(chunk(delta(R"({"content":"lo"})", R"("stop")")));
    REQUIRE(late);
    CHECK_FALSE(late->has_value());
    tr.reset();
    CHECK_FALSE(tr.done());
  }
  {  // tool calls pending at [DONE] are still delivered
    oai::chunk_translator tr;
    REQUIRE(tr.translate(chunk(delta(
        R"({"tool_calls":[{"index":0,"id":"c","function":{"name":"f","arguments":"{}"}}]})"))));
    auto d = tr.translate("[DONE]");
    REQUIRE(d);
    REQUIRE(d->has_value());
    CHECK((*d)->function_calls().size() == 1);
  }
}

// ------------------------------------------------------------------------------------------
// Errors
// ------------------------------------------------------------------------------------------

TEST_CASE("parse_chat_error: OpenAI error bodies", "[wire][unit][openai]") {
  auto key = oai::parse_chat_error(401, R"({"error": {
    "message": "Incorrect API key provided: sk-abc***xyz. You can find your API key at https://platform.openai.com/account/api-keys.",
    "type": "invalid_request_error", "param": null, "code": "invalid_api_key"}})");
  CHECK(key.code == errc::unauthenticated);
  CHECK(key.http_status == 401);
  CHECK(key.status == "invalid_request_error");
  CHECK(key.reason == "invalid_api_key");
  CHECK(key.message.rfind("Incorrect API key provided", 0) == 0);

  auto rate = oai::parse_chat_error(429, R"({"error": {
    "message": "Rate limit reached for gpt-4o in organization org-x on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 20s. Visit https://platform.openai.com/account/rate-limits to learn more.",
    "type": "requests", "param": null, "code": "rate_limit_exceeded"}})");
  CHECK(rate.code == errc::rate_limited);
  CHECK(rate.code == condition::retryable);
  CHECK(rate.code == condition::throttled);
  CHECK(rate.retry_delay == 20000ms);

  auto ms = oai::parse_chat_error(
      429,
      R"({"error":{"message":"Rate limit reached. Please try again in 350ms.","type":"tokens","code":"rate_limit_exceeded"}})");
  CHECK(ms.retry_delay == 350ms);
  auto frac = oai::parse_chat_error(
      429, R"({"error":{"message":"Please try again in 1.5s.","type":"requests"}})");
  CHECK(frac.retry_delay == 1500ms);

  auto quota = oai::parse_chat_error(429, R"({"error": {
    "message": "You exceeded your current quota, please check your plan and billing details.",
    "type": "insufficient_quota", "param": null, "code": "insufficient_quota"}})");
  CHECK(quota.code == errc::quota_exhausted);
  CHECK_FALSE(quota.code == condition::retryable);

  auto model = oai::parse_chat_error(404, R"({"error": {
    "message": "The model `gpt-5-turbo` does not exist or you do not have access to it.",
    "type": "invalid_request_error", "param": "model", "code": "model_not_found"}})");
  CHECK(model.code == errc::not_found);
  REQUIRE(model.metadata.size() == 1);
  CHECK(model.metadata[0] == std::pair<std::string, std::string>{"param", "model"});

  auto ctx = oai::parse_chat_error(400, R"({"error": {
    "message": "This model's maximum context length is 128000 tokens.",
    "type": "invalid_request_error", "param": "messages", "code": "context_length_exceeded"}})");
  CHECK(ctx.code == errc::invalid_argument);
  CHECK(ctx.reason == "context_length_exceeded");

  CHECK(oai::parse_chat_error(500, R"({"error":{"message":"x","type":"server_error"}})").code ==
        errc::internal);
  CHECK(oai::parse_chat_error(503, R"({"error":{"message":"x","type":"server_error"}})").code ==
        errc::unavailable);
}

TEST_CASE("parse_chat_error: Gemini's OpenAI endpoint (list-wrapped Google errors)",
          "[wire][unit][openai]") {
  auto effort = oai::parse_chat_error(
      400,
      R"([{"error": {"code": 400, "message": "Invalid reasoning_effort: minimal. Valid values are: high, low, medium, none", "status": "INVALID_ARGUMENT"}}])");
  CHECK(effort.code == errc::invalid_argument);
  CHECK(effort.status == "INVALID_ARGUMENT");
  CHECK(effort.http_status == 400);
  CHECK(effort.message ==
        "Invalid reasoning_effort: minimal. Valid values are: high, low, medium, none");

  auto day = oai::parse_chat_error(429, "[" + wire_test::fixture("error_429_per_day.json") + "]");
  CHECK(day.code == errc::quota_exhausted);
  CHECK(day.retry_delay == 12000ms);
  CHECK(day.per_day_quota());

  auto minute =
      oai::parse_chat_error(429, "[" + wire_test::fixture("error_429_per_minute.json") + "]");
  CHECK(minute.code == errc::rate_limited);
  CHECK(minute.retry_delay == 45838ms);

  auto key =
      oai::parse_chat_error(400, "[" + wire_test::fixture("error_400_api_key_invalid.json") + "]");
  CHECK(key.code == errc::unauthenticated);
}

TEST_CASE("parse_chat_error: other shapes", "[wire][unit][openai]") {
  auto html = oai::parse_chat_error(502, "<html>Bad Gateway</html>");
  CHECK(html.code == errc::unavailable);
  CHECK(html.message == "<html>Bad Gateway</html>");

  auto text = oai::parse_chat_error(401, R"({"error": "invalid token"})");
  CHECK(text.code == errc::unauthenticated);
  CHECK(text.message == "invalid token");

  auto vllm = oai::parse_chat_error(
      400,
      R"({"object":"error","message":"max_tokens is too large","type":"BadRequestError","param":null,"code":400})");
  CHECK(vllm.code == errc::invalid_argument);
  CHECK(vllm.message == "max_tokens is too large");
  CHECK(vllm.status == "BadRequestError");

  // Inside a 200 stream: the code comes from the body.
  auto mid = oai::parse_chat_error(
      0, R"({"error":{"message":"Rate limit","type":"requests","code":"rate_limit_exceeded"}})");
  CHECK(mid.code == errc::rate_limited);
  CHECK(mid.http_status == 0);
  auto mid_google = oai::parse_chat_error(
      0, R"({"error":{"code":503,"message":"overloaded","status":"UNAVAILABLE"}})");
  CHECK(mid_google.code == errc::unavailable);
  CHECK(mid_google.http_status == 503);
}

TEST_CASE("parse_retry_after: delta seconds", "[wire][unit][openai]") {
  CHECK(oai::parse_retry_after("20") == 20000ms);
  CHECK(oai::parse_retry_after(" 7 ") == 7000ms);
  CHECK(oai::parse_retry_after("1.5") == 1500ms);
  CHECK(oai::parse_retry_after("0") == 0ms);
  CHECK(oai::parse_retry_after("250", true) == 250ms);
  CHECK(oai::parse_retry_after("0.5", true) == 1ms);  // rounded up
  for (const char* bad : {"", "-1", "Wed, 21 Oct 2015 07:28:00 GMT", "7s", "1e3", "abc"}) {
    INFO(bad);
    CHECK_FALSE(oai::parse_retry_after(bad));
  }
}

TEST_CASE("a translated request round-trips a translated answer", "[wire][unit][openai]") {
  // The request side and the response side agree on function calls: a model turn translated
  // from a parsed answer becomes the same tool_calls the answer had.
  auto r = oai::parse_chat_response(R"({"choices":[{"index":0,"message":{"role":"assistant",
    "content":"Let me check.","tool_calls":[{"id":"call_1","type":"function",
    "function":{"name":"f","arguments":"{\"a\":1}"}}]},"finish_reason":"tool_calls"}]})");
  REQUIRE(r);
  wire::generate_content_request req;
  req.contents.push_back(wire::content::user("go"));
  req.contents.push_back(*r->candidates[0].content);
  req.contents.push_back(wire::content::user("thanks"));
  req.contents.back().parts.insert(
      req.contents.back().parts.begin(),
      wire::part::from_function_response("f", obj(R"({"ok":true})"), "call_1"));
  auto v = translate(req);
  auto const& m = v.at("messages").as_array();
  REQUIRE(m.size() == 4);
  CHECK(str(m[1].at("content")) == "Let me check.");
  CHECK(str(m[1].at("tool_calls").at(0).at("id")) == "call_1");
  CHECK(
      wire_test::diff(json::parse(str(m[1].at("tool_calls").at(0).at("function").at("arguments"))),
                      json::parse(R"({"a":1})")) == "");
  CHECK(str(m[2].at("tool_call_id")) == "call_1");
  CHECK(str(m[3].at("content")) == "thanks");
}

TEST_CASE("server delays from OpenAI errors are clamped to max_server_delay",
          "[wire][unit][openai]") {
  auto huge = oai::parse_chat_error(
      429, R"({"error":{"message":"Please try again in 315576000000s.","type":"requests"}})");
  CHECK(huge.retry_delay == gemini::max_server_delay);
  auto normal = oai::parse_chat_error(
      429, R"({"error":{"message":"Please try again in 7s.","type":"requests"}})");
  CHECK(normal.retry_delay == 7000ms);
  CHECK(oai::parse_retry_after("315576000000") == gemini::max_server_delay);
  CHECK(oai::parse_retry_after("315576000000", true) == gemini::max_server_delay);
  CHECK(oai::parse_retry_after("86400") == gemini::max_server_delay);
  CHECK(oai::parse_retry_after("7") == 7000ms);
}
