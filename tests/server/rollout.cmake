# The rollout policy is pure: its test builds the policy's one source file and needs no server library.
otakit_add_test(test_server_rollout_policy
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/rollout_policy_test.cpp ${PROJECT_SOURCE_DIR}/server/rollout/rollout_policy.cpp
  LIBS rapidcheck_gtest rapidcheck)
