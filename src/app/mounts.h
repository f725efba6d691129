// Mounts: which dialect answers a WebSocket upgrade, by path and Sec-WebSocket-Protocol. The
// registry function makeMounts() is the one place that lists Herald's dialects; adding a dialect is
// one `add` (or `mount`, for several subprotocols) line there plus its keys in DialectConfig.
//
// Must not: know any dialect's syntax; it only owns the Dialect objects and picks one per upgrade.
#pragma once

#include "app/dialect_config.h"
#include "core/dialect.h"
#include "core/filter.h"
#include "core/result.h"

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace herald::app {

struct Mount {
  std::string path;
  // Subprotocols this mount speaks, each with its dialect, in the server's order of preference.
  std::vector<std::pair<std::string, const Dialect*>> subprotocols;
  // The dialect for a client that offers no subprotocol; nullptr: such a client is refused (400).
  const Dialect* bare = nullptr;
  // Browser origins accepted here (on top of server.allowed_origins); empty = any.
  std::vector<std::string> allowed_origins = {};
};

// The outcome of negotiating one upgrade on one mount.
struct Negotiated {
  const Dialect* dialect = nullptr;  // null: refused with `status` and `message`
  std::string subprotocol;           // echoed to the client when non-empty
  unsigned status = 0;
  std::string code;                  // machine-readable refusal code
  std::string message;
};

class DialectMounts {
 public:
  // Keeps `dialect` alive as long as the mounts; returns it for use in a Mount.
  const Dialect* own(std::unique_ptr<Dialect> dialect);

  // Mounts at mount.path; an empty path mounts nothing. Errc::invalid_params when the path does not
  // start with '/' or is already taken.
  Result<void> mount(Mount mount);

  // One dialect at `path`: with `subprotocol` when it has one; clients offering none get it too.
  Result<void> add(std::string path, std::unique_ptr<Dialect> dialect, std::string subprotocol = {},
                   std::vector<std::string> allowed_origins = {});

  const Mount* find(std::string_view path) const;
  std::vector<std::string> paths() const;

  // The rule, in order: a browser Origin not in allowed_origins -> 403; the first subprotocol the
  // client offers that the mount speaks wins; an offer the mount does not speak -> 400 when the
  // mount speaks any subprotocol (ignored otherwise); no offer -> the bare dialect, or 400.
  static Negotiated negotiate(const Mount& mount, const std::vector<std::string>& offered, std::string_view origin);

 private:
  std::vector<std::unique_ptr<Dialect>> owned_;
  std::vector<Mount> mounts_;
};

// Herald's dialects at their configured paths (docs/operations.md, [dialects]).
Result<DialectMounts> makeMounts(const DialectConfig& config, const FilterLimits& filter);

}  // namespace herald::app
