#include "gateway/label_values.hpp"

#include <algorithm>

namespace sovgw {

LabelValues::LabelValues(std::vector<std::string> values, std::string fallback) {
  for (auto& value : values) {
    if (value != fallback && std::find(values_.begin(), values_.end(), value) == values_.end()) {
      values_.push_back(std::move(value));
    }
  }
  values_.push_back(std::move(fallback));
  if (values_.size() - 1 > kLinearMax) {
    for (std::size_t i = 0; i + 1 < values_.size(); ++i) index_.emplace(values_[i], i);
  }
}

std::size_t LabelValues::find(std::string_view value) const {
  const std::size_t listed = values_.size() - 1;
  if (listed > kLinearMax) {
    auto it = index_.find(value);
    return it == index_.end() ? listed : it->second;
  }
  for (std::size_t i = 0; i < listed; ++i) {
    if (values_[i] == value) return i;
  }
  return listed;
}

}  // namespace sovgw
