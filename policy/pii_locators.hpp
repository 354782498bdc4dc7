// Internal to policy/: locators for the regex-found built-in detectors. Hyperscan reports only
// where a match ends (start-of-match tracking slows every scan); each locator rebuilds the span
// from the bytes around that end. Pure functions over the text. Two detectors without a literal
// (IBAN, IPv4) get their match ends from the digit runs instead of Hyperscan.
#pragma once

#include <string_view>
#include <vector>

#include "policy/pii_detectors.hpp"

namespace sovgw::policy::locators {

void fixed9(std::string_view text, std::size_t end, std::vector<Span>& out);   // passports
void fixed20(std::string_view text, std::size_t end, std::vector<Span>& out);  // AWS key ids
void pem_block(std::string_view text, std::size_t end, std::vector<Span>& out);
void github_classic(std::string_view text, std::size_t end, std::vector<Span>& out);
void github_fine_grained(std::string_view text, std::size_t end, std::vector<Span>& out);
void openai_key(std::string_view text, std::size_t end, std::vector<Span>& out);
void jwt(std::string_view text, std::size_t end, std::vector<Span>& out);
void keyword_token(std::string_view text, std::size_t end, std::vector<Span>& out);
void email(std::string_view text, std::size_t end, std::vector<Span>& out);
void ipv4(std::string_view text, std::size_t end, std::vector<Span>& out);
void ipv6(std::string_view text, std::size_t end, std::vector<Span>& out);
void iban(std::string_view text, std::size_t end, std::vector<Span>& out);

// Run triggers (see RunTrigger): the match ends of the iban and ipv4 regexes, from the digit runs.
void iban_start(std::string_view text, const std::vector<RunGroup>& run, std::vector<std::size_t>& ends);
void ipv4_windows(std::string_view text, const std::vector<RunGroup>& run, std::vector<std::size_t>& ends);

}  // namespace sovgw::policy::locators
