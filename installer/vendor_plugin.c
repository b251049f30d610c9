/* `--vendor-plugin`: the vendor's own web-signing plugin from the install
 * bundle (catalog bundle entries with kind "plugin") instead of kyso-agent's
 * matching protocol. A .deb goes through the package manager; a tarball is
 * unpacked into /opt/kyso/vendor-plugin/<name>/ (its own installer script is
 * not run: its changes could not be undone). The protocol it replaces comes
 * from the token's issuers: "vnpt-ca" -> VNPT-CA Plugin, "vgca" -> VGCA Sign
 * Service; kyso-agent leaves that protocol off. */
#include "setup_int.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && strcmp(s + a - b, suffix) == 0;
}

static int issuer_proto(const kyso_token_type_t *type)
{
	int proto = 0;
	size_t i;
	const json_t *v;
	json_array_foreach(json_object_get(kyso_token_type_json(type), "issuers"), i, v)
	{
		const char *s = json_string_value(v);
		if (s != NULL && strcmp(s, "vnpt-ca") == 0)
			proto |= AGENT_PROTO_VNPT;
		else if (s != NULL && strcmp(s, "vgca") == 0)
			proto |= AGENT_PROTO_VGCA;
	}
	return proto;
}

static const char *tar_stem(const char *base, char *buf, size_t cap)
{
	static const char *const exts[] = {".tar.gz", ".tgz", ".tar.xz", ".tar.bz2", ".tar"};
	snprintf(buf, cap, "%s", base);
	for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++)
		if (ends_with(buf, exts[i])) {
			buf[strlen(buf) - strlen(exts[i])] = '\0';
			return buf;
		}
	return NULL;
}

static char *lower_dup(const char *s)
{
	char *d = s != NULL ? strdup(s) : NULL;
	for (char *c = d; c != NULL && *c; c++)
		if (*c >= 'A' && *c <= 'F')
			*c = (char)(*c - 'A' + 'a');
	return d;
}

static void plan_one(const kyso_setup_opts_t *o, int proto, const json_t *b, kyso_setup_plan_t *p)
{
	const char *file = json_string_value(json_object_get(b, "file"));
	if (file == NULL)
		return;
	const char *base = strrchr(file, '/') != NULL ? strrchr(file, '/') + 1 : file;
	char stem[256];
	bool deb = ends_with(base, ".deb");
	bool tar = tar_stem(base, stem, sizeof(stem)) != NULL;
	char src[PATH_MAX] = "";
	if (o->bundle != NULL)
		snprintf(src, sizeof(src), "%s/%s", o->bundle, file);
	char *dest = NULL;
	if (tar) {
		char rel[PATH_MAX];
		snprintf(rel, sizeof(rel), "/opt/kyso/vendor-plugin/%s", stem);
		dest = kyso_setup_path(o, rel);
	}
	char *sha = lower_dup(json_string_value(json_object_get(b, "sha256")));
	kyso_setup_action_t *a = kyso_setup_plan_add(p, ACT_VENDOR_PLUGIN, AST_TODO, dest,
	                                             src[0] ? src : NULL, sha, NULL);
	free(sha);
	free(dest);
	if (a == NULL)
		return;
	a->proto = proto;
	char marker[PATH_MAX] = "";
	if (tar)
		snprintf(marker, sizeof(marker), "%s/.kyso-sha256", a->target);
	char *installed = marker[0] ? kyso_setup_read_text(marker) : NULL;
	if (!deb && !tar) {
		a->status = AST_SKIPPED;
		kyso_setup_act_set_detail(
		        a, _("vendor plugin %s: kyso installs a .deb or a tarball on Linux"), file);
	} else if (installed != NULL && a->sha256 != NULL &&
	           strncmp(installed, a->sha256, 64) == 0) {
		a->status = AST_IN_PLACE;
	} else if (!o->vendor_plugin) {
		a->status = AST_SKIPPED;
		kyso_setup_act_set_detail(
		        a,
		        _("the vendor's plugin %s is not installed: kyso-agent serves its "
		          "protocol (--vendor-plugin installs the vendor's instead)"),
		        file);
	} else {
		kyso_setup_plan_check_bundle_file(o, p, a, file, deb);
	}
	free(installed);
	/* installed or about to be: kyso-agent leaves the protocol to it */
	if ((a->status == AST_TODO || a->status == AST_IN_PLACE) && proto != 0) {
		if ((proto & AGENT_PROTO_VNPT) && !kyso_setup_plan_proto_off(p, AGENT_PROTO_VNPT))
			json_array_append_new(p->vendor_ports, json_integer(p->vnpt_port));
		if ((proto & AGENT_PROTO_VGCA) && !kyso_setup_plan_proto_off(p, AGENT_PROTO_VGCA))
			json_array_append_new(p->vendor_ports, json_integer(p->vgca_port));
	}
	if (a->status == AST_TODO && proto == 0)
		kyso_setup_act_set_detail(
		        a, "%s",
		        _("the token's issuer is neither VNPT-CA nor VGCA: kyso-agent keeps "
		          "both protocols"));
}

void kyso_setup_plan_vendor_plugins(const kyso_setup_opts_t *o, const kyso_token_type_t *type,
                                    const json_t *drv, kyso_setup_plan_t *p)
{
	int proto = issuer_proto(type);
	size_t i;
	const json_t *b;
	json_array_foreach(json_object_get(drv, "bundle"), i, b)
	{
		const char *kind = json_string_value(json_object_get(b, "kind"));
		if (kind != NULL && strcmp(kind, "plugin") == 0)
			plan_one(o, proto, b, p);
	}
}

static kyso_err_t check_hash(const kyso_setup_action_t *a, kyso_error_t *err)
{
	char hex[65];
	kyso_err_t rc = kyso_setup_sha256_file(a->source, hex, err);
	if (rc == KYSO_OK && (a->sha256 == NULL || strcmp(hex, a->sha256) != 0))
		rc = kyso_error_set(err, KYSO_ERR_BAD_INPUT,
		                    _("%s has SHA-256 %s, the catalog expects %s"), a->source, hex,
		                    a->sha256 != NULL ? a->sha256 : "?");
	return rc;
}

kyso_err_t kyso_setup_vendor_plugin_install(const kyso_setup_opts_t *o, kyso_setup_journal_t *j,
                                            kyso_setup_action_t *a, kyso_error_t *err)
{
	kyso_err_t rc = check_hash(a, err);
	if (rc != KYSO_OK)
		return rc;
	if (ends_with(a->source, ".deb")) {
		rc = kyso_setup_journal_add(j,
		                            json_pack("{s:s, s:s, s:s}", "op", "package", "name",
		                                      a->target, "file", a->source),
		                            err);
		return rc != KYSO_OK ? rc : kyso_setup_pkg_install_file(o, a->source, err);
	}
	/* tarball: a fresh directory, removed with its content on undo */
	char parent[PATH_MAX];
	snprintf(parent, sizeof(parent), "%s", a->target);
	char *slash = strrchr(parent, '/');
	if (slash == NULL)
		return kyso_error_set(err, KYSO_ERR_INTERNAL, "%s", a->target);
	*slash = '\0';
	struct stat st;
	if (lstat(a->target, &st) == 0)
		return kyso_error_set(err, KYSO_ERR_IO,
		                      _("%s exists and is not kyso's: move it away first"),
		                      a->target);
	rc = kyso_setup_jfs_mkdirs(j, parent, err);
	if (rc == KYSO_OK)
		rc = kyso_setup_journal_add(
		        j, json_pack("{s:s, s:s}", "op", "tree", "path", a->target), err);
	if (rc != KYSO_OK)
		return rc;
	if (mkdir(a->target, 0755) != 0)
		return kyso_error_set(err, KYSO_ERR_IO, _("Cannot create %s: %s"), a->target,
		                      strerror(errno));
	const char *argv[] = {"/usr/bin/tar",    "-xf", a->source, "-C", a->target,
	                      "--no-same-owner", NULL};
	int status = -1;
	rc = kyso_spawn(argv, NULL, 1u << 16, 10 * 60 * 1000, &status, err);
	if (rc == KYSO_OK && status != 0)
		rc = kyso_error_set(err, KYSO_ERR_CHILD_PROCESS,
		                    _("tar could not unpack %s (exit status %d)"), a->source,
		                    status);
	char marker[PATH_MAX];
	snprintf(marker, sizeof(marker), "%s/.kyso-sha256", a->target);
	if (rc == KYSO_OK)
		rc = kyso_file_write_atomic(marker, a->sha256, strlen(a->sha256), 0644, err);
	if (rc == KYSO_OK)
		kyso_setup_act_set_detail(
		        a,
		        _("unpacked into %s; run the vendor's installer from there as its "
		          "instructions say (kyso does not run it)"),
		        a->target);
	return rc;
}
