// Client process: one forked herald-bench process holding a slice of the run's WebSocket connections
// on one io_context (one thread). Each connection connects from its source address, upgrades,
// sends its subscribe text, then reads every message and counts each stamp in it (wire.h): the
// latency of an event is the process's CLOCK_REALTIME at arrival minus the publisher's stamp.
//
// It talks to the coordinator through two pipes: progress lines out every 10 ms
// ("P connected subscribed failed delivered closed expect_reached"), and at the end one
// "F <json>" line with its histogram and counters; it ends when the coordinator writes 'S' or
// closes the control pipe.
#pragma once

#include "options.h"

#include <cstddef>
#include <string>

namespace herald::bench {

struct ClientSlice {
  std::size_t first = 0;  // index of the process's first connection in the whole run
  std::size_t count = 0;
};

// Never returns: the process exits when it is told to stop (or its coordinator is gone).
[[noreturn]] void runClientProcess(const Options& options, ClientSlice slice, int report_fd, int control_fd,
                                   const std::string& since);

}  // namespace herald::bench
