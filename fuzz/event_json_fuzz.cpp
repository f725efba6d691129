// Fuzzes schema::eventsFromJson with arbitrary publish bodies. Beyond "no crash, no sanitizer
// report" it checks the promises the rest of the gateway builds on: accepted data is compact JSON
// of an object, attributes are normalized and within limits, and an event's stored JSON form
// publishes back to the same event.
#include "schema/event_json.h"
#include "fuzz_support.h"

#include "schema/catalog.h"

#include <boost/json.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace {

namespace json = boost::json;
using namespace herald;

using herald::fuzz::require;

// Boost.JSON 1.81 reads numbers with a fraction or exponent by a fast method that is not always the
// nearest double, so such a value can move by one unit in the last place each time it is re-read
// (docs/events.md says so). Integers are exact; the exact round-trip checks apply when all numbers are.
bool hasDouble(const json::value& v) {
  switch (v.kind()) {
    case json::kind::double_: return true;
    case json::kind::array:
      for (const auto& item : v.get_array()) {
        if (hasDouble(item)) return true;
      }
      return false;
    case json::kind::object:
      for (const auto& member : v.get_object()) {
        if (hasDouble(member.value())) return true;
      }
      return false;
    default: return false;
  }
}

using herald::fuzz::mustParse;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const TopicSet topics = schema::topicSet({"acme.alerts"});
  // Small limits so the fuzzer reaches every bound quickly.
  static const schema::PublishLimits limits{
      .max_batch = 8, .max_data_bytes = 2048, .max_attributes = 8, .max_values = 8, .max_text = 64};
  const std::string_view body(reinterpret_cast<const char*>(data), size);

  auto events = schema::eventsFromJson(body, topics, limits, 1234);
  if (!events) {
    require(!events.error().message.empty());
    return 0;
  }
  require(!events->empty() && events->size() <= limits.max_batch);
  for (const Event& e : *events) {
    require(topics.contains(e.topic) && e.seq == 0 && e.time_ms == 1234);
    const json::value d = mustParse(e.data);
    require(d.is_object());
    const bool exact = !hasDouble(d);
    require(!exact || json::serialize(d) == e.data);  // compact, canonical text
    require(e.data.size() <= limits.max_data_bytes);
    require(e.attributes.size() <= limits.max_attributes);
    for (std::size_t i = 0; i < e.attributes.size(); ++i) {
      const Attribute& a = e.attributes[i];
      require(i == 0 || e.attributes[i - 1].key < a.key);
      require(!a.values.empty() && a.values.size() <= limits.max_values);
      require(std::is_sorted(a.values.begin(), a.values.end()));
      require(std::adjacent_find(a.values.begin(), a.values.end()) == a.values.end());
    }

    // Stored form -> publish form -> the same event.
    const json::value stored = mustParse(schema::eventToJson(e, 7));
    json::object again{{"topic", stored.at("topic")}, {"data", stored.at("data")}};
    if (!stored.at("attributes").as_object().empty()) again["attributes"] = stored.at("attributes");
    auto back = schema::eventsFromJson(json::serialize(again), topics, limits, 1234);
    require(back.has_value() && back->size() == 1);
    require(back->front().topic == e.topic && back->front().attributes == e.attributes);
    require(!exact || back->front() == e);
  }
  return 0;
}
