// Publisher: sends stamped events to the server under test in that server's own way, so every
// server is measured with the same clients:
//   http  POST <url> with a JSON array of {"topic", "attributes"?, "data"} (Herald's /api/v1/publish;
//         the ws peer accepts the same body), keep-alive, one request in flight per publisher;
//   nats  the NATS text protocol over TCP ("PUB <subject> <n>\r\n<payload>\r\n"), written in batches.
// Event j carries value j % values (wire.h) and the send time, taken when its batch is built.
//
// Runs on the coordinator's io_context; errors are thrown as exceptions (a run with a broken
// publisher has no result worth reporting).
#pragma once

#include "options.h"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include <cstdint>
#include <memory>
#include <string>

namespace herald::bench {

class Publisher {
 public:
  virtual ~Publisher() = default;
  virtual boost::asio::awaitable<void> connect() = 0;
  // Sends events first .. first+count-1. Completes when the server answered (http) or the bytes are
  // written (nats).
  virtual boost::asio::awaitable<void> publish(std::uint64_t first, std::size_t count) = 0;
};

std::unique_ptr<Publisher> makePublisher(const Options& options, boost::asio::io_context& io);

// GET `url` and return the "head" member of the JSON answer (Herald's /healthz), for {since}.
boost::asio::awaitable<std::string> fetchHead(const std::string& url);

}  // namespace herald::bench
