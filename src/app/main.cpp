// herald: the gateway (`serve`) and its two client verbs (`sub`, `publish`). Parses the command
// line, sets up logging and signals, and hands over to Gateway; nothing else lives here.
#include "app/cli_publish.h"
#include "app/cli_sub.h"
#include "app/config.h"
#include "app/gateway.h"
#include "sources/demo_source.h"
#include "sources/source_factory.h"

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdlib>
#include <iostream>

extern char** environ;

namespace herald::app {
namespace {

void configureLogging(const Config& config) {
  // stdout belongs to what a verb prints (events from `herald sub`); logs go to stderr everywhere.
  spdlog::set_default_logger(spdlog::stderr_color_mt("herald"));
  spdlog::set_level(static_cast<spdlog::level::level_enum>(static_cast<int>(config.log_level)));
  if (config.log_format == LogFormat::json) {
    spdlog::set_pattern(R"({"time":"%Y-%m-%dT%H:%M:%S.%e%z","level":"%l","thread":%t,"message":"%v"})");
  } else {
    spdlog::set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");
  }
}

GatewayOptions gatewayOptions(const Config& config) {
  GatewayOptions o;
  o.server = config.server;
  o.hub = config.hub;
  o.pipeline.retention = config.retention;
  o.storage.persist = config.persist;
  o.storage.data_dir = config.data_dir;
  o.storage.sync_full = config.sync == SyncMode::full;
  o.publish_tokens = config.publish_tokens;
  o.publish = config.publish;
  o.extra_topics = config.extra_topics;
  o.dialects = config.dialects;
  o.accounts = config.accounts;
  return o;
}

int serve(const Config& config) {
  configureLogging(config);
  for (const auto& name : unknownEnvironment(environ)) spdlog::warn("{} is not a Herald setting (typo?)", name);

  std::vector<std::unique_ptr<sources::Source>> sources;
  if (config.demo) {
    sources::DemoConfig demo;
    demo.seed = config.demo_seed;
    demo.block_interval_ms = config.demo_block_interval_ms;
    sources.push_back(std::make_unique<sources::DemoSource>(demo));
  }
  auto configured = sources::makeSources({config.sources, config.extra_topics});
  if (!configured) {
    spdlog::critical("cannot start: {}", configured.error().message);
    return 2;
  }
  for (auto& source : *configured) sources.push_back(std::move(source));

  // Signals are taken by sigwait below: block them before any thread starts so every thread
  // inherits the mask and none is interrupted.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  Gateway gateway(gatewayOptions(config), std::move(sources));
  auto endpoints = gateway.start();
  if (!endpoints) {
    spdlog::critical("cannot start: {}", endpoints.error().message);
    return 1;
  }
  for (const auto& endpoint : *endpoints) spdlog::info("listening on {}", endpoint);
  spdlog::info("ready (data dir {}, {})", config.persist ? config.data_dir : "none: in-memory log",
               config.demo ? "demo source on" : "demo source off");

  int signal = 0;
  sigwait(&signals, &signal);
  spdlog::info("{}: closing connections and flushing the log", signal == SIGTERM ? "SIGTERM" : "SIGINT");
  gateway.stop();
  return 0;
}

}  // namespace
}  // namespace herald::app

int main(int argc, char** argv) {
  using namespace herald::app;
  CLI::App app{"Herald: a real-time event gateway for blockchain nodes and exchanges"};
  app.set_version_flag("--version", "herald 0.1.0");
  app.require_subcommand(1);

  auto* serve_cmd = app.add_subcommand("serve", "Run the gateway (defaults: 127.0.0.1:8080, demo events)");
  ConfigFlags flags;
  addServeOptions(*serve_cmd, flags);

  auto* sub_cmd = app.add_subcommand("sub", "Subscribe to a topic and print events as JSON lines");
  SubOptions sub;
  addSubOptions(*sub_cmd, sub);

  auto* publish_cmd = app.add_subcommand("publish", "Publish NDJSON events read from stdin");
  PublishOptions publish;
  addPublishOptions(*publish_cmd, publish);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  if (serve_cmd->parsed()) {
    auto config = resolveConfig(flags, [](const char* name) { return std::getenv(name); });
    if (!config) {
      std::cerr << "herald serve: " << config.error().message << "\n";
      return 2;
    }
    return serve(*config);
  }
  if (sub_cmd->parsed()) return runSub(sub);
  return runPublish(publish);
}
