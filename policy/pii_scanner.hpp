// PiiScanner: finds personal data and secrets in decoded UTF-8 text in one Hyperscan pass and one
// vectorised search for digit runs, then confirms each hit (edges, validator, context words)
// before it counts. Sits in the request
// policy stage, before any byte leaves for a target. Threading contract: a PiiScanner is built
// once per config load, is immutable and is shared by all threads; each thread passes its own
// ScanScratch. Fail closed: a scan error is returned as an Error (kInternal), never as "no
// findings"; the caller treats it as "contains every PII type".
// Full-width digits and separators are matched as they are (no rewritten copy of the text), so
// findings are byte offsets into the caller's original text, ready for redact().
//
//   auto scanner = PiiScanner::create({});                  // all built-in detectors
//   ScanScratch scratch;                                    // one per thread
//   auto found = (*scanner)->scan("주민번호 900101-1234568", scratch);
//   // found->at(0): detector "kr_rrn", bytes [begin, end) of the original text
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "policy/pii_detectors.hpp"
#include "policy/scan_scratch.hpp"

struct hs_database;

namespace sovgw::policy {

struct PiiFinding {
  std::string_view detector;  // detector id; points into the scanner, valid while it lives
  std::size_t begin = 0;      // byte offsets into the ORIGINAL text: [begin, end)
  std::size_t end = 0;
};

// Built-in numeric detectors (table rows with a shape); custom detectors are never numeric.
inline constexpr std::size_t kMaxNumericSpecs = 32;
inline constexpr int kMaxNumericDigits = 19;  // the longest numeric detector (payment cards)

struct PiiScannerConfig {
  std::optional<std::vector<std::string>> builtins;  // ids to enable; nullopt = every built-in
  std::vector<CustomDetector> custom;
  int current_year = 0;  // for birth-date plausibility; 0 = the system clock's year at create()
};

class PiiScanner {
 public:
  // Compiles every enabled detector into one database. Errors name the offending detector
  // (unknown built-in id, bad custom name, unknown validator, regex Hyperscan rejects).
  static Result<std::shared_ptr<const PiiScanner>> create(const PiiScannerConfig& config);

  ~PiiScanner();
  PiiScanner(const PiiScanner&) = delete;
  PiiScanner& operator=(const PiiScanner&) = delete;

  // Findings sorted by begin, non-overlapping (the earliest-starting, then longest, then
  // highest-priority confirmed hit wins). `out` is cleared first; reuse it to avoid allocations.
  Status scan(std::string_view text, ScanScratch& scratch, std::vector<PiiFinding>& out) const;
  Result<std::vector<PiiFinding>> scan(std::string_view text, ScanScratch& scratch) const;

  // Ids of the enabled detectors (built-in and custom), each once.
  const std::vector<std::string>& detector_ids() const { return ids_; }

 private:
  PiiScanner() = default;
  void confirm_hits(std::string_view text, ScanScratch& scratch) const;
  void confirm_numeric_run(std::string_view text, const std::vector<RunGroup>& groups, std::string_view digits,
                           ScanScratch& scratch) const;
  bool confirm_numeric_span(std::string_view text, const NumericLayout& layout, Span span, Span run, bool x_suffix,
                            bool digit_edges, signed char* context, ScanScratch& scratch) const;
  void confirm_located(std::string_view text, const ScanHit& hit, ScanScratch& scratch) const;
  // Validator and context words; the caller has checked the edges (and, with `context_checked`,
  // the context words). `compact` by reference: passed by value it went on the stack as two
  // 8-byte stores that the callee read back as one 16-byte load, which cannot be forwarded
  // (a stall on every call, half of this function's time in perf).
  bool confirm_span(std::string_view text, unsigned spec, Span span, const std::string_view& compact,
                    ScanScratch& scratch, bool context_checked = false) const;

  hs_database* db_ = nullptr;  // null when only numeric detectors are enabled
  std::uint64_t generation_ = 0;
  std::vector<DetectorSpec> specs_;      // index = priority
  std::vector<unsigned> numeric_specs_;  // indexes of the numeric detectors, in priority order
  bool numeric_digit_edges_ = true;      // every numeric detector has Boundary::kDigits
  // Per digit total: bit i set when numeric_specs_[i]'s shape may accept that many digits.
  std::array<std::uint32_t, kMaxNumericDigits + 1> numeric_for_total_{};
  std::vector<unsigned> pattern_spec_;   // pattern id (Hyperscan's, then triggered_) -> spec index
  std::vector<unsigned> triggered_;      // pattern ids of the located detectors with a run trigger
  std::vector<std::string> ids_;
  int current_year_ = 0;
};

}  // namespace sovgw::policy
