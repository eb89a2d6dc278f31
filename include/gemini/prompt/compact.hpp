// gemini-cxx — token-saving rewrites of a request that keep its meaning.
//
//   auto saved = gemini::prompt::compact(req);        // whitespace, repeated paragraphs
//   auto cut = gemini::prompt::trim_history(req, 8'000);  // the oldest turns, to fit
//
// compact(): in every text part (contents and systemInstruction), runs of spaces and tabs
// inside a line become one space, spaces at line ends go, and more than one blank line
// becomes one; indentation at the start of a line and everything inside ``` fences is
// kept (code and its indentation mean something). A paragraph (text between blank lines)
// of at least `min_paragraph` bytes that repeats, whitespace aside, an earlier one of the
// request is dropped (never the whole of a part). A paragraph that is one JSON object or
// array is minified (whitespace between tokens only). Thought parts, function calls and responses
// and media are never touched.
//
// trim_history(): drops the oldest turns until the request's estimated prompt fits. It
// keeps the system instruction, the tools and the last turn; it removes whole exchanges,
// so the conversation still starts with a user turn that is not a function response.
//
// Tokens are estimated as the pipeline and the emulator estimate them (UTF-8 bytes / 4,
// detail::estimate_prompt_tokens); docs/cost.md gives the savings on a small corpus.
#pragma once

#include <gemini/cost/price_table.hpp>
#include <gemini/error.hpp>
#include <gemini/wire/types.hpp>

#include <boost/json/parse.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace gemini {
inline namespace v1 {
namespace prompt {

struct compact_options {
  bool whitespace = true;
  bool repeated_paragraphs = true;
  /// A paragraph that is one JSON object or array loses the whitespace between its tokens
  /// (strings and numbers are kept as written).
  bool minify_json = true;
  std::size_t min_paragraph = 64;  ///< shorter paragraphs ("Yes.", "Thanks!") always stay
};

/// What compact() changed.
struct compaction {
  std::size_t bytes_before = 0;  ///< text bytes of the request's text parts
  std::size_t bytes_after = 0;
  std::size_t paragraphs_dropped = 0;
};

/// What trim_history() changed.
struct trimming {
  std::size_t turns_dropped = 0;
  std::int64_t tokens_before = 0;  ///< estimated prompt tokens
  std::int64_t tokens_after = 0;
};

namespace detail {

inline std::int64_t text_tokens(std::size_t bytes) {
  return static_cast<std::int64_t>((bytes + 3) / 4);
}

/// The text bytes of one content (thought parts included: they are sent back too).
inline std::size_t content_bytes(const wire::content& c) {
  std::size_t n = c.role.size() + 16;  // the role and the JSON around a turn
  for (auto& p : c.parts) {
    if (p.text) n += p.text->size();
    if (p.inline_data) n += p.inline_data->data.size();
    if (p.function_call || p.function_response || p.executable_code || p.code_execution_result)
      n += 64;  // their JSON; an estimate
  }
  return n;
}

/// The estimated prompt tokens of a request: its text bytes / 4.
inline std::int64_t estimate_prompt_tokens(const wire::generate_content_request& req) {
  std::size_t n = 0;
  for (auto& c : req.contents) n += content_bytes(c);
  if (req.system_instruction) n += content_bytes(*req.system_instruction);
  return text_tokens(n);
}

inline bool blank(std::string_view line) {
  return line.find_first_not_of(" \t\r") == std::string_view::npos;
}

/// A paragraph's identity for "repeated": its words joined by single spaces.
inline std::string normalized(std::string_view para) {
  std::string out;
  bool space = false;
  for (char ch : para) {
    if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += ch;
  }
  return out;
}

/// The JSON text without whitespace between tokens, or empty when it is not one JSON
/// object or array.
inline std::string minified_json(std::string_view text) {
  auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos || (text[first] != '{' && text[first] != '[')) return {};
  boost::system::error_code ec;
  (void)boost::json::parse(text, ec);
  if (ec) return {};
  std::string out;
  out.reserve(text.size());
  bool in_string = false, escaped = false;
  for (char ch : text) {
    if (in_string) {
      out += ch;
      if (escaped)
        escaped = false;
      else if (ch == '\\')
        escaped = true;
      else if (ch == '"')
        in_string = false;
      continue;
    }
    if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n') continue;
    if (ch == '"') in_string = true;
    out += ch;
  }
  return out;
}

/// One line without runs of inner spaces or trailing spaces; leading indentation kept.
inline void squeeze_line(std::string_view line, std::string& out) {
  std::size_t indent = line.find_first_not_of(" \t");
  if (indent == std::string_view::npos) return;
  out.append(line.substr(0, indent));
  bool space = false;
  for (std::size_t i = indent; i < line.size(); ++i) {
    char ch = line[i];
    if (ch == ' ' || ch == '\t') {
      space = true;
      continue;
    }
    if (ch == '\r' && i + 1 == line.size()) continue;
    if (space) out += ' ';
    space = false;
    out += ch;
  }
}

}  // namespace detail

/// One text compacted (see the top of this file). `seen` holds the normalized paragraphs
/// met before (across the parts of one request); pass null to keep repeats.
inline std::string compact_text(std::string_view text, const compact_options& o,
                                std::unordered_set<std::string>* seen, std::size_t* dropped) {
  std::string out;
  out.reserve(text.size());
  // Split into lines; group lines into paragraphs (outside fences) to find repeats.
  std::vector<std::string_view> lines;
  for (std::size_t pos = 0; pos <= text.size();) {
    auto nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    lines.push_back(text.substr(pos, nl - pos));
    pos = nl + 1;
  }
  bool fenced = false;
  std::size_t blanks = 0;              // blank lines pending
  bool wrote = false;                  // something written yet
  std::vector<std::string_view> para;  // the paragraph being gathered (outside fences)
  auto emit_line = [&](std::string_view line, bool squeeze) {
    if (wrote) out += '\n';
    if (squeeze)
      detail::squeeze_line(line, out);
    else
      out.append(line);
    wrote = true;
  };
  auto flush_para = [&] {
    if (para.empty()) return;
    std::size_t bytes = 0;
    for (auto l : para) bytes += l.size() + 1;
    bool repeat = false;
    if (o.repeated_paragraphs && seen && bytes >= o.min_paragraph) {
      std::string joined;
      for (auto l : para) (joined += l) += '\n';
      repeat = !seen->insert(detail::normalized(joined)).second;
    }
    if (repeat) {
      if (dropped) ++*dropped;
    } else {
      if (wrote && blanks > 0) {
        out += '\n';  // one blank line between paragraphs
        if (!o.whitespace)
          for (std::size_t i = 1; i < blanks; ++i) out += '\n';
      }
      std::string json;
      if (o.minify_json) {
        std::string joined;
        for (auto l : para) (joined += l) += '\n';
        json = detail::minified_json(joined);
      }
      if (!json.empty())
        emit_line(json, false);
      else
        for (auto l : para) emit_line(l, o.whitespace);
    }
    para.clear();
    blanks = 0;
  };
  for (std::size_t i = 0; i < lines.size(); ++i) {
    auto line = lines[i];
    const auto first = line.find_first_not_of(" \t");
    const bool fence = first != std::string_view::npos && line.substr(first).starts_with("```");
    if (fenced) {
      emit_line(line, false);
      if (fence) fenced = false;
      continue;
    }
    if (fence) {
      flush_para();
      if (wrote && blanks > 0) out += '\n';
      blanks = 0;
      emit_line(line, false);
      fenced = true;
      continue;
    }
    if (detail::blank(line)) {
      if (!para.empty()) flush_para();
      ++blanks;
      continue;
    }
    para.push_back(line);
  }
  flush_para();
  if (!o.whitespace && blanks > 0)  // trailing blank lines, kept when whitespace is kept
    for (std::size_t i = 0; i < blanks; ++i) out += '\n';
  return out;
}

inline std::string compact_text(std::string_view text, const compact_options& o = {}) {
  std::unordered_set<std::string> seen;
  return compact_text(text, o, &seen, nullptr);
}

/// Compacts every text part of the request in place.
inline compaction compact(wire::generate_content_request& req, const compact_options& o = {}) {
  compaction r;
  std::unordered_set<std::string> seen;
  auto one = [&](wire::content& c) {
    for (auto& p : c.parts) {
      if (!p.text || p.thought || !p.thought_signature.empty()) continue;
      r.bytes_before += p.text->size();
      std::size_t dropped = 0;
      auto out = compact_text(*p.text, o, &seen, &dropped);
      // A part is never emptied by dropping repeats (an empty turn is an invalid request).
      if (out.empty() && dropped > 0) {
        out = compact_text(*p.text, o, nullptr, nullptr);
        dropped = 0;
      }
      if (out.empty() && !p.text->empty()) out = *p.text;  // whitespace only: left as it was
      r.paragraphs_dropped += dropped;
      *p.text = std::move(out);
      r.bytes_after += p.text->size();
    }
  };
  if (req.system_instruction) one(*req.system_instruction);
  for (auto& c : req.contents) one(c);
  return r;
}

/// Drops the oldest turns until the estimated prompt is at most `max_prompt_tokens`.
/// errc::invalid_argument when even the system instruction, the tools and the last turn
/// do not fit (the request is left unchanged then).
inline result<trimming> trim_history(wire::generate_content_request& req,
                                     std::int64_t max_prompt_tokens) {
  trimming t;
  t.tokens_before = t.tokens_after = detail::estimate_prompt_tokens(req);
  if (t.tokens_before <= max_prompt_tokens) return t;
  // A valid start: a user turn that is not a function response (those answer the
  // model's call just before them).
  auto starts = [&](std::size_t i) {
    auto& c = req.contents[i];
    if (c.role != "user") return false;
    for (auto& p : c.parts)
      if (p.function_response) return false;
    return true;
  };
  std::vector<std::int64_t> bytes;
  std::size_t total = 0;
  for (auto& c : req.contents) bytes.push_back(static_cast<std::int64_t>(detail::content_bytes(c)));
  for (auto b : bytes) total += static_cast<std::size_t>(b);
  const std::size_t fixed =
      req.system_instruction ? detail::content_bytes(*req.system_instruction) : 0;
  std::size_t cut = 0, cut_bytes = 0, dropped_bytes = 0;
  for (std::size_t i = 1; i < req.contents.size(); ++i) {  // the last turn always stays
    dropped_bytes += static_cast<std::size_t>(bytes[i - 1]);
    if (!starts(i)) continue;
    cut = i;
    cut_bytes = dropped_bytes;
    if (detail::text_tokens(fixed + total - cut_bytes) <= max_prompt_tokens) break;
  }
  const auto after = detail::text_tokens(fixed + total - cut_bytes);
  if (after > max_prompt_tokens)
    return gemini::error(errc::invalid_argument,
                         "the prompt cannot be trimmed to " + std::to_string(max_prompt_tokens) +
                             " tokens: the system instruction and the turns that must stay are "
                             "estimated at " +
                             std::to_string(after));
  req.contents.erase(req.contents.begin(), req.contents.begin() + static_cast<std::ptrdiff_t>(cut));
  t.turns_dropped = cut;
  t.tokens_after = after;
  return t;
}

/// The estimated cost of the request's prompt (its input alone) at `model`'s price.
inline result<cost::money> prompt_cost(const wire::generate_content_request& req,
                                       const cost::price_table& prices, std::string_view model,
                                       std::string_view date) {
  return cost::worst_case(prices, model, date, detail::estimate_prompt_tokens(req), 0);
}

/// trim_history() to a cost: the oldest turns go until the prompt's estimated cost at
/// `model`'s input price is at most `max_cost`.
inline result<trimming> trim_to_cost(wire::generate_content_request& req, cost::money max_cost,
                                     const cost::price_table& prices, std::string_view model,
                                     std::string_view date) {
  auto one = cost::worst_case(prices, model, date, 1, 0);  // one input token
  if (!one) return std::move(one).error();
  if (one->pico() <= 0) return trim_history(req, INT64_MAX);
  return trim_history(req, max_cost.pico() / one->pico());
}

}  // namespace prompt
}  // namespace v1
}  // namespace gemini
