// The detector table: every built-in PII/secret detector (id, how hits are found, validator,
// context words, edge rule) and the plain struct operators use to add their own. The scanner
// compiles these once at config load; this header holds data only and is thread-safe to read.
//
// Three kinds of detector, chosen for scan speed (Hyperscan is fastest with few patterns that
// start with rare bytes, and without start-of-match tracking):
//   - numeric (shape set): national ids, phones, cards, accounts. The scanner finds runs of 9+
//     digits (ASCII or full-width) with single separators between digit groups by itself (a
//     Hyperscan pattern would report every digit past the ninth, which dominated dense text);
//     each run is split into groups once and every sub-span is checked against each detector's
//     group shape, then its validator.
//   - located (regex + locate set): secrets, e-mail, IP, IBAN, passports. Hyperscan reports only
//     the match end; `locate` derives the span(s) from the bytes around it. IBAN and IPv4 have
//     no literal to look for, so their match ends come from the digit runs (run_trigger) instead.
//   - custom (regex only): compiled with start-of-match (HS_FLAG_SOM_LEFTMOST).
//
//   for (const DetectorSpec& d : builtin_detectors()) std::cout << d.id << '\n';  // kr_rrn, ...
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "policy/pii_validators.hpp"

namespace sovgw::policy {

// What may sit right before and after a hit. Hyperscan has no look-around, so the scanner checks
// the bytes around each hit instead (cheap: it only runs on hits).
enum class Boundary {
  kNone,    // anything (PEM blocks)
  kDigits,  // no digit or ASCII letter next to it, nor "-5"/".5" continuing the number
  kWord,    // no token character [A-Za-z0-9_+/-] before it, nor [A-Za-z0-9_+/=-] after it
  kEmail,   // no domain character after it
  kIp,      // no letter, digit or '.'+alnum continuing the address (':' only continues IPv6)
  kEdges,   // an alphanumeric first/last byte must not touch another alphanumeric byte
};

// The digit groups of a numeric candidate: "010-1234-5678" is {3,4,4} with two dash separators.
enum class SepKind : char { kDash, kSpace, kDot };
struct NumericLayout {
  const int* groups = nullptr;    // digits per group
  const SepKind* seps = nullptr;  // separator before group i+1, n-1 entries
  int n = 0;                      // number of groups
  int total = 0;                  // digits in all groups
  bool plus = false;              // written with a leading '+' (international phone numbers)
  std::string_view compact;       // the digits, full-width folded
};
using NumericShape = bool (*)(const NumericLayout&);

struct Span {
  std::size_t begin = 0;
  std::size_t end = 0;
};
// Given the end of a Hyperscan match, appends the candidate span(s) to try, best first.
using Locator = void (*)(std::string_view text, std::size_t match_end, std::vector<Span>& out);

// One digit group of a digit run: "010-1234-5678" is three groups.
struct RunGroup {
  std::size_t begin = 0;  // byte offsets of the group's digits (ASCII or full-width)
  std::size_t end = 0;
  int digits = 0;
  SepKind sep_before = SepKind::kSpace;  // separator between the previous group and this one
};
// For a located detector whose every match lies in or starts at a digit run: given one run
// (every run of the text is visited, in order), appends the ends of the detector's regex matches
// in it, in order. It may leave out an end when the locator would build the same span from an
// earlier one it reports.
using RunTrigger = void (*)(std::string_view text, const std::vector<RunGroup>& run, std::vector<std::size_t>& ends);

struct DetectorSpec {
  std::string id;                // used in config, metrics labels, audit records and placeholders
  NumericShape shape = nullptr;  // numeric detector: which group layouts it accepts
  // Numeric detector: bit n set when `shape` may accept a layout of n digits (the 'X' form of
  // cn_resident_id counts as 18). The scanner asks only those shapes; a test checks that no
  // shape accepts a total outside its mask.
  std::uint32_t digit_totals = 0;
  std::string regex;             // located and custom detectors: Hyperscan syntax over bytes
  Locator locate = nullptr;      // located detector; custom detectors have neither shape nor locate
  // Located detector found from the digit runs instead of Hyperscan (whose patterns without a
  // literal cost a DFA pass over every byte): `regex` is then not compiled, it states what the
  // trigger finds (tests hold the two to the same matches).
  RunTrigger run_trigger = nullptr;
  Validator validator = validate_any;
  // Non-empty: one must appear within kContextWindow bytes of the hit (of the whole digit run for
  // numeric detectors), ASCII letters compared caselessly.
  std::vector<std::string> context_words;
  Boundary boundary = Boundary::kDigits;
  bool x_suffix = false;  // numeric: a trailing 'X' may be the check character (cn_resident_id)
};

// An operator-defined detector, straight from config. `validator` is a name accepted by
// find_validator ("" for none); `context_words`, when non-empty, must appear near the hit.
// The regex is Hyperscan syntax over UTF-8 bytes; `\d` means ASCII digits only.
struct CustomDetector {
  std::string name;
  std::string regex;
  std::string validator;
  std::vector<std::string> context_words;
};

// Built-in detectors in priority order: when two detectors confirm the same span, the earlier
// one names the finding. Several rows may share an id (one detector, several shapes).
const std::vector<DetectorSpec>& builtin_detectors();

// The distinct built-in ids, in table order.
std::vector<std::string> builtin_detector_ids();

}  // namespace sovgw::policy
