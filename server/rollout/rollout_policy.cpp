// placeholder: the rollout policy is written on another branch; this empty file only lets
// server/rollout/sources.cmake configure in the store's branch until the lead merges the two.
