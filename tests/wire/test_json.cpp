// JSON both ways: fixture round trips, forward compatibility, typed errors.
#include <gemini/wire/json.hpp>  // first: self-contained

#include "wire_test_util.hpp"

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include <string>

namespace wire = gemini::wire;
using gemini::errc;
using wire_test::fixture;

namespace {

/// parse → serialize → compare with the fixture JSON → parse again → equal structs.
template <class T>
T round_trip(const std::string& name) {
  INFO("fixture " << name);
  std::string text = fixture(name);
  auto r = wire::parse<T>(text);
  INFO((r ? std::string() : r.error().what()));
  REQUIRE(r.has_value());
  std::string out = wire::serialize(*r);
  INFO("serialized: " << out);
  CHECK(wire_test::diff(boost::json::parse(text), boost::json::parse(out)) == "");
  auto again = wire::parse<T>(out);
  REQUIRE(again.has_value());
  CHECK(*again == *r);
  CHECK(wire::to_json(*r) == boost::json::parse(out));
  return std::move(*r);
}

}  // namespace

TEST_CASE("normal generateContent response", "[wire][unit][json]") {
  auto r = round_trip<wire::generate_content_response>("generate_response_basic.json");
  REQUIRE(r.candidates.size() == 1);
  auto const& c = r.candidates[0];
  CHECK(c.index == 0);
  CHECK(c.finish_reason == wire::finish_reason::stop);
  CHECK(r.finish() == wire::finish_reason::stop);
  REQUIRE(c.content);
  CHECK(c.content->role == "model");
  CHECK(r.text() ==
        "Connection pools keep sockets open so that later requests skip the TCP and TLS "
        "handshakes.");
  REQUIRE(c.safety_ratings.size() == 4);
  CHECK(c.safety_ratings[2].category == wire::harm_category::harassment);
  CHECK(c.safety_ratings[2].probability == wire::harm_probability::negligible);
  CHECK_FALSE(c.safety_ratings[2].blocked);
  REQUIRE(c.avg_logprobs);
  CHECK(*c.avg_logprobs == Approx(-0.125));
  CHECK(r.usage.prompt_token_count == 12);
  CHECK(r.usage.candidates_token_count == 19);
  CHECK(r.usage.total_token_count == 31);
  CHECK(r.usage.thoughts_token_count == 0);
  REQUIRE(r.usage.prompt_tokens_details.size() == 1);
  CHECK(r.usage.prompt_tokens_details[0].modality == wire::modality::text);
  CHECK(r.usage.prompt_tokens_details[0].token_count == 12);
  CHECK(r.usage.service_tier == "standard");
  CHECK(r.model_version == "gemini-3.5-flash");
  CHECK(r.response_id == "IiYaau_fNqqajrEP2K2QqQU");
  CHECK_FALSE(r.blocked());
  CHECK(r.extra.empty());
  CHECK(c.extra.empty());
}

TEST_CASE("blocked prompt: promptFeedback.blockReason and no candidates", "[wire][unit][json]") {
  auto r = round_trip<wire::generate_content_response>("generate_response_blocked_prompt.json");
  CHECK(r.candidates.empty());
  CHECK(r.blocked());
  REQUIRE(r.prompt_feedback);
  CHECK(r.prompt_feedback->block_reason == wire::block_reason::safety);
  REQUIRE(r.prompt_feedback->safety_ratings.size() == 4);
  CHECK(r.prompt_feedback->safety_ratings[1].blocked);
  CHECK(r.prompt_feedback->safety_ratings[1].probability == wire::harm_probability::high);
  CHECK(r.text().empty());
  CHECK(r.finish() == wire::finish_reason::unspecified);
  CHECK_FALSE(r.finish().has_value());
  CHECK(r.usage.prompt_token_count == 7);
  CHECK(r.usage.candidates_token_count == 0);
}

TEST_CASE("finishReason SAFETY with safetyRatings and no content", "[wire][unit][json]") {
  auto r = round_trip<wire::generate_content_response>("generate_response_finish_safety.json");
  REQUIRE(r.candidates.size() == 1);
  CHECK_FALSE(r.candidates[0].content.has_value());
  CHECK(r.finish() == wire::finish_reason::safety);
  CHECK_FALSE(r.blocked());
  CHECK(r.text().empty());
  auto const& sr = r.candidates[0].safety_ratings;
  REQUIRE(sr.size() == 4);
  CHECK(sr[2].blocked);
  CHECK(sr[2].probability == wire::harm_probability::medium);
  CHECK(sr[3].probability == wire::harm_probability::low);
}

TEST_CASE("MAX_TOKENS while thinking: no candidatesTokenCount, content without parts",
          "[wire][unit][json]") {
  auto r =
      round_trip<wire::generate_content_response>("generate_response_max_tokens_thinking.json");
  CHECK(r.finish() == wire::finish_reason::max_tokens);
  REQUIRE(r.candidates[0].content);
  CHECK(r.candidates[0].content->parts.empty());
  CHECK(r.usage.candidates_token_count == 0);
  CHECK(r.usage.thoughts_token_count == 64);
  CHECK(r.usage.total_token_count == 73);
  CHECK(r.text().empty());
}

TEST_CASE("function call with id and thoughtSignature", "[wire][unit][json]") {
  auto r = round_trip<wire::generate_content_response>("generate_response_function_call.json");
  auto const& c = r.candidates.at(0);
  CHECK(c.finish_message == "Model generated function call(s).");
  REQUIRE(c.content);
  REQUIRE(c.content->parts.size() == 1);
  auto const& p = c.content->parts[0];
  REQUIRE(p.function_call);
  CHECK(p.function_call->id == "xq3k9w2p");
  CHECK(p.function_call->name == "get_weather");
  CHECK(p.function_call->args.at("city") == "Zurich");
  CHECK(p.function_call->args.at("days") == 3);
  CHECK(p.function_call->args.at("detail").at("hourly") == false);
  CHECK(p.thought_signature == "CiQBcsjafJ2xkqAx7lNvU6eS0sYwRzBgQmE5wJ8c0fY1q8V2H3I=");
  CHECK_FALSE(p.text.has_value());
  auto calls = r.function_calls();
  REQUIRE(calls.size() == 1);
  CHECK(calls[0] == *p.function_call);
  // The parsed JSON does not share the (stack) parse buffer's memory.
  CHECK(p.function_call->args.storage().get() == boost::json::storage_ptr().get());
  CHECK(p.function_call->args.at("detail").storage().get() == boost::json::storage_ptr().get());
}

TEST_CASE("thinking parts: thought text separate from the answer", "[wire][unit][json]") {
  auto r = round_trip<wire::generate_content_response>("generate_response_thinking.json");
  auto const& parts = r.candidates.at(0).content->parts;
  REQUIRE(parts.size() == 2);
  CHECK(parts[0].thought);
  CHECK_FALSE(parts[1].thought);
  CHECK(parts[1].thought_signature == "EtoBCtcBAdHtim9tH1sS1gNaTuRe");
  CHECK(r.text() == "2 + 2 = 4.");
  CHECK(r.thoughts() ==
        "**Weighing the options**\n\nThe user asks for the sum; I will add the numbers.");
  CHECK(r.usage.thoughts_token_count == 111);
  CHECK(r.usage.cached_content_token_count == 4);
  REQUIRE(r.usage.cache_tokens_details.size() == 1);
}

TEST_CASE("citations (wire name citationSources) and grounding metadata", "[wire][unit][json]") {
  auto r = round_trip<wire::generate_content_response>("generate_response_citations.json");
  auto const& c = r.candidates.at(0);
  REQUIRE(c.citation_metadata);
  auto const& s = c.citation_metadata->citation_sources;
  REQUIRE(s.size() == 2);
  REQUIRE(s[0].start_index);
  CHECK(*s[0].start_index == 0);  // an explicit 0 survives
  CHECK(s[0].end_index == 44);
  CHECK(s[0].license == "CC-BY-SA");
  CHECK(s[1].license.empty());
  CHECK(s[1].uri == "https://example.com/typography");
  REQUIRE(c.grounding_metadata);
  CHECK(c.grounding_metadata->contains("webSearchQueries"));
}

TEST_CASE("unknown fields and enum values survive a round trip", "[wire][unit][json]") {
  auto r = round_trip<wire::generate_content_response>("generate_response_unknown_fields.json");
  CHECK(r.extra.at("turnToken") == "opaque-turn-token");
  auto const& c = r.candidates.at(0);
  CHECK(c.finish_reason == wire::finish_reason::unrecognized);
  CHECK_FALSE(c.finish_reason.known());
  CHECK(to_string(c.finish_reason) == "BRAND_NEW_FINISH_REASON");
  CHECK(c.finish_reason != wire::finish_reason::other);
  CHECK(c.extra.contains("futureCandidateField"));
  CHECK(c.content->extra.at("contentTag") == 7);
  auto const& p = c.content->parts.at(0);
  CHECK(p.text == "hello");
  CHECK(p.extra.contains("partMetadata"));
  CHECK(p.extra.contains("mediaResolution"));
  CHECK_FALSE(p.is_text_only());
  auto const& sr = c.safety_ratings.at(0);
  CHECK(sr.category.str() == "HARM_CATEGORY_TELEPATHY");
  CHECK(sr.probability.str() == "SOMEWHAT");
  CHECK(sr.extra.at("probabilityScore") == 0.25);
  CHECK(r.prompt_feedback->block_reason.str() == "NEW_BLOCK_REASON");
  CHECK(r.blocked());  // an unknown block reason still blocks
  CHECK(r.usage.extra.at("futureCount") == 99);
  CHECK(r.usage.prompt_tokens_details.at(0).modality.str() == "SMELL");
  CHECK(r.extra.storage().get() == boost::json::storage_ptr().get());
}

TEST_CASE("request with every documented field round-trips", "[wire][unit][json]") {
  auto q = round_trip<wire::generate_content_request>("generate_request_full.json");
  REQUIRE(q.contents.size() == 3);
  auto const& u = q.contents[0].parts;
  REQUIRE(u.size() == 3);
  REQUIRE(u[1].inline_data);
  CHECK(u[1].inline_data->mime_type == "image/png");
  CHECK(u[1].inline_data->data.substr(0, 8) == "iVBORw0K");
  REQUIRE(u[2].file_data);
  CHECK(u[2].file_data->file_uri ==
        "https://generativelanguage.googleapis.com/v1beta/files/abc123");
  REQUIRE(u[2].video_metadata);
  auto const& m = q.contents[1].parts;
  CHECK(m[0].thought);
  CHECK(m[1].function_call->id == "call-1");
  CHECK(m[1].thought_signature == "Cq0BAXLI2nw=");
  CHECK(m[2].executable_code->language == "PYTHON");
  CHECK(m[3].code_execution_result->outcome == "OUTCOME_OK");
  CHECK(q.contents[2].parts[0].function_response->response.at("sky") == "clear");
  REQUIRE(q.system_instruction);
  CHECK(q.system_instruction->role.empty());
  REQUIRE(q.tools.size() == 8);
  REQUIRE(q.tools[0].function_declarations.size() == 2);
  CHECK(q.tools[0].function_declarations[0].behavior == "BLOCKING");
  CHECK(q.tools[0].function_declarations[0].parameters.has_value());
  CHECK(q.tools[0].function_declarations[1].parameters_json_schema.has_value());
  CHECK(q.tools[1].google_search.has_value());
  CHECK(q.tools[2].code_execution.has_value());
  CHECK(q.tools[3].url_context.has_value());
  CHECK(q.tools[4].google_maps.has_value());
  CHECK(q.tools[5].google_search_retrieval.has_value());
  CHECK(q.tools[6].file_search.has_value());
  CHECK(q.tools[7].computer_use.has_value());
  REQUIRE(q.tool_config);
  CHECK(q.tool_config->function_calling_config->mode == wire::function_calling_mode::any);
  CHECK(q.tool_config->function_calling_config->allowed_function_names ==
        std::vector<std::string>{"get_weather"});
  CHECK(q.tool_config->retrieval_config.has_value());
  REQUIRE(q.safety_settings.size() == 5);
  CHECK(q.safety_settings[0].threshold == wire::harm_block_threshold::block_only_high);
  CHECK(q.safety_settings[4].category == wire::harm_category::civic_integrity);
  CHECK(q.safety_settings[4].threshold == wire::harm_block_threshold::off);
  REQUIRE(q.generation_config);
  auto const& g = *q.generation_config;
  CHECK(g.temperature == 0.7);
  CHECK(g.top_p == 0.95);
  CHECK(g.top_k == 40);
  CHECK(g.candidate_count == 1);
  CHECK(g.max_output_tokens == 2048);
  CHECK(g.stop_sequences == std::vector<std::string>{"END", "STOP!"});
  CHECK(g.response_mime_type == "application/json");
  CHECK(g.response_schema.has_value());
  CHECK(g.response_json_schema.has_value());
  REQUIRE(g.response_modalities);
  CHECK(g.response_modalities->size() == 2);
  CHECK((*g.response_modalities)[1] == wire::modality::image);
  CHECK(g.presence_penalty == 0.5);
  CHECK(g.frequency_penalty == -0.25);
  CHECK(g.seed == 42);
  CHECK(g.response_logprobs == true);
  CHECK(g.logprobs == 3);
  CHECK(g.media_resolution == wire::media_resolution::low);
  CHECK(g.speech_config.has_value());
  CHECK(g.image_config->aspect_ratio == "16:9");
  CHECK(g.image_config->image_size == "2K");
  CHECK(g.thinking_config->include_thoughts == true);
  CHECK(g.thinking_config->thinking_budget == -1);
  CHECK(g.thinking_config->thinking_level == wire::thinking_level::high);
  CHECK(g.enable_enhanced_civic_answers == false);  // present and false, not absent
  CHECK(g.extra.empty());
  CHECK(q.cached_content == "cachedContents/abc123");
  CHECK(q.service_tier == "flex");
}

TEST_CASE("requests built in code serialize to the documented shape", "[wire][unit][json]") {
  wire::generate_content_request q;
  q.contents.push_back(wire::content::user("Hello"));
  q.system_instruction = wire::content::system("Be brief.");
  q.generation_config.emplace();
  q.generation_config->temperature = 0.0;  // explicitly zero: still written
  q.generation_config->thinking_config.emplace();
  q.generation_config->thinking_config->thinking_budget = 0;
  q.safety_settings.push_back(
      {wire::harm_category::dangerous_content, wire::harm_block_threshold::block_none, {}});
  q.tools.push_back(wire::tool::search());
  auto v = wire::to_json(q);
  auto expected = boost::json::parse(R"({
    "contents": [{"role": "user", "parts": [{"text": "Hello"}]}],
    "systemInstruction": {"parts": [{"text": "Be brief."}]},
    "tools": [{"googleSearch": {}}],
    "safetySettings": [{"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "threshold": "BLOCK_NONE"}],
    "generationConfig": {"temperature": 0, "thinkingConfig": {"thinkingBudget": 0}}
  })");
  CHECK(wire_test::diff(v, expected) == "");
  // An unset generation config and empty lists are omitted entirely.
  wire::generate_content_request bare;
  bare.contents.push_back(wire::content::model("Hi"));
  CHECK(wire::serialize(bare) == R"({"contents":[{"role":"model","parts":[{"text":"Hi"}]}]})");
  // boost::json::value_from works directly too.
  CHECK(boost::json::value_from(bare) == wire::to_json(bare));
}

TEST_CASE("countTokens request/response", "[wire][unit][json]") {
  auto q = round_trip<wire::count_tokens_request>("count_tokens_request.json");
  CHECK(q.contents.at(0).text() == "count these tokens please");
  auto w = round_trip<wire::count_tokens_request>("count_tokens_request_wrapped.json");
  REQUIRE(w.generate_content_request);
  CHECK(w.generate_content_request->model == "models/gemini-2.5-flash");
  CHECK(w.generate_content_request->generation_config->max_output_tokens == 10);
  CHECK(w.contents.empty());
  auto r = round_trip<wire::count_tokens_response>("count_tokens_response.json");
  CHECK(r.total_tokens == 11);
  CHECK(r.cached_content_token_count == 4);
  REQUIRE(r.prompt_tokens_details.size() == 2);
  CHECK(r.prompt_tokens_details[1].modality == wire::modality::image);
  CHECK(r.cache_tokens_details.size() == 1);
  CHECK(r.extra.contains("contentTokens"));
  CHECK(r.extra.contains("systemInstructionsTokens"));
}

TEST_CASE("embedContent and batchEmbedContents", "[wire][unit][json]") {
  auto q = round_trip<wire::embed_content_request>("embed_content_request.json");
  CHECK(q.task_type == wire::task_type::retrieval_document);
  CHECK(q.title == "A philosophical question");
  CHECK(q.output_dimensionality == 768);
  CHECK(q.model.empty());
  CHECK(q.content.role.empty());
  auto r = round_trip<wire::embed_content_response>("embed_content_response.json");
  REQUIRE(r.embedding.values.size() == 7);
  CHECK(r.embedding.values[0] == Approx(0.013168523f));
  CHECK(r.embedding.values[4] == 1.0f);
  CHECK(r.embedding.values[5] == -1.0f);
  auto bq = round_trip<wire::batch_embed_contents_request>("batch_embed_contents_request.json");
  REQUIRE(bq.requests.size() == 2);
  CHECK(bq.requests[0].model == "models/gemini-embedding-001");
  CHECK(bq.requests[1].task_type == wire::task_type::clustering);
  CHECK(bq.requests[1].output_dimensionality == 3);
  CHECK_FALSE(bq.requests[0].output_dimensionality.has_value());
  auto br = round_trip<wire::batch_embed_contents_response>("batch_embed_contents_response.json");
  REQUIRE(br.embeddings.size() == 2);
  CHECK(br.embeddings[1].values == std::vector<float>{1.5f, 0.0f, -2.0f});
}

TEST_CASE("models get and list", "[wire][unit][json]") {
  auto m = round_trip<wire::model_info>("model_get.json");
  CHECK(m.name == "models/gemini-2.5-flash");
  CHECK(m.version == "001");
  CHECK(m.display_name == "Gemini 2.5 Flash");
  CHECK(m.input_token_limit == 1048576);
  CHECK(m.output_token_limit == 65536);
  CHECK(m.supports("countTokens"));
  CHECK_FALSE(m.supports("embedContent"));
  CHECK(m.temperature == 1.0);
  CHECK(m.top_k == 64);
  CHECK(m.max_temperature == 2.0);
  CHECK(m.thinking == true);
  auto l = round_trip<wire::list_models_response>("models_list.json");
  REQUIRE(l.models.size() == 2);
  CHECK(l.models[1].name == "models/gemini-embedding-001");
  CHECK_FALSE(l.models[1].thinking.has_value());
  CHECK(l.next_page_token == "Ch5tb2RlbHMvZ2VtaW5pLWVtYmVkZGluZy0wMDE=");
}

TEST_CASE("a wrong type names the exact JSON path", "[wire][unit][json]") {
  using R = wire::generate_content_response;
  struct row {
    const char* json;
    const char* message;
  };
  const row rows[] = {
      {R"({"candidates":[{"content":{"parts":[{"text":"a"},{"text":5}]}}]})",
       "$.candidates[0].content.parts[1].text: expected string, got number"},
      {R"({"candidates":{}})", "$.candidates: expected array, got object"},
      {R"({"candidates":[{"index":"zero"}]})",
       "$.candidates[0].index: expected integer, got non-numeric string"},
      {R"({"candidates":[{},{"finishReason":7}]})",
       "$.candidates[1].finishReason: expected string (enum), got number"},
      {R"({"usageMetadata":{"promptTokenCount":true}})",
       "$.usageMetadata.promptTokenCount: expected integer, got bool"},
      {R"({"usageMetadata":{"promptTokensDetails":[{"tokenCount":1.5}]}})",
       "$.usageMetadata.promptTokensDetails[0].tokenCount: expected integer, got non-integral "
       "number"},
      {R"({"candidates":[{"content":{"parts":[{"functionCall":{"name":"f","args":[1]}}]}}]})",
       "$.candidates[0].content.parts[0].functionCall.args: expected object, got array"},
      {R"({"candidates":[{"content":{"parts":[{"thought":"yes"}]}}]})",
       "$.candidates[0].content.parts[0].thought: expected bool, got string"},
      {R"({"candidates":[null]})", "$.candidates[0]: expected object, got null"},
      {R"([1,2])", "$: expected object, got array"},
      {R"({"candidates":[{"index":4294967296}]})",
       "$.candidates[0].index: integer out of 32-bit range"},
  };
  for (auto const& row : rows) {
    INFO(row.json);
    auto r = wire::parse<R>(row.json);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == errc::bad_type);
    CHECK(r.error().message == row.message);
  }
  auto e = wire::parse<wire::generate_content_request>(
      R"({"generationConfig":{"thinkingConfig":{"thinkingBudget":"lots"}}})");
  REQUIRE_FALSE(e);
  CHECK(e.error().message ==
        "$.generationConfig.thinkingConfig.thinkingBudget: expected integer, got non-numeric "
        "string");
  auto f = wire::parse<wire::embed_content_response>(R"({"embedding":{"values":[0.5,"x"]}})");
  REQUIRE_FALSE(f);
  CHECK(f.error().message == "$.embedding.values[1]: expected number, got string");
}

TEST_CASE("malformed JSON reports bad_json with the byte offset", "[wire][unit][json]") {
  auto r = wire::parse<wire::generate_content_response>(R"({"candidates": [}])");
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::bad_json);
  CHECK(r.error().message.find("byte offset 16") != std::string::npos);
  auto t = wire::parse<wire::generate_content_response>(R"({"candidates": [)");
  REQUIRE_FALSE(t);
  CHECK(t.error().code == errc::bad_json);
  CHECK(t.error().message.find("incomplete") != std::string::npos);
  auto x = wire::parse<wire::generate_content_response>(R"({} trailing)");
  REQUIRE_FALSE(x);
  CHECK(x.error().code == errc::bad_json);
  CHECK(x.error().message.find("byte offset 3") != std::string::npos);
  auto empty = wire::parse<wire::generate_content_response>("");
  REQUIRE_FALSE(empty);
  CHECK(empty.error().code == errc::bad_json);
  // bad_json is not retryable; the client maps it to malformed_response.
  CHECK_FALSE(empty.error().code == gemini::condition::retryable);
}

TEST_CASE("tolerant reading: nulls, int64 strings, integral doubles, missing keys",
          "[wire][unit][json]") {
  auto r = wire::parse<wire::generate_content_response>(
      R"({"candidates":[{"content":null,"finishReason":null,"index":1.0}],
          "usageMetadata":{"promptTokenCount":"123","totalTokenCount":124.0},
          "modelVersion":null})");
  REQUIRE(r);
  CHECK_FALSE(r->candidates[0].content.has_value());
  CHECK(r->candidates[0].index == 1);
  CHECK(r->usage.prompt_token_count == 123);
  CHECK(r->usage.total_token_count == 124);
  CHECK(r->model_version.empty());
  auto empty = wire::parse<wire::generate_content_response>("{}");
  REQUIRE(empty);
  CHECK(empty->candidates.empty());
  CHECK(empty->usage.empty());
  CHECK(wire::serialize(*empty) == "{}");
  // Large bodies spill from the stack buffer to the heap and still parse.
  std::string big =
      R"({"candidates":[{"content":{"parts":[{"text":")" + std::string(100000, 'x') + R"("}]}}]})";
  auto b = wire::parse<wire::generate_content_response>(big);
  REQUIRE(b);
  CHECK(b->text().size() == 100000);
}

TEST_CASE("from_json and parse_value", "[wire][unit][json]") {
  auto v = wire::parse_value(R"({"totalTokens": 5})");
  REQUIRE(v);
  auto c = wire::from_json<wire::count_tokens_response>(*v);
  REQUIRE(c);
  CHECK(c->total_tokens == 5);
  auto bad = wire::from_json<wire::count_tokens_response>(boost::json::value("x"));
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message == "$: expected object, got string");
}

TEST_CASE("unknown request keys are written back after the known ones", "[wire][unit][json]") {
  auto q = wire::parse<wire::generate_content_request>(
      R"({"contents":[{"role":"user","parts":[{"text":"x"}]}],
          "labels":{"team":"a"},
          "generationConfig":{"temperature":1.5,"futureKnob":{"level":2}},
          "toolConfig":{"functionCallingConfig":{"mode":"SOMETIMES"}}})");
  REQUIRE(q);
  CHECK(q->extra.contains("labels"));
  CHECK(q->generation_config->extra.contains("futureKnob"));
  CHECK(q->tool_config->function_calling_config->mode.str() == "SOMETIMES");
  auto v = wire::to_json(*q);
  CHECK(v.at("labels").at("team") == "a");
  CHECK(v.at("generationConfig").at("futureKnob").at("level") == 2);
  CHECK(v.at("toolConfig").at("functionCallingConfig").at("mode") == "SOMETIMES");
  // A key in `extra` never overrides a known field.
  wire::generate_content_request r;
  r.contents.push_back(wire::content::user("y"));
  r.service_tier = "flex";
  r.extra["serviceTier"] = "priority";
  CHECK(wire::to_json(r).at("serviceTier") == "flex");
}
