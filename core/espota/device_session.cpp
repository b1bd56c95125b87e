#include "core/espota/device_session.h"

#include <string.h>

#include "core/espota/replies.h"
#include "core/proto/time.h"
#include "core/util/text.h"

namespace otakit::espota {

namespace {

inline constexpr char kBusyReply[] = "ERR: ERROR[15]: Update already running\n";

// The earlier of two deadlines on the wrapping millisecond clock.
uint32_t earlier(uint32_t a, uint32_t b) { return proto::time_reached(a, b) ? b : a; }

static_assert(static_cast<uint16_t>(Command::flash) == static_cast<uint8_t>(UpdateCommand::flash) &&
                  static_cast<uint16_t>(Command::filesystem) == static_cast<uint8_t>(UpdateCommand::filesystem),
              "an invitation's command is the Updater's");

}  // namespace

const char* describe(OtaError error) {
  switch (error) {
    case OtaError::auth: return "auth";
    case OtaError::begin: return "begin";
    case OtaError::connect: return "connect";
    case OtaError::receive: return "receive";
    case OtaError::end: return "end";
  }
  return "unknown";
}

DeviceSession::DeviceSession(const DeviceConfig& config, UpdateSink& sink)
    : config_(config), sink_(sink), offenders_(config.auth_penalty) {
  if (config.password_hash != nullptr && config.password_hash[0] != '\0') {
    has_password_ = normalize_password_hash(config.password_hash, strlen(config.password_hash), &password_hash_);
    // A malformed hash must not silently disable authentication: nothing can match it.
    if (!has_password_) {
      has_password_ = true;
      memset(password_hash_.text, 'x', kMd5HexLength);
    }
  }
}

// ---- inputs ---------------------------------------------------------------------------------

void DeviceSession::on_datagram(const proto::PeerAddress& from, const uint8_t* data, size_t len, uint32_t now) {
  advance(now);
  if (len > kMaxRequestDatagram) return drop(from, "datagram too long for espota");
  switch (state_) {
    case DeviceState::idle:
      return handle_idle(from, data, len, now);
    case DeviceState::auth_delayed:
    case DeviceState::waiting_auth:
      if (proto::same_peer(from, peer_)) return handle_inviter(from, data, len, now);
      return handle_other_peer(from, data, len, now);
    default:
      if (proto::same_peer(from, peer_)) return handle_active_uploader(from, data, len);
      return handle_other_peer(from, data, len, now);
  }
}

void DeviceSession::on_tcp_connected(uint32_t now) {
  if (state_ != DeviceState::connecting) return;
  start_receiving(now);
}

void DeviceSession::on_tcp_connect_failed(uint32_t now) {
  if (state_ != DeviceState::connecting) return;
  sink_.abort();
  emit(DeviceAction::close_tcp);
  TextBuilder text(message_, sizeof(message_));
  text.add("could not connect back to the uploader's TCP port ").add_u32(invitation_.port);
  finish(false, OtaError::connect, message_, now);
}

void DeviceSession::on_tcp_data(const uint8_t* data, size_t len, uint32_t now) {
  advance(now);
  if (state_ != DeviceState::receiving || len == 0) return;
  uint32_t remaining = invitation_.size - received_;
  // Bytes past the announced size are ignored, as the original's Update.write(client) does.
  uint32_t take = len < remaining ? static_cast<uint32_t>(len) : remaining;
  last_data_at_ = now;
  rearm_receive_deadline();
  if (take == 0) return;
  write_update(data, take, now);
}

void DeviceSession::on_tcp_closed(uint32_t now) {
  switch (state_) {
    case DeviceState::connecting:
      return on_tcp_connect_failed(now);
    case DeviceState::receiving: {
      sink_.abort();
      emit(DeviceAction::close_tcp);
      TextBuilder text(message_, sizeof(message_));
      text.add("the uploader closed the connection after ")
          .add_u32(received_)
          .add(" of ")
          .add_u32(invitation_.size)
          .add(" bytes");
      return finish(false, OtaError::receive, message_, now);
    }
    case DeviceState::sending_result:
      // Nobody is left to read the result; the outcome stands (a staged image stays staged).
      emit(DeviceAction::close_tcp);
      return finish(result_ok_, result_error_, message_, now);
    default:
      return;
  }
}

void DeviceSession::on_tick(uint32_t now) { advance(now); }

void DeviceSession::abandon() {
  if (state_ == DeviceState::connecting || state_ == DeviceState::receiving) sink_.abort();
  state_ = DeviceState::idle;
  has_deadline_ = false;
}

bool DeviceSession::next_deadline(uint32_t* at_ms) const {
  if (!has_deadline_) return false;
  *at_ms = deadline_;
  return true;
}

// ---- timers ---------------------------------------------------------------------------------

void DeviceSession::advance(uint32_t now) {
  if (!has_deadline_ || !proto::time_reached(now, deadline_)) return;
  has_deadline_ = false;
  switch (state_) {
    case DeviceState::auth_delayed:
      return send_challenge(now);
    case DeviceState::waiting_auth:
      return on_auth_timeout(now);
    case DeviceState::connecting: {
      sink_.abort();
      emit(DeviceAction::close_tcp);
      TextBuilder text(message_, sizeof(message_));
      text.add("no TCP connection to the uploader within ").add_u32(config_.connect_timeout_ms).add(" ms");
      return finish(false, OtaError::connect, message_, now);
    }
    case DeviceState::receiving:
      return check_receive_progress(now);
    case DeviceState::sending_result:
      return send_result(now);
    default:
      return;
  }
}

// Silence after a challenge counts as a failed login: otherwise a host could hold the auth wait
// again and again without ever paying the penalty.
void DeviceSession::on_auth_timeout(uint32_t now) {
  offenders_.record_failure(peer_, now);
  TextBuilder text(message_, sizeof(message_));
  text.add("no authentication reply within ").add_u32(config_.auth_timeout_ms).add(" ms");
  finish(false, OtaError::auth, message_, now);
}

// Three limits, whichever comes first: a silence, too few bytes in a window (a peer trickling a
// byte now and then to keep the device), and the whole transfer taking too long.
void DeviceSession::check_receive_progress(uint32_t now) {
  char reason[160];
  TextBuilder text(reason, sizeof(reason));
  text.add("ERROR[6]: Stream Read Timeout: ");
  if (proto::time_reached(now, receive_started_at_ + config_.transfer_timeout_ms)) {
    text.add("the transfer took longer than ").add_u32(config_.transfer_timeout_ms).add(" ms");
  } else if (proto::time_reached(now, last_data_at_ + config_.receive_timeout_ms)) {
    text.add("no data for ").add_u32(config_.receive_timeout_ms).add(" ms");
  } else if (config_.receive_min_bytes > 0 && proto::time_reached(now, window_started_at_ + config_.receive_window_ms)) {
    uint32_t got = received_ - received_at_window_start_;
    uint32_t left = invitation_.size - received_at_window_start_;
    uint32_t needed = left < config_.receive_min_bytes ? left : config_.receive_min_bytes;
    if (got >= needed) {
      window_started_at_ = now;
      received_at_window_start_ = received_;
      return rearm_receive_deadline();
    }
    text.add("only ").add_u32(got).add(" bytes in ").add_u32(config_.receive_window_ms).add(" ms (at least ")
        .add_u32(needed).add(" needed)");
  } else {
    return rearm_receive_deadline();  // a timer that fired early
  }
  text.add(" after ").add_u32(received_).add(" of ").add_u32(invitation_.size).add(" bytes");
  fail_transfer(OtaError::receive, reason, now);
}

// ---- datagrams ------------------------------------------------------------------------------

void DeviceSession::handle_idle(const proto::PeerAddress& from, const uint8_t* data, size_t len, uint32_t now) {
  Invitation invitation;
  InvitationError error = parse_invitation(data, len, &invitation);
  if (error == InvitationError::is_auth_reply) return drop(from, "auth reply without an invitation");
  if (error != InvitationError::ok) return drop(from, describe(error));
  if (is_repeat_of_finished(from, invitation, now)) return drop(from, "repeat of an invitation that already ended");
  start_session(from, invitation, now);
}

// The inviting host (same IP and UDP port) while the device waits to challenge it or for its reply.
void DeviceSession::handle_inviter(const proto::PeerAddress& from, const uint8_t* data, size_t len, uint32_t now) {
  Invitation invitation;
  InvitationError error = parse_invitation(data, len, &invitation);
  if (error == InvitationError::ok) {
    if (invitation != invitation_) return change_invitation(invitation);  // it changed its mind
    if (state_ == DeviceState::waiting_auth) return resend_challenge();  // our challenge was lost
    return drop(from, "repeated invitation while the password penalty runs");
  }
  if (error != InvitationError::is_auth_reply) return drop(from, describe(error));
  if (state_ != DeviceState::waiting_auth) return drop(from, "auth reply before the challenge was sent");
  check_auth_reply(from, data, len, now);
}

void DeviceSession::check_auth_reply(const proto::PeerAddress& from, const uint8_t* data, size_t len, uint32_t now) {
  AuthReply reply;
  AuthReplyError error = parse_auth_reply(data, len, &reply);
  if (error != AuthReplyError::ok) return drop(from, describe(error));
  Hex32 expected = auth_response(password_hash_, nonce_, reply.cnonce);
  if (auth_response_matches(expected, reply.response)) {
    offenders_.forgive(peer_);
    return begin_update(now);
  }
  reject_password(now);
}

void DeviceSession::reject_password(uint32_t now) {
  emit_bytes(DeviceAction::send_udp, peer_, kReplyAuthFailed, sizeof(kReplyAuthFailed) - 1);
  offenders_.record_failure(peer_, now);
  TextBuilder text(message_, sizeof(message_));
  text.add("wrong password (Authentication Failed); failure ")
      .add_u32(offenders_.failures(peer_, now))
      .add(" from this host, its next challenge waits ")
      .add_u32(offenders_.penalty_left(peer_, now))
      .add(" ms");
  finish(false, OtaError::auth, message_, now);
}

// Same host while an update runs: npm esp-ota re-sends invitations and auth replies.
void DeviceSession::handle_active_uploader(const proto::PeerAddress& from, const uint8_t* data, size_t len) {
  Invitation invitation;
  InvitationError error = parse_invitation(data, len, &invitation);
  if (error == InvitationError::ok && invitation == invitation_)
    return drop(from, "duplicate of the running invitation");
  if (error == InvitationError::ok) {
    emit_bytes(DeviceAction::send_udp, from, kBusyReply, sizeof(kBusyReply) - 1);
    return;
  }
  if (error == InvitationError::is_auth_reply) return drop(from, "duplicate auth reply");
  drop(from, describe(error));
}

void DeviceSession::handle_other_peer(const proto::PeerAddress& from, const uint8_t* data, size_t len, uint32_t now) {
  Invitation invitation;
  InvitationError error = parse_invitation(data, len, &invitation);
  if (error == InvitationError::is_auth_reply) return drop(from, "auth reply from a host that did not invite");
  if (error != InvitationError::ok) return drop(from, describe(error));
  if (may_take_over(from, now)) return take_over(from, invitation, now);
  answer_busy(from, now);
}

// The fairness rule (docs/espota.md): a session that has not logged in yields to another
// uploader if it is serving a wrong-password penalty, comes from a host that failed before, or
// has held its challenge past the grace. A newcomer under penalty itself never takes over, so
// guessing from several addresses cannot push a clean host out.
bool DeviceSession::may_take_over(const proto::PeerAddress& from, uint32_t now) const {
  if (state_ != DeviceState::auth_delayed && state_ != DeviceState::waiting_auth) return false;
  if (offenders_.penalty_left(from, now) > 0) return false;
  if (state_ == DeviceState::auth_delayed) return true;
  return offenders_.failures(peer_, now) > 0 || proto::time_reached(now, challenged_at_ + config_.auth_grace_ms);
}

void DeviceSession::take_over(const proto::PeerAddress& from, const Invitation& invitation, uint32_t now) {
  bool held_too_long =
      state_ == DeviceState::waiting_auth && proto::time_reached(now, challenged_at_ + config_.auth_grace_ms);
  if (held_too_long) offenders_.record_failure(peer_, now);
  emit_bytes(DeviceAction::send_udp, peer_, kBusyReply, sizeof(kBusyReply) - 1);
  TextBuilder text(message_, sizeof(message_));
  text.add("another uploader took the device after this one held it ")
      .add_u32(now - session_started_at_)
      .add(" ms without logging in");
  finish(false, OtaError::auth, message_, now);
  start_session(from, invitation, now);
}

void DeviceSession::answer_busy(const proto::PeerAddress& to, uint32_t now) {
  if (has_busy_reply_ && !proto::time_reached(now, busy_reply_at_ + config_.busy_reply_interval_ms))
    return drop(to, "busy with another uploader (answer rate-limited)");
  has_busy_reply_ = true;
  busy_reply_at_ = now;
  emit_bytes(DeviceAction::send_udp, to, kBusyReply, sizeof(kBusyReply) - 1);
  log(proto::LogLevel::debug, to, "answered busy: another uploader holds the device");
}

// ---- session steps --------------------------------------------------------------------------

void DeviceSession::start_session(const proto::PeerAddress& from, const Invitation& invitation, uint32_t now) {
  peer_ = from;
  invitation_ = invitation;
  received_ = 0;
  session_started_at_ = now;
  if (!has_password_) return begin_update(now);
  uint32_t penalty = offenders_.penalty_left(from, now);
  if (penalty == 0) return send_challenge(now);
  state_ = DeviceState::auth_delayed;
  set_deadline(now + penalty);
  TextBuilder(log_text_, sizeof(log_text_))
      .add("challenge delayed ")
      .add_u32(penalty)
      .add(" ms: this host failed to log in ")
      .add_u32(offenders_.failures(from, now))
      .add(" time(s) lately");
  log(proto::LogLevel::info, from, log_text_);
}

// Same uploader, new request: a fresh nonce, but its grace and auth deadline run on, so changing
// the invitation cannot stretch the auth wait.
void DeviceSession::change_invitation(const Invitation& invitation) {
  invitation_ = invitation;
  if (state_ != DeviceState::waiting_auth) return;
  if (!new_nonce()) return;
  resend_challenge();
}

void DeviceSession::send_challenge(uint32_t now) {
  if (!new_nonce()) return;
  state_ = DeviceState::waiting_auth;
  challenged_at_ = now;
  set_deadline(now + config_.auth_timeout_ms);
  resend_challenge();
}

bool DeviceSession::new_nonce() {
  uint8_t random[kNonceRandomBytes];
  if (config_.random.fill == nullptr || !config_.random.fill(config_.random.ctx, random, sizeof(random))) {
    state_ = DeviceState::idle;
    has_deadline_ = false;
    drop(peer_, "no random bytes for a nonce: invitation ignored");
    return false;
  }
  nonce_ = nonce_from_random(random);
  memset(random, 0, sizeof(random));
  return true;
}

void DeviceSession::resend_challenge() {
  size_t n = format_auth_challenge(nonce_, udp_out_, sizeof(udp_out_));
  emit_bytes(DeviceAction::send_udp, peer_, udp_out_, n);
}

void DeviceSession::begin_update(uint32_t now) {
  if (!sink_.begin(invitation_.size, static_cast<UpdateCommand>(invitation_.command), invitation_.md5)) {
    // The sink's text stays put until the next call into the session, so the finished event can
    // show it without taking message_, which a finished event of this same call may still show.
    const char* error_message = sink_.error_message();
    size_t n = format_error_reply(error_message ? error_message : "ERROR[0]: begin failed", udp_out_, sizeof(udp_out_));
    emit_bytes(DeviceAction::send_udp, peer_, udp_out_, n);
    return finish(false, OtaError::begin, error_message ? error_message : "", now);
  }
  emit_bytes(DeviceAction::send_udp, peer_, kReplyOk, sizeof(kReplyOk) - 1);
  emit(DeviceAction::started);
  DeviceEvent progress;
  progress.action = DeviceAction::progress;
  progress.done = 0;
  progress.size = invitation_.size;
  events_.push(progress);
  DeviceEvent connect;
  connect.action = DeviceAction::connect_tcp;
  connect.peer = peer_;
  connect.peer.port = invitation_.port;
  events_.push(connect);
  received_ = 0;
  state_ = DeviceState::connecting;
  set_deadline(now + config_.connect_timeout_ms);
}

void DeviceSession::start_receiving(uint32_t now) {
  state_ = DeviceState::receiving;
  receive_started_at_ = now;
  last_data_at_ = now;
  window_started_at_ = now;
  received_at_window_start_ = 0;
  rearm_receive_deadline();
}

void DeviceSession::write_update(const uint8_t* data, uint32_t len, uint32_t now) {
  uint32_t accepted = sink_.write(data, len);
  if (accepted > 0) {
    received_ += accepted < len ? accepted : len;
    size_t n = format_ack(accepted < len ? accepted : len, ack_out_);
    emit_bytes(DeviceAction::tcp_send, peer_, ack_out_, n);
    DeviceEvent progress;
    progress.action = DeviceAction::progress;
    progress.done = received_;
    progress.size = invitation_.size;
    events_.push(progress);
  }
  if (accepted < len) {
    const char* error_message = sink_.error_message();
    return fail_transfer(OtaError::end, error_message ? error_message : "ERROR[1]: Flash Write Failed", now);
  }
  if (received_ == invitation_.size) end_update(now);
}

void DeviceSession::end_update(uint32_t now) {
  result_ok_ = sink_.end();
  result_error_ = OtaError::end;
  TextBuilder text(result_out_, sizeof(result_out_));
  if (result_ok_) {
    text.add(kResultOk);
    message_[0] = '\0';
  } else {
    const char* error_message = sink_.error_message();
    const char* message = error_message ? error_message : "ERROR[0]: end failed";
    text.add(message).add_char('\n');
    TextBuilder(message_, sizeof(message_)).add(message);
  }
  // The result waits result_delay_ms so it never merges with the last ack: espota.py reads
  // "1176ERROR[7]..." in its per-chunk recv() and then waits forever (vectors: md5-mismatch-espota-hang).
  state_ = DeviceState::sending_result;
  set_deadline(now + config_.result_delay_ms);
}

void DeviceSession::rearm_receive_deadline() {
  uint32_t at = earlier(last_data_at_ + config_.receive_timeout_ms, receive_started_at_ + config_.transfer_timeout_ms);
  if (config_.receive_min_bytes > 0) at = earlier(at, window_started_at_ + config_.receive_window_ms);
  set_deadline(at);
}

// Something went wrong mid-transfer: drop the staged bytes now, tell the uploader after the gap.
// The message is copied first: it may be the sink's own text, which abort() may replace.
void DeviceSession::fail_transfer(OtaError kind, const char* message, uint32_t now) {
  result_ok_ = false;
  result_error_ = kind;
  TextBuilder(result_out_, sizeof(result_out_)).add(message).add_char('\n');
  TextBuilder(message_, sizeof(message_)).add(message);
  sink_.abort();
  state_ = DeviceState::sending_result;
  set_deadline(now + config_.result_delay_ms);
}

void DeviceSession::send_result(uint32_t now) {
  emit_bytes(DeviceAction::tcp_send, peer_, result_out_, strlen(result_out_));
  emit(DeviceAction::close_tcp);
  finish(result_ok_, result_error_, message_, now);
}

void DeviceSession::finish(bool success, OtaError kind, const char* message, uint32_t now) {
  DeviceEvent done;
  done.action = DeviceAction::finished;
  done.peer = peer_;
  done.success = success;
  done.error = kind;
  done.size = invitation_.size;
  done.done = received_;
  done.text = message;
  events_.push(done);
  has_finished_ = true;
  finished_peer_ = peer_;
  finished_invitation_ = invitation_;
  finished_at_ = now;
  state_ = DeviceState::idle;
  has_deadline_ = false;
}

bool DeviceSession::is_repeat_of_finished(const proto::PeerAddress& from, const Invitation& invitation, uint32_t now) const {
  return has_finished_ && proto::same_peer(from, finished_peer_) && invitation == finished_invitation_ &&
         !proto::time_reached(now, finished_at_ + config_.repeat_window_ms);
}

// ---- events ---------------------------------------------------------------------------------

void DeviceSession::drop(const proto::PeerAddress& from, const char* why) {
  ++dropped_;
  DeviceEvent event;
  event.action = DeviceAction::dropped;
  event.peer = from;
  event.text = why;
  events_.push(event);
}

void DeviceSession::log(proto::LogLevel level, const proto::PeerAddress& about, const char* text) {
  DeviceEvent event;
  event.action = DeviceAction::log;
  event.level = level;
  event.peer = about;
  event.text = text;
  events_.push(event);
}

void DeviceSession::emit(DeviceAction action) {
  DeviceEvent event;
  event.action = action;
  event.peer = peer_;
  event.size = invitation_.size;
  event.command = invitation_.command;
  events_.push(event);
}

void DeviceSession::emit_bytes(DeviceAction action, const proto::PeerAddress& to, const void* data, size_t len) {
  DeviceEvent event;
  event.action = action;
  event.peer = to;
  event.data = static_cast<const uint8_t*>(data);
  event.len = len;
  events_.push(event);
}

}  // namespace otakit::espota
