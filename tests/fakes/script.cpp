// The /_fake/script queue.
#include "script.hpp"

namespace sovgw::fake {

void Script::set(std::deque<Behaviour> queue, std::optional<Behaviour> fallback) {
  std::lock_guard lock(mutex_);
  queue_ = std::move(queue);
  fallback_ = std::move(fallback);
}

void Script::clear() { set({}, std::nullopt); }

std::optional<Behaviour> Script::next() {
  std::lock_guard lock(mutex_);
  if (!queue_.empty()) {
    Behaviour b = std::move(queue_.front());
    queue_.pop_front();
    return b;
  }
  return fallback_;
}

}  // namespace sovgw::fake
