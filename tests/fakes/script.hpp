// Script: the queue of behaviours set by POST /_fake/script, consumed one per /v1 request.
// A model-name behaviour bypasses it (the session decides that before asking here).
// Thread-safe: internally synchronised, so --threads N sessions may share one Script.
//
//   script.set({stream, reset}, normal);
//   auto b = script.next();  // stream, then reset, then normal forever
#pragma once

#include <deque>
#include <mutex>
#include <optional>

#include "behaviour.hpp"

namespace sovgw::fake {

class Script {
 public:
  // Replaces the queue and the fallback used once the queue is empty.
  void set(std::deque<Behaviour> queue, std::optional<Behaviour> fallback);
  void clear();

  // The next queued behaviour, else the fallback, else nothing (meaning: normal).
  std::optional<Behaviour> next();

 private:
  std::mutex mutex_;
  std::deque<Behaviour> queue_;
  std::optional<Behaviour> fallback_;
};

}  // namespace sovgw::fake
