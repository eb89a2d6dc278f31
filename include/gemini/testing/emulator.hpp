// gemini-cxx — testing::emulator: a real HTTP/1.1 (optionally HTTPS) server on an ephemeral
// 127.0.0.1 port that speaks the Gemini REST wire format (reference/gemini-wire.md) closely
// enough that an unmodified client can talk to it, and injects faults on request.
//
//   gemini::testing::emulator emu;                      // listening and serving already
//   auto url = emu.base_url() + "/v1beta";              // "http://127.0.0.1:PORT/v1beta"
//   emu.push_fault({gemini::testing::fault_kind::http_503});   // the next request gets a 503
//   ... run the client against url with key "test-key" ...
//   REQUIRE(emu.requests("generateContent") == 2);
//
// Endpoints (under /v1beta/ and /v1/): POST models/{m}:generateContent,
// :streamGenerateContent (?alt=sse → SSE, else a streamed JSON array), :countTokens,
// :embedContent, :batchEmbedContents; GET models (pageSize/pageToken), GET models/{m}.
// OpenAI-compatible chat completions (`Authorization: Bearer KEY`, `stream: true` → SSE
// chunks, usage chunk, `[DONE]`): POST /v1beta/openai/chat/completions (Gemini's layer:
// errors in Google's shape wrapped in a list) and POST /v1/chat/completions (a generic
// server: OpenAI's error shape, `retry-after` on 429s); same answers, usage, quotas and faults.
// Conventions (deterministic answers, magic prompt tokens, token estimate, fault bodies):
// docs/emulator.md.
//
// Thread safety: every public member function may be called from any thread except the
// emulator's own server threads; stop() (and the destructor) must not be called from a
// server thread (they join them). Counters are atomics and may lag by one request.
//
// Not included by gemini.hpp: include <gemini/testing/emulator.hpp> explicitly and link
// gemini::testing (the server is compiled there once, emulator_impl.hpp); or define
// GEMINI_TESTING_HEADER_ONLY to compile it in this TU.
#pragma once

#include <gemini/testing/certificates.hpp>
#include <gemini/testing/detail/emulator_options.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#if defined(GEMINI_TESTING_HEADER_ONLY)
#define GEMINI_TESTING_INLINE inline
#else
#define GEMINI_TESTING_INLINE
#endif

namespace gemini {
inline namespace v1 {
namespace testing {

namespace detail {
class emulator_server;
}

/// A Gemini-compatible HTTP(S) server for tests and examples. Starts serving in the
/// constructor (throws boost::system::system_error if it cannot listen); the destructor
/// stops it. Not copyable or movable.
class emulator {
 public:
  explicit emulator(emulator_options options = {});
  emulator(const emulator&) = delete;
  emulator& operator=(const emulator&) = delete;
  ~emulator();

  /// Closes the listener and every connection (stalled, streaming or idle), cancels all
  /// timers and joins the server threads. Idempotent. Not from a server thread.
  void stop();

  std::uint16_t port() const noexcept;
  std::string host() const;
  /// "http://127.0.0.1:PORT" or "https://127.0.0.1:PORT" (no version path, no slash).
  std::string base_url() const;
  bool tls() const noexcept;
  const emulator_options& options() const noexcept;

  /// TLS mode: the PEM of the throw-away CA that issued the server certificate (empty
  /// otherwise). Lives as long as the emulator.
  const std::string& ca_certificate_pem() const noexcept;
  /// TLS mode: the server certificate and key as well.
  const test_certificates& certificates() const noexcept;

  /// Scripted faults, FIFO: the next request whose model matches `f.model` (empty = any)
  /// and to which the kind applies gets the fault. Content faults (safety_*, max_tokens)
  /// apply only to generate/stream/chat completions; no fault applies to models.list /
  /// models.get.
  void push_fault(fault f);
  void push_fault(fault_kind k);  ///< with RetryInfo 7 s, any model
  void clear_faults();
  std::size_t pending_faults() const;

  /// Requests read (every request with a complete HTTP header and body, whatever the
  /// answer) and TCP connections accepted.
  std::size_t requests() const noexcept;
  std::size_t connections() const noexcept;
  /// Per endpoint: "generateContent", "streamGenerateContent", "countTokens",
  /// "embedContent", "batchEmbedContents", "models.list", "models.get", "chat.completions",
  /// "chat.completions.stream" (both chat paths, by the body's `stream`), "other".
  std::size_t requests(std::string_view method) const noexcept;
  /// Connections open right now.
  std::size_t open_connections() const;
  void reset_counters() noexcept;

  /// Changes the latency for requests read from now on (and the chunks of streams that
  /// are already running). Thread-safe.
  void set_latency(latency_options l);

  /// Closes (server side, FIN) every connection that is waiting for its next request,
  /// e.g. kept-alive connections in a client's pool. Returns how many it closed, after
  /// they are closed. Connections busy with a request are left alone.
  std::size_t close_idle_connections();

  /// The last request read (method, target, headers, body).
  recorded_request last_request() const;

 private:
  std::unique_ptr<detail::emulator_server> impl_;
};

}  // namespace testing
}  // namespace v1
}  // namespace gemini

#if defined(GEMINI_TESTING_HEADER_ONLY)
#include <gemini/testing/emulator_impl.hpp>
#endif
