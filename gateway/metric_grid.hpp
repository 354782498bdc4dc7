// MetricGrid<T>: one prometheus-cpp family whose labels each come from a LabelValues list, with a
// reference to every series cached by label positions, so the hot path increments a counter with
// a few multiplications and no label map, no hashing of label sets and no family lock. A series is
// created (Family::Add) at startup by create() or on its first use. Private to metrics*.cpp.
//
// Threading: the cache is not synchronised. Each worker owns its grids (Metrics keeps one per
// worker shard); only the family itself is shared with the scrape, and prometheus-cpp locks that.
//
//   MetricGrid<prometheus::Counter> requests(family, {"model", "backend"}, {&models, &backends});
//   requests.at(model_index, backend_index).Increment();
#pragma once

#include <prometheus/family.h>
#include <prometheus/labels.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "gateway/label_values.hpp"

namespace sovgw {

template <typename T>
class MetricGrid {
 public:
  struct Dimension {
    std::string label;          // the label name, e.g. "backend"
    const LabelValues* values;  // outlives the grid
  };
  // Makes the series for one label set; a histogram's bucket boundaries are bound in here.
  using Factory = std::function<T&(prometheus::Family<T>&, const prometheus::Labels&)>;

  MetricGrid(prometheus::Family<T>& family, std::vector<Dimension> dims, Factory factory)
      : family_(&family), dims_(std::move(dims)), factory_(std::move(factory)) {
    std::size_t cells = 1;
    for (const auto& dim : dims_) cells *= dim.values->size();
    // Dense up to 16K cells (128 KiB of pointers per worker); beyond, only the series in use.
    if (cells <= kDenseMax) dense_.assign(cells, nullptr);
  }

  // The series at these label positions (one per dimension, in order), created on first use.
  template <typename... Index>
  T& at(Index... index) {
    static_assert(sizeof...(Index) > 0);
    const std::size_t positions[] = {static_cast<std::size_t>(index)...};
    std::size_t flat = 0;
    for (std::size_t d = 0; d < sizeof...(Index); ++d) flat = flat * dims_[d].values->size() + positions[d];
    T** slot = dense_.empty() ? &sparse_[flat] : &dense_[flat];
    if (!*slot) *slot = &make(positions);
    return **slot;
  }

  template <typename... Index>
  void create(Index... index) {
    (void)at(index...);
  }

 private:
  static constexpr std::size_t kDenseMax = 16 * 1024;

  T& make(const std::size_t* positions) {
    prometheus::Labels labels;
    for (std::size_t d = 0; d < dims_.size(); ++d) labels.emplace(dims_[d].label, (*dims_[d].values)[positions[d]]);
    return factory_(*family_, labels);
  }

  prometheus::Family<T>* family_;
  std::vector<Dimension> dims_;
  Factory factory_;
  std::vector<T*> dense_;
  std::unordered_map<std::uint64_t, T*> sparse_;
};

}  // namespace sovgw
