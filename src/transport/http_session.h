// Entry points from a listener to a new connection: each starts an HTTP session on the worker
// that owns the socket (TLS first performs its handshake). The session reads requests, hands them
// to the Application, and turns into a WebSocket session on an admitted upgrade. Internal to
// transport.
#pragma once

#include "transport/worker.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/ssl/context.hpp>

#include <memory>
#include <string>
#include <vector>

namespace herald::transport::detail {

// The mount paths a listener upgrades (ListenerConfig::paths), shared by its connections; null:
// every mount.
using MountPaths = std::shared_ptr<const std::vector<std::string>>;

// Each runs on `worker`'s thread; the socket must belong to `worker.ioc`. Once the worker is
// stopping they close the socket instead. `remote` is the peer as text ("127.0.0.1:53412").
void startTcpConnection(Worker& worker, boost::asio::ip::tcp::socket socket, std::string remote,
                        MountPaths paths = {});
void startTlsConnection(Worker& worker, boost::asio::ip::tcp::socket socket, boost::asio::ssl::context& tls,
                        std::string remote, MountPaths paths = {});
void startUnixConnection(Worker& worker, boost::asio::local::stream_protocol::socket socket);

}  // namespace herald::transport::detail
