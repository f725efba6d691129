// Fuzzes Ario::decode with arbitrary client bytes. Beyond "no crash, no sanitizer report" it checks
// what a client relies on: nothing closes the connection, every rejection can be answered with a
// valid JSON frame naming a reason, and every subscribe it accepts is one the hub can run (a known
// topic, a filter within its limits) whose notifications are valid JSON.
#include "dialects/ario.h"
#include "fuzz_support.h"

#include <boost/json.hpp>

#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <variant>

namespace {

namespace json = boost::json;
using herald::dialects::Ario;

using herald::fuzz::require;

using herald::fuzz::mustParse;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const Ario dialect;
  auto state = dialect.newState();
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const bool binary = size > 0 && data[0] == 0xff;

  const herald::Decoded decoded = dialect.decode(bytes, binary, *state, herald::DecodeContext{1000, nullptr});
  if (const auto* rejection = std::get_if<herald::Rejection>(&decoded)) {
    require(!rejection->fatal);
    require(!rejection->error.message.empty());
    const json::value reply = mustParse(dialect.encodeReply(herald::ErrorReply{rejection->id, rejection->error}, *state)->bytes);
    require(reply.at("result").at("reason").is_string());
  } else if (const auto* command = std::get_if<herald::Command>(&decoded)) {
    require(!binary);
    if (const auto* sub = std::get_if<herald::SubscribeCommand>(&command->body)) {
      require(sub->topic == "chain.tx" || sub->topic == "chain.block");
      require(!sub->since);
      const auto accepted = dialect.encodeReply(
          herald::SubscribedReply{command->id, "bd52673d-832f-4b34-a79d-79058e7f6989", sub->topic, {}, sub->delivery},
          *state);
      require(mustParse(accepted->bytes).at("method") == "ar_subscribe_accepted");
      auto event = std::make_shared<herald::Event>();
      event->topic = sub->topic;
      event->data = R"({"txid":"t","height":1,"owner":"o","target":"","fee":1,"tags":[],"hash":"h","prev_hash":"p","timestamp_ms":5,"tx_count":0,"tx_ids":[]})";
      const std::vector<herald::EventPtr> events{event};
      const auto frame = sub->delivery.batch
                             ? dialect.encodeBatch(events, "u", {}, sub->delivery, herald::NodeView{})
                             : dialect.encodeEvent(*event, "u", {}, sub->delivery, herald::NodeView{});
      require(frame != nullptr);
      mustParse(frame->bytes);
    } else {
      require(std::holds_alternative<herald::UnsubscribeCommand>(command->body));
    }
  }
  return 0;
}
