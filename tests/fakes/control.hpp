// The /_fake/* control endpoints tests call directly: the request log, the behaviour script and
// the counters. Pure request → Reply; the session writes it. Thread-safe through FakeServer.
//
//   Reply r = handle_control(server, "GET", "/_fake/requests", "");
#pragma once

#include <string_view>

#include "fake_server.hpp"
#include "reply.hpp"

namespace sovgw::fake {

Reply handle_control(FakeServer& server, std::string_view method, std::string_view path,
                     std::string_view body);

}  // namespace sovgw::fake
