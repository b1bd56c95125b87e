#include "core/boot/boot_control.h"

#include <string.h>

#include "core/boot/placement.h"
#include "core/boot/swap_scratch.h"
#include "core/crypto/digest.h"
#include "core/boot/image_probe.h"
#include "core/util/bytes.h"
#include "core/util/text.h"

namespace otakit {
namespace {

void sha_sink(void* ctx, const uint8_t* data, size_t n) { static_cast<crypto::Sha256*>(ctx)->update(data, n); }

}  // namespace

const char* describe(BootAction action) {
  switch (action) {
    case BootAction::booted: return "booted";
    case BootAction::upgraded: return "upgraded";
    case BootAction::resumed: return "resumed an interrupted swap";
    case BootAction::rolled_back: return "rolled back";
    case BootAction::command_rejected: return "boot command rejected";
    case BootAction::no_image: return "no bootable image";
    case BootAction::flash_error: return "flash error";
  }
  return "unknown";
}

BootControl::BootControl(Flash& flash, const FlashLayout& layout, RtcMemory& rtc, const BootOptions& options)
    : flash_(flash),
      layout_(layout),
      rtc_(rtc),
      options_(options),
      journal_(flash, layout.journal_address(0), layout.journal_address(1)) {}

bool BootControl::hash_region(uint32_t address, uint32_t size, uint8_t out[32]) {
  crypto::Sha256 sha;
  if (flash_stream(flash_, address, size, sha_sink, &sha) != FlashStatus::ok) return false;
  sha.finish(out);
  return true;
}

uint32_t BootControl::image_security_version(uint32_t address, uint32_t size) {
  return probe_security_version(flash_, address, size);
}

bool BootControl::adopt_primary_without_journal(BootReport* report) {
  // No journal: a device flashed over serial, or both journal sectors destroyed. Whatever sits
  // in the primary slot is what runs; record it so that later updates can be swapped against it.
  uint32_t size = 0;
  if (!probe_image_extent(flash_, 0, layout_.boot_area_start() / 2, &size)) {
    TextBuilder(report->detail, sizeof(report->detail)).add("no journal and no valid image header in the primary slot");
    return true;
  }
  BootState fresh;
  fresh.has_active = true;
  fresh.active.size = size;
  fresh.active.security_version = image_security_version(0, size);
  // The floor was lost with the journal; the image that ran is the best evidence of where it was.
  fresh.min_security_version = fresh.active.security_version;
  if (!hash_region(0, size, fresh.active.sha256)) return false;
  if (!journal_.reset(fresh)) return false;
  state_ = fresh;
  TextBuilder(report->detail, sizeof(report->detail)).add("no journal: adopted the primary image (").add_u32(size).add(" bytes)");
  return true;
}

bool BootControl::load_journal(BootReport* report) {
  report->journal = journal_.load(&state_);
  if (report->journal == JournalStatus::flash_error) return false;
  if (report->journal == JournalStatus::empty) return adopt_primary_without_journal(report);
  return true;
}

bool BootControl::run_swap(BootReport* report) {
  SwapScratch swap(flash_, journal_, layout_.scratch_sector_address(), sector_buffer_);
  if (swap.run(&state_) != SwapResult::done) return false;
  uint8_t sha[32];
  if (!hash_region(0, state_.plan.incoming.size, sha)) return false;
  bool verified = memcmp(sha, state_.plan.incoming.sha256, 32) == 0;
  if (verified || state_.plan.kind == SwapKind::revert)
    return journal_.append(RecordType::swap_done, 0, nullptr, 0, &state_);
  // The new image did not survive the swap intact: put the previous one back at once. The swap is
  // never journaled as done, so a power cut from here on cannot leave the damaged image on trial.
  TextBuilder(report->detail, sizeof(report->detail)).add("new image failed SHA-256 verification after the swap; rolled back");
  SwapPlan back;
  back.kind = SwapKind::revert;
  back.secondary = state_.plan.secondary;
  back.sectors = state_.plan.sectors;
  back.incoming = state_.plan.outgoing;
  back.outgoing = state_.plan.incoming;
  return start_swap(back, report) == BootAction::rolled_back;
}

BootAction BootControl::roll_back_trial(BootReport* report) {
  // Rolling back swaps the copy over a verified image: a copy that fails its hash (a misread when
  // it was made, or damage since) would replace a whole image with a broken one. Keep the one that runs.
  uint8_t sha[32];
  if (!hash_region(state_.previous_address, state_.previous.size, sha)) return BootAction::flash_error;
  if (memcmp(sha, state_.previous.sha256, 32) != 0) {
    TextBuilder(report->detail, sizeof(report->detail))
        .add("image not confirmed, but the rollback copy fails its SHA-256 check: keeping the running image");
    return BootAction::booted;
  }
  SwapPlan back;
  back.kind = SwapKind::revert;
  back.secondary = state_.previous_address;
  back.sectors = state_.plan.sectors;
  back.incoming = state_.previous;
  back.outgoing = state_.active;
  uint32_t boots = state_.trial_boots;
  BootAction action = start_swap(back, report);
  if (action == BootAction::rolled_back)
    TextBuilder(report->detail, sizeof(report->detail)).add("image not confirmed after ").add_u32(boots).add(" boots");
  return action;
}

BootAction BootControl::start_swap(const SwapPlan& plan, BootReport* report) {
  uint8_t payload[kSwapPlanBytes];
  encode_swap_plan(plan, payload);
  if (!journal_.append(RecordType::swap_begin, 0, payload, kSwapPlanBytes, &state_)) return BootAction::flash_error;
  if (!run_swap(report)) return BootAction::flash_error;
  return plan.kind == SwapKind::upgrade && state_.phase == BootPhase::trial ? BootAction::upgraded
                                                                            : BootAction::rolled_back;
}

bool BootControl::inflate_staged(uint32_t staged, uint32_t size, uint32_t target, uint32_t inflated,
                                 uint8_t sha256[32], BootReport* report) {
  TextBuilder why(report->detail, sizeof(report->detail));
  if (options_.inflater == nullptr || !options_.inflater->start()) {
    why.add("gzip image but this boot path has no inflater");
    return false;
  }
  // The image is hashed as the inflater produces it (zlib checked it against the gzip CRC), not
  // read back later: a misread of the written copy must not become the reference hash.
  crypto::Sha256 sha;
  uint8_t in[512];
  uint32_t read_at = staged, in_len = 0, in_pos = 0, written = 0, filled = 0;
  InflateStatus status = InflateStatus::more;
  while (status == InflateStatus::more) {
    if (in_pos == in_len && read_at < staged + size) {
      in_len = staged + size - read_at < sizeof(in) ? staged + size - read_at : uint32_t(sizeof(in));
      if (flash_.read(read_at, in, in_len) != FlashStatus::ok) return false;
      read_at += in_len;
      in_pos = 0;
    }
    uint32_t consumed = 0, produced = 0;
    status = options_.inflater->inflate(in + in_pos, in_len - in_pos, &consumed, sector_buffer_ + filled,
                                        kSectorSize - filled, &produced);
    in_pos += consumed;
    filled += produced;
    bool stuck = consumed == 0 && produced == 0 && in_pos == in_len && read_at >= staged + size;
    if (status == InflateStatus::error || (status == InflateStatus::more && stuck) || written + filled > inflated) {
      why.add("gzip stream is corrupt or longer than its declared size");
      return false;
    }
    if (filled == kSectorSize || (status == InflateStatus::end_of_stream && filled > 0)) {
      sha.update(sector_buffer_, filled);
      memset(sector_buffer_ + filled, 0xFF, kSectorSize - filled);
      uint32_t at = target + written;
      if (flash_.erase_sector(at / kSectorSize) != FlashStatus::ok ||
          flash_.write(at, sector_buffer_, kSectorSize) != FlashStatus::ok)
        return false;
      written += filled;
      filled = 0;
    }
  }
  if (written != inflated) {
    why.add("gzip stream inflated to ").add_u32(written).add(" bytes, its trailer says ").add_u32(inflated);
    return false;
  }
  sha.finish(sha256);
  return true;
}

BootAction BootControl::act_on_command(const EbootCommand& cmd, BootReport* report) {
  TextBuilder why(report->detail, sizeof(report->detail));
  if (cmd.action != EbootAction::copy_raw) return BootAction::booted;  // LOAD_APP: nothing to do
  uint32_t src = cmd.args[0], dst = cmd.args[1], size = cmd.args[2], id = cmd.args[3];
  if (id == state_.last_command_id) return BootAction::booted;  // already carried out
  if (state_.phase != BootPhase::idle) {
    why.add("boot command ignored: the running image is still on trial");
    return BootAction::command_rejected;
  }
  uint32_t running = round_up_4k(state_.active.size);
  // src is bounded first: the subtractions below would wrap for a source above the boot area.
  if (dst != 0 || src % kSectorSize != 0 || size == 0 || src < running || src >= layout_.boot_area_start() ||
      size > layout_.boot_area_start() - src || round_up_4k(size) > layout_.boot_area_start() - src) {
    why.add("boot command rejected: source ").add_u32(src).add(", destination ").add_u32(dst).add(", size ")
        .add_u32(size).add(" is outside the OTA area");
    return BootAction::command_rejected;
  }
  uint8_t expected[32], staged_sha[32];
  bool has_expected = get_staged_hash(cmd, expected);
  if (has_expected) {
    if (!hash_region(src, size, staged_sha)) return BootAction::flash_error;
    if (memcmp(staged_sha, expected, 32) != 0) {
      why.add("staged image differs from the one the Updater verified (SHA-256 mismatch: flash damaged or misread)");
      return BootAction::command_rejected;
    }
  }
  uint8_t magic[2];
  if (flash_.read(src, magic, 2) != FlashStatus::ok) return BootAction::flash_error;
  bool gzip = magic[0] == 0x1f && magic[1] == 0x8b;
  uint32_t image = src, image_size = size, limit = layout_.boot_area_start();
  if (gzip) {
    uint8_t isize[4];
    if (size < 18) {
      why.add("gzip image of ").add_u32(size).add(" bytes is too short for a gzip header and trailer");
      return BootAction::command_rejected;
    }
    if (flash_.read(src + size - 4, isize, 4) != FlashStatus::ok) return BootAction::flash_error;
    image_size = load_le32(isize);
    if (image_size == 0 || !place_inflated(src, state_.active.size, image_size, &image)) {
      why.add("gzip image inflates to ").add_u32(image_size).add(" bytes, which does not fit next to the running image");
      return BootAction::command_rejected;
    }
    if (!inflate_staged(src, size, image, image_size, staged_sha, report)) return BootAction::command_rejected;
    limit = src;
  }
  SwapPlan plan;
  plan.kind = SwapKind::upgrade;
  plan.secondary = image;
  uint32_t area = round_up_4k(image_size) > running ? round_up_4k(image_size) : running;
  plan.sectors = area / kSectorSize;
  plan.command_id = id;
  plan.outgoing = state_.active;
  plan.incoming.size = image_size;
  plan.incoming.security_version = image_security_version(image, image_size);
  if (gzip || has_expected)
    memcpy(plan.incoming.sha256, staged_sha, 32);
  else if (!hash_region(image, image_size, plan.incoming.sha256))
    return BootAction::flash_error;
  if (area > limit - image || image < area) {
    why.add("boot command rejected: the swap area would overlap the boot area");
    return BootAction::command_rejected;
  }
  if (plan.incoming.security_version < state_.min_security_version) {
    why.add("image refused: security version ").add_u32(plan.incoming.security_version)
        .add(" is below the device's minimum ").add_u32(state_.min_security_version);
    return BootAction::command_rejected;
  }
  return start_swap(plan, report);
}

BootReport BootControl::boot() {
  BootReport report;
  if (!load_journal(&report)) {
    report.action = BootAction::flash_error;
    return report;
  }
  if (state_.phase == BootPhase::swapping) {
    report.action = run_swap(&report) ? BootAction::resumed : BootAction::flash_error;
    if (report.action == BootAction::resumed && state_.phase == BootPhase::trial &&
        !journal_.append(RecordType::boot_attempt, 0, nullptr, 0, &state_))
      report.action = BootAction::flash_error;
  } else {
    EbootCommand command;
    report.command = read_eboot_command(rtc_, &command);
    if (report.command == CommandStatus::valid) {
      report.action = act_on_command(command, &report);
      // Cleared only now, after the swap was verified (or the command refused).
      if (report.action != BootAction::flash_error) clear_eboot_command(rtc_);
      if (report.action == BootAction::upgraded &&
          !journal_.append(RecordType::boot_attempt, 0, nullptr, 0, &state_))
        report.action = BootAction::flash_error;
    }
    // A command that started nothing (stale, LOAD_APP, refused) still means a boot of the image.
    bool command_acted = report.action != BootAction::booted && report.action != BootAction::command_rejected;
    if (!command_acted && state_.phase == BootPhase::trial) {
      if (state_.trial_boots >= options_.max_trial_boots)
        report.action = roll_back_trial(&report);
      else if (!journal_.append(RecordType::boot_attempt, 0, nullptr, 0, &state_))
        report.action = BootAction::flash_error;
    }
  }
  report.bootable = state_.has_active && report.action != BootAction::flash_error;
  if (!state_.has_active && report.action != BootAction::flash_error) report.action = BootAction::no_image;
  return report;
}

bool BootControl::stage(uint32_t address, uint32_t size, const uint8_t* sha256) {
  EbootCommand command;
  command.action = EbootAction::copy_raw;
  command.args[0] = address;
  command.args[1] = 0;
  command.args[2] = size;
  command.args[3] = state_.last_command_id + 1;  // distinguishes it from the last one carried out
  if (sha256 != nullptr) put_staged_hash(&command, sha256);
  return write_eboot_command(rtc_, command);
}

bool BootControl::confirm() {
  if (state_.phase != BootPhase::trial) return false;
  return journal_.append(RecordType::confirm, 0, nullptr, 0, &state_);
}

bool BootControl::provision(const uint8_t* image, uint32_t size, uint32_t security_version) {
  if (size == 0 || round_up_4k(size) > layout_.boot_area_start() / 2) return false;
  for (uint32_t at = 0; at < size; at += kSectorSize) {
    uint32_t n = size - at < kSectorSize ? size - at : kSectorSize;
    if (flash_.erase_sector(at / kSectorSize) != FlashStatus::ok || flash_.write(at, image + at, n) != FlashStatus::ok)
      return false;
  }
  BootState fresh;
  fresh.has_active = true;
  fresh.active.size = size;
  fresh.active.security_version = security_version;
  fresh.min_security_version = security_version;  // the factory image sets the floor
  crypto::Sha256 sha;
  sha.update(image, size);
  sha.finish(fresh.active.sha256);
  if (!journal_.reset(fresh)) return false;
  state_ = fresh;
  clear_eboot_command(rtc_);
  return true;
}

}  // namespace otakit
