// LabelValues: the closed list of values one metrics label may take, and the lookup from a string
// (a backend name, a failure class, ...) to its position, with a fallback value ("unknown", "none",
// "other") for anything not listed. This is what keeps every sovgw label bounded: nothing a client
// sends can create a new series. Built once at startup; immutable, so any thread may read it.
//
//   LabelValues backend({"openai", "onprem"}, "none");
//   backend.find("onprem") == 1;  backend.find("evil") == backend.fallback_index();  // "none"
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace sovgw {

class LabelValues {
 public:
  // `values` in order (duplicates are dropped), then `fallback` as the last value.
  LabelValues(std::vector<std::string> values, std::string fallback);

  // The position of `value`, or fallback_index() when it is not listed.
  std::size_t find(std::string_view value) const;
  std::size_t fallback_index() const { return values_.size() - 1; }
  std::size_t size() const { return values_.size(); }
  const std::string& operator[](std::size_t i) const { return values_[i]; }

 private:
  // Few values: a linear scan of length-checked compares beats hashing the string.
  static constexpr std::size_t kLinearMax = 12;

  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  std::vector<std::string> values_;                                            // listed values, then the fallback
  std::unordered_map<std::string, std::size_t, Hash, std::equal_to<>> index_;  // when many
};

}  // namespace sovgw
