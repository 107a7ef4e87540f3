# `nabla board` (tools/board/): the server is compiled into the nabla tool; its
# page (tools/board/page/) is turned into a C array at build time by embed.cmake.
pkg_check_modules(MHD REQUIRED IMPORTED_TARGET libmicrohttpd)
find_package(Threads REQUIRED)
set(NB_BOARD_PAGE index.html app.js style.css)
set(NB_BOARD_PAGE_FILES)
foreach(f ${NB_BOARD_PAGE})
  list(APPEND NB_BOARD_PAGE_FILES ${CMAKE_SOURCE_DIR}/tools/board/page/${f})
endforeach()
string(REPLACE ";" "," NB_BOARD_PAGE_LIST "${NB_BOARD_PAGE}")
add_custom_command(
  OUTPUT ${CMAKE_BINARY_DIR}/board_page.c
  COMMAND ${CMAKE_COMMAND} -DDIR=${CMAKE_SOURCE_DIR}/tools/board/page -DOUT=${CMAKE_BINARY_DIR}/board_page.c
          -DFILES=${NB_BOARD_PAGE_LIST} -P ${CMAKE_SOURCE_DIR}/tools/board/embed.cmake
  DEPENDS ${NB_BOARD_PAGE_FILES} ${CMAKE_SOURCE_DIR}/tools/board/embed.cmake
  COMMENT "Embedding the board's page" VERBATIM)
target_sources(nabla PRIVATE tools/board/board.c tools/board/board_index.c tools/board/board_json.c
               ${CMAKE_BINARY_DIR}/board_page.c)
target_include_directories(nabla PRIVATE ${CMAKE_SOURCE_DIR}/tools/board)
target_link_libraries(nabla PRIVATE PkgConfig::MHD Threads::Threads)

add_executable(board_fixture tools/board/tests/board_fixture.c)
target_compile_options(board_fixture PRIVATE ${NB_WARNINGS} ${NB_SAN_FLAGS} -D_GNU_SOURCE)
target_link_libraries(board_fixture PRIVATE nabla_static)

# The server's API, safety and bad-file tests (Python 3's standard library only).
find_package(Python3 COMPONENTS Interpreter)
if(Python3_FOUND)
  set(NB_BOARD_TEST_ARGS $<TARGET_FILE:nabla> $<TARGET_FILE:board_fixture> ${CMAKE_BINARY_DIR}/board_tests)
  add_test(NAME board_api COMMAND Python3::Interpreter ${CMAKE_SOURCE_DIR}/tools/board/tests/test_board.py
           api ${NB_BOARD_TEST_ARGS})
  add_test(NAME board_load COMMAND Python3::Interpreter ${CMAKE_SOURCE_DIR}/tools/board/tests/test_board.py
           load ${NB_BOARD_TEST_ARGS})
  set_tests_properties(board_api board_load PROPERTIES TIMEOUT 600)
  if(NABLA_SANITIZE)
    set_tests_properties(board_load PROPERTIES ENVIRONMENT "NB_BOARD_SANITIZED=1")
  endif()
  # In a real Chromium (Debian's chromium, headless, through the DevTools protocol).
  find_program(NB_CHROMIUM NAMES chromium chromium-browser)
  if(NB_CHROMIUM)
    add_test(NAME board_browser COMMAND Python3::Interpreter ${CMAKE_SOURCE_DIR}/tools/board/tests/test_browser.py
             ${NB_CHROMIUM} ${NB_BOARD_TEST_ARGS})
    set_tests_properties(board_browser PROPERTIES TIMEOUT 300)
  endif()
endif()
