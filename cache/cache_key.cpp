// See cache_key.hpp.
#include "cache/cache_key.hpp"

#include <algorithm>
#include <vector>

#include <openssl/evp.h>

#include <boost/json.hpp>

namespace sovgw::cache {

namespace json = boost::json;

namespace {

// Bumped when the canonical form changes, so old entries can never match new requests.
constexpr std::string_view kKeyVersion = "sovgw-cache-v1";

bool ignored_field(std::string_view name) {
  return std::find(std::begin(kIgnoredFields), std::end(kIgnoredFields), name) != std::end(kIgnoredFields);
}

class CanonicalWriter {
 public:
  explicit CanonicalWriter(std::string& out) : out_(out) {}

  void write_object(const json::object& object, bool top_level) {
    std::vector<const json::key_value_pair*> members;
    members.reserve(object.size());
    for (const auto& member : object) {
      if (top_level && ignored_field(member.key())) continue;
      members.push_back(&member);
    }
    std::sort(members.begin(), members.end(),
              [](const auto* a, const auto* b) { return a->key() < b->key(); });
    out_.push_back('{');
    for (std::size_t i = 0; i < members.size(); ++i) {
      if (i > 0) out_.push_back(',');
      const json::string_view key = members[i]->key();
      serializer_.reset(key);
      drain();
      out_.push_back(':');
      write(members[i]->value());
    }
    out_.push_back('}');
  }

  void write(const json::value& value) {
    if (const auto* object = value.if_object()) {
      write_object(*object, false);
    } else if (const auto* array = value.if_array()) {
      out_.push_back('[');
      for (std::size_t i = 0; i < array->size(); ++i) {
        if (i > 0) out_.push_back(',');
        write((*array)[i]);
      }
      out_.push_back(']');
    } else {
      write_scalar(value);
    }
  }

 private:
  // Strings, numbers, booleans and null exactly as Boost.JSON serialises them.
  void write_scalar(const json::value& value) {
    serializer_.reset(&value);
    drain();
  }

  void drain() {
    char buffer[512];
    while (!serializer_.done()) out_.append(serializer_.read(buffer, sizeof buffer));
  }

  std::string& out_;
  json::serializer serializer_;
};

bool usable_name(std::string_view name) {
  return !name.empty() && name.find('\0') == std::string_view::npos;
}

void put_field(EVP_MD_CTX* ctx, std::string_view field) {
  EVP_DigestUpdate(ctx, field.data(), field.size());
  EVP_DigestUpdate(ctx, "", 1);  // '\0' separator: fields cannot run into each other
}

}  // namespace

std::string CacheKey::db_key() const {
  std::string key;
  key.reserve(tenant.size() + model.size() + 2 + digest.size());
  key.append(tenant).push_back('\0');
  key.append(model).push_back('\0');
  key.append(reinterpret_cast<const char*>(digest.data()), digest.size());
  return key;
}

std::string CacheKey::digest_hex() const {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(digest.size() * 2);
  for (auto byte : digest) {
    hex.push_back(kHex[byte >> 4]);
    hex.push_back(kHex[byte & 0xf]);
  }
  return hex;
}

std::string canonical_request_json(const json::object& body) {
  std::string out;
  out.reserve(1024);
  CanonicalWriter(out).write_object(body, true);
  return out;
}

std::optional<CacheKey> make_cache_key(std::string_view tenant, std::string_view model, std::string_view api_path,
                                       const json::object& body) {
  if (!usable_name(tenant) || !usable_name(model)) return std::nullopt;
  const std::string canonical = canonical_request_json(body);
  CacheKey key;
  key.tenant = tenant;
  key.model = model;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (!ctx) throw std::bad_alloc();
  unsigned length = 0;
  const bool ok = EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) == 1;
  if (ok) {
    put_field(ctx, kKeyVersion);
    put_field(ctx, tenant);
    put_field(ctx, model);
    put_field(ctx, api_path);
    EVP_DigestUpdate(ctx, canonical.data(), canonical.size());
    EVP_DigestFinal_ex(ctx, key.digest.data(), &length);
  }
  EVP_MD_CTX_free(ctx);
  // SHA-256 from the system's OpenSSL does not fail on valid input; if it did, that is a bug.
  if (!ok || length != key.digest.size()) throw std::runtime_error("SHA-256 unavailable");
  return key;
}

}  // namespace sovgw::cache
