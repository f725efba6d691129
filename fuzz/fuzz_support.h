// What every fuzz target checks besides "no crash": invariants abort (libFuzzer reports an abort as a
// finding and keeps the input), and text a target produced must parse as JSON.
#pragma once

#include <boost/json.hpp>

#include <cstdlib>
#include <string_view>

namespace herald::fuzz {

inline void require(bool ok) {
  if (!ok) std::abort();
}

inline boost::json::value mustParse(std::string_view text) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(text, ec);
  require(!ec);
  return v;
}

}  // namespace herald::fuzz
