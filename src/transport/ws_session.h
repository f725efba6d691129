// Hand-over from an HTTP connection to a WebSocket session, after the upgrade has been admitted
// (slot taken, origin checked, application accepted). Internal to transport.
#pragma once

#include "transport/application.h"
#include "transport/worker.h"

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <memory>
#include <string>

namespace herald::transport::detail {

using UpgradeRequest = boost::beast::http::request<boost::beast::http::string_body>;

// Performs the WebSocket handshake on `stream` (the upgrade request already read) with
// `subprotocol` echoed when non-empty, then runs the session until it ends; the endpoint gets
// onOpen after the handshake and onClose exactly once, last (also when the handshake fails).
// Worker thread only.
template <class Stream>
void startWebSocket(Worker& worker, Stream stream, WebSocketSlot slot, std::unique_ptr<WsEndpoint> endpoint,
                    UpgradeRequest request, std::string subprotocol);

// Instantiated once, in ws_session.cpp.
extern template void startWebSocket<TcpStream>(Worker&, TcpStream, WebSocketSlot, std::unique_ptr<WsEndpoint>,
                                               UpgradeRequest, std::string);
extern template void startWebSocket<TlsStream>(Worker&, TlsStream, WebSocketSlot, std::unique_ptr<WsEndpoint>,
                                               UpgradeRequest, std::string);
extern template void startWebSocket<UnixStream>(Worker&, UnixStream, WebSocketSlot, std::unique_ptr<WsEndpoint>,
                                                UpgradeRequest, std::string);

}  // namespace herald::transport::detail
