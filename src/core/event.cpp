#include "core/event.h"

#include <algorithm>

namespace herald {

const std::vector<std::string>* Event::attribute(std::string_view key) const noexcept {
  auto it = std::lower_bound(attributes.begin(), attributes.end(), key,
                             [](const Attribute& a, std::string_view k) { return a.key < k; });
  if (it == attributes.end() || it->key != key) return nullptr;
  return &it->values;
}

void Event::normalizeAttributes() {
  std::stable_sort(attributes.begin(), attributes.end(),
                   [](const Attribute& a, const Attribute& b) { return a.key < b.key; });
  std::vector<Attribute> merged;
  merged.reserve(attributes.size());
  for (auto& a : attributes) {
    if (!merged.empty() && merged.back().key == a.key) {
      auto& values = merged.back().values;
      values.insert(values.end(), std::make_move_iterator(a.values.begin()), std::make_move_iterator(a.values.end()));
    } else {
      merged.push_back(std::move(a));
    }
  }
  for (auto& a : merged) {
    std::sort(a.values.begin(), a.values.end());
    a.values.erase(std::unique(a.values.begin(), a.values.end()), a.values.end());
  }
  attributes = std::move(merged);
}

}  // namespace herald
