// LeanWsSession: one WebSocket on a plain TCP or Unix socket, from the 101 to the endpoint's
// onClose, with RFC 6455 framing done by ws_frame.h. Owns the socket and the WsEndpoint; knows
// nothing of what the frames mean, and must not hold a buffer, a timer or a second pending
// operation for an idle connection. TLS connections keep Beast's stream (ws_session.cpp).
//
// Why not beast::websocket::stream here (measured, docs/bench/README.md): per idle connection it
// kept ~2.5 KB of stream state, a 1.5 KB read buffer, an ~860 B parked async_read and ~540 B of
// tcp_stream timers, 9.7 KB in all against a 2 KiB budget; and it writes one frame per system
// call, which was 67% of the server's CPU in fan-out. Here:
// - idle, a session waits for readability (async_wait, no buffer); a readable socket is read into
//   the worker's one buffer and parsed in place. Only a frame cut by a read is copied, into the
//   parser, until it completes. The parked wait's operation lives in the session (ReadWaitMemory),
//   not in a block Asio recycles per thread: after a handshake that block is the size of Beast's
//   HTTP read operation (~510 B), and every idle connection would keep one.
// - writes gather every frame the endpoint has (and any pending control frame) into one
//   non-blocking sendmsg; headers are built into the worker's scratch just before the call (a
//   partial write resumes by byte offset, the header is rebuilt identically). A socket that takes
//   no more is awaited with async_wait(write).
// - wake() never writes inline: the session joins the worker's flush list, drained once per turn
//   of the loop, so every frame a publish batch queued goes out in the same system call.
// - idle pings, the idle timeout, the handshake timeout and the 5 s close grace are checked by a
//   sweep per worker, not by a timer per connection.
//
// The write loop asks the endpoint for frames only when everything taken before is written, so a
// slow client's backlog stays in the endpoint's byte-bounded queue, where its policy applies.
#include "transport/lean_ws_session.h"

#include "transport/ws_frame.h"
#include "transport/ws_handshake.h"

#include <boost/asio/bind_allocator.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

namespace herald::transport::detail {

namespace {

// One read takes at most this much; a bigger backlog is read again (up to kReadsPerTurn).
constexpr std::size_t kReadChunk = 64 * 1024;
constexpr int kReadsPerTurn = 4;
// IOV_MAX on Linux: one sendmsg carries at most 511 frames (header + payload each) and a control frame.
constexpr std::size_t kMaxIov = 1024;
// Sends per session per flush; a session with more goes to the back of the list (fair to the others).
constexpr int kSendsPerTurn = 8;
// Pongs owed to a client that sends pings and does not read: past this, newer pings go unanswered
// (RFC 6455 §5.5.3 allows answering only the most recent).
constexpr std::size_t kMaxPendingControl = 4096;
// How long a close (slow consumer, rate abuse, an error reply, going away, a protocol violation)
// waits for the writes it needs and the client's side: long enough for a live client on a slow
// link, short enough that a dead one does not hold a connection slot.
constexpr std::int64_t kCloseGraceMs = 5000;

std::int64_t steadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::int64_t steadyNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Room for one pending read wait (Asio's reactive_wait_op with the session's handler: 104 B with
// GCC 12 and Boost 1.81); a larger operation falls back to the heap and still works.
constexpr std::size_t kReadWaitBytes = 104;

// The memory of a session's one parked read wait, owned by the session. The handler holds the
// session, so the memory outlives the operation (Asio frees an operation's memory before it
// destroys the handler it moved out).
class ReadWaitMemory {
 public:
  void* allocate(std::size_t size) {
    if (!in_use_ && size <= sizeof storage_) {
      in_use_ = true;
      return storage_;
    }
    return ::operator new(size);
  }
  void deallocate(void* pointer) noexcept {
    if (pointer == storage_) {
      in_use_ = false;
    } else {
      ::operator delete(pointer);
    }
  }

 private:
  alignas(std::max_align_t) unsigned char storage_[kReadWaitBytes];
  bool in_use_ = false;
};

template <class T>
class ReadWaitAllocator {
 public:
  using value_type = T;
  explicit ReadWaitAllocator(ReadWaitMemory& memory) noexcept : memory_(&memory) {}
  template <class U>
  ReadWaitAllocator(const ReadWaitAllocator<U>& other) noexcept : memory_(other.memory_) {}
  T* allocate(std::size_t n) { return static_cast<T*>(memory_->allocate(sizeof(T) * n)); }
  void deallocate(T* pointer, std::size_t) noexcept { memory_->deallocate(pointer); }
  template <class U>
  friend bool operator==(const ReadWaitAllocator& a, const ReadWaitAllocator<U>& b) noexcept {
    return a.memory_ == b.memory_;
  }

 private:
  template <class>
  friend class ReadWaitAllocator;
  ReadWaitMemory* memory_;
};

}  // namespace

// What the worker's shard sees of a session, whatever its socket type.
class LeanSession {
 public:
  virtual ~LeanSession() = default;
  virtual void flush() = 0;
  // Sends a due ping; returns true when the session is past a deadline and must be dropped.
  virtual bool sweep(std::int64_t now_ms) = 0;
  virtual std::shared_ptr<LeanSession> self() = 0;
  virtual void drop() = 0;
  std::size_t shard_index = 0;
};

struct LeanWsShard {
  explicit LeanWsShard(Worker& worker_in) : worker(worker_in) {
    const auto idle = worker.state.limits.idle_timeout;
    const auto quarter = idle.count() > 0 ? idle / 4 : std::chrono::milliseconds{1000};
    period = std::clamp(quarter, std::chrono::milliseconds{10}, std::chrono::milliseconds{1000});
  }

  Worker& worker;
  std::vector<LeanSession*> sessions;  // every live session of this worker, for the sweep
  std::unique_ptr<char[]> read_buffer{new char[kReadChunk]};
  iovec iov[kMaxIov] = {};
  std::uint8_t headers[kMaxIov / 2][ws::kMaxServerHeader] = {};
  std::vector<std::shared_ptr<LeanSession>> flushing;  // sessions with something to write
  std::vector<std::shared_ptr<LeanSession>> flushing_now;
  bool flush_posted = false;
  bool sweep_armed = false;
  // Written-frame counters gathered over one flush pass and added to the shared Metrics once: the
  // per-write path touches no cache line the other workers write.
  std::uint64_t frames_out = 0;
  std::uint64_t bytes_out = 0;
  LatencyHistogram::Tally publish_to_write;
  std::int64_t now_ms = steadyMs();  // the sweep's clock: read once per sweep, not per message
  std::chrono::milliseconds period;

  void add(LeanSession* session) {
    session->shard_index = sessions.size();
    sessions.push_back(session);
    now_ms = steadyMs();
    if (!sweep_armed) armSweep();
  }

  void remove(LeanSession* session) {
    const std::size_t at = session->shard_index;
    if (at >= sessions.size() || sessions[at] != session) return;
    sessions[at] = sessions.back();
    sessions[at]->shard_index = at;
    sessions.pop_back();
  }

  void scheduleFlush(std::shared_ptr<LeanSession> session) {
    flushing.push_back(std::move(session));
    if (flush_posted) return;
    flush_posted = true;
    boost::asio::post(worker.ioc, [this] { runFlushes(); });
  }

  void runFlushes() {
    flush_posted = false;
    flushing_now.swap(flushing);
    for (auto& session : flushing_now) session->flush();
    flushing_now.clear();
    publishCounters();
  }

  void publishCounters() {
    if (frames_out != 0) Metrics::add(worker.state.metrics.frames_out, std::exchange(frames_out, 0));
    if (bytes_out != 0) Metrics::add(worker.state.metrics.bytes_out, std::exchange(bytes_out, 0));
    if (publish_to_write.count != 0) {
      worker.state.metrics.publish_to_write.add(publish_to_write);
      publish_to_write = {};
    }
  }

  void armSweep() {
    sweep_armed = true;
    auto timer = std::make_shared<boost::asio::steady_timer>(worker.ioc, period);
    timer->async_wait([this, timer](boost::system::error_code ec) {
      if (ec) return;
      sweep();
    });
  }

  void sweep() {
    sweep_armed = false;
    now_ms = steadyMs();
    std::vector<std::shared_ptr<LeanSession>> due;
    for (LeanSession* session : sessions) {
      if (session->sweep(now_ms)) due.push_back(session->self());
    }
    for (auto& session : due) session->drop();
    if (!sessions.empty()) armSweep();
  }
};

void LeanWsShardDeleter::operator()(LeanWsShard* shard) const noexcept { delete shard; }

void flushWokenSessions(Worker& worker) {
  // The flush already posted still runs; it finds the list empty.
  if (worker.lean && !worker.lean->flushing.empty()) worker.lean->runFlushes();
}

namespace {

template <class Protocol>
class LeanWsSession final : public LeanSession,
                            public WsConnection,
                            public Connection,
                            public std::enable_shared_from_this<LeanWsSession<Protocol>> {
 public:
  // Bound to the worker's io_context type rather than any_io_executor: 48 bytes less per session
  // and per pending operation.
  using Socket = boost::asio::basic_stream_socket<Protocol, boost::asio::io_context::executor_type>;

  LeanWsSession(Worker& worker, typename Protocol::socket&& socket, WebSocketSlot slot,
                std::unique_ptr<WsEndpoint> endpoint)
      : worker_(worker),
        shard_(*worker.lean),
        live_(worker.state),
        socket_(adopt(worker, std::move(socket))),
        slot_(std::move(slot)),
        endpoint_(std::move(endpoint)),
        parser_(worker.state.limits.max_message_bytes) {
    shard_.add(this);
    created_ms_ = shard_.now_ms;
  }

  // Reached with the session unfinished only when the io_context is destroyed with its operations
  // still queued (stop() gave up waiting); the endpoint still hears onClose exactly once.
  ~LeanWsSession() override {
    finish();
    shard_.remove(this);
  }

  void start(ws::HandshakeAnswer answer) {
    control_ = std::move(answer.response);
    if (!answer.accepted) {
      refused_ = true;
      closing_since_ms_ = created_ms_;
    }
    flush();
    shard_.publishCounters();
  }

  // --- WsConnection ---------------------------------------------------------------------------

  void wake() override {
    if (phase_ == Phase::ended || close_queued_) return;
    scheduleFlush();
  }

  void close(std::uint16_t code, std::string_view reason, bool after_flush) override {
    if (phase_ == Phase::ended || close_queued_) return;
    if (close_) {
      // The first code stands; a later request can only make the close happen sooner.
      close_->after_flush = close_->after_flush && after_flush;
    } else {
      close_ = std::make_unique<PendingClose>(PendingClose{code, std::string(reason), after_flush});
      closing_since_ms_ = steadyMs();
    }
    scheduleFlush();
  }

  // --- Connection (stop) -------------------------------------------------------------------------

  std::shared_ptr<Connection> retain() override { return this->shared_from_this(); }

  void goAway() override { close(ws::kCloseGoingAway, "going away", true); }
  void abort() override { finish(); }

  // --- LeanSession (the worker's shard) ------------------------------------------------------------

  void flush() override {
    queued_ = false;
    if (phase_ == Phase::ended || waiting_write_) return;
    for (int round = 0; round < kSendsPerTurn; ++round) {
      if (close_ && !close_->after_flush) dropUnstartedFrames();
      if (!hasOutput() && !refill()) return;
      switch (send()) {
        case Sent::progress:
          continue;
        case Sent::blocked:
          waitWritable();
          return;
        case Sent::failed:
          finish();
          return;
      }
    }
    if (phase_ != Phase::ended) scheduleFlush();  // more to write: after the other sessions
  }

  bool sweep(std::int64_t now_ms) override {
    if (phase_ == Phase::ended) return false;
    if (close_ || refused_) return now_ms - closing_since_ms_ >= kCloseGraceMs;
    const TransportLimits& limits = worker_.state.limits;
    if (phase_ == Phase::handshaking) {
      return limits.handshake_timeout.count() > 0 && now_ms - created_ms_ >= limits.handshake_timeout.count();
    }
    const std::int64_t idle = limits.idle_timeout.count();
    if (idle <= 0) return false;
    const std::int64_t silent = now_ms - last_read_ms_;
    if (silent >= idle) return true;  // no pong to the ping sent at half of it: the peer is gone
    if (silent >= idle / 2 && !ping_sent_) {
      ping_sent_ = true;
      queueControl(ws::Opcode::ping, {});
    }
    return false;
  }

  std::shared_ptr<LeanSession> self() override { return this->shared_from_this(); }
  void drop() override { finish(); }

 private:
  enum class Phase : std::uint8_t { handshaking, open, closing, ended };
  enum class Sent : std::uint8_t { progress, blocked, failed };
  struct PendingClose {
    std::uint16_t code;
    std::string reason;
    bool after_flush;
  };

  int fd() { return socket_.native_handle(); }

  // The same descriptor under the leaner socket type (if it cannot move, the session starts closed
  // and ends at its first flush).
  static Socket adopt(Worker& worker, typename Protocol::socket&& socket) {
    Socket adopted(worker.ioc.get_executor());
    boost::system::error_code ec;
    const auto protocol = socket.local_endpoint(ec).protocol();
    if (!ec) moveDescriptor(socket, protocol, adopted);
    return adopted;
  }

  void scheduleFlush() {
    if (queued_ || waiting_write_ || phase_ == Phase::ended) return;
    queued_ = true;
    shard_.scheduleFlush(this->shared_from_this());
  }

  bool hasOutput() const { return control_sent_ < control_.size() || next_ < batch_.size(); }

  // Everything taken is written: what comes next (the open, more frames, the close frame, drained).
  bool refill() {
    batch_.clear();
    next_ = 0;
    offset_ = 0;
    if (shut_) return false;
    if (phase_ == Phase::handshaking) {
      if (refused_) {
        shutdownAndDrain();
        return false;
      }
      open();
      if (phase_ != Phase::open) return false;
    }
    if (close_queued_) {
      shutdownAndDrain();
      return false;
    }
    if (phase_ != Phase::open) return false;
    if (!close_ || close_->after_flush) {
      endpoint_->takeFrames(batch_);
      std::erase(batch_, nullptr);  // a null frame would be an endpoint bug; there is nothing to write
      if (!batch_.empty()) return true;
    }
    if (close_) {
      queueCloseFrame(close_->code, close_->reason);
      return true;
    }
    // Not inline in the hub's wake: onDrained may queue more, which schedules another flush.
    if (std::exchange(wrote_, false)) endpoint_->onDrained();
    return false;
  }

  // An immediate close drops what has not started; a frame half on the wire is finished first.
  void dropUnstartedFrames() {
    const std::size_t keep = next_ + (offset_ > 0 ? 1 : 0);
    if (batch_.size() > keep) batch_.resize(keep);
  }

  Sent send() {
    iovec* iov = shard_.iov;
    std::size_t count = 0;
    const bool control_pending = control_sent_ < control_.size();
    // A control frame goes between data frames, never inside one.
    const bool control_first = control_pending && (offset_ == 0 || control_sent_ > 0);
    if (control_first) iov[count++] = {control_.data() + control_sent_, control_.size() - control_sent_};
    if (!control_first || control_sent_ == 0) {
      for (std::size_t i = next_; i < batch_.size() && count + 2 <= kMaxIov; ++i) {
        const Frame& frame = *batch_[i];
        std::uint8_t* header = shard_.headers[i - next_];
        const std::size_t header_size = ws::buildServerHeader(
            header, frame.binary ? ws::Opcode::binary : ws::Opcode::text, frame.bytes.size());
        const std::size_t skip = i == next_ ? offset_ : 0;
        if (skip < header_size) {
          iov[count++] = {header + skip, header_size - skip};
          if (!frame.bytes.empty()) iov[count++] = {const_cast<char*>(frame.bytes.data()), frame.bytes.size()};
        } else {
          iov[count++] = {const_cast<char*>(frame.bytes.data()) + (skip - header_size),
                          frame.bytes.size() - (skip - header_size)};
        }
        if (control_pending && !control_first) break;  // finish this frame, then the control frame
      }
    }
    msghdr message{};
    message.msg_iov = iov;
    message.msg_iovlen = count;
    ssize_t written;
    do {
      written = ::sendmsg(fd(), &message, MSG_NOSIGNAL | MSG_DONTWAIT);
    } while (written < 0 && errno == EINTR);
    if (written < 0) return errno == EAGAIN || errno == EWOULDBLOCK ? Sent::blocked : Sent::failed;
    account(static_cast<std::size_t>(written), control_first);
    return Sent::progress;
  }

  void account(std::size_t written, bool control_first) {
    if (control_first) {
      const std::size_t take = std::min(written, control_.size() - control_sent_);
      control_sent_ += take;
      written -= take;
      if (control_sent_ == control_.size()) {
        control_.clear();
        control_sent_ = 0;
        // The 101 and pongs are small; a long close reason or a refusal body is not kept.
        if (control_.capacity() > 64) std::string().swap(control_);
      }
    }
    std::uint64_t frames = 0;
    std::uint64_t bytes = 0;  // payload bytes of the frames completed, as bytes_out has always counted
    std::int64_t now_ns = 0;
    while (written > 0 && next_ < batch_.size()) {
      const Frame& frame = *batch_[next_];
      const std::size_t total = ws::serverHeaderSize(frame.bytes.size()) + frame.bytes.size();
      const std::size_t rest = total - offset_;
      if (written < rest) {
        offset_ += written;
        break;
      }
      written -= rest;
      if (frame.accepted_ns != 0) {
        if (now_ns == 0) now_ns = steadyNs();  // once per write, not per frame
        shard_.publish_to_write.observe(
            now_ns > frame.accepted_ns ? static_cast<std::uint64_t>(now_ns - frame.accepted_ns) / 1000 : 0);
      }
      bytes += frame.bytes.size();
      batch_[next_].reset();  // the frame's bytes are shared; let them go as soon as they are written
      ++next_;
      offset_ = 0;
      ++frames;
    }
    if (frames != 0) wrote_ = true;
    shard_.frames_out += frames;
    shard_.bytes_out += bytes;
  }

  void waitWritable() {
    waiting_write_ = true;
    socket_.async_wait(Socket::wait_write, [self = this->shared_from_this()](boost::system::error_code ec) {
      self->waiting_write_ = false;
      if (self->phase_ == Phase::ended) return;
      if (ec) {
        self->finish();
        return;
      }
      self->flush();
      self->shard_.publishCounters();
    });
  }

  void open() {
    phase_ = Phase::open;
    counted_ = true;
    last_read_ms_ = shard_.now_ms;
    Metrics::add(worker_.state.metrics.connections, 1);
    Metrics::add(worker_.state.metrics.connections_total);
    waitReadable();
    endpoint_->onOpen(*this);
  }

  void waitReadable() {
    socket_.async_wait(Socket::wait_read,
                       boost::asio::bind_allocator(ReadWaitAllocator<void>(read_wait_memory_),
                                                   [self = this->shared_from_this()](boost::system::error_code ec) {
                                                     self->onReadable(ec);
                                                   }));
  }

  void onReadable(boost::system::error_code ec) {
    if (phase_ == Phase::ended) return;
    if (ec) {
      finish();
      return;
    }
    char* buffer = shard_.read_buffer.get();
    bool budget_spent = false;
    for (int i = 0; i < kReadsPerTurn; ++i) {
      const ssize_t got = ::recv(fd(), buffer, kReadChunk, MSG_DONTWAIT);
      if (got > 0) {
        last_read_ms_ = shard_.now_ms;
        ping_sent_ = false;
        consume(std::span<char>(buffer, static_cast<std::size_t>(got)));
        if (phase_ == Phase::ended) return;
        if (static_cast<std::size_t>(got) < kReadChunk) break;  // drained: no need to see EAGAIN
        budget_spent = i + 1 == kReadsPerTurn;
        continue;
      }
      if (got == 0) {  // the peer closed; after our close frame, this is the normal end
        finish();
        return;
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      finish();
      return;
    }
    if (budget_spent) {
      // Bytes are left in the socket, and an edge-triggered reactor will not announce them again
      // until more arrive: read on after the other sessions have had their turn.
      boost::asio::post(socket_.get_executor(), [self = this->shared_from_this()] { self->onReadable({}); });
      return;
    }
    waitReadable();
  }

  void consume(std::span<char> input) {
    // After our close frame (or a refused handshake) the client's bytes are read only to see EOF.
    if (close_queued_ || refused_ || parser_.ended()) return;
    for (;;) {
      const ws::ParseEvent event = parser_.next(input);
      switch (event.kind) {
        case ws::ParseEvent::Kind::need_more:
          if (!parser_.holdsPartial()) parser_.releaseMemory();
          return;
        case ws::ParseEvent::Kind::message:
          Metrics::add(worker_.state.metrics.messages_in);
          // A connection that is closing takes no more requests.
          if (close_ || phase_ != Phase::open) break;
          endpoint_->onMessage(event.payload, event.binary);
          if (phase_ == Phase::ended) return;
          break;
        case ws::ParseEvent::Kind::ping:
          queueControl(ws::Opcode::pong, event.payload);
          break;
        case ws::ParseEvent::Kind::pong:
          break;
        case ws::ParseEvent::Kind::close:
          // Echo the peer's code (none if it sent none), then end: §5.5.1.
          replaceClose(event.code, {});
          return;
        case ws::ParseEvent::Kind::violation:
          replaceClose(event.code, event.reason);
          return;
      }
    }
  }

  // The peer's close or its protocol violation decides the close frame, whatever was pending.
  void replaceClose(std::uint16_t code, std::string_view reason) {
    if (close_queued_) return;
    if (!close_) closing_since_ms_ = steadyMs();
    close_ = std::make_unique<PendingClose>(PendingClose{code, std::string(reason), false});
    scheduleFlush();
  }

  void queueControl(ws::Opcode opcode, std::string_view payload) {
    if (close_queued_ || phase_ != Phase::open || control_.size() > kMaxPendingControl) return;
    std::uint8_t header[ws::kMaxServerHeader];
    const std::size_t size = ws::buildServerHeader(header, opcode, payload.size());
    control_.append(reinterpret_cast<const char*>(header), size);
    control_.append(payload);
    scheduleFlush();
  }

  void queueCloseFrame(std::uint16_t code, std::string_view reason) {
    const std::string payload = code == ws::kCloseNoStatus ? std::string() : ws::closePayload(code, reason);
    std::uint8_t header[ws::kMaxServerHeader];
    const std::size_t size = ws::buildServerHeader(header, ws::Opcode::close, payload.size());
    control_.append(reinterpret_cast<const char*>(header), size);
    control_.append(payload);
    close_queued_ = true;
    phase_ = Phase::closing;
  }

  // Our side is done: the client sees EOF after our last byte and closes; its bytes until then are
  // read and dropped, so our close is not turned into a reset that could destroy the close frame.
  void shutdownAndDrain() {
    shut_ = true;
    boost::system::error_code ignored;
    socket_.shutdown(Socket::shutdown_send, ignored);
    if (refused_) waitReadable();  // a refused handshake never started reading
  }

  // Ends the session once, whichever side or failure ended it: the endpoint hears onClose last.
  void finish() {
    if (phase_ == Phase::ended) return;
    phase_ = Phase::ended;
    boost::system::error_code ignored;
    socket_.close(ignored);  // pending waits complete with operation_aborted and find the session ended
    if (counted_) Metrics::add(worker_.state.metrics.connections, -1);
    slot_.release();
    batch_.clear();
    std::string().swap(control_);
    endpoint_->onClose();
  }

  Worker& worker_;
  LeanWsShard& shard_;
  LiveConnection live_;
  Socket socket_;
  WebSocketSlot slot_;
  std::unique_ptr<WsEndpoint> endpoint_;
  ws::FrameParser parser_;
  ReadWaitMemory read_wait_memory_;
  std::vector<FramePtr> batch_;   // taken from the endpoint, written in order
  std::size_t next_ = 0;          // first frame of batch_ not completely written
  std::size_t offset_ = 0;        // bytes of batch_[next_] (header included) already written
  std::string control_;           // the handshake response, pongs, pings, the close frame
  std::size_t control_sent_ = 0;
  std::unique_ptr<PendingClose> close_;
  std::int64_t created_ms_ = 0;
  std::int64_t last_read_ms_ = 0;
  std::int64_t closing_since_ms_ = 0;
  Phase phase_ = Phase::handshaking;
  bool refused_ = false;        // the handshake was answered with an HTTP error
  bool queued_ = false;         // in the shard's flush list
  bool waiting_write_ = false;  // the socket was full: waiting for it to take more
  bool wrote_ = false;          // a frame was written since the last onDrained
  bool counted_ = false;        // in the connections gauge
  bool close_queued_ = false;   // our close frame is in control_ (or written)
  bool shut_ = false;           // our sending side is shut down
  bool ping_sent_ = false;      // a keep-alive ping is out since the last read
};

}  // namespace

template <class Protocol>
void startLeanWebSocket(Worker& worker, typename Protocol::socket socket, WebSocketSlot slot,
                        std::unique_ptr<WsEndpoint> endpoint, std::string_view key, std::string_view version,
                        std::string_view subprotocol) {
  if (!worker.lean) worker.lean.reset(new LeanWsShard(worker));
  auto session = std::make_shared<LeanWsSession<Protocol>>(worker, std::move(socket), std::move(slot),
                                                           std::move(endpoint));
  worker.track(*session);
  session->start(ws::answerHandshake(key, version, subprotocol));
}

template void startLeanWebSocket<boost::asio::ip::tcp>(Worker&, boost::asio::ip::tcp::socket, WebSocketSlot,
                                                       std::unique_ptr<WsEndpoint>, std::string_view,
                                                       std::string_view, std::string_view);
template void startLeanWebSocket<boost::asio::local::stream_protocol>(Worker&, boost::asio::local::stream_protocol::socket,
                                                                      WebSocketSlot, std::unique_ptr<WsEndpoint>,
                                                                      std::string_view, std::string_view,
                                                                      std::string_view);

}  // namespace herald::transport::detail
