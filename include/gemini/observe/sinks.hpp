// gemini-cxx — where telemetry's log lines go: a stream, shared by threads without
// interleaving. (spdlog: observe/spdlog.hpp; anything else: any callable taking a
// std::string_view, set as telemetry_options::log.)
//
//   cfg.observe.log = gemini::observe::ostream_sink(std::clog);
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <ostream>
#include <string_view>

namespace gemini {
inline namespace v1 {
namespace observe {

/// One line per log record on `out` (which must outlive the client), each written whole
/// under a lock and flushed when `flush` says so.
inline std::function<void(std::string_view)> ostream_sink(std::ostream& out, bool flush = false) {
  auto mutex = std::make_shared<std::mutex>();
  return [&out, mutex, flush](std::string_view line) {
    std::lock_guard lock(*mutex);
    out.write(line.data(), static_cast<std::streamsize>(line.size()));
    out.put('\n');
    if (flush) out.flush();
  };
}

}  // namespace observe
}  // namespace v1
}  // namespace gemini
