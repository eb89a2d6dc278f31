// gemini-cxx — request coalescing: concurrent identical cache misses send one request.
//
// The first caller (the leader) registers a flight; callers with the same key join it and
// wait on their own timer. The leader's flight_guard publishes its outcome, or, when the
// leader goes away without one (cancellation, an exception), wakes the waiters to go alone.
#pragma once

#include <gemini/cache/concept.hpp>
#include <gemini/cache/key.hpp>
#include <gemini/error.hpp>
#include <gemini/wire/types.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

namespace gemini {
inline namespace v1 {
namespace detail {

using response_result = result<wire::generate_content_response>;

/// A copy of a stored or shared answer, marked with where it came from.
inline response_result delivered_copy(const cache::response& r, wire::source from) {
  wire::generate_content_response copy = r;
  copy.delivery.from = from;
  return copy;
}

class flight_table {
 public:
  /// A request in flight that identical requests may join.
  struct flight {
    bool done = false;  // the leader finished (or went away without an outcome)
    std::optional<response_result> outcome;
    std::vector<boost::asio::steady_timer*> waiters;
  };

  /// Owned by the leader's frame: ends the flight on every exit.
  class guard {
   public:
    guard() = default;
    guard(const guard&) = delete;
    guard& operator=(const guard&) = delete;
    ~guard() { publish(nullptr); }
    /// Wakes the waiters with `r` (null: no outcome, each goes alone).
    void publish(const response_result* r) {
      if (!f_) return;
      f_->done = true;
      if (r) f_->outcome = *r;
      for (auto* t : f_->waiters) t->cancel();
      f_->waiters.clear();
      table_->flights_.erase(key_);
      f_.reset();
    }

   private:
    friend class flight_table;
    flight_table* table_ = nullptr;
    cache::key key_;
    std::shared_ptr<flight> f_;
  };

  /// The flight for `k` to join, or null after making the caller its leader (`g`).
  std::shared_ptr<flight> join_or_lead(const cache::key& k, guard& g) {
    if (auto it = flights_.find(k); it != flights_.end()) return it->second;
    g.table_ = this;
    g.key_ = k;
    g.f_ = std::make_shared<flight>();
    flights_.emplace(k, g.f_);
    return nullptr;
  }

  /// Waits for the flight's outcome. No value: the leader left none; send alone.
  static boost::asio::awaitable<std::optional<response_result>> wait(
      std::shared_ptr<flight> f, std::chrono::steady_clock::time_point deadline,
      boost::asio::any_io_executor ex, cache::on_leader_failure on_failure) {
    boost::asio::steady_timer t(ex);
    t.expires_at(deadline);
    f->waiters.push_back(&t);
    struct unlink {  // also when the wait is unwound by an exception
      flight* f;
      boost::asio::steady_timer* t;
      ~unlink() { std::erase(f->waiters, t); }
    } u{f.get(), &t};
    auto [ec] = co_await t.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    if (f->done) {
      if (!f->outcome) co_return std::nullopt;  // the leader was cancelled
      if (*f->outcome) co_return delivered_copy(**f->outcome, wire::source::shared);
      if (on_failure == cache::on_leader_failure::share_error) co_return f->outcome->error();
      co_return std::nullopt;
    }
    if (!ec)
      co_return gemini::error(errc::deadline_exceeded,
                              "the deadline passed while waiting for an identical request");
    co_return gemini::error(errc::cancelled,
                            "cancelled while waiting for an identical request in flight");
  }

 private:
  std::unordered_map<cache::key, std::shared_ptr<flight>, cache::key_hash> flights_;
};

}  // namespace detail
}  // namespace v1
}  // namespace gemini
