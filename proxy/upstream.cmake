# Upstream part of perch-proxy: config, OAuth signer, HTTP adaptor (the only
# httplib user), Twitter client, `sign` subcommand, logging.
find_package(CLI11 2 REQUIRED)
find_package(spdlog 1.10 REQUIRED)

set(PERCH_PROXY_UPSTREAM_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/src/config.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/http.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/log.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/sign_command.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/signer.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/twitter_http_client.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/provider/oauth2_client.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/provider/pkce.cpp
)
list(APPEND PERCH_PROXY_LIBS CLI11::CLI11 spdlog::spdlog)
