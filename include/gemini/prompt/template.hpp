// gemini-cxx — prompt templates: named, versioned, with typed variables, rendered safely.
//
//   gemini::prompt::registry reg;
//   auto ok = reg.add({"summarise", 2, "Summarise for {{audience}} in {{words}} words:\n{{text}}",
//                      {{"audience", gemini::prompt::var_type::text, {.max_length = 40}},
//                       {"words", gemini::prompt::var_type::integer},
//                       {"text", gemini::prompt::var_type::text}}});
//   auto prompt = reg.render("summarise", {{"audience", "children"}, {"words", 50},
//                                          {"text", article}});
//
// Syntax: `{{name}}` is a variable (a letter or `_`, then letters, digits, `_`); `{{{{` is a
// literal `{{`. Nothing else is special. Rendering substitutes each value once and never
// reads it again, so a value cannot inject template syntax: a value "{{system}}" comes out
// as those characters. Every problem is an error naming the template, its version and the
// variable: an unknown, missing, mistyped, too long or invalid-UTF-8 value, a placeholder
// with no declaration, a declared variable the text never uses, a duplicate version.
#pragma once

#include <gemini/detail/request.hpp>
#include <gemini/error.hpp>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace gemini {
inline namespace v1 {
namespace prompt {

enum class var_type { text, integer, number, boolean };

inline const char* to_string(var_type t) noexcept {
  switch (t) {
    case var_type::text: return "text";
    case var_type::integer: return "integer";
    case var_type::number: return "number";
    case var_type::boolean: return "boolean";
  }
  return "?";
}

struct var_rules {
  bool required = true;
  std::size_t max_length = 0;           ///< text only, in bytes; 0: no limit
  std::optional<std::string> fallback;  ///< rendered when an optional variable is not given
};

struct variable {
  std::string name;
  var_type type = var_type::text;
  var_rules rules{};
};

/// A value given for a variable.
using value = std::variant<std::string, std::int64_t, double, bool>;
using values = std::map<std::string, value, std::less<>>;

struct template_spec {
  std::string name;
  int version = 1;
  std::string text;
  std::vector<variable> variables;
};

/// One parsed template. Rendering is const and thread-safe.
class prompt_template {
 public:
  /// Parses `spec.text`; every problem in one bad_configuration error.
  static result<prompt_template> make(template_spec spec) {
    prompt_template t;
    t.spec_ = std::move(spec);
    std::string problems;
    auto bad = [&](const std::string& what) {
      if (!problems.empty()) problems += '\n';
      problems += t.where() + ": " + what;
    };
    if (t.spec_.name.empty()) bad("a template needs a name");
    if (!detail::valid_utf8(t.spec_.text)) bad("the text is not valid UTF-8");
    for (std::size_t i = 0; i < t.spec_.variables.size(); ++i) {
      auto& v = t.spec_.variables[i];
      if (!is_name(v.name)) bad("variable name '" + v.name + "' is not a name");
      for (std::size_t j = 0; j < i; ++j)
        if (t.spec_.variables[j].name == v.name) bad("variable '" + v.name + "' declared twice");
      if (v.rules.max_length && v.type != var_type::text)
        bad("variable '" + v.name + "': max_length applies to text only");
    }
    const std::string_view s = t.spec_.text;
    std::string literal;
    std::vector<bool> used(t.spec_.variables.size(), false);
    for (std::size_t i = 0; i < s.size();) {
      if (s.compare(i, 4, "{{{{") == 0) {
        literal += "{{";
        i += 4;
        continue;
      }
      if (s.compare(i, 2, "{{") != 0) {
        literal += s[i++];
        continue;
      }
      auto end = s.find("}}", i + 2);
      if (end == std::string_view::npos) {
        bad("'{{' at byte " + std::to_string(i) + " is not closed (write '{{{{' for a literal)");
        break;
      }
      std::string name(s.substr(i + 2, end - i - 2));
      auto it = std::find_if(t.spec_.variables.begin(), t.spec_.variables.end(),
                             [&](const variable& v) { return v.name == name; });
      if (!is_name(name))
        bad("'{{" + name + "}}' at byte " + std::to_string(i) + " is not a variable name");
      else if (it == t.spec_.variables.end())
        bad("'{{" + name + "}}' is not declared");
      else {
        t.pieces_.push_back({std::move(literal), static_cast<int>(it - t.spec_.variables.begin())});
        literal.clear();
        used[static_cast<std::size_t>(it - t.spec_.variables.begin())] = true;
      }
      i = end + 2;
    }
    t.pieces_.push_back({std::move(literal), -1});
    for (std::size_t i = 0; i < used.size(); ++i)
      if (!used[i]) bad("variable '" + t.spec_.variables[i].name + "' is declared but never used");
    if (!problems.empty()) return gemini::error(errc::bad_configuration, problems);
    return t;
  }

  const std::string& name() const noexcept { return spec_.name; }
  int version() const noexcept { return spec_.version; }
  const std::vector<variable>& variables() const noexcept { return spec_.variables; }

  /// The text with every variable's value. Values are checked against their declaration;
  /// every problem is reported (errc::invalid_argument, errc::invalid_utf8).
  result<std::string> render(const values& vs) const {
    std::string problems;
    errc code = errc::invalid_argument;
    auto bad = [&](const std::string& what, errc c = errc::invalid_argument) {
      if (!problems.empty()) problems += '\n';
      problems += where() + ": " + what;
      if (c != errc::invalid_argument) code = c;
    };
    for (auto& kv : vs) {
      const std::string& k = kv.first;  // (clang 14 cannot capture a structured binding)
      if (std::none_of(spec_.variables.begin(), spec_.variables.end(),
                       [&](const variable& d) { return d.name == k; }))
        bad("no variable '" + k + "' in this template");
    }
    std::vector<std::string> text(spec_.variables.size());
    for (std::size_t i = 0; i < spec_.variables.size(); ++i) {
      auto& d = spec_.variables[i];
      auto it = vs.find(d.name);
      if (it == vs.end()) {
        if (d.rules.fallback)
          text[i] = *d.rules.fallback;
        else if (d.rules.required)
          bad("variable '" + d.name + "' (" + to_string(d.type) + ") is missing");
        continue;
      }
      if (auto e = format(d, it->second, text[i])) bad(e->first, e->second);
    }
    if (!problems.empty()) return gemini::error(code, problems);
    std::string out;
    std::size_t n = 0;
    for (auto& p : pieces_)
      n += p.literal.size() + (p.var >= 0 ? text[static_cast<std::size_t>(p.var)].size() : 0);
    out.reserve(n);
    for (auto& p : pieces_) {
      out += p.literal;
      if (p.var >= 0) out += text[static_cast<std::size_t>(p.var)];
    }
    return out;
  }

 private:
  struct piece {
    std::string literal;  ///< text before the variable (or the tail)
    int var = -1;         ///< index into variables, -1 for the tail
  };

  std::string where() const {
    return "template '" + spec_.name + "' v" + std::to_string(spec_.version);
  }
  static bool is_name(std::string_view n) {
    if (n.empty() || !(std::isalpha(static_cast<unsigned char>(n[0])) || n[0] == '_')) return false;
    return std::all_of(n.begin(), n.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
    });
  }
  /// The value as text, or what is wrong with it.
  static std::optional<std::pair<std::string, errc>> format(const variable& d, const value& v,
                                                            std::string& out) {
    auto wrong = [&](const char* got) {
      return std::pair<std::string, errc>{
          "variable '" + d.name + "' expects " + to_string(d.type) + ", got " + got,
          errc::invalid_argument};
    };
    const char* kinds[] = {"text", "integer", "number", "boolean"};
    const char* got = kinds[v.index()];
    switch (d.type) {
      case var_type::text: {
        auto* s = std::get_if<std::string>(&v);
        if (!s) return wrong(got);
        if (!detail::valid_utf8(*s))
          return std::pair<std::string, errc>{"variable '" + d.name + "' is not valid UTF-8",
                                              errc::invalid_utf8};
        if (d.rules.max_length && s->size() > d.rules.max_length)
          return std::pair<std::string, errc>{
              "variable '" + d.name + "' is " + std::to_string(s->size()) +
                  " bytes, over its max_length of " + std::to_string(d.rules.max_length),
              errc::invalid_argument};
        out = *s;
        return std::nullopt;
      }
      case var_type::integer: {
        auto* i = std::get_if<std::int64_t>(&v);
        if (!i) return wrong(got);
        out = std::to_string(*i);
        return std::nullopt;
      }
      case var_type::number: {
        double x;
        if (auto* i = std::get_if<std::int64_t>(&v))
          x = static_cast<double>(*i);
        else if (auto* f = std::get_if<double>(&v))
          x = *f;
        else
          return wrong(got);
        char buf[64];
        auto [end, ec] = std::to_chars(buf, buf + sizeof buf, x);
        if (ec != std::errc{}) return wrong("an unprintable number");
        out.assign(buf, end);
        return std::nullopt;
      }
      case var_type::boolean: {
        auto* b = std::get_if<bool>(&v);
        if (!b) return wrong(got);
        out = *b ? "true" : "false";
        return std::nullopt;
      }
    }
    return wrong(got);
  }

  template_spec spec_;
  std::vector<piece> pieces_;
};

/// Templates by name and version. Fill it at start-up; lookups and rendering are then
/// const (safe from several threads while nothing is added).
class registry {
 public:
  /// Parses and adds a template; a bad one, or a second one with the same name and
  /// version, is refused (bad_configuration) and changes nothing.
  result<void> add(template_spec spec) {
    auto t = prompt_template::make(std::move(spec));
    if (!t) return std::move(t).error();
    auto& versions = by_name_[t->name()];
    if (versions.count(t->version()))
      return gemini::error(errc::bad_configuration, "template '" + t->name() + "' v" +
                                                        std::to_string(t->version()) +
                                                        " is already registered");
    versions.emplace(t->version(), std::move(*t));
    return {};
  }

  /// The latest version of `name`, or a given one. Null when there is none.
  const prompt_template* find(std::string_view name, std::optional<int> version = {}) const {
    auto it = by_name_.find(name);
    if (it == by_name_.end() || it->second.empty()) return nullptr;
    if (!version) return &it->second.rbegin()->second;
    auto v = it->second.find(*version);
    return v == it->second.end() ? nullptr : &v->second;
  }

  result<std::string> render(std::string_view name, const values& vs,
                             std::optional<int> version = {}) const {
    auto* t = find(name, version);
    if (!t)
      return gemini::error(errc::not_found,
                           "no template '" + std::string(name) + "'" +
                               (version ? " v" + std::to_string(*version) : std::string()));
    return t->render(vs);
  }

 private:
  std::map<std::string, std::map<int, prompt_template>, std::less<>> by_name_;
};

}  // namespace prompt
}  // namespace v1
}  // namespace gemini
