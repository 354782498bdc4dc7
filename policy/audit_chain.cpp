#include "policy/audit_chain.hpp"

#include <openssl/evp.h>

#include <cstring>
#include <memory>
#include <stdexcept>

namespace sovgw::policy::audit_chain {

namespace {

void put_be64(std::string& out, std::uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((value >> shift) & 0xff));
}

std::uint64_t get_be64(std::string_view in) {
  std::uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value = (value << 8) | static_cast<unsigned char>(in[i]);
  return value;
}

Hash hash_at(std::string_view in) {
  Hash hash;
  std::memcpy(hash.data(), in.data(), hash.size());
  return hash;
}

}  // namespace

std::string record_key(std::uint64_t seq) {
  std::string key(1, kRecordPrefix);
  put_be64(key, seq);
  return key;
}

std::optional<std::uint64_t> seq_of_key(std::string_view key) {
  if (key.size() != 9 || key[0] != kRecordPrefix) return std::nullopt;
  return get_be64(key.substr(1));
}

Hash chain_hash(const Hash& prev, std::uint64_t seq, std::string_view json) {
  // Fetched once and one context per thread: OpenSSL 3's implicit fetch and a context allocation
  // per record would cost more than hashing a record.
  static EVP_MD* const kSha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  thread_local const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  std::string seq_bytes;
  put_be64(seq_bytes, seq);
  Hash out;
  unsigned int length = 0;
  const bool ok = kSha256 && ctx && EVP_DigestInit_ex(ctx.get(), kSha256, nullptr) == 1 &&
                  EVP_DigestUpdate(ctx.get(), prev.data(), prev.size()) == 1 &&
                  EVP_DigestUpdate(ctx.get(), seq_bytes.data(), seq_bytes.size()) == 1 &&
                  EVP_DigestUpdate(ctx.get(), json.data(), json.size()) == 1 &&
                  EVP_DigestFinal_ex(ctx.get(), out.data(), &length) == 1 && length == out.size();
  // SHA-256 over memory cannot fail short of running out of it: a bug or a broken OpenSSL.
  if (!ok) throw std::runtime_error("audit: SHA-256 failed");
  return out;
}

std::string encode_record(const Hash& prev, const Hash& hash, std::string_view json) {
  std::string value;
  value.reserve(prev.size() + hash.size() + json.size());
  value.append(reinterpret_cast<const char*>(prev.data()), prev.size());
  value.append(reinterpret_cast<const char*>(hash.data()), hash.size());
  value.append(json);
  return value;
}

std::optional<StoredRecord> decode_record(std::string_view value) {
  constexpr std::size_t kHashes = 2 * sizeof(Hash);
  if (value.size() <= kHashes) return std::nullopt;
  return StoredRecord{hash_at(value), hash_at(value.substr(sizeof(Hash))), value.substr(kHashes)};
}

std::string encode_head(const Head& head) {
  std::string value;
  put_be64(value, head.seq);
  value.append(reinterpret_cast<const char*>(head.hash.data()), head.hash.size());
  return value;
}

std::optional<Head> decode_head(std::string_view value) {
  if (value.size() != 8 + sizeof(Hash)) return std::nullopt;
  return Head{get_be64(value), hash_at(value.substr(8))};
}

std::string hex(const Hash& hash) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(hash.size() * 2);
  for (unsigned char byte : hash) {
    out.push_back(kDigits[byte >> 4]);
    out.push_back(kDigits[byte & 0xf]);
  }
  return out;
}

}  // namespace sovgw::policy::audit_chain
