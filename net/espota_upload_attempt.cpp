#include "net/espota_upload_attempt.h"

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <random>

namespace otakit::net {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;
using boost::system::error_code;

EspotaUploadAttempt::EspotaUploadAttempt(asio::io_context& io, Clock& clock, const EspotaImage& image,
                                         const EspotaTarget& target, const EspotaUploadOptions& options,
                                         std::optional<uint16_t> host_port, EspotaProgress progress,
                                         EspotaProgressFn on_progress, Done on_done)
    : io_(io),
      clock_(clock),
      image_(image),
      target_(target),
      options_(options),
      host_port_(host_port),
      progress_(progress),
      on_progress_(std::move(on_progress)),
      on_done_(std::move(on_done)),
      log_(options.log.with_identity(target.host)),
      resolver_(io),
      udp_(io),
      acceptor_(io),
      pending_(io),
      tcp_(io),
      timer_(clock.make_timer(io)) {}

void EspotaUploadAttempt::start() {
  progress_.size = static_cast<uint32_t>(image_.bytes->size());
  report(EspotaPhase::resolving);
  error_code ec;
  auto literal = asio::ip::make_address(target_.host, ec);
  if (!ec) return on_resolved(literal);
  resolver_.async_resolve(target_.host, "", [self = shared_from_this()](const error_code& error,
                                                                          tcp::resolver::results_type results) {
    if (self->done_) return;
    if (error || results.empty())
      return self->fail_locally("cannot resolve '" + self->target_.host + "': " +
                                (error ? error.message() : std::string("no address")));
    // espota is IPv4 in practice: prefer an IPv4 address when the name has both.
    auto chosen = results.begin()->endpoint().address();
    for (const auto& entry : results)
      if (entry.endpoint().address().is_v4()) {
        chosen = entry.endpoint().address();
        break;
      }
    self->on_resolved(chosen);
  });
}

void EspotaUploadAttempt::on_resolved(const asio::ip::address& device) {
  std::string error;
  if (!open_listener(device, &error)) return fail_locally(error);

  espota::HostConfig config;
  config.command = options_.filesystem ? espota::Command::filesystem : espota::Command::flash;
  config.listen_port = listen_port_;
  config.size = progress_.size;
  memcpy(config.md5, image_.md5.c_str(), espota::kMd5HexLength);
  config.device = to_peer(device, target_.port);
  config.password = options_.password.c_str();
  config.password_length = options_.password.size();
  config.random = secure_random_source();
  config.stop_and_wait = options_.stop_and_wait;
  config.stream_block = options_.stream_block;
  config.answer_timeout_ms = options_.timeout_ms;
  config.accept_timeout_ms = options_.timeout_ms;
  config.stall_timeout_ms = options_.timeout_ms;
  config.result_timeout_ms = options_.result_timeout_ms;
  session_ = std::make_unique<espota::HostSession>(config);
  device_udp_ = udp::endpoint(to_address(config.device), target_.port);

  log_.debug("listening on TCP {}:{}, inviting UDP {}:{}", options_.host_ip, listen_port_, device.to_string(),
             target_.port);
  report(EspotaPhase::inviting);
  session_->start(clock_.now_ms());
  receive_datagram();
  accept();
  drain();
}

// The TCP listener goes first: its port is part of the invitation. The UDP socket leaves from
// host_ip when one is given, because the device connects back to the invitation's source address.
bool EspotaUploadAttempt::open_listener(const asio::ip::address& device, std::string* error) {
  error_code ec;
  auto host = asio::ip::make_address(options_.host_ip, ec);
  if (ec) {
    *error = "'" + options_.host_ip + "' (-I/--host_ip) is not an IP address";
    return false;
  }
  if (host.is_unspecified() && host.is_v4() != device.is_v4())
    host = device.is_v4() ? asio::ip::address(asio::ip::address_v4::any()) : asio::ip::address(asio::ip::address_v6::any());
  std::mt19937 random(std::random_device{}());
  std::uniform_int_distribution<int> espota_range(10000, 60000);  // espota.py's default range
  for (int tries = 0; tries < 20; ++tries) {
    uint16_t port = host_port_ ? *host_port_ : static_cast<uint16_t>(espota_range(random));
    tcp::endpoint local(host, port);
    error_code bind_error;
    acceptor_.open(local.protocol(), bind_error);
    if (!bind_error) acceptor_.set_option(tcp::acceptor::reuse_address(true), bind_error);
    if (!bind_error) acceptor_.bind(local, bind_error);
    if (!bind_error) acceptor_.listen(4, bind_error);
    if (!bind_error) {
      listen_port_ = acceptor_.local_endpoint().port();
      break;
    }
    acceptor_.close(ec);
    if (host_port_ || bind_error != asio::error::address_in_use) {
      *error = "Listen Failed: cannot listen on TCP " + options_.host_ip + ":" + std::to_string(port) + ": " +
               bind_error.message();
      return false;
    }
  }
  if (listen_port_ == 0) {
    *error = "Listen Failed: no free TCP port in 10000-60000 on " + options_.host_ip;
    return false;
  }
  udp_.open(device.is_v4() ? udp::v4() : udp::v6(), ec);
  if (!ec && !host.is_unspecified()) udp_.bind(udp::endpoint(host, 0), ec);
  if (ec) {
    *error = "cannot open a UDP socket on " + options_.host_ip + ": " + ec.message();
    return false;
  }
  return true;
}

void EspotaUploadAttempt::accept() {
  acceptor_.async_accept(pending_, [self = shared_from_this()](const error_code& error) {
    if (self->done_ || error == asio::error::operation_aborted) return;
    if (error) return self->accept();
    error_code ec;
    auto remote = self->pending_.remote_endpoint(ec);
    if (!ec && self->session_->on_tcp_connected(to_peer(remote.address(), remote.port()), self->clock_.now_ms())) {
      self->tcp_ = std::move(self->pending_);
      self->tcp_.set_option(tcp::no_delay(true), ec);
      self->report(EspotaPhase::sending);
      self->read();
    } else {
      self->pending_.close(ec);
      self->pending_ = tcp::socket(self->io_);
      self->accept();
    }
    self->drain();
  });
}

void EspotaUploadAttempt::receive_datagram() {
  udp_.async_receive_from(asio::buffer(datagram_), sender_, [self = shared_from_this()](const error_code& error, size_t n) {
    if (self->done_ || error == asio::error::operation_aborted) return;
    if (!error) {
      auto before = self->session_->state();
      self->session_->on_datagram(to_peer(self->sender_.address(), self->sender_.port()), self->datagram_.data(), n,
                                  self->clock_.now_ms());
      if (before == espota::HostState::inviting && self->session_->state() == espota::HostState::authenticating)
        self->report(EspotaPhase::authenticating);
      if (self->session_->state() == espota::HostState::waiting_connection)
        self->report(EspotaPhase::waiting_connection);
      self->drain();
    }
    if (!self->done_) self->receive_datagram();  // ICMP errors (port unreachable) arrive here too
  });
}

void EspotaUploadAttempt::read() {
  tcp_.async_read_some(asio::buffer(reply_), [self = shared_from_this()](const error_code& error, size_t n) {
    if (self->done_) return;
    uint32_t now = self->clock_.now_ms();
    if (n > 0) self->session_->on_tcp_data(self->reply_.data(), n, now);
    if (error && !self->done_) self->session_->on_tcp_closed(now);
    self->drain();
    if (!error && !self->done_) self->read();
  });
}

void EspotaUploadAttempt::drain() {
  if (!session_) return;
  espota::HostEvent e;
  while (!done_ && session_->poll(&e)) handle(e);
  if (!done_) rearm_timer();
}

void EspotaUploadAttempt::handle(const espota::HostEvent& e) {
  switch (e.action) {
    case espota::HostAction::send_udp: {
      auto bytes = std::make_shared<std::string>(reinterpret_cast<const char*>(e.data), e.len);
      udp_.async_send_to(asio::buffer(*bytes), device_udp_, [bytes](const error_code&, size_t) {});
      return;
    }
    case espota::HostAction::stop_listening: {
      error_code ignored;
      acceptor_.close(ignored);
      return;
    }
    case espota::HostAction::send_data:
      return send_block(e.offset, e.len);
    case espota::HostAction::close_tcp: {
      error_code ignored;
      tcp_.shutdown(tcp::socket::shutdown_both, ignored);
      tcp_.close(ignored);
      return;
    }
    case espota::HostAction::progress:
      progress_.sent = e.sent;
      progress_.acked = e.acked;
      return report(e.sent >= e.size ? EspotaPhase::verifying : EspotaPhase::sending);
    case espota::HostAction::finished:
      return finish(e);
    case espota::HostAction::note:
      log_.debug("{}", e.text);
      return;
  }
}

// The image outlives the write (shared), so no copy: TCP flow control paces the stream. A failed
// write does not end the upload: Asio completes a socket's writes before its reads in one wake-up,
// so the device's OK or ERROR may still be unread; the read loop reports the close after it.
void EspotaUploadAttempt::send_block(uint32_t offset, size_t len) {
  asio::async_write(tcp_, asio::buffer(image_.bytes->data() + offset, len),
                    [self = shared_from_this(), bytes = image_.bytes](const error_code& error, size_t written) {
                      if (self->done_) return;
                      uint32_t now = self->clock_.now_ms();
                      if (error) {
                        self->session_->on_tcp_send_failed(now);
                      } else {
                        self->session_->on_data_sent(static_cast<uint32_t>(written), now);
                      }
                      self->drain();
                    });
}

void EspotaUploadAttempt::rearm_timer() {
  uint32_t at = 0;
  if (!session_->next_deadline(&at)) return;
  timer_->start_at(at, [self = shared_from_this()] {
    if (self->done_) return;
    self->session_->on_tick(self->clock_.now_ms());
    self->drain();
  });
}

void EspotaUploadAttempt::report(EspotaPhase phase) {
  progress_.phase = phase;
  if (on_progress_) on_progress_(progress_);
}

void EspotaUploadAttempt::fail_locally(const std::string& message) {
  espota::HostEvent e;
  e.action = espota::HostAction::finished;
  e.outcome = espota::UploadOutcome::local_error;
  e.size = progress_.size;
  e.text = message.c_str();
  finish(e);
}

void EspotaUploadAttempt::finish(const espota::HostEvent& e) {
  if (done_) return;
  done_ = true;
  close_all();
  EspotaUploadResult result;
  result.target = target_;
  result.outcome = e.outcome;
  result.device_error = e.device_error;
  result.message = e.text ? e.text : "";
  result.sent = e.sent;
  result.size = e.size;
  result.host_port = listen_port_;
  progress_.sent = e.sent;
  progress_.acked = e.acked;
  report(EspotaPhase::done);
  // Reported from a fresh handler: the caller may start the next attempt right away.
  asio::post(io_, [self = shared_from_this(), result] { self->on_done_(result); });
}

void EspotaUploadAttempt::close_all() {
  error_code ignored;
  resolver_.cancel();
  timer_->cancel();
  udp_.close(ignored);
  acceptor_.close(ignored);
  pending_.close(ignored);
  tcp_.close(ignored);
}

}  // namespace otakit::net
