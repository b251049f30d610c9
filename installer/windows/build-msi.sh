#!/usr/bin/env bash
# build-msi.sh STAGE VERSION OUT.msi: kyso-<version>-x64.msi with Debian's
# msitools (wixl) from the files build.sh staged for the NSIS EXE.
# Per-machine (ALLUSERS=1, %ProgramFiles%\kyso), MajorUpgrade (same
# UpgradeCode, any older version removed first), the deployment properties
# ORIGINS, FETCHORIGINS, BUNDLE, REPORTURL, REPORTKEY kept under
# HKLM\Software\kyso\Deploy (removed on uninstall).
# After the files and the key, a deferred custom action runs
# "kyso.exe setup --unattended" (with BUNDLE: "--bundle [BUNDLE]"), which
# reads the stored properties; uninstall (not an upgrade) runs
# "kyso.exe setup --uninstall" first. The actions run as SYSTEM
# (Impersonate="no") and Return="ignore": a PC without its token keeps kyso
# installed and the fleet runs "kyso setup --repair" later, as with the EXE.
# Tested under wine by windows.wine_msi.
set -euo pipefail
stage=$(cd "${1:?STAGE}" && pwd)
version=${2:?VERSION}
out=${3:?OUT.msi}
work=$(mktemp -d "${TMPDIR:-/tmp}/kyso-msi.XXXXXX")
trap 'rm -rf "$work"' EXIT
wxs=$work/kyso.wxs
n=0
comp_refs=
# one component per file (its own GUID derived from the path: stable
# across versions, as Windows Installer wants)
guid() { printf '%s' "kyso-msi:$1" | sha1sum | sed -E 's/^(.{8})(.{4}).(.{3}).(.{3})(.{12}).*/\1-\2-5\3-8\4-\5/'; }
dir_xml() { # DIR (relative to stage)
	local d=$1 f sub id
	local rel
	for f in "$stage/$d"/*; do
		[[ -f $f ]] || continue
		rel=${f#"$stage"/}
		rel=${rel#./}
		n=$((n + 1))
		id=c$n
		fid=f$n
		[[ $rel == kyso.exe ]] && fid=fKYSO # the custom actions run it
		printf '<Component Id="%s" Guid="%s"><File Id="%s" Source="%s" KeyPath="yes"/></Component>\n' \
			"$id" "$(guid "$rel")" "$fid" "$rel"
		comp_refs+="<ComponentRef Id=\"$id\"/>"
	done
	for sub in "$stage/$d"/*/; do
		[[ -d $sub ]] || continue
		sub=${sub%/}
		n=$((n + 1))
		printf '<Directory Id="d%s" Name="%s">\n' "$n" "$(basename "$sub")"
		dir_xml "${sub#"$stage"/}"
		printf '</Directory>\n'
	done
}
dir_xml . >"$work/files.xml"
files=$(cat "$work/files.xml")
cat >"$wxs" <<WXS
<?xml version="1.0" encoding="utf-8"?>
<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi">
  <Product Id="*" Name="kyso" Language="1033" Version="$version" Manufacturer="kyso developers"
           UpgradeCode="6b0d1f6e-3c2a-4a39-9a51-6f1e0b7a4c21">
    <Package InstallerVersion="500" Compressed="yes" InstallScope="perMachine"
             Description="kyso $version" Manufacturer="kyso developers" Comments="MIT licence; dev@kyso.vn"/>
    <Property Id="ARPCONTACT" Value="dev@kyso.vn"/>
    <MajorUpgrade DowngradeErrorMessage="A newer kyso is already installed."/>
    <Media Id="1" Cabinet="kyso.cab" EmbedCab="yes"/>
    <Directory Id="TARGETDIR" Name="SourceDir">
      <Directory Id="ProgramFiles64Folder">
        <Directory Id="INSTALLDIR" Name="kyso">
$files
          <Component Id="deploy" Guid="$(guid deploy-registry)" Win64="yes">
            <RegistryKey Root="HKLM" Key="Software\\kyso\\Deploy">
              <RegistryValue Name="Version" Type="string" Value="$version" KeyPath="yes"/>
              <RegistryValue Name="Origins" Type="string" Value="[ORIGINS]"/>
              <RegistryValue Name="FetchOrigins" Type="string" Value="[FETCHORIGINS]"/>
              <RegistryValue Name="Bundle" Type="string" Value="[BUNDLE]"/>
              <RegistryValue Name="ReportUrl" Type="string" Value="[REPORTURL]"/>
              <RegistryValue Name="ReportKey" Type="string" Value="[REPORTKEY]"/>
            </RegistryKey>
          </Component>
        </Directory>
      </Directory>
    </Directory>
    <Feature Id="Main" Level="1">$comp_refs<ComponentRef Id="deploy"/></Feature>
    <CustomAction Id="KysoSetup" FileKey="fKYSO" ExeCommand="setup --unattended"
                  Execute="deferred" Impersonate="no" Return="ignore"/>
    <CustomAction Id="KysoSetupBundle" FileKey="fKYSO"
                  ExeCommand="setup --unattended --bundle &quot;[BUNDLE]&quot;"
                  Execute="deferred" Impersonate="no" Return="ignore"/>
    <CustomAction Id="KysoUnsetup" FileKey="fKYSO" ExeCommand="setup --uninstall"
                  Execute="deferred" Impersonate="no" Return="ignore"/>
    <InstallExecuteSequence>
      <Custom Action="KysoSetup" After="WriteRegistryValues">NOT REMOVE AND NOT BUNDLE</Custom>
      <Custom Action="KysoSetupBundle" After="KysoSetup">NOT REMOVE AND BUNDLE</Custom>
      <Custom Action="KysoUnsetup" Sequence="3490">REMOVE="ALL" AND NOT UPGRADINGPRODUCTCODE</Custom>
    </InstallExecuteSequence>
  </Product>
</Wix>
WXS
mkdir -p "$(dirname "$out")"
out=$(cd "$(dirname "$out")" && pwd)/$(basename "$out")
(cd "$stage" && wixl -a x64 -o "$out" "$wxs")
echo "$out"
