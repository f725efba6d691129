#include "report.h"

#include <boost/json.hpp>

#include <cstdio>
#include <thread>

namespace herald::bench {
namespace {

double us(std::uint64_t ns) { return static_cast<double>(ns) / 1000.0; }
double round3(double v) { return static_cast<double>(static_cast<long long>(v * 1000 + (v >= 0 ? 0.5 : -0.5))) / 1000; }
double perSecond(double n, double s) { return s > 0 ? round3(n / s) : 0; }

boost::json::object latencyJson(const LogHistogram& h) {
  return {{"count", h.count()},
          {"min", round3(us(h.min()))},
          {"p50", round3(us(h.quantile(0.50)))},
          {"p90", round3(us(h.quantile(0.90)))},
          {"p99", round3(us(h.quantile(0.99)))},
          {"p999", round3(us(h.quantile(0.999)))},
          {"max", round3(us(h.max()))},
          {"mean", round3(h.mean() / 1000.0)}};
}

double num(const boost::json::value& v) { return v.is_number() ? v.to_number<double>() : 0; }
const boost::json::object& obj(const boost::json::object& o, const char* key) { return o.at(key).as_object(); }

}  // namespace

boost::json::object toJson(const Options& o, const RunResult& r) {
  namespace json = boost::json;
  json::object report;
  report["tool"] = "herald-bench";
  report["schema"] = 1;
  report["label"] = o.label;
  report["started_at"] = r.started_at;
  report["machine"] = {{"nproc", std::thread::hardware_concurrency()},
                       {"cpu_model", cpuModel()},
                       {"kernel", kernelRelease()},
                       {"loadavg_start", r.load_start},
                       {"loadavg_end", r.load_end}};
  json::array sources;
  for (const auto& s : o.sources) sources.push_back(json::string(s));
  report["config"] = {{"url", o.url},
                      {"subprotocol", o.subprotocol},
                      {"connections", o.connections},
                      {"processes", o.processes},
                      {"sources", std::move(sources)},
                      {"values", o.values},
                      {"stalled", o.stalled},
                      {"publisher", o.publisher == PublisherKind::http   ? "http"
                                    : o.publisher == PublisherKind::nats ? "nats"
                                                                         : "none"},
                      {"publish_url", o.publish_url},
                      {"topic", o.topic},
                      {"rate", o.rate},
                      {"duration_s", o.duration_s},
                      {"events", o.events},
                      {"batch", o.batch},
                      {"publish_conns", o.publish_conns},
                      {"window", o.window},
                      {"burst", o.burst},
                      {"bursts", o.burst ? o.bursts : 0},
                      {"payload_bytes", o.payload_bytes},
                      {"preload", o.preload}};
  report["connect"] = {{"connected", r.connected},
                       {"subscribed", r.subscribed},
                       {"failed", r.failed},
                       {"closed", r.closed},
                       {"seconds", round3(r.connect_seconds)},
                       {"per_second", perSecond(static_cast<double>(r.connected), r.connect_seconds)},
                       {"subscribe_seconds", round3(r.subscribe_seconds)},
                       {"first_error", r.first_error},
                       {"close_reasons", r.close_reasons}};
  report["publish"] = {{"events", r.published},
                       {"seconds", round3(r.publish_seconds)},
                       {"events_per_second", perSecond(static_cast<double>(r.published), r.publish_seconds)},
                       {"error", r.publish_error}};
  const std::uint64_t missing = r.expected > r.delivered ? r.expected - r.delivered : 0;
  report["delivery"] = {{"expected", r.expected},
                        {"delivered", r.delivered},
                        {"missing", missing},
                        {"seconds", round3(r.delivery_seconds)},
                        {"per_second", perSecond(static_cast<double>(r.delivered), r.delivery_seconds)}};
  report["latency_us"] = latencyJson(r.latency);

  json::object server;
  server["pid"] = o.server_pid;
  if (r.server_start.ok) {
    const double subscribed = static_cast<double>(r.subscribed ? r.subscribed : 1);
    auto delta = [](std::uint64_t after, std::uint64_t before) {
      return static_cast<double>(after) - static_cast<double>(before);
    };
    const double cpu_publish = r.server_publish_end.cpu_seconds - r.server_publish_start.cpu_seconds;
    const double cpu_connect = r.server_subscribed.cpu_seconds - r.server_start.cpu_seconds;
    server["threads"] = r.server_publish_end.threads;
    server["rss_kib_start"] = r.server_start.rss_kib;
    server["rss_kib_subscribed"] = r.server_subscribed.rss_kib;
    server["rss_anon_kib_start"] = r.server_start.rss_anon_kib;
    server["rss_anon_kib_subscribed"] = r.server_subscribed.rss_anon_kib;
    server["rss_bytes_per_connection"] =
        round3(delta(r.server_subscribed.rss_kib, r.server_start.rss_kib) * 1024 / subscribed);
    server["rss_anon_bytes_per_connection"] =
        round3(delta(r.server_subscribed.rss_anon_kib, r.server_start.rss_anon_kib) * 1024 / subscribed);
    server["rss_kib_publish_start"] = r.server_publish_start.rss_kib;
    server["rss_kib_max"] = r.server_rss_max_kib;
    server["rss_kib_min"] = r.server_rss_min_kib;
    server["rss_kib_end"] = r.server_publish_end.rss_kib;
    server["cpu_seconds_connect"] = round3(cpu_connect);
    server["cpu_us_per_connection"] = round3(cpu_connect * 1e6 / subscribed);
    server["cpu_seconds_publish"] = round3(cpu_publish);
    server["deliveries_per_cpu_second"] = perSecond(static_cast<double>(r.delivered), cpu_publish);
  }
  report["server"] = std::move(server);
  report["client"] = {{"processes", o.processes},
                      {"cpu_seconds_publish", round3(r.client_cpu_publish)},
                      {"cpu_ns_per_delivery",
                       r.delivered ? round3(r.client_cpu_publish * 1e9 / static_cast<double>(r.delivered)) : 0.0}};
  if (o.preload > 0 || o.expect_per_conn > 0) {
    report["catchup"] = {{"events", o.preload},
                         {"preload_seconds", round3(r.preload_seconds)},
                         {"since", r.since},
                         {"expect_per_conn", o.expect_per_conn},
                         {"connections_reached", r.expect_reached},
                         {"seconds_max", round3(static_cast<double>(r.expect.max()) / 1e9)},
                         {"seconds_p50", round3(static_cast<double>(r.expect.quantile(0.5)) / 1e9)}};
  }
  return report;
}

std::string toTable(const boost::json::object& r) {
  const auto& c = obj(r, "connect");
  const auto& p = obj(r, "publish");
  const auto& d = obj(r, "delivery");
  const auto& l = obj(r, "latency_us");
  const auto& s = obj(r, "server");
  const auto& cl = obj(r, "client");
  char text[2048];
  int n = std::snprintf(
      text, sizeof text,
      "== %s\n"
      "connections  %.0f up, %.0f subscribed, %.0f failed, %.0f closed by server; %.2f s (%.0f/s)\n"
      "publish      %.0f events in %.2f s (%.0f/s)%s%s\n"
      "delivery     %.0f of %.0f (missing %.0f) in %.2f s: %.0f/s\n"
      "latency us   p50 %.0f  p90 %.0f  p99 %.0f  p99.9 %.0f  max %.0f  (%.0f samples)\n",
      std::string(r.at("label").as_string()).c_str(), num(c.at("connected")), num(c.at("subscribed")),
      num(c.at("failed")), num(c.at("closed")), num(c.at("seconds")), num(c.at("per_second")), num(p.at("events")),
      num(p.at("seconds")), num(p.at("events_per_second")), p.at("error").as_string().empty() ? "" : "; error: ",
      std::string(p.at("error").as_string()).c_str(), num(d.at("delivered")), num(d.at("expected")),
      num(d.at("missing")), num(d.at("seconds")), num(d.at("per_second")), num(l.at("p50")), num(l.at("p90")),
      num(l.at("p99")), num(l.at("p999")), num(l.at("max")), num(l.at("count")));
  std::string out(text, static_cast<std::size_t>(n));
  if (s.contains("cpu_seconds_publish")) {
    n = std::snprintf(text, sizeof text,
                      "server       %.2f CPU s publishing: %.0f deliveries per CPU s; RSS %.0f -> %.0f KiB "
                      "(%.0f B/conn, anon %.0f B/conn), max %.0f KiB; %.1f CPU us/connect\n",
                      num(s.at("cpu_seconds_publish")), num(s.at("deliveries_per_cpu_second")),
                      num(s.at("rss_kib_start")), num(s.at("rss_kib_subscribed")),
                      num(s.at("rss_bytes_per_connection")), num(s.at("rss_anon_bytes_per_connection")),
                      num(s.at("rss_kib_max")), num(s.at("cpu_us_per_connection")));
    out.append(text, static_cast<std::size_t>(n));
  }
  n = std::snprintf(text, sizeof text, "client       %.2f CPU s publishing over %.0f processes: %.0f ns per delivery\n",
                    num(cl.at("cpu_seconds_publish")), num(cl.at("processes")), num(cl.at("cpu_ns_per_delivery")));
  out.append(text, static_cast<std::size_t>(n));
  if (r.contains("catchup")) {
    const auto& k = obj(r, "catchup");
    n = std::snprintf(text, sizeof text, "catch-up     %.0f connections reached %.0f events; slowest %.3f s, p50 %.3f s\n",
                      num(k.at("connections_reached")), num(k.at("expect_per_conn")), num(k.at("seconds_max")),
                      num(k.at("seconds_p50")));
    out.append(text, static_cast<std::size_t>(n));
  }
  n = std::snprintf(text, sizeof text, "load         %s -> %s\n",
                    std::string(obj(r, "machine").at("loadavg_start").as_string()).c_str(),
                    std::string(obj(r, "machine").at("loadavg_end").as_string()).c_str());
  out.append(text, static_cast<std::size_t>(n));
  return out;
}

}  // namespace herald::bench
