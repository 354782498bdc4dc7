// ScanScratch: the per-thread working memory of a PII scan (Hyperscan scratch space plus reusable
// hit and candidate buffers). Threading contract: a PiiScanner is immutable and shared by all
// threads; each thread owns its own ScanScratch and never uses it from two scans at once.
//
//   thread_local ScanScratch scratch;               // or one per worker / io_context
//   auto findings = scanner->scan(text, scratch);
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "policy/pii_detectors.hpp"

struct hs_scratch;
struct hs_database;

namespace sovgw::policy {

// A raw pattern hit before confirmation; filled by the scanner's match callback.
struct ScanHit {
  unsigned pattern = 0;
  std::size_t from = 0;  // start of match (custom detectors) or of the digit run; else unused
  std::size_t to = 0;
};

// A candidate confirmed during a scan, before overlaps are resolved.
struct ConfirmedSpan {
  Span span;
  unsigned priority = 0;  // detector table index: lower wins a tie
};

class ScanScratch {
 public:
  ScanScratch() = default;
  ~ScanScratch();
  ScanScratch(const ScanScratch&) = delete;
  ScanScratch& operator=(const ScanScratch&) = delete;
  ScanScratch(ScanScratch&& other) noexcept;
  ScanScratch& operator=(ScanScratch&& other) noexcept;

  // Makes the scratch big enough for `db`; cheap when already prepared for scanner `generation`.
  // Called by PiiScanner::scan; a scratch may serve several scanners (e.g. across config reloads).
  Status prepare(const hs_database* db, std::uint64_t generation);

  hs_scratch* hs() { return hs_; }
  // Working buffers, reused across scans so a scan allocates only when they must grow.
  std::vector<ScanHit>& hits() { return hits_; }
  std::string& compact() { return compact_; }
  std::string& run_digits() { return run_digits_; }
  std::vector<Span>& spans() { return spans_; }
  std::vector<RunGroup>& groups() { return groups_; }
  std::vector<std::size_t>& ends() { return ends_; }
  std::vector<ConfirmedSpan>& confirmed() { return confirmed_; }
  std::vector<std::size_t>& handled_to() { return handled_to_; }

 private:
  hs_scratch* hs_ = nullptr;
  std::uint64_t generation_ = 0;  // scanner generation the scratch was last sized for (0: none)
  std::vector<ScanHit> hits_;
  std::string compact_;
  std::string run_digits_;  // holds the digits of the digit run being confirmed, folded to ASCII
  std::vector<Span> spans_;
  std::vector<RunGroup> groups_;
  std::vector<std::size_t> ends_;  // match ends a run trigger reports for one run
  std::vector<ConfirmedSpan> confirmed_;
  std::vector<std::size_t> handled_to_;  // per pattern: end of the span it handled last
};

}  // namespace sovgw::policy
