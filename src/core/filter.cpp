#include "core/filter.h"

#include <algorithm>

namespace herald {

Result<Filter> Filter::make(std::vector<Clause> clauses, const FilterLimits& limits) {
  if (clauses.size() > limits.max_clauses) {
    return Error::make(Errc::invalid_params,
                       "filter has " + std::to_string(clauses.size()) + " clauses; the limit is " +
                           std::to_string(limits.max_clauses),
                       "filter");
  }
  for (auto& c : clauses) {
    std::string field = "filter." + c.key;
    if (c.key.empty()) return Error::make(Errc::invalid_params, "filter keys must not be empty", "filter");
    if (c.key.size() > limits.max_text) {
      return Error::make(Errc::invalid_params, "filter key is longer than " + std::to_string(limits.max_text) + " bytes",
                         "filter");
    }
    if (c.any_of.empty()) return Error::make(Errc::invalid_params, field + " has no values", field);
    if (c.any_of.size() > limits.max_values_per_clause) {
      return Error::make(Errc::invalid_params,
                         field + " has " + std::to_string(c.any_of.size()) + " values; the limit is " +
                             std::to_string(limits.max_values_per_clause),
                         field);
    }
    for (const auto& v : c.any_of) {
      if (v.size() > limits.max_text) {
        return Error::make(Errc::invalid_params,
                           field + " has a value longer than " + std::to_string(limits.max_text) + " bytes", field);
      }
    }
    std::sort(c.any_of.begin(), c.any_of.end());
    c.any_of.erase(std::unique(c.any_of.begin(), c.any_of.end()), c.any_of.end());
  }
  std::sort(clauses.begin(), clauses.end());
  clauses.erase(std::unique(clauses.begin(), clauses.end()), clauses.end());
  Filter f;
  f.clauses_ = std::move(clauses);
  return f;
}

bool Filter::matches(const Event& event) const noexcept {
  for (const auto& clause : clauses_) {
    const auto* values = event.attribute(clause.key);
    if (values == nullptr) return false;
    // Both sides are sorted: a merge walk finds a common value without allocating.
    auto a = values->begin();
    auto b = clause.any_of.begin();
    bool found = false;
    while (a != values->end() && b != clause.any_of.end()) {
      int cmp = a->compare(*b);
      if (cmp == 0) { found = true; break; }
      if (cmp < 0) ++a; else ++b;
    }
    if (!found) return false;
  }
  return true;
}

std::string Filter::canonical() const {
  // Length-prefixed pieces, so no key or value can be crafted to collide with another filter.
  std::string out;
  for (const auto& c : clauses_) {
    out += std::to_string(c.key.size());
    out.push_back(':');
    out += c.key;
    out.push_back('=');
    for (const auto& v : c.any_of) {
      out += std::to_string(v.size());
      out.push_back(':');
      out += v;
    }
    out.push_back(';');
  }
  return out;
}

}  // namespace herald
