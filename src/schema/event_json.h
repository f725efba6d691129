// The one schema, JSON side: turns a published JSON event ({topic, attributes?, data}) into a
// validated Event, and an Event back into its JSON form. Used by the publish API, `herald publish`,
// sources and the history endpoint, so every entrance applies the same rules. The catalog of known
// topics and their fields is in catalog.h (docs/events.md describes it for people).
#pragma once

#include "core/cursor.h"
#include "core/event.h"
#include "core/result.h"
#include "core/topics.h"

#include <boost/json/fwd.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace herald::schema {

struct PublishLimits {
  std::size_t max_batch = 1000;           // events in one publish request
  std::size_t max_data_bytes = 64 << 10;  // compact JSON of one event's data
  std::size_t max_attributes = 32;
  std::size_t max_values = 64;  // values of one attribute
  std::size_t max_text = 256;   // bytes of one attribute key or value, or of a topic
};

// One event object. `field` prefixes error fields (e.g. "[3]" for the 4th element of a batch).
// Checks: an object with exactly topic (string, known to `topics`), optional attributes (object of
// string or array-of-strings values), data (object); catalog topics' required data fields and types;
// limits. Derives catalog attributes from data (a publisher's explicit attributes are merged in).
// time_ms is set to `now_ms`; seq stays 0.
Result<Event> eventFromJson(const boost::json::value& value, const TopicSet& topics,
                            const PublishLimits& limits, std::int64_t now_ms, std::string_view field = {});

// A publish request body: one event object or a non-empty array of them. All or nothing: the first
// bad event fails the whole batch with its index in Error::field.
Result<std::vector<Event>> eventsFromJson(std::string_view body, const TopicSet& topics,
                                          const PublishLimits& limits, std::int64_t now_ms);

// {"topic","seq","cursor","time_ms","attributes","data"}: the history endpoint's and `herald sub`'s
// form of a stored event.
// Attribute values are a string when there is one and an array when there are several, as a
// publisher may write them; `data` is embedded verbatim.
std::string eventToJson(const Event& event, std::uint64_t epoch);

// Appends `text` as a JSON string literal (quoted, escaped). `text` is expected to be UTF-8.
void appendJsonString(std::string& out, std::string_view text);

}  // namespace herald::schema
