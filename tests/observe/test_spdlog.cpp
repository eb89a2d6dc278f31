// telemetry's log lines through spdlog (observe/spdlog.hpp): one record per call, at the
// success level or the failure level. Built only when CMake finds spdlog (libspdlog-dev).
#include <gemini/observe/spdlog.hpp>
#include <gemini/observe/telemetry.hpp>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <boost/json/parse.hpp>

#include <catch2/catch.hpp>

#include <sstream>

using namespace gemini;

TEST_CASE("spdlog: a call's JSON line is one record, failures at the failure level",
          "[observe][spdlog]") {
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_st>(out);
  auto logger = std::make_shared<spdlog::logger>("gemini", sink);
  logger->set_pattern("%l %v");
  observe::telemetry_options o;
  o.log = observe::spdlog_sink(logger);
  observe::telemetry t(o);

  wire::usage_metadata u;
  u.prompt_token_count = 10;
  u.candidates_token_count = 5;
  u.total_token_count = 15;
  observe::event e;
  e.kind = observe::event_kind::call_end;
  e.model = e.response_model = "gemini-2.5-flash";
  e.tenant = R"(x","outcome":"error)";  // cannot pass for a failure: it is escaped
  e.usage = &u;
  t.record(e);
  gemini::error failure(errc::unavailable, "the service is unavailable");
  observe::event f;
  f.kind = observe::event_kind::call_end;
  f.model = "gemini-2.5-flash";
  f.error = &failure;
  t.record(f);

  std::istringstream lines(out.str());
  std::string first, second, extra;
  REQUIRE(std::getline(lines, first));
  REQUIRE(std::getline(lines, second));
  CHECK_FALSE(std::getline(lines, extra));
  REQUIRE(first.rfind("info ", 0) == 0);
  REQUIRE(second.rfind("warning ", 0) == 0);
  auto ok = boost::json::parse(first.substr(5)).as_object();
  CHECK(ok.at("outcome") == "ok");
  CHECK(ok.at("tenant") == R"(x","outcome":"error)");
  auto failed = boost::json::parse(second.substr(8)).as_object();
  CHECK(failed.at("outcome") == "error");
  CHECK(failed.at("error_type") == "unavailable");
}
