// The on-disk format of the audit store, shared by its writer (AuditLog) and its reader
// (AuditReader); private to policy/. A RocksDB database with three kinds of keys:
//   "f"                 "sovgw-audit/1", written when the store is created
//   "h"                 head: big-endian u64 last seq + the 32-byte hash of that record
//   "r" + BE u64 seq    record: 32-byte prev hash + 32-byte own hash + canonical JSON
// Seqs start at 1; record 1's prev hash is 32 zero bytes. own = SHA-256(prev || BE u64 seq || json).
// A record and the head that names it are written in one WriteBatch, so they agree after any crash.
// Pure functions; thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sovgw::policy::audit_chain {

using Hash = std::array<unsigned char, 32>;

inline constexpr std::string_view kFormatKey = "f";
inline constexpr std::string_view kFormatValue = "sovgw-audit/1";
inline constexpr std::string_view kHeadKey = "h";
inline constexpr char kRecordPrefix = 'r';

std::string record_key(std::uint64_t seq);
// The seq of a record key; nullopt for any other key.
std::optional<std::uint64_t> seq_of_key(std::string_view key);

Hash chain_hash(const Hash& prev, std::uint64_t seq, std::string_view json);

struct StoredRecord {
  Hash prev;
  Hash hash;
  std::string_view json;  // points into the decoded value
};
std::string encode_record(const Hash& prev, const Hash& hash, std::string_view json);
std::optional<StoredRecord> decode_record(std::string_view value);

struct Head {
  std::uint64_t seq = 0;
  Hash hash{};
};
std::string encode_head(const Head& head);
std::optional<Head> decode_head(std::string_view value);

std::string hex(const Hash& hash);

}  // namespace sovgw::policy::audit_chain
