// gemini-cxx — queue::processor: jobs in named priority lanes, each lane with its own
// concurrency, run through a client (every policy of the client applies to every job).
//
//   lanes          the seed's high/medium/low with 5/3/1 workers by default
//   scheduling     strict priority, or weighted-fair (smooth weighted round robin); aging
//                  takes a job that waited longer than `aging` first, whatever its lane
//   backpressure   at most `capacity` unfinished jobs: try_submit refuses, submit waits
//   retries        by the error's class (docs/queue.md):
//                    per-minute 429, breaker open → the lane pauses (RetryInfo's delay, or
//                      `pause`), the job waits at the head of its lane: no retry is spent
//                    per-day quota, hard budget, a client error (400, content blocked, guard)
//                      → failed at once
//                    retryable (5xx, network, timeouts) → again after a backoff, up to
//                      max_retries; then dead-lettered
//   states         queued → running → succeeded / failed / cancelled / dead_lettered
//   results        kept `result_ttl` after the job ends; wait(id), on_done callback
//   idempotency    a job submitted with the key of a job kept in the store gets that
//                  job's id: its stored result is reused, nothing is paid twice
//
// A processor and its client live on one executor: call every member from it (as the
// client's). This is the in-memory backend; durable delivery on Redis Streams is
// docs/queue.md's "not yet" list.
#pragma once

#include <gemini/config.hpp>
#include <gemini/error.hpp>
#include <gemini/wire/types.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

namespace gemini {
inline namespace v1 {
namespace queue {

using clock = std::chrono::steady_clock;

/// The request of a job. A generate request can be streamed (the result is the assembled
/// answer, as for a unary call).
using request = std::variant<wire::generate_content_request, wire::embed_content_request,
                             wire::count_tokens_request>;
using response = std::variant<std::monostate, wire::generate_content_response,
                              wire::embed_content_response, wire::count_tokens_response>;

struct job {
  std::string id;  ///< empty: the processor assigns "job-<n>"
  std::string tenant, user;
  std::string lane;  ///< empty: the first lane
  queue::request request;
  bool stream = false;  ///< generate through streamGenerateContent (stream-to-text)
  std::string model;    ///< empty: the client's
  int max_retries = 3;  ///< retries after the first attempt (retryable errors only)
  clock::time_point deadline = clock::time_point::max();  ///< for the whole job
  std::string idempotency_key;
  std::vector<std::pair<std::string, std::string>> labels;
};

enum class job_state : std::uint8_t {
  queued,
  running,
  succeeded,
  failed,
  cancelled,
  dead_lettered
};

constexpr std::string_view to_string(job_state s) noexcept {
  constexpr std::string_view names[] = {"queued", "running",   "succeeded",
                                        "failed", "cancelled", "dead_lettered"};
  return names[static_cast<std::size_t>(s)];
}
constexpr bool finished(job_state s) noexcept {
  return s != job_state::queued && s != job_state::running;
}

/// A job's state and, once it ended, its outcome.
struct job_result {
  std::string id, lane, tenant;
  job_state state = job_state::queued;
  int attempts = 0;  ///< calls made (a paused lane's waits are not attempts)
  int pauses = 0;    ///< times its lane paused on it (429, breaker open)
  clock::time_point submitted{}, started{}, ended{};
  std::optional<gemini::error> error;  ///< failed / dead_lettered / cancelled
  queue::response response;
  /// The answer's text for a generate job ("" otherwise).
  std::string text() const {
    if (auto* r = std::get_if<wire::generate_content_response>(&response)) return r->text();
    return {};
  }
};

struct lane_options {
  std::string name;
  std::size_t concurrency = 1;
  unsigned weight = 1;  ///< weighted scheduling only
};

enum class scheduling : std::uint8_t { strict, weighted };

struct processor_options {
  std::vector<lane_options> lanes = {{"high", 5, 5}, {"medium", 3, 3}, {"low", 1, 1}};
  queue::scheduling scheduling = queue::scheduling::strict;
  /// A job queued longer than this is taken before any newer job of another lane (0: off).
  std::chrono::milliseconds aging{std::chrono::seconds(30)};
  std::size_t capacity = 10'000;  ///< unfinished jobs (queued + running + waiting to retry)
  /// Jobs running at once over all lanes (0: the lanes' concurrencies added up). Below that
  /// sum the scheduling decides which lane gets the next free worker.
  std::size_t max_running = 0;
  std::chrono::milliseconds backoff{500};  ///< first retry's delay; doubles, with jitter
  std::chrono::milliseconds max_backoff{30'000};
  std::chrono::milliseconds pause{5'000};          ///< a lane's pause when no RetryInfo is given
  std::chrono::seconds result_ttl{3600};           ///< how long an ended job is kept
  std::function<void(const job_result&)> on_done;  ///< each job that ends (on the executor;
                                                   ///< must not throw)
  /// The completion channel's capacity (0: off): next_completion() hands out each ended
  /// job once, in the order they ended; when nobody reads, the oldest are dropped (counted
  /// by completions_missed()).
  std::size_t completions = 0;
};

struct lane_stats {
  std::string name;
  std::size_t queued = 0, running = 0;
  std::uint64_t succeeded = 0, failed = 0, cancelled = 0, dead_lettered = 0, retries = 0,
                pauses = 0;
  bool paused = false;
};

template <class Client>
class processor {
 public:
  using executor_type = typename Client::executor_type;

  processor(Client& c, processor_options o)
      : client_(c), opts_(std::move(o)), timer_(c.get_executor()) {
    if (opts_.lanes.empty()) config_error_ = "no lanes";
    for (auto const& l : opts_.lanes) {
      if (l.name.empty() || l.concurrency == 0 || l.weight == 0)
        config_error_ =
            "lane \"" + l.name + "\": a name, concurrency > 0 and weight > 0 are needed";
      lanes_.emplace_back().opt = l;
    }
    if (opts_.capacity == 0) config_error_ = "capacity must be > 0";
  }
  explicit processor(Client& c) : processor(c, defaults()) {}
  processor(const processor&) = delete;
  processor& operator=(const processor&) = delete;
  /// Cancels what runs; the calls end later without touching the processor (drain() first
  /// to see them end). Precondition: nothing awaits submit() / wait() / drain().
  ~processor() {
    *alive_ = false;
    for (auto& [id, r] : jobs_)
      if (r->res.state == job_state::running)
        r->signal->emit(boost::asio::cancellation_type::terminal);
      else if (r->retry_timer)
        r->retry_timer->cancel();
  }

  /// Queues a job: its id, or invalid_argument (a bad job), unavailable (full, or drained).
  result<std::string> try_submit(job j) {
    if (auto e = check(j)) return std::move(*e);
    if (!j.idempotency_key.empty())
      if (auto it = by_key_.find(j.idempotency_key); it != by_key_.end() && jobs_.count(it->second))
        return it->second;  // the same job: its (stored or coming) result is reused
    if (unfinished_ >= opts_.capacity)
      return gemini::error(errc::unavailable, "queue is full (" + std::to_string(opts_.capacity) +
                                                  " unfinished jobs)");
    return enqueue(std::move(j));
  }

  /// Queues a job, waiting while the queue is full.
  boost::asio::awaitable<result<std::string>> submit(job j) {
    if (auto e = check(j)) co_return std::move(*e);
    while (unfinished_ >= opts_.capacity && !closed_ &&
           (j.idempotency_key.empty() || !by_key_.count(j.idempotency_key))) {
      auto t = std::make_shared<boost::asio::steady_timer>(client_.get_executor(),
                                                           clock::time_point::max());
      space_waiters_.push_back(t);
      auto [ec] = co_await t->async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
      (void)ec;
      auto cs = co_await boost::asio::this_coro::cancellation_state;
      if (cs.cancelled() != boost::asio::cancellation_type::none)
        co_return gemini::error(errc::cancelled, "submit cancelled");
    }
    co_return try_submit(std::move(j));
  }

  /// Cancels a queued job (at once) or a running one (its call is cancelled). False when
  /// the job is unknown or already ended.
  bool cancel(const std::string& id) {
    auto it = jobs_.find(id);
    if (it == jobs_.end() || finished(it->second->res.state)) return false;
    auto& r = *it->second;
    if (r.res.state == job_state::running) {
      r.cancel_requested = true;
      r.signal->emit(boost::asio::cancellation_type::terminal);
      return true;
    }
    end(r, job_state::cancelled, gemini::error(errc::cancelled, "job cancelled"));
    pump();
    return true;
  }

  /// A snapshot of the job, or nullopt when unknown (or expired).
  std::optional<job_result> status(const std::string& id) const {
    auto it = jobs_.find(id);
    if (it == jobs_.end()) return std::nullopt;
    return it->second->res;
  }

  /// Waits until the job ends; not_found for an unknown id, cancelled when the wait is.
  boost::asio::awaitable<result<job_result>> wait(std::string id) {
    auto it = jobs_.find(id);
    if (it == jobs_.end()) co_return gemini::error(errc::not_found, "no job " + id);
    std::shared_ptr<rec> r = it->second;
    if (!finished(r->res.state)) {
      auto t = std::make_shared<boost::asio::steady_timer>(client_.get_executor(),
                                                           clock::time_point::max());
      r->waiters.push_back(t);
      auto [ec] = co_await t->async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
      (void)ec;
      if (!finished(r->res.state)) co_return gemini::error(errc::cancelled, "wait cancelled");
    }
    co_return r->res;
  }

  /// Stops taking jobs, waits until every job ended or `deadline`, then cancels the rest
  /// and waits for them. Returns how many were cancelled.
  boost::asio::awaitable<std::size_t> drain(clock::time_point deadline) {
    closed_ = true;
    for (auto& t : space_waiters_) t->cancel();
    space_waiters_.clear();
    boost::asio::steady_timer t(client_.get_executor());
    while (unfinished_ > 0 && clock::now() < deadline) {
      t.expires_after(std::chrono::milliseconds(5));
      auto [ec] = co_await t.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
      (void)ec;
    }
    std::size_t n = 0;
    std::vector<std::string> ids;
    for (auto& [id, r] : jobs_)
      if (!finished(r->res.state)) ids.push_back(id);
    for (auto const& id : ids) n += cancel(id) ? 1 : 0;
    while (unfinished_ > 0) {
      t.expires_after(std::chrono::milliseconds(1));
      co_await t.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    }
    co_return n;
  }

  /// The next job to end, from the completion channel (processor_options::completions);
  /// cancelled when the wait is, or when the processor is drained and nothing is left.
  boost::asio::awaitable<result<job_result>> next_completion() {
    if (opts_.completions == 0)
      co_return gemini::error(
          errc::bad_configuration,
          "queue: the completion channel is off (processor_options::completions)");
    while (done_q_.empty()) {
      if (closed_ && unfinished_ == 0)
        co_return gemini::error(errc::cancelled, "queue drained: no more completions");
      auto t = std::make_shared<boost::asio::steady_timer>(client_.get_executor(),
                                                           clock::time_point::max());
      done_waiters_.push_back(t);
      auto [ec] = co_await t->async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
      (void)ec;
      auto cs = co_await boost::asio::this_coro::cancellation_state;
      if (cs.cancelled() != boost::asio::cancellation_type::none)
        co_return gemini::error(errc::cancelled, "wait for a completion cancelled");
    }
    job_result r = std::move(done_q_.front());
    done_q_.pop_front();
    co_return r;
  }
  std::uint64_t completions_missed() const noexcept { return completions_missed_; }

  std::vector<lane_stats> stats() const {
    std::vector<lane_stats> out;
    for (auto const& l : lanes_) {
      lane_stats s = l.stats;
      s.name = l.opt.name;
      s.queued = l.ready.size();
      s.running = l.running;
      s.paused = l.paused_until > clock::now();
      out.push_back(s);
    }
    return out;
  }
  std::size_t unfinished() const noexcept { return unfinished_; }

 private:
  static processor_options defaults() {  // GCC 12 ICEs on processor_options{} in the ctor
    processor_options o;
    return o;
  }

  struct rec {
    queue::job job;
    job_result res;
    std::size_t lane = 0;
    // The running attempt's signal. Asio keeps the coroutine's cancellation state in it, so
    // the spawn's completion handler owns it (and the record) until the coroutine is gone.
    std::shared_ptr<boost::asio::cancellation_signal> signal;
    bool cancel_requested = false;
    std::shared_ptr<boost::asio::steady_timer> retry_timer;
    std::vector<std::shared_ptr<boost::asio::steady_timer>> waiters;
  };
  struct lane {
    lane_options opt;
    std::deque<std::shared_ptr<rec>> ready;
    std::size_t running = 0;
    clock::time_point paused_until{};
    std::int64_t current = 0;  // smooth weighted round robin
    lane_stats stats{};
  };

  std::optional<gemini::error> check(const job& j) const {
    if (config_error_) return gemini::error(errc::bad_configuration, "queue: " + *config_error_);
    if (closed_) return gemini::error(errc::unavailable, "queue is draining: no new jobs");
    if (!j.lane.empty() && lane_of(j.lane) == lanes_.size())
      return gemini::error(errc::invalid_argument, "queue: no lane \"" + j.lane + "\"");
    if (j.max_retries < 0) return gemini::error(errc::invalid_argument, "queue: max_retries < 0");
    if (auto* g = std::get_if<wire::generate_content_request>(&j.request); g && g->contents.empty())
      return gemini::error(errc::invalid_argument, "queue: a generate job without contents");
    if (j.stream && !std::holds_alternative<wire::generate_content_request>(j.request))
      return gemini::error(errc::invalid_argument, "queue: only a generate job can be streamed");
    if (!j.id.empty() && jobs_.count(j.id))
      return gemini::error(errc::invalid_argument, "queue: job id " + j.id + " is in use");
    return std::nullopt;
  }
  std::size_t lane_of(const std::string& name) const {
    for (std::size_t i = 0; i < lanes_.size(); ++i)
      if (lanes_[i].opt.name == name) return i;
    return lanes_.size();
  }

  std::string enqueue(job j) {
    auto r = std::make_shared<rec>();
    if (j.id.empty()) j.id = "job-" + std::to_string(++next_id_);
    r->lane = j.lane.empty() ? 0 : lane_of(j.lane);
    r->res.id = j.id;
    r->res.lane = lanes_[r->lane].opt.name;
    r->res.tenant = j.tenant;
    r->res.submitted = clock::now();
    r->job = std::move(j);
    if (!r->job.idempotency_key.empty()) by_key_[r->job.idempotency_key] = r->job.id;
    jobs_[r->job.id] = r;
    lanes_[r->lane].ready.push_back(r);
    ++unfinished_;
    pump();
    return r->job.id;
  }

  /// The lane to take a job from next, or lanes_.size().
  std::size_t pick(clock::time_point now) {
    std::size_t n = lanes_.size(), best = n;
    if (opts_.max_running && running_ >= opts_.max_running) return n;
    auto eligible = [&](std::size_t i) {
      auto& l = lanes_[i];
      return !l.ready.empty() && l.running < l.opt.concurrency && l.paused_until <= now;
    };
    // Aging: the oldest head that waited past `aging`.
    if (opts_.aging.count() > 0) {
      for (std::size_t i = 0; i < n; ++i)
        if (eligible(i) && now - lanes_[i].ready.front()->res.submitted >= opts_.aging &&
            (best == n ||
             lanes_[i].ready.front()->res.submitted < lanes_[best].ready.front()->res.submitted))
          best = i;
      if (best != n) return best;
    }
    if (opts_.scheduling == queue::scheduling::strict) {
      for (std::size_t i = 0; i < n; ++i)
        if (eligible(i)) return i;
      return n;
    }
    std::int64_t total = 0;
    for (std::size_t i = 0; i < n; ++i)
      if (eligible(i)) {
        lanes_[i].current += lanes_[i].opt.weight;
        total += lanes_[i].opt.weight;
        if (best == n || lanes_[i].current > lanes_[best].current) best = i;
      }
    if (best != n) lanes_[best].current -= total;
    return best;
  }

  /// Starts every job that can start; arms the timer for the earliest paused lane.
  void pump() {
    if (pumping_) return;
    pumping_ = true;
    auto now = clock::now();
    for (std::size_t i; (i = pick(now)) != lanes_.size();) {
      auto r = lanes_[i].ready.front();
      lanes_[i].ready.pop_front();
      ++lanes_[i].running;
      ++running_;
      r->res.state = job_state::running;
      if (r->res.started == clock::time_point{}) r->res.started = now;
      auto sig = std::make_shared<boost::asio::cancellation_signal>();
      r->signal = sig;
      boost::asio::co_spawn(
          client_.get_executor(), run(r),
          boost::asio::bind_cancellation_slot(sig->slot(), [sig, r](std::exception_ptr) {}));
    }
    clock::time_point wake = clock::time_point::max();
    for (auto const& l : lanes_)
      if (!l.ready.empty() && l.paused_until > now) wake = std::min(wake, l.paused_until);
    if (wake != clock::time_point::max() && wake != armed_) {
      armed_ = wake;
      timer_.expires_at(wake);
      timer_.async_wait([this, alive = alive_](boost::system::error_code ec) {
        if (ec || !*alive) return;
        armed_ = {};
        pump();
      });
    }
    pumping_ = false;
  }

  /// One attempt of the job: the call, then its outcome. One coroutine frame a job.
  boost::asio::awaitable<void> run(std::shared_ptr<rec> rp) {
    std::shared_ptr<bool> alive = alive_;
    rec& r = *rp;
    ++r.res.attempts;
    call_options o;
    o.tenant = r.job.tenant;
    o.user = r.job.user;
    o.model = r.job.model;
    o.labels = r.job.labels;
    o.deadline = r.job.deadline;
    std::optional<gemini::error> err;
    // Lvalues or named copies, not temporaries, in the co_await expressions (GCC 12:
    // decision 0004). generate() reads the job's request in place (it is kept for retries).
    try {
      if (auto* g = std::get_if<wire::generate_content_request>(&r.job.request)) {
        std::optional<result<wire::generate_content_response>> x;
        if (r.job.stream) {
          wire::generate_content_request req = *g;
          auto ignore = [](const wire::generate_content_response&) {};
          x.emplace(co_await client_.stream(std::move(req), ignore, o));
        } else {
          const wire::generate_content_request& req = *g;
          x.emplace(co_await client_.generate(req, o));
        }
        if (*x)
          r.res.response = std::move(**x);
        else
          err = std::move(*x).error();
      } else if (auto* e = std::get_if<wire::embed_content_request>(&r.job.request)) {
        const wire::embed_content_request& req = *e;
        auto x = co_await client_.embed(req, o);
        if (x)
          r.res.response = std::move(*x);
        else
          err = std::move(x).error();
      } else {
        const auto& req = std::get<wire::count_tokens_request>(r.job.request);
        auto x = co_await client_.count_tokens(req, o);
        if (x)
          r.res.response = std::move(*x);
        else
          err = std::move(x).error();
      }
    } catch (const boost::system::system_error& e) {  // cancellation thrown at a co_await
      err = gemini::error(errc::cancelled, e.what());
    } catch (const std::exception& e) {  // e.g. bad_alloc: the job fails, the counts stay right
      err = gemini::error(errc::internal, std::string("queue: ") + e.what());
    }
    if (!*alive) co_return;  // the processor is gone: touch nothing of it
    --lanes_[r.lane].running;
    --running_;
    if (!err) {
      end(r, job_state::succeeded, std::nullopt);
    } else {
      handle_failure(rp, std::move(*err));
    }
    pump();
  }

  void handle_failure(const std::shared_ptr<rec>& rp, gemini::error e) {
    rec& r = *rp;
    lane& l = lanes_[r.lane];
    const auto now = clock::now();
    if (r.cancel_requested) return end(r, job_state::cancelled, std::move(e));
    if (now >= r.job.deadline) return end(r, job_state::failed, std::move(e));
    bool per_minute = e.code == errc::rate_limited && !e.per_day_quota();
    if (per_minute || e.code == errc::circuit_open) {
      // Pause the lane; the job waits at its head without spending a retry.
      auto d = e.retry_delay ? std::chrono::duration_cast<clock::duration>(*e.retry_delay)
                             : std::chrono::duration_cast<clock::duration>(opts_.pause);
      l.paused_until = std::max(l.paused_until, now + d);
      --r.res.attempts;
      ++r.res.pauses;
      ++l.stats.pauses;
      r.res.state = job_state::queued;
      l.ready.push_front(rp);
      return;
    }
    if (e.code == errc::quota_exhausted || e.code == errc::rate_limited ||
        e.code == errc::budget_exceeded || e.code == condition::client_error ||
        e.code == errc::cancelled || e.code != condition::retryable)
      return end(r, job_state::failed, std::move(e));
    if (r.res.attempts > r.job.max_retries) return end(r, job_state::dead_lettered, std::move(e));
    // Again after a backoff (doubling, with up to 50 % jitter), at the head of its lane.
    ++l.stats.retries;
    auto base = opts_.backoff * (1ll << std::min(r.res.attempts - 1, 20));
    auto d = std::min<std::chrono::milliseconds>(base, opts_.max_backoff);
    d += std::chrono::milliseconds(jitter_() % (d.count() / 2 + 1));
    r.res.state = job_state::queued;
    r.res.error = std::move(e);
    r.retry_timer = std::make_shared<boost::asio::steady_timer>(client_.get_executor(), d);
    r.retry_timer->async_wait([this, rp, alive = alive_](boost::system::error_code ec) {
      if (!*alive) return;
      rp->retry_timer.reset();
      if (ec || finished(rp->res.state)) return;
      lanes_[rp->lane].ready.push_front(rp);
      pump();
    });
  }

  void end(rec& r, job_state s, std::optional<gemini::error> e) {
    auto& l = lanes_[r.lane];
    if (r.res.state == job_state::queued) {  // cancelled while waiting: out of its lane
      auto it = std::find_if(l.ready.begin(), l.ready.end(),
                             [&](auto const& p) { return p.get() == &r; });
      if (it != l.ready.end()) l.ready.erase(it);
      if (r.retry_timer) r.retry_timer->cancel();
    }
    r.res.state = s;
    r.res.error = std::move(e);
    r.res.ended = clock::now();
    switch (s) {
      case job_state::succeeded: ++l.stats.succeeded; break;
      case job_state::failed: ++l.stats.failed; break;
      case job_state::cancelled: ++l.stats.cancelled; break;
      case job_state::dead_lettered: ++l.stats.dead_lettered; break;
      default: break;
    }
    --unfinished_;
    for (auto& w : r.waiters) w->cancel();
    r.waiters.clear();
    // Wake one live submit() (a waiter whose coroutine gave up holds the only reference).
    while (!space_waiters_.empty()) {
      auto t = std::move(space_waiters_.front());
      space_waiters_.pop_front();
      if (t.use_count() > 1) {
        t->cancel();
        break;
      }
    }
    ended_.push_back(jobs_.at(r.res.id));
    if (opts_.completions) {
      if (done_q_.size() == opts_.completions) {
        done_q_.pop_front();
        ++completions_missed_;
      }
      done_q_.push_back(r.res);
    }
    // A completion for one waiter; after the last job of a drain, every waiter hears it.
    while (!done_waiters_.empty()) {
      auto t = std::move(done_waiters_.front());
      done_waiters_.pop_front();
      if (t.use_count() == 1) continue;  // that reader gave up
      t->cancel();
      if (!(closed_ && unfinished_ == 0)) break;
    }
    if (opts_.on_done) {
      try {
        opts_.on_done(r.res);
      } catch (...) {
        // on_done must not throw (documented); if it does, the counts must stay right
      }
    }
    expire();
  }

  /// Forgets ended jobs older than result_ttl.
  void expire() {
    auto cutoff = clock::now() - opts_.result_ttl;
    while (!ended_.empty() && ended_.front()->res.ended <= cutoff) {
      auto& r = *ended_.front();
      if (!r.job.idempotency_key.empty()) by_key_.erase(r.job.idempotency_key);
      jobs_.erase(r.job.id);
      ended_.pop_front();
    }
  }

  Client& client_;
  processor_options opts_;
  std::optional<std::string> config_error_;
  std::vector<lane> lanes_;
  std::unordered_map<std::string, std::shared_ptr<rec>> jobs_;
  std::unordered_map<std::string, std::string> by_key_;
  std::deque<std::shared_ptr<rec>> ended_;  // in the order they ended
  std::deque<std::shared_ptr<boost::asio::steady_timer>> space_waiters_, done_waiters_;
  std::deque<job_result> done_q_;  // the completion channel
  std::uint64_t completions_missed_ = 0;
  std::size_t unfinished_ = 0, running_ = 0;
  std::uint64_t next_id_ = 0;
  bool closed_ = false, pumping_ = false;
  boost::asio::steady_timer timer_;
  clock::time_point armed_{};
  std::minstd_rand jitter_{12345};
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace queue
}  // namespace v1
}  // namespace gemini
