// Event: the one unit that flows from sources to clients. Immutable once sequenced: it is shared
// (EventPtr) by the log, every worker and every session queue. Core never parses `data`; it is a
// compact JSON object text validated at ingest (schema/), embedded verbatim by dialects.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace herald {

// An attribute is what subscriptions filter on: one key with one or more values (tag lists have
// several). Keys are unique within an event and kept sorted, so lookups and equality are cheap.
struct Attribute {
  std::string key;
  std::vector<std::string> values;

  friend bool operator==(const Attribute&, const Attribute&) = default;
};

struct Event {
  std::string topic;
  std::uint64_t seq = 0;      // assigned by the log; 0 until sequenced
  std::int64_t time_ms = 0;   // Unix milliseconds, assigned by the gateway at ingest
  std::vector<Attribute> attributes;  // sorted by key, keys unique
  std::string data;           // compact JSON object text
  // Steady-clock ns when the pipeline accepted the event; never stored. Carried into its frames so
  // transport can measure publish-to-write latency. Not part of the event's identity.
  std::int64_t accepted_ns = 0;

  // Values of one attribute, or nullptr. Binary search: attributes are sorted.
  const std::vector<std::string>* attribute(std::string_view key) const noexcept;

  // Sorts keys, merges duplicate keys, sorts and dedups values. Call after building attributes.
  void normalizeAttributes();

  friend bool operator==(const Event& a, const Event& b) {
    return a.topic == b.topic && a.seq == b.seq && a.time_ms == b.time_ms && a.attributes == b.attributes &&
           a.data == b.data;
  }
};

using EventPtr = std::shared_ptr<const Event>;

}  // namespace herald
