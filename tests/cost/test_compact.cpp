// prompt::compact / trim_history: what they change, what they must never change, and the
// savings on the corpus in tests/data/prompts (docs/cost.md quotes this test's table:
// `test_cost "compact: savings on the corpus" -s`).
#include <gemini/prompt/compact.hpp>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

using namespace gemini;

namespace {

std::string read(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

wire::generate_content_request one_turn(std::string text) {
  wire::generate_content_request r;
  r.contents.push_back(wire::content::user(std::move(text)));
  return r;
}

}  // namespace

TEST_CASE("compact: inner runs of spaces, trailing spaces and blank runs go", "[prompt][unit]") {
  CHECK(prompt::compact_text("a   b\t\tc   \n\n\n\nd  ") == "a b c\n\nd");
  CHECK(prompt::compact_text("line one\nline two") == "line one\nline two");
  CHECK(prompt::compact_text("") == "");
  // Indentation at the start of a line is kept (lists, quoted code, YAML).
  CHECK(prompt::compact_text("- a\n    - b   c") == "- a\n    - b c");
}

TEST_CASE("compact: a JSON paragraph is minified, its strings and numbers as written",
          "[prompt][unit]") {
  CHECK(prompt::compact_text("Total?\n\n{\n    \"price\": 24.0,\n    \"name\": \"a  b\"\n}") ==
        "Total?\n\n{\"price\":24.0,\"name\":\"a  b\"}");
  // Not JSON (a brace in prose): compacted as text.
  CHECK(prompt::compact_text("{not   json}") == "{not json}");
}

TEST_CASE("compact: a part of whitespace only is left as it was (never emptied)",
          "[prompt][unit]") {
  auto req = one_turn("   \n\n  ");
  prompt::compact(req);
  CHECK(req.contents[0].text() == "   \n\n  ");
}

TEST_CASE("compact: code fences are kept byte for byte", "[prompt][unit]") {
  const std::string fenced = "```python\ndef f():\n    return  1   # two spaces\n\n\n\n```";
  auto out = prompt::compact_text("Look   at this:\n\n\n" + fenced + "\n\n\nThanks   !");
  CHECK(out == "Look at this:\n\n" + fenced + "\n\nThanks !");
  // An unterminated fence keeps everything after it.
  CHECK(prompt::compact_text("a  b\n```\nx   y\n\n\n") == "a b\n```\nx   y\n\n\n");
}

TEST_CASE("compact: a repeated long paragraph is dropped, short ones stay", "[prompt][unit]") {
  const std::string para =
      "The warranty covers manufacturing defects for two years from the date of purchase.";
  auto req = one_turn(para + "\n\nYes.\n\n" + para + "\n\nYes.");
  req.contents.push_back(wire::content::model("Yes."));
  req.contents.push_back(wire::content::user("As I said:   " + para));  // differs: "As I said:"
  req.contents.push_back(wire::content::user(para));  // all of a part: kept, never emptied
  auto c = prompt::compact(req);
  CHECK(c.paragraphs_dropped == 1);
  CHECK(req.contents[0].text() == para + "\n\nYes.\n\nYes.");
  CHECK(req.contents[1].text() == "Yes.");
  CHECK(req.contents[2].text() == "As I said: " + para);
  CHECK(req.contents[3].text() == para);
  CHECK(c.bytes_after < c.bytes_before);
}

TEST_CASE("compact: thought parts, signatures and non-text parts are not touched",
          "[prompt][unit]") {
  wire::generate_content_request req;
  auto m = wire::content::model("");
  m.parts.clear();
  auto thought = wire::part::from_text("thinking   about   it");
  thought.thought = true;
  m.parts.push_back(thought);
  auto signed_part = wire::part::from_text("signed   text");
  signed_part.thought_signature = "c2ln";
  m.parts.push_back(signed_part);
  req.contents.push_back(wire::content::user("hello   there"));
  req.contents.push_back(m);
  req.contents.push_back(wire::content::user("again"));
  req.contents.back().parts.push_back(wire::part::from_inline_data("image/png", "iVBOR  w0"));
  auto before = req;
  prompt::compact(req);
  CHECK(req.contents[0].text() == "hello there");
  CHECK(req.contents[1] == before.contents[1]);
  CHECK(req.contents[2].parts[1] == before.contents[2].parts[1]);
}

namespace {

/// A conversation of `exchanges` user/model pairs and a final question.
wire::generate_content_request conversation(int exchanges) {
  wire::generate_content_request req;
  req.system_instruction = wire::content::system("You are a helpful travel agent.");
  for (int i = 0; i < exchanges; ++i) {
    req.contents.push_back(
        wire::content::user("Question " + std::to_string(i) + ": " + std::string(200, 'q')));
    req.contents.push_back(
        wire::content::model("Answer " + std::to_string(i) + ": " + std::string(400, 'a')));
  }
  req.contents.push_back(wire::content::user("And the last question?"));
  return req;
}

}  // namespace

TEST_CASE("trim_history: the oldest exchanges go, the last turn and the system stay",
          "[prompt][unit]") {
  auto req = conversation(20);
  const auto before = prompt::detail::estimate_prompt_tokens(req);
  auto t = prompt::trim_history(req, before / 2);
  REQUIRE(t);
  CHECK(t->tokens_before == before);
  CHECK(t->tokens_after <= before / 2);
  CHECK(t->tokens_after == prompt::detail::estimate_prompt_tokens(req));
  CHECK(t->turns_dropped % 2 == 0);  // whole exchanges
  CHECK(req.contents.front().role == "user");
  CHECK(req.contents.back().text() == "And the last question?");
  REQUIRE(req.system_instruction);
  // The fewest turns dropped: one exchange more would have been needed by nobody.
  auto again = conversation(20);
  again.contents.erase(again.contents.begin(),
                       again.contents.begin() + static_cast<std::ptrdiff_t>(t->turns_dropped) - 2);
  CHECK(prompt::detail::estimate_prompt_tokens(again) > before / 2);

  SECTION("a request that fits is left alone") {
    auto r = conversation(2);
    auto copy = r;
    auto u = prompt::trim_history(r, 1'000'000);
    REQUIRE(u);
    CHECK(u->turns_dropped == 0);
    CHECK(r == copy);
  }
  SECTION("too small a budget is an error, the request unchanged") {
    auto r = conversation(3);
    auto copy = r;
    auto u = prompt::trim_history(r, 5);
    REQUIRE_FALSE(u);
    CHECK(u.error().code == errc::invalid_argument);
    CHECK(r == copy);
  }
}

TEST_CASE("trim_history never starts with a function response", "[prompt][unit]") {
  wire::generate_content_request req;
  req.contents.push_back(wire::content::user("Weather in Lisbon? " + std::string(400, 'x')));
  auto call = wire::content::model("");
  call.parts.clear();
  call.parts.push_back(wire::part{});
  call.parts.back().function_call = wire::function_call{"weather", {}, {}, {}};
  req.contents.push_back(call);
  auto resp = wire::content::user("");
  resp.parts.clear();
  resp.parts.push_back(wire::part::from_function_response("weather", {{"c", 21}}));
  req.contents.push_back(resp);
  req.contents.push_back(wire::content::model("It is 21 degrees."));
  req.contents.push_back(wire::content::user("Thanks. And Porto?"));
  auto t = prompt::trim_history(req, 40);
  REQUIRE(t);
  CHECK(t->turns_dropped == 4);  // not 1 (a model call first) nor 2 (a function response)
  CHECK(req.contents.size() == 1);
}

TEST_CASE("trim_to_cost: the oldest turns go until the prompt's cost fits", "[prompt][unit]") {
  cost::price_table prices;
  cost::model_price p;
  p.model = "m";
  p.standard.input = 2;  // 2 pico-dollars a token
  prices.set(p);
  auto req = conversation(10);
  auto before = prompt::prompt_cost(req, prices, "m", "2026-12-01");
  REQUIRE(before);
  auto t = prompt::trim_to_cost(req, cost::money::from_pico(before->pico() / 3), prices, "m",
                                "2026-12-01");
  REQUIRE(t);
  auto after = prompt::prompt_cost(req, prices, "m", "2026-12-01");
  REQUIRE(after);
  CHECK(after->pico() <= before->pico() / 3);
  CHECK(after->pico() == 2 * t->tokens_after);
}

TEST_CASE("compact: savings on the corpus", "[prompt][corpus]") {
  const std::filesystem::path dir = std::filesystem::path(GEMINI_TEST_DATA_DIR) / "prompts";
  std::vector<std::filesystem::path> files;
  for (auto& e : std::filesystem::directory_iterator(dir)) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  REQUIRE(files.size() >= 6);
  std::int64_t total_before = 0, total_after = 0;
  std::ostringstream table;
  table << "| prompt | tokens before | after | saved |\n|---|---|---|---|\n";
  for (auto& f : files) {
    auto req = one_turn(read(f));
    auto before = prompt::detail::estimate_prompt_tokens(req);
    auto c = prompt::compact(req);
    auto after = prompt::detail::estimate_prompt_tokens(req);
    total_before += before;
    total_after += after;
    table << "| " << f.filename().string() << " | " << before << " | " << after << " | "
          << (before - after) * 100 / before << " % |\n";
    const auto name = f.filename().string();
    if (name == "clean.txt") CHECK(after == before);
    if (name == "code_review.txt")  // the fenced code survives byte for byte
      CHECK(req.contents[0].text().find("        return  0.0      # spaces here are code") !=
            std::string::npos);
    if (name == "rag_duplicates.txt") CHECK(c.paragraphs_dropped == 3);
    if (name == "cjk_repeat.txt") CHECK(c.paragraphs_dropped == 1);
    if (name == "pdf_paste.txt") CHECK(after < before * 85 / 100);
    if (name == "json_pretty.txt") CHECK(after < before * 3 / 4);
  }
  table << "| all | " << total_before << " | " << total_after << " | "
        << (total_before - total_after) * 100 / total_before << " % |\n";
  WARN(table.str());
  CHECK(total_after < total_before);
}
