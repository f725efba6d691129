// Filter: what a subscription asks of an event's attributes. A conjunction of clauses; a clause
// holds when any of its values is among the event's values for its key. Several clauses on one key
// therefore mean "all of" (tag lists). Canonical form (sorted clauses, sorted unique values) makes
// equal filters compare and hash equal, so sessions with the same topic+filter share one group and
// one encoded frame.
#pragma once

#include "core/event.h"
#include "core/result.h"

#include <string>
#include <vector>

namespace herald {

struct Clause {
  std::string key;
  std::vector<std::string> any_of;  // non-empty, sorted, unique

  friend bool operator==(const Clause&, const Clause&) = default;
  friend auto operator<=>(const Clause&, const Clause&) = default;
};

struct FilterLimits {
  std::size_t max_clauses = 16;          // keeps per-event verification cheap
  std::size_t max_values_per_clause = 64;
  std::size_t max_text = 256;            // bytes of one key or value
};

class Filter {
 public:
  Filter() = default;  // matches everything

  // Canonicalizes; rejects empty keys, empty any_of and anything over `limits`
  // (Errc::invalid_params, field "filter.<key>").
  static Result<Filter> make(std::vector<Clause> clauses, const FilterLimits& limits = {});

  bool matchesAll() const noexcept { return clauses_.empty(); }
  bool matches(const Event& event) const noexcept;
  const std::vector<Clause>& clauses() const noexcept { return clauses_; }

  // Stable text of the canonical form; equal filters give equal text.
  std::string canonical() const;

  friend bool operator==(const Filter&, const Filter&) = default;

 private:
  std::vector<Clause> clauses_;
};

}  // namespace herald
