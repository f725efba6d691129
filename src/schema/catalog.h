// The event catalog: the topics Herald knows, the data fields each requires (with JSON types), and
// the attributes derived from data for filtering. The contract between sources and dialects; kept in
// step with docs/events.md.
#pragma once

#include "core/event.h"
#include "core/result.h"
#include "core/topics.h"

#include <boost/json/fwd.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace herald::schema {

// Names of every catalog topic.
std::vector<std::string> catalogTopics();

// A TopicSet of the catalog plus `extra` operator-declared topics (no required fields).
TopicSet topicSet(const std::vector<std::string>& extra = {});

bool isCatalogTopic(std::string_view topic);

// A topic name is 1-128 characters of [a-z0-9._-]. Errc::invalid_params saying which rule failed
// (the caller names the field).
Result<void> checkTopicName(std::string_view name);

// The path of a field inside a published event, for error messages: "[3]" + "data.height" ->
// "[3].data.height"; an empty prefix gives the path alone.
std::string fieldPath(std::string_view prefix, std::string_view path);

// For a catalog topic: checks required fields and their types in `data` (errors name
// "<field>.data.<name>"), and appends derived attributes to `event.attributes`. Other topics pass.
Result<void> applyCatalog(std::string_view topic, const boost::json::object& data, Event& event,
                          std::string_view field);

}  // namespace herald::schema
