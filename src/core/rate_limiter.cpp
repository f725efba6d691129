#include "core/rate_limiter.h"

#include <algorithm>

namespace herald {

TokenBucket::TokenBucket(RateLimit limit, std::int64_t now_ms) : limit_(limit), tokens_(limit.burst), last_ms_(now_ms) {}

bool TokenBucket::tryTake(std::int64_t now_ms) {
  if (now_ms > last_ms_) {
    tokens_ = std::min(limit_.burst, tokens_ + static_cast<double>(now_ms - last_ms_) * limit_.per_second / 1000.0);
    last_ms_ = now_ms;
  }
  if (tokens_ < 1.0) return false;
  tokens_ -= 1.0;
  return true;
}

}  // namespace herald
