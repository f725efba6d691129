#include "core/subscription_index.h"

#include <algorithm>

namespace herald {

SharedId::SharedId(std::string_view group_key) noexcept {
  std::uint64_t h = 14695981039346656037ULL;  // FNV-1a 64 offset basis
  for (unsigned char c : group_key) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  text_[0] = 's';
  for (int i = 0; i < 16; ++i) text_[1 + i] = kHex[(h >> ((15 - i) * 4)) & 0xf];
}

std::string sharedSubscriptionId(std::string_view group_key) { return std::string(SharedId(group_key).view()); }

std::string groupKey(std::string_view topic, const Filter& filter, const Delivery& delivery) {
  std::string key(topic);
  key.push_back('\n');
  key += filter.canonical();
  if (delivery != Delivery{}) {
    key += "\ndebounce=" + std::to_string(delivery.debounce_ms) + ";batch=" + (delivery.batch ? "1" : "0") +
           ";tag=" + delivery.tag;
  }
  return key;
}

SubscriptionIndex::SubscriptionIndex() = default;
SubscriptionIndex::~SubscriptionIndex() = default;

SubscriptionGroup& SubscriptionIndex::join(const std::string& topic, const Filter& filter, Subscription* sub,
                                           const Delivery& delivery) {
  std::string key = groupKey(topic, filter, delivery);
  auto it = groups_.find(key);
  if (it == groups_.end()) {
    auto group = std::make_unique<SubscriptionGroup>();
    group->key = std::move(key);
    group->topic = topic;
    group->filter = filter;
    group->delivery = delivery;
    group->shared_id = SharedId(group->key);
    auto& entry = topics_[topic];
    if (filter.matchesAll()) {
      entry.unfiltered.push_back(group.get());
    } else {
      const Clause& anchor = filter.clauses().front();
      auto& by_value = entry.anchored[anchor.key];
      for (const auto& v : anchor.any_of) by_value[v].push_back(group.get());
    }
    ++entry.group_count;
    const std::string_view own_key = group->key;
    it = groups_.emplace(own_key, std::move(group)).first;
  }
  it->second->members.push_back(sub);
  return *it->second;
}

void SubscriptionIndex::leave(SubscriptionGroup& group, Subscription* sub) {
  auto& members = group.members;
  auto pos = std::find(members.begin(), members.end(), sub);
  if (pos != members.end()) {
    *pos = members.back();
    members.pop_back();
  }
  if (!members.empty()) return;

  auto topic_it = topics_.find(group.topic);
  if (topic_it != topics_.end()) {
    auto& entry = topic_it->second;
    auto erase_from = [&](std::vector<SubscriptionGroup*>& list) {
      auto p = std::find(list.begin(), list.end(), &group);
      if (p != list.end()) {
        *p = list.back();
        list.pop_back();
      }
    };
    if (group.filter.matchesAll()) {
      erase_from(entry.unfiltered);
    } else {
      const Clause& anchor = group.filter.clauses().front();
      auto key_it = entry.anchored.find(anchor.key);
      if (key_it != entry.anchored.end()) {
        for (const auto& v : anchor.any_of) {
          auto value_it = key_it->second.find(v);
          if (value_it == key_it->second.end()) continue;
          erase_from(value_it->second);
          if (value_it->second.empty()) key_it->second.erase(value_it);
        }
        if (key_it->second.empty()) entry.anchored.erase(key_it);
      }
    }
    if (--entry.group_count == 0) topics_.erase(topic_it);
  }
  groups_.erase(std::string_view(group.key));  // destroys `group`: last use
}

SubscriptionGroup* SubscriptionIndex::find(std::string_view key) {
  auto it = groups_.find(key);
  return it == groups_.end() ? nullptr : it->second.get();
}

void SubscriptionIndex::match(const Event& event, std::vector<SubscriptionGroup*>& out) {
  auto topic_it = topics_.find(event.topic);
  if (topic_it == topics_.end()) return;
  const TopicEntry& entry = topic_it->second;
  out.insert(out.end(), entry.unfiltered.begin(), entry.unfiltered.end());
  if (entry.anchored.empty()) return;

  const std::uint64_t generation = ++generation_;
  for (const auto& attribute : event.attributes) {
    auto key_it = entry.anchored.find(attribute.key);
    if (key_it == entry.anchored.end()) continue;
    for (const auto& value : attribute.values) {
      auto value_it = key_it->second.find(value);
      if (value_it == key_it->second.end()) continue;
      for (SubscriptionGroup* group : value_it->second) {
        // A group anchored on several of this event's values is reached once per value.
        if (group->mark == generation) continue;
        group->mark = generation;
        if (group->filter.clauses().size() == 1 || group->filter.matches(event)) out.push_back(group);
      }
    }
  }
}

}  // namespace herald
