// Cache keys: SHA-256 known answers, and the canonicalization contract (docs/cache.md#keys):
// every field that changes the answer changes the key, the others do not.
#include <gemini/cache/key.hpp>

#include <catch2/catch.hpp>

#include <functional>
#include <set>

using namespace gemini;
using gemini::cache::request_key;

namespace {

wire::generate_content_request base() {
  wire::generate_content_request r;
  r.contents.push_back(wire::content::user("What is the capital of France?"));
  r.contents.push_back(wire::content::model("Paris."));
  r.contents.push_back(wire::content::user("And of Italy?"));
  return r;
}

std::string key_of(const wire::generate_content_request& r, std::string_view model = "models/m",
                   std::string_view tenant = "") {
  return request_key(r, model, tenant).hex();
}

}  // namespace

TEST_CASE("sha256 matches the FIPS 180-2 known answers", "[cache][key]") {
  CHECK(cache::sha256::of("abc").hex() ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(cache::sha256::of("").hex() ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  std::string million(1000000, 'a');
  CHECK(cache::sha256::of(million).hex() ==
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("the same request gives the same key, every time", "[cache][key]") {
  auto a = key_of(base());
  CHECK(a.size() == 64);
  CHECK(key_of(base()) == a);
  auto copy = base();
  CHECK(key_of(copy) == a);
}

TEST_CASE("every field that changes the answer changes the key", "[cache][key]") {
  using mutation = std::pair<const char*, std::function<void(wire::generate_content_request&)>>;
  std::vector<mutation> changes = {
      {"text of a content", [](auto& r) { r.contents[2].parts[0].text = "And of Spain?"; }},
      {"role of a content", [](auto& r) { r.contents[1].role = "user"; }},
      {"one more content", [](auto& r) { r.contents.push_back(wire::content::user("x")); }},
      {"one more part", [](auto& r) { r.contents[2].parts.push_back(wire::part::from_text("")); }},
      {"a thought flag", [](auto& r) { r.contents[1].parts[0].thought = true; }},
      {"a thought signature", [](auto& r) { r.contents[1].parts[0].thought_signature = "c2ln"; }},
      {"inline data",
       [](auto& r) {
         r.contents[2].parts.push_back(wire::part::from_inline_data("image/png", "iVBORw0K"));
       }},
      {"file data",
       [](auto& r) {
         r.contents[2].parts.push_back(wire::part::from_file("application/pdf", "gs://b/f"));
       }},
      {"unknown part field", [](auto& r) { r.contents[2].parts[0].extra["mediaResolution"] = 1; }},
      {"unknown content field", [](auto& r) { r.contents[0].extra["x"] = true; }},
      {"system instruction",
       [](auto& r) { r.system_instruction = wire::content::system("Answer briefly."); }},
      {"temperature",
       [](auto& r) {
         r.generation_config.emplace();
         r.generation_config->temperature = 0.2;
       }},
      {"max output tokens",
       [](auto& r) {
         r.generation_config.emplace();
         r.generation_config->max_output_tokens = 64;
       }},
      {"stop sequences",
       [](auto& r) {
         r.generation_config.emplace();
         r.generation_config->stop_sequences = std::vector<std::string>{"END"};
       }},
      {"top k",
       [](auto& r) {
         r.generation_config.emplace();
         r.generation_config->top_k = 40;
       }},
      {"an empty generation config", [](auto& r) { r.generation_config.emplace(); }},
      {"thinking config",
       [](auto& r) {
         r.generation_config.emplace();
         r.generation_config->thinking_config.emplace();
         r.generation_config->thinking_config->thinking_budget = 0;
       }},
      {"response schema",
       [](auto& r) {
         r.generation_config.emplace();
         r.generation_config->response_schema = boost::json::object{{"type", "STRING"}};
       }},
      {"tools",
       [](auto& r) {
         wire::tool t;
         t.google_search = boost::json::object{};
         r.tools.push_back(t);
       }},
      {"tool config",
       [](auto& r) {
         r.tool_config.emplace();
         r.tool_config->extra["functionCallingConfig"] = boost::json::object{{"mode", "ANY"}};
       }},
      {"safety settings",
       [](auto& r) {
         wire::safety_setting s;
         s.category = wire::harm_category("HARM_CATEGORY_HARASSMENT");
         s.threshold = wire::harm_block_threshold("BLOCK_NONE");
         r.safety_settings.push_back(s);
       }},
      {"cached content", [](auto& r) { r.cached_content = "cachedContents/abc"; }},
      {"unknown request field", [](auto& r) { r.extra["newField"] = 1; }},
  };
  std::set<std::string> seen{key_of(base())};
  for (auto const& [what, change] : changes) {
    INFO(what);
    auto r = base();
    change(r);
    auto k = key_of(r);
    CHECK(k != key_of(base()));
    CHECK(seen.insert(k).second);  // and differs from every other change
  }
  CHECK(key_of(base(), "models/other") != key_of(base()));
  CHECK(key_of(base(), "models/m", "tenant-a") != key_of(base()));
  CHECK(key_of(base(), "models/m", "tenant-a") != key_of(base(), "models/m", "tenant-b"));
}

TEST_CASE("fields that do not change the answer leave the key alone", "[cache][key]") {
  auto r = base();
  r.service_tier = "flex";
  CHECK(key_of(r) == key_of(base()));
}

TEST_CASE("field boundaries are unambiguous", "[cache][key]") {
  wire::generate_content_request a, b;
  a.contents.push_back(wire::content::user("ab"));
  a.contents.back().parts.push_back(wire::part::from_text("c"));
  b.contents.push_back(wire::content::user("a"));
  b.contents.back().parts.push_back(wire::part::from_text("bc"));
  CHECK(key_of(a) != key_of(b));
  // model "m" + tenant "x" against model "mx" + tenant ""
  CHECK(key_of(a, "m", "x") != key_of(a, "mx", ""));
  // a text part against the same text as a system instruction
  wire::generate_content_request c, d;
  c.contents.push_back(wire::content::user("hi"));
  d.contents.push_back(wire::content::user("hi"));
  d.system_instruction = wire::content::user("hi");
  CHECK(key_of(c) != key_of(d));
}
