#include "core/result.h"

#include <stdexcept>

namespace herald {

std::string_view errcName(Errc code) noexcept {
  switch (code) {
    case Errc::parse_error: return "parse_error";
    case Errc::invalid_request: return "invalid_request";
    case Errc::unknown_method: return "unknown_method";
    case Errc::invalid_params: return "invalid_params";
    case Errc::unknown_topic: return "unknown_topic";
    case Errc::too_many_subscriptions: return "too_many_subscriptions";
    case Errc::duplicate_subscription: return "duplicate_subscription";
    case Errc::unknown_subscription: return "unknown_subscription";
    case Errc::rate_limited: return "rate_limited";
    case Errc::cursor_ahead: return "cursor_ahead";
    case Errc::unauthorized: return "unauthorized";
    case Errc::forbidden: return "forbidden";
    case Errc::too_large: return "too_large";
    case Errc::unavailable: return "unavailable";
    case Errc::internal: return "internal";
  }
  return "internal";
}

void throw_exception_from_error(const Error& error, const boost::source_location&) {
  throw std::logic_error("value() taken from an error result: " + std::string(errcName(error.code)) + ": " +
                         error.message);
}

}  // namespace herald
