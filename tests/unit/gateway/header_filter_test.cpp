// What crosses sovgw in each direction: credentials and hop-by-hop headers never go upstream.
#include <doctest/doctest.h>

#include "gateway/header_filter.hpp"

namespace http = boost::beast::http;

TEST_CASE("the client's credentials and hop-by-hop headers are not forwarded upstream") {
  http::fields client;
  client.set(http::field::authorization, "Bearer sk-client-secret");
  client.set("x-api-key", "client-anthropic-key");
  client.set("api-key", "azure-key");
  client.set(http::field::cookie, "session=1");
  client.set("openai-organization", "org-client");
  client.set(http::field::host, "sovgw.internal:8080");
  client.set(http::field::content_length, "42");
  client.set(http::field::connection, "keep-alive, x-secret-hop");
  client.set("x-secret-hop", "only for this hop");
  client.set(http::field::keep_alive, "timeout=5");
  client.set(http::field::transfer_encoding, "chunked");
  client.set(http::field::accept_encoding, "gzip");
  client.set(http::field::proxy_authorization, "Basic abc");
  client.set("x-sovgw-data-class", "confidential");
  client.set("x-stainless-lang", "js");
  client.set(http::field::user_agent, "OpenAI/JS 6.49.0");
  client.set("x-request-id", "abc");

  http::fields upstream;
  sovgw::copy_request_headers(client, upstream);

  for (auto name : {"authorization", "x-api-key", "api-key", "cookie", "openai-organization", "host",
                    "content-length", "connection", "x-secret-hop", "keep-alive", "transfer-encoding",
                    "accept-encoding", "proxy-authorization", "x-sovgw-data-class"}) {
    CAPTURE(name);
    CHECK(upstream.find(name) == upstream.end());
  }
  CHECK(upstream["x-stainless-lang"] == "js");
  CHECK(upstream[http::field::user_agent] == "OpenAI/JS 6.49.0");
  CHECK(upstream["x-request-id"] == "abc");
}

TEST_CASE("header names are matched case-insensitively") {
  http::fields client;
  client.insert("AUTHORIZATION", "Bearer x");
  client.insert("X-Api-Key", "y");
  client.insert("X-SOVGW-Cache", "off");
  http::fields upstream;
  sovgw::copy_request_headers(client, upstream);
  CHECK(upstream.begin() == upstream.end());
}

TEST_CASE("upstream cookies, framing and hop-by-hop headers stay behind") {
  http::fields backend;
  backend.set(http::field::set_cookie, "__cf_bm=abc");
  backend.set(http::field::content_length, "10");
  backend.set(http::field::transfer_encoding, "chunked");
  backend.set(http::field::connection, "close");
  backend.set(http::field::server, "cloudflare");
  backend.set(http::field::content_type, "application/json");
  backend.set("x-ratelimit-remaining-requests", "99");
  backend.set("openai-processing-ms", "120");

  http::fields client;
  sovgw::copy_response_headers(backend, client);

  for (auto name : {"set-cookie", "content-length", "transfer-encoding", "connection", "server"}) {
    CAPTURE(name);
    CHECK(client.find(name) == client.end());
  }
  CHECK(client[http::field::content_type] == "application/json");
  CHECK(client["x-ratelimit-remaining-requests"] == "99");
  CHECK(client["openai-processing-ms"] == "120");
}

TEST_CASE("a Connection header naming many headers drops every one of them, and only them") {
  http::fields from;
  std::string named;
  for (int i = 0; i < 12; ++i) {
    from.insert("x-hop-" + std::to_string(i), "v");
    named += (i ? ", " : "") + std::string("X-Hop-") + std::to_string(i);
  }
  from.insert(http::field::connection, "keep-alive, " + named);
  from.insert("x-end-to-end", "kept");
  http::fields to;
  sovgw::copy_request_headers(from, to);
  for (int i = 0; i < 12; ++i) CHECK(to.find("x-hop-" + std::to_string(i)) == to.end());
  CHECK(to["x-end-to-end"] == "kept");
}
