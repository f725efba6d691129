// Report: a RunResult rendered as the one JSON object per run (the stable shape other scripts read;
// docs/bench/README.md describes each member) and as a short table for people.
#pragma once

#include "coordinator.h"
#include "options.h"

#include <boost/json/object.hpp>

#include <string>

namespace herald::bench {

boost::json::object toJson(const Options& options, const RunResult& result);
std::string toTable(const boost::json::object& report);

}  // namespace herald::bench
