#include "core/topics.h"

#include <algorithm>

namespace herald {

std::vector<std::string> TopicSet::sorted() const {
  std::vector<std::string> out(names_.begin(), names_.end());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace herald
