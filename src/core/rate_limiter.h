// TokenBucket: inbound message rate limit for one connection. The clock is passed in (ms), so the
// bucket is a plain value that tests drive deterministically.
#pragma once

#include <cstdint>

namespace herald {

struct RateLimit {
  double per_second = 50;  // sustained client messages per second; far above any honest client
  double burst = 100;      // a reconnecting client may resubscribe to many topics at once
};

class TokenBucket {
 public:
  TokenBucket(RateLimit limit, std::int64_t now_ms);

  // Takes one token if there is one. Returns false when the client is over its rate.
  bool tryTake(std::int64_t now_ms);
  double tokens() const noexcept { return tokens_; }

 private:
  RateLimit limit_;
  double tokens_;
  std::int64_t last_ms_;
};

}  // namespace herald
