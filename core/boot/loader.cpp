#include "core/boot/loader.h"

#include <string.h>

#include "core/boot/placement.h"
#include "core/boot/sector_table.h"
#include "core/boot/swap_scratch.h"
#include "core/crypto/digest.h"
#include "core/image/gzip_flash.h"
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
    case BootAction::adopted: return "adopted the image in the primary slot";
    case BootAction::command_rejected: return "boot command rejected";
    case BootAction::no_image: return "no bootable image";
    case BootAction::flash_error: return "flash error";
  }
  return "unknown";
}

BootLoader::BootLoader(Flash& flash, const FlashLayout& layout, RtcMemory& rtc, const BootOptions& options)
    : flash_(flash),
      layout_(layout),
      rtc_(rtc),
      options_(options),
      journal_(flash, layout.journal_address(0), layout.journal_address(1)) {}

bool BootLoader::hash_region(uint32_t address, uint32_t size, uint8_t out[32]) {
  crypto::Sha256 sha;
  if (flash_stream(flash_, address, size, sha_sink, &sha) != FlashStatus::ok) return false;
  sha.finish(out);
  return true;
}

bool BootLoader::region_has_hash(uint32_t address, uint32_t size, const uint8_t sha256[32], bool* equal) {
  // A second pass before "no": one misread must not condemn an image.
  uint8_t sha[32];
  *equal = false;
  for (int attempt = 0; attempt < 2 && !*equal; ++attempt) {
    if (!hash_region(address, size, sha)) return false;
    *equal = memcmp(sha, sha256, 32) == 0;
  }
  return true;
}

bool BootLoader::adopt_primary(BootReport* report, const char* why) {
  // A device flashed over serial, or a journal destroyed: whatever valid image sits in the
  // primary slot is what runs; record it so that later updates can be swapped against it.
  TextBuilder text(report->detail, sizeof(report->detail));
  FlashRegionReader primary(flash_, 0, layout_.boot_area_start() / 2);
  ImageRules rules;
  rules.chip_size = flash_.size();
  ImageAcceptance image = check_inflated_image(primary, rules);
  if (!image.ok()) {
    text.add(why).add(", and the primary slot holds no valid image: ").add(image.detail);
    return false;
  }
  BootState fresh;
  fresh.has_active = true;
  fresh.active.size = image.image_end;
  fresh.active.security_version = image.security_version;
  // The floor was lost with the journal; the image that ran is the best evidence of where it was.
  fresh.min_security_version = state_.min_security_version > image.security_version ? state_.min_security_version
                                                                                      : image.security_version;
  fresh.updates = state_.updates;
  fresh.rollbacks = state_.rollbacks;
  fresh.last_command_id = state_.last_command_id;
  if (!hash_region(0, fresh.active.size, fresh.active.sha256) || !journal_.reset(fresh)) return false;
  state_ = fresh;
  text.add(why).add(": adopted the primary image (").add_u32(fresh.active.size).add(" bytes)");
  return true;
}

bool BootLoader::load_journal(BootReport* report) {
  report->journal = journal_.load(&state_);
  if (report->journal == JournalStatus::flash_error) return false;
  if (report->journal == JournalStatus::empty) adopt_primary(report, "no journal");
  return true;
}

bool BootLoader::primary_matches_journal(bool* matches) {
  *matches = true;
  if (!options_.verify_primary || !state_.has_active) return true;
  return region_has_hash(0, state_.active.size, state_.active.sha256, matches);
}

// The primary is not what the journal says runs. A valid image there was put in place outside
// OTA and is adopted; damage is repaired from the rollback copy if that verifies; else nothing runs.
BootAction BootLoader::recover_primary(BootReport* report) {
  FlashRegionReader primary(flash_, 0, layout_.boot_area_start() / 2);
  ImageRules rules;
  rules.chip_size = flash_.size();
  if (check_inflated_image(primary, rules).ok())
    return adopt_primary(report, "the primary slot holds an image the journal does not know") ? BootAction::adopted
                                                                                              : BootAction::flash_error;
  BootAction action = roll_back_to_previous(report);
  if (action == BootAction::rolled_back) {
    TextBuilder(report->detail, sizeof(report->detail))
        .add("the running image failed its SHA-256 check: restored the previous image");
    return action;
  }
  if (action == BootAction::booted) {
    TextBuilder(report->detail, sizeof(report->detail))
        .add("the running image fails its SHA-256 check and no verified copy is left: not starting it");
    return BootAction::no_image;
  }
  return action;
}

BootAction BootLoader::run_swap(BootReport* report) {
  SectorTable table(flash_, layout_.sector_table_address());
  bool have_table = table.open(state_.plan.sectors, state_.plan.table_crc);
  SwapScratch swap(flash_, journal_, layout_.scratch_sector_address(), have_table ? &table : nullptr, sector_buffer_);
  SwapResult result = swap.run(&state_);
  if (result == SwapResult::unverifiable && state_.plan.kind == SwapKind::upgrade) return abandon_upgrade(swap, report);
  if (result == SwapResult::unverifiable) {
    TextBuilder(report->detail, sizeof(report->detail))
        .add("the image being restored is damaged in flash at sector ").add_u32(swap.stuck_sector())
        .add(": not starting anything");
    return BootAction::no_image;
  }
  if (result != SwapResult::done) return BootAction::flash_error;
  bool verified = false;
  if (!region_has_hash(0, state_.plan.incoming.size, state_.plan.incoming.sha256, &verified))
    return BootAction::flash_error;
  if (verified) {
    if (!journal_.append(RecordType::swap_done, 0, nullptr, 0, &state_)) return BootAction::flash_error;
    if (!have_table)
      TextBuilder(report->detail, sizeof(report->detail)).add("sector table damaged; the swap followed the journal alone");
    return state_.phase == BootPhase::trial ? BootAction::upgraded : BootAction::rolled_back;
  }
  if (state_.plan.kind == SwapKind::revert) {
    // Never journaled as done: the next boot finds the same swap and checks again.
    TextBuilder(report->detail, sizeof(report->detail)).add("the restored image fails its SHA-256 check: not starting it");
    return BootAction::no_image;
  }
  // The new image did not survive the swap intact: put the previous one back at once. The swap is
  // never journaled as done, so a power cut from here on cannot leave the damaged image on trial.
  SwapPlan back;
  back.kind = SwapKind::revert;
  back.secondary = state_.plan.secondary;
  back.sectors = state_.plan.sectors;
  back.incoming = state_.plan.outgoing;
  back.outgoing = state_.plan.incoming;
  BootAction action = start_swap(back, report);
  if (action == BootAction::rolled_back)
    TextBuilder(report->detail, sizeof(report->detail)).add("new image failed SHA-256 verification after the swap; rolled back");
  return action;
}

// The incoming image turned out damaged in flash partway through the swap: the sectors already
// exchanged are swapped back (a revert over just those), the stuck one restored from the scratch.
BootAction BootLoader::abandon_upgrade(SwapScratch& swap, BootReport* report) {
  const SwapPlan plan = state_.plan;
  const uint32_t stuck = swap.stuck_sector();
  SwapResult restored = swap.restore_outgoing(plan, stuck);
  if (restored == SwapResult::flash_error) return BootAction::flash_error;
  TextBuilder why(report->detail, sizeof(report->detail));
  if (restored != SwapResult::done) {
    why.add("both images are damaged in flash at sector ").add_u32(stuck).add(": not starting anything");
    return BootAction::no_image;
  }
  BootAction action = BootAction::rolled_back;
  if (stuck == 0) {  // nothing was exchanged: the outgoing image is where it was
    bool intact = false;
    if (!region_has_hash(0, plan.outgoing.size, plan.outgoing.sha256, &intact)) return BootAction::flash_error;
    if (!intact) {
      why.add("the new image is damaged in flash and the previous one fails its SHA-256 check: not starting anything");
      return BootAction::no_image;
    }
    uint8_t payload[kImageRecordBytes];
    encode_image_record(plan.outgoing, payload);
    if (!journal_.append(RecordType::active, 0, payload, kImageRecordBytes, &state_)) return BootAction::flash_error;
  } else {
    SwapPlan back;
    back.kind = SwapKind::revert;
    back.secondary = plan.secondary;
    back.sectors = stuck;
    back.incoming = plan.outgoing;
    back.outgoing = plan.incoming;
    action = start_swap(back, report);
  }
  if (action == BootAction::rolled_back)
    TextBuilder(report->detail, sizeof(report->detail))
        .add("the new image is damaged in flash at sector ").add_u32(stuck).add(": put the previous image back");
  return action;
}

BootAction BootLoader::roll_back_to_previous(BootReport* report) {
  // Rolling back swaps the copy over the running image: a copy that fails its hash (a misread when
  // it was made, or damage since, or a staged image written over it) must not replace it.
  bool intact = false;
  if (!state_.has_previous) return BootAction::booted;
  if (!region_has_hash(state_.previous_address, state_.previous.size, state_.previous.sha256, &intact))
    return BootAction::flash_error;
  if (!intact) return BootAction::booted;
  SwapPlan back;
  back.kind = SwapKind::revert;
  back.secondary = state_.previous_address;
  back.sectors = swap_area(state_.previous.size, state_.active.size) / kSectorSize;
  back.incoming = state_.previous;
  back.outgoing = state_.active;
  return start_swap(back, report);
}

BootAction BootLoader::start_swap(SwapPlan plan, BootReport* report) {
  SectorTable table(flash_, layout_.sector_table_address());
  if (!table.build(plan.secondary, plan.sectors, sector_buffer_, &plan.table_crc)) return BootAction::flash_error;
  uint8_t payload[kSwapPlanBytes];
  encode_swap_plan(plan, payload);
  if (!journal_.append(RecordType::swap_begin, 0, payload, kSwapPlanBytes, &state_)) return BootAction::flash_error;
  return run_swap(report);
}

BootAction BootLoader::act_on_command(const EbootCommand& cmd, BootReport* report) {
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
  uint8_t staged_sha[32];
  bool has_expected = get_staged_hash(cmd, staged_sha);
  if (has_expected) {
    bool equal = false;
    if (!region_has_hash(src, size, staged_sha, &equal)) return BootAction::flash_error;
    if (!equal) {
      why.add("staged image differs from the one the Updater verified (SHA-256 mismatch: flash damaged or misread)");
      return BootAction::command_rejected;
    }
  }
  const ImageRules rules = next_image_rules(flash_.size(), layout_, state_);
  FlashRegionReader staged(flash_, src, size);
  ImageAcceptance accepted = check_image(staged, rules);
  uint32_t image = src, image_size = size, limit = layout_.boot_area_start();
  if (accepted.verdict == ImageVerdict::needs_inflation) {
    image_size = accepted.inflated_size;
    if (!place_inflated(src, state_.active.size, image_size, &image)) {
      why.add("gzip image inflates to ").add_u32(image_size).add(" bytes, which does not fit next to the running image");
      return BootAction::command_rejected;
    }
    if (options_.inflater == nullptr) {
      why.add("gzip image but this boot path has no inflater");
      return BootAction::command_rejected;
    }
    InflatedImage inflated;
    InflateResult r = inflate_to_flash(flash_, *options_.inflater, src, size, image, image_size, sector_buffer_, &inflated);
    if (r != InflateResult::ok) {
      why.add(describe(r));
      return r == InflateResult::flash_error ? BootAction::flash_error : BootAction::command_rejected;
    }
    memcpy(staged_sha, inflated.sha256, 32);
    has_expected = true;
    limit = src;
    FlashRegionReader unpacked(flash_, image, image_size);
    accepted = check_inflated_image(unpacked, rules);
  }
  if (!accepted.ok()) {
    why.add("image refused: ").add(accepted.detail);
    return BootAction::command_rejected;
  }
  SwapPlan plan;
  plan.kind = SwapKind::upgrade;
  plan.secondary = image;
  plan.sectors = swap_area(image_size, state_.active.size) / kSectorSize;
  uint32_t area = plan.sectors * kSectorSize;
  plan.command_id = id;
  plan.outgoing = state_.active;
  plan.incoming.size = image_size;
  plan.incoming.security_version = accepted.security_version;
  if (has_expected)
    memcpy(plan.incoming.sha256, staged_sha, 32);
  else if (!hash_region(image, image_size, plan.incoming.sha256))
    return BootAction::flash_error;
  if (area > limit - image || image < area || plan.sectors > kMaxSwapSectors) {
    why.add("boot command rejected: the swap area would overlap the boot area");
    return BootAction::command_rejected;
  }
  return start_swap(plan, report);
}

// A swap cut by a power loss: finish it (or undo it), then this is a boot of whatever it left.
BootAction BootLoader::resume_swap(BootReport* report) {
  BootAction action = run_swap(report);
  if (action != BootAction::upgraded && action != BootAction::rolled_back) return action;
  if (state_.phase == BootPhase::trial && !journal_.append(RecordType::boot_attempt, 0, nullptr, 0, &state_))
    return BootAction::flash_error;
  return BootAction::resumed;
}

// One boot of an image on trial: counted, or rolled back once it has had its chances.
BootAction BootLoader::count_trial_boot(BootReport* report) {
  if (!state_.rejected && state_.trial_boots < options_.max_trial_boots)
    return journal_.append(RecordType::boot_attempt, 0, nullptr, 0, &state_) ? BootAction::booted
                                                                               : BootAction::flash_error;
  const uint32_t boots = state_.trial_boots;
  const bool rejected = state_.rejected;
  BootAction action = roll_back_to_previous(report);
  TextBuilder why(report->detail, sizeof(report->detail));
  if (action == BootAction::rolled_back && rejected)
    why.add("the application rejected the image on trial");
  else if (action == BootAction::rolled_back)
    why.add("image not confirmed after ").add_u32(boots).add(" boots");
  else if (action == BootAction::booted)
    why.add("image not confirmed, but the rollback copy fails its SHA-256 check: keeping the running image");
  return action;
}

// No swap in progress: check what runs, act on an eboot command, count a trial boot.
BootAction BootLoader::boot_settled(BootReport* report) {
  bool intact = true;
  if (!primary_matches_journal(&intact)) return BootAction::flash_error;
  if (!intact) return recover_primary(report);
  BootAction action = BootAction::booted;
  EbootCommand command;
  report->command = read_eboot_command(rtc_, &command);
  if (report->command == CommandStatus::valid) {
    action = act_on_command(command, report);
    // Cleared only now, after the swap was verified (or the command refused).
    if (action != BootAction::flash_error) clear_eboot_command(rtc_);
    if (action == BootAction::upgraded && !journal_.append(RecordType::boot_attempt, 0, nullptr, 0, &state_))
      return BootAction::flash_error;
  }
  // A command that started nothing (stale, LOAD_APP, refused) still means a boot of the image.
  if ((action == BootAction::booted || action == BootAction::command_rejected) && state_.phase == BootPhase::trial) {
    BootAction counted = count_trial_boot(report);
    if (counted != BootAction::booted) return counted;
  }
  return action;
}

BootReport BootLoader::boot() {
  BootReport report;
  if (!load_journal(&report)) {
    report.action = BootAction::flash_error;
    return report;
  }
  if (report.journal == JournalStatus::empty)
    report.action = state_.has_active ? BootAction::adopted : BootAction::no_image;
  else if (state_.phase == BootPhase::swapping)
    report.action = resume_swap(&report);
  else
    report.action = boot_settled(&report);
  if (!state_.has_active && report.action != BootAction::flash_error) report.action = BootAction::no_image;
  report.bootable = report.action != BootAction::flash_error && report.action != BootAction::no_image;
  return report;
}

bool BootLoader::provision(const uint8_t* image, uint32_t size) {
  if (size == 0 || round_up_4k(size) > layout_.boot_area_start() / 2) return false;
  BufferReader reader(image, size);
  ImageRules rules;
  rules.chip_size = flash_.size();
  ImageAcceptance accepted = check_inflated_image(reader, rules);
  if (!accepted.ok()) return false;
  for (uint32_t at = 0; at < size; at += kSectorSize) {
    uint32_t n = size - at < kSectorSize ? size - at : kSectorSize;
    memset(sector_buffer_, 0xFF, kSectorSize);  // the last sector is padded: writes are whole words
    memcpy(sector_buffer_, image + at, n);
    if (flash_.erase_sector(at / kSectorSize) != FlashStatus::ok ||
        flash_.write(at, sector_buffer_, kSectorSize) != FlashStatus::ok)
      return false;
  }
  BootState fresh;
  fresh.has_active = true;
  fresh.active.size = size;
  fresh.active.security_version = accepted.security_version;
  fresh.min_security_version = accepted.security_version;  // the factory image sets the floor
  crypto::Sha256 sha;
  sha.update(image, size);
  sha.finish(fresh.active.sha256);
  if (!journal_.reset(fresh)) return false;
  state_ = fresh;
  clear_eboot_command(rtc_);
  return true;
}

}  // namespace otakit
