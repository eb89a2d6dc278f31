// gemini-cxx — the audit log: append-only JSON lines, the prompt, the sanitized prompt and
// the filtered response encrypted with AES-256-GCM, every record authenticated by an
// HMAC-SHA256 that covers the previous record's (a keyed hash chain), signed checkpoints,
// and a head file holding the latest checkpoint (so a cut-off log is found). Format and
// verification: docs/security.md, audit/verify.hpp.
//
// Writes go through a bounded queue to one writer thread: a call never waits for the disk.
// When the queue is full, `when_full` chooses: block, drop (and count), or fail the call.
// A record's queue slot is reserved first (`reserve()` → `ticket`) so the guard can refuse
// a call before it is sent when there is no room for its record.
#pragma once

#include <gemini/audit/crypto.hpp>
#include <gemini/audit/keys.hpp>
#include <gemini/detail/utf8.hpp>
#include <gemini/error.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace gemini {
inline namespace v1 {
namespace audit {

/// What is recorded about one call. The three texts are encrypted; the rest is in clear.
struct record {
  std::chrono::system_clock::time_point at = std::chrono::system_clock::now();
  std::string tenant, user, model, request_id, response_id;
  std::string outcome;             ///< "ok", "refused", "failed", or an error class
  std::vector<std::string> flags;  ///< the guard's findings, e.g. "pii:EMAIL"
  std::string prompt, sanitized, response;
};

enum class when_full : std::uint8_t { block, drop, fail };
enum class fsync_policy : std::uint8_t {
  never,        ///< the kernel's page cache only: survives kill -9, not a power loss
  checkpoint,   ///< fsync at each checkpoint and rotation (default)
  every_batch,  ///< fsync after each batch the writer takes from the queue
};

struct log_options {
  std::string path;  ///< the live file; rotated files are path.1, path.2, …; head: path.head
  std::size_t queue_capacity = 4096;
  audit::when_full when_full = audit::when_full::block;
  audit::fsync_policy fsync = audit::fsync_policy::checkpoint;
  std::uint64_t checkpoint_every = 1000;       ///< records between checkpoints
  std::uint64_t rotate_bytes = 64ull << 20;    ///< rotate the live file past this size
  std::chrono::seconds rotate_age{24 * 3600};  ///< … or past this age
  /// Records one key may encrypt (random 96-bit nonces: NIST SP 800-38D caps a key at 2^32
  /// invocations). Past it appends fail until rotate_key(); lower only for tests.
  std::uint64_t max_records_per_key = 1ull << 32;
};

namespace detail {

inline void append_json_string(std::string& out, std::string_view s) {
  std::string fixed;
  if (!gemini::detail::valid_utf8(s)) {
    fixed = gemini::detail::utf8_replaced(s);
    s = fixed;
  }
  out.push_back('"');
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (u < 0x20) {
      static constexpr char hexd[] = "0123456789abcdef";
      switch (c) {
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
          out += "\\u00";
          out.push_back(hexd[u >> 4]);
          out.push_back(hexd[u & 15]);
      }
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
}

inline std::string timestamp(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  auto ms = duration_cast<milliseconds>(t.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];  // room for any int the fields could hold (-Wformat-truncation)
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}

inline const std::string& zero_hash() {
  static const std::string z(64, '0');
  return z;
}

/// The MAC'd part of a line ends where `,"h":"` begins.
inline std::string finish_line(std::string prefix, const key& k) {
  auto mac = crypto::hmac_sha256(k.mac, prefix);
  prefix += ",\"h\":\"";
  prefix += crypto::hex(mac.data(), mac.size());
  prefix += "\"}\n";
  return prefix;
}

inline bool write_all(int fd, std::string_view s) {
  while (!s.empty()) {
    ssize_t n = ::write(fd, s.data(), s.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    s.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

inline bool file_exists(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0;
}

/// The last complete line of a file ("" when none), read backwards in blocks (a line may
/// be longer than any block); with `repair`, a torn tail (bytes after the last newline:
/// a crash inside a write) is cut off the file.
inline std::string last_line(const std::string& path, bool repair) {
  int fd = ::open(path.c_str(), repair ? O_RDWR : O_RDONLY);
  if (fd < 0) return {};
  const off_t size = ::lseek(fd, 0, SEEK_END);
  constexpr off_t block = 64 * 1024;
  std::string tail;  // the bytes from `from` to the end of the file
  off_t from = size;
  // Read until the tail holds the last complete line and the newline before it (two
  // newlines, whether or not the file ends in a torn line), or the whole file.
  while (from > 0 && std::count(tail.begin(), tail.end(), '\n') < 2) {
    off_t len = std::min(block, from);
    from -= len;
    std::string chunk(static_cast<std::size_t>(len), '\0');
    if (::pread(fd, chunk.data(), chunk.size(), from) != static_cast<ssize_t>(chunk.size())) {
      ::close(fd);
      return {};
    }
    tail.insert(0, chunk);
  }
  if (!tail.empty() && tail.back() != '\n') {
    std::size_t nl = tail.rfind('\n');
    off_t keep = nl == std::string::npos ? from : from + static_cast<off_t>(nl) + 1;
    if (repair && ::ftruncate(fd, keep) != 0) {
      // left as it is: verify reports the torn line
    }
    tail.resize(nl == std::string::npos ? 0 : nl + 1);
  }
  ::close(fd);
  if (tail.empty()) return {};
  tail.pop_back();  // the final newline
  std::size_t start = tail.rfind('\n');
  return start == std::string::npos ? tail : tail.substr(start + 1);
}

/// Where a line's MAC'd part ends (the offset of `,"h":"`), when the line ends exactly in
/// `,"h":"<64 hex>"}` and the MAC matches under its key; npos otherwise. Nothing after the
/// MAC'd part but the MAC itself can then be in the line.
inline std::size_t authentic(std::string_view line, const key& k) {
  std::size_t at = line.rfind(",\"h\":\"");
  if (at == std::string_view::npos || line.size() != at + 6 + 64 + 2 || !line.ends_with("\"}"))
    return std::string_view::npos;
  auto mac = crypto::hmac_sha256(k.mac, line.substr(0, at));
  unsigned char got[32];
  if (!crypto::unhex(line.substr(at + 6, 64), got, 32) || CRYPTO_memcmp(got, mac.data(), 32) != 0)
    return std::string_view::npos;
  return at;
}

}  // namespace detail

class log;

/// A reserved queue slot for one record. Submit it, or let it go (the slot is returned).
class ticket {
 public:
  ticket() = default;
  ticket(ticket&& o) noexcept : log_(std::exchange(o.log_, nullptr)) {}
  ticket& operator=(ticket&& o) noexcept {
    if (this != &o) {
      release();
      log_ = std::exchange(o.log_, nullptr);
    }
    return *this;
  }
  ~ticket() { release(); }
  explicit operator bool() const noexcept { return log_ != nullptr; }
  /// Queues the record (never waits: the slot is already held).
  void submit(record r);

 private:
  friend class log;
  explicit ticket(log* l) noexcept : log_(l) {}
  void release() noexcept;
  log* log_ = nullptr;
};

struct log_stats {
  std::uint64_t written = 0;  ///< records on disk
  std::uint64_t dropped = 0;  ///< refused by a full queue (when_full::drop / fail)
  std::uint64_t checkpoints = 0;
  std::uint64_t rotations = 0;
};

class log {
 public:
  /// Opens (or creates) the log at o.path and continues its chain. A torn last line (a
  /// crash during a write) is cut off. The writer thread starts here.
  static result<std::unique_ptr<log>> open(log_options o, keyring keys) {
    if (o.path.empty()) return gemini::error(errc::bad_configuration, "audit log: path is empty");
    if (keys.empty()) return gemini::error(errc::bad_configuration, "audit log: no key");
    if (o.queue_capacity == 0 || o.checkpoint_every == 0 || o.max_records_per_key == 0)
      return gemini::error(errc::bad_configuration,
                           "audit log: queue_capacity, checkpoint_every and max_records_per_key "
                           "must be > 0");
    std::unique_ptr<log> l(new log(std::move(o), std::move(keys)));
    if (auto e = l->resume()) return std::move(*e);
    l->writer_ = std::thread([p = l.get()] { p->run(); });
    return l;
  }

  log(const log&) = delete;
  log& operator=(const log&) = delete;
  /// Writes what is queued, a closing checkpoint, and joins the writer.
  ~log() { close(); }

  /// A slot for one record, per `when_full` when the queue is full: block waits, drop and
  /// fail return `unavailable` (counted in stats().dropped). Fails when the key is spent.
  result<ticket> reserve() {
    std::unique_lock lk(m_);
    if (closed_) return gemini::error(errc::unavailable, "audit log is closed");
    if (failure_) return *failure_;
    if (reserved_ + queue_.size() >= opts_.queue_capacity) {
      if (opts_.when_full != audit::when_full::block) {
        ++stats_.dropped;
        return gemini::error(errc::unavailable, "audit queue is full");
      }
      // Blocking waits for the writer's backlog only: the slots held by calls still
      // running are released by those calls, which may need this very thread to finish
      // (a wait on them could never end). The queue can then exceed its capacity by the
      // number of calls in flight.
      space_.wait(lk, [&] { return closed_ || failure_ || queue_.size() < opts_.queue_capacity; });
      if (closed_) return gemini::error(errc::unavailable, "audit log is closed");
      if (failure_) return *failure_;
    }
    if (key_uses_reserved_ >= opts_.max_records_per_key)
      return gemini::error(
          errc::bad_configuration,
          "audit key " + keys_.current().id + " has reached its record limit: rotate the key");
    ++reserved_;
    ++key_uses_reserved_;
    return ticket(this);
  }

  /// reserve() and submit.
  std::optional<gemini::error> append(record r) {
    auto t = reserve();
    if (!t) return std::move(t).error();
    t->submit(std::move(r));
    return std::nullopt;
  }

  /// Waits until every record submitted before the call is written (and fsynced when the
  /// policy says so at a batch), then returns the writer's failure if it has one.
  std::optional<gemini::error> flush() {
    std::unique_lock lk(m_);
    std::uint64_t target = submitted_;
    work_.notify_one();
    done_.wait(lk, [&] { return written_seq_ >= target || failure_.has_value() || writer_done_; });
    if (failure_) return failure_;
    return std::nullopt;
  }

  /// Makes a checkpoint now (and updates the head file).
  std::optional<gemini::error> checkpoint() {
    {
      std::lock_guard lk(m_);
      if (closed_) return gemini::error(errc::unavailable, "audit log is closed");
      want_checkpoint_ = true;
    }
    return flush_checkpoint();
  }

  /// New records use `id` (added to the keyring before, with add()).
  std::optional<gemini::error> rotate_key(std::string id, const secret& master) {
    std::lock_guard lk(m_);
    if (auto e = keys_.add(std::move(id), master)) return e;
    key_uses_reserved_ = reserved_;  // the slots held now will use the new key
    work_.notify_one();
    return std::nullopt;
  }

  log_stats stats() const {
    std::lock_guard lk(m_);
    return stats_;
  }

  void close() {
    {
      std::lock_guard lk(m_);
      if (closed_) return;
      closed_ = true;
    }
    work_.notify_all();
    space_.notify_all();
    if (writer_.joinable()) writer_.join();
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  const log_options& options() const noexcept { return opts_; }

 private:
  friend class ticket;

  log(log_options o, keyring k) : opts_(std::move(o)), keys_(std::move(k)) {}

  struct queued {
    record r;
    const key* k;
  };

  // ---- the caller's side ----

  void submit(record r) {
    std::lock_guard lk(m_);
    --reserved_;
    if (writer_done_) {  // after close(): nobody writes it any more
      ++stats_.dropped;
      return;
    }
    queue_.push_back(queued{std::move(r), &keys_.current()});
    ++submitted_;
    work_.notify_one();
  }
  void give_back() noexcept {
    std::lock_guard lk(m_);
    --reserved_;
    if (key_uses_reserved_ > 0) --key_uses_reserved_;
    space_.notify_one();
  }

  std::optional<gemini::error> flush_checkpoint() {
    std::unique_lock lk(m_);
    work_.notify_one();
    done_.wait(lk, [&] { return !want_checkpoint_ || failure_.has_value() || writer_done_; });
    return failure_;
  }

  // ---- the writer ----

  /// The line parsed, when it is authentic under a key of the ring; the reason otherwise.
  result<boost::json::object> authentic_line(std::string_view line, const char* what) const {
    auto fail = [&](std::string why) {
      return gemini::error(errc::malformed_response, "audit log " + opts_.path + ": " + what + " " +
                                                         why + " (run the verifier)");
    };
    boost::system::error_code ec;
    auto v = boost::json::parse(line, ec);
    if (ec || !v.is_object()) return fail("is not JSON");
    auto& o = v.as_object();
    auto* kid = o.if_contains("kid");
    auto* seq = o.if_contains("seq");
    if (!kid || !kid->is_string() || !seq || !seq->is_int64()) return fail("has no kid/seq");
    const key* k = keys_.find(kid->as_string());
    if (!k) return fail("is under a key not in the keyring");
    if (detail::authentic(line, *k) == std::string_view::npos) return fail("is not authentic");
    return std::move(o);
  }

  std::optional<gemini::error> resume() {
    // The chain continues from the newest line of the live file (or the newest rotated one).
    while (detail::file_exists(opts_.path + "." + std::to_string(next_rotation_))) ++next_rotation_;
    std::string line = detail::last_line(opts_.path, true);
    if (line.empty() && next_rotation_ > 1)
      line = detail::last_line(opts_.path + "." + std::to_string(next_rotation_ - 1), false);
    std::string head = detail::last_line(opts_.path + ".head", false);
    if (head.empty() && !line.empty())
      return gemini::error(
          errc::malformed_response,
          "audit log " + opts_.path + ": records but no head file (run the verifier)");
    std::uint64_t head_seq = 0;
    if (!head.empty()) {
      auto hv = authentic_line(head, "the head checkpoint");
      if (!hv) return std::move(hv).error();
      head_seq = static_cast<std::uint64_t>(hv->at("seq").as_int64());
      if (auto* ks = hv->if_contains("keys"); ks && ks->is_object())
        for (auto const& [id, n] : ks->as_object())
          if (n.is_int64()) uses_[std::string(id)] = static_cast<std::uint64_t>(n.as_int64());
    }
    if (!line.empty()) {
      auto o = authentic_line(line, "the last record");
      if (!o) return std::move(o).error();
      seq_ = static_cast<std::uint64_t>(o->at("seq").as_int64());
      prev_ = std::string(o->at("h").as_string());
      if (auto* kn = o->if_contains("kn"); kn && kn->is_int64()) {
        std::string kid(o->at("kid").as_string());
        uses_[kid] =
            std::max<std::uint64_t>(uses_[kid], static_cast<std::uint64_t>(kn->as_int64()));
      }
    } else {
      prev_ = detail::zero_hash();
    }
    if (seq_ < head_seq)
      return gemini::error(errc::malformed_response,
                           "audit log " + opts_.path + " ends at seq " + std::to_string(seq_) +
                               ", before its head checkpoint (seq " + std::to_string(head_seq) +
                               "): records were cut off (run the verifier)");
    key_uses_reserved_ = uses_[keys_.current().id];
    current_ = &keys_.current();
    if (auto e = open_file()) return e;
    if (seq_ == 0) {  // a new log: its first checkpoint makes the head file
      if (auto e = write_checkpoint()) return e;
    }
    return std::nullopt;
  }

  std::optional<gemini::error> open_file() {
    fd_ = ::open(opts_.path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd_ < 0)
      return gemini::error(errc::internal,
                           "audit log: cannot open " + opts_.path + ": " + std::strerror(errno));
    struct stat st {};
    ::fstat(fd_, &st);
    file_bytes_ = static_cast<std::uint64_t>(st.st_size);
    opened_ = std::chrono::system_clock::now();
    return std::nullopt;
  }

  std::string call_line(const queued& q) {
    const record& r = q.r;
    std::uint64_t kn = ++uses_[q.k->id];
    std::string s = "{\"seq\":" + std::to_string(++seq_) + ",\"type\":\"call\",\"ts\":\"" +
                    detail::timestamp(r.at) + "\"";
    auto field = [&](std::string_view name, std::string_view v) {
      s += ",\"";
      s += name;
      s += "\":";
      detail::append_json_string(s, v);
    };
    field("tenant", r.tenant);
    field("user", r.user);
    field("model", r.model);
    field("request_id", r.request_id);
    field("response_id", r.response_id);
    field("outcome", r.outcome);
    s += ",\"flags\":[";
    for (std::size_t i = 0; i < r.flags.size(); ++i) {
      if (i) s.push_back(',');
      detail::append_json_string(s, r.flags[i]);
    }
    s += "]";
    field("kid", q.k->id);
    s += ",\"kn\":" + std::to_string(kn);
    std::string plain = "{\"prompt\":";
    detail::append_json_string(plain, r.prompt);
    plain += ",\"sanitized\":";
    detail::append_json_string(plain, r.sanitized);
    plain += ",\"response\":";
    detail::append_json_string(plain, r.response);
    plain += "}";
    unsigned char nonce[crypto::nonce_size];
    std::optional<std::string> ct;
    if (crypto::random_bytes(nonce, sizeof nonce)) ct = crypto::seal(q.k->enc, nonce, s, plain);
    OPENSSL_cleanse(plain.data(), plain.size());
    if (!ct) return {};
    s += ",\"nonce\":\"" + crypto::hex(nonce, sizeof nonce) + "\",\"ct\":\"" + crypto::base64(*ct) +
         "\",\"prev\":\"" + prev_ + "\"";
    std::string line = detail::finish_line(std::move(s), *q.k);
    prev_ = line.substr(line.size() - 3 - 64, 64);
    return line;
  }

  std::string checkpoint_line() {
    const key& k = *current_;
    std::string s = "{\"seq\":" + std::to_string(++seq_) + ",\"type\":\"checkpoint\",\"ts\":\"" +
                    detail::timestamp(std::chrono::system_clock::now()) + "\",\"keys\":{";
    bool first = true;
    for (auto const& [id, n] : uses_) {
      if (!first) s.push_back(',');
      first = false;
      detail::append_json_string(s, id);
      s += ":" + std::to_string(n);
    }
    s += "},\"kid\":";
    detail::append_json_string(s, k.id);
    s += ",\"prev\":\"" + prev_ + "\"";
    std::string line = detail::finish_line(std::move(s), k);
    prev_ = line.substr(line.size() - 3 - 64, 64);
    return line;
  }

  std::optional<gemini::error> io_error(const char* what) {
    return gemini::error(errc::internal, std::string("audit log: ") + what + " " + opts_.path +
                                             ": " + std::strerror(errno));
  }

  /// Appends a checkpoint, fsyncs (unless never), replaces the head file.
  std::optional<gemini::error> write_checkpoint() {
    std::string line = checkpoint_line();
    if (!detail::write_all(fd_, line)) return io_error("write");
    file_bytes_ += line.size();
    if (opts_.fsync != fsync_policy::never && ::fsync(fd_) != 0) return io_error("fsync");
    std::string tmp = opts_.path + ".head.tmp";
    int hf = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (hf < 0) return io_error("open head of");
    bool ok =
        detail::write_all(hf, line) && (opts_.fsync == fsync_policy::never || ::fsync(hf) == 0);
    ::close(hf);
    if (!ok) return io_error("write head of");
    if (::rename(tmp.c_str(), (opts_.path + ".head").c_str()) != 0)
      return io_error("rename head of");
    since_checkpoint_ = 0;
    ++stats_checkpoints_;
    return std::nullopt;
  }

  std::optional<gemini::error> maybe_rotate() {
    bool old = std::chrono::system_clock::now() - opened_ >= opts_.rotate_age;
    if (file_bytes_ < opts_.rotate_bytes && !(old && file_bytes_ > 0)) return std::nullopt;
    if (auto e = write_checkpoint()) return e;
    ::close(fd_);
    fd_ = -1;
    std::string to = opts_.path + "." + std::to_string(next_rotation_++);
    if (::rename(opts_.path.c_str(), to.c_str()) != 0) return io_error("rotate");
    ++stats_rotations_;
    return open_file();
  }

  void run() {
    std::unique_lock lk(m_);
    for (;;) {
      work_.wait(lk, [&] { return closed_ || !queue_.empty() || want_checkpoint_; });
      std::deque<queued> batch;
      batch.swap(queue_);
      bool cp = want_checkpoint_, closing = closed_;
      if (failure_) {  // the chain is broken at the failure: nothing more is written
        stats_.dropped += batch.size();
        written_seq_ += batch.size();
        want_checkpoint_ = false;
        done_.notify_all();
        space_.notify_all();
        if (closing && queue_.empty()) {
          writer_done_ = true;
          return;
        }
        continue;
      }
      current_ = &keys_.current();  // keys_ changes only under m_
      lk.unlock();
      space_.notify_all();
      std::optional<gemini::error> err;
      std::string buf;
      std::uint64_t n = 0;
      for (auto& q : batch) {
        std::string line = call_line(q);
        if (line.empty()) {
          err = gemini::error(errc::internal, "audit log: encryption failed (OpenSSL)");
          break;
        }
        buf += line;
        ++n;
        if (++since_checkpoint_ >= opts_.checkpoint_every) {
          if (!detail::write_all(fd_, buf)) {
            err = io_error("write");
            break;
          }
          file_bytes_ += buf.size();
          buf.clear();
          if ((err = write_checkpoint())) break;
        }
      }
      if (!err && !buf.empty()) {
        if (!detail::write_all(fd_, buf))
          err = io_error("write");
        else
          file_bytes_ += buf.size();
      }
      if (!err && opts_.fsync == fsync_policy::every_batch && n > 0 && ::fsync(fd_) != 0)
        err = io_error("fsync");
      if (!err && (cp || closing)) err = write_checkpoint();
      if (!err && !closing) err = maybe_rotate();
      lk.lock();
      stats_.written += n;
      stats_.checkpoints = stats_checkpoints_;
      stats_.rotations = stats_rotations_;
      written_seq_ += batch.size();
      if (cp) want_checkpoint_ = false;
      if (err && !failure_) failure_ = std::move(err);
      done_.notify_all();
      space_.notify_all();
      if (closing && queue_.empty()) {
        writer_done_ = true;
        return;
      }
    }
  }

  log_options opts_;
  keyring keys_;
  mutable std::mutex m_;
  std::condition_variable work_, space_, done_;
  std::deque<queued> queue_;
  std::size_t reserved_ = 0;
  std::uint64_t key_uses_reserved_ = 0;
  std::uint64_t submitted_ = 0, written_seq_ = 0;
  bool closed_ = false, want_checkpoint_ = false, writer_done_ = false;
  std::optional<gemini::error> failure_;
  log_stats stats_;
  std::thread writer_;
  // The writer's own (after open).
  int fd_ = -1;
  std::uint64_t seq_ = 0, since_checkpoint_ = 0, file_bytes_ = 0, stats_checkpoints_ = 0,
                stats_rotations_ = 0;
  unsigned next_rotation_ = 1;
  std::string prev_;
  const key* current_ = nullptr;
  std::map<std::string, std::uint64_t, std::less<>> uses_;
  std::chrono::system_clock::time_point opened_;
};

inline void ticket::submit(record r) {
  if (auto* l = std::exchange(log_, nullptr)) l->submit(std::move(r));
}
inline void ticket::release() noexcept {
  if (auto* l = std::exchange(log_, nullptr)) l->give_back();
}

}  // namespace audit
}  // namespace v1
}  // namespace gemini
