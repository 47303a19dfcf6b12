# Warnings and sanitizers, applied to every target of this project through
# the fr_project_options interface library.
add_library(fr_project_options INTERFACE)
# accept4, pipe2, SOCK_NONBLOCK: Linux interfaces the server relies on.
target_compile_definitions(fr_project_options INTERFACE _GNU_SOURCE)
target_compile_options(fr_project_options INTERFACE
  -Wall -Wextra -Wstrict-prototypes -Wmissing-prototypes -Wshadow -Wformat=2
  -Wno-unused-parameter -Wvla -Wpointer-arith)
if(FR_WERROR)
  target_compile_options(fr_project_options INTERFACE -Werror)
endif()
if(FR_SANITIZE AND FR_TSAN)
  message(FATAL_ERROR "FR_SANITIZE and FR_TSAN are exclusive")
endif()
if(FR_SANITIZE)
  target_compile_options(fr_project_options INTERFACE
    -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(fr_project_options INTERFACE -fsanitize=address,undefined)
endif()
if(FR_FUZZ)
  # coverage for libFuzzer in every object; only the targets link its main
  target_compile_options(fr_project_options INTERFACE -fsanitize=fuzzer-no-link)
endif()
if(FR_TSAN)
  target_compile_options(fr_project_options INTERFACE -fsanitize=thread -fno-omit-frame-pointer)
  target_link_options(fr_project_options INTERFACE -fsanitize=thread)
endif()
