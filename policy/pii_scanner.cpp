// PiiScanner: compile the detector table into one Hyperscan block-mode database, scan in one
// pass plus a search for digit runs, confirm hits (pii_scan_confirm.cpp), resolve overlaps.
#include "policy/pii_scanner.hpp"

#include <hs/hs.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <limits>


namespace sovgw::policy {
namespace {

Error config_error(std::string detail) {
  return make_error(ErrorCode::kInternal, ErrorSource::kInternal, false, "pii detectors: " + std::move(detail));
}

bool valid_custom_name(std::string_view name) {
  if (name.empty() || name.size() > 48) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; });
}

std::string lower_ascii(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  }
  return s;
}

Result<std::vector<DetectorSpec>> select_builtins(const PiiScannerConfig& config) {
  const std::vector<std::string> known = builtin_detector_ids();
  if (config.builtins) {
    for (const std::string& id : *config.builtins) {
      if (std::find(known.begin(), known.end(), id) == known.end()) {
        return config_error("unknown built-in detector '" + id + "'");
      }
    }
  }
  std::vector<DetectorSpec> specs;
  for (const DetectorSpec& s : builtin_detectors()) {
    if (!config.builtins || std::count(config.builtins->begin(), config.builtins->end(), s.id) > 0) {
      specs.push_back(s);
    }
  }
  return specs;
}

Status add_custom(const CustomDetector& c, std::vector<DetectorSpec>& specs) {
  if (!valid_custom_name(c.name)) {
    return config_error("custom detector name '" + c.name + "' must be 1-48 chars of [a-z0-9_]");
  }
  for (const DetectorSpec& s : specs) {
    if (s.id == c.name) return config_error("custom detector '" + c.name + "' reuses an existing id");
  }
  const Validator v = find_validator(c.validator);
  if (v == nullptr) return config_error("custom detector '" + c.name + "': unknown validator '" + c.validator + "'");
  if (c.regex.empty()) return config_error("custom detector '" + c.name + "': empty regex");
  DetectorSpec s;
  s.id = c.name;
  s.regex = c.regex;
  s.validator = v;
  s.context_words = c.context_words;
  s.boundary = Boundary::kEdges;
  specs.push_back(std::move(s));
  return Ok{};
}

int on_match(unsigned int id, unsigned long long from, unsigned long long to, unsigned int, void* ctx) {
  static_cast<std::vector<ScanHit>*>(ctx)->push_back(
      ScanHit{id, static_cast<std::size_t>(from), static_cast<std::size_t>(to)});
  return 0;  // keep scanning
}

// Earliest-starting, then longest, then highest-priority first: the overlap rule keeps the first
// finding of each overlap in this order.
bool before(const ConfirmedSpan& a, const ConfirmedSpan& b) {
  if (a.span.begin != b.span.begin) return a.span.begin < b.span.begin;
  if (a.span.end != b.span.end) return a.span.end > b.span.end;
  return a.priority < b.priority;
}

// Hits are confirmed in text order, so the list is nearly sorted: an insertion sort does it in
// one pass. A span whose start lies far back (a PEM block, a keyword token) may make it move
// many entries; past a budget of moves, a full sort takes over, so the worst case stays n log n.
void sort_confirmed(std::vector<ConfirmedSpan>& v) {
  std::size_t budget = 4 * v.size() + 64;
  for (std::size_t i = 1; i < v.size(); ++i) {
    if (!before(v[i], v[i - 1])) continue;
    const ConfirmedSpan x = v[i];
    std::size_t j = i;
    for (; j > 0 && before(x, v[j - 1]); --j) {
      if (budget-- == 0) {
        v[j] = x;  // the entries stay a permutation of the list
        std::sort(v.begin(), v.end(), before);
        return;
      }
      v[j] = v[j - 1];
    }
    v[j] = x;
  }
}

int system_year() {
  const std::chrono::year_month_day today{std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now())};
  return static_cast<int>(today.year());
}

}  // namespace

Result<std::shared_ptr<const PiiScanner>> PiiScanner::create(const PiiScannerConfig& config) {
  auto specs = select_builtins(config);
  if (!specs) return specs.error();
  for (const CustomDetector& c : config.custom) {
    if (Status st = add_custom(c, *specs); !st) return st.error();
  }
  if (specs->empty()) return config_error("no detector enabled");
  std::shared_ptr<PiiScanner> scanner(new PiiScanner());
  std::vector<const char*> exprs;
  std::vector<unsigned> flags, ids;
  std::vector<unsigned> triggered;  // located detectors found from the digit runs
  for (unsigned i = 0; i < specs->size(); ++i) {
    DetectorSpec& s = (*specs)[i];
    for (std::string& w : s.context_words) w = lower_ascii(std::move(w));
    if (std::find(scanner->ids_.begin(), scanner->ids_.end(), s.id) == scanner->ids_.end())
      scanner->ids_.push_back(s.id);
    if (s.shape != nullptr) {
      scanner->numeric_specs_.push_back(i);
      if (s.boundary != Boundary::kDigits) scanner->numeric_digit_edges_ = false;
      continue;
    }
    if (s.run_trigger != nullptr) {
      triggered.push_back(i);
      continue;
    }
    exprs.push_back(s.regex.c_str());
    flags.push_back(s.locate != nullptr ? 0u : HS_FLAG_SOM_LEFTMOST);  // custom regexes need the start
    ids.push_back(static_cast<unsigned>(ids.size()));
    scanner->pattern_spec_.push_back(i);
  }
  if (scanner->numeric_specs_.size() > kMaxNumericSpecs) return config_error("too many numeric detectors");
  for (std::size_t idx = 0; idx < scanner->numeric_specs_.size(); ++idx) {
    const std::uint32_t accepts = (*specs)[scanner->numeric_specs_[idx]].digit_totals;
    for (int total = 0; total <= kMaxNumericDigits; ++total) {
      if ((accepts >> total) & 1u) scanner->numeric_for_total_[static_cast<std::size_t>(total)] |= 1u << idx;
    }
  }
  // Triggered detectors take the pattern ids after Hyperscan's (their own handled_to slots).
  for (unsigned i : triggered) {
    scanner->triggered_.push_back(static_cast<unsigned>(scanner->pattern_spec_.size()));
    scanner->pattern_spec_.push_back(i);
  }
  hs_compile_error_t* err = nullptr;
  // Only numeric detectors enabled: digit runs are found without Hyperscan, so no database.
  if (!exprs.empty() && hs_compile_multi(exprs.data(), flags.data(), ids.data(), static_cast<unsigned>(exprs.size()),
                                         HS_MODE_BLOCK, nullptr, &scanner->db_, &err) != HS_SUCCESS) {
    const auto at = err->expression;
    std::string where = at >= 0
                            ? "detector '" + (*specs)[scanner->pattern_spec_[static_cast<std::size_t>(at)]].id + "': "
                            : std::string();
    std::string detail = where + "regex rejected: " + err->message;
    hs_free_compile_error(err);
    return config_error(std::move(detail));
  }
  static std::atomic<std::uint64_t> next_generation{1};
  scanner->generation_ = next_generation.fetch_add(1);
  scanner->specs_ = std::move(*specs);
  scanner->current_year_ = config.current_year != 0 ? config.current_year : system_year();
  return std::shared_ptr<const PiiScanner>(std::move(scanner));
}

PiiScanner::~PiiScanner() {
  if (db_ != nullptr) hs_free_database(db_);
}

Status PiiScanner::scan(std::string_view text, ScanScratch& scratch, std::vector<PiiFinding>& out) const {
  out.clear();
  if (text.size() > std::numeric_limits<unsigned int>::max()) {
    return make_error(ErrorCode::kInternal, ErrorSource::kInternal, false, "pii scan: text over 4 GiB");
  }
  scratch.hits().clear();
  if (db_ != nullptr) {
    if (Status st = scratch.prepare(db_, generation_); !st) return st;
    const hs_error_t rc =
        hs_scan(db_, text.data(), static_cast<unsigned int>(text.size()), 0, scratch.hs(), on_match, &scratch.hits());
    if (rc != HS_SUCCESS) {
      return make_error(ErrorCode::kInternal, ErrorSource::kInternal, false,
                        "pii scan: hs_scan failed (" + std::to_string(rc) + ")");
    }
  }
  std::vector<ConfirmedSpan>& confirmed = scratch.confirmed();
  confirmed.clear();
  scratch.handled_to().assign(pattern_spec_.size(), 0);
  confirm_hits(text, scratch);
  sort_confirmed(confirmed);
  std::size_t covered = 0;
  for (const ConfirmedSpan& c : confirmed) {
    if (out.empty() || c.span.begin >= covered) {
      out.push_back(PiiFinding{specs_[c.priority].id, c.span.begin, c.span.end});
      covered = c.span.end;
    }
  }
  return Ok{};
}

Result<std::vector<PiiFinding>> PiiScanner::scan(std::string_view text, ScanScratch& scratch) const {
  std::vector<PiiFinding> out;
  if (Status st = scan(text, scratch, out); !st) return st.error();
  return out;
}

}  // namespace sovgw::policy
