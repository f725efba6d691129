// Hand-over of an admitted upgrade on a plain TCP or Unix socket to the lean WebSocket session
// (lean_ws_session.cpp). Internal to transport; TLS connections never come here.
#pragma once

#include "transport/application.h"
#include "transport/worker.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>

#include <memory>
#include <string>
#include <string_view>

namespace herald::transport::detail {

// Answers the handshake (101, or the HTTP error for a bad key or version) and runs the session;
// the endpoint gets onOpen once the 101 is written and onClose exactly once, last. Worker thread only.
template <class Protocol>
void startLeanWebSocket(Worker& worker, typename Protocol::socket socket, WebSocketSlot slot,
                        std::unique_ptr<WsEndpoint> endpoint, std::string_view key, std::string_view version,
                        std::string_view subprotocol);

// Writes now what the sessions of this worker have been woken for, instead of at the flush already
// queued behind the loop's other ready work. Run after an application task (a publish, a history
// page) so its frames do not wait behind a turn of handshakes. Worker thread only.
void flushWokenSessions(Worker& worker);

extern template void startLeanWebSocket<boost::asio::ip::tcp>(Worker&, boost::asio::ip::tcp::socket, WebSocketSlot,
                                                               std::unique_ptr<WsEndpoint>, std::string_view,
                                                               std::string_view, std::string_view);
extern template void startLeanWebSocket<boost::asio::local::stream_protocol>(
    Worker&, boost::asio::local::stream_protocol::socket, WebSocketSlot, std::unique_ptr<WsEndpoint>,
    std::string_view, std::string_view, std::string_view);

}  // namespace herald::transport::detail
