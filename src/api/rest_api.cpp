// RestApi routes and handlers. Small responses are built with boost::json; the history page is
// concatenated from eventToJson so stored `data` is copied, never re-parsed.
//
// Must not: respond twice, respond off the worker, or acknowledge a publish before the sink says
// it is durable.
#include "api/rest_api.h"
#include "core/text.h"

#include "api/prometheus.h"

#include <boost/json.hpp>

#include <charconv>
#include <algorithm>
#include <memory>
#include <optional>

namespace herald::api {
namespace {

namespace json = boost::json;
using transport::HttpRequest;
using transport::HttpResponse;
using transport::Respond;

constexpr std::size_t kDefaultHistoryLimit = 100;

HttpResponse jsonResponse(unsigned status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

HttpResponse errorResponse(const Error& error, unsigned status = 0) {
  return jsonResponse(status != 0 ? status : RestApi::httpStatus(error.code), errorBody(error));
}

std::string_view headerValue(const HttpRequest& request, std::string_view name) {
  for (const auto& [key, value] : request.headers) {
    if (key == name) return value;
  }
  return {};
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// Compares without stopping at the first difference, so response time does not reveal how much of
// a guessed token was right.
bool constantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

int hexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// application/x-www-form-urlencoded decoding ('+' is a space). False on a malformed escape.
bool percentDecode(std::string_view in, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '+') {
      out.push_back(' ');
    } else if (in[i] == '%') {
      if (i + 2 >= in.size()) return false;
      const int hi = hexDigit(in[i + 1]);
      const int lo = hexDigit(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out.push_back(in[i]);
    }
  }
  return true;
}

struct HistoryQuery {
  std::optional<std::string> topic;
  std::optional<std::string> since;
  std::optional<std::string> limit;
};

// Unknown and repeated parameters are refused rather than ignored: a typo (`cursor=` for `since=`)
// would otherwise silently read from the oldest event.
Result<HistoryQuery> parseHistoryQuery(std::string_view query) {
  HistoryQuery q;
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty()) continue;
    const std::size_t eq = pair.find('=');
    std::string name, value;
    if (!percentDecode(pair.substr(0, eq), name) ||
        !percentDecode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1), value)) {
      return Error::make(Errc::invalid_params, "malformed percent-encoding in the query string");
    }
    std::optional<std::string>* slot = nullptr;
    if (name == "topic") {
      slot = &q.topic;
    } else if (name == "since") {
      slot = &q.since;
    } else if (name == "limit") {
      slot = &q.limit;
    } else {
      name.resize(std::min<std::size_t>(name.size(), 64));
      return Error::make(Errc::invalid_params,
                         "unknown query parameter \"" + name + "\" (expected topic, since, limit)", name);
    }
    if (slot->has_value()) return Error::make(Errc::invalid_params, name + " is given more than once", name);
    *slot = std::move(value);
  }
  return q;
}

std::string epochText(std::uint64_t epoch) {
  std::string text = Cursor{epoch, 0}.toString();
  return text.substr(0, text.find(':'));
}

void appendGap(std::string& out, const Gap& gap) {
  out += "{\"epoch\":\"";
  out += epochText(gap.epoch);
  out += "\",\"missed_from\":";
  out += std::to_string(gap.missed_from);
  out += ",\"missed_to\":";
  out += gap.missed_to == 0 ? std::string("null") : std::to_string(gap.missed_to);
  out += ",\"reason\":\"";
  out += gapReasonName(gap.reason);
  out += "\"}";
}

std::string historyBody(const ReadBatch& batch) {
  std::size_t size = 64;
  for (const auto& e : batch.events) size += e->data.size() + e->topic.size() + 160;
  std::string out;
  out.reserve(size);
  out += "{\"events\":[";
  for (std::size_t i = 0; i < batch.events.size(); ++i) {
    if (i > 0) out.push_back(',');
    out += schema::eventToJson(*batch.events[i], batch.next.epoch);
  }
  out += "],\"gaps\":[";
  for (std::size_t i = 0; i < batch.gaps.size(); ++i) {
    if (i > 0) out.push_back(',');
    appendGap(out, batch.gaps[i]);
  }
  out += "],\"next\":\"";
  out += batch.next.toString();
  out += "\",\"at_head\":";
  out += batch.at_head ? "true" : "false";
  out += "}";
  return out;
}

}  // namespace

std::string errorBody(const Error& error) {
  json::object inner{{"code", errcName(error.code)}, {"message", error.message}};
  if (!error.field.empty()) inner["field"] = error.field;
  return json::serialize(json::object{{"error", std::move(inner)}});
}

unsigned RestApi::httpStatus(Errc code) noexcept {
  switch (code) {
    case Errc::parse_error:
      return 400;
    case Errc::invalid_request:
      return 400;
    case Errc::unknown_method:
      return 404;
    case Errc::invalid_params:
      return 400;
    case Errc::unknown_topic:
      return 400;
    case Errc::too_many_subscriptions:
      return 429;
    case Errc::duplicate_subscription:
      return 409;
    case Errc::unknown_subscription:
      return 404;
    case Errc::rate_limited:
      return 429;
    case Errc::cursor_ahead:
      return 400;
    case Errc::unauthorized:
      return 401;
    case Errc::forbidden:
      return 403;
    case Errc::too_large:
      return 413;
    case Errc::unavailable:
      return 503;
    case Errc::internal:
      return 500;
  }
  return 500;
}

RestApi::RestApi(RestConfig config, bus::EventSink& sink, std::vector<History*> per_worker_history,
                 std::function<LogBounds()> bounds, Metrics& metrics, const TopicSet& topics,
                 std::function<std::int64_t()> now_ms, PostToWorker post_to_worker)
    : config_(std::move(config)),
      sink_(sink),
      history_(std::move(per_worker_history)),
      bounds_(std::move(bounds)),
      metrics_(metrics),
      topics_(topics),
      now_ms_(std::move(now_ms)),
      post_to_worker_(std::move(post_to_worker)) {}

void RestApi::handle(std::size_t worker, transport::HttpRequest request, transport::Respond respond) {
  const std::string_view target = request.target;
  const std::size_t q = target.find('?');
  const std::string_view path = target.substr(0, q);
  const std::string_view query = q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);

  struct Route {
    std::string_view path;
    std::string_view method;
  };
  static constexpr Route kRoutes[] = {
      {"/api/v1/publish", "POST"}, {"/api/v1/events", "GET"}, {"/healthz", "GET"}, {"/metrics", "GET"}};
  const Route* route = nullptr;
  for (const auto& r : kRoutes) {
    if (r.path == path) route = &r;
  }
  if (route == nullptr) {
    respond(errorResponse(
        Error::make(Errc::unknown_method, "no such endpoint: " + std::string(utf8Prefix(path, 128))), 404));
    return;
  }
  if (request.method != route->method) {
    HttpResponse r = errorResponse(
        Error::make(Errc::unknown_method, "method " + request.method.substr(0, 16) + " is not allowed on " +
                                              std::string(path) + "; use " + std::string(route->method)),
        405);
    r.headers.emplace_back("Allow", std::string(route->method));
    respond(std::move(r));
    return;
  }
  if (path == "/api/v1/publish") {
    publish(worker, request, std::move(respond));
  } else if (path == "/api/v1/events") {
    events(worker, query, std::move(respond));
  } else if (path == "/healthz") {
    health(std::move(respond));
  } else {
    metrics(std::move(respond));
  }
}

bool RestApi::authorized(std::string_view authorization) const {
  constexpr std::string_view kScheme = "bearer ";
  if (authorization.size() <= kScheme.size() || !iequals(authorization.substr(0, kScheme.size()), kScheme)) {
    return false;
  }
  std::string_view token = authorization.substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  bool ok = false;
  for (const auto& allowed : config_.publish_tokens) ok = constantTimeEquals(token, allowed) || ok;
  return ok && !token.empty();
}

void RestApi::publish(std::size_t worker, const transport::HttpRequest& request, transport::Respond respond) {
  if (config_.publish_tokens.empty()) {
    Metrics::add(metrics_.publish_rejected);
    respond(
        errorResponse(Error::make(Errc::forbidden,
                                  "publishing over HTTP is disabled on this gateway; configure at least one "
                                  "publish token (publish_tokens) to enable it")));
    return;
  }
  const std::string_view authorization = headerValue(request, "authorization");
  if (!authorized(authorization)) {
    Metrics::add(metrics_.publish_rejected);
    HttpResponse r = errorResponse(
        Error::make(Errc::unauthorized, authorization.empty()
                                            ? "an Authorization: Bearer <token> header is required"
                                            : "the bearer token is not a publish token of this gateway"));
    // RFC 6750 section 3: tell a client that sent a token that it was the token that failed.
    r.headers.emplace_back("WWW-Authenticate",
                           authorization.empty() ? "Bearer" : "Bearer error=\"invalid_token\"");
    respond(std::move(r));
    return;
  }

  auto events = schema::eventsFromJson(request.body, topics_, config_.limits, now_ms_());
  if (!events) {
    Metrics::add(metrics_.publish_rejected);
    respond(errorResponse(events.error()));
    return;
  }
  const std::size_t count = events->size();
  sink_.publish(std::move(*events), [post = post_to_worker_, worker, count,
                                     respond = std::move(respond)](Result<Cursor> durable) mutable {
    // On the log-writer thread: hop to the request's worker before touching the connection.
    post(worker, [count, durable = std::move(durable), respond = std::move(respond)] {
      if (!durable) {
        // Nothing was stored: the publisher may retry the same request.
        HttpResponse r = errorResponse(
            Error::make(Errc::unavailable, "events were not stored: " + durable.error().message), 503);
        r.headers.emplace_back("Retry-After", "1");
        respond(std::move(r));
        return;
      }
      const Cursor last = *durable;
      json::object body{{"accepted", count},
                        {"first_seq", last.seq + 1 - count},
                        {"last_seq", last.seq},
                        {"cursor", last.toString()}};
      respond(jsonResponse(200, json::serialize(body)));
    });
  });
}

void RestApi::events(std::size_t worker, std::string_view query, transport::Respond respond) {
  auto parsed = parseHistoryQuery(query);
  if (!parsed) {
    respond(errorResponse(parsed.error()));
    return;
  }
  HistoryQuery& q = *parsed;
  std::string topic = q.topic.value_or("");  // empty: every topic
  if (!topic.empty() && !topics_.contains(topic)) {
    respond(errorResponse(
        Error::make(Errc::unknown_topic, "unknown topic \"" + std::string(utf8Prefix(topic, 128)) + "\"", "topic")));
    return;
  }
  Cursor since;
  if (q.since) {
    auto cursor = Cursor::parse(*q.since);
    if (!cursor) {
      respond(errorResponse(Error::make(Errc::invalid_params, "since: " + cursor.error().message, "since")));
      return;
    }
    since = *cursor;
  } else {
    const LogBounds b = bounds_();
    since = Cursor{b.epoch, b.first_seq > 0 ? b.first_seq - 1 : 0};
  }
  std::size_t limit =
      kDefaultHistoryLimit < config_.max_history_limit ? kDefaultHistoryLimit : config_.max_history_limit;
  if (q.limit) {
    const std::string& text = *q.limit;
    std::size_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || value < 1 ||
        value > config_.max_history_limit) {
      respond(errorResponse(Error::make(
          Errc::invalid_params,
          "limit must be an integer from 1 to " + std::to_string(config_.max_history_limit), "limit")));
      return;
    }
    limit = value;
  }
  if (worker >= history_.size() || history_[worker] == nullptr) {
    respond(errorResponse(Error::make(Errc::internal, "no history reader for this worker")));
    return;
  }
  history_[worker]->readAfter(since, std::move(topic), limit,
                              [respond = std::move(respond)](Result<ReadBatch> batch) {
                                if (!batch) {
                                  Error e = batch.error();
                                  if (e.code == Errc::cursor_ahead) {
                                    e.field = "since";
                                    respond(errorResponse(e));
                                  } else {
                                    respond(errorResponse(e, e.code == Errc::unavailable ? 503 : 500));
                                  }
                                  return;
                                }
                                respond(jsonResponse(200, historyBody(*batch)));
                              });
}

// Always 200: the gateway itself answers and serves history and every other source, and neither
// restarting it nor taking it out of a load balancer mends an upstream. A failing source turns
// "status" to "degraded" and names itself in "sources" (docs/operations.md).
void RestApi::health(transport::Respond respond) {
  const LogBounds b = bounds_();
  json::object body{{"status", "ok"}, {"epoch", epochText(b.epoch)}, {"head", b.head().toString()}};
  if (config_.source_health) {
    const std::int64_t now = now_ms_();
    json::array list;
    for (const auto& h : config_.source_health()) {
      if (h.state != sources::SourceState::ok) body["status"] = "degraded";
      json::object counters;
      for (const auto& [name, value] : h.counters) counters[name] = value;
      json::object entry{{"name", h.name},
                         {"state", sources::sourceStateName(h.state)},
                         {"detail", h.detail},
                         {"last_event_ms", h.last_event_ms},
                         {"counters", std::move(counters)}};
      if (h.last_event_ms > 0) entry["last_event_age_ms"] = std::max<std::int64_t>(0, now - h.last_event_ms);
      list.push_back(std::move(entry));
    }
    body["sources"] = std::move(list);
  }
  respond(jsonResponse(200, json::serialize(body)));
}

void RestApi::metrics(transport::Respond respond) {
  HttpResponse r;
  r.content_type = std::string(kPrometheusContentType);
  r.body = renderPrometheus(metrics_);
  if (config_.source_health) r.body += renderSourceHealth(config_.source_health(), now_ms_());
  respond(std::move(r));
}

}  // namespace herald::api
