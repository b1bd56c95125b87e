// The device side of espota as a sans-IO state machine: datagrams, TCP events and the time go in;
// actions (datagrams, connect, acks, close, log lines) come out of poll(), and the image goes into
// the UpdateSink the session is given. ArduinoOTA's wire behaviour without its faults: CSPRNG
// nonces, bounded and fair auth waits (docs/espota.md, "Fairness"), a per-host wrong-password
// delay, deadlines and a minimum rate for the transfer, a clear end when the uploader leaves, a
// gap before the result.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "core/espota/auth.h"
#include "core/espota/auth_offenders.h"
#include "core/espota/invitation.h"
#include "core/espota/protocol.h"
#include "core/proto/event_queue.h"
#include "core/proto/log_level.h"
#include "core/proto/peer_address.h"
#include "core/proto/random_source.h"
#include "core/updater/update_sink.h"

namespace otakit::espota {

struct DeviceConfig {
  // md5hex of the password (lowercase; see password_hash / normalize_password_hash); nullptr or
  // empty = no password.
  const char* password_hash = nullptr;
  proto::RandomSource random;            // for the nonces; required when a password is set
  uint32_t auth_timeout_ms = 10000;      // the original waits forever
  uint32_t auth_grace_ms = 1000;         // a clean host keeps its challenge this long against
                                         //   another uploader (espota.py answers in one round trip)
  uint32_t connect_timeout_ms = 5000;    // WiFiClient's default
  uint32_t receive_timeout_ms = 10000;   // no data for this long ends the transfer
  uint32_t receive_window_ms = 10000;    // every window of the transfer must bring at least
  uint32_t receive_min_bytes = 4096;     //   this many bytes (or the rest): no trickling; 0 = off
  uint32_t transfer_timeout_ms = 600000; // the whole transfer, however steadily it trickles
  uint32_t result_delay_ms = 50;         // last ack -> OK/ERROR gap (the original: 1000)
  PenaltyPolicy auth_penalty;            // wrong password -> delay before that host's next challenge
  uint32_t repeat_window_ms = 12000;     // a finished session's invitation re-sent (npm esp-ota
                                         //   resends for 10 s) is ignored for this long
  uint32_t busy_reply_interval_ms = 100; // at most one busy answer per interval (flood guard)
};

enum class DeviceState : uint8_t {
  idle,
  auth_delayed,    // an invitation waits for the wrong-password penalty to pass
  waiting_auth,    // challenge sent, waiting for "200 <cnonce> <response>"
  connecting,      // update begun, connect_tcp emitted, waiting for on_tcp_connected()
  receiving,       // image bytes flow into the sink, each write acked
  sending_result,  // the update ended or failed; OK / ERROR goes out after result_delay_ms
};

// ArduinoOTA's ota_error_t numbering, for onError().
enum class OtaError : uint8_t { auth = 0, begin = 1, connect = 2, receive = 3, end = 4 };
const char* describe(OtaError error);

enum class DeviceAction : uint8_t {
  send_udp,     // data/len to peer
  connect_tcp,  // connect to peer (host IP, invitation port), then on_tcp_connected/_failed()
  tcp_send,     // data/len on the upload connection
  close_tcp,    // flush what was queued, then close the upload connection
  started,      // onStart(command): the sink began the update
  progress,     // onProgress(done, size)
  finished,     // the session ended: success, or error + text (onEnd / onError, once)
  dropped,      // a datagram from peer was ignored; text says why (for logs, at debug level)
  log,          // a decision worth a log line at `level`, about peer; text says what
};

struct DeviceEvent {
  DeviceAction action = DeviceAction::dropped;
  proto::PeerAddress peer;        // send_udp destination, connect_tcp target, source of a drop
  const uint8_t* data = nullptr;  // valid until the next call into the session
  size_t len = 0;
  Command command = Command::flash;  // started
  uint32_t size = 0;
  uint32_t done = 0;
  bool success = false;
  OtaError error = OtaError::auth;
  proto::LogLevel level = proto::LogLevel::debug;  // log
  const char* text = nullptr;
};

class DeviceSession {
 public:
  // The session begins, writes, ends and aborts updates on sink, from inside its inputs; the sink
  // must not call back into the session.
  DeviceSession(const DeviceConfig& config, UpdateSink& sink);

  // Inputs. Each may queue events; drain poll() after every call (payload pointers stay valid
  // until the next call into the session, so copy what must outlive it).
  void on_datagram(const proto::PeerAddress& from, const uint8_t* data, size_t len, uint32_t now_ms);
  void on_tcp_connected(uint32_t now_ms);
  void on_tcp_connect_failed(uint32_t now_ms);
  void on_tcp_data(const uint8_t* data, size_t len, uint32_t now_ms);
  void on_tcp_closed(uint32_t now_ms);
  void on_tick(uint32_t now_ms);
  // The driver shuts down: an update in progress is aborted, the session is idle, no event follows.
  void abandon();

  bool poll(DeviceEvent* out) { return events_.pop(out); }
  // When on_tick() next has work; false when no timer is needed.
  bool next_deadline(uint32_t* at_ms) const;

  DeviceState state() const { return state_; }
  bool has_password() const { return has_password_; }
  uint32_t received() const { return received_; }
  // Failed logins of this host (by IP) that still count towards its penalty.
  uint32_t auth_failures(const proto::PeerAddress& host, uint32_t now_ms) const { return offenders_.failures(host, now_ms); }
  uint32_t dropped_datagrams() const { return dropped_; }
  bool queue_overflowed() const { return events_.overflowed(); }

 private:
  void advance(uint32_t now);
  void on_auth_timeout(uint32_t now);
  void check_receive_progress(uint32_t now);
  void handle_idle(const proto::PeerAddress& from, const uint8_t* data, size_t len, uint32_t now);
  void handle_inviter(const proto::PeerAddress& from, const uint8_t* data, size_t len, uint32_t now);
  void handle_active_uploader(const proto::PeerAddress& from, const uint8_t* data, size_t len);
  void handle_other_peer(const proto::PeerAddress& from, const uint8_t* data, size_t len, uint32_t now);
  bool may_take_over(const proto::PeerAddress& from, uint32_t now) const;
  void take_over(const proto::PeerAddress& from, const Invitation& invitation, uint32_t now);
  void answer_busy(const proto::PeerAddress& to, uint32_t now);
  void check_auth_reply(const proto::PeerAddress& from, const uint8_t* data, size_t len, uint32_t now);
  void reject_password(uint32_t now);
  void start_session(const proto::PeerAddress& from, const Invitation& invitation, uint32_t now);
  void change_invitation(const Invitation& invitation);
  void send_challenge(uint32_t now);
  bool new_nonce();
  void resend_challenge();
  void begin_update(uint32_t now);
  void start_receiving(uint32_t now);
  void write_update(const uint8_t* data, uint32_t len, uint32_t now);
  void end_update(uint32_t now);
  void rearm_receive_deadline();
  void fail_transfer(OtaError kind, const char* message, uint32_t now);
  void send_result(uint32_t now);
  // message is message_, or text that stays put until the next call into the session.
  void finish(bool success, OtaError kind, const char* message, uint32_t now);
  void drop(const proto::PeerAddress& from, const char* why);
  void log(proto::LogLevel level, const proto::PeerAddress& about, const char* text);
  void emit(DeviceAction action);
  void emit_bytes(DeviceAction action, const proto::PeerAddress& to, const void* data, size_t len);
  void set_deadline(uint32_t at) {
    deadline_ = at;
    has_deadline_ = true;
  }
  bool is_repeat_of_finished(const proto::PeerAddress& from, const Invitation& invitation, uint32_t now) const;

  DeviceConfig config_;
  UpdateSink& sink_;
  Hex32 password_hash_;
  bool has_password_ = false;

  DeviceState state_ = DeviceState::idle;
  proto::PeerAddress peer_;
  Invitation invitation_;
  Hex32 nonce_;
  uint32_t deadline_ = 0;
  bool has_deadline_ = false;
  uint32_t received_ = 0;
  bool result_ok_ = false;
  OtaError result_error_ = OtaError::end;

  AuthOffenders offenders_;
  uint32_t session_started_at_ = 0;  // this uploader's first invitation (a changed one keeps it)
  uint32_t challenged_at_ = 0;       // its first challenge: the grace and the auth timeout run from here

  uint32_t receive_started_at_ = 0;
  uint32_t last_data_at_ = 0;
  uint32_t window_started_at_ = 0;
  uint32_t received_at_window_start_ = 0;

  bool has_finished_ = false;
  proto::PeerAddress finished_peer_;
  Invitation finished_invitation_;
  uint32_t finished_at_ = 0;

  bool has_busy_reply_ = false;
  uint32_t busy_reply_at_ = 0;
  uint32_t dropped_ = 0;

  char udp_out_[200] = {};
  char ack_out_[12] = {};
  char result_out_[200] = {};
  char message_[200] = {};
  char log_text_[120] = {};
  proto::EventQueue<DeviceEvent, 16> events_;
};

}  // namespace otakit::espota
