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
configure_file(cmake/fakeredis.pc.in ${CMAKE_CURRENT_BINARY_DIR}/fakeredis.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/fakeredis.pc
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
