// History: how a worker reads the log without blocking. Implemented by bus/ (reads on a reader
// thread, then posts the result back to the calling worker). Core only sees this interface.
#pragma once

#include "core/cursor.h"
#include "core/event_log.h"
#include "core/result.h"

#include <functional>
#include <string>

namespace herald {

class History {
 public:
  virtual ~History() = default;

  // Reads like EventLog::readAfter and calls `done` on the calling worker's thread later (never
  // inline). `done` must tolerate the session being gone by then.
  virtual void readAfter(Cursor after, std::string topic, std::size_t limit,
                         std::function<void(Result<ReadBatch>)> done) = 0;
};

}  // namespace herald
