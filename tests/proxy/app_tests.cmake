# Unit tests for the app part of perch-proxy (see proxy/app.cmake).
set(PERCH_PROXY_APP_TESTS
  ${CMAKE_CURRENT_LIST_DIR}/cookies_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/routes_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/session_store_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/static_files_test.cpp
)
