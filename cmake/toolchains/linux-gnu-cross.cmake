# Shared part of the Debian cross toolchains (cmake/toolchains/<name>.cmake
# set CX_CROSS_TRIPLE and CX_CROSS_QEMU, then include this): the
# <triple>-gcc cross compiler, its sysroot /usr/<triple> (Debian's
# libc6-dev-<arch>-cross), and qemu-user as the emulator CTest runs every
# test through, with the sysroot as the guest's root for the dynamic loader
# and libc.  The guest's library path names the sysroot's lib/ itself: with
# -L alone, a path missing from the sysroot falls back to the host's, and
# the loader then took the host's /lib32/libc.so.6 (libc6-i386, another
# glibc build) for an i686 guest, whose fork() hung in the child.
set(CMAKE_SYSTEM_NAME Linux)
include(${CMAKE_CURRENT_LIST_DIR}/sysroot.cmake)
set(CMAKE_CROSSCOMPILING_EMULATOR ${CX_CROSS_QEMU} -L /usr/${CX_CROSS_TRIPLE}
    -E LD_LIBRARY_PATH=/usr/${CX_CROSS_TRIPLE}/lib)
# pkg-config sees the target's libraries only (Debian multiarch), never the
# host's: a module is built where its library is installed for the target.
set(ENV{PKG_CONFIG_LIBDIR} /usr/lib/${CX_CROSS_TRIPLE}/pkgconfig:/usr/${CX_CROSS_TRIPLE}/lib/pkgconfig)
set(ENV{PKG_CONFIG_SYSROOT_DIR} "")
