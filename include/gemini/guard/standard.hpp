// gemini-cxx — guard::standard, the shipped guard policy (docs/security.md).
//
// The request (pipeline step 1), for every text part:
//   invisible characters   strip (default), refuse, or keep
//   size limits            per part and per request (bytes, after stripping)
//   prompt injection       heuristics (guard/injection.hpp) on user turns: block / flag / log
//   PII and secrets        per kind: allow, mask (reversible), redact (one-way), block
// Masking replaces each value with a stable placeholder ("[EMAIL_1]": the same value gets
// the same placeholder in one call, numbered by first appearance, so the same prompt masks
// the same way and the cache still hits) and puts the value back in the answer.
//
// The answer (step 6), every text part, and a stream chunk by chunk holding back only as
// much text as the longest pattern needs:
//   redaction of PII kinds the model wrote itself, blocked terms (redact or block),
//   safety ratings at or above a threshold (block), the system instruction echoed back
//   verbatim (block), then the masked values restored.
//
// Per-tenant policies: `options::tenants` maps a tenant to its policy; others get `base`.
// With `options::audit` set, every call that passed inspect() leaves one audit record
// (prompt, sanitized prompt, filtered answer, flags), written when the call ends on any
// path: the record's queue slot is reserved before the call is sent.
#pragma once

#include <gemini/audit/log.hpp>
#include <gemini/error.hpp>
#include <gemini/guard/concept.hpp>
#include <gemini/guard/injection.hpp>
#include <gemini/guard/pii.hpp>
#include <gemini/guard/text.hpp>
#include <gemini/slots.hpp>
#include <gemini/wire/types.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gemini {
inline namespace v1 {
namespace guard {

/// What to do with a PII kind found in a request.
enum class pii_action : std::uint8_t { allow, mask, redact, block };
/// What to do when the injection score reaches the threshold.
enum class injection_mode : std::uint8_t { off, log, flag, block };
enum class invisible_action : std::uint8_t { keep, strip, refuse };
enum class term_action : std::uint8_t { redact, block };

/// One tenant's rules. The defaults mask every PII kind, strip invisible characters, block
/// likely injections, and filter answers for secrets and card numbers the model writes.
struct policy {
  invisible_action invisible = invisible_action::strip;
  std::size_t max_part_bytes = 0;     ///< 0: no limit
  std::size_t max_request_bytes = 0;  ///< sum of the text parts; 0: no limit
  injection_mode injection = injection_mode::block;
  double injection_threshold = 0.8;
  std::array<double, injection_rule_count> injection_weights = default_injection_weights;
  std::array<pii_action, pii_kind_count> pii = {
      pii_action::mask, pii_action::mask, pii_action::mask, pii_action::mask,
      pii_action::mask, pii_action::mask, pii_action::mask};
  // ---- the answer ----
  pii_kinds redact_in_response = pii_kinds{}.add(pii_kind::secret).add(pii_kind::card);
  std::vector<std::string> blocked_terms;  ///< matched case-insensitively (ASCII folding)
  term_action on_blocked_term = term_action::redact;
  /// Block an answer with a safety rating at this probability or above (unspecified: off).
  wire::harm_probability block_safety_at{};
  bool detect_echo = true;      ///< the system instruction repeated verbatim
  std::size_t echo_bytes = 64;  ///< shortest echo reported is echo_bytes..echo_bytes + 16

  policy& action(pii_kind k, pii_action a) {
    pii[static_cast<std::size_t>(k)] = a;
    return *this;
  }
  pii_action action(pii_kind k) const noexcept { return pii[static_cast<std::size_t>(k)]; }
};

/// A finding, for the `on_finding` callback (off the hot path of a clean call: only when
/// something is found). Never holds the matched text.
struct finding {
  std::string_view tenant;
  std::string_view rule;  ///< "injection.role_play", "pii.EMAIL", "response.blocked_term", …
  double score = 0;       ///< injection score (0 for the others)
  bool blocked = false;
};

struct options {
  guard::policy base;
  std::map<std::string, guard::policy, std::less<>> tenants;
  std::function<void(const finding&)> on_finding;
  /// Where records go (not owned; must outlive the clients). nullptr: no audit.
  audit::log* audit = nullptr;
};

class standard {
 public:
  using slot = gemini::slot::guard;
  using options_type = guard::options;

  struct state;

  standard() = default;
  explicit standard(guard::options o) : opts_(std::move(o)) {
    for (auto const& [t, p] : opts_.tenants) (void)t, check(p);
    check(opts_.base);
  }

  const guard::policy& policy_for(std::string_view tenant) const noexcept {
    if (!opts_.tenants.empty())
      if (auto it = opts_.tenants.find(tenant); it != opts_.tenants.end()) return it->second;
    return opts_.base;
  }

  std::optional<gemini::error> inspect(wire::generate_content_request& req, state& st,
                                       const call_info& info);
  std::optional<gemini::error> filter(wire::generate_content_response& resp, state& st,
                                      const call_info& info);
  void filter_chunk(wire::generate_content_response& chunk, state& st, const call_info& info);

  const guard::options& options() const noexcept { return opts_; }

 private:
  static void check(const guard::policy& p) {
    if (p.echo_bytes < 16) throw std::invalid_argument("guard: echo_bytes must be >= 16");
    for (auto const& t : p.blocked_terms)
      if (t.empty()) throw std::invalid_argument("guard: an empty blocked term");
  }
  void report(const call_info& info, std::string_view rule, double score, bool blocked) const {
    if (opts_.on_finding) opts_.on_finding(finding{info.tenant, rule, score, blocked});
  }
  std::optional<gemini::error> screen_part(std::string& text, bool user_turn, state& st,
                                           const guard::policy& p, const call_info& info);
  std::string transform(std::string_view text, state& st, bool& blocked_term) const;

  guard::options opts_;
};

/// Per-call state: the masked values, the stream's held-back text, the audit slot.
struct standard::state {
  const guard::policy* pol = nullptr;
  std::vector<std::pair<std::string, std::string>> masks;  // placeholder → value
  std::array<unsigned, pii_kind_count> next{};             // per-kind placeholder numbers
  std::uint8_t pii_found = 0;                              // kinds seen in the request
  injection_report injection;
  std::vector<std::string> response_flags;
  std::optional<gemini::error> blocked;  // the answer was refused
  // The system instruction's windows (hashes at every `stride` bytes) for echo detection.
  std::vector<std::uint64_t> echo;
  std::string echo_tail;             // stream: last raw bytes seen
  std::vector<std::string> pending;  // stream: per candidate
  // Audit.
  audit::ticket ticket;
  audit::record rec;

  state() = default;
  state(const state&) = delete;
  state& operator=(const state&) = delete;
  /// A call that ended before filter() (an error, cancellation) still leaves its record.
  ~state() {
    if (ticket) {
      if (rec.outcome.empty()) rec.outcome = "failed";
      if (rec.flags.empty()) rec.flags = flags();
      ticket.submit(std::move(rec));
    }
  }
  std::vector<std::string> flags() const {
    std::vector<std::string> f;
    for (std::size_t k = 0; k < pii_kind_count; ++k)
      if ((pii_found >> k) & 1u)
        f.push_back("pii:" + std::string(name_of(static_cast<pii_kind>(k))));
    for (std::size_t r = 0; r < injection_rule_count; ++r)
      if (injection.hit(static_cast<injection_rule>(r)))
        f.push_back("injection:" + std::string(name_of(static_cast<injection_rule>(r))));
    for (auto const& x : response_flags) f.push_back(x);
    return f;
  }
};

namespace detail {

inline constexpr std::uint64_t hash_base = 0x100000001b3ull;
inline constexpr std::size_t echo_stride = 16;

inline std::uint64_t pow_base(std::size_t n) {
  std::uint64_t r = 1, b = hash_base;
  while (n) {
    if (n & 1) r *= b;
    b *= b;
    n >>= 1;
  }
  return r;
}
inline std::uint64_t window_hash(std::string_view w) {
  std::uint64_t h = 0;
  for (unsigned char c : w) h = h * hash_base + c + 1;
  return h;
}

/// True when some `k`-byte window of `text` is one of the sorted `windows`.
inline bool has_window(std::string_view text, std::size_t k,
                       const std::vector<std::uint64_t>& windows) {
  if (text.size() < k || windows.empty()) return false;
  const std::uint64_t top = pow_base(k - 1);
  std::uint64_t h = window_hash(text.substr(0, k));
  for (std::size_t i = 0;; ++i) {
    if (std::binary_search(windows.begin(), windows.end(), h)) return true;
    if (i + k >= text.size()) return false;
    h = (h - (static_cast<unsigned char>(text[i]) + 1ull) * top) * hash_base +
        static_cast<unsigned char>(text[i + k]) + 1;
  }
}

inline std::string lower_ascii(std::string_view s) {
  std::string o(s);
  for (char& c : o)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return o;
}

struct edit {
  std::size_t begin, end;
  std::string with;
};

/// A placeholder "[KIND_N]" at s[i] (i at '['): its length, 0 when none.
inline std::size_t placeholder_at(std::string_view s, std::size_t i) {
  std::size_t k = i + 1;
  while (k < s.size() && k - i <= 8 && s[k] >= 'A' && s[k] <= 'Z') ++k;
  if (k == i + 1 || k >= s.size() || s[k] != '_') return 0;
  std::size_t d = ++k;
  while (k < s.size() && k - d < 6 && s[k] >= '0' && s[k] <= '9') ++k;
  if (k == d || k >= s.size() || s[k] != ']') return 0;
  return k + 1 - i;
}

inline std::string request_id() {
  thread_local std::mt19937_64 gen{std::random_device{}()};
  std::uint64_t a = gen(), b = gen();
  unsigned char bytes[16];
  for (int i = 0; i < 8; ++i) {
    bytes[i] = static_cast<unsigned char>(a >> (8 * i));
    bytes[8 + i] = static_cast<unsigned char>(b >> (8 * i));
  }
  return audit::crypto::hex(bytes, 16);
}

/// "role: text" lines of every text part (what the audit record keeps of a prompt).
inline std::string render(const wire::generate_content_request& req) {
  std::string s;
  if (req.system_instruction)
    for (auto const& p : req.system_instruction->parts)
      if (p.text) s += "system: " + *p.text + "\n";
  for (auto const& c : req.contents)
    for (auto const& p : c.parts)
      if (p.text) s += (c.role.empty() ? std::string("user") : c.role) + ": " + *p.text + "\n";
  return s;
}

}  // namespace detail

inline std::optional<gemini::error> standard::screen_part(std::string& text, bool user_turn,
                                                          state& st, const guard::policy& p,
                                                          const call_info& info) {
  auto inv = count_invisible(text);
  if (inv.total() > 0 && p.invisible == invisible_action::refuse) {
    report(info, "text.invisible_characters", 0, true);
    return gemini::error(errc::rejected_by_guard,
                         "guard: request refused by rule text.invisible_characters");
  }
  if (user_turn && p.injection != injection_mode::off) {
    injection_report r = screen_injection(text, p.injection_weights);
    if (r.rules) {
      st.injection.rules |= r.rules;
      st.injection.score = std::max(st.injection.score, r.score);
      if (r.score >= p.injection_threshold) {
        // The rule named is the heaviest one hit.
        std::size_t top = 0;
        for (std::size_t i = 0; i < injection_rule_count; ++i)
          if (r.hit(static_cast<injection_rule>(i)) &&
              (!r.hit(static_cast<injection_rule>(top)) ||
               p.injection_weights[i] > p.injection_weights[top]))
            top = i;
        std::string rule = "injection." + std::string(name_of(static_cast<injection_rule>(top)));
        bool block = p.injection == injection_mode::block;
        report(info, rule, r.score, block);
        if (block)
          return gemini::error(errc::rejected_by_guard, "guard: request refused by rule " + rule);
      }
    }
  }
  if (inv.total() > 0 && p.invisible == invisible_action::strip) strip_invisible(text);
  if (p.max_part_bytes && text.size() > p.max_part_bytes)
    return gemini::error(errc::payload_too_large,
                         "guard: a text part of " + std::to_string(text.size()) +
                             " bytes is over the limit of " + std::to_string(p.max_part_bytes) +
                             " (rule size.part)");
  pii_kinds kinds;
  for (std::size_t k = 0; k < pii_kind_count; ++k)
    if (p.pii[k] != pii_action::allow) kinds.add(static_cast<pii_kind>(k));
  if (kinds.empty()) return std::nullopt;
  thread_local std::vector<pii_match> found;
  found.clear();
  find_pii(text, kinds, found);
  if (found.empty()) return std::nullopt;
  std::string out;
  out.reserve(text.size());
  std::size_t at = 0;
  for (auto const& m : found) {
    if (m.begin < at) continue;  // overlaps the previous match (find_pii reports none)
    auto kind = static_cast<std::size_t>(m.kind);
    st.pii_found = static_cast<std::uint8_t>(st.pii_found | (1u << kind));
    std::string rule = "pii." + std::string(name_of(m.kind));
    pii_action a = p.pii[kind];
    if (a == pii_action::block) {
      report(info, rule, 0, true);
      return gemini::error(errc::rejected_by_guard, "guard: request refused by rule " + rule);
    }
    out.append(text, at, m.begin - at);
    std::string_view value(text.data() + m.begin, m.end - m.begin);
    if (a == pii_action::redact) {
      out += "[REDACTED_" + std::string(name_of(m.kind)) + "]";
    } else {
      auto it = std::find_if(st.masks.begin(), st.masks.end(),
                             [&](auto const& e) { return e.second == value; });
      if (it == st.masks.end()) {
        st.masks.emplace_back(
            "[" + std::string(name_of(m.kind)) + "_" + std::to_string(++st.next[kind]) + "]",
            std::string(value));
        it = st.masks.end() - 1;
      }
      out += it->first;
    }
    at = m.end;
  }
  out.append(text, at);
  text = std::move(out);
  if (opts_.on_finding) report(info, "pii.masked", 0, false);
  return std::nullopt;
}

inline std::optional<gemini::error> standard::inspect(wire::generate_content_request& req,
                                                      state& st, const call_info& info) {
  const guard::policy& p = policy_for(info.tenant);
  st.pol = &p;
  if (opts_.audit) st.rec.prompt = detail::render(req);
  std::size_t total = 0;
  std::optional<gemini::error> refused;
  for (auto& c : req.contents) {
    bool user_turn = c.role.empty() || c.role == "user";
    for (auto& part : c.parts) {
      if (!part.text || part.thought || part.text->empty()) continue;
      if ((refused = screen_part(*part.text, user_turn, st, p, info))) break;
      total += part.text->size();
    }
    if (refused) break;
  }
  if (!refused && p.max_request_bytes && total > p.max_request_bytes)
    refused = gemini::error(errc::payload_too_large,
                            "guard: the request's text (" + std::to_string(total) +
                                " bytes) is over the limit of " +
                                std::to_string(p.max_request_bytes) + " (rule size.request)");
  if (opts_.audit) {
    st.rec.tenant = std::string(info.tenant);
    st.rec.user = std::string(info.user);
    st.rec.model = std::string(info.model);
    st.rec.request_id = detail::request_id();
    if (refused) {  // a refused request is recorded too, at once
      st.rec.outcome = "refused";
      st.rec.flags = st.flags();
      st.rec.flags.push_back("refused:" + refused->message.substr(refused->message.rfind(' ') + 1));
      (void)opts_.audit->append(std::move(st.rec));
      return refused;
    }
    auto t = opts_.audit->reserve();
    bool dropped = !t && opts_.audit->options().when_full == audit::when_full::drop &&
                   t.error().code == errc::unavailable;  // counted by the log
    if (!t && !dropped)
      return gemini::error(t.error().code, "guard: no audit record possible: " + t.error().message);
    if (t) {
      st.ticket = std::move(*t);
      st.rec.sanitized = detail::render(req);
    }
  }
  if (refused) return refused;
  if (p.detect_echo && req.system_instruction) {
    std::string si;
    for (auto const& part : req.system_instruction->parts)
      if (part.text) si += *part.text;
    for (std::size_t i = 0; i + p.echo_bytes <= si.size(); i += detail::echo_stride)
      st.echo.push_back(detail::window_hash(std::string_view(si).substr(i, p.echo_bytes)));
    std::sort(st.echo.begin(), st.echo.end());
  }
  return std::nullopt;
}

/// Redact the kinds the policy filters, the blocked terms, then restore the placeholders.
inline std::string standard::transform(std::string_view text, state& st, bool& blocked_term) const {
  const guard::policy& p = *st.pol;
  std::vector<detail::edit> edits;
  if (!p.redact_in_response.empty()) {
    thread_local std::vector<pii_match> found;
    found.clear();
    find_pii(text, p.redact_in_response, found);
    for (auto const& m : found)
      edits.push_back({m.begin, m.end, "[REDACTED_" + std::string(name_of(m.kind)) + "]"});
  }
  if (!p.blocked_terms.empty()) {
    std::string low = detail::lower_ascii(text);
    for (auto const& t : p.blocked_terms) {
      std::string lt = detail::lower_ascii(t);
      for (std::size_t at = low.find(lt); at != std::string::npos;
           at = low.find(lt, at + lt.size())) {
        blocked_term = true;
        edits.push_back({at, at + lt.size(), "[BLOCKED]"});
      }
    }
  }
  if (!st.masks.empty()) {
    for (std::size_t i = text.find('['); i != std::string_view::npos; i = text.find('[', i + 1)) {
      std::size_t n = detail::placeholder_at(text, i);
      if (!n) continue;
      std::string_view ph = text.substr(i, n);
      for (auto const& [k, v] : st.masks)
        if (k == ph) {
          edits.push_back({i, i + n, v});
          break;
        }
    }
  }
  if (edits.empty()) return std::string(text);
  // By start, the longest first: of two overlapping edits the one that covers more wins
  // (a secret that starts with a blocked term is redacted whole).
  std::sort(edits.begin(), edits.end(), [](auto const& a, auto const& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end > b.end;
  });
  std::string out;
  out.reserve(text.size());
  std::size_t at = 0;
  for (auto const& e : edits) {
    if (e.begin < at) {  // overlaps an earlier edit: the earlier one covers its start
      if (e.end > at) {  // and what sticks out past it is blanked too, never shown raw
        out += e.with;
        at = e.end;
      }
      continue;
    }
    out.append(text.substr(at, e.begin - at));
    out += e.with;
    at = e.end;
  }
  out.append(text.substr(at));
  return out;
}

inline std::optional<gemini::error> standard::filter(wire::generate_content_response& resp,
                                                     state& st, const call_info& info) {
  if (!st.pol) st.pol = &policy_for(info.tenant);
  const guard::policy& p = *st.pol;
  auto refuse = [&](std::string rule) {
    report(info, rule, 0, true);
    st.response_flags.push_back("blocked:" + rule);
    return gemini::error(errc::rejected_by_guard, "guard: response refused by rule " + rule);
  };
  std::optional<gemini::error> out = std::move(st.blocked);
  if (!out && p.block_safety_at.value() != wire::harm_probability::unspecified)
    for (auto const& c : resp.candidates)
      for (auto const& r : c.safety_ratings)
        if (r.probability.value() != wire::harm_probability::unrecognized &&
            r.probability.value() >= p.block_safety_at.value() && !out)
          out = refuse("response.safety." + std::string(r.category.str()));
  if (!out && !info.streaming) {  // a stream's text was filtered chunk by chunk
    bool term = false;
    for (auto& c : resp.candidates) {
      if (!c.content) continue;
      for (auto& part : c.content->parts) {
        if (!part.text || part.text->empty()) continue;
        if (!st.echo.empty() && detail::has_window(*part.text, p.echo_bytes, st.echo)) {
          out = refuse("response.system_instruction_echo");
          break;
        }
        *part.text = transform(*part.text, st, term);
      }
      if (out) break;
    }
    if (!out && term) {
      if (p.on_blocked_term == term_action::block)
        out = refuse("response.blocked_term");
      else
        st.response_flags.push_back("redacted:response.blocked_term");
    }
  }
  if (st.ticket) {
    st.rec.response_id = resp.response_id;
    st.rec.outcome = out ? "refused" : "ok";
    st.rec.response = out ? std::string() : resp.text();
    st.rec.flags = st.flags();
    st.ticket.submit(std::move(st.rec));
  }
  return out;
}

inline void standard::filter_chunk(wire::generate_content_response& chunk, state& st,
                                   const call_info& info) {
  if (!st.pol) st.pol = &policy_for(info.tenant);
  const guard::policy& p = *st.pol;
  for (auto& c : chunk.candidates) {
    if (!c.content && !c.finish_reason.has_value()) continue;
    auto idx = static_cast<std::size_t>(std::max(0, c.index));
    if (st.pending.size() <= idx) st.pending.resize(idx + 1);
    std::string& pend = st.pending[idx];
    bool last = c.finish_reason.has_value();
    std::string text = pend;
    wire::part* first = nullptr;
    if (c.content) {
      // Thought summaries are filtered per chunk (not held back); the plain text parts are
      // folded into the first one.
      std::vector<wire::part> parts;
      parts.reserve(c.content->parts.size());
      std::size_t first_at = std::string::npos;
      for (auto& part : c.content->parts) {
        if (part.text && part.thought) {
          bool term = false;
          *part.text = transform(*part.text, st, term);
        } else if (part.text && part.is_text_only()) {
          text += *part.text;
          if (first_at != std::string::npos) continue;
          first_at = parts.size();
        }
        parts.push_back(std::move(part));
      }
      c.content->parts = std::move(parts);
      if (first_at != std::string::npos) first = &c.content->parts[first_at];
    }
    if (st.blocked) {  // refused earlier in the stream: nothing more is shown
      pend.clear();
      if (first) first->text->clear();
      continue;
    }
    // Echo of the system instruction: over what was seen before plus this text.
    if (!st.echo.empty()) {
      std::string window = st.echo_tail + text.substr(pend.size());
      if (detail::has_window(window, p.echo_bytes, st.echo)) {
        report(info, "response.system_instruction_echo", 0, true);
        st.response_flags.push_back("blocked:response.system_instruction_echo");
        st.blocked =
            gemini::error(errc::rejected_by_guard,
                          "guard: response refused by rule response.system_instruction_echo");
        pend.clear();
        if (first) first->text->clear();
        continue;
      }
      std::size_t keep = p.echo_bytes + detail::echo_stride;
      st.echo_tail = window.size() > keep ? window.substr(window.size() - keep) : window;
    }
    std::size_t cut = text.size();
    if (!last) {
      std::size_t hold = 24;  // the longest placeholder
      if (!p.redact_in_response.empty()) hold = std::max(hold, max_pii_length);
      for (auto const& t : p.blocked_terms) hold = std::max(hold, t.size());
      if (!st.echo.empty()) hold = std::max(hold, p.echo_bytes + detail::echo_stride);
      cut = text.size() > hold ? text.size() - hold : 0;
      std::vector<pii_match> found;
      find_pii(text, p.redact_in_response, found);
      std::string low = p.blocked_terms.empty() ? std::string() : detail::lower_ascii(text);
      // Moves the cut back until no rule moves it: not inside a word or number (a match may
      // be growing there), a UTF-8 sequence, a match found in the whole text (an open one
      // reaches its end), a placeholder, a blocked term, or a JWT still arriving.
      for (std::size_t before = cut + 1; before != cut;) {
        before = cut;
        std::size_t floor = cut > hold ? cut - hold : 0;
        while (cut > floor && gemini::guard::detail::is_alnum(text[cut - 1]) &&
               gemini::guard::detail::is_alnum(text[cut]))
          --cut;
        while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xc0) == 0x80) --cut;
        for (auto const& m : found)
          if (m.begin < cut && m.end > cut) cut = m.begin;
        if (cut > 0) {
          std::size_t i = text.rfind('[', cut - 1);
          if (i != std::string::npos && i + 24 > cut && text.find(']', i) >= cut) cut = i;
        }
        for (auto const& t : p.blocked_terms) {
          std::string lt = detail::lower_ascii(t);
          std::size_t from = cut >= lt.size() ? cut - lt.size() + 1 : 0;
          std::size_t at = low.find(lt, from);
          if (at != std::string::npos && at < cut) cut = at;
        }
        if (p.redact_in_response.has(pii_kind::secret) && cut > 0) {
          std::size_t r = cut;  // the base64url/'.' run the cut is in
          while (r > 0 && (gemini::guard::detail::is_b64url(text[r - 1]) || text[r - 1] == '.'))
            --r;
          if (r < cut && std::string_view(text).substr(r).starts_with("eyJ")) cut = r;
        }
      }
    }
    bool term = false;
    std::string shown = transform(std::string_view(text).substr(0, cut), st, term);
    pend = text.substr(cut);
    if (term) {
      if (p.on_blocked_term == term_action::block) {
        report(info, "response.blocked_term", 0, true);
        st.response_flags.push_back("blocked:response.blocked_term");
        st.blocked = gemini::error(errc::rejected_by_guard,
                                   "guard: response refused by rule response.blocked_term");
        shown.clear();
        pend.clear();
      } else if (std::find(st.response_flags.begin(), st.response_flags.end(),
                           "redacted:response.blocked_term") == st.response_flags.end()) {
        st.response_flags.push_back("redacted:response.blocked_term");
      }
    }
    if (first) {
      *first->text = std::move(shown);
    } else if (!shown.empty()) {
      if (!c.content) c.content.emplace().role = "model";
      c.content->parts.push_back(wire::part::from_text(std::move(shown)));
    }
  }
}

}  // namespace guard
}  // namespace v1
}  // namespace gemini
