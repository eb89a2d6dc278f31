// gemini-cxx — the durable job queue on Redis Streams (needs gemini::redis).
//
//   queue::redis_queue         submits jobs: XADD to the lane's stream (one script with the
//                              idempotency check), reads results
//   queue::redis_worker<C>     consumes them through a client: a consumer group per
//                              processor, XREADGROUP for new entries, XAUTOCLAIM for the
//                              entries of a consumer that died (idle past
//                              visibility_timeout), a dead-letter stream past
//                              max_deliveries; the result is stored and the entry acked in
//                              one script
//
// Delivery is at least once; the effect is exactly once per job: a job's result is
// stored under its idempotency key (or id) with SET NX in the script that acks it, and a
// redelivered job whose result is stored is acked without a call. Only a call in flight
// when its worker died (or could not reach Redis to store the result) is paid twice.
//
// Keys (prefix "gemini:queue" by default):
//   <prefix>:lane:<name>      the lane's stream (fields: id, job)
//   <prefix>:dead             dead-lettered entries (fields: id, lane, job, error)
//   <prefix>:job:<id>         the job's state (hash: state, lane, deliveries, attempts, error)
//   <prefix>:result:<key>     the job's result (JSON), with result_ttl
//   <prefix>:idem:<key>       idempotency key → job id
//   <prefix>:ended            ids of ended jobs (a set, for progress and tests)
// On Redis Cluster every key of a script must hash to one slot: use a prefix with a hash
// tag ("{jobs}") so they all do.
#pragma once

#include <gemini/config.hpp>
#include <gemini/error.hpp>
#include <gemini/queue/processor.hpp>
#include <gemini/redis/connection.hpp>
#include <gemini/redis/script.hpp>
#include <gemini/wire/json.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <vector>

namespace gemini {
inline namespace v1 {
namespace queue {

struct redis_options {
  std::string prefix = "gemini:queue";
  std::string group = "workers";  ///< the consumer group (one per processor role)
  std::string consumer;           ///< empty: redis::instance_id() (host-pid-random)
  std::vector<lane_options> lanes = {{"high", 5, 5}, {"medium", 3, 3}, {"low", 1, 1}};
  /// An entry delivered to a consumer and not acked for this long is claimed by another.
  std::chrono::milliseconds visibility_timeout{std::chrono::seconds(30)};
  int max_deliveries = 5;                      ///< deliveries before the dead-letter stream
  std::chrono::seconds result_ttl{24 * 3600};  ///< results, job states, idempotency keys
  std::chrono::milliseconds poll{20};          ///< wait when a lane is empty
  std::chrono::milliseconds backoff{500}, max_backoff{30'000}, pause{5'000};  ///< as processor
};

namespace detail {

inline std::string lane_key(const redis_options& o, std::string_view lane) {
  return o.prefix + ":lane:" + std::string(lane);
}

/// The job as JSON (the deadline is not kept: steady-clock times mean nothing elsewhere).
inline std::string encode_job(const job& j) {
  boost::json::object o;
  o["id"] = j.id;
  o["tenant"] = j.tenant;
  o["user"] = j.user;
  o["lane"] = j.lane;
  o["model"] = j.model;
  o["stream"] = j.stream;
  o["max_retries"] = j.max_retries;
  o["idempotency_key"] = j.idempotency_key;
  boost::json::array labels;
  for (auto const& [k, v] : j.labels) labels.push_back(boost::json::array{k.c_str(), v.c_str()});
  o["labels"] = std::move(labels);
  std::visit(
      [&](auto const& r) {
        using T = std::decay_t<decltype(r)>;
        o["kind"] = std::is_same_v<T, wire::generate_content_request> ? "generate"
                    : std::is_same_v<T, wire::embed_content_request>  ? "embed"
                                                                      : "count_tokens";
        o["request"] = wire::to_json(r);
      },
      j.request);
  return boost::json::serialize(o);
}

inline result<job> decode_job(std::string_view text) {
  auto v = wire::parse_value(text);
  if (!v) return std::move(v).error();
  if (!v->is_object())
    return gemini::error(errc::malformed_response, "queue: a job is not an object");
  auto const& o = v->as_object();
  job j;
  auto str = [&](const char* k) {
    auto* p = o.if_contains(k);
    return p && p->is_string() ? std::string(p->as_string()) : std::string();
  };
  j.id = str("id");
  j.tenant = str("tenant");
  j.user = str("user");
  j.lane = str("lane");
  j.model = str("model");
  j.idempotency_key = str("idempotency_key");
  if (auto* s = o.if_contains("stream"); s && s->is_bool()) j.stream = s->as_bool();
  if (auto* m = o.if_contains("max_retries"); m && m->is_int64())
    j.max_retries = static_cast<int>(m->as_int64());
  if (auto* l = o.if_contains("labels"); l && l->is_array())
    for (auto const& kv : l->as_array())
      if (kv.is_array() && kv.as_array().size() == 2 && kv.as_array()[0].is_string() &&
          kv.as_array()[1].is_string())
        j.labels.emplace_back(std::string(kv.as_array()[0].as_string()),
                              std::string(kv.as_array()[1].as_string()));
  auto* req = o.if_contains("request");
  std::string kind = str("kind");
  if (!req || j.id.empty())
    return gemini::error(errc::malformed_response, "queue: a job without id or request");
  if (kind == "generate") {
    auto r = wire::from_json<wire::generate_content_request>(*req);
    if (!r) return std::move(r).error();
    j.request = std::move(*r);
  } else if (kind == "embed") {
    auto r = wire::from_json<wire::embed_content_request>(*req);
    if (!r) return std::move(r).error();
    j.request = std::move(*r);
  } else if (kind == "count_tokens") {
    auto r = wire::from_json<wire::count_tokens_request>(*req);
    if (!r) return std::move(r).error();
    j.request = std::move(*r);
  } else {
    return gemini::error(errc::malformed_response, "queue: unknown job kind \"" + kind + "\"");
  }
  return j;
}

// KEYS: stream, job hash, idem key, result key. ARGV: id, job json, ttl seconds, lane.
// → {"queued", id} or {"exists", id} (the key's job, whose result is or will be stored).
inline constexpr std::string_view submit_script = R"lua(
if redis.call('EXISTS', KEYS[2]) == 1 then return {'exists', ARGV[1]} end
if ARGV[5] == '1' then
  local prev = redis.call('GET', KEYS[3])
  if prev then return {'exists', prev} end
  redis.call('SET', KEYS[3], ARGV[1], 'EX', ARGV[3])
end
redis.call('HSET', KEYS[2], 'state', 'queued', 'lane', ARGV[4], 'deliveries', 0)
redis.call('EXPIRE', KEYS[2], ARGV[3])
redis.call('XADD', KEYS[1], '*', 'id', ARGV[1], 'job', ARGV[2])
return {'queued', ARGV[1]}
)lua";

// KEYS: result, job hash, stream, dead, ended set. ARGV: group, entry id, max deliveries,
// job id, lane, job json, dead result json, ttl. → 'done' (a result is stored: acked),
// 'dead' (past max deliveries: moved, its result stored, acked), 'run'.
inline constexpr std::string_view begin_script = R"lua(
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('XACK', KEYS[3], ARGV[1], ARGV[2])
  return 'done'
end
local d = redis.call('HINCRBY', KEYS[2], 'deliveries', 1)
if d > tonumber(ARGV[3]) then
  redis.call('XADD', KEYS[4], '*', 'id', ARGV[4], 'lane', ARGV[5], 'job', ARGV[6], 'error',
             'delivered ' .. (d - 1) .. ' times without an ack')
  redis.call('HSET', KEYS[2], 'state', 'dead_lettered')
  redis.call('SET', KEYS[1], ARGV[7], 'NX', 'EX', ARGV[8])
  redis.call('SADD', KEYS[5], ARGV[4])
  redis.call('XACK', KEYS[3], ARGV[1], ARGV[2])
  return 'dead'
end
redis.call('HSET', KEYS[2], 'state', 'running')
return 'run'
)lua";

// KEYS: result, job hash, stream, ended set, dead. ARGV: group, entry id, result json, ttl,
// state, attempts, error, job id, lane, job json. The result is kept only if none is (a
// job acked twice keeps its first result).
inline constexpr std::string_view finish_script = R"lua(
redis.call('SET', KEYS[1], ARGV[3], 'NX', 'EX', ARGV[4])
redis.call('HSET', KEYS[2], 'state', ARGV[5], 'attempts', ARGV[6], 'error', ARGV[7])
redis.call('EXPIRE', KEYS[2], ARGV[4])
if ARGV[5] == 'dead_lettered' then
  redis.call('XADD', KEYS[5], '*', 'id', ARGV[8], 'lane', ARGV[9], 'job', ARGV[10], 'error', ARGV[7])
end
redis.call('SADD', KEYS[4], ARGV[8])
redis.call('XACK', KEYS[3], ARGV[1], ARGV[2])
return 1
)lua";

inline std::string result_json(const job_result& r) {
  boost::json::object o;
  o["id"] = r.id;
  o["state"] = std::string(to_string(r.state));
  o["attempts"] = r.attempts;
  if (r.error) o["error"] = r.error->what();
  std::visit(
      [&](auto const& x) {
        if constexpr (!std::is_same_v<std::decay_t<decltype(x)>, std::monostate>)
          o["response"] = wire::to_json(x);
      },
      r.response);
  return boost::json::serialize(o);
}

}  // namespace detail

/// Submits jobs to the lanes' streams and reads results. Bound to its connection's executor.
class redis_queue {
 public:
  redis_queue(redis::connection& conn, redis_options o = {}) : conn_(conn), opts_(std::move(o)) {}

  /// Queues a job: its id; the existing job's id for a known idempotency key (its result
  /// is reused: nothing runs twice); invalid_argument for a bad job.
  boost::asio::awaitable<result<std::string>> submit(job j) {
    if (!j.lane.empty() && !has_lane(j.lane))
      co_return gemini::error(errc::invalid_argument, "queue: no lane \"" + j.lane + "\"");
    if (j.lane.empty()) j.lane = opts_.lanes.front().name;
    if (auto* g = std::get_if<wire::generate_content_request>(&j.request); g && g->contents.empty())
      co_return gemini::error(errc::invalid_argument, "queue: a generate job without contents");
    if (j.max_retries < 0)
      co_return gemini::error(errc::invalid_argument, "queue: max_retries < 0");
    if (j.id.empty()) j.id = "job-" + instance_ + "-" + std::to_string(++next_);
    const std::string body = detail::encode_job(j);
    std::vector<std::string> keys{detail::lane_key(opts_, j.lane), opts_.prefix + ":job:" + j.id,
                                  opts_.prefix + ":idem:" + j.idempotency_key,
                                  opts_.prefix + ":result:" + result_key(j)};
    std::vector<std::string> args{j.id, body, std::to_string(opts_.result_ttl.count()), j.lane,
                                  j.idempotency_key.empty() ? "0" : "1"};
    auto r = co_await submit_.eval(conn_, keys, args);
    if (!r) co_return std::move(r).error();
    if (!r->is_array() || r->elements().size() != 2 || !r->elements()[1].is_string())
      co_return gemini::error(errc::malformed_response, "queue: unexpected reply to submit");
    co_return r->elements()[1].str();
  }

  /// The stored result of a job: by its idempotency key, or by its id when it has none;
  /// nullopt while none is stored.
  boost::asio::awaitable<result<std::optional<std::string>>> result_of(std::string key) {
    auto r = co_await conn_.command("GET", opts_.prefix + ":result:" + key);
    if (!r) co_return std::move(r).error();
    if (r->is_nil()) co_return std::optional<std::string>{};
    co_return std::optional<std::string>(r->str());
  }

  /// How many jobs have ended (succeeded, failed or dead-lettered).
  boost::asio::awaitable<result<std::int64_t>> ended() {
    auto r = co_await conn_.command("SCARD", opts_.prefix + ":ended");
    if (!r) co_return std::move(r).error();
    co_return r->integer();
  }

  static std::string result_key(const job& j) {
    return j.idempotency_key.empty() ? j.id : j.idempotency_key;
  }

 private:
  bool has_lane(const std::string& n) const {
    for (auto const& l : opts_.lanes)
      if (l.name == n) return true;
    return false;
  }
  redis::connection& conn_;
  redis_options opts_;
  redis::script submit_{detail::submit_script};
  std::string instance_ = redis::instance_id();
  std::uint64_t next_ = 0;
};

struct redis_worker_stats {
  std::uint64_t calls = 0;          ///< calls made (attempts)
  std::uint64_t ended = 0;          ///< jobs this worker finished
  std::uint64_t reused = 0;         ///< redelivered jobs whose result was stored: no call
  std::uint64_t claimed = 0;        ///< entries taken over from a dead consumer
  std::uint64_t dead_lettered = 0;  ///< past max_deliveries or max_retries
  std::uint64_t redis_errors = 0;   ///< commands that failed (Redis down): retried
};

/// Runs the lanes' jobs through `client`. run() until stop().
template <class Client>
class redis_worker {
 public:
  redis_worker(Client& c, redis::connection& conn, redis_options o)
      : client_(c), conn_(conn), opts_(std::move(o)) {
    if (opts_.consumer.empty()) opts_.consumer = redis::instance_id();
  }

  /// Creates the groups (if missing) and runs every lane's workers until stop().
  boost::asio::awaitable<void> run() {
    // A cancelled run() stops the slots and waits for them (they use this object).
    co_await boost::asio::this_coro::throw_if_cancelled(false);
    for (auto const& l : opts_.lanes) {
      for (;;) {  // the group, made once (BUSYGROUP: it exists)
        auto r = co_await conn_.command("XGROUP", "CREATE", detail::lane_key(opts_, l.name),
                                        opts_.group, "0", "MKSTREAM");
        if (r && (!r->is_error() || r->str().starts_with("BUSYGROUP"))) break;
        ++stats_.redis_errors;
        if (stopped_) co_return;
        co_await sleep(opts_.poll * 10);
      }
    }
    for (std::size_t i = 0; i < opts_.lanes.size(); ++i)
      for (std::size_t k = 0; k < opts_.lanes[i].concurrency; ++k) {
        ++running_;
        boost::asio::co_spawn(conn_.get_executor(), slot(i), boost::asio::detached);
      }
    while (running_ > 0) {
      co_await sleep(opts_.poll);
      auto cs = co_await boost::asio::this_coro::cancellation_state;
      if (cs.cancelled() != boost::asio::cancellation_type::none) stopped_ = true;
    }
  }

  /// Workers stop after their current job; run() returns when they have.
  void stop() noexcept { stopped_ = true; }
  const redis_worker_stats& stats() const noexcept { return stats_; }

 private:
  struct entry {
    std::string id;
    std::string job_text;
  };

  boost::asio::awaitable<void> sleep(std::chrono::milliseconds d) {
    boost::asio::steady_timer t(conn_.get_executor(), d);
    co_await t.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
  }

  /// The first entry of an XREADGROUP / XAUTOCLAIM entry list, if any.
  static std::optional<entry> first_entry(const redis::reply& list) {
    if (!list.is_array() || list.elements().empty()) return std::nullopt;
    auto const& e = list.elements().front();
    if (!e.is_array() || e.elements().size() != 2 || !e.elements()[1].is_array())
      return std::nullopt;
    entry out;
    out.id = e.elements()[0].str();
    auto const& f = e.elements()[1].elements();
    for (std::size_t i = 0; i + 1 < f.size(); i += 2)
      if (f[i].str() == "job") out.job_text = f[i + 1].str();
    return out;
  }

  /// The next entry of lane i: a dead consumer's first, else a new one.
  boost::asio::awaitable<std::optional<entry>> next(std::size_t i) {
    const std::string stream = detail::lane_key(opts_, opts_.lanes[i].name);
    const std::string idle = std::to_string(opts_.visibility_timeout.count());
    auto c = co_await conn_.command("XAUTOCLAIM", stream, opts_.group, opts_.consumer, idle, "0-0",
                                    "COUNT", "1");
    if (!c || c->is_error())
      ++stats_.redis_errors;  // still read new entries below
    else if (c->is_array() && c->elements().size() >= 2)
      if (auto e = first_entry(c->elements()[1])) {
        ++stats_.claimed;
        co_return e;
      }
    auto r = co_await conn_.command("XREADGROUP", "GROUP", opts_.group, opts_.consumer, "COUNT",
                                    "1", "STREAMS", stream, ">");
    if (!r || r->is_error()) {
      ++stats_.redis_errors;
      if (r && r->str().starts_with("NOGROUP"))  // Redis lost the group (restarted, no AOF)
        (void)co_await conn_.command("XGROUP", "CREATE", stream, opts_.group, "0", "MKSTREAM");
      co_return std::nullopt;
    }
    if (r->is_array() && !r->elements().empty()) {
      auto const& s = r->elements().front();
      if (s.is_array() && s.elements().size() == 2) co_return first_entry(s.elements()[1]);
    }
    co_return std::nullopt;
  }

  boost::asio::awaitable<void> slot(std::size_t lane) {
    while (!stopped_) {
      auto e = co_await next(lane);
      if (!e) {
        co_await sleep(opts_.poll);
        continue;
      }
      try {
        co_await process(lane, *e);
      } catch (const std::exception&) {
        // e.g. bad_alloc: the entry stays pending and comes back; the slot goes on
        ++stats_.redis_errors;
      }
    }
    --running_;
  }

  boost::asio::awaitable<void> process(std::size_t lane, const entry& e) {
    const std::string stream = detail::lane_key(opts_, opts_.lanes[lane].name);
    auto j = detail::decode_job(e.job_text);
    if (!j) {  // not a job this worker can read: dead-letter it at once
      std::vector<std::string> keys{opts_.prefix + ":result:" + e.id, opts_.prefix + ":job:" + e.id,
                                    stream, opts_.prefix + ":ended", opts_.prefix + ":dead"};
      std::vector<std::string> args{opts_.group,
                                    e.id,
                                    "{}",
                                    std::to_string(opts_.result_ttl.count()),
                                    "dead_lettered",
                                    "0",
                                    j.error().message,
                                    e.id,
                                    opts_.lanes[lane].name,
                                    e.job_text};
      co_await finish_(keys, args);
      co_return;
    }
    const std::string rkey = opts_.prefix + ":result:" + redis_queue::result_key(*j);
    const std::string jkey = opts_.prefix + ":job:" + j->id;
    {
      job_result dead;
      dead.id = j->id;
      dead.lane = opts_.lanes[lane].name;
      dead.state = job_state::dead_lettered;
      dead.error =
          gemini::error(errc::unavailable, "delivered " + std::to_string(opts_.max_deliveries) +
                                               " times without an ack");
      std::vector<std::string> keys{rkey, jkey, stream, opts_.prefix + ":dead",
                                    opts_.prefix + ":ended"};
      std::vector<std::string> args{opts_.group,
                                    e.id,
                                    std::to_string(opts_.max_deliveries),
                                    j->id,
                                    opts_.lanes[lane].name,
                                    e.job_text,
                                    detail::result_json(dead),
                                    std::to_string(opts_.result_ttl.count())};
      auto b = co_await begin_.eval(conn_, keys, args);
      if (!b) {  // Redis unreachable: the entry stays pending and comes back
        ++stats_.redis_errors;
        co_return;
      }
      if (b->str() == "done") {
        ++stats_.reused;
        co_return;
      }
      if (b->str() == "dead") {
        ++stats_.dead_lettered;
        co_return;
      }
    }
    // While the job runs, its entry's idle time is reset every visibility_timeout / 3, so no
    // other consumer (or slot) claims a job that is merely slow or paused.
    struct stop_beating {
      std::shared_ptr<bool> beating = std::make_shared<bool>(true);
      ~stop_beating() { *beating = false; }
    } beat;
    ++running_;
    boost::asio::co_spawn(conn_.get_executor(), heartbeat(stream, e.id, beat.beating),
                          boost::asio::detached);
    job_result res;
    res.id = j->id;
    res.lane = opts_.lanes[lane].name;
    std::optional<gemini::error> err;
    for (;;) {
      ++res.attempts;
      ++stats_.calls;
      err = co_await call(*j, res);
      if (!err) {
        res.state = job_state::succeeded;
        break;
      }
      bool per_minute = err->code == errc::rate_limited && !err->per_day_quota();
      if (per_minute || err->code == errc::circuit_open) {  // wait; not an attempt
        --res.attempts;
        ++res.pauses;
        co_await sleep(err->retry_delay ? *err->retry_delay : opts_.pause);
        continue;
      }
      if (err->code != condition::retryable || err->code == errc::rate_limited) {
        res.state = job_state::failed;
        break;
      }
      if (res.attempts > j->max_retries) {
        res.state = job_state::dead_lettered;
        ++stats_.dead_lettered;
        break;
      }
      auto d = std::min<std::chrono::milliseconds>(
          opts_.max_backoff, opts_.backoff * (1ll << std::min(res.attempts - 1, 20)));
      co_await sleep(d);
    }
    res.error = err;
    std::vector<std::string> keys{rkey, jkey, stream, opts_.prefix + ":ended",
                                  opts_.prefix + ":dead"};
    std::vector<std::string> args{opts_.group,
                                  e.id,
                                  detail::result_json(res),
                                  std::to_string(opts_.result_ttl.count()),
                                  std::string(to_string(res.state)),
                                  std::to_string(res.attempts),
                                  err ? err->what() : std::string(),
                                  j->id,
                                  opts_.lanes[lane].name,
                                  e.job_text};
    co_await finish_(keys, args);
  }

  boost::asio::awaitable<void> heartbeat(std::string stream, std::string id,
                                         std::shared_ptr<bool> beating) {
    const auto every = std::max<clock::duration>(opts_.visibility_timeout / 3, opts_.poll);
    auto next = clock::now() + every;
    while (*beating) {
      co_await sleep(opts_.poll);
      if (!*beating || clock::now() < next) continue;
      next = clock::now() + every;
      auto r =
          co_await conn_.command("XCLAIM", stream, opts_.group, opts_.consumer, "0", id, "JUSTID");
      if (!r || r->is_error()) ++stats_.redis_errors;
    }
    --running_;
  }

  /// The finish script, retried while Redis is unreachable until it runs (SET NX makes a
  /// repeat harmless) or the worker stops.
  boost::asio::awaitable<void> finish_(const std::vector<std::string>& keys,
                                       const std::vector<std::string>& args) {
    for (auto d = std::chrono::milliseconds(20);;
         d = std::min(d * 2, std::chrono::milliseconds(500))) {
      auto r = co_await finish_script_.eval(conn_, keys, args);
      if (r) {
        ++stats_.ended;
        co_return;
      }
      ++stats_.redis_errors;
      if (stopped_) co_return;  // left pending: redelivered to another worker
      co_await sleep(d);
    }
  }

  boost::asio::awaitable<std::optional<gemini::error>> call(const job& j, job_result& res) {
    call_options o;
    o.tenant = j.tenant;
    o.user = j.user;
    o.model = j.model;
    o.labels = j.labels;
    try {
      if (auto* g = std::get_if<wire::generate_content_request>(&j.request)) {
        std::optional<result<wire::generate_content_response>> x;
        if (j.stream) {
          wire::generate_content_request req = *g;
          auto ignore = [](const wire::generate_content_response&) {};
          x.emplace(co_await client_.stream(std::move(req), ignore, o));
        } else {
          const wire::generate_content_request& req = *g;
          x.emplace(co_await client_.generate(req, o));
        }
        if (!*x) co_return std::move(*x).error();
        res.response = std::move(**x);
      } else if (auto* e = std::get_if<wire::embed_content_request>(&j.request)) {
        const wire::embed_content_request& req = *e;
        auto x = co_await client_.embed(req, o);
        if (!x) co_return std::move(x).error();
        res.response = std::move(*x);
      } else {
        const auto& req = std::get<wire::count_tokens_request>(j.request);
        auto x = co_await client_.count_tokens(req, o);
        if (!x) co_return std::move(x).error();
        res.response = std::move(*x);
      }
    } catch (const boost::system::system_error& x) {
      co_return gemini::error(errc::cancelled, x.what());
    }
    co_return std::nullopt;
  }

  Client& client_;
  redis::connection& conn_;
  redis_options opts_;
  redis::script begin_{detail::begin_script}, finish_script_{detail::finish_script};
  redis_worker_stats stats_;
  std::size_t running_ = 0;
  bool stopped_ = false;
};

}  // namespace queue
}  // namespace v1
}  // namespace gemini
