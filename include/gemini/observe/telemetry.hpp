// gemini-cxx — observe::telemetry: the observe slot filled with OpenTelemetry GenAI client
// metrics, the library's own metrics, one structured JSON log line per call, and alert
// hooks.
//
//   struct my_policies : gemini::policies::defaults {
//     using observe = gemini::observe::telemetry;
//   };
//   gemini::basic_config<my_policies> cfg;
//   cfg.observe.log = [](std::string_view line) { std::clog << line << '\n'; };
//   gemini::basic_client<my_policies> client(ex, cfg);
//   ...
//   std::string body = gemini::observe::exposition_text(*client.observer().metrics());
//
// Every metric, its labels and unit: docs/observe.md. The registry (observe/registry.hpp)
// records without locks or allocation for label sets seen before; share one registry
// between clients by giving each the same `registry`. Prompt and answer text are never
// recorded; the API key never reaches an event.
#pragma once

#include <gemini/breaker/concept.hpp>
#include <gemini/cost/price_table.hpp>
#include <gemini/detail/utf8.hpp>
#include <gemini/error.hpp>
#include <gemini/observe/concept.hpp>
#include <gemini/observe/registry.hpp>
#include <gemini/slots.hpp>
#include <gemini/wire/types.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace gemini {
inline namespace v1 {
namespace observe {

/// What an alert hook is told.
struct alert {
  enum class kind {
    failover,           ///< the next endpoint was tried (`reason`: the failure)
    quota_exhausted,    ///< a per-day quota (or credit) ran out
    error_rate,         ///< the share of failed calls in the window passed the threshold
    error_rate_ok,      ///< and fell back under it
    breaker_refusing,   ///< a breaker refused a call (once until a call succeeds again)
    breaker_opened,     ///< a breaker opened (`endpoint`; `reason`: from which state)
    breaker_closed,     ///< a breaker closed again after being open (`endpoint`)
    budget_soft_limit,  ///< a tenant's call was admitted past a soft limit (once a UTC day)
  };
  kind what;
  std::string_view model;
  std::string_view reason;
  double error_rate = 0;      ///< error_rate / error_rate_ok
  std::string_view endpoint;  ///< breaker_*: the endpoint's name (or the client's host:port)
  std::string_view tenant;    ///< budget_soft_limit
};

/// An alert with the fields every kind has.
inline alert alert_of(alert::kind k, std::string_view model, std::string_view reason,
                      double rate = 0) noexcept {
  alert a{k, model, reason, rate, {}, {}};
  return a;
}

inline const char* to_string(alert::kind k) noexcept {
  switch (k) {
    case alert::kind::failover: return "failover";
    case alert::kind::quota_exhausted: return "quota_exhausted";
    case alert::kind::error_rate: return "error_rate";
    case alert::kind::error_rate_ok: return "error_rate_ok";
    case alert::kind::breaker_refusing: return "breaker_refusing";
    case alert::kind::breaker_opened: return "breaker_opened";
    case alert::kind::breaker_closed: return "breaker_closed";
    case alert::kind::budget_soft_limit: return "budget_soft_limit";
  }
  return "?";
}

struct telemetry_options {
  /// Where the metrics go; null: a registry of this observer's own (metrics()).
  std::shared_ptr<observe::registry> registry;
  std::shared_ptr<const cost::price_table> prices;  ///< null: cost::price_table::builtin()
  /// One JSON line per call (and per attempt with log_attempts); empty: no logs.
  std::function<void(std::string_view)> log;
  bool log_attempts = false;
  /// Alerts, called synchronously from the call's executor after the observer's own
  /// bookkeeping (never under its lock). Keep them short; post to a queue for real work.
  std::function<void(const alert&)> on_alert;
  double error_rate_threshold = 0;             ///< 0: no error-rate alert
  std::chrono::seconds error_rate_window{60};  ///< calls counted for the error rate
  std::size_t error_rate_min_calls = 20;       ///< fewer calls in the window: no alert
  std::size_t max_series = 500;                ///< per metric (tenant ids: see _other)
  std::function<std::chrono::system_clock::time_point()> wall_clock;  ///< log timestamps
};

/// A low-cardinality class of a failure for `error.type` ("rate_limited", "_OTHER").
inline std::string_view error_type(const gemini::error& e) noexcept {
  if (e.code.category() != gemini::error_category()) return "_OTHER";
  switch (static_cast<errc>(e.code.value())) {
    case errc::success: return "";
    case errc::invalid_argument: return "invalid_argument";
    case errc::failed_precondition: return "failed_precondition";
    case errc::unauthenticated: return "unauthenticated";
    case errc::permission_denied: return "permission_denied";
    case errc::not_found: return "not_found";
    case errc::payload_too_large: return "payload_too_large";
    case errc::rate_limited: return "rate_limited";
    case errc::quota_exhausted: return "quota_exhausted";
    case errc::cancelled: return "cancelled";
    case errc::internal: return "internal";
    case errc::unavailable: return "unavailable";
    case errc::upstream_timeout: return "upstream_timeout";
    case errc::deadline_exceeded: return "deadline_exceeded";
    case errc::content_blocked: return "content_blocked";
    case errc::circuit_open: return "circuit_open";
    case errc::budget_exceeded: return "budget_exceeded";
    case errc::rejected_by_guard: return "rejected_by_guard";
    case errc::transport: return "transport";
    case errc::tls: return "tls";
    case errc::malformed_response: return "malformed_response";
    case errc::truncated_stream: return "truncated_stream";
    case errc::bad_json: return "bad_json";
    case errc::bad_type: return "bad_type";
    case errc::bad_configuration: return "bad_configuration";
    case errc::invalid_utf8: return "invalid_utf8";
    case errc::unknown: return "unknown";
  }
  return "_OTHER";
}

/// OpenTelemetry's `gen_ai.operation.name` for an operation.
inline std::string_view operation_name(operation o) noexcept {
  switch (o) {
    case operation::generate_content:
    case operation::stream_generate_content: return "generate_content";
    case operation::count_tokens: return "count_tokens";
    case operation::embeddings:
    case operation::batch_embeddings: return "embeddings";
    case operation::list_models:
    case operation::get_model: return "models";
    case operation::cached_contents: return "cached_contents";
  }
  return "_OTHER";
}

namespace detail {

inline const std::vector<double> duration_buckets{0.01, 0.02, 0.04, 0.08,  0.16,  0.32,  0.64,
                                                  1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92};
/// avgLogprobs (≤ 0): the closer to 0, the surer the model was of its tokens.
inline const std::vector<double> logprob_buckets{-10,  -5,    -3,   -2,    -1.5,  -1, -0.75,
                                                 -0.5, -0.25, -0.1, -0.05, -0.01, 0};
inline const std::vector<double> token_buckets{
    1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864};

/// The prompt-length class of a call, for latency by prompt size.
inline std::string_view prompt_class(std::int64_t tokens) noexcept {
  if (tokens < 1024) return "<1k";
  if (tokens < 8192) return "1k-8k";
  if (tokens < 32768) return "8k-32k";
  if (tokens < 131072) return "32k-128k";
  return ">=128k";
}

/// a == b for the short strings of labels, inline: 8 bytes at a time (the last word
/// overlapping), no call to memcmp.
[[gnu::always_inline]] inline bool same_bytes(std::string_view a, std::string_view b) noexcept {
  const std::size_t n = a.size();
  if (n != b.size()) return false;
  const char *p = a.data(), *q = b.data();
  auto word = [](const char* s) {
    std::uint64_t w;
    std::memcpy(&w, s, 8);
    return w;
  };
  if (n >= 8) {
    for (std::size_t i = 0; i + 8 < n; i += 8)
      if (word(p + i) != word(q + i)) return false;
    return word(p + n - 8) == word(q + n - 8);
  }
  if (n == 0) return true;
  std::uint64_t x = 0, y = 0;
  std::memcpy(&x, p, n);
  std::memcpy(&y, q, n);
  return x == y;
}

inline void json_string(std::string& out, std::string_view text) {
  std::string fixed;
  std::string_view s = text;
  if (!gemini::detail::valid_utf8(text)) {  // a log line is valid JSON, so valid UTF-8
    fixed = gemini::detail::utf8_replaced(text);
    s = fixed;
  }
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

}  // namespace detail

class telemetry {
 public:
  using slot = gemini::slot::observe;
  using options_type = telemetry_options;

  explicit telemetry(telemetry_options o = {})
      : o_(std::move(o)),
        reg_(o_.registry ? o_.registry : std::make_shared<observe::registry>()),
        prices_(o_.prices ? o_.prices
                          : std::shared_ptr<const cost::price_table>(
                                &cost::price_table::builtin(), [](const cost::price_table*) {})),
        m_(*reg_, o_.max_series),
        st_(std::make_unique<state>()),
        id_(next_id()) {}
  telemetry(telemetry&&) noexcept = default;  // the client builds it from its options

  /// The registry the metrics are in (expose it with observe/prometheus.hpp).
  const std::shared_ptr<observe::registry>& metrics() const noexcept { return reg_; }

  /// A metric of the application's own, in the same registry and exposition: a counter
  /// named `name` (registered on first use with these label names).
  void record_business_metric(
      std::string_view name, double value,
      std::initializer_list<std::pair<std::string_view, std::string_view>> labels = {}) {
    metric_options mo;
    mo.name = std::string(name);
    mo.max_series = o_.max_series;
    std::vector<std::string_view> values;
    for (auto& [k, v] : labels) {
      mo.labels.emplace_back(k);
      values.push_back(v);
    }
    auto& f = reg_->counter(std::move(mo));
    f.add(std::span<const std::string_view>(values), value);
  }

  void record(const event& e) {
    switch (e.kind) {
      case event_kind::call_start: start(e); break;
      case event_kind::call_end: end(e); break;
      case event_kind::attempt_end: attempt_end(e); break;
      case event_kind::first_chunk: break;  // call_end carries the time to the first chunk
      case event_kind::retry:
        m_.retries.add({e.model, e.error ? error_type(*e.error) : "_OTHER"}, 1);
        break;
      case event_kind::failover:
        m_.failovers.add({e.model, e.error ? error_type(*e.error) : "_OTHER"}, 1);
        if (o_.on_alert) {
          alert a = alert_of(alert::kind::failover, e.model,
                             e.error ? std::string_view(e.error->message) : "");
          o_.on_alert(a);
        }
        break;
      case event_kind::hedge: m_.hedges.add({e.model}, 1); break;
      case event_kind::cache_hit:
        m_.cache.add({e.model, e.stale ? "stale" : "hit"}, 1);
        note_cache(e, e.stale ? "stale" : "hit");
        break;
      case event_kind::cache_miss:
        m_.cache.add({e.model, "miss"}, 1);
        note_cache(e, "miss");
        break;
      case event_kind::cache_coalesced:
        m_.cache.add({e.model, "coalesced"}, 1);
        note_cache(e, "coalesced");
        break;
      case event_kind::breaker_refused:
        m_.breaker_refusals.add({e.model}, 1);
        if (o_.on_alert && !st_->breaker_told.exchange(true)) {
          alert a = alert_of(alert::kind::breaker_refusing, e.model, "circuit open");
          o_.on_alert(a);
        }
        break;
      case event_kind::limiter_wait:
        m_.limiter_wait.observe({e.model}, std::chrono::duration<double>(e.elapsed).count());
        if (e.error) m_.limiter_refusals.add({e.model}, 1);
        break;
      case event_kind::guard_rejected:
        m_.rejections.add({e.model, "guard"}, 1);
        forget_call(e);
        break;
      case event_kind::budget_rejected:
        m_.rejections.add({e.model, "budget"}, 1);
        forget_call(e);
        break;
      case event_kind::attempt_start: break;
      case event_kind::breaker_state: breaker_changed(e); break;
      case event_kind::hedge_end:
        if (e.error) {
          m_.hedge_results.add({e.model, "failed"}, 1);
          break;
        }
        m_.hedge_results.add({e.model, e.hedge_won ? "won" : "lost"}, 1);
        break;
      case event_kind::cache_store:
        if (e.cache_entries >= 0) m_.cache_entries.set({}, static_cast<double>(e.cache_entries));
        if (e.cache_bytes >= 0) m_.cache_bytes.set({}, static_cast<double>(e.cache_bytes));
        break;
      case event_kind::budget_soft_limit: soft_limited(e); break;
    }
  }

 private:
  struct metric_set {
    family &duration, &tokens, &ttfc, &tpoc, &calls, &attempts, &retries, &failovers, &hedges,
        &cache, &breaker_refusals, &limiter_wait, &limiter_refusals, &rejections, &token_count,
        &cost, &by_prompt, &breaker_state, &breaker_transitions, &hedge_results, &cache_entries,
        &cache_bytes, &connections, &logprobs, &cost_by_user, &soft_limited;
    metric_set(registry& r, std::size_t max)
        : duration(r.histogram(
              with({"gen_ai.client.operation.duration",
                    "s",
                    "GenAI operation duration",
                    {"gen_ai.operation.name", "gen_ai.provider.name", "gen_ai.request.model",
                     "gen_ai.response.model", "error.type", "server.address", "server.port"},
                    detail::duration_buckets},
                   max))),
          tokens(r.histogram(
              with({"gen_ai.client.token.usage",
                    "{token}",
                    "Tokens used per call",
                    {"gen_ai.operation.name", "gen_ai.provider.name", "gen_ai.request.model",
                     "gen_ai.response.model", "gen_ai.token.type", "server.address", "server.port"},
                    detail::token_buckets},
                   max))),
          ttfc(r.histogram(with({"gen_ai.client.operation.time_to_first_chunk",
                                 "s",
                                 "Time to the first chunk of a stream",
                                 {"gen_ai.operation.name", "gen_ai.provider.name",
                                  "gen_ai.request.model", "server.address", "server.port"},
                                 detail::duration_buckets},
                                max))),
          tpoc(r.histogram(with({"gen_ai.client.operation.time_per_output_chunk",
                                 "s",
                                 "Time per chunk of a stream after the first",
                                 {"gen_ai.operation.name", "gen_ai.provider.name",
                                  "gen_ai.request.model", "server.address", "server.port"},
                                 detail::duration_buckets},
                                max))),
          calls(r.counter(with({"gemini.client.calls",
                                "{call}",
                                "Calls by model and outcome",
                                {"gen_ai.operation.name", "gen_ai.request.model", "outcome"},
                                {}},
                               max))),
          attempts(r.counter(with({"gemini.client.attempts",
                                   "{attempt}",
                                   "Attempts by model and outcome",
                                   {"gen_ai.request.model", "outcome"},
                                   {}},
                                  max))),
          retries(r.counter(with({"gemini.client.retries",
                                  "{retry}",
                                  "Retries by reason",
                                  {"gen_ai.request.model", "reason"},
                                  {}},
                                 max))),
          failovers(r.counter(with({"gemini.client.failovers",
                                    "{failover}",
                                    "Failovers to the next endpoint, by reason",
                                    {"gen_ai.request.model", "reason"},
                                    {}},
                                   max))),
          hedges(r.counter(with({"gemini.client.hedges",
                                 "{hedge}",
                                 "Hedged second attempts",
                                 {"gen_ai.request.model"},
                                 {}},
                                max))),
          cache(r.counter(with({"gemini.client.cache.lookups",
                                "{lookup}",
                                "Response cache lookups by result",
                                {"gen_ai.request.model", "result"},
                                {}},
                               max))),
          breaker_refusals(r.counter(with({"gemini.client.breaker.refusals",
                                           "{call}",
                                           "Calls refused by an open breaker",
                                           {"gen_ai.request.model"},
                                           {}},
                                          max))),
          limiter_wait(r.histogram(with({"gemini.client.limiter.wait",
                                         "s",
                                         "Time waited for the rate limiter",
                                         {"gen_ai.request.model"},
                                         detail::duration_buckets},
                                        max))),
          limiter_refusals(r.counter(with({"gemini.client.limiter.refusals",
                                           "{call}",
                                           "Calls the rate limiter refused",
                                           {"gen_ai.request.model"},
                                           {}},
                                          max))),
          rejections(r.counter(with({"gemini.client.rejections",
                                     "{call}",
                                     "Calls refused before any attempt, by stage",
                                     {"gen_ai.request.model", "stage"},
                                     {}},
                                    max))),
          token_count(r.counter(with({"gemini.client.tokens",
                                      "{token}",
                                      "Tokens by kind: input (not cached), cached_input, "
                                      "output (visible), thoughts, tool_use_prompt",
                                      {"gen_ai.response.model", "type"},
                                      {}},
                                     max))),
          cost(r.counter(with({"gemini.client.cost",
                               "USD",
                               "What the calls cost by the price table",
                               {"gen_ai.response.model", "tenant"},
                               {}},
                              max))),
          by_prompt(r.histogram(with({"gemini.client.duration_by_prompt_size",
                                      "s",
                                      "Call duration by prompt size class",
                                      {"gen_ai.request.model", "prompt_size"},
                                      detail::duration_buckets},
                                     max))),
          breaker_state(r.gauge(with({"gemini.client.breaker.state",
                                      "",
                                      "1 for the state a breaker is in, 0 for the others",
                                      {"endpoint", "state"},
                                      {}},
                                     max))),
          breaker_transitions(r.counter(with({"gemini.client.breaker.transitions",
                                              "{transition}",
                                              "Breaker state changes",
                                              {"endpoint", "from", "to"},
                                              {}},
                                             max))),
          hedge_results(r.counter(with({"gemini.client.hedge.results",
                                        "{hedge}",
                                        "Hedged races: won (the hedge answered), lost (the first "
                                        "racer did) or failed (neither)",
                                        {"gen_ai.request.model", "result"},
                                        {}},
                                       max))),
          cache_entries(r.gauge(with(
              {"gemini.client.cache.entries", "{entry}", "Entries in the response cache", {}, {}},
              max))),
          cache_bytes(r.gauge(
              with({"gemini.client.cache.size", "By", "Bytes held by the response cache", {}, {}},
                   max))),
          connections(r.counter(with({"gemini.client.pool.connections",
                                      "{connection}",
                                      "Pooled connections: opened, reused (idle, taken again) "
                                      "or stale (dropped when found expired)",
                                      {"result"},
                                      {}},
                                     max))),
          logprobs(r.histogram(with({"gemini.client.response.avg_logprobs",
                                     "",
                                     "The answer's mean token log-probability (confidence)",
                                     {"gen_ai.response.model"},
                                     detail::logprob_buckets},
                                    max))),
          cost_by_user(r.counter(with({"gemini.client.cost.by_user",
                                       "USD",
                                       "What the calls cost by the price table, by user",
                                       {"gen_ai.response.model", "user"},
                                       {}},
                                      max))),
          soft_limited(r.counter(with({"gemini.client.budget.soft_limited",
                                       "{call}",
                                       "Calls admitted past a budget's soft limit",
                                       {"tenant"},
                                       {}},
                                      max))) {}
    static metric_options with(metric_options o, std::size_t max) {
      o.max_series = max;
      return o;
    }
  };

  /// Per call, what a log line needs that arrives before call_end.
  struct call_note {
    std::string_view cache = "none";
    int attempts = 0;
  };

  void start(const event& e) {
    if (!o_.log) return;
    std::lock_guard lock(st_->mutex);
    st_->calls[e.call];
  }
  /// A call refused before its end (no call_end follows): its log note goes.
  void forget_call(const event& e) {
    if (!o_.log) return;
    std::lock_guard lock(st_->mutex);
    st_->calls.erase(e.call);
  }
  void note_cache(const event& e, std::string_view what) {
    if (!o_.log) return;
    std::lock_guard lock(st_->mutex);
    if (auto it = st_->calls.find(e.call); it != st_->calls.end()) it->second.cache = what;
  }

  void attempt_end(const event& e) {
    struct slot {
      std::uint64_t owner = 0;
      memo_string model;
      std::string_view outcome;
      series* s = nullptr;
    };
    thread_local std::array<slot, 4> memo;
    thread_local std::size_t next = 0;
    const std::string_view outcome = e.error ? error_type(*e.error) : "ok";
    series* s = nullptr;
    for (auto& m : memo)
      if (m.owner == id_ && same_static(m.outcome, outcome) && m.model.matches(e.model)) s = m.s;
    if (!s) {
      auto& m = memo[next++ % memo.size()];
      m.owner = id_;
      m.model.set(e.model);
      m.outcome = outcome;
      m.s = s = &m_.attempts.at({e.model, outcome});
    }
    m_.attempts.add(*s, 1);
    if (e.connections_opened) m_.connections.add({"opened"}, e.connections_opened);
    if (e.connections_reused) m_.connections.add({"reused"}, e.connections_reused);
    if (e.connections_stale) m_.connections.add({"stale"}, e.connections_stale);
    if (!o_.log) return;
    {
      std::lock_guard lock(st_->mutex);
      if (auto it = st_->calls.find(e.call); it != st_->calls.end()) ++it->second.attempts;
    }
    if (o_.log_attempts) log_line(e, "gen_ai.attempt", {});
  }

  /// A remembered string. (Its contents are always compared: an event's views are valid
  /// only during record(), so equal addresses may hold other text later.)
  struct memo_string {
    std::string value;
    [[gnu::always_inline]] bool matches(std::string_view v) const noexcept {
      return detail::same_bytes(v, value);
    }
    void set(std::string_view v) { value.assign(v); }
    operator std::string_view() const noexcept { return value; }
  };
  /// The series one call's end records into, for one shape of call (operation, models,
  /// outcome, tenant, server, prompt size class): remembered per thread, so a call of a
  /// shape seen before looks nothing up. Token-kind series are found on first use.
  struct shape {
    std::uint64_t owner = 0;
    operation op{};
    memo_string model, response_model, tenant, server, provider, user;
    // The origin number of the events this shape was made from (0: none said): the same
    // number, the same server and provider.
    std::uint64_t origin = 0;
    bool origin_matches(const event& e, std::string_view prov) const noexcept {
      if (e.origin != 0 && origin == e.origin) return true;
      return server.matches(e.server_address) && provider.matches(prov);
    }
    bool failed = false;  // e.error set (its type may be "" like a success's)
    std::uint16_t port = 0;
    std::string_view etype, prompt_size;  // static strings
    bool has_usage = false;
    series *duration = nullptr, *calls = nullptr, *tok_in = nullptr, *tok_out = nullptr,
           *by_prompt = nullptr, *cost = nullptr, *cost_user = nullptr;
    std::array<series*, 5> kinds{};  // input, cached_input, output, thoughts, tool_use_prompt
    std::int64_t price_day = -1;     // the UTC day `price` was looked up for
    const cost::model_price* price = nullptr;
  };

  shape& shape_of(const event& e, std::string_view etype, std::string_view prompt_size) {
    thread_local std::array<shape, 8> memo;
    thread_local std::size_t next = 0;
    const std::string_view provider = e.provider.empty() ? "gcp.gemini" : e.provider;
    for (auto& m : memo)
      if (m.owner == id_ && m.op == e.operation && m.has_usage == (e.usage != nullptr) &&
          m.failed == (e.error != nullptr) && m.port == e.server_port &&
          same_static(m.etype, etype) && same_static(m.prompt_size, prompt_size) &&
          m.model.matches(e.model) && m.response_model.matches(e.response_model) &&
          m.tenant.matches(e.tenant) && m.user.matches(e.user) && m.origin_matches(e, provider))
        return m;
    auto& m = memo[next++ % memo.size()];
    m = shape{};
    m.owner = id_;
    m.op = e.operation;
    m.has_usage = e.usage != nullptr;
    m.port = e.server_port;
    m.etype = etype;
    m.prompt_size = prompt_size;
    m.model.set(e.model);
    m.response_model.set(e.response_model);
    m.tenant.set(e.tenant);
    m.user.set(e.user);
    m.server.set(e.server_address);
    m.origin = e.origin;
    m.failed = e.error != nullptr;
    m.provider.set(provider);
    const std::string port = e.server_port ? std::to_string(e.server_port) : std::string();
    const std::string_view op = operation_name(e.operation);
    m.duration =
        &m_.duration.at({op, provider, e.model, e.response_model, etype, e.server_address, port});
    m.calls = &m_.calls.at({op, e.model, e.error ? etype : std::string_view("ok")});
    if (e.usage) {
      m.tok_in =
          &m_.tokens.at({op, provider, e.model, e.response_model, "input", e.server_address, port});
      m.tok_out = &m_.tokens.at(
          {op, provider, e.model, e.response_model, "output", e.server_address, port});
      m.by_prompt = &m_.by_prompt.at({e.model, prompt_size});
      m.cost = &m_.cost.at({e.response_model.empty() ? e.model : e.response_model, e.tenant});
      if (!e.user.empty())
        m.cost_user =
            &m_.cost_by_user.at({e.response_model.empty() ? e.model : e.response_model, e.user});
    }
    return m;
  }

  /// Two views of static strings (error_type(), prompt_class(), literals): the same
  /// string at the same address. (Equal text elsewhere only misses the memo.)
  static bool same_static(std::string_view a, std::string_view b) noexcept {
    return a.data() == b.data() && a.size() == b.size();
  }

  [[gnu::always_inline]] void add_kind(shape& m, std::size_t k, std::int64_t n, std::size_t shard) {
    static constexpr std::string_view names[] = {"input", "cached_input", "output", "thoughts",
                                                 "tool_use_prompt"};
    if (n == 0 && k != 0 && k != 2) return;  // input and output always; the others when used
    if (!m.kinds[k])
      m.kinds[k] = &m_.token_count.at(
          {m.response_model.value.empty() ? std::string_view(m.model) : m.response_model,
           names[k]});
    m_.token_count.add(*m.kinds[k], static_cast<double>(n), shard);
  }

  void end(const event& e) {
    const std::string_view etype = e.error ? error_type(*e.error) : "";
    const std::string_view prompt_size =
        e.usage ? detail::prompt_class(e.usage->prompt_token_count) : "";
    auto& m = shape_of(e, etype, prompt_size);
    const std::size_t shard = detail::shard_index();
    const double secs = std::chrono::duration<double>(e.elapsed).count();
    const std::size_t bucket = m_.duration.bucket_of(secs);  // by_prompt: the same boundaries
    m_.duration.observe_in(*m.duration, secs, bucket, shard);
    m_.calls.add(*m.calls, 1, shard);
    cost::money spent;
    if (e.usage) {
      const auto& u = *e.usage;
      m_.tokens.observe(*m.tok_in,
                        static_cast<double>(u.prompt_token_count + u.tool_use_prompt_token_count),
                        shard);
      m_.tokens.observe(*m.tok_out,
                        static_cast<double>(u.candidates_token_count + u.thoughts_token_count),
                        shard);
      add_kind(m, 0, u.prompt_token_count - u.cached_content_token_count, shard);
      add_kind(m, 1, u.cached_content_token_count, shard);
      add_kind(m, 2, u.candidates_token_count, shard);
      add_kind(m, 3, u.thoughts_token_count, shard);
      add_kind(m, 4, u.tool_use_prompt_token_count, shard);
      m_.by_prompt.observe_in(*m.by_prompt, secs, bucket, shard);
      const std::string_view rm = e.response_model.empty() ? e.model : e.response_model;
      // The price entry of the answering model today: remembered in the shape (whose
      // models it is), looked up again when the UTC day changes.
      const auto now = o_.wall_clock ? o_.wall_clock() : coarse_now();
      const auto day = std::chrono::floor<std::chrono::days>(now).time_since_epoch().count();
      if (m.price_day != day) {
        m.price = prices_->find(rm, cost::date_of(now));
        m.price_day = day;
      }
      if (const cost::model_price* p = m.price) {
        cost::call_cost c;
        cost::price_call(*prices_, *p, u, c, cost::service_tier::from_usage);
        spent = c.total;
        m_.cost.add(*m.cost, static_cast<double>(spent.pico()) / 1e12, shard);
        if (m.cost_user)
          m_.cost_by_user.add(*m.cost_user, static_cast<double>(spent.pico()) / 1e12, shard);
      }
    }
    if (e.avg_logprobs)
      m_.logprobs.observe({e.response_model.empty() ? e.model : e.response_model}, *e.avg_logprobs);
    if (e.first_chunk.count() > 0) {
      const std::string port = e.server_port ? std::to_string(e.server_port) : std::string();
      const std::string_view op = operation_name(e.operation);
      const std::string_view provider = e.provider.empty() ? "gcp.gemini" : e.provider;
      m_.ttfc.observe({op, provider, e.model, e.server_address, port},
                      std::chrono::duration<double>(e.first_chunk).count());
      if (e.chunks > 1)
        m_.tpoc.observe(
            {op, provider, e.model, e.server_address, port},
            std::chrono::duration<double>(e.elapsed - e.first_chunk).count() / (e.chunks - 1));
    }
    if (o_.log) log_line(e, "gen_ai.call", spent);
    if (o_.on_alert) alerts(e);
  }

  /// The wall clock to a few milliseconds, cheaper than system_clock::now() (a date is all
  /// the price lookup needs).
  static std::chrono::system_clock::time_point coarse_now() noexcept {
#ifdef CLOCK_REALTIME_COARSE
    timespec ts{};
    if (::clock_gettime(CLOCK_REALTIME_COARSE, &ts) == 0)
      return std::chrono::system_clock::time_point(
          std::chrono::duration_cast<std::chrono::system_clock::duration>(
              std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec)));
#endif
    return std::chrono::system_clock::now();
  }

  std::chrono::system_clock::time_point wall_now() const {
    return o_.wall_clock ? o_.wall_clock() : std::chrono::system_clock::now();
  }

  void log_line(const event& e, std::string_view name, cost::money spent) {
    call_note note;
    {
      std::lock_guard lock(st_->mutex);
      if (auto it = st_->calls.find(e.call); it != st_->calls.end()) {
        note = it->second;
        if (e.kind == event_kind::call_end) st_->calls.erase(it);
      }
    }
    std::string line;
    line.reserve(512);
    const auto now = wall_now();
    const auto secs = std::chrono::floor<std::chrono::seconds>(now);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now - secs).count();
    std::time_t tt = std::chrono::system_clock::to_time_t(secs);
    std::tm tm{};
    ::gmtime_r(&tt, &tm);
    char ts[96];
    std::snprintf(ts, sizeof ts, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<int>(ms));
    auto field = [&](std::string_view k, std::string_view v) {
      line += ',';
      detail::json_string(line, k);
      line += ':';
      detail::json_string(line, v);
    };
    auto num = [&](std::string_view k, double v) {
      line += ',';
      detail::json_string(line, k);
      char buf[40];
      std::snprintf(buf, sizeof buf, ":%.17g", v);
      line += buf;
    };
    line += "{\"ts\":";
    detail::json_string(line, ts);
    field("event", name);
    num("call", static_cast<double>(e.call));
    field("operation", operation_name(e.operation));
    field("tenant", e.tenant);
    field("user", e.user);
    field("model", e.model);
    field("response_model", e.response_model);
    field("response_id", e.response_id);
    field("server", std::string(e.server_address) + ":" + std::to_string(e.server_port));
    if (e.endpoint >= 0) num("endpoint", static_cast<double>(e.endpoint));
    if (!e.endpoint_name.empty()) field("endpoint_name", e.endpoint_name);
    if (e.traceparent.size() == 55) {
      field("trace_id", e.traceparent.substr(3, 32));
      field("parent_span_id", e.traceparent.substr(36, 16));
    }
    num("attempts", e.kind == event_kind::call_end ? note.attempts : e.attempt);
    field("outcome", e.error ? "error" : "ok");
    if (e.error) {
      field("error_type", error_type(*e.error));
      field("error", e.error->message);
    }
    if (e.usage) {
      num("prompt_tokens", static_cast<double>(e.usage->prompt_token_count));
      num("cached_tokens", static_cast<double>(e.usage->cached_content_token_count));
      num("output_tokens", static_cast<double>(e.usage->candidates_token_count));
      num("thought_tokens", static_cast<double>(e.usage->thoughts_token_count));
    }
    num("latency_ms", std::chrono::duration<double, std::milli>(e.elapsed).count());
    if (e.first_chunk.count() > 0)
      num("ttfc_ms", std::chrono::duration<double, std::milli>(e.first_chunk).count());
    if (e.kind == event_kind::call_end) {
      field("cache", note.cache);
      field("cost_usd", spent.usd());
    }
    if (e.labels && !e.labels->empty()) {
      line += ",\"labels\":{";
      bool first = true;
      for (auto& [k, v] : *e.labels) {
        if (!first) line += ',';
        first = false;
        detail::json_string(line, k);
        line += ':';
        detail::json_string(line, v);
      }
      line += '}';
    }
    line += '}';
    o_.log(line);
  }

  void breaker_changed(const event& e) {
    const std::string_view from = breaker::to_string(e.breaker_from);
    const std::string_view to = breaker::to_string(e.breaker_to);
    m_.breaker_state.set({e.endpoint_name, from}, 0);
    m_.breaker_state.set({e.endpoint_name, to}, 1);
    m_.breaker_transitions.add({e.endpoint_name, from, to}, 1);
    if (!o_.on_alert) return;
    const bool opened = e.breaker_to == breaker::state::open;
    const bool closed =
        e.breaker_to == breaker::state::closed && e.breaker_from != breaker::state::closed;
    if (!opened && !closed) return;
    alert a =
        alert_of(opened ? alert::kind::breaker_opened : alert::kind::breaker_closed, e.model, from);
    a.endpoint = e.endpoint_name;
    o_.on_alert(a);
  }

  void soft_limited(const event& e) {
    m_.soft_limited.add({e.tenant}, 1);
    if (!o_.on_alert) return;
    const auto day = std::chrono::floor<std::chrono::days>(wall_now()).time_since_epoch().count();
    {
      std::lock_guard lock(st_->mutex);
      auto& told = st_->soft_told;
      if (auto it = told.find(e.tenant); it != told.end()) {
        if (it->second == day) return;  // told today already
        it->second = day;
      } else {
        if (told.size() >= o_.max_series)  // bounded: forget the tenants told before today
          std::erase_if(told, [day](const auto& kv) { return kv.second != day; });
        if (told.size() >= o_.max_series) return;  // that many told today: no more alerts
        told.emplace(std::string(e.tenant), day);
      }
    }
    alert a = alert_of(alert::kind::budget_soft_limit, e.model, "admitted past a soft limit");
    a.tenant = e.tenant;
    o_.on_alert(a);
  }

  void alerts(const event& e) {
    if (!o_.on_alert) return;
    if (!e.error) st_->breaker_told.store(false);
    if (e.error && static_cast<errc>(e.error->code.value()) == errc::quota_exhausted &&
        e.error->code.category() == gemini::error_category()) {
      alert a = alert_of(alert::kind::quota_exhausted, e.model, e.error->message);
      o_.on_alert(a);
    }
    if (o_.error_rate_threshold <= 0) return;
    std::optional<alert> tell;
    double rate = 0;
    {
      std::lock_guard lock(st_->mutex);
      const auto now = std::chrono::steady_clock::now();
      st_->outcomes.push_back({now, e.error != nullptr});
      if (e.error) ++st_->failed;
      while (!st_->outcomes.empty() && now - st_->outcomes.front().first > o_.error_rate_window) {
        if (st_->outcomes.front().second) --st_->failed;
        st_->outcomes.pop_front();
      }
      if (st_->outcomes.size() >= o_.error_rate_min_calls) {
        rate = static_cast<double>(st_->failed) / static_cast<double>(st_->outcomes.size());
        if (!st_->over && rate >= o_.error_rate_threshold) {
          st_->over = true;
          tell = alert_of(alert::kind::error_rate, e.model, "error rate over the threshold", rate);
        } else if (st_->over && rate < o_.error_rate_threshold) {
          st_->over = false;
          tell =
              alert_of(alert::kind::error_rate_ok, e.model, "error rate under the threshold", rate);
        }
      }
    }
    if (tell) o_.on_alert(*tell);
  }

  telemetry_options o_;
  std::shared_ptr<observe::registry> reg_;
  std::shared_ptr<const cost::price_table> prices_;
  metric_set m_;
  struct state {
    std::mutex mutex;
    std::unordered_map<std::uint64_t, call_note> calls;  ///< calls in flight (logs only)
    std::deque<std::pair<std::chrono::steady_clock::time_point, bool>> outcomes;
    std::size_t failed = 0;
    bool over = false;
    std::atomic<bool> breaker_told{false};
    std::map<std::string, std::int64_t, std::less<>> soft_told;  ///< tenant -> UTC day told
  };
  std::unique_ptr<state> st_;
  std::uint64_t id_;  ///< tells this observer's entries apart in the per-thread price memo

  static std::uint64_t next_id() {
    static std::atomic<std::uint64_t> n{0};
    return ++n;
  }
};

}  // namespace observe
}  // namespace v1
}  // namespace gemini
