// Cursor: a resume position `{epoch, seq}` (never a bare number). The epoch is a random 64-bit id
// chosen when a log is created; it changes when history is lost (new data dir, reset), so a client
// can tell that its seq means nothing any more. Text form: 16 lowercase hex digits, ':', decimal seq,
// e.g. "7d3f0c2a9b1e4f60:1042". seq 0 means "before the first event".
#pragma once

#include "core/result.h"

#include <cstdint>
#include <string>
#include <string_view>

namespace herald {

struct Cursor {
  std::uint64_t epoch = 0;
  std::uint64_t seq = 0;

  std::string toString() const;
  // Strict: exactly the text form above; errors name what is wrong (Errc::parse_error).
  static Result<Cursor> parse(std::string_view text);

  friend bool operator==(const Cursor&, const Cursor&) = default;
};

// Why a resuming client cannot get every event it missed.
enum class GapReason { history_expired, epoch_changed };
std::string_view gapReasonName(GapReason reason) noexcept;

// An exact report of what a resuming client will not receive. Seqs are inclusive and belong to
// `epoch`. For epoch_changed the old history is gone entirely, so `missed_to` is unknown (0).
struct Gap {
  std::uint64_t epoch = 0;
  std::uint64_t missed_from = 0;
  std::uint64_t missed_to = 0;  // 0 = unknown (epoch_changed)
  GapReason reason = GapReason::history_expired;

  friend bool operator==(const Gap&, const Gap&) = default;
};

}  // namespace herald
