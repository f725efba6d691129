// SubscriptionIndex: finds the subscription groups an event matches by hash lookups, never by
// scanning a topic's subscriptions. A group is every subscription with the same topic, canonical
// filter and delivery (they get the same frames). Unfiltered groups hang off the topic; a filtered group is
// indexed under each value of its first clause (the "anchor"), and only the groups reached through
// the event's own attribute values are verified against their remaining clauses.
//
// Single-threaded: each worker owns one index for its own sessions.
#pragma once

#include "core/command.h"
#include "core/event.h"
#include "core/filter.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace herald {

struct Subscription;

// A shared subscription id, "s" + 16 hex digits (FNV-1a 64 of the group key), held inline: a group
// that is one idle connection's own filter would otherwise spend a heap block on it.
class SharedId {
 public:
  static constexpr std::size_t kSize = 17;
  SharedId() noexcept = default;
  explicit SharedId(std::string_view group_key) noexcept;
  std::string_view view() const noexcept { return {text_, kSize}; }

 private:
  char text_[kSize] = {};
};

struct SubscriptionGroup {
  std::string key;    // groupKey(topic, filter, delivery): the group's identity
  std::string topic;
  Filter filter;
  Delivery delivery;
  SharedId shared_id;  // subscription id for dialects whose ids derive from topic+filter+delivery
  std::vector<Subscription*> members;
  std::uint64_t mark = 0;  // match() generation, so a group reached twice is reported once
  // Scratch for the hub's publish(): index of this group's pending batch, or kNoBatch.
  static constexpr std::size_t kNoBatch = static_cast<std::size_t>(-1);
  std::size_t batch_slot = kNoBatch;
};

// A group's identity: topic '\n' canonical filter, then '\n' and the delivery's text when the delivery
// is not the default one (so plain subscriptions keep the ids they always had).
std::string groupKey(std::string_view topic, const Filter& filter, const Delivery& delivery = {});

// Stable, short id derived from a group key: "s" + 16 hex digits (FNV-1a 64).
std::string sharedSubscriptionId(std::string_view group_key);

class SubscriptionIndex {
 public:
  SubscriptionIndex();
  ~SubscriptionIndex();
  SubscriptionIndex(const SubscriptionIndex&) = delete;
  SubscriptionIndex& operator=(const SubscriptionIndex&) = delete;

  // Adds `sub` to the group for (topic, filter, delivery), creating the group when new. The returned
  // group lives until its last member leaves.
  SubscriptionGroup& join(const std::string& topic, const Filter& filter, Subscription* sub,
                          const Delivery& delivery = {});

  // Removes `sub` from `group`; deletes the group when it becomes empty.
  void leave(SubscriptionGroup& group, Subscription* sub);

  // Appends every group whose topic and filter match `event` to `out`, each once.
  void match(const Event& event, std::vector<SubscriptionGroup*>& out);

  // The group with this key, or nullptr when it has no members any more.
  SubscriptionGroup* find(std::string_view key);

  std::size_t groupCount() const noexcept { return groups_.size(); }

 private:
  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  template <class V>
  using StringMap = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;

  struct TopicEntry {
    std::vector<SubscriptionGroup*> unfiltered;
    // anchor key -> anchor value -> groups whose first clause names that value
    StringMap<StringMap<std::vector<SubscriptionGroup*>>> anchored;
    std::size_t group_count = 0;
  };

  // Keyed by a view of the group's own key: one copy of each key, in the group.
  std::unordered_map<std::string_view, std::unique_ptr<SubscriptionGroup>> groups_;
  StringMap<TopicEntry> topics_;
  std::uint64_t generation_ = 0;
};

}  // namespace herald
