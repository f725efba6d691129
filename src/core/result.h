// Error values for everything that can fail because of the outside world (client input, disk,
// network, upstreams). They are returned, never thrown, on the event path. Every module reports
// failures as `Error`; each surface (JSON-RPC, HTTP, dialect) maps `Errc` to its own documented codes.
#pragma once

#include <boost/system/result.hpp>

#include <string>
#include <utility>

namespace herald {

// Kinds of failure a client or operator can act on. Never renumber: surfaces map these to codes.
enum class Errc {
  parse_error,             // bytes are not the expected syntax (JSON, cursor text, ...)
  invalid_request,         // well-formed but not a request of this protocol
  unknown_method,          // a method/route this surface does not have
  invalid_params,          // a field is missing, of the wrong type, or out of range (see Error::field)
  unknown_topic,           // topic is not in the catalog nor configured
  too_many_subscriptions,  // per-connection subscription limit reached
  duplicate_subscription,  // this connection already has the same topic+filter
  unknown_subscription,    // unsubscribe of an id this connection does not hold
  rate_limited,            // inbound token bucket empty
  cursor_ahead,            // a cursor past the log head of the current epoch
  unauthorized,            // missing or wrong credentials
  forbidden,               // authenticated but not allowed
  too_large,               // a body or batch over its configured limit
  unavailable,             // storage or an upstream is not reachable now; retry later
  internal,                // a bug or an unexpected failure; logged with detail
};

std::string_view errcName(Errc code) noexcept;

struct Error {
  Errc code = Errc::internal;
  std::string message;  // human-readable, names the limit or the value at fault
  std::string field;    // the offending field's path ("params.filter.market"), empty when none

  static Error make(Errc code, std::string message, std::string field = {}) {
    return Error{code, std::move(message), std::move(field)};
  }
};

template <class T>
using Result = boost::system::result<T, Error>;

// boost::system::result calls this (found by ADL) when value() is taken from an error: a bug.
[[noreturn]] void throw_exception_from_error(const Error& error, const boost::source_location& loc);

}  // namespace herald
