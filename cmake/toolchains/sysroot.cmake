# Included by the cross toolchain files: find_* takes programs from the
# host and libraries, headers and packages from the target's sysroot,
# /usr/${CX_CROSS_TRIPLE}, only.
set(CMAKE_C_COMPILER ${CX_CROSS_TRIPLE}-gcc)
set(CMAKE_ASM_COMPILER ${CX_CROSS_TRIPLE}-gcc)
set(CMAKE_FIND_ROOT_PATH /usr/${CX_CROSS_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
