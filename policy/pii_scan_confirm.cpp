// PiiScanner hit confirmation: numeric runs against the detectors' group shapes, located and
// custom hits against their spans; then edges, validator and context words for each candidate.
#include <array>

#include "policy/numeric_run.hpp"
#include "policy/pii_hit_checks.hpp"
#include "policy/pii_scanner.hpp"

namespace sovgw::policy {
namespace {

constexpr int kMinDigits = 9;   // the shortest numeric detector (us_ssn, 02-123-4567)
constexpr int kMaxDigits = kMaxNumericDigits;
// No shape has more groups (cards: 4+4+4+4+3). The cap also bounds the work on adversarial runs
// such as "1 2 3 4 5 ..." to a few checks per group.
constexpr std::size_t kMaxGroups = 6;

}  // namespace

bool PiiScanner::confirm_span(std::string_view text, unsigned spec, Span span, const std::string_view& compact,
                              ScanScratch& scratch, bool context_checked) const {
  const DetectorSpec& s = specs_[spec];
  const std::string_view raw = text.substr(span.begin, span.end - span.begin);
  if (!s.validator(Candidate{raw, compact, current_year_})) return false;
  if (!context_checked && !s.context_words.empty() && !context_ok(s.context_words, text, span.begin, span.end)) {
    return false;
  }
  scratch.confirmed().push_back(ConfirmedSpan{span, spec});
  return true;
}

// The numeric detectors that may accept its digit total, in priority order, against one sub-span
// of a run; true when one confirms it. `digit_edges`: the span passes Boundary::kDigits. `context`
// caches per detector whether its words occur around the whole run (sub-spans of one run share
// their surroundings): 0 unknown, 1 present, -1 absent.
bool PiiScanner::confirm_numeric_span(std::string_view text, const NumericLayout& layout, Span span, Span run,
                                      bool x_suffix, bool digit_edges, signed char* context,
                                      ScanScratch& scratch) const {
  // One bit per numeric detector whose digit totals admit this run's; the lowest set bit first.
  std::uint32_t pending = numeric_for_total_[static_cast<std::size_t>(layout.total)];
  for (; pending != 0; pending &= pending - 1) {
    const auto idx = static_cast<std::size_t>(__builtin_ctz(pending));
    const unsigned k = numeric_specs_[idx];
    const DetectorSpec& s = specs_[k];
    if ((x_suffix && !s.x_suffix) || !s.shape(layout)) continue;
    // Edges before context words: both must hold, and the edges cost a few byte compares.
    if (s.boundary == Boundary::kDigits ? !digit_edges : !boundary_ok(s.boundary, text, span.begin, span.end)) continue;
    if (!s.context_words.empty()) {
      if (context[idx] == 0) context[idx] = context_ok(s.context_words, text, run.begin, run.end) ? 1 : -1;
      if (context[idx] < 0) continue;
    }
    if (confirm_span(text, k, span, layout.compact, scratch, true)) return true;
  }
  return false;
}

// Hyperscan's hits and every digit run of the text (split into groups in the walk that finds its
// end), in text order so that the confirmed spans come out nearly sorted: runs of 9+ digits go to
// the numeric detectors, every run to the run triggers (IBAN, IPv4).
void PiiScanner::confirm_hits(std::string_view text, ScanScratch& scratch) const {
  std::vector<RunGroup>& groups = scratch.groups();
  std::vector<std::size_t>& ends = scratch.ends();
  const std::vector<ScanHit>& hits = scratch.hits();
  std::size_t h = 0;
  const bool runs = !numeric_specs_.empty() || !triggered_.empty();
  for (std::size_t i = runs ? next_digit(text, 0) : text.size(); i < text.size(); i = next_digit(text, i)) {
    for (; h < hits.size() && hits[h].to <= i; ++h) confirm_located(text, hits[h], scratch);
    const std::string_view digits = split_numeric_run(text, i, groups, scratch.run_digits());
    i = groups.back().end;
    if (digits.size() >= std::size_t{kMinDigits} && !numeric_specs_.empty())
      confirm_numeric_run(text, groups, digits, scratch);
    for (const unsigned pattern : triggered_) {
      ends.clear();
      specs_[pattern_spec_[pattern]].run_trigger(text, groups, ends);
      for (const std::size_t end : ends) confirm_located(text, ScanHit{pattern, 0, end}, scratch);
    }
  }
  for (; h < hits.size(); ++h) confirm_located(text, hits[h], scratch);
}

// Sub-spans of whole groups holding 9..19 digits are tried from each group start, longest first;
// once one confirms, the next start is after it (the overlap rule would drop anything starting
// inside it). A run has few groups, and the digit limit bounds the work per start. The edge rule
// is checked once per start and once per span, not per detector; when every numeric detector has
// that rule, a start or span whose edge fails (a letter, or "5-" continuing the number) is not
// tried at all.
void PiiScanner::confirm_numeric_run(std::string_view text, const std::vector<RunGroup>& groups,
                                     std::string_view compact, ScanScratch& scratch) const {
  // `compact`: the run's digits; a sub-span's are a substring.
  const Span run{groups.front().begin, groups.back().end};
  const bool plus = run.begin > 0 && text[run.begin - 1] == '+';
  // Written before they are read: left uninitialised (this runs for every digit run).
  std::array<int, kMaxDigits> digits;
  std::array<SepKind, kMaxDigits> seps;
  std::array<int, kMaxDigits + 1> totals;  // digits in groups i..i+n-1
  std::array<char, 18> with_x_digits;
  std::array<signed char, kMaxNumericSpecs> context{};
  std::size_t offset = 0;  // digits in the groups before i
  for (std::size_t i = 0; i < groups.size();) {
    std::size_t n = 0;
    for (int total = 0; i + n < groups.size() && n < kMaxGroups && total + groups[i + n].digits <= kMaxDigits; ++n) {
      const RunGroup& g = groups[i + n];
      total += g.digits;
      digits[n] = g.digits;
      if (n > 0) seps[n - 1] = g.sep_before;
      totals[n + 1] = total;
    }
    const std::string_view from_i = compact.substr(offset);
    std::size_t next = i + 1;
    const bool lead_plus = plus && i == 0;
    const std::size_t begin = groups[i].begin - (lead_plus ? 1 : 0);
    const bool start_ok = digits_start_ok(text, begin);
    if (!start_ok && numeric_digit_edges_) n = 0;
    for (; n > 0 && totals[n] >= kMinDigits; --n) {
      const RunGroup& last = groups[i + n - 1];
      const Span span{begin, last.end};
      const int total = totals[n];
      const bool x_next = i + n == groups.size() && total == 17 && last.end < text.size() &&
                          (text[last.end] == 'X' || text[last.end] == 'x');
      if (x_next) {  // a trailing check character 'X' (cn_resident_id)
        from_i.copy(with_x_digits.data(), 17);
        with_x_digits[17] = 'X';
        const NumericLayout with_x{digits.data(), seps.data(), static_cast<int>(n), 18, false,
                                   std::string_view(with_x_digits.data(), 18)};
        const bool edges = start_ok && digits_end_ok(text, span.end + 1);
        const Span with_x_span{span.begin, span.end + 1};
        if ((edges || !numeric_digit_edges_) &&
            confirm_numeric_span(text, with_x, with_x_span, run, true, edges, context.data(), scratch)) {
          next = i + n;
          break;
        }
      }
      const NumericLayout layout{
          digits.data(), seps.data(), static_cast<int>(n), total, lead_plus,
          from_i.substr(0, static_cast<std::size_t>(total))};
      const bool edges = start_ok && digits_end_ok(text, span.end);
      if ((edges || !numeric_digit_edges_) &&
          confirm_numeric_span(text, layout, span, run, false, edges, context.data(), scratch)) {
        next = i + n;
        break;
      }
    }
    for (; i < next; ++i) offset += static_cast<std::size_t>(groups[i].digits);
  }
}

// Located detectors rebuild their span(s) from the match end; custom ones have the start from
// Hyperscan. A located hit that ends inside the span its pattern handled last is skipped: it
// would find the same span again (patterns fire repeatedly along one token, address or run),
// and skipping keeps the work linear in the text even for adversarial input.
void PiiScanner::confirm_located(std::string_view text, const ScanHit& hit, ScanScratch& scratch) const {
  const unsigned spec = pattern_spec_[hit.pattern];
  const DetectorSpec& s = specs_[spec];
  std::size_t& handled_to = scratch.handled_to()[hit.pattern];
  if (s.locate != nullptr && hit.to <= handled_to) return;
  std::vector<Span>& spans = scratch.spans();
  spans.clear();
  if (s.locate != nullptr) s.locate(text, hit.to, spans);
  else spans.push_back(Span{hit.from, hit.to});
  if (spans.empty()) return;
  if (s.locate != nullptr) handled_to = spans.front().end;
  for (const Span& span : spans) {
    if (span.begin >= span.end || span.end > text.size()) continue;
    if (!boundary_ok(s.boundary, text, span.begin, span.end)) continue;  // before folding: cheaper
    std::string_view compact;  // left empty for the validators that never read it
    if (reads_compact(s.validator)) {
      compact_into(text.substr(span.begin, span.end - span.begin), scratch.compact());
      compact = scratch.compact();
    }
    if (confirm_span(text, spec, span, compact, scratch)) return;
  }
}

}  // namespace sovgw::policy
