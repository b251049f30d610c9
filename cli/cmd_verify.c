/* `kyso verify FILE [--json] [--ca FILE]...`: checks every signature. */
#include "kyso_signer.h"
#include "commands.h"
#include "kyso_trust.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

/* INDETERMINATE: nothing proven wrong, but not provable now (docs/sign.md) */
#define VERIFY_EXIT_INDETERMINATE 7

static bool iso_time_parse(const char *s, time_t *out)
{
	struct tm tm = {0};
	char z = 0;
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%c", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
	           &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &z) != 7 ||
	    z != 'Z' || tm.tm_year < 1970 || tm.tm_mon < 1 || tm.tm_mon > 12)
		return false;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	*out = timegm(&tm);
	return *out > 0;
}

static void usage(FILE *f)
{
	fprintf(f, "%s\n",
	        _("Usage: kyso verify FILE.pdf [--ca FILE]... [--system-ca] [--no-system-ca] "
	          "[--offline] [--password PW] [--json]\n"
	          "Checks every signature (ETSI EN 319 102-1 verdicts): integrity, signer "
	          "trusted,\n"
	          "certificate status at signing time, time stamp, and what later revisions "
	          "changed.\n"
	          "\n"
	          "  --ca FILE        extra document trust anchor(s) (PEM/DER), may be repeated\n"
	          "  --system-ca      also trust the system TLS store (/etc/ssl/certs)\n"
	          "  --no-system-ca   do not use the shipped Vietnamese roots nor roots.d\n"
	          "  --offline        no OCSP/CRL requests: only the document's validation data\n"
	          "  --at TIME        validate as at TIME (UTC, 2030-01-31T08:00:00Z), e.g. to "
	          "see\n"
	          "                   whether the signatures outlive their certificates\n"
	          "  --password PW    password of an encrypted PDF\n"
	          "  --json           print one JSON document (schema in docs/sign.md)\n"
	          "  --html FILE      also write a readable report page to FILE\n"
	          "Exit codes: 0 every signature TOTAL-PASSED, 1 a signature TOTAL-FAILED or there "
	          "is\n"
	          "none, 7 INDETERMINATE (none failed, but not all can be proven valid now),\n"
	          "2 usage, 5 the file cannot be read as a PDF."));
}

static const char *yesno(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	if (v == NULL || json_is_null(v))
		return "-";
	return json_is_true(v) ? _("yes") : _("no");
}

static const char *str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s != NULL ? s : "-";
}

static const char *changes_text(const char *cls)
{
	if (strcmp(cls, "none") == 0)
		return _("none");
	if (strcmp(cls, "signatures-and-forms") == 0)
		return _("signatures and form fields only");
	if (strcmp(cls, "ltv") == 0)
		return _("validation data (LTV) only");
	if (strcmp(cls, "annotations") == 0)
		return _("comments or other annotations");
	if (strcmp(cls, "other") == 0)
		return _("other content changed");
	return cls;
}

static void print_text(json_t *doc)
{
	json_t *sigs = json_object_get(doc, "signatures");
	size_t n = json_array_size(sigs);
	printf(_("%s: %zu signature(s)\n"), str(doc, "file"), n);
	for (size_t i = 0; i < n; i++) {
		json_t *s = json_array_get(sigs, i);
		json_t *signer = json_object_get(s, "signer");
		printf("\n");
		printf(_("Signature %zu/%zu: %s (%s)\n"), i + 1, n, str(s, "field"),
		       str(s, "sub_filter"));
		if (json_is_object(signer))
			printf(_("  signer:            %s\n  issuer:            %s\n"),
			       str(signer, "subject"), str(signer, "issuer"));
		printf(_("  signing time:      %s (%s)\n"), str(s, "signing_time"),
		       str(s, "signing_time_source"));
		json_t *rev = json_object_get(s, "revision");
		printf(_("  covers:            %s (revision %lld of %lld)\n"),
		       json_is_true(json_object_get(s, "covers_whole_file"))
		               ? _("the whole file")
		               : _("an earlier revision"),
		       json_is_integer(rev) ? (long long)json_integer_value(rev) : 0LL,
		       (long long)json_integer_value(json_object_get(s, "revisions")));
		printf(_("  byte range ok:     %s\n  digest matches:    %s\n  signature valid:   "
		         "%s\n"),
		       yesno(s, "byte_range_ok"), yesno(s, "digest_ok"), yesno(s, "signature_ok"));
		printf(_("  chain trusted:     %s\n  cert valid then:   %s\n"),
		       yesno(s, "chain_ok"), yesno(s, "cert_valid_at_signing_time"));
		json_t *ts = json_object_get(s, "timestamp");
		if (json_is_object(ts))
			printf(_("  time stamp:        %s, %s (%s)\n"), str(ts, "time"),
			       json_is_true(json_object_get(ts, "valid")) ? _("valid")
			                                                  : _("INVALID"),
			       str(ts, "tsa"));
		printf(_("  later changes:     %s\n"), changes_text(str(s, "later_changes")));
		json_t *ltv = json_object_get(s, "ltv");
		if (json_is_object(ltv))
			printf(_("  LTV data (DSS):    %lld certificates, %lld CRLs, %lld OCSP "
			         "answers; "
			         "VRI entry: %s; signer's revocation data: %s\n"),
			       (long long)json_integer_value(json_object_get(ltv, "certs")),
			       (long long)json_integer_value(json_object_get(ltv, "crls")),
			       (long long)json_integer_value(json_object_get(ltv, "ocsps")),
			       yesno(ltv, "vri"), str(ltv, "signer_revocation"));
		json_t *pr = json_object_get(s, "problems");
		for (size_t k = 0; k < json_array_size(pr); k++)
			printf("  ! %s\n", json_string_value(json_array_get(pr, k)));
		json_t *wa = json_object_get(s, "warnings");
		for (size_t k = 0; k < json_array_size(wa); k++)
			printf("  ~ %s\n", json_string_value(json_array_get(wa, k)));
		json_t *parts = json_object_get(s, "parts");
		static const char *const names[] = {"integrity", "signer_trusted",
		                                    "certificate_status", "timestamp",
		                                    "later_changes"};
		const char *labels[] = {_("integrity"), _("signer trusted"),
		                        _("certificate status"), _("time stamp"),
		                        _("later changes")};
		for (size_t k = 0; k < 5; k++) {
			json_t *p = json_object_get(parts, names[k]);
			if (!json_is_object(p))
				continue;
			const char *sub = json_string_value(json_object_get(p, "sub_indication"));
			printf("  [%-18s] %s%s%s\n", labels[k], str(p, "indication"),
			       sub ? " / " : "", sub ? sub : "");
		}
		const char *cat = json_string_value(json_object_get(s, "root_category"));
		if (cat != NULL)
			printf(_("  root:              %s\n"), kyso_trust_category_text(cat));
		const char *sub = json_string_value(json_object_get(s, "sub_indication"));
		printf("  => %s%s%s: %s\n", str(s, "indication"), sub ? " / " : "", sub ? sub : "",
		       json_is_true(json_object_get(s, "valid")) ? _("VALID")
		       : strcmp(str(s, "indication"), "TOTAL-FAILED") == 0
		               ? _("INVALID")
		               : _("cannot be confirmed now"));
	}
	if (n == 0)
		printf(_("The document has no signature.\n"));
}

int kyso_cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
	        {"ca", required_argument, NULL, 'c'},
	        {"no-system-ca", no_argument, NULL, 'n'},
	        {"system-ca", no_argument, NULL, 's'},
	        {"offline", no_argument, NULL, 'o'},
	        {"at", required_argument, NULL, 'a'},
	        {"html", required_argument, NULL, 'H'},
	        {"password", required_argument, NULL, 'p'},
	        {"max-size", required_argument, NULL, 'm'},
	        {"json", no_argument, NULL, 'j'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	kyso_verify_opts_t o = {0};
	const char **cas = calloc((size_t)argc + 1, sizeof(*cas));
	size_t ncas = 0;
	bool json = false;
	const char *html = NULL;
	kyso_error_t e;
	kyso_error_clear(&e);
	if (cas == NULL) {
		kyso_error_set(&e, KYSO_ERR_NOMEM, NULL);
		return kyso_cmd_fail(false, &e);
	}
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--json") == 0)
			json = true;
	optind = 1;
	opterr = 0;
	int c, rc = -1;
	while (rc < 0 && (c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			cas[ncas++] = optarg;
			break;
		case 'n':
			o.no_system_anchors = true;
			break;
		case 's':
			o.system_ca = true;
			break;
		case 'o':
			o.offline = true;
			break;
		case 'H':
			html = optarg;
			break;
		case 'a':
			if (!iso_time_parse(optarg, &o.at)) {
				kyso_error_set(
				        &e, KYSO_ERR_USAGE,
				        _("--at needs a UTC time like 2030-01-31T08:00:00Z: %s"),
				        optarg);
				rc = kyso_cmd_fail(json, &e);
			}
			break;
		case 'p':
			o.password = optarg;
			kyso_redact_secret(optarg);
			break;
		case 'm': {
			char *end = NULL;
			unsigned long long v = strtoull(optarg, &end, 10);
			uint64_t mul = (end != NULL && (*end == 'M' || *end == 'm')) ? 1048576 : 1;
			o.max_size = (uint64_t)v * mul;
			break;
		}
		case 'j':
			break;
		case 'h':
			usage(stdout);
			rc = KYSO_EXIT_OK;
			break;
		default:
			kyso_error_set(&e, KYSO_ERR_USAGE, _("Unknown option or missing value: %s"),
			               argv[optind - 1]);
			if (!json)
				usage(stderr);
			rc = kyso_cmd_fail(json, &e);
			break;
		}
	}
	if (rc < 0 && optind + 1 != argc) {
		kyso_error_set(&e, KYSO_ERR_USAGE, "%s", _("Give exactly one PDF file."));
		if (!json)
			usage(stderr);
		rc = kyso_cmd_fail(json, &e);
	}
	if (rc >= 0) {
		free(cas);
		return rc;
	}
	o.ca_files = ncas > 0 ? cas : NULL;
	o.images = html != NULL;
	json_t *doc = NULL;
	bool valid = false;
	if (kyso_verify_pdf(argv[optind], &o, &doc, &valid, &e) != KYSO_OK) {
		free(cas);
		return kyso_cmd_fail(json, &e);
	}
	free(cas);
	if (html != NULL && kyso_verify_html_write(doc, html, &e) != KYSO_OK) {
		json_decref(doc);
		return kyso_cmd_fail(json, &e);
	}
	bool indeterminate =
	        strcmp(json_string_value(json_object_get(doc, "indication")), "INDETERMINATE") == 0;
	if (json) {
		if (kyso_json_print(doc) != KYSO_OK)
			return KYSO_EXIT_PROBLEM;
	} else {
		print_text(doc);
		json_decref(doc);
	}
	return valid ? KYSO_EXIT_OK : indeterminate ? VERIFY_EXIT_INDETERMINATE : KYSO_EXIT_PROBLEM;
}
