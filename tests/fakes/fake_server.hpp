// FakeServer: the state every connection of one fake_upstream process shares — its name, the
// request recorder and the behaviour script. Both members are internally synchronised, so
// sessions on any thread may use them; `name` is set once at start-up.
#pragma once

#include <string>

#include "recorder.hpp"
#include "script.hpp"

namespace sovgw::fake {

struct FakeServer {
  std::string name;  // in generated answers and the x-fake-name header
  Recorder recorder;
  Script script;
};

}  // namespace sovgw::fake
