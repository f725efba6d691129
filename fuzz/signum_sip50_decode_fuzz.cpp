// Fuzzes SignumSip50::decode with arbitrary client bytes. The dialect is read-only, so the contract
// is simple and absolute: whatever arrives, text or binary, is Ignored and changes nothing (the
// opening that follows is the same as on a fresh connection).
#include "dialects/signum_sip50.h"
#include "fuzz_support.h"

#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <variant>

namespace {

using herald::fuzz::require;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const herald::dialects::SignumSip50 dialect;
  static const std::string connected = dialect.open(herald::NodeView{}, *dialect.newState()).frames.at(0)->bytes;
  auto state = dialect.newState();
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const bool binary = size > 0 && data[0] == 0xff;
  const herald::Decoded decoded = dialect.decode(bytes, binary, *state, herald::DecodeContext{});
  require(std::holds_alternative<herald::Ignored>(decoded));
  require(dialect.open(herald::NodeView{}, *state).frames.at(0)->bytes == connected);
  return 0;
}
