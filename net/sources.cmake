target_sources(otakit_net PRIVATE
  endpoint.cpp
)
