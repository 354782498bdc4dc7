// Per-thread Hyperscan scratch management.
#include "policy/scan_scratch.hpp"

#include <hs/hs.h>

#include <utility>

namespace sovgw::policy {

ScanScratch::~ScanScratch() {
  if (hs_ != nullptr) hs_free_scratch(hs_);
}

ScanScratch::ScanScratch(ScanScratch&& other) noexcept
    : hs_(std::exchange(other.hs_, nullptr)),
      generation_(std::exchange(other.generation_, 0)),
      hits_(std::move(other.hits_)),
      compact_(std::move(other.compact_)),
      run_digits_(std::move(other.run_digits_)),
      spans_(std::move(other.spans_)),
      groups_(std::move(other.groups_)),
      ends_(std::move(other.ends_)),
      confirmed_(std::move(other.confirmed_)),
      handled_to_(std::move(other.handled_to_)) {}

ScanScratch& ScanScratch::operator=(ScanScratch&& other) noexcept {
  if (this != &other) {
    if (hs_ != nullptr) hs_free_scratch(hs_);
    hs_ = std::exchange(other.hs_, nullptr);
    generation_ = std::exchange(other.generation_, 0);
    hits_ = std::move(other.hits_);
    compact_ = std::move(other.compact_);
    run_digits_ = std::move(other.run_digits_);
    spans_ = std::move(other.spans_);
    groups_ = std::move(other.groups_);
    ends_ = std::move(other.ends_);
    confirmed_ = std::move(other.confirmed_);
    handled_to_ = std::move(other.handled_to_);
  }
  return *this;
}

Status ScanScratch::prepare(const hs_database* db, std::uint64_t generation) {
  if (generation == generation_ && hs_ != nullptr) return Ok{};
  // hs_alloc_scratch grows an existing scratch so it also fits `db`; it never shrinks it.
  const hs_error_t rc = hs_alloc_scratch(db, &hs_);
  if (rc != HS_SUCCESS) {
    return make_error(ErrorCode::kInternal, ErrorSource::kInternal, false,
                      "pii scan: hs_alloc_scratch failed (" + std::to_string(rc) + ")");
  }
  generation_ = generation;
  return Ok{};
}

}  // namespace sovgw::policy
