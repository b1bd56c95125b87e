#include "core/espota/host_session.h"

#include <string.h>

#include "core/espota/replies.h"
#include "core/proto/time.h"
#include "core/util/text.h"

namespace otakit::espota {

const char* describe(UploadOutcome outcome) {
  switch (outcome) {
    case UploadOutcome::ok: return "ok";
    case UploadOutcome::no_answer: return "no-answer";
    case UploadOutcome::auth_failed: return "auth-failed";
    case UploadOutcome::auth_no_answer: return "auth-no-answer";
    case UploadOutcome::device_busy: return "device-busy";
    case UploadOutcome::device_rejected: return "device-rejected";
    case UploadOutcome::no_connection: return "no-connection";
    case UploadOutcome::transfer_failed: return "transfer-failed";
    case UploadOutcome::no_result: return "no-result";
    case UploadOutcome::protocol_error: return "protocol-error";
    case UploadOutcome::local_error: return "local-error";
  }
  return "unknown";
}

bool safe_to_retry(UploadOutcome outcome) {
  return outcome == UploadOutcome::no_answer || outcome == UploadOutcome::device_busy;
}

HostSession::HostSession(const HostConfig& config) : config_(config) {
  password_hash_ = password_hash(config.password ? config.password : "", config.password ? config.password_length : 0);
}

// ---- inputs ---------------------------------------------------------------------------------

void HostSession::start(uint32_t now) {
  if (state_ != HostState::idle) return;
  Invitation invitation;
  invitation.command = config_.command;
  invitation.port = config_.listen_port;
  invitation.size = config_.size;
  memcpy(invitation.md5, config_.md5, kMd5HexLength);
  datagram_len_ = format_invitation(invitation, datagram_, sizeof(datagram_));
  state_ = HostState::inviting;
  send_datagram(now);
}

void HostSession::on_datagram(const proto::PeerAddress& from, const uint8_t* data, size_t len, uint32_t now) {
  advance(now);
  if (state_ != HostState::inviting && state_ != HostState::authenticating) return;
  if (!proto::same_peer(from, config_.device)) return note("ignored a datagram that did not come from the device");
  on_reply(data, len, now);
}

bool HostSession::on_tcp_connected(const proto::PeerAddress& from, uint32_t now) {
  advance(now);
  bool before_ok = state_ == HostState::inviting || state_ == HostState::authenticating;
  if (state_ != HostState::waiting_connection && !before_ok) return false;
  if (!proto::same_host(from, config_.device)) {
    note("refused a TCP connection that did not come from the device's address");
    return false;
  }
  // A device connects only after it sent OK, but the TCP connection can overtake the datagram.
  if (before_ok) note("the device connected before its OK arrived: taken as its OK");
  connected_ = true;
  state_ = HostState::transferring;
  HostEvent stop;
  stop.action = HostAction::stop_listening;
  events_.push(stop);
  note("device connected; sending the image");
  send_next_block(now);
  return true;
}

void HostSession::on_data_sent(uint32_t bytes, uint32_t now) {
  if (state_ != HostState::transferring || in_flight_ == 0) return;
  sent_ += bytes < in_flight_ ? bytes : in_flight_;
  in_flight_ = 0;
  phase_deadline_ = now + config_.stall_timeout_ms;
  emit_progress();
  if (sent_ >= config_.size) {
    state_ = HostState::waiting_result;
    phase_deadline_ = now + config_.result_timeout_ms;
    return note("image sent; waiting for the result");
  }
  // espota.py pacing: the next chunk only after the device answered the previous one.
  if (!config_.stop_and_wait || parser_.ack_digits() > digits_at_send_) send_next_block(now);
}

// The failed write stays in flight, which is what keeps the session from sending more.
void HostSession::on_tcp_send_failed(uint32_t now) {
  advance(now);
  if (state_ != HostState::transferring) return;
  note("the device closed the connection while the image was being sent; reading what it said");
}

void HostSession::on_tcp_data(const uint8_t* data, size_t len, uint32_t now) {
  advance(now);
  if (state_ != HostState::transferring && state_ != HostState::waiting_result) return;
  parser_.feed(data, len, sent_ + in_flight_);
  if (state_ == HostState::transferring) phase_deadline_ = now + config_.stall_timeout_ms;
  else phase_deadline_ = now + config_.result_timeout_ms;
  check_stream_result();
  if (state_ == HostState::done) return;
  if (parser_.acked_estimate() != last_acked_) emit_progress();
  if (state_ == HostState::transferring && config_.stop_and_wait && in_flight_ == 0 &&
      parser_.ack_digits() > digits_at_send_)
    send_next_block(now);
}

void HostSession::on_tcp_closed(uint32_t now) {
  advance(now);
  if (state_ != HostState::transferring && state_ != HostState::waiting_result) return;
  parser_.finish();
  check_stream_result();
  if (state_ == HostState::done) return;
  TextBuilder text(message_, sizeof(message_));
  text.add("the device closed the connection ");
  if (state_ == HostState::transferring) {
    text.add("after ").add_u32(sent_).add(" of ").add_u32(config_.size).add(" bytes");
    return finish(UploadOutcome::transfer_failed, message_);
  }
  text.add("without sending OK or ERROR");
  finish(UploadOutcome::no_result, message_);
}

void HostSession::on_tick(uint32_t now) { advance(now); }

bool HostSession::next_deadline(uint32_t* at_ms) const {
  if (state_ == HostState::idle || state_ == HostState::done) return false;
  *at_ms = deadline();
  return true;
}

// ---- timers ---------------------------------------------------------------------------------

uint32_t HostSession::deadline() const {
  if (state_ == HostState::inviting || state_ == HostState::authenticating) {
    // Whichever comes first: the next resend or giving up.
    return static_cast<int32_t>(next_resend_ - answer_deadline_) < 0 ? next_resend_ : answer_deadline_;
  }
  return phase_deadline_;
}

void HostSession::advance(uint32_t now) {
  if (state_ == HostState::idle || state_ == HostState::done) return;
  if (state_ == HostState::inviting || state_ == HostState::authenticating) {
    if (proto::time_reached(now, answer_deadline_)) {
      TextBuilder text(message_, sizeof(message_));
      text.add(state_ == HostState::inviting ? "no answer to the invitation" : "no answer to the authentication")
          .add(" within ")
          .add_u32(config_.answer_timeout_ms)
          .add(" ms");
      return finish(state_ == HostState::inviting ? UploadOutcome::no_answer : UploadOutcome::auth_no_answer, message_);
    }
    if (proto::time_reached(now, next_resend_)) resend_datagram(now);
    return;
  }
  if (!proto::time_reached(now, phase_deadline_)) return;
  TextBuilder text(message_, sizeof(message_));
  switch (state_) {
    case HostState::waiting_connection:
      text.add("the device accepted but did not connect back within ")
          .add_u32(config_.accept_timeout_ms)
          .add(" ms (a firewall on this host blocking TCP port ")
          .add_u32(config_.listen_port)
          .add("? choose the address the device can reach with -I)");
      return finish(UploadOutcome::no_connection, message_);
    case HostState::transferring:
      text.add("the transfer stalled: nothing moved for ")
          .add_u32(config_.stall_timeout_ms)
          .add(" ms after ")
          .add_u32(sent_)
          .add(" of ")
          .add_u32(config_.size)
          .add(" bytes");
      return finish(UploadOutcome::transfer_failed, message_);
    case HostState::waiting_result:
      if (parser_.error_started()) {  // an error text that never got its newline
        parser_.finish();
        return check_stream_result();
      }
      text.add("no result from the device within ").add_u32(config_.result_timeout_ms).add(" ms after the last byte");
      return finish(UploadOutcome::no_result, message_);
    default:
      return;
  }
}

// ---- UDP ------------------------------------------------------------------------------------

void HostSession::on_reply(const uint8_t* data, size_t len, uint32_t now) {
  UdpReply reply = parse_udp_reply(data, len);
  switch (reply.kind) {
    case UdpReplyKind::ok:
      state_ = HostState::waiting_connection;
      phase_deadline_ = now + config_.accept_timeout_ms;
      return note(authenticated_ ? "authenticated; waiting for the device to connect"
                                 : "invitation accepted; waiting for the device to connect");
    case UdpReplyKind::auth_challenge:
      if (state_ == HostState::authenticating && memcmp(reply.nonce.text, nonce_.text, kMd5HexLength) == 0)
        return note("ignored a repeated challenge (already answered)");
      return answer_challenge(reply.nonce, now);
    case UdpReplyKind::auth_failed:
      return finish(UploadOutcome::auth_failed,
                    config_.password_length == 0 ? "Authentication Failed: the device needs a password (-a/--auth)"
                                                 : "Authentication Failed: wrong password");
    case UdpReplyKind::device_error: {
      TextBuilder text(message_, sizeof(message_));
      text.add("the device refused the update: ").add(reinterpret_cast<const char*>(data) + 5, len - 5);
      // Drop the device's newline from the message.
      if (text.size() > 0 && message_[text.size() - 1] == '\n') message_[text.size() - 1] = '\0';
      return finish(reply.error_code == 15 ? UploadOutcome::device_busy : UploadOutcome::device_rejected, message_,
                    reply.error_code);
    }
    case UdpReplyKind::unknown: {
      TextBuilder text(message_, sizeof(message_));
      text.add("Bad Answer: ");
      for (size_t i = 0; i < len && i < 64; ++i) text.add_char(data[i] >= 0x20 && data[i] < 0x7F ? char(data[i]) : '?');
      return finish(UploadOutcome::protocol_error, message_);
    }
  }
}

void HostSession::answer_challenge(const Hex32& nonce, uint32_t now) {
  uint8_t random[kNonceRandomBytes];
  if (config_.random.fill == nullptr || !config_.random.fill(config_.random.ctx, random, sizeof(random)))
    return finish(UploadOutcome::local_error, "no random bytes for the cnonce");
  nonce_ = nonce;
  AuthReply reply;
  reply.cnonce = nonce_from_random(random);
  reply.response = auth_response(password_hash_, nonce, reply.cnonce);
  datagram_len_ = format_auth_reply(reply, datagram_, sizeof(datagram_));
  state_ = HostState::authenticating;
  authenticated_ = true;  // tentatively: the OK that follows confirms it
  note("authenticating");
  send_datagram(now);
}

void HostSession::send_datagram(uint32_t now) {
  answer_deadline_ = now + config_.answer_timeout_ms;
  resend_interval_ = config_.first_resend_ms;
  next_resend_ = now + resend_interval_;
  HostEvent event;
  event.action = HostAction::send_udp;
  event.data = reinterpret_cast<const uint8_t*>(datagram_);
  event.len = datagram_len_;
  events_.push(event);
}

// Datagrams get lost; the same bytes again are harmless to ArduinoOTA and to our device.
void HostSession::resend_datagram(uint32_t now) {
  resend_interval_ *= 2;
  next_resend_ = now + resend_interval_;
  HostEvent event;
  event.action = HostAction::send_udp;
  event.data = reinterpret_cast<const uint8_t*>(datagram_);
  event.len = datagram_len_;
  events_.push(event);
  note("no answer yet; sent the datagram again");
}

// ---- TCP ------------------------------------------------------------------------------------

void HostSession::send_next_block(uint32_t now) {
  uint32_t block = config_.stop_and_wait ? kChunkSize : config_.stream_block;
  uint32_t remaining = config_.size - sent_;
  in_flight_ = remaining < block ? remaining : block;
  digits_at_send_ = parser_.ack_digits();
  phase_deadline_ = now + config_.stall_timeout_ms;
  HostEvent event;
  event.action = HostAction::send_data;
  event.offset = sent_;
  event.len = in_flight_;
  events_.push(event);
}

void HostSession::check_stream_result() {
  switch (parser_.result()) {
    case StreamResult::pending:
      return;
    case StreamResult::ok:
      if (sent_ + in_flight_ < config_.size) {
        TextBuilder text(message_, sizeof(message_));
        text.add("the device said OK after only ").add_u32(sent_).add(" of ").add_u32(config_.size).add(" bytes");
        return finish(UploadOutcome::protocol_error, message_);
      }
      return finish(UploadOutcome::ok, "Result: OK");
    case StreamResult::error: {
      TextBuilder text(message_, sizeof(message_));
      text.add("the device rejected the image: ").add(parser_.text());
      return finish(UploadOutcome::device_rejected, message_, parser_.error_code());
    }
    case StreamResult::malformed: {
      TextBuilder text(message_, sizeof(message_));
      text.add("unexpected reply on the upload connection: ").add(parser_.text());
      return finish(UploadOutcome::protocol_error, message_);
    }
  }
}

void HostSession::finish(UploadOutcome outcome, const char* text, int device_error) {
  if (state_ == HostState::done) return;
  if (state_ == HostState::inviting || state_ == HostState::authenticating || state_ == HostState::waiting_connection) {
    HostEvent stop;
    stop.action = HostAction::stop_listening;
    events_.push(stop);
  }
  if (connected_) {
    HostEvent close;
    close.action = HostAction::close_tcp;
    events_.push(close);
  }
  state_ = HostState::done;
  outcome_ = outcome;
  if (outcome == UploadOutcome::ok) last_acked_ = config_.size;
  HostEvent done;
  done.action = HostAction::finished;
  done.outcome = outcome;
  done.device_error = device_error;
  // "OK" is accepted only once every byte was handed over, so on success all were sent, even if
  // the last write's completion has not been reported yet.
  done.sent = outcome == UploadOutcome::ok ? config_.size : sent_;
  done.acked = outcome == UploadOutcome::ok ? config_.size : parser_.acked_estimate();
  done.size = config_.size;
  if (text != message_) TextBuilder(message_, sizeof(message_)).add(text);
  done.text = message_;
  events_.push(done);
}

void HostSession::note(const char* text) {
  HostEvent event;
  event.action = HostAction::note;
  event.text = text;
  events_.push(event);
}

void HostSession::emit_progress() {
  last_acked_ = parser_.acked_estimate();
  HostEvent event;
  event.action = HostAction::progress;
  event.sent = sent_;
  event.acked = last_acked_;
  event.size = config_.size;
  events_.push(event);
}

}  // namespace otakit::espota
