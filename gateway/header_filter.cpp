#include "gateway/header_filter.hpp"

#include <algorithm>
#include <array>
#include <string_view>

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/field.hpp>

namespace sovgw {

namespace http = boost::beast::http;

namespace {

// Hop-by-hop: meaningful for one connection only.
constexpr std::array<std::string_view, 9> kHopByHop = {
    "connection", "keep-alive", "proxy-connection", "transfer-encoding", "te",
    "trailer",    "upgrade",    "proxy-authorization", "proxy-authenticate"};

// Never forwarded upstream, each for a reason:
constexpr std::array<std::string_view, 11> kRequestDrop = {
    "authorization",         // the client's gateway credential; the backend gets its own key
    "x-api-key",             // same, Anthropic style
    "api-key",               // same, Azure style
    "cookie",                // client session state is not the provider's business
    "openai-organization",   // belongs to the client's key, not to sovgw's
    "openai-project",        // same
    "host",                  // set to the backend's host
    "content-length",        // recomputed for the body actually sent
    "expect",                // sovgw answered 100-continue itself
    "accept-encoding",       // sovgw relays SSE and must see plain bytes
    "forwarded",             // sovgw does not reveal the internal network
};

constexpr std::array<std::string_view, 4> kResponseDrop = {
    "content-length",  // recomputed by sovgw's own framing
    "set-cookie",      // provider cookies must not reach internal clients
    "server",          // sovgw answers as itself
    "date",            // sovgw's own
};

template <std::size_t N>
bool listed(const std::array<std::string_view, N>& list, std::string_view name) {
  return std::any_of(list.begin(), list.end(),
                     [&](std::string_view entry) { return boost::beast::iequals(entry, name); });
}

// Calls `f(token)` for each token of the Connection header(s) (RFC 9110 §7.6.1) until it
// returns true; returns whether one did.
template <typename F>
bool any_connection_token(const http::fields& fields, F f) {
  for (auto it = fields.find(http::field::connection); it != fields.end() && it->name() == http::field::connection;
       ++it) {
    std::string_view value = it->value();
    while (!value.empty()) {
      auto comma = value.find(',');
      auto token = value.substr(0, comma);
      while (!token.empty() && (token.front() == ' ' || token.front() == '\t')) token.remove_prefix(1);
      while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) token.remove_suffix(1);
      if (f(token)) return true;
      if (comma == std::string_view::npos) break;
      value.remove_prefix(comma + 1);
    }
  }
  return false;
}

// The headers a message's Connection header names, read once per message: they are hop-by-hop
// too. Almost every message names at most "keep-alive" or "close", which are never field names.
class ConnectionTokens {
 public:
  explicit ConnectionTokens(const http::fields& fields) : fields_(fields) {
    any_connection_token(fields, [this](std::string_view token) {
      if (token.empty() || boost::beast::iequals(token, "keep-alive") || boost::beast::iequals(token, "close")) {
        return false;
      }
      if (count_ == tokens_.size()) {
        overflow_ = true;
        return true;
      }
      tokens_[count_++] = token;
      return false;
    });
  }
  bool names(std::string_view name) const {
    for (std::size_t i = 0; i < count_; ++i) {
      if (boost::beast::iequals(tokens_[i], name)) return true;
    }
    // Rare: more tokens than kept; read them all again.
    return overflow_ && any_connection_token(fields_, [name](std::string_view t) { return boost::beast::iequals(t, name); });
  }

 private:
  const http::fields& fields_;
  std::array<std::string_view, 8> tokens_{};
  std::size_t count_ = 0;
  bool overflow_ = false;
};

bool is_sovgw_control(std::string_view name) {
  return name.size() >= 8 && boost::beast::iequals(name.substr(0, 8), "x-sovgw-");
}

}  // namespace

void copy_request_headers(const http::fields& from, http::fields& to) {
  const ConnectionTokens connection(from);
  for (const auto& field : from) {
    std::string_view name = field.name_string();
    if (listed(kHopByHop, name) || listed(kRequestDrop, name) || is_sovgw_control(name) || connection.names(name)) {
      continue;
    }
    to.insert(field.name(), field.name_string(), field.value());
  }
}

void copy_response_headers(const http::fields& from, http::fields& to) {
  const ConnectionTokens connection(from);
  for (const auto& field : from) {
    std::string_view name = field.name_string();
    if (listed(kHopByHop, name) || listed(kResponseDrop, name) || connection.names(name)) continue;
    to.insert(field.name(), field.name_string(), field.value());
  }
}

}  // namespace sovgw
