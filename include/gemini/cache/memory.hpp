// gemini-cxx — cache::memory: an in-process, sharded LRU response cache with TTL and a
// byte budget. get / put / evict are O(1): a hash map from key to a node of an intrusive
// recency list per shard. Expired entries are dropped lazily (on lookup, or from the cold
// end of the list when space is needed).
//
//   struct my_policies : gemini::policies::defaults {
//     using cache = gemini::cache::memory<>;                       // one thread
//     // using cache = gemini::cache::memory<gemini::sync::multi_thread>;  // shared
//   };
#pragma once

#include <gemini/cache/concept.hpp>
#include <gemini/sync/single_thread.hpp>
#include <gemini/wire/json.hpp>

#include <boost/describe/class.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace gemini {
inline namespace v1 {
namespace cache {

struct memory_options : cache::behaviour {
  /// Upper bound on the stored responses' size, counted as their compact JSON size plus
  /// a fixed per-entry overhead. Split evenly between the shards.
  std::size_t max_bytes = std::size_t{64} << 20;
  /// Independent LRU lists, each with its own lock. 0: 1 for single_thread, 16 otherwise.
  std::size_t shards = 0;
};
BOOST_DESCRIBE_STRUCT(memory_options, (cache::behaviour), (max_bytes, shards))

struct memory_stats {
  std::uint64_t hits = 0;         ///< fresh entries returned
  std::uint64_t misses = 0;       ///< nothing fresh (stale finds count here too)
  std::uint64_t stale_found = 0;  ///< expired entries returned within the stale window
  std::uint64_t stores = 0;
  std::uint64_t evictions = 0;    ///< dropped for space
  std::uint64_t expirations = 0;  ///< dropped past TTL + stale window
  std::uint64_t rejected = 0;     ///< larger than a shard's whole budget
  std::size_t entries = 0;
  std::size_t bytes = 0;
};

template <class Sync = sync::single_thread>
class basic_memory {
 public:
  using slot = gemini::slot::cache;
  using options_type = memory_options;
  /// Fixed per-entry cost added to the JSON size (node, map slot, shared_ptr block).
  static constexpr std::size_t entry_overhead = 192;

  explicit basic_memory(memory_options o = {}) { reconfigure(std::move(o)); }
  /// A copy has the same options and is empty.
  basic_memory(const basic_memory& other) : basic_memory(other.opts_) {}
  basic_memory& operator=(const basic_memory&) = delete;

  /// New options; drops every entry.
  void reconfigure(memory_options o) {
    std::size_t n = o.shards ? o.shards : (Sync::thread_safe ? 16 : 1);
    opts_ = std::move(o);
    opts_.shards = n;
    shards_ = std::vector<shard>(n);
    for (auto& s : shards_) s.budget = opts_.max_bytes / n;
  }

  const memory_options& options() const noexcept { return opts_; }
  const cache::behaviour& behaviour() const noexcept { return opts_; }

  lookup_result lookup(const key& k, time_point now) {
    shard& s = shard_of(k);
    std::lock_guard lock(s.mutex);
    auto it = s.index.find(k);
    if (it == s.index.end()) {
      ++s.stats.misses;
      return {};
    }
    node& n = *it->second;
    if (now < n.expires) {
      s.lru.splice(s.lru.begin(), s.lru, it->second);
      ++s.stats.hits;
      return {n.value, false, std::chrono::ceil<std::chrono::milliseconds>(n.expires - now)};
    }
    ++s.stats.misses;
    if (now < gemini::detail::saturating_add(n.expires, opts_.stale_if_error)) {
      ++s.stats.stale_found;
      return {n.value, true, {}};
    }
    ++s.stats.expirations;
    s.drop(it->second);
    return {};
  }

  void store(const key& k, response_ptr v, std::chrono::milliseconds ttl, time_point now) {
    if (!v) return;
    std::size_t bytes = wire::serialize(*v).size() + entry_overhead;
    shard& s = shard_of(k);
    std::lock_guard lock(s.mutex);
    if (bytes > s.budget) {
      ++s.stats.rejected;
      return;
    }
    ++s.stats.stores;
    if (auto it = s.index.find(k); it != s.index.end()) s.drop(it->second);
    s.lru.push_front(node{k, std::move(v), bytes, gemini::detail::saturating_add(now, ttl)});
    s.index.emplace(k, s.lru.begin());
    s.bytes += bytes;
    while (s.bytes > s.budget) {
      ++s.stats.evictions;
      s.drop(std::prev(s.lru.end()));
    }
  }

  /// Removes one entry; true when it was there.
  bool erase(const key& k) {
    shard& s = shard_of(k);
    std::lock_guard lock(s.mutex);
    auto it = s.index.find(k);
    if (it == s.index.end()) return false;
    s.drop(it->second);
    return true;
  }

  void clear() {
    for (auto& s : shards_) {
      std::lock_guard lock(s.mutex);
      s.index.clear();
      s.lru.clear();
      s.bytes = 0;
    }
  }

  /// Counters summed over the shards.
  memory_stats stats() const {
    memory_stats t;
    for (auto const& s : shards_) {
      std::lock_guard lock(s.mutex);
      t.hits += s.stats.hits;
      t.misses += s.stats.misses;
      t.stale_found += s.stats.stale_found;
      t.stores += s.stats.stores;
      t.evictions += s.stats.evictions;
      t.expirations += s.stats.expirations;
      t.rejected += s.stats.rejected;
      t.entries += s.index.size();
      t.bytes += s.bytes;
    }
    return t;
  }

 private:
  struct node {
    key k;
    response_ptr value;
    std::size_t bytes;
    time_point expires;
  };
  struct shard {
    std::list<node> lru;  // front: most recently used
    std::unordered_map<key, typename std::list<node>::iterator, key_hash> index;
    std::size_t bytes = 0;
    std::size_t budget = 0;
    memory_stats stats;
    mutable typename Sync::mutex mutex;

    void drop(typename std::list<node>::iterator it) {
      bytes -= it->bytes;
      index.erase(it->k);
      lru.erase(it);
    }
  };

  shard& shard_of(const key& k) {
    // Bytes 8.. pick the shard; bytes 0..7 feed the hash map (both uniform).
    return shards_.size() == 1 ? shards_[0] : shards_[k.bytes[8] % shards_.size()];
  }

  memory_options opts_;
  std::vector<shard> shards_;
};

/// The in-memory cache for one thread (the default) or shared across threads.
template <class Sync = sync::single_thread>
using memory = basic_memory<Sync>;

}  // namespace cache
}  // namespace v1
}  // namespace gemini
