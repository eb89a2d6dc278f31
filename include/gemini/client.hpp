// gemini-cxx — basic_client<Policies>: the host that composes the policy slots around a
// transport (DESIGN.md §3).
//
// Threading: a client is used from one executor (a strand when the io_context runs on
// several threads). Cancellation: every call honours the cancellation slot of the awaiting
// coroutine (e.g. `asio::experimental::awaitable_operators` `||` with a timer, or
// `asio::bind_cancellation_slot`), and completes with errc::cancelled.
#pragma once

#include <gemini/breaker/concept.hpp>
#include <gemini/cache/concept.hpp>
#include <gemini/config.hpp>
#include <gemini/error.hpp>
#include <gemini/limit/concept.hpp>
#include <gemini/policies.hpp>
#include <gemini/retry/concept.hpp>
#include <gemini/route/concept.hpp>
#include <gemini/transport/concept.hpp>
#include <gemini/transport/http.hpp>
#include <gemini/wire/accumulator.hpp>
#include <gemini/wire/error_body.hpp>
#include <gemini/wire/json.hpp>
#include <gemini/wire/openai.hpp>
#include <gemini/wire/sse.hpp>
#include <gemini/wire/types.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <list>
#include <memory>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

namespace gemini {
inline namespace v1 {

/// Called with each streamed chunk as it arrives (text parts are deltas).
template <class F>
concept chunk_handler = std::invocable<F&, const wire::generate_content_response&>;

namespace detail {

/// A move-only, type-erased chunk handler (one allocation per streaming call).
class chunk_callback {
 public:
  template <class F>
  explicit chunk_callback(F f) : impl_(std::make_unique<holder<F>>(std::move(f))) {}
  void operator()(const wire::generate_content_response& chunk) { impl_->call(chunk); }

 private:
  struct base {
    virtual ~base() = default;
    virtual void call(const wire::generate_content_response&) = 0;
  };
  template <class F>
  struct holder final : base {
    explicit holder(F f) : fn(std::move(f)) {}
    void call(const wire::generate_content_response& chunk) override { fn(chunk); }
    F fn;
  };
  std::unique_ptr<base> impl_;
};

/// True when `s` is valid UTF-8 (no overlongs, no surrogates, at most U+10FFFF).
inline bool valid_utf8(std::string_view s) noexcept {
  auto const* p = reinterpret_cast<const unsigned char*>(s.data());
  auto const* end = p + s.size();
  while (p < end) {
    // ASCII eight bytes at a time (prompts are mostly ASCII).
    while (end - p >= 8) {
      std::uint64_t w;
      std::memcpy(&w, p, 8);
      if (w & 0x8080808080808080ull) break;
      p += 8;
    }
    if (p == end) break;
    unsigned char c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    int n;
    std::uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (end - p <= n) return false;
    for (int i = 1; i <= n; ++i) {
      if ((p[i] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i] & 0x3F);
    }
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    p += n + 1;
  }
  return true;
}

/// The x-goog-api-client header's value.
inline const std::string client_header = "gemini-cxx/0.1";

/// The options of a call made without any (namespace scope: no guard on each use).
inline const call_options default_options{};

/// "models/x" for "x"; names that already carry a collection are kept.
inline std::string model_path(std::string_view model) {
  if (model.substr(0, 7) == "models/" || model.substr(0, 12) == "tunedModels/")
    return std::string(model);
  return "models/" + std::string(model);
}

/// A blocked prompt, or an answer stopped for safety or prohibited content. (At namespace
/// scope: inside the class template GCC 12 crashes on the open enum's constants.)
inline bool blocked_answer(const wire::generate_content_response& r) {
  return r.blocked() || r.finish() == wire::finish_reason::safety ||
         r.finish() == wire::finish_reason::prohibited_content;
}

/// True for an SSE payload that is a Google error object rather than a chunk.
inline bool looks_like_error(std::string_view json) noexcept {
  auto skip = [&](std::size_t i) {
    while (i < json.size() && (json[i] == ' ' || json[i] == '\n' || json[i] == '\r' ||
                               json[i] == '\t' || json[i] == '['))
      ++i;
    return i;
  };
  std::size_t i = skip(0);
  if (i >= json.size() || json[i] != '{') return false;
  i = skip(i + 1);
  return json.substr(i, 7) == "\"error\"";
}

template <class Transport, class Cache, class Limit, class Breaker, class Retry, class Route,
          class Budget, class Guard, class Observe, class Clock, class Sync>
class client_impl {
  static_assert(transport::transport_policy<Transport>,
                "gemini: the `transport` slot needs `using slot = gemini::slot::transport;`, "
                "request(http_request, attempt_limits) and open(...) returning awaitables "
                "(see docs/client.md#transport)");
  static_assert(declares_slot<Cache, slot::cache>,
                "gemini: the `cache` slot type must declare `using slot = gemini::slot::cache;`");
  static_assert(none_policy<Cache> || cache::cache_policy<Cache>,
                "gemini: the `cache` slot needs behaviour() and either lookup(key, now) / "
                "store(key, response_ptr, ttl, now) or async_lookup / async_store returning "
                "awaitables (see docs/cache.md)");
  static_assert(declares_slot<Limit, slot::limit>,
                "gemini: the `limit` slot type must declare `using slot = gemini::slot::limit;`");
  static_assert(none_policy<Limit> || limit::limit_policy<Limit>,
                "gemini: the `limit` slot needs try_acquire(cost, now) -> grant, "
                "release(cost, actual_tokens, now), pause_until(t) and options().max_queue / "
                "max_wait (see docs/limit.md)");
  static_assert(declares_slot<Breaker, slot::breaker>,
                "gemini: the `breaker` slot type must declare `using slot = "
                "gemini::slot::breaker;`");
  static_assert(none_policy<Breaker> || breaker::breaker_policy<Breaker>,
                "gemini: the `breaker` slot needs allow(now) -> bool, record(outcome, took, now) "
                "and current(now) (see docs/breaker.md)");
  static_assert(declares_slot<Retry, slot::retry>,
                "gemini: the `retry` slot type must declare `using slot = gemini::slot::retry;`");
  static_assert(none_policy<Retry> || retry::retry_policy<Retry>,
                "gemini: the `retry` slot needs on_request(now) and on_failure(error, "
                "retry_state&, now) -> decision (see docs/retry.md)");
  static_assert(declares_slot<Route, slot::route>,
                "gemini: the `route` slot type must declare `using slot = gemini::slot::route;`");
  static_assert(none_policy<Route> || route::route_policy<Route>,
                "gemini: the `route` slot needs size(), at(i) -> const endpoint&, options()."
                "fallback_on_block, choose(traits, failed, now) -> choice and finished(i, "
                "error*, took, now, reserved, used) (see docs/routing.md)");
  static_assert(declares_slot<Budget, slot::budget>,
                "gemini: the `budget` slot type must declare `using slot = gemini::slot::budget;`");
  static_assert(declares_slot<Guard, slot::guard>,
                "gemini: the `guard` slot type must declare `using slot = gemini::slot::guard;`");
  static_assert(declares_slot<Observe, slot::observe>,
                "gemini: the `observe` slot type must declare `using slot = "
                "gemini::slot::observe;`");
  static_assert(declares_slot<Clock, slot::clock>,
                "gemini: the `clock` slot type must declare `using slot = gemini::slot::clock;`");
  static_assert(declares_slot<Sync, slot::sync>,
                "gemini: the `sync` slot type must declare `using slot = gemini::slot::sync;`");

 public:
  using transport_type = Transport;
  using executor_type = boost::asio::any_io_executor;

  /// Builds the transport from the executor and its options. Configuration errors
  /// (bad base URL, unreadable CA file) are reported by every call, never thrown.
  template <class TransportOptions = transport::https_options>
  explicit client_impl(executor_type ex, client_options opts = client_options::from_environment(),
                       TransportOptions topts = {})
      : ex_(ex), opts_(std::move(opts)), transport_(ex, topts), cache_(make_cache(ex)) {
    configure();
  }

  /// Access to the policy objects (configure them before the first call).
  Cache& cache() noexcept { return cache_; }
  Route& router() noexcept { return route_; }
  Limit& limiter() noexcept { return limit_; }
  Breaker& circuit_breaker() noexcept { return breaker_; }
  Retry& retry_policy() noexcept { return retry_; }
  Clock& clock() noexcept { return clock_; }

  const client_options& options() const noexcept { return opts_; }
  executor_type get_executor() const noexcept { return ex_; }
  Transport& transport() noexcept { return transport_; }

  // The asynchronous API has no default arguments: GCC 12 mis-destroys temporaries that
  // live across a co_await (default arguments included), so every call form is an
  // overload that builds its defaults inside the library. Callers on GCC 12 pass named
  // values (`co_await c.generate(std::move(req))`), see docs/decisions/0004.

  /// POST models/{model}:generateContent. A blocked prompt is a successful response
  /// with blocked() true (HTTP 200 on the wire), not an error.
  ///
  /// generate() is not a coroutine: it reads `req` before it returns, or copies (moves) it
  /// into the call's frame, so a reference to a temporary is safe. Without cache or route
  /// policies nothing is copied: the request is serialized at once.
  boost::asio::awaitable<result<wire::generate_content_response>> generate(
      const wire::generate_content_request& req) {
    return generate_impl(req, default_call{});
  }
  boost::asio::awaitable<result<wire::generate_content_response>> generate(
      wire::generate_content_request&& req) {
    return generate_impl(std::move(req), default_call{});
  }
  boost::asio::awaitable<result<wire::generate_content_response>> generate(
      const wire::generate_content_request& req, call_options o) {
    return generate_impl(req, std::move(o));
  }
  boost::asio::awaitable<result<wire::generate_content_response>> generate(
      wire::generate_content_request&& req, call_options o) {
    return generate_impl(std::move(req), std::move(o));
  }

  /// POST models/{model}:streamGenerateContent?alt=sse. `on_chunk` sees every chunk as it
  /// arrives; the result is the assembled response (text concatenated, last usage).
  /// On a failure after chunks were delivered, the error's `partial_text` holds the text
  /// received so far; a stream that ends without a finishReason is errc::truncated_stream.
  /// The handler is type-erased (one allocation a call), so one coroutine body serves every
  /// handler type and move-only handlers work.
  template <chunk_handler OnChunk>
  boost::asio::awaitable<result<wire::generate_content_response>> stream(
      wire::generate_content_request req, OnChunk on_chunk) {
    return do_stream(std::move(req), detail::chunk_callback(std::move(on_chunk)), call_options{});
  }
  template <chunk_handler OnChunk>
  boost::asio::awaitable<result<wire::generate_content_response>> stream(
      wire::generate_content_request req, OnChunk on_chunk, call_options o) {
    return do_stream(std::move(req), detail::chunk_callback(std::move(on_chunk)), std::move(o));
  }

  /// POST models/{model}:countTokens.
  boost::asio::awaitable<result<wire::count_tokens_response>> count_tokens(
      wire::count_tokens_request req) {
    return count_tokens(std::move(req), call_options{});
  }
  boost::asio::awaitable<result<wire::count_tokens_response>> count_tokens(
      wire::count_tokens_request req, call_options o) {
    std::string target = method_target(o, "countTokens");
    return unary<wire::count_tokens_response>("POST", std::move(target), wire::serialize(req),
                                              std::move(o), std::nullopt);
  }

  /// POST models/{model}:embedContent.
  boost::asio::awaitable<result<wire::embed_content_response>> embed(
      wire::embed_content_request req) {
    return embed(std::move(req), call_options{});
  }
  boost::asio::awaitable<result<wire::embed_content_response>> embed(
      wire::embed_content_request req, call_options o) {
    std::string target = method_target(o, "embedContent");
    return unary<wire::embed_content_response>("POST", std::move(target), wire::serialize(req),
                                               std::move(o), std::nullopt);
  }

  /// POST models/{model}:batchEmbedContents. Requests without a model get this call's.
  boost::asio::awaitable<result<wire::batch_embed_contents_response>> batch_embed(
      wire::batch_embed_contents_request req) {
    return batch_embed(std::move(req), call_options{});
  }
  boost::asio::awaitable<result<wire::batch_embed_contents_response>> batch_embed(
      wire::batch_embed_contents_request req, call_options o) {
    for (auto& r : req.requests)
      if (r.model.empty()) r.model = model_path(model_of(o));
    std::string target = method_target(o, "batchEmbedContents");
    return unary<wire::batch_embed_contents_response>(
        "POST", std::move(target), wire::serialize(req), std::move(o), std::nullopt);
  }

  /// GET models?pageSize=&pageToken=. `page_size` 0: the service's default.
  boost::asio::awaitable<result<wire::list_models_response>> list_models() {
    return list_models(0, std::string(), call_options{});
  }
  boost::asio::awaitable<result<wire::list_models_response>> list_models(int page_size) {
    return list_models(page_size, std::string(), call_options{});
  }
  boost::asio::awaitable<result<wire::list_models_response>> list_models(int page_size,
                                                                         std::string page_token) {
    return list_models(page_size, std::move(page_token), call_options{});
  }
  boost::asio::awaitable<result<wire::list_models_response>> list_models(int page_size,
                                                                         std::string page_token,
                                                                         call_options o) {
    std::string target = base_.path + "/models";
    char sep = '?';
    if (page_size > 0) {
      target += "?pageSize=" + std::to_string(page_size);
      sep = '&';
    }
    if (!page_token.empty()) target += sep + std::string("pageToken=") + url_encode(page_token);
    return unary<wire::list_models_response>("GET", std::move(target), std::string(), std::move(o),
                                             std::nullopt);
  }

  /// GET models/{model}.
  boost::asio::awaitable<result<wire::model_info>> get_model(std::string model) {
    return get_model(std::move(model), call_options{});
  }
  boost::asio::awaitable<result<wire::model_info>> get_model(std::string model, call_options o) {
    std::string target = base_.path + "/" + model_path(model);
    return unary<wire::model_info>("GET", std::move(target), std::string(), std::move(o),
                                   std::nullopt);
  }

 private:
  void configure() {
    auto b = transport::parse_base_url(opts_.base_url);
    if (!b)
      config_error_ = std::move(b).error();
    else
      base_ = std::move(*b);
    if (!opts_.model.empty())
      generate_target_ = base_.path + "/" + model_path(opts_.model) + ":generateContent";
    if (!config_error_ && opts_.model.empty())
      config_error_ = gemini::error(errc::bad_configuration, "client_options::model is empty");
    if constexpr (requires(Transport & t) { t.configuration_error(); }) {
      if (!config_error_ && transport_.configuration_error())
        config_error_ = *transport_.configuration_error();
    }
  }

  /// A call made without call_options: the defaults, held by no one's frame.
  struct default_call {};
  static const call_options& options_of(const call_options& o) noexcept { return o; }
  static const call_options& options_of(default_call) noexcept { return default_options; }
  static call_options own_options(call_options&& o) noexcept { return std::move(o); }
  static call_options own_options(const call_options& o) { return o; }
  static call_options own_options(default_call) { return {}; }

  const std::string& model_of(const call_options& o) const {
    return o.model.empty() ? opts_.model : o.model;
  }

  std::string method_target(const call_options& o, std::string_view method) const {
    // The common case — the client's own model, generateContent — is built once.
    if (o.model.empty() && method == "generateContent" && !generate_target_.empty())
      return generate_target_;
    std::string m = model_path(model_of(o));
    std::string t;
    t.reserve(base_.path.size() + m.size() + method.size() + 2);
    t += base_.path;
    t += '/';
    t += m;
    t += ':';
    t += method;
    return t;
  }

  static std::string url_encode(std::string_view s) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
      if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '_' || c == '.' || c == '~') {
        out += static_cast<char>(c);
      } else {
        out += '%';
        out += hex[c >> 4];
        out += hex[c & 15];
      }
    }
    return out;
  }

  /// Validates and serializes a generate request.
  result<std::string> encode(const wire::generate_content_request& req) const {
    if (req.contents.empty())
      return gemini::error(errc::invalid_argument, "generate request has no contents");
    auto check = [](const wire::content& c, std::size_t i) -> std::optional<gemini::error> {
      for (std::size_t k = 0; k < c.parts.size(); ++k)
        if (c.parts[k].text && !valid_utf8(*c.parts[k].text))
          return gemini::error(errc::invalid_utf8, "contents[" + std::to_string(i) + "].parts[" +
                                                       std::to_string(k) +
                                                       "].text is not valid UTF-8");
      return std::nullopt;
    };
    for (std::size_t i = 0; i < req.contents.size(); ++i)
      if (auto e = check(req.contents[i], i)) return std::move(*e);
    if (req.system_instruction)
      if (auto e = check(*req.system_instruction, 0)) {
        e->message = "system instruction: " + e->message;
        return std::move(*e);
      }
    std::string body = wire::serialize(req);
    if (body.size() > opts_.max_request_bytes)
      return gemini::error(errc::payload_too_large,
                           "request body is " + std::to_string(body.size()) +
                               " bytes, over client_options::max_request_bytes (" +
                               std::to_string(opts_.max_request_bytes) + ")");
    return body;
  }

  transport::http_request make_request(const char* method, std::string target,
                                       std::string body) const {
    transport::http_request r;
    r.origin = base_.origin;
    if (std::strcmp(method, "POST") != 0) r.method = method;  // "POST" is the default
    r.target = std::move(target);
    r.body = std::move(body);
    r.headers.reserve(2);
    auto add = [&r](const char* name, const std::string& value) {
      auto& h = r.headers.emplace_back();  // built in place: no header temporary to move
      h.name = name;
      h.value = value;
    };
    if (!opts_.key.empty()) add("x-goog-api-key", opts_.key.reveal());
    add("x-goog-api-client", client_header);
    return r;
  }

  transport::attempt_limits limits(const call_options& o) const {
    return limits(o, transport::clock_type::now());
  }
  transport::attempt_limits limits(const call_options& o,
                                   transport::clock_type::time_point now) const {
    auto total = o.timeout.count() > 0 ? o.timeout : opts_.timeout;
    transport::attempt_limits l;
    l.deadline = std::min(o.deadline, now + total);
    l.timeout = o.attempt_timeout.count() > 0 ? o.attempt_timeout : opts_.attempt_timeout;
    return l;
  }

  static gemini::error from_exception(const boost::system::system_error& e) {
    if (e.code() == boost::asio::error::operation_aborted)
      return gemini::error(errc::cancelled, "the call was cancelled");
    return gemini::error(errc::transport, e.what());
  }

  // ---- the pipeline (DESIGN.md §3): breaker → limit → transport → learn → retry ----------

  /// One call's pipeline state, owned by the calling coroutine's frame.
  struct call_state {
    transport::clock_type::time_point began;  // real time at the start of the call
    transport::attempt_limits limits;
    retry::retry_state retry;
    limit::cost cost;
    gemini::priority prio = gemini::priority::normal;
  };

  /// Without retry or limit policies a call is one attempt, sent at once.
  static constexpr bool one_attempt = none_policy<Retry> && none_policy<Limit>;

  call_state begin_call(const call_options& o, limit::cost c) {
    call_state cs;
    cs.cost = c;
    cs.cost.model = model_of(o);  // views into the call's frame, valid until it returns
    cs.cost.tenant = o.tenant;
    cs.prio = o.priority;
    if constexpr (one_attempt) {
      // When the attempt's timeout ends it before the call's would, the transport's own
      // clock read (for its timer) is the only one needed; the clock is read here only to
      // check an explicit deadline.
      auto total = o.timeout.count() > 0 ? o.timeout : opts_.timeout;
      auto attempt = o.attempt_timeout.count() > 0 ? o.attempt_timeout : opts_.attempt_timeout;
      if (attempt.count() > 0 && attempt <= total) {
        cs.limits.deadline = o.deadline;
        cs.limits.timeout = attempt;
        if (o.deadline != transport::clock_type::time_point::max())
          cs.began = transport::clock_type::now();
        return cs;
      }
    }
    cs.began = transport::clock_type::now();
    cs.limits = limits(o, cs.began);
    cs.retry.deadline = cs.limits.deadline;
    if constexpr (!none_policy<Retry>) retry_.on_request(clock_.now());
    return cs;
  }

  /// Rough prompt estimate (4 bytes a token) + the output the request may produce.
  static limit::cost estimate(const wire::generate_content_request& req, const std::string& body) {
    std::int64_t out = 1024;
    if (req.generation_config && req.generation_config->max_output_tokens)
      out = *req.generation_config->max_output_tokens;
    return limit::cost{static_cast<std::int64_t>(body.size() / 4) + out};
  }

  /// Checks that may refuse an attempt without any network: deadline, breaker.
  std::optional<gemini::error> precheck(const call_state& cs) {
    // The first attempt reuses the call's start time (one clock read fewer a call); with
    // no deadline at all (only timeouts, which the transport enforces) there is none.
    if (cs.limits.deadline != transport::clock_type::time_point::max()) {
      auto now = cs.retry.attempts <= 1 ? cs.began : transport::clock_type::now();
      if (now >= cs.limits.deadline)
        return gemini::error(errc::deadline_exceeded, "the call's deadline passed");
    }
    if constexpr (!none_policy<Breaker>) {
      if (!breaker_.allow(clock_.now()))
        return gemini::error(errc::circuit_open,
                             "circuit breaker open for " + base_.origin.host_port());
    }
    return std::nullopt;
  }

  /// After an attempt: the breaker, the limiter and the retry budget learn the outcome.
  void learn(const call_state& cs, const gemini::error* err, std::int64_t used_tokens,
             typename Clock::time_point started) {
    if constexpr (!none_policy<Breaker> || !none_policy<Limit>) {
      auto now = clock_.now();
      if constexpr (!none_policy<Breaker>)
        breaker_.record(err ? breaker::judge(*err) : breaker::outcome::success, now - started, now);
      if constexpr (!none_policy<Limit>) {
        limit_.release(cs.cost, err ? cs.cost.tokens : used_tokens, now);
        if (err && err->code == condition::throttled && err->retry_delay)
          limit_.pause_until(now + *err->retry_delay);
      }
    }
    (void)cs, (void)err, (void)used_tokens, (void)started;
  }

  /// When an attempt starts, by the clock policy (read only when the breaker needs it).
  typename Clock::time_point attempt_start() {
    if constexpr (!none_policy<Breaker>)
      return clock_.now();
    else
      return {};
  }

  /// Asks the retry policy; sleeps the back-off when it says retry. False: give up.
  boost::asio::awaitable<bool> again(call_state& cs, const gemini::error& err) {
    if constexpr (none_policy<Retry>) {
      co_return false;
    } else {
      auto d = retry_.on_failure(err, cs.retry, clock_.now());
      if (d.action != retry::action::retry) co_return false;
      co_return co_await sleep_for(d.delay);
    }
  }

  /// Waits `d` (virtually, when the clock policy is a manual clock). False when cancelled.
  boost::asio::awaitable<bool> sleep_for(std::chrono::milliseconds d) {
    if constexpr (requires(Clock & c) { c.advance(d); }) {
      clock_.advance(d);
      co_return true;
    } else {
      boost::asio::steady_timer t(ex_, d);
      auto [ec] = co_await t.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
      co_return !ec;
    }
  }

  // Callers waiting for the limiter: higher priority first, FIFO within a priority.
  // A limiter with separate buckets (limit::keyed) says which calls share a queue; a call
  // waits only behind calls of its own queue, so one saturated tenant or model does not
  // hold up the others.
  struct limit_waiter {
    int prio;
    boost::asio::steady_timer* timer;
    const limit::cost* cost;
    bool woken = false;
  };
  static constexpr bool keyed_queues = requires(Limit & l, const limit::cost& c) {
    { l.same_queue(c, c) } -> std::same_as<bool>;
  };

  /// True when no waiter of `me`'s queue is ahead of it.
  bool at_head(typename std::list<limit_waiter>::iterator me) {
    if constexpr (keyed_queues) {
      for (auto it = waiters_.begin(); it != me; ++it)
        if (limit_.same_queue(*it->cost, *me->cost)) return false;
      return true;
    } else {
      return me == waiters_.begin();
    }
  }

  /// Wakes the head of every queue to try again (a slot or tokens were freed).
  void wake_head() {
    if constexpr (keyed_queues) {
      std::vector<const limit::cost*> seen;  // one entry per queue met so far
      for (auto& w : waiters_) {
        bool first = std::none_of(seen.begin(), seen.end(), [&](const limit::cost* c) {
          return limit_.same_queue(*c, *w.cost);
        });
        if (!first) continue;
        seen.push_back(w.cost);
        w.woken = true;
        w.timer->cancel();
      }
    } else if (!waiters_.empty()) {
      waiters_.front().woken = true;
      waiters_.front().timer->cancel();
    }
  }

  /// True when nobody waits in the queue `c` would join.
  bool queue_empty(const limit::cost& c) {
    if constexpr (keyed_queues)
      return std::none_of(waiters_.begin(), waiters_.end(),
                          [&](const limit_waiter& w) { return limit_.same_queue(*w.cost, c); });
    else
      return waiters_.empty();
  }

  /// Acquires the limiter for one attempt, waiting asynchronously when it says "not yet".
  boost::asio::awaitable<std::optional<gemini::error>> acquire_limit(call_state& cs) {
    if (queue_empty(cs.cost)) {
      if (limit_.try_acquire(cs.cost, clock_.now()).granted) co_return std::nullopt;
    }
    auto const& lo = limit_.options();
    if (waiters_.size() >= lo.max_queue)
      co_return gemini::error(errc::rate_limited, "the limiter's queue is full (" +
                                                      std::to_string(lo.max_queue) + " waiting)");
    auto give_up_at = std::min(cs.limits.deadline, transport::clock_type::now() + lo.max_wait);
    boost::asio::steady_timer timer(ex_);
    auto pos = waiters_.begin();
    while (pos != waiters_.end() && pos->prio >= static_cast<int>(cs.prio)) ++pos;
    auto me = waiters_.insert(pos, limit_waiter{static_cast<int>(cs.prio), &timer, &cs.cost});
    std::optional<gemini::error> out;
    for (;;) {
      auto now = clock_.now();
      limit::grant g{false, Clock::time_point::max()};
      if (at_head(me)) {
        g = limit_.try_acquire(cs.cost, now);
        if (g.granted) break;
      }
      auto real_now = transport::clock_type::now();
      if (real_now >= give_up_at) {
        out = gemini::error(
            give_up_at == cs.limits.deadline ? errc::deadline_exceeded : errc::rate_limited,
            "waited for the rate limiter until the limit");
        break;
      }
      // Sleep until the limiter's answer (translated to real time) or until woken.
      auto until = give_up_at;
      if (g.when != Clock::time_point::max()) {
        if constexpr (requires(Clock & c) { c.advance(g.when - now); }) {
          clock_.advance(g.when - now);  // virtual time: no real wait
          continue;
        } else {
          until = std::min(until, real_now + (g.when - now));
        }
      }
      me->woken = false;
      timer.expires_at(until);
      auto [ec] = co_await timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
      if (ec && !me->woken) {
        out = gemini::error(errc::cancelled, "cancelled while waiting for the rate limiter");
        break;
      }
    }
    bool was_head = at_head(me);
    waiters_.erase(me);
    if (was_head) wake_head();
    co_return out;
  }

  template <class T>
  static std::int64_t used_tokens(const T& value, const limit::cost& reserved) {
    if constexpr (requires { value.usage.total_token_count; })
      return value.usage.total_token_count;
    else
      return reserved.tokens;
  }

  /// One unary call (`opts`: call_options or default_call). Without retry or limit
  /// policies and over a transport that has request_then, the call is a single attempt
  /// that needs no frame of its own: the transport's coroutine maps the response to the
  /// call's result (docs/decisions/0007). Otherwise: unary_loop.
  template <class T, class Options>
  boost::asio::awaitable<result<T>> unary(const char* method, std::string target, std::string body,
                                          Options&& opts, std::optional<limit::cost> c) {
    if (!c) c = limit::cost{static_cast<std::int64_t>(body.size() / 4)};
    if constexpr (one_attempt && transport::finishing_transport<Transport>) {
      if (config_error_) return ready<T>(*config_error_);
      call_state cs = begin_call(options_of(opts), *c);
      cs.retry.attempts = 1;
      if (auto e = precheck(cs)) return ready<T>(std::move(*e));
      auto started = attempt_start();
      auto request = make_request(method, std::move(target), std::move(body));
      return transport_.request_then(std::move(request), cs.limits,
                                     [this, started](result<transport::http_response>&& resp) {
                                       auto r = to_result<T>(std::move(resp));
                                       // No limit policy: learn reads no call state.
                                       learn(call_state{}, r ? nullptr : &r.error(), 0, started);
                                       return r;
                                     });
    } else {
      return unary_loop<T>(method, std::move(target), std::move(body), std::forward<Options>(opts),
                           *c);
    }
  }

  template <class T, class Options>
  boost::asio::awaitable<result<T>> unary_loop(const char* method, std::string target,
                                               std::string body, Options opts, limit::cost c) {
    if (config_error_) co_return *config_error_;
    const call_options& o = options_of(opts);
    call_state cs = begin_call(o, c);
    std::optional<gemini::error> failure;
    try {
      for (;;) {
        ++cs.retry.attempts;
        if (auto e = precheck(cs)) co_return std::move(*e);
        if constexpr (!none_policy<Limit>) {
          auto e = co_await acquire_limit(cs);
          if (e) co_return std::move(*e);
        }
        auto started = attempt_start();
        // One attempt: send, map the status, parse. Without a retry policy the body is
        // sent once, so it is moved into the request instead of copied.
        auto request = none_policy<Retry> ? make_request(method, std::move(target), std::move(body))
                                          : make_request(method, target, body);
        auto resp = co_await transport_.request(std::move(request), cs.limits);
        auto r = to_result<T>(std::move(resp));
        if constexpr (!none_policy<Limit>) wake_head();
        if (r) {
          learn(cs, nullptr, used_tokens(*r, cs.cost), started);
          co_return std::move(r);
        }
        learn(cs, &r.error(), 0, started);
        bool retry_it = co_await again(cs, r.error());
        if (!retry_it) co_return std::move(r);
      }
    } catch (const boost::system::system_error& e) {
      failure = from_exception(e);
    }
    co_return std::move(*failure);
  }

  /// Maps one unary attempt's HTTP outcome to the call's result. Every return is a
  /// prvalue, so the parsed response is built where the caller keeps it (no move).
  template <class T>
  static result<T> to_result(result<transport::http_response>&& resp) {
    if (!resp) return std::move(resp).error();
    if (resp->status / 100 != 2) return wire::parse_error_body(resp->status, resp->body);
    return parse_body<T>(resp->body, resp->status);
  }
  template <class T>
  static result<T> parse_body(std::string_view body, int status) {
    result<T> parsed = wire::parse<T>(body);
    if (!parsed) {
      auto& e = parsed.error();
      e.message = "response body: " + e.message;
      e.code = errc::malformed_response;
      e.http_status = status;
    }
    return parsed;
  }

  template <class T>
  static boost::asio::awaitable<result<T>> ready(gemini::error e) {
    co_return e;
  }

  /// Caches that do I/O (cache::redis, cache::tiered) are built on the client's executor.
  static Cache make_cache(const executor_type& ex) {
    if constexpr (std::is_constructible_v<Cache, executor_type>)
      return Cache(ex);
    else
      return Cache();
  }

  // ---- routing (DESIGN.md §3, step 4): an endpoint per attempt, failover -----------------

  /// True for failures that another endpoint may not have (everything but the request's
  /// own faults and the caller's cancellation or deadline).
  static bool worth_failover(const gemini::error& e) {
    return !(e.code == errc::invalid_argument || e.code == errc::invalid_utf8 ||
             e.code == errc::payload_too_large || e.code == condition::cancelled);
  }

  /// The HTTP request for endpoint `ep`: its URL, key and wire format.
  result<transport::http_request> endpoint_request(const route::endpoint& ep,
                                                   const wire::generate_content_request& req,
                                                   const std::string& gemini_body,
                                                   bool stream) const {
    auto base = transport::parse_base_url(ep.base_url);
    if (!base)
      return gemini::error(errc::bad_configuration,
                           "endpoint " + ep.name + ": " + base.error().message);
    const std::string& key = ep.key.empty() ? opts_.key.reveal() : ep.key.reveal();
    transport::http_request h;
    h.origin = std::move(base->origin);
    h.method = "POST";
    if (ep.provider == route::provider::gemini) {
      h.target = base->path + "/" + model_path(ep.model) +
                 (stream ? ":streamGenerateContent?alt=sse" : ":generateContent");
      h.body = gemini_body;
      if (!key.empty()) h.headers.push_back({"x-goog-api-key", key});
    } else {
      h.target = base->path + "/chat/completions";
      auto body = wire::openai::chat_request(req, ep.model, stream);
      if (!body) return std::move(body).error();
      h.body = std::move(*body);
      if (!key.empty()) h.headers.push_back({"authorization", "Bearer " + key});
    }
    h.headers.push_back({"x-goog-api-client", client_header});
    return h;
  }

  /// One unary attempt on an endpoint, its answer read in the endpoint's wire format.
  boost::asio::awaitable<result<wire::generate_content_response>> endpoint_attempt(
      transport::http_request h, route::provider provider, const transport::attempt_limits& lim) {
    auto resp = co_await transport_.request(std::move(h), lim);
    if (provider == route::provider::gemini)
      co_return to_result<wire::generate_content_response>(std::move(resp));
    if (!resp) co_return std::move(resp).error();
    if (resp->status / 100 != 2) co_return wire::openai::parse_chat_error(resp->status, resp->body);
    co_return wire::openai::parse_chat_response(resp->body);
  }

  /// Two attempts racing (hedging): their outcomes, shared with the spawned attempts.
  struct race_state {
    explicit race_state(const executor_type& ex) : wake(ex) {}
    boost::asio::steady_timer wake;  // cancelled by each finishing attempt
    std::optional<result<wire::generate_content_response>> outcome[2];
    boost::asio::cancellation_signal cancel[2];
    std::size_t endpoint[2] = {0, 0};
    int started = 0, finished = 0;
  };
  struct race_result {
    result<wire::generate_content_response> r;
    std::size_t endpoint;
    std::optional<std::size_t> other_failed;  // the other endpoint, if it failed (not cancelled)
    std::string other_error;
  };

  /// Starts attempt k of a race on endpoint i; its outcome is recorded with the router
  /// when it ends (also after the race is decided: a cancelled loser).
  void start_racer(const std::shared_ptr<race_state>& st, int k, std::size_t i,
                   transport::http_request h, route::provider p,
                   const transport::attempt_limits& lim, std::int64_t reserved) {
    st->endpoint[k] = i;
    ++st->started;
    boost::asio::co_spawn(
        ex_, racer(st, k, i, std::move(h), p, lim, reserved),
        boost::asio::bind_cancellation_slot(st->cancel[k].slot(), [](std::exception_ptr) {}));
  }

  boost::asio::awaitable<void> racer(std::shared_ptr<race_state> st, int k, std::size_t i,
                                     transport::http_request h, route::provider p,
                                     transport::attempt_limits lim, std::int64_t reserved) {
    auto started = clock_.now();
    std::optional<result<wire::generate_content_response>> r;
    try {
      r.emplace(co_await endpoint_attempt(std::move(h), p, lim));
    } catch (const boost::system::system_error& e) {
      r.emplace(from_exception(e));
    } catch (const std::exception& e) {
      r.emplace(gemini::error(errc::transport, e.what()));
    }
    auto now = clock_.now();
    route_.finished(i, *r ? nullptr : &r->error(), now - started, now, reserved,
                    *r ? (*r)->usage.total_token_count : 0);
    st->outcome[k] = std::move(*r);
    ++st->finished;
    st->wake.cancel();
  }

  /// One attempt on endpoint i that, when it has not answered after `delay`, races a
  /// second endpoint; the first success wins and the other attempt is cancelled.
  boost::asio::awaitable<race_result> hedged(
      std::size_t i, transport::http_request h, std::chrono::milliseconds delay,
      const wire::generate_content_request& req, const std::string& body,
      const route::request_traits& traits, std::vector<std::string> failed, const call_state& cs) {
    auto st = std::make_shared<race_state>(ex_);
    start_racer(st, 0, i, std::move(h), route_.at(i).provider, cs.limits, cs.cost.tokens);
    auto hedge_at = transport::clock_type::now() + delay;
    bool hedge_tried = false;
    for (;;) {
      for (int k = 0; k < st->started; ++k) {
        if (st->outcome[k] && *st->outcome[k]) {  // a success: it wins
          int other = 1 - k;
          race_result out{std::move(*st->outcome[k]), st->endpoint[k], std::nullopt, {}};
          if (st->started == 2 && !st->outcome[other])
            st->cancel[other].emit(boost::asio::cancellation_type::terminal);
          else if (st->started == 2 && !*st->outcome[other]) {
            out.other_failed = st->endpoint[other];
            out.other_error = st->outcome[other]->error().message;
          }
          co_return out;
        }
      }
      if (st->finished == st->started && (hedge_tried || st->started == 2)) {
        // Everything started has failed: report the last one, and the other if any.
        int last = st->started - 1;
        race_result out{std::move(*st->outcome[last]), st->endpoint[last], std::nullopt, {}};
        if (st->started == 2) {
          out.other_failed = st->endpoint[0];
          out.other_error = st->outcome[0]->error().message;
        }
        co_return out;
      }
      if (st->finished == 1 && st->started == 1)  // failed before the hedge: plain failover
        co_return race_result{std::move(*st->outcome[0]), st->endpoint[0], std::nullopt, {}};
      st->wake.expires_at(hedge_tried ? transport::clock_type::time_point::max() : hedge_at);
      auto [ec] = co_await st->wake.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
      auto cs_state = co_await boost::asio::this_coro::cancellation_state;
      if (cs_state.cancelled() != boost::asio::cancellation_type::none) {
        for (int k = 0; k < st->started; ++k)
          if (!st->outcome[k]) st->cancel[k].emit(boost::asio::cancellation_type::terminal);
        co_return race_result{
            gemini::error(errc::cancelled, "the call was cancelled"), i, std::nullopt, {}};
      }
      if (!ec && !hedge_tried) {  // the delay passed without an answer: hedge
        hedge_tried = true;
        failed[i] = "hedged";  // not the same endpoint twice
        auto ch = route_.choose(traits, failed, clock_.now());
        if (ch.index) {
          auto h2 = endpoint_request(route_.at(*ch.index), req, body, false);
          if (h2)
            start_racer(st, 1, *ch.index, std::move(*h2), route_.at(*ch.index).provider, cs.limits,
                        cs.cost.tokens);
          else
            route_.finished(*ch.index, &h2.error(), {}, clock_.now(), cs.cost.tokens, 0);
        }
      }
    }
  }

  bool resume_streams() const {
    if constexpr (requires { route_.options().resume_streams; })
      return route_.options().resume_streams;
    else
      return false;
  }

  /// Puts the text told before a resumed stream in front of the continuation's.
  static void prepend_text(wire::generate_content_response& r, const std::string& told) {
    if (r.candidates.empty()) return;
    auto& cand = r.candidates.front();
    if (!cand.content) cand.content = wire::content::model(std::string());
    auto& parts = cand.content->parts;
    if (!parts.empty() && parts.front().text && !parts.front().thought)
      parts.front().text = told + *parts.front().text;
    else
      parts.insert(parts.begin(), wire::part::from_text(told));
  }

  /// generate() or stream() over the route policy's endpoints: the router picks an endpoint
  /// for every attempt; a failure moves on to the next endpoint at once, and when every
  /// endpoint has failed the retry policy decides whether to start over after its back-off.
  /// Streaming (`on_chunk` set): once a chunk reached the caller, an error ends the call.
  boost::asio::awaitable<result<wire::generate_content_response>> routed(
      wire::generate_content_request req, call_options o, detail::chunk_callback* on_chunk) {
    if (config_error_) co_return *config_error_;
    auto body = encode(req);
    if (!body) co_return std::move(body).error();
    auto c = estimate(req, *body);
    auto traits = route::request_traits::of(req, body->size());
    call_state cs = begin_call(o, c);
    std::vector<std::string> failed(route_.size());
    std::optional<result<wire::generate_content_response>> last;
    std::optional<gemini::error> failure;
    std::string told;  // mid-stream recovery: the text already delivered to the caller
    try {
      for (;;) {
        ++cs.retry.attempts;
        if (auto e = precheck(cs)) co_return std::move(*e);
        if constexpr (!none_policy<Limit>) {
          auto e = co_await acquire_limit(cs);
          if (e) co_return std::move(*e);
        }
        auto ch = route_.choose(traits, failed, clock_.now());
        if (!ch.index) {
          if constexpr (!none_policy<Limit>) wake_head();
          if (last && *last) co_return std::move(*last);  // every endpoint blocked it
          if (last) {
            auto e = last->error();
            e.message = "no endpoint left (" + ch.why_none + "); last error: " + e.message;
            bool retry_it = co_await again(cs, last->error());
            if (retry_it) {
              std::fill(failed.begin(), failed.end(), std::string());
              continue;
            }
            co_return e;
          }
          co_return gemini::error(errc::unavailable,
                                  "no endpoint can take the request: " + ch.why_none);
        }
        std::size_t i = *ch.index;
        const route::endpoint& ep = route_.at(i);
        auto started = clock_.now();
        bool delivered = false;
        bool recorded = false;  // a hedged race records its attempts with the router itself
        std::optional<result<wire::generate_content_response>> r;
        auto h = endpoint_request(ep, req, *body, on_chunk != nullptr);
        std::optional<std::chrono::milliseconds> hedge;
        if constexpr (requires { route_.hedge_delay(i); }) {
          if (!on_chunk) hedge = route_.hedge_delay(i);
        }
        if (!h) {
          r.emplace(std::move(h).error());
        } else if (on_chunk) {
          r.emplace(
              co_await stream_attempt(std::move(*h), ep.provider, *on_chunk, cs.limits, delivered));
        } else if (hedge) {
          auto raced = co_await hedged(i, std::move(*h), *hedge, req, *body, traits, failed, cs);
          if (raced.other_failed) failed[*raced.other_failed] = "failed: " + raced.other_error;
          i = raced.endpoint;
          r.emplace(std::move(raced.r));
          recorded = true;
        } else {
          r.emplace(co_await endpoint_attempt(std::move(*h), ep.provider, cs.limits));
        }
        if constexpr (!none_policy<Limit>) wake_head();
        auto now = clock_.now();
        if (*r) {
          std::int64_t used = (*r)->usage.total_token_count;
          if (!recorded) route_.finished(i, nullptr, now - started, now, c.tokens, used);
          if (!told.empty()) prepend_text(**r, told);  // a resumed stream: the whole answer
          learn(cs, nullptr, used, started);
          (*r)->delivery.endpoint = static_cast<int>(i);
          if (!delivered && route_.options().fallback_on_block && detail::blocked_answer(**r)) {
            failed[i] = "blocked the answer";
            last = std::move(r);
            continue;
          }
          co_return std::move(*r);
        }
        if (!recorded) route_.finished(i, &r->error(), now - started, now, c.tokens, 0);
        learn(cs, &r->error(), 0, started);
        if (delivered && resume_streams() && r->error().code != condition::cancelled &&
            !r->error().partial_text.empty()) {
          // Mid-stream recovery (best effort): another endpoint continues from the text
          // delivered so far, sent as the model's turn; only the continuation reaches the
          // caller.
          if (told.empty()) req.contents.push_back(wire::content::model(std::string()));
          told += r->error().partial_text;
          req.contents.back().parts.front().text = told;
          auto resumed = encode(req);
          if (!resumed) co_return std::move(resumed).error();
          *body = std::move(*resumed);
          failed[i] = "cut mid-stream: " + r->error().message;
          last = std::move(r);
          (*last).error().partial_text = told;
          continue;
        }
        if (!delivered && worth_failover(r->error())) {
          failed[i] = "failed: " + r->error().message;
          last = std::move(r);
          continue;  // the next endpoint now; the retry policy once none is left
        }
        co_return std::move(*r);
      }
    } catch (const boost::system::system_error& e) {
      failure = from_exception(e);
    }
    co_return std::move(*failure);
  }

  // ---- the cache steps (DESIGN.md §3, steps 3 and 5) -----------------------------------

  /// A request in flight that identical requests may join (coalescing).
  struct flight {
    bool done = false;  // the leader finished (or went away without an outcome)
    std::optional<result<wire::generate_content_response>> outcome;
    std::vector<boost::asio::steady_timer*> waiters;
  };
  using flight_map = std::unordered_map<cache::key, std::shared_ptr<flight>, cache::key_hash>;

  /// Ends a flight when its leader finishes or its frame is destroyed (cancellation):
  /// waiters wake and take the outcome, or go alone when there is none.
  struct flight_guard {
    flight_map* flights = nullptr;
    cache::key k;
    std::shared_ptr<flight> f;
    void publish(const result<wire::generate_content_response>* r) {
      if (!f) return;
      f->done = true;
      if (r) f->outcome = *r;
      for (auto* t : f->waiters) t->cancel();
      f->waiters.clear();
      flights->erase(k);
      f.reset();
    }
    ~flight_guard() { publish(nullptr); }
  };

  static result<wire::generate_content_response> delivered(const cache::response& r,
                                                           wire::source from) {
    wire::generate_content_response copy = r;
    copy.delivery.from = from;
    return copy;
  }

  /// Joins the identical request in flight. No value: send this call's own request.
  boost::asio::awaitable<std::optional<result<wire::generate_content_response>>> join(
      std::shared_ptr<flight> f, transport::clock_type::time_point deadline) {
    boost::asio::steady_timer t(ex_);
    t.expires_at(deadline);
    f->waiters.push_back(&t);
    auto [ec] = co_await t.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    std::erase(f->waiters, &t);
    if (f->done) {
      if (!f->outcome) co_return std::nullopt;  // the leader was cancelled
      if (*f->outcome) co_return delivered(**f->outcome, wire::source::shared);
      if (cache_.behaviour().leader_failure == cache::on_leader_failure::share_error)
        co_return f->outcome->error();
      co_return std::nullopt;
    }
    if (!ec)
      co_return gemini::error(errc::deadline_exceeded,
                              "the deadline passed while waiting for an identical request");
    co_return gemini::error(errc::cancelled,
                            "cancelled while waiting for an identical request in flight");
  }

  /// generate(): `o` is a call_options or default_call (no options given: the call's frame
  /// carries none).
  template <class Request, class Options>
  boost::asio::awaitable<result<wire::generate_content_response>> generate_impl(Request&& req,
                                                                                Options&& o) {
    if constexpr (!none_policy<Cache>) {
      if (options_of(o).cache != cache_mode::no_store)
        return cached_generate(std::forward<Request>(req), own_options(std::forward<Options>(o)));
    }
    return send(std::forward<Request>(req), std::forward<Options>(o));
  }

  /// generate() past the cache: over the router's endpoints, or to the client's own.
  /// `req` is only read (or moved into the router's frame); `o` is a call_options or
  /// default_call.
  template <class Request, class Options>
  boost::asio::awaitable<result<wire::generate_content_response>> send(Request&& req, Options&& o) {
    if constexpr (!none_policy<Route>) {
      return routed(std::forward<Request>(req), own_options(std::forward<Options>(o)), nullptr);
    } else {
      // Encoding is synchronous; only the exchange is a coroutine (one frame fewer a call).
      auto body = encode(req);
      if (!body) return ready<wire::generate_content_response>(std::move(body).error());
      auto c = estimate(req, *body);
      std::string target = method_target(options_of(o), "generateContent");
      return unary<wire::generate_content_response>("POST", std::move(target), std::move(*body),
                                                    std::forward<Options>(o), c);
    }
  }

  /// generate() with a cache policy: lookup → join an identical request in flight, or send
  /// → store → stale-if-error.
  boost::asio::awaitable<result<wire::generate_content_response>> cached_generate(
      wire::generate_content_request req, call_options o) {
    if (config_error_) co_return *config_error_;
    const cache::behaviour& b = cache_.behaviour();
    const cache::key k = cache::request_key(req, model_path(model_of(o)), o.tenant);
    cache::lookup_result found;
    if (o.cache == cache_mode::use) {
      if constexpr (cache::sync_backend<Cache>)
        found = cache_.lookup(k, clock_.now());
      else
        found = co_await cache_.async_lookup(k, clock_.now());
      if (found && !found.stale) co_return delivered(*found.value, wire::source::cache);
    }
    flight_guard guard{&flights_, k, nullptr};
    if (b.coalesce && o.cache == cache_mode::use) {
      if (auto it = flights_.find(k); it != flights_.end()) {
        auto f = it->second;
        auto deadline = limits(o).deadline;
        auto joined = co_await join(std::move(f), deadline);
        if (joined) co_return std::move(*joined);
      } else {
        guard.f = std::make_shared<flight>();
        flights_.emplace(k, guard.f);
      }
    }
    std::optional<result<wire::generate_content_response>> r;
    r.emplace(co_await send(std::move(req), o));
    if (*r && b.should_store(**r)) {
      auto ttl = o.cache_ttl.count() > 0 ? o.cache_ttl : b.ttl;
      auto v = std::make_shared<const cache::response>(**r);
      if constexpr (cache::sync_backend<Cache>)
        cache_.store(k, std::move(v), ttl, clock_.now());
      else
        co_await cache_.async_store(k, std::move(v), ttl, clock_.now());
    } else if (!*r && found.stale && r->error().code != errc::cancelled) {
      r.emplace(delivered(*found.value, wire::source::stale_cache));
    }
    guard.publish(&*r);
    co_return std::move(*r);
  }

  boost::asio::awaitable<result<wire::generate_content_response>> do_stream(
      wire::generate_content_request req, detail::chunk_callback on_chunk, call_options o) {
    if constexpr (!none_policy<Route>) {
      auto r = co_await routed(std::move(req), std::move(o), &on_chunk);
      co_return std::move(r);
    }
    auto body = encode(req);
    if (!body) co_return std::move(body).error();
    auto c = estimate(req, *body);
    std::string target = method_target(o, "streamGenerateContent") + "?alt=sse";
    std::optional<gemini::error> failure;
    try {
      auto r = co_await stream_impl(target, *body, on_chunk, o, c);
      co_return std::move(r);
    } catch (const boost::system::system_error& e) {
      failure = from_exception(e);
    }
    co_return std::move(*failure);
  }

  /// Streaming: the pipeline applies until the first chunk reaches the caller; after
  /// that an error ends the call (with the partial text).
  boost::asio::awaitable<result<wire::generate_content_response>> stream_impl(
      const std::string& target, const std::string& body, detail::chunk_callback& on_chunk,
      const call_options& o, limit::cost c) {
    if (config_error_) co_return *config_error_;
    call_state cs = begin_call(o, c);
    for (;;) {
      ++cs.retry.attempts;
      if (auto e = precheck(cs)) co_return std::move(*e);
      if constexpr (!none_policy<Limit>) {
        auto e = co_await acquire_limit(cs);
        if (e) co_return std::move(*e);
      }
      auto started = attempt_start();
      bool delivered = false;
      auto request = make_request("POST", target, body);
      auto r = co_await stream_attempt(std::move(request), route::provider::gemini, on_chunk,
                                       cs.limits, delivered);
      if constexpr (!none_policy<Limit>) wake_head();
      if (r) {
        learn(cs, nullptr, r->usage.total_token_count, started);
        co_return std::move(r);
      }
      learn(cs, &r.error(), 0, started);
      if (delivered) co_return std::move(r);
      bool retry_it = co_await again(cs, r.error());
      if (!retry_it) co_return std::move(r);
    }
  }

  /// One streaming attempt: Gemini SSE chunks, or OpenAI chat-completion chunks translated
  /// to Gemini chunks, delivered as they arrive and accumulated.
  boost::asio::awaitable<result<wire::generate_content_response>> stream_attempt(
      transport::http_request request, route::provider provider, detail::chunk_callback& on_chunk,
      transport::attempt_limits lim, bool& delivered) {
    const bool openai = provider == route::provider::openai;
    auto s = co_await transport_.open(std::move(request), lim);
    if (!s) co_return std::move(s).error();
    std::string buf;
    if (s->status() / 100 != 2) {
      for (;;) {
        auto n = co_await s->read_some(buf);
        if (!n || *n == 0) break;
      }
      if (openai) co_return wire::openai::parse_chat_error(s->status(), buf);
      co_return wire::parse_error_body(s->status(), buf);
    }
    wire::sse_parser parser;
    std::optional<wire::openai::chunk_translator> translator;
    if (openai) translator.emplace();
    wire::sse_event ev;
    wire::response_accumulator acc;
    auto fail = [&](gemini::error e) {
      e.partial_text = acc.response().text();
      return e;
    };
    // Delivers every complete event; an error event ends the stream.
    auto drain = [&]() -> std::optional<gemini::error> {
      while (parser.next(ev)) {
        if (translator) {
          auto t = translator->translate(ev.data);
          if (!t) return fail(std::move(t).error());
          if (!*t) continue;
          delivered = true;
          on_chunk(std::as_const(**t));
          acc.add(std::move(**t));
          continue;
        }
        if (ev.raw_json || looks_like_error(ev.data)) {
          auto e = wire::parse_error_body(0, ev.data);
          if (!e.message.empty() || e.http_status != 0) return fail(std::move(e));
        }
        auto chunk = wire::parse<wire::generate_content_response>(ev.data);
        if (!chunk) {
          auto e = std::move(chunk).error();
          e.code = errc::malformed_response;
          e.message = "stream event: " + e.message;
          return fail(std::move(e));
        }
        delivered = true;
        on_chunk(std::as_const(*chunk));
        acc.add(std::move(*chunk));
      }
      return std::nullopt;
    };
    for (;;) {
      buf.clear();
      auto n = co_await s->read_some(buf);
      if (!n) co_return fail(std::move(n).error());
      if (*n == 0) break;
      if (auto fed = parser.feed(buf); !fed) co_return fail(std::move(fed).error());
      if (auto e = drain()) co_return std::move(*e);
    }
    if (auto fin = parser.finish(); !fin) co_return fail(std::move(fin).error());
    if (auto e = drain()) co_return std::move(*e);
    if (!acc.finished())
      co_return fail(
          gemini::error(errc::truncated_stream, "the stream ended without a finishReason"));
    co_return acc.take();
  }

  executor_type ex_;
  client_options opts_;
  Transport transport_;
  transport::base_url base_;
  std::optional<gemini::error> config_error_;
  std::string generate_target_;  // base path + models/{model}:generateContent
  [[no_unique_address]] Cache cache_;
  [[no_unique_address]] Limit limit_;
  [[no_unique_address]] Breaker breaker_;
  [[no_unique_address]] Retry retry_;
  [[no_unique_address]] Route route_;
  [[no_unique_address]] Budget budget_;
  [[no_unique_address]] Guard guard_;
  [[no_unique_address]] Observe observe_;
  [[no_unique_address]] Clock clock_;
  [[no_unique_address]] Sync sync_;
  struct no_waiters {};
  // The limiter's wait queue exists only when the limit slot is used.
  [[no_unique_address]] std::conditional_t<none_policy<Limit>, no_waiters, std::list<limit_waiter>>
      waiters_;
  // Identical requests in flight, only with a cache policy.
  struct no_flights {};  // a distinct empty type: two of the same type cannot overlap
  [[no_unique_address]] std::conditional_t<none_policy<Cache>, no_flights, flight_map> flights_;
};

}  // namespace detail

/// The client type for a policy bundle. Bundles with the same choices share one type.
template <class Policies = policies::defaults>
using basic_client = detail::client_impl<
    typename Policies::transport, typename Policies::cache, typename Policies::limit,
    typename Policies::breaker, typename Policies::retry, typename Policies::route,
    typename Policies::budget, typename Policies::guard, typename Policies::observe,
    typename Policies::clock, typename Policies::sync>;

/// The default client: HTTPS transport, every other slot a no-op.
using client = basic_client<>;

}  // namespace v1
}  // namespace gemini
