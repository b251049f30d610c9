#!/usr/bin/env bash
# /etc/kyso/deploy.json (docs/deploy.md): a good file gives setup its origins
# (seen in the dry-run plan); each wrong field stops setup before anything
# is done with its own message, in Vietnamese by default, exit 5 (input).
. "$KYSO_HARNESS/lib.sh"
kh_tmpdir
[[ -d ${KH_TMP:-} ]] || exit 1
R=$KH_TMP/root
mkdir -p "$R/etc/kyso"
D=$R/etc/kyso/deploy.json
good='{"origins":["https://vanban.example.gov.vn"],"fetch_origins":["https://files.example.gov.vn:8443"],
 "tsa":{"url":"http://tsa.example.vn/tsa","account":"agency-42"},
 "report":{"url":"https://helpdesk.example.gov.vn/reports","key":"0123456789abcdef0123"}}'
run() { kyso setup --dry-run --root "$R" --no-selftest "$@" 2>"$KH_TMP/err" >"$KH_TMP/out"; }
echo "$good" >"$D"
rc=0
run --json --lang en || rc=$?
kh_check "a good deploy.json is accepted (no input error; exit $rc)" \
	sh -c "[ $rc -ne 5 ] && ! grep -q deploy.json '$KH_TMP/err' '$KH_TMP/out'"

# field | wrong value (jq) | English message | Vietnamese message
while IFS='|' read -r field edit en vi; do
	jq -c "$edit" <<<"$good" >"$D"
	rc=0
	run --lang en || rc=$?
	kh_check "$field wrong: exit 5" test "$rc" -eq 5
	kh_check "$field wrong: English message names it: $en" grep -qF "$en" "$KH_TMP/err"
	rc=0
	run || rc=$?
	kh_check "$field wrong: Vietnamese message by default: $vi" grep -qF "$vi" "$KH_TMP/err"
done <<'EOF2'
origins|.origins=["https://vanban.example.gov.vn/login"]|"origins" item 1 is not a web origin|mục 1 của "origins"
origins (not a list)|.origins="https://vanban.example.gov.vn"|"origins" must be a list of web origins|"origins" phải là một danh sách
fetch_origins|.fetch_origins=["ftp://files.example.gov.vn"]|"fetch_origins" item 1 is not a web origin|mục 1 của "fetch_origins"
tsa|.tsa="http://tsa.example.vn"|"tsa" must be an object|"tsa" phải là một đối tượng JSON
tsa.url|.tsa.url="tsa.example.vn"|"tsa.url" must be an http:// or https:// URL|"tsa.url" phải là một địa chỉ URL http:// hoặc https://
tsa.account|.tsa.account=""|"tsa.account" must be a non-empty text|"tsa.account" phải là một chuỗi văn bản không rỗng
report|.report=[]|"report" must be an object|"report" phải là một đối tượng JSON
report.url|.report.url="http://helpdesk.example.gov.vn/reports"|"report.url" must be an https:// URL|"report.url" phải là một địa chỉ URL https://
report.key|.report.key="short"|"report.key" must be at least 16 characters long|"report.key" phải dài ít nhất 16 ký tự
unknown field|.tsa.password="x"|unknown field "tsa.password"|trường không xác định "tsa.password"
EOF2
printf '{"origins": [' >"$D"
rc=0
run --lang en || rc=$?
kh_check "not JSON: exit 5 and the line" sh -c "[ $rc -eq 5 ] && grep -q 'not valid JSON (line 1' '$KH_TMP/err'"
kh_done
