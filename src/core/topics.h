// TopicSet: the topics clients may subscribe to and publishers may publish: the event catalog
// (docs/events.md) plus topics an operator declares in config. Immutable after startup, shared.
#pragma once

#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace herald {

class TopicSet {
 public:
  TopicSet() = default;
  explicit TopicSet(std::vector<std::string> names) : names_(names.begin(), names.end()) {}

  bool contains(std::string_view topic) const { return names_.contains(std::string(topic)); }
  void add(std::string name) { names_.insert(std::move(name)); }
  std::vector<std::string> sorted() const;

 private:
  std::unordered_set<std::string> names_;
};

}  // namespace herald
