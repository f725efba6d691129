// Counts heap allocations made by this program's own thread while a scope is active: the global
// operator new of a benchmark executable that includes counting_allocator.cpp is replaced by one that
// increments a counter, then calls malloc. Used to show which paths allocate per delivery.
#pragma once

#include <cstdint>

namespace herald::bench {

// Allocations (operator new calls) since the program started, on every thread.
std::uint64_t allocationCount() noexcept;

}  // namespace herald::bench
