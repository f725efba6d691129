// Mounts: see mounts.h. makeMounts() is the registry of dialects.
#include "app/mounts.h"

#include "dialects/ario.h"
#include "dialects/dcrdex.h"
#include "dialects/herald_v1.h"
#include "dialects/lws_feed.h"
#include "dialects/signum_sip50.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace herald::app {

const Dialect* DialectMounts::own(std::unique_ptr<Dialect> dialect) {
  owned_.push_back(std::move(dialect));
  return owned_.back().get();
}

Result<void> DialectMounts::mount(Mount mount) {
  if (mount.path.empty()) return {};
  if (mount.path.front() != '/') {
    return Error::make(Errc::invalid_params, "mount path '" + mount.path + "' must start with '/'");
  }
  if (find(mount.path) != nullptr) {
    return Error::make(Errc::invalid_params, "two dialects are mounted at '" + mount.path + "'");
  }
  mounts_.push_back(std::move(mount));
  return {};
}

Result<void> DialectMounts::add(std::string path, std::unique_ptr<Dialect> dialect, std::string subprotocol,
                                std::vector<std::string> allowed_origins) {
  if (path.empty()) return {};  // not mounted: the dialect is not even built into a mount
  Mount m;
  m.path = std::move(path);
  m.bare = own(std::move(dialect));
  if (!subprotocol.empty()) m.subprotocols.emplace_back(std::move(subprotocol), m.bare);
  m.allowed_origins = std::move(allowed_origins);
  return mount(std::move(m));
}

const Mount* DialectMounts::find(std::string_view path) const {
  for (const auto& m : mounts_) {
    if (m.path == path) return &m;
  }
  return nullptr;
}

std::vector<std::string> DialectMounts::paths() const {
  std::vector<std::string> out;
  for (const auto& m : mounts_) out.push_back(m.path);
  return out;
}

Negotiated DialectMounts::negotiate(const Mount& mount, const std::vector<std::string>& offered,
                                    std::string_view origin) {
  Negotiated n;
  const auto& allowed = mount.allowed_origins;
  if (!origin.empty() && !allowed.empty() && std::find(allowed.begin(), allowed.end(), origin) == allowed.end()) {
    n.status = 403;
    n.code = "origin_not_allowed";
    n.message = "origin " + std::string(origin) + " may not connect to " + mount.path;
    return n;
  }
  for (const auto& want : offered) {
    for (const auto& [name, dialect] : mount.subprotocols) {
      if (want == name) {
        n.dialect = dialect;
        n.subprotocol = name;
        return n;
      }
    }
  }
  if (!offered.empty() && !mount.subprotocols.empty()) {
    std::string names;
    for (const auto& [name, dialect] : mount.subprotocols) names += (names.empty() ? "" : ", ") + name;
    n.status = 400;
    n.code = "unsupported_subprotocol";
    n.message = "Sec-WebSocket-Protocol must include one of: " + names;
    return n;
  }
  if (mount.bare == nullptr) {
    n.status = 400;
    n.code = "subprotocol_required";
    n.message = mount.path + " needs a Sec-WebSocket-Protocol";
    return n;
  }
  n.dialect = mount.bare;
  return n;
}

Result<DialectMounts> makeMounts(const DialectConfig& config, const FilterLimits& filter) {
  DialectMounts m;
  if (auto r = m.add(config.herald_v1_path, std::make_unique<dialects::HeraldV1>(filter),
                     std::string(dialects::HeraldV1::kSubprotocol));
      !r) {
    return r.error();
  }

  dialects::SignumSip50Options signum;
  signum.heartbeat_ms = config.signum_heartbeat_seconds * 1000;
  signum.debounce_ms = config.signum_debounce_ms;
  if (auto r = m.add(config.signum_path, std::make_unique<dialects::SignumSip50>(signum)); !r) return r.error();

  dialects::ArioOptions ario;
  ario.rate = RateLimit{config.ario_rate_per_second, config.ario_rate_burst};
  ario.max_subscriptions = config.ario_max_subscriptions;
  ario.filter = filter;
  if (auto r = m.add(config.ario_path, std::make_unique<dialects::Ario>(ario), {}, config.ario_allowed_origins); !r) {
    return r.error();
  }

  auto dcrdex = dialects::Dcrdex::make(config.dcrdex);
  if (!dcrdex) return dcrdex.error();
  if ((*dcrdex)->gatewayKeyGenerated() && !config.dcrdex_path.empty()) {
    spdlog::warn("dcrdex: no dialects.dcrdex_gateway_key; signing connect responses with a new key, public key {}",
                 (*dcrdex)->gatewayPublicKeyHex());
  }
  if (auto r = m.add(config.dcrdex_path, std::move(*dcrdex)); !r) return r.error();

  // monero-lws feed: one path, one Dialect per encoding; a client must offer one of the two.
  using dialects::LwsFeed;
  if (auto r = m.mount(Mount{config.lws_feed_path,
                             {{std::string(LwsFeed::kJsonSubprotocol),
                               m.own(std::make_unique<LwsFeed>(config.lws_feed, LwsFeed::Encoding::json))},
                              {std::string(LwsFeed::kMsgpackSubprotocol),
                               m.own(std::make_unique<LwsFeed>(config.lws_feed, LwsFeed::Encoding::msgpack))}},
                             nullptr,
                             {}});
      !r) {
    return r.error();
  }

  // Further dialects: one line each, e.g.
  //   m.add(config.<name>_path, std::make_unique<dialects::Name>(...), "<subprotocol>");
  // or, for one path with several subprotocols (one Dialect per encoding), own() each and mount() a
  // Mount listing them.
  return m;
}

}  // namespace herald::app
