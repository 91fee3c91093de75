# The Debian package (issue 18): `scripts/package` configures a release build without tests
# or fault-injection hooks (MUGAI_BUILD_TESTS=OFF) and runs CPack's DEB generator on it.
# Dependencies come from the shared libraries the two programs link (dpkg-shlibdeps), plus
# what mugai runs or opens at run time (adduser in postinst; LibreOffice, 7-Zip,
# msoffcrypto-tool, freshclam and fonts, recommended).
include(GNUInstallDirs)

install(TARGETS mugai RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS mugai-zygote RUNTIME DESTINATION lib/mugai)
install(FILES packaging/mugai-serve.service packaging/mugai-milter.service
              packaging/mugai-watch.service packaging/mugai-console.service
        DESTINATION /lib/systemd/system)
install(FILES packaging/pam.d-mugai DESTINATION /etc/pam.d RENAME mugai)
install(FILES packaging/mugai.toml DESTINATION /etc/mugai)
install(FILES packaging/debian/logrotate DESTINATION /etc/logrotate.d RENAME mugai)
set(MUGAI_DOC_DIR ${CMAKE_INSTALL_DATADIR}/doc/mugai)
install(FILES README.md docs/OPERATIONS.md docs/CONFIG.md docs/POSTFIX.md docs/QUARANTINE.md
              docs/PASSWORDS.md docs/REPORT.md docs/CONSOLE.md docs/SCALE-OUT.md docs/mugai.example.toml
              docs/grafana-dashboard.json packaging/debian/copyright
              packaging/debian/README.Debian
        DESTINATION ${MUGAI_DOC_DIR})
# changelog.gz (a native package), compressed reproducibly.
configure_file(packaging/debian/changelog ${CMAKE_BINARY_DIR}/package/changelog @ONLY)
add_custom_command(OUTPUT ${CMAKE_BINARY_DIR}/package/changelog.gz
                   COMMAND gzip -9nf -k ${CMAKE_BINARY_DIR}/package/changelog
                   DEPENDS ${CMAKE_BINARY_DIR}/package/changelog)
add_custom_target(mugai_changelog ALL DEPENDS ${CMAKE_BINARY_DIR}/package/changelog.gz)
install(FILES ${CMAKE_BINARY_DIR}/package/changelog.gz DESTINATION ${MUGAI_DOC_DIR})

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME mugai)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # mugai_<version>_amd64.deb
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "The mugai developers <mugai@example.org>")
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "file and mail sanitisation gateway for LGWAN networks")
# CPack writes the synopsis (the summary) and indents these lines itself ("" → " .").
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
"mugai (無害) makes files and mail harmless before they cross from an
Internet-connected network into an LGWAN-connected one (Content Disarm and
Reconstruction): it scans them with ClamAV, removes macros and active
content, and rebuilds documents, images, archives and mail from what it
verified. What it cannot rebuild is blocked and kept in a quarantine, with
release by a second person and a tamper-evident audit log.

It runs as one service per host, with a Postfix milter and a drop-folder
transfer as its clients.")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS
    "clamav-freshclam, libreoffice-writer, libreoffice-calc, libreoffice-impress, python3-msoffcrypto-tool, p7zip-full, unar, fonts-noto-cjk, fonts-ipafont-gothic, fonts-ipafont-mincho, poppler-data, logrotate")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "postfix")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/packaging/debian/postinst ${PROJECT_SOURCE_DIR}/packaging/debian/prerm
    ${PROJECT_SOURCE_DIR}/packaging/debian/postrm ${PROJECT_SOURCE_DIR}/packaging/debian/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
