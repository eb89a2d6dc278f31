// The data model: open enums and helpers.
#include <gemini/wire/types.hpp>  // first: self-contained

#include <catch2/catch.hpp>

#include <sstream>
#include <type_traits>

namespace wire = gemini::wire;

TEST_CASE("open enums: known values, unknown values kept", "[wire][unit][types]") {
  wire::finish_reason r;
  CHECK(r == wire::finish_reason::unspecified);
  CHECK_FALSE(r.has_value());
  CHECK(r.known());
  CHECK(r.str() == "FINISH_REASON_UNSPECIFIED");

  r = wire::finish_reason::max_tokens;
  CHECK(r.value() == wire::finish_reason::max_tokens);
  CHECK(to_string(r) == "MAX_TOKENS");

  wire::finish_reason s("SAFETY");
  CHECK(s == wire::finish_reason::safety);
  CHECK(s.known());
  CHECK(s.has_value());

  auto u = wire::finish_reason::from_string("SOMETHING_NEW");
  CHECK(u == wire::finish_reason::unrecognized);
  CHECK_FALSE(u.known());
  CHECK(u.has_value());
  CHECK(to_string(u) == "SOMETHING_NEW");
  CHECK(u == wire::finish_reason("SOMETHING_NEW"));
  CHECK_FALSE(u == wire::finish_reason("SOMETHING_ELSE"));
  CHECK_FALSE(u == wire::finish_reason::other);

  std::ostringstream os;
  os << u << ' ' << wire::harm_category(wire::harm_category::hate_speech);
  CHECK(os.str() == "SOMETHING_NEW HARM_CATEGORY_HATE_SPEECH");

  // every name maps back to its enumerator
  for (auto v : {wire::finish_reason::stop, wire::finish_reason::too_many_tool_calls,
                 wire::finish_reason::image_other, wire::finish_reason::spii}) {
    wire::finish_reason x(v);
    CHECK(wire::finish_reason(x.str()) == v);
  }
  CHECK(wire::function_calling_mode("AUTO") == wire::function_calling_mode::auto_);
  CHECK(wire::task_type("CODE_RETRIEVAL_QUERY") == wire::task_type::code_retrieval_query);
  CHECK(wire::harm_block_threshold("OFF") == wire::harm_block_threshold::off);
  CHECK(wire::media_resolution("MEDIA_RESOLUTION_HIGH") == wire::media_resolution::high);
  CHECK(wire::thinking_level("MINIMAL") == wire::thinking_level::minimal);
  CHECK(wire::block_reason("PROHIBITED_CONTENT") == wire::block_reason::prohibited_content);
  CHECK(wire::modality("DOCUMENT") == wire::modality::document);
  CHECK(wire::harm_probability("HIGH") == wire::harm_probability::high);
  STATIC_REQUIRE(std::is_nothrow_move_constructible_v<wire::finish_reason>);
}

TEST_CASE("content and part helpers", "[wire][unit][types]") {
  auto u = wire::content::user("hi");
  CHECK(u.role == "user");
  REQUIRE(u.parts.size() == 1);
  CHECK(u.parts[0].text == "hi");
  CHECK(u.parts[0].is_text_only());
  CHECK(wire::content::model("x").role == "model");
  CHECK(wire::content::system("x").role.empty());
  auto p = wire::part::from_text("t");
  CHECK(p.text == "t");
  CHECK_FALSE(p.thought);
  auto img = wire::part::from_inline_data("image/png", "AAAA");
  CHECK_FALSE(img.is_text_only());
  CHECK(img.inline_data->mime_type == "image/png");
  auto fr = wire::part::from_function_response("f", {{"ok", true}}, "id-1");
  CHECK(fr.function_response->id == "id-1");

  wire::content c;
  c.parts.push_back(wire::part::from_text("a"));
  auto t = wire::part::from_text("secret thoughts");
  t.thought = true;
  c.parts.push_back(t);
  c.parts.push_back(wire::part::from_text("b"));
  CHECK(c.text() == "ab");

  wire::generate_content_response r;
  CHECK(r.text().empty());
  CHECK_FALSE(r.blocked());
  CHECK(r.finish() == wire::finish_reason::unspecified);
  CHECK(r.usage.empty());
  r.prompt_feedback.emplace();
  CHECK_FALSE(r.blocked());  // promptFeedback without a blockReason
  r.prompt_feedback->block_reason = wire::block_reason::other;
  CHECK(r.blocked());
}
