// TOML tables to plain values for the config loader, collecting every problem instead of stopping
// at the first. Private to config_loader*.cpp (the only code that touches toml++); used by one
// thread during loading.
//
//   ProblemList problems("sovgw.toml");
//   TableReader r(problems, *gateway_table, "gateway");
//   r.integer("workers", Range{0, 1024}, config.workers);  // type and range checked, or reported
//   r.report_unknown_keys();                                // every key not asked for above
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <toml++/toml.h>

#include "gateway/config.hpp"

namespace sovgw::config_reader {

// Problems as `source:line: text`, sorted by line (stable) when taken.
class ProblemList {
 public:
  explicit ProblemList(std::string source) : source_(std::move(source)) {}

  // `source:line: path: what`
  void add(std::uint32_t line, std::string_view path, std::string_view what);
  // `source:line: text`
  void add_line(std::uint32_t line, std::string_view text);
  bool empty() const { return entries_.empty(); }
  std::size_t size() const { return entries_.size(); }
  std::vector<ConfigProblem> take_sorted();

 private:
  struct Entry {
    std::uint32_t line;
    std::string text;
  };
  std::string source_;
  std::vector<Entry> entries_;
};

struct Range {
  std::int64_t min;
  std::int64_t max;
};

enum class Need { kOptional, kRequired };

// "integer 5", "string \"four\"", "array [ 1, 2 ]", "table": a value as shown after "got".
std::string describe(const toml::node& node);

// Reads one table. Every getter marks its key as known; a wrong type, an out-of-range value or a
// missing required key is reported and leaves the output unchanged.
class TableReader {
 public:
  TableReader(ProblemList& problems, const toml::table& table, std::string path)
      : problems_(problems), table_(table), path_(std::move(path)) {}

  ProblemList& problems() { return problems_; }
  std::string path_of(std::string_view key) const;
  std::uint32_t line_of(std::string_view key) const;  // the key's line, or the table's when absent
  bool has(std::string_view key) const { return table_.contains(key); }

  std::optional<std::string> string(std::string_view key, Need need = Need::kOptional);
  std::optional<std::int64_t> integer(std::string_view key, Range range);
  // `range` must fit in T; the loader's constants are chosen so.
  template <typename T>
  void integer(std::string_view key, Range range, T& out) {
    if (auto value = integer(key, range)) out = static_cast<T>(*value);
  }
  void boolean(std::string_view key, bool& out);
  // An array of strings; a non-string element is reported and the whole key ignored.
  std::optional<std::vector<std::string>> strings(std::string_view key, Need need = Need::kOptional);
  const toml::table* table(std::string_view key);
  // The elements of an array of tables; an element that is not a table is reported and comes
  // back as nullptr. nullopt when the key is absent or not an array.
  std::optional<std::vector<const toml::table*>> tables(std::string_view key, Need need);

  // `path.key: what`, or `path.key: what (got shown)` at the key's line.
  void problem(std::string_view key, std::string_view what, std::string_view shown = {});

  // Reports each key no getter asked for, with the nearest known name when one is close.
  // `secrets_hint`: point keys that look like credentials at api_key_env instead.
  void report_unknown_keys(bool secrets_hint = false);

 private:
  const toml::node* find(std::string_view key, Need need);
  void wrong_type(std::string_view key, std::string_view expected, const toml::node& node);

  ProblemList& problems_;
  const toml::table& table_;
  std::string path_;
  std::vector<std::string> known_;
};

}  // namespace sovgw::config_reader
