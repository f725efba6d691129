// Fuzzes HeraldV1::decode with arbitrary client bytes. Beyond "no crash, no sanitizer report" it
// checks what a client relies on: every outcome can be answered, the answer is valid JSON, and the
// answer carries the request's id with its value intact.
#include "dialects/herald_v1.h"
#include "fuzz_support.h"

#include <boost/json.hpp>

#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace {

namespace json = boost::json;
using herald::dialects::HeraldV1;

using herald::fuzz::require;

using herald::fuzz::mustParse;

// The reply carries the request's id text exactly (itself valid JSON), or null when there was none.
// Text, not value, is compared: boost::json reads 0e400 as NaN, which equals nothing.
void checkReply(const HeraldV1& dialect, const herald::Reply& reply, const herald::RequestId& id) {
  auto state = dialect.newState();
  const std::string bytes = dialect.encodeReply(reply, *state)->bytes;
  const json::value v = mustParse(bytes);
  require(v.is_object() && v.as_object().contains("id"));
  if (!id.empty()) mustParse(id);
  const std::string head = std::string(R"({"jsonrpc":"2.0","id":)") + (id.empty() ? std::string("null") : id);
  require(bytes.starts_with(head));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const HeraldV1 dialect;
  auto state = dialect.newState();
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  // The first byte picks the frame type now and then, so the binary path is covered too.
  const bool binary = size > 0 && data[0] == 0xff;

  const herald::Decoded decoded = dialect.decode(bytes, binary, *state, herald::DecodeContext{});
  if (const auto* rejection = std::get_if<herald::Rejection>(&decoded)) {
    require(!rejection->fatal);
    require(!rejection->error.message.empty());
    checkReply(dialect, herald::ErrorReply{rejection->id, rejection->error}, rejection->id);
  } else if (const auto* command = std::get_if<herald::Command>(&decoded)) {
    require(!binary);
    checkReply(dialect, herald::PongReply{command->id}, command->id);
    if (const auto* sub = std::get_if<herald::SubscribeCommand>(&command->body)) {
      require(!sub->topic.empty());
      checkReply(
          dialect,
          herald::SubscribedReply{command->id, sub->topic, sub->topic, sub->since.value_or(herald::Cursor{})},
          command->id);
      herald::Event event;
      event.topic = sub->topic;
      event.data = "{}";
      mustParse(dialect.encodeEvent(event, sub->topic, herald::Cursor{}, sub->delivery, herald::NodeView{})->bytes);
    }
  }
  return 0;
}
