#include "sim/fault_link.h"

#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/write.hpp>

namespace otakit::sim {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

enum class Hurt : uint8_t { none, drop, stall, slow };

// One relayed connection: the device's side, the server's side, and what happens to the answer.
class Relay : public std::enable_shared_from_this<Relay> {
 public:
  Relay(tcp::socket device, asio::io_context& io, net::Clock& clock, Hurt hurt, uint64_t hurt_at, const LinkFaults& faults)
      : device_(std::move(device)), server_(io), timer_(clock.make_timer(io)), hurt_(hurt), hurt_at_(hurt_at),
        faults_(faults) {}

  void start(const tcp::endpoint& server) {
    server_.async_connect(server, [self = shared_from_this()](const boost::system::error_code& ec) {
      if (ec) return self->close();
      self->pump_request();
      self->pump_answer();
    });
  }

 private:
  void pump_request() {
    device_.async_read_some(asio::buffer(request_), [self = shared_from_this()](auto ec, size_t n) {
      if (ec) return self->close();
      asio::async_write(self->server_, asio::buffer(self->request_, n), [self](auto write_ec, size_t) {
        if (write_ec) return self->close();
        self->pump_request();
      });
    });
  }

  void pump_answer() {
    size_t room = answer_.size();
    if (hurt_ == Hurt::slow) room = std::max<size_t>(1, faults_.rates.slow_bytes_per_s / 10);
    if (hurt_ == Hurt::drop || hurt_ == Hurt::stall) room = std::min<uint64_t>(room, hurt_at_ - sent_);
    if (room == 0) return hurt_now();
    server_.async_read_some(asio::buffer(answer_.data(), room), [self = shared_from_this()](auto ec, size_t n) {
      if (ec) return self->close();
      asio::async_write(self->device_, asio::buffer(self->answer_, n), [self, n](auto write_ec, size_t) {
        if (write_ec) return self->close();
        self->sent_ += n;
        if (self->hurt_ == Hurt::slow)  // a tenth of a second's worth at a time
          return self->timer_->start_after(100, [self] { self->pump_answer(); });
        self->pump_answer();
      });
    });
  }

  void hurt_now() {
    if (hurt_ == Hurt::drop) return close();
    // Stalled: the answer stops, the connection stays open until long after the device gave up.
    timer_->start_after(faults_.stall_ms, [self = shared_from_this()] { self->close(); });
  }

  void close() {
    boost::system::error_code ignored;
    device_.close(ignored);
    server_.close(ignored);
    timer_->cancel();
  }

  tcp::socket device_, server_;
  std::unique_ptr<net::Timer> timer_;
  Hurt hurt_;
  uint64_t hurt_at_;
  const LinkFaults faults_;  // a copy: a relay may outlive the link
  uint64_t sent_ = 0;
  std::array<uint8_t, 4096> request_{};
  std::array<uint8_t, 16384> answer_{};
};

}  // namespace

class FaultLink::Impl : public std::enable_shared_from_this<Impl> {
 public:
  Impl(asio::io_context& io, net::Clock& clock, tcp::endpoint server, LinkFaults faults, uint64_t seed,
       FleetCounters& counters)
      : io_(io), clock_(clock), acceptor_(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
        server_(server), faults_(faults), dice_(seed), counters_(counters) {}

  void accept() {
    acceptor_.async_accept([self = shared_from_this()](const boost::system::error_code& ec, tcp::socket socket) {
      if (ec) return;  // stopped
      self->relay(std::move(socket));
      self->accept();
    });
  }

  void relay(tcp::socket socket) {
    const FaultRates& r = faults_.rates;
    const double roll = dice_.unit();
    Hurt hurt = Hurt::none;
    if (roll < r.drop) hurt = Hurt::drop;
    else if (roll < r.drop + r.stall) hurt = Hurt::stall;
    else if (roll < r.drop + r.stall + r.slow) hurt = Hurt::slow;
    if (hurt == Hurt::drop) counters_.count(counters_.dropped);
    if (hurt == Hurt::stall) counters_.count(counters_.stalled);
    if (hurt == Hurt::slow) counters_.count(counters_.slowed);
    std::make_shared<Relay>(std::move(socket), io_, clock_, hurt, dice_.below(faults_.answer_bytes), faults_)
        ->start(server_);
  }

  asio::io_context& io_;
  net::Clock& clock_;
  tcp::acceptor acceptor_;
  tcp::endpoint server_;
  LinkFaults faults_;
  Dice dice_;
  FleetCounters& counters_;
};

FaultLink::FaultLink(asio::io_context& io, net::Clock& clock, tcp::endpoint server, LinkFaults faults, uint64_t seed,
                     FleetCounters& counters)
    : impl_(std::make_shared<Impl>(io, clock, server, faults, seed, counters)) {
  impl_->accept();
}

FaultLink::~FaultLink() { stop(); }

uint16_t FaultLink::port() const { return impl_->acceptor_.local_endpoint().port(); }

void FaultLink::stop() {
  boost::system::error_code ignored;
  impl_->acceptor_.close(ignored);
}

}  // namespace otakit::sim
