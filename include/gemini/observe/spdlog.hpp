// gemini-cxx — telemetry's log lines through an spdlog logger (Debian libspdlog-dev; link
// spdlog::spdlog). Each call's JSON line is one record, at `ok` level for a call that
// succeeded and at `failed` level for one that failed; the logger's sinks, pattern and
// async mode are the service's own.
//
//   auto logger = spdlog::stdout_color_mt("gemini");
//   logger->set_pattern("%v");  // the line is already JSON with a timestamp
//   cfg.observe.log = gemini::observe::spdlog_sink(logger);
#pragma once

#include <spdlog/logger.h>

#include <functional>
#include <memory>
#include <string_view>

namespace gemini {
inline namespace v1 {
namespace observe {

/// A telemetry_options::log callback writing to `logger` (kept alive by the callback).
inline std::function<void(std::string_view)> spdlog_sink(
    std::shared_ptr<spdlog::logger> logger, spdlog::level::level_enum ok = spdlog::level::info,
    spdlog::level::level_enum failed = spdlog::level::warn) {
  return [logger = std::move(logger), ok, failed](std::string_view line) {
    // The outcome field as telemetry writes it: a string value in the line is escaped, so
    // this byte sequence cannot come from a tenant, user or label.
    const bool error = line.find(R"("outcome":"error")") != std::string_view::npos;
    logger->log(error ? failed : ok, spdlog::string_view_t(line.data(), line.size()));
  };
}

}  // namespace observe
}  // namespace v1
}  // namespace gemini
