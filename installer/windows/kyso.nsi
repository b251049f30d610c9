; kyso for Windows: NSIS installer (built by installer/windows/build.sh).
;
;   makensis -INPUTCHARSET UTF8 -DVERSION=0.1.0 -DSTAGE=<dir> -DFILES=<files.nsh> \
;            -DOUTFILE=kyso-setup-0.1.0.exe kyso.nsi
;
; Installs kyso.exe, kyso-agent.exe and the data files into
; %ProgramFiles%\kyso, adds Start-menu shortcuts, registers the uninstaller.
; When a folder "kyso-bundle" lies next to the installer it then runs
; "kyso.exe setup --unattended --bundle <that folder>" (vendor drivers).
; Silent: kyso-setup-<version>.exe /S [/D=C:\path]. Exit codes: 0 ok,
; 1 cancelled, 2 a step failed (files could not be written), 3 + N when
; "kyso setup" exited with N (the programs are installed; see docs/windows.md).

Unicode true
Target amd64-unicode
ManifestDPIAware true
RequestExecutionLevel admin
SetCompressor /SOLID lzma

!ifndef VERSION
  !error "define VERSION"
!endif
!ifndef STAGE
  !error "define STAGE (the staged files)"
!endif
!ifndef OUTFILE
  !define OUTFILE "kyso-setup-${VERSION}.exe"
!endif

!define REGKEY "Software\kyso"
!define UNINSTKEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\kyso"
!define BUNDLE "kyso-bundle"

!include "MUI2.nsh"
!include "LogicLib.nsh"
!include "x64.nsh"
!include "${FILES}"

Name "kyso ${VERSION}"
OutFile "${OUTFILE}"
InstallDir "$PROGRAMFILES64\kyso"
InstallDirRegKey HKLM "${REGKEY}" "InstallDir"
BrandingText "kyso ${VERSION}"
VIProductVersion "${VERSION}.0"
VIAddVersionKey /LANG=0 "ProductName" "kyso"
VIAddVersionKey /LANG=0 "FileDescription" "kyso installer"
VIAddVersionKey /LANG=0 "FileVersion" "${VERSION}"
VIAddVersionKey /LANG=0 "ProductVersion" "${VERSION}"
VIAddVersionKey /LANG=0 "LegalCopyright" "(c) 2026 kyso developers <dev@kyso.vn>, MIT licence"
VIAddVersionKey /LANG=0 "CompanyName" "kyso developers"

!define MUI_ABORTWARNING
!define MUI_LANGDLL_REGISTRY_ROOT HKLM
!define MUI_LANGDLL_REGISTRY_KEY "${REGKEY}"
!define MUI_LANGDLL_REGISTRY_VALUENAME "InstallerLanguage"

!insertmacro MUI_PAGE_WELCOME
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES

; The first language is the default (also for /S).
!insertmacro MUI_LANGUAGE "Vietnamese"
!insertmacro MUI_LANGUAGE "English"

; Shortcut names are the same in both languages (what office staff are told
; to click); the English UI gets English descriptions (tooltips).
!define SC_DOCTOR "Kiểm tra ký số"
!define SC_SETUP "Cài đặt token"
!define SC_UNINST "Gỡ cài đặt kyso"
LangString SC_DOCTOR_DESC ${LANG_VIETNAMESE} "Kiểm tra vì sao ký số không được, ghi báo cáo"
LangString SC_DOCTOR_DESC ${LANG_ENGLISH} "Find out why signing fails, write a report"
LangString SC_SETUP_DESC ${LANG_VIETNAMESE} "Cài driver token và thành phần ký số"
LangString SC_SETUP_DESC ${LANG_ENGLISH} "Install the token driver and the signing agent"
LangString MSG_SETUP_RUN ${LANG_VIETNAMESE} "Đang cài driver token từ thư mục ${BUNDLE}..."
LangString MSG_SETUP_RUN ${LANG_ENGLISH} "Installing the token drivers from the ${BUNDLE} folder..."
LangString MSG_SETUP_FAIL ${LANG_VIETNAMESE} "kyso setup báo lỗi (mã $0). kyso đã được cài; hãy chạy Kiểm tra ký số."
LangString MSG_SETUP_FAIL ${LANG_ENGLISH} "kyso setup failed (exit code $0). kyso is installed; run the signing check."
LangString MSG_UNSETUP ${LANG_VIETNAMESE} "kyso setup --uninstall trả về mã $0"
LangString MSG_UNSETUP ${LANG_ENGLISH} "kyso setup --uninstall returned $0"

Function .onInit
  ${IfNot} ${RunningX64}
    MessageBox MB_ICONSTOP "kyso needs 64-bit Windows." /SD IDOK
    SetErrorLevel 2
    Quit
  ${EndIf}
  SetRegView 64
  !insertmacro MUI_LANGDLL_DISPLAY
FunctionEnd

Function un.onInit
  SetRegView 64
  !insertmacro MUI_UNGETLANGUAGE
FunctionEnd

Section "kyso" SecMain
  SectionIn RO
  SetShellVarContext all
  ClearErrors
  SetOutPath "$INSTDIR"
  !insertmacro KYSO_INSTALL_FILES
  WriteUninstaller "$INSTDIR\uninstall.exe"
  ${If} ${Errors}
    DetailPrint "writing the files failed"
    SetErrorLevel 2
    Abort
  ${EndIf}

  WriteRegStr HKLM "${REGKEY}" "InstallDir" "$INSTDIR"
  WriteRegStr HKLM "${REGKEY}" "Version" "${VERSION}"
  WriteRegStr HKLM "${UNINSTKEY}" "DisplayName" "kyso ${VERSION}"
  WriteRegStr HKLM "${UNINSTKEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKLM "${UNINSTKEY}" "Publisher" "kyso developers"
  WriteRegStr HKLM "${UNINSTKEY}" "Contact" "dev@kyso.vn"
  WriteRegStr HKLM "${UNINSTKEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKLM "${UNINSTKEY}" "DisplayIcon" "$INSTDIR\kyso.exe"
  WriteRegStr HKLM "${UNINSTKEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKLM "${UNINSTKEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD HKLM "${UNINSTKEY}" "NoModify" 1
  WriteRegDWORD HKLM "${UNINSTKEY}" "NoRepair" 1

  ; Start menu (all users). The doctor shortcut starts in the user's profile
  ; folder (expanded by Windows when it runs), where the HTML report lands.
  CreateDirectory "$SMPROGRAMS\kyso"
  StrCpy $OUTDIR "%USERPROFILE%"
  CreateShortCut "$SMPROGRAMS\kyso\${SC_DOCTOR}.lnk" "$INSTDIR\kyso.exe" \
    'doctor --html kyso-kiem-tra-ky-so.html --show' "$INSTDIR\kyso.exe" 0 SW_SHOWNORMAL "" \
    "$(SC_DOCTOR_DESC)"
  CreateShortCut "$SMPROGRAMS\kyso\${SC_SETUP}.lnk" "$INSTDIR\kyso.exe" 'setup' \
    "$INSTDIR\kyso.exe" 0 SW_SHOWNORMAL "" "$(SC_SETUP_DESC)"
  CreateShortCut "$SMPROGRAMS\kyso\${SC_UNINST}.lnk" "$INSTDIR\uninstall.exe"
  SetOutPath "$INSTDIR"

  ; Vendor drivers next to the installer: let kyso setup install them.
  ${If} ${FileExists} "$EXEDIR\${BUNDLE}\*.*"
    DetailPrint "$(MSG_SETUP_RUN)"
    nsExec::ExecToLog '"$INSTDIR\kyso.exe" setup --unattended --bundle "$EXEDIR\${BUNDLE}"'
    Pop $0
    DetailPrint "kyso setup --unattended: $0"
    ${If} $0 != 0
      MessageBox MB_ICONEXCLAMATION "$(MSG_SETUP_FAIL)" /SD IDOK
      ${If} $0 == "error"
        StrCpy $0 2
      ${Else}
        IntOp $0 $0 + 3
      ${EndIf}
      SetErrorLevel $0
    ${EndIf}
  ${EndIf}
SectionEnd

Section "Uninstall"
  SetShellVarContext all
  ; Undo what kyso setup did (drivers, registrations, agent); its journal
  ; decides. Without a journal it has nothing to undo: any exit code is
  ; logged and the files are removed anyway.
  ${If} ${FileExists} "$INSTDIR\kyso.exe"
    nsExec::ExecToLog '"$INSTDIR\kyso.exe" setup --uninstall'
    Pop $0
    DetailPrint "$(MSG_UNSETUP)"
  ${EndIf}

  Delete "$SMPROGRAMS\kyso\${SC_DOCTOR}.lnk"
  Delete "$SMPROGRAMS\kyso\${SC_SETUP}.lnk"
  Delete "$SMPROGRAMS\kyso\${SC_UNINST}.lnk"
  RMDir "$SMPROGRAMS\kyso"

  !insertmacro KYSO_UNINSTALL_FILES
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"

  DeleteRegKey HKLM "${UNINSTKEY}"
  DeleteRegKey HKLM "${REGKEY}"
SectionEnd
