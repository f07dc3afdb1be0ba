; SPDX-License-Identifier: GPL-2.0-or-later
; nodecap for Windows: installs nodecap.exe and its DLLs into the current
; user's Wireshark extcap folder (%APPDATA%\Wireshark\extcap), where
; Wireshark finds it at its next start. No administrator rights needed.
; makensis -DVERSION=x.y.z -DSTAGE=dir -DUNINSTLIST=file.nsh -DOUTFILE=setup.exe nodecap.nsi
; 64-bit installer: nodecap.exe is x64 only, and a 64-bit Wine prefix
; (the tests') runs no 32-bit program.
Target amd64-unicode
SetCompressor /SOLID lzma
!ifndef VERSION
  !error "VERSION not defined"
!endif
Name "nodecap ${VERSION}"
OutFile "${OUTFILE}"
RequestExecutionLevel user
InstallDir "$APPDATA\Wireshark\extcap"
ShowInstDetails show
Page directory
Page instfiles
UninstPage uninstConfirm
UninstPage instfiles

Section "nodecap"
  SetOutPath "$INSTDIR"
  File "${STAGE}\*.exe"
  File "${STAGE}\*.dll"
  ; Not in the extcap folder: Wireshark would run it as an extcap.
  CreateDirectory "$APPDATA\Wireshark\nodecap"
  WriteUninstaller "$APPDATA\Wireshark\nodecap\uninstall.exe"
  WriteRegStr HKCU "Software\Microsoft\Windows\CurrentVersion\Uninstall\nodecap" "DisplayName" "nodecap ${VERSION} (Wireshark extcap)"
  WriteRegStr HKCU "Software\Microsoft\Windows\CurrentVersion\Uninstall\nodecap" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "Software\Microsoft\Windows\CurrentVersion\Uninstall\nodecap" "UninstallString" "$\"$APPDATA\Wireshark\nodecap\uninstall.exe$\""
  WriteRegStr HKCU "Software\Microsoft\Windows\CurrentVersion\Uninstall\nodecap" "InstallLocation" "$INSTDIR"
SectionEnd

Section "Uninstall"
  ReadRegStr $0 HKCU "Software\Microsoft\Windows\CurrentVersion\Uninstall\nodecap" "InstallLocation"
  StrCmp $0 "" 0 +2
    StrCpy $0 "$APPDATA\Wireshark\extcap"
  Delete "$0\nodecap.exe"
  ; The DLLs this installer put there, by the list the build wrote.
  !include "${UNINSTLIST}"
  Delete "$APPDATA\Wireshark\nodecap\uninstall.exe"
  RMDir "$APPDATA\Wireshark\nodecap"
  DeleteRegKey HKCU "Software\Microsoft\Windows\CurrentVersion\Uninstall\nodecap"
SectionEnd
