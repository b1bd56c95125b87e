#include "core/espota/auth_offenders.h"

namespace otakit::espota {

// Ages are unsigned differences of the 32-bit clock: exact for 49 days, and an entry that old was
// forgotten long before (reset_ms is far shorter).
void AuthOffenders::record_failure(const proto::PeerAddress& host, uint32_t now) {
  Offender& offender = table_[slot_for(host, now)];
  uint32_t failures = remembered(offender, now) && proto::same_host(offender.host, host) ? offender.failures : 0;
  offender.host = host;
  offender.host.port = 0;
  offender.failures = failures < 31 ? failures + 1 : failures;
  offender.last_failure_ms = now;
  offender.penalty_ms = penalty_for(offender.failures);
}

void AuthOffenders::forgive(const proto::PeerAddress& host) {
  for (Offender& offender : table_)
    if (offender.failures > 0 && proto::same_host(offender.host, host)) offender = Offender();
}

uint32_t AuthOffenders::failures(const proto::PeerAddress& host, uint32_t now) const {
  size_t i = index_of(host, now);
  return i == kSlots ? 0 : table_[i].failures;
}

uint32_t AuthOffenders::penalty_left(const proto::PeerAddress& host, uint32_t now) const {
  size_t i = index_of(host, now);
  if (i == kSlots) return 0;
  uint32_t age = now - table_[i].last_failure_ms;
  return age < table_[i].penalty_ms ? table_[i].penalty_ms - age : 0;
}

size_t AuthOffenders::index_of(const proto::PeerAddress& host, uint32_t now) const {
  for (size_t i = 0; i < kSlots; ++i)
    if (remembered(table_[i], now) && proto::same_host(table_[i].host, host)) return i;
  return kSlots;
}

// The host's own slot, else a free one, else the one whose last failure is oldest.
size_t AuthOffenders::slot_for(const proto::PeerAddress& host, uint32_t now) const {
  size_t own = index_of(host, now);
  if (own != kSlots) return own;
  size_t oldest = 0;
  for (size_t i = 0; i < kSlots; ++i) {
    if (!remembered(table_[i], now)) return i;
    if (now - table_[i].last_failure_ms > now - table_[oldest].last_failure_ms) oldest = i;
  }
  return oldest;
}

bool AuthOffenders::remembered(const Offender& offender, uint32_t now) const {
  return offender.failures > 0 && now - offender.last_failure_ms < policy_.reset_ms;
}

// base, 2*base, 4*base ... capped at max.
uint32_t AuthOffenders::penalty_for(uint32_t failures) const {
  uint64_t delay = policy_.base_ms;
  for (uint32_t i = 1; i < failures && delay < policy_.max_ms; ++i) delay *= 2;
  return delay > policy_.max_ms ? policy_.max_ms : static_cast<uint32_t>(delay);
}

}  // namespace otakit::espota
