// gemini-cxx — a client's whole configuration (client_config<S>) read from a JSON document;
// every bad field is named in the one error returned.
//
//   auto cfg = gemini::config_from_file<gemini::basic_config<my_policies>>("gemini.json");
//   if (!cfg) {                        // errc::bad_configuration, one "path: problem" a line
//     std::cerr << cfg.error().message << '\n';
//     return 1;
//   }
//   gemini::basic_client<my_policies> c(ex, std::move(*cfg));
//
// The document is an object with the sections "client", "transport", "cache", "limit",
// "breaker", "retry", "route", "budget", "guard" and "observe", each optional; a field not
// given keeps its default (the client's defaults come from the environment, as in
// client_config). The fields of a section are the members its options type describes with
// Boost.Describe; members that hold a std::function are not described, so a key naming
// one is an unknown field. Nothing is ignored: unknown sections and fields, keys given
// twice, wrong types, out-of-range numbers, durations without a unit, unknown enum names
// and the semantic rules below are all errors. docs/configuration.md has the rules and
// every section's fields.
//
// Thread safety: both functions are reentrant (they read the environment with getenv and,
// for {"file": ...} keys, the files named). They never throw for bad input.
#pragma once

#include <gemini/breaker/consecutive_failures.hpp>
#include <gemini/breaker/sliding_window.hpp>
#include <gemini/client_config.hpp>
#include <gemini/config.hpp>
#include <gemini/error.hpp>
#include <gemini/limit/token_bucket.hpp>
#include <gemini/retry/exponential.hpp>
#include <gemini/route/endpoint.hpp>
#include <gemini/transport/http.hpp>
#include <gemini/transport/proxy.hpp>

#include <boost/describe/class.hpp>
#include <boost/describe/enumerators.hpp>
#include <boost/describe/members.hpp>
#include <boost/describe/modifiers.hpp>
#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_stack.hpp>
#include <boost/mp11/algorithm.hpp>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <numeric>
#include <optional>
#include <ratio>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace gemini {
inline namespace v1 {

/// Reads a client_config<S> (gemini::basic_config<Policies>) from the JSON document `text`.
/// On failure: errc::bad_configuration; the message is "malformed JSON at line L, column C
/// (offset N): ..." for a document that is not JSON, else one "path: problem" line for
/// every problem found (e.g. "limit.burst: expected a number, got string").
template <class Config>
result<Config> config_from_json(std::string_view text);

/// config_from_json on the contents of the file `path`; a file that cannot be read is
/// errc::bad_configuration naming the path.
template <class Config>
result<Config> config_from_file(const std::string& path);

// client_options lives in config.hpp, which stays free of Boost.Describe; it is described
// here, where it is read.
BOOST_DESCRIBE_STRUCT(client_options, (),
                      (key, base_url, model, timeout, attempt_timeout, max_request_bytes))

namespace detail {
namespace config_json {

namespace json = boost::json;
namespace desc = boost::describe;

/// The problems found so far, one "path: problem" line each.
class problems {
 public:
  void add(std::string_view path, std::string_view what) {
    std::string line(path);
    line += ": ";
    line += what;
    lines_.push_back(std::move(line));
    paths_.emplace_back(path);
  }
  bool empty() const noexcept { return lines_.empty(); }
  /// True when a problem was reported at `path` or inside it (its fields, its elements).
  bool reported_in(std::string_view path) const noexcept {
    for (std::string_view q : paths_)
      if (q.substr(0, path.size()) == path &&
          (q.size() == path.size() || q[path.size()] == '.' || q[path.size()] == '['))
        return true;
    return false;
  }
  std::string joined() const {
    std::string s;
    for (auto const& l : lines_) {
      if (!s.empty()) s += '\n';
      s += l;
    }
    return s;
  }

 private:
  std::vector<std::string> lines_;
  std::vector<std::string> paths_;
};

inline std::string field_path(std::string_view path, std::string_view name) {
  std::string s(path);
  if (!s.empty()) s += '.';
  s += name;
  return s;
}

inline std::string element_path(std::string_view path, std::size_t i) {
  return std::string(path) + '[' + std::to_string(i) + ']';
}

inline const char* kind_name(const json::value& v) noexcept {
  switch (v.kind()) {
    case json::kind::null: return "null";
    case json::kind::bool_: return "boolean";
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_: return "number";
    case json::kind::string: return "string";
    case json::kind::array: return "array";
    case json::kind::object: return "object";
  }
  return "value";
}

/// `s` as a JSON string literal: quoted, control characters escaped (a line stays a line).
inline std::string quoted(std::string_view s) {
  return json::serialize(json::string_view(s.data(), s.size()));
}

inline std::string number_text(double d) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, d);
  return std::string(buf, r.ptr);
}

/// A JSON number as written back in a message ("1.5", "-3", "18446744073709551615").
inline std::string number_text(const json::value& v) {
  if (v.is_int64()) return std::to_string(v.get_int64());
  if (v.is_uint64()) return std::to_string(v.get_uint64());
  return number_text(v.get_double());
}

inline double number_of(const json::value& v) noexcept {
  if (v.is_int64()) return static_cast<double>(v.get_int64());
  if (v.is_uint64()) return static_cast<double>(v.get_uint64());
  return v.get_double();
}

inline std::string expected(std::string_view what, const json::value& got) {
  return "expected " + std::string(what) + ", got " + kind_name(got);
}

template <class>
inline constexpr bool dependent_false = false;

template <class T>
inline constexpr bool is_duration = false;
template <class Rep, class Period>
inline constexpr bool is_duration<std::chrono::duration<Rep, Period>> = true;

template <class T>
inline constexpr bool is_vector = false;
template <class T, class A>
inline constexpr bool is_vector<std::vector<T, A>> = true;

template <class T>
inline constexpr bool is_optional = false;
template <class T>
inline constexpr bool is_optional<std::optional<T>> = true;

template <class T>
inline constexpr bool is_described_struct =
    std::is_class_v<T>&& desc::has_describe_members<T>::value;

template <class T>
using fields_of = desc::describe_members<T, desc::mod_public | desc::mod_inherited>;

/// "a, b, c": the described members of T, bases' first.
template <class T>
std::string field_names() {
  std::string s;
  boost::mp11::mp_for_each<fields_of<T>>([&](auto d) {
    if (!s.empty()) s += ", ";
    s += d.name;
  });
  return s;
}

template <class E>
std::string enumerator_names() {
  std::string s;
  boost::mp11::mp_for_each<desc::describe_enumerators<E>>([&](auto d) {
    if (!s.empty()) s += ", ";
    s += d.name;
  });
  return s;
}

/// The whole file, or why not.
/// At most `max_bytes` (a configuration or a key is small: /dev/zero is refused, not read
/// until memory runs out).
inline result<std::string> read_text_file(const std::string& path, std::size_t max_bytes) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return gemini::error(errc::bad_configuration, std::strerror(errno));
  std::string s;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) {
    if (s.size() + n > max_bytes) {
      std::fclose(f);
      return gemini::error(errc::bad_configuration,
                           "larger than " + std::to_string(max_bytes) + " bytes");
    }
    s.append(buf, n);
  }
  bool failed = std::ferror(f) != 0;
  int err = errno;
  std::fclose(f);
  if (failed) return gemini::error(errc::bad_configuration, std::strerror(err));
  return s;
}

// ---- JSON text → value, with keys given twice reported ----------------------------------

/// A basic_parser handler that builds the value (as boost::json::parser does) and reports
/// a key given twice in one object: the DOM keeps only the last one, which would ignore
/// the others.
class dom_handler {
 public:
  static constexpr std::size_t max_object_size = json::object::max_size();
  static constexpr std::size_t max_array_size = json::array::max_size();
  static constexpr std::size_t max_key_size = json::string::max_size();
  static constexpr std::size_t max_string_size = json::string::max_size();

  explicit dom_handler(problems& p) : problems_(&p) {}

  json::value_stack stack;

  bool on_document_begin(json::error_code&) { return true; }
  bool on_document_end(json::error_code&) { return true; }
  bool on_object_begin(json::error_code&) {
    frames_.push_back({true, 0, {}, {}});
    return true;
  }
  bool on_object_end(std::size_t n, json::error_code&) {
    stack.push_object(n);
    frames_.pop_back();
    value_done();
    return true;
  }
  bool on_array_begin(json::error_code&) {
    frames_.push_back({false, 0, {}, {}});
    return true;
  }
  bool on_array_end(std::size_t n, json::error_code&) {
    stack.push_array(n);
    frames_.pop_back();
    value_done();
    return true;
  }
  bool on_key_part(json::string_view s, std::size_t, json::error_code&) {
    stack.push_chars(s);
    key_.append(s.data(), s.size());
    return true;
  }
  bool on_key(json::string_view s, std::size_t, json::error_code&) {
    stack.push_key(s);
    key_.append(s.data(), s.size());
    auto& f = frames_.back();
    f.key = key_;
    if (std::find(f.keys.begin(), f.keys.end(), key_) != f.keys.end())
      problems_->add(path(), "given more than once (each field may appear once)");
    else
      f.keys.push_back(key_);
    key_.clear();
    return true;
  }
  bool on_string_part(json::string_view s, std::size_t, json::error_code&) {
    stack.push_chars(s);
    return true;
  }
  bool on_string(json::string_view s, std::size_t, json::error_code&) {
    stack.push_string(s);
    value_done();
    return true;
  }
  bool on_number_part(json::string_view, json::error_code&) { return true; }
  bool on_int64(std::int64_t i, json::string_view, json::error_code&) {
    stack.push_int64(i);
    value_done();
    return true;
  }
  bool on_uint64(std::uint64_t u, json::string_view, json::error_code&) {
    stack.push_uint64(u);
    value_done();
    return true;
  }
  bool on_double(double d, json::string_view, json::error_code&) {
    stack.push_double(d);
    value_done();
    return true;
  }
  bool on_bool(bool b, json::error_code&) {
    stack.push_bool(b);
    value_done();
    return true;
  }
  bool on_null(json::error_code&) {
    stack.push_null();
    value_done();
    return true;
  }
  bool on_comment_part(json::string_view, json::error_code&) { return true; }
  bool on_comment(json::string_view, json::error_code&) { return true; }

 private:
  struct frame {
    bool object;
    std::size_t index;              // arrays: the element being read
    std::string key;                // objects: the member being read
    std::vector<std::string> keys;  // objects: the keys seen
  };

  void value_done() {
    if (!frames_.empty() && !frames_.back().object) ++frames_.back().index;
  }
  std::string path() const {
    std::string s;
    for (auto const& f : frames_) {
      if (f.object)
        s = field_path(s, f.key);
      else
        s = element_path(s, f.index);
    }
    return s;
  }

  problems* problems_;
  std::vector<frame> frames_;
  std::string key_;
};

/// The document, or nothing with the syntax error (or the keys given twice) in `p`.
inline std::optional<json::value> parse(std::string_view text, problems& p) {
  json::basic_parser<dom_handler> parser(json::parse_options{}, p);
  parser.handler().stack.reset();
  json::error_code ec;
  std::size_t n = parser.write_some(false, text.data(), text.size(), ec);
  if (!ec && n < text.size()) ec = json::error::extra_data;
  if (ec) {
    std::size_t line = 1, column = 1;
    for (std::size_t i = 0; i < n && i < text.size(); ++i) {
      if (text[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    problems syntax;
    syntax.add("malformed JSON at line " + std::to_string(line) + ", column " +
                   std::to_string(column) + " (offset " + std::to_string(n) + ")",
               ec.message());
    p = std::move(syntax);
    return std::nullopt;
  }
  return parser.handler().stack.release();
}

// ---- leaves ------------------------------------------------------------------------------

inline void read_bool(const json::value& v, bool& out, const std::string& path, problems& p) {
  if (v.is_bool())
    out = v.get_bool();
  else
    p.add(path, expected("true or false", v));
}

template <class T>
void read_integer(const json::value& v, T& out, const std::string& path, problems& p) {
  using limits = std::numeric_limits<T>;
  auto out_of_range = [&] {
    p.add(path, "out of range: " + number_text(v) + " (expected " + std::to_string(limits::min()) +
                    " to " + std::to_string(limits::max()) + ")");
  };
  auto negative = [&] { p.add(path, "expected a non-negative integer, got " + number_text(v)); };
  if (v.is_int64()) {
    auto i = v.get_int64();
    if (std::is_unsigned_v<T> && i < 0) return negative();
    if (!std::in_range<T>(i)) return out_of_range();
    out = static_cast<T>(i);
  } else if (v.is_uint64()) {
    auto u = v.get_uint64();
    if (!std::in_range<T>(u)) return out_of_range();
    out = static_cast<T>(u);
  } else if (v.is_double()) {
    double d = v.get_double();
    if (!std::isfinite(d) || std::trunc(d) != d)
      return p.add(path, "expected an integer, got " + number_text(d));
    if (std::is_unsigned_v<T> && d < 0) return negative();
    // [min, 2^digits): both bounds are exact in a double.
    double top = std::ldexp(1.0, limits::digits);
    if (d < static_cast<double>(limits::min()) || d >= top) return out_of_range();
    out = static_cast<T>(d);
  } else {
    p.add(path, expected(std::is_unsigned_v<T> ? "a non-negative integer" : "an integer", v));
  }
}

template <class T>
void read_floating(const json::value& v, T& out, const std::string& path, problems& p) {
  if (!v.is_number()) return p.add(path, expected("a number", v));
  double d = number_of(v);
  if (!std::isfinite(d) || std::fabs(d) > static_cast<double>(std::numeric_limits<T>::max()))
    return p.add(path, "out of range: " + number_text(v));
  out = static_cast<T>(d);
}

inline void read_string(const json::value& v, std::string& out, const std::string& path,
                        problems& p) {
  if (v.is_string())
    out.assign(v.get_string().data(), v.get_string().size());
  else
    p.add(path, expected("a string", v));
}

inline constexpr std::string_view duration_units = "ns, us, ms, s, m, h";

/// Nanoseconds in one `unit`, 0 for no such unit.
inline std::int64_t unit_nanoseconds(std::string_view unit) noexcept {
  if (unit == "ns") return 1;
  if (unit == "us") return 1'000;
  if (unit == "ms") return 1'000'000;
  if (unit == "s") return 1'000'000'000;
  if (unit == "m") return 60'000'000'000;
  if (unit == "h") return 3'600'000'000'000;
  return 0;
}

template <class Period>
constexpr const char* period_name() noexcept {
  if constexpr (std::is_same_v<Period, std::nano>) return "nanoseconds";
  if constexpr (std::is_same_v<Period, std::micro>) return "microseconds";
  if constexpr (std::is_same_v<Period, std::milli>) return "milliseconds";
  if constexpr (std::is_same_v<Period, std::ratio<1>>) return "seconds";
  if constexpr (std::is_same_v<Period, std::ratio<60>>) return "minutes";
  if constexpr (std::is_same_v<Period, std::ratio<3600>>) return "hours";
  return "its unit";
}

/// "1.5s" → 1'500'000'000; an error message instead when it is not a duration.
inline result<std::int64_t> parse_duration(std::string_view s) {
  auto bad = [&](std::string why) {
    return gemini::error(errc::bad_configuration, std::move(why));
  };
  const std::string units = " (units: " + std::string(duration_units) + ")";
  if (!s.empty() && s.front() == '-') return bad("a duration cannot be negative, got " + quoted(s));
  std::size_t i = 0;
  std::int64_t whole = 0;
  bool overflow = false;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
    overflow |= __builtin_mul_overflow(whole, 10, &whole);
    overflow |= __builtin_add_overflow(whole, s[i] - '0', &whole);
    ++i;
  }
  bool has_whole = i > 0;
  std::string_view fraction;
  if (i < s.size() && s[i] == '.') {
    std::size_t begin = ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    fraction = s.substr(begin, i - begin);
    if (fraction.empty()) has_whole = false;  // "1." is not a number
  }
  if (!has_whole)
    return bad(quoted(s) + " is not a duration: write a number and a unit, e.g. \"250ms\" or " +
               "\"1.5s\"" + units);
  std::string_view unit = s.substr(i);
  if (unit.empty()) return bad(quoted(s) + " has no unit; add one" + units);
  std::int64_t per_unit = unit_nanoseconds(unit);
  if (per_unit == 0) return bad("unknown unit " + quoted(unit) + " in " + quoted(s) + units);
  while (!fraction.empty() && fraction.back() == '0') fraction.remove_suffix(1);
  std::int64_t part = 0;  // the fraction in nanoseconds
  if (!fraction.empty()) {
    if (fraction.size() > 18) return bad(quoted(s) + " is finer than a nanosecond");
    std::int64_t digits = 0, scale = 1;
    for (char c : fraction) {
      digits = digits * 10 + (c - '0');
      scale *= 10;
    }
    // part = digits * per_unit / scale, exactly.
    std::int64_t g = std::gcd(per_unit, scale);
    if (digits % (scale / g) != 0) return bad(quoted(s) + " is finer than a nanosecond");
    overflow |= __builtin_mul_overflow(digits / (scale / g), per_unit / g, &part);
  }
  std::int64_t total = 0;
  overflow |= __builtin_mul_overflow(whole, per_unit, &total);
  overflow |= __builtin_add_overflow(total, part, &total);
  if (overflow) return bad(quoted(s) + " is too large");
  return total;
}

template <class Rep, class Period>
void read_duration(const json::value& v, std::chrono::duration<Rep, Period>& out,
                   const std::string& path, problems& p) {
  using ticks = std::ratio_divide<Period, std::nano>;  // nanoseconds per tick
  static_assert(ticks::den == 1,
                "gemini::config_from_json: a duration field's period must be a whole number of "
                "nanoseconds");
  if (v.is_number())
    return p.add(path, "a bare number is not a duration; add a unit, e.g. \"" + number_text(v) +
                           "s\" or \"" + number_text(v) +
                           "ms\" (units: " + std::string(duration_units) + ")");
  if (!v.is_string()) return p.add(path, expected("a duration such as \"250ms\" or \"30s\"", v));
  std::string_view s(v.get_string().data(), v.get_string().size());
  auto ns = parse_duration(s);
  if (!ns) return p.add(path, ns.error().message);
  if constexpr (std::is_floating_point_v<Rep>) {
    out = std::chrono::duration_cast<std::chrono::duration<Rep, Period>>(
        std::chrono::nanoseconds(*ns));
  } else {
    if (*ns % ticks::num != 0)
      return p.add(path, quoted(s) + " is not a whole number of " + period_name<Period>());
    auto count = *ns / ticks::num;
    if (!std::in_range<Rep>(count)) return p.add(path, quoted(s) + " is too large");
    out = std::chrono::duration<Rep, Period>(static_cast<Rep>(count));
  }
}

template <class E>
void read_enum(const json::value& v, E& out, const std::string& path, problems& p) {
  static_assert(desc::has_describe_enumerators<E>::value,
                "gemini::config_from_json: an enum field must be described with "
                "BOOST_DESCRIBE_ENUM (or left out of its struct's description)");
  if (!v.is_string())
    return p.add(path, expected("a string (one of: " + enumerator_names<E>() + ")", v));
  std::string_view s(v.get_string().data(), v.get_string().size());
  bool found = false;
  boost::mp11::mp_for_each<desc::describe_enumerators<E>>([&](auto d) {
    if (!found && s == d.name) {
      out = d.value;
      found = true;
    }
  });
  if (!found)
    p.add(path, "unknown value " + quoted(s) + " (expected one of: " + enumerator_names<E>() + ")");
}

/// A key is one word of printable ASCII: anything else (a second line of a key file, a
/// stray space) would be sent in the header.
inline bool plausible_key(std::string_view k) noexcept {
  return !k.empty() && std::all_of(k.begin(), k.end(), [](char c) { return c > ' ' && c < 127; });
}

inline std::string_view trim_space(std::string_view s) noexcept {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

/// {"env": "VAR"} or {"file": "/path"}; never the key itself.
inline void read_api_key(const json::value& v, api_key& out, const std::string& path, problems& p) {
  const char* shape = "{\"env\": \"VARIABLE\"} or {\"file\": \"/path/to/key\"}";
  if (v.is_string())
    return p.add(path, std::string("write the key in the environment or a file, not in the "
                                   "configuration: ") +
                           shape);
  if (!v.is_object()) return p.add(path, expected(shape, v));
  const auto& o = v.get_object();
  const json::value* env = nullptr;
  const json::value* file = nullptr;
  bool bad = false;
  for (auto const& kv : o) {
    if (kv.key() == "env")
      env = &kv.value();
    else if (kv.key() == "file")
      file = &kv.value();
    else {
      p.add(field_path(path, kv.key()), "unknown field (expected one of: env, file)");
      bad = true;
    }
  }
  if (env && file) return p.add(path, "give either \"env\" or \"file\", not both");
  if (!env && !file) {
    if (!bad) p.add(path, std::string("expected ") + shape + ", got an empty object");
    return;
  }
  const json::value& where = env ? *env : *file;
  std::string where_path = field_path(path, env ? "env" : "file");
  if (!where.is_string()) return p.add(where_path, expected("a string", where));
  std::string name(where.get_string().data(), where.get_string().size());
  if (name.empty()) return p.add(where_path, "must not be empty");
  if (bad) return;
  if (env) {
    const char* value = std::getenv(name.c_str());
    if (!value || !*value)
      return p.add(path, "the environment variable " + name + " is not set (or is empty)");
    if (!plausible_key(value))
      return p.add(path, "the environment variable " + name +
                             " does not hold a key (it has spaces or control characters)");
    out = api_key(value);
    return;
  }
  auto text = read_text_file(name, 64 * 1024);
  if (!text)
    return p.add(path, "cannot read the key file " + quoted(name) + ": " + text.error().message);
  std::string_view key = trim_space(*text);
  if (key.empty()) return p.add(path, "the key file " + quoted(name) + " is empty");
  if (!plausible_key(key))
    return p.add(path, "the key file " + quoted(name) +
                           " holds more than a key (spaces or control characters inside)");
  out = api_key(std::string(key));
}

/// A URL string ("http://proxy.corp:3128"); the URL is not repeated in the message.
inline void read_base_url(const json::value& v, transport::base_url& out, const std::string& path,
                          problems& p) {
  if (!v.is_string()) return p.add(path, expected("a URL string", v));
  auto parsed =
      transport::parse_base_url(std::string_view(v.get_string().data(), v.get_string().size()));
  if (!parsed) {
    // "base URL '<url>': why" → why (a URL may hold a password).
    const std::string& m = parsed.error().message;
    auto cut = m.rfind("': ");
    return p.add(path, "not a valid URL: " + (cut == std::string::npos ? m : m.substr(cut + 3)));
  }
  out = std::move(*parsed);
}

inline void read_no_options(const json::value& v, const std::string& path, problems& p) {
  if (v.is_null() || (v.is_object() && v.get_object().empty())) return;
  p.add(path, "the " + path + " slot's policy takes no options; remove the section");
}

// ---- semantic rules, one line a rule -----------------------------------------------------

/// Reports a rule broken by one field of the struct at `path`.
class checker {
 public:
  checker(const std::string& path, problems& p) : path_(path), p_(p) {}

  /// A rule broken by `field`; not reported when reading `field` already failed (its value
  /// is then the default, or a partial one).
  void fail(std::string_view field, std::string_view what) {
    auto path = field_path(path_, field);
    if (!p_.reported_in(path)) p_.add(path, what);
  }
  template <class V>
  void at_least(std::string_view field, V v, V min) {
    if (!(v >= min)) fail(field, "must be at least " + text(min) + " (got " + text(v) + ")");
  }
  template <class V>
  void positive(std::string_view field, V v) {
    if (!(v > V{})) fail(field, "must be greater than 0 (got " + text(v) + ")");
  }
  void within(std::string_view field, double v, double lo, double hi) {
    if (!(v >= lo && v <= hi))
      fail(field, "must be between " + text(lo) + " and " + text(hi) + " (got " + text(v) + ")");
  }
  void non_empty(std::string_view field, const std::string& s) {
    if (s.empty()) fail(field, "must not be empty");
  }
  void url(std::string_view field, const std::string& s) {
    if (s.empty()) return fail(field, "must not be empty");
    auto parsed = transport::parse_base_url(s);
    if (parsed) return;
    const std::string& m = parsed.error().message;
    auto cut = m.rfind("': ");
    fail(field, "not a valid URL: " + (cut == std::string::npos ? m : m.substr(cut + 3)));
  }

 private:
  static std::string text(double v) { return number_text(v); }
  static std::string text(int v) { return std::to_string(v); }
  template <class Rep, class Period>
  static std::string text(std::chrono::duration<Rep, Period> d) {
    return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count()) + "ms";
  }

  const std::string& path_;
  problems& p_;
};

template <class T>
void rules(const T&, checker&) {}

inline void rules(const client_options& o, checker& c) {
  c.url("base_url", o.base_url);
  c.non_empty("model", o.model);
  c.positive("timeout", o.timeout);
  c.positive("attempt_timeout", o.attempt_timeout);
}
inline void rules(const limit::token_bucket_options& o, checker& c) {
  c.at_least("requests_per_minute", o.requests_per_minute, 0.0);
  c.at_least("tokens_per_minute", o.tokens_per_minute, 0.0);
  c.positive("burst", o.burst);
}
inline void rules(const breaker::consecutive_failures_options& o, checker& c) {
  c.at_least("failure_threshold", o.failure_threshold, 1);
}
inline void rules(const breaker::sliding_window_options& o, checker& c) {
  c.within("failure_rate_threshold", o.failure_rate_threshold, 0.0, 1.0);
  c.within("slow_call_rate_threshold", o.slow_call_rate_threshold, 0.0, 1.0);
}
inline void rules(const retry::exponential_options& o, checker& c) {
  c.at_least("max_attempts", o.max_attempts, 1);
  c.at_least("multiplier", o.multiplier, 1.0);
}
inline void rules(const route::endpoint& o, checker& c) {
  c.non_empty("name", o.name);
  c.url("base_url", o.base_url);
  c.non_empty("model", o.model);
}
inline void rules(const transport::proxy_settings& o, checker& c) {
  const char* https_only = "https:// proxies are not supported; use http:// (HTTP CONNECT)";
  if (o.https_proxy && o.https_proxy->origin.tls) c.fail("https_proxy", https_only);
  if (o.http_proxy && o.http_proxy->origin.tls) c.fail("http_proxy", https_only);
  for (std::size_t i = 0; i < o.no_proxy.size(); ++i) {
    const std::string& e = o.no_proxy[i];
    bool blank = trim_space(e).size() != e.size() || e.empty() ||
                 e.find_first_of(" \t,") != std::string::npos;
    bool upper = std::any_of(e.begin(), e.end(), [](char ch) { return ch >= 'A' && ch <= 'Z'; });
    if (blank)
      c.fail(element_path("no_proxy", i),
             "expected one host, \".domain\" or \"*\" (no spaces or commas), got " + quoted(e));
    else if (upper)
      c.fail(element_path("no_proxy", i), "write host names in lower case, got " + quoted(e));
  }
}

// ---- composites --------------------------------------------------------------------------

template <class T>
void read(const json::value& v, T& out, const std::string& path, problems& p);

template <class T>
void read_struct(const json::value& v, T& out, const std::string& path, problems& p) {
  if (!v.is_object()) return p.add(path, expected("an object", v));
  for (auto const& kv : v.get_object()) {
    std::string_view key(kv.key().data(), kv.key().size());
    bool found = false;
    boost::mp11::mp_for_each<fields_of<T>>([&](auto d) {
      if (!found && key == d.name) {
        found = true;
        read(kv.value(), out.*d.pointer, field_path(path, key), p);
      }
    });
    if (!found) {
      std::string names = field_names<T>();
      p.add(field_path(path, key), names.empty()
                                       ? std::string("unknown field (this takes no fields)")
                                       : "unknown field (expected one of: " + names + ")");
    }
  }
  checker c(path, p);
  rules(out, c);
}

template <class T>
void read(const json::value& v, T& out, const std::string& path, problems& p) {
  if constexpr (std::is_same_v<T, bool>) {
    read_bool(v, out, path, p);
  } else if constexpr (std::is_integral_v<T>) {
    read_integer(v, out, path, p);
  } else if constexpr (std::is_floating_point_v<T>) {
    read_floating(v, out, path, p);
  } else if constexpr (std::is_same_v<T, std::string>) {
    read_string(v, out, path, p);
  } else if constexpr (is_duration<T>) {
    read_duration(v, out, path, p);
  } else if constexpr (std::is_enum_v<T>) {
    read_enum(v, out, path, p);
  } else if constexpr (std::is_same_v<T, api_key>) {
    read_api_key(v, out, path, p);
  } else if constexpr (std::is_same_v<T, transport::base_url>) {
    read_base_url(v, out, path, p);
  } else if constexpr (std::is_same_v<T, no_options>) {
    read_no_options(v, path, p);
  } else if constexpr (is_optional<T>) {
    if (v.is_null()) {
      out.reset();
    } else {
      if (!out) out.emplace();
      read(v, *out, path, p);
    }
  } else if constexpr (is_vector<T>) {
    if (!v.is_array()) return p.add(path, expected("an array", v));
    T items;
    items.reserve(v.get_array().size());
    for (std::size_t i = 0; i < v.get_array().size(); ++i) {
      items.emplace_back();
      read(v.get_array()[i], items.back(), element_path(path, i), p);
    }
    out = std::move(items);
  } else if constexpr (is_described_struct<T>) {
    read_struct(v, out, path, p);
  } else {
    static_assert(dependent_false<T>,
                  "gemini::config_from_json: a described field has a type the reader does not "
                  "know: describe it with BOOST_DESCRIBE_STRUCT, or leave the field out of its "
                  "struct's description");
  }
}

template <class>
inline constexpr bool is_client_config = false;
template <class S>
inline constexpr bool is_client_config<client_config<S>> = true;

inline constexpr std::string_view section_names =
    "client, transport, cache, limit, breaker, retry, route, budget, guard, observe";

template <class S>
void read_config(const json::value& root, client_config<S>& cfg, problems& p) {
  if (!root.is_object())
    return p.add("configuration",
                 expected("an object of sections (" + std::string(section_names) + ")", root));
  for (auto const& kv : root.get_object()) {
    std::string_view key(kv.key().data(), kv.key().size());
    const std::string path(key);
    auto section = [&](std::string_view name, auto& member) {
      if (key != name) return false;
      read(kv.value(), member, path, p);
      return true;
    };
    bool known = section("client", cfg.client) || section("transport", cfg.transport) ||
                 section("cache", cfg.cache) || section("limit", cfg.limit) ||
                 section("breaker", cfg.breaker) || section("retry", cfg.retry) ||
                 section("route", cfg.route) || section("budget", cfg.budget) ||
                 section("guard", cfg.guard) || section("observe", cfg.observe);
    if (!known)
      p.add(path, "unknown section (expected one of: " + std::string(section_names) + ")");
  }
}

}  // namespace config_json
}  // namespace detail

template <class Config>
result<Config> config_from_json(std::string_view text) {
  static_assert(detail::config_json::is_client_config<Config>,
                "gemini::config_from_json<Config>: Config must be gemini::client_config<Slots> "
                "(gemini::basic_config<Policies>); see docs/configuration.md");
  detail::config_json::problems p;
  auto root = detail::config_json::parse(text, p);
  if (!root) return gemini::error(errc::bad_configuration, p.joined());
  result<Config> out(std::in_place);
  detail::config_json::read_config(*root, *out, p);
  if (!p.empty()) return gemini::error(errc::bad_configuration, p.joined());
  return out;
}

template <class Config>
result<Config> config_from_file(const std::string& path) {
  auto text = detail::config_json::read_text_file(path, 16u << 20);
  if (!text)
    return gemini::error(errc::bad_configuration, "cannot read the configuration file " +
                                                      detail::config_json::quoted(path) + ": " +
                                                      text.error().message);
  return config_from_json<Config>(*text);
}

}  // namespace v1
}  // namespace gemini
