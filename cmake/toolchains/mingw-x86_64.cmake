# x86-64 Windows with mingw-w64 (Debian's gcc-mingw-w64-x86-64), its tests
# run under Wine (Debian's wine64) through wine-run.sh, which keeps the
# Wine prefix in the build directory (BUILD/wineprefix).  The core only:
# CMakeLists.txt says what a Windows build has (docs/portability.md).
#   cmake -S . -B build-mingw -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/mingw-x86_64.cmake
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(CX_CROSS_TRIPLE x86_64-w64-mingw32)
set(CMAKE_RC_COMPILER ${CX_CROSS_TRIPLE}-windres)
include(${CMAKE_CURRENT_LIST_DIR}/sysroot.cmake)
# The DLLs a test loads: libcx.dll from the build directory, libgcc_s_seh-1
# and libwinpthread-1 from the toolchain (where its compiler says they are).
set(cx_wine_dlls ${CMAKE_BINARY_DIR})
foreach(dll libgcc_s_seh-1.dll libwinpthread-1.dll)
  execute_process(COMMAND ${CMAKE_C_COMPILER} -print-file-name=${dll}
                  OUTPUT_VARIABLE cx_dll OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(IS_ABSOLUTE "${cx_dll}")
    get_filename_component(cx_dll_dir ${cx_dll} DIRECTORY)
    get_filename_component(cx_dll_dir ${cx_dll_dir} REALPATH)
    string(APPEND cx_wine_dlls ":${cx_dll_dir}")
  endif()
endforeach()
set(CMAKE_CROSSCOMPILING_EMULATOR ${CMAKE_CURRENT_LIST_DIR}/wine-run.sh ${CMAKE_BINARY_DIR}
    ${cx_wine_dlls})
