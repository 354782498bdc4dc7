// TOML tables to plain values with problem collection. See config_loader_reader.hpp.
#include "gateway/config_loader_reader.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <sstream>

#include "gateway/config_loader_values.hpp"

namespace sovgw::config_reader {
namespace {

using config_values::quote;

std::string_view type_name(toml::node_type type) {
  switch (type) {
    case toml::node_type::none: return "nothing";
    case toml::node_type::table: return "table";
    case toml::node_type::array: return "array";
    case toml::node_type::string: return "string";
    case toml::node_type::integer: return "integer";
    case toml::node_type::floating_point: return "float";
    case toml::node_type::boolean: return "boolean";
    case toml::node_type::date: return "date";
    case toml::node_type::time: return "time";
    case toml::node_type::date_time: return "date-time";
  }
  return "value";
}

// Keys that look like a credential someone tried to put in the file.
bool looks_like_secret(std::string_view key) {
  static constexpr std::array<std::string_view, 8> kWords = {
      "key", "token", "secret", "password", "passwd", "credential", "auth", "bearer"};
  std::string lower(key);
  for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return std::any_of(kWords.begin(), kWords.end(), [&](std::string_view word) {
    return lower.find(word) != std::string::npos;
  });
}

std::uint32_t line_of_node(const toml::node& node) { return node.source().begin.line; }

}  // namespace

void ProblemList::add(std::uint32_t line, std::string_view path, std::string_view what) {
  std::string text(path);
  text += ": ";
  text += what;
  add_line(line, text);
}

void ProblemList::add_line(std::uint32_t line, std::string_view text) {
  // Line 0 means toml++ knows no position (an implicitly created table): print none.
  std::string out = source_ + ":";
  if (line != 0) out += std::to_string(line) + ":";
  out += " ";
  out += text;
  entries_.push_back(Entry{line, std::move(out)});
}

std::vector<ConfigProblem> ProblemList::take_sorted() {
  std::stable_sort(entries_.begin(), entries_.end(),
                   [](const Entry& a, const Entry& b) { return a.line < b.line; });
  std::vector<ConfigProblem> out;
  out.reserve(entries_.size());
  for (auto& entry : entries_) out.push_back(std::move(entry.text));
  entries_.clear();
  return out;
}

std::string describe(const toml::node& node) {
  std::string out(type_name(node.type()));
  if (node.is_table()) return out;
  if (auto* s = node.as_string()) return out + " " + quote(s->get());
  if (auto* i = node.as_integer()) return out + " " + std::to_string(i->get());
  std::ostringstream value;
  node.visit([&](const auto& v) {
    if constexpr (!toml::is_table<decltype(v)>) value << v;
  });
  std::string text = value.str();
  constexpr std::size_t kMaxShown = 80;
  if (text.size() > kMaxShown) {
    text.resize(kMaxShown);
    text += "...";
  }
  return out + " " + text;
}

std::string TableReader::path_of(std::string_view key) const {
  if (path_.empty()) return std::string(key);
  return path_ + "." + std::string(key);
}

std::uint32_t TableReader::line_of(std::string_view key) const {
  auto it = table_.find(key);
  if (it != table_.end()) {
    if (auto line = it->first.source().begin.line) return line;
    if (auto line = line_of_node(it->second)) return line;
  }
  return line_of_node(table_);
}

const toml::node* TableReader::find(std::string_view key, Need need) {
  known_.emplace_back(key);
  const toml::node* node = table_.get(key);
  if (!node && need == Need::kRequired) {
    problems_.add(line_of_node(table_), path_of(key), "required key is missing");
  }
  return node;
}

void TableReader::wrong_type(std::string_view key, std::string_view expected,
                             const toml::node& node) {
  problem(key, "must be " + std::string(expected), describe(node));
}

void TableReader::problem(std::string_view key, std::string_view what, std::string_view shown) {
  std::string text(what);
  if (!shown.empty()) text += " (got " + std::string(shown) + ")";
  problems_.add(line_of(key), path_of(key), text);
}

std::optional<std::string> TableReader::string(std::string_view key, Need need) {
  const toml::node* node = find(key, need);
  if (!node) return std::nullopt;
  if (auto* s = node->as_string()) return s->get();
  wrong_type(key, "a string", *node);
  return std::nullopt;
}

std::optional<std::int64_t> TableReader::integer(std::string_view key, Range range) {
  const toml::node* node = find(key, Need::kOptional);
  if (!node) return std::nullopt;
  auto* i = node->as_integer();
  if (!i) {
    wrong_type(key, "an integer", *node);
    return std::nullopt;
  }
  std::int64_t value = i->get();
  if (value < range.min || value > range.max) {
    problem(key, "must be between " + std::to_string(range.min) + " and " +
                     std::to_string(range.max), std::to_string(value));
    return std::nullopt;
  }
  return value;
}

void TableReader::boolean(std::string_view key, bool& out) {
  const toml::node* node = find(key, Need::kOptional);
  if (!node) return;
  if (auto* b = node->as_boolean()) {
    out = b->get();
  } else {
    wrong_type(key, "a boolean", *node);
  }
}

std::optional<std::vector<std::string>> TableReader::strings(std::string_view key, Need need) {
  const toml::node* node = find(key, need);
  if (!node) return std::nullopt;
  auto* array = node->as_array();
  if (!array) {
    wrong_type(key, "an array of strings", *node);
    return std::nullopt;
  }
  std::vector<std::string> out;
  for (std::size_t i = 0; i < array->size(); ++i) {
    const toml::node& element = (*array)[i];
    if (auto* s = element.as_string()) {
      out.push_back(s->get());
      continue;
    }
    problems_.add(line_of_node(element), path_of(key) + "[" + std::to_string(i) + "]",
                  "must be a string (got " + describe(element) + ")");
    return std::nullopt;
  }
  return out;
}

const toml::table* TableReader::table(std::string_view key) {
  const toml::node* node = find(key, Need::kOptional);
  if (!node) return nullptr;
  if (auto* t = node->as_table()) return t;
  wrong_type(key, "a table", *node);
  return nullptr;
}

std::optional<std::vector<const toml::table*>> TableReader::tables(std::string_view key,
                                                                   Need need) {
  const toml::node* node = find(key, need);
  if (!node) return std::nullopt;
  auto* array = node->as_array();
  if (!array) {
    wrong_type(key, "an array of tables", *node);
    return std::nullopt;
  }
  std::vector<const toml::table*> out;
  for (std::size_t i = 0; i < array->size(); ++i) {
    const toml::node& element = (*array)[i];
    out.push_back(element.as_table());
    if (!out.back()) {
      std::string path = path_of(key) + "[" + std::to_string(i) + "]";
      problems_.add(line_of_node(element), path, "must be a table (got " + describe(element) + ")");
    }
  }
  return out;
}

void TableReader::report_unknown_keys(bool secrets_hint) {
  for (const auto& [key, node] : table_) {
    std::string_view name = key.str();
    if (std::find(known_.begin(), known_.end(), name) != known_.end()) continue;
    std::string what = "unknown key";
    // "api_key_evn" is a typo of a known key; "api_key" or "token" is a credential.
    bool typo = !config_values::nearest_name(name, known_, config_values::Match::kWhole).empty();
    if (secrets_hint && looks_like_secret(name) && !typo) {
      what += " (secrets are never read from the file: name an environment variable with "
              "api_key_env)";
    } else if (auto near = config_values::nearest_name(name, known_); !near.empty()) {
      what += " (did you mean \"" + near + "\"?)";
    }
    std::uint32_t line = key.source().begin.line;
    problems_.add(line != 0 ? line : line_of_node(node), path_of(name), what);
  }
}

}  // namespace sovgw::config_reader
