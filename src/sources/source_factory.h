// Building the configured sources: `herald serve --source KIND:key=value,...` (or [sources] list in
// the config file) names each one; this turns those texts into running-ready Source objects, so
// main only calls makeSources. docs/sources/ has a page per kind with its keys.
//
//   monerod:zmq=tcp://127.0.0.1:28083,rpc=http://127.0.0.1:28081
//   http-poll:config=/etc/herald/get_info.json
//   bitcoind:zmq=tcp://127.0.0.1:28332,txs=rawtx
//   monero-wallet:rpc=http://127.0.0.1:18088,restore_height=3000000
//
// Must not: start anything; errors name the spec and the key.
#pragma once

#include "core/result.h"
#include "sources/source.h"

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace herald::sources {

struct SourceSpec {
  std::string kind;                                          // "monerod"
  std::vector<std::pair<std::string, std::string>> options;  // in order; a key may repeat (zmq)
};

// "KIND:key=value,key=value". Errc::invalid_params: no kind, an option without '=', an empty key.
Result<SourceSpec> parseSourceSpec(std::string_view text);

// The kinds makeSources knows, for messages and docs.
std::vector<std::string_view> sourceKinds();

struct SourcesConfig {
  std::vector<std::string> specs;          // one per source
  std::vector<std::string> extra_topics;   // topics beyond the catalog a source may emit (http-poll)
};

// One Source per spec, in order. Errc::invalid_params naming the spec ("source 2 (monerod): rpc:
// expected http://HOST[:PORT]...") for an unknown kind, an unknown or missing key, or a bad value.
Result<std::vector<std::unique_ptr<Source>>> makeSources(const SourcesConfig& config);

}  // namespace herald::sources
