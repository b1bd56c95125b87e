// The device side of espota as a sans-IO state machine: datagrams, TCP events, Updater results
// and the time go in; actions (send a datagram, connect, begin/write/end the update, send an ack,
// close) come out of poll(). It keeps ArduinoOTA's wire behaviour and fixes its faults: a CSPRNG
// nonce, an auth wait that times out and only listens to the inviting host, a growing delay after
// wrong passwords, a receive timeout that fires, a clear end when the uploader leaves, a busy
// answer to a second uploader, and a gap between the last ack and the result so they never merge.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "core/espota/auth.h"
#include "core/espota/invitation.h"
#include "core/espota/protocol.h"

namespace otakit::espota {

struct DeviceConfig {
  // md5hex of the password (lowercase; see password_hash / normalize_password_hash); nullptr or
  // empty = no password.
  const char* password_hash = nullptr;
  RandomSource random;                   // for the nonces; required when a password is set
  uint32_t auth_timeout_ms = 10000;      // the original waits forever
  uint32_t connect_timeout_ms = 5000;    // WiFiClient's default
  uint32_t receive_timeout_ms = 10000;   // no data for this long ends the transfer
  uint32_t result_delay_ms = 50;         // last ack -> OK/ERROR gap (the original: 1000)
  uint32_t auth_penalty_base_ms = 1000;  // delay before the next challenge after a wrong password,
  uint32_t auth_penalty_max_ms = 8000;   //   doubling per failure, capped under espota's 10 s wait
  uint32_t auth_penalty_reset_ms = 60000;// failures are forgotten after this long without one
  uint32_t repeat_window_ms = 12000;     // a finished session's invitation re-sent (npm esp-ota
                                         //   resends for 10 s) is ignored for this long
  uint32_t busy_reply_interval_ms = 100; // at most one busy answer per interval (flood guard)
};

enum class DeviceState : uint8_t {
  idle,
  auth_delayed,    // an invitation waits for the wrong-password penalty to pass
  waiting_auth,    // challenge sent, waiting for "200 <cnonce> <response>"
  beginning,       // begin_update emitted, waiting for on_update_begun()
  connecting,      // connect_tcp emitted, waiting for on_tcp_connected()
  receiving,       // image bytes flow in, each write acked
  ending,          // end_update emitted, waiting for on_update_ended()
  sending_result,  // OK / ERROR goes out after result_delay_ms
};

// ArduinoOTA's ota_error_t numbering, for onError().
enum class OtaError : uint8_t { auth = 0, begin = 1, connect = 2, receive = 3, end = 4 };
const char* describe(OtaError error);

enum class DeviceAction : uint8_t {
  send_udp,      // data/len to peer
  begin_update,  // command, size, md5: Updater begin + set_md5, then call on_update_begun()
  connect_tcp,   // connect to peer (host IP, invitation port), then on_tcp_connected/_failed()
  write_update,  // data/len: write into the Updater, then call on_update_written()
  end_update,    // Updater end(), then call on_update_ended()
  abort_update,  // Updater abort(): nothing staged, the running image stays
  tcp_send,      // data/len on the upload connection
  close_tcp,     // flush what was queued, then close the upload connection
  started,       // onStart(): the update began
  progress,      // onProgress(done, size)
  finished,      // the session ended: success, or error + text (onEnd / onError, once)
  dropped,       // a datagram was ignored; text says why (for logs)
};

struct DeviceEvent {
  DeviceAction action = DeviceAction::dropped;
  PeerAddress peer;               // send_udp destination, connect_tcp target, source of a drop
  const uint8_t* data = nullptr;  // valid until the next call into the session
  size_t len = 0;
  Command command = Command::flash;
  uint32_t size = 0;
  uint32_t done = 0;
  const char* md5 = nullptr;
  bool success = false;
  OtaError error = OtaError::auth;
  const char* text = nullptr;
};

class DeviceSession {
 public:
  explicit DeviceSession(const DeviceConfig& config);

  // Inputs. Each may queue events; drain poll() after every call (payload pointers stay valid
  // until the next call into the session, so copy what must outlive it).
  void on_datagram(const PeerAddress& from, const uint8_t* data, size_t len, uint32_t now_ms);
  void on_update_begun(bool ok, const char* error_message, uint32_t now_ms);
  void on_tcp_connected(uint32_t now_ms);
  void on_tcp_connect_failed(uint32_t now_ms);
  void on_tcp_data(const uint8_t* data, size_t len, uint32_t now_ms);
  void on_update_written(uint32_t accepted, const char* error_message, uint32_t now_ms);
  void on_update_ended(bool ok, const char* error_message, uint32_t now_ms);
  void on_tcp_closed(uint32_t now_ms);
  void on_tick(uint32_t now_ms);

  bool poll(DeviceEvent* out) { return events_.pop(out); }
  // When on_tick() next has work; false when no timer is needed.
  bool next_deadline(uint32_t* at_ms) const;

  DeviceState state() const { return state_; }
  bool has_password() const { return has_password_; }
  uint32_t received() const { return received_; }
  uint32_t auth_failures() const { return auth_failures_; }
  uint32_t dropped_datagrams() const { return dropped_; }
  bool queue_overflowed() const { return events_.overflowed(); }

 private:
  void advance(uint32_t now);
  void handle_idle(const PeerAddress& from, const uint8_t* data, size_t len, uint32_t now);
  void handle_inviter(const PeerAddress& from, const uint8_t* data, size_t len, uint32_t now);
  void handle_active_uploader(const PeerAddress& from, const uint8_t* data, size_t len);
  void handle_other_peer(const PeerAddress& from, const uint8_t* data, size_t len, uint32_t now);
  void check_auth_reply(const PeerAddress& from, const uint8_t* data, size_t len, uint32_t now);
  void start_session(const PeerAddress& from, const Invitation& invitation, uint32_t now);
  void send_challenge(uint32_t now);
  void resend_challenge();
  void begin_update();
  void record_auth_failure(uint32_t now);
  void fail_transfer(OtaError kind, const char* message, uint32_t now);
  void send_result(uint32_t now);
  void finish(bool success, OtaError kind, const char* message, uint32_t now);
  void drop(const PeerAddress& from, const char* why);
  void emit(DeviceAction action);
  void emit_bytes(DeviceAction action, const PeerAddress& to, const void* data, size_t len);
  void set_deadline(uint32_t at) {
    deadline_ = at;
    has_deadline_ = true;
  }
  bool is_repeat_of_finished(const PeerAddress& from, const Invitation& invitation, uint32_t now) const;

  DeviceConfig config_;
  Hex32 password_hash_;
  bool has_password_ = false;

  DeviceState state_ = DeviceState::idle;
  PeerAddress peer_;
  Invitation invitation_;
  Hex32 nonce_;
  uint32_t deadline_ = 0;
  bool has_deadline_ = false;
  uint32_t received_ = 0;
  uint32_t pending_write_ = 0;
  bool result_ok_ = false;
  OtaError result_error_ = OtaError::end;

  uint32_t auth_failures_ = 0;
  uint32_t last_failure_at_ = 0;
  uint32_t penalty_until_ = 0;

  bool has_finished_ = false;
  PeerAddress finished_peer_;
  Invitation finished_invitation_;
  uint32_t finished_at_ = 0;

  bool has_busy_reply_ = false;
  uint32_t busy_reply_at_ = 0;
  uint32_t dropped_ = 0;

  char udp_out_[200] = {};
  char ack_out_[12] = {};
  char result_out_[200] = {};
  char message_[200] = {};
  EventQueue<DeviceEvent, 16> events_;
};

}  // namespace otakit::espota
