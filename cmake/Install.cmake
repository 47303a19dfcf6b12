# Install the library, headers, program, a CMake package and a .pc file.
include(CMakePackageConfigHelpers)
install(TARGETS fakeredis fakeredis_harness EXPORT fakeredisTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS fakeredis-server RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY include/fakeredis DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT fakeredisTargets NAMESPACE fakeredis::
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/fakeredis)
configure_package_config_file(cmake/fakeredisConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/fakeredisConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/fakeredis)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/fakeredisConfigVersion.cmake
  COMPATIBILITY SameMajorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/fakeredisConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/fakeredisConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/fakeredis)
# pkg-config: a static library must name what it links against in Libs
# and Requires (pkg-config --libs leaves out the .private fields unless
# --static is given); a shared one keeps them private.
if(BUILD_SHARED_LIBS)
  set(FR_PC_REQUIRES "Requires.private")
  set(FR_PC_LIBS "")
  set(FR_PC_LIBS_PRIVATE "Libs.private: -lpthread -lm")
  set(FR_PC_CFLAGS "")
else()
  set(FR_PC_REQUIRES "Requires")
  set(FR_PC_LIBS "-lpthread -lm")
  set(FR_PC_LIBS_PRIVATE "")
  set(FR_PC_CFLAGS "-DFR_STATIC")
endif()
if(BUILD_SHARED_LIBS)
  set(FR_PC_HARNESS_REQUIRES "Requires: fakeredis = ${PROJECT_VERSION}\nRequires.private: libevent_core")
else()
  set(FR_PC_HARNESS_REQUIRES "Requires: fakeredis = ${PROJECT_VERSION}, libevent_core")
endif()
# Relocatable: the prefix is found from the .pc file's own place, so an
# install with --prefix (or DESTDIR, or a moved tree) needs no edit.
set(FR_PC_PREFIX "\${pcfiledir}")
string(REPLACE "/" ";" fr_libdir_parts "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
foreach(part ${fr_libdir_parts})
  string(APPEND FR_PC_PREFIX "/..")
endforeach()
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(FR_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
endif()
foreach(pc fakeredis fakeredis-harness)
  configure_file(cmake/${pc}.pc.in ${CMAKE_CURRENT_BINARY_DIR}/${pc}.pc @ONLY)
  install(FILES ${CMAKE_CURRENT_BINARY_DIR}/${pc}.pc
    DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endforeach()
